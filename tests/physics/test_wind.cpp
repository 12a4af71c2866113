// Wind speed at the canopy top and inside the canopy, docs/model.md section 2.9.
#include <gtest/gtest.h>

#include <cmath>

#include "physics/wind.hpp"
#include "physics_test_support.hpp"

namespace {

using canveg::physics::canopy_top_wind;
using canveg::physics::canopy_wind;

TEST(Wind, CanopyTopLogLaw) {
  // Section 2.9: U_h = U_ref ln((h - d)/z0) / ln((z_m - d)/z0), d = 0.6 h, z0 = 0.1 h.
  // US-Bi1: h = 0.8, z_m = 5: (h - d)/z0 = 4, (z_m - d)/z0 = 4.52/0.08 = 56.5.
  EXPECT_REL_NEAR(canopy_top_wind(3.0, 0.8, 5.0), 3.0 * std::log(4.0) / std::log(56.5), 1e-12);
  // US-Me2: h = 18, z_m = 34: (34 - 10.8)/1.8.
  EXPECT_REL_NEAR(canopy_top_wind(2.0, 18.0, 34.0), 2.0 * std::log(4.0) / std::log(23.2 / 1.8), 1e-12);
  // Measurement at the canopy top gives the reference wind itself.
  EXPECT_REL_NEAR(canopy_top_wind(2.5, 1.0, 1.0), 2.5, 1e-12);
  // Linear in the reference wind, and below it for z_m > h.
  EXPECT_REL_NEAR(canopy_top_wind(4.0, 0.8, 5.0), 2.0 * canopy_top_wind(2.0, 0.8, 5.0), 1e-14);
  EXPECT_LT(canopy_top_wind(4.0, 0.8, 5.0), 4.0);
}

TEST(Wind, ExponentialAttenuationInsideCanopy) {
  // Section 2.9: u(z) = U_h exp(2 (z/h - 1)).
  const double uh = 1.7, h = 0.8;
  EXPECT_REL_NEAR(canopy_wind(uh, h, h), uh, 1e-15);
  EXPECT_REL_NEAR(canopy_wind(uh, 0.0, h), uh * std::exp(-2.0), 1e-14);
  EXPECT_REL_NEAR(canopy_wind(uh, 0.2, h), uh * std::exp(2.0 * (0.25 - 1.0)), 1e-14);
  double prev = 0.0;
  for (int j = 1; j <= 50; ++j) {
    const double u = canopy_wind(uh, j * h / 50.0, h);
    EXPECT_GT(u, prev);
    prev = u;
  }
  // Attenuation depends on z/h only.
  EXPECT_REL_NEAR(canopy_wind(uh, 9.0, 18.0), canopy_wind(uh, 0.4, 0.8), 1e-14);
}

}  // namespace
