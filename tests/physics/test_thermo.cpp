// Thermodynamic helpers, docs/model.md section 2.1: e_s(T), lambda(T), s = de_s/dT and
// s' = d2e_s/dT2 (with lambda treated as constant).
#include <gtest/gtest.h>

#include <cmath>

#include "physics/thermo.hpp"
#include "physics_test_support.hpp"

namespace {

using canveg::physics::d2es_dt2;
using canveg::physics::des_dt;
using canveg::physics::latent_heat;
using canveg::physics::moist_air;
using canveg::physics::saturation_vapour_pressure;

// Section 2.1, written out here from the document: es = 100 exp(54.8781919 - 6790.4985/T - 5.02808 ln T).
double es_doc(double t) { return 100.0 * std::exp(54.8781919 - 6790.4985 / t - 5.02808 * std::log(t)); }
double lambda_doc(double t) { return 3149000.0 - 2370.0 * t + (t < 273.0 ? 333.0 : 0.0); }

TEST(Thermo, SaturationVapourPressureAtTriplePoint) {
  // Section 2.1. Physical value at the triple point of water is 611.657 Pa; the fitted formula
  // gives 611.853 Pa (python3 reference_values.py: 611.85276501518808).
  const double es = saturation_vapour_pressure(273.16);
  EXPECT_NEAR(es, 611.657, 0.5);
  EXPECT_REL_NEAR(es, 611.85276501518808, kTight);
  EXPECT_REL_NEAR(es, es_doc(273.16), kTight);
}

TEST(Thermo, SaturationVapourPressureMatchesFormulaAndPhysicalRange) {
  // Section 2.1 formula at several temperatures; physical magnitudes (Pa) from standard tables
  // within 2 % over the atmospheric range (the fit is 1.7 % low at the boiling point, 99648 Pa).
  for (double t = 240.0; t <= 330.0; t += 7.5) EXPECT_REL_NEAR(saturation_vapour_pressure(t), es_doc(t), kTight);
  EXPECT_NEAR(saturation_vapour_pressure(293.15), 2339.0, 0.01 * 2339.0);
  EXPECT_NEAR(saturation_vapour_pressure(303.15), 4246.0, 0.01 * 4246.0);
  EXPECT_NEAR(saturation_vapour_pressure(373.15), 101325.0, 0.02 * 101325.0);
}

TEST(Thermo, SaturationVapourPressureIncreasesWithTemperature) {
  // Section 2.1: es is strictly increasing (Clausius-Clapeyron).
  double prev = saturation_vapour_pressure(220.0);
  for (double t = 220.5; t <= 340.0; t += 0.5) {
    const double es = saturation_vapour_pressure(t);
    EXPECT_GT(es, prev) << "at T = " << t;
    prev = es;
  }
}

TEST(Thermo, LatentHeatLinearWithIceCorrection) {
  // Section 2.1: lambda = 3149000 - 2370 T, plus 333 below 273 K.
  EXPECT_DOUBLE_EQ(latent_heat(300.0), 3149000.0 - 2370.0 * 300.0);
  EXPECT_DOUBLE_EQ(latent_heat(273.0), 3149000.0 - 2370.0 * 273.0);  // not below 273: no correction
  EXPECT_DOUBLE_EQ(latent_heat(272.5), 3149000.0 - 2370.0 * 272.5 + 333.0);
  EXPECT_NEAR(latent_heat(273.15), 2.5e6, 0.01e6);  // ~2.50 MJ kg-1 at 0 C
}

TEST(Thermo, DesDtMatchesDocumentedFormula) {
  // Section 2.1: s(T) = es lambda 18 / (8314 T^2).
  for (double t : {250.0, 272.0, 280.0, 293.15, 300.0, 315.0}) {
    const double expected = es_doc(t) * lambda_doc(t) * 18.0 / (8314.0 * t * t);
    EXPECT_REL_NEAR(des_dt(t), expected, kTight) << "T = " << t;
  }
  // python3 reference_values.py: s(300 K) = 207.0772223675267 Pa K-1.
  EXPECT_REL_NEAR(des_dt(300.0), 207.0772223675267, kTight);
}

TEST(Thermo, DesDtApproximatesDerivativeOfEs) {
  // Section 2.1: s is the Clausius-Clapeyron form with lambda(T), not the exact derivative of the
  // fitted es, so a central difference of es agrees only to ~1e-3 relative (0.04 % at 250 K,
  // 0.11 % at 320 K; python3 check). A tolerance of 1e-6 is NOT attainable with the documented
  // equations. 1.5e-3 still catches any wrong factor (18/8314, T^2, lambda).
  for (double t = 250.0; t <= 320.0; t += 5.0) {
    if (std::fabs(t - 273.0) < 1.0) continue;  // lambda's 333 J/kg step
    const double h = 1e-3;
    const double fd = (saturation_vapour_pressure(t + h) - saturation_vapour_pressure(t - h)) / (2.0 * h);
    EXPECT_REL_NEAR(des_dt(t), fd, 1.5e-3) << "T = " << t;
  }
}

TEST(Thermo, SecondDerivativeMatchesDocumentedFormulaAndFiniteDifference) {
  // Section 2.1: s' = -2 es lambda 18/(8314 T^3) + s lambda 18/(8314 T^2).
  for (double t : {255.0, 280.0, 293.15, 300.0, 310.0}) {
    const double lam = lambda_doc(t);
    const double s = es_doc(t) * lam * 18.0 / (8314.0 * t * t);
    const double expected = -2.0 * es_doc(t) * lam * 18.0 / (8314.0 * t * t * t) + s * lam * 18.0 / (8314.0 * t * t);
    EXPECT_REL_NEAR(d2es_dt2(t), expected, kTight) << "T = " << t;
    // Treating lambda as constant makes s' 1.2-2.2 % larger than d s/dT (python3 check):
    // the neglected term is -2370 * 18 es / (8314 T^2).
    const double h = 1e-3;
    const double fd = (des_dt(t + h) - des_dt(t - h)) / (2.0 * h);
    EXPECT_REL_NEAR(d2es_dt2(t), fd, 0.03) << "T = " << t;
    EXPECT_GT(d2es_dt2(t), fd);
  }
  EXPECT_REL_NEAR(d2es_dt2(300.0), 10.764163272550144, kTight);  // python3 reference_values.py
}

TEST(Thermo, MoistAirBundleEqualsSeparateFunctions) {
  // Section 2.1: the bundled evaluation must give the same values as the individual functions.
  for (double t : {260.0, 272.9, 285.0, 301.3}) {
    const auto m = moist_air(t);
    EXPECT_REL_NEAR(m.es, saturation_vapour_pressure(t), kTight);
    EXPECT_REL_NEAR(m.lambda, latent_heat(t), kTight);
    EXPECT_REL_NEAR(m.des_dt, des_dt(t), kTight);
    EXPECT_REL_NEAR(m.d2es_dt2, d2es_dt2(t), kTight);
  }
}

}  // namespace
