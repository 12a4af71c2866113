#include "canveg/benchmarks.hpp"

#include <armadillo>
#include <cmath>
#include <limits>

#include "canveg/errors.hpp"
#include "io/units.hpp"

namespace canveg {

namespace {

constexpr int kClusters = 27;
constexpr std::size_t kMinRowsPerCluster = 10;  // fewer: the cluster takes the all-data regression

// The regressors of a row: 1, SWdown (1lin), Tair (2lin, 3km27), RH (3km27).
int regressors(BenchmarkKind kind) { return kind == BenchmarkKind::OneLinear ? 2 : kind == BenchmarkKind::TwoLinear ? 3 : 4; }

double regressor(const BenchmarkDrivers& d, std::size_t row, int k) {
  switch (k) {
    case 0: return 1.0;
    case 1: return d.swdown[row];
    case 2: return d.tair[row];
    default: return d.rh[row];
  }
}

bool usable(const BenchmarkDrivers& d, const std::vector<double>& flux, std::size_t row) {
  return std::isfinite(flux[row]) && std::isfinite(d.swdown[row]) && std::isfinite(d.tair[row]) &&
         std::isfinite(d.rh[row]);
}

// Least squares over the given rows (armadillo's solve: QR for an overdetermined system).
std::vector<double> least_squares(BenchmarkKind kind, const BenchmarkDrivers& d, const std::vector<double>& flux,
                                  const std::vector<std::size_t>& rows) {
  const int p = regressors(kind);
  arma::mat x(rows.size(), p);
  arma::vec y(rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    for (int k = 0; k < p; ++k) x(i, k) = regressor(d, rows[i], k);
    y(i) = flux[rows[i]];
  }
  arma::vec beta;
  if (!arma::solve(beta, x, y)) return std::vector<double>(p, std::numeric_limits<double>::quiet_NaN());
  return arma::conv_to<std::vector<double>>::from(beta);
}

double apply(const std::vector<double>& beta, const BenchmarkDrivers& d, std::size_t row) {
  double y = 0.0;
  for (std::size_t k = 0; k < beta.size(); ++k) y += beta[k] * regressor(d, row, static_cast<int>(k));
  return y;
}

std::vector<double> standardised(const EmpiricalBenchmark& b, const BenchmarkDrivers& d, std::size_t row) {
  const double v[3] = {d.swdown[row], d.tair[row], d.rh[row]};
  std::vector<double> z(3);
  for (int k = 0; k < 3; ++k) z[k] = (v[k] - b.driver_mean[k]) / b.driver_sd[k];
  return z;
}

std::size_t nearest(const EmpiricalBenchmark& b, const std::vector<double>& z) {
  std::size_t best = 0;
  double best_distance = std::numeric_limits<double>::infinity();
  for (std::size_t c = 0; c < b.centroids.size(); ++c) {
    double distance = 0.0;
    for (int k = 0; k < 3; ++k) distance += (z[k] - b.centroids[c][k]) * (z[k] - b.centroids[c][k]);
    if (distance < best_distance) best_distance = distance, best = c;
  }
  return best;
}

}  // namespace

const char* benchmark_name(BenchmarkKind kind) {
  return kind == BenchmarkKind::OneLinear ? "1lin" : kind == BenchmarkKind::TwoLinear ? "2lin" : "3km27";
}

void BenchmarkDrivers::append(const BenchmarkDrivers& more) {
  swdown.insert(swdown.end(), more.swdown.begin(), more.swdown.end());
  tair.insert(tair.end(), more.tair.begin(), more.tair.end());
  rh.insert(rh.end(), more.rh.begin(), more.rh.end());
}

BenchmarkDrivers benchmark_drivers(const ForcingRecord& f) {
  BenchmarkDrivers d;
  d.swdown = f.rg;
  d.tair = f.ta;
  d.rh.resize(f.size());
  for (std::size_t i = 0; i < f.size(); ++i) d.rh[i] = f.eair[i] / io::saturation_vapour_pressure_kpa(f.ta[i]);
  return d;
}

EmpiricalBenchmark fit_benchmark(BenchmarkKind kind, const BenchmarkDrivers& d, const std::vector<double>& flux,
                                 const std::string& what) {
  std::vector<std::size_t> rows;
  for (std::size_t i = 0; i < d.size() && i < flux.size(); ++i)
    if (usable(d, flux, i)) rows.push_back(i);
  const std::size_t needed = kind == BenchmarkKind::KMeans27 ? kClusters * kMinRowsPerCluster : 10;
  if (rows.size() < needed)
    throw InputError(what, 0, benchmark_name(kind),
                     "only " + std::to_string(rows.size()) + " usable half-hours to fit the benchmark (" +
                         std::to_string(needed) + " needed)");
  EmpiricalBenchmark b;
  b.kind = kind;
  const std::vector<double> all = least_squares(kind, d, flux, rows);
  if (kind != BenchmarkKind::KMeans27) {
    b.coefficients = {all};
    return b;
  }
  // Standardise the three drivers so that k-means weighs them alike.
  b.driver_mean.assign(3, 0.0);
  b.driver_sd.assign(3, 0.0);
  arma::mat data(3, rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    data(0, i) = d.swdown[rows[i]], data(1, i) = d.tair[rows[i]], data(2, i) = d.rh[rows[i]];
  }
  for (int k = 0; k < 3; ++k) {
    b.driver_mean[k] = arma::mean(data.row(k));
    b.driver_sd[k] = arma::stddev(data.row(k), 1);  // population
    if (!(b.driver_sd[k] > 0)) b.driver_sd[k] = 1.0;
    data.row(k) = (data.row(k) - b.driver_mean[k]) / b.driver_sd[k];
  }
  arma::arma_rng::set_seed(27);
  arma::mat means;
  if (!arma::kmeans(means, data, kClusters, arma::random_subset, 30, false))
    throw InputError(what, 0, "3km27", "k-means clustering failed");
  for (arma::uword c = 0; c < means.n_cols; ++c) b.centroids.push_back({means(0, c), means(1, c), means(2, c)});
  std::vector<std::vector<std::size_t>> members(b.centroids.size());
  for (std::size_t row : rows) members[nearest(b, standardised(b, d, row))].push_back(row);
  for (const auto& m : members)
    b.coefficients.push_back(m.size() >= kMinRowsPerCluster ? least_squares(kind, d, flux, m) : all);
  return b;
}

std::vector<double> EmpiricalBenchmark::predict(const BenchmarkDrivers& d) const {
  std::vector<double> y(d.size(), std::numeric_limits<double>::quiet_NaN());
  for (std::size_t i = 0; i < d.size(); ++i) {
    if (!(std::isfinite(d.swdown[i]) && std::isfinite(d.tair[i]) && std::isfinite(d.rh[i]))) continue;
    const std::size_t c = kind == BenchmarkKind::KMeans27 ? nearest(*this, standardised(*this, d, i)) : 0;
    y[i] = apply(coefficients[c], d, i);
  }
  return y;
}

}  // namespace canveg
