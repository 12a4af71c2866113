// Goodness-of-fit metrics (metrics.hpp).
//
// The pairs used are those JAX-CanVeg's post-processing used: a prediction that is not finite or
// whose magnitude exceeds 10000 is treated as a failed step and dropped with its observation.
//
// Differences from the numbers in the trained-model files ("metrics" block, computed with
// hydroeval and scikit-learn):
//  * nse, rmse and kge are the same quantities (hydroeval's KGE with alpha = std ratio,
//    beta = mean ratio, population standard deviations).
//  * Our r2 is the squared Pearson correlation. The files' "r2" is scikit-learn's r2_score called
//    with the arguments swapped (predictions as the reference), i.e.
//    1 - sum (o - p)^2 / sum (p - mean p)^2, which is neither NSE nor r^2; their "cc" is Pearson r.
//  * The files' "alpha" and "beta" columns are hydroeval kgeprime's 4th and 3rd outputs, i.e. the
//    mean ratio and the coefficient-of-variation ratio, not the KGE alpha/beta used here.
#include "canveg/metrics.hpp"

#include "canveg/errors.hpp"

#include <cmath>
#include <cstdio>
#include <limits>
#include <stdexcept>

namespace canveg {

namespace {

constexpr double kMaxPrediction = 10000.0;  // JAX-CanVeg post-processing's cut-off for failed steps

bool usable(double p, double o) { return std::isfinite(p) && std::fabs(p) <= kMaxPrediction && std::isfinite(o); }

}  // namespace

FitMetrics compute_metrics(const std::vector<double>& predicted, const std::vector<double>& observed) {
  if (predicted.size() != observed.size())
    throw std::invalid_argument("compute_metrics: " + std::to_string(predicted.size()) + " predictions but " +
                                std::to_string(observed.size()) + " observations");
  const double nan = std::numeric_limits<double>::quiet_NaN();
  FitMetrics m;
  m.nse = m.rmse = m.r2 = m.kge = m.bias = m.mae = m.r = m.sd_ratio = m.nme = m.mean_observed = m.sd_observed = nan;

  // Two passes (means first) keep the sums of squares accurate for long records.
  double sum_p = 0, sum_o = 0;
  for (std::size_t i = 0; i < predicted.size(); ++i) {
    if (!usable(predicted[i], observed[i])) continue;
    sum_p += predicted[i];
    sum_o += observed[i];
    ++m.n;
  }
  if (m.n == 0) return m;
  const double n = static_cast<double>(m.n);
  const double mean_p = sum_p / n, mean_o = sum_o / n;

  double sse = 0, ss_p = 0, ss_o = 0, cross = 0, sae = 0, sad_o = 0;
  for (std::size_t i = 0; i < predicted.size(); ++i) {
    if (!usable(predicted[i], observed[i])) continue;
    const double dp = predicted[i] - mean_p, d_o = observed[i] - mean_o, e = predicted[i] - observed[i];
    sse += e * e;
    ss_p += dp * dp;
    ss_o += d_o * d_o;
    cross += dp * d_o;
    sae += std::fabs(e);
    sad_o += std::fabs(d_o);
  }
  m.rmse = std::sqrt(sse / n);
  m.bias = mean_p - mean_o;
  m.mae = sae / n;
  m.mean_observed = mean_o;
  m.sd_observed = std::sqrt(ss_o / n);
  m.kge_unreliable = std::fabs(mean_o) < 0.25 * m.sd_observed;
  // A constant observation (a spread at the round-off of its mean, as one valid value spread over
  // a series by gap filling gives) leaves NSE, the deviation ratio and the correlation undefined.
  const bool observed_varies = ss_o > 0 && m.sd_observed > 1e-12 * std::fabs(mean_o);
  if (sad_o > 0 && observed_varies) m.nme = sae / sad_o;
  if (observed_varies) m.sd_ratio = std::sqrt(ss_p / ss_o);
  if (observed_varies) m.nse = 1.0 - sse / ss_o;
  if (observed_varies && ss_p > 0) {
    const double r = cross / std::sqrt(ss_p * ss_o);
    m.r = r;
    m.r2 = r * r;
    const double alpha = std::sqrt(ss_p / ss_o);  // ratio of population standard deviations
    if (mean_o != 0) {
      const double beta = mean_p / mean_o;
      m.kge = 1.0 - std::sqrt((r - 1) * (r - 1) + (alpha - 1) * (alpha - 1) + (beta - 1) * (beta - 1));
    }
  }
  return m;
}

Standardisation standardisation_of(const std::vector<double>& series, const std::string& file,
                                   const std::string& field) {
  if (series.empty()) throw InputError(file, 0, field, "the file has no such series to standardise with");
  double sum = 0.0;
  for (double x : series) sum += x;
  Standardisation s;
  s.mean = sum / static_cast<double>(series.size());
  double squares = 0.0;
  for (double x : series) squares += (x - s.mean) * (x - s.mean);
  s.std = std::sqrt(squares / static_cast<double>(series.size()));
  if (!(s.std > 0) || !std::isfinite(s.std))
    throw InputError(file, 0, field, "the series is constant or not finite; cannot standardise");
  return s;
}

std::string sign_convention_warning(const FitMetrics& m, const std::string& flux, const std::string& column) {
  if (m.n < 48 || !(m.r < -0.5)) return "";
  char text[320];
  std::snprintf(text, sizeof text,
                "the observed %s (column %s) correlates with the model's at r = %.2f over %zu half-hours: a column in "
                "the opposite sign convention? (canveg's fluxes are upward positive: NEE > 0 releases CO2, LE and H "
                "> 0 leave the surface)",
                flux.c_str(), column.c_str(), m.r, m.n);
  return text;
}

}  // namespace canveg
