// The lock-step solution with half-hours as SIMD lanes (docs/performance.md, "Half-hours as SIMD
// lanes"): the same fixed point as run::solve_lockstep<double>, with W neighbouring half-hours of
// a block solved at once by the physics instantiated on simd::Lanes. One implementation per
// instruction set (lane_solver_<isa>.cpp, each compiled for its own instruction set); the widest
// one the machine runs is chosen when the program starts.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "canveg/forcing.hpp"
#include "physics/column_solver.hpp"
#include "run/lockstep.hpp"

namespace canveg::run {

// Called around every iteration of a lane solution. The block's scalar states hold the current
// lane values during before_iteration(k) when reads_states_before(k), and during
// after_iteration(k) when reads_states_after(k); they are unpacked from the lanes only then. An
// observer that reads no state before or after any iteration is not called per iteration: the
// solver then takes the vectors one at a time through all the iterations (same result).
struct LaneIterationObserver {
  virtual ~LaneIterationObserver() = default;
  virtual bool reads_states_before(int /*k*/) const { return false; }
  virtual bool reads_states_after(int /*k*/) const { return false; }
  virtual void before_iteration(int /*k*/) {}
  virtual void after_iteration(int /*k*/) {}
  // Where the iterated state of the block's rows before iteration k goes: physics::visit_iterated's
  // list, physics::iterated_size values per row, row after row; nullptr: nowhere. The lane solver
  // writes it straight from the lanes, so an observer that reads nothing else lets the vectors be
  // solved one at a time (the states then never leave the cache between iterations).
  virtual double* iterated_state_before(int /*k*/) { return nullptr; }
};

// One lock-step block: n initialised scalar columns in, the same columns after model.niter
// iterations out.
struct LaneBlock {
  const physics::ColumnModel<double>* model = nullptr;
  physics::ColumnState<double>* states = nullptr;  // [n], each bound to its own buffer
  std::size_t n = 0;
  const char* has_previous = nullptr;  // [n]: 1 where row i reads row i-1's surface temperature
  double surface_before_first = 0;     // the surface temperature row 0 reads when it has a predecessor
  LaneIterationObserver* observer = nullptr;
};

struct LaneSolver {
  const char* isa = "";  // instruction set, e.g. "avx2+fma"
  int width = 1;         // half-hours per vector
  void (*solve)(const LaneBlock&) = nullptr;
  // Builds the soil conduction maps of states[0 .. n) (initialised with
  // ColumnModel::conduction_maps_by_caller), W half-hours at once.
  void (*build_conduction_maps)(physics::ColumnState<double>* states, std::size_t n, int soil_steps) = nullptr;
};

// Every lane solver built into the program that this machine can run, widest first.
std::vector<LaneSolver> available_lane_solvers();

// The lane solver a run uses: the widest available one, or the one whose isa is named (for
// tests and benchmarks); throws InputError for an unknown or unavailable name.
LaneSolver lane_solver(const std::string& isa = "");

// The lane solver for RunOptions::simd / GradientOptions::simd: "auto" (the widest, or what the
// environment variable CANVEG_SIMD names: an instruction set or "off"), an instruction set, or ""
// (none: one half-hour at a time).
LaneSolver lane_solver_for(const std::string& simd);

// Hooks of a block solved by solve_block, either way: run::solve_lockstep and the lane solvers
// both call them (virtually).
struct BlockHooks : LaneIterationObserver {
  virtual void after_init(std::size_t /*row in block*/, physics::ColumnState<double>& /*state*/) {}
  void before_iteration(int) override {}
  void after_iteration(int) override {}
};

// Solves rows [first, first + n) as run::solve_lockstep does: in SIMD lanes when `lanes` has a
// solver, else one half-hour at a time.
void solve_block(const LaneSolver& lanes, const physics::ColumnModel<double>& model, const ForcingRecord& forcing,
                 std::size_t first, std::size_t n, const LockstepCoupling& coupling, LockstepColumns<double>& cols,
                 BlockHooks& hooks);

}  // namespace canveg::run
