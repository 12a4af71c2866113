// Dispersion-matrix generator benchmark: JAX-CanVeg's default 1,000,000 particles for US-Bi1
// with 50 canopy and 50 atmospheric layers (h = 0.8 m, zm = 5 m), on 1 and 2 threads; reports
// particles per second (wall clock). CANVEG_BENCH_DIJ_PARTICLES (environment) changes the count
// for a quick look. docs/dispersion-matrix.md compares the result with JAX-CanVeg's C++ generator.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdlib>

#include "dij/dispersion_generator.hpp"

namespace {

void dispersion_us_bi1_50L(benchmark::State& state) {
  canveg::DispersionConfig c;
  c.canopy_height = 0.8;
  c.measurement_height = 5.0;
  c.canopy_layers = 50;
  c.atmosphere_layers = 50;
  c.particles = 1000000;
  if (const char* p = std::getenv("CANVEG_BENCH_DIJ_PARTICLES")) c.particles = std::strtoll(p, nullptr, 10);
  c.seed = 1;
  c.threads = static_cast<int>(state.range(0));
  double particles = 0;
  for (auto _ : state) {
    const canveg::DispersionMatrix m = canveg::generate_dispersion_matrix(c);
    benchmark::DoNotOptimize(m.values.data());
    particles += static_cast<double>(m.particles_per_layer) * m.cols;
  }
  state.counters["particles_per_second"] = benchmark::Counter(particles, benchmark::Counter::kIsRate);
}

BENCHMARK(dispersion_us_bi1_50L)
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(2)
    ->Iterations(1)
    ->Repetitions(3)
    ->UseRealTime()
    ->MeasureProcessCPUTime()
    ->Unit(benchmark::kSecond);

}  // namespace

BENCHMARK_MAIN();
