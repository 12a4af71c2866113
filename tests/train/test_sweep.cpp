// `canveg sweep` end to end on a small grid (US-Hn1, PB-1L, w = 0 and 1, 2 epochs, the first 192
// half-hours of each period): one model per task, the table, finished tasks kept, and the plot;
// and the DNN family.
#include <gtest/gtest.h>

#include <filesystem>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <sstream>

#include "../test_support.hpp"
#include "canveg/dnn.hpp"
#include "canveg/model_io.hpp"
#include "canveg/sweep.hpp"

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
  // The same table, minutes included: they are the trainings' own (from their histories), not the
  // time this call took to score them.
  EXPECT_EQ(canveg::test::read_text(out + "/sweep.csv"), table);
  EXPECT_GT(std::stod(table.substr(table.rfind(',', table.size() - 2) + 1)), 0.0) << table;
  // Asked for other training settings, the folder's models are refused rather than scored as theirs.
  std::string more_epochs = args;
  more_epochs.replace(more_epochs.find("--epochs 2"), 10, "--epochs 3");
  const auto other = canveg::test::run_canveg(more_epochs, dir);
  EXPECT_EQ(other.exit_code, 1);
  EXPECT_NE(other.err.find("trained under other settings than the sweep asks for (epochs: 2 before, 3 now)"),
            std::string::npos)
      << other.err;
  EXPECT_EQ(std::filesystem::last_write_time(out + "/US-Hn1_PB-1L-0.0_s0.json"), model_time);
  // A model recorded before the exact phase and the kept-epoch rule existed counts as trained
  // without them (the one-step gradient throughout, the last epoch kept), not as matching.
  {
    for (const char* task : {"US-Hn1_PB-1L-0.0_s0", "US-Hn1_PB-1L-1.0_s0"}) {
      const std::string path = out + "/" + task + ".json";
      nlohmann::json doc = nlohmann::json::parse(canveg::test::read_text(path));
      doc["training"]["settings"].erase("exact_from");
      doc["training"]["settings"].erase("keep_epoch");
      canveg::test::write_text(path, doc.dump(1));
    }
    const auto older = canveg::test::run_canveg(args, dir);
    EXPECT_EQ(older.exit_code, 1);
    EXPECT_NE(older.err.find("trained under other settings than the sweep asks for (exact_from: -1 before, 200 now)"),
              std::string::npos)
        << older.err;
    const auto as_then = canveg::test::run_canveg(args + " --exact-from never --keep-epoch last", dir);
    EXPECT_EQ(as_then.exit_code, 0) << as_then.err;
    EXPECT_NE(as_then.err.find("done earlier"), std::string::npos) << as_then.err;
  }

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

// A missing or wrong --data folder, or a site it does not hold, is named as such before any
// training, not as every one of that site's files missing.
TEST(SweepCommand, NamesAMissingDataFolderAndAnUnknownSite) {
  canveg::test::TempDir dir;
  const std::string out = shell_quote(dir.path().string());
  const auto relative = canveg::test::run_canveg("sweep --output-dir " + out + " --data no-such-folder --epochs 1", dir);
  EXPECT_EQ(relative.exit_code, 1);
  EXPECT_NE(relative.err.find("no-such-folder: field '--data': the shared data folder does not exist (relative "
                              "to the working directory "),
            std::string::npos)
      << relative.err;
  const auto not_data =
      canveg::test::run_canveg("sweep --output-dir " + out + " --data " + out + " --epochs 1", dir);
  EXPECT_EQ(not_data.exit_code, 1);
  EXPECT_NE(not_data.err.find("not the shared data folder: it needs fluxtower/ and jax-canveg-trained/"),
            std::string::npos)
      << not_data.err;
  const auto site = canveg::test::run_canveg("sweep --output-dir " + out + " --data " +
                                                 shell_quote(CANVEG_SHARED_DATA) + " --sites US-Hn2 --epochs 1",
                                             dir);
  EXPECT_EQ(site.exit_code, 1);
  EXPECT_NE(site.err.find("field '--sites': no site 'US-Hn2' here (the sites here: US-Bi1, US-Hn1, US-Me2, US-Whs)"),
            std::string::npos)
      << site.err;
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

namespace {

// The table without its last column (minutes, the only part that depends on the machine's load).
std::string table_without_minutes(const std::string& path) {
  std::istringstream in(canveg::test::read_text(path));
  std::string line, kept;
  while (std::getline(in, line)) kept += line.substr(0, line.rfind(',')) + "\n";
  return kept;
}

std::string small_grid(const std::string& out) {
  return "sweep --quiet --output-dir " + shell_quote(out) + " --data " + shell_quote(CANVEG_SHARED_DATA) +
         " --families PB-1L,DNN --weights 0,0.5,1 --epochs 2 --rows 96 --batch-size 48 --jobs 1";
}

}  // namespace

// A cluster array runs one task per job (--task-index); a last run without it scores the finished
// tasks and writes the same table, and the same models, as one process running the whole grid.
TEST(SweepCommand, TaskIndexJobsGiveTheWholeSweep) {
  canveg::test::TempDir dir;
  const std::string whole = (dir.path() / "whole").string(), jobs = (dir.path() / "jobs").string();
  std::filesystem::create_directories(whole);
  std::filesystem::create_directories(jobs);
  ASSERT_EQ(canveg::test::run_canveg(small_grid(whole), dir).exit_code, 0);
  for (int task = 0; task < 6; ++task) {
    const auto r = canveg::test::run_canveg(small_grid(jobs) + " --task-index " + std::to_string(task), dir);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_FALSE(std::filesystem::exists(jobs + "/sweep.csv")) << "a single task writes no table";
  }
  const auto final_run = canveg::test::run_canveg(small_grid(jobs), dir);
  ASSERT_EQ(final_run.exit_code, 0) << final_run.err;
  EXPECT_EQ(table_without_minutes(jobs + "/sweep.csv"), table_without_minutes(whole + "/sweep.csv"));
  for (const char* model : {"US-Hn1_PB-1L-0.5_s0.json", "US-Hn1_DNN-1.0_s0.json"})
    EXPECT_EQ(canveg::test::read_text(jobs + "/" + model), canveg::test::read_text(whole + "/" + model)) << model;
  const auto beyond = canveg::test::run_canveg(small_grid(jobs) + " --task-index 6", dir);
  EXPECT_EQ(beyond.exit_code, 1);
  EXPECT_NE(beyond.err.find("task 6 does not exist: the sweep has 6 tasks"), std::string::npos) << beyond.err;
}

// A weight is named exactly: 0.25 and 0.2 are two tasks, never one model taken for the other;
// JAX-CanVeg's weights keep its one-decimal names.
TEST(SweepRows, TaskNamesKeepTheWeightExactly) {
  EXPECT_EQ((canveg::SweepTask{"US-Hn1", "PB-1L", 0.0, 0}.name()), "US-Hn1_PB-1L-0.0_s0");
  EXPECT_EQ((canveg::SweepTask{"US-Hn1", "PB-1L", 1.0, 2}.name()), "US-Hn1_PB-1L-1.0_s2");
  EXPECT_EQ((canveg::SweepTask{"US-Hn1", "PB-1L", 0.1, 0}.name()), "US-Hn1_PB-1L-0.1_s0");
  EXPECT_EQ((canveg::SweepTask{"US-Hn1", "PB-1L", 0.25, 0}.name()), "US-Hn1_PB-1L-0.25_s0");
  EXPECT_EQ((canveg::SweepTask{"US-Hn1", "PB-1L", 0.04, 0}.name()), "US-Hn1_PB-1L-0.04_s0");
  EXPECT_EQ((canveg::SweepTask{"US-Hn1", "PB-1L", 0.12341, 0}.name()), "US-Hn1_PB-1L-0.12341_s0");
}

// A site, family, weight or seed listed twice would train once and be tabulated twice.
TEST(SweepCommand, RepeatedValuesAreRefused) {
  canveg::test::TempDir dir;
  const std::string common = "sweep --output-dir " + shell_quote(dir.path().string()) + " --data " +
                             shell_quote(CANVEG_SHARED_DATA) + " --epochs 1 --rows 1024 ";
  for (const auto& [args, message] :
       std::vector<std::pair<std::string, std::string>>{{"--sites US-Hn1,US-Hn1", "--sites lists US-Hn1 twice"},
                                                        {"--weights 0.5,0.50", "--weights lists 0.5 twice"},
                                                        {"--seeds 1,1", "--seeds lists 1 twice"},
                                                        {"--families PB-1L,PB-1L", "--families lists PB-1L twice"}}) {
    const auto r = canveg::test::run_canveg(common + args, dir);
    EXPECT_EQ(r.exit_code, 1) << args;
    EXPECT_NE(r.err.find(message), std::string::npos) << r.err;
  }
}

// Rows travel between MPI ranks as JSON lines: every field survives, NaN scores included.
TEST(SweepRows, JsonRoundTrip) {
  canveg::SweepRow row;
  row.task = {"US-Me2", "Hybrid-ML", 0.3, 4};
  row.epochs_run = 118;
  row.stop_reason = "loss above 1000 x the mean of the last 10, \"epoch 118\"";
  row.train_nse_le = 0.123456789012345678;
  row.train_nse_nee = std::numeric_limits<double>::quiet_NaN();
  row.test_nse_le = -3.5e-17;
  row.test_nse_nee = 0.5;
  row.minutes = 12.25;
  row.reused = true;
  const canveg::SweepRow back = canveg::sweep_row_from_json(canveg::sweep_row_json(row));
  EXPECT_EQ(back.task.name(), row.task.name());
  EXPECT_EQ(back.epochs_run, 118);
  EXPECT_EQ(back.stop_reason, row.stop_reason);
  EXPECT_EQ(back.train_nse_le, row.train_nse_le);
  EXPECT_TRUE(std::isnan(back.train_nse_nee));
  EXPECT_EQ(back.test_nse_le, row.test_nse_le);
  EXPECT_EQ(back.minutes, 12.25);
  EXPECT_TRUE(back.reused);
}

// `mpirun -np 2 canveg sweep`: the ranks share the grid and rank 0 writes the table one process
// writes, with the same models.
TEST(SweepCommand, MpiRanksGiveTheWholeSweep) {
#ifndef CANVEG_TEST_MPI
  GTEST_SKIP() << "built without MPI";
#else
  if (std::system("command -v mpirun >/dev/null 2>&1") != 0) GTEST_SKIP() << "mpirun not installed";
  canveg::test::TempDir dir;
  const std::string whole = (dir.path() / "whole").string(), ranks = (dir.path() / "ranks").string();
  std::filesystem::create_directories(whole);
  std::filesystem::create_directories(ranks);
  ASSERT_EQ(canveg::test::run_canveg(small_grid(whole), dir).exit_code, 0);
  const std::string err = (dir.path() / "mpirun.stderr").string();
  const std::string command = std::string(canveg::test::kMpirunTwoRanks) +
                              shell_quote(CANVEG_EXE) + " " + small_grid(ranks) + " >/dev/null 2>" + shell_quote(err);
  ASSERT_EQ(std::system(command.c_str()), 0) << canveg::test::read_text(err);
  EXPECT_EQ(table_without_minutes(ranks + "/sweep.csv"), table_without_minutes(whole + "/sweep.csv"));
  for (const char* model : {"US-Hn1_PB-1L-0.0_s0.json", "US-Hn1_DNN-0.5_s0.json"})
    EXPECT_EQ(canveg::test::read_text(ranks + "/" + model), canveg::test::read_text(whole + "/" + model)) << model;
#endif
}
