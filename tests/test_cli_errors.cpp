// Runs the real `canveg` executable on bad input and checks that it fails cleanly: a non-zero exit
// status (2 for bad usage, 1 for bad input) and a message on stderr naming the file, the line and
// the field where that applies. None of these cases reaches the physics.
#include <algorithm>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "test_support.hpp"

using namespace canveg::test;

namespace {

const std::string kModel = "US-Bi1_PB-1L-0.5.json";  // 1 canopy layer: quick to load

class CliErrors : public ::testing::Test {
 protected:
  void SetUp() override {
    forcing_lines_ = head_lines(fluxtower("US-Bi1", "US-Bi1-forcings-test.csv"), 49);
    good_forcing_ = dir_.write("forcing.csv", forcing_lines_);
  }

  // The forcing text with `from` replaced by `to` once, starting the search at line `line`.
  std::string forcing_with(int line, const std::string& from, const std::string& to) const {
    std::string text = forcing_lines_;
    std::size_t pos = 0;
    for (int i = 1; i < line; ++i) pos = text.find('\n', pos) + 1;
    const std::size_t at = text.find(from, pos);
    EXPECT_NE(at, std::string::npos);
    return text.replace(at, from.size(), to);
  }

  std::string run_args(const std::string& forcing, const std::string& extra = "") const {
    return "run --model " + shell_quote(trained(kModel)) + " --forcing " + shell_quote(forcing) + " --output " +
           shell_quote(dir_.file("out.csv")) + " " + extra;
  }

  // Runs and checks: exit status, the error prefix, and each expected piece of the message.
  CommandResult expect_failure(const std::string& args, int exit_code, const std::vector<std::string>& pieces) {
    CommandResult r = run_canveg(args, dir_);
    EXPECT_EQ(r.exit_code, exit_code) << r.err;
    // One line starts with the error prefix (informational log lines and a usage hint may surround it).
    const std::size_t at = r.err.find("canveg: error: ");
    EXPECT_TRUE(at != std::string::npos && (at == 0 || r.err[at - 1] == '\n')) << r.err;
    for (const std::string& p : pieces) EXPECT_NE(r.err.find(p), std::string::npos) << "missing '" << p << "' in: " << r.err;
    // A failed run leaves neither an output file nor a temporary file behind.
    EXPECT_FALSE(std::filesystem::exists(dir_.file("out.csv")));
    for (const auto& e : std::filesystem::directory_iterator(dir_.path()))
      EXPECT_EQ(e.path().filename().string().find(".out.csv.tmp"), std::string::npos) << e.path();
    return r;
  }

  // Runs the model on the good forcing into `output` (a CSV, or NetCDF by its name).
  void run_good_forcing(const std::string& output) const {
    const CommandResult r = run_canveg(
        "run -q --model " + shell_quote(trained(kModel)) + " --forcing " + shell_quote(good_forcing_) + " -o " + shell_quote(output),
        dir_);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  TempDir dir_;
  std::string forcing_lines_, good_forcing_;
};

// A CSV text without its first column.
std::string without_first_column(const std::string& text) {
  std::string out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out += line.substr(line.find(',') + 1) + "\n";
  return out;
}

}  // namespace

TEST_F(CliErrors, MissingColumn) {
  std::string text = forcing_lines_;
  text.replace(text.find("TA_F"), 4, "Temp");
  const std::string path = dir_.write("bad.csv", text);
  expect_failure(run_args(path), 1, {path + ":1: field 'ta'", "1 forcing variable(s) missing", "a column named TA_F, Tair", "Temp"});
}

TEST_F(CliErrors, MisnamedColumn) {
  std::string text = forcing_lines_;
  text.replace(text.find("PA_F"), 4, "Pres");
  const std::string path = dir_.write("bad.csv", text);
  expect_failure(run_args(path), 1, {path + ":1: field 'pa'", "Pres"});
}

TEST_F(CliErrors, NonNumericCell) {
  const std::string path = dir_.write("bad.csv", forcing_with(5, ",0.8,", ",tall,"));
  expect_failure(run_args(path), 1, {path + ":5: field 'veg_ht'", "'tall' is not a number"});
}

TEST_F(CliErrors, EmptyCellGap) {
  const std::string path = dir_.write("bad.csv", forcing_with(7, ",0.8,", ",,"));
  expect_failure(run_args(path), 1, {path + ":7: field 'veg_ht'", "a gap (empty, NA or -9999) of 1 half-hour(s)", "--fill linear"});
}

TEST_F(CliErrors, NaNGap) {
  const std::string path = dir_.write("bad.csv", forcing_with(12, ",0.8,", ",NaN,"));
  expect_failure(run_args(path), 1, {path + ":12: field 'veg_ht'", "a gap (empty, NA or -9999)"});
}

TEST_F(CliErrors, PressureInHectopascal) {
  const std::string path = dir_.write("bad.csv", forcing_with(3, ",100.37,", ",1003.7,"));
  expect_failure(run_args(path), 1, {path + ":3: field 'PA_F'", "hPa"});
}

TEST_F(CliErrors, WrongDijRowCount) {
  std::string rows;
  for (int i = 0; i < 50; ++i) rows += "1.0e+00\n";
  const std::string dij = dir_.write("Dij.csv", rows);
  expect_failure(run_args(good_forcing_, "--dij " + shell_quote(dij)), 1,
                 {dij, "expected 51 x 1", "found 50 x 1"});
}

TEST_F(CliErrors, MalformedJson) {
  std::string text = read_text(trained(kModel));
  text.replace(text.find("\"setup\""), 7, "\"setup\" ::");
  const std::string path = dir_.write("model.json", text);
  std::string args = run_args(good_forcing_);
  args.replace(args.find(shell_quote(trained(kModel))), shell_quote(trained(kModel)).size(), shell_quote(path));
  const CommandResult r = expect_failure(args, 1, {path + ":", "malformed JSON", "line"});
}

TEST_F(CliErrors, IncompleteJson) {
  nlohmann::json j = nlohmann::json::parse(read_text(trained(kModel)));
  j["para"].erase("vcopt");
  const std::string path = dir_.write("model.json", j.dump(1));
  std::string args = run_args(good_forcing_);
  args.replace(args.find(shell_quote(trained(kModel))), shell_quote(trained(kModel)).size(), shell_quote(path));
  expect_failure(args, 1, {path, "field 'para.vcopt'", "missing"});
}

TEST_F(CliErrors, MissingModelFile) {
  expect_failure("run --model /nonexistent/model.json --forcing " + shell_quote(good_forcing_) + " --output " +
                     shell_quote(dir_.file("out.csv")),
                 1, {"/nonexistent/model.json", "cannot open"});
}

TEST_F(CliErrors, UnknownOption) { expect_failure(run_args(good_forcing_, "--fast"), 2, {"--fast"}); }

TEST_F(CliErrors, BadUsage) {
  expect_failure("", 2, {});                                          // no subcommand
  expect_failure("fly", 2, {});                                       // unknown subcommand
  expect_failure("run --model x.json --output o.csv", 2, {"--forcing"});  // missing required option
  expect_failure("run --forcing f.csv --output o.csv", 2, {"exactly one of --model, --site or --config"});
  expect_failure("run --model a.json --site b.toml --forcing f.csv --output o.csv", 2, {"excludes"});
  expect_failure(run_args(good_forcing_, "--threads -1"), 2, {"--threads"});
}

TEST_F(CliErrors, UnwritableOutputFailsBeforeReadingInputs) {
  // The forcing does not exist either: the output path must be the first thing reported.
  const CommandResult r =
      run_canveg("run --model " + shell_quote(trained(kModel)) +
                     " --forcing /nonexistent/forcing.csv --output /nonexistent/dir/out.csv",
                 dir_);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("canveg: error: /nonexistent/dir/out.csv"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("forcing.csv"), std::string::npos) << r.err;
}

// An output path that names an input (here through another spelling of the same path) is refused
// before anything is written, and the input is left as it was.
TEST_F(CliErrors, OutputOverAnInputIsRefused) {
  const std::string before = read_text(good_forcing_);
  const std::filesystem::path p(good_forcing_);
  const std::string same_file = (p.parent_path() / "." / p.filename()).string();
  const CommandResult r = run_canveg("run --model " + shell_quote(trained(kModel)) + " --forcing " +
                                         shell_quote(good_forcing_) + " --output " + shell_quote(same_file),
                                     dir_);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("the output would overwrite the input " + good_forcing_), std::string::npos) << r.err;
  EXPECT_EQ(read_text(good_forcing_), before);
  const CommandResult s = run_canveg("sensitivity --model " + shell_quote(trained(kModel)) + " --forcing " +
                                         shell_quote(good_forcing_) + " --observed " + shell_quote(good_forcing_) +
                                         " -o " + shell_quote(same_file),
                                     dir_);
  EXPECT_EQ(s.exit_code, 1) << s.err;
  EXPECT_NE(s.err.find("would overwrite the input"), std::string::npos) << s.err;
  EXPECT_EQ(read_text(good_forcing_), before);
}

// A variable given twice with different values in --units or --column would have one of them
// dropped without a word: refused, naming both.
TEST_F(CliErrors, ConflictingUnitsOrColumnsForOneVariableAreRefused) {
  expect_failure(run_args(good_forcing_, "--units ta=K --units ta=degC"), 1,
                 {"--units", "ta is given twice (ta=K and ta=degC): give it once"});
  expect_failure(run_args(good_forcing_, "--column ta=TA_F --column ta=TS_F_MDS_1"), 1,
                 {"--column", "ta is given twice (ta=TA_F and ta=TS_F_MDS_1)"});
}

// A unit declared for eair when the vapour pressure comes from a VPD column would do nothing.
TEST_F(CliErrors, EairUnitForAVpdForcingIsRefused) {
  const std::size_t at = forcing_lines_.find(",eair,");
  ASSERT_NE(at, std::string::npos) << forcing_lines_.substr(0, 300);
  std::string text = forcing_lines_;
  text.replace(at, 6, ",VPD_F,");
  const std::string vpd_forcing = dir_.write("vpd.csv", text);
  expect_failure(run_args(vpd_forcing, "--units eair=hPa"), 1,
                 {"--units eair=... declares the unit of an eair column, but the vapour pressure comes from column "
                  "VPD_F here; declare its unit with --units vpd=..."});
}

// The files the forcing options read (--lai FILE, --supplement FILE) are inputs too: run, train,
// sensitivity and convert refuse to write over them, and they stay as they were.
TEST_F(CliErrors, OutputOverALaiOrSupplementFileIsRefused) {
  std::istringstream lines(read_text(good_forcing_));
  std::string line, lai_text;
  std::getline(lines, line);
  const auto cells = [](const std::string& text) {
    std::vector<std::string> out;
    std::stringstream in(text);
    for (std::string cell; std::getline(in, cell, ',');) out.push_back(cell);
    return out;
  };
  const std::vector<std::string> header = cells(line);
  const auto at = [&](const std::string& name) {
    return static_cast<std::size_t>(std::find(header.begin(), header.end(), name) - header.begin());
  };
  const std::size_t time = at("TIMESTAMP_END"), lai = at("LAI");
  ASSERT_LT(time, header.size());
  ASSERT_LT(lai, header.size());
  lai_text = "TIMESTAMP_END,LAI\n";
  while (std::getline(lines, line))
    if (!line.empty()) lai_text += cells(line)[time] + "," + cells(line)[lai] + "\n";
  const std::string lai_file = dir_.write("lai.csv", lai_text);
  const std::string model = shell_quote(trained(kModel)), forcing = shell_quote(good_forcing_);
  for (const std::string& command :
       {"run --model " + model + " --forcing " + forcing + " --lai " + shell_quote(lai_file) + " --output " +
            shell_quote(lai_file),
        "run --model " + model + " --forcing " + forcing + " --supplement " + shell_quote(lai_file) + " --output " +
            shell_quote(lai_file),
        "train --model " + model + " --forcing " + forcing + " --observed " + forcing + " --lai " +
            shell_quote(lai_file) + " --output " + shell_quote(dir_.file("trained.json")) + " --history " +
            shell_quote(lai_file),
        "sensitivity --model " + model + " --forcing " + forcing + " --observed " + forcing + " --lai " +
            shell_quote(lai_file) + " -o " + shell_quote(lai_file),
        "convert --forcing " + forcing + " --lai " + shell_quote(lai_file) + " --to fullset --output " +
            shell_quote(lai_file)}) {
    const CommandResult r = run_canveg(command, dir_);
    EXPECT_EQ(r.exit_code, 1) << command << "\n" << r.err;
    EXPECT_NE(r.err.find("the output would overwrite the input " + lai_file), std::string::npos) << command << "\n"
                                                                                                  << r.err;
    EXPECT_EQ(read_text(lai_file), lai_text) << command;
  }
}

// The same file under a symbolic link or a hard link is the same file: refused, input intact.
TEST_F(CliErrors, OutputThroughALinkToAnInputIsRefused) {
  const std::string before = read_text(good_forcing_);
  const std::string symlink = dir_.file("link.csv"), hardlink = dir_.file("hard.csv");
  std::filesystem::create_symlink(good_forcing_, symlink);
  std::filesystem::create_hard_link(good_forcing_, hardlink);
  for (const std::string& output : {symlink, hardlink}) {
    const CommandResult r = run_canveg("run --model " + shell_quote(trained(kModel)) + " --forcing " +
                                           shell_quote(good_forcing_) + " --output " + shell_quote(output),
                                       dir_);
    EXPECT_EQ(r.exit_code, 1) << output << ": " << r.err;
    EXPECT_NE(r.err.find("would overwrite the input"), std::string::npos) << r.err;
    EXPECT_EQ(read_text(good_forcing_), before) << output;
  }
  const CommandResult c = run_canveg("convert --forcing " + shell_quote(good_forcing_) + " --to fullset --output " +
                                         shell_quote(hardlink),
                                     dir_);
  EXPECT_EQ(c.exit_code, 1) << c.err;
  EXPECT_EQ(read_text(good_forcing_), before);
}

// Past a file-size limit the write fails with a clear error and exit 1, and no file is left,
// temporary ones included (SIGXFSZ would otherwise kill the process with a partial file).
TEST_F(CliErrors, FileSizeLimitGivesAnErrorAndNoFile) {
  // 48 half-hours of 20 columns (about 10 KB) against a limit of 4 blocks of 512 bytes.
  const std::string err = dir_.file("limited.stderr");
  const std::string command = "ulimit -f 4; " + shell_quote(CANVEG_EXE) + " " + run_args(good_forcing_, "--quiet") +
                              " 2>" + shell_quote(err);
  const int status = std::system(("sh -c " + shell_quote(command)).c_str());
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 1);
  const std::string message = read_text(err);
  EXPECT_NE(message.find("file-size limit"), std::string::npos) << message;
  for (const auto& e : std::filesystem::directory_iterator(dir_.path()))
    EXPECT_EQ(e.path().filename().string().find("out.csv"), std::string::npos) << e.path();
}

TEST_F(CliErrors, ObservationsOfAnotherLength) {
  const std::string obs = dir_.write("obs.csv", head_lines(fluxtower("US-Bi1", "US-Bi1-fluxes-test.csv"), 30));
  expect_failure(run_args(good_forcing_, "--observed " + shell_quote(obs)), 1, {obs, "has 29 rows", "48"});
}

// A second column of a name the user picks (--column) or the observations are read by would leave
// which one is read to the column order: both files are refused, naming the two columns.
TEST_F(CliErrors, TwoColumnsOfOneNameAreRefusedEvenWhenChosen) {
  std::string text = forcing_lines_;
  text.replace(text.find(",TS_F_MDS_4,"), 12, ",TA_F,");
  const std::string twice = dir_.write("twice.csv", text);
  expect_failure(run_args(twice), 1, {"several columns could hold", "--column ta=TA_F"});
  expect_failure(run_args(twice, "--column ta=TA_F"), 1, {twice + ":1:", "two columns 'TA_F' (columns 5 and 12)"});

  std::string flux_text = head_lines(fluxtower("US-Bi1", "US-Bi1-fluxes-test.csv"), 49);
  flux_text.replace(flux_text.find(",LE_MODIS,"), 10, ",LE_F_MDS,");
  const std::string obs = dir_.write("obs.csv", flux_text);
  expect_failure(run_args(good_forcing_, "--observed " + shell_quote(obs)), 1,
                 {obs + ":1:", "two columns 'LE_F_MDS' (columns 3 and 4)"});
}

TEST_F(CliErrors, FilesWithoutTimeStampsAreNotMatchedByPosition) {
  // The observations without their TIMESTAMP_END column: a file moved by a row would go unnoticed.
  const std::string text = head_lines(fluxtower("US-Bi1", "US-Bi1-fluxes-test.csv"), 49);
  const std::string obs = dir_.write("obs.csv", without_first_column(text));
  expect_failure(run_args(good_forcing_, "--observed " + shell_quote(obs)), 1,
                 {obs + ": field 'TIMESTAMP_END'", "has no time stamps", good_forcing_, "add a TIMESTAMP_END column"});
  // evaluate: predictions without time stamps, and a forcing of other half-hours than the predictions'.
  const std::string with_stamps = dir_.write("obs-stamped.csv", text);
  const std::string predicted = dir_.file("predicted.csv");
  run_good_forcing(predicted);
  const std::string timeless_predicted = dir_.write("predicted-timeless.csv", without_first_column(read_text(predicted)));
  expect_failure("evaluate --predicted " + shell_quote(timeless_predicted) + " --observed " + shell_quote(with_stamps), 1,
                 {timeless_predicted + ": field 'TIMESTAMP_END'", "has no time stamps"});
  // The forcing 12 hours later (24 rows on) than the predictions: day and night would be swapped.
  std::string later = forcing_lines_.substr(0, forcing_lines_.find('\n') + 1);
  const std::string full = head_lines(fluxtower("US-Bi1", "US-Bi1-forcings-test.csv"), 73);
  std::istringstream fin(full);
  int row = 0;
  for (std::string line; std::getline(fin, line); ++row)
    if (row > 24) later += line + "\n";
  const std::string shifted = dir_.write("forcing-later.csv", later);
  expect_failure("evaluate --predicted " + shell_quote(predicted) + " --observed " + shell_quote(with_stamps) +
                     " --forcing " + shell_quote(shifted),
                 1, {shifted + ":2: field 'TIMESTAMP_END'", "differs from", predicted});
}

TEST_F(CliErrors, NonFiniteNumbersAreRefused) {
  // "nan" parses as a number, and NaN means "not given" for --le-weight: it chose the default.
  expect_failure(run_args(good_forcing_, "--converge nan"), 2, {"--converge: 'nan' is not a finite number"});
  const std::string obs = dir_.write("obs.csv", head_lines(fluxtower("US-Bi1", "US-Bi1-fluxes-test.csv"), 49));
  const std::string train = "train --model " + shell_quote(trained(kModel)) + " --forcing " + shell_quote(good_forcing_) +
                            " --observed " + shell_quote(obs) + " --epochs 1 --batch-size 16 -o " +
                            shell_quote(dir_.file("out.csv"));
  expect_failure(train + " --le-weight nan", 2, {"--le-weight: 'nan' is not a finite number"});
  expect_failure(train + " --learning-rate inf", 2, {"--learning-rate: 'inf' is not a finite number"});
  expect_failure(train + " --bounds vcopt=nan:300", 1, {"--bounds", "expected numbers", "vcopt=nan:300"});
  expect_failure("sensitivity --model " + shell_quote(trained(kModel)) + " --forcing " + shell_quote(good_forcing_) +
                     " --observed " + shell_quote(obs) + " --le-weight -nan",
                 2, {"--le-weight: '-nan' is not a finite number"});
}

TEST_F(CliErrors, ConvertRefusesAnOptionItWouldIgnore) {
  const std::string supplement = dir_.file("supplement.csv");
  expect_failure("convert --forcing " + shell_quote(good_forcing_) + " --to fullset -o " + shell_quote(dir_.file("out.csv")) +
                     " --supplement-output " + shell_quote(supplement),
                 1, {supplement + ": field '--supplement-output'", "only --to alma writes a supplement"});
  EXPECT_FALSE(std::filesystem::exists(supplement));
}

// ALMA's two outputs in one file (another spelling of the same path) are refused as such.
TEST_F(CliErrors, ConvertRefusesOneFileForBothOutputs) {
  const std::string output = dir_.file("forcing.nc");
  const std::string same = (std::filesystem::path(dir_.path()) / "." / "forcing.nc").string();
  expect_failure("convert --forcing " + shell_quote(good_forcing_) + " --to alma -o " + shell_quote(output) +
                     " --supplement-output " + shell_quote(same),
                 1, {same + ": field '--supplement-output'", "the supplement would be written to the --output file"});
  EXPECT_FALSE(std::filesystem::exists(output));
}

TEST_F(CliErrors, RadiationOfOtherHoursIsRefused) {
  // The day's shortwave moved by 8 hours (time stamps in UTC at a UTC-8 site look like this): it
  // shines at night where the model's sun is down.
  std::vector<std::string> lines;
  std::istringstream in(forcing_lines_);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  const auto cells = [](const std::string& line) {
    std::vector<std::string> out;
    std::istringstream row(line);
    for (std::string cell; std::getline(row, cell, ',');) out.push_back(cell);
    return out;
  };
  const std::vector<std::string> header = cells(lines[0]);
  const std::size_t sw = std::find(header.begin(), header.end(), "SW_IN_F") - header.begin();
  ASSERT_LT(sw, header.size());
  const std::size_t rows = lines.size() - 1;
  std::string shifted = lines[0] + "\n";
  for (std::size_t r = 0; r < rows; ++r) {
    std::vector<std::string> c = cells(lines[1 + r]);
    c[sw] = cells(lines[1 + (r + 16) % rows])[sw];
    for (std::size_t k = 0; k < c.size(); ++k) shifted += (k ? "," : "") + c[k];
    shifted += "\n";
  }
  const std::string forcing = dir_.write("forcing-shifted.csv", shifted);
  expect_failure(run_args(forcing), 1,
                 {forcing + ":", "field 'TIMESTAMP_END'", "does not follow the sun", "matches the sun best 8 h later",
                  "local standard time"});
}

// Air temperature of zeros makes the humidity look supersaturated: the message points at the
// temperature column, not at the humidity's unit.
TEST_F(CliErrors, ConstantAirTemperatureIsNamedInsteadOfAHumidityUnit) {
  std::istringstream in(forcing_lines_);
  std::string text, line;
  for (int row = 0; std::getline(in, line); ++row) {
    if (row > 0) {  // TA_F is the fifth column
      std::size_t at = 0;
      for (int comma = 0; comma < 4; ++comma) at = line.find(',', at) + 1;
      line = line.substr(0, at) + "0" + line.substr(line.find(',', at));
    }
    text += line + "\n";
  }
  ASSERT_EQ(forcing_lines_.substr(0, 39), "TIMESTAMP_END,Year,DoY,Hour,TA_F,SW_IN_");
  const std::string zeros = dir_.write("ta-zeros.csv", text);
  const CommandResult r = expect_failure(run_args(zeros), 1,
                                         {zeros + ":2: field 'eair'", "the air temperature (TA_F) is 0 degC in every row"});
  EXPECT_EQ(r.err.find("--units eair"), std::string::npos) << r.err;
}

TEST_F(CliErrors, EvaluateNeedsOutputColumns) {
  const std::string obs = dir_.write("obs.csv", head_lines(fluxtower("US-Bi1", "US-Bi1-fluxes-test.csv"), 49));
  expect_failure("evaluate --predicted " + shell_quote(good_forcing_) + " --observed " + shell_quote(obs), 1,
                 {good_forcing_ + ":1: field 'LE'", "no column 'LE'"});
  expect_failure("evaluate --predicted " + shell_quote(good_forcing_), 2, {"--observed"});
  // canveg's NetCDF output is not read back: a clear error rather than a CSV parse of binary.
  const std::string nc = dir_.file("predicted.nc");
  run_good_forcing(nc);
  expect_failure("evaluate --predicted " + shell_quote(nc) + " --observed " + shell_quote(obs), 1,
                 {nc + ": a NetCDF file: evaluate reads canveg's CSV output"});
}

TEST_F(CliErrors, HelpIsNotAnError) {
  const CommandResult r = run_canveg("run --help", dir_);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("--forcing"), std::string::npos);
}
