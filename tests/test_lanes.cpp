// Half-hours as SIMD lanes (src/simd, src/run/lane_solver*): every instruction set this machine
// runs gives the one-at-a-time solution to round-off for 1- and 50-layer PB and hybrid models, a
// half-hour's result does not depend on the lane it lands in, in both formulations.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include "canveg/errors.hpp"
#include "canveg/forcing.hpp"
#include "canveg/model_io.hpp"
#include "canveg/run.hpp"
#include "physics/iterated_state.hpp"
#include "physics/profiles.hpp"
#include "physics/soil_energy.hpp"
#include "run/column_model.hpp"
#include "run/lane_solver.hpp"
#include "simd/lanes.hpp"

namespace {

const std::string kData = CANVEG_SHARED_DATA;

canveg::Model<double> model(const std::string& name) {
  return canveg::read_model_json(kData + "/jax-canveg-trained/" + name + ".json").model;
}

// Four summer days at US-Bi1 from midnight: night, dawn, midday and the blown-up night states
// are all in lanes together.
const canveg::ForcingRecord& window() {
  static const canveg::ForcingRecord f =
      canveg::read_forcing_csv(kData + "/fluxtower/US-Bi1/US-Bi1-forcings-test.csv").slice(8000, 8192);
  return f;
}

canveg::RunResult run(const canveg::Model<double>& m, const canveg::ForcingRecord& f, const std::string& simd,
                      bool coupled = true) {
  canveg::RunOptions o;
  o.simd = simd;
  o.threads = 1;
  o.diagnostics = true;
  o.convergence = true;
  o.storage_coupling = coupled;
  return canveg::run_model(m, f, o);
}

// Largest difference of a series relative to its largest magnitude, or to 1 (W m-2, K, ...) for a
// series that is itself round-off (an aggregation identity).
double scaled_difference(const std::vector<double>& a, const std::vector<double>& b) {
  double scale = 1, diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    scale = std::max(scale, std::abs(a[i]));
    diff = std::max(diff, std::abs(a[i] - b[i]));
  }
  return diff / scale;
}

TEST(Lanes, TheMachineHasASolverAndAutoTakesTheWidest) {
  const auto solvers = canveg::run::available_lane_solvers();
  ASSERT_FALSE(solvers.empty()) << "x86-64 always has SSE2";
  EXPECT_EQ(std::string(canveg::run::lane_solver().isa), solvers.front().isa);
  // Widest instruction set first (AVX-512, AVX2, SSE2); half-hours per value never grow down the list.
  const std::vector<std::string> order = {"avx512", "avx2+fma", "sse2"};
  std::size_t position = 0;
  for (const auto& solver : solvers) {
    while (position < order.size() && order[position] != solver.isa) ++position;
    EXPECT_LT(position, order.size()) << solver.isa << " out of order";
  }
  for (std::size_t i = 1; i < solvers.size(); ++i) EXPECT_GE(solvers[i - 1].width, solvers[i].width);
  const auto r = run(model("US-Bi1_PB-1L-0.5"), window().slice(0, 8), "auto");
  const char* pinned = std::getenv("CANVEG_SIMD");  // TheEnvironmentPinsAuto
  const std::string expected = !pinned || !*pinned || std::string(pinned) == "auto" ? solvers.front().isa
                               : std::string(pinned) == "off"                       ? ""
                                                                                    : pinned;
  EXPECT_EQ(r.simd, expected);
}

class EveryModelKind : public ::testing::TestWithParam<const char*> {};

// Outputs, energy-balance and convergence diagnostics to 1e-8 of each series' scale: the vector
// exp, log, pow and cos differ from the C library's in the last bits, and the iteration amplifies
// that to a few 1e-9 in this window's unsettled night half-hours (docs/reliability.md).
TEST_P(EveryModelKind, EveryInstructionSetAgreesWithOneAtATime) {
  const canveg::Model<double> m = model(GetParam());
  const canveg::RunResult reference = run(m, window(), "");
  ASSERT_TRUE(reference.simd.empty());
  for (const canveg::run::LaneSolver& solver : canveg::run::available_lane_solvers()) {
    SCOPED_TRACE(solver.isa);
    const canveg::RunResult lanes = run(m, window(), solver.isa);
    EXPECT_EQ(lanes.simd, solver.isa);
#define CANVEG_COMPARE_OUTPUT(name, ...) \
  EXPECT_LT(scaled_difference(reference.outputs.name, lanes.outputs.name), 1e-8) << #name;
    CANVEG_OUTPUT_FIELDS(CANVEG_COMPARE_OUTPUT)
#undef CANVEG_COMPARE_OUTPUT
#define CANVEG_COMPARE_DIAGNOSTIC(name, ...) \
  EXPECT_LT(scaled_difference(reference.diagnostics.name, lanes.diagnostics.name), 1e-8) << #name;
    CANVEG_DIAGNOSTIC_FIELDS(CANVEG_COMPARE_DIAGNOSTIC)
#undef CANVEG_COMPARE_DIAGNOSTIC
    EXPECT_LT(scaled_difference(reference.convergence.dLE_last, lanes.convergence.dLE_last), 1e-8);
    EXPECT_LT(scaled_difference(reference.convergence.dTleaf_last, lanes.convergence.dTleaf_last), 1e-8);
    EXPECT_EQ(reference.convergence.implausible, lanes.convergence.implausible);
  }
}

// Independent half-hours shifted by one row land in other lanes next to other neighbours; each
// one's result must be the same bit for bit (every lane operation is lane-wise).
TEST_P(EveryModelKind, AHalfHoursResultDoesNotDependOnItsLane) {
  const canveg::Model<double> m = model(GetParam());
  const canveg::RunResult whole = run(m, window().slice(0, 40), "auto", false);
  for (std::size_t shift : {1u, 3u}) {
    const canveg::RunResult shifted = run(m, window().slice(shift, 40), "auto", false);
    for (std::size_t r = 0; r + shift < 40; ++r) {
      EXPECT_EQ(whole.outputs.LE[r + shift], shifted.outputs.LE[r]) << "row " << r;
      EXPECT_EQ(whole.outputs.NEE[r + shift], shifted.outputs.NEE[r]) << "row " << r;
      EXPECT_EQ(whole.outputs.Tsoil_sfc[r + shift], shifted.outputs.Tsoil_sfc[r]) << "row " << r;
    }
  }
}

// Run options for one instruction set, 2 threads and chunks of 100 rows (partial vectors).
canveg::RunOptions chunked_options(const canveg::run::LaneSolver& solver) {
  canveg::RunOptions o;
  o.simd = solver.isa;
  o.threads = 2;
  o.chunk_rows = 100;
  return o;
}

// Runs `o` with --convergence (the lock-step order) and without (vectors in turn) and checks that
// every output is the same bit for bit.
void expect_in_turn_equals_lockstep(const canveg::Model<double>& m, canveg::RunOptions o) {
  o.convergence = true;
  const canveg::RunResult lockstep = canveg::run_model(m, window(), o);
  o.convergence = false;
  const canveg::RunResult in_turn = canveg::run_model(m, window(), o);
  ASSERT_EQ(lockstep.simd, in_turn.simd);
  for (std::size_t r = 0; r < window().size(); ++r) {
#define CANVEG_SAME_OUTPUT(name, ...) EXPECT_EQ(lockstep.outputs.name[r], in_turn.outputs.name[r]) << #name << " row " << r;
    CANVEG_OUTPUT_FIELDS(CANVEG_SAME_OUTPUT)
#undef CANVEG_SAME_OUTPUT
  }
}

// Without an observer of the iterations the lane solver takes its vectors one at a time through
// all the iterations (lane_solver_impl.hpp); with --convergence it keeps the lock-step order and
// the whole air profile. The outputs are the same bit for bit, for every instruction set, with
// halos, partial vectors (chunks of 100 rows and a 14-row halo) and restarts of the storage chain.
TEST_P(EveryModelKind, VectorsInTurnEqualTheLockStepOrderBitForBit) {
  const canveg::Model<double> m = model(GetParam());
  for (const canveg::run::LaneSolver& solver : canveg::run::available_lane_solvers()) {
    SCOPED_TRACE(solver.isa);
    canveg::RunOptions o = chunked_options(solver);
    o.restart_every = 77;
    expect_in_turn_equals_lockstep(m, o);
  }
}

// Independent half-hours go into the vectors of the lanes solved in turn grouped by light, those
// without light first (run/lane_solver_impl.hpp, light_grouped_order); with --convergence the
// lock-step order keeps time order. The window's vectors in time order mix night and day, so the
// grouping moves rows to other lanes and neighbours: the outputs are the same bit for bit, for
// every instruction set, with partial vectors (chunks of 100 rows).
TEST_P(EveryModelKind, IndependentRowsGroupedByLightEqualTimeOrderBitForBit) {
  const canveg::Model<double> m = model(GetParam());
  std::size_t mixed = 0;
  for (std::size_t first = 0; first + 8 <= window().size(); first += 8) {
    std::size_t lit = 0;
    for (std::size_t r = first; r < first + 8; ++r) lit += window().rg[r] > 0.0 ? 1 : 0;
    mixed += lit > 0 && lit < 8 ? 1 : 0;
  }
  ASSERT_GE(mixed, 4u) << "the window must mix night and day within vectors";
  for (const canveg::run::LaneSolver& solver : canveg::run::available_lane_solvers()) {
    SCOPED_TRACE(solver.isa);
    canveg::RunOptions o = chunked_options(solver);
    o.storage_coupling = false;
    expect_in_turn_equals_lockstep(m, o);
  }
}

// The iterated states before every iteration (the gradient's checkpoints), written by the lane
// solver straight from the lanes (LaneIterationObserver::iterated_state_before, vectors one at a
// time) equal those read off the unpacked scalar states in lock-step order, bit for bit, for every
// instruction set and one at a time, with a partial last vector.
TEST_P(EveryModelKind, IteratedStatesFromTheLanesEqualTheUnpackedStatesBitForBit) {
  const canveg::Model<double> m = model(GetParam());
  const std::vector<double> dij_t = canveg::transpose_dij(m.dij, m.setup.n_total_layers, m.setup.n_can_layers);
  const canveg::physics::ColumnModel<double> cm = canveg::make_column_model(m, dij_t);
  const std::size_t n = 21, S = canveg::physics::iterated_size(cm.J, cm.N), K = static_cast<std::size_t>(cm.niter);
  // Direct: the solver writes each iteration's states into its slot.
  struct Direct : canveg::run::BlockHooks {
    std::vector<double> out;
    std::size_t slot;
    double* iterated_state_before(int k) override { return out.data() + static_cast<std::size_t>(k) * slot; }
  };
  // Unpacked: the scalar states are read before every iteration.
  struct Unpacked : canveg::run::BlockHooks {
    std::vector<double> out;
    std::size_t slot, n;
    canveg::run::LockstepColumns<double>* cols;
    bool reads_states_before(int) const override { return true; }
    void before_iteration(int k) override {
      double* o = out.data() + static_cast<std::size_t>(k) * slot;
      for (std::size_t i = 0; i < n; ++i) canveg::physics::visit_iterated(cols->states[i], [&o](double& x) { *o++ = x; });
    }
  };
  std::vector<canveg::run::LaneSolver> solvers = canveg::run::available_lane_solvers();
  solvers.push_back(canveg::run::LaneSolver{});  // one at a time
  for (const canveg::run::LaneSolver& solver : solvers) {
    SCOPED_TRACE(solver.isa);
    canveg::run::LockstepColumns<double> cols_a, cols_b;
    Direct direct;
    direct.slot = n * S;
    direct.out.assign(K * n * S, -1.0);
    Unpacked unpacked;
    unpacked.slot = n * S, unpacked.n = n, unpacked.cols = &cols_b;
    unpacked.out.assign(K * n * S, -2.0);
    canveg::run::solve_block(solver, cm, window(), 5, n, {}, cols_a, direct);
    canveg::run::solve_block(solver, cm, window(), 5, n, {}, cols_b, unpacked);
    ASSERT_EQ(direct.out.size(), unpacked.out.size());
    for (std::size_t k = 0; k < direct.out.size(); ++k)
      ASSERT_EQ(direct.out[k], unpacked.out[k]) << "iteration " << k / (n * S) << " row " << k % (n * S) / S << " value " << k % S;
  }
}

INSTANTIATE_TEST_SUITE_P(Lanes, EveryModelKind,
                         ::testing::Values("US-Bi1_PB-1L-0.5", "US-Bi1_Hybrid-1L-0.5", "US-Bi1_PB-ML-0.5",
                                           "US-Bi1_Hybrid-ML-0.5"),
                         [](const auto& info) {
                           std::string s = info.param;
                           std::replace_if(s.begin(), s.end(), [](char c) { return !std::isalnum(c); }, '_');
                           return s;
                         });

// The corrected formulation's implicit soil surface: the root search runs lane-wise.
TEST(Lanes, TheCorrectedFormulationAgreesWithOneAtATime) {
  for (const char* name : {"US-Bi1_PB-1L-0.5", "US-Bi1_Hybrid-ML-0.5"}) {
    SCOPED_TRACE(name);
    canveg::Model<double> m = model(name);
    canveg::set_formulation(m.setup, canveg::Formulation::Corrected);
    const canveg::RunResult scalar = run(m, window(), "");
    for (const canveg::run::LaneSolver& solver : canveg::run::available_lane_solvers()) {
      SCOPED_TRACE(solver.isa);
      const canveg::RunResult lanes = run(m, window(), solver.isa);
      EXPECT_EQ(lanes.simd, solver.isa);
      EXPECT_LT(scaled_difference(scalar.outputs.LE, lanes.outputs.LE), 1e-8);
      EXPECT_LT(scaled_difference(scalar.outputs.G, lanes.outputs.G), 1e-8);
      EXPECT_LT(scaled_difference(scalar.outputs.Tsoil_sfc, lanes.outputs.Tsoil_sfc), 1e-8);
      EXPECT_LT(scaled_difference(scalar.outputs.NEE, lanes.outputs.NEE), 1e-8);
    }
  }
}

// CANVEG_SIMD pins what "auto" means.
// The soil conduction maps built in lanes (for a block's rows at once) are the scalar maps to
// round-off, for a row count that leaves the last vector part-filled.
TEST(Lanes, SoilConductionMapsInLanesEqualTheScalarOnes) {
  namespace ph = canveg::physics;
  constexpr std::size_t n = 13;
  std::vector<ph::ColumnState<double>> states(n);
  std::vector<ph::SoilColumn> expected(n);
  for (std::size_t i = 0; i < n; ++i) {
    const double swc = 0.02 + 0.03 * static_cast<double>(i), t_air = 270.0 + 3.0 * static_cast<double>(i);
    states[i].soil = ph::soil_column_properties(0.15, swc, t_air, 101.0, t_air - 2.0, 20.0);
    expected[i] = ph::make_soil_column(0.15, swc, t_air, 101.0, t_air - 2.0, 20.0, 90);
  }
  for (const canveg::run::LaneSolver& solver : canveg::run::available_lane_solvers()) {
    for (auto& s : states)
      for (auto& row : s.soil.conduction_map)
        for (double& x : row) x = std::nan("");
    solver.build_conduction_maps(states.data(), n, 90);
    for (std::size_t i = 0; i < n; ++i)
      for (int m = 0; m < ph::kSoilLayers; ++m)
        for (int k = 0; k < ph::kConductionMapColumns; ++k) {
          const double want = expected[i].conduction_map[m][k];
          EXPECT_NEAR(states[i].soil.conduction_map[m][k], want, 1e-14 * std::max(1.0, std::abs(want)))
              << solver.isa << " row " << i << " [" << m << "][" << k << "]";
        }
  }
}

TEST(Lanes, TheEnvironmentPinsAuto) {
  const canveg::Model<double> m = model("US-Bi1_PB-1L-0.5");
  const canveg::ForcingRecord f = window().slice(0, 8);
  const char* saved = std::getenv("CANVEG_SIMD");
  const std::string before = saved ? saved : "";
  setenv("CANVEG_SIMD", "sse2", 1);
  EXPECT_EQ(run(m, f, "auto").simd, "sse2");
  EXPECT_EQ(run(m, f, "").simd, "") << "an explicit choice is kept";
  setenv("CANVEG_SIMD", "off", 1);
  EXPECT_EQ(run(m, f, "auto").simd, "");
  setenv("CANVEG_SIMD", "avx1024", 1);
  EXPECT_THROW(run(m, f, "auto"), canveg::InputError);
  if (saved)
    setenv("CANVEG_SIMD", before.c_str(), 1);
  else
    unsetenv("CANVEG_SIMD");
}

TEST(Lanes, AnUnknownInstructionSetIsRefused) {
  try {
    run(model("US-Bi1_PB-1L-0.5"), window().slice(0, 4), "neon");
    FAIL() << "no error";
  } catch (const canveg::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("'neon' is not an instruction set"), std::string::npos) << e.what();
  }
}

// The lane type itself (one and two vectors per value): where, any_lane and choose pick per lane,
// and the math functions agree with the C library's to a few ulps.
template <class L>
void check_lane_type() {
  constexpr std::size_t W = L::kWidth;
  double in[W], out[W];
  for (std::size_t l = 0; l < W; ++l) in[l] = 0.5 + 1.25 * static_cast<double>(l) - (l % 2 ? 3.0 : 0.0);
  const L x = L::load(in);
  where(x < 1.0, L(-1.0), x).store(out);  // found by argument-dependent lookup, as in the physics
  for (std::size_t l = 0; l < W; ++l) EXPECT_EQ(out[l], in[l] < 1.0 ? -1.0 : in[l]);
  EXPECT_TRUE(any_lane(x < 1.0));
  // Masks compare lane by lane (the SSE2 solver's regula falsi depends on it).
  const L sign = L::load(in) - 1.0;
  where((x > 1.0) == (sign > 0.0), L(1.0), L(0.0)).store(out);
  for (std::size_t l = 0; l < W; ++l) EXPECT_EQ(out[l], 1.0) << "lane " << l;
  where((x > 1.0) != (x > 2.0), L(1.0), L(0.0)).store(out);
  for (std::size_t l = 0; l < W; ++l) EXPECT_EQ(out[l], (in[l] > 1.0) != (in[l] > 2.0) ? 1.0 : 0.0) << "lane " << l;
  EXPECT_FALSE(any_lane(x > 1e9));
  int evaluated = 0;
  const L y = canveg::physics::choose(
      x > 1e9, [&] { ++evaluated; return L(0.0); }, [&] { return x * 2.0; });
  EXPECT_EQ(evaluated, 0) << "a side no lane takes is not evaluated";
  y.store(out);
  for (std::size_t l = 0; l < W; ++l) EXPECT_EQ(out[l], 2.0 * in[l]);
  using canveg::simd::exp;
  using canveg::simd::log;
  using canveg::simd::pow;
  exp(x).store(out);
  for (std::size_t l = 0; l < W; ++l) EXPECT_NEAR(out[l], std::exp(in[l]), 4e-16 * std::exp(in[l]));
  log(x * x).store(out);
  for (std::size_t l = 0; l < W; ++l) EXPECT_NEAR(out[l], std::log(in[l] * in[l]), 1e-15);
  pow(x * x, 0.33).store(out);
  for (std::size_t l = 0; l < W; ++l)
    EXPECT_NEAR(out[l], std::pow(in[l] * in[l], 0.33), 4e-16 * std::pow(in[l] * in[l], 0.33));
}

// The dispersion sums in lanes keep each level's sum in a register (four levels at a time) and
// add the layers in the scalar order: every lane equals the scalar sums over all levels bit for
// bit, with a level count that leaves a remainder of the four, and with the levels between the
// canopy and the top left out (ProfileLevels: the computed ones unchanged, the others untouched).
TEST(Lanes, DispersionSumsInLanesEqualTheScalarOnes) {
  namespace ph = canveg::physics;
  using L = canveg::simd::Lanes<xsimd::default_arch, 1>;
  constexpr std::size_t W = L::kWidth;
  const int N = 11, J = 5;
  std::vector<double> dij(static_cast<std::size_t>(N) * J), dij_t(dij.size()), delz(J);
  for (int i = 0; i < N; ++i)
    for (int j = 0; j < J; ++j)
      dij[static_cast<std::size_t>(i) * J + j] = dij_t[static_cast<std::size_t>(j) * N + i] = std::sin(0.7 * i + 1.3 * j) + 1.1;
  for (int j = 0; j < J; ++j) delz[j] = 0.1 + 0.01 * j;
  std::vector<std::vector<double>> sources(3 * W, std::vector<double>(J));  // [kind * W + lane][layer]
  for (std::size_t k = 0; k < sources.size(); ++k)
    for (int j = 0; j < J; ++j) sources[k][j] = std::cos(0.37 * static_cast<double>(k) + 0.91 * j) * (k % 3 + 1.5);
  std::vector<L> lane_sources(3 * static_cast<std::size_t>(J));
  for (int kind = 0; kind < 3; ++kind)
    for (int j = 0; j < J; ++j) {
      alignas(64) double values[W];
      for (std::size_t l = 0; l < W; ++l) values[l] = sources[kind * W + l][j];
      lane_sources[static_cast<std::size_t>(kind) * J + j] = L::load(values);
    }
  constexpr double kUntouched = -12345.0;
  for (const int lower : {N, N - 1, N - 2, 6}) {
    const ph::ProfileLevels levels{N, lower};
    std::vector<L> sums(3 * static_cast<std::size_t>(N), L(kUntouched));
    ph::dispersion_sums<L>(levels, J, dij.data(), dij_t.data(), delz.data(), &lane_sources[0], &lane_sources[J],
                           &lane_sources[2 * J], &sums[0], &sums[N], &sums[2 * N]);
    for (std::size_t l = 0; l < W; ++l) {
      std::vector<double> a(N), b(N), c(N), part_a(N, kUntouched), part_b(N, kUntouched), part_c(N, kUntouched);
      ph::dispersion_sums<double>({N, N}, J, dij.data(), dij_t.data(), delz.data(), sources[0 * W + l].data(),
                                  sources[1 * W + l].data(), sources[2 * W + l].data(), a.data(), b.data(), c.data());
      ph::dispersion_sums<double>(levels, J, dij.data(), dij_t.data(), delz.data(), sources[0 * W + l].data(),
                                  sources[1 * W + l].data(), sources[2 * W + l].data(), part_a.data(), part_b.data(),
                                  part_c.data());
      for (int i = 0; i < N; ++i) {
        const bool computed = i < lower || i == N - 1;
        alignas(64) double lanes[3][W];
        sums[i].store(lanes[0]), sums[N + i].store(lanes[1]), sums[2 * N + i].store(lanes[2]);
        const double expect_a = computed ? a[i] : kUntouched, expect_b = computed ? b[i] : kUntouched,
                     expect_c = computed ? c[i] : kUntouched;
        EXPECT_EQ(lanes[0][l], expect_a) << "lower " << lower << " lane " << l << " level " << i;
        EXPECT_EQ(lanes[1][l], expect_b) << "lower " << lower << " lane " << l << " level " << i;
        EXPECT_EQ(lanes[2][l], expect_c) << "lower " << lower << " lane " << l << " level " << i;
        EXPECT_EQ(part_a[i], expect_a) << "lower " << lower << " level " << i;
        EXPECT_EQ(part_b[i], expect_b) << "lower " << lower << " level " << i;
        EXPECT_EQ(part_c[i], expect_c) << "lower " << lower << " level " << i;
      }
    }
  }
}

TEST(Lanes, LaneTypeChoosesAndComputesPerLane) {
  check_lane_type<canveg::simd::Lanes<xsimd::default_arch, 1>>();
  check_lane_type<canveg::simd::Lanes<xsimd::default_arch, 2>>();
}

}  // namespace
