// The reverse sweep alone (docs/gradients.md, "The tape in lanes"): a chain of 50,000 operations
// (each node's parent the node before it, the others 20 leaves reused in turn), swept with the
// scalar tape and with the lane tape of the instruction set this file is compiled for
// (bench_tape_avx2, bench_tape_avx512; run the one the machine has). Reports seconds per node and
// per node and half-hour.
#include <benchmark/benchmark.h>

#include <vector>

#include "ad/reverse.hpp"
#include "ad/reverse_lanes.hpp"

namespace {

constexpr int kNodes = 50000;
constexpr int kLeaves = 20;

// The same chain for both scalar types.
template <class T, class MakeLeaf>
T record_chain(MakeLeaf&& leaf) {
  std::vector<T> leaves;
  for (int k = 0; k < kLeaves; ++k) leaves.push_back(leaf(1.0 + 0.01 * k));
  T x = leaves[0];
  for (int i = 0; i < kNodes; ++i) {
    const T& p = leaves[i % kLeaves];
    switch (i % 4) {
      case 0: x = x * p; break;
      case 1: x = x + p * 0.5; break;
      case 2: x = x / (p + 1.0); break;
      default: x = x - p; break;
    }
  }
  return x;
}

// Seconds per unit of `count` units swept per iteration.
benchmark::Counter seconds_per(double count) {
  return benchmark::Counter(count, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

void scalar_sweep(benchmark::State& state) {
  canveg::ad::TapeGuard guard;
  canveg::ad::Tape& tape = canveg::ad::thread_tape();
  tape.reset();
  const canveg::ad::Var out = record_chain<canveg::ad::Var>([](double v) { return canveg::ad::Var::leaf(v); });
  for (auto _ : state) {
    tape.zero_adjoints();
    tape.adjoints()[out.i] = 1.0;
    tape.reverse();
    benchmark::DoNotOptimize(tape.adjoints()[1]);
  }
  state.counters["s_per_node"] = seconds_per(static_cast<double>(tape.size()));
  state.counters["s_per_node_and_half_hour"] = seconds_per(static_cast<double>(tape.size()));
}
BENCHMARK(scalar_sweep)->Unit(benchmark::kMicrosecond);

void lane_sweep(benchmark::State& state) {
  using Arch = xsimd::default_arch;
  using LV = canveg::ad::LaneVar<Arch>;
  canveg::ad::LaneTapeGuard<Arch> guard;
  canveg::ad::LaneTape<Arch>& tape = canveg::ad::thread_lane_tape<Arch>();
  tape.reset();
  const LV out = record_chain<LV>([](double v) { return LV::leaf(typename LV::Value(v)); });
  for (auto _ : state) {
    tape.zero_adjoints();
    tape.adjoints()[out.i] = typename LV::Value(1.0);
    tape.reverse();
    benchmark::DoNotOptimize(tape.adjoints()[1]);
  }
  state.counters["s_per_node"] = seconds_per(static_cast<double>(tape.size()));
  state.counters["s_per_node_and_half_hour"] = seconds_per(static_cast<double>(tape.size() * LV::kWidth));
  state.SetLabel(Arch::name());
}
BENCHMARK(lane_sweep)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
