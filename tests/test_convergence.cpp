// `--convergence`: the change of leaf and air temperature, LE, H and G in the last outer iteration.
// A run with n iterations keeps the state before its last iteration; that state is the final state
// of a run with n - 1 iterations, so each change must equal the difference of the two runs' outputs.
#include <algorithm>
#include <cmath>
#include <string>

#include <gtest/gtest.h>

#include "canveg/canveg.hpp"
#include "test_support.hpp"

namespace {

using namespace canveg;

constexpr std::size_t kRows = 192;

TEST(Convergence, ChangesEqualTheDifferenceOfRunsWithOneIterationLess) {
  Model<double> model = read_model_json(test::trained("US-Me2_PB-1L-0.5.json")).model;
  const ForcingRecord forcing = read_forcing_csv(test::fluxtower("US-Me2", "US-Me2-forcings-test.csv")).slice(0, kRows);
  RunOptions options;
  options.convergence = true;
  options.chunk_rows = 64;  // several chunks with their halos
  const RunResult last = run_model(model, forcing, options);
  model.setup.niter -= 1;
  const RunResult before = run_model(model, forcing, options);
  ASSERT_EQ(last.convergence.size(), kRows);
  std::size_t unsettled = 0;
  for (std::size_t r = 0; r < kRows; ++r) {
    EXPECT_NEAR(last.convergence.dLE_last[r], std::abs(last.outputs.LE[r] - before.outputs.LE[r]), 1e-9) << r;
    EXPECT_NEAR(last.convergence.dH_last[r], std::abs(last.outputs.H[r] - before.outputs.H[r]), 1e-9) << r;
    EXPECT_NEAR(last.convergence.dG_last[r], std::abs(last.outputs.G[r] - before.outputs.G[r]), 1e-9) << r;
    EXPECT_NEAR(last.convergence.dTleaf_last[r], std::abs(last.outputs.Tleaf[r] - before.outputs.Tleaf[r]), 1e-9) << r;
    EXPECT_GE(last.convergence.dTair_last[r], 0.0);
    unsettled += last.convergence.dLE_last[r] > 1.0;
  }
  // JAX-CanVeg's 15 iterations leave many US-Me2 half-hours unsettled (relaxation 0.25, P2).
  EXPECT_GT(unsettled, 0u);
}

// Four times the iterations settle some half-hours, not all: at US-Me2 most keep changing LE by more
// than 1 W m-2 per iteration after 60 (the fixed point is not reached by plain iteration there).
TEST(Convergence, MoreIterationsSettleSomeHalfHours) {
  Model<double> model = read_model_json(test::trained("US-Me2_PB-1L-0.5.json")).model;
  const ForcingRecord forcing = read_forcing_csv(test::fluxtower("US-Me2", "US-Me2-forcings-test.csv")).slice(0, kRows);
  RunOptions options;
  options.convergence = true;
  const auto unsettled = [&](int iterations) {
    model.setup.niter = iterations;
    const RunResult r = run_model(model, forcing, options);
    std::size_t count = 0;
    double largest = 0;
    for (double d : r.convergence.dLE_last) {
      count += d > 1.0;
      largest = std::max(largest, d);
    }
    std::printf("[ convergence ] %d iterations: %zu of %zu half-hours change LE by > 1 W m-2, the largest %.3g\n",
                iterations, count, kRows, largest);
    return count;
  };
  const std::size_t at15 = unsettled(15), at60 = unsettled(60);
  EXPECT_GT(at15, 0u);
  EXPECT_LT(at60, at15);
}

TEST(Convergence, CommandLineColumnsAndSummary) {
  test::TempDir dir;
  const std::string forcing = dir.write("f.csv", test::head_lines(test::fluxtower("US-Me2", "US-Me2-forcings-test.csv"), 97));
  const std::string out = dir.file("out.csv");
  const test::CommandResult r =
      test::run_canveg("run --convergence --diagnostics --model " + test::shell_quote(test::trained("US-Me2_PB-1L-0.5.json")) +
                           " --forcing " + test::shell_quote(forcing) + " --output " + test::shell_quote(out),
                       dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("canveg: convergence: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(" of 96 half-hours changed LE by more than 1 W m-2 in iteration 15"), std::string::npos) << r.err;
  const std::string text = test::read_text(out);
  const std::string header = text.substr(0, text.find('\n'));
  EXPECT_NE(header.find(",column_closure,aggregation_error,dTleaf_last,dTair_last,dLE_last,dH_last,dG_last"),
            std::string::npos)
      << header;
  // The neural-network baseline has no iteration to report.
  const test::CommandResult d = test::run_canveg(
      "run --convergence --model " + test::shell_quote(test::trained("US-Bi1_DNN_LE-GPP-0.5.json")) + " --forcing " +
          test::shell_quote(forcing) + " --output " + test::shell_quote(dir.file("dnn.csv")),
      dir);
  EXPECT_NE(d.exit_code, 0);
  EXPECT_NE(d.err.find("--convergence"), std::string::npos) << d.err;
}

// ---- --converge ------------------------------------------------------------------------------

// The first night of the US-Hn1 test period (PB-ML), where the iteration settles within the default
// limit; its slowest mode is the soil profile, integrated on from iteration to iteration (P6).
constexpr std::size_t kHn1First = 0, kHn1Rows = 12;
constexpr double kReachable = 0.1;  // K and W m-2 (reached in 39 iterations)

Model<double> hn1_model() { return read_model_json(test::trained("US-Hn1_PB-ML-0.5.json")).model; }
ForcingRecord hn1_forcing() {
  return read_forcing_csv(test::fluxtower("US-Hn1", "US-Hn1-forcings-test.csv")).slice(kHn1First, kHn1First + kHn1Rows);
}

void expect_same_outputs(const CanopyOutputs& a, const CanopyOutputs& b) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < kOutputCount; ++i)
    for (std::size_t r = 0; r < a.size(); ++r)
      ASSERT_EQ(a.series(i)[r], b.series(i)[r]) << kOutputFields[i].name << " row " << r;
}

double largest_change(const ConvergenceDiagnostics& c) {
  double m = 0;
  for (std::size_t r = 0; r < c.size(); ++r)
    for (double v : {c.dTleaf_last[r], c.dTair_last[r], c.dLE_last[r], c.dH_last[r], c.dG_last[r]}) m = std::max(m, v);
  return m;
}

// The iteration count is chosen over the whole record, so neither threads nor chunks change it or
// the outputs, bit for bit.
TEST(Converge, IndependentOfThreadsAndChunks) {
  const Model<double> model = hn1_model();
  const ForcingRecord forcing = hn1_forcing();
  RunOptions a;
  a.converge_tolerance = kReachable;
  a.threads = 1;
  a.chunk_rows = 1000;
  RunOptions b = a;
  b.threads = 2;
  b.chunk_rows = 5;
  const RunResult ra = run_model(model, forcing, a), rb = run_model(model, forcing, b);
  EXPECT_EQ(ra.iterations, rb.iterations);
  EXPECT_EQ(ra.iteration_change, rb.iteration_change);
  expect_same_outputs(ra.outputs, rb.outputs);
}

// With a tolerance that is reached after K iterations: the outputs are those of a fixed run with
// niter = K, the largest last-iteration change over the rows is below the tolerance after K
// iterations and not after K - 1.
TEST(Converge, ReachedToleranceEqualsAFixedRunWithTheReportedCount) {
  Model<double> model = hn1_model();
  const ForcingRecord forcing = hn1_forcing();
  RunOptions options;
  options.converge_tolerance = kReachable;
  options.convergence = true;
  options.chunk_rows = 5;
  const RunResult conv = run_model(model, forcing, options);
  ASSERT_TRUE(conv.converged);
  const int k = conv.iterations;
  std::printf("[ converge ] US-Hn1 PB-ML, %zu half-hours: tolerance %g reached in %d iterations\n", kHn1Rows,
              kReachable, k);
  ASSERT_GT(k, 1);
  EXPECT_NE(k, model.setup.niter);  // else the test would not tell --converge from the fixed count
  ASSERT_EQ(conv.iteration_change.size(), static_cast<std::size_t>(RunOptions::kDefaultMaxIterations));

  RunOptions fixed;
  fixed.convergence = true;
  model.setup.niter = k;
  const RunResult at_k = run_model(model, forcing, fixed);
  expect_same_outputs(conv.outputs, at_k.outputs);
  EXPECT_EQ(largest_change(at_k.convergence), conv.iteration_change[static_cast<std::size_t>(k - 1)]);
  EXPECT_LT(largest_change(at_k.convergence), kReachable);
  model.setup.niter = k - 1;
  const RunResult before = run_model(model, forcing, fixed);
  EXPECT_EQ(largest_change(before.convergence), conv.iteration_change[static_cast<std::size_t>(k - 2)]);
  EXPECT_GE(largest_change(before.convergence), kReachable);
}

// An unreachable tolerance: max_iterations iterations, reported as not converged.
TEST(Converge, UnreachableToleranceStopsAtTheLimit) {
  Model<double> model = hn1_model();
  const ForcingRecord forcing = hn1_forcing();
  RunOptions options;
  options.converge_tolerance = 1e-300;
  options.max_iterations = 20;
  options.convergence = true;
  options.diagnostics = true;
  options.chunk_rows = 5;
  const RunResult conv = run_model(model, forcing, options);
  EXPECT_FALSE(conv.converged);
  EXPECT_EQ(conv.iterations, 20);
  // The outputs come from the search itself here: they must be those of a fixed run.
  model.setup.niter = 20;
  RunOptions fixed;
  fixed.convergence = true;
  fixed.diagnostics = true;
  const RunResult at_20 = run_model(model, forcing, fixed);
  expect_same_outputs(conv.outputs, at_20.outputs);
  for (std::size_t i = 0; i < kConvergenceCount; ++i) EXPECT_EQ(conv.convergence.series(i), at_20.convergence.series(i));
  for (std::size_t i = 0; i < kDiagnosticCount; ++i) EXPECT_EQ(conv.diagnostics.series(i), at_20.diagnostics.series(i));
  EXPECT_EQ(largest_change(at_20.convergence), conv.iteration_change[19]);
}

TEST(Converge, CommandLineReportsTheIterationsAndWarns) {
  test::TempDir dir;
  const std::string forcing =
      dir.write("f.csv", test::head_lines(test::fluxtower("US-Hn1", "US-Hn1-forcings-test.csv"), 1 + kHn1Rows));
  const std::string model = test::shell_quote(test::trained("US-Hn1_PB-ML-0.5.json"));
  const auto run = [&](const std::string& args) {
    return test::run_canveg("run --model " + model + " --forcing " + test::shell_quote(forcing) + " --output " +
                                test::shell_quote(dir.file("out.csv")) + " " + args,
                            dir);
  };
  const test::CommandResult ok = run("--converge 0.1");
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_NE(ok.err.find("canveg: converged in "), std::string::npos) << ok.err;
  const test::CommandResult no = run("--converge 1e-300 --max-iterations 3 --convergence --quiet");
  ASSERT_EQ(no.exit_code, 0) << no.err;
  EXPECT_NE(no.err.find("warning: not converged: after 3 iterations"), std::string::npos) << no.err;
  EXPECT_NE(no.err.find("; 12 of 12 half-hours are not settled"), std::string::npos) << no.err;
  EXPECT_NE(run("--max-iterations 3").exit_code, 0);
  for (const char* bad : {"-1", "0"}) {
    const test::CommandResult r = run(std::string("--converge ") + bad);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find(std::string("--converge: '") + bad + "' must be a number above 0"), std::string::npos) << r.err;
  }
  const test::CommandResult d = test::run_canveg(
      "run --converge 0.01 --model " + test::shell_quote(test::trained("US-Bi1_DNN_LE-GPP-0.5.json")) +
          " --forcing " + test::shell_quote(forcing) + " --output " + test::shell_quote(dir.file("dnn.csv")),
      dir);
  EXPECT_NE(d.exit_code, 0);
  EXPECT_NE(d.err.find("--converge"), std::string::npos) << d.err;
}

// ---- implausible states ------------------------------------------------------------------------

// US-Bi1, 2021-12-28 03:00 (u* 0.077 m s-1, z/L at its 0.25 clip): JAX-CanVeg's lagged soil
// boundary makes the soil surface temperature and G alternate with a growing amplitude over the
// iterations, ending far outside any physical range. The corrected formulation solves the surface
// temperature and the conduction together and stays physical; `jax` keeps reproducing the blow-up.
TEST(Implausible, CalmNightBlowUpInJaxOnlyNotInCorrected) {
  const ForcingRecord all = read_forcing_csv(test::fluxtower("US-Bi1", "US-Bi1-forcings-test.csv"));
  const std::size_t row = 26166;
  ASSERT_EQ(all.timestamp[row], "2021-12-28 03:00:00");
  const ForcingRecord forcing = all.slice(row - 30, row + 1);  // more than the 14-row halo before it
  const std::size_t last = forcing.size() - 1;
  for (const char* name : {"US-Bi1_PB-1L-0.5.json", "US-Bi1_Hybrid-1L-0.5.json"}) {
    Model<double> model = read_model_json(test::trained(name)).model;
    RunOptions options;
    options.convergence = true;
    set_formulation(model.setup, Formulation::Jax);
    const RunResult jax = run_model(model, forcing, options);
    set_formulation(model.setup, Formulation::Corrected);
    const RunResult corrected = run_model(model, forcing, options);
    std::printf("[ implausible ] %s: jax G %.0f W m-2, H %.0f, soil surface %.1f K, flags %.0f; corrected G %.1f, H "
                "%.1f, soil surface %.2f K, leaf %.2f K\n",
                name, jax.outputs.G[last], jax.outputs.H[last], jax.outputs.Tsoil_sfc[last], jax.convergence.implausible[last],
                corrected.outputs.G[last], corrected.outputs.H[last], corrected.outputs.Tsoil_sfc[last],
                corrected.outputs.Tleaf[last]);
    // jax: G beyond a thousand W m-2 and the soil surface far from the 4.6 C air.
    EXPECT_GT(std::abs(jax.outputs.G[last]), 1000.0) << name;
    EXPECT_GT(std::abs(jax.outputs.Tsoil_sfc[last] - 277.8), 40.0) << name;
    EXPECT_NE(jax.convergence.implausible[last], 0.0) << name;
    // corrected: a calm winter night, a few tens of W m-2 and temperatures near the air's.
    EXPECT_EQ(corrected.convergence.implausible[last], 0.0) << name;
    EXPECT_LT(std::abs(corrected.outputs.G[last]), 60.0) << name;
    EXPECT_LT(std::abs(corrected.outputs.H[last]), 60.0) << name;
    EXPECT_NEAR(corrected.outputs.Tsoil_sfc[last], 277.8, 5.0) << name;
    EXPECT_NEAR(corrected.outputs.Tleaf[last], 277.8, 5.0) << name;
    std::size_t implausible = 0;
    for (double b : corrected.convergence.implausible) implausible += b != 0;
    EXPECT_EQ(implausible, 0u) << name;
  }
}

// The flags are computed from the final state: a run of ordinary half-hours has none, and each bit
// means its documented test (a flux above 1200 W m-2 sets bit 8).
TEST(Implausible, OrdinaryHalfHoursAreNotFlagged) {
  const Model<double> model = hn1_model();
  RunOptions options;
  options.convergence = true;
  const RunResult r = run_model(model, hn1_forcing(), options);
  for (std::size_t i = 0; i < r.convergence.size(); ++i) {
    EXPECT_EQ(r.convergence.implausible[i], 0.0) << i;
    const bool big_flux = std::abs(r.outputs.LE[i]) > 1200 || std::abs(r.outputs.H[i]) > 1200 || std::abs(r.outputs.G[i]) > 1200;
    EXPECT_FALSE(big_flux) << i;
  }
}

}  // namespace
