// One column iteration of W half-hours taped at once on the lane tape (src/ad/reverse_lanes.hpp):
// the reverse engine's unit of work (reverse_engine.hpp, step 2) with the rows of one iteration,
// which read only checkpoints and are therefore independent, as the lanes of one recording
// (docs/gradients.md, "The tape in lanes"). One implementation per instruction set
// (lane_iteration_tape_<isa>.cpp, compiled for it), chosen by the lane solver's name.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "canveg/gradient.hpp"
#include "canveg/parameters.hpp"
#include "gradient/column_state_io.hpp"

namespace canveg::gradient {

inline constexpr std::size_t kMaxTapeLanes = 8;

// The rows of one recording, lane by lane: lanes from `count` on repeat the last row (so that
// every lane holds a physical state) and are seeded with 0.
struct LaneRows {
  std::size_t count = 0;
  const RowHeader* header[kMaxTapeLanes] = {};
  const double* state[kMaxTapeLanes] = {};      // iterated_size(J, N) values
  bool has_previous[kMaxTapeLanes] = {};        // reads the previous row's surface temperature
  double previous_surface[kMaxTapeLanes] = {};
  // The lanes' constants, lane-major (value m of lane l at [m * W + l]; lanes past count
  // repeating the last row), constants_size(J) vectors.
  const double* packed_constants = nullptr;
  // The same rows (headers) as this LaneIterationTape's previous recording: their set-up (forcing,
  // soil column) is still in its lanes and is not packed again.
  bool same_rows_as_before = false;
};

// Position of value m of row i in an array of `size` values per row laid out lane-major in
// vectors of W rows (the layout the lane tape reads and writes).
inline std::size_t lane_major(std::size_t i, std::size_t m, std::size_t size, std::size_t W) {
  return (i / W * size + m) * W + i % W;
}

class LaneIterationTape {
 public:
  virtual ~LaneIterationTape() = default;
  virtual std::size_t width() const = 0;
  // What a recording holds.
  enum class Recording {
    Full,           // the whole iteration, from the state (leaves) to the next state, LE and NEE
    FluxesOfState,  // the state as leaves, only what LE and NEE read (the unrolled last iteration)
    FluxesOnly      // the state and the surface as constants, only what LE and NEE read (one-step)
  };
  // Tapes the iteration of `rows`, as ReverseEngine::tape_iteration does for one row (leaves:
  // parameters, constants, then the state and the previous surface unless FluxesOnly; the
  // Fluxes recordings stop at LE and NEE, physics::IterationScope::LeAndNee).
  virtual void record(const LaneRows& rows, Recording what) = 0;
  // The taped LE and NEE of each lane (width() values each).
  virtual void fluxes(double* le, double* nee) const = 0;
  // Sweeps the recording seeded with the lanes' next-state adjoints (lane-major: value m of the
  // iterated list of lane l at [m * W + l]; null for none) and the adjoints of their LE and NEE
  // (width() values, null for none).
  virtual void sweep(const double* state_adjoint, const double* d_le, const double* d_nee) = 0;
  // After a sweep, for the first `count` lanes: adds the parameter adjoints summed over the lanes
  // to gradient, adds the constant adjoints to `constants` (lane-major as packed_constants, every
  // lane), writes the state adjoints to `state` (when not null; lane-major as sweep reads them, 0
  // in the lanes from count on) and each lane's previous-surface adjoint to surface[l] (0 where
  // the lane has no previous row).
  virtual void collect(std::size_t count, double* gradient, double* constants, double* state,
                       double* surface) const = 0;
  virtual std::size_t tape_nodes() const = 0;
  virtual std::size_t bytes() const = 0;
};

struct LaneIterationSetup {
  const Model<double>* model = nullptr;
  const ParameterSpace* space = nullptr;
  const std::vector<double>* dij_t = nullptr;
  bool air_above_canopy = false;
};

// The lane-taped iteration for the instruction set `isa` (a run::LaneSolver's name), or null where
// none is built for it.
std::unique_ptr<LaneIterationTape> make_lane_iteration_tape(const std::string& isa, const LaneIterationSetup& setup);

// Releases the calling thread's lane tapes (every instruction set); a worker thread that used one
// calls it before it ends (LaneTapesGuard does).
void release_lane_tapes();
struct LaneTapesGuard {
  LaneTapesGuard() = default;
  LaneTapesGuard(const LaneTapesGuard&) = delete;
  LaneTapesGuard& operator=(const LaneTapesGuard&) = delete;
  ~LaneTapesGuard() { release_lane_tapes(); }
};

}  // namespace canveg::gradient
