// Reverse-mode gradient of one batch; see reverse_engine.hpp and docs/gradients.md.
#include "gradient/reverse_engine.hpp"

#include <algorithm>
#include <cmath>
#include <functional>

#include "physics/column_outputs.hpp"

namespace canveg::gradient {

ReverseEngine::ReverseEngine(const SharedProblem& problem) : p_(problem) {
  const Model<double>& m = *p_.model;
  J_ = m.setup.n_can_layers;
  N_ = m.setup.n_total_layers;
  niter_ = m.setup.niter;
  S_ = iterated_size(J_, N_);
  C_ = constants_size(J_);
  P_ = p_.space->size();
  surface_ = surface_index(J_, N_);

  model_v_ = model_cast<Var>(m);
  dij_t_ = p_.dij_t;
  cm_v_ = make_column_model(model_v_, dij_t_);
  cm_v_.air_above_canopy = p_.cm.air_above_canopy;
  // Taped iterations take each row's soil column, conduction map included, from its header;
  // the taped initialisation does not use the map.
  cm_v_.conduction_maps_by_caller = true;
  buffer_v_.resize(physics::column_storage_size(J_, N_));
  s_v_.bind(buffer_v_.data(), J_, N_);
  clumping_ = P_;
  const auto clumping_index = static_cast<int>(field_index(kParameterFields, "leaf_clumping_factor"));
  for (std::size_t k = 0; k < P_; ++k)
    if (p_.space->refs()[k].kind == ParameterRef::Kind::Scalar && p_.space->refs()[k].index == clumping_index)
      clumping_ = k;
  param_ptr_.resize(P_);
  param_value_.resize(P_);
  for (std::size_t k = 0; k < P_; ++k) {
    param_ptr_[k] = p_.space->locate(model_v_, k);
    param_value_[k] = param_ptr_[k]->v;
  }
  if (p_.options.lane_tape && p_.options.method != FixedPointGradient::Implicit && p_.lanes.solve) {
    LaneIterationSetup setup;
    setup.model = &m;
    setup.space = p_.space;
    setup.dij_t = &p_.dij_t;
    setup.air_above_canopy = p_.cm.air_above_canopy;
    lane_tape_ = make_lane_iteration_tape(p_.lanes.isa, setup);
  }
}

void ReverseEngine::note_memory() {
  auto cap = [](const auto& v) { return v.capacity() * sizeof(typename std::decay_t<decltype(v)>::value_type); };
  const std::size_t bytes = cols_.bytes() + cap(headers_) + cap(constants_) + cap(checkpoints_) + cap(le_) +
                            cap(nee_) + cap(d_le_) + cap(d_nee_) + cap(adj_next_) + cap(adj_prev_) +
                            cap(adj_const_) + cap(adj_init_) + cap(coupling_) + cap(coupling_before_) +
                            cap(packed_constants_) + cap(packed_constant_adjoints_) +
                            cap(lambda_) + cap(lambda_new_) + cap(buffer_v_) +
                            ad::thread_tape().bytes() + (lane_tape_ ? lane_tape_->bytes() : 0);
  peak_bytes_ = std::max(peak_bytes_, bytes);
}

// ----- forward ------------------------------------------------------------------------------

void ReverseEngine::forward(std::size_t begin, std::size_t n, bool independent, bool all_checkpoints,
                            bool last_iteration) {
  const std::size_t n_ckpt = all_checkpoints ? static_cast<std::size_t>(niter_) : 1;
  headers_.resize(n);
  constants_.resize(n * C_);
  checkpoints_.resize(n_ckpt * n * S_);
  // Checkpoints: each row's constants after its initialisation, and the iterated state of all rows
  // before every iteration (or only before the last one).
  struct CheckpointHooks : run::BlockHooks {
    ReverseEngine& e;
    std::size_t n;
    bool all;
    CheckpointHooks(ReverseEngine& engine, std::size_t rows, bool every) : e(engine), n(rows), all(every) {}
    void after_init(std::size_t i, physics::ColumnState<double>& s) override {
      e.headers_[i] = header_of(s);
      save_constants(s, e.constants_.data() + i * e.C_);
    }
    double* iterated_state_before(int k) override {
      if (!all && k != e.niter_ - 1) return nullptr;
      const std::size_t slot = all ? static_cast<std::size_t>(k) : 0;
      return e.checkpoints_.data() + slot * n * e.S_;
    }
  } hooks(*this, n, all_checkpoints);
  le_.resize(n);
  nee_.resize(n);
  if (!last_iteration) {
    // The one-step rule tapes the last iteration from the state before it, and that taped
    // iteration gives LE and NEE: the double forward stops before it, and its final states are
    // the checkpoint.
    physics::ColumnModel<double> all_but_last = p_.cm;
    all_but_last.niter = niter_ - 1;
    run::solve_block(p_.lanes, all_but_last, *p_.forcing, begin, n, run::LockstepCoupling{nullptr, independent},
                     cols_, hooks);
    for (std::size_t i = 0; i < n; ++i) save_iterated(cols_.states[i], checkpoints_.data() + i * S_);
    return;
  }
  run::solve_block(p_.lanes, p_.cm, *p_.forcing, begin, n, run::LockstepCoupling{nullptr, independent}, cols_, hooks);
  for (std::size_t i = 0; i < n; ++i) {
    le_[i] = physics::column_le(cols_.states[i]);
    nee_[i] = physics::column_nee(cols_.states[i]);
  }
}

// ----- taping -------------------------------------------------------------------------------

void ReverseEngine::bind_parameter_leaves() {
  param_first_ = static_cast<ad::Index>(ad::thread_tape().size());
  for (std::size_t k = 0; k < P_; ++k) *param_ptr_[k] = Var::leaf(param_value_[k]);
  cm_v_.blc = physics::make_boundary_layer_constants(model_v_.para);
}

void ReverseEngine::tape_iteration(std::size_t row, const double* state, bool has_previous, double previous_surface,
                                   bool fluxes_only) {
  ad::Tape& tape = ad::thread_tape();
  tape.reset();
  bind_parameter_leaves();
  apply_header(headers_[row], s_v_);
  const double* c = constants_.data() + row * C_;
  const_first_ = static_cast<ad::Index>(tape.size());
  visit_constants(s_v_, [&c](Var& x) { x = Var::leaf(*c++); });
  state_first_ = static_cast<ad::Index>(tape.size());
  if (fluxes_only)
    visit_iterated(s_v_, [&state](Var& x) { x = Var(*state++); });
  else
    visit_iterated(s_v_, [&state](Var& x) { x = Var::leaf(*state++); });
  Var previous(0.0);
  surface_leaf_ = 0;
  if (has_previous) {
    previous = fluxes_only ? Var(previous_surface) : Var::leaf(previous_surface);
    surface_leaf_ = previous.i;
  }
  physics::iterate_column(cm_v_, s_v_, has_previous, previous,
                          fluxes_only ? physics::IterationScope::LeAndNee : physics::IterationScope::Full);
  le_v_ = physics::column_le(s_v_);
  nee_v_ = physics::column_nee(s_v_);
  max_tape_nodes_ = std::max(max_tape_nodes_, tape.size());
}

void ReverseEngine::tape_initialisation(std::size_t row) {
  ad::Tape& tape = ad::thread_tape();
  tape.reset();
  bind_parameter_leaves();
  physics::initialise_column(cm_v_, headers_[row].forcing, s_v_);
  max_tape_nodes_ = std::max(max_tape_nodes_, tape.size());
}

// Seeds the adjoints of the taped iteration's outputs: the next iterated state (if given) and,
// at the last iteration, the loss derivatives with respect to the row's LE and NEE.
void ReverseEngine::seed_outputs(const double* state_adjoint, const double* d_le, const double* d_nee,
                                 std::size_t row) {
  double* adj = ad::thread_tape().adjoints();
  if (state_adjoint) {
    visit_iterated(s_v_, [&](Var& x) {
      if (x.i) adj[x.i] += *state_adjoint;
      ++state_adjoint;
    });
  }
  if (d_le) {
    adj[le_v_.i] += d_le[row];
    adj[nee_v_.i] += d_nee[row];
    adj[0] = 0.0;  // constants point at the sink
  }
}

void ReverseEngine::collect_parameters(double* gradient) const {
  const double* adj = ad::thread_tape().adjoints();
  for (std::size_t k = 0; k < P_; ++k) gradient[k] += adj[param_first_ + static_cast<ad::Index>(k)];
}

// ----- reverse sweeps -----------------------------------------------------------------------

void ReverseEngine::reverse_unrolled(std::size_t n, bool independent, double* gradient) {
  adj_next_.assign(n * S_, 0.0);
  adj_prev_.resize(n * S_);
  adj_const_.assign(n * C_, 0.0);
  for (int k = niter_ - 1; k >= 0; --k) {
    const bool last = k == niter_ - 1;
    const double* ckpt = checkpoints_.data() + static_cast<std::size_t>(k) * n * S_;
    for (std::size_t i = 0; i < n; ++i) {
      const bool has_previous = !independent && i > 0;
      const double prev_surface = has_previous ? ckpt[(i - 1) * S_ + surface_] : 0.0;
      tape_iteration(i, ckpt + i * S_, has_previous, prev_surface);
      ad::Tape& tape = ad::thread_tape();
      tape.zero_adjoints();
      seed_outputs(last ? nullptr : adj_next_.data() + i * S_, last ? d_le_.data() : nullptr,
                   last ? d_nee_.data() : nullptr, i);
      tape.reverse();
      const double* adj = tape.adjoints();
      collect_parameters(gradient);
      double* ac = adj_const_.data() + i * C_;
      for (std::size_t m = 0; m < C_; ++m) ac[m] += adj[const_first_ + static_cast<ad::Index>(m)];
      double* ap = adj_prev_.data() + i * S_;
      for (std::size_t m = 0; m < S_; ++m) ap[m] = adj[state_first_ + static_cast<ad::Index>(m)];
      if (surface_leaf_) adj_prev_[(i - 1) * S_ + surface_] += adj[surface_leaf_];
      if (i == 0 || i + 1 == n) note_memory();
    }
    std::swap(adj_next_, adj_prev_);
  }
  reverse_initialisation(n, adj_next_.data(), gradient);
}

LaneRows ReverseEngine::lane_rows(std::size_t first, std::size_t count, const double* states, bool independent) const {
  LaneRows rows;
  rows.count = count;
  rows.packed_constants = packed_constants_.data() + first * C_;  // pack_constants
  for (std::size_t l = 0; l < count; ++l) {
    const std::size_t i = first + l;
    rows.header[l] = &headers_[i];
    rows.state[l] = states + i * S_;
    rows.has_previous[l] = !independent && i > 0;
    rows.previous_surface[l] = rows.has_previous[l] ? states[(i - 1) * S_ + surface_] : 0.0;
  }
  return rows;
}

// The batch's constants lane-major for the lane tape (lanes past the last row repeating it), and
// their adjoints' array zeroed.
void ReverseEngine::pack_constants(std::size_t n, std::size_t W) {
  const std::size_t rows = (n + W - 1) / W * W;
  packed_constants_.resize(rows * C_);
  packed_constant_adjoints_.assign(rows * C_, 0.0);
  for (std::size_t i = 0; i < rows; ++i) {
    const double* row = constants_.data() + std::min(i, n - 1) * C_;
    for (std::size_t m = 0; m < C_; ++m) packed_constants_[lane_major(i, m, C_, W)] = row[m];
  }
}

// adj_const_ = the lane tape's constant adjoints, in rows order.
void ReverseEngine::unpack_constant_adjoints(std::size_t n, std::size_t W) {
  adj_const_.assign(n * C_, 0.0);  // 0 + each sum: its value bit for bit as summed row by row
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t m = 0; m < C_; ++m) adj_const_[i * C_ + m] += packed_constant_adjoints_[lane_major(i, m, C_, W)];
}

// Vector by vector, last to first, each through its iterations last to first: a vector's rows are
// recorded with the same set-up 15 times in a row (packed once, LaneRows::same_rows_as_before),
// and its state adjoints stay in the cache. The storage coupling carries the adjoint of a row's
// previous-surface input to the row before it at the same checkpoint: within the vector, to the
// lane before; from lane 0, to the last lane of the vector before, which comes next and receives
// it (coupling_[k]) after its own recording of iteration k has written that state's adjoint.
void ReverseEngine::reverse_unrolled_lanes(std::size_t n, bool independent, double* gradient) {
  LaneIterationTape& lanes = *lane_tape_;
  const std::size_t W = lanes.width();
  const std::size_t vectors = (n + W - 1) / W;
  const auto niter = static_cast<std::size_t>(niter_);
  // The state adjoints of one vector, lane-major as the lane tape reads and writes them
  // (lane_major): after the iteration being swept (next) and before it (prev).
  adj_next_.assign(W * S_, 0.0);
  adj_prev_.assign(W * S_, 0.0);
  adj_init_.assign(n * S_, 0.0);  // every row's initial-state adjoint, rows order
  coupling_.assign(niter, 0.0);
  coupling_before_.assign(niter, 0.0);
  double d_le[kMaxTapeLanes], d_nee[kMaxTapeLanes], surface[kMaxTapeLanes];
  pack_constants(n, W);  // their adjoints summed over the iterations
  for (std::size_t v = vectors; v-- > 0;) {
    const std::size_t first = v * W;
    const std::size_t count = std::min(W, n - first);
    std::fill(coupling_before_.begin(), coupling_before_.end(), 0.0);
    for (std::size_t k = niter; k-- > 0;) {
      const bool last = k + 1 == niter;
      const double* ckpt = checkpoints_.data() + k * n * S_;
      LaneRows rows = lane_rows(first, count, ckpt, independent);
      rows.same_rows_as_before = !last;
      for (std::size_t l = 0; l < W; ++l) {
        const bool real = l < count;
        d_le[l] = real && last ? d_le_[first + l] : 0.0;
        d_nee[l] = real && last ? d_nee_[first + l] : 0.0;
      }
      // The last iteration's next state is read by nothing: its recording stops at LE and NEE.
      lanes.record(rows, last ? LaneIterationTape::Recording::FluxesOfState : LaneIterationTape::Recording::Full);
      max_tape_nodes_ = std::max(max_tape_nodes_, lanes.tape_nodes());
      lanes.sweep(last ? nullptr : adj_next_.data(), last ? d_le : nullptr, last ? d_nee : nullptr);
      lanes.collect(count, gradient, packed_constant_adjoints_.data() + first * C_, adj_prev_.data(), surface);
      // From the vector after this one (its lane 0), to this one's last row.
      if (v + 1 < vectors) adj_prev_[lane_major(W - 1, surface_, S_, W)] += coupling_[k];
      for (std::size_t l = 0; l < count; ++l) {
        if (!rows.has_previous[l]) continue;
        if (l > 0)
          adj_prev_[lane_major(l - 1, surface_, S_, W)] += surface[l];
        else
          coupling_before_[k] = surface[0];
      }
      if (v + 1 == vectors || v == 0) note_memory();
      std::swap(adj_next_, adj_prev_);
    }
    std::swap(coupling_, coupling_before_);
    for (std::size_t l = 0; l < count; ++l)
      for (std::size_t m = 0; m < S_; ++m) adj_init_[(first + l) * S_ + m] = adj_next_[lane_major(l, m, S_, W)];
  }
  unpack_constant_adjoints(n, W);
  reverse_initialisation(n, adj_init_.data(), gradient);
}

// The one-step rule with the rows taped W at a time: its rows are independent (the state and the
// previous row's surface enter as constants), so each vector is one recording and one sweep.
void ReverseEngine::reverse_one_step_lanes(std::size_t n, bool independent, const double* le_obs,
                                           const double* nee_obs, double* gradient) {
  LaneIterationTape& lanes = *lane_tape_;
  const std::size_t W = lanes.width();
  const double* xlast = checkpoints_.data();
  double le[kMaxTapeLanes], nee[kMaxTapeLanes], d_le[kMaxTapeLanes], d_nee[kMaxTapeLanes];
  pack_constants(n, W);
  for (std::size_t first = 0; first < n; first += W) {
    const LaneRows rows = lane_rows(first, std::min(W, n - first), xlast, independent);
    lanes.record(rows, LaneIterationTape::Recording::FluxesOnly);
    max_tape_nodes_ = std::max(max_tape_nodes_, lanes.tape_nodes());
    lanes.fluxes(le, nee);
    for (std::size_t l = 0; l < W; ++l) {
      d_le[l] = d_nee[l] = 0.0;
      if (l >= rows.count) continue;
      const std::size_t i = first + l;
      le_[i] = le[l];
      nee_[i] = nee[l];
      row_loss_seeds(le_[i], nee_[i], le_obs[i], nee_obs[i], n, p_.loss, d_le[l], d_nee[l]);
    }
    lanes.sweep(nullptr, d_le, d_nee);
    lanes.collect(rows.count, gradient, packed_constant_adjoints_.data() + first * C_, nullptr, nullptr);
    if (first == 0 || first + W >= n) note_memory();
  }
  unpack_constant_adjoints(n, W);
  reverse_initialisation(n, nullptr, gradient);
}

// Implicit-function theorem at the final state x* (the input of the last iteration), or the
// one-step rule. With F the taped iteration, h the outputs (LE, NEE) and ybar their loss
// adjoints, lambda solves (I - F_x^T) lambda = h_x^T ybar (+ the storage coupling from the next
// row), per row, rows last to first (the coupling runs from row t to row t + 1 only, so the
// system is block triangular). Each product with F_x^T is one reverse sweep of the same tape;
// the system is solved with restarted GMRES (the Neumann series lambda <- h_x^T ybar +
// F_x^T lambda diverges where the iteration has an eigenvalue beyond -1, e.g. rows whose
// forward iteration ends in a 2-cycle). The parameter gradient is h_p^T ybar + F_p^T lambda,
// from a last sweep seeded with ybar and lambda. One-step: lambda = 0, one sweep.
int ReverseEngine::reverse_fixed_point(std::size_t n, bool independent, bool one_step, const double* le_obs,
                                       const double* nee_obs, double* gradient) {
  adj_const_.assign(n * C_, 0.0);
  lambda_.assign(S_, 0.0);
  lambda_new_.assign(S_, 0.0);
  const double* xlast = checkpoints_.data();
  int most = 0;
  double coupling = 0.0;  // adjoint of this row's surface temperature coming from the next row
  ad::Tape& tape = ad::thread_tape();
  for (std::size_t ii = n; ii-- > 0;) {
    const bool has_previous = !independent && ii > 0;
    const double prev_surface = has_previous ? xlast[(ii - 1) * S_ + surface_] : 0.0;
    tape_iteration(ii, xlast + ii * S_, has_previous, prev_surface, /*fluxes_only=*/one_step);
    if (one_step) {  // the forward stopped before this iteration: its LE and NEE come from the tape
      le_[ii] = le_v_.v;
      nee_[ii] = nee_v_.v;
      row_loss_seeds(le_[ii], nee_[ii], le_obs[ii], nee_obs[ii], n, p_.loss, d_le_[ii], d_nee_[ii]);
    }
    std::fill(lambda_.begin(), lambda_.end(), 0.0);
    int sweeps = 0;
    if (!one_step) {
      // Components that the iteration passes through unchanged (the soil's lower-boundary node)
      // are constants of the half-hour, not unknowns of the fixed point: I - F_x is singular
      // there, so their adjoint is held at zero.
      passthrough_.assign(S_, 0);
      {
        std::size_t m = 0;
        visit_iterated(s_v_, [&](Var& x) {
          passthrough_[m] = x.i == state_first_ + static_cast<ad::Index>(m);
          ++m;
        });
      }
      // Right-hand side h_x^T ybar + coupling.
      tape.zero_adjoints();
      seed_outputs(nullptr, d_le_.data(), d_nee_.data(), ii);
      tape.reverse();
      ++sweeps;
      const double* adj = tape.adjoints();
      for (std::size_t m = 0; m < S_; ++m) lambda_new_[m] = passthrough_[m] ? 0.0 : adj[state_first_ + static_cast<ad::Index>(m)];
      lambda_new_[surface_] += coupling;
      // v -> (I - F_x^T) v.
      auto apply = [&](const double* v, double* out) {
        tape.zero_adjoints();
        seed_outputs(v, nullptr, nullptr, ii);
        tape.reverse();
        ++sweeps;
        const double* ad = tape.adjoints();
        for (std::size_t m = 0; m < S_; ++m)
          out[m] = passthrough_[m] ? v[m] : v[m] - ad[state_first_ + static_cast<ad::Index>(m)];
      };
      const bool converged = gmres(apply, lambda_new_.data(), lambda_.data());
      bool finite = true;
      for (double v : lambda_) finite = finite && std::isfinite(v);
      if (!finite) std::fill(lambda_.begin(), lambda_.end(), 0.0);
      if (!converged || !finite) ++unconverged_;
    }
    tape.zero_adjoints();
    seed_outputs(one_step ? nullptr : lambda_.data(), d_le_.data(), d_nee_.data(), ii);
    tape.reverse();
    ++sweeps;
    most = std::max(most, sweeps);
    const double* adj = tape.adjoints();
    collect_parameters(gradient);
    double* ac = adj_const_.data() + ii * C_;
    for (std::size_t m = 0; m < C_; ++m) ac[m] += adj[const_first_ + static_cast<ad::Index>(m)];
    coupling = (!one_step && surface_leaf_) ? adj[surface_leaf_] : 0.0;
    if (ii == 0 || ii + 1 == n) note_memory();
  }
  reverse_initialisation(n, nullptr, gradient);
  return most;
}

// Restarted GMRES for A x = b (A applied by `apply`), x from 0, until ||b - A x|| <= tol ||b||
// or the sweep budget is spent. Returns whether it converged.
bool ReverseEngine::gmres(const std::function<void(const double*, double*)>& apply, const double* b, double* x) {
  const std::size_t n = S_;
  const int restart = 40;
  const double tol = p_.options.implicit_tolerance;
  const int budget = std::max(1, p_.options.implicit_max_sweeps);
  auto norm = [n](const double* v) {
    double s = 0.0;
    for (std::size_t i = 0; i < n; ++i) s += v[i] * v[i];
    return std::sqrt(s);
  };
  const double bnorm = norm(b);
  std::fill(x, x + n, 0.0);
  if (bnorm == 0.0) return true;
  krylov_.resize(static_cast<std::size_t>(restart + 1) * n);
  std::vector<double> h(static_cast<std::size_t>(restart + 1) * restart), cs(restart), sn(restart), g(restart + 1), w(n);
  int used = 0;
  for (;;) {
    // r = b - A x.
    double* v0 = krylov_.data();
    apply(x, w.data());
    ++used;
    for (std::size_t i = 0; i < n; ++i) v0[i] = b[i] - w[i];
    double beta = norm(v0);
    if (!(beta > tol * bnorm)) return std::isfinite(beta);
    if (used >= budget) return false;
    for (std::size_t i = 0; i < n; ++i) v0[i] /= beta;
    std::fill(g.begin(), g.end(), 0.0);
    g[0] = beta;
    int k = 0;
    for (; k < restart && used < budget; ++k) {
      double* vk = krylov_.data() + static_cast<std::size_t>(k) * n;
      double* vn = krylov_.data() + static_cast<std::size_t>(k + 1) * n;
      apply(vk, vn);
      ++used;
      for (int j = 0; j <= k; ++j) {  // modified Gram-Schmidt
        const double* vj = krylov_.data() + static_cast<std::size_t>(j) * n;
        double d = 0.0;
        for (std::size_t i = 0; i < n; ++i) d += vn[i] * vj[i];
        h[static_cast<std::size_t>(j) * restart + k] = d;
        for (std::size_t i = 0; i < n; ++i) vn[i] -= d * vj[i];
      }
      const double hn = norm(vn);
      h[static_cast<std::size_t>(k + 1) * restart + k] = hn;
      if (hn > 0.0)
        for (std::size_t i = 0; i < n; ++i) vn[i] /= hn;
      for (int j = 0; j < k; ++j) {  // previous rotations
        double& a = h[static_cast<std::size_t>(j) * restart + k];
        double& c = h[static_cast<std::size_t>(j + 1) * restart + k];
        const double t = cs[j] * a + sn[j] * c;
        c = -sn[j] * a + cs[j] * c;
        a = t;
      }
      double& a = h[static_cast<std::size_t>(k) * restart + k];
      double& c = h[static_cast<std::size_t>(k + 1) * restart + k];
      const double r = std::hypot(a, c);
      cs[k] = r > 0.0 ? a / r : 1.0;
      sn[k] = r > 0.0 ? c / r : 0.0;
      a = r;
      c = 0.0;
      g[k + 1] = -sn[k] * g[k];
      g[k] = cs[k] * g[k];
      if (std::abs(g[k + 1]) <= tol * bnorm || hn == 0.0) {
        ++k;
        break;
      }
    }
    // x += V y with H y = g (upper triangular k x k).
    std::vector<double> y(static_cast<std::size_t>(k), 0.0);
    for (int j = k - 1; j >= 0; --j) {
      double t = g[j];
      for (int l = j + 1; l < k; ++l) t -= h[static_cast<std::size_t>(j) * restart + l] * y[l];
      const double d = h[static_cast<std::size_t>(j) * restart + j];
      y[j] = d != 0.0 ? t / d : 0.0;
    }
    for (int j = 0; j < k; ++j) {
      const double* vj = krylov_.data() + static_cast<std::size_t>(j) * n;
      for (std::size_t i = 0; i < n; ++i) x[i] += y[j] * vj[i];
    }
  }
}

// Tapes each row's initialisation and sweeps it with the adjoints of the constants and (unrolled)
// of the initial state.
void ReverseEngine::reverse_initialisation(std::size_t n, const double* state_adjoint, double* gradient) {
  for (std::size_t i = 0; i < n; ++i) {
    tape_initialisation(i);
    ad::Tape& tape = ad::thread_tape();
    tape.zero_adjoints();
    double* adj = tape.adjoints();
    const double* ac = adj_const_.data() + i * C_;
    const bool jax = p_.options.method == FixedPointGradient::JaxOneStep;
    visit_constants(s_v_, [&](Var& x) {
      // JaxOneStep: tau_d and the soil's initial longwave are non-differentiated inputs.
      const bool detached = jax && (&x == &s_v_.tau_diffuse || &x == &s_v_.lout_soil_init);
      if (x.i && !detached) adj[x.i] += *ac;
      ++ac;
    });
    if (state_adjoint) seed_outputs(state_adjoint + i * S_, nullptr, nullptr, i);
    adj[0] = 0.0;
    tape.reverse();
    collect_parameters(gradient);
    // JaxOneStep: inside the initialisation tau_d still passes the adjoint of the shortwave fields
    // on to the clumping factor; take that path out: adj(tau_d) x dtau_d / dOmega.
    if (jax && clumping_ < P_ && s_v_.tau_diffuse.i) {
      const double lai_layer = s_v_.leaf_area_per_layer.v;
      ad::Dual<1> x(lai_layer * param_value_[clumping_]);
      x.d[0] = lai_layer;
      const ad::Dual<1> tau = physics::diffuse_transmissivity(cm_v_.sky, x);
      gradient[clumping_] -= adj[s_v_.tau_diffuse.i] * tau.d[0];
    }
  }
  note_memory();
}

void ReverseEngine::run_batch(std::size_t begin, std::size_t n, bool independent, BatchGradient& out) {
  const FixedPointGradient method = p_.options.method;
  const bool one_step = method == FixedPointGradient::OneStep || method == FixedPointGradient::JaxOneStep;
  forward(begin, n, independent, method == FixedPointGradient::Unrolled, /*last_iteration=*/!one_step);
  const double* le_obs = p_.observed->LE.data() + begin;
  const double* nee_obs = p_.observed->NEE.data() + begin;
  d_le_.resize(n);
  d_nee_.resize(n);
  if (!one_step) batch_loss_seeds(le_.data(), nee_.data(), le_obs, nee_obs, n, p_.loss, d_le_.data(), d_nee_.data());
  out.gradient.assign(P_, 0.0);
  out.implicit_sweeps = 0;
  note_memory();
  switch (method) {
    case FixedPointGradient::Unrolled:
      if (lane_tape_)
        reverse_unrolled_lanes(n, independent, out.gradient.data());
      else
        reverse_unrolled(n, independent, out.gradient.data());
      break;
    case FixedPointGradient::Implicit:
      out.implicit_sweeps = reverse_fixed_point(n, independent, false, le_obs, nee_obs, out.gradient.data());
      break;
    case FixedPointGradient::OneStep:
    case FixedPointGradient::JaxOneStep:
      if (lane_tape_) {
        reverse_one_step_lanes(n, independent, le_obs, nee_obs, out.gradient.data());
      } else {
        reverse_fixed_point(n, independent, true, le_obs, nee_obs, out.gradient.data());
      }
      break;
  }
  out.loss = batch_loss(le_.data(), nee_.data(), le_obs, nee_obs, n, p_.loss);
}

}  // namespace canveg::gradient
