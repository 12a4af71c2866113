// The lane solver for SSE2 (2 half-hours per vector), the baseline of every x86-64 processor.
#include "run/lane_solver_impl.hpp"

namespace canveg::run {
LaneSolver lane_solver_sse2() { return {"sse2", 2, &lanes_detail::solve_block<xsimd::sse2>}; }
}  // namespace canveg::run
