// The lane solver for AVX-512F (8 half-hours per vector); compiled with -mavx512f -mfma.
#include "run/lane_solver_impl.hpp"

namespace canveg::run {
LaneSolver lane_solver_avx512() { return {"avx512", 8, &lanes_detail::solve_block<xsimd::avx512f>}; }
}  // namespace canveg::run
