// Derivatives of every differentiable physics process in isolation (docs/gradients.md
// "Verification"): reverse tape vs forward-mode dual numbers (relative 1e-10, every Jacobian
// entry), vs central finite differences, taped values bit-identical to double, and the
// hand-written kernels (src/gradient/kernels.hpp) against the generic templates, the leaf
// kernels at every branch and against the leaf blocks preaccumulated from the templates.
// Regimes: day and night, forced and free convection, light-limited, saturated and dark
// photosynthesis, stable and unstable soil surface, dry soil (swc = 0), parameters at their
// bounds.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <limits>
#include <random>
#include <string>

#include "ad/reverse_lanes.hpp"
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
  for (std::size_t i = 0; i < kParameterCount; ++i) parameter_at(r, i) = T(parameter_at(p, i));
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
  // Sun up without light (the AD types take the zero fluxes as constants; the sunlit probability
  // keeps its derivatives), and diffuse light with the sun below the horizon (dawn).
  shortwave_case(5, 0.6, 0.0, 0.0, {0.4, 0.8, 0.7, 0.1, 0.05, 0.1}, 1);
  shortwave_case(5, -0.05, 0.0, 30.0, {0.4, 0.8, 0.7, 0.1, 0.05, 0.1}, 1);
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

// The hand-written boundary-layer block against the template, in each convection regime and with
// the Grashof number clipped (a leaf cooler than the air): values and regime bit for bit, the
// Jacobian over x = [t_leaf, t_air, diffusivity scaling, lleaf, betfac, nuvisc, dv] (every
// input of the block on the tape) against forward mode of the template and finite differences.
TEST(GradientProcess, BoundaryLayerKernelAgreesWithTemplate) {
  using ad::kernels_detail::Convection;
  struct Case {
    double t_leaf, t_air, wind, lleaf;
    Convection regime;
    bool floored;
  };
  const Parameters<double> p0 = trained_like();
  for (const Case c : {Case{300.0, 298.0, 2.0, 0.04, Convection::ForcedLaminar, false},
                       Case{300.0, 298.0, 30.0, 0.1, Convection::ForcedTurbulent, false},
                       Case{310.0, 298.0, 0.05, 0.1, Convection::FreeTurbulent, false},
                       Case{300.0, 298.0, 0.01, 0.01, Convection::FreeLaminar, false},
                       Case{295.0, 298.0, 2.0, 0.04, Convection::ForcedLaminar, true}}) {
    const double tp = diffusivity_scaling(c.t_air, 99.0);
    auto block = [&](bool kernel) {
      return [&, kernel](const auto* x, auto* y) {
        using T = std::decay_t<decltype(*y)>;
        Parameters<T> p = cast_parameters<T>(p0);
        p.lleaf = x[3], p.betfac = x[4], p.nuvisc = x[5], p.dv = x[6];
        const BoundaryLayerConstants<T> blc = make_boundary_layer_constants(p);
        // Unqualified: Var picks the hand-written block; qualified: the generic template.
        const BoundaryResistance<T> r =
            kernel ? boundary_resistance_scaled(x[0], x[1], c.wind, x[2], p, blc)
                   : physics::boundary_resistance_scaled<T>(x[0], x[1], c.wind, x[2], p, blc);
        y[0] = r.heat, y[1] = r.vapor, y[2] = r.co2;
      };
    };
    const std::vector<double> x = {c.t_leaf, c.t_air, tp, c.lleaf, p0.betfac, p0.nuvisc, p0.dv};
    const canveg::test::JacobianCheck generic = check_jacobian(block(false), x, 3, 1e-6);
    const canveg::test::JacobianCheck kernel = check_jacobian(block(true), x, 3, 1e-6);
    EXPECT_JACOBIAN_OK(generic, 7, 1e-6) << c.wind;
    EXPECT_JACOBIAN_OK(kernel, 7, 1e-6) << c.wind;
    for (int o = 0; o < 3; ++o) EXPECT_EQ(kernel.value[o], generic.value[o]);
    // The regime the case was built for.
    ad::kernels_detail::BlData d{};
    Parameters<double> p = p0;
    p.lleaf = c.lleaf;
    const BoundaryLayerConstants<double> blc = make_boundary_layer_constants(p);
    const double in[] = {c.t_leaf, c.t_air, tp, p.lleaf, p.betfac, blc.grashof, blc.nu,
                         blc.d_heat, blc.d_vapor, blc.d_co2, blc.pr33, blc.sc33, blc.scc33};
    std::copy(std::begin(in), std::end(in), d.x);
    d.wind = c.wind;
    ad::kernels_detail::bl_forward(d);
    EXPECT_EQ(ad::kernels_detail::regime_of(d), c.regime) << c.wind;
    EXPECT_EQ(d.floored, c.floored) << c.wind;
    const BoundaryResistance<double> r = physics::boundary_resistance_scaled<double>(c.t_leaf, c.t_air, c.wind, tp, p, blc);
    EXPECT_EQ(d.out[0], r.heat);
    EXPECT_EQ(d.out[1], r.vapor);
    EXPECT_EQ(d.out[2], r.co2);
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

// --- leaf photosynthesis kernel ------------------------------------------------------------------

// x = the 22 inputs of the kernel's block (ad::kernels_detail::PsInput order): par, ca, t_leaf,
// rb_co2, rh, then tk_25 kc25 ekc rugc ko25 o2 vcopt erd jmopt ejm toptjm hkin evc toptvc qalpha
// kball bprime. Returns the forward pass with its branch decisions.
struct PsCase {
  std::vector<double> x;
  bool amphi = false, single_rd = false;
};

ad::kernels_detail::PsWork ps_branches(const PsCase& c) {
  ad::kernels_detail::PsWork w;
  ad::kernels_detail::ps_forward(c.x.data(), 100.0, c.amphi, c.single_rd, w);
  return w;
}

PsCase ps_sample(std::mt19937& rng, bool flip_signs) {
  std::uniform_real_distribution<double> u(0.0, 1.0);
  const Parameters<double> p = trained_like();
  PsCase c;
  double par = u(rng) < 0.2 ? 20.0 * u(rng) : 2000.0 * u(rng);
  if (u(rng) < 0.5) par = std::pow(10.0, -3.0 + 6.5 * u(rng));
  double ca = 50.0 + 1000.0 * u(rng), rb = std::pow(10.0, 3.0 * u(rng)), rh = 1.5 * u(rng);
  const double tl = 255.0 + 70.0 * u(rng);
  c.amphi = u(rng) < 0.3;
  if (flip_signs && u(rng) < 0.5) {
    double* q[] = {&par, &ca, &rb, &rh};
    *q[static_cast<int>(4.0 * u(rng))] *= -1.0;
  }
  c.x = {par, ca, tl, rb, rh, p.tk_25, p.kc25, p.ekc, p.rugc, p.ko25, p.o2,
         p.vcopt * std::pow(10.0, -2.0 + 3.0 * u(rng)), p.erd, p.jmopt * std::pow(10.0, -2.0 + 3.0 * u(rng)), p.ejm,
         p.toptjm, p.hkin, p.evc, p.toptvc, p.qalpha * (0.5 + u(rng)), p.kball * std::pow(10.0, -2.0 + 2.5 * u(rng)),
         p.bprime * std::pow(10.0, -3.0 + 4.0 * u(rng))};
  return c;
}

// The hand-written kernel against forward mode of the generic template (values and all 5 x 22
// derivatives), at a case where the generically taped template itself passes the standard checks
// (values, reverse == forward to 1e-10, finite differences to 1e-5). Near-degenerate cubics, where
// the chain rule in any order loses digits (the generic tape then differs from forward mode by up
// to 1e-5 itself), are skipped: returns false, and the caller looks further.
canveg::test::JacobianCheck photosynthesis_jacobian(const PsCase& c, bool kernel) {
  auto f = [&](const auto* x, auto* y) {
    using T = std::decay_t<decltype(*y)>;
    Parameters<T> p = cast_parameters<T>(trained_like());
    T* fields[] = {&p.tk_25, &p.kc25, &p.ekc, &p.rugc, &p.ko25, &p.o2, &p.vcopt, &p.erd, &p.jmopt,
                   &p.ejm, &p.toptjm, &p.hkin, &p.evc, &p.toptvc, &p.qalpha, &p.kball, &p.bprime};
    for (int k = 0; k < 17; ++k) *fields[k] = x[5 + k];
    // Unqualified: Var picks the hand-written kernel; qualified: the generic template.
    const LeafPhotosynthesis<T> out =
        kernel ? leaf_photosynthesis(x[0], x[1], x[2], x[3], 100.0, x[4], c.amphi, p, c.single_rd)
               : physics::leaf_photosynthesis<T>(x[0], x[1], x[2], x[3], 100.0, x[4], c.amphi, p, c.single_rd);
    y[0] = out.net_assimilation, y[1] = out.gs_m_s, y[2] = out.dark_respiration, y[3] = out.ci, y[4] = out.leaf_rh;
  };
  return check_jacobian(f, c.x, 5, 1e-6);
}

bool photosynthesis_kernel_case(const PsCase& c, const std::string& what, double fd_tol = 1e-5) {
  const canveg::test::JacobianCheck r[2] = {photosynthesis_jacobian(c, false), photosynthesis_jacobian(c, true)};
  if (!canveg::test::jacobian_ok(r[0], 22, fd_tol)) return false;
  EXPECT_JACOBIAN_OK(r[1], 22, fd_tol) << what;
  return true;
}

TEST(GradientProcess, PhotosynthesisKernelReplicatesTemplate) {
  // The kernel's double forward pass (whose branch decisions drive its adjoint) is the template's,
  // bit for bit, over physical and sign-flipped inputs.
  std::mt19937 rng(17);
  const Parameters<double> p0 = trained_like();
  for (int it = 0; it < 40000; ++it) {
    const PsCase c = ps_sample(rng, it % 2 == 1);
    Parameters<double> p = p0;
    double* fields[] = {&p.tk_25, &p.kc25, &p.ekc, &p.rugc, &p.ko25, &p.o2, &p.vcopt, &p.erd, &p.jmopt,
                        &p.ejm, &p.toptjm, &p.hkin, &p.evc, &p.toptvc, &p.qalpha, &p.kball, &p.bprime};
    for (int k = 0; k < 17; ++k) *fields[k] = c.x[5 + k];
    const auto r = physics::leaf_photosynthesis<double>(c.x[0], c.x[1], c.x[2], c.x[3], 100.0, c.x[4], c.amphi, p,
                                                        it % 3 == 0);
    ad::kernels_detail::PsWork w;
    ad::kernels_detail::ps_forward(c.x.data(), 100.0, c.amphi, it % 3 == 0, w);
    const double a[4] = {r.net_assimilation, r.gs_m_s, r.dark_respiration, r.ci}, b[4] = {w.out_a, w.out_gs, w.rd, w.out_ci};
    ASSERT_EQ(std::memcmp(a, b, sizeof(a)), 0) << it;
  }
}

// A leaf without light that respires skips the cubic and the co-limitation, in the template and
// in the kernel's forward pass and adjoint (physics::dark_everywhere). Its values and derivatives
// are the whole path's, taken with PAR = 1e-300 (J = 1e-301, the same fallback) in forward mode
// of the template, at cases where that passes the standard checks (finite differences).
TEST(GradientProcess, DarkLeafSkipsTheCubicWithTheWholePathsDerivatives) {
  constexpr int n = ad::kernels_detail::kPsInputs;
  std::mt19937 rng(31);
  int checked = 0;
  for (int it = 0; it < 2000 && checked < 40; ++it) {
    PsCase dark = ps_sample(rng, false);
    dark.x[0] = 0.0;
    PsCase lit = dark;
    lit.x[0] = 1e-300;
    const ad::kernels_detail::PsWork wd = ps_branches(dark), wl = ps_branches(lit);
    ASSERT_TRUE(wd.dark_only && wd.fallback) << it;
    ASSERT_FALSE(wl.dark_only) << it;
    if (!wl.fallback) continue;  // a non-finite c_i on the whole path: no fallback to compare with
    // As in photosynthesis_kernel_case: cases whose generic template fails the standard checks
    // itself (derivatives that are pure round-off, e.g. of A_n = -R_d) are passed over.
    const canveg::test::JacobianCheck whole = photosynthesis_jacobian(lit, false);
    if (!canveg::test::jacobian_ok(whole, n, 1e-5)) continue;
    ++checked;
    const canveg::test::JacobianCheck k = photosynthesis_jacobian(dark, true);
    EXPECT_TRUE(k.values_identical) << it;
    for (int o = 0; o < 4; ++o) EXPECT_EQ(k.value[o], whole.value[o]) << it << " output " << o;
    // Entries that are round-off of a cancellation (dA_n/db' of A_n = -R_d) are compared on the
    // scale of their row and column.
    auto entry_scale = [&](int o, int i) {
      double s = 0.0;
      for (int l = 0; l < n; ++l) s = std::max(s, std::abs(whole.forward[o * n + l]));
      for (int l = 0; l < 4; ++l) s = std::max(s, std::abs(whole.forward[l * n + i]));
      return s;
    };
    for (int o = 0; o < 4; ++o) {
      for (int i = 0; i < n; ++i)
        EXPECT_NEAR(k.reverse[o * n + i], whole.forward[o * n + i], 1e-12 * entry_scale(o, i)) << it << " output " << o << " input " << i;
      EXPECT_EQ(k.reverse[o * n + ad::kernels_detail::kPsRh], 0.0) << "the fallback reads no humidity";
    }
  }
  EXPECT_EQ(checked, 40);
}

TEST(GradientProcess, PhotosynthesisKernelEveryBranch) {
  using W = ad::kernels_detail::PsWork;
  // Each branch of section 2.11 as the template takes it (decisions from the replicated forward
  // pass, bit-identical to the template), the first random case that takes it.
  const std::vector<std::pair<std::string, std::function<bool(const W&, const PsCase&)>>> branches = {
      {"Rubisco-limited", [](const W& w, const PsCase&) { return !w.electron && !w.fallback && w.sel >= 0; }},
      {"electron transport", [](const W& w, const PsCase&) { return w.electron && !w.fallback && w.sel >= 0; }},
      {"co-limitation 0 < Aps < A", [](const W& w, const PsCase&) { return w.colim && !w.fallback; }},
      // A_ps <= min(W_p, J_s) < J_s: a sucrose cap is followed by the co-limitation replacement
      // (unless A_ps <= 0, then the fallback follows), so the capped A_n reaches the outputs through c_i.
      {"sucrose cap then co-limitation", [](const W& w, const PsCase&) { return w.sucrose && w.colim && !w.fallback; }},
      {"dark fallback", [](const W& w, const PsCase&) { return w.fallback && w.prd > 0.0; }},
      {"dark fallback, electron", [](const W& w, const PsCase&) { return w.fallback && w.electron && w.prd > 0.0; }},
      {"amphistomatous", [](const W& w, const PsCase& c) { return c.amphi && !w.fallback && w.sel >= 0; }},
      {"amphistomatous fallback", [](const W& w, const PsCase& c) { return c.amphi && w.fallback; }},
      {"rh > 1", [](const W& w, const PsCase& c) { return c.x[4] > 1.0 && !w.fallback && w.sel >= 0; }},
      {"qqq floor", [](const W& w, const PsCase&) { return w.qqq_raw < 0.01 && w.sel >= 0 && !w.fallback; }},
      {"arg_u clip high", [](const W& w, const PsCase&) { return w.argu > 0.99 && w.sel >= 0 && !w.fallback; }},
      {"arg_u clip low", [](const W& w, const PsCase&) { return w.argu < -0.99 && w.sel >= 0 && !w.fallback; }},
      {"no real roots", [](const W& w, const PsCase&) { return w.sel < 0 && !w.fallback; }},
      {"smallest root", [](const W& w, const PsCase&) { return w.sel == 0 && !w.fallback; }},
      {"second root", [](const W& w, const PsCase&) { return w.sel == 1 && !w.fallback; }},
      {"third root", [](const W& w, const PsCase&) { return w.sel == 2 && !w.fallback; }},
  };
  std::mt19937 rng(23);
  std::vector<bool> found(branches.size(), false);
  for (int it = 0; it < 400000; ++it) {
    const PsCase c = ps_sample(rng, false);
    const W w = ps_branches(c);
    for (std::size_t b = 0; b < branches.size(); ++b)
      if (!found[b] && branches[b].second(w, c)) found[b] = photosynthesis_kernel_case(c, branches[b].first);
  }
  for (std::size_t b = 0; b < branches.size(); ++b) EXPECT_TRUE(found[b]) << "branch not reached: " << branches[b].first;
  // The fallback discriminant floored at 0: reached only with a negative boundary-layer
  // resistance (a check of the floor's zero slope, not a physical state).
  {
    std::mt19937 r2(29);
    bool clipped = false;
    for (int it = 0; it < 4000000 && !clipped; ++it) {
      const PsCase c = ps_sample(r2, true);
      const W w = ps_branches(c);
      if (w.fallback && w.prd < 0.0) clipped = photosynthesis_kernel_case(c, "fallback discriminant floor");
    }
    EXPECT_TRUE(clipped) << "branch not reached: fallback discriminant floor";
  }
  // Light inhibition of R_d around PAR = 10 (at 10 exactly the finite differences straddle its
  // jump and are not compared), and the corrected single R_d.
  const Parameters<double> p = trained_like();
  for (double par : {9.5, 10.0, 10.5, 2.0}) {
    PsCase c;
    c.x = {par, 410.0, 296.0, 60.0, 0.7, p.tk_25, p.kc25, p.ekc, p.rugc, p.ko25, p.o2, 171.0, p.erd, 259.0, p.ejm,
           p.toptjm, p.hkin, p.evc, p.toptvc, 0.22, 8.17, 0.05};
    EXPECT_TRUE(photosynthesis_kernel_case(c, "par " + std::to_string(par), par == 10.0 ? 1e300 : 1e-5)) << par;
  }
  for (const bool amphi : {false, true}) {
    PsCase c;
    c.x = {1200.0, 410.0, 300.0, 40.0, 0.6, p.tk_25, p.kc25, p.ekc, p.rugc, p.ko25, p.o2, 171.0, p.erd, 259.0, p.ejm,
           p.toptjm, p.hkin, p.evc, p.toptvc, 0.22, 8.17, 0.05};
    c.amphi = amphi, c.single_rd = true;
    EXPECT_TRUE(photosynthesis_kernel_case(c, "single dark respiration")) << amphi;
  }
}

// --- preaccumulated leaf blocks ------------------------------------------------------------------

// Values and local Jacobian (outputs x inputs, row-major) of one leaf block as recorded on the tape:
// inputs whose `active` flag is set are tape leaves, the others constants; one reverse sweep per
// output.
struct BlockJacobian {
  std::vector<double> value, jacobian;
};

template <class Record>
BlockJacobian block_jacobian(const std::vector<double>& x, const std::vector<bool>& active, int n_out, Record&& record) {
  ad::Tape& tape = ad::thread_tape();
  tape.reset();
  const int n = static_cast<int>(x.size());
  std::vector<ad::Var> xv(n), yv(n_out);
  for (int k = 0; k < n; ++k) xv[k] = active[k] ? ad::Var::leaf(x[k]) : ad::Var(x[k]);
  record(xv.data(), yv.data());
  BlockJacobian r;
  r.jacobian.assign(static_cast<std::size_t>(n_out) * n, 0.0);
  for (int o = 0; o < n_out; ++o) {
    r.value.push_back(yv[o].v);
    if (!yv[o].i) continue;
    tape.zero_adjoints();
    tape.adjoints()[yv[o].i] = 1.0;
    tape.reverse();
    for (int k = 0; k < n; ++k)
      if (xv[k].i) r.jacobian[static_cast<std::size_t>(o) * n + k] = tape.adjoints()[xv[k].i];
  }
  return r;
}

// Largest difference of two Jacobians, each entry relative to max(|entry|, 1e-6 of the largest
// entry of its row or column) (exact cancellations are compared against that floor, as in
// check_jacobian).
double max_relative_difference(const std::vector<double>& a, const std::vector<double>& b, int m, int n) {
  std::vector<double> row(m, 0.0), col(n, 0.0);
  for (int o = 0; o < m; ++o)
    for (int k = 0; k < n; ++k) {
      const double v = std::abs(a[static_cast<std::size_t>(o) * n + k]);
      row[o] = std::max(row[o], v), col[k] = std::max(col[k], v);
    }
  double worst = 0.0;
  for (int o = 0; o < m; ++o)
    for (int k = 0; k < n; ++k) {
      const std::size_t i = static_cast<std::size_t>(o) * n + k;
      const double scale = std::max(std::abs(a[i]), 1e-6 * std::max(row[o], col[k]));
      if (scale > 0.0) worst = std::max(worst, std::abs(a[i] - b[i]) / scale);
      else if (b[i] != 0.0) worst = std::numeric_limits<double>::infinity();
    }
  return worst;
}

// Which inputs are on the tape: all, those of a column iteration (the arguments and the trained
// parameters), or a random subset.
std::vector<bool> activity(int pattern, std::mt19937& rng, int n, const std::vector<int>& trained) {
  std::vector<bool> a(n, pattern == 0);
  if (pattern == 1) {
    for (int k : trained) a[k] = true;
  } else if (pattern == 2) {
    std::bernoulli_distribution coin(0.5);
    for (int k = 0; k < n; ++k) a[k] = coin(rng);
  }
  return a;
}

// Hand-written against preaccumulated Jacobians of one block over random cases: the values bit for
// bit; where the case is well conditioned (the generically taped template agrees with forward
// mode to 1e-13 in every entry) the two agree to 1e-11. Elsewhere they differ by the round-off
// of the chain rule taken in a different order (up to a few percent of an entry at near-degenerate
// cubics), which is reported, not asserted.
struct BlockComparison {
  std::string name;
  std::vector<double> all, well_conditioned;  // largest entry difference per case
  void add(const BlockJacobian& hand, const BlockJacobian& pre, const BlockJacobian& generic, int m, int n) {
    ASSERT_EQ(hand.value.size(), pre.value.size());
    ASSERT_EQ(std::memcmp(hand.value.data(), pre.value.data(), hand.value.size() * sizeof(double)), 0) << name;
    const double d = max_relative_difference(hand.jacobian, pre.jacobian, m, n);
    all.push_back(d);
    if (max_relative_difference(generic.jacobian, pre.jacobian, m, n) <= 1e-13) well_conditioned.push_back(d);
  }
  void report() {
    std::sort(all.begin(), all.end());
    std::sort(well_conditioned.begin(), well_conditioned.end());
    ASSERT_FALSE(well_conditioned.empty()) << name;
    std::printf("[ preaccumulated ] %s vs hand-written, %zu cases: median %.2g, 90%% %.2g; %zu well-conditioned: "
                "largest %.2g\n",
                name.c_str(), all.size(), all[all.size() / 2], all[all.size() * 9 / 10], well_conditioned.size(),
                well_conditioned.back());
    EXPECT_LE(well_conditioned.back(), 1e-11) << name;
  }
};

TEST(GradientProcess, PreaccumulatedLeafBlocksEqualHandWritten) {
  using namespace ad::kernels_detail;
  std::mt19937 rng(41);
  BlockComparison ps{"photosynthesis", {}, {}}, le{"leaf energy balance", {}, {}};
  const std::vector<int> ps_trained = {kPsPar,    kPsCa,     kPsTleaf, kPsRb,     kPsRh,    kPsVcopt,
                                       kPsJmopt,  kPsToptvc, kPsToptjm, kPsQalpha, kPsKball, kPsBprime};
  for (int it = 0; it < 6000; ++it) {
    const PsCase c = ps_sample(rng, false);
    const std::vector<bool> act = activity(it % 3, rng, kPsInputs, ps_trained);
    BlockJacobian r[3];  // hand-written, preaccumulated, generic template
    for (int form = 0; form < 3; ++form)
      r[form] = block_jacobian(c.x, act, 4, [&](const ad::Var* x, ad::Var* y) {
        Parameters<ad::Var> p = cast_parameters<ad::Var>(trained_like());
        ad::Var* fields[] = {&p.tk_25, &p.kc25, &p.ekc, &p.rugc, &p.ko25, &p.o2, &p.vcopt, &p.erd, &p.jmopt,
                             &p.ejm, &p.toptjm, &p.hkin, &p.evc, &p.toptvc, &p.qalpha, &p.kball, &p.bprime};
        for (int k = 0; k < 17; ++k) *fields[k] = x[5 + k];
        const auto f = form == 0   ? &leaf_photosynthesis_handwritten<ad::Var>
                       : form == 1 ? &leaf_photosynthesis_preaccumulated
                                   : &physics::leaf_photosynthesis<ad::Var>;
        const auto out = f(x[0], x[1], x[2], x[3], 100.0, x[4], c.amphi, p, c.single_rd);
        y[0] = out.net_assimilation, y[1] = out.gs_m_s, y[2] = out.dark_respiration, y[3] = out.ci;
      });
    ps.add(r[0], r[1], r[2], 4, kPsInputs);
  }
  ps.report();

  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<int> le_trained(kLeEp + 1);
  for (int k = 0; k <= kLeEp; ++k) le_trained[k] = k;  // the arguments, the layer air and ep
  for (int it = 0; it < 6000; ++it) {
    const std::vector<double> xin = {-300.0 + 1500.0 * u(rng), 2.0 + 400.0 * u(rng), 2.0 + 400.0 * u(rng),
                                     std::pow(10.0, -4.0 + 3.0 * u(rng)), 255.0 + 65.0 * u(rng),
                                     50.0 + 6000.0 * u(rng), 0.3 + 0.7 * u(rng)};
    const bool amphi = it % 2 == 1;
    Parameters<double> p0 = trained_like();
    p0.ep = xin[6];
    const LayerAir<double> a0 = layer_air(xin[4], xin[5], 100.0, p0);
    const std::vector<double> x = {xin[0],    xin[1],    xin[2],     xin[3],         a0.t_air,    a0.tk2,
                                   a0.tk3,    a0.l_air,  a0.d2es_dt2, a0.des_dt,     a0.vpd,      a0.latent_base,
                                   a0.air_density, p0.ep, p0.sigma,  p0.Cp};
    const std::vector<bool> act = activity(it % 3, rng, kLeInputs, le_trained);
    BlockJacobian r[3];
    for (int form = 0; form < 3; ++form)
      r[form] = block_jacobian(x, act, 5, [&](const ad::Var* v, ad::Var* y) {
        Parameters<ad::Var> p = cast_parameters<ad::Var>(p0);
        p.ep = v[kLeEp], p.sigma = v[kLeSigma], p.Cp = v[kLeCp];
        LayerAir<ad::Var> air;
        air.t_air = v[kLeTair], air.e_air = xin[5], air.tk2 = v[kLeTk2], air.tk3 = v[kLeTk3];
        air.l_air = v[kLeLair], air.d2es_dt2 = v[kLeD2es], air.des_dt = v[kLeDes], air.vpd = v[kLeVpd];
        air.latent_base = v[kLeLatentBase], air.air_density = v[kLeDensity];
        const auto f = form == 0   ? &leaf_energy_balance_handwritten<ad::Var>
                       : form == 1 ? &leaf_energy_balance_preaccumulated
                                   : static_cast<LeafEnergy<ad::Var> (*)(const ad::Var&, const ad::Var&, const ad::Var&,
                                                                         const ad::Var&, const LayerAir<ad::Var>&,
                                                                         const double&,
                                                                         bool, const Parameters<ad::Var>&)>(
                                         &physics::leaf_energy_balance<ad::Var>);
        const auto e = f(v[kLeQ], v[kLeRbHeat], v[kLeRbVapor], v[kLeGs], air, 100.0, amphi, p);
        y[0] = e.LE, y[1] = e.H, y[2] = e.t_leaf, y[3] = e.rnet, y[4] = e.closure;
      });
    le.add(r[0], r[1], r[2], 5, kLeInputs);
  }
  le.report();
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

// --- leaf energy balance kernel ------------------------------------------------------------------

// x = [q_abs, rb_heat, rb_vapor, gs, t_air, e_air, ep, Cp]; the layer air from layer_air (taped),
// then the kernel or the generic template. Accepted when the generically taped template passes
// the standard checks (as for photosynthesis above).
bool energy_kernel_case(const std::vector<double>& x, bool amphi, const std::string& what, double fd_tol = 1e-5) {
  canveg::test::JacobianCheck r[2];
  for (int kernel = 0; kernel < 2; ++kernel) {
    auto f = [&](const auto* xin, auto* y) {
      using T = std::decay_t<decltype(*y)>;
      Parameters<T> p = cast_parameters<T>(trained_like());
      p.ep = xin[6], p.Cp = xin[7];
      const LayerAir<T> air = layer_air(xin[4], xin[5], 100.0, p);
      // Unqualified: Var picks the hand-written kernel; qualified: the generic template.
      const LeafEnergy<T> e = kernel ? leaf_energy_balance(xin[0], xin[1], xin[2], xin[3], air, 100.0, amphi, p)
                                     : physics::leaf_energy_balance<T>(xin[0], xin[1], xin[2], xin[3], air, 100.0, amphi, p);
      y[0] = e.LE, y[1] = e.H, y[2] = e.t_leaf, y[3] = e.rnet, y[4] = e.closure, y[5] = e.vpd;
    };
    r[kernel] = check_jacobian(f, x, 6);
  }
  if (!canveg::test::jacobian_ok(r[0], 8, fd_tol)) return false;
  EXPECT_JACOBIAN_OK(r[1], 8, fd_tol) << what;
  return true;
}

ad::kernels_detail::LeWork energy_branches(const std::vector<double>& x, bool amphi) {
  Parameters<double> p = trained_like();
  p.ep = x[6], p.Cp = x[7];
  const LayerAir<double> air = layer_air(x[4], x[5], 100.0, p);
  const double in[ad::kernels_detail::kLeInputs] = {x[0],    x[1],      x[2],      x[3],      air.t_air, air.tk2,
                                                    air.tk3, air.l_air, air.d2es_dt2, air.des_dt, air.vpd,
                                                    air.latent_base, air.air_density, p.ep, p.sigma, p.Cp};
  ad::kernels_detail::LeWork w;
  ad::kernels_detail::le_forward(in, 100.0, amphi, w);
  return w;
}

TEST(GradientProcess, LeafEnergyKernelEveryBranch) {
  std::mt19937 rng(31);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  // name, amphistomatous, condition
  struct Branch {
    std::string name;
    bool amphi;
    std::function<bool(const ad::kernels_detail::LeWork&)> taken;
    bool found = false;
  };
  std::vector<Branch> branches = {
      {"hypostomatous", false, [](const auto& w) { return w.prod > 0.0 && w.disc_t > 0.0; }},
      {"amphistomatous", true, [](const auto& w) { return w.prod > 0.0 && w.disc_t > 0.0; }},
      {"LE discriminant floor", false, [](const auto& w) { return w.prod < 0.0; }},
      {"LE discriminant floor, amphistomatous", true, [](const auto& w) { return w.prod < 0.0; }},
      {"no leaf temperature root", false, [](const auto& w) { return w.disc_t < 0.0; }},
      {"no leaf temperature root, amphistomatous", true, [](const auto& w) { return w.disc_t < 0.0; }},
  };
  for (int it = 0; it < 400000; ++it) {
    // Physical ranges, widened (negative absorbed radiation, tiny conductance) to reach the floors.
    const std::vector<double> x = {-3000.0 + 5000.0 * u(rng), 2.0 + 400.0 * u(rng), 2.0 + 400.0 * u(rng),
                                   std::pow(10.0, -6.0 + 5.0 * u(rng)), 255.0 + 65.0 * u(rng), 50.0 + 6000.0 * u(rng),
                                   0.3 + 0.7 * u(rng), 1005.0};
    // Bit-identical to the template (its branch decisions drive the adjoint).
    {
      Parameters<double> p = trained_like();
      p.ep = x[6], p.Cp = x[7];
      const bool amphi = it % 2 == 1;
      const LeafEnergy<double> e = physics::leaf_energy_balance<double>(x[0], x[1], x[2], x[3], x[4], x[5], 100.0, amphi, p);
      const ad::kernels_detail::LeWork w = energy_branches(x, amphi);
      const double a[5] = {e.LE, e.H, e.t_leaf, e.rnet, e.closure}, b[5] = {w.LE, w.H, w.t_leaf, w.rnet, w.closure};
      ASSERT_EQ(std::memcmp(a, b, sizeof(a)), 0) << it;
    }
    for (Branch& b : branches)
      if (!b.found && b.taken(energy_branches(x, b.amphi))) b.found = energy_kernel_case(x, b.amphi, b.name);
  }
  for (const Branch& b : branches) EXPECT_TRUE(b.found) << "branch not reached: " << b.name;
}

// A block f(x, y, row) (x: kIn inputs, y: kOut outputs, row: a per-half-hour constant) taped in
// SSE2 lanes with two half-hours, against the scalar tape lane by lane: values within value_tol of
// themselves, every Jacobian entry within 1e-13 of its output's largest, and the lane recording
// at most 5 nodes longer than the scalar one (the hand-written block on both tapes, not the
// template in lanes; the few more lane nodes are where() choices, which the scalar tape makes by
// picking).
template <int kIn, int kOut, class F>
void expect_lanes_equal_scalar(const F& f, const std::vector<double> (&lane_x)[2], const double (&row)[2],
                               double value_tol, const std::string& what) {
  using Arch = xsimd::sse2;  // every x86-64 processor runs it
  using LV = ad::LaneVar<Arch>;
  using Row = simd::Lanes<Arch, 1>;
  static_assert(LV::kWidth == 2);
  ad::LaneTape<Arch>& tape = ad::thread_lane_tape<Arch>();
  tape.reset();
  LV xv[kIn], yv[kOut];
  for (int i = 0; i < kIn; ++i) {
    const double v[2] = {lane_x[0][i], lane_x[1][i]};
    xv[i] = LV::leaf(Row::load(v));
  }
  f(xv, yv, Row::load(row));
  double lane_value[kOut][2], lane_jac[kOut][kIn][2];
  for (int o = 0; o < kOut; ++o) {
    yv[o].v.store(lane_value[o]);
    tape.zero_adjoints();
    tape.adjoints()[yv[o].i] = Row(1.0);
    tape.reverse();
    for (int i = 0; i < kIn; ++i) tape.adjoints()[xv[i].i].store(lane_jac[o][i]);
  }
  for (int l = 0; l < 2; ++l) {
    ad::Tape& st = ad::thread_tape();
    st.reset();
    ad::Var xs[kIn], ys[kOut];
    for (int i = 0; i < kIn; ++i) xs[i] = ad::Var::leaf(lane_x[l][i]);
    f(xs, ys, row[l]);
    EXPECT_LE(tape.size(), st.size() + 5) << what;
    for (int o = 0; o < kOut; ++o) {
      EXPECT_NEAR(lane_value[o][l], ys[o].v, value_tol * std::abs(ys[o].v)) << what << ": output " << o << " lane " << l;
      st.zero_adjoints();
      st.adjoints()[ys[o].i] = 1.0;
      st.reverse();
      double scale = 0.0;
      for (int i = 0; i < kIn; ++i) scale = std::max(scale, std::abs(st.adjoints()[xs[i].i]));
      for (int i = 0; i < kIn; ++i)
        EXPECT_NEAR(lane_jac[o][i][l], st.adjoints()[xs[i].i], 1e-13 * scale)
            << what << ": d output " << o << " / input " << i << ", lane " << l;
    }
  }
}

// The boundary-layer block on the lane tape: each lane has the scalar block's values and Jacobian,
// with the two lanes of a vector in different convection regimes (and one with the Grashof number
// clipped).
TEST(GradientProcess, BoundaryLayerKernelInLanesEqualsTheScalarKernelLaneByLane) {
  ad::LaneTapeGuard<xsimd::sse2> guard;
  const Parameters<double> p0 = trained_like();
  // t_leaf, t_air, wind, lleaf: forced laminar, forced turbulent, free turbulent, free laminar,
  // forced laminar with the Grashof number clipped (the cases of BoundaryLayerKernelAgreesWithTemplate).
  const double cases[5][4] = {{300.0, 298.0, 2.0, 0.04}, {300.0, 298.0, 30.0, 0.1}, {310.0, 298.0, 0.05, 0.1},
                              {300.0, 298.0, 0.01, 0.01}, {295.0, 298.0, 2.0, 0.04}};
  const auto block = [&](const auto* x, auto* y, const auto& wind) {
    using T = std::decay_t<decltype(*y)>;
    Parameters<T> p = cast_parameters<T>(p0);
    p.lleaf = x[3], p.betfac = x[4], p.nuvisc = x[5], p.dv = x[6];
    const BoundaryLayerConstants<T> blc = make_boundary_layer_constants(p);
    const BoundaryResistance<T> r = boundary_resistance_scaled(x[0], x[1], wind, x[2], p, blc);
    y[0] = r.heat, y[1] = r.vapor, y[2] = r.co2;
  };
  const auto inputs = [&](const double* c) {
    return std::vector<double>{c[0], c[1], diffusivity_scaling(c[1], 99.0), c[3], p0.betfac, p0.nuvisc, p0.dv};
  };
  for (const auto& [k0, k1] : {std::pair{0, 1}, std::pair{1, 2}, std::pair{2, 3}, std::pair{3, 4}, std::pair{4, 2}}) {
    const std::vector<double> lane_x[2] = {inputs(cases[k0]), inputs(cases[k1])};
    const double winds[2] = {cases[k0][2], cases[k1][2]};
    // The vector pow rounds differently from the C library's: a few units in the last place.
    expect_lanes_equal_scalar<7, 3>(block, lane_x, winds, 1e-14,
                                    "cases " + std::to_string(k0) + "/" + std::to_string(k1));
  }
}

// The energy-balance kernel on the lane tape: each lane has the scalar kernel's values and
// Jacobian, also where the two lanes of a vector take different branches (the LE discriminant's
// floor, no leaf-temperature root).
TEST(GradientProcess, LeafEnergyKernelInLanesEqualsTheScalarKernelLaneByLane) {
  ad::LaneTapeGuard<xsimd::sse2> guard;
  constexpr int kIn = 8, kOut = 6;
  const auto energy = [](const auto* xin, auto* y, bool amphi) {
    using T = std::decay_t<decltype(*y)>;
    Parameters<T> p = cast_parameters<T>(trained_like());
    p.ep = xin[6], p.Cp = xin[7];
    const LayerAir<T> air = layer_air(xin[4], xin[5], 100.0, p);
    const LeafEnergy<T> e = leaf_energy_balance(xin[0], xin[1], xin[2], xin[3], air, 100.0, amphi, p);
    y[0] = e.LE, y[1] = e.H, y[2] = e.t_leaf, y[3] = e.rnet, y[4] = e.closure, y[5] = e.vpd;
  };
  // One input of each kind per stomatal layout: 0 regular, 1 LE floor, 2 no T_L root.
  std::vector<double> cases[2][3];
  std::mt19937 rng(47);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (int it = 0; it < 400000; ++it) {
    const std::vector<double> x = {-3000.0 + 5000.0 * u(rng), 2.0 + 400.0 * u(rng), 2.0 + 400.0 * u(rng),
                                   std::pow(10.0, -6.0 + 5.0 * u(rng)), 255.0 + 65.0 * u(rng), 50.0 + 6000.0 * u(rng),
                                   0.3 + 0.7 * u(rng), 1005.0};
    for (int amphi = 0; amphi < 2; ++amphi) {
      const ad::kernels_detail::LeWork w = energy_branches(x, amphi == 1);
      const bool kind[3] = {w.prod > 0.0 && w.disc_t > 0.0, w.prod < 0.0, w.disc_t < 0.0};
      for (int k = 0; k < 3; ++k)
        if (kind[k] && cases[amphi][k].empty()) cases[amphi][k] = x;
    }
  }
  const double no_row[2] = {0.0, 0.0};
  for (int amphi = 0; amphi < 2; ++amphi) {
    for (const auto& [k0, k1] : {std::pair{0, 1}, std::pair{0, 2}, std::pair{1, 2}}) {
      ASSERT_FALSE(cases[amphi][k0].empty() || cases[amphi][k1].empty()) << "branch not reached";
      const std::vector<double> lane_x[2] = {cases[amphi][k0], cases[amphi][k1]};
      const auto block = [&](const auto* x, auto* y, const auto&) { energy(x, y, amphi == 1); };
      // The vector exp of the layer air rounds differently from the C library's, if at all.
      expect_lanes_equal_scalar<kIn, kOut>(block, lane_x, no_row, 1e-14,
                                           "kinds " + std::to_string(k0) + "/" + std::to_string(k1) +
                                               (amphi ? ", amphistomatous" : ""));
    }
  }
}

// Unqualified leaf_photosynthesis (the hand-written block for Var and LaneVar) of the 22 block
// inputs x (PsCase order); y: A_n, g_s, R_d, c_i, leaf rh.
template <class T, class P>
void photosynthesis_block(const T* x, T* y, const P& pressure, bool amphi, bool single_rd) {
  Parameters<T> p = cast_parameters<T>(trained_like());
  T* fields[] = {&p.tk_25, &p.kc25, &p.ekc, &p.rugc,   &p.ko25,   &p.o2,     &p.vcopt, &p.erd,   &p.jmopt,
                 &p.ejm,   &p.toptjm, &p.hkin, &p.evc, &p.toptvc, &p.qalpha, &p.kball, &p.bprime};
  for (int f = 0; f < 17; ++f) *fields[f] = x[5 + f];
  const LeafPhotosynthesis<T> r = leaf_photosynthesis(x[0], x[1], x[2], x[3], pressure, x[4], amphi, p, single_rd);
  y[0] = r.net_assimilation, y[1] = r.gs_m_s, y[2] = r.dark_respiration, y[3] = r.ci, y[4] = r.leaf_rh;
}

// The photosynthesis block on the lane tape: each lane has the scalar block's values and Jacobian,
// with the two lanes of a vector on different branches of section 2.11 (limitation, root choice,
// clips, sucrose cap, co-limitation, fallback), and a leaf without light beside a lit one (the
// dark lane then runs the cubic and falls back, where alone it skips the cubic).
TEST(GradientProcess, PhotosynthesisKernelInLanesEqualsTheScalarKernelLaneByLane) {
  ad::LaneTapeGuard<xsimd::sse2> guard;
  using W = ad::kernels_detail::PsWork;
  constexpr int kIn = ad::kernels_detail::kPsInputs, kOut = 5;
  const std::vector<std::pair<std::string, std::function<bool(const W&, const PsCase&)>>> kinds = {
      {"Rubisco-limited", [](const W& w, const PsCase&) { return !w.electron && !w.fallback && w.sel >= 0 && !w.colim; }},
      {"electron transport", [](const W& w, const PsCase&) { return w.electron && !w.fallback && w.sel >= 0 && !w.colim; }},
      {"co-limitation", [](const W& w, const PsCase&) { return w.colim && !w.fallback && !w.sucrose; }},
      {"sucrose cap", [](const W& w, const PsCase&) { return w.sucrose && !w.fallback; }},
      {"fallback", [](const W& w, const PsCase&) { return w.fallback && w.prd > 0.0; }},
      {"no real roots", [](const W& w, const PsCase&) { return w.sel < 0 && !w.fallback; }},
      {"smallest root", [](const W& w, const PsCase&) { return w.sel == 0 && !w.fallback; }},
      {"second root", [](const W& w, const PsCase&) { return w.sel == 1 && !w.fallback; }},
      {"third root", [](const W& w, const PsCase&) { return w.sel == 2 && !w.fallback; }},
      {"arg_u clipped", [](const W& w, const PsCase&) { return (w.argu > 0.99 || w.argu < -0.99) && w.sel >= 0 && !w.fallback; }},
      {"qqq floor", [](const W& w, const PsCase&) { return w.qqq_raw < 0.01 && w.sel >= 0 && !w.fallback; }},
      {"rh > 1", [](const W& w, const PsCase& c) { return c.x[4] > 1.0 && !w.fallback && w.sel >= 0; }},
  };
  // The first well-conditioned case of each kind (as in PhotosynthesisKernelEveryBranch), per
  // stomatal layout.
  std::vector<PsCase> found[2];
  for (auto& f : found) f.resize(kinds.size());
  std::mt19937 rng(53);
  std::size_t missing = 2 * kinds.size();
  for (int it = 0; it < 4000000 && missing > 0; ++it) {
    const PsCase c = ps_sample(rng, false);
    const W w = ps_branches(c);
    for (std::size_t k = 0; k < kinds.size(); ++k) {
      if (found[c.amphi][k].x.empty() && kinds[k].second(w, c) &&
          canveg::test::jacobian_ok(photosynthesis_jacobian(c, false), kIn, 1e-5))
        found[c.amphi][k] = c, --missing;
    }
  }
  for (int amphi = 0; amphi < 2; ++amphi)
    for (std::size_t k = 0; k < kinds.size(); ++k)
      ASSERT_FALSE(found[amphi][k].x.empty()) << "branch not reached: " << kinds[k].first << ", amphi " << amphi;
  for (int amphi = 0; amphi < 2; ++amphi) {
    for (std::size_t k0 = 0; k0 < kinds.size(); ++k0) {
      for (std::size_t k1 = k0 + 1; k1 < kinds.size(); ++k1) {
        const std::vector<double> lane_x[2] = {found[amphi][k0].x, found[amphi][k1].x};
        for (const bool single_rd : {false, true}) {
          const auto block = [&](const auto* x, auto* y, const auto& pressure) {
            photosynthesis_block(x, y, pressure, amphi == 1, single_rd);
          };
          const double pressure[2] = {100.0, 100.0};
          // The vector exp, acos and cos round differently from the C library's.
          expect_lanes_equal_scalar<kIn, kOut>(block, lane_x, pressure, 1e-12,
                                               kinds[k0].first + " / " + kinds[k1].first + (amphi ? ", amphistomatous" : "") +
                                                   (single_rd ? ", single R_d" : ""));
        }
      }
    }
    // A leaf without light beside a lit one, and two dark leaves (the cubic skipped).
    std::vector<double> dark = found[amphi][0].x;
    dark[0] = 0.0;
    const std::vector<double> lit_dark[2] = {found[amphi][1].x, dark}, dark_dark[2] = {dark, dark};
    const auto block = [&](const auto* x, auto* y, const auto& pressure) {
      photosynthesis_block(x, y, pressure, amphi == 1, false);
    };
    const double pressure[2] = {100.0, 97.0};
    expect_lanes_equal_scalar<kIn, kOut>(block, lit_dark, pressure, 1e-12, "lit / dark");
    expect_lanes_equal_scalar<kIn, kOut>(block, dark_dark, pressure, 1e-12, "dark / dark");
  }
}

// The moist-air functions of one temperature on the lane tape (one node per output, derivatives
// written out) against the scalar tape's generic template, lane by lane, on both sides of the
// latent heat's 273 K step.
TEST(GradientProcess, MoistAirInLanesEqualsTheScalarTapeLaneByLane) {
  ad::LaneTapeGuard<xsimd::sse2> guard;
  const auto block = [](const auto* x, auto* y, const auto&) {
    const MoistAir<std::decay_t<decltype(*y)>> m = moist_air(x[0]);
    y[0] = m.es, y[1] = m.lambda, y[2] = m.des_dt, y[3] = m.d2es_dt2, y[4] = saturation_vapour_pressure(x[0]);
  };
  const double no_row[2] = {0.0, 0.0};
  for (const auto& [t0, t1] : {std::pair{250.0, 300.0}, std::pair{272.9, 273.1}, std::pair{318.0, 263.0}}) {
    const std::vector<double> lane_x[2] = {{t0}, {t1}};
    expect_lanes_equal_scalar<1, 5>(block, lane_x, no_row, 1e-14, std::to_string(t0) + " / " + std::to_string(t1));
  }
  // One node per output: the overloads, not the templates, were recorded.
  using LV = ad::LaneVar<xsimd::sse2>;
  ad::LaneTape<xsimd::sse2>& tape = ad::thread_lane_tape<xsimd::sse2>();
  tape.reset();
  const LV x = LV::leaf(simd::Lanes<xsimd::sse2, 1>(290.0));
  const std::size_t before = tape.size();
  LV y[5];
  block(&x, y, 0.0);
  EXPECT_EQ(tape.size() - before, 5u);
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

// 0: the 90 sub-steps one by one, 1: the conduction map (template), 2: its Var kernel.
TEST(GradientProcess, SoilHeatConductionTemplateAndKernel) {
  const SoilColumn soil = make_soil_column(0.15, 0.2, 293.0, 101.0, 290.0, 20.0, 90);
  std::vector<double> x;
  for (int k = 0; k < kSoilNodes; ++k) x.push_back(288.0 + 0.5 * k);
  x.push_back(300.0);
  for (int variant = 0; variant < 3; ++variant) {
    auto f = [&](const auto* xin, auto* y) {
      using T = std::decay_t<decltype(*y)>;
      T t[kSoilNodes];
      for (int k = 0; k < kSoilNodes; ++k) t[k] = xin[k];
      if (variant == 0) physics::soil_heat_conduction<T>(soil, xin[kSoilNodes], 90, t);
      else if (variant == 1) physics::conduct_soil_heat<T>(soil, xin[kSoilNodes], t);
      else conduct_soil_heat(soil, xin[kSoilNodes], t);
      for (int k = 0; k < kSoilLayers; ++k) y[k] = t[k];
    };
    EXPECT_JACOBIAN_OK(check_jacobian(f, x, kSoilLayers), kSoilNodes + 1, 1e-7) << "variant " << variant;
  }
}

// x = [q_soil, g_cond, storage, t_air0, e_air0, t_air1, t_surface_prev, lout, epsoil].
TEST(GradientProcess, SoilSurfaceBalance) {
  const Parameters<double> p0 = trained_like();
  for (double swc : {0.0, 0.25}) {
    const SoilColumn soil = make_soil_column(0.15, swc, 293.0, 101.0, 290.0, 20.0, 90);
    // Unstable (warm surface), stable (cold surface), strongly stable with low wind.
    for (const auto& [t_sfc, wind_speed] : {std::pair{305.0, 1.0}, std::pair{285.0, 1.0}, std::pair{270.0, 0.2}}) {
      const double wind = wind_speed;  // a named copy: clang 14 cannot capture a structured binding
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
      // The tape reads a network's weights where they live when it is swept (kernels.hpp): the
      // network outlives the call.
      static DenseNet<T> n2;
      n2 = DenseNet<T>{};
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
    static DenseNet<T> n2;  // outlives the call, as above
    n2 = DenseNet<T>{};
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
  std::vector<double> dij(dij_t.size());  // the matrix itself [N x J]
  for (int i = 0; i < N; ++i)
    for (int j = 0; j < J; ++j) dij[static_cast<std::size_t>(i) * J + j] = dij_t[static_cast<std::size_t>(j) * N + i];
  std::vector<double> x;
  for (int k = 0; k < 3 * J; ++k) x.push_back(u(rng) - 0.5);
  // Every node, and nodes 0..2 with the top (ProfileLevels: the outputs are the computed nodes).
  for (const physics::ProfileLevels levels : {physics::ProfileLevels{N, N}, physics::ProfileLevels{N, 3}}) {
    const int M = levels.count();
    for (int kernel = 0; kernel < 2; ++kernel) {
      auto f = [&](const auto* xin, auto* y) {
        using T = std::decay_t<decltype(*y)>;
        std::vector<T> a(N), b(N), c(N);
        if (kernel)
          dispersion_sums(levels, J, dij.data(), dij_t.data(), delz.data(), xin, xin + J, xin + 2 * J, a.data(),
                          b.data(), c.data());
        else
          physics::dispersion_sums<T>(levels, J, dij.data(), dij_t.data(), delz.data(), xin, xin + J, xin + 2 * J,
                                      a.data(), b.data(), c.data());
        for (int k = 0; k < M; ++k) {
          const int i = levels.node(k);
          y[k] = a[i], y[M + k] = b[i], y[2 * M + k] = c[i];
        }
      };
      EXPECT_JACOBIAN_OK(check_jacobian(f, x, 3 * M), 3 * J, 1e-8) << "kernel " << kernel << " nodes " << M;
    }
    // Profile from sums, with the stability factor on both sides of z/L = 0; x = [sums, z/L, soil
    // flux, unit factor]; the kernel and the template.
    for (double zl : {-0.4, 0.1}) {
      std::vector<double> xs;
      for (int i = 0; i < N; ++i) xs.push_back(u(rng));
      xs.push_back(zl), xs.push_back(35.0), xs.push_back(1200.0);
      for (int kernel = 0; kernel < 2; ++kernel) {
        auto f = [&](const auto* xin, auto* y) {
          using T = std::decay_t<decltype(*y)>;
          std::vector<T> s(xin, xin + N);
          const T stab = dispersion_stability_factor(xin[N]);
          if (kernel) profile_from_sums(levels, dij_t.data(), 1.0 / 0.35, stab, xin[N + 1], xin[N + 2], 295.0, s.data());
          else physics::profile_from_sums<T>(levels, dij_t.data(), 1.0 / 0.35, stab, xin[N + 1], xin[N + 2], 295.0, s.data());
          for (int k = 0; k < M; ++k) y[k] = s[levels.node(k)];
        };
        EXPECT_JACOBIAN_OK(check_jacobian(f, xs, M), N + 3, 1e-7) << zl << " kernel " << kernel << " nodes " << M;
      }
    }
  }
}

TEST(GradientProcess, CanopySumKernelAgreesWithTemplate) {
  // x = [P_sun (J), sunlit values (J), shaded values (J), leaf area per layer]; the n-ary node's
  // value is the template's bit for bit (values_identical), its partials those of forward mode.
  const int J = 5;
  std::mt19937 rng(23);
  std::uniform_real_distribution<double> u(0.0, 1.0), v(-30.0, 60.0);
  std::vector<double> x;
  for (int j = 0; j < J; ++j) x.push_back(u(rng));
  for (int k = 0; k < 2 * J; ++k) x.push_back(v(rng));
  x.push_back(0.37);
  for (int kernel = 0; kernel < 2; ++kernel) {
    auto f = [&](const auto* xin, auto* y) {
      using T = std::decay_t<decltype(*y)>;
      if (kernel) y[0] = canopy_sum(J, xin, xin + J, xin + 2 * J, xin[3 * J]);
      else y[0] = physics::canopy_sum<T>(J, xin, xin + J, xin + 2 * J, xin[3 * J]);
    };
    EXPECT_JACOBIAN_OK(check_jacobian(f, x, 1), 3 * J + 1, 1e-9) << "kernel " << kernel;
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
  ForcingRow raw;
  raw.doy = 180, raw.hour = hour, raw.ta = 24.0, raw.rg = hour > 6 && hour < 19 ? 650.0 : 0.0, raw.eair = 1.6;
  raw.ws = 2.5, raw.co2 = 410.0, raw.pa = 101.2, raw.ustar = 0.35, raw.ts = 21.0, raw.swc = swc, raw.veg_ht = 0.8;
  raw.lai = lai;
  const RowForcing row = make_row_forcing(raw);
  const ParameterSpace space(m0);
  std::vector<double> x = space.values(m0);
  x.resize(21);  // the scalars
  x.push_back(297.5);  // previous row's surface temperature
  auto f = [&](const auto* xin, auto* y) {
    using T = std::decay_t<decltype(*y)>;
    // The tape reads the LeafRHDL weights where they live when it is swept (kernels.hpp): the
    // model outlives the call.
    static Model<T> m;
    m = model_cast<T>(m0);
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
