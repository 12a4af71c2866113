// Leaf boundary-layer resistances for heat, vapour and CO2, docs/model.md section 2.10.
#include <gtest/gtest.h>

#include <cmath>

#include "canveg/parameters.hpp"
#include "physics/boundary_layer.hpp"
#include "physics_test_support.hpp"

namespace {

using namespace canveg::physics;
using canveg::Parameters;

// Section 2.10 written out by hand: returns r_b for a diffusivity D_x [mm2 s-1] and Nusselt N.
double rb_hand(double lleaf, double dx_mm2, double nusselt, double t_air, double pkpa) {
  const double scale = (101.3 / pkpa) * std::pow(t_air / 273.16, 1.81);
  const double sh = nusselt * std::pow(13.27 / dx_mm2, 0.33);
  return lleaf / (dx_mm2 * 1e-6 * scale * sh);
}
double reynolds(double lleaf, double u, double t_air, double pkpa) {
  return lleaf * u / (13.27e-6 * (101.3 / pkpa) * std::pow(t_air / 273.16, 1.81));
}
double grashof(double lleaf, double t_leaf, double t_air) {
  return 9.8 * std::pow(lleaf, 3) / (13.27e-6 * 13.27e-6) * std::fmax(t_leaf - t_air, 0.0) / t_air;
}

TEST(BoundaryLayer, Constants) {
  // Section 2.10: Prandtl/Schmidt numbers at STP to the 0.33 power, Grashof prefactor 9.8 l^3/nu^2.
  const Parameters<double> p;
  const auto c = make_boundary_layer_constants(p);
  EXPECT_REL_NEAR(c.pr33, std::pow(13.27 / 18.69, 0.33), 1e-14);
  EXPECT_REL_NEAR(c.sc33, std::pow(13.27 / 21.78, 0.33), 1e-14);
  EXPECT_REL_NEAR(c.scc33, std::pow(13.27 / 13.81, 0.33), 1e-14);
  EXPECT_REL_NEAR(c.grashof, 9.8 * 0.04 * 0.04 * 0.04 / (13.27e-6 * 13.27e-6), 1e-14);
  EXPECT_REL_NEAR(diffusivity_scaling(300.0, 95.0), 101.3 / 95.0 * std::pow(300.0 / 273.16, 1.81), 1e-14);
}

TEST(BoundaryLayer, ForcedConvectionLaminar) {
  // Section 2.10: Re < 14000 -> N = 0.66 Re^0.5 betfac (Gr/Re^2 < 1 here).
  const Parameters<double> p;
  const auto c = make_boundary_layer_constants(p);
  const double ta = 293.15, tl = 295.0, u = 2.0, pk = 101.3;
  const double re = reynolds(0.04, u, ta, pk);
  ASSERT_LT(re, 14000.0);
  ASSERT_LT(grashof(0.04, tl, ta) / (re * re), 1.0);
  const double n = 0.66 * std::sqrt(re) * 1.5;
  const auto r = boundary_resistance(tl, ta, u, pk, p, c);
  EXPECT_REL_NEAR(r.heat, rb_hand(0.04, 18.69, n, ta, pk), 1e-12);
  EXPECT_REL_NEAR(r.vapor, rb_hand(0.04, 21.78, n, ta, pk), 1e-12);
  EXPECT_REL_NEAR(r.co2, rb_hand(0.04, 13.81, n, ta, pk), 1e-12);
  // python3 reference_values.py (section_boundary).
  EXPECT_REL_NEAR(r.heat, 29.243594228968206, 1e-12);
  EXPECT_REL_NEAR(r.vapor, 26.394303401697936, 1e-12);
  EXPECT_REL_NEAR(r.co2, 35.816176080735644, 1e-12);
}

TEST(BoundaryLayer, ForcedConvectionTurbulent) {
  // Section 2.10: Re > 14000 -> N = 0.036 Re^0.8 betfac.
  const Parameters<double> p;
  const auto c = make_boundary_layer_constants(p);
  const double ta = 293.15, u = 8.0, pk = 100.0;
  const double re = reynolds(0.04, u, ta, pk);
  ASSERT_GT(re, 14000.0);
  const double n = 0.036 * std::pow(re, 0.8) * 1.5;
  const auto r = boundary_resistance(ta, ta, u, pk, p, c);
  EXPECT_REL_NEAR(r.heat, rb_hand(0.04, 18.69, n, ta, pk), 1e-12);
  EXPECT_REL_NEAR(r.vapor, rb_hand(0.04, 21.78, n, ta, pk), 1e-12);
  EXPECT_REL_NEAR(r.co2, rb_hand(0.04, 13.81, n, ta, pk), 1e-12);
  EXPECT_REL_NEAR(r.heat, 13.46145209424826, 1e-12);  // python3
}

TEST(BoundaryLayer, FreeConvectionWhenGrashofDominates) {
  // Section 2.10: Gr/Re^2 > 1 -> N = 0.5 Gr^0.25 (Gr < 1e5) or 0.13 Gr^0.33 (Gr >= 1e5), no betfac.
  const Parameters<double> p;
  const auto c = make_boundary_layer_constants(p);
  const double ta = 293.15, u = 0.01, pk = 101.3;
  const double re = reynolds(0.04, u, ta, pk);
  {
    const double tl = 298.15, gr = grashof(0.04, tl, ta);
    ASSERT_GT(gr / (re * re), 1.0);
    ASSERT_LT(gr, 1e5);
    const auto r = boundary_resistance(tl, ta, u, pk, p, c);
    EXPECT_REL_NEAR(r.heat, rb_hand(0.04, 18.69, 0.5 * std::pow(gr, 0.25), ta, pk), 1e-12);
    EXPECT_REL_NEAR(r.heat, 268.63371314312144, 1e-12);  // python3
  }
  {
    const double tl = 305.15, gr = grashof(0.04, tl, ta);
    ASSERT_GE(gr, 1e5);
    const auto r = boundary_resistance(tl, ta, u, pk, p, c);
    EXPECT_REL_NEAR(r.heat, rb_hand(0.04, 18.69, 0.13 * std::pow(gr, 0.33), ta, pk), 1e-12);
    EXPECT_REL_NEAR(r.vapor, 289.40988985583908, 1e-12);  // python3
  }
  // A leaf colder than the air has Gr = 0 (floored): forced convection even at low wind.
  const auto cold = boundary_resistance(290.0, ta, u, pk, p, c);
  EXPECT_REL_NEAR(cold.heat, rb_hand(0.04, 18.69, 0.66 * std::sqrt(re) * 1.5, ta, pk), 1e-12);
}

TEST(BoundaryLayer, ResistanceRatiosAndWindDependence) {
  // Section 2.10: r_b,x = l / (D_x Sh_x) with Sh_x = N (nu/D_x)^0.33, so r_v/r_h = (D_h/D_v)^0.67
  // independently of the regime; r_b decreases with wind in forced convection.
  const Parameters<double> p;
  const auto c = make_boundary_layer_constants(p);
  double prev = 1e9;
  for (double u : {0.5, 1.0, 2.0, 4.0, 8.0, 12.0}) {
    const auto r = boundary_resistance(293.15, 293.15, u, 101.3, p, c);
    EXPECT_REL_NEAR(r.vapor / r.heat, std::pow(18.69 / 21.78, 0.67), 1e-12);
    EXPECT_REL_NEAR(r.co2 / r.heat, std::pow(18.69 / 13.81, 0.67), 1e-12);
    EXPECT_LT(r.heat, prev);
    prev = r.heat;
  }
}

}  // namespace
