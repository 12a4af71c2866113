// Hand-written adjoints of the hot kernels of a column iteration, for the reverse
// tape (docs/gradients.md "Speed"). Each is an overload for ad::Var of a template in src/physics,
// preferred over the template by overload resolution (found by argument-dependent lookup when
// the physics is instantiated with Var). Each computes its values with the same double
// operations in the same order as the template (so taped values stay bit-identical to a double
// run) and records one external block whose adjoint is written out by hand, instead of one node
// per operation. tests/gradient/test_gradient_processes.cpp checks each against the generic
// template: values bit for bit, derivatives against forward mode.
//
// One-definition rule: every translation unit that instantiates the physics with ad::Var must
// include this header first (src/gradient/reverse_engine.hpp does), so that all of them resolve
// these calls to the same overloads.
//
//   dispersion_sums:      three products with the constant dispersion matrix
//                         (3 N J multiply-adds -> adjoint D^T s, no stored edges)
//   soil_heat_conduction: 90 theta-scheme steps, linear with constant coefficients
//                         (adjoint = 90 transposed steps, no stored values)
//   longwave_transfer:    50 down/up sweeps, bilinear in fluxes and layer coefficients
//                         (adjoint = transposed sweeps over the stored sweep values)
//   evaluate_scalar:      the small dense networks (LeafRHDL per leaf, RsoilDL)
//                         (adjoint = backpropagation over the stored pre-activations)
#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

#include "ad/reverse.hpp"
#include "nn/dense_net.hpp"
#include "physics/column_solver.hpp"

namespace canveg::ad {

namespace kernels_detail {

// --- dispersion sums ---------------------------------------------------------------------------

struct DispersionData {
  const double* dij_t;  // [J x N], owned by the column model (outlives the tape)
  int N, J;
};

// Inputs: wa[J], wb[J], wc[J]; outputs: sa[N], sb[N], sc[N].
inline void dispersion_adjoint(const double* out_adj, const Index* in, double* adj, const void* data) {
  const DispersionData& d = *static_cast<const DispersionData*>(data);
  const int N = d.N, J = d.J;
  const double* sa = out_adj;
  const double* sb = out_adj + N;
  const double* sc = out_adj + 2 * N;
  for (int j = 0; j < J; ++j) {
    const double* col = d.dij_t + static_cast<long>(j) * N;
    double ga = 0.0, gb = 0.0, gc = 0.0;
    for (int i = 0; i < N; ++i) {
      ga += col[i] * sa[i];
      gb += col[i] * sb[i];
      gc += col[i] * sc[i];
    }
    adj[in[j]] += ga;
    adj[in[J + j]] += gb;
    adj[in[2 * J + j]] += gc;
  }
  adj[0] = 0.0;
}

// --- soil heat conduction ----------------------------------------------------------------------

struct SoilData {
  physics::SoilColumn soil;
  int n_steps;
};

// Inputs: t[0..10], t_surface; outputs: t[0..9] after n_steps.
inline void soil_adjoint(const double* out_adj, const Index* in, double* adj, const void* data) {
  const SoilData& d = *static_cast<const SoilData*>(data);
  const physics::SoilColumn& s = d.soil;
  constexpr int L = physics::kSoilLayers;
  const double f_implicit = 0.6, g_explicit = 1.0 - f_implicit;
  double a[L + 1];
  for (int m = 0; m < L; ++m) a[m] = out_adj[m];
  a[L] = 0.0;
  double a_surface = 0.0;
  double dbar[L];
  for (int step = 0; step < d.n_steps; ++step) {
    // Back substitution: t[m] = (d[m] - c_m t[m+1]) / pivot[m], m = 9..0, t[10] fixed.
    for (int m = 0; m < L; ++m) {
      const double c = (m == 0 || m == L - 1) ? 0.0 : -s.k_cond[m] * f_implicit;
      dbar[m] = a[m] / s.pivot[m];
      a[m + 1] += -c * dbar[m];
    }
    // Forward elimination: d[m] -= elim[m] d[m-1], m = 1..9.
    for (int m = L - 1; m >= 1; --m) dbar[m - 1] += -s.elim_factor[m] * dbar[m];
    // Right-hand side from the old profile and the surface boundary.
    a_surface += dbar[0];
    for (int m = 0; m < L; ++m) a[m] = 0.0;
    for (int m = 1; m < L; ++m) {
      const double k_up = s.k_cond[m - 1], k_cu = s.k_cond[m], cp = s.cp_node[m];
      a[m - 1] += k_up * g_explicit * dbar[m];
      a[m] += (cp - k_cu * g_explicit - k_up * g_explicit) * dbar[m];
      a[m + 1] += k_cu * g_explicit * dbar[m];
    }
  }
  for (int m = 0; m <= L; ++m) adj[in[m]] += a[m];
  adj[in[L + 1]] += a_surface;
  adj[0] = 0.0;
}

// --- longwave sweeps ---------------------------------------------------------------------------

// Layout of the data: header, then U_0..U_S ((S + 1) x (J + 1)), then D_1..D_S (S x (J + 1)).
struct LongwaveHeader {
  int J, sweeps;
  double forward, backward, one_minus_eps;
};

// Inputs: ir_up_initial[0..J-1], source[0..J-1], sky, forward, backward, one_minus_eps,
// soil_emission. Outputs: ir_down[0..J-1], ir_up[0..J].
inline void longwave_adjoint(const double* out_adj, const Index* in, double* adj, const void* data) {
  const LongwaveHeader& h = *static_cast<const LongwaveHeader*>(data);
  const int J = h.J, S = h.sweeps;
  const double* U = reinterpret_cast<const double*>(static_cast<const unsigned char*>(data) + sizeof(LongwaveHeader));
  const double* D = U + static_cast<std::size_t>(S + 1) * (J + 1);
  auto u = [&](int s, int i) { return U[static_cast<std::size_t>(s) * (J + 1) + i]; };
  auto dn = [&](int s, int i) { return D[static_cast<std::size_t>(s - 1) * (J + 1) + i]; };
  const double fw = h.forward, bw = h.backward, ome = h.one_minus_eps;
  // Adjoint work arrays on the stack for the usual sizes, else on the heap.
  std::vector<double> heap;
  double stack[2 * 128 + 4];
  double* ub;
  double* db;
  if (J + 1 <= 128) {
    ub = stack;
    db = stack + 128 + 2;
  } else {
    heap.assign(2 * static_cast<std::size_t>(J + 1), 0.0);
    ub = heap.data();
    db = heap.data() + J + 1;
  }
  std::vector<double> src_heap;
  double src_stack[128];
  double* src_bar = J <= 128 ? src_stack : (src_heap.assign(static_cast<std::size_t>(J), 0.0), src_heap.data());
  for (int j = 0; j < J; ++j) src_bar[j] = 0.0;
  for (int i = 0; i < J; ++i) db[i] = out_adj[i];
  db[J] = 0.0;
  for (int i = 0; i <= J; ++i) ub[i] = out_adj[J + i];
  double fw_bar = 0.0, bw_bar = 0.0, ome_bar = 0.0, soil_bar = 0.0, sky_bar = 0.0;
  for (int s = S; s >= 1; --s) {
    // Up pass: U_s[i+1] = U_s[i] fw + D_s[i+1] bw + src[i], i = 0..J-1.
    for (int i = J - 1; i >= 0; --i) {
      const double g = ub[i + 1];
      ub[i] += g * fw;
      db[i + 1] += g * bw;
      src_bar[i] += g;
      fw_bar += g * u(s, i);
      bw_bar += g * dn(s, i + 1);
    }
    // U_s[0] = (1 - eps_soil) D_s[0] + soil emission.
    {
      const double g = ub[0];
      db[0] += g * ome;
      ome_bar += g * dn(s, 0);
      soil_bar += g;
    }
    // Down pass: D_s[i] = D_s[i+1] fw + U_{s-1}[i] bw + src[i], i = J-1..0; D_s[J] = sky.
    // U_{s-1} enters only here; the adjoint of U_s has been used up.
    for (int i = 0; i <= J; ++i) ub[i] = 0.0;
    for (int i = 0; i < J; ++i) {
      const double g = db[i];
      db[i + 1] += g * fw;
      ub[i] += g * bw;
      src_bar[i] += g;
      fw_bar += g * dn(s, i + 1);
      bw_bar += g * u(s - 1, i);
    }
    sky_bar += db[J];
    for (int i = 0; i <= J; ++i) db[i] = 0.0;
  }
  for (int i = 0; i < J; ++i) adj[in[i]] += ub[i];
  for (int j = 0; j < J; ++j) adj[in[J + j]] += src_bar[j];
  adj[in[2 * J]] += sky_bar;
  adj[in[2 * J + 1]] += fw_bar;
  adj[in[2 * J + 2]] += bw_bar;
  adj[in[2 * J + 3]] += ome_bar;
  adj[in[2 * J + 4]] += soil_bar;
  adj[0] = 0.0;
}

// --- dense network (LeafRHDL, RsoilDL) ---------------------------------------------------------

// Layout: header, then weights w0 b0 w1 b1 w2 b2 (as DenseNet), x[in], z1[width], z2[width], z3.
struct NetHeader {
  int in, width;
  Activation hidden, final;
};

inline double activation_slope(Activation a, double z) {
  switch (a) {
    case Activation::Tanh: {
      const double t = std::tanh(z);
      return 1.0 - t * t;
    }
    case Activation::Sigmoid: {
      const double e = std::exp(-z);
      const double s = 1.0 / (1.0 + e);
      return s * s * e;
    }
    case Activation::Softplus: return z > 30.0 ? 1.0 : std::exp(z) / (1.0 + std::exp(z));
    case Activation::Identity:
    default: return 1.0;
  }
}

// Inputs: the network's weights (w0 b0 w1 b1 w2 b2), then x[in]; one output.
inline void net_adjoint(const double* out_adj, const Index* in, double* adj, const void* data) {
  const NetHeader& h = *static_cast<const NetHeader*>(data);
  const int I = h.in, W = h.width;
  const double* w0 = reinterpret_cast<const double*>(static_cast<const unsigned char*>(data) + sizeof(NetHeader));
  const double* b0 = w0 + W * I;
  const double* w1 = b0 + W;
  const double* b1 = w1 + W * W;
  const double* w2 = b1 + W;
  const double* b2 = w2 + W;
  const double* x = b2 + 1;
  const double* z1 = x + I;
  const double* z2 = z1 + W;
  const double z3 = z2[W];
  (void)b0, (void)b1;
  const Index* iw0 = in;
  const Index* ib0 = iw0 + W * I;
  const Index* iw1 = ib0 + W;
  const Index* ib1 = iw1 + W * W;
  const Index* iw2 = ib1 + W;
  const Index* ib2 = iw2 + W;
  const Index* ix = ib2 + 1;
  auto act = [](Activation a, double z) {
    switch (a) {
      case Activation::Tanh: return std::tanh(z);
      case Activation::Sigmoid: return 1.0 / (1.0 + std::exp(-z));
      case Activation::Softplus: return z > 30.0 ? z : std::log(1.0 + std::exp(z));
      case Activation::Identity:
      default: return z;
    }
  };
  double h1[nn::kMaxWidth], h2[nn::kMaxWidth], g2[nn::kMaxWidth], g1[nn::kMaxWidth];
  for (int j = 0; j < W; ++j) h1[j] = act(h.hidden, z1[j]), h2[j] = act(h.hidden, z2[j]);
  const double g3 = out_adj[0] * activation_slope(h.final, z3);
  adj[ib2[0]] += g3;
  for (int j = 0; j < W; ++j) {
    adj[iw2[j]] += g3 * h2[j];
    g2[j] = g3 * w2[j] * activation_slope(h.hidden, z2[j]);
    adj[ib1[j]] += g2[j];
  }
  for (int i = 0; i < W; ++i) {
    double s = 0.0;
    for (int j = 0; j < W; ++j) {
      adj[iw1[j * W + i]] += g2[j] * h1[i];
      s += g2[j] * w1[j * W + i];
    }
    g1[i] = s * activation_slope(h.hidden, z1[i]);
    adj[ib0[i]] += g1[i];
  }
  for (int k = 0; k < I; ++k) {
    double s = 0.0;
    for (int i = 0; i < W; ++i) {
      adj[iw0[i * I + k]] += g1[i] * x[k];
      s += g1[i] * w0[i * I + k];
    }
    adj[ix[k]] += s;
  }
  adj[0] = 0.0;
}

}  // namespace kernels_detail

#ifndef CANVEG_GRADIENT_GENERIC_ONLY  // diagnostics: tape the generic templates instead

// nn::evaluate_scalar for Var (LeafRHDL per leaf, RsoilDL): one external block with the
// backpropagation written out, instead of about 130 nodes per evaluation.
inline Var evaluate_scalar(const nn::DenseNetView<Var>& net, const Var* x) {
  using kernels_detail::NetHeader;
  const int I = net.in_size, W = net.width;
  if (net.out_size != 1 || W > nn::kMaxWidth || I > 64) return nn::evaluate_scalar<Var, Var>(net, x);
  Tape& tape = thread_tape();
  const std::size_t n_weights = static_cast<std::size_t>(W * I + W + W * W + W + W + 1);
  const std::size_t n_in = n_weights + static_cast<std::size_t>(I);
  const std::size_t bytes = sizeof(NetHeader) + (n_weights + static_cast<std::size_t>(I + 2 * W + 1)) * sizeof(double);
  void* where = nullptr;
  const std::size_t offset = tape.reserve_external_data(bytes, &where);
  auto* h = static_cast<NetHeader*>(where);
  h->in = I, h->width = W, h->hidden = net.hidden, h->final = net.final;
  double* w = reinterpret_cast<double*>(static_cast<unsigned char*>(where) + sizeof(NetHeader));
  thread_local std::vector<Index> inputs;
  inputs.resize(n_in);
  std::size_t k = 0;
  bool active = false;
  auto take = [&](const Var* v, int n) {
    for (int i = 0; i < n; ++i, ++k) {
      w[k] = v[i].v;
      inputs[k] = v[i].i;
      active = active || v[i].i != 0;
    }
  };
  take(net.w0, W * I), take(net.b0, W), take(net.w1, W * W), take(net.b1, W), take(net.w2, W), take(net.b2, 1);
  take(x, I);
  const double* w0 = w;
  const double* b0 = w0 + W * I;
  const double* w1 = b0 + W;
  const double* b1 = w1 + W * W;
  const double* w2 = b1 + W;
  const double* b2 = w2 + W;
  const double* xv = b2 + 1;
  double* z1 = w + n_weights + I;
  double* z2 = z1 + W;
  // Values exactly as nn::dense_layer with doubles.
  double h1[nn::kMaxWidth], h2[nn::kMaxWidth];
  for (int o = 0; o < W; ++o) {
    double sum = b0[o];
    for (int i = 0; i < I; ++i) sum = sum + w0[o * I + i] * xv[i];
    z1[o] = sum;
    h1[o] = nn::activate(net.hidden, sum);
  }
  for (int o = 0; o < W; ++o) {
    double sum = b1[o];
    for (int i = 0; i < W; ++i) sum = sum + w1[o * W + i] * h1[i];
    z2[o] = sum;
    h2[o] = nn::activate(net.hidden, sum);
  }
  double sum = b2[0];
  for (int i = 0; i < W; ++i) sum = sum + w2[i] * h2[i];
  z2[W] = sum;
  const double y = nn::activate(net.final, sum);
  if (!active) return Var(y);  // the reserved data stays unused
  const Index id = tape.push_external_inplace(inputs.data(), n_in, 1, &kernels_detail::net_adjoint, offset);
  return Var(y, id);
}

// physics::dispersion_sums for Var.
inline void dispersion_sums(int N, int J, const double* __restrict__ dij_t, const double* delz, const Var* source_a,
                            const Var* source_b, const Var* source_c, Var* __restrict__ sum_a, Var* __restrict__ sum_b,
                            Var* __restrict__ sum_c) {
  Tape& tape = thread_tape();
  thread_local std::vector<Index> inputs;
  thread_local std::vector<double> wa, wb, wc, sa, sb, sc;
  inputs.resize(3 * static_cast<std::size_t>(J));
  wa.resize(J), wb.resize(J), wc.resize(J);
  sa.assign(N, 0.0), sb.assign(N, 0.0), sc.assign(N, 0.0);
  for (int j = 0; j < J; ++j) {
    const Var a = delz[j] * source_a[j], b = delz[j] * source_b[j], c = delz[j] * source_c[j];
    wa[j] = a.v, wb[j] = b.v, wc[j] = c.v;
    inputs[j] = a.i, inputs[J + j] = b.i, inputs[2 * J + j] = c.i;
  }
  // Values exactly as the template: each level's sum over the layers in order j = 0..J-1.
  for (int j = 0; j < J; ++j) {
    const double* col = dij_t + static_cast<long>(j) * N;
    for (int i = 0; i < N; ++i) {
      sa[i] = sa[i] + col[i] * wa[j];
      sb[i] = sb[i] + col[i] * wb[j];
      sc[i] = sc[i] + col[i] * wc[j];
    }
  }
  bool active = false;
  for (Index x : inputs) active = active || x != 0;
  if (!active) {
    for (int i = 0; i < N; ++i) sum_a[i] = sa[i], sum_b[i] = sb[i], sum_c[i] = sc[i];
    return;
  }
  const kernels_detail::DispersionData data{dij_t, N, J};
  const Index first = tape.push_external(inputs.data(), inputs.size(), 3 * static_cast<std::size_t>(N),
                                         &kernels_detail::dispersion_adjoint, &data, sizeof(data));
  for (int i = 0; i < N; ++i) {
    sum_a[i] = Var(sa[i], first + i);
    sum_b[i] = Var(sb[i], first + N + i);
    sum_c[i] = Var(sc[i], first + 2 * N + i);
  }
}

// physics::soil_heat_conduction for Var.
inline void soil_heat_conduction(const physics::SoilColumn& s, const Var& t_surface, int n_steps, Var* t) {
  constexpr int L = physics::kSoilLayers;
  if (n_steps <= 0) return;
  double tv[L + 1];
  Index inputs[L + 2];
  bool active = t_surface.i != 0;
  for (int m = 0; m <= L; ++m) {
    tv[m] = t[m].v;
    inputs[m] = t[m].i;
    active = active || t[m].i != 0;
  }
  inputs[L + 1] = t_surface.i;
  physics::soil_heat_conduction<double>(s, t_surface.v, n_steps, tv);
  if (!active) {
    for (int m = 0; m < L; ++m) t[m] = tv[m];
    return;
  }
  const kernels_detail::SoilData data{s, n_steps};
  const Index first =
      thread_tape().push_external(inputs, L + 2, L, &kernels_detail::soil_adjoint, &data, sizeof(data));
  for (int m = 0; m < L; ++m) t[m] = Var(tv[m], first + m);
}

// physics::longwave_transfer for Var.
inline void longwave_transfer(int J, int sweeps, const Var& sky, const Var* prob_beam, const Var* t_sun,
                              const Var* t_shade, const Var& tau_diffuse, const Var& ep, const Var& epsoil,
                              const Var& sigma, const Var& t_soil_surface, Var* ir_down, Var* ir_up, Var* source) {
  if (sweeps <= 0) {
    physics::longwave_transfer<Var>(J, sweeps, sky, prob_beam, t_sun, t_shade, tau_diffuse, ep, epsoil, sigma,
                                    t_soil_surface, ir_down, ir_up, source);
    return;
  }
  // Layer coefficients and emission, recorded operation by operation as in the template.
  const Var epsigma = ep * sigma;
  const Var scat = (1.0 - ep) / 2.0;
  const Var forward = tau_diffuse + (1.0 - tau_diffuse) * scat;
  const Var backward = (1.0 - tau_diffuse) * scat;
  for (int j = 0; j < J; ++j) {
    const Var ts2 = t_sun[j] * t_sun[j];
    const Var th2 = t_shade[j] * t_shade[j];
    const Var emitted = epsigma * (prob_beam[j] * (ts2 * ts2) + (1.0 - prob_beam[j]) * (th2 * th2));
    source[j] = emitted * (1.0 - tau_diffuse);
  }
  const Var tsoil2 = t_soil_surface * t_soil_surface;
  const Var soil_emission = epsoil * sigma * (tsoil2 * tsoil2);
  const Var one_minus_eps = 1.0 - epsoil;

  // Sweeps in double, keeping every sweep's fluxes for the adjoint.
  Tape& tape = thread_tape();
  const std::size_t W = static_cast<std::size_t>(J + 1);
  const std::size_t bytes = sizeof(kernels_detail::LongwaveHeader) + (2 * static_cast<std::size_t>(sweeps) + 1) * W * sizeof(double);
  void* where = nullptr;
  const std::size_t offset = tape.reserve_external_data(bytes, &where);
  auto* h = static_cast<kernels_detail::LongwaveHeader*>(where);
  h->J = J;
  h->sweeps = sweeps;
  h->forward = forward.v;
  h->backward = backward.v;
  h->one_minus_eps = one_minus_eps.v;
  double* U = reinterpret_cast<double*>(static_cast<unsigned char*>(where) + sizeof(kernels_detail::LongwaveHeader));
  double* D = U + (static_cast<std::size_t>(sweeps) + 1) * W;
  thread_local std::vector<double> dn, up, src;
  dn.resize(W), up.resize(W), src.resize(J);
  for (int j = 0; j < J; ++j) src[j] = source[j].v;
  for (int l = 0; l < J; ++l) dn[l] = ir_down[l].v, up[l] = ir_up[l].v;
  dn[J] = sky.v;
  up[J] = sky.v;
  const double fw = forward.v, bw = backward.v, ome = one_minus_eps.v, soil = soil_emission.v;
  std::copy(up.begin(), up.end(), U);
  for (int s = 1; s <= sweeps; ++s) {
    for (int i = J - 1; i >= 0; --i) dn[i] = dn[i + 1] * fw + up[i] * bw + src[i];
    up[0] = ome * dn[0] + soil;
    for (int i = 0; i < J; ++i) up[i + 1] = up[i] * fw + dn[i + 1] * bw + src[i];
    std::copy(up.begin(), up.end(), U + static_cast<std::size_t>(s) * W);
    std::copy(dn.begin(), dn.end(), D + static_cast<std::size_t>(s - 1) * W);
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
                                                 &kernels_detail::longwave_adjoint, offset);
  ir_down[J] = sky;
  for (int i = 0; i < J; ++i) ir_down[i] = Var(dn[i], first + i);
  for (int i = 0; i <= J; ++i) ir_up[i] = Var(up[i], first + J + i);
}

#endif  // CANVEG_GRADIENT_GENERIC_ONLY

}  // namespace canveg::ad
