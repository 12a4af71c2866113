// The lock-step solution with half-hours as SIMD lanes (docs/performance.md, "Half-hours as SIMD
// lanes"): the same fixed point as run::solve_lockstep<double>, with W neighbouring half-hours of
// a block solved at once by the physics instantiated on simd::Lanes. One implementation per
// instruction set (lane_solver_<isa>.cpp, each compiled for its own instruction set); the widest
// one the machine runs is chosen when the program starts.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "physics/column_solver.hpp"

namespace canveg::run {

// Called around every iteration of a lane solution. When reads_states is set, the block's scalar
// states hold the current lane values whenever a call is made.
struct LaneIterationObserver {
  bool reads_states = false;
  virtual ~LaneIterationObserver() = default;
  virtual void before_iteration(int /*k*/) {}
  virtual void after_iteration(int /*k*/) {}
};

// One lock-step block: n initialised scalar columns in, the same columns after model.niter
// iterations out.
struct LaneBlock {
  const physics::ColumnModel<double>* model = nullptr;
  physics::ColumnState<double>* states = nullptr;  // [n], each bound to its own buffer
  std::size_t n = 0;
  const char* has_previous = nullptr;  // [n]: 1 where row i reads row i-1's surface temperature
  double surface_before_first = 0;     // the surface temperature row 0 reads when it has a predecessor
  LaneIterationObserver* observer = nullptr;
};

struct LaneSolver {
  const char* isa = "";  // instruction set, e.g. "avx2+fma"
  int width = 1;         // half-hours per vector
  void (*solve)(const LaneBlock&) = nullptr;
};

// Every lane solver built into the program that this machine can run, widest first.
std::vector<LaneSolver> available_lane_solvers();

// The lane solver a run uses: the widest available one, or the one whose isa is named (for
// tests and benchmarks); throws InputError for an unknown or unavailable name.
LaneSolver lane_solver(const std::string& isa = "");

// Whether the lane solvers can solve this model (they do not yet solve the corrected
// formulation's implicit soil surface).
bool lanes_support(const physics::ColumnModel<double>& model);

}  // namespace canveg::run
