// `canveg sensitivity` end to end: table on stdout, CSV with one row per parameter whose
// gradients equal the library's, and errors that name the file.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "../test_support.hpp"
#include "canveg/gradient.hpp"
#include "canveg/model_io.hpp"

namespace {

using namespace canveg;
using canveg::test::shell_quote;

TEST(SensitivityCommand, WritesOneRowPerParameterMatchingTheLibrary) {
  canveg::test::TempDir dir;
  const std::string model = canveg::test::trained("US-Hn1_PB-1L-0.5.json");
  const std::string forcing = canveg::test::fluxtower("US-Hn1", "US-Hn1-forcings-test.csv");
  const std::string observed = canveg::test::fluxtower("US-Hn1", "US-Hn1-fluxes-nonegle-test.csv");
  const std::string csv = dir.file("s.csv");
  const auto r = canveg::test::run_canveg("sensitivity --model " + shell_quote(model) + " --forcing " +
                                              shell_quote(forcing) + " --observed " + shell_quote(observed) +
                                              " --first-row 4800 --rows 96 --batch-size 48 --threads 2 -o " +
                                              shell_quote(csv),
                                          dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("elasticity"), std::string::npos);
  EXPECT_NE(r.out.find("rd25"), std::string::npos);

  // The library on the same rows.
  const Model<double> m = read_model_json(model).model;
  const ParameterSpace space(m);
  const ObservedFluxes all = read_flux_csv(observed);
  LossSpec loss;
  loss.scaler = standard_scaler(all);
  ObservedFluxes obs;
  obs.LE.assign(all.LE.begin() + 4800, all.LE.begin() + 4896);
  obs.NEE.assign(all.NEE.begin() + 4800, all.NEE.begin() + 4896);
  GradientOptions go;
  go.batch_size = 48;
  const LossGradient g = loss_and_gradient(m, space, read_forcing_csv(forcing).slice(4800, 4896), obs, loss, go);

  std::istringstream in(canveg::test::read_text(csv));
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "parameter,value,gradient,elasticity,used");
  std::size_t k = 0;
  while (std::getline(in, line)) {
    ASSERT_LT(k, space.size());
    std::istringstream row(line);
    std::string name, value, gradient;
    std::getline(row, name, ',');
    std::getline(row, value, ',');
    std::getline(row, gradient, ',');
    EXPECT_EQ(name, space.name(k));
    EXPECT_EQ(std::stod(gradient), g.gradient[k]) << name;
    ++k;
  }
  EXPECT_EQ(k, space.size());
}

TEST(SensitivityCommand, MismatchedObservationsAreAnErrorNamingTheFile) {
  canveg::test::TempDir dir;
  const std::string observed = canveg::test::fluxtower("US-Bi1", "US-Bi1-fluxes-test.csv");
  const auto r = canveg::test::run_canveg(
      "sensitivity --model " + shell_quote(canveg::test::trained("US-Hn1_PB-1L-0.5.json")) + " --forcing " +
          shell_quote(canveg::test::fluxtower("US-Hn1", "US-Hn1-forcings-test.csv")) + " --observed " +
          shell_quote(observed),
      dir);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("canveg: error: sensitivity:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(observed), std::string::npos) << r.err;
}

// The loss weight defaults to the one the model was trained with (w = 1.0 here: LE only), and
// --le-weight overrides it; the library with that weight gives the same loss.
TEST(SensitivityCommand, LossWeightDefaultsToTheModelsTrainingWeight) {
  canveg::test::TempDir dir;
  const std::string model = canveg::test::trained("US-Hn1_PB-1L-1.0.json");
  ASSERT_EQ(read_model_json(model).trained_le_weight, 1.0);
  const std::string forcing = canveg::test::fluxtower("US-Hn1", "US-Hn1-forcings-test.csv");
  const std::string observed = canveg::test::fluxtower("US-Hn1", "US-Hn1-fluxes-nonegle-test.csv");
  const std::string common = "sensitivity --model " + shell_quote(model) + " --forcing " + shell_quote(forcing) +
                             " --observed " + shell_quote(observed) + " --first-row 4800 --rows 48 --threads 1";
  const auto trained = canveg::test::run_canveg(common, dir);
  ASSERT_EQ(trained.exit_code, 0) << trained.err;
  EXPECT_NE(trained.out.find("= 1 MSE(LE) + 0 MSE(NEE)"), std::string::npos) << trained.out;
  EXPECT_EQ(trained.err.find("the record ends"), std::string::npos) << trained.err;
  // Rows asked for beyond the record's end are said to be missing.
  const auto past_end = canveg::test::run_canveg(
      "sensitivity --model " + shell_quote(model) + " --forcing " + shell_quote(forcing) + " --observed " +
          shell_quote(observed) + " --first-row 8760 --rows 48 --threads 1",
      dir);
  ASSERT_EQ(past_end.exit_code, 0) << past_end.err;
  EXPECT_NE(past_end.err.find("--rows 48 from row 8760: the record ends after 24 of them"), std::string::npos)
      << past_end.err;
  const auto half = canveg::test::run_canveg(common + " --le-weight 0.5", dir);
  ASSERT_EQ(half.exit_code, 0) << half.err;
  EXPECT_NE(half.out.find("= 0.5 MSE(LE) + 0.5 MSE(NEE)"), std::string::npos) << half.out;

  const Model<double> m = read_model_json(model).model;
  const ObservedFluxes all = read_flux_csv(observed);
  LossSpec loss;
  loss.le_weight = 1.0;
  loss.scaler = standard_scaler(all);
  ObservedFluxes obs;
  obs.LE.assign(all.LE.begin() + 4800, all.LE.begin() + 4848);
  obs.NEE.assign(all.NEE.begin() + 4800, all.NEE.begin() + 4848);
  GradientOptions go;
  go.keep_remainder = true;  // as the command: 48 rows, one short batch
  const double expected = loss_value(m, read_forcing_csv(forcing).slice(4800, 4848), obs, loss, go);
  char text[64];
  std::snprintf(text, sizeof text, "loss %.9g = 1 MSE(LE)", expected);
  EXPECT_NE(trained.out.find(text), std::string::npos) << trained.out << "\nexpected " << text;
}

// Reads the gradient column of a sensitivity CSV.
std::vector<double> gradient_column(const std::string& csv) {
  std::istringstream in(canveg::test::read_text(csv));
  std::string line;
  std::getline(in, line);
  std::vector<double> out;
  while (std::getline(in, line)) {
    std::istringstream row(line);
    std::string name, value, gradient;
    std::getline(row, name, ',');
    std::getline(row, value, ',');
    std::getline(row, gradient, ',');
    out.push_back(std::stod(gradient));
  }
  return out;
}

// A site TOML serves as the model, as for run and train, and --simd chooses how the forward part
// of the gradient is solved: each choice gives the library's gradient with that setting exactly,
// and lanes agree with one half-hour at a time to round-off.
TEST(SensitivityCommand, SiteFileAndSimdChoiceGiveTheLibrarysGradient) {
  canveg::test::TempDir dir;
  const std::string site = std::string(CANVEG_SOURCE_DIR) + "/examples/sites/US-Hn1.toml";
  const std::string forcing = canveg::test::fluxtower("US-Hn1", "US-Hn1-forcings-test.csv");
  const std::string observed = canveg::test::fluxtower("US-Hn1", "US-Hn1-fluxes-nonegle-test.csv");
  const std::string common = "sensitivity --site " + shell_quote(site) + " --forcing " + shell_quote(forcing) +
                             " --observed " + shell_quote(observed) + " --first-row 4800 --rows 48 --threads 1 -q";
  const LoadedModel loaded = read_site_toml(site);
  const ParameterSpace space(loaded.model);
  const ObservedFluxes all = read_flux_csv(observed);
  LossSpec loss;
  loss.le_weight = 0.5;  // a site file carries no training weight
  loss.scaler = standard_scaler(all);
  ObservedFluxes obs;
  obs.LE.assign(all.LE.begin() + 4800, all.LE.begin() + 4848);
  obs.NEE.assign(all.NEE.begin() + 4800, all.NEE.begin() + 4848);
  const ForcingRecord rows = read_forcing_csv(forcing).slice(4800, 4848);
  std::vector<std::vector<double>> by_setting;
  for (const std::string simd : {"off", "auto"}) {
    const std::string csv = dir.file("s-" + simd + ".csv");
    const auto r = canveg::test::run_canveg(common + " --simd " + simd + " -o " + shell_quote(csv), dir);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    GradientOptions go;
    go.simd = simd == "off" ? "" : simd;
    go.threads = 1;
    go.keep_remainder = true;  // as the command: 48 rows, one short batch
    const LossGradient g = loss_and_gradient(loaded.model, space, rows, obs, loss, go);
    const std::vector<double> from_command = gradient_column(csv);
    ASSERT_EQ(from_command.size(), space.size());
    for (std::size_t k = 0; k < space.size(); ++k) EXPECT_EQ(from_command[k], g.gradient[k]) << simd << " " << space.name(k);
    by_setting.push_back(from_command);
  }
  for (std::size_t k = 0; k < space.size(); ++k)
    EXPECT_NEAR(by_setting[1][k], by_setting[0][k], 1e-7 * (1.0 + std::abs(by_setting[0][k]))) << space.name(k);
}

TEST(SensitivityCommand, ExactlyOneOfModelOrSite) {
  canveg::test::TempDir dir;
  const std::string data = " --forcing " + shell_quote(canveg::test::fluxtower("US-Hn1", "US-Hn1-forcings-test.csv")) +
                           " --observed " + shell_quote(canveg::test::fluxtower("US-Hn1", "US-Hn1-fluxes-nonegle-test.csv"));
  const auto neither = canveg::test::run_canveg("sensitivity" + data, dir);
  EXPECT_EQ(neither.exit_code, 1);
  EXPECT_NE(neither.err.find("give exactly one of --model or --site"), std::string::npos) << neither.err;
  const auto both = canveg::test::run_canveg(
      "sensitivity --model " + shell_quote(canveg::test::trained("US-Hn1_PB-1L-0.5.json")) + " --site " +
          shell_quote(std::string(CANVEG_SOURCE_DIR) + "/examples/sites/US-Hn1.toml") + data,
      dir);
  EXPECT_NE(both.exit_code, 0);
  EXPECT_NE(both.err.find("excludes"), std::string::npos) << both.err;
}

}  // namespace

// Observations are aligned with the forcing row by row: a file whose first and last time stamps
// agree but one row in between does not (a shifted or spliced file) is refused, naming the line.
TEST(SensitivityCommand, ObservationsMisalignedInsideTheRecordAreAnError) {
  canveg::test::TempDir dir;
  const std::string forcing = canveg::test::fluxtower("US-Hn1", "US-Hn1-forcings-test.csv");
  std::istringstream in(canveg::test::read_text(canveg::test::fluxtower("US-Hn1", "US-Hn1-fluxes-nonegle-test.csv")));
  std::string text, line;
  // Line 101 of the file gets the time stamp of the line after it.
  std::vector<std::string> lines;
  while (std::getline(in, line)) lines.push_back(line);
  ASSERT_EQ(lines[0].substr(0, lines[0].find(',')), "TIMESTAMP_END");
  const std::string next_stamp = lines[101].substr(0, lines[101].find(','));
  lines[100] = next_stamp + lines[100].substr(lines[100].find(','));
  for (const std::string& l : lines) text += l + "\n";
  const std::string observed = dir.write("shifted-fluxes.csv", text);
  const auto r = canveg::test::run_canveg("sensitivity --model " +
                                              shell_quote(canveg::test::trained("US-Hn1_PB-1L-0.5.json")) +
                                              " --forcing " + shell_quote(forcing) + " --observed " + shell_quote(observed),
                                          dir);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(observed + ":101: field 'TIMESTAMP_END'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("differs from"), std::string::npos) << r.err;
}
