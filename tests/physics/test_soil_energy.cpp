// Soil energy balance: grid, thermal properties, heat conduction (theta-scheme) and surface balance,
// docs/model.md section 2.13 and pitfall P13.
#include <gtest/gtest.h>

#include <array>
#include <cmath>

#include "canveg/parameters.hpp"
#include "physics/soil_energy.hpp"
#include "physics/thermo.hpp"
#include "physics_test_support.hpp"

namespace {

using namespace canveg::physics;
using canveg::Parameters;

constexpr double kSigma = 5.670367e-8;

TEST(SoilEnergy, LayerThicknessesFor15cm) {
  // Section 2.13: dz_m = z_bot 2^(m+1) / 2046; for 0.15 m the document lists
  // 0.147, 0.293, 0.587, 1.17, 2.35, 4.69, 9.38, 18.8, 37.5, 75.1 mm and node depths
  // 0, 0.15, 0.44, 1.03, 2.20, 4.55, 9.24, 18.6, 37.4, 74.9, 150 mm (3 significant digits).
  double dz[kSoilLayers];
  soil_layer_thickness(0.15, dz);
  const double listed_dz[10] = {0.147, 0.293, 0.587, 1.17, 2.35, 4.69, 9.38, 18.8, 37.5, 75.1};
  const double listed_z[11] = {0, 0.15, 0.44, 1.03, 2.20, 4.55, 9.24, 18.6, 37.4, 74.9, 150};
  double z = 0.0;  // listed_z[0] = 0, the surface
  for (int m = 0; m < kSoilLayers; ++m) {
    EXPECT_REL_NEAR(dz[m], 0.15 * std::pow(2.0, m + 1) / 2046.0, 1e-14) << m;
    EXPECT_NEAR(dz[m] * 1000.0, listed_dz[m], 0.0051 * listed_dz[m]) << m;  // 3-digit rounding
    z += dz[m];
    // The listed depths have 2 decimals (mm) or 3 significant digits.
    EXPECT_NEAR(z * 1000.0, listed_z[m + 1], std::fmax(0.0051, 0.0051 * listed_z[m + 1])) << m;
    if (m > 0) {
      EXPECT_REL_NEAR(dz[m], 2.0 * dz[m - 1], 1e-14);
    }
  }
  EXPECT_REL_NEAR(z, 0.15, 1e-14);
}

TEST(SoilEnergy, ThermalPropertiesByHand) {
  // Section 2.13 (Campbell / de Vries), python3 reference_values.py (soil_props): theta = 0.25,
  // T_ref = 293.15 K, P = 101.3 kPa, dt = 20 s.
  const SoilColumn s = make_soil_column(0.15, 0.25, 293.15, 101.3, 290.0, 20.0, 90);
  EXPECT_REL_NEAR(s.conductivity, 0.51598421072018563, 1e-12);
  EXPECT_REL_NEAR(s.heat_capacity, 1982888.8235887541, 1e-12);
  EXPECT_REL_NEAR(s.surface_resistance, 2038.3083061112118, 1e-12);
  EXPECT_REL_NEAR(s.cp_node[0], 7.2686540454133208, 1e-12);
  EXPECT_REL_NEAR(s.cp_node[5], 348.8953941798394, 1e-12);
  EXPECT_REL_NEAR(s.k_cond[0], 3519.0123171116661, 1e-12);
  EXPECT_REL_NEAR(s.k_cond[9], 6.8730709318587229, 1e-12);
  EXPECT_DOUBLE_EQ(s.lower_boundary, 290.0);
  // Heat capacity written out: rho_a f_a c_air + 1000 c_w theta + 1300 c_org f_o + 2650 c_min f_m.
  const double rho = 101.3 * 28.97 / (8.314 * 293.15);
  const double fp = 1.0 - 1.06 / 2.65;
  EXPECT_REL_NEAR(s.heat_capacity,
                  rho * (fp - 0.25) * 1065.0 + 1000.0 * 4180.0 * 0.25 + 1300.0 * 1920.0 * 0.08 +
                      2650.0 * 870.0 * (1.0 - fp - 0.08),
                  1e-13);
  // r_soil = 3e10 (0.395 - theta/10)^16.6 (theta divided by 10, P13).
  EXPECT_REL_NEAR(s.surface_resistance, 3e10 * std::pow(0.395 - 0.025, 16.6), 1e-13);
  // A drier, warmer, lower-pressure case (python3).
  const SoilColumn d = make_soil_column(0.15, 0.05, 303.15, 95.0, 300.0, 20.0, 90);
  EXPECT_REL_NEAR(d.conductivity, 0.12522189610428808, 1e-12);
  EXPECT_REL_NEAR(d.heat_capacity, 1147079.6122973631, 1e-12);
  EXPECT_REL_NEAR(d.surface_resistance, 4884.2032847490018, 1e-12);
  // Wetter soil conducts better and stores more heat.
  EXPECT_GT(s.conductivity, d.conductivity);
  EXPECT_GT(s.heat_capacity, d.heat_capacity);
}

// One theta-scheme step (F = 0.6) assembled as a dense system and solved by Gaussian elimination,
// from the interior equation of section 2.13:
// (g_m + F(k_{m-1} + k_m)) T_m+ - F k_{m-1} T_{m-1}+ - F k_m T_{m+1}+
//     = g_m T_m + (1 - F)[k_{m-1}(T_{m-1} - T_m) + k_m(T_{m+1} - T_m)],  T_0+ = T_up, T_10+ = T_low.
std::array<double, kSoilNodes> dense_step(const SoilColumn& s, const std::array<double, kSoilNodes>& t, double t_up) {
  const double F = 0.6;
  const int n = 9;  // unknowns T_1..T_9
  double A[9][10] = {};
  for (int m = 1; m <= 9; ++m) {
    const int r = m - 1;
    const double km1 = s.k_cond[m - 1], km = s.k_cond[m], g = s.cp_node[m];
    A[r][r] = g + F * (km1 + km);
    double rhs = g * t[m] + (1 - F) * (km1 * (t[m - 1] - t[m]) + km * (t[m + 1] - t[m]));
    if (m > 1) A[r][r - 1] = -F * km1; else rhs += F * km1 * t_up;
    if (m < 9) A[r][r + 1] = -F * km; else rhs += F * km * s.lower_boundary;
    A[r][n] = rhs;
  }
  for (int c = 0; c < n; ++c)
    for (int r = c + 1; r < n; ++r) {
      const double f = A[r][c] / A[c][c];
      for (int k = c; k <= n; ++k) A[r][k] -= f * A[c][k];
    }
  std::array<double, kSoilNodes> out{};
  out[0] = t_up;
  out[10] = t[10];
  for (int r = n - 1; r >= 0; --r) {
    double v = A[r][n];
    for (int k = r + 1; k < n; ++k) v -= A[r][k] * out[k + 1];
    out[r + 1] = v / A[r][r];
  }
  return out;
}

TEST(SoilEnergy, OneConductionStepMatchesDenseSolve) {
  // Section 2.13: the Thomas-algorithm step equals a dense solve of the same theta-scheme system.
  const SoilColumn s = make_soil_column(0.15, 0.3, 295.0, 100.0, 291.0, 20.0, 90);
  std::array<double, kSoilNodes> t = {299.0, 298.2, 297.1, 296.0, 294.8, 293.9, 293.0, 292.4, 291.8, 291.3, 291.0};
  const double t_up = 301.5;
  const auto expected = dense_step(s, t, t_up);
  double work[kSoilNodes];
  for (int m = 0; m < kSoilNodes; ++m) work[m] = t[m];
  soil_heat_conduction(s, t_up, 1, work);
  for (int m = 0; m < kSoilNodes; ++m) EXPECT_REL_NEAR(work[m], expected[m], 1e-13) << m;
  // A second step from the result.
  std::array<double, kSoilNodes> t1{};
  for (int m = 0; m < kSoilNodes; ++m) t1[m] = work[m];
  const auto expected2 = dense_step(s, t1, t_up);
  soil_heat_conduction(s, t_up, 1, work);
  for (int m = 0; m < kSoilNodes; ++m) EXPECT_REL_NEAR(work[m], expected2[m], 1e-13) << m;
}

TEST(SoilEnergy, UniformProfileStaysUniform) {
  // Section 2.13: with surface = lower boundary = every node = T, nothing changes.
  const SoilColumn s = make_soil_column(0.15, 0.2, 290.0, 101.3, 288.5, 20.0, 90);
  double t[kSoilNodes];
  for (double& v : t) v = 288.5;
  soil_heat_conduction(s, 288.5, 90, t);
  for (int m = 0; m < kSoilNodes; ++m) EXPECT_REL_NEAR(t[m], 288.5, 1e-14) << m;
}

TEST(SoilEnergy, SteadyStateIsLinearInDepth) {
  // Section 2.13: at steady state the flux k_m (T_m - T_{m+1}) is the same in every layer; with a
  // uniform conductivity (k_m = K/dz_m) the profile is linear in depth between the boundaries.
  // A long time step (600 s, the scheme is implicit-weighted F = 0.6) reaches it quickly.
  const SoilColumn s = make_soil_column(0.15, 0.2, 295.0, 101.3, 285.0, 600.0, 90);
  double t[kSoilNodes];
  for (double& v : t) v = 290.0;
  t[10] = 285.0;
  const double t_up = 305.0;
  soil_heat_conduction(s, t_up, 20000, t);
  double z = 0.0;
  EXPECT_DOUBLE_EQ(t[0], t_up);
  for (int m = 0; m < kSoilLayers; ++m) {
    z += s.dz[m];
    EXPECT_NEAR(t[m + 1], t_up + (285.0 - t_up) * z / 0.15, 1e-9) << m + 1;
  }
  for (int m = 0; m < kSoilLayers; ++m)
    EXPECT_REL_NEAR(s.k_cond[m] * (t[m] - t[m + 1]), s.conductivity * (t_up - 285.0) / 0.15, 1e-9) << m;
}

TEST(SoilEnergy, ConductionRelaxesTowardsTheBoundaries) {
  // Section 2.13: a warm surface heats the soil monotonically from the top.
  const SoilColumn s = make_soil_column(0.15, 0.2, 295.0, 101.3, 290.0, 20.0, 90);
  double t[kSoilNodes];
  for (double& v : t) v = 290.0;
  soil_heat_conduction(s, 300.0, 90, t);
  for (int m = 0; m < kSoilLayers; ++m) EXPECT_GE(t[m], t[m + 1]) << m;
  EXPECT_GT(t[1], 290.5);
  EXPECT_DOUBLE_EQ(t[10], 290.0);
  for (int m = 1; m < kSoilLayers; ++m) EXPECT_LT(t[m], 300.0);
}

TEST(SoilEnergy, ConductionMapEqualsTheSubStepsOneByOne) {
  // The model applies the half-hour's sub-steps as one affine map (conduct_soil_heat); it must
  // give the profile of the sub-steps taken one by one, for any step count, profile and boundary.
  const std::array<double, kSoilNodes> start = {299.0, 298.2, 297.1, 296.0, 294.8, 293.9,
                                                293.0, 292.4, 291.8, 291.3, 291.0};
  for (int steps : {0, 1, 2, 7, 90, 91, 1000}) {
    for (double dt : {20.0, 600.0}) {
      const SoilColumn s = make_soil_column(0.15, 0.3, 295.0, 100.0, 291.0, dt, steps);
      for (double t_up : {280.0, 301.5}) {
        double by_step[kSoilNodes], by_map[kSoilNodes];
        for (int m = 0; m < kSoilNodes; ++m) by_step[m] = by_map[m] = start[m];
        soil_heat_conduction(s, t_up, steps, by_step);
        conduct_soil_heat(s, t_up, by_map);
        for (int m = 0; m < kSoilNodes; ++m)
          EXPECT_NEAR(by_map[m], by_step[m], 1e-11) << steps << " steps, dt " << dt << ", node " << m;
        if (steps > 0) {
          EXPECT_EQ(by_map[0], t_up);
        }
        EXPECT_EQ(by_map[kSoilLayers], start[kSoilLayers]);  // node 10 is held
      }
    }
  }
  // The steady state of SteadyStateIsLinearInDepth in one application.
  const SoilColumn s = make_soil_column(0.15, 0.2, 295.0, 101.3, 285.0, 600.0, 20000);
  double t[kSoilNodes];
  for (double& v : t) v = 290.0;
  t[10] = 285.0;
  conduct_soil_heat(s, 305.0, t);
  double z = 0.0;
  for (int m = 0; m < kSoilLayers; ++m) {
    z += s.dz[m];
    EXPECT_NEAR(t[m + 1], 305.0 + (285.0 - 305.0) * z / 0.15, 1e-9) << m + 1;
  }
}

// Surface balance of section 2.13 written out from the document.
struct SurfaceExpected {
  double LE, H, Ts, rnet, G;
};
SurfaceExpected surface_by_hand(const SoilColumn& s, double Qs, double Gc, double storage, double T0, double e0,
                                double T1, double us, double z1, double Tprev, double Lold, double rho, double pkpa) {
  const double Ra = std::pow(std::log(z1 / 0.02), 2) / (0.16 * us);
  const double xi = std::fmax(5.0 * 9.8 * z1 * (Tprev - T1) / (T1 * us * us), -1e5);
  const double phi = std::fmin(std::fmax(std::pow(1.0 + xi, xi > 0 ? -0.75 : -2.0), 0.1), 5.0);
  const double Rh = std::fmin(std::fmax(Ra * phi, 25.0), 1000.0);
  const double kc = 1005.0 * rho / Rh;
  const double kv = 1.0 / (Rh + s.surface_resistance);
  const double es = 100.0 * std::exp(54.8781919 - 6790.4985 / T0 - 5.02808 * std::log(T0));
  const double lam = 3149000.0 - 2370.0 * T0;
  const double sd = es * lam * 18.0 / (8314.0 * T0 * T0);
  const double s2 = -2.0 * es * lam * 18.0 / (8314.0 * T0 * T0 * T0) + sd * lam * 18.0 / (8314.0 * T0 * T0);
  const double vpd = es - e0;
  const double cE = 0.622 * rho * lam * kv / (pkpa * 1000.0);
  const double Rep = kc + 4.0 * 0.98 * kSigma * T0 * T0 * T0;
  const double G = Gc + storage;
  const double X = Qs - Lold - G;
  const double a = cE * s2 / (2.0 * Rep);
  const double b = -Rep - cE * sd - 2.0 * a * X;
  const double c = Rep * cE * vpd + cE * sd * X + a * X * X;
  SurfaceExpected e{};
  e.LE = (-b - std::sqrt(std::fmax(b * b - 4.0 * a * c, 10.0))) / (2.0 * a);
  const double aT = 6.0 * 0.98 * kSigma * T0 * T0 + 0.5 * s2 * cE;
  const double bT = 4.0 * 0.98 * kSigma * T0 * T0 * T0 + kc + cE * sd;
  const double cT = -Qs + Lold + Gc + cE * vpd;
  const double disc = bT * bT - 4.0 * aT * cT;
  const double dT = disc > 0 ? (-bT + std::sqrt(disc)) / (2.0 * aT) : 0.0;
  e.Ts = T1 + dT;
  e.H = kc * dT;
  e.rnet = Qs - 0.98 * kSigma * std::pow(e.Ts, 4);
  e.G = G;
  return e;
}

TEST(SoilEnergy, SurfaceBalanceQuadraticsByHand) {
  // Section 2.13 surface balance (stable xi > 0, unstable xi < 0, and R_h clipped at 25 s m-1),
  // against the quadratics written out above and python3 values (reference_values.py).
  const Parameters<double> p;
  const SoilColumn s = make_soil_column(0.15, 0.25, 293.15, 101.3, 290.0, 20.0, 90);
  const double rho = 101.3 * 28.97 / (8.314 * 293.15);
  const double Lold = 0.98 * kSigma * std::pow(293.15, 4);
  struct Case {
    double Qs, Gc, storage, T0, e0, T1, us, z1, Tprev;
    double LE, H, Ts, rnet;
  } cases[] = {
      {450, 60, 5, 294, 1500, 293.6, 0.8, 1.0, 295, 6.0878276536924778, -18.610572967058129, 292.14400493380037,
       45.214302884230335},
      {450, 60, 5, 294, 1500, 293.6, 0.8, 1.0, 292, 3.9250281852308055, -9.454069551745949, 290.84957616275176,
       52.340845164501332},
      {300, -20, 0, 288, 1000, 288.2, 0.6, 0.032, 289, 4.4719293694775448, -85.561307265543235, 286.43236197085014,
       -74.046487811549696},
      // Calm (R_h = 1000) with Q_s - L_old - G = -551 W m-2: the LE discriminant (7.4) is floored
      // at 10 (P13) and the T_s discriminant is negative, so Delta T_s = 0 and T_s = T_1.
      {10, 150, 0, 291, 500, 291.5, 0.1, 1.0, 291.464, 116.48261621639583, 0.0, 291.5, -391.22822865510193},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(::testing::Message() << "T_prev " << c.Tprev << " z1 " << c.z1);
    const auto r = soil_surface_balance(s, c.Qs, c.Gc, c.storage, c.T0, c.e0, c.T1, c.us, c.z1, c.Tprev, Lold, rho,
                                        101.3, p);
    const auto e = surface_by_hand(s, c.Qs, c.Gc, c.storage, c.T0, c.e0, c.T1, c.us, c.z1, c.Tprev, Lold, rho, 101.3);
    EXPECT_REL_NEAR(r.evaporation, e.LE, 1e-12);
    EXPECT_REL_NEAR(r.heat, e.H, 1e-12);
    EXPECT_REL_NEAR(r.temperature, e.Ts, 1e-12);
    EXPECT_REL_NEAR(r.rnet, e.rnet, 1e-12);
    EXPECT_REL_NEAR(r.gsoil, c.Gc + c.storage, 1e-15);
    EXPECT_REL_NEAR(r.evaporation, c.LE, 1e-11);
    EXPECT_REL_NEAR(r.heat, c.H, 1e-11);
    EXPECT_REL_NEAR(r.temperature, c.Ts, 1e-12);
    EXPECT_REL_NEAR(r.rnet, c.rnet, 1e-11);
  }
}

TEST(SoilEnergy, StorageEntersEvaporationButNotTemperature) {
  // Section 2.13 / P13: the evaporation quadratic uses G with storage, the temperature quadratic
  // the conductive G only.
  const Parameters<double> p;
  const SoilColumn s = make_soil_column(0.15, 0.25, 293.15, 101.3, 290.0, 20.0, 90);
  const double rho = 101.3 * 28.97 / (8.314 * 293.15), Lold = 0.98 * kSigma * std::pow(293.15, 4);
  const auto a = soil_surface_balance(s, 450.0, 60.0, 0.0, 294.0, 1500.0, 293.6, 0.8, 1.0, 295.0, Lold, rho, 101.3, p);
  const auto b = soil_surface_balance(s, 450.0, 60.0, 30.0, 294.0, 1500.0, 293.6, 0.8, 1.0, 295.0, Lold, rho, 101.3, p);
  EXPECT_DOUBLE_EQ(a.temperature, b.temperature);
  EXPECT_DOUBLE_EQ(a.heat, b.heat);
  EXPECT_LT(b.evaporation, a.evaporation);  // less energy left for evaporation
  EXPECT_DOUBLE_EQ(b.gsoil - a.gsoil, 30.0);
}

}  // namespace
