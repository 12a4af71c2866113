// Soil respiration options (Q10 power law, alfalfa regression, RsoilDL network),
// docs/model.md sections 2.14 and 3.2.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "canveg/parameters.hpp"
#include "nn/dense_net.hpp"
#include "physics/soil_respiration.hpp"
#include "physics_test_support.hpp"

namespace {

using namespace canveg::physics;
using canveg::Activation;
using canveg::DenseNet;
using canveg::Parameters;
using canveg::VarStats;

TEST(SoilRespiration, Q10BaseRateAt10C) {
  // Section 2.14 module 1: R = a b^((T - 10)/10) theta^c; at 10 C and theta = 1 it is a.
  const Parameters<double> p;  // (a, b, c) = (5, 1.7, 0.8)
  EXPECT_REL_NEAR(soil_respiration_q10(283.15, 1.0, p), 5.0, 1e-14);
  EXPECT_REL_NEAR(soil_respiration_q10(293.15, 1.0, p), 5.0 * 1.7, 1e-13);
  EXPECT_REL_NEAR(soil_respiration_q10(298.15, 0.3, p), 4.2300002221106237, 1e-12);  // python3
}

TEST(SoilRespiration, Q10DoublesEveryTenDegreesWithQ10OfTwo) {
  // Section 2.14: with b = 2 the rate doubles per 10 K.
  Parameters<double> p;
  p.q10a = 3.0;
  p.q10b = 2.0;
  p.q10c = 0.5;
  EXPECT_REL_NEAR(soil_respiration_q10(293.15, 1.0, p), 6.0, 1e-13);
  EXPECT_REL_NEAR(soil_respiration_q10(273.15, 1.0, p), 1.5, 1e-13);
  for (double t = 270.0; t < 310.0; t += 3.7)
    EXPECT_REL_NEAR(soil_respiration_q10(t + 10.0, 0.2, p), 2.0 * soil_respiration_q10(t, 0.2, p), 1e-13);
  // theta^c: theta = 0.25, c = 0.5 halves the rate; theta = 0 gives 0.
  EXPECT_REL_NEAR(soil_respiration_q10(283.15, 0.25, p), 1.5, 1e-13);
  EXPECT_EQ(soil_respiration_q10(283.15, 0.0, p), 0.0);
}

TEST(SoilRespiration, AlfalfaRegressionByHand) {
  // Section 2.14 module 0: phi_i = b1_i + b2_i x_i/(b3_i + x_i), R = b00 + b01 Phi + b02 Phi^2 - R_d,
  // x = (Ps + Rd, T_soil [K], theta, h_forcing). python3 reference_values.py (alfalfa).
  EXPECT_REL_NEAR(soil_respiration_alfalfa(15.0, 1.2, 295.15, 0.3, 0.8), 8.4812079070078195, 1e-12);
  EXPECT_REL_NEAR(soil_respiration_alfalfa(0.0, 0.0, 288.15, 0.1, 0.5), 6.1196282775704836, 1e-12);
  EXPECT_REL_NEAR(soil_respiration_alfalfa(-2.0, 0.8, 301.0, 0.45, 1.0), 2.6002507823885681, 1e-12);
  // Written out once more for the first case.
  const double b1[4] = {-1.51316616076344, 0.673139978230031, -59.2947930385706, -3.33294857624960};
  const double b2[4] = {1.38034307225825, 3.73823712105636, 59.9066980644239, 1.36701108005293};
  const double b3[4] = {2.14475255616910, 19.9136298988773, 0.000987230986585085, 0.0569682453563841};
  const double x[4] = {16.2, 295.15, 0.3, 0.8};
  double phi = 0.0;
  for (int i = 0; i < 4; ++i) phi += b1[i] + b2[i] * x[i] / (b3[i] + x[i]);
  EXPECT_REL_NEAR(soil_respiration_alfalfa(15.0, 1.2, 295.15, 0.3, 0.8),
                  4.846927939437475 + 2.22166756601498 * phi - 0.0281417120818586 * phi * phi - 1.2, 1e-13);
  // R_d enters once inside the regression input and once subtracted: with Ps + Rd fixed the
  // result falls one-for-one with R_d.
  EXPECT_REL_NEAR(soil_respiration_alfalfa(14.0, 2.2, 295.15, 0.3, 0.8),
                  soil_respiration_alfalfa(15.0, 1.2, 295.15, 0.3, 0.8) - 1.0, 1e-13);
}

TEST(SoilRespiration, NetworkNormalisationAndRescaling) {
  // Section 3.2: x1 = (T_soil - 273.15 - Tair_min)/(Tair_max - Tair_min),
  // x2 = (theta - theta_min)/(theta_max - theta_min), R = y (R_max - R_min) + R_min.
  // A 2-2-2-1 identity network (y = x1) exposes the normalisation and the rescaling.
  DenseNet<double> net;
  net.in_size = 2;
  net.width = 2;
  net.out_size = 1;
  net.hidden = Activation::Identity;
  net.final = Activation::Identity;
  net.w0 = {1, 0, 0, 1};
  net.b0 = {0, 0};
  net.w1 = {1, 0, 0, 1};
  net.b1 = {0, 0};
  net.w2 = {1, 0};
  net.b2 = {0};
  VarStats vmax, vmin;
  vmax.T_air = 35.0;
  vmin.T_air = -5.0;
  vmax.soilmoisture = 0.45;
  vmin.soilmoisture = 0.05;
  vmax.rsoil = 12.0;
  vmin.rsoil = 0.5;
  const auto view = canveg::nn::view_of(net);
  const double t = 273.15 + 15.0;  // x1 = 20/40 = 0.5
  EXPECT_REL_NEAR(soil_respiration_network(t, 0.25, view, vmax, vmin), 0.5 * 11.5 + 0.5, 1e-14);
  // Soil moisture path: pick the second input instead.
  net.w2 = {0, 1};
  const auto view2 = canveg::nn::view_of(net);
  EXPECT_REL_NEAR(soil_respiration_network(t, 0.25, view2, vmax, vmin), (0.2 / 0.4) * 11.5 + 0.5, 1e-14);
  // MLP with tanh output: all weights zero and b2 = atanh(0.5) -> y = 0.5.
  net.hidden = Activation::Tanh;
  net.final = Activation::Tanh;
  net.w0 = {0, 0, 0, 0};
  net.w1 = {0, 0, 0, 0};
  net.w2 = {0, 0};
  net.b2 = {std::atanh(0.5)};
  const auto view3 = canveg::nn::view_of(net);
  EXPECT_REL_NEAR(soil_respiration_network(300.0, 0.3, view3, vmax, vmin), 0.5 * 11.5 + 0.5, 1e-14);
}

}  // namespace
