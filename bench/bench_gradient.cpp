// Gradient benchmark (docs/gradients.md "Speed and memory"): loss and gradient of JAX-CanVeg's
// training loss over the US-Bi1 training period (35,088 half-hours; 34 batches of 1024, the
// remainder dropped as in training) with the trained 50-layer Hybrid and PB models, against the
// forward run of the same batches (loss only) measured in the same process, on 1 and 2 threads,
// with the double forward solved one half-hour at a time (second argument 0, the scalar baseline)
// or as the SIMD lanes of the widest instruction set of the machine (1), and for the gradients
// also with the taped iterations in those lanes (2, the default; docs/gradients.md "The tape in
// lanes"; 1 tapes one row at a time).
// Reports seconds, gradient/forward ratio, the gradient's peak working memory and the process's
// peak resident memory. The unrolled case also runs, on one thread, with the leaf blocks
// preaccumulated instead of hand-written (docs/gradients.md "Preaccumulation"), in the same
// process. CANVEG_BENCH_ROWS (environment) limits the rows for a quick look (rounded down to
// whole batches).
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <string>
#include <tuple>

#include "bench_data.hpp"
#include "canveg/forcing.hpp"
#include "canveg/gradient.hpp"
#include "gradient/kernels.hpp"

namespace {

using canveg::bench::kData;

struct Training {
  canveg::ForcingRecord forcing;
  canveg::ObservedFluxes observed;
  canveg::LossSpec loss;
};

const Training& training() {
  static const Training t = [] {
    Training d;
    d.forcing = canveg::read_forcing_csv(kData + "/fluxtower/US-Bi1/US-Bi1-forcings.csv");
    d.observed = canveg::read_flux_csv(kData + "/fluxtower/US-Bi1/US-Bi1-fluxes.csv");
    d.loss.scaler = canveg::standard_scaler(d.observed);
    const std::size_t n = canveg::bench::bench_rows(d.forcing.size());
    if (n < d.forcing.size()) {
      d.forcing = d.forcing.slice(0, n);
      d.observed.LE.resize(n);
      d.observed.NEE.resize(n);
    }
    return d;
  }();
  return t;
}

// Forward seconds per (model, threads, lanes), measured by the forward case that runs first.
std::map<std::tuple<std::string, int, int>, double>& forward_seconds() {
  static std::map<std::tuple<std::string, int, int>, double> s;
  return s;
}

double max_rss_mb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss / 1024.0;  // kB on Linux
}

canveg::GradientOptions options(const benchmark::State& state, canveg::FixedPointGradient method) {
  canveg::GradientOptions o;
  o.batch_size = 1024;
  o.threads = static_cast<int>(state.range(0));
  o.method = method;
  o.simd = state.range(1) ? "auto" : "";
  o.lane_tape = state.range(1) == 2;
  return o;
}

const char* setting_label(const benchmark::State& state) {
  switch (state.range(1)) {
    case 0: return "scalar";
    case 1: return "lanes, one row per tape";
    default: return "lanes, lane tape";
  }
}

void forward(benchmark::State& state, const std::string& name) {
  const Training& t = training();
  const auto& m = canveg::bench::trained_model(name);
  double seconds = 0.0;
  state.SetLabel(state.range(1) ? "lanes" : "scalar");
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    const double loss = canveg::loss_value(m, t.forcing, t.observed, t.loss,
                                           options(state, canveg::FixedPointGradient::Unrolled));
    benchmark::DoNotOptimize(loss);
    seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  forward_seconds()[{name, static_cast<int>(state.range(0)), static_cast<int>(state.range(1))}] = seconds;
  state.counters["seconds"] = seconds;
  state.counters["rows"] = static_cast<double>(t.forcing.size() / 1024 * 1024);
  state.counters["max_rss_MB"] = max_rss_mb();
}

void gradient(benchmark::State& state, const std::string& name, canveg::FixedPointGradient method,
              bool preaccumulated_leaves = false) {
  canveg::ad::preaccumulate_leaf_blocks() = preaccumulated_leaves;
  const Training& t = training();
  const auto& m = canveg::bench::trained_model(name);
  const canveg::ParameterSpace space(m);
  canveg::LossGradient g;
  state.SetLabel(setting_label(state));
  for (auto _ : state) {
    g = canveg::loss_and_gradient(m, space, t.forcing, t.observed, t.loss, options(state, method));
    benchmark::DoNotOptimize(g.gradient.data());
  }
  state.counters["seconds"] = g.seconds;
  const auto f =
      forward_seconds().find({name, static_cast<int>(state.range(0)), static_cast<int>(std::min<long>(state.range(1), 1))});
  if (f != forward_seconds().end() && f->second > 0) state.counters["ratio_to_forward"] = g.seconds / f->second;
  state.counters["peak_working_MB"] = g.peak_memory_bytes / 1e6;
  state.counters["max_rss_MB"] = max_rss_mb();
  state.counters["tape_nodes"] = static_cast<double>(g.max_tape_nodes);
  state.counters["parameters"] = static_cast<double>(space.size());
  canveg::ad::preaccumulate_leaf_blocks() = false;
}

constexpr auto kUnrolled = canveg::FixedPointGradient::Unrolled;
constexpr auto kImplicit = canveg::FixedPointGradient::Implicit;
constexpr auto kOneStep = canveg::FixedPointGradient::OneStep;

}  // namespace

#define CANVEG_GRADIENT_BENCH(NAME, MODEL)                                                                  \
  BENCHMARK_CAPTURE(forward, NAME, std::string(MODEL))                                                      \
      ->ArgsProduct({{1, 2}, {0, 1}})->Unit(benchmark::kSecond)->UseRealTime()->Iterations(1);                            \
  BENCHMARK_CAPTURE(gradient, NAME##_unrolled, std::string(MODEL), kUnrolled)                               \
      ->ArgsProduct({{1, 2}, {0, 1, 2}})->Unit(benchmark::kSecond)->UseRealTime()->Iterations(1);                            \
  BENCHMARK_CAPTURE(gradient, NAME##_unrolled_preaccumulated, std::string(MODEL), kUnrolled, true)          \
      ->Args({1, 0})->Unit(benchmark::kSecond)->UseRealTime()->Iterations(1);                                     \
  BENCHMARK_CAPTURE(gradient, NAME##_implicit, std::string(MODEL), kImplicit)                               \
      ->ArgsProduct({{2}, {0, 1}})->Unit(benchmark::kSecond)->UseRealTime()->Iterations(1);                                     \
  BENCHMARK_CAPTURE(gradient, NAME##_onestep, std::string(MODEL), kOneStep)                                 \
      ->ArgsProduct({{2}, {0, 1, 2}})->Unit(benchmark::kSecond)->UseRealTime()->Iterations(1);

CANVEG_GRADIENT_BENCH(US_Bi1_Hybrid_ML_50L, "US-Bi1_Hybrid-ML-0.5")
CANVEG_GRADIENT_BENCH(US_Bi1_PB_ML_50L, "US-Bi1_PB-ML-0.5")

BENCHMARK_MAIN();
