// Sky longwave and longwave transfer through the canopy, docs/model.md section 2.7.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "physics/longwave.hpp"
#include "physics_test_support.hpp"

namespace {

using namespace canveg::physics;

constexpr double kSigma = 5.670367e-8;

struct Ir {
  std::vector<double> down, up;
};

Ir run(int J, int sweeps, double sky, const std::vector<double>& psun, const std::vector<double>& tsun,
       const std::vector<double>& tsh, double taud, double ep, double eps, double tsoil, double start) {
  Ir r;
  r.down.assign(J + 1, start);
  r.up.assign(J + 1, start);
  std::vector<double> source(J);
  longwave_transfer<double>(J, sweeps, sky, psun.data(), tsun.data(), tsh.data(), taud, ep, eps, kSigma, tsoil,
                            r.down.data(), r.up.data(), source.data());
  return r;
}

TEST(Longwave, SkyLongwaveReferenceValues) {
  // Section 2.7: L_sky = sigma T^4 [(1 - 0.261 exp(-7.77e-4 (273.16 - T)^2)) r + 1 - r],
  // python3 reference_values.py (section_longwave).
  EXPECT_REL_NEAR(sky_longwave(293.15, 0.6, kSigma), 370.69043328478335, 1e-12);
  EXPECT_REL_NEAR(sky_longwave(273.16, 1.0, kSigma), 233.30498745537918, 1e-12);
  EXPECT_REL_NEAR(sky_longwave(303.15, 0.22, kSigma), 465.22512777169624, 1e-12);
  // r = 0 is a black-body sky; at 273.16 K and r = 1 the emissivity is 1 - 0.261.
  EXPECT_REL_NEAR(sky_longwave(290.0, 0.0, kSigma), kSigma * std::pow(290.0, 4), 1e-14);
  EXPECT_REL_NEAR(sky_longwave(273.16, 1.0, kSigma), 0.739 * kSigma * std::pow(273.16, 4), 1e-12);
  // Clearer skies (larger r) emit less.
  EXPECT_LT(sky_longwave(290.0, 0.89, kSigma), sky_longwave(290.0, 0.22, kSigma));
}

TEST(Longwave, ReferenceProfiles) {
  // Section 2.7, python3 reference_values.py: J = 3, p_sun = (0.2, 0.45, 0.8), T_sun = (296, 297.5, 299),
  // T_sh = (293.5, 294, 294.5), tau_d = 0.6, eps = 0.95, eps_s = 0.9, T_soil = 291, start = L_sky.
  const double sky = 370.69043328478335;
  const std::vector<double> psun{0.2, 0.45, 0.8}, tsun{296.0, 297.5, 299.0}, tsh{293.5, 294.0, 294.5};
  const double down1[4] = {416.15373029462444, 412.21492509439099, 400.01926622498638, 370.69043328478335};
  const double up1[4] = {407.56864438271901, 413.73474397860059, 420.8746548534977, 430.63164138190211};
  const double down50[4] = {416.97313635612898, 412.95230959351181, 400.52150854635556, 370.69043328478335};
  const double up50[4] = {407.65058498886947, 413.79210159334355, 420.91466542170463, 430.65604782850835};
  const Ir one = run(3, 1, sky, psun, tsun, tsh, 0.6, 0.95, 0.9, 291.0, sky);
  const Ir fifty = run(3, 50, sky, psun, tsun, tsh, 0.6, 0.95, 0.9, 291.0, sky);
  for (int l = 0; l <= 3; ++l) {
    EXPECT_REL_NEAR(one.down[l], down1[l], 1e-12) << l;
    EXPECT_REL_NEAR(one.up[l], up1[l], 1e-12) << l;
    EXPECT_REL_NEAR(fifty.down[l], down50[l], 1e-12) << l;
    EXPECT_REL_NEAR(fifty.up[l], up50[l], 1e-12) << l;
  }
}

TEST(Longwave, IsothermalBlackCavity) {
  // Section 2.7 with leaf and soil emissivity 1, all temperatures T and L_sky = sigma T^4: every
  // level has up = down = sigma T^4 (Kirchhoff), after one sweep from the sky initialisation.
  const int J = 10;
  const double T = 291.7, bb = kSigma * std::pow(T, 4);
  const std::vector<double> psun(J, 0.4), temps(J, T);
  const Ir r = run(J, 1, bb, psun, temps, temps, 0.65, 1.0, 1.0, T, bb);
  for (int l = 0; l <= J; ++l) {
    EXPECT_REL_NEAR(r.down[l], bb, 1e-12) << l;
    EXPECT_REL_NEAR(r.up[l], bb, 1e-12) << l;
  }
}

TEST(Longwave, IsothermalGreyCavityConvergesToBlackBody) {
  // Section 2.7: leaves emit eps sigma T^4 and scatter (1 - eps)/2 each way; a grey soil reflects
  // 1 - eps_s. In an isothermal enclosure the radiation field is still sigma T^4 everywhere, and
  // 50 sweeps from a zero start converge to it.
  const int J = 8;
  const double T = 300.0, bb = kSigma * std::pow(T, 4);
  std::vector<double> psun(J);
  for (int j = 0; j < J; ++j) psun[j] = 0.1 * j;
  const std::vector<double> temps(J, T);
  const Ir r = run(J, 50, bb, psun, temps, temps, 0.5, 0.9, 0.85, T, 0.0);
  for (int l = 0; l <= J; ++l) {
    EXPECT_REL_NEAR(r.down[l], bb, 1e-9) << l;
    EXPECT_REL_NEAR(r.up[l], bb, 1e-9) << l;
  }
}

TEST(Longwave, OpaqueLayersEmitAtTheirTemperature) {
  // Section 2.7 with tau_d = 0 and black leaves: each layer is a black sheet, so the downward flux
  // below layer j is sigma T_j^4 and the upward flux above it is sigma T_j^4.
  const int J = 3;
  const std::vector<double> psun{0.3, 0.6, 0.9}, tsun{300.0, 303.0, 306.0}, tsh{290.0, 292.0, 294.0};
  const Ir r = run(J, 2, 350.0, psun, tsun, tsh, 0.0, 1.0, 0.95, 289.0, 350.0);
  for (int j = 0; j < J; ++j) {
    const double emission =
        kSigma * (psun[j] * std::pow(tsun[j], 4) + (1.0 - psun[j]) * std::pow(tsh[j], 4));
    EXPECT_REL_NEAR(r.down[j], emission, 1e-12) << j;
    EXPECT_REL_NEAR(r.up[j + 1], emission, 1e-12) << j;
  }
  EXPECT_REL_NEAR(r.up[0], 0.05 * r.down[0] + 0.95 * kSigma * std::pow(289.0, 4), 1e-12);
}

TEST(Longwave, WarmerLeavesRaiseTheFluxes) {
  // Section 2.7: emission grows with leaf temperature, so both fluxes inside the canopy grow.
  const int J = 5;
  const std::vector<double> psun(J, 0.5), cool(J, 288.0), warm(J, 298.0);
  const Ir a = run(J, 50, 330.0, psun, cool, cool, 0.6, 0.97, 0.95, 290.0, 330.0);
  const Ir b = run(J, 50, 330.0, psun, warm, warm, 0.6, 0.97, 0.95, 290.0, 330.0);
  for (int l = 0; l < J; ++l) EXPECT_GT(b.down[l], a.down[l]);
  for (int l = 1; l <= J; ++l) EXPECT_GT(b.up[l], a.up[l]);
  EXPECT_DOUBLE_EQ(a.down[J], 330.0);  // the sky value at the top is fixed
}

}  // namespace

namespace {

TEST(Longwave, SweepsStopAtAFixedPointWithTheResultOfAllFifty) {
  // A 50-layer canopy in daylight: every one of the 50 sweeps run as written (the reference below),
  // against longwave_transfer, which stops once a sweep leaves the upward field unchanged. The
  // results must be the same doubles.
  const int J = 50;
  std::vector<double> psun(J), tsun(J), tsh(J);
  for (int j = 0; j < J; ++j) {
    psun[j] = 0.05 + 0.9 * j / (J - 1.0);
    tsun[j] = 296.0 + 0.08 * j;
    tsh[j] = 293.0 + 0.03 * j;
  }
  const double sky = 350.0, taud = 0.93, ep = 0.98, epsoil = 0.95, tsoil = 295.5;
  const Ir stopped = run(J, 50, sky, psun, tsun, tsh, taud, ep, epsoil, tsoil, sky);

  std::vector<double> down(J + 1, sky), up(J + 1, sky), source(J);
  const double scat = (1.0 - ep) / 2.0, forward = taud + (1.0 - taud) * scat, backward = (1.0 - taud) * scat;
  for (int j = 0; j < J; ++j) {
    const double ts2 = tsun[j] * tsun[j], th2 = tsh[j] * tsh[j];
    source[j] = ep * kSigma * (psun[j] * (ts2 * ts2) + (1.0 - psun[j]) * (th2 * th2)) * (1.0 - taud);
  }
  const double soil = epsoil * kSigma * ((tsoil * tsoil) * (tsoil * tsoil));
  for (int sweep = 0; sweep < 50; ++sweep) {
    for (int i = J - 1; i >= 0; --i) down[i] = down[i + 1] * forward + (up[i] * backward + source[i]);
    up[0] = (1.0 - epsoil) * down[0] + soil;
    for (int i = 0; i < J; ++i) up[i + 1] = up[i] * forward + (down[i + 1] * backward + source[i]);
  }
  for (int l = 0; l <= J; ++l) {
    EXPECT_EQ(stopped.down[l], down[l]) << l;
    EXPECT_EQ(stopped.up[l], up[l]) << l;
  }
  // And the field is a fixed point indeed: one more sweep from it changes nothing.
  std::vector<double> again_down = stopped.down, again_up = stopped.up, scratch(J);
  longwave_transfer<double>(J, 1, sky, psun.data(), tsun.data(), tsh.data(), taud, ep, epsoil, kSigma, tsoil,
                            again_down.data(), again_up.data(), scratch.data());
  EXPECT_EQ(again_up, stopped.up);
  EXPECT_EQ(again_down, stopped.down);
}

}  // namespace
