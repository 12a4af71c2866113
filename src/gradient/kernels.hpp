// Hand-written adjoints of the hot kernels of a column iteration, for the reverse
// tape (docs/gradients.md "Speed"). Each is an overload for ad::Var of a template in src/physics,
// preferred over the template by overload resolution (found by argument-dependent lookup when
// the physics is instantiated with Var); each also has one for ad::LaneVar (the lane tape,
// docs/gradients.md "The tape in lanes"), from the same source (kernels_detail::ActiveTraits; the
// leaf blocks' branches are masks there). Each computes its values with the same operations in
// the same order as the template (so taped values stay bit-identical to a run of the same value
// type) and records one external block whose adjoint is written out by hand, instead of one node
// per operation. tests/gradient/test_gradient_processes.cpp checks each against the generic
// template: values bit for bit, derivatives against forward mode, and the lane blocks lane by
// lane against the scalar ones. The moist-air functions of one temperature are one node per
// output for LaneVar only (the scalar tape records them node by node).
//
// Lifetime: the dispersion matrix and the networks' weights are read where they live when the tape
// is swept, so the model that was taped must outlive the sweep (ReverseEngine and the lane tapes
// keep theirs as members).
//
// One-definition rule: every translation unit that instantiates the physics with ad::Var or
// ad::LaneVar must include this header first (src/gradient/reverse_engine.hpp and
// src/gradient/lane_iteration_tape_impl.hpp do), so that all of them resolve these calls to the
// same overloads.
//
//   dispersion_sums:      three products with the constant dispersion matrix
//                         (3 N J multiply-adds -> adjoint D^T s, no stored edges)
//   profile_from_sums:    a source sum turned into a concentration profile
//                         (7 nodes per level -> one block; adjoint written out)
//   conduct_soil_heat:    the half-hour's conduction sub-steps as one affine map
//                         (adjoint = the transposed map, stored)
//   longwave_transfer:    50 down/up sweeps, bilinear in fluxes and layer coefficients
//                         (adjoint = transposed sweeps over the stored sweep values)
//   evaluate_scalar:      the small dense networks (LeafRHDL per leaf, RsoilDL)
//                         (adjoint = backpropagation over the stored pre-activations)
//   leaf_photosynthesis:  Farquhar / Ball-Berry cubic per leaf (about 250 nodes -> one block;
//                         adjoint = the stored double forward pass run backwards through the
//                         branches it took)
//   leaf_energy_balance:  the two leaf quadratics (LE, T_L) per leaf (about 70 nodes -> one
//                         block; adjoint = the stored forward pass run backwards)
//   boundary_resistance_scaled: a leaf's three boundary-layer resistances (about 25 nodes -> one
//                         block; adjoint through the convection regime the forward pass took)
//
// The two leaf blocks also exist preaccumulated (leaf_*_preaccumulated, selected by
// preaccumulate_leaf_blocks()): the template itself evaluated once with dual numbers over the
// block's active inputs, recorded as its local Jacobian. They need no second copy of the leaf
// physics but make the unrolled gradient 1.2-1.5 times slower, so the hand-written blocks are
// the default; the preaccumulated ones are kept as the tests' and the benchmark's reference
// (docs/gradients.md "Preaccumulation").
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <utility>
#include <vector>

#include <type_traits>

#include "ad/forward.hpp"
#include "ad/reverse.hpp"
#include "ad/reverse_lanes.hpp"
#include "nn/dense_net.hpp"
#include "physics/column_solver.hpp"
#include "physics/leaf_energy.hpp"
#include "physics/photosynthesis.hpp"
#include "physics/thermo.hpp"

namespace canveg::ad {

namespace kernels_detail {

// What a kernel needs of the active type it records for: Var (one half-hour, values double) or
// LaneVar (W half-hours, values and adjoints simd::Lanes). The linear kernels below are written
// once for both; their adjoints are templates on the value type V.
template <class Active>
struct ActiveTraits;
template <>
struct ActiveTraits<Var> {
  using Value = double;
  static const double& value(const Var& x) { return x.v; }
  static Var make(double v, Index i) { return Var(v, i); }
  static Tape& tape() { return thread_tape(); }
};
template <class A>
struct ActiveTraits<LaneVar<A>> {
  using Value = simd::Lanes<A, 1>;
  static const Value& value(const LaneVar<A>& x) { return x.v; }
  static LaneVar<A> make(const Value& v, Index i) { return LaneVar<A>(v.v[0], i); }
  static LaneTape<A>& tape() { return thread_lane_tape<A>(); }
};

// A block's data: a header H, then values of type V from the first address aligned for V.
template <class V, class H>
constexpr std::size_t header_bytes() {
  return (sizeof(H) + alignof(V) - 1) / alignof(V) * alignof(V);
}
template <class V, class H>
V* values_after(H* header) {
  return reinterpret_cast<V*>(reinterpret_cast<unsigned char*>(header) + header_bytes<V, H>());
}
template <class V, class H>
const V* values_after(const H* header) {
  return reinterpret_cast<const V*>(reinterpret_cast<const unsigned char*>(header) + header_bytes<V, H>());
}

// Adds to the adjoint of a block's input; a constant input (tape index 0, the sink) is skipped:
// updates of the one address would each wait for the store of the one before (the leaf blocks
// of a one-step tape have more constant inputs than active ones).
template <class V>
CANVEG_AD_INLINE void add_adjoint(V* adj, Index input, const std::type_identity_t<V>& g) {
  if (input) adj[input] += g;
}

// --- dispersion sums ---------------------------------------------------------------------------

struct DispersionData {
  const double* dij_t;  // [J x N], owned by the column model (outlives the tape)
  physics::ProfileLevels levels;
  int J;
};

// Inputs: wa[J], wb[J], wc[J]; outputs: sa, sb, sc at the M = levels.count() nodes of `levels`.
template <class V>
void dispersion_adjoint(const V* out_adj, const Index* in, V* adj, const void* data) {
  const DispersionData& d = *static_cast<const DispersionData*>(data);
  const int N = d.levels.N, lower = d.levels.lower, M = d.levels.count(), J = d.J;
  const V* sa = out_adj;
  const V* sb = out_adj + M;
  const V* sc = out_adj + 2 * M;
  for (int j = 0; j < J; ++j) {
    const double* col = d.dij_t + static_cast<long>(j) * N;
    V ga = 0.0, gb = 0.0, gc = 0.0;
    for (int i = 0; i < lower; ++i) {
      ga += col[i] * sa[i];
      gb += col[i] * sb[i];
      gc += col[i] * sc[i];
    }
    if (lower < N) {
      ga += col[N - 1] * sa[M - 1];
      gb += col[N - 1] * sb[M - 1];
      gc += col[N - 1] * sc[M - 1];
    }
    add_adjoint(adj, in[j], ga);
    add_adjoint(adj, in[J + j], gb);
    add_adjoint(adj, in[2 * J + j], gc);
  }
}

// --- profile from sums --------------------------------------------------------------------------

// Layout of the data: header, then the input sums s[M], then u[M] = scale s_i / f + F_soil a_i / f
// (a_i = D_i0 / u*), the profile before its shift to the reference at the top node, at the
// M = levels.count() nodes of `levels`.
template <class V>
struct ProfileHeader {
  const double* dij_t;  // row 0 = D_i0, owned by the column model (outlives the tape)
  physics::ProfileLevels levels;
  V ustar_factor, scale, unit_factor;
};

// Inputs: s[0..M-1], stability factor, soil flux, unit factor; outputs: c_k = u_k + c_ref - u_{M-1}.
// With G the sum of the outputs' adjoints, u_k carries w_k = out_adj_k, less G at the top node.
template <class V>
void profile_adjoint(const V* out_adj, const Index* in, V* adj, const void* data) {
  const ProfileHeader<V>& h = *static_cast<const ProfileHeader<V>*>(data);
  const int M = h.levels.count();
  const V* s = values_after<V>(&h);
  const V* u = s + M;
  V total = 0.0;
  for (int k = 0; k < M; ++k) total += out_adj[k];
  const V inv_f = 1.0 / h.unit_factor;
  V d_scale = 0.0, d_soil = 0.0, d_unit = 0.0;
  for (int k = 0; k < M; ++k) {
    const V w = k == M - 1 ? out_adj[k] - total : out_adj[k];
    add_adjoint(adj, in[k], w * h.scale * inv_f);
    d_scale += w * s[k];
    d_soil += w * h.ustar_factor * h.dij_t[h.levels.node(k)];
    d_unit = d_unit - w * u[k];
  }
  add_adjoint(adj, in[M], d_scale * inv_f * h.ustar_factor);  // scale = u* factor x stability factor
  add_adjoint(adj, in[M + 1], d_soil * inv_f);
  add_adjoint(adj, in[M + 2], d_unit * inv_f);
}

// --- soil heat conduction ----------------------------------------------------------------------

// The conduction map's rows (physics::SoilColumn::conduction_map).
template <class V>
struct SoilData {
  V map[physics::kSoilLayers][physics::kConductionMapColumns];
};

// Inputs: t[0..10], t_surface; outputs: t[0..9] = the map applied (adjoint: its transpose).
template <class V>
void soil_adjoint(const V* out_adj, const Index* in, V* adj, const void* data) {
  const SoilData<V>& d = *static_cast<const SoilData<V>*>(data);
  constexpr int L = physics::kSoilLayers;
  for (int m = 0; m < L; ++m) {
    const V g = out_adj[m];
    for (int k = 0; k <= physics::kConductionSurfaceColumn; ++k) add_adjoint(adj, in[k], d.map[m][k] * g);
  }
}

// --- longwave sweeps ---------------------------------------------------------------------------

// Layout of the data: header, then U_0..U_S ((S + 1) x (J + 1)), then D_1..D_S (S x (J + 1)), of
// which only the sweeps up to `stored` are written: a sweep that leaves the upward field unchanged
// (U_s = U_{s-1} bit for bit) has reached the fixed point, every later sweep repeating its U_s
// and D_s (physics::longwave_transfer stops there for plain values).
template <class V>
struct LongwaveHeader {
  int J, sweeps, stored;
  V forward, backward, one_minus_eps;
};

// The adjoint of a sweep's recurrence runs h_{k+1} = a_k + f h_k, k = 0..n-1, from h_0: each
// step waits for the one before, so the chain is latency-bound. Four steps at a time, h_{k+4} =
// c + f^4 h_k with c from the four a's, and the three between from h_k as well: one dependent
// multiply-add per four steps (the adjoint changes at round-off). `base(k)` gives a_k, read for
// four steps before `use(k, h_k, h_{k+1}, slot)` writes any of them; slot = k mod 4 lets the
// caller keep four accumulators, whose chains would otherwise bound the loop the same way.
template <class V, class Base, class Use>
CANVEG_AD_INLINE V affine_chain_adjoint(int n, V h, const V& f, const Base& base, const Use& use) {
  const V f2 = f * f, f3 = f2 * f, f4 = f2 * f2;
  int k = 0;
  for (; k + 4 <= n; k += 4) {
    const V a0 = base(k), a1 = base(k + 1), a2 = base(k + 2), a3 = base(k + 3);
    const V c1 = a1 + f * a0, c2 = a2 + f * c1, c3 = a3 + f * c2;
    const V h1 = a0 + f * h, h2 = c1 + f2 * h, h3 = c2 + f3 * h, h4 = c3 + f4 * h;
    use(k, h, h1, 0);
    use(k + 1, h1, h2, 1);
    use(k + 2, h2, h3, 2);
    use(k + 3, h3, h4, 3);
    h = h4;
  }
  for (; k < n; ++k) {
    const V next = base(k) + f * h;
    use(k, h, next, k & 3);
    h = next;
  }
  return h;
}

// Inputs: ir_up_initial[0..J-1], source[0..J-1], sky, forward, backward, one_minus_eps,
// soil_emission. Outputs: ir_down[0..J-1], ir_up[0..J].
template <class V>
void longwave_adjoint(const V* out_adj, const Index* in, V* adj, const void* data) {
  const LongwaveHeader<V>& h = *static_cast<const LongwaveHeader<V>*>(data);
  const int J = h.J, S = h.sweeps;
  const V* U = values_after<V>(&h);
  const V* D = U + static_cast<std::size_t>(S + 1) * (J + 1);
  const int stored = h.stored;  // sweeps after it repeat its fluxes
  const V fw = h.forward, bw = h.backward, ome = h.one_minus_eps;
  // Adjoint work arrays on the stack for the usual sizes, else on the heap.
  std::vector<V> heap;
  V stack[2 * 128 + 4];
  V* ub;
  V* db;
  if (J + 1 <= 128) {
    ub = stack;
    db = stack + 128 + 2;
  } else {
    heap.assign(2 * static_cast<std::size_t>(J + 1), V(0.0));
    ub = heap.data();
    db = heap.data() + J + 1;
  }
  std::vector<V> src_heap;
  V src_stack[128];
  V* src_bar = J <= 128 ? src_stack : (src_heap.assign(static_cast<std::size_t>(J), V(0.0)), src_heap.data());
  for (int j = 0; j < J; ++j) src_bar[j] = 0.0;
  for (int i = 0; i < J; ++i) db[i] = out_adj[i];
  db[J] = 0.0;
  for (int i = 0; i <= J; ++i) ub[i] = out_adj[J + i];
  V fw_acc[4] = {0.0, 0.0, 0.0, 0.0}, bw_acc[4] = {0.0, 0.0, 0.0, 0.0};  // four partial sums each (affine_chain_adjoint)
  V ome_bar = 0.0, soil_bar = 0.0, sky_bar = 0.0;
  for (int s = S; s >= 1; --s) {
    // Up pass: U_s[i+1] = U_s[i] fw + D_s[i+1] bw + src[i], i = 0..J-1; step k is layer
    // i = J-1-k, from the adjoint of U_s[J] down to that of U_s[0].
    const V* u_s = U + static_cast<std::size_t>(std::min(s, stored)) * (J + 1);
    const V* d_s = D + static_cast<std::size_t>(std::min(s, stored) - 1) * (J + 1);
    // db holds the outputs' adjoints before the first sweep, and nothing after a down pass: each
    // entry is then written, not added to (the arrays are not cleared between sweeps).
    const bool first_sweep = s == S;
    V g = affine_chain_adjoint(
        J, ub[J], fw, [&](int k) { return ub[J - 1 - k]; },
        [&](int k, const V& g_above, const V& g_here, int slot) {
          const int i = J - 1 - k;
          db[i + 1] = first_sweep ? V(db[i + 1] + g_above * bw) : V(g_above * bw);
          src_bar[i] += g_above;
          fw_acc[slot] += g_above * u_s[i];
          bw_acc[slot] += g_above * d_s[i + 1];
          ub[i] = g_here;
        });
    // U_s[0] = (1 - eps_soil) D_s[0] + soil emission.
    db[0] = first_sweep ? V(db[0] + g * ome) : V(g * ome);  // g is ub[0] here
    ome_bar += g * d_s[0];
    soil_bar += g;
    // Down pass: D_s[i] = D_s[i+1] fw + U_{s-1}[i] bw + src[i], i = J-1..0; D_s[J] = sky; step k
    // is layer i = k, from the adjoint of D_s[0] up to that of D_s[J].
    // U_{s-1} enters only here; the adjoint of U_s has been used up.
    const V* u_prev = U + static_cast<std::size_t>(std::min(s - 1, stored)) * (J + 1);
    ub[J] = 0.0;  // U_{s-1}[J] is not read by the down pass; ub[0..J-1] are written below
    affine_chain_adjoint(
        J, db[0], fw, [&](int k) { return db[k + 1]; },
        [&](int i, const V& g_below, const V& g_here, int slot) {
          ub[i] = g_below * bw;
          src_bar[i] += g_below;
          fw_acc[slot] += g_below * d_s[i + 1];
          bw_acc[slot] += g_below * u_prev[i];
          db[i + 1] = g_here;
        });
    sky_bar += db[J];
  }
  const V fw_bar = (fw_acc[0] + fw_acc[1]) + (fw_acc[2] + fw_acc[3]);
  const V bw_bar = (bw_acc[0] + bw_acc[1]) + (bw_acc[2] + bw_acc[3]);
  for (int i = 0; i < J; ++i) add_adjoint(adj, in[i], ub[i]);
  for (int j = 0; j < J; ++j) add_adjoint(adj, in[J + j], src_bar[j]);
  add_adjoint(adj, in[2 * J], sky_bar);
  add_adjoint(adj, in[2 * J + 1], fw_bar);
  add_adjoint(adj, in[2 * J + 2], bw_bar);
  add_adjoint(adj, in[2 * J + 3], ome_bar);
  add_adjoint(adj, in[2 * J + 4], soil_bar);
}

// --- dense network (LeafRHDL, RsoilDL) ---------------------------------------------------------

// Layout: header, then x[in], z1[width], z2[width], z3, h1[width], h2[width] (the inputs, the
// pre-activations and the hidden activations). The weights are read where they live, in the
// network's view (the model's parameters, which outlive the tape, as the dispersion matrix does):
// their values and tape indices are not copied per evaluation (a third of the block's recording
// time, and most of its data, when they were).
template <class Active>
struct NetHeader {
  nn::DenseNetView<Active> net;
};

// The block's arrays of values (of type V, after the header) for `in` inputs and `width` units.
template <class V>
struct NetArrays {
  V *x, *z1, *z2, *h1, *h2;
  static constexpr std::size_t values(int in, int width) { return static_cast<std::size_t>(in + 4 * width + 1); }
  NetArrays(V* first, int in, int width) {
    x = first, z1 = x + in, z2 = z1 + width, h1 = z2 + width + 1, h2 = h1 + width;
  }
};

template <class V>
inline V activation_slope(Activation a, const V& z) {
  using std::exp;
  using std::tanh;
  switch (a) {
    case Activation::Tanh: {
      const V t = tanh(z);
      return 1.0 - t * t;
    }
    case Activation::Sigmoid: {
      const V e = exp(-z);
      const V s = 1.0 / (1.0 + e);
      return s * s * e;
    }
    case Activation::Softplus: {
      using physics::where;  // and simd::where for lanes, by argument-dependent lookup
      return where(z > 30.0, V(1.0), V(exp(z) / (1.0 + exp(z))));
    }
    case Activation::Identity:
    default: return V(1.0);
  }
}

// Inputs: x[in]; the weights' adjoints go to their own tape indices (read from the view); one
// output.
template <class Active>
void net_adjoint(const typename ActiveTraits<Active>::Value* out_adj, const Index* in,
                 typename ActiveTraits<Active>::Value* adj, const void* data) {
  using AT = ActiveTraits<Active>;
  using V = typename AT::Value;
  const nn::DenseNetView<Active>& net = static_cast<const NetHeader<Active>*>(data)->net;
  const int I = net.in_size, W = net.width;
  const NetArrays<const V> a(values_after<V>(static_cast<const NetHeader<Active>*>(data)), I, W);
  const Active *w0 = net.w0, *b0 = net.b0, *w1 = net.w1, *b1 = net.b1, *w2 = net.w2, *b2 = net.b2;
  const V *x = a.x, *z1 = a.z1, *z2 = a.z2;
  const V z3 = z2[W];
  const V *h1 = a.h1, *h2 = a.h2;  // the hidden activations, kept by the forward pass
  // tanh' = 1 - tanh^2 from the kept activation: the same value as activation_slope, without
  // evaluating tanh again (two thirds of the network's tanh calls were here).
  const auto hidden_slope = [&](const V& z, const V& a) {
    return net.hidden == Activation::Tanh ? V(1.0 - a * a) : activation_slope(net.hidden, z);
  };
  V g2[nn::kMaxWidth], g1[nn::kMaxWidth];
  const V g3 = out_adj[0] * activation_slope(net.final, z3);
  add_adjoint(adj, b2[0].i, g3);
  for (int j = 0; j < W; ++j) {
    add_adjoint(adj, w2[j].i, g3 * h2[j]);
    g2[j] = g3 * AT::value(w2[j]) * hidden_slope(z2[j], h2[j]);
    add_adjoint(adj, b1[j].i, g2[j]);
  }
  for (int i = 0; i < W; ++i) {
    V s = 0.0;
    for (int j = 0; j < W; ++j) {
      add_adjoint(adj, w1[j * W + i].i, g2[j] * h1[i]);
      s += g2[j] * AT::value(w1[j * W + i]);
    }
    g1[i] = s * hidden_slope(z1[i], h1[i]);
    add_adjoint(adj, b0[i].i, g1[i]);
  }
  for (int k = 0; k < I; ++k) {
    V s = 0.0;
    for (int i = 0; i < W; ++i) {
      add_adjoint(adj, w0[i * I + k].i, g1[i] * x[k]);
      s += g1[i] * AT::value(w0[i * I + k]);
    }
    add_adjoint(adj, in[k], s);
  }
}

// Copies the values and tape indices of an external block's n inputs; true when any of them is on
// the tape (otherwise the block is not recorded and its outputs are constants).
template <class Active>
bool gather_inputs(const Active* const* args, int n, typename ActiveTraits<Active>::Value* values, Index* indices) {
  bool active = false;
  for (int k = 0; k < n; ++k) {
    values[k] = ActiveTraits<Active>::value(*args[k]);
    indices[k] = args[k]->i;
    active = active || indices[k] != 0;
  }
  return active;
}

// --- leaf boundary layer -----------------------------------------------------------------------

// Inputs of the block, in this order: t_leaf, t_air, the diffusivity scaling, lleaf, betfac and the
// BoundaryLayerConstants (grashof, nu, d_heat, d_vapor, d_co2, pr33, sc33, scc33).
enum BlInput {
  kBlTleaf, kBlTair, kBlTp, kBlLleaf, kBlBetfac, kBlGrashof, kBlNu, kBlDheat, kBlDvapor, kBlDco2, kBlPr33,
  kBlSc33, kBlScc33, kBlInputs
};

// Which formula gave the Nusselt number (physics::boundary_resistance_scaled).
enum class Convection : int { ForcedTurbulent, ForcedLaminar, FreeTurbulent, FreeLaminar };

// The forward pass's values that the adjoint reads; V is double, or simd::Lanes for the lane tape
// (the regime and the Grashof clip then lane by lane).
template <class V>
struct BlDataOf {
  using Mask = decltype(std::declval<const V&>() < 0.0);
  V x[kBlInputs];
  V wind, grashof, reynolds, out[3];
  Mask floored;  // the Grashof number clipped at 0 (a leaf cooler than the air)
  Mask free_turbulent, forced_turbulent, forced_laminar, free_laminar;  // which formula gave Nu
};
using BlData = BlDataOf<double>;

inline Convection regime_of(const BlData& d) {
  if (d.free_turbulent) return Convection::FreeTurbulent;
  if (d.forced_turbulent) return Convection::ForcedTurbulent;
  if (d.forced_laminar) return Convection::ForcedLaminar;
  return Convection::FreeLaminar;
}

// physics::boundary_resistance_scaled<double> written out: the same operations in the same order
// (values and regime bit-identical to the template; tests/gradient/test_gradient_processes.cpp).
// A regime's formula is evaluated where some lane takes it (for double: only the one taken).
template <class V>
void bl_forward(BlDataOf<V>& d) {
  using physics::any_lane;
  using physics::where;
  using std::pow;
  using std::sqrt;
  const V* x = d.x;
  const V grashof = x[kBlGrashof] * (x[kBlTleaf] - x[kBlTair]) / x[kBlTair];
  d.floored = grashof < 0.0;
  d.grashof = where(d.floored, V(0.0), grashof);
  const V nu_tp = x[kBlNu] * x[kBlTp];
  d.reynolds = x[kBlLleaf] * d.wind / nu_tp;
  const V ratio = d.grashof / (d.reynolds * d.reynolds);
  d.free_turbulent = ratio > 1.0 && d.grashof >= 100000.0;
  const auto forced = !d.free_turbulent && ratio <= 1.0;
  d.forced_turbulent = forced && d.reynolds > 14000.0;
  d.forced_laminar = forced && !(d.reynolds > 14000.0);
  d.free_laminar = !(d.free_turbulent || forced);
  V nusselt = 0.0;
  if (any_lane(d.free_turbulent)) nusselt = where(d.free_turbulent, V(0.13 * pow(d.grashof, 0.33)), nusselt);
  if (any_lane(d.forced_turbulent))
    nusselt = where(d.forced_turbulent, V(0.036 * pow(d.reynolds, 0.8) * x[kBlBetfac]), nusselt);
  if (any_lane(d.forced_laminar))
    nusselt = where(d.forced_laminar, V(0.66 * sqrt(d.reynolds) * x[kBlBetfac]), nusselt);
  if (any_lane(d.free_laminar)) nusselt = where(d.free_laminar, V(0.5 * pow(d.grashof, 0.25)), nusselt);
  const V scale[3] = {x[kBlPr33], x[kBlSc33], x[kBlScc33]};
  const V diffusivity[3] = {x[kBlDheat], x[kBlDvapor], x[kBlDco2]};
  for (int k = 0; k < 3; ++k) d.out[k] = x[kBlLleaf] / (diffusivity[k] * x[kBlTp] * (nusselt * scale[k]));
}

// Outputs: r_b for heat, water vapour and CO2 (docs/model.md 2.10), r_k = l / (D_k s Nu P_k), a
// product of powers: ln r_k = ln l - ln D_k - ln s - ln Nu - ln P_k with ln Nu = b ln Re (+ ln
// betfac, forced) or b ln Gr (free), ln Re = ln l + ln u - ln nu - ln s. The adjoint runs on the
// logarithms (the adjoint of ln x is x times that of x), one division per input that is on the
// tape, and none for the constants (a one-step tape has only l and the Grashof prefactor).
template <class V>
void boundary_adjoint(const V* out_adj, const Index* in, V* adj, const void* data) {
  using physics::any_lane;
  using physics::where;
  const BlDataOf<V>& d = *static_cast<const BlDataOf<V>*>(data);
  const V* x = d.x;
  V g[3], total = 0.0;  // adjoints of ln r_k
  for (int k = 0; k < 3; ++k) total += (g[k] = out_adj[k] * d.out[k]);
  // ln Nu: its slope b in ln Re or ln Gr, and whether betfac multiplies it.
  const V b_re = where(d.forced_turbulent, V(0.8), where(d.forced_laminar, V(0.5), V(0.0)));
  const V b_gr = where(d.free_turbulent, V(0.33), where(d.free_laminar, V(0.25), V(0.0)));
  const auto forced = d.forced_turbulent || d.forced_laminar;
  const V ln_re = -total * b_re;  // adjoint of ln Re
  const V ln_gr = -total * b_gr;  // adjoint of ln Gr
  auto add = [&](int input, const V& log_adjoint) {
    if (in[input]) adj[in[input]] += log_adjoint / x[input];
  };
  add(kBlLleaf, total + ln_re);
  add(kBlTp, -total - ln_re);
  add(kBlNu, -ln_re);
  if (any_lane(forced)) add(kBlBetfac, where(forced, V(-total), V(0.0)));
  const int diffusivity_input[3] = {kBlDheat, kBlDvapor, kBlDco2};
  const int scale_input[3] = {kBlPr33, kBlSc33, kBlScc33};
  for (int k = 0; k < 3; ++k) add(diffusivity_input[k], -g[k]), add(scale_input[k], -g[k]);
  // Gr = G (T_L - T_a) / T_a > 0 in the free regimes (no derivative where clipped at 0).
  const auto free_gr = (d.free_turbulent || d.free_laminar) && !d.floored;
  if (any_lane(free_gr)) {
    const V lg = where(free_gr, ln_gr, V(0.0));
    add(kBlGrashof, lg);
    const V dt_bar = where(free_gr, V(lg / (x[kBlTleaf] - x[kBlTair])), V(0.0));
    add_adjoint(adj, in[kBlTleaf], dt_bar);
    add_adjoint(adj, in[kBlTair], -dt_bar - lg / x[kBlTair]);
  }
}

// --- leaf photosynthesis -----------------------------------------------------------------------

// Inputs of the block, in this order: the five active arguments, then every Parameters field that
// physics::leaf_photosynthesis reads (constants have tape index 0).
enum PsInput {
  kPsPar, kPsCa, kPsTleaf, kPsRb, kPsRh,
  kPsTk25, kPsKc25, kPsEkc, kPsRugc, kPsKo25, kPsO2, kPsVcopt, kPsErd, kPsJmopt, kPsEjm, kPsToptjm, kPsHkin,
  kPsEvc, kPsToptvc, kPsQalpha, kPsKball, kPsBprime,
  kPsInputs
};

// Every intermediate of physics::leaf_photosynthesis that its derivatives or branches need. V is
// double, or simd::Lanes for the lane tape: a branch decision is then a mask, lane by lane
// (dark_only stays one decision: the template skips the cubic only when every lane is dark).
template <class V>
struct PsWorkOf {
  using Mask = decltype(std::declval<const V&>() < 0.0);
  V pst, tlc, tp25, kct, tau, ko25_pa, o2_pa, bc, gammac, rd, jmax, vcmax, rbm, gb, dd, b8, k_rh, gbk, bp16, cig;
  V e_kc, e_rd, e_jm[2], e_vc[2];  // the exponentials of the temperature functions
  V alpha, bbeta, gamma, theta, jp;
  Mask electron;
  V B, a, E;
  V inv_denom, P, Qc, Rc, P2, Q, R, qqq_raw, sqq, argu, argc, ang, sq;
  V sin_third, cos_third;  // of ang / 3, when any lane has three real roots
  V sel;  // index of the chosen root (0, 1, 2), -1 where the roots are the constant 0 (tstroots <= 0)
  V jsuc;
  Mask sucrose;
  V aph2, cs, rhc, gsl, gsco2, ci, wj, wc;
  // co-limitation (smoothed minima)
  V b, c, dsc, disc, wp, bb, cc, dsc2, disc2, aps;
  Mask wp_minus, aps_minus, colim;
  V aph3, gsl2;
  // dark fallback; dark_only: a leaf without light that respires, whose cubic is not solved
  Mask fallback;
  bool dark_only;
  V gq, ps1, d1, den, aq, bq, cq, prd, sv, aphq;
  // outputs
  V out_a, out_gs, out_ci;
};
using PsWork = PsWorkOf<double>;

// The block's data: the input values, the constant arguments and the forward pass's
// intermediates (about 1 kB per leaf and lane; storing them halves the adjoint's cost against
// recomputing).
template <class V>
struct PsData {
  V x[kPsInputs];
  bool amphistomatous, single_dark_respiration;
  PsWorkOf<V> w;
};

// physics::arrhenius and physics::peaked_temperature (the same operations), keeping their
// exponentials for the adjoint.
template <class V>
V arrhenius_kept(const V& r25, const V& act, const V& tm, const V& rugc, const V& t25, const V& tl, V& e) {
  using std::exp;
  e = exp(tm * act / (t25 * rugc * tl));
  return r25 * e;
}
template <class V>
V peaked_kept(const V& ro, const V& act, const V& to, const V& rugc, const V& hk, const V& tl, V* e) {
  using std::exp;
  const V dt = tl - to;
  const V prod = rugc * to * tl;
  const V dt_prod = dt / prod;
  e[0] = exp(act * dt_prod);
  const V numerator = ro * hk * e[0];
  e[1] = exp(hk * dt_prod);
  const V denominator = hk - act * (1.0 - e[1]);
  return numerator / denominator;
}

// physics::leaf_photosynthesis written out with its intermediates kept: the same operations in
// the same order (so values and branch decisions are bit-identical to the template; the tests
// check it). For lanes a branch is taken where any lane takes it and its result chosen lane by
// lane, as in the template.
template <class V>
void ps_forward(const V* x, const std::type_identity_t<V>& pressure_kpa, bool amphistomatous, bool single_rd,
                PsWorkOf<V>& w) {
  using physics::any_lane;
  using physics::where;
  using std::acos;
  using std::sqrt;
  const V par = x[kPsPar], ca = x[kPsCa], t_leaf = x[kPsTleaf], rb_co2 = x[kPsRb], rh = x[kPsRh];
  const V kball = x[kPsKball], bprime = x[kPsBprime], qalpha = x[kPsQalpha];
  w.pst = 101.3 * 0.022624 / (273.15 * pressure_kpa);
  w.tlc = t_leaf - 273.15;
  w.tp25 = t_leaf - x[kPsTk25];
  w.kct = arrhenius_kept(x[kPsKc25], x[kPsEkc], w.tp25, x[kPsRugc], x[kPsTk25], t_leaf, w.e_kc);
  w.tau = physics::co2_o2_specificity<V>(w.tlc);
  w.ko25_pa = x[kPsKo25] * 100.0;
  w.o2_pa = x[kPsO2] * 101.3;
  w.bc = w.kct * (1.0 + w.o2_pa / w.ko25_pa);
  w.gammac = 500.0 * x[kPsO2] / w.tau;
  const V rd0 = arrhenius_kept(V(x[kPsVcopt] * 0.004657), x[kPsErd], w.tp25, x[kPsRugc], x[kPsTk25], t_leaf, w.e_rd);
  w.rd = where(par > 10.0, V(rd0 * 0.4), rd0);
  w.jmax = peaked_kept(x[kPsJmopt], x[kPsEjm], x[kPsToptjm], x[kPsRugc], x[kPsHkin], t_leaf, w.e_jm);
  w.vcmax = peaked_kept(x[kPsVcopt], x[kPsEvc], x[kPsToptvc], x[kPsRugc], x[kPsHkin], t_leaf, w.e_vc);
  w.rbm = rb_co2 * t_leaf * w.pst;
  w.gb = 1.0 / w.rbm;
  w.dd = w.gammac;
  w.b8 = 8.0 * w.dd;
  w.k_rh = rh * kball * (1.0 / 1.6);
  w.gbk = w.gb * w.k_rh;
  w.bp16 = bprime * (1.0 / 1.6);
  w.cig = ca * 0.7;
  const V gb = w.gb, k_rh = w.k_rh, gbk = w.gbk, bp16 = w.bp16, dd = w.dd, b8 = w.b8, rd = w.rd;
  if (!amphistomatous) {
    w.alpha = 1.0 + (bp16 * w.rbm) - k_rh;
    w.bbeta = ca * (gbk - 2.0 * bp16 - gb);
    w.gamma = ca * ca * gb * bp16;
    w.theta = gbk - bp16;
  } else {
    w.alpha = 1.0 + (bp16 * w.rbm) - k_rh;
    w.bbeta = ca * (2.0 * gbk - 3.0 * bp16 - 2.0 * gb);
    w.gamma = ca * ca * gb * bp16 * 4.0;
    w.theta = 2.0 * gbk - 2.0 * bp16;
  }
  const V alpha = w.alpha, bbeta = w.bbeta, gamma = w.gamma, theta = w.theta;
  w.jp = qalpha * par / sqrt(1.0 + (qalpha * qalpha * par * par / (w.jmax * w.jmax)));
  {
    const V wj0 = w.jp * (w.cig - dd) / (4.0 * w.cig + b8);
    const V wc0 = w.vcmax * (w.cig - dd) / (w.cig + w.bc);
    w.electron = wj0 < wc0;
  }
  w.B = where(w.electron, b8, w.bc);
  w.a = where(w.electron, w.jp, w.vcmax);
  w.E = where(w.electron, V(4.0), V(1.0));
  const V B = w.B, a = w.a, E = w.E;
  V aphoto = 0.0, gs_m_s = 0.0, ci = 0.0;
  // Without light (J = 0) and with R_d > 0 the fallback below replaces whatever the cubic gives:
  // neither the cubic nor the co-limitation is solved (the template's test, so that the two take
  // the same branch whatever the inputs).
  w.dark_only = physics::dark_everywhere(par, [&] { return rd; });
  if (!w.dark_only) {
    w.inv_denom = 1.0 / (E * alpha);
    const V gamma_ca = gamma / ca;
    w.P = (E * bbeta + B * theta - a * alpha + E * rd * alpha) * w.inv_denom;
    w.Qc = (E * gamma + (B * gamma_ca) - a * bbeta + a * dd * theta + E * rd * bbeta + rd * B * theta) * w.inv_denom;
    w.Rc = (-a * gamma + a * dd * gamma_ca + E * rd * gamma + rd * B * gamma_ca) * w.inv_denom;
    const V P = w.P;
    w.P2 = P * P;
    const V P3 = w.P2 * P;
    w.Q = (w.P2 - 3.0 * w.Qc) * (1.0 / 9.0);
    w.R = (2.0 * P3 - 9.0 * P * w.Qc + 27.0 * w.Rc) * (1.0 / 54.0);
    const V rr = w.R * w.R;
    w.qqq_raw = w.Q * w.Q * w.Q;
    const V tst = w.qqq_raw - rr;
    w.sqq = sqrt(physics::floor_at(w.qqq_raw, 0.01));
    w.argu = w.R / w.sqq;
    w.argc = physics::clip(w.argu, -0.99, 0.99);
    w.ang = acos(w.argc);
    w.sq = sqrt(physics::floor_at(w.Q, 0.01));
    V r[3] = {0.0, 0.0, 0.0};
    const auto three_roots = tst > 0.0;
    if (any_lane(three_roots)) {
      using physics::sin_cos;  // and simd::sin_cos for lanes, by argument-dependent lookup
      sin_cos(V(w.ang * (1.0 / 3.0)), w.sin_third, w.cos_third);
      const V sin_third = w.sin_third, cos_third = w.cos_third;
      const V cos_plus = cos_third * physics::kCosThirdTwoPiCubic - sin_third * physics::kSinThirdTwoPiCubic;
      const V cos_minus = cos_third * physics::kCosThirdTwoPiCubic + sin_third * physics::kSinThirdTwoPiCubic;
      r[0] = where(three_roots, V(-2.0 * w.sq * cos_third - P * (1.0 / 3.0)), r[0]);
      r[1] = where(three_roots, V(-2.0 * w.sq * cos_plus - P * (1.0 / 3.0)), r[1]);
      r[2] = where(three_roots, V(-2.0 * w.sq * cos_minus - P * (1.0 / 3.0)), r[2]);
    }
    // The template's sort and root choice, following which root lands where.
    V lo = r[0], mid = r[1], hi = r[2];
    V lo_k = 0.0, mid_k = 1.0, hi_k = 2.0;
    const auto sort_pair = [](V& u, V& u_k, V& v, V& v_k) {
      const auto swap = v < u;
      const V smaller = where(swap, v, u), smaller_k = where(swap, v_k, u_k);
      v = where(swap, u, v), v_k = where(swap, u_k, v_k);
      u = smaller, u_k = smaller_k;
    };
    sort_pair(lo, lo_k, mid, mid_k);
    sort_pair(mid, mid_k, hi, hi_k);
    sort_pair(lo, lo_k, mid, mid_k);
    const auto pick_lo = lo > 0.0 && mid > 0.0 && hi > 0.0;
    const auto pick_hi = lo < 0.0 && mid < 0.0 && hi > 0.0;
    const auto pick_mid = lo < 0.0 && mid > 0.0 && hi > 0.0;
    const auto pick_hi2 = lo < 0.0 && mid < 0.0 && hi < 0.0;
    aphoto = where(pick_lo, lo, where(pick_hi, hi, where(pick_mid, mid, where(pick_hi2, hi, lo))));
    const V chosen = where(pick_lo, lo_k, where(pick_hi, hi_k, where(pick_mid, mid_k, where(pick_hi2, hi_k, lo_k))));
    w.sel = where(three_roots, chosen, V(-1.0));
    if (!single_rd) aphoto = aphoto - rd;
    w.jsuc = w.vcmax * 0.5 - rd;
    w.sucrose = w.jsuc < aphoto;
    aphoto = where(w.sucrose, w.jsuc, aphoto);
    w.aph2 = aphoto;
    w.cs = amphistomatous ? V(ca - aphoto * w.rbm * 0.5) : V(ca - aphoto * w.rbm);
    w.rhc = physics::cap_at(rh, 1.0);
    w.gsl = (kball * w.rhc * aphoto / w.cs) + bprime;
    gs_m_s = w.gsl * t_leaf * w.pst;
    w.gsco2 = w.gsl * (1.0 / 1.6);
    w.ci = w.cs - aphoto / w.gsco2;
    w.wj = w.jp * (w.ci - dd) / (4.0 * w.ci + b8);
    w.wc = w.vcmax * (w.ci - dd) / (w.ci + w.bc);
    {
      const double ac = 0.98;
      w.b = -(w.wj + w.wc);
      w.c = w.wj * w.wc;
      w.dsc = w.b * w.b - 4.0 * ac * w.c;
      w.disc = sqrt(w.dsc);  // sqrt_nonneg: the same value
      const V rp = (-w.b + w.disc) * (0.5 / ac), rm = (-w.b - w.disc) * (0.5 / ac);
      w.wp_minus = rm < rp;
      w.wp = where(w.wp_minus, rm, rp);
      const double aa = 0.95;
      w.bb = -(w.wp + w.jsuc);
      w.cc = w.wp * w.jsuc;
      w.dsc2 = w.bb * w.bb - 4.0 * aa * w.cc;
      w.disc2 = sqrt(w.dsc2);
      const V sp = (-w.bb + w.disc2) * (0.5 / aa), sm = (-w.bb - w.disc2) * (0.5 / aa);
      w.aps_minus = sm < sp;
      w.aps = where(w.aps_minus, sm, sp);
      w.colim = w.aps < aphoto && w.aps > 0.0;
      if (any_lane(w.colim)) {
        w.aph3 = w.aps - rd;
        w.gsl2 = (kball * w.rhc * w.aph3 / w.cs) + bprime;
        aphoto = where(w.colim, w.aph3, aphoto);
        gs_m_s = where(w.colim, V(w.gsl2 * t_leaf * w.pst), gs_m_s);
      }
    }
    ci = w.ci;
  }
  const V zero = 0.0;
  w.fallback = w.dark_only ? zero == zero : (w.wj <= rd || w.wc <= rd);
  if (any_lane(w.fallback)) {
    const V gs_mole = bprime;
    w.gq = gs_mole * (1.0 / 1.6);
    w.ps1 = ca * gb * w.gq;
    w.d1 = w.gq + gb;
    w.den = gb * w.gq;
    w.aq = w.d1 * E;
    w.bq = -w.ps1 * E - a * w.d1 + E * rd * w.d1 - B * w.den;
    w.cq = a * w.ps1 - a * dd * w.den - E * rd * w.ps1 - rd * B * w.den;
    w.prd = w.bq * w.bq - 4.0 * w.aq * w.cq;
    w.sv = sqrt(physics::floor_at(w.prd, 0.0));
    w.aphq = (-w.bq - w.sv) / (2.0 * w.aq);
    const V cs_q = ca - w.aphq * w.rbm;
    gs_m_s = where(w.fallback, V(gs_mole * t_leaf * w.pst), gs_m_s);
    aphoto = where(w.fallback, w.aphq, aphoto);
    ci = where(w.fallback, V(cs_q - w.aphq / w.gq), ci);
  }
  w.out_a = aphoto;
  w.out_gs = gs_m_s;
  w.out_ci = ci;
}

// acc += g where the mask is set. For one half-hour (a bool) a plain branch, so that a branch not
// taken changes nothing; for lanes the other lanes add an exact 0, whatever g holds there (a
// branch's intermediates may be infinite or NaN in lanes that do not take it).
template <class V, class M>
CANVEG_AD_INLINE void add_where(const M& mask, V& acc, const std::type_identity_t<V>& g) {
  if constexpr (std::is_same_v<M, bool>) {
    if (mask) acc += g;
  } else {
    using physics::where;
    acc += where(mask, g, V(0.0));
  }
}

// Adjoint of arrhenius: r25 e, e = exp(z) (kept from the forward pass), z = tm act / (t25 rugc tl);
// inv_wd = 1 / (t25 rugc tl), shared by the temperature functions of one leaf.
template <class V>
void arrhenius_adjoint(const V& g, const V& e, const V& r25, const V& act, const V& tm, const V& rugc, const V& t25,
                       const V& tl, const V& inv_wd, V& r25_bar, V& act_bar, V& tm_bar, V& rugc_bar, V& t25_bar,
                       V& tl_bar) {
  const V z = tm * act * inv_wd;
  r25_bar += g * e;
  const V z_bar = g * r25 * e;
  const V u_bar = z_bar * inv_wd;
  const V w_bar = -z_bar * z * inv_wd;
  tm_bar += u_bar * act;
  act_bar += u_bar * tm;
  t25_bar += w_bar * rugc * tl;
  rugc_bar += w_bar * t25 * tl;
  tl_bar += w_bar * t25 * rugc;
}

// Adjoint of peaked_temperature: ro hk e1 / (hk - act (1 - e2)), e1 = exp(act dt / prod),
// e2 = exp(hk dt / prod) (e1, e2 kept from the forward pass), dt = tl - to, prod = rugc to tl.
template <class V>
void peaked_adjoint(const V& g, const V* e, const V& ro, const V& act, const V& to, const V& rugc, const V& hk,
                    const V& tl, V& ro_bar, V& act_bar, V& to_bar, V& rugc_bar, V& hk_bar, V& tl_bar) {
  const V dt = tl - to, inv_prod = 1.0 / (rugc * to * tl);
  const V dt_prod = dt * inv_prod;
  const V z1 = act * dt_prod, z2 = hk * dt_prod;
  const V e1 = e[0], e2 = e[1];
  const V num = ro * hk * e1, inv_den = 1.0 / (hk - act * (1.0 - e2));
  const V out = num * inv_den;
  const V num_bar = g * inv_den, den_bar = -g * out * inv_den;
  ro_bar += num_bar * hk * e1;
  hk_bar += num_bar * ro * e1 + den_bar;
  const V z1_bar = num_bar * ro * hk * e1;
  act_bar += -den_bar * (1.0 - e2);
  const V z2_bar = den_bar * act * e2;
  act_bar += z1_bar * dt_prod;
  hk_bar += z2_bar * dt_prod;
  const V dt_bar = (z1_bar * act + z2_bar * hk) * inv_prod;
  const V prod_bar = -(z1_bar * z1 + z2_bar * z2) * inv_prod;
  tl_bar += dt_bar + prod_bar * rugc * to;
  to_bar += -dt_bar + prod_bar * rugc * tl;
  rugc_bar += prod_bar * to * tl;
}

// Outputs: A_n, g_s, R_d, c_i. Runs the stored forward pass backwards (docs/model.md 2.11; the
// branch structure is that of physics::leaf_photosynthesis). Each branch passes its adjoint on
// through add_where with the branch's mask: for lanes, a lane that did not take the branch adds an
// exact 0 even where the branch's values are not finite there (what the lane tape's sweep does for
// the template: no partial where the adjoint is 0).
template <class V>
void photosynthesis_adjoint(const V* out_adj, const Index* in, V* adj, const void* data) {
  using physics::any_lane;
  using physics::where;
  using std::sqrt;
  const PsData<V>& d = *static_cast<const PsData<V>*>(data);
  const V* x = d.x;
  const PsWorkOf<V>& w = d.w;
  const V ca = x[kPsCa], tl = x[kPsTleaf], rb = x[kPsRb], rh = x[kPsRh], par = x[kPsPar];
  const V kball = x[kPsKball], bprime = x[kPsBprime], qa = x[kPsQalpha];
  const V gb = w.gb, dd = w.dd, rd = w.rd, E = w.E, B = w.B, a = w.a;
  const V alpha = w.alpha, bbeta = w.bbeta, gamma = w.gamma, theta = w.theta;
  V xb[kPsInputs];
  for (V& v : xb) v = 0.0;
  V rd_bar = out_adj[2];
  V a_bar = 0.0, B_bar = 0.0, dd_bar = 0.0, gb_bar = 0.0, ca_bar = 0.0, tl_bar = 0.0, bprime_bar = 0.0,
    kball_bar = 0.0;

  // Dark fallback: A_n from the quadratic, g_s at the intercept, c_i from the diffusion chain.
  const auto& fb = w.fallback;
  if (any_lane(fb)) {
    const V A_bar = out_adj[0], G_bar = out_adj[1], CI_bar = out_adj[3];
    V gq_bar = 0.0, aph_bar = A_bar;
    const V aph = w.aphq, gq = w.gq;
    // ci = cs_q - A / g_q, cs_q = ca - A / g_b
    const V csq_bar = CI_bar;
    const V inv_gq = 1.0 / gq, rbm = w.rbm;
    aph_bar += -CI_bar * inv_gq;
    gq_bar += CI_bar * aph * inv_gq * inv_gq;
    add_where(fb, ca_bar, csq_bar);
    aph_bar += -csq_bar * rbm;
    add_where(fb, gb_bar, csq_bar * aph * rbm * rbm);
    // A = (-b_q - sqrt(max(disc, 0))) / (2 a_q)
    const V inv_2aq = 0.5 / w.aq;
    V bq_bar = -aph_bar * inv_2aq;
    const V sv_bar = -aph_bar * inv_2aq;
    V aq_bar = -aph_bar * aph * (2.0 * inv_2aq);
    const V prd_bar = where(w.prd > 0.0, V(sv_bar * 0.5 / w.sv), V(0.0));  // floor_at and sqrt_nonneg
    bq_bar += prd_bar * 2.0 * w.bq;
    aq_bar += -4.0 * prd_bar * w.cq;
    const V cq_bar = -4.0 * prd_bar * w.aq;
    V ps1_bar = 0.0, den_bar = 0.0, d1_bar = 0.0;
    // c_q = a ps1 - a dd den - E rd ps1 - rd B den
    add_where(fb, a_bar, cq_bar * (w.ps1 - dd * w.den));
    ps1_bar += cq_bar * (a - E * rd);
    add_where(fb, dd_bar, -cq_bar * a * w.den);
    den_bar += cq_bar * (-a * dd - rd * B);
    add_where(fb, rd_bar, cq_bar * (-E * w.ps1 - B * w.den));
    add_where(fb, B_bar, -cq_bar * rd * w.den);
    // b_q = -ps1 E - a d1 + E rd d1 - B den
    ps1_bar += -bq_bar * E;
    add_where(fb, a_bar, -bq_bar * w.d1);
    d1_bar += bq_bar * (-a + E * rd);
    add_where(fb, rd_bar, bq_bar * E * w.d1);
    add_where(fb, B_bar, -bq_bar * w.den);
    den_bar += -bq_bar * B;
    d1_bar += aq_bar * E;  // a_q = d1 E
    add_where(fb, gb_bar, den_bar * gq + d1_bar + ps1_bar * ca * gq);
    gq_bar += den_bar * gb + d1_bar + ps1_bar * ca * gb;
    add_where(fb, ca_bar, ps1_bar * gb * gq);
    // g_s = b' T_L pst, g_q = b' / 1.6
    add_where(fb, bprime_bar, G_bar * tl * w.pst + gq_bar * (1.0 / 1.6));
    add_where(fb, tl_bar, G_bar * bprime * w.pst);
  }
  // The other lanes: A_n, g_s and c_i from the cubic and the co-limitation. What their adjoints pass
  // on is zero for a dark-only leaf, which solved neither, and masked (add_where) in the lanes of
  // the fallback, whose outputs do not depend on them.
  const auto lit = !fb;
  const V &aphF_bar = out_adj[0], &gsF_bar = out_adj[1], &ciF_bar = out_adj[3];
  V jp_bar = 0.0, vcmax_bar = 0.0, b8_bar = 0.0, bc_bar = 0.0;
  V alpha_bar = 0.0, bbeta_bar = 0.0, gamma_bar = 0.0, theta_bar = 0.0;
  if (!w.dark_only && any_lane(lit)) {
    V aph2_bar = 0.0, gsms1_bar = 0.0, jsuc_bar = 0.0, cs_bar = 0.0, rhc_bar = 0.0, wj_bar = 0.0, wc_bar = 0.0;
    const V kr = kball * w.rhc;
    const V inv_cs = 1.0 / w.cs;
    // Co-limitation replacement: A_n = A_ps - R_d, g_s from Ball-Berry with it; c_i unchanged.
    const auto colim = w.colim && lit;
    if (any_lane(colim)) {
      const V gsl2_bar = gsF_bar * tl * w.pst;
      add_where(colim, tl_bar, gsF_bar * w.gsl2 * w.pst);
      add_where(colim, kball_bar, gsl2_bar * w.rhc * w.aph3 * inv_cs);
      add_where(colim, rhc_bar, gsl2_bar * kball * w.aph3 * inv_cs);
      const V aph3_bar = aphF_bar + gsl2_bar * kr * inv_cs;
      add_where(colim, cs_bar, -gsl2_bar * kr * w.aph3 * inv_cs * inv_cs);
      add_where(colim, bprime_bar, gsl2_bar);
      const V aps_bar = aph3_bar;
      add_where(colim, rd_bar, -aph3_bar);
      // A_ps: smaller root of 0.95 A^2 + bb A + cc, bb = -(wp + J_s), cc = wp J_s
      const double aa = 0.95, ac = 0.98;
      V bb_bar = -aps_bar * (0.5 / aa);
      const V disc2_bar = where(w.aps_minus, V(-aps_bar), aps_bar) * (0.5 / aa);
      const V dsc2_bar = where(w.dsc2 > 0.0, V(disc2_bar * 0.5 / w.disc2), V(0.0));
      bb_bar += 2.0 * w.bb * dsc2_bar;
      const V cc_bar = -4.0 * aa * dsc2_bar;
      const V wp_bar = cc_bar * w.jsuc - bb_bar;
      add_where(colim, jsuc_bar, cc_bar * w.wp - bb_bar);
      // wp: smaller root of 0.98 W^2 + b W + c, b = -(Wj + Wc), c = Wj Wc
      V b_bar = -wp_bar * (0.5 / ac);
      const V disc_bar = where(w.wp_minus, V(-wp_bar), wp_bar) * (0.5 / ac);
      const V dsc_bar = where(w.dsc > 0.0, V(disc_bar * 0.5 / w.disc), V(0.0));
      b_bar += 2.0 * w.b * dsc_bar;
      const V c_bar = -4.0 * ac * dsc_bar;
      add_where(colim, wj_bar, c_bar * w.wc - b_bar);
      add_where(colim, wc_bar, c_bar * w.wj - b_bar);
    }
    const auto direct = !w.colim && lit;
    if (any_lane(direct)) {
      add_where(direct, aph2_bar, aphF_bar);
      add_where(direct, gsms1_bar, gsF_bar);
    }
    // Wj, Wc at c_i.
    V ci_bar = ciF_bar;
    {
      const V nj = w.ci - dd, inv_dj = 1.0 / (4.0 * w.ci + w.b8);
      add_where(lit, jp_bar, wj_bar * nj * inv_dj);
      const V nj_bar = wj_bar * w.jp * inv_dj, dj_bar = -wj_bar * w.wj * inv_dj;
      ci_bar += nj_bar + 4.0 * dj_bar;
      add_where(lit, dd_bar, -nj_bar);
      add_where(lit, b8_bar, dj_bar);
      const V nc = w.ci - dd, inv_dc = 1.0 / (w.ci + w.bc);
      add_where(lit, vcmax_bar, wc_bar * nc * inv_dc);
      const V nc_bar = wc_bar * w.vcmax * inv_dc, dc_bar = -wc_bar * w.wc * inv_dc;
      ci_bar += nc_bar + dc_bar;
      add_where(lit, dd_bar, -nc_bar);
      add_where(lit, bc_bar, dc_bar);
    }
    // c_i = c_s - A / g_co2, g_co2 = g_sl / 1.6, g_s = g_sl T_L pst, g_sl = m rh A / c_s + b'.
    {
      cs_bar += ci_bar;
      const V inv_gsco2 = 1.0 / w.gsco2;
      aph2_bar += -ci_bar * inv_gsco2;
      const V gsl_bar = ci_bar * w.aph2 * inv_gsco2 * inv_gsco2 * (1.0 / 1.6) + gsms1_bar * tl * w.pst;
      add_where(lit, tl_bar, gsms1_bar * w.gsl * w.pst);
      add_where(lit, kball_bar, gsl_bar * w.rhc * w.aph2 * inv_cs);
      rhc_bar += gsl_bar * kball * w.aph2 * inv_cs;
      aph2_bar += gsl_bar * kr * inv_cs;
      cs_bar += -gsl_bar * kr * w.aph2 * inv_cs * inv_cs;
      add_where(lit, bprime_bar, gsl_bar);
      add_where(lit && !(rh > 1.0), xb[kPsRh], rhc_bar);  // cap_at(rh, 1)
      // c_s = ca - A / (n g_b), n = 2 for amphistomatous leaves
      const V inv_ng = d.amphistomatous ? V(0.5 * w.rbm) : w.rbm;
      add_where(lit, ca_bar, cs_bar);
      aph2_bar += -cs_bar * inv_ng;
      add_where(lit, gb_bar, cs_bar * w.aph2 * inv_ng * w.rbm);
    }
    // Sucrose cap and the root.
    add_where(w.sucrose, jsuc_bar, aph2_bar);
    const V aph1_bar = where(w.sucrose, V(0.0), aph2_bar);
    add_where(lit, vcmax_bar, jsuc_bar * 0.5);
    add_where(lit, rd_bar, -jsuc_bar);
    if (!d.single_dark_respiration) add_where(lit, rd_bar, -aph1_bar);
    V P_bar = 0.0, Qc_bar = 0.0, Rc_bar = 0.0;
    const auto rooted = w.sel >= 0.0 && lit;
    if (any_lane(rooted)) {
      const V root_bar = aph1_bar;
      // The chosen root's angle (ang + shift) / 3, shift 0 or +-2 pi: its cosine and sine from those
      // of ang / 3 kept by the forward pass.
      const V c0 = w.cos_third, s0 = w.sin_third;
      const V c0_c = c0 * physics::kCosThirdTwoPiCubic, s0_c = s0 * physics::kCosThirdTwoPiCubic;
      const V s0_s = s0 * physics::kSinThirdTwoPiCubic, c0_s = c0 * physics::kSinThirdTwoPiCubic;
      const V cos_arg = where(w.sel == 1.0, V(c0_c - s0_s), where(w.sel == 2.0, V(c0_c + s0_s), c0));
      const V sin_arg = where(w.sel == 1.0, V(s0_c + c0_s), where(w.sel == 2.0, V(s0_c - c0_s), s0));
      const V sq_bar = root_bar * -2.0 * cos_arg;
      const V ang_bar = root_bar * 2.0 * w.sq * sin_arg * (1.0 / 3.0);
      add_where(rooted, P_bar, -root_bar * (1.0 / 3.0));
      V Q_bar = where(w.Q < 0.01, V(0.0), V(sq_bar * 0.5 / w.sq));
      const auto clipped = w.argu < -0.99 || w.argu > 0.99;
      const V argu_bar = where(clipped, V(0.0), V(-ang_bar / sqrt(1.0 - w.argc * w.argc)));
      const V inv_sqq = 1.0 / w.sqq;
      const V R_bar = argu_bar * inv_sqq;
      const V sqq_bar = -argu_bar * w.argu * inv_sqq;
      const V qqq_bar = where(w.qqq_raw < 0.01, V(0.0), V(sqq_bar * 0.5 * inv_sqq));
      Q_bar += qqq_bar * 3.0 * w.Q * w.Q;
      // R = (2 P^3 - 9 P Qc + 27 Rc) / 54, Q = (P^2 - 3 Qc) / 9
      add_where(rooted, P_bar, R_bar * (6.0 * w.P2 - 9.0 * w.Qc) * (1.0 / 54.0) + Q_bar * 2.0 * w.P * (1.0 / 9.0));
      add_where(rooted, Qc_bar, -R_bar * 9.0 * w.P * (1.0 / 54.0) - Q_bar * (3.0 / 9.0));
      add_where(rooted, Rc_bar, R_bar * 0.5);
    }
    // P, Q, R of the cubic = numerators / (E alpha).
    {
      const V Pn_bar = P_bar * w.inv_denom, Qn_bar = Qc_bar * w.inv_denom, Rn_bar = Rc_bar * w.inv_denom;
      const V denom_bar = -(P_bar * w.P + Qc_bar * w.Qc + Rc_bar * w.Rc) * w.inv_denom;
      const V inv_ca = 1.0 / ca, gamma_ca = gamma * inv_ca;
      add_where(lit, alpha_bar, E * denom_bar);
      // Pn = E bbeta + B theta - a alpha + E rd alpha
      add_where(lit, bbeta_bar, E * Pn_bar);
      add_where(lit, B_bar, theta * Pn_bar);
      add_where(lit, theta_bar, B * Pn_bar);
      add_where(lit, a_bar, -alpha * Pn_bar);
      add_where(lit, alpha_bar, (-a + E * rd) * Pn_bar);
      add_where(lit, rd_bar, E * alpha * Pn_bar);
      // Qn = E gamma + B gamma / ca - a bbeta + a dd theta + E rd bbeta + rd B theta
      add_where(lit, gamma_bar, (E + B * inv_ca) * Qn_bar);
      add_where(lit, B_bar, (gamma_ca + rd * theta) * Qn_bar);
      add_where(lit, ca_bar, -B * gamma_ca * inv_ca * Qn_bar);
      add_where(lit, a_bar, (-bbeta + dd * theta) * Qn_bar);
      add_where(lit, bbeta_bar, (-a + E * rd) * Qn_bar);
      add_where(lit, dd_bar, a * theta * Qn_bar);
      add_where(lit, theta_bar, (a * dd + rd * B) * Qn_bar);
      add_where(lit, rd_bar, (E * bbeta + B * theta) * Qn_bar);
      // Rn = -a gamma + a dd gamma / ca + E rd gamma + rd B gamma / ca
      add_where(lit, a_bar, (-gamma + dd * gamma_ca) * Rn_bar);
      add_where(lit, gamma_bar, (-a + a * dd * inv_ca + E * rd + rd * B * inv_ca) * Rn_bar);
      add_where(lit, dd_bar, a * gamma_ca * Rn_bar);
      add_where(lit, ca_bar, -(a * dd + rd * B) * gamma_ca * inv_ca * Rn_bar);
      add_where(lit, rd_bar, (E * gamma + B * gamma_ca) * Rn_bar);
      add_where(lit, B_bar, rd * gamma_ca * Rn_bar);
    }
  }
  // (a, B) from the limitation chosen at ci = 0.7 ca.
  add_where(w.electron, b8_bar, B_bar);
  add_where(w.electron, jp_bar, a_bar);
  add_where(!w.electron, bc_bar, B_bar);
  add_where(!w.electron, vcmax_bar, a_bar);
  // J = qalpha I / sqrt(1 + qalpha^2 I^2 / Jmax^2)
  V jmax_bar = 0.0;
  {
    const V n2 = qa * qa * par * par, inv_d2 = 1.0 / (w.jmax * w.jmax);
    const V s = 1.0 + n2 * inv_d2, inv_sq = 1.0 / sqrt(s);
    const V qp_bar = jp_bar * inv_sq;
    const V s_bar = -jp_bar * w.jp * inv_sq * 0.5 * inv_sq;
    const V n2_bar = s_bar * inv_d2, d2_bar = -s_bar * n2 * inv_d2 * inv_d2;
    xb[kPsQalpha] += qp_bar * par + n2_bar * 2.0 * qa * par * par;
    xb[kPsPar] += qp_bar * qa + n2_bar * 2.0 * par * qa * qa;
    jmax_bar += d2_bar * 2.0 * w.jmax;
  }
  // Coefficients of the coupled system.
  V gbk_bar = 0.0, bp16_bar = 0.0, krh_bar = 0.0;
  {
    const double m = d.amphistomatous ? 2.0 : 1.0, g4 = d.amphistomatous ? 4.0 : 1.0;
    bp16_bar += alpha_bar * w.rbm;
    gb_bar += -alpha_bar * w.bp16 * w.rbm * w.rbm;
    krh_bar -= alpha_bar;
    ca_bar += bbeta_bar * (m * w.gbk - (m + 1.0) * w.bp16 - m * gb);
    gbk_bar += bbeta_bar * ca * m + m * theta_bar;
    bp16_bar -= bbeta_bar * ca * (m + 1.0) + m * theta_bar;
    gb_bar -= bbeta_bar * ca * m;
    ca_bar += gamma_bar * 2.0 * ca * gb * w.bp16 * g4;
    gb_bar += gamma_bar * ca * ca * w.bp16 * g4;
    bp16_bar += gamma_bar * ca * ca * gb * g4;
    bprime_bar += bp16_bar * (1.0 / 1.6);
    gb_bar += gbk_bar * w.k_rh;
    krh_bar += gbk_bar * gb;
    xb[kPsRh] += krh_bar * kball * (1.0 / 1.6);
    kball_bar += krh_bar * rh * (1.0 / 1.6);
  }
  dd_bar += 8.0 * b8_bar;
  // Gamma* = 500 O2 / tau(T_L)
  const V inv_tau = 1.0 / w.tau;
  const V tau_bar = -dd_bar * w.gammac * inv_tau;
  xb[kPsO2] += dd_bar * 500.0 * inv_tau;
  // g_b = 1 / (rb T_L pst)
  {
    const V rbm_bar = -gb_bar * gb * gb;
    xb[kPsRb] += rbm_bar * tl * w.pst;
    tl_bar += rbm_bar * rb * w.pst;
  }
  V tp25_bar = 0.0;
  peaked_adjoint(vcmax_bar, w.e_vc, x[kPsVcopt], x[kPsEvc], x[kPsToptvc], x[kPsRugc], x[kPsHkin], tl, xb[kPsVcopt],
                 xb[kPsEvc], xb[kPsToptvc], xb[kPsRugc], xb[kPsHkin], tl_bar);
  peaked_adjoint(jmax_bar, w.e_jm, x[kPsJmopt], x[kPsEjm], x[kPsToptjm], x[kPsRugc], x[kPsHkin], tl, xb[kPsJmopt],
                 xb[kPsEjm], xb[kPsToptjm], xb[kPsRugc], xb[kPsHkin], tl_bar);
  const V inv_wd = 1.0 / (x[kPsTk25] * x[kPsRugc] * tl);  // the Arrhenius functions' (R_d, K_c)
  {
    V r25_bar = 0.0;
    arrhenius_adjoint(where(par > 10.0, V(rd_bar * 0.4), rd_bar), w.e_rd, V(x[kPsVcopt] * 0.004657), x[kPsErd], w.tp25,
                      x[kPsRugc], x[kPsTk25], tl, inv_wd, r25_bar, xb[kPsErd], tp25_bar, xb[kPsRugc], xb[kPsTk25],
                      tl_bar);
    xb[kPsVcopt] += r25_bar * 0.004657;
  }
  // B_c = K_c(T) (1 + O / K_o)
  {
    const V inv_ko = 1.0 / w.ko25_pa;
    const V ratio = w.o2_pa * inv_ko;
    const V kct_bar = bc_bar * (1.0 + ratio), ratio_bar = bc_bar * w.kct;
    xb[kPsO2] += ratio_bar * inv_ko * 101.3;
    xb[kPsKo25] += -ratio_bar * ratio * inv_ko * 100.0;
    arrhenius_adjoint(kct_bar, w.e_kc, x[kPsKc25], x[kPsEkc], w.tp25, x[kPsRugc], x[kPsTk25], tl, inv_wd,
                      xb[kPsKc25], xb[kPsEkc], tp25_bar, xb[kPsRugc], xb[kPsTk25], tl_bar);
  }
  // tau(T_L - 273.15): ratio of two cubics.
  {
    const V t = w.tlc, t2 = t * t, t3 = t2 * t;
    const V kc = 78.5e-3 + -2.89e-3 * t + 54.7e-6 * t2 + -0.417e-6 * t3;
    const V ko = 2.1e-3 + -57.1e-6 * t + 1.024e-6 * t2 + -7.503e-9 * t3;
    const V dkc = -2.89e-3 + 2.0 * 54.7e-6 * t + 3.0 * -0.417e-6 * t2;
    const V dko = -57.1e-6 + 2.0 * 1.024e-6 * t + 3.0 * -7.503e-9 * t2;
    tl_bar += tau_bar * 102.0 * (dkc * ko - kc * dko) / (ko * ko);
  }
  tl_bar += tp25_bar;
  xb[kPsTk25] -= tp25_bar;
  xb[kPsCa] += ca_bar;
  xb[kPsTleaf] += tl_bar;
  xb[kPsKball] += kball_bar;
  xb[kPsBprime] += bprime_bar;
  for (int k = 0; k < kPsInputs; ++k) add_adjoint(adj, in[k], xb[k]);
}

// --- leaf energy balance -----------------------------------------------------------------------

// Inputs of the block, in this order.
enum LeInput {
  kLeQ, kLeRbHeat, kLeRbVapor, kLeGs,
  kLeTair, kLeTk2, kLeTk3, kLeLair, kLeD2es, kLeDes, kLeVpd, kLeLatentBase, kLeDensity,
  kLeEp, kLeSigma, kLeCp,
  kLeInputs
};

template <class V>
struct LeWorkOf {
  V gw, eps, lecoef, hcoef, hcoef2, repeat, a, b, c, prod, sv, LE;
  V a_t, b_t, c_t, disc_t, st, del, t_leaf, H, rnet, closure;
};
using LeWork = LeWorkOf<double>;

template <class V>
struct LeData {
  V x[kLeInputs];
  V pressure_kpa;
  bool amphistomatous;
  LeWorkOf<V> w;
};

// physics::leaf_energy_balance<double> written out with its intermediates kept: the same double
// operations in the same order (values and branches bit-identical to the template; tested). V is
// double, or simd::Lanes for the lane tape (the branch on the T_L discriminant then lane by lane).
template <class V>
void le_forward(const V* x, const std::type_identity_t<V>& pressure_kpa, bool amphistomatous, LeWorkOf<V>& w) {
  using physics::where;
  using std::sqrt;
  const V q_abs = x[kLeQ], rb_heat = x[kLeRbHeat], rb_vapor = x[kLeRbVapor], gs = x[kLeGs];
  const V tk2 = x[kLeTk2], tk3 = x[kLeTk3], l_air = x[kLeLair], d2est = x[kLeD2es], dest = x[kLeDes],
          vpd = x[kLeVpd];
  if (!amphistomatous) {
    w.gw = gs / (1.0 + gs * rb_vapor);
  } else {
    w.gw = 2.0 / (rb_vapor + 2.0 / gs);
  }
  w.eps = x[kLeEp] * x[kLeSigma];
  const V epsigma = w.eps;
  w.lecoef = (1.0 / (pressure_kpa * 1000.0)) * (x[kLeLatentBase] * w.gw);
  w.hcoef = x[kLeDensity] * x[kLeCp] / rb_heat;
  w.hcoef2 = 2.0 * w.hcoef;
  w.repeat = w.hcoef2 + 8.0 * epsigma * tk3;
  const V lecoef = w.lecoef, repeat = w.repeat, llout2 = 2.0 * l_air;
  V a, b, c;
  if (!amphistomatous) {
    a = lecoef * d2est / (2.0 * repeat) / 2.0;
    b = -repeat - lecoef * dest + a * (-2.0 * q_abs + 4.0 * l_air);
    c = a * (q_abs * q_abs - 4.0 * q_abs * l_air + 4.0 * l_air * l_air) +
        lecoef * (vpd * repeat + dest * (q_abs - 2.0 * l_air));
  } else {
    a = lecoef * d2est / (2.0 * repeat);
    b = -repeat - lecoef * dest - (q_abs / repeat) * (2.0 * a) + 2.0 * a * (2.0 * l_air / repeat);
    c = repeat * lecoef * vpd + lecoef * dest * (q_abs - llout2) +
        lecoef * d2est / 2.0 * (q_abs * q_abs - 4.0 * q_abs * l_air + 4.0 * l_air * l_air) / repeat;
  }
  w.a = a, w.b = b, w.c = c;
  w.prod = b * b - 4.0 * a * c;
  w.sv = sqrt(physics::floor_at(w.prod, 0.0));
  w.LE = (-b - w.sv) / (2.0 * a);
  w.a_t = 12.0 * epsigma * tk2 + d2est * lecoef / 2.0;
  w.b_t = 8.0 * epsigma * tk3 + w.hcoef2 + lecoef * dest;
  w.c_t = -q_abs + 2.0 * l_air + lecoef * vpd;
  w.disc_t = w.b_t * w.b_t - 4.0 * w.a_t * w.c_t;
  const auto real_root = w.disc_t >= 0.0;
  w.st = where(real_root, V(sqrt(w.disc_t)), V(0.0));
  w.del = where(real_root, V((-w.b_t + w.st) / (2.0 * w.a_t)), V(0.0));
  w.t_leaf = x[kLeTair] + w.del;
  w.H = w.hcoef2 * w.del;
  const V tl2 = w.t_leaf * w.t_leaf;
  w.rnet = q_abs - 2.0 * epsigma * (tl2 * tl2);
  w.closure = w.rnet - w.H - w.LE;
}

// Outputs: LE, H, T_L, R_net, closure (docs/model.md 2.12). Runs the stored forward pass
// backwards.
// The branches lane by lane for simd::Lanes: a lane whose T_L discriminant is negative passes no
// adjoint through that root (its contributions are computed with a zero adjoint and add 0).
template <class V>
void leaf_energy_adjoint(const V* out_adj, const Index* in, V* adj, const void* data) {
  using physics::any_lane;
  using physics::where;
  const LeData<V>& d = *static_cast<const LeData<V>*>(data);
  const V* x = d.x;
  const LeWorkOf<V>& w = d.w;
  const V q = x[kLeQ], tk2 = x[kLeTk2], tk3 = x[kLeTk3], l = x[kLeLair], d2 = x[kLeD2es], de = x[kLeDes],
          vpd = x[kLeVpd];
  const V eps = w.eps, lec = w.lecoef, rep = w.repeat, a = w.a, b = w.b, c = w.c;
  V xb[kLeInputs];
  for (V& v : xb) v = 0.0;
  V LEb = out_adj[0], Hb = out_adj[1], TLb = out_adj[2], RNb = out_adj[3];
  const V CLb = out_adj[4];
  // closure = R_net - H - LE; R_net = Q - 2 eps sigma T_L^4
  RNb += CLb, Hb -= CLb, LEb -= CLb;
  xb[kLeQ] += RNb;
  V eps_b = 0.0, lec_b = 0.0, rep_b = 0.0, hc2_b = 0.0;
  {
    const V tl2 = w.t_leaf * w.t_leaf;
    eps_b += -RNb * 2.0 * tl2 * tl2;
    TLb += -RNb * 2.0 * eps * 2.0 * tl2 * 2.0 * w.t_leaf;
  }
  // T_L = T_a + dT, H = 2 hcoef dT; dT = (-b_t + sqrt(disc_t)) / (2 a_t) where disc_t >= 0, else 0.
  hc2_b += Hb * w.del;
  const auto real_root = w.disc_t >= 0.0;
  xb[kLeTair] += TLb;
  if (any_lane(real_root)) {
    const V del_b = where(real_root, V(Hb * w.hcoef2 + TLb), V(0.0));
    const V inv_2at = 0.5 / w.a_t;
    V bt_b = -del_b * inv_2at;
    V at_b = -del_b * w.del * (2.0 * inv_2at);
    const V dt_b = where(w.disc_t > 0.0, V(del_b * inv_2at * 0.5 / w.st), V(0.0));  // sqrt_nonneg
    bt_b += 2.0 * w.b_t * dt_b;
    at_b += -4.0 * w.c_t * dt_b;
    const V ct_b = -4.0 * w.a_t * dt_b;
    // c_t = -Q + 2 L_air + lecoef vpd
    xb[kLeQ] -= ct_b;
    xb[kLeLair] += 2.0 * ct_b;
    lec_b += ct_b * vpd;
    xb[kLeVpd] += ct_b * lec;
    // b_t = 8 eps tk3 + 2 hcoef + lecoef des
    eps_b += 8.0 * tk3 * bt_b;
    xb[kLeTk3] += 8.0 * eps * bt_b;
    hc2_b += bt_b;
    lec_b += bt_b * de;
    xb[kLeDes] += bt_b * lec;
    // a_t = 12 eps tk2 + d2es lecoef / 2
    eps_b += 12.0 * tk2 * at_b;
    xb[kLeTk2] += 12.0 * eps * at_b;
    xb[kLeD2es] += at_b * lec * 0.5;
    lec_b += at_b * d2 * 0.5;
  }
  // LE = (-b - sqrt(max(b^2 - 4 a c, 0))) / (2 a)
  const V inv_2a = 0.5 / a;
  V b_b = -LEb * inv_2a;
  V a_b = -LEb * w.LE * (2.0 * inv_2a);
  const auto positive = w.prod > 0.0;
  // floor_at and sqrt_nonneg
  const V p_b = where(positive, V(-LEb * inv_2a * 0.5 / w.sv), V(0.0));
  b_b += 2.0 * b * p_b;
  a_b += -4.0 * c * p_b;
  const V c_b = where(positive, V(-4.0 * a * p_b), V(0.0));
  const V inv_rep = 1.0 / rep;
  const V k1 = q * q - 4.0 * q * l + 4.0 * l * l;
  V k1_b = 0.0;
  if (!d.amphistomatous) {
    // c = a K1 + lecoef (vpd repeat + des (Q - 2 L_air))
    a_b += c_b * k1;
    k1_b += c_b * a;
    lec_b += c_b * (vpd * rep + de * (q - 2.0 * l));
    xb[kLeVpd] += c_b * lec * rep;
    rep_b += c_b * lec * vpd;
    xb[kLeDes] += c_b * lec * (q - 2.0 * l);
    xb[kLeQ] += c_b * lec * de;
    xb[kLeLair] += -2.0 * c_b * lec * de;
    // b = -repeat - lecoef des + a (-2 Q + 4 L_air)
    rep_b -= b_b;
    lec_b -= b_b * de;
    xb[kLeDes] -= b_b * lec;
    a_b += b_b * (-2.0 * q + 4.0 * l);
    xb[kLeQ] += -2.0 * a * b_b;
    xb[kLeLair] += 4.0 * a * b_b;
    // a = lecoef d2es / (4 repeat)
    lec_b += a_b * d2 * (0.25 * inv_rep);
    xb[kLeD2es] += a_b * lec * (0.25 * inv_rep);
    rep_b += -a_b * a * inv_rep;
  } else {
    // c = repeat lecoef vpd + lecoef des (Q - 2 L_air) + lecoef d2es K1 / (2 repeat)
    rep_b += c_b * lec * vpd;
    lec_b += c_b * rep * vpd;
    xb[kLeVpd] += c_b * rep * lec;
    lec_b += c_b * de * (q - 2.0 * l);
    xb[kLeDes] += c_b * lec * (q - 2.0 * l);
    xb[kLeQ] += c_b * lec * de;
    xb[kLeLair] += -2.0 * c_b * lec * de;
    const V inv_2rep = 0.5 * inv_rep;
    const V t3 = lec * d2 * k1 * inv_2rep;
    lec_b += c_b * d2 * k1 * inv_2rep;
    xb[kLeD2es] += c_b * lec * k1 * inv_2rep;
    k1_b += c_b * lec * d2 * inv_2rep;
    rep_b += -c_b * t3 * inv_rep;
    // b = -repeat - lecoef des + 2 a (2 L_air - Q) / repeat
    rep_b -= b_b;
    lec_b -= b_b * de;
    xb[kLeDes] -= b_b * lec;
    a_b += b_b * 2.0 * (2.0 * l - q) * inv_rep;
    xb[kLeLair] += b_b * 4.0 * a * inv_rep;
    xb[kLeQ] += -b_b * 2.0 * a * inv_rep;
    rep_b += -b_b * 2.0 * a * (2.0 * l - q) * inv_rep * inv_rep;
    // a = lecoef d2es / (2 repeat)
    lec_b += a_b * d2 * inv_2rep;
    xb[kLeD2es] += a_b * lec * inv_2rep;
    rep_b += -a_b * a * inv_rep;
  }
  // K1 = Q^2 - 4 Q L_air + 4 L_air^2
  xb[kLeQ] += k1_b * (2.0 * q - 4.0 * l);
  xb[kLeLair] += k1_b * (-4.0 * q + 8.0 * l);
  // repeat = 2 hcoef + 8 eps tk3; hcoef = rho Cp / rb_heat
  hc2_b += rep_b;
  eps_b += 8.0 * tk3 * rep_b;
  xb[kLeTk3] += 8.0 * eps * rep_b;
  {
    const V hc_b = 2.0 * hc2_b, inv_rbh = 1.0 / x[kLeRbHeat];
    xb[kLeDensity] += hc_b * x[kLeCp] * inv_rbh;
    xb[kLeCp] += hc_b * x[kLeDensity] * inv_rbh;
    xb[kLeRbHeat] += -hc_b * w.hcoef * inv_rbh;
  }
  // lecoef = latent_base g_w / (1000 P); eps = ep sigma
  const V kp = 1.0 / (d.pressure_kpa * 1000.0);
  xb[kLeLatentBase] += lec_b * kp * w.gw;
  const V gw_b = lec_b * kp * x[kLeLatentBase];
  xb[kLeEp] += eps_b * x[kLeSigma];
  xb[kLeSigma] += eps_b * x[kLeEp];
  // g_w = 1 / r_water, the stomatal and boundary-layer resistances in series
  const V rw_b = -gw_b * w.gw * w.gw;
  const V gs = x[kLeGs];
  if (!d.amphistomatous) {
    // r_water = 1/g_b + 1/g_s = rb_vapor + 1/g_s
    xb[kLeGs] += -rw_b / (gs * gs);
    xb[kLeRbVapor] += rw_b;
  } else {
    // r_water = r_side / 2 (the two faces in parallel), r_side = rb_vapor + 2 / g_s
    const V rs_b = rw_b * 0.5;
    xb[kLeRbVapor] += rs_b;
    xb[kLeGs] += -2.0 * rs_b / (gs * gs);
  }
  for (int k = 0; k < kLeInputs; ++k) add_adjoint(adj, in[k], xb[k]);
}

// --- preaccumulated leaf blocks ----------------------------------------------------------------

// A leaf call recorded as one block whose adjoint is the transposed local Jacobian: the physics
// template is evaluated once with dual numbers seeded on the block's active inputs (tape index
// != 0), which gives the values (the same double operations as the template) and every column of
// d(outputs)/d(active inputs) in one pass. Data: this header, then the Jacobian column by column
// (n_out entries per active input).
struct LocalJacobian {
  int n_in, n_out;
};

inline void local_jacobian_adjoint(const double* out_adj, const Index* in, double* adj, const void* data) {
  const LocalJacobian& h = *static_cast<const LocalJacobian*>(data);
  const double* J = reinterpret_cast<const double*>(static_cast<const unsigned char*>(data) + sizeof(LocalJacobian));
  const int n_out = h.n_out;
  for (int k = 0; k < h.n_in; ++k) {
    const double* col = J + static_cast<std::size_t>(k) * n_out;
    double s = 0.0;
    for (int o = 0; o < n_out; ++o) s += col[o] * out_adj[o];
    add_adjoint(adj, in[k], s);
  }
}

// The active inputs among a block's n inputs: their positions and tape indices; returns how many.
inline int active_inputs(const Index* indices, int n, int* position, Index* active) {
  int m = 0;
  for (int k = 0; k < n; ++k)
    if (indices[k]) position[m] = k, active[m++] = indices[k];
  return m;
}

// Per thread and width K: the dual-number Parameters and layer air the leaf templates read. Their
// values are refreshed for every evaluation; their tangents are zero except, during one
// evaluation, the unit tangents of the block's active inputs (so seeding costs one store per
// active input, not a full Parameters of dual numbers per leaf).
template <int K>
struct DualScratch {
  Parameters<Dual<K>> p;
  physics::LayerAir<Dual<K>> air;
};
template <int K>
inline DualScratch<K>& dual_scratch(const Parameters<Var>& p) {
  thread_local DualScratch<K> s;
  for (std::size_t i = 0; i < kParameterCount; ++i) parameter_at(s.p, i).v = parameter_at(p, i).v;
  return s;
}

// Sets the values of the block inputs `target` to x and seeds the m active ones (positions
// `position`) as directions 0..m-1; unseed() clears those tangents again.
template <int K>
inline void seed(Dual<K>* const* target, const double* x, int n, const int* position, int m) {
  for (int k = 0; k < n; ++k) target[k]->v = x[k];
  for (int j = 0; j < m; ++j) target[position[j]]->d[j] = 1.0;
}
template <int K>
inline void unseed(Dual<K>* const* target, const int* position, int m) {
  for (int j = 0; j < m; ++j) target[position[j]]->d[j] = 0.0;
}

// physics::leaf_photosynthesis with Dual<K> on the block inputs x (kPsInput order); y: A_n, g_s,
// R_d, c_i; jac: their columns over the m active inputs.
template <int K>
void ps_preaccumulate(const double* x, const int* position, int m, double pressure_kpa, bool amphistomatous,
                      bool single_dark_respiration, const Parameters<Var>& p, double* y, double* jac) {
  using D = Dual<K>;
  DualScratch<K>& s = dual_scratch<K>(p);
  Parameters<D>& pd = s.p;
  D args[kPsTk25];
  D* target[kPsInputs] = {&args[kPsPar], &args[kPsCa], &args[kPsTleaf], &args[kPsRb], &args[kPsRh],
                          &pd.tk_25,     &pd.kc25,     &pd.ekc,         &pd.rugc,     &pd.ko25,
                          &pd.o2,        &pd.vcopt,    &pd.erd,         &pd.jmopt,    &pd.ejm,
                          &pd.toptjm,    &pd.hkin,     &pd.evc,         &pd.toptvc,   &pd.qalpha,
                          &pd.kball,     &pd.bprime};
  seed<K>(target, x, kPsInputs, position, m);
  const physics::LeafPhotosynthesis<D> r = physics::leaf_photosynthesis<D>(
      args[kPsPar], args[kPsCa], args[kPsTleaf], args[kPsRb], pressure_kpa, args[kPsRh], amphistomatous, pd,
      single_dark_respiration);
  unseed<K>(target, position, m);
  const D* out[4] = {&r.net_assimilation, &r.gs_m_s, &r.dark_respiration, &r.ci};
  for (int o = 0; o < 4; ++o) y[o] = out[o]->v;
  for (int j = 0; j < m; ++j)
    for (int o = 0; o < 4; ++o) jac[4 * j + o] = out[o]->d[j];
}

// physics::leaf_energy_balance with Dual<K> on the block inputs x (kLeInput order); y: LE, H,
// T_L, R_net, closure.
template <int K>
void le_preaccumulate(const double* x, double e_air, const int* position, int m, double pressure_kpa,
                      bool amphistomatous, const Parameters<Var>& p, double* y, double* jac) {
  using D = Dual<K>;
  DualScratch<K>& s = dual_scratch<K>(p);
  Parameters<D>& pd = s.p;
  physics::LayerAir<D>& air = s.air;
  D args[kLeTair];
  D* target[kLeInputs] = {&args[kLeQ],  &args[kLeRbHeat], &args[kLeRbVapor], &args[kLeGs],
                          &air.t_air,   &air.tk2,         &air.tk3,          &air.l_air,
                          &air.d2es_dt2, &air.des_dt,     &air.vpd,          &air.latent_base,
                          &air.air_density, &pd.ep,       &pd.sigma,         &pd.Cp};
  seed<K>(target, x, kLeInputs, position, m);
  air.e_air.v = e_air;
  const physics::LeafEnergy<D> r = physics::leaf_energy_balance<D>(args[kLeQ], args[kLeRbHeat], args[kLeRbVapor],
                                                                   args[kLeGs], air, pressure_kpa, amphistomatous, pd);
  unseed<K>(target, position, m);
  const D* out[5] = {&r.LE, &r.H, &r.t_leaf, &r.rnet, &r.closure};
  for (int o = 0; o < 5; ++o) y[o] = out[o]->v;
  for (int j = 0; j < m; ++j)
    for (int o = 0; o < 5; ++o) jac[5 * j + o] = out[o]->d[j];
}

// The inputs of a leaf photosynthesis block, in the order of PsWork / the block's Jacobian.
template <class Active>
std::array<const Active*, kPsInputs> ps_arguments(const Active& par_absorbed, const Active& ca, const Active& t_leaf,
                                                  const Active& rb_co2, const Active& rh,
                                                  const Parameters<Active>& p) {
  return {&par_absorbed, &ca,     &t_leaf,   &rb_co2,  &rh,      &p.tk_25,  &p.kc25,   &p.ekc,
          &p.rugc,       &p.ko25, &p.o2,     &p.vcopt, &p.erd,   &p.jmopt,  &p.ejm,    &p.toptjm,
          &p.hkin,       &p.evc,  &p.toptvc, &p.qalpha, &p.kball, &p.bprime};
}

// The inputs of a leaf energy-balance block, in the order of LeWork / the block's Jacobian.
template <class Active>
std::array<const Active*, kLeInputs> le_arguments(const Active& q_abs, const Active& rb_heat, const Active& rb_vapor,
                                                  const Active& gs, const physics::LayerAir<Active>& air,
                                                  const Parameters<Active>& p) {
  return {&q_abs,   &rb_heat, &rb_vapor,     &gs,         &air.t_air, &air.tk2,         &air.tk3, &air.l_air,
          &air.d2es_dt2, &air.des_dt, &air.vpd, &air.latent_base, &air.air_density, &p.ep, &p.sigma, &p.Cp};
}

// physics::leaf_photosynthesis for Var or LaneVar, hand-written: one external block (outputs A_n,
// g_s, R_d, c_i) instead of about 250 nodes per leaf (300 in lanes); the adjoint runs the stored
// forward pass backwards. leaf_rh is min(rh, 1) as in the template (rh itself, or the constant 1).
template <class Active>
physics::LeafPhotosynthesis<Active> leaf_photosynthesis_handwritten(
    const Active& par_absorbed, const Active& ca, const Active& t_leaf, const Active& rb_co2,
    const typename ActiveTraits<Active>::Value& pressure_kpa, const Active& rh, bool amphistomatous,
    const Parameters<Active>& p, bool single_dark_respiration) {
  using AT = ActiveTraits<Active>;
  using V = typename AT::Value;
  const std::array<const Active*, kPsInputs> args = ps_arguments(par_absorbed, ca, t_leaf, rb_co2, rh, p);
  auto& tape = AT::tape();
  void* where = nullptr;
  const std::size_t offset = tape.reserve_external_data(sizeof(PsData<V>), &where);
  auto* d = static_cast<PsData<V>*>(where);
  Index inputs[kPsInputs];
  const bool active = gather_inputs(args.data(), kPsInputs, d->x, inputs);
  d->amphistomatous = amphistomatous;
  d->single_dark_respiration = single_dark_respiration;
  PsWorkOf<V>& w = d->w;
  ps_forward(d->x, pressure_kpa, amphistomatous, single_dark_respiration, w);
  physics::LeafPhotosynthesis<Active> out;
  out.leaf_rh = physics::cap_at(rh, 1.0);
  if (!active) {  // the reserved data stays unused
    out.net_assimilation = Active(w.out_a), out.gs_m_s = Active(w.out_gs), out.dark_respiration = Active(w.rd);
    out.ci = Active(w.out_ci);
    return out;
  }
  const Index first = tape.push_external_inplace(inputs, kPsInputs, 4, &photosynthesis_adjoint<V>, offset);
  out.net_assimilation = AT::make(w.out_a, first);
  out.gs_m_s = AT::make(w.out_gs, first + 1);
  out.dark_respiration = AT::make(w.rd, first + 2);
  out.ci = AT::make(w.out_ci, first + 3);
  return out;
}

// physics::leaf_energy_balance for Var, hand-written: one external block (outputs LE, H, T_L,
// R_net, closure) instead of about 70 nodes per leaf; the adjoint runs the stored double forward
// pass backwards.
template <class Active>
physics::LeafEnergy<Active> leaf_energy_balance_handwritten(
    const Active& q_abs, const Active& rb_heat, const Active& rb_vapor, const Active& gs,
    const physics::LayerAir<Active>& air, const typename ActiveTraits<Active>::Value& pressure_kpa,
    bool amphistomatous, const Parameters<Active>& p) {
  using AT = ActiveTraits<Active>;
  using V = typename AT::Value;
  const std::array<const Active*, kLeInputs> args = le_arguments(q_abs, rb_heat, rb_vapor, gs, air, p);
  auto& tape = AT::tape();
  void* where = nullptr;
  const std::size_t offset = tape.reserve_external_data(sizeof(LeData<V>), &where);
  auto* d = static_cast<LeData<V>*>(where);
  Index inputs[kLeInputs];
  const bool active = gather_inputs(args.data(), kLeInputs, d->x, inputs);
  d->pressure_kpa = pressure_kpa;
  d->amphistomatous = amphistomatous;
  LeWorkOf<V>& w = d->w;
  le_forward(d->x, pressure_kpa, amphistomatous, w);
  physics::LeafEnergy<Active> out;
  out.vpd = air.vpd;
  if (!active) {  // the reserved data stays unused
    out.LE = Active(w.LE), out.H = Active(w.H), out.t_leaf = Active(w.t_leaf), out.rnet = Active(w.rnet);
    out.closure = Active(w.closure);
    return out;
  }
  const Index first = tape.push_external_inplace(inputs, kLeInputs, 5, &leaf_energy_adjoint<V>, offset);
  out.LE = AT::make(w.LE, first);
  out.H = AT::make(w.H, first + 1);
  out.t_leaf = AT::make(w.t_leaf, first + 2);
  out.rnet = AT::make(w.rnet, first + 3);
  out.closure = AT::make(w.closure, first + 4);
  return out;
}

// physics::leaf_photosynthesis for Var, preaccumulated: one external block (outputs A_n, g_s, R_d,
// c_i) holding the 4 x m Jacobian over the m active inputs, from one Dual<K> evaluation of the
// template.
inline physics::LeafPhotosynthesis<Var> leaf_photosynthesis_preaccumulated(
    const Var& par_absorbed, const Var& ca, const Var& t_leaf, const Var& rb_co2, const double& pressure_kpa, const Var& rh,
    bool amphistomatous, const Parameters<Var>& p, bool single_dark_respiration) {
  const std::array<const Var*, kPsInputs> args = ps_arguments(par_absorbed, ca, t_leaf, rb_co2, rh, p);
  double x[kPsInputs];
  Index indices[kPsInputs], active[kPsInputs];
  int position[kPsInputs];
  gather_inputs(args.data(), kPsInputs, x, indices);
  const int m = active_inputs(indices, kPsInputs, position, active);
  physics::LeafPhotosynthesis<Var> out;
  out.leaf_rh = rh > 1.0 ? Var(1.0) : rh;
  if (m == 0) {
    Parameters<double> pv;
    for (std::size_t i = 0; i < kParameterCount; ++i) parameter_at(pv, i) = parameter_at(p, i).v;
    const auto r = physics::leaf_photosynthesis<double>(par_absorbed.v, ca.v, t_leaf.v, rb_co2.v, pressure_kpa, rh.v,
                                                        amphistomatous, pv, single_dark_respiration);
    out.net_assimilation = r.net_assimilation, out.gs_m_s = r.gs_m_s, out.dark_respiration = r.dark_respiration;
    out.ci = r.ci;
    return out;
  }
  Tape& tape = thread_tape();
  void* where = nullptr;
  const std::size_t offset =
      tape.reserve_external_data(sizeof(LocalJacobian) + 4 * static_cast<std::size_t>(m) * sizeof(double), &where);
  auto* h = static_cast<LocalJacobian*>(where);
  h->n_in = m, h->n_out = 4;
  double* jac = reinterpret_cast<double*>(static_cast<unsigned char*>(where) + sizeof(LocalJacobian));
  double y[4];
  if (m <= 12) ps_preaccumulate<12>(x, position, m, pressure_kpa, amphistomatous, single_dark_respiration, p, y, jac);
  else ps_preaccumulate<kPsInputs>(x, position, m, pressure_kpa, amphistomatous, single_dark_respiration, p, y, jac);
  const Index first = tape.push_external_inplace(active, m, 4, &local_jacobian_adjoint, offset);
  out.net_assimilation = Var(y[0], first);
  out.gs_m_s = Var(y[1], first + 1);
  out.dark_respiration = Var(y[2], first + 2);
  out.ci = Var(y[3], first + 3);
  return out;
}

// physics::leaf_energy_balance for Var, preaccumulated: one external block (outputs LE, H, T_L,
// R_net, closure) holding the 5 x m Jacobian over the m active inputs.
inline physics::LeafEnergy<Var> leaf_energy_balance_preaccumulated(const Var& q_abs, const Var& rb_heat,
                                                                   const Var& rb_vapor, const Var& gs,
                                                                   const physics::LayerAir<Var>& air,
                                                                   const double& pressure_kpa, bool amphistomatous,
                                                                   const Parameters<Var>& p) {
  const std::array<const Var*, kLeInputs> args = le_arguments(q_abs, rb_heat, rb_vapor, gs, air, p);
  double x[kLeInputs];
  Index indices[kLeInputs], active[kLeInputs];
  int position[kLeInputs];
  gather_inputs(args.data(), kLeInputs, x, indices);
  const int m = active_inputs(indices, kLeInputs, position, active);
  physics::LeafEnergy<Var> out;
  out.vpd = air.vpd;
  if (m == 0) {
    Parameters<double> pv;
    for (std::size_t i = 0; i < kParameterCount; ++i) parameter_at(pv, i) = parameter_at(p, i).v;
    physics::LayerAir<double> a;
    a.t_air = air.t_air.v, a.e_air = air.e_air.v, a.tk2 = air.tk2.v, a.tk3 = air.tk3.v, a.l_air = air.l_air.v;
    a.vpd = air.vpd.v, a.air_density = air.air_density.v, a.latent_base = air.latent_base.v;
    a.des_dt = air.des_dt.v, a.d2es_dt2 = air.d2es_dt2.v;
    const auto r = physics::leaf_energy_balance<double>(q_abs.v, rb_heat.v, rb_vapor.v, gs.v, a, pressure_kpa,
                                                        amphistomatous, pv);
    out.LE = r.LE, out.H = r.H, out.t_leaf = r.t_leaf, out.rnet = r.rnet, out.closure = r.closure;
    return out;
  }
  Tape& tape = thread_tape();
  void* where = nullptr;
  const std::size_t offset =
      tape.reserve_external_data(sizeof(LocalJacobian) + 5 * static_cast<std::size_t>(m) * sizeof(double), &where);
  auto* h = static_cast<LocalJacobian*>(where);
  h->n_in = m, h->n_out = 5;
  double* jac = reinterpret_cast<double*>(static_cast<unsigned char*>(where) + sizeof(LocalJacobian));
  double y[5];
  if (m <= 14) le_preaccumulate<14>(x, air.e_air.v, position, m, pressure_kpa, amphistomatous, p, y, jac);
  else le_preaccumulate<kLeInputs>(x, air.e_air.v, position, m, pressure_kpa, amphistomatous, p, y, jac);
  const Index first = tape.push_external_inplace(active, m, 5, &local_jacobian_adjoint, offset);
  out.LE = Var(y[0], first);
  out.H = Var(y[1], first + 1);
  out.t_leaf = Var(y[2], first + 2);
  out.rnet = Var(y[3], first + 3);
  out.closure = Var(y[4], first + 4);
  return out;
}

}  // namespace kernels_detail

// Which blocks the two leaf overloads below record: the hand-written adjoints (false, the default)
// or the preaccumulated Jacobians (true). Set before a gradient run, not during one
// (bench_gradient measures both).
inline bool& preaccumulate_leaf_blocks() {
  static bool on = false;
  return on;
}

#ifndef CANVEG_GRADIENT_GENERIC_ONLY  // diagnostics: tape the generic templates instead

namespace kernels_detail {

// nn::evaluate_scalar recorded as one external block with the backpropagation written out,
// instead of about 130 nodes per evaluation.
template <class Active>
Active evaluate_scalar_taped(const nn::DenseNetView<Active>& net, const Active* x) {
  using AT = ActiveTraits<Active>;
  using V = typename AT::Value;
  const int I = net.in_size, W = net.width;
  if (net.out_size != 1 || W > nn::kMaxWidth || I > 64) return nn::evaluate_scalar<Active, Active>(net, x);
  auto& tape = AT::tape();
  const std::size_t bytes = header_bytes<V, NetHeader<Active>>() + NetArrays<V>::values(I, W) * sizeof(V);
  void* where = nullptr;
  const std::size_t offset = tape.reserve_external_data(bytes, &where);
  auto* h = static_cast<NetHeader<Active>*>(where);
  h->net = net;
  const NetArrays<V> a(values_after<V>(h), I, W);
  Index inputs[64];
  bool active = false;
  for (int i = 0; i < I; ++i) {
    a.x[i] = AT::value(x[i]);
    inputs[i] = x[i].i;
    active = active || x[i].i != 0;
  }
  const auto any_active = [&active](const Active* v, int n) {
    for (int i = 0; i < n && !active; ++i) active = v[i].i != 0;
  };
  any_active(net.w0, W * I), any_active(net.b0, W), any_active(net.w1, W * W), any_active(net.b1, W);
  any_active(net.w2, W), any_active(net.b2, 1);
  const Active *w0 = net.w0, *b0 = net.b0, *w1 = net.w1, *b1 = net.b1, *w2 = net.w2, *b2 = net.b2;
  const V* xv = a.x;
  V *z1 = a.z1, *z2 = a.z2, *h1 = a.h1, *h2 = a.h2;
  // Values exactly as nn::dense_layer with plain values.
  for (int o = 0; o < W; ++o) {
    V sum = AT::value(b0[o]);
    for (int i = 0; i < I; ++i) sum = sum + AT::value(w0[o * I + i]) * xv[i];
    z1[o] = sum;
    h1[o] = nn::activate(net.hidden, sum);
  }
  for (int o = 0; o < W; ++o) {
    V sum = AT::value(b1[o]);
    for (int i = 0; i < W; ++i) sum = sum + AT::value(w1[o * W + i]) * h1[i];
    z2[o] = sum;
    h2[o] = nn::activate(net.hidden, sum);
  }
  V sum = AT::value(b2[0]);
  for (int i = 0; i < W; ++i) sum = sum + AT::value(w2[i]) * h2[i];
  z2[W] = sum;
  const V y = nn::activate(net.final, sum);
  if (!active) return Active(y);  // the reserved data stays unused
  const Index id = tape.push_external_inplace(inputs, static_cast<std::size_t>(I), 1, &net_adjoint<Active>, offset);
  return AT::make(y, id);
}

// physics::dispersion_sums recorded as one block (the matrix itself, `dij`, is for the lanes'
// order of the sums).
template <class Active>
void dispersion_sums_taped(physics::ProfileLevels levels, int J, const double* __restrict__ dij_t, const double* delz,
                           const Active* source_a, const Active* source_b, const Active* source_c,
                           Active* __restrict__ sum_a, Active* __restrict__ sum_b, Active* __restrict__ sum_c) {
  using AT = ActiveTraits<Active>;
  using V = typename AT::Value;
  const int N = levels.N, M = levels.count();
  thread_local std::vector<Index> inputs;
  thread_local std::vector<V> wa, wb, wc, sa, sb, sc;
  inputs.resize(3 * static_cast<std::size_t>(J));
  wa.resize(J), wb.resize(J), wc.resize(J);
  sa.assign(M, V(0.0)), sb.assign(M, V(0.0)), sc.assign(M, V(0.0));
  for (int j = 0; j < J; ++j) {
    const Active a = delz[j] * source_a[j], b = delz[j] * source_b[j], c = delz[j] * source_c[j];
    wa[j] = AT::value(a), wb[j] = AT::value(b), wc[j] = AT::value(c);
    inputs[j] = a.i, inputs[J + j] = b.i, inputs[2 * J + j] = c.i;
  }
  // Values exactly as the template: each node's sum over the layers in order j = 0..J-1.
  const int lower = levels.lower;
  for (int j = 0; j < J; ++j) {
    const double* col = dij_t + static_cast<long>(j) * N;
    for (int i = 0; i < lower; ++i) {
      sa[i] = sa[i] + col[i] * wa[j];
      sb[i] = sb[i] + col[i] * wb[j];
      sc[i] = sc[i] + col[i] * wc[j];
    }
    if (lower < N) {  // the top node, output M - 1
      sa[M - 1] = sa[M - 1] + col[N - 1] * wa[j];
      sb[M - 1] = sb[M - 1] + col[N - 1] * wb[j];
      sc[M - 1] = sc[M - 1] + col[N - 1] * wc[j];
    }
  }
  bool active = false;
  for (Index x : inputs) active = active || x != 0;
  if (!active) {
    for (int k = 0; k < M; ++k) {
      const int i = levels.node(k);
      sum_a[i] = Active(sa[k]), sum_b[i] = Active(sb[k]), sum_c[i] = Active(sc[k]);
    }
    return;
  }
  const DispersionData data{dij_t, levels, J};
  const Index first = AT::tape().push_external(inputs.data(), inputs.size(), 3 * static_cast<std::size_t>(M),
                                               &dispersion_adjoint<V>, &data, sizeof(data));
  for (int k = 0; k < M; ++k) {
    const int i = levels.node(k);
    sum_a[i] = AT::make(sa[k], first + k);
    sum_b[i] = AT::make(sb[k], first + M + k);
    sum_c[i] = AT::make(sc[k], first + 2 * M + k);
  }
}

// physics::profile_from_sums recorded as one block instead of seven nodes per level.
template <class Active>
void profile_from_sums_taped(physics::ProfileLevels levels, const double* dij_t,
                             const typename ActiveTraits<Active>::Value& ustar_factor, const Active& stability_factor,
                             const Active& soil_flux, const Active& unit_factor,
                             const typename ActiveTraits<Active>::Value& c_ref, Active* sums) {
  using AT = ActiveTraits<Active>;
  using V = typename AT::Value;
  using Header = ProfileHeader<V>;
  auto& tape = AT::tape();
  const int M = levels.count();
  void* where = nullptr;
  const std::size_t offset =
      tape.reserve_external_data(header_bytes<V, Header>() + 2 * static_cast<std::size_t>(M) * sizeof(V), &where);
  auto* h = static_cast<Header*>(where);
  V* s = values_after<V>(h);
  V* u = s + M;
  thread_local std::vector<Index> inputs;
  inputs.resize(static_cast<std::size_t>(M) + 3);
  bool active = stability_factor.i != 0 || soil_flux.i != 0 || unit_factor.i != 0;
  // Values exactly as the template.
  const V scale = ustar_factor * AT::value(stability_factor);
  const V& f = AT::value(unit_factor);
  for (int k = 0; k < M; ++k) {
    const int i = levels.node(k);
    s[k] = AT::value(sums[i]);
    inputs[k] = sums[i].i;
    active = active || sums[i].i != 0;
    const V soil_term = AT::value(soil_flux) * (ustar_factor * dij_t[i]) / f;
    u[k] = scale * s[k] / f + soil_term;
  }
  const V top = u[M - 1];
  if (!active) {
    for (int k = 0; k < M; ++k) sums[levels.node(k)] = Active(V(u[k] + c_ref - top));  // the reserved data stays unused
    return;
  }
  inputs[M] = stability_factor.i, inputs[M + 1] = soil_flux.i, inputs[M + 2] = unit_factor.i;
  *h = Header{dij_t, levels, ustar_factor, scale, f};
  const Index first = tape.push_external_inplace(inputs.data(), inputs.size(), static_cast<std::size_t>(M),
                                                 &profile_adjoint<V>, offset);
  for (int k = 0; k < M; ++k) sums[levels.node(k)] = AT::make(u[k] + c_ref - top, first + k);
}

// physics::conduct_soil_heat recorded as one block: the map and its transpose.
template <class Active>
void conduct_soil_heat_taped(const physics::SoilColumnOf<typename ActiveTraits<Active>::Value>& s,
                             const Active& t_surface, Active* t) {
  using AT = ActiveTraits<Active>;
  using V = typename AT::Value;
  constexpr int L = physics::kSoilLayers;
  V tv[L + 1];
  Index inputs[L + 2];
  bool active = t_surface.i != 0;
  for (int m = 0; m <= L; ++m) {
    tv[m] = AT::value(t[m]);
    inputs[m] = t[m].i;
    active = active || t[m].i != 0;
  }
  inputs[L + 1] = t_surface.i;
  physics::conduct_soil_heat<V>(s, AT::value(t_surface), tv);
  if (!active) {
    for (int m = 0; m < L; ++m) t[m] = Active(tv[m]);
    return;
  }
  auto& tape = AT::tape();
  void* where = nullptr;
  const std::size_t offset = tape.reserve_external_data(sizeof(SoilData<V>), &where);
  auto* data = static_cast<SoilData<V>*>(where);
  for (int m = 0; m < L; ++m)
    for (int k = 0; k < physics::kConductionMapColumns; ++k) data->map[m][k] = s.conduction_map[m][k];
  const Index first = tape.push_external_inplace(inputs, L + 2, L, &soil_adjoint<V>, offset);
  for (int m = 0; m < L; ++m) t[m] = AT::make(tv[m], first + m);
}

// physics::longwave_transfer: the layer coefficients and emission recorded operation by operation
// as in the template, the sweeps as one block that keeps every sweep's fluxes for the adjoint.
template <class Active>
void longwave_transfer_taped(int J, int sweeps, const Active& sky, const Active* prob_beam, const Active* t_sun,
                             const Active* t_shade, const Active& tau_diffuse, const Active& ep, const Active& epsoil,
                             const Active& sigma, const Active& t_soil_surface, Active* ir_down, Active* ir_up,
                             Active* source) {
  using AT = ActiveTraits<Active>;
  using V = typename AT::Value;
  using Header = LongwaveHeader<V>;
  if (sweeps <= 0) {
    physics::longwave_transfer<Active>(J, sweeps, sky, prob_beam, t_sun, t_shade, tau_diffuse, ep, epsoil, sigma,
                                       t_soil_surface, ir_down, ir_up, source);
    return;
  }
  const Active epsigma = ep * sigma;
  const Active scat = (1.0 - ep) / 2.0;
  const Active forward = tau_diffuse + (1.0 - tau_diffuse) * scat;
  const Active backward = (1.0 - tau_diffuse) * scat;
  for (int j = 0; j < J; ++j) {
    const Active ts2 = t_sun[j] * t_sun[j];
    const Active th2 = t_shade[j] * t_shade[j];
    const Active emitted = epsigma * (prob_beam[j] * (ts2 * ts2) + (1.0 - prob_beam[j]) * (th2 * th2));
    source[j] = emitted * (1.0 - tau_diffuse);
  }
  const Active tsoil2 = t_soil_surface * t_soil_surface;
  const Active soil_emission = epsoil * sigma * (tsoil2 * tsoil2);
  const Active one_minus_eps = 1.0 - epsoil;

  auto& tape = AT::tape();
  const std::size_t W = static_cast<std::size_t>(J + 1);
  const std::size_t bytes = header_bytes<V, Header>() + (2 * static_cast<std::size_t>(sweeps) + 1) * W * sizeof(V);
  void* where = nullptr;
  const std::size_t offset = tape.reserve_external_data(bytes, &where);
  auto* h = static_cast<Header*>(where);
  h->J = J;
  h->sweeps = sweeps;
  h->forward = AT::value(forward);
  h->backward = AT::value(backward);
  h->one_minus_eps = AT::value(one_minus_eps);
  V* U = values_after<V>(h);
  V* D = U + (static_cast<std::size_t>(sweeps) + 1) * W;
  thread_local std::vector<V> dn, up, src;
  dn.resize(W), up.resize(W), src.resize(J);
  for (int j = 0; j < J; ++j) src[j] = AT::value(source[j]);
  for (int l = 0; l < J; ++l) dn[l] = AT::value(ir_down[l]), up[l] = AT::value(ir_up[l]);
  dn[J] = AT::value(sky);
  up[J] = AT::value(sky);
  const V fw = AT::value(forward), bw = AT::value(backward), ome = AT::value(one_minus_eps),
          soil = AT::value(soil_emission);
  std::copy(up.begin(), up.end(), U);
  h->stored = sweeps;
  for (int s = 1; s <= sweeps; ++s) {
    for (int i = J - 1; i >= 0; --i) dn[i] = dn[i + 1] * fw + (up[i] * bw + src[i]);
    up[0] = ome * dn[0] + soil;
    for (int i = 0; i < J; ++i) up[i + 1] = up[i] * fw + (dn[i + 1] * bw + src[i]);
    V* u_s = U + static_cast<std::size_t>(s) * W;
    std::copy(up.begin(), up.end(), u_s);
    std::copy(dn.begin(), dn.end(), D + static_cast<std::size_t>(s - 1) * W);
    // The fixed point (in every lane): the later sweeps' fluxes are these (the adjoint still runs
    // all of them).
    bool settled = true;
    for (std::size_t l = 0; l < W && settled; ++l) settled = physics::same_value_everywhere(up[l], (u_s - W)[l]);
    if (settled) {
      h->stored = s;
      break;
    }
  }
  thread_local std::vector<Index> inputs;
  inputs.resize(2 * static_cast<std::size_t>(J) + 5);
  for (int i = 0; i < J; ++i) inputs[i] = ir_up[i].i;
  for (int j = 0; j < J; ++j) inputs[J + j] = source[j].i;
  inputs[2 * J] = sky.i;
  inputs[2 * J + 1] = forward.i;
  inputs[2 * J + 2] = backward.i;
  inputs[2 * J + 3] = one_minus_eps.i;
  inputs[2 * J + 4] = soil_emission.i;
  const Index first = tape.push_external_inplace(inputs.data(), inputs.size(), 2 * static_cast<std::size_t>(J) + 1,
                                                 &longwave_adjoint<V>, offset);
  ir_down[J] = sky;
  for (int i = 0; i < J; ++i) ir_down[i] = AT::make(dn[i], first + i);
  for (int i = 0; i <= J; ++i) ir_up[i] = AT::make(up[i], first + J + i);
}

// Inputs: any; one output, adj(input k) += partial_k x adj(output) with the partials stored.
template <class V>
void stored_partials_adjoint(const V* out_adj, const Index* in, V* adj, const void* data) {
  const std::size_t n = *static_cast<const std::size_t*>(data);
  const V* partial = values_after<V>(static_cast<const std::size_t*>(data));
  const V g = out_adj[0];
  for (std::size_t k = 0; k < n; ++k) add_adjoint(adj, in[k], partial[k] * g);
}

}  // namespace kernels_detail

// The overloads the physics finds for Var and LaneVar (argument-dependent lookup).

inline Var evaluate_scalar(const nn::DenseNetView<Var>& net, const Var* x) {
  return kernels_detail::evaluate_scalar_taped(net, x);
}
template <class A>
LaneVar<A> evaluate_scalar(const nn::DenseNetView<LaneVar<A>>& net, const LaneVar<A>* x) {
  return kernels_detail::evaluate_scalar_taped(net, x);
}

namespace kernels_detail {
// physics::canopy_sum's value and its partials with respect to its active inputs (tape indices in
// `inputs`). Values exactly as the template; the partial of P_j, (x_sun - x_shade) w, and of w,
// sum_j of the mixed values, are each one product where the template adds two or J.
template <class Active>
typename ActiveTraits<Active>::Value canopy_sum_partials(int J, const Active* prob_beam, const Active* sun,
                                                         const Active* shade, const Active& w,
                                                         std::vector<Index>& inputs,
                                                         std::vector<typename ActiveTraits<Active>::Value>& partials) {
  using AT = ActiveTraits<Active>;
  using V = typename AT::Value;
  inputs.clear();
  partials.clear();
  const V& wv = AT::value(w);
  V sum = 0.0, mixed_total = 0.0;
  for (int j = 0; j < J; ++j) {
    const V pb = AT::value(prob_beam[j]), psh = 1.0 - pb;
    const V mixed = pb * AT::value(sun[j]) + psh * AT::value(shade[j]);
    sum = sum + mixed * wv;
    mixed_total += mixed;
    if (sun[j].i) inputs.push_back(sun[j].i), partials.push_back(pb * wv);
    if (shade[j].i) inputs.push_back(shade[j].i), partials.push_back(psh * wv);
    if (prob_beam[j].i)
      inputs.push_back(prob_beam[j].i), partials.push_back((AT::value(sun[j]) - AT::value(shade[j])) * wv);
  }
  if (w.i) inputs.push_back(w.i), partials.push_back(mixed_total);
  return sum;
}
}  // namespace kernels_detail

// physics::canopy_sum for Var: one n-ary node with the partials of the 3J + 1 inputs instead of
// six nodes per layer.
inline Var canopy_sum(int J, const Var* prob_beam, const Var* sun, const Var* shade, const Var& w) {
  thread_local std::vector<Index> inputs;
  thread_local std::vector<double> partials;
  thread_local std::vector<NaryEdge> edges;
  const double sum = kernels_detail::canopy_sum_partials(J, prob_beam, sun, shade, w, inputs, partials);
  if (inputs.empty()) return Var(sum);
  edges.resize(inputs.size());
  for (std::size_t k = 0; k < inputs.size(); ++k) edges[k] = {inputs[k], partials[k]};
  return Var(sum, thread_tape().push_nary(edges.data(), edges.size()));
}
// The same for LaneVar: one block with the stored partials.
template <class A>
LaneVar<A> canopy_sum(int J, const LaneVar<A>* prob_beam, const LaneVar<A>* sun, const LaneVar<A>* shade,
                      const LaneVar<A>& w) {
  using V = simd::Lanes<A, 1>;
  thread_local std::vector<Index> inputs;
  thread_local std::vector<V> partials;
  const V sum = kernels_detail::canopy_sum_partials(J, prob_beam, sun, shade, w, inputs, partials);
  if (inputs.empty()) return LaneVar<A>(sum);
  LaneTape<A>& tape = thread_lane_tape<A>();
  void* where = nullptr;
  const std::size_t n = inputs.size();
  const std::size_t offset =
      tape.reserve_external_data(kernels_detail::header_bytes<V, std::size_t>() + n * sizeof(V), &where);
  *static_cast<std::size_t*>(where) = n;
  std::copy(partials.begin(), partials.end(), kernels_detail::values_after<V>(static_cast<std::size_t*>(where)));
  const Index id =
      tape.push_external_inplace(inputs.data(), n, 1, &kernels_detail::stored_partials_adjoint<V>, offset);
  return LaneVar<A>(sum.v[0], id);
}

inline void dispersion_sums(physics::ProfileLevels levels, int J, const double* /*dij*/,
                            const double* __restrict__ dij_t, const double* delz, const Var* source_a,
                            const Var* source_b, const Var* source_c, Var* __restrict__ sum_a, Var* __restrict__ sum_b,
                            Var* __restrict__ sum_c) {
  kernels_detail::dispersion_sums_taped(levels, J, dij_t, delz, source_a, source_b, source_c, sum_a, sum_b, sum_c);
}
template <class A>
void dispersion_sums(physics::ProfileLevels levels, int J, const double* /*dij*/, const double* __restrict__ dij_t,
                     const double* delz, const LaneVar<A>* source_a, const LaneVar<A>* source_b,
                     const LaneVar<A>* source_c, LaneVar<A>* __restrict__ sum_a, LaneVar<A>* __restrict__ sum_b,
                     LaneVar<A>* __restrict__ sum_c) {
  kernels_detail::dispersion_sums_taped(levels, J, dij_t, delz, source_a, source_b, source_c, sum_a, sum_b, sum_c);
}

inline void profile_from_sums(physics::ProfileLevels levels, const double* dij_t, const double& ustar_factor,
                              const Var& stability_factor, const Var& soil_flux, const Var& unit_factor,
                              const double& c_ref, Var* sums) {
  kernels_detail::profile_from_sums_taped(levels, dij_t, ustar_factor, stability_factor, soil_flux, unit_factor, c_ref,
                                          sums);
}
template <class A>
void profile_from_sums(physics::ProfileLevels levels, const double* dij_t,
                       const std::type_identity_t<simd::Lanes<A, 1>>& ustar_factor, const LaneVar<A>& stability_factor,
                       const LaneVar<A>& soil_flux, const LaneVar<A>& unit_factor,
                       const std::type_identity_t<simd::Lanes<A, 1>>& c_ref, LaneVar<A>* sums) {
  kernels_detail::profile_from_sums_taped(levels, dij_t, ustar_factor, stability_factor, soil_flux, unit_factor, c_ref,
                                          sums);
}

inline void conduct_soil_heat(const physics::SoilColumn& s, const Var& t_surface, Var* t) {
  kernels_detail::conduct_soil_heat_taped(s, t_surface, t);
}
template <class A>
void conduct_soil_heat(const physics::SoilColumnOf<simd::Lanes<A, 1>>& s, const LaneVar<A>& t_surface, LaneVar<A>* t) {
  kernels_detail::conduct_soil_heat_taped(s, t_surface, t);
}

inline void longwave_transfer(int J, int sweeps, const Var& sky, const Var* prob_beam, const Var* t_sun,
                              const Var* t_shade, const Var& tau_diffuse, const Var& ep, const Var& epsoil,
                              const Var& sigma, const Var& t_soil_surface, Var* ir_down, Var* ir_up, Var* source) {
  kernels_detail::longwave_transfer_taped(J, sweeps, sky, prob_beam, t_sun, t_shade, tau_diffuse, ep, epsoil, sigma,
                                          t_soil_surface, ir_down, ir_up, source);
}
template <class A>
void longwave_transfer(int J, int sweeps, const LaneVar<A>& sky, const LaneVar<A>* prob_beam, const LaneVar<A>* t_sun,
                       const LaneVar<A>* t_shade, const LaneVar<A>& tau_diffuse, const LaneVar<A>& ep,
                       const LaneVar<A>& epsoil, const LaneVar<A>& sigma, const LaneVar<A>& t_soil_surface,
                       LaneVar<A>* ir_down, LaneVar<A>* ir_up, LaneVar<A>* source) {
  kernels_detail::longwave_transfer_taped(J, sweeps, sky, prob_beam, t_sun, t_shade, tau_diffuse, ep, epsoil, sigma,
                                          t_soil_surface, ir_down, ir_up, source);
}

namespace kernels_detail {
// physics::boundary_resistance_scaled recorded as one external block per leaf (outputs r_b for
// heat, water vapour and CO2) instead of about 25 nodes.
template <class Active>
physics::BoundaryResistance<Active> boundary_resistance_taped(const Active& t_leaf, const Active& t_air,
                                                              const typename ActiveTraits<Active>::Value& wind,
                                                              const Active& tp_factor, const Parameters<Active>& p,
                                                              const physics::BoundaryLayerConstants<Active>& c) {
  using AT = ActiveTraits<Active>;
  using V = typename AT::Value;
  const Active* args[kBlInputs] = {&t_leaf, &t_air, &tp_factor, &p.lleaf, &p.betfac, &c.grashof, &c.nu,
                                   &c.d_heat, &c.d_vapor, &c.d_co2, &c.pr33, &c.sc33, &c.scc33};
  auto& tape = AT::tape();
  void* where = nullptr;
  const std::size_t offset = tape.reserve_external_data(sizeof(BlDataOf<V>), &where);
  auto& d = *static_cast<BlDataOf<V>*>(where);
  Index inputs[kBlInputs];
  const bool active = gather_inputs(args, kBlInputs, d.x, inputs);
  d.wind = wind;
  bl_forward(d);
  physics::BoundaryResistance<Active> r;
  if (!active) {  // the reserved data stays unused
    r.heat = Active(d.out[0]), r.vapor = Active(d.out[1]), r.co2 = Active(d.out[2]);
    return r;
  }
  const Index first = tape.push_external_inplace(inputs, kBlInputs, 3, &boundary_adjoint<V>, offset);
  r.heat = AT::make(d.out[0], first);
  r.vapor = AT::make(d.out[1], first + 1);
  r.co2 = AT::make(d.out[2], first + 2);
  return r;
}
}  // namespace kernels_detail

inline physics::BoundaryResistance<Var> boundary_resistance_scaled(const Var& t_leaf, const Var& t_air, double wind,
                                                                   const Var& tp_factor, const Parameters<Var>& p,
                                                                   const physics::BoundaryLayerConstants<Var>& c) {
  return kernels_detail::boundary_resistance_taped(t_leaf, t_air, wind, tp_factor, p, c);
}
template <class A>
physics::BoundaryResistance<LaneVar<A>> boundary_resistance_scaled(
    const LaneVar<A>& t_leaf, const LaneVar<A>& t_air, const std::type_identity_t<simd::Lanes<A, 1>>& wind,
    const LaneVar<A>& tp_factor, const Parameters<LaneVar<A>>& p,
    const physics::BoundaryLayerConstants<LaneVar<A>>& c) {
  return kernels_detail::boundary_resistance_taped(t_leaf, t_air, wind, tp_factor, p, c);
}

// physics::leaf_photosynthesis for Var: one external block per leaf (outputs A_n, g_s, R_d, c_i).
inline physics::LeafPhotosynthesis<Var> leaf_photosynthesis(const Var& par_absorbed, const Var& ca, const Var& t_leaf,
                                                            const Var& rb_co2, double pressure_kpa, const Var& rh,
                                                            bool amphistomatous, const Parameters<Var>& p,
                                                            bool single_dark_respiration = false) {
  if (preaccumulate_leaf_blocks())
    return kernels_detail::leaf_photosynthesis_preaccumulated(par_absorbed, ca, t_leaf, rb_co2, pressure_kpa, rh,
                                                              amphistomatous, p, single_dark_respiration);
  return kernels_detail::leaf_photosynthesis_handwritten(par_absorbed, ca, t_leaf, rb_co2, pressure_kpa, rh,
                                                         amphistomatous, p, single_dark_respiration);
}

// The same for LaneVar: the hand-written block in lanes.
template <class A>
physics::LeafPhotosynthesis<LaneVar<A>> leaf_photosynthesis(
    const LaneVar<A>& par_absorbed, const LaneVar<A>& ca, const LaneVar<A>& t_leaf, const LaneVar<A>& rb_co2,
    const std::type_identity_t<simd::Lanes<A, 1>>& pressure_kpa, const LaneVar<A>& rh, bool amphistomatous,
    const Parameters<LaneVar<A>>& p, bool single_dark_respiration = false) {
  return kernels_detail::leaf_photosynthesis_handwritten(par_absorbed, ca, t_leaf, rb_co2, pressure_kpa, rh,
                                                         amphistomatous, p, single_dark_respiration);
}

// The moist-air functions of one temperature for LaneVar (docs/model.md 2.1): each output is a
// function of T alone, recorded as one node with its derivative written out, instead of the 6
// nodes of e_s(T) and the 25 of moist_air (a third of a 50-layer iteration's nodes were these).
// The values are the template's operations on the lanes, so the lane forward pass's bit for bit.
// With c = 18 / R:  e_s' = e_s (6790.4985 / T^2 - 5.02808 / T),  lambda' = -2370,
//   D = e_s lambda c / T^2:  D' = c (e_s' lambda + e_s lambda') / T^2 - 2 D / T,
//   D2 = -2 e_s lambda c / T^3 + D lambda c / T^2:
//   D2' = -2 c (e_s' lambda + e_s lambda') / T^3 + 6 e_s lambda c / T^4 + c (D' lambda + D lambda') / T^2
//         - 2 D lambda c / T^3.
namespace kernels_detail {
// de_s/dT from e_s and 1/T.
template <class A>
simd::Lanes<A, 1> saturation_slope(const simd::Lanes<A, 1>& es, const simd::Lanes<A, 1>& inv_t) {
  return es * ((6790.4985 * inv_t - 5.02808) * inv_t);
}
}  // namespace kernels_detail

template <class A>
LaneVar<A> saturation_vapour_pressure(const LaneVar<A>& tk) {
  const simd::Lanes<A, 1> es = physics::saturation_vapour_pressure(tk.v);
  return lanes_detail::unary(es.v[0], tk, kernels_detail::saturation_slope(es, 1.0 / tk.v).v[0]);
}

template <class A>
physics::MoistAir<LaneVar<A>> moist_air(const LaneVar<A>& tk) {
  using V = simd::Lanes<A, 1>;
  const physics::MoistAir<V> m = physics::moist_air(tk.v);
  // One division: the powers of 1/T (divisions cost the vector unit most, physics/photosynthesis.hpp).
  const V u = 1.0 / tk.v, c = 18.0 / physics::kGasConstant1000;
  const V es_t = kernels_detail::saturation_slope(m.es, u), lam_t = -2370.0;
  const V product_t = es_t * m.lambda + m.es * lam_t;  // (e_s lambda)'
  const V u2 = u * u, u3 = u2 * u;
  const V des_t = c * product_t * u2 - 2.0 * m.des_dt * u;
  const V d2_t = -2.0 * c * product_t * u3 + 6.0 * m.es * m.lambda * c * (u3 * u) +
                 c * (des_t * m.lambda + m.des_dt * lam_t) * u2 - 2.0 * m.des_dt * m.lambda * c * u3;
  physics::MoistAir<LaneVar<A>> out;
  out.es = lanes_detail::unary(m.es.v[0], tk, es_t.v[0]);
  out.lambda = lanes_detail::unary(m.lambda.v[0], tk, lam_t.v[0]);
  out.des_dt = lanes_detail::unary(m.des_dt.v[0], tk, des_t.v[0]);
  out.d2es_dt2 = lanes_detail::unary(m.d2es_dt2.v[0], tk, d2_t.v[0]);
  return out;
}

// physics::leaf_energy_balance for Var: one external block per leaf (outputs LE, H, T_L, R_net,
// closure).
inline physics::LeafEnergy<Var> leaf_energy_balance(const Var& q_abs, const Var& rb_heat, const Var& rb_vapor,
                                                    const Var& gs, const physics::LayerAir<Var>& air,
                                                    double pressure_kpa, bool amphistomatous,
                                                    const Parameters<Var>& p) {
  if (preaccumulate_leaf_blocks())
    return kernels_detail::leaf_energy_balance_preaccumulated(q_abs, rb_heat, rb_vapor, gs, air, pressure_kpa,
                                                              amphistomatous, p);
  return kernels_detail::leaf_energy_balance_handwritten(q_abs, rb_heat, rb_vapor, gs, air, pressure_kpa,
                                                         amphistomatous, p);
}
// The same for LaneVar: the hand-written block in lanes.
template <class A>
physics::LeafEnergy<LaneVar<A>> leaf_energy_balance(const LaneVar<A>& q_abs, const LaneVar<A>& rb_heat,
                                                    const LaneVar<A>& rb_vapor, const LaneVar<A>& gs,
                                                    const physics::LayerAir<LaneVar<A>>& air,
                                                    const std::type_identity_t<simd::Lanes<A, 1>>& pressure_kpa,
                                                    bool amphistomatous, const Parameters<LaneVar<A>>& p) {
  return kernels_detail::leaf_energy_balance_handwritten(q_abs, rb_heat, rb_vapor, gs, air, pressure_kpa,
                                                         amphistomatous, p);
}

#endif  // CANVEG_GRADIENT_GENERIC_ONLY

}  // namespace canveg::ad
