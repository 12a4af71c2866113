// The lane-taped iteration for SSE2 (2 half-hours per vector).
#include "gradient/lane_iteration_tape_impl.hpp"

namespace canveg::gradient {

std::unique_ptr<LaneIterationTape> make_lane_iteration_tape_sse2(const LaneIterationSetup& setup) {
  return std::make_unique<lane_tape_detail::LaneIterationTapeOf<xsimd::sse2>>(setup);
}
void release_lane_tape_sse2() { ad::thread_lane_tape<xsimd::sse2>().release(); }

}  // namespace canveg::gradient
