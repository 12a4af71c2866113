// The neural-network baseline (canveg/dnn.hpp): JAX-CanVeg's six published US-Bi1 and US-Hn1 DNN
// models, scalers recomputed from the training files as scikit-learn's StandardScaler does, run
// over the test period, against the test NSE JAX-CanVeg reported.
//
// Tolerance 5e-4: the reported NSE are reproduced to 3.2e-4 at worst (the badly fitting US-Hn1
// networks; 1e-4 at US-Bi1). The published per-half-hour predictions differ from ours by an affine
// map (US-Bi1 w = 1: slope 0.9998, offset 0.045 W m-2 in LE), as from output-scaler statistics a
// little different from those of the snapshot's training files; an independent numpy/scikit-learn
// computation from the same files gives our values (docs/training.md, "Neural-network baseline").
#include <gtest/gtest.h>

#include "canveg/dnn.hpp"
#include "canveg/errors.hpp"
#include "canveg/metrics.hpp"
#include "test_support.hpp"

using namespace canveg;

namespace {

// JAX-CanVeg trained and evaluated the US-Hn1 networks on the "-nonegle" flux files.
std::string fluxes(const std::string& site, bool test) {
  return test::fluxtower(site, site + (site == "US-Hn1" ? "-fluxes-nonegle" : "-fluxes") + (test ? "-test" : "") + ".csv");
}

}  // namespace

TEST(DnnBaseline, PublishedTestNseReproduced) {
  for (const std::string site : {"US-Bi1", "US-Hn1"}) {
    const ForcingRecord train_forcing = read_forcing_csv(test::fluxtower(site, site + "-forcings.csv"));
    const ObservedFluxes train_fluxes = read_flux_csv(fluxes(site, false));
    const ForcingRecord test_forcing = read_forcing_csv(test::fluxtower(site, site + "-forcings-test.csv"));
    const ObservedFluxes test_fluxes = read_flux_csv(fluxes(site, true));
    for (const std::string w : {"0.0", "0.5", "1.0"}) {
      DnnModel m = read_dnn_json(test::trained(site + "_DNN_LE-GPP-" + w + ".json"));
      ASSERT_TRUE(m.reported.present);
      EXPECT_EQ(m.trained_le_weight, std::stod(w));
      fit_dnn_scalers(m, train_forcing, train_fluxes);
      const DnnPrediction p = run_dnn(m, test_forcing);
      const double le = compute_metrics(p.LE, test_fluxes.LE).nse, nee = compute_metrics(p.NEE, test_fluxes.NEE).nse;
      std::printf("[ dnn ] %s w %s: LE NSE %.6f (reported %.6f, diff %.1e), NEE NSE %.6f (reported %.6f, diff %.1e)\n",
                  site.c_str(), w.c_str(), le, m.reported.le_test_nse, le - m.reported.le_test_nse, nee,
                  m.reported.nee_test_nse, nee - m.reported.nee_test_nse);
      EXPECT_NEAR(le, m.reported.le_test_nse, 5e-4) << site << " w " << w;
      EXPECT_NEAR(nee, m.reported.nee_test_nse, 5e-4) << site << " w " << w;
    }
  }
}

TEST(DnnBaseline, ScalersRequiredAndInputsChecked) {
  const DnnModel m = read_dnn_json(test::trained("US-Bi1_DNN_LE-GPP-0.5.json"));
  EXPECT_FALSE(m.has_scalers);
  EXPECT_THROW(run_dnn(m, read_forcing_csv(test::fluxtower("US-Bi1", "US-Bi1-forcings-test.csv"))), InputError);
  EXPECT_TRUE(is_dnn_json(test::trained("US-Bi1_DNN_LE-GPP-0.5.json")));
  EXPECT_FALSE(is_dnn_json(test::trained("US-Bi1_PB-1L-0.5.json")));
}

TEST(DnnBaseline, RunCommandWritesLeAndNee) {
  test::TempDir dir;
  const std::string model = test::shell_quote(test::trained("US-Bi1_DNN_LE-GPP-0.5.json"));
  const std::string forcing = test::shell_quote(test::fluxtower("US-Bi1", "US-Bi1-forcings-test.csv"));
  const std::string out = (dir.path() / "dnn.csv").string();
  const auto missing = test::run_canveg("run --quiet --model " + model + " --forcing " + forcing + " --output " +
                                            test::shell_quote(out),
                                        dir);
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("--scaler-forcing"), std::string::npos) << missing.err;
  const auto r = test::run_canveg(
      "run --quiet --model " + model + " --forcing " + forcing + " --output " + test::shell_quote(out) +
          " --scaler-forcing " + test::shell_quote(test::fluxtower("US-Bi1", "US-Bi1-forcings.csv")) +
          " --scaler-fluxes " + test::shell_quote(test::fluxtower("US-Bi1", "US-Bi1-fluxes.csv")),
      dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(test::head_lines(out, 1), "TIMESTAMP_END,LE,NEE\n");
  const auto ev = test::run_canveg("evaluate --predicted " + test::shell_quote(out) + " --observed " +
                                       test::shell_quote(test::fluxtower("US-Bi1", "US-Bi1-fluxes-test.csv")),
                                   dir);
  EXPECT_EQ(ev.exit_code, 0) << ev.err;
  EXPECT_NE(ev.out.find("0.8745"), std::string::npos) << ev.out;  // LE NSE, as reported
}
