// Multi-site training (`canveg train --sites`): one site gives the single-site training exactly;
// two sites share the trained parameters and weight their losses by training half-hours; under
// mpirun the result equals one process's bit for bit; a bad sites file is refused by file, line and
// key. Two days of US-Hn1 and three of US-Bi1 (PB-1L), batches of 48 half-hours, 3 epochs.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "../test_support.hpp"
#include "canveg/model_io.hpp"
#include "canveg/train.hpp"
#include "io/csv_table.hpp"

namespace {

using canveg::test::run_canveg;
using canveg::test::shell_quote;

class TrainSites : public ::testing::Test {
 protected:
  canveg::test::TempDir dir_;
  // Training files: the first `rows` half-hours of a site's training period.
  std::pair<std::string, std::string> data(const std::string& site, int rows) {
    const std::string f = dir_.write(site + "-forcing.csv",
                                     canveg::test::head_lines(canveg::test::fluxtower(site, site + "-forcings.csv"), rows + 1));
    const std::string o = dir_.write(site + "-fluxes.csv",
                                     canveg::test::head_lines(canveg::test::fluxtower(site, site + "-fluxes.csv"), rows + 1));
    return {f, o};
  }
  static std::string model(const std::string& site) { return canveg::test::trained(site + "_PB-1L-0.5.json"); }
  static std::string site_table(const std::string& site, const std::pair<std::string, std::string>& files) {
    return "[[site]]\nmodel = \"" + model(site) + "\"\nforcing = \"" + files.first + "\"\nobserved = \"" +
           files.second + "\"\n\n";
  }
  // Every training starts from the parameter table's defaults, so that all start from one point.
  static constexpr const char* kSettings = " --reset-parameters --epochs 3 --batch-size 48 --threads 1 --quiet";

  // The train_loss column of a history file.
  static std::vector<double> train_losses(const std::string& history) {
    const canveg::io::CsvTable t = canveg::io::CsvTable::read(history);
    return t.column(*t.find_exact("train_loss"), canveg::io::EmptyCell::Error);
  }
  std::vector<double> single(const std::string& site, const std::pair<std::string, std::string>& files) {
    const std::string out = dir_.file(site + "-single.json");
    const auto r = run_canveg("train --model " + shell_quote(model(site)) + " --forcing " + shell_quote(files.first) +
                                  " --observed " + shell_quote(files.second) + " --output " + shell_quote(out) + kSettings,
                              dir_);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return train_losses(dir_.file(site + "-single-history.csv"));
  }
  std::string sites_run(const std::string& sites_text, const std::string& folder, const std::string& launcher = "") {
    const std::string sites = dir_.write(folder + "-sites.toml", sites_text);
    const std::string out = (dir_.path() / folder).string();
    std::filesystem::create_directories(out);
    const std::string err = dir_.file(folder + ".stderr");
    const std::string command = launcher + shell_quote(CANVEG_EXE) + " train --sites " + shell_quote(sites) +
                                " --output-dir " + shell_quote(out) + kSettings + " 2>" + shell_quote(err);
    EXPECT_EQ(std::system(command.c_str()), 0) << canveg::test::read_text(err);
    return out;
  }
};

TEST_F(TrainSites, OneSiteIsTheSingleSiteTraining) {
  const auto hn1 = data("US-Hn1", 96);
  const std::vector<double> losses = single("US-Hn1", hn1);
  const std::string out = sites_run(site_table("US-Hn1", hn1), "one");
  EXPECT_EQ(train_losses(out + "/history.csv"), losses);
  const canveg::LoadedModel a = canveg::read_model_json(out + "/US-Hn1.json");
  const canveg::LoadedModel b = canveg::read_model_json(dir_.file("US-Hn1-single.json"));
  const canveg::ParameterSpace space = canveg::training_space(a.model, {});
  EXPECT_EQ(space.values(a.model), space.values(b.model));
}

TEST_F(TrainSites, TwoSitesShareParametersAndWeightTheirLosses) {
  const auto hn1 = data("US-Hn1", 96), bi1 = data("US-Bi1", 144);
  const double hn1_first = single("US-Hn1", hn1).front(), bi1_first = single("US-Bi1", bi1).front();
  const std::string out = sites_run(site_table("US-Hn1", hn1) + site_table("US-Bi1", bi1), "two");
  const std::vector<double> losses = train_losses(out + "/history.csv");
  ASSERT_EQ(losses.size(), 3u);
  const canveg::LoadedModel hn1_model = canveg::read_model_json(out + "/US-Hn1.json");
  const canveg::LoadedModel bi1_model = canveg::read_model_json(out + "/US-Bi1.json");
  // One set of trained parameters, each site's own facts.
  const canveg::ParameterSpace space = canveg::training_space(hn1_model.model, {});
  EXPECT_EQ(space.values(hn1_model.model), space.values(bi1_model.model));
  EXPECT_EQ(hn1_model.model.setup.site_name, "US-Hn1");
  EXPECT_EQ(bi1_model.model.setup.site_name, "US-Bi1");
  EXPECT_NE(hn1_model.model.setup.latitude, bi1_model.model.setup.latitude);
  EXPECT_NE(hn1_model.model.dij, bi1_model.model.dij);
  // The first loss, at the shared starting point: the sites' own losses weighted 96 : 144 (the
  // PB models do not use the network weights, which come from the first site's file).
  EXPECT_EQ(losses.front(), 0.0 + 0.4 * hn1_first + 0.6 * bi1_first);
  EXPECT_NE(losses.front(), 0.5 * hn1_first + 0.5 * bi1_first);
}

TEST_F(TrainSites, MpiRanksGiveOneProcesssResult) {
#ifndef CANVEG_TEST_MPI
  GTEST_SKIP() << "built without MPI";
#else
  if (std::system("command -v mpirun >/dev/null 2>&1") != 0) GTEST_SKIP() << "mpirun not installed";
  const auto hn1 = data("US-Hn1", 96), bi1 = data("US-Bi1", 144);
  const std::string sites = site_table("US-Hn1", hn1) + site_table("US-Bi1", bi1);
  const std::string one = sites_run(sites, "one-process");
  const std::string ranks = sites_run(sites, "two-ranks", canveg::test::kMpirunTwoRanks);
  EXPECT_EQ(train_losses(ranks + "/history.csv"), train_losses(one + "/history.csv"));
  for (const char* site : {"US-Hn1", "US-Bi1"}) {
    const canveg::LoadedModel a = canveg::read_model_json(one + "/" + site + ".json");
    const canveg::LoadedModel b = canveg::read_model_json(ranks + "/" + site + ".json");
    const canveg::ParameterSpace space = canveg::training_space(a.model, {});
    EXPECT_EQ(space.values(a.model), space.values(b.model)) << site;
  }
#endif
}

TEST_F(TrainSites, BadSitesFileIsRefusedByLineAndKey) {
  const auto hn1 = data("US-Hn1", 96);
  const std::string out = (dir_.path() / "out").string();
  std::filesystem::create_directories(out);
  const auto refuse = [&](const std::string& text, const std::vector<std::string>& expected, const std::string& extra = "") {
    const std::string sites = dir_.write("bad.toml", text);
    const auto r = run_canveg("train --sites " + shell_quote(sites) + " --output-dir " + shell_quote(out) + extra, dir_);
    EXPECT_EQ(r.exit_code, 1) << text;
    for (const std::string& e : expected) EXPECT_NE(r.err.find(e), std::string::npos) << r.err;
  };
  refuse(site_table("US-Hn1", hn1) + "[[site]]\nmodel = \"" + model("US-Bi1") + "\"\nforcing = \"x.csv\"\nobserved = \"" +
             hn1.second + "\"\n",
         {"bad.toml:8: field 'site[1].forcing'", "'x.csv' not found"});
  refuse("[[site]]\nmodel = \"" + model("US-Hn1") + "\"\nforcing = \"" + hn1.first + "\"\nobserved = \"" + hn1.second +
             "\"\nlai = 3\n",
         {"bad.toml:5: field 'site[0].lai'", "unknown key"});
  refuse("[general]\n", {"bad.toml:1: field 'general'", "one [[site]] table per site"});
  refuse(site_table("US-Hn1", hn1) + site_table("US-Hn1", hn1), {"site US-Hn1 is listed twice"});
  refuse(site_table("US-Hn1", hn1), {"field '--forcing'", "is for one site"}, " --forcing " + shell_quote(hn1.first));
}

}  // namespace
