// `canveg sweep` end to end on a small grid (US-Hn1, PB-1L, w = 0 and 1, 2 epochs, the first 192
// half-hours of each period): one model per task, the table, finished tasks kept, and the plot;
// and the DNN family.
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include "../test_support.hpp"
#include "canveg/dnn.hpp"
#include "canveg/model_io.hpp"

using canveg::test::shell_quote;

TEST(SweepCommand, TrainsEachTaskOnceAndTabulates) {
  canveg::test::TempDir dir;
  const std::string out = dir.path().string();
  const std::string args = "sweep --output-dir " + shell_quote(out) + " --data " +
                           shell_quote(CANVEG_SHARED_DATA) +
                           " --families PB-1L --weights 0,1 --epochs 2 --rows 192 --batch-size 64 --jobs 2";
  const auto first = canveg::test::run_canveg(args, dir);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  for (const char* task : {"US-Hn1_PB-1L-0.0_s0", "US-Hn1_PB-1L-1.0_s0"}) {
    const canveg::LoadedModel m = canveg::read_model_json(out + "/" + task + ".json");
    EXPECT_EQ(m.trained_le_weight, std::string(task).find("-0.0_") != std::string::npos ? 0.0 : 1.0) << task;
    EXPECT_TRUE(std::filesystem::exists(out + "/" + task + "-history.csv")) << task;
  }
  const std::string table = canveg::test::read_text(out + "/sweep.csv");
  EXPECT_EQ(table.rfind("site,family,le_weight,seed,epochs_run,stop_reason,train_nse_le,", 0), 0u);
  EXPECT_NE(table.find("US-Hn1,PB-1L,0.0,0,2,completed 2 epochs,"), std::string::npos) << table;
  EXPECT_NE(table.find("US-Hn1,PB-1L,1.0,0,2,completed 2 epochs,"), std::string::npos) << table;

  // A second call keeps the finished models and reports the same scores.
  const auto model_time = std::filesystem::last_write_time(out + "/US-Hn1_PB-1L-0.0_s0.json");
  const auto second = canveg::test::run_canveg(args, dir);
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_NE(second.err.find("done earlier"), std::string::npos) << second.err;
  EXPECT_EQ(std::filesystem::last_write_time(out + "/US-Hn1_PB-1L-0.0_s0.json"), model_time);
  // Everything but the last column (minutes) is the same.
  const auto without_minutes = [](const std::string& text) {
    std::string kept, line;
    std::istringstream in(text);
    while (std::getline(in, line)) kept += line.substr(0, line.rfind(',')) + "\n";
    return kept;
  };
  EXPECT_EQ(without_minutes(canveg::test::read_text(out + "/sweep.csv")), without_minutes(table));

  // The Pareto plot (matplotlib, scripts/plot_sweep.py).
  const std::string png = out + "/pareto.png";
  const std::string plot = shell_quote(std::string(CANVEG_SOURCE_DIR) + "/scripts/plot_sweep.py") + " " +
                           shell_quote(out + "/sweep.csv") + " --data " + shell_quote(CANVEG_SHARED_DATA) +
                           " --output " + shell_quote(png) + " > /dev/null";
  ASSERT_EQ(std::system(plot.c_str()), 0);
  EXPECT_GT(std::filesystem::file_size(png), 10000u);

  const auto bad = canveg::test::run_canveg("sweep --output-dir " + shell_quote(out) + " --data " +
                                                shell_quote(CANVEG_SHARED_DATA) + " --families PB-2L --epochs 1",
                                            dir);
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("unknown family 'PB-2L'"), std::string::npos) << bad.err;
}

// --formulation corrected: every task trains in it and its model says so; the same folder asked
// for the jax formulation refuses to reuse those models.
TEST(SweepCommand, TrainsInTheRequestedFormulation) {
  canveg::test::TempDir dir;
  const std::string out = dir.path().string();
  const std::string args = "sweep --quiet --output-dir " + shell_quote(out) + " --data " +
                           shell_quote(CANVEG_SHARED_DATA) +
                           " --families PB-1L --weights 0.5 --epochs 1 --rows 96 --batch-size 48 --jobs 1";
  const auto r = canveg::test::run_canveg(args + " --formulation corrected", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const canveg::LoadedModel m = canveg::read_model_json(out + "/US-Hn1_PB-1L-0.5_s0.json");
  EXPECT_EQ(m.model.setup.formulation, canveg::Formulation::Corrected);
  EXPECT_EQ(m.model.setup.shortwave_sweeps, canveg::converged_shortwave_sweeps(1));
  EXPECT_TRUE(m.model.setup.single_dark_respiration);
  const auto again = canveg::test::run_canveg(args, dir);  // jax by default
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find("trained in the corrected formulation, the sweep asks for jax"), std::string::npos)
      << again.err;
  EXPECT_NE(again.err.find("setup.formulation"), std::string::npos) << again.err;
}

// The DNN family in a sweep: one network per weight and seed, trained and scored in seconds,
// written as DNN files that `canveg run` reads without scaler files.
TEST(SweepCommand, TrainsTheNeuralNetworkBaseline) {
  canveg::test::TempDir dir;
  const std::string out = dir.path().string();
  const auto r = canveg::test::run_canveg("sweep --quiet --output-dir " + shell_quote(out) + " --data " +
                                              shell_quote(CANVEG_SHARED_DATA) +
                                              " --families DNN --weights 0.5 --seeds 1,2 --epochs 2 --rows 192",
                                          dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string table = canveg::test::read_text(out + "/sweep.csv");
  EXPECT_NE(table.find("US-Hn1,DNN,0.5,1,2,completed 2 epochs,"), std::string::npos) << table;
  EXPECT_NE(table.find("US-Hn1,DNN,0.5,2,2,completed 2 epochs,"), std::string::npos) << table;
  const canveg::DnnModel a = canveg::read_dnn_json(out + "/US-Hn1_DNN-0.5_s1.json");
  const canveg::DnnModel b = canveg::read_dnn_json(out + "/US-Hn1_DNN-0.5_s2.json");
  EXPECT_TRUE(a.has_scalers);
  EXPECT_EQ(a.trained_le_weight, 0.5);
  EXPECT_NE(a.net.w0, b.net.w0);
  EXPECT_TRUE(std::filesystem::exists(out + "/US-Hn1_DNN-0.5_s1-history.csv"));
}
