// Farquhar C3 photosynthesis coupled with Ball-Berry stomatal conductance (analytical cubic),
// docs/model.md section 2.11 and pitfall P11.
#include <gtest/gtest.h>

#include <cmath>

#include "canveg/parameters.hpp"
#include "ad/forward.hpp"
#include "physics/photosynthesis.hpp"
#include "physics_test_support.hpp"

namespace {

using namespace canveg::physics;
using canveg::Parameters;

double kappa(double pkpa) { return 101.3 * 0.022624 / (273.15 * pkpa); }  // section 2.11 unit conversion

TEST(Photosynthesis, ArrheniusByHand) {
  // Section 2.11: arr(k25, E) = k25 exp((T - T25) E / (T25 R T)); equal to k25 at T25.
  EXPECT_REL_NEAR(arrhenius(274.6, 80500.0, 0.0, 8.314, 298.16, 298.16), 274.6, 1e-15);
  const double t = 303.15;
  EXPECT_REL_NEAR(arrhenius(274.6, 80500.0, t - 298.16, 8.314, 298.16, t),
                  274.6 * std::exp((t - 298.16) * 80500.0 / (298.16 * 8.314 * t)), 1e-14);
  EXPECT_REL_NEAR(arrhenius(274.6, 80500.0, t - 298.16, 8.314, 298.16, t), 468.64922291683757, 1e-12);  // python3
  EXPECT_LT(arrhenius(274.6, 80500.0, 290.0 - 298.16, 8.314, 298.16, 290.0), 274.6);
}

TEST(Photosynthesis, PeakedFunctionEqualsOptimumRateAtOptimumTemperature) {
  // Section 2.11: tb(k_opt, E, T_o) = k_opt at T_L = T_o, and T_o is its maximum (its derivative
  // in (T - T_o)/(R T_o T) vanishes there), so tb <= k_opt everywhere.
  EXPECT_REL_NEAR(peaked_temperature(171.0, 55000.0, 303.0, 8.314, 200000.0, 303.0), 171.0, 1e-14);
  EXPECT_REL_NEAR(peaked_temperature(259.0, 55000.0, 303.0, 8.314, 99999.0, 303.0), 259.0, 1e-14);
  // python3 reference_values.py: tb(171, 55000, 303) at 290 K and 310 K.
  EXPECT_REL_NEAR(peaked_temperature(171.0, 55000.0, 303.0, 8.314, 200000.0, 290.0), 87.68874711831495, 1e-12);
  EXPECT_REL_NEAR(peaked_temperature(171.0, 55000.0, 303.0, 8.314, 200000.0, 310.0), 117.80074242888648, 1e-12);
  for (double t = 270.0; t <= 330.0; t += 0.5) {
    EXPECT_LE(peaked_temperature(171.0, 55000.0, 303.0, 8.314, 200000.0, t), 171.0 * (1.0 + 1e-12)) << t;
  }
}

TEST(Photosynthesis, SpecificityAndCompensationPointAt25C) {
  // Section 2.11: tau_sp (Roupsard et al. 1996) at 25 C by hand, Gamma* = 500 O2 / tau_sp.
  const double tc = 25.0;
  const double kh_co2 = 0.0785 - 2.89e-3 * tc + 54.7e-6 * tc * tc - 0.417e-6 * tc * tc * tc;
  const double kh_o2 = 2.1e-3 - 57.1e-6 * tc + 1.024e-6 * tc * tc - 7.503e-9 * tc * tc * tc;
  EXPECT_REL_NEAR(co2_o2_specificity(tc), 102.0 * kh_co2 / kh_o2, 1e-13);
  EXPECT_REL_NEAR(co2_o2_specificity(tc), 2894.7801874583315, 1e-12);  // python3
  const double gamma_star = 500.0 * 210.0 / co2_o2_specificity(tc);
  EXPECT_NEAR(gamma_star, 36.27, 0.01);  // ~40 ppm: the usual C3 compensation point
  EXPECT_GT(co2_o2_specificity(15.0), co2_o2_specificity(35.0));  // Gamma* rises with temperature
}

struct Case {
  double par, ca, tl, rb, pkpa, rh;
  bool amphi;
  double an, gs, rd, ci, leaf_rh;
};

TEST(Photosynthesis, ReferenceCases) {
  // Section 2.11 (cubic, root choice, sucrose cap, co-limitation replacement, quadratic fallback)
  // implemented independently in python3 from the document (reference_values.py, leaf_ps), default
  // Parameters. The comment gives the branch taken.
  const Case cases[] = {
      // co-limitation, hypo / amphi
      {1500.0, 400.0, 298.15, 60.0, 101.3, 0.7, false, 29.36631989275034, 0.012946508185024699, 0.318375065543962,
       264.05293406806254, 0.7},
      {1500.0, 400.0, 298.15, 60.0, 101.3, 0.7, true, 30.04923652739485, 0.012514751610224023, 0.318375065543962,
       280.7531715908986, 0.7},
      {300.0, 420.0, 293.15, 40.0, 100.35, 0.55, false, 10.525331919086751, 0.0040950516313552378,
       0.24512344586297813, 291.16866566756215, 0.55},
      {300.0, 420.0, 293.15, 40.0, 100.35, 0.55, true, 10.408632907804435, 0.0040476193412141591,
       0.24512344586297813, 281.60410016315274, 0.55},
      // dark: quadratic fallback
      {0.0, 400.0, 290.15, 80.0, 101.3, 0.8, false, -0.52157143617452784, 0.0012016023430349624,
       0.52157143617452761, 417.69304029321273, 0.8},
      // rh > 1 (clipped to 1 for g_s), amphi, warm, low light
      {50.0, 380.0, 308.15, 120.0, 99.0, 1.1, true, 1.3837604165321986, 0.0021031598144889154, 0.52359120913422108,
       317.16690731655763, 1.0},
      // hot leaf
      {2000.0, 400.0, 318.15, 30.0, 101.3, 0.3, false, 0.99046379375253135, 0.0014834141777046951,
       0.83457196930825939, 210.25271980178746, 0.3},
      // plain cubic branch (no co-limitation replacement)
      {300.0, 400.0, 293.15, 50.0, 101.3, 0.3, false, 9.835820040230525, 0.0027224180358145786, 0.24512344586297813,
       247.70213597929998, 0.3},
      // dim light: the c_i-based w_j (0.36) lies between R_d/2 and R_d (0.47), quadratic fallback
      {8.0, 400.0, 288.15, 50.0, 101.3, 0.6, false, -0.11878804451668749, 0.0011933197144426138,
       0.46755194302224001, 403.94296953989584, 0.6},
  };
  const Parameters<double> p;
  for (const Case& c : cases) {
    const auto r = leaf_photosynthesis(c.par, c.ca, c.tl, c.rb, c.pkpa, c.rh, c.amphi, p);
    SCOPED_TRACE(::testing::Message() << "PAR " << c.par << " T " << c.tl << " amphi " << c.amphi);
    EXPECT_REL_NEAR(r.net_assimilation, c.an, 1e-10);
    EXPECT_REL_NEAR(r.gs_m_s, c.gs, 1e-10);
    EXPECT_REL_NEAR(r.dark_respiration, c.rd, 1e-12);
    EXPECT_REL_NEAR(r.ci, c.ci, 1e-10);
    EXPECT_DOUBLE_EQ(r.leaf_rh, c.leaf_rh);
  }
}

TEST(Photosynthesis, DarkLeafRespiresAtInterceptConductance) {
  // Section 2.11 quadratic fallback: with PAR = 0, J = 0 so w_j = 0 <= R_d; g_s = b' T_L kappa and
  // A_n = -R_d exactly (with a = 0 the Farquhar rate is -R_d whatever c_i; the smaller root of the
  // quadratic is -R_d), with R_d = arr(0.004657 Vopt, E_rd), not light-inhibited.
  const Parameters<double> p;
  for (double tl : {283.15, 293.15, 303.15})
    for (bool amphi : {false, true}) {
      const double pk = 100.5;
      const auto r = leaf_photosynthesis(0.0, 410.0, tl, 70.0, pk, 0.75, amphi, p);
      const double rd = 0.004657 * 171.0 * std::exp((tl - 298.16) * 38000.0 / (298.16 * 8.314 * tl));
      EXPECT_REL_NEAR(r.dark_respiration, rd, 1e-13);
      EXPECT_REL_NEAR(r.gs_m_s, 0.05 * tl * kappa(pk), 1e-13);
      EXPECT_LT(r.net_assimilation, 0.0);
      EXPECT_NEAR(r.net_assimilation, -rd, 1e-9 * rd);
      EXPECT_GT(r.ci, 410.0);  // respiration raises internal CO2 above ambient
      // A leaf without light skips the cubic and the co-limitation; with PAR = 1e-300 (J = 1e-301)
      // the whole path is taken and the fallback replaces its result: the same numbers bit for
      // bit, in double and in forward mode (values and the derivative with respect to c_a).
      const auto full = leaf_photosynthesis(1e-300, 410.0, tl, 70.0, pk, 0.75, amphi, p);
      EXPECT_EQ(r.net_assimilation, full.net_assimilation);
      EXPECT_EQ(r.gs_m_s, full.gs_m_s);
      EXPECT_EQ(r.ci, full.ci);
      EXPECT_EQ(r.dark_respiration, full.dark_respiration);
      EXPECT_EQ(r.leaf_rh, full.leaf_rh);
      using D = canveg::ad::Dual<1>;
      const Parameters<D> pd;
      D ca(410.0);
      ca.d[0] = 1.0;
      const auto dark_d = leaf_photosynthesis<D>(D(0.0), ca, D(tl), D(70.0), pk, D(0.75), amphi, pd);
      const auto full_d = leaf_photosynthesis<D>(D(1e-300), ca, D(tl), D(70.0), pk, D(0.75), amphi, pd);
      EXPECT_EQ(r.net_assimilation, dark_d.net_assimilation.v);
      EXPECT_EQ(dark_d.net_assimilation.d[0], full_d.net_assimilation.d[0]);
      EXPECT_EQ(dark_d.ci.d[0], full_d.ci.d[0]);
      EXPECT_GT(dark_d.ci.d[0], 0.0);
    }
}

TEST(Photosynthesis, LightInhibitionOfDarkRespiration) {
  // Section 2.11: R_d is multiplied by 0.4 when absorbed PAR > 10.
  const Parameters<double> p;
  const auto dim = leaf_photosynthesis(9.9, 400.0, 295.0, 50.0, 101.3, 0.6, false, p);
  const auto lit = leaf_photosynthesis(10.1, 400.0, 295.0, 50.0, 101.3, 0.6, false, p);
  EXPECT_REL_NEAR(lit.dark_respiration, 0.4 * dim.dark_respiration, 1e-14);
}

TEST(Photosynthesis, LightSaturatedBelowSucroseLimitWithDrawdown) {
  // Section 2.11: A_n <= J_s = V_cmax/2 - R_d; uptake draws c_i below c_a (and above Gamma*);
  // g_s exceeds the intercept.
  const Parameters<double> p;
  for (double tl : {288.15, 298.15, 303.0, 308.15})
    for (bool amphi : {false, true}) {
      const double ca = 400.0, pk = 101.3;
      const auto r = leaf_photosynthesis(2000.0, ca, tl, 40.0, pk, 0.65, amphi, p);
      const double vcmax = peaked_temperature(171.0, 55000.0, 303.0, 8.314, 200000.0, tl);
      SCOPED_TRACE(::testing::Message() << "T " << tl << " amphi " << amphi);
      EXPECT_GT(r.net_assimilation, 0.0);
      EXPECT_LE(r.net_assimilation, vcmax / 2.0 - r.dark_respiration);
      EXPECT_LT(r.ci, ca);
      EXPECT_GT(r.ci, 500.0 * 210.0 / co2_o2_specificity(tl - 273.15));
      EXPECT_GT(r.gs_m_s, 0.05 * tl * kappa(pk));
    }
  // More light -> more assimilation (same temperature and CO2).
  double prev = -1e9;
  for (double par : {20.0, 100.0, 300.0, 800.0, 1600.0}) {
    const double an = leaf_photosynthesis(par, 400.0, 298.15, 40.0, 101.3, 0.65, false, p).net_assimilation;
    EXPECT_GT(an, prev);
    prev = an;
  }
}

TEST(Photosynthesis, CubicBranchSatisfiesBallBerryAndDiffusion) {
  // Section 2.11, a case where neither the co-limitation replacement nor the fallback applies
  // (checked in python3): g_s = k rh A_n / c_s + b', c_s = c_a - A_n/g_b, c_i = c_s - 1.6 A_n / g_s.
  // Also: the cubic's coefficients contain R_d, so its root x already solves the coupled
  // Farquhar / Ball-Berry / diffusion system for the NET rate, x = a (c_i' - G*)/(E c_i' + B) - R_d;
  // section 2.11 (as JAX-CanVeg) nevertheless sets A_n = x - R_d, i.e. R_d is subtracted twice.
  const Parameters<double> p;
  const double par = 300.0, ca = 400.0, tl = 293.15, rb = 50.0, pk = 101.3, rh = 0.3;
  const auto r = leaf_photosynthesis(par, ca, tl, rb, pk, rh, false, p);
  const double gb = 1.0 / (rb * tl * kappa(pk));
  const double an = r.net_assimilation;
  const double cs = ca - an / gb;
  const double gs_mol = r.gs_m_s / (tl * kappa(pk));
  EXPECT_REL_NEAR(gs_mol, 8.17 * rh * an / cs + 0.05, 1e-12);
  EXPECT_REL_NEAR(r.ci, cs - 1.6 * an / gs_mol, 1e-12);

  // Coupled system for x = A_n + R_d (electron-transport limited here: a = J, B = 8 G*, E = 4).
  const double x = an + r.dark_respiration;
  const double jmax = peaked_temperature(259.0, 55000.0, 303.0, 8.314, 200000.0, tl);
  const double j = 0.22 * par / std::sqrt(1.0 + 0.22 * 0.22 * par * par / (jmax * jmax));
  const double gstar = 500.0 * 210.0 / co2_o2_specificity(tl - 273.15);
  const double cs_x = ca - x / gb;
  const double ci_x = cs_x - x / (8.17 * rh / 1.6 * x / cs_x + 0.05 / 1.6);
  // Exact up to the 2 pi literal 2 x 3.1415926 of the trigonometric roots (P17): the angle error
  // 3.6e-8 rad times 2 sqrt(Q) ~ 340 gives ~1.2e-5 here (python3: np.roots agrees with the
  // residual-free root to 1e-15, the trigonometric root is 1.08e-5 lower).
  const double farquhar_x = j * (ci_x - gstar) / (4.0 * ci_x + 8.0 * gstar) - r.dark_respiration;
  EXPECT_NEAR(farquhar_x, x, 3e-6 * x);
  // A_n itself does not satisfy the coupled system: it is off by about R_d.
  const double cs_a = ca - an / gb;
  const double ci_a = cs_a - an / (8.17 * rh / 1.6 * an / cs_a + 0.05 / 1.6);
  const double farquhar_a = j * (ci_a - gstar) / (4.0 * ci_a + 8.0 * gstar) - r.dark_respiration;
  EXPECT_GT(farquhar_a - an, 0.5 * r.dark_respiration);
}

TEST(Photosynthesis, AmphistomatousDiffersFromHypostomatous) {
  // Section 2.11: the two stomata types use different cubic coefficients and c_s.
  const Parameters<double> p;
  const auto hypo = leaf_photosynthesis(800.0, 400.0, 298.15, 60.0, 101.3, 0.6, false, p);
  const auto amphi = leaf_photosynthesis(800.0, 400.0, 298.15, 60.0, 101.3, 0.6, true, p);
  EXPECT_GT(std::fabs(hypo.net_assimilation - amphi.net_assimilation), 1e-3);
  EXPECT_GT(std::fabs(hypo.ci - amphi.ci), 1e-2);
  EXPECT_DOUBLE_EQ(hypo.dark_respiration, amphi.dark_respiration);
}

}  // namespace
