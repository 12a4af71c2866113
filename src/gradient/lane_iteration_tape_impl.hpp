// The lane-taped iteration for one instruction set, included by lane_iteration_tape_<isa>.cpp
// only (each compiled for its own instruction set; see run/lane_solver_impl.hpp for why every
// function here is a template on the xsimd architecture).
#pragma once

#include <algorithm>
#include <cstddef>
#include <memory>
#include <vector>

#include "gradient/kernels.hpp"  // first: the LaneVar overloads (see its header)

#include "ad/reverse_lanes.hpp"
#include "gradient/column_state_io.hpp"
#include "gradient/lane_iteration_tape.hpp"
#include "physics/column_outputs.hpp"
#include "physics/column_solver.hpp"
#include "run/column_model.hpp"
#include "run/lane_solver_impl.hpp"

namespace canveg::gradient::lane_tape_detail {

template <class A>
class LaneIterationTapeOf final : public LaneIterationTape {
 public:
  using LV = ad::LaneVar<A>;
  using Row = simd::Lanes<A, 1>;
  static constexpr std::size_t W = LV::kWidth;
  static_assert(W <= kMaxTapeLanes);

  explicit LaneIterationTapeOf(const LaneIterationSetup& setup) : space_(*setup.space) {
    const Model<double>& m = *setup.model;
    J_ = m.setup.n_can_layers;
    N_ = m.setup.n_total_layers;
    S_ = iterated_size(J_, N_);
    C_ = constants_size(J_);
    P_ = space_.size();
    model_ = model_cast<LV>(m);
    dij_t_ = *setup.dij_t;
    cm_ = make_column_model(model_, dij_t_);
    cm_.air_above_canopy = setup.air_above_canopy;
    cm_.conduction_maps_by_caller = true;  // each row's map comes with its header
    buffer_.reset(new LV[physics::column_storage_size(J_, N_)]);
    state_.reset(new physics::ColumnState<LV>);
    state_->bind(buffer_.get(), J_, N_);
    param_ptr_.resize(P_);
    param_value_.resize(P_);
    // The values from the lane model (every lane holds the parameter): code for double types in
    // this file, compiled for its instruction set, could be shared with the rest of the program.
    for (std::size_t k = 0; k < P_; ++k) {
      param_ptr_[k] = space_.locate(model_, k);
      alignas(64) double lanes[W];
      param_ptr_[k]->v.store(lanes);
      param_value_[k] = lanes[0];
    }
  }

  std::size_t width() const override { return W; }

  void record(const LaneRows& rows, Recording what) override {
    const bool fluxes_only = what == Recording::FluxesOnly;
    ad::LaneTape<A>& tape = ad::thread_lane_tape<A>();
    tape.reset();
    swept_ = false;
    physics::ColumnState<LV>& s = *state_;
    const std::size_t count = rows.count;
    const auto lane = [count](std::size_t l) { return std::min(l, count - 1); };

    // The inputs (parameters, constants, state, previous surface) are recorded first, in bulk
    // (LaneTape::inputs): the sweep stops at the first operation after them.
    param_first_ = tape.inputs(P_);
    for (std::size_t k = 0; k < P_; ++k)
      *param_ptr_[k] = LV(Row(param_value_[k]).v[0], param_first_ + static_cast<ad::Index>(k));

    // The half-hours' set-up (forcing, soil column with its conduction map), lane by lane: plain
    // lanes, which the iteration reads only, so they outlast the recording.
    if (!rows.same_rows_as_before) {
      run::lanes_detail::pack_members<A, 1>(
          s.forcing, count, [&](std::size_t l) -> const physics::RowForcing& { return rows.header[l]->forcing; },
          [](auto& a, auto& b, auto&& fn) { a.zip(b, fn); });
      run::lanes_detail::pack_members<A, 1>(
          s.soil, count, [&](std::size_t l) -> const physics::SoilColumn& { return rows.header[l]->soil; },
          [](auto& a, auto& b, auto&& fn) { a.zip(b, fn); });
    }

    const double* source[W];
    const auto gather = [&source](std::size_t m) {
      alignas(64) double v[W];
      for (std::size_t l = 0; l < W; ++l) v[l] = source[l][m];
      return Row::load(v);
    };
    const_first_ = tape.inputs(C_);
    ad::Index id = const_first_;
    const double* packed = rows.packed_constants;
    visit_constants(s, [&](LV& x) {
      x = LV(Row::load(packed).v[0], id++);
      packed += W;
    });
    for (std::size_t l = 0; l < W; ++l) source[l] = rows.state[lane(l)];
    std::size_t m = 0;
    if (fluxes_only) {
      state_first_ = 0;
      visit_iterated(s, [&](LV& x) { x = LV(gather(m++)); });
    } else {
      state_first_ = id = tape.inputs(S_);
      visit_iterated(s, [&](LV& x) { x = LV(gather(m++).v[0], id++); });
    }

    alignas(64) double flags[W], previous[W];
    bool any_previous = false;
    for (std::size_t l = 0; l < W; ++l) {
      flags[l] = rows.has_previous[lane(l)] ? 1.0 : 0.0;
      previous[l] = rows.has_previous[lane(l)] ? rows.previous_surface[lane(l)] : 0.0;
      any_previous = any_previous || rows.has_previous[lane(l)];
    }
    const simd::LaneMask<A, 1> has_previous = Row::load(flags) != 0.0;
    LV previous_surface(Row::load(previous));
    surface_leaf_ = 0;
    if (any_previous && !fluxes_only) {
      surface_leaf_ = tape.inputs(1);
      previous_surface = LV(previous_surface.b(), surface_leaf_);
    }
    for (std::size_t l = 0; l < W; ++l) has_previous_[l] = rows.has_previous[lane(l)];
    cm_.blc = physics::make_boundary_layer_constants(model_.para);  // operations: after the inputs
    physics::iterate_column(cm_, s, has_previous, previous_surface,
                            what == Recording::Full ? physics::IterationScope::Full
                                                    : physics::IterationScope::LeAndNee);
    le_ = physics::column_le(s);
    nee_ = physics::column_nee(s);
  }

  void fluxes(double* le, double* nee) const override {
    le_.v.store(le);
    nee_.v.store(nee);
  }

  void sweep(const double* state_adjoint, const double* d_le, const double* d_nee) override {
    ad::LaneTape<A>& tape = ad::thread_lane_tape<A>();
    if (swept_) tape.zero_adjoints();  // a fresh recording's adjoints are 0 already
    swept_ = true;
    Row* adj = tape.adjoints();
    if (state_adjoint) {
      visit_iterated(*state_, [&](LV& x) {
        if (x.i) adj[x.i] += Row::load(state_adjoint);
        state_adjoint += W;
      });
    }
    if (d_le && le_.i) adj[le_.i] += Row::load(d_le);
    if (d_nee && nee_.i) adj[nee_.i] += Row::load(d_nee);
    adj[0] = Row(0.0);
    tape.reverse();
  }

  void collect(std::size_t count, double* gradient, double* constants, double* state,
               double* surface) const override {
    const Row* adj = ad::thread_lane_tape<A>().adjoints();
    alignas(64) double v[W];
    for (std::size_t k = 0; k < P_; ++k) {
      adj[param_first_ + static_cast<ad::Index>(k)].store(v);
      for (std::size_t l = 0; l < count; ++l) gradient[k] += v[l];
    }
    for (std::size_t m = 0; m < C_; ++m, constants += W) (Row::load(constants) + adj[const_first_ + m]).store(constants);
    if (state) {
      for (std::size_t m = 0; m < S_; ++m, state += W) {
        adj[state_first_ + static_cast<ad::Index>(m)].store(state);
        for (std::size_t l = count; l < W; ++l) state[l] = 0.0;
      }
    }
    if (surface) {
      if (surface_leaf_) adj[surface_leaf_].store(v);
      for (std::size_t l = 0; l < count; ++l) surface[l] = surface_leaf_ && has_previous_[l] ? v[l] : 0.0;
    }
  }

  std::size_t tape_nodes() const override { return ad::thread_lane_tape<A>().size(); }
  std::size_t bytes() const override {
    return ad::thread_lane_tape<A>().bytes() + physics::column_storage_size(J_, N_) * sizeof(LV);
  }

 private:
  const ParameterSpace& space_;
  int J_ = 0, N_ = 0;
  std::size_t S_ = 0, C_ = 0, P_ = 0;
  Model<LV> model_;
  std::vector<double> dij_t_;
  physics::ColumnModel<LV> cm_;
  std::unique_ptr<LV[]> buffer_;
  std::unique_ptr<physics::ColumnState<LV>> state_;
  std::vector<LV*> param_ptr_;
  std::vector<double> param_value_;
  ad::Index param_first_ = 0, const_first_ = 0, state_first_ = 0, surface_leaf_ = 0;
  bool has_previous_[W] = {};
  bool swept_ = false;  // whether the current recording has been swept (its adjoints are not 0)
  LV le_, nee_;
};

}  // namespace canveg::gradient::lane_tape_detail
