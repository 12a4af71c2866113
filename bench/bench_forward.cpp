// Forward-model benchmark: the US-Bi1 training period (35,088 half-hours) with the trained
// 50-layer and 1-layer PB models, in JAX-CanVeg's prediction mode (whole record, storage
// coupling on, 15 iterations), on 1 and 2 threads. Reports half-hours per second and, as a
// baseline measured in the same run, the ratio of each case to the 1-thread case of its model.
// CANVEG_BENCH_ROWS (environment) limits the rows for a quick look.
#include <benchmark/benchmark.h>

#include <string>

#include "bench_data.hpp"
#include "canveg/forcing.hpp"
#include "canveg/run.hpp"

namespace {

using canveg::bench::kData;

const canveg::ForcingRecord& training_forcing() {
  static const canveg::ForcingRecord record = [] {
    const canveg::ForcingRecord f = canveg::read_forcing_csv(kData + "/fluxtower/US-Bi1/US-Bi1-forcings.csv");
    return f.slice(0, canveg::bench::bench_rows(f.size()));
  }();
  return record;
}

void forward(benchmark::State& state, const std::string& name) {
  const auto& m = canveg::bench::trained_model(name);
  const auto& f = training_forcing();
  canveg::RunOptions options;
  options.threads = static_cast<int>(state.range(0));
  for (auto _ : state) {
    const canveg::RunResult r = canveg::run_model(m, f, options);
    benchmark::DoNotOptimize(r.outputs.LE.data());
  }
  state.counters["half_hours_per_s"] =
      benchmark::Counter(static_cast<double>(f.size()) * state.iterations(), benchmark::Counter::kIsRate);
  state.counters["rows"] = static_cast<double>(f.size());
}

}  // namespace

BENCHMARK_CAPTURE(forward, US_Bi1_PB_ML_50L, std::string("US-Bi1_PB-ML-0.5"))
    ->Arg(1)->Arg(2)->Unit(benchmark::kSecond)->UseRealTime()->Iterations(1);
BENCHMARK_CAPTURE(forward, US_Bi1_PB_1L, std::string("US-Bi1_PB-1L-0.5"))
    ->Arg(1)->Arg(2)->Unit(benchmark::kSecond)->UseRealTime()->Iterations(1);
BENCHMARK_CAPTURE(forward, US_Bi1_Hybrid_ML_50L, std::string("US-Bi1_Hybrid-ML-0.5"))
    ->Arg(1)->Arg(2)->Unit(benchmark::kSecond)->UseRealTime()->Iterations(1);

BENCHMARK_MAIN();
