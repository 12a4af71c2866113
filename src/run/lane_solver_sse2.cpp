// The lane solver for SSE2 (2 half-hours per vector, two vectors per value), the baseline of every x86-64 processor.
#include "run/lane_solver_impl.hpp"

namespace canveg::run {

// Two vectors per value (4 half-hours): 8-30 % faster than one on the 50-layer models
// (docs/performance.md), the second giving the processor independent work in the longwave sweeps.
LaneSolver lane_solver_sse2() {
  using Solved = simd::Lanes<xsimd::sse2, 2>;
  return {"sse2", static_cast<int>(Solved::kWidth), &lanes_detail::solve_block<xsimd::sse2, 2>,
          &lanes_detail::build_conduction_maps<xsimd::sse2, 2>};
}

}  // namespace canveg::run
