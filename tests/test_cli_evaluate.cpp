// `canveg evaluate` end to end: observed columns under ALMA names with a quality flag, gaps skipped
// or interpolated, measured half-hours only, every score written as CSV, the KGE warning.
#include <gtest/gtest.h>

#include <cstdlib>
#include <sstream>
#include <string>

#include "canveg/output_io.hpp"
#include "io/csv_table.hpp"
#include "test_support.hpp"

namespace {

using canveg::test::run_canveg;
using canveg::test::shell_quote;

class CliEvaluate : public ::testing::Test {
 protected:
  canveg::test::TempDir dir_;
  std::string predicted_ = dir_.write("predicted.csv",
                                      "TIMESTAMP_END,LE,H,NEE,GPP,Rnet,G,Rsoil\n"
                                      "2020-07-01 00:30:00,10,1,2,0,5,1,1\n"
                                      "2020-07-01 01:00:00,20,2,-2,0,6,1,1\n"
                                      "2020-07-01 01:30:00,30,3,3,0,7,1,1\n"
                                      "2020-07-01 02:00:00,40,4,-3,0,8,1,1\n");
  // ALMA names; Qle's third value gap-filled (QC 2), its second missing; NEE of mean 0.
  std::string observed_ = dir_.write("observed.csv",
                                     "TIMESTAMP_END,Qle,Qle_QC,NEE\n"
                                     "2020-07-01 00:30:00,12,0,1\n"
                                     "2020-07-01 01:00:00,,0,-1\n"
                                     "2020-07-01 01:30:00,28,2,2\n"
                                     "2020-07-01 02:00:00,44,0,-2\n");

  canveg::io::CsvTable scores(const std::string& extra) {
    const std::string out = dir_.file("scores.csv");
    const auto r = run_canveg("evaluate --predicted " + shell_quote(predicted_) + " --observed " +
                                  shell_quote(observed_) + " --scores " + shell_quote(out) + " " + extra,
                              dir_);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    last_out_ = r.out;
    return canveg::io::CsvTable::read(out);
  }
  // The value of `column` in the row of `flux` over `period`.
  static std::string cell(const canveg::io::CsvTable& t, const std::string& flux, const std::string& period,
                          const std::string& column) {
    const auto text = [&](const char* c) { return t.text_column(*t.find_exact(c)); };
    const auto fluxes = text("flux"), periods = text("period"), values = t.text_column(*t.find_exact(column));
    for (std::size_t i = 0; i < fluxes.size(); ++i)
      if (fluxes[i] == flux && periods[i] == period) return values[i];
    return "(no row)";
  }
  std::string last_out_;
};

TEST_F(CliEvaluate, GapsAreSkippedByDefault) {
  const auto t = scores("");
  EXPECT_EQ(cell(t, "LE", "all", "observed_column"), "Qle");
  EXPECT_EQ(cell(t, "LE", "all", "unit"), "W m-2");
  EXPECT_EQ(cell(t, "LE", "all", "n"), "3");
  EXPECT_NEAR(std::stod(cell(t, "LE", "all", "bias")), -4.0 / 3.0, 1e-13);  // (-2 + 2 - 4) / 3
  EXPECT_NEAR(std::stod(cell(t, "LE", "all", "mae")), 8.0 / 3.0, 1e-13);    // (2 + 2 + 4) / 3
  EXPECT_EQ(cell(t, "H", "all", "n"), "(no row)");                 // not observed
  EXPECT_EQ(cell(t, "NEE", "all", "kge_unreliable"), "1");         // observed mean 0
  EXPECT_NE(last_out_.find("KGE unreliable"), std::string::npos) << last_out_;
}

// FLUXNET files may carry TIMESTAMP_START alone: the half-hour ending 30 minutes later, as the
// forcing reader takes it; one hour off is refused.
TEST_F(CliEvaluate, ObservationsStampedByTheirStart) {
  const std::string by_start = dir_.write("by-start.csv",
                                          "TIMESTAMP_START,Qle,NEE\n"
                                          "202007010000,12,1\n"
                                          "202007010030,,-1\n"
                                          "202007010100,28,2\n"
                                          "202007010130,44,-2\n");
  const auto r = run_canveg("evaluate -q --predicted " + shell_quote(predicted_) + " --observed " + shell_quote(by_start), dir_);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const std::string late = dir_.write("late.csv",
                                      "TIMESTAMP_START,Qle,NEE\n"
                                      "202007010030,12,1\n"
                                      "202007010100,,-1\n"
                                      "202007010130,28,2\n"
                                      "202007010200,44,-2\n");
  const auto off = run_canveg("evaluate -q --predicted " + shell_quote(predicted_) + " --observed " + shell_quote(late), dir_);
  EXPECT_EQ(off.exit_code, 1);
}

TEST_F(CliEvaluate, InterpolatedAsJaxCanVegOrMeasuredOnly) {
  // The gap filled halfway between 12 and 28: 20, equal to the prediction.
  auto t = scores("--interpolate-gaps");
  EXPECT_EQ(cell(t, "LE", "all", "n"), "4");
  EXPECT_NEAR(std::stod(cell(t, "LE", "all", "bias")), -1.0, 1e-13);  // (-2 + 0 + 2 - 4) / 4
  // Measured only: the QC-2 value leaves too (-q, the short form every command takes).
  t = scores("--qc-only -q");
  EXPECT_EQ(cell(t, "LE", "all", "n"), "2");
  EXPECT_NEAR(std::stod(cell(t, "LE", "all", "bias")), -3.0, 1e-13);  // (-2 - 4) / 2
  // NEE has no flag of its own: its scores keep every half-hour, and the command says so.
  EXPECT_EQ(cell(t, "NEE", "all", "n"), "4");
  const auto warned = run_canveg(
      "evaluate --predicted " + shell_quote(predicted_) + " --observed " + shell_quote(observed_) + " --qc-only -q", dir_);
  EXPECT_EQ(warned.exit_code, 0) << warned.err;
  EXPECT_NE(warned.err.find("warning: evaluate: --qc-only: " + observed_ +
                            " has no _QC column for NEE; their scores use every half-hour"),
            std::string::npos)
      << warned.err;
  const auto r = run_canveg("evaluate --predicted " + shell_quote(predicted_) + " --observed " + shell_quote(observed_) +
                                " --qc-only --interpolate-gaps",
                            dir_);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("--qc-only"), std::string::npos) << r.err;
  // Without any quality flag, measured-only would keep every value: refused.
  const std::string unflagged = dir_.write("unflagged.csv",
                                           "TIMESTAMP_END,Qle,NEE\n"
                                           "2020-07-01 00:30:00,12,1\n"
                                           "2020-07-01 01:00:00,18,-1\n"
                                           "2020-07-01 01:30:00,28,2\n"
                                           "2020-07-01 02:00:00,44,-2\n");
  const auto u = run_canveg(
      "evaluate --predicted " + shell_quote(predicted_) + " --observed " + shell_quote(unflagged) + " --qc-only", dir_);
  EXPECT_EQ(u.exit_code, 1);
  EXPECT_NE(u.err.find(unflagged + ":1: field '_QC'"), std::string::npos) << u.err;
  EXPECT_NE(u.err.find("e.g. Qle_QC"), std::string::npos) << u.err;
}

TEST_F(CliEvaluate, ScoresAreNotWrittenOverAnInput) {
  const auto r = run_canveg("evaluate --predicted " + shell_quote(predicted_) + " --observed " + shell_quote(observed_) +
                                " --scores " + shell_quote(observed_),
                            dir_);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("would overwrite the input"), std::string::npos) << r.err;
}

// The empirical benchmarks beside a real run (US-Hn1 PB-1L over its test period), fitted on the
// three other shared sites, and a verdict per flux.
TEST_F(CliEvaluate, BenchmarksOutOfSample) {
  const std::string forcing = canveg::test::fluxtower("US-Hn1", "US-Hn1-forcings-test.csv");
  const std::string observed = canveg::test::fluxtower("US-Hn1", "US-Hn1-fluxes-nonegle-test.csv");
  const std::string out = dir_.file("run.csv");
  ASSERT_EQ(run_canveg("run --quiet --model " + shell_quote(canveg::test::trained("US-Hn1_PB-1L-0.5.json")) +
                           " --forcing " + shell_quote(forcing) + " --output " + shell_quote(out),
                       dir_)
                .exit_code,
            0);
  const std::string scores = dir_.file("scores.csv");
  const auto r = run_canveg("evaluate --predicted " + shell_quote(out) + " --observed " + shell_quote(observed) +
                                " --forcing " + shell_quote(forcing) + " --site-name US-Hn1 --benchmark-data " +
                                shell_quote(CANVEG_SHARED_DATA) + " --scores " + shell_quote(scores),
                            dir_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const canveg::io::CsvTable t = canveg::io::CsvTable::read(scores);
  for (const char* model : {"1lin", "2lin", "3km27"})
    for (const char* flux : {"LE", "H", "NEE", "Rnet", "G"}) {
      bool found = false;
      const auto models = t.text_column(*t.find_exact("model")), fluxes = t.text_column(*t.find_exact("flux"));
      for (std::size_t i = 0; i < models.size(); ++i) found = found || (models[i] == model && fluxes[i] == flux);
      EXPECT_TRUE(found) << model << " " << flux;
    }
  EXPECT_NE(r.out.find("canveg: LE: "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("3km27 (NME "), std::string::npos) << r.out;
  const auto missing = run_canveg("evaluate --predicted " + shell_quote(out) + " --observed " + shell_quote(observed) +
                                      " --site-name US-Hn1",
                                  dir_);
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("give --forcing"), std::string::npos) << missing.err;
  EXPECT_EQ(r.err.find("named for"), std::string::npos) << r.err;

  // Another site's name would fit the benchmarks on US-Hn1 itself: the forcing's half-hours are
  // found in US-Hn1's files and the name is refused (a copy under another name is still found).
  const std::string renamed = dir_.write("US-Bi1-forcings-test.csv", canveg::test::read_text(forcing));
  const auto wrong = run_canveg("evaluate --predicted " + shell_quote(out) + " --observed " + shell_quote(observed) +
                                    " --forcing " + shell_quote(renamed) + " --site-name US-Bi1 --benchmark-data " +
                                    shell_quote(CANVEG_SHARED_DATA),
                                dir_);
  EXPECT_EQ(wrong.exit_code, 1);
  EXPECT_NE(wrong.err.find("the file is named for US-Hn1, but --site-name is US-Bi1"), std::string::npos) << wrong.err;
  EXPECT_NE(wrong.err.find("the site is named US-Bi1, but 100 % of the half-hours of " + renamed + " are US-Hn1's"),
            std::string::npos)
      << wrong.err;
  EXPECT_NE(wrong.err.find("give --site-name US-Hn1"), std::string::npos) << wrong.err;
}

// The HTML report: written atomically, self-contained (plots embedded), rendered by headless
// Chromium into a screenshot that is not blank, with its tables present in the rendered page.
TEST_F(CliEvaluate, ReportRendersInChromium) {
  if (std::system("command -v chromium >/dev/null 2>&1") != 0) GTEST_SKIP() << "chromium not installed";
  if (std::system("/usr/bin/python3 -c 'import matplotlib, pandas' >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "python3-matplotlib / python3-pandas not installed";
  const std::string forcing = dir_.write(
      "forcing.csv", canveg::test::head_lines(canveg::test::fluxtower("US-Hn1", "US-Hn1-forcings-test.csv"), 193));
  const std::string observed = dir_.write(
      "fluxes.csv", canveg::test::head_lines(canveg::test::fluxtower("US-Hn1", "US-Hn1-fluxes-nonegle-test.csv"), 193));
  const std::string out = dir_.file("run.csv"), report = dir_.file("report.html");
  ASSERT_EQ(run_canveg("run --quiet --model " + shell_quote(canveg::test::trained("US-Hn1_PB-1L-0.5.json")) +
                           " --forcing " + shell_quote(forcing) + " --output " + shell_quote(out),
                       dir_)
                .exit_code,
            0);
  const auto r = run_canveg("evaluate --predicted " + shell_quote(out) + " --observed " + shell_quote(observed) +
                                " --forcing " + shell_quote(forcing) + " --site-name US-Hn1 --benchmark-data " +
                                shell_quote(CANVEG_SHARED_DATA) + " --report " + shell_quote(report),
                            dir_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string page = canveg::test::read_text(report);
  EXPECT_NE(page.find("data:image/png;base64,"), std::string::npos);
  EXPECT_EQ(page.find("src='http"), std::string::npos) << "not self-contained";
  const std::string chromium = "chromium --headless --no-sandbox --disable-gpu --window-size=1400,2000 ";
  const std::string shot = dir_.file("report.png"), dom = dir_.file("dom.html");
  ASSERT_EQ(std::system((chromium + "--screenshot=" + shell_quote(shot) + " file://" + report + " >/dev/null 2>&1").c_str()), 0);
  ASSERT_EQ(std::system((chromium + "--dump-dom file://" + report + " > " + shell_quote(dom) + " 2>/dev/null").c_str()), 0);
  const std::string rendered = canveg::test::read_text(dom);
  EXPECT_NE(rendered.find("<table class=\"scores\""), std::string::npos);
  EXPECT_NE(rendered.find("Verdict against the empirical benchmarks"), std::string::npos);
  EXPECT_NE(rendered.find("LE:"), std::string::npos);
  // Not blank: the screenshot's pixels vary (a white page has standard deviation 0).
  const std::string stats = dir_.file("pixels.txt");
  ASSERT_EQ(std::system(("/usr/bin/python3 -c \"import matplotlib.image as m, sys; a = m.imread(sys.argv[1]); "
                         "print(a.shape[0], a.shape[1], float(a.std()))\" " + shell_quote(shot) + " > " + shell_quote(stats))
                            .c_str()),
            0);
  std::istringstream in(canveg::test::read_text(stats));
  int height = 0, width = 0;
  double spread = 0;
  in >> height >> width >> spread;
  EXPECT_EQ(width, 1400);
  EXPECT_GT(spread, 0.05);
}

}  // namespace
