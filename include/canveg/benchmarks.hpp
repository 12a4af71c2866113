// Empirical benchmarks of land-model evaluation (PLUMBER: Best et al. 2015, J. Hydrometeorol. 16,
// 1425-1442; Haughton et al. 2016): statistical models of a flux from the meteorology alone,
// fitted out of sample on other sites, which a physical model should beat.
//   1lin   flux = a + b SWdown
//   2lin   flux = a + b SWdown + c Tair
//   3km27  SWdown, Tair, RH standardised and clustered by k-means into 27 clusters; in each
//          cluster flux = a + b SWdown + c Tair + d RH
#pragma once

#include <string>
#include <vector>

#include "canveg/forcing.hpp"

namespace canveg {

enum class BenchmarkKind { OneLinear, TwoLinear, KMeans27 };
const char* benchmark_name(BenchmarkKind kind);  // "1lin", "2lin", "3km27"

// The meteorology a benchmark sees: incoming shortwave [W m-2], air temperature [degC] and relative
// humidity [-] (eair over the saturation vapour pressure), one row per half-hour.
struct BenchmarkDrivers {
  std::vector<double> swdown, tair, rh;
  std::size_t size() const { return swdown.size(); }
  void append(const BenchmarkDrivers& more);
};
BenchmarkDrivers benchmark_drivers(const ForcingRecord& forcing);

struct EmpiricalBenchmark {
  BenchmarkKind kind = BenchmarkKind::OneLinear;
  // Regression coefficients: one set (1lin, 2lin) or one per cluster (3km27; a cluster too small to
  // fit takes the coefficients of all data).
  std::vector<std::vector<double>> coefficients;
  std::vector<double> driver_mean, driver_sd;   // 3km27: standardisation of the drivers
  std::vector<std::vector<double>> centroids;   // 3km27: cluster centres, standardised
  std::vector<double> predict(const BenchmarkDrivers& drivers) const;
};

// Fits a benchmark to `flux` (rows with a non-finite flux or driver are left out). k-means starts
// from a fixed seed, so a fit is reproducible. Throws InputError when there are too few rows.
EmpiricalBenchmark fit_benchmark(BenchmarkKind kind, const BenchmarkDrivers& drivers, const std::vector<double>& flux,
                                 const std::string& what);

}  // namespace canveg
