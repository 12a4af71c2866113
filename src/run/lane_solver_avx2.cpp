// The lane solver for AVX2 with FMA (4 half-hours per vector); compiled with -mavx2 -mfma.
#include "run/lane_solver_impl.hpp"

namespace canveg::run {
LaneSolver lane_solver_avx2() { return {"avx2+fma", 4, &lanes_detail::solve_block<xsimd::fma3<xsimd::avx2>>}; }
}  // namespace canveg::run
