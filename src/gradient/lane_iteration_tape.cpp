// Choosing the lane-taped iteration by instruction set (gradient/lane_iteration_tape.hpp).
#include "gradient/lane_iteration_tape.hpp"

#include <string>
#include <vector>

#include "run/lane_solver.hpp"

namespace canveg::gradient {

#if defined(CANVEG_LANES_X86)
std::unique_ptr<LaneIterationTape> make_lane_iteration_tape_sse2(const LaneIterationSetup& setup);
std::unique_ptr<LaneIterationTape> make_lane_iteration_tape_avx2(const LaneIterationSetup& setup);
std::unique_ptr<LaneIterationTape> make_lane_iteration_tape_avx512(const LaneIterationSetup& setup);
void release_lane_tape_sse2();
void release_lane_tape_avx2();
void release_lane_tape_avx512();
#endif

namespace {

// The lane-taped iteration of each instruction set, by the name of its lane solver.
struct LaneTapeEntry {
  const char* isa;
  std::unique_ptr<LaneIterationTape> (*make)(const LaneIterationSetup&);
  void (*release)();
};

std::vector<LaneTapeEntry> lane_tape_entries() {
#if defined(CANVEG_LANES_X86)
  return {{"avx512", &make_lane_iteration_tape_avx512, &release_lane_tape_avx512},
          {"avx2+fma", &make_lane_iteration_tape_avx2, &release_lane_tape_avx2},
          {"sse2", &make_lane_iteration_tape_sse2, &release_lane_tape_sse2}};
#else
  return {};
#endif
}

}  // namespace

std::unique_ptr<LaneIterationTape> make_lane_iteration_tape(const std::string& isa, const LaneIterationSetup& setup) {
  for (const LaneTapeEntry& e : lane_tape_entries())
    if (isa == e.isa) return e.make(setup);
  return nullptr;
}

void release_lane_tapes() {
  // Only the instruction sets this machine runs (those of run::available_lane_solvers): the
  // others' code may use instructions it lacks.
  for (const run::LaneSolver& solver : run::available_lane_solvers())
    for (const LaneTapeEntry& e : lane_tape_entries())
      if (std::string(solver.isa) == e.isa) e.release();
}

}  // namespace canveg::gradient
