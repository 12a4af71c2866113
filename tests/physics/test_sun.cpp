// Solar elevation, docs/model.md section 2.2 (Walraven 1978 with the literal PI = 3.14159).
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "physics/sun.hpp"
#include "physics_test_support.hpp"

namespace {

using canveg::physics::solar_sine_elevation;
using canveg::physics::solar_zenith;

constexpr double kPI = 3.14159;  // section 0 / P17
constexpr double kLatBi1 = 38.0991538, kLonBi1 = -121.49933, kTzBi1 = -8.0;  // section 5.4

// Equation of time [h] of section 2.2, written out from the document.
double equation_of_time(double doy) {
  const double f = kPI * (279.5 + 0.9856 * doy) / 180.0;
  return (-104.7 * std::sin(f) + 596.2 * std::sin(2 * f) + 4.3 * std::sin(3 * f) - 12.7 * std::sin(4 * f) -
          429.3 * std::cos(f) - 2.0 * std::cos(2 * f) + 19.3 * std::cos(3 * f)) /
         3600.0;
}
double solar_noon(double lon, double tz, double doy) {
  return 12.0 - (lon - 15.0 * tz) * 4.0 / 60.0 - equation_of_time(doy);
}
double elevation_deg(double sin_beta) { return std::asin(sin_beta) * 180.0 / std::numbers::pi; }

// Day of year at which the declination formula of 2.2 crosses zero: cos(2 PI (D+10)/365) = 0.
constexpr double kEquinoxDoy = 365.0 / 4.0 - 10.0;  // 81.25

TEST(Sun, ReferenceValuesAtUsBi1) {
  // Section 2.2 evaluated with python3 (reference_values.py, section_sun).
  EXPECT_REL_NEAR(solar_sine_elevation(kLatBi1, kLonBi1, kTzBi1, 183, 12.5), 0.96298888047189102, kTight);
  EXPECT_REL_NEAR(solar_sine_elevation(kLatBi1, kLonBi1, kTzBi1, 183, 5.0), 0.024494864682070766, kTight);
  EXPECT_REL_NEAR(solar_sine_elevation(kLatBi1, kLonBi1, kTzBi1, 15, 9.25), 0.29353067843420838, kTight);
  EXPECT_REL_NEAR(solar_sine_elevation(kLatBi1, kLonBi1, kTzBi1, 300, 16.0), 0.20662154504025862, kTight);
  // Southern hemisphere, east longitude, positive time zone (Sydney, January noon).
  EXPECT_REL_NEAR(solar_sine_elevation(-33.9, 151.2, 10.0, 10, 12.0), 0.97872634469890174, kTight);
}

TEST(Sun, EquinoxSolarNoonElevationIsNinetyMinusLatitude) {
  // Section 2.2: with declination 0, at the solar noon T0 = 12 - L_c - E_t the elevation is
  // 90 - |latitude|. The PI literal leaves a declination of ~5e-7 rad and omega ~1e-6 rad.
  for (double lat : {-45.0, -10.0, 0.5, 20.0, 38.0991538, 60.0}) {
    const double t0 = solar_noon(kLonBi1, kTzBi1, kEquinoxDoy);
    const double s = solar_sine_elevation(lat, kLonBi1, kTzBi1, kEquinoxDoy, t0);
    EXPECT_NEAR(elevation_deg(s), 90.0 - std::fabs(lat), 1e-3) << "lat " << lat;
    // At 12:00 local time on the central meridian of the zone the sun is off noon by the
    // equation of time only (|E_t| = 0.12 h here): the zenith distance exceeds |lat| by at most
    // the hour-angle offset 15 |E_t| deg (spherical triangle inequality).
    const double s12 = solar_sine_elevation(lat, 15.0 * kTzBi1, kTzBi1, kEquinoxDoy, 12.0);
    const double tolerance = 15.0 * std::fabs(equation_of_time(kEquinoxDoy)) * kPI / std::numbers::pi + 1e-3;
    EXPECT_GT(tolerance, 1.0);  // E_t is about -7.0 min here
    EXPECT_LT(tolerance, 2.5);
    EXPECT_NEAR(elevation_deg(s12), 90.0 - std::fabs(lat), tolerance) << "lat " << lat;
    EXPECT_LT(elevation_deg(s12), 90.0 - std::fabs(lat));
  }
}

TEST(Sun, ElevationIsSymmetricAboutSolarNoonAndMaximalThere) {
  // Section 2.2: sin(beta) depends on the hour only through cos(omega), omega = PI (t - T0)/12.
  const double doy = 183.0;
  const double t0 = solar_noon(kLonBi1, kTzBi1, doy);
  const double at_noon = solar_sine_elevation(kLatBi1, kLonBi1, kTzBi1, doy, t0);
  for (double dh : {0.25, 1.0, 3.5, 5.0}) {
    const double before = solar_sine_elevation(kLatBi1, kLonBi1, kTzBi1, doy, t0 - dh);
    const double after = solar_sine_elevation(kLatBi1, kLonBi1, kTzBi1, doy, t0 + dh);
    EXPECT_REL_NEAR(before, after, 1e-12) << dh;
    EXPECT_LT(after, at_noon);
  }
  // Summer solstice-like day at 38 N: noon elevation 90 - 38.1 + ~23.1 (declination of doy 183).
  EXPECT_NEAR(elevation_deg(at_noon), 90.0 - kLatBi1 + 23.1, 0.3);
}

TEST(Sun, NightGivesNegativeSine) {
  // Section 2.2: "night" means sin(beta) <= 0.
  EXPECT_LT(solar_sine_elevation(kLatBi1, kLonBi1, kTzBi1, 183, 0.0), 0.0);
  EXPECT_LT(solar_sine_elevation(kLatBi1, kLonBi1, kTzBi1, 183, 23.5), 0.0);
  EXPECT_LT(solar_sine_elevation(kLatBi1, kLonBi1, kTzBi1, 15, 18.0), 0.0);
  // Midnight sun at 80 N in June, polar night at 80 N in December.
  EXPECT_GT(solar_sine_elevation(80.0, 0.0, 0.0, 172, 0.0), 0.0);
  EXPECT_LT(solar_sine_elevation(80.0, 0.0, 0.0, 355, 12.0), 0.0);
}

TEST(Sun, SmallSineIsTruncatedToPlusMinus001) {
  // Section 2.2 guard: |sin beta| <= 0.01 -> sign(sin beta) * 0.01. On the equator at the
  // equinox sin(beta) = cos(omega) ~ 0 six hours after solar noon.
  const double t0 = solar_noon(0.0, 0.0, kEquinoxDoy);
  EXPECT_DOUBLE_EQ(solar_sine_elevation(0.0, 0.0, 0.0, kEquinoxDoy, t0 + 6.0 - 0.01), 0.01);
  EXPECT_DOUBLE_EQ(solar_sine_elevation(0.0, 0.0, 0.0, kEquinoxDoy, t0 + 6.0 + 0.01), -0.01);
  EXPECT_DOUBLE_EQ(solar_sine_elevation(0.0, 0.0, 0.0, kEquinoxDoy, t0 - 6.0 + 0.02), 0.01);
  // Either side of the threshold: raw 0.0095 -> 0.01, raw 0.0105 stays.
  const double dh_lo = std::asin(0.0095) * 12.0 / kPI, dh_hi = std::asin(0.0105) * 12.0 / kPI;
  EXPECT_DOUBLE_EQ(solar_sine_elevation(0.0, 0.0, 0.0, kEquinoxDoy, t0 + 6.0 - dh_lo), 0.01);
  EXPECT_NEAR(solar_sine_elevation(0.0, 0.0, 0.0, kEquinoxDoy, t0 + 6.0 - dh_hi), 0.0105, 1e-5);
  EXPECT_NEAR(solar_sine_elevation(0.0, 0.0, 0.0, kEquinoxDoy, t0 + 6.0 + dh_hi), -0.0105, 1e-5);
  // Just outside the guard the raw value is returned: sin(0.1 h * PI/12) = 0.02618.
  const double raw = std::sin(0.1 * kPI / 12.0);
  EXPECT_NEAR(solar_sine_elevation(0.0, 0.0, 0.0, kEquinoxDoy, t0 + 6.0 - 0.1), raw, 1e-5);
}

TEST(Sun, SineStaysWithinGuardedRange) {
  // Section 2.2: after the guard, 0.01 <= |sin beta| <= 1 everywhere.
  for (double lat = -85.0; lat <= 85.0; lat += 17.0)
    for (double doy = 1.0; doy <= 365.0; doy += 29.0)
      for (double hour = 0.0; hour < 24.0; hour += 0.5) {
        const double s = solar_sine_elevation(lat, 10.0, 1.0, doy, hour);
        ASSERT_GE(std::fabs(s), 0.01);
        ASSERT_LE(std::fabs(s), 1.0);
      }
}

TEST(Sun, ZenithIsHalfPiMinusElevation) {
  // Section 2.2: theta = PI/2 - beta with the literal PI.
  for (double s : {-0.3, 0.01, 0.5, 0.99}) EXPECT_REL_NEAR(solar_zenith(s), kPI / 2.0 - std::asin(s), kTight);
  EXPECT_NEAR(solar_zenith(1.0), 0.0, 2e-6);
}

}  // namespace
