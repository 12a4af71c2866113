// The lane-taped iteration for AVX-512 (8 half-hours per vector); compiled with the flags of lane_solver_avx512.cpp.
#include "gradient/lane_iteration_tape_impl.hpp"

namespace canveg::gradient {

std::unique_ptr<LaneIterationTape> make_lane_iteration_tape_avx512(const LaneIterationSetup& setup) {
  return std::make_unique<lane_tape_detail::LaneIterationTapeOf<xsimd::avx512bw>>(setup);
}
void release_lane_tape_avx512() { ad::thread_lane_tape<xsimd::avx512bw>().release(); }

}  // namespace canveg::gradient
