// The process's place among MPI ranks, for the commands that spread over them (sweep, multi-site
// train). A process started by mpirun (OpenMPI, MPICH or a PMIx launcher) joins the world; any
// other is the only rank and never touches MPI, so a build with MPI runs where no MPI runtime is
// configured, and a build without it (CANVEG_MPI off) is always the only rank.
#pragma once

#include <string>
#include <vector>

namespace canveg::cli {

struct Ranks {
  int rank = 0, size = 1;
  bool mpi = false;
};

// Joins the MPI world if launched by mpirun (MPI_Init_thread, funnelled: worker threads never
// call MPI).
Ranks join_ranks();
// MPI_Finalize when joined.
void leave_ranks(const Ranks& ranks);
// True on every rank when any rank failed.
bool any_failed(const Ranks& ranks, bool failed);
// Every rank's text at rank 0, in rank order (elsewhere: empty).
std::string gather_text(const Ranks& ranks, const std::string& mine);
// Element-wise sum over the ranks, in place on every rank.
void sum_over_ranks(const Ranks& ranks, std::vector<double>& values);

}  // namespace canveg::cli
