// The lane solver for AVX-512 (8 half-hours per vector); compiled with -mavx512f -mavx512cd
// -mavx512dq -mavx512bw -mfma. xsimd's AVX-512BW architecture, not plain AVX-512F: only AVX-512DQ
// converts between doubles and 64-bit integers in one instruction, and xsimd's exp, log, pow, cos
// and tanh each make such a conversion, which under AVX-512F alone goes through memory lane by
// lane (10 % of the 50-layer run, docs/performance.md). xsimd 8.1 declares its AVX-512CD and DQ
// registers only when AVX-512BW is enabled too, so the program asks for all four (every
// processor with AVX-512DQ since Skylake-SP has them).
#include "run/lane_solver_impl.hpp"

namespace canveg::run {

// One vector per value (8 half-hours): a second one gained nothing measurable (docs/performance.md).
LaneSolver lane_solver_avx512() {
  using Solved = simd::Lanes<xsimd::avx512bw, 1>;
  return {"avx512", static_cast<int>(Solved::kWidth), &lanes_detail::solve_block<xsimd::avx512bw, 1>,
          &lanes_detail::build_conduction_maps<xsimd::avx512bw, 1>};
}

}  // namespace canveg::run
