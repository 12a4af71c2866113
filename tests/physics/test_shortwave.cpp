// PAR/NIR transfer through the canopy (beam penetration with Markov clumping, sunlit probability,
// Norman adding scheme), docs/model.md section 2.6.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "physics/shortwave.hpp"
#include "physics_test_support.hpp"

namespace {

using namespace canveg::physics;

struct Field {
  std::vector<double> prob_beam, beam, up, down, sun_abs, shade_abs;
};

Field run(int J, double sinb, double g, double dl, double omega, double taud, Waveband in, double rho, double tau,
          double rhos, int sweeps) {
  Field f;
  f.prob_beam.assign(J + 1, -1.0);
  f.beam.assign(J + 1, -1.0);
  f.up.assign(J + 1, -1.0);
  f.down.assign(J + 1, -1.0);
  f.sun_abs.assign(J, -1.0);
  f.shade_abs.assign(J, -1.0);
  std::vector<double> s1(J + 1), s2(J + 1);
  ShortwaveField<double> out{f.prob_beam.data(), f.beam.data(), f.up.data(),
                             f.down.data(),      f.sun_abs.data(), f.shade_abs.data()};
  shortwave_transfer<double>(J, sinb, g, dl, omega, taud, in, rho, tau, rhos, sweeps, s1.data(), s2.data(), out);
  return f;
}

TEST(Shortwave, ReferenceValuesOneAndThreeSweeps) {
  // Section 2.6 written out in python3 (reference_values.py, section_shortwave): J = 3,
  // sin(beta) = 0.5, G = 0.52, dL = 0.7, Omega = 0.95, tau_d = 0.55, I_b = 800, I_d = 200,
  // rho = 0.1, tau = 0.05, rho_s = 0.15.
  const double prob[4] = {0.11930246422549218, 0.23823604897933595, 0.47573547957911355, 1};
  const double beam[4] = {100.46523303199342, 200.61983071944081, 400.61935122451666, 800};
  const double up1[4] = {23.290652250612684, 13.929717138085081, 26.051058510252425, 48.938064877548328};
  const double down1[4] = {54.80578197209114, 86.983497096451998, 134.46903243877415, 199.99999999999994};
  const double sun1[3] = {773.58196908929813, 792.97623209935648, 843.64207730667249};
  const double shade1[3] = {66.381969089298252, 85.77623209935652, 136.44207730667259};
  const double up3[4] = {23.630654158188786, 27.512267227360908, 41.761926677448216, 68.448049045176504};
  const double down3[4] = {57.072461355931836, 89.090937488589333, 136.00256831221216, 199.99999999999994};
  const double sun3[3] = {775.79764818700244, 806.31272400855767, 858.29982074121131};
  const double shade3[3] = {68.597648187002534, 99.112724008557706, 151.09982074121132};
  for (int sweeps : {1, 3}) {
    const Field f = run(3, 0.5, 0.52, 0.7, 0.95, 0.55, Waveband{800.0, 200.0}, 0.1, 0.05, 0.15, sweeps);
    for (int l = 0; l <= 3; ++l) {
      EXPECT_REL_NEAR(f.prob_beam[l], prob[l], 1e-12);
      EXPECT_REL_NEAR(f.beam[l], beam[l], 1e-12);
      EXPECT_REL_NEAR(f.up[l], sweeps == 1 ? up1[l] : up3[l], 1e-12) << "sweeps " << sweeps << " level " << l;
      EXPECT_REL_NEAR(f.down[l], sweeps == 1 ? down1[l] : down3[l], 1e-12) << "sweeps " << sweeps << " level " << l;
    }
    for (int j = 0; j < 3; ++j) {
      EXPECT_REL_NEAR(f.sun_abs[j], sweeps == 1 ? sun1[j] : sun3[j], 1e-12);
      EXPECT_REL_NEAR(f.shade_abs[j], sweeps == 1 ? shade1[j] : shade3[j], 1e-12);
    }
  }
}

TEST(Shortwave, SunlitProbabilityAndBeamProfile) {
  // Section 2.6: p_sun,J = 1, p_sun,j = min(Omega P_j, 1) with P_j = exp(-G/sin(beta) Omega dL (J - j)),
  // beam B_l = I_b P_l increasing upwards.
  const int J = 20;
  const double sinb = 0.6, g = 0.5, dl = 0.2, omega = 0.9;
  const Field f = run(J, sinb, g, dl, omega, 0.8, Waveband{600.0, 150.0}, 0.1, 0.05, 0.1, 1);
  EXPECT_DOUBLE_EQ(f.prob_beam[J], 1.0);
  EXPECT_DOUBLE_EQ(f.beam[J], 600.0);
  for (int j = 0; j < J; ++j) {
    const double p = std::exp(-g / sinb * omega * dl * (J - j));
    EXPECT_REL_NEAR(f.prob_beam[j], std::fmin(omega * p, 1.0), 1e-12) << j;
    EXPECT_REL_NEAR(f.beam[j], 600.0 * p, 1e-12) << j;
    EXPECT_LT(f.beam[j], f.beam[j + 1]);
    EXPECT_LE(f.prob_beam[j], f.prob_beam[j + 1]);
    EXPECT_LE(f.prob_beam[j], 1.0);
  }
  // Omega > 1 would exceed 1 without the cap: sunlit probability stays <= 1.
  const Field capped = run(4, 0.9, 0.5, 0.01, 1.5, 0.99, Waveband{600.0, 150.0}, 0.1, 0.05, 0.1, 1);
  for (int j = 0; j < 4; ++j) EXPECT_DOUBLE_EQ(capped.prob_beam[j], 1.0);
}

TEST(Shortwave, BlackLeavesConserveBeamEnergy) {
  // Section 2.6 with rho = tau = 0 and a black soil: beam absorbed by the sunlit leaves of all
  // layers plus the beam reaching the soil equals the incoming beam. Absorbed beam per unit
  // ground in layer j = p_sun,j dL (Q_sun - Q_sh) with Q_sun - Q_sh = B_J G / sin(beta). The
  // sunlit fraction is taken at the layer bottom (P4), a first-order quadrature of
  // int exp(-k L) k dL (a right Riemann sum), so the identity holds to about k Omega dL / 2:
  // 0.5 % with 400 layers of LAI 4 (k Omega = 1.04), 5e-4 with 4000 layers.
  const int J = 4000;
  const double sinb = 0.45, g = 0.55, lai = 4.0, omega = 0.85, inbeam = 700.0;
  const double dl = lai / J;
  const Field f = run(J, sinb, g, dl, omega, 0.9, Waveband{inbeam, 0.0}, 0.0, 0.0, 0.0, 1);
  double absorbed = 0.0;
  for (int j = 0; j < J; ++j) {
    EXPECT_REL_NEAR(f.sun_abs[j] - f.shade_abs[j], inbeam * g / sinb, 1e-12);
    absorbed += f.prob_beam[j] * dl * (f.sun_abs[j] - f.shade_abs[j]);
  }
  EXPECT_REL_NEAR(f.beam[0], inbeam * std::exp(-g / sinb * omega * lai), 1e-12);
  EXPECT_REL_NEAR(absorbed + f.beam[0], inbeam, 1e-3);
  // No scattering at all: no upward light, and no diffuse light created from the beam.
  for (int l = 0; l <= J; ++l) {
    EXPECT_EQ(f.up[l], 0.0);
    EXPECT_EQ(f.down[l], 0.0);
  }
}

TEST(Shortwave, BlackLeavesDiffuseAttenuatesByTauD) {
  // Section 2.6 with rho = tau = 0: T_j = tau_d, R_j = 0, so D_j = I_d tau_d^(J - j) and U = 0
  // except the soil reflection U_0 = rho_s (D_0 + B_0).
  const int J = 6;
  const double taud = 0.7;
  const Field f = run(J, 0.5, 0.5, 0.5, 1.0, taud, Waveband{300.0, 200.0}, 0.0, 0.0, 0.2, 1);
  for (int l = 0; l <= J; ++l) EXPECT_REL_NEAR(f.down[l], 200.0 * std::pow(taud, J - l), 1e-12);
  for (int l = 1; l <= J; ++l) EXPECT_EQ(f.up[l], 0.0);
  EXPECT_REL_NEAR(f.up[0], 0.2 * (f.down[0] + f.beam[0]), 1e-12);
  for (int j = 0; j < J; ++j) EXPECT_REL_NEAR(f.shade_abs[j], f.down[j] + f.up[j], 1e-12);
}

TEST(Shortwave, BeamTransmissionDecreasesWithLeafAreaAndLowSun) {
  // Section 2.6: P_0 = exp(-G Omega L / sin(beta)) decreases with leaf area and with lower sun.
  double prev = 1e9;
  for (double dl : {0.05, 0.1, 0.2, 0.4, 0.8}) {
    const Field f = run(5, 0.5, 0.5, dl, 0.95, 0.7, Waveband{500.0, 100.0}, 0.1, 0.05, 0.1, 1);
    EXPECT_LT(f.beam[0], prev);
    prev = f.beam[0];
  }
  const Field high = run(5, 0.9, 0.5, 0.3, 0.95, 0.7, Waveband{500.0, 100.0}, 0.1, 0.05, 0.1, 1);
  const Field low = run(5, 0.2, 0.5, 0.3, 0.95, 0.7, Waveband{500.0, 100.0}, 0.1, 0.05, 0.1, 1);
  EXPECT_GT(high.beam[0], low.beam[0]);
}

TEST(Shortwave, NightGivesZeros) {
  // Section 2.6: e = 0 and p_sun = 0 when sin(beta) <= 0; with no incoming light every flux and
  // absorbed value is 0.
  const int J = 5;
  for (double sinb : {-0.01, -0.5}) {
    const Field f = run(J, sinb, 0.5, 0.4, 0.95, 0.7, Waveband{0.0, 0.0}, 0.1, 0.05, 0.1, 1);
    for (int l = 0; l <= J; ++l) {
      EXPECT_EQ(f.prob_beam[l], 0.0);
      EXPECT_EQ(f.beam[l], 0.0);
      EXPECT_EQ(f.up[l], 0.0);
      EXPECT_EQ(f.down[l], 0.0);
    }
    for (int j = 0; j < J; ++j) {
      EXPECT_EQ(f.sun_abs[j], 0.0);
      EXPECT_EQ(f.shade_abs[j], 0.0);
    }
  }
}

TEST(Shortwave, DiffuseOnlyHasNoSunlitExcess) {
  // Section 2.6: f_b = 0 when I_b = 0, so sunlit and shaded leaves absorb the same.
  const Field f = run(4, 0.6, 0.5, 0.5, 0.95, 0.7, Waveband{0.0, 250.0}, 0.1, 0.05, 0.1, 1);
  for (int j = 0; j < 4; ++j) EXPECT_DOUBLE_EQ(f.sun_abs[j], f.shade_abs[j]);
  EXPECT_DOUBLE_EQ(f.down[4], 250.0);
}

TEST(Shortwave, OneSweepUpwardFluxIsLocalReflection) {
  // Section 2.6 / P3: one sweep from U_old = 0 gives U_{j+1} = D_{j+1} R_j + rho b_j.
  const int J = 4;
  const double taud = 0.6, rho = 0.1, tau = 0.05, sinb = 0.5, g = 0.5, dl = 0.5, omega = 0.95;
  const Field f = run(J, sinb, g, dl, omega, taud, Waveband{400.0, 100.0}, rho, tau, 0.1, 1);
  const double e = std::exp(-g / sinb * omega * dl);
  for (int j = 0; j < J; ++j) {
    const double intercepted = 400.0 * f.beam[j + 1] / 400.0 * (1.0 - e);
    EXPECT_REL_NEAR(f.up[j + 1], f.down[j + 1] * (1.0 - taud) * rho + rho * intercepted, 1e-12) << j;
  }
}

}  // namespace
