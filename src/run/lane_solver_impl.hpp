// The lane solver for one instruction set, included by lane_solver_<isa>.cpp only. Everything
// here is a template on the xsimd architecture, so each file compiled for its own instruction set
// emits functions of its own and shares none with the rest of the program (the scalar columns are
// initialised and their outputs computed outside, with the program's common flags).
#pragma once

#include <algorithm>
#include <cstddef>
#include <memory>
#include <utility>
#include <vector>

#include "nn/dense_net.hpp"
#include "physics/column_solver.hpp"
#include "physics/iterated_state.hpp"
#include "run/lane_solver.hpp"
#include "simd/lanes.hpp"

namespace canveg::run::lanes_detail {

template <class A, int K>
using L = simd::Lanes<A, K>;

// The model with every parameter and network weight broadcast to all lanes.
template <class A, int K>
struct LaneModel {
  Parameters<L<A, K>> para;
  std::unique_ptr<L<A, K>[]> weights;
  physics::ColumnModel<L<A, K>> view;

  explicit LaneModel(const physics::ColumnModel<double>& m) {
    for (std::size_t i = 0; i < kParameterCount; ++i) parameter_at(para, i) = L<A, K>(parameter_at(*m.para, i));
    const auto net_size = [](const nn::DenseNetView<double>& n) {
      return n.w0 ? static_cast<std::size_t>(n.width * (n.in_size + 1) + n.width * (n.width + 1) +
                                             n.out_size * (n.width + 1))
                  : std::size_t{0};
    };
    weights.reset(new L<A, K>[net_size(m.leaf_rh_net) + net_size(m.rsoil_net) + 1]);
    L<A, K>* cursor = weights.get();
    const auto broadcast = [&cursor](const double* source, int count) {
      L<A, K>* first = cursor;
      for (int i = 0; i < count; ++i) *cursor++ = L<A, K>(source[i]);
      return static_cast<const L<A, K>*>(first);
    };
    const auto broadcast_net = [&](const nn::DenseNetView<double>& d) {
      nn::DenseNetView<L<A, K>> v;
      v.in_size = d.in_size, v.width = d.width, v.out_size = d.out_size, v.hidden = d.hidden, v.final = d.final;
      if (!d.w0) return v;
      v.w0 = broadcast(d.w0, d.width * d.in_size), v.b0 = broadcast(d.b0, d.width);
      v.w1 = broadcast(d.w1, d.width * d.width), v.b1 = broadcast(d.b1, d.width);
      v.w2 = broadcast(d.w2, d.out_size * d.width), v.b2 = broadcast(d.b2, d.out_size);
      return v;
    };
    physics::ColumnModel<L<A, K>>& v = view;
    v.J = m.J, v.N = m.N;
    v.latitude = m.latitude, v.longitude = m.longitude, v.time_zone = m.time_zone;
    v.leaf_angle_type = m.leaf_angle_type, v.amphistomatous = m.amphistomatous;
    v.leaf_rh = m.leaf_rh, v.soil_respiration = m.soil_respiration, v.niter = m.niter;
    v.single_dark_respiration = m.single_dark_respiration, v.shortwave_sweeps = m.shortwave_sweeps;
    v.implicit_soil_surface = m.implicit_soil_surface, v.soil_steps = m.soil_steps, v.dt_soil = m.dt_soil;
    v.air_above_canopy = m.air_above_canopy;
    v.soil_depth = m.soil_depth, v.canopy_height = m.canopy_height, v.measurement_height = m.measurement_height;
    v.zht = m.zht, v.delz = m.delz, v.dij = m.dij, v.dij_t = m.dij_t;
    v.para = &para;
    v.leaf_rh_net = broadcast_net(m.leaf_rh_net);
    v.rsoil_net = broadcast_net(m.rsoil_net);
    v.var_mean = m.var_mean, v.var_std = m.var_std, v.var_max = m.var_max, v.var_min = m.var_min;
    v.sky = m.sky;
    // Broadcast, not recomputed in lanes, so the constants equal the scalar ones bit for bit.
    const physics::BoundaryLayerConstants<double>& c = m.blc;
    v.blc.pr33 = c.pr33, v.blc.sc33 = c.sc33, v.blc.scc33 = c.scc33, v.blc.grashof = c.grashof;
    v.blc.nu = c.nu, v.blc.d_heat = c.d_heat, v.blc.d_vapor = c.d_vapor, v.blc.d_co2 = c.d_co2;
  }
};

inline constexpr int kMaxMembers = 192;  // of the structures packed member by member (the soil column: 184)

// Packs the members of `count` scalar structures into one structure of lanes. zip(a, b, fn)
// calls fn on each member pair of a and b; lanes past count repeat the last structure, so every
// lane holds a physical state.
template <class A, int K, class LaneStruct, class RowAt, class Zip>
void pack_members(LaneStruct& lanes, std::size_t count, const RowAt& row_at, const Zip& zip) {
  constexpr std::size_t W = L<A, K>::kWidth;
  alignas(64) double values[kMaxMembers][W];
  for (std::size_t l = 0; l < W; ++l) {
    int i = 0;
    zip(lanes, row_at(std::min(l, count - 1)), [&](L<A, K>&, const double& x) { values[i++][l] = x; });
  }
  int i = 0;
  zip(lanes, lanes, [&](L<A, K>& v, L<A, K>&) { v = L<A, K>::load(values[i++]); });
}

// The inverse of pack_members for the first `count` structures: row_at(l) is written from lane l.
template <class A, int K, class LaneStruct, class RowAt, class Zip>
void unpack_members(LaneStruct& lanes, std::size_t count, const RowAt& row_at, const Zip& zip) {
  constexpr std::size_t W = L<A, K>::kWidth;
  alignas(64) double values[kMaxMembers][W];
  int i = 0;
  zip(lanes, lanes, [&](L<A, K>& v, L<A, K>&) { v.store(values[i++]); });
  for (std::size_t l = 0; l < count; ++l) {
    i = 0;
    zip(row_at(l), row_at(l), [&](double& x, double&) { x = values[i++][l]; });
  }
}

// Packs the scalar columns row_at(0 .. count) into lanes (lanes past count repeating the last).
template <class A, int K, class RowAt>
void pack_state_of(const RowAt& row_at, std::size_t count, std::size_t stride, physics::ColumnState<L<A, K>>& lanes) {
  constexpr std::size_t W = L<A, K>::kWidth;
  const double* source[W];
  for (std::size_t l = 0; l < W; ++l) source[l] = row_at(std::min(l, count - 1)).storage();
  L<A, K>* target = lanes.storage();
  alignas(64) double values[W];
  for (std::size_t k = 0; k < stride; ++k) {
    for (std::size_t l = 0; l < W; ++l) values[l] = source[l][k];
    target[k] = L<A, K>::load(values);
  }
  pack_members<A, K>(lanes, count, row_at, [](auto& a, auto& b, auto&& fn) { a.zip_scalars(b, fn); });
  pack_members<A, K>(lanes.forcing, count, [&row_at](std::size_t l) -> const auto& { return row_at(l).forcing; },
                  [](auto& a, auto& b, auto&& fn) { a.zip(b, fn); });
  pack_members<A, K>(lanes.soil, count, [&row_at](std::size_t l) -> const auto& { return row_at(l).soil; },
                  [](auto& a, auto& b, auto&& fn) { a.zip(b, fn); });
}
template <class A, int K>
void pack_state(const physics::ColumnState<double>* rows, std::size_t count, std::size_t stride,
                physics::ColumnState<L<A, K>>& lanes) {
  pack_state_of<A, K>([rows](std::size_t l) -> const physics::ColumnState<double>& { return rows[l]; }, count,
                      stride, lanes);
}

// The iterated part of the state (buffer and scalars) back into the scalar columns
// row_at(0 .. count).
template <class A, int K, class RowAt>
void unpack_state_of(physics::ColumnState<L<A, K>>& lanes, std::size_t count, std::size_t stride,
                     const RowAt& row_at) {
  constexpr std::size_t W = L<A, K>::kWidth;
  const L<A, K>* source = lanes.storage();
  alignas(64) double values[W];
  double* target[W];
  for (std::size_t l = 0; l < count; ++l) target[l] = row_at(l).storage();
  for (std::size_t k = 0; k < stride; ++k) {
    source[k].store(values);
    for (std::size_t l = 0; l < count; ++l) target[l][k] = values[l];
  }
  unpack_members<A, K>(lanes, count, row_at, [](auto& a, auto& b, auto&& fn) { a.zip_scalars(b, fn); });
}
template <class A, int K>
void unpack_state(physics::ColumnState<L<A, K>>& lanes, std::size_t count, std::size_t stride,
                  physics::ColumnState<double>* rows) {
  unpack_state_of<A, K>(lanes, count, stride,
                        [rows](std::size_t l) -> physics::ColumnState<double>& { return rows[l]; });
}

// The soil conduction maps of n scalar columns, computed W at a time in lanes (the operations of
// the scalar soil_conduction_map, lane by lane; equal to round-off).
template <class A, int K>
void build_conduction_maps(physics::ColumnState<double>* states, std::size_t n, int soil_steps) {
  constexpr std::size_t W = L<A, K>::kWidth;
  using Soil = physics::SoilColumnOf<L<A, K>>;
  const auto zip_properties = [](auto& a, auto& b, auto&& fn) { a.zip_properties(b, fn); };
  std::unique_ptr<Soil> lanes(new Soil);
  for (std::size_t first = 0; first < n; first += W) {
    const std::size_t count = std::min(W, n - first);
    pack_members<A, K>(*lanes, count, [&](std::size_t l) -> const auto& { return states[first + l].soil; },
                       zip_properties);
    physics::soil_conduction_map(*lanes, soil_steps);
    unpack_members<A, K>(*lanes, count, [&](std::size_t l) -> physics::SoilColumn& { return states[first + l].soil; },
                         [](auto& a, auto& b, auto&& fn) { a.zip_map(b, fn); });
  }
}

// The iterated state of the vector's first `count` rows into rows[0 .. count) of a checkpoint
// (LaneIterationObserver::iterated_state_before), straight from the lanes.
template <class A, int K>
void save_iterated_lanes(physics::ColumnState<L<A, K>>& lanes, std::size_t count, double* rows) {
  constexpr std::size_t W = L<A, K>::kWidth;
  const std::size_t S = physics::iterated_size(lanes.J, lanes.N);
  std::size_t m = 0;
  physics::visit_iterated(lanes, [&](L<A, K>& x) {
    alignas(64) double values[W];
    x.store(values);
    for (std::size_t l = 0; l < count; ++l) rows[l * S + m] = values[l];
    ++m;
  });
}

// Whether `observer` reads the states of the block before or after any of the n iterations.
inline bool reads_any_states(const LaneIterationObserver* observer, int niter) {
  if (!observer) return false;
  for (int k = 0; k < niter; ++k)
    if (observer->reads_states_before(k) || observer->reads_states_after(k)) return true;
  return false;
}

// Independent half-hours (none reads the one before) whose states no observer reads between
// iterations may share vectors in any order: a lane's result does not depend on its neighbours,
// but a vector's cost does. Where every lane is without light the leaves skip the photosynthesis'
// cubic and the LeafRHDL network, and the shaded leaves copy the sunlit (physics::leaf_fluxes); a
// vector with one lit lane pays for all. In time order about a third of the vectors of a year
// mix night and day (US-Bi1); the half-hours without light first, then the others, mix at most
// one. Returns that order (block rows by lane slot), or an empty list where the block keeps its
// own.
inline std::vector<std::size_t> light_grouped_order(const LaneBlock& job) {
  for (std::size_t i = 0; i < job.n; ++i)
    if (job.has_previous[i]) return {};
  if (job.observer)
    for (int k = 0; k < job.model->niter; ++k)
      if (job.observer->iterated_state_before(k) || job.observer->reads_states_before(k) ||
          job.observer->reads_states_after(k))
        return {};
  std::vector<std::size_t> order;
  order.reserve(job.n);
  for (std::size_t i = 0; i < job.n; ++i)
    if (!(job.states[i].forcing.parin > 0.0)) order.push_back(i);
  for (std::size_t i = 0; i < job.n; ++i)
    if (job.states[i].forcing.parin > 0.0) order.push_back(i);
  return order;
}

// run::solve_lockstep's iteration order, W rows at a time: before iteration k every surface
// temperature is snapshot, and row i reads row i-1's snapshot.
//
// Where no observer reads the states between iterations, the vectors are taken one at a time
// through all the iterations instead: the same operations on the same values, so the same result
// bit for bit, while one vector's state (about 150 kB at 50 layers with AVX-512) stays in the
// core's cache instead of the whole block streaming through it once per iteration. Row i's
// iteration k reads row i-1's surface temperature before that row's iteration k: lane l - 1's
// in the same vector, and for lane 0 the previous vector's last lane's, kept for each iteration.
// Independent half-hours go into the vectors in light_grouped_order.
template <class A, int K>
void solve_vectors_in_turn(const LaneBlock& job, const LaneModel<A, K>& model) {
  constexpr std::size_t W = L<A, K>::kWidth;
  const std::size_t n = job.n;
  const physics::ColumnModel<double>& md = *job.model;
  const std::size_t blocks = (n + W - 1) / W;
  const std::size_t stride = physics::column_storage_size(md.J, md.N);
  std::unique_ptr<L<A, K>[]> buffer(new L<A, K>[stride]);
  std::unique_ptr<physics::ColumnState<L<A, K>>> state(new physics::ColumnState<L<A, K>>);
  state->bind(buffer.get(), md.J, md.N);
  const auto niter = static_cast<std::size_t>(md.niter);
  std::vector<double> last_lane_before(niter, 0.0), this_last_lane(niter, 0.0);  // surface before iteration k
  const std::vector<std::size_t> order = light_grouped_order(job);
  for (std::size_t b = 0; b < blocks; ++b) {
    const std::size_t count = std::min(W, n - b * W);
    const auto row_at = [&](std::size_t l) -> physics::ColumnState<double>& {
      const std::size_t slot = b * W + l;
      return job.states[order.empty() ? slot : order[slot]];
    };
    pack_state_of<A, K>(row_at, count, stride, *state);
    alignas(64) double flags[W];
    for (std::size_t l = 0; l < W; ++l) flags[l] = job.has_previous[b * W + std::min(l, count - 1)] ? 1.0 : 0.0;
    const simd::LaneMask<A, K> has_previous = L<A, K>::load(flags) != 0.0;
    for (std::size_t k = 0; k < niter; ++k) {
      if (double* out = job.observer ? job.observer->iterated_state_before(static_cast<int>(k)) : nullptr)
        save_iterated_lanes<A, K>(*state, count, out + b * W * physics::iterated_size(md.J, md.N));
      alignas(64) double surface[W], previous[W];
      state->t_surface.store(surface);
      previous[0] = b == 0 ? job.surface_before_first : last_lane_before[k];
      for (std::size_t l = 1; l < W; ++l) previous[l] = surface[l - 1];
      this_last_lane[k] = surface[W - 1];
      physics::iterate_column(model.view, *state, has_previous, L<A, K>::load(previous));
    }
    std::swap(last_lane_before, this_last_lane);
    unpack_state_of<A, K>(*state, count, stride, row_at);
  }
}

template <class A, int K>
void solve_block(const LaneBlock& job) {
  constexpr std::size_t W = L<A, K>::kWidth;
  const std::size_t n = job.n;
  if (n == 0) return;
  const physics::ColumnModel<double>& md = *job.model;
  const LaneModel<A, K> model(md);
  LaneIterationObserver* observer = job.observer;
  if (!reads_any_states(observer, md.niter)) {
    solve_vectors_in_turn<A, K>(job, model);
    return;
  }
  const std::size_t blocks = (n + W - 1) / W;
  const std::size_t stride = physics::column_storage_size(md.J, md.N);
  std::unique_ptr<L<A, K>[]> buffer(new L<A, K>[blocks * stride]);
  std::unique_ptr<physics::ColumnState<L<A, K>>[]> states(new physics::ColumnState<L<A, K>>[blocks]);
  std::unique_ptr<simd::LaneMask<A, K>[]> has_previous(new simd::LaneMask<A, K>[blocks]);
  std::unique_ptr<double[]> surface(new double[blocks * W]);
  const auto count_in = [&](std::size_t b) { return std::min(W, n - b * W); };
  for (std::size_t b = 0; b < blocks; ++b) {
    states[b].bind(buffer.get() + b * stride, md.J, md.N);
    pack_state<A, K>(job.states + b * W, count_in(b), stride, states[b]);
    alignas(64) double flags[W];
    for (std::size_t l = 0; l < W; ++l) flags[l] = job.has_previous[b * W + std::min(l, count_in(b) - 1)] ? 1.0 : 0.0;
    has_previous[b] = L<A, K>::load(flags) != 0.0;
  }
  // The scalar states hold the lanes' values before the first iteration (they were packed from
  // them) and after an unpacking; they are unpacked only for an observer call that reads them and
  // at the end.
  bool scalar_states_current = true;
  const auto unpack_all = [&] {
    if (scalar_states_current) return;
    for (std::size_t b = 0; b < blocks; ++b) unpack_state<A, K>(states[b], count_in(b), stride, job.states + b * W);
    scalar_states_current = true;
  };
  for (int k = 0; k < md.niter; ++k) {
    if (double* out = observer->iterated_state_before(k))
      for (std::size_t b = 0; b < blocks; ++b)
        save_iterated_lanes<A, K>(states[b], count_in(b), out + b * W * physics::iterated_size(md.J, md.N));
    if (observer->reads_states_before(k)) unpack_all();
    observer->before_iteration(k);
    for (std::size_t b = 0; b < blocks; ++b) states[b].t_surface.store(surface.get() + b * W);
    for (std::size_t b = 0; b < blocks; ++b) {
      alignas(64) double previous[W];
      for (std::size_t l = 0; l < W; ++l) {
        const std::size_t i = b * W + l;
        previous[l] = i == 0 ? job.surface_before_first : surface[i - 1];
      }
      physics::iterate_column(model.view, states[b], has_previous[b], L<A, K>::load(previous));
    }
    scalar_states_current = false;
    if (observer->reads_states_after(k)) unpack_all();
    observer->after_iteration(k);
  }
  unpack_all();
}

}  // namespace canveg::run::lanes_detail
