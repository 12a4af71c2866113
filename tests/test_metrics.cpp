#include <cmath>
#include <limits>

#include <gtest/gtest.h>

#include "canveg/metrics.hpp"

using canveg::compute_metrics;
using canveg::FitMetrics;

namespace {
const double kNaN = std::numeric_limits<double>::quiet_NaN();
}

TEST(Metrics, PerfectFit) {
  const FitMetrics m = compute_metrics({1, 2, 3, 4}, {1, 2, 3, 4});
  EXPECT_EQ(m.n, 4u);
  EXPECT_DOUBLE_EQ(m.nse, 1.0);
  EXPECT_DOUBLE_EQ(m.rmse, 0.0);
  EXPECT_DOUBLE_EQ(m.r2, 1.0);
  EXPECT_DOUBLE_EQ(m.kge, 1.0);
  EXPECT_DOUBLE_EQ(m.bias, 0.0);
}

TEST(Metrics, HandComputedCase) {
  // o = (1,2,3,4), p = (2,2,4,5): mean o 2.5, mean p 3.25, errors (1,0,1,1).
  // SSE 3, SS_o 5 -> NSE 0.4; RMSE sqrt(3/4); bias 0.75.
  // SS_p = 1.5625+1.5625+0.5625+3.0625 = 6.75; cross = 1.875+0.625+0.375+2.625 = 5.5
  // r = 5.5/sqrt(6.75*5); alpha = sqrt(6.75/5); beta = 3.25/2.5 = 1.3.
  const FitMetrics m = compute_metrics({2, 2, 4, 5}, {1, 2, 3, 4});
  const double r = 5.5 / std::sqrt(6.75 * 5.0);
  const double alpha = std::sqrt(6.75 / 5.0), beta = 1.3;
  EXPECT_EQ(m.n, 4u);
  EXPECT_NEAR(m.nse, 0.4, 1e-15);
  EXPECT_NEAR(m.rmse, std::sqrt(0.75), 1e-15);
  EXPECT_NEAR(m.bias, 0.75, 1e-15);
  EXPECT_NEAR(m.r2, r * r, 1e-15);
  EXPECT_NEAR(m.kge, 1 - std::sqrt((r - 1) * (r - 1) + (alpha - 1) * (alpha - 1) + (beta - 1) * (beta - 1)), 1e-15);
}

TEST(Metrics, MeanPredictionHasZeroNse) {
  const FitMetrics m = compute_metrics({2.5, 2.5, 2.5, 2.5}, {1, 2, 3, 4});
  EXPECT_NEAR(m.nse, 0.0, 1e-15);
  EXPECT_TRUE(std::isnan(m.r2));  // constant prediction: correlation undefined
  EXPECT_TRUE(std::isnan(m.kge));
}

TEST(Metrics, FailedPredictionsAndGapsDropped) {
  // |p| > 10000 (JAX-CanVeg's failed-step cut-off), NaN/Inf predictions and NaN observations are
  // dropped with their partner; the rest is the perfect fit (1,2,3).
  const FitMetrics m = compute_metrics({1, 20000, kNaN, 2, 3, INFINITY, 7}, {1, 5, 5, 2, 3, 5, kNaN});
  EXPECT_EQ(m.n, 3u);
  EXPECT_DOUBLE_EQ(m.nse, 1.0);
  EXPECT_DOUBLE_EQ(m.rmse, 0.0);
  // Exactly 10000 is kept.
  EXPECT_EQ(compute_metrics({10000, 1}, {1, 1}).n, 2u);
}

TEST(Metrics, EmptyAndConstantObservation) {
  const FitMetrics none = compute_metrics({}, {});
  EXPECT_EQ(none.n, 0u);
  EXPECT_TRUE(std::isnan(none.nse) && std::isnan(none.rmse) && std::isnan(none.kge));
  const FitMetrics flat = compute_metrics({1, 2}, {3, 3});
  EXPECT_TRUE(std::isnan(flat.nse));
  EXPECT_NEAR(flat.rmse, std::sqrt((4.0 + 1.0) / 2.0), 1e-15);
  EXPECT_NEAR(flat.bias, -1.5, 1e-15);
}

TEST(Metrics, ZeroMeanObservationHasNoKge) {
  const FitMetrics m = compute_metrics({-1, 1.5}, {-1, 1});
  EXPECT_TRUE(std::isnan(m.kge));
  EXPECT_TRUE(std::isfinite(m.nse));
}

TEST(Metrics, SizeMismatchThrows) { EXPECT_THROW(compute_metrics({1, 2}, {1}), std::invalid_argument); }
