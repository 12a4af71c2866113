// Choosing the lane-taped iteration by instruction set (gradient/lane_iteration_tape.hpp).
#include "gradient/lane_iteration_tape.hpp"

#include <xsimd/xsimd.hpp>

namespace canveg::gradient {

#if defined(CANVEG_LANES_X86)
std::unique_ptr<LaneIterationTape> make_lane_iteration_tape_sse2(const LaneIterationSetup& setup);
std::unique_ptr<LaneIterationTape> make_lane_iteration_tape_avx2(const LaneIterationSetup& setup);
std::unique_ptr<LaneIterationTape> make_lane_iteration_tape_avx512(const LaneIterationSetup& setup);
void release_lane_tape_sse2();
void release_lane_tape_avx2();
void release_lane_tape_avx512();
#endif

std::unique_ptr<LaneIterationTape> make_lane_iteration_tape(const std::string& isa, const LaneIterationSetup& setup) {
#if defined(CANVEG_LANES_X86)
  if (isa == "avx512") return make_lane_iteration_tape_avx512(setup);
  if (isa == "avx2+fma") return make_lane_iteration_tape_avx2(setup);
  if (isa == "sse2") return make_lane_iteration_tape_sse2(setup);
#endif
  (void)isa;
  (void)setup;
  return nullptr;
}

void release_lane_tapes() {
#if defined(CANVEG_LANES_X86)
  // Only the instruction sets this machine runs: the others' code may use their instructions.
  const auto cpu = xsimd::available_architectures();
  if (cpu.sse2) release_lane_tape_sse2();
  if (cpu.avx2 && cpu.fma3_avx2) release_lane_tape_avx2();
  if (cpu.avx512f && cpu.avx512cd && cpu.avx512dq && cpu.avx512bw) release_lane_tape_avx512();
#endif
}

}  // namespace canveg::gradient
