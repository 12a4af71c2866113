#include <cmath>
#include <limits>

#include <gtest/gtest.h>

#include "canveg/benchmarks.hpp"
#include "canveg/errors.hpp"
#include "canveg/evaluation.hpp"
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
  // Constant up to the round-off of its mean (0.1 three times: the mean is 0.10000000000000002),
  // as one valid value spread by gap filling: still undefined, not a huge negative NSE.
  const FitMetrics spread = compute_metrics({1, 2, 3}, {0.1, 0.1, 0.1});
  EXPECT_TRUE(std::isnan(spread.nse)) << spread.nse;
  EXPECT_TRUE(std::isnan(spread.r2)) << spread.r2;
}

TEST(Metrics, ZeroMeanObservationHasNoKge) {
  const FitMetrics m = compute_metrics({-1, 1.5}, {-1, 1});
  EXPECT_TRUE(std::isnan(m.kge));
  EXPECT_TRUE(std::isfinite(m.nse));
}

TEST(Metrics, SizeMismatchThrows) { EXPECT_THROW(compute_metrics({1, 2}, {1}), std::invalid_argument); }

// p = {2, 4, 5, 9}, o = {1, 3, 5, 7}: errors {1, 1, 0, 2}; o - mean o = {-3, -1, 1, 3};
// p - mean p = {-3, -1, 0, 4}; sum (o - mean o)^2 = 20, sum (p - mean p)^2 = 26, cross sum 22.
TEST(Metrics, EvaluationMetricsByHand) {
  const FitMetrics m = compute_metrics({2, 4, 5, 9}, {1, 3, 5, 7});
  EXPECT_DOUBLE_EQ(m.mae, 1.0);                           // (1 + 1 + 0 + 2) / 4
  EXPECT_DOUBLE_EQ(m.nme, 0.5);                           // 4 / (3 + 1 + 1 + 3)
  EXPECT_DOUBLE_EQ(m.sd_ratio, std::sqrt(26.0 / 20.0));
  EXPECT_DOUBLE_EQ(m.r, 22.0 / std::sqrt(26.0 * 20.0));
  EXPECT_DOUBLE_EQ(m.mean_observed, 4.0);
  EXPECT_DOUBLE_EQ(m.sd_observed, std::sqrt(5.0));
  EXPECT_FALSE(m.kge_unreliable);  // |4| is 1.8 standard deviations from zero
  // Observed mean 0 with standard deviation sqrt(2.5): KGE's bias term is meaningless.
  const FitMetrics zero = compute_metrics({-1, 1, -1, 1}, {-2, 2, -1, 1});
  EXPECT_TRUE(zero.kge_unreliable);
  // A mean of 0.3 standard deviations is not flagged, 0.2 is.
  EXPECT_FALSE(compute_metrics({0, 0}, {-0.7, 1.3}).kge_unreliable);  // mean 0.3, sd 1
  EXPECT_TRUE(compute_metrics({0, 0}, {-0.8, 1.2}).kge_unreliable);   // mean 0.2, sd 1
}

// Periods: one half-hour in each season, two of them by day (shortwave above 10 W m-2); an
// observation gap is skipped.
TEST(Metrics, ScoresByPeriod) {
  canveg::ObservedFluxes observed;
  observed.timestamp = {"2020-01-15 12:00:00", "2020-04-15 12:00:00", "2020-07-15 12:00:00",
                        "2020-10-15 12:00:00", "2020-12-01 00:30:00"};
  observed.LE = {10, 20, 30, 40, kNaN};
  observed.le_column = "Qle";
  const std::vector<canveg::io::PredictedSeries> predicted = {{"LE", {11, 22, 33, 44, 1000}}, {"H", {1, 2, 3, 4, 5}}};
  const std::vector<double> shortwave = {0, 100, 500, 5, 0};
  const auto scores = canveg::score_fluxes(predicted, observed, observed.timestamp, &shortwave);
  ASSERT_EQ(scores.size(), 7u);  // LE only (no observed H): all, day, night and four seasons
  const auto find = [&](const std::string& period) {
    for (const auto& s : scores)
      if (s.period == period) return s;
    ADD_FAILURE() << period;
    return scores.front();
  };
  EXPECT_EQ(find("all").metrics.n, 4u);
  EXPECT_DOUBLE_EQ(find("all").metrics.bias, 2.5);  // (1 + 2 + 3 + 4) / 4; the gap is skipped
  EXPECT_EQ(find("day").metrics.n, 2u);
  EXPECT_DOUBLE_EQ(find("day").metrics.bias, 2.5);  // rows 2 and 3
  EXPECT_EQ(find("night").metrics.n, 2u);
  EXPECT_DOUBLE_EQ(find("night").metrics.mae, 2.5);  // rows 1 and 4
  EXPECT_DOUBLE_EQ(find("DJF").metrics.bias, 1.0);
  EXPECT_DOUBLE_EQ(find("MAM").metrics.bias, 2.0);
  EXPECT_DOUBLE_EQ(find("JJA").metrics.bias, 3.0);
  EXPECT_DOUBLE_EQ(find("SON").metrics.bias, 4.0);
  EXPECT_EQ(find("all").observed_column, "Qle");
  EXPECT_EQ(find("all").unit, "W m-2");
}

// Benchmarks on synthetic meteorology with a known answer: a flux that is exactly linear in the
// drivers a benchmark sees is predicted exactly, on new data too; 3km27 is reproducible.
TEST(Benchmarks, RecoverKnownLinearFluxes) {
  canveg::BenchmarkDrivers train, test;
  std::vector<double> one, two, three;
  for (int i = 0; i < 2000; ++i) {
    const double sw = 800.0 * std::fabs(std::sin(0.013 * i)), ta = 15.0 + 10.0 * std::cos(0.0071 * i),
                 rh = 0.5 + 0.4 * std::sin(0.0037 * i + 1.0);
    canveg::BenchmarkDrivers& d = i % 4 == 3 ? test : train;
    d.swdown.push_back(sw), d.tair.push_back(ta), d.rh.push_back(rh);
    if (i % 4 != 3) {
      one.push_back(3.0 + 0.5 * sw);
      two.push_back(1.0 + 0.2 * sw - 2.0 * ta);
      three.push_back(-4.0 + 0.3 * sw + 1.5 * ta + 60.0 * rh);
    }
  }
  using canveg::BenchmarkKind;
  const auto b1 = canveg::fit_benchmark(BenchmarkKind::OneLinear, train, one, "synthetic");
  ASSERT_EQ(b1.coefficients.size(), 1u);
  EXPECT_NEAR(b1.coefficients[0][0], 3.0, 1e-9);
  EXPECT_NEAR(b1.coefficients[0][1], 0.5, 1e-12);
  const auto b2 = canveg::fit_benchmark(BenchmarkKind::TwoLinear, train, two, "synthetic");
  EXPECT_NEAR(b2.coefficients[0][2], -2.0, 1e-10);
  const auto b3 = canveg::fit_benchmark(BenchmarkKind::KMeans27, train, three, "synthetic");
  EXPECT_EQ(b3.centroids.size(), 27u);
  const std::vector<double> p = b3.predict(test);
  for (std::size_t i = 0; i < test.size(); ++i)
    EXPECT_NEAR(p[i], -4.0 + 0.3 * test.swdown[i] + 1.5 * test.tair[i] + 60.0 * test.rh[i], 1e-7) << i;
  EXPECT_EQ(canveg::fit_benchmark(BenchmarkKind::KMeans27, train, three, "synthetic").predict(test), p);
  // A flux that does not depend on the drivers linearly is not predicted exactly by 1lin.
  const std::vector<double> p1 = b1.predict(test);
  EXPECT_NEAR(p1[5], 3.0 + 0.5 * test.swdown[5], 1e-9);
  // Too few rows for 27 clusters.
  canveg::BenchmarkDrivers few;
  few.swdown = {1, 2, 3}, few.tair = {1, 2, 3}, few.rh = {0.1, 0.2, 0.3};
  EXPECT_THROW(canveg::fit_benchmark(BenchmarkKind::KMeans27, few, {1, 2, 3}, "few"), canveg::InputError);
}
