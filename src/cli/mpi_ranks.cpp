#include "cli/mpi_ranks.hpp"

#ifdef CANVEG_WITH_MPI
#include <mpi.h>
#endif

#include <cstdlib>

namespace canveg::cli {

#ifdef CANVEG_WITH_MPI
namespace {
bool launched_by_mpi() {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"})
    if (std::getenv(v)) return true;
  return false;
}
}  // namespace

Ranks join_ranks() {
  Ranks r;
  if (!launched_by_mpi()) return r;
  int provided = 0;
  MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
  MPI_Comm_rank(MPI_COMM_WORLD, &r.rank);
  MPI_Comm_size(MPI_COMM_WORLD, &r.size);
  r.mpi = true;
  return r;
}

void leave_ranks(const Ranks& r) {
  if (r.mpi) MPI_Finalize();
}

bool any_failed(const Ranks& r, bool failed) {
  if (!r.mpi) return failed;
  int mine = failed ? 1 : 0, any = 0;
  MPI_Allreduce(&mine, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  return any != 0;
}

std::string gather_text(const Ranks& r, const std::string& mine) {
  if (!r.mpi) return mine;
  int length = static_cast<int>(mine.size());
  std::vector<int> lengths(static_cast<std::size_t>(r.size)), offsets(static_cast<std::size_t>(r.size));
  MPI_Gather(&length, 1, MPI_INT, lengths.data(), 1, MPI_INT, 0, MPI_COMM_WORLD);
  std::string all;
  if (r.rank == 0) {
    int total = 0;
    for (int k = 0; k < r.size; ++k) offsets[k] = total, total += lengths[k];
    all.resize(static_cast<std::size_t>(total));
  }
  MPI_Gatherv(mine.data(), length, MPI_CHAR, all.data(), lengths.data(), offsets.data(), MPI_CHAR, 0, MPI_COMM_WORLD);
  return all;
}

void sum_over_ranks(const Ranks& r, std::vector<double>& values) {
  if (!r.mpi) return;
  MPI_Allreduce(MPI_IN_PLACE, values.data(), static_cast<int>(values.size()), MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
}
#else
Ranks join_ranks() { return {}; }
void leave_ranks(const Ranks&) {}
bool any_failed(const Ranks&, bool failed) { return failed; }
std::string gather_text(const Ranks&, const std::string& mine) { return mine; }
void sum_over_ranks(const Ranks&, std::vector<double>&) {}
#endif

}  // namespace canveg::cli
