// The lane solver for AVX-512F (8 half-hours per vector); compiled with -mavx512f -mfma.
#include "run/lane_solver_impl.hpp"

namespace canveg::run {

// One vector per value (8 half-hours): a second one gained nothing measurable (docs/performance.md).
LaneSolver lane_solver_avx512() {
  using Solved = simd::Lanes<xsimd::avx512f, 1>;
  return {"avx512", static_cast<int>(Solved::kWidth), &lanes_detail::solve_block<xsimd::avx512f, 1>,
          &lanes_detail::build_conduction_maps<xsimd::avx512f, 1>};
}

}  // namespace canveg::run
