// Forward-model benchmark: the US-Bi1 training period (35,088 half-hours) with the trained
// 50-layer and 1-layer PB models, in JAX-CanVeg's prediction mode (whole record, storage
// coupling on, 15 iterations), on 1 and 2 threads, one half-hour at a time (the scalar baseline,
// measured in the same run) and as the SIMD lanes of each instruction set the machine runs
// (second argument: 0 scalar, 1 SSE2, 2 AVX2+FMA, 3 AVX-512). Reports half-hours per second.
// CANVEG_BENCH_ROWS (environment) limits the rows for a quick look.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "bench_data.hpp"
#include "canveg/forcing.hpp"
#include "canveg/run.hpp"
#include "run/lane_solver.hpp"

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
  const std::vector<std::string> modes = {"", "sse2", "avx2+fma", "avx512"};
  options.simd = modes.at(static_cast<std::size_t>(state.range(1)));
  bool available = options.simd.empty();
  for (const auto& s : canveg::run::available_lane_solvers()) available = available || options.simd == s.isa;
  if (!available) {
    state.SkipWithError(("this machine does not run " + options.simd).c_str());
    return;
  }
  state.SetLabel(options.simd.empty() ? "scalar" : options.simd);
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
    ->ArgsProduct({{1, 2}, {0, 1, 2, 3}})->Unit(benchmark::kSecond)->UseRealTime()->Iterations(1);
BENCHMARK_CAPTURE(forward, US_Bi1_PB_1L, std::string("US-Bi1_PB-1L-0.5"))
    ->ArgsProduct({{1, 2}, {0, 1, 2, 3}})->Unit(benchmark::kSecond)->UseRealTime()->Iterations(1);
BENCHMARK_CAPTURE(forward, US_Bi1_Hybrid_ML_50L, std::string("US-Bi1_Hybrid-ML-0.5"))
    ->ArgsProduct({{1, 2}, {0, 1, 2, 3}})->Unit(benchmark::kSecond)->UseRealTime()->Iterations(1);

BENCHMARK_MAIN();
