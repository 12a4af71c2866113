// The lane-taped iteration for AVX2 with FMA (4 half-hours per vector); compiled with -mavx2 -mfma.
#include "gradient/lane_iteration_tape_impl.hpp"

namespace canveg::gradient {

std::unique_ptr<LaneIterationTape> make_lane_iteration_tape_avx2(const LaneIterationSetup& setup) {
  return std::make_unique<lane_tape_detail::LaneIterationTapeOf<xsimd::fma3<xsimd::avx2>>>(setup);
}
void release_lane_tape_avx2() { ad::thread_lane_tape<xsimd::fma3<xsimd::avx2>>().release(); }

}  // namespace canveg::gradient
