// Derivatives of every differentiable physics process in isolation (docs/gradients.md
// "Verification"): reverse tape vs forward-mode dual numbers (relative 1e-10, every Jacobian
// entry), vs central finite differences, taped values bit-identical to double, and the three
// hand-written kernels (src/gradient/kernels.hpp) against the generic templates. Regimes: day
// and night, forced and free convection, light-limited, saturated and dark photosynthesis,
// stable and unstable soil surface, dry soil (swc = 0), parameters at their bounds.
#include <gtest/gtest.h>

#include <random>

#include "canveg/gradient.hpp"
#include "canveg/parameters.hpp"
#include "gradient_test_support.hpp"
#include "nn/dense_net.hpp"
#include "physics/column_solver.hpp"
#include "run/column_model.hpp"

namespace {

using namespace canveg;
using namespace canveg::physics;
using canveg::test::check_jacobian;

template <class T>
Parameters<T> cast_parameters(const Parameters<double>& p) {
  Parameters<T> r;
  for (std::size_t i = 0; i < kParameterNames.size(); ++i) parameter_at(r, i) = T(parameter_at(p, i));
  return r;
}

Parameters<double> trained_like() {
  Parameters<double> p;
  p.hkin = 99999.0;  // every trained model
  return p;
}

// ---------------------------------------------------------------------------------------------

TEST(GradientProcess, Thermodynamics) {
  for (double tk : {268.0, 272.9, 285.0, 303.0, 318.0}) {
    auto f = [](const auto* x, auto* y) {
      const auto m = moist_air(x[0]);
      y[0] = m.es, y[1] = m.lambda, y[2] = m.des_dt, y[3] = m.d2es_dt2;
    };
    EXPECT_JACOBIAN_OK(check_jacobian(f, {tk}, 4), 1, 1e-7) << tk;
  }
}

TEST(GradientProcess, DiffuseTransmissivity) {
  for (int type : {0, 1, 2}) {
    const SkyQuadrature sky = make_sky_quadrature(type);
    for (double clumped : {0.0, 0.05, 1.3}) {
      auto f = [&](const auto* x, auto* y) { y[0] = diffuse_transmissivity(sky, x[0]); };
      EXPECT_JACOBIAN_OK(check_jacobian(f, {clumped}, 1), 1, 1e-7) << type << " " << clumped;
    }
  }
}

// x = [dL, clumping, tau_d, reflect, trans, soil_refl]; y = every field.
void shortwave_case(int J, double sin_beta, double inbeam, double indiffuse, std::vector<double> x, int sweeps) {
  const double g_sun = 0.5;
  const int m = 4 * (J + 1) + 2 * J;
  auto f = [&](const auto* xin, auto* y) {
    using T = std::decay_t<decltype(*y)>;
    std::vector<T> a(J + 1), b(J + 1), pb(J + 1), beam(J + 1), up(J + 1), down(J + 1), sun(J), shade(J);
    ShortwaveField<T> out{pb.data(), beam.data(), up.data(), down.data(), sun.data(), shade.data()};
    shortwave_transfer(J, sin_beta, g_sun, xin[0], xin[1], xin[2], Waveband{inbeam, indiffuse}, xin[3], xin[4], xin[5],
                       sweeps, a.data(), b.data(), out);
    int k = 0;
    for (auto* v : {&pb, &beam, &up, &down})
      for (int l = 0; l <= J; ++l) y[k++] = (*v)[l];
    for (int j = 0; j < J; ++j) y[k++] = sun[j];
    for (int j = 0; j < J; ++j) y[k++] = shade[j];
  };
  EXPECT_JACOBIAN_OK(check_jacobian(f, x, m), 6, 1e-7) << "J " << J << " sin_beta " << sin_beta;
}

TEST(GradientProcess, ShortwaveTransfer) {
  shortwave_case(5, 0.6, 800.0, 200.0, {0.4, 0.8, 0.7, 0.1, 0.05, 0.1}, 1);
  shortwave_case(5, 0.6, 800.0, 200.0, {0.4, 0.8, 0.7, 0.1, 0.05, 0.1}, 3);
  shortwave_case(50, 0.3, 300.0, 100.0, {0.06, 0.95, 0.95, 0.6, 0.2, 0.1}, 1);
  // Parameters at their bounds (clumping 1, reflectances 5e-5), zero leaf area, night.
  shortwave_case(5, 0.6, 800.0, 200.0, {0.4, 1.0, 0.7, 5e-5, 5e-5, 5e-5}, 1);
  shortwave_case(5, 0.6, 800.0, 200.0, {0.0, 0.9, 1.0, 0.1, 0.05, 0.1}, 1);
  shortwave_case(5, -0.2, 0.0, 0.0, {0.4, 0.8, 0.7, 0.1, 0.05, 0.1}, 1);
}

// x = [sky, pb[J], tsun[J], tshade[J], tau, ep, epsoil, sigma, tsoil, down[J+1], up[J+1]].
template <bool Kernel>
void longwave_case(int J, int sweeps, double ep, double epsoil) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<double> x;
  x.push_back(330.0);
  for (int j = 0; j < J; ++j) x.push_back(u(rng));
  for (int j = 0; j < J; ++j) x.push_back(290.0 + 10.0 * u(rng));
  for (int j = 0; j < J; ++j) x.push_back(288.0 + 5.0 * u(rng));
  for (double v : {0.6, ep, epsoil, 5.670367e-8, 295.0}) x.push_back(v);
  for (int l = 0; l < 2 * (J + 1); ++l) x.push_back(330.0 + 30.0 * u(rng));
  auto f = [&](const auto* xin, auto* y) {
    using T = std::decay_t<decltype(*y)>;
    std::vector<T> down(J + 1), up(J + 1), src(J);
    const T* p = xin + 1;
    const int o = 1 + 3 * J;
    for (int l = 0; l <= J; ++l) down[l] = xin[o + 5 + l], up[l] = xin[o + 5 + J + 1 + l];
    if constexpr (Kernel) {
      // Unqualified: Var picks the hand-written kernel by argument-dependent lookup.
      longwave_transfer(J, sweeps, xin[0], p, p + J, p + 2 * J, xin[o], xin[o + 1], xin[o + 2], xin[o + 3],
                        xin[o + 4], down.data(), up.data(), src.data());
    } else {
      physics::longwave_transfer<T>(J, sweeps, xin[0], p, p + J, p + 2 * J, xin[o], xin[o + 1], xin[o + 2],
                                    xin[o + 3], xin[o + 4], down.data(), up.data(), src.data());
    }
    for (int l = 0; l <= J; ++l) y[l] = down[l], y[J + 1 + l] = up[l];
  };
  const int n = static_cast<int>(x.size());
  EXPECT_JACOBIAN_OK(check_jacobian(f, x, 2 * (J + 1)), n, 1e-6) << "J " << J << " kernel " << Kernel;
}

TEST(GradientProcess, LongwaveTransferTemplateAndKernel) {
  longwave_case<false>(4, 50, 0.98, 0.98);
  longwave_case<true>(4, 50, 0.98, 0.98);
  longwave_case<true>(50, 50, 0.611, 0.558);
  longwave_case<true>(1, 50, 1.0, 1.0);  // emissivities at their upper bound
  longwave_case<true>(4, 0, 0.98, 0.98);
}

TEST(GradientProcess, BoundaryLayer) {
  const Parameters<double> p0 = trained_like();
  // x = [t_leaf, t_air, lleaf]; forced (wind 2), free convection (wind 0.05, warm leaf), small
  // and large Reynolds numbers.
  struct Case {
    double t_leaf, t_air, wind, lleaf;
  };
  for (const Case c : {Case{300.0, 298.0, 2.0, 0.04}, Case{310.0, 298.0, 0.05, 0.1}, Case{298.0, 298.0, 2.0, 0.04},
                       Case{300.0, 298.0, 30.0, 0.1}}) {
    auto f = [&](const auto* x, auto* y) {
      using T = std::decay_t<decltype(*y)>;
      Parameters<T> p = cast_parameters<T>(p0);
      p.lleaf = x[2];
      const BoundaryLayerConstants<T> blc = make_boundary_layer_constants(p);
      const auto r = boundary_resistance(x[0], x[1], c.wind, 100.0, p, blc);
      y[0] = r.heat, y[1] = r.vapor, y[2] = r.co2;
    };
    EXPECT_JACOBIAN_OK(check_jacobian(f, {c.t_leaf, c.t_air, c.lleaf}, 3), 3, 1e-6) << c.wind;
  }
}

// x = [par, ca, t_leaf, rb_co2, rh, vcopt, jmopt, kball, bprime, qalpha, toptvc, toptjm].
TEST(GradientProcess, Photosynthesis) {
  const Parameters<double> p0 = trained_like();
  struct Case {
    double par, ca, t_leaf, rb, rh;
    bool amphi;
  };
  for (const Case c : {Case{1500.0, 400.0, 303.0, 40.0, 0.6, false}, Case{300.0, 420.0, 295.0, 80.0, 0.8, false},
                       Case{1800.0, 380.0, 310.0, 30.0, 0.4, true}, Case{0.0, 450.0, 288.0, 60.0, 0.9, false},
                       Case{5.0, 450.0, 288.0, 60.0, 0.9, true}, Case{800.0, 400.0, 300.0, 50.0, 1.3, false}}) {
    auto f = [&](const auto* x, auto* y) {
      using T = std::decay_t<decltype(*y)>;
      Parameters<T> p = cast_parameters<T>(p0);
      p.vcopt = x[5], p.jmopt = x[6], p.kball = x[7], p.bprime = x[8], p.qalpha = x[9], p.toptvc = x[10],
      p.toptjm = x[11];
      const auto r = leaf_photosynthesis(x[0], x[1], x[2], x[3], 100.0, x[4], c.amphi, p);
      y[0] = r.net_assimilation, y[1] = r.gs_m_s, y[2] = r.dark_respiration, y[3] = r.ci, y[4] = r.leaf_rh;
    };
    const std::vector<double> x = {c.par, c.ca, c.t_leaf, c.rb, c.rh, 171.0, 259.0, 8.17, 0.05, 0.22, 303.0, 303.0};
    EXPECT_JACOBIAN_OK(check_jacobian(f, x, 5, 1e-6), 12, 1e-5) << "par " << c.par;
  }
}

// x = [q_abs, rb_heat, rb_vapor, gs, t_air, e_air, ep].
TEST(GradientProcess, LeafEnergyBalance) {
  const Parameters<double> p0 = trained_like();
  for (bool amphi : {false, true}) {
    for (const std::vector<double>& x : {std::vector<double>{900.0, 60.0, 55.0, 0.01, 300.0, 1500.0, 0.98},
                                         std::vector<double>{650.0, 200.0, 190.0, 0.001, 285.0, 1300.0, 0.4},
                                         std::vector<double>{500.0, 30.0, 28.0, 0.02, 310.0, 500.0, 1.0}}) {
      auto f = [&](const auto* xin, auto* y) {
        using T = std::decay_t<decltype(*y)>;
        Parameters<T> p = cast_parameters<T>(p0);
        p.ep = xin[6];
        const auto r = leaf_energy_balance(xin[0], xin[1], xin[2], xin[3], xin[4], xin[5], 100.0, amphi, p);
        y[0] = r.LE, y[1] = r.H, y[2] = r.t_leaf, y[3] = r.rnet;
      };
      EXPECT_JACOBIAN_OK(check_jacobian(f, x, 4), 7, 1e-6) << amphi;
    }
  }
}

TEST(GradientProcess, SquareRootGuardKeepsValuesAndGivesFiniteSlopes) {
  for (double v : {0.0, -0.0, -1.0, 1e-300, 4.0}) {
    ad::thread_tape().reset();
    const ad::Var x = ad::Var::leaf(v);
    const ad::Var r = sqrt_nonneg(x);
    const double plain = std::sqrt(v);
    EXPECT_TRUE((std::isnan(plain) && std::isnan(r.v)) || std::memcmp(&plain, &r.v, sizeof(double)) == 0) << v;
    EXPECT_EQ(r.active(), v > 0) << v;
  }
  // pow(0, c): the exponent derivative is 0 (limit of x^c ln x), not NaN.
  ad::thread_tape().reset();
  const ad::Var c = ad::Var::leaf(0.8);
  const ad::Var y = pow(0.0, c);
  ad::thread_tape().zero_adjoints();
  ad::thread_tape().adjoints()[y.i] = 1.0;
  ad::thread_tape().reverse();
  EXPECT_EQ(ad::thread_tape().adjoints()[c.i], 0.0);
  EXPECT_EQ(y.v, 0.0);
}

TEST(GradientProcess, SoilHeatConductionTemplateAndKernel) {
  const SoilColumn soil = make_soil_column(0.15, 0.2, 293.0, 101.0, 290.0, 20.0);
  std::vector<double> x;
  for (int k = 0; k < kSoilNodes; ++k) x.push_back(288.0 + 0.5 * k);
  x.push_back(300.0);
  for (int kernel = 0; kernel < 2; ++kernel) {
    auto f = [&](const auto* xin, auto* y) {
      using T = std::decay_t<decltype(*y)>;
      T t[kSoilNodes];
      for (int k = 0; k < kSoilNodes; ++k) t[k] = xin[k];
      if (kernel) soil_heat_conduction(soil, xin[kSoilNodes], 90, t);
      else physics::soil_heat_conduction<T>(soil, xin[kSoilNodes], 90, t);
      for (int k = 0; k < kSoilLayers; ++k) y[k] = t[k];
    };
    EXPECT_JACOBIAN_OK(check_jacobian(f, x, kSoilLayers), kSoilNodes + 1, 1e-7) << "kernel " << kernel;
  }
}

// x = [q_soil, g_cond, storage, t_air0, e_air0, t_air1, t_surface_prev, lout, epsoil].
TEST(GradientProcess, SoilSurfaceBalance) {
  const Parameters<double> p0 = trained_like();
  for (double swc : {0.0, 0.25}) {
    const SoilColumn soil = make_soil_column(0.15, swc, 293.0, 101.0, 290.0, 20.0);
    // Unstable (warm surface), stable (cold surface), strongly stable with low wind.
    for (const auto& [t_sfc, wind] : {std::pair{305.0, 1.0}, std::pair{285.0, 1.0}, std::pair{270.0, 0.2}}) {
      auto f = [&](const auto* x, auto* y) {
        using T = std::decay_t<decltype(*y)>;
        Parameters<T> p = cast_parameters<T>(p0);
        p.epsoil = x[8];
        const auto r = soil_surface_balance(soil, x[0], x[1], x[2], x[3], x[4], x[5], wind, 0.1, x[6], x[7], 1.2,
                                            101.0, p);
        y[0] = r.evaporation, y[1] = r.heat, y[2] = r.rnet, y[3] = r.gsoil, y[4] = r.temperature;
      };
      const std::vector<double> x = {300.0, 20.0, 5.0, 294.0, 1500.0, 293.5, t_sfc, 400.0, 0.95};
      EXPECT_JACOBIAN_OK(check_jacobian(f, x, 5, 1e-4), 9, 1e-4) << swc << " " << t_sfc;
    }
  }
}

TEST(GradientProcess, SoilRespiration) {
  const Parameters<double> p0 = trained_like();
  // Q10 with moist and with exactly dry soil (US-Whs has swc = 0: pow(0, q10c)).
  for (double swc : {0.3, 0.0}) {
    auto f = [&](const auto* x, auto* y) {
      using T = std::decay_t<decltype(*y)>;
      Parameters<T> p = cast_parameters<T>(p0);
      p.q10a = x[1], p.q10b = x[2], p.q10c = x[3];
      y[0] = soil_respiration_q10(x[0], swc, p);
    };
    EXPECT_JACOBIAN_OK(check_jacobian(f, {291.0, 5.0, 1.7, 0.8}, 1), 4, 1e-7) << swc;
  }
  auto alfalfa = [&](const auto* x, auto* y) { y[0] = soil_respiration_alfalfa(x[0], x[1], x[2], 0.25, 0.8); };
  EXPECT_JACOBIAN_OK(check_jacobian(alfalfa, {12.0, 1.5, 291.0}, 1), 3, 1e-7);
}

// A 2-6-6-1 network; x = [weights (w0, b0, w1, b1, w2, b2), inputs].
TEST(GradientProcess, DenseNetworksTemplateAndKernel) {
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> u(-0.8, 0.8);
  std::vector<double> x(67);
  for (double& v : x) v = u(rng);
  x.push_back(0.3);
  x.push_back(1.4);
  for (Activation hidden : {Activation::Tanh, Activation::Softplus})
  for (int kernel = 0; kernel < 2; ++kernel) {
    auto f = [&](const auto* xin, auto* y) {
      using T = std::decay_t<decltype(*y)>;
      DenseNet<T> n2;
      n2.in_size = 2, n2.width = 6, n2.out_size = 1, n2.hidden = hidden, n2.final = Activation::Sigmoid;
      int k = 0;
      for (auto* v : {&n2.w0, &n2.b0, &n2.w1, &n2.b1, &n2.w2, &n2.b2}) {
        const int size = v == &n2.w0 ? 12 : v == &n2.w1 ? 36 : v == &n2.b2 ? 1 : 6;
        for (int i = 0; i < size; ++i) v->push_back(xin[k++]);
      }
      const T in[2] = {xin[67], xin[68]};
      // Unqualified: Var picks the hand-written kernel; qualified: the generic template.
      if (kernel) y[0] = evaluate_scalar(nn::view_of(n2), in);
      else y[0] = nn::evaluate_scalar(nn::view_of(n2), in);
    };
    EXPECT_JACOBIAN_OK(check_jacobian(f, x, 1), 69, 1e-7) << "kernel " << kernel;
  }
  // RsoilDL respiration through soil temperature and weights.
  VarStats vmax, vmin;
  vmax.T_air = 35, vmin.T_air = -5, vmax.soilmoisture = 0.45, vmin.soilmoisture = 0.02, vmax.rsoil = 9, vmin.rsoil = 0.2;
  auto g = [&](const auto* xin, auto* y) {
    using T = std::decay_t<decltype(*y)>;
    DenseNet<T> n2;
    n2.in_size = 2, n2.width = 6, n2.out_size = 1, n2.hidden = Activation::Tanh, n2.final = Activation::Tanh;
    int k = 0;
    for (auto* v : {&n2.w0, &n2.b0, &n2.w1, &n2.b1, &n2.w2, &n2.b2}) {
      const int size = v == &n2.w0 ? 12 : v == &n2.w1 ? 36 : v == &n2.b2 ? 1 : 6;
      for (int i = 0; i < size; ++i) v->push_back(xin[k++]);
    }
    y[0] = soil_respiration_network(xin[67], 0.2, nn::view_of(n2), vmax, vmin);
  };
  std::vector<double> xr(x.begin(), x.begin() + 67);
  xr.push_back(291.0);
  EXPECT_JACOBIAN_OK(check_jacobian(g, xr, 1), 68, 1e-7);
}

TEST(GradientProcess, ProfilesTemplateAndKernel) {
  const int N = 7, J = 3;
  std::mt19937 rng(11);
  std::uniform_real_distribution<double> u(0.0, 2.0);
  std::vector<double> dij_t(static_cast<std::size_t>(N) * J), delz(N, 0.3);
  for (double& v : dij_t) v = u(rng);
  std::vector<double> x;
  for (int k = 0; k < 3 * J; ++k) x.push_back(u(rng) - 0.5);
  for (int kernel = 0; kernel < 2; ++kernel) {
    auto f = [&](const auto* xin, auto* y) {
      using T = std::decay_t<decltype(*y)>;
      std::vector<T> a(N), b(N), c(N);
      if (kernel) dispersion_sums(N, J, dij_t.data(), delz.data(), xin, xin + J, xin + 2 * J, a.data(), b.data(), c.data());
      else physics::dispersion_sums<T>(N, J, dij_t.data(), delz.data(), xin, xin + J, xin + 2 * J, a.data(), b.data(), c.data());
      for (int i = 0; i < N; ++i) y[i] = a[i], y[N + i] = b[i], y[2 * N + i] = c[i];
    };
    EXPECT_JACOBIAN_OK(check_jacobian(f, x, 3 * N), 3 * J, 1e-8) << "kernel " << kernel;
  }
  // Profile from sums, with the stability factor on both sides of z/L = 0; x = [sums, z/L, soil
  // flux, unit factor].
  for (double zl : {-0.4, 0.1}) {
    std::vector<double> xs;
    for (int i = 0; i < N; ++i) xs.push_back(u(rng));
    xs.push_back(zl), xs.push_back(35.0), xs.push_back(1200.0);
    auto f = [&](const auto* xin, auto* y) {
      using T = std::decay_t<decltype(*y)>;
      std::vector<T> s(xin, xin + N);
      profile_from_sums(N, dij_t.data(), 1.0 / 0.35, dispersion_stability_factor(xin[N]), xin[N + 1], xin[N + 2],
                        295.0, s.data());
      for (int i = 0; i < N; ++i) y[i] = s[i];
    };
    EXPECT_JACOBIAN_OK(check_jacobian(f, xs, N), N + 3, 1e-7) << zl;
  }
}

// A small synthetic column (J = 3, N = 6) through initialisation and three iterations, with the
// 21 trained scalars as inputs, for the leaf RH physics and the LeafRHDL network.
Model<double> small_model(LeafRhModule rh) {
  Model<double> m;
  Setup& s = m.setup;
  s.latitude = 38.1, s.longitude = -121.5, s.time_zone = -8;
  s.leaf_angle_type = 0;
  s.stomata = StomataType::Hypostomatous;
  s.leaf_rh = rh;
  s.soil_respiration = SoilRespirationModule::Q10;
  s.n_can_layers = 3, s.n_total_layers = 6;
  s.canopy_height = 0.8, s.measurement_height = 5.0;
  s.niter = 3;
  build_vertical_grid(s);
  m.para = trained_like();
  std::mt19937 rng(5);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (int i = 0; i < s.n_total_layers * s.n_can_layers; ++i) m.dij.push_back(0.2 + u(rng));
  std::uniform_real_distribution<double> w(-0.7, 0.7);
  m.leaf_rh_net.in_size = 2, m.leaf_rh_net.width = 6, m.leaf_rh_net.out_size = 1;
  m.leaf_rh_net.hidden = Activation::Tanh, m.leaf_rh_net.final = Activation::Sigmoid;
  const std::pair<std::vector<double>*, int> layers[] = {{&m.leaf_rh_net.w0, 12}, {&m.leaf_rh_net.b0, 6},
                                                          {&m.leaf_rh_net.w1, 36}, {&m.leaf_rh_net.b1, 6},
                                                          {&m.leaf_rh_net.w2, 6},  {&m.leaf_rh_net.b2, 1}};
  for (const auto& [v, n] : layers)
    for (int i = 0; i < n; ++i) v->push_back(w(rng));
  m.var_mean.soilmoisture = 0.19, m.var_std.soilmoisture = 0.11;
  return m;
}

void column_case(LeafRhModule rh, double hour, double lai, double swc, double fd_tol = 1e-4) {
  const Model<double> m0 = small_model(rh);
  const std::vector<double> dij_t = transpose_dij(m0.dij, 6, 3);
  const RowForcing row = make_row_forcing(180, hour, 24.0, hour > 6 && hour < 19 ? 650.0 : 0.0, 1.6, 2.5, 410.0,
                                          101.2, 0.35, 21.0, swc, 0.8, lai);
  const ParameterSpace space(m0);
  std::vector<double> x = space.values(m0);
  x.resize(21);  // the scalars
  x.push_back(297.5);  // previous row's surface temperature
  auto f = [&](const auto* xin, auto* y) {
    using T = std::decay_t<decltype(*y)>;
    Model<T> m = model_cast<T>(m0);
    for (std::size_t k = 0; k < 21; ++k) *space.locate(m, k) = xin[k];
    const ColumnModel<T> cm = make_column_model(m, dij_t);
    std::vector<T> buffer(column_storage_size(3, 6));
    ColumnState<T> s;
    s.bind(buffer.data(), 3, 6);
    initialise_column(cm, row, s);
    for (int k = 0; k < cm.niter; ++k) iterate_column(cm, s, true, xin[21]);
    y[0] = s.veg_le, y[1] = s.soil_evap, y[2] = s.soil_resp, y[3] = s.veg_ps, y[4] = s.veg_rd, y[5] = s.t_surface,
    y[6] = s.soil_g;
  };
  EXPECT_JACOBIAN_OK(check_jacobian(f, x, 7, 1e-4), 22, fd_tol)
      << "rh " << static_cast<int>(rh) << " hour " << hour << " lai " << lai << " swc " << swc;
}

TEST(GradientProcess, ColumnInitialisationAndIterations) {
  column_case(LeafRhModule::Physics, 12.5, 2.0, 0.2);
  column_case(LeafRhModule::Network, 12.5, 2.0, 0.2);
  column_case(LeafRhModule::Physics, 2.0, 2.0, 0.2);   // night
  // No leaves: leaf parameters act on the soil only through the longwave emission of a layer of
  // transmissivity 1 - O(1e-5) (the sky quadrature), entries 1e-5 of the largest, where the finite
  // differences carry the round-off of the soil-evaporation quadratic (rev == fwd still holds
  // to 1e-12).
  column_case(LeafRhModule::Physics, 12.5, 0.0, 0.2, 5e-2);
  column_case(LeafRhModule::Network, 9.0, 1.0, 0.0);   // dry soil
}

}  // namespace
