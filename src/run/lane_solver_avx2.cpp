// The lane solver for AVX2 with FMA (4 half-hours per vector, two vectors per value); compiled with -mavx2 -mfma.
#include "run/lane_solver_impl.hpp"

namespace canveg::run {

// Two vectors per value (8 half-hours): 4-15 % faster than one on the 50-layer models
// (docs/performance.md), the second giving the processor independent work in the longwave sweeps.
LaneSolver lane_solver_avx2() {
  using Solved = simd::Lanes<xsimd::fma3<xsimd::avx2>, 2>;
  return {"avx2+fma", static_cast<int>(Solved::kWidth), &lanes_detail::solve_block<xsimd::fma3<xsimd::avx2>, 2>,
          &lanes_detail::build_conduction_maps<xsimd::fma3<xsimd::avx2>, 2>};
}

}  // namespace canveg::run
