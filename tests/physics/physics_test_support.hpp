// Small helpers shared by the physics unit tests.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

namespace canveg::test {

// |actual - expected| <= rel * |expected| (or <= rel when expected == 0).
inline ::testing::AssertionResult RelNear(const char* actual_expr, const char* expected_expr, const char*,
                                          double actual, double expected, double rel) {
  const double scale = expected == 0.0 ? 1.0 : std::fabs(expected);
  const double err = std::fabs(actual - expected);
  if (std::isfinite(actual) && err <= rel * scale) return ::testing::AssertionSuccess();
  std::ostringstream os;
  os.precision(17);
  os << actual_expr << " = " << actual << " differs from " << expected_expr << " = " << expected
     << " by relative " << err / scale << " > " << rel;
  return ::testing::AssertionFailure() << os.str();
}

}  // namespace canveg::test

#define EXPECT_REL_NEAR(actual, expected, rel) \
  EXPECT_PRED_FORMAT3(::canveg::test::RelNear, actual, expected, rel)
#define ASSERT_REL_NEAR(actual, expected, rel) \
  ASSERT_PRED_FORMAT3(::canveg::test::RelNear, actual, expected, rel)

// Tight tolerance for a test that re-evaluates the same formula.
inline constexpr double kTight = 1e-12;
