// Choosing the lane solver for the machine the program runs on (run/lane_solver.hpp).
#include "run/lane_solver.hpp"

#include <cstdlib>

#include <xsimd/xsimd.hpp>

#include "canveg/errors.hpp"

namespace canveg::run {

#if defined(CANVEG_LANES_X86)
LaneSolver lane_solver_sse2();
LaneSolver lane_solver_avx2();
LaneSolver lane_solver_avx512();
#endif

std::vector<LaneSolver> available_lane_solvers() {
  std::vector<LaneSolver> solvers;
#if defined(CANVEG_LANES_X86)
  const auto cpu = xsimd::available_architectures();
  if (cpu.avx512f && cpu.avx512cd && cpu.avx512dq && cpu.avx512bw) solvers.push_back(lane_solver_avx512());
  if (cpu.avx2 && cpu.fma3_avx2) solvers.push_back(lane_solver_avx2());
  if (cpu.sse2) solvers.push_back(lane_solver_sse2());
#endif
  return solvers;
}

LaneSolver lane_solver(const std::string& isa) {
  const std::vector<LaneSolver> solvers = available_lane_solvers();
  std::string names;
  for (const LaneSolver& s : solvers) {
    if (isa.empty() || isa == s.isa) return s;
    names += (names.empty() ? "" : ", ") + std::string(s.isa);
  }
  if (isa.empty()) return {};
  throw InputError("", 0, "simd",
                   "'" + isa + "' is not an instruction set this program can use on this machine (available: " +
                       (names.empty() ? "none" : names) + ")");
}

LaneSolver lane_solver_for(const std::string& simd) {
  if (simd.empty()) return {};
  if (simd == "auto") {
    // CANVEG_SIMD pins what "auto" means for every run of the process (the same instruction set,
    // hence the same rounding, on every machine of a mixed cluster; "off" for one at a time).
    const char* pinned = std::getenv("CANVEG_SIMD");
    if (pinned && *pinned && std::string(pinned) != "auto") {
      if (std::string(pinned) == "off") return {};
      return lane_solver(pinned);
    }
    return lane_solver();
  }
  return lane_solver(simd);
}

void solve_block(const LaneSolver& lanes, const physics::ColumnModel<double>& model, const ForcingRecord& forcing,
                 std::size_t first, std::size_t n, const LockstepCoupling& coupling, LockstepColumns<double>& cols,
                 BlockHooks& hooks) {
  if (!lanes.solve) {
    solve_lockstep(model, forcing, first, n, coupling, cols, hooks);
    return;
  }
  // The rows are initialised one at a time, their soil conduction maps then built in lanes, and
  // only then handed to the hooks (which may keep the soil columns).
  physics::ColumnModel<double> maps_in_lanes = model;
  maps_in_lanes.conduction_maps_by_caller = true;
  LockstepHooks no_hooks;
  LaneBlock block;
  block.surface_before_first = initialise_lockstep(maps_in_lanes, forcing, first, n, coupling, cols, no_hooks);
  lanes.build_conduction_maps(cols.states.data(), n, model.soil_steps);
  for (std::size_t i = 0; i < n; ++i) hooks.after_init(i, cols.states[i]);
  std::vector<char> has_previous(n);
  for (std::size_t i = 0; i < n; ++i) has_previous[i] = reads_previous_row(coupling, first, i) ? 1 : 0;
  block.model = &model;
  block.states = cols.states.data();
  block.n = n;
  block.has_previous = has_previous.data();
  block.observer = &hooks;
  lanes.solve(block);
}

}  // namespace canveg::run
