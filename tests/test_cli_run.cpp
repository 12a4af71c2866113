// Full runs through the `canveg` executable (these need the physics).
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "canveg/metrics.hpp"
#include "canveg/observations.hpp"
#include "io/csv_table.hpp"
#include "test_support.hpp"

using namespace canveg;
using namespace canveg::test;

namespace {

struct Slice {
  std::string forcing, observed;
};

// The first 48 half-hours (one day) of the US-Bi1 test period.
Slice one_day(const TempDir& dir) {
  return {dir.write("forcing.csv", head_lines(fluxtower("US-Bi1", "US-Bi1-forcings-test.csv"), 49)),
          dir.write("observed.csv", head_lines(fluxtower("US-Bi1", "US-Bi1-fluxes-test.csv"), 49))};
}

std::vector<double> output_column(const std::string& path, const std::string& name) {
  const io::CsvTable t = io::CsvTable::read(path);
  const auto col = t.find_exact(name);
  if (!col) throw std::runtime_error("no column " + name + " in " + path);
  return t.column(*col, io::EmptyCell::Gap);
}

}  // namespace

TEST(CliRun, OneDayHybridModel) {
  TempDir dir;
  const Slice s = one_day(dir);
  const std::string out = dir.file("fluxes.csv");
  const CommandResult r = run_canveg("run --model " + shell_quote(trained("US-Bi1_Hybrid-ML-0.5.json")) +
                                         " --forcing " + shell_quote(s.forcing) + " --output " + shell_quote(out) +
                                         " --observed " + shell_quote(s.observed),
                                     dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("48 half-hours in"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("LE   LE_F_MDS"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("NEE  NEE_VUT_REF"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("reported_NSE"), std::string::npos) << r.out;

  const io::CsvTable t = io::CsvTable::read(out);
  ASSERT_EQ(t.size(), 48u);
  EXPECT_EQ(t.header().front(), "TIMESTAMP_END");
  EXPECT_EQ(t.header().size(), 20u);
  EXPECT_EQ(t.rows()[0].cells[0], "2020-07-01 00:00:00");
  for (const char* name : {"LE", "H", "NEE", "GPP", "Rnet", "G"})
    for (double v : output_column(out, name)) EXPECT_TRUE(std::isfinite(v)) << name;

  // evaluate on the written file, filling gaps as JAX-CanVeg did (as the run's table does),
  // reproduces the run's LE NSE.
  const CommandResult e = run_canveg("evaluate --interpolate-gaps --predicted " + shell_quote(out) + " --observed " +
                                         shell_quote(s.observed),
                                     dir);
  ASSERT_EQ(e.exit_code, 0) << e.err;
  std::istringstream le_line(r.out.substr(r.out.find("LE   LE_F_MDS")));
  std::string flux, column, n, nse;
  le_line >> flux >> column >> n >> nse;
  EXPECT_NE(e.out.find(" " + n + " " + std::string(8 - nse.size(), ' ') + nse + " "), std::string::npos)
      << nse << "\n" << e.out << "\nvs\n" << r.out;
}

TEST(CliRun, SiteFileDiagnosticsAndIndependentRows) {
  TempDir dir;
  const Slice s = one_day(dir);
  const std::string out = dir.file("fluxes.csv");
  dir.write("fluxes.csv", "stale\n");  // an existing file is replaced
  const CommandResult r =
      run_canveg("run --quiet --diagnostics --independent --threads 2 --site " +
                     shell_quote(std::string(CANVEG_SOURCE_DIR) + "/examples/sites/US-Bi1.toml") + " --forcing " +
                     shell_quote(s.forcing) + " --output " + shell_quote(out),
                 dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");  // --quiet
  const io::CsvTable t = io::CsvTable::read(out);
  ASSERT_EQ(t.size(), 48u);
  EXPECT_EQ(t.header().size(), 25u);
  EXPECT_EQ(t.header().back(), "aggregation_error");
}

TEST(CliRun, DijOverrideWithTheSameMatrixChangesNothing) {
  TempDir dir;
  const Slice s = one_day(dir);
  const std::string model = shell_quote(trained("US-Bi1_PB-1L-0.5.json"));
  const std::string a = dir.file("a.csv"), b = dir.file("b.csv");
  ASSERT_EQ(run_canveg("run --quiet --model " + model + " --forcing " + shell_quote(s.forcing) + " --output " + shell_quote(a), dir).exit_code, 0);
  // -q and -o: the short forms every command with these options takes.
  const CommandResult r = run_canveg("run -q --model " + model + " --forcing " + shell_quote(s.forcing) + " -o " +
                                         shell_quote(b) + " --dij " + shell_quote(shared_data("dij/Dij_US-Bi1_1L.csv")),
                                     dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(read_text(a), read_text(b));
}

// A run-away half-hour is written as NaN, and said so on stderr even with -q: US-Bi1 PB-1L-0.5
// in JAX-CanVeg's formulation blows up at 2019-02-09 07:30 (its soil surface, a calm night).
// The canopy height looks like the model's geometry but is a forcing variable that only the alfalfa
// soil respiration reads: a constant given for a model that does not read it is warned about, and
// changes no output; the alfalfa respiration (soil module 0 of a site file) reads it, unwarned.
TEST(CliRun, CanopyHeightUnusedByTheModelIsWarnedAbout) {
  TempDir dir;
  const Slice s = one_day(dir);
  const std::string model = shell_quote(trained("US-Bi1_PB-1L-0.5.json"));
  const std::string plain = dir.file("plain.csv"), tall = dir.file("tall.csv");
  const auto base = run_canveg("run -q --model " + model + " --forcing " + shell_quote(s.forcing) + " -o " + shell_quote(plain), dir);
  ASSERT_EQ(base.exit_code, 0) << base.err;
  EXPECT_EQ(base.err, "");
  const auto given = run_canveg("run -q --model " + model + " --forcing " + shell_quote(s.forcing) +
                                    " --canopy-height 18 -o " + shell_quote(tall),
                                dir);
  ASSERT_EQ(given.exit_code, 0) << given.err;
  EXPECT_NE(given.err.find(": the canopy height given (veg_ht constant 18) is not used by this model: its "
                           "canopy is 0.8 m high"),
            std::string::npos)
      << given.err;
  EXPECT_EQ(read_text(tall), read_text(plain));
  std::string site = read_text(std::string(CANVEG_SOURCE_DIR) + "/examples/sites/US-Bi1.toml");
  site.replace(site.find("respiration = \"q10\""), 19, "respiration = \"alfalfa\"");
  site.replace(site.find("../../../shared/data"), 20, CANVEG_SHARED_DATA);
  const std::string alfalfa = dir.write("alfalfa.toml", site);
  const auto read = run_canveg("run -q --site " + shell_quote(alfalfa) + " --forcing " + shell_quote(s.forcing) +
                                   " --canopy-height 18 -o " + shell_quote(tall),
                               dir);
  ASSERT_EQ(read.exit_code, 0) << read.err;
  EXPECT_EQ(read.err.find("canopy height"), std::string::npos) << read.err;
}

// A forcing whose canopy height column is far from the model's canopy (here a US-Bi1 day with
// US-Hn1's 1.5 m, or US-Me2's 18 m, for US-Bi1's 0.8 m canopy) is warned about as possibly another
// site's; 1.1 m (within the factor 1.5 that US-Hn1's own forcing needs: 1.5 m for 1.2 m) is not.
TEST(CliRun, CanopyHeightColumnOfAnotherSiteIsWarnedAbout) {
  TempDir dir;
  const Slice s = one_day(dir);
  const std::string model = shell_quote(trained("US-Bi1_PB-1L-0.5.json"));
  const std::string text = read_text(s.forcing);
  // veg_ht is the second last column of the shared forcing: every row's value is replaced.
  ASSERT_NE(text.substr(0, text.find('\n')).find(",veg_ht,LAI"), std::string::npos) << text.substr(0, 200);
  const auto with_height = [&](const std::string& height) {
    std::istringstream lines(text);
    std::string line, changed;
    for (bool header = true; std::getline(lines, line); header = false) {
      if (!header) {
        const std::size_t last = line.rfind(','), before = line.rfind(',', last - 1);
        line = line.substr(0, before + 1) + height + line.substr(last);
      }
      changed += line + "\n";
    }
    return dir.write("forcing-" + height + ".csv", changed);
  };
  for (const std::string height : {"1.5", "18.0"}) {
    const auto r = run_canveg("run -q --model " + model + " --forcing " + shell_quote(with_height(height)) + " -o " +
                                  shell_quote(dir.file("out.csv")),
                              dir);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find(": the forcing's canopy height (veg_ht, median " + std::string(height == "1.5" ? "1.5" : "18") +
                         " m) is not that of the model's canopy (0.8 m high, site US-Bi1): is the forcing from the "
                         "model's site?"),
              std::string::npos)
        << r.err;
  }
  const auto near = run_canveg("run -q --model " + model + " --forcing " + shell_quote(with_height("1.1")) + " -o " +
                                   shell_quote(dir.file("out.csv")),
                               dir);
  ASSERT_EQ(near.exit_code, 0) << near.err;
  EXPECT_EQ(near.err.find("canopy height"), std::string::npos) << near.err;
}

// The example US-Bi1 site file in `dir` with its dispersion matrix at an absolute path and `more`
// appended (it ends in its [parameters] table); returns its path.
std::string us_bi1_site_file(const TempDir& dir, const std::string& matrix, const std::string& more = "") {
  std::string site = read_text(std::string(CANVEG_SOURCE_DIR) + "/examples/sites/US-Bi1.toml");
  const std::size_t at = site.find("matrix = ");
  EXPECT_NE(at, std::string::npos) << site;
  site.replace(at, site.find('\n', at) - at, "matrix = \"" + matrix + "\"");
  return dir.write("site.toml", site + "\n" + more);
}

// A dispersion matrix named for another site (--dij, or a site file's [dispersion] matrix) has the
// shape of the model's and would run without a word: it is warned about. The site's own matrix and
// a file whose name names no site are not.
TEST(CliRun, DispersionMatrixNamedForAnotherSiteIsWarnedAbout) {
  TempDir dir;
  const Slice s = one_day(dir);
  const std::string model = shell_quote(trained("US-Bi1_PB-1L-0.5.json"));
  const auto run_with = [&](const std::string& dij) {
    return run_canveg("run -q --model " + model + " --forcing " + shell_quote(s.forcing) + " --dij " +
                          shell_quote(dij) + " -o " + shell_quote(dir.file("out.csv")),
                      dir);
  };
  const auto other = run_with(shared_data("dij/Dij_US-Hn1_1L.csv"));
  ASSERT_EQ(other.exit_code, 0) << other.err;
  EXPECT_NE(other.err.find("Dij_US-Hn1_1L.csv: the dispersion matrix is named for US-Hn1, the model is US-Bi1's"),
            std::string::npos)
      << other.err;
  const auto own = run_with(shared_data("dij/Dij_US-Bi1_1L.csv"));
  ASSERT_EQ(own.exit_code, 0) << own.err;
  EXPECT_EQ(own.err.find("dispersion matrix"), std::string::npos) << own.err;
  const auto unnamed = run_with(dir.write("my-matrix.csv", read_text(shared_data("dij/Dij_US-Hn1_1L.csv"))));
  ASSERT_EQ(unnamed.exit_code, 0) << unnamed.err;
  EXPECT_EQ(unnamed.err.find("dispersion matrix"), std::string::npos) << unnamed.err;

  // The same check for a site file's matrix.
  const std::string site = us_bi1_site_file(dir, shared_data("dij/Dij_US-Me2_50L.csv"));
  const auto from_site = run_canveg("run -q --site " + shell_quote(site) + " --forcing " +
                                        shell_quote(s.forcing) + " -o " + shell_quote(dir.file("out.csv")),
                                    dir);
  ASSERT_EQ(from_site.exit_code, 0) << from_site.err;
  EXPECT_NE(from_site.err.find("Dij_US-Me2_50L.csv: the dispersion matrix is named for US-Me2, the model is US-Bi1's"),
            std::string::npos)
      << from_site.err;
}

// A forcing file, and a neural network's scaler files, named for another site are warned about:
// US-Bi1 and US-Hn1 share a time zone, so the sun check cannot tell their forcings apart, and a DNN
// run has no physics to check against at all.
TEST(CliRun, ForcingAndScalerFilesNamedForAnotherSiteAreWarnedAbout) {
  TempDir dir;
  const Slice s = one_day(dir);
  const std::string renamed = dir.write("US-Hn1-forcings-part.csv", read_text(s.forcing));
  const auto canveg_run = run_canveg("run -q --model " + shell_quote(trained("US-Bi1_PB-1L-0.5.json")) +
                                         " --forcing " + shell_quote(renamed) + " -o " + shell_quote(dir.file("out.csv")),
                                     dir);
  ASSERT_EQ(canveg_run.exit_code, 0) << canveg_run.err;
  EXPECT_NE(canveg_run.err.find("US-Hn1-forcings-part.csv: the forcing file is named for US-Hn1, the model is US-Bi1's"),
            std::string::npos)
      << canveg_run.err;
  const auto own = run_canveg("run -q --model " + shell_quote(trained("US-Bi1_PB-1L-0.5.json")) + " --forcing " +
                                  shell_quote(s.forcing) + " -o " + shell_quote(dir.file("out.csv")),
                              dir);
  ASSERT_EQ(own.exit_code, 0) << own.err;
  EXPECT_EQ(own.err.find("named for"), std::string::npos) << own.err;

  const auto dnn = run_canveg("run -q --model " + shell_quote(trained("US-Bi1_DNN_LE-GPP-0.5.json")) + " --forcing " +
                                  shell_quote(s.forcing) + " --scaler-forcing " +
                                  shell_quote(fluxtower("US-Hn1", "US-Hn1-forcings.csv")) + " --scaler-fluxes " +
                                  shell_quote(fluxtower("US-Hn1", "US-Hn1-fluxes.csv")) + " -o " +
                                  shell_quote(dir.file("dnn.csv")),
                              dir);
  ASSERT_EQ(dnn.exit_code, 0) << dnn.err;
  EXPECT_NE(dnn.err.find("US-Hn1-fluxes.csv: the file is named for US-Hn1, the neural network is US-Bi1's"),
            std::string::npos)
      << dnn.err;
}

// A matrix made by `canveg dij` for another canopy (an 18 m forest for the 0.8 m alfalfa of US-Bi1,
// with the same layers, so the shape check passes) is warned about; one made for the model's canopy
// is not.
TEST(CliRun, DispersionMatrixOfAnotherCanopyIsWarnedAbout) {
  TempDir dir;
  const Slice s = one_day(dir);
  const auto make = [&](const std::string& name, const std::string& heights) {
    const std::string path = dir.file(name);
    const auto r = run_canveg("dij -q " + heights + " --canopy-layers 1 --atmos-layers 50 --particles 2000 -o " +
                                  shell_quote(path),
                              dir);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return path;
  };
  const std::string forest = make("forest.csv", "--canopy-height 18 --measurement-height 34");
  const std::string own = make("alfalfa.csv", "--canopy-height 0.8 --measurement-height 5");
  const auto run_with = [&](const std::string& dij) {
    return run_canveg("run -q --model " + shell_quote(trained("US-Bi1_PB-1L-0.5.json")) + " --forcing " +
                          shell_quote(s.forcing) + " --dij " + shell_quote(dij) + " -o " + shell_quote(dir.file("o.csv")),
                      dir);
  };
  const auto wrong = run_with(forest);
  ASSERT_EQ(wrong.exit_code, 0) << wrong.err;
  EXPECT_NE(wrong.err.find(forest + ": the dispersion matrix was made for a canopy 18 m high measured at 34 m, the "
                                    "model's canopy is 0.8 m high measured at 5 m"),
            std::string::npos)
      << wrong.err;
  const auto right = run_with(own);
  ASSERT_EQ(right.exit_code, 0) << right.err;
  EXPECT_EQ(right.err.find("was made for a canopy"), std::string::npos) << right.err;
}

// The neural-network baseline: a humidity unit ten times off is warned about as for the physics
// (its network would see inputs it never saw), and the physics' options are refused, not ignored.
TEST(CliRun, NeuralNetworkRunChecksHumidityAndScalersAndRefusesPhysicsOptions) {
  TempDir dir;
  const std::string week = dir.write("forcing.csv", head_lines(fluxtower("US-Bi1", "US-Bi1-forcings-test.csv"), 7 * 48 + 1));
  const std::string run = "run -q --model " + shell_quote(trained("US-Bi1_DNN_LE-GPP-0.5.json")) + " --forcing " +
                          shell_quote(week) + " --scaler-forcing " + shell_quote(fluxtower("US-Bi1", "US-Bi1-forcings.csv")) +
                          " --scaler-fluxes " + shell_quote(fluxtower("US-Bi1", "US-Bi1-fluxes.csv")) + " -o " +
                          shell_quote(dir.file("dnn.csv"));
  const auto as_read = run_canveg(run, dir);
  ASSERT_EQ(as_read.exit_code, 0) << as_read.err;
  EXPECT_EQ(as_read.err.find("warning"), std::string::npos) << as_read.err;
  const auto hpa = run_canveg(run + " --units eair=hPa", dir);
  ASSERT_EQ(hpa.exit_code, 0) << hpa.err;
  EXPECT_NE(hpa.err.find("forcing.csv: the air never reaches 25 % relative humidity in 7 days"), std::string::npos)
      << hpa.err;
  // Scalers fitted on the record being predicted, or on a test period, are not the training data's.
  const std::string test_fluxes =
      dir.write("US-Bi1-fluxes-test.csv", head_lines(fluxtower("US-Bi1", "US-Bi1-fluxes-test.csv"), 7 * 48 + 1));
  const auto own_scalers = run_canveg("run -q --model " + shell_quote(trained("US-Bi1_DNN_LE-GPP-0.5.json")) +
                                          " --forcing " + shell_quote(week) + " --scaler-forcing " + shell_quote(week) +
                                          " --scaler-fluxes " + shell_quote(test_fluxes) +
                                          " -o " + shell_quote(dir.file("dnn.csv")),
                                      dir);
  ASSERT_EQ(own_scalers.exit_code, 0) << own_scalers.err;
  EXPECT_NE(own_scalers.err.find("--scaler-forcing is the forcing being predicted"), std::string::npos) << own_scalers.err;
  EXPECT_NE(own_scalers.err.find(test_fluxes + ": the scalers are fitted on a test period"), std::string::npos)
      << own_scalers.err;
  EXPECT_EQ(as_read.err.find("scalers"), std::string::npos) << as_read.err;
  // A network trained by canveg carries its scalers: replacing them is said.
  const std::string trained_dnn = dir.file("dnn.json");
  // (Its test period is its training period here: the test loss is in sample, which is said.)
  const auto training = run_canveg("train -q --family DNN --site-name US-Bi1 --forcing " + shell_quote(week) +
                                       " --observed " + shell_quote(test_fluxes) + " --test-forcing " + shell_quote(week) +
                                       " --test-observed " + shell_quote(test_fluxes) + " --epochs 1 --output " +
                                       shell_quote(trained_dnn),
                                   dir);
  ASSERT_EQ(training.exit_code, 0) << training.err;
  EXPECT_NE(training.err.find("336 of the 336 test half-hours (" + week + ") are training half-hours too"),
            std::string::npos)
      << training.err;
  const auto replaced = run_canveg("run -q --model " + shell_quote(trained_dnn) + " --forcing " + shell_quote(week) +
                                       " --scaler-forcing " + shell_quote(fluxtower("US-Bi1", "US-Bi1-forcings.csv")) +
                                       " --scaler-fluxes " + shell_quote(fluxtower("US-Bi1", "US-Bi1-fluxes.csv")) +
                                       " -o " + shell_quote(dir.file("dnn.csv")),
                                   dir);
  ASSERT_EQ(replaced.exit_code, 0) << replaced.err;
  EXPECT_NE(replaced.err.find(trained_dnn + " carries the scalers of its training data; --scaler-forcing and "
                                            "--scaler-fluxes replace them"),
            std::string::npos)
      << replaced.err;
  for (const std::string& option : {std::string("--independent"), "--dij " + shell_quote(shared_data("dij/Dij_US-Bi1_1L.csv"))}) {
    const auto refused = run_canveg(run + " " + option, dir);
    EXPECT_EQ(refused.exit_code, 1) << option;
    EXPECT_NE(refused.err.find("the neural-network baseline has no canopy turbulence or soil storage"), std::string::npos)
        << refused.err;
  }
}

// The forcing with its SW_IN_F column replaced by `shortwave(row, cells of the row `row + shift`)`.
std::string with_shortwave(const std::string& forcing_text, int shift, const std::function<std::string(const std::string&)>& value) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream in(forcing_text);
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> cells;
    std::istringstream row(line);
    for (std::string cell; std::getline(row, cell, ',');) cells.push_back(cell);
    rows.push_back(cells);
  }
  const std::size_t sw = std::find(rows[0].begin(), rows[0].end(), "SW_IN_F") - rows[0].begin();
  EXPECT_LT(sw, rows[0].size());
  const std::size_t n = rows.size() - 1;
  std::string out;
  for (std::size_t r = 0; r <= n; ++r) {
    std::vector<std::string> c = rows[r];
    if (r > 0) c[sw] = value(rows[1 + (r - 1 + n + static_cast<std::size_t>(shift + static_cast<int>(n))) % n][sw]);
    for (std::size_t k = 0; k < c.size(); ++k) out += (k ? "," : "") + c[k];
    out += "\n";
  }
  return out;
}

// A clock one hour off (daylight saving time kept all year) passes the night-and-day check but
// not the correlation with the sun: warned about, naming the shift. A shortwave column of zeros is
// called a failed sensor, not a clock many hours off.
TEST(CliRun, ShortwaveAnHourOffAllZeroOrAboveTheSunIsWarnedAbout) {
  TempDir dir;
  // A week: a day's radiation can match the sun an hour off by the weather alone.
  const std::string text = head_lines(fluxtower("US-Bi1", "US-Bi1-forcings-test.csv"), 7 * 48 + 1);
  const auto run_with = [&](const std::string& name, const std::string& forcing_text) {
    return run_canveg("run -q --model " + shell_quote(trained("US-Bi1_PB-1L-0.5.json")) + " --forcing " +
                          shell_quote(dir.write(name, forcing_text)) + " -o " + shell_quote(dir.file("out.csv")),
                      dir);
  };
  const auto same = [](const std::string& cell) { return cell; };
  const auto own = run_with("own.csv", with_shortwave(text, 0, same));
  ASSERT_EQ(own.exit_code, 0) << own.err;
  EXPECT_EQ(own.err.find("warning"), std::string::npos) << own.err;
  const auto hour_off = run_with("hour-off.csv", with_shortwave(text, 2, same));
  ASSERT_EQ(hour_off.exit_code, 0) << hour_off.err;
  EXPECT_NE(hour_off.err.find("hour-off.csv: the shortwave radiation matches the sun best 1 h later than the time stamps say"),
            std::string::npos)
      << hour_off.err;
  EXPECT_NE(hour_off.err.find("daylight saving time"), std::string::npos) << hour_off.err;
  const auto zeros = run_with("zeros.csv", with_shortwave(text, 0, [](const std::string&) { return std::string("0"); }));
  ASSERT_EQ(zeros.exit_code, 0) << zeros.err;
  EXPECT_NE(zeros.err.find("zeros.csv: the shortwave radiation never exceeds 0 W m-2 in 336 half-hours"), std::string::npos)
      << zeros.err;
  EXPECT_EQ(zeros.err.find("matches the sun best"), std::string::npos) << zeros.err;
  // Photosynthetically active radiation in umol m-2 s-1 (here the shortwave times 1.4, within the
  // shortwave's range) rises above the sun at the top of the atmosphere.
  const auto par = run_with("par.csv", with_shortwave(text, 0, [](const std::string& cell) {
                              return std::to_string(1.4 * std::stod(cell));
                            }));
  ASSERT_EQ(par.exit_code, 0) << par.err;
  EXPECT_NE(par.err.find("par.csv: the shortwave radiation exceeds what reaches the top of the atmosphere in"),
            std::string::npos)
      << par.err;
  EXPECT_NE(par.err.find("photosynthetically active radiation in umol m-2 s-1"), std::string::npos) << par.err;
  EXPECT_EQ(own.err.find("top of the atmosphere"), std::string::npos) << own.err;
  EXPECT_EQ(hour_off.err.find("top of the atmosphere"), std::string::npos) << hour_off.err;

  // Half an hour off (TIMESTAMP_START taken for the end) is told from the weather over a month.
  const std::string month = head_lines(fluxtower("US-Bi1", "US-Bi1-forcings-test.csv"), 31 * 48 + 1);
  const auto month_own = run_with("month.csv", with_shortwave(month, 0, same));
  ASSERT_EQ(month_own.exit_code, 0) << month_own.err;
  EXPECT_EQ(month_own.err.find("warning"), std::string::npos) << month_own.err;
  const auto half_hour = run_with("half-hour.csv", with_shortwave(month, -1, same));
  ASSERT_EQ(half_hour.exit_code, 0) << half_hour.err;
  EXPECT_NE(half_hour.err.find("half-hour.csv: the shortwave radiation matches the sun best 0.5 h earlier than the time "
                               "stamps say"),
            std::string::npos)
      << half_hour.err;
  EXPECT_NE(half_hour.err.find("TIMESTAMP_START as TIMESTAMP_END"), std::string::npos) << half_hour.err;
}

// A NetCDF file of fluxes (ALMA names: Qle, NEE) is read as observations: the run's own NetCDF
// output scored against the same run is perfect.
TEST(CliRun, NetcdfObservationsAreRead) {
  TempDir dir;
  const Slice s = one_day(dir);
  const std::string model = " --model " + shell_quote(trained("US-Bi1_PB-1L-0.5.json")) + " --forcing " + shell_quote(s.forcing);
  const std::string nc = dir.file("fluxes.nc");
  ASSERT_EQ(run_canveg("run -q" + model + " -o " + shell_quote(nc), dir).exit_code, 0);
  const auto r = run_canveg("run -q" + model + " --observed " + shell_quote(nc) + " -o " + shell_quote(dir.file("x.csv")), dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("LE   Qle               48    1.0000     0.000"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("NEE  NEE               48    1.0000     0.000"), std::string::npos) << r.out;
}

// run --observed scores gap-filled observations as JAX-CanVeg does, and says how many there are.
TEST(CliRun, ObservedGapsFilledForTheScoresAreCounted) {
  TempDir dir;
  const Slice s = one_day(dir);
  std::istringstream lines(read_text(s.observed));
  std::string line, edited;
  for (int row = 0; std::getline(lines, line); ++row) {
    // LE_F_MDS is the third column: blank it in the first 10 data rows.
    if (row >= 1 && row <= 10) {
      const std::size_t first = line.find(','), second = line.find(',', first + 1), third = line.find(',', second + 1);
      line = line.substr(0, second + 1) + line.substr(third);
    }
    edited += line + "\n";
  }
  ASSERT_EQ(read_text(s.observed).substr(0, 30), "TIMESTAMP_END,P_F,LE_F_MDS,LE_");
  const auto r = run_canveg("run -q --model " + shell_quote(trained("US-Bi1_PB-1L-0.5.json")) + " --forcing " +
                                shell_quote(s.forcing) + " --observed " + shell_quote(dir.write("gaps.csv", edited)) +
                                " -o " + shell_quote(dir.file("out.csv")),
                            dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("gaps.csv: 10 of the 48 LE_F_MDS values scored are gaps filled by linear interpolation"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(r.err.find("NEE_VUT_REF values scored"), std::string::npos) << r.err;
}

// An observed file covering more than the run (here two days, the run's day second) is matched by
// time stamp: the scores equal those against the run's own day; one that lacks a half-hour of the
// run is refused, naming it.
TEST(CliRun, LongerObservedFileIsMatchedByTimeStamp) {
  TempDir dir;
  const Slice s = one_day(dir);
  std::istringstream lines(head_lines(fluxtower("US-Bi1", "US-Bi1-fluxes-test.csv"), 97));
  std::string header, line;
  std::getline(lines, header);
  std::vector<std::string> rows;
  while (std::getline(lines, line)) rows.push_back(line);
  ASSERT_EQ(rows.size(), 96u);
  std::string two_days = header + "\n", missing_one = header + "\n";
  for (std::size_t i = 48; i < 96; ++i) two_days += rows[i] + "\n";
  for (std::size_t i = 0; i < 48; ++i) two_days += rows[i] + "\n";
  for (std::size_t i = 0; i < 96; ++i)
    if (i != 5) missing_one += rows[i] + "\n";
  const auto run_against = [&](const std::string& observed) {
    return run_canveg("run -q --model " + shell_quote(trained("US-Bi1_PB-1L-0.5.json")) + " --forcing " +
                          shell_quote(s.forcing) + " --observed " + shell_quote(observed) + " -o " +
                          shell_quote(dir.file("out.csv")),
                      dir);
  };
  const CommandResult same_day = run_against(s.observed);
  const CommandResult longer = run_against(dir.write("two-days.csv", two_days));
  ASSERT_EQ(same_day.exit_code, 0) << same_day.err;
  ASSERT_EQ(longer.exit_code, 0) << longer.err;
  EXPECT_NE(same_day.out.find("LE   LE_F_MDS          48"), std::string::npos) << same_day.out;
  EXPECT_EQ(longer.out, same_day.out);

  const std::string gap_file = dir.write("missing-one.csv", missing_one);
  const CommandResult missing = run_against(gap_file);
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find(gap_file + ": field 'TIMESTAMP_END': has no row for the half-hour ending '2020-07-01 02:30:00' (row 6 of"),
            std::string::npos)
      << missing.err;
}

// A site file's parameter that no canopy can have runs, with a warning naming the file and the
// parameter (also with -q).
TEST(CliRun, ImplausibleParameterOfASiteFileIsWarnedAbout) {
  TempDir dir;
  const Slice s = one_day(dir);
  // The example file ends in its [parameters] table.
  const std::string path = us_bi1_site_file(dir, shared_data("dij/Dij_US-Bi1_50L.csv"), "vcopt = -50.0\n");
  const auto r = run_canveg("run -q --site " + shell_quote(path) + " --forcing " + shell_quote(s.forcing) + " -o " +
                                shell_quote(dir.file("out.csv")),
                            dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("canveg: warning: " + path + ": parameter vcopt = -50 umol m-2 s-1 is not positive"),
            std::string::npos)
      << r.err;
}

// Observations in the opposite sign convention (NEE with uptake positive) give a warning from run
// --observed and from evaluate; the file as it is gives none.
TEST(CliRun, ObservedFluxOfTheOppositeSignIsWarnedAbout) {
  TempDir dir;
  const Slice s = one_day(dir);
  std::istringstream in(read_text(s.observed));
  std::string line, flipped;
  std::getline(in, line);
  flipped = line + "\n";
  std::vector<std::string> header;
  {
    std::istringstream h(line);
    for (std::string c; std::getline(h, c, ',');) header.push_back(c);
  }
  const std::size_t nee = std::find(header.begin(), header.end(), "NEE_VUT_REF") - header.begin();
  ASSERT_LT(nee, header.size());
  while (std::getline(in, line)) {
    std::vector<std::string> cells;
    std::istringstream row(line);
    for (std::string c; std::getline(row, c, ',');) cells.push_back(c);
    cells[nee] = cells[nee][0] == '-' ? cells[nee].substr(1) : "-" + cells[nee];
    for (std::size_t i = 0; i < cells.size(); ++i) flipped += (i ? "," : "") + cells[i];
    flipped += "\n";
  }
  const std::string observed = dir.write("flipped.csv", flipped), out = dir.file("out.csv");
  const std::string run = "run -q --model " + shell_quote(trained("US-Bi1_PB-1L-0.5.json")) + " --forcing " +
                          shell_quote(s.forcing) + " -o " + shell_quote(out) + " --observed ";
  const CommandResult plain = run_canveg(run + shell_quote(s.observed), dir);
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_EQ(plain.err.find("sign convention"), std::string::npos) << plain.err;
  const CommandResult warned = run_canveg(run + shell_quote(observed), dir);
  ASSERT_EQ(warned.exit_code, 0) << warned.err;
  EXPECT_NE(warned.err.find("warning: " + observed + ": the observed NEE (column NEE_VUT_REF) correlates with the "
                            "model's at r = -0."),
            std::string::npos)
      << warned.err;
  const CommandResult evaluated =
      run_canveg("evaluate -q --predicted " + shell_quote(out) + " --observed " + shell_quote(observed), dir);
  ASSERT_EQ(evaluated.exit_code, 0) << evaluated.err;
  EXPECT_NE(evaluated.err.find("opposite sign convention"), std::string::npos) << evaluated.err;
}

TEST(CliRun, ForcingFromAPipe) {
  TempDir dir;
  const Slice s = one_day(dir);
  const std::string model = shell_quote(trained("US-Bi1_PB-1L-0.5.json"));
  const std::string from_file = dir.file("file.csv"), from_pipe = dir.file("pipe.csv");
  ASSERT_EQ(run_canveg("run -q --model " + model + " --forcing " + shell_quote(s.forcing) + " -o " + shell_quote(from_file), dir)
                .exit_code,
            0);
  // A pipe is read once: the format is decided from its text, not by reopening it.
  const auto piped = [&](const std::string& input, const std::string& args) {
    const std::string err = dir.file("pipe.stderr");
    const int status = std::system(("cat " + shell_quote(input) + " | " + shell_quote(CANVEG_EXE) + " run -q --model " +
                                    model + " --forcing /dev/stdin " + args + " 2>" + shell_quote(err))
                                       .c_str());
    return std::pair<int, std::string>{WIFEXITED(status) ? WEXITSTATUS(status) : -1, read_text(err)};
  };
  const auto [code, err] = piped(s.forcing, "-o " + shell_quote(from_pipe));
  ASSERT_EQ(code, 0) << err;
  EXPECT_EQ(read_text(from_pipe), read_text(from_file));
  // netCDF-C cannot read a pipe: a clear error, no output.
  const std::string nc = dir.file("forcing.nc");
  ASSERT_EQ(run_canveg("convert --forcing " + shell_quote(s.forcing) + " --to alma -o " + shell_quote(nc), dir).exit_code, 0);
  const std::string never = dir.file("never.csv");
  const auto [nc_code, nc_err] =
      piped(nc, "--supplement " + shell_quote(dir.file("forcing-supplement.csv")) + " -o " + shell_quote(never));
  EXPECT_EQ(nc_code, 1);
  EXPECT_NE(nc_err.find("/dev/stdin: a NetCDF forcing must be a regular file"), std::string::npos) << nc_err;
  EXPECT_FALSE(std::filesystem::exists(never));
}

TEST(CliRun, OutputToStandardOutputOrAPipe) {
  // A device or descriptor is written directly: the atomic rename of a finished file would replace
  // /dev/stdout itself (as root), and "-" would be a file named "-".
  TempDir dir;
  const Slice s = one_day(dir);
  const std::string model = shell_quote(trained("US-Bi1_PB-1L-0.5.json"));
  const std::string file = dir.file("file.csv");
  ASSERT_EQ(run_canveg("run -q --model " + model + " --forcing " + shell_quote(s.forcing) + " -o " + shell_quote(file), dir)
                .exit_code,
            0);
  const std::string expected = read_text(file);
  for (const char* target : {"/dev/stdout", "-"}) {
    const CommandResult r = run_canveg("run -q --model " + model + " --forcing " + shell_quote(s.forcing) + " -o " + target, dir);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, expected) << target;
  }
  EXPECT_TRUE(std::filesystem::is_symlink("/dev/stdout"));
  EXPECT_FALSE(std::filesystem::exists(dir.file("-")));
  // NetCDF needs a file it can seek in: a name ending in .nc that links to a device is refused.
  const std::string device_nc = dir.file("device.nc");
  std::filesystem::create_symlink("/dev/null", device_nc);
  const CommandResult nc =
      run_canveg("run -q --model " + model + " --forcing " + shell_quote(s.forcing) + " -o " + shell_quote(device_nc), dir);
  EXPECT_EQ(nc.exit_code, 1);
  EXPECT_NE(nc.err.find("a NetCDF file cannot be written to a device or pipe"), std::string::npos) << nc.err;
  EXPECT_TRUE(std::filesystem::is_symlink(device_nc));
}

TEST(CliRun, NonFiniteOutputsAreReported) {
  TempDir dir;
  const std::string all = head_lines(fluxtower("US-Bi1", "US-Bi1-forcings.csv"), 10741);
  std::string window = all.substr(0, all.find('\n') + 1);
  std::size_t at = 0;
  for (int line = 0; line < 10701; ++line) at = all.find('\n', at) + 1;
  window += all.substr(at);
  const std::string forcing = dir.write("forcing.csv", window), out = dir.file("out.csv");
  const std::string model = shell_quote(trained("US-Bi1_PB-1L-0.5.json"));
  CommandResult r = run_canveg("run -q --model " + model + " --forcing " + shell_quote(forcing) + " --output " +
                                   shell_quote(out),
                               dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("warning: non-finite outputs in 1 of 40 half-hours, the first LE at 2019-02-09 07:30:00"),
            std::string::npos)
      << r.err;
  EXPECT_TRUE(std::isnan(output_column(out, "LE")[19]));
  // The NaN row and one before it (soil surface at 105 degC in a February night) are impossible
  // states; the second warning says that the first one's row is among them.
  EXPECT_NE(r.err.find("warning: 2 of 40 half-hours (the 1 with non-finite outputs among them) are in a physically "
                       "impossible state by their outputs"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("the first at 2019-02-09 06:30:00; --convergence flags them"), std::string::npos) << r.err;
  EXPECT_GT(output_column(out, "Tsoil_sfc")[17], 358.15);
  // The corrected formulation stays finite there: no warning.
  r = run_canveg("run -q --formulation corrected --model " + model + " --forcing " + shell_quote(forcing) +
                     " --output " + shell_quote(out),
                 dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
}

// The published JAX-CanVeg test-period metrics of one model are reproduced (US-Hn1, one canopy
// layer: 8784 half-hours in a few seconds).
TEST(CliRun, ReproducesReportedTestMetrics) {
  TempDir dir;
  const std::string model = trained("US-Hn1_PB-1L-0.5.json");
  const std::string observed = fluxtower("US-Hn1", "US-Hn1-fluxes-nonegle-test.csv");
  const std::string out = dir.file("fluxes.csv");
  const CommandResult r = run_canveg("run --quiet --model " + shell_quote(model) + " --forcing " +
                                         shell_quote(fluxtower("US-Hn1", "US-Hn1-forcings-test.csv")) +
                                         " --output " + shell_quote(out),
                                     dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;

  const ObservedFluxes obs = read_flux_csv(observed);
  const nlohmann::json reported = nlohmann::json::parse(read_text(model))["metrics"];
  for (const auto& [flux, series, key] :
       {std::tuple{"LE", &obs.LE, "LE-test"}, std::tuple{"NEE", &obs.NEE, "NEE-test"}}) {
    SCOPED_TRACE(flux);
    const std::vector<double> predicted = output_column(out, flux);
    const FitMetrics m = compute_metrics(predicted, *series);
    const nlohmann::json& ref = reported[key];
    EXPECT_EQ(m.n, 8784u);
    EXPECT_NEAR(m.nse, ref["nse"].get<double>(), 1e-4);
    EXPECT_NEAR(m.rmse, ref["rmse"].get<double>(), 1e-4 * ref["rmse"].get<double>());
    EXPECT_NEAR(m.kge, ref["kge"].get<double>(), 1e-4);
    // Our r2 is Pearson's r squared; the file's "cc" is r.
    EXPECT_NEAR(m.r2, std::pow(ref["cc"].get<double>(), 2), 1e-4);
    // The file's "r2" is scikit-learn's r2_score with predictions as the reference (metrics.cpp).
    double sse = 0, ss_p = 0, mean_p = 0;
    for (double p : predicted) mean_p += p / static_cast<double>(predicted.size());
    for (std::size_t i = 0; i < predicted.size(); ++i) {
      sse += std::pow((*series)[i] - predicted[i], 2);
      ss_p += std::pow(predicted[i] - mean_p, 2);
    }
    EXPECT_NEAR(1 - sse / ss_p, ref["r2"].get<double>(), 1e-3);
  }
}

// The same site described by a JAX-CanVeg configs.json and by our TOML file gives the same run in
// the same formulation (a configs.json is JAX-CanVeg's: jax; a site file defaults to corrected).
TEST(CliRun, JaxConfigAndSiteFileAgree) {
  TempDir dir;
  const Slice s = one_day(dir);
  const std::string config = dir.write(
      "configs.json",
      R"({"site name": "US-Bi1", "model configurations": {"time zone": -8, "latitude": 38.0991538,
          "longitude": -121.49933, "stomata type": 0, "leaf angle type": 0, "soil respiration module": 1,
          "canopy height": 0.8, "measurement height": 5.0, "soil depth": 0.15, "number of canopy layers": 50,
          "number of atmospheric layers": 50, "number of observed steps per day": 48,
          "number of solver iterations": 15, "dispersion matrix": ")" +
          shared_data("dij/Dij_US-Bi1_50L.csv") + R"("}})");
  const std::string a = dir.file("config.csv"), b = dir.file("site.csv");
  const CommandResult ra = run_canveg("run --quiet --config " + shell_quote(config) + " --forcing " +
                                          shell_quote(s.forcing) + " --output " + shell_quote(a),
                                      dir);
  ASSERT_EQ(ra.exit_code, 0) << ra.err;
  const CommandResult rb = run_canveg("run --quiet --formulation jax --site " +
                                          shell_quote(std::string(CANVEG_SOURCE_DIR) + "/examples/sites/US-Bi1.toml") +
                                          " --forcing " + shell_quote(s.forcing) + " --output " + shell_quote(b),
                                      dir);
  ASSERT_EQ(rb.exit_code, 0) << rb.err;
  EXPECT_EQ(read_text(a), read_text(b));
}
