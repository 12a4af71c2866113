// The lock-step driver: contiguous half-hours stepped through the fixed point together
// (docs/model.md 1.4, 1.5), for any scalar type. Every forward solution in canveg goes through
// solve_lockstep: `canveg run` (run_model, in chunks with a halo), the loss and its gradient (one
// call per training batch, with checkpoint hooks), and the side-by-side tests against
// JAX-CanVeg.
//
// Time coupling: JAX-CanVeg iterates every row of an array in lock-step, and in iteration k the
// soil storage term of row t reads row t-1's soil-surface temperature after iteration k-1. The
// driver keeps that order: before iteration k it snapshots all surface temperatures, then
// iterates every row with its predecessor's snapshot.
#pragma once

#include <cstddef>
#include <type_traits>
#include <vector>

#include "canveg/forcing.hpp"
#include "physics/column_solver.hpp"
#include "physics/iterated_state.hpp"
#include "run/column_model.hpp"

namespace canveg::run {

// The buffers of one lock-step block, reused from call to call.
template <class T>
struct LockstepColumns {
  std::vector<T> buffer;
  std::vector<physics::ColumnState<T>> states;
  std::vector<T> snapshot;  // surface temperatures before the current iteration
  std::size_t bytes() const {
    return buffer.capacity() * sizeof(T) + states.capacity() * sizeof(physics::ColumnState<T>) +
           snapshot.capacity() * sizeof(T);
  }
};

// Which rows of a block read their predecessor's surface temperature.
struct LockstepCoupling {
  // 1 where record row r starts an array (its storage term is zero); null: only the block's
  // first row does (a JAX-CanVeg call over exactly these rows).
  const std::vector<char>* restarts = nullptr;
  // No row reads its predecessor (independent half-hours, JAX-CanVeg with batch size 1).
  bool independent = false;
};

// Calls made by solve_lockstep at fixed points of the solution; derive and override any.
struct LockstepHooks {
  template <class State>
  void after_init(std::size_t /*row in block*/, State& /*state*/) {}
  void before_iteration(int /*k*/) {}
  void after_iteration(int /*k*/) {}
  double* iterated_state_before(int /*k*/) { return nullptr; }  // as LaneIterationObserver's
};

// Whether row i of a block starting at record row `first` reads its predecessor's surface temperature.
inline bool reads_previous_row(const LockstepCoupling& coupling, std::size_t first, std::size_t i) {
  if (coupling.independent) return false;
  if (coupling.restarts) return !(*coupling.restarts)[first + i];
  return i > 0;
}

// The first half of solve_lockstep: binds and initialises the n columns of the block; returns the
// surface temperature the block's first row reads when it has a predecessor.
template <class T, class Hooks>
T initialise_lockstep(const physics::ColumnModel<T>& model, const ForcingRecord& forcing, std::size_t first,
                      std::size_t n, const LockstepCoupling& coupling, LockstepColumns<T>& cols, Hooks& hooks) {
  const std::size_t stride = physics::column_storage_size(model.J, model.N);
  if (cols.buffer.size() < n * stride) cols.buffer.resize(n * stride);
  if (cols.states.size() < n) cols.states.resize(n);
  if (cols.snapshot.size() < n) cols.snapshot.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    cols.states[i].bind(cols.buffer.data() + i * stride, model.J, model.N);
    physics::initialise_column(model, row_forcing(forcing, first + i), cols.states[i]);
    hooks.after_init(i, cols.states[i]);
  }
  return n > 0 && reads_previous_row(coupling, first, 0) && first > 0
             ? T(physics::initial_surface_temperature(row_forcing(forcing, first - 1)))
             : T(0.0);
}

// Solves record rows [first, first + n) in lock-step into cols.states[0 .. n). When the first row
// is coupled to a row before the block, that row is taken at its initial state (its surface
// temperature before any iteration); callers that need the exact coupled solution start the
// block niter - 1 rows earlier (a halo: information travels one row per iteration).
template <class T, class Hooks = LockstepHooks>
void solve_lockstep(const physics::ColumnModel<T>& model, const ForcingRecord& forcing, std::size_t first,
                    std::size_t n, const LockstepCoupling& coupling, LockstepColumns<T>& cols, Hooks&& hooks = {}) {
  const T before_first = initialise_lockstep(model, forcing, first, n, coupling, cols, hooks);
  const auto has_previous = [&](std::size_t i) { return reads_previous_row(coupling, first, i); };
  for (int k = 0; k < model.niter; ++k) {
    if constexpr (std::is_same_v<T, double>) {
      if (double* out = hooks.iterated_state_before(k)) {
        for (std::size_t i = 0; i < n; ++i) physics::visit_iterated(cols.states[i], [&out](double& x) { *out++ = x; });
      }
    }
    hooks.before_iteration(k);
    for (std::size_t i = 0; i < n; ++i) cols.snapshot[i] = cols.states[i].t_surface;
    for (std::size_t i = 0; i < n; ++i) {
      const T previous = i == 0 ? before_first : cols.snapshot[i - 1];
      physics::iterate_column(model, cols.states[i], has_previous(i), previous);
    }
    hooks.after_iteration(k);
  }
}

}  // namespace canveg::run
