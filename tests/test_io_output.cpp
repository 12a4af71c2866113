#include <cmath>
#include <filesystem>
#include <limits>
#include <sstream>

#include <gtest/gtest.h>

#include "canveg/errors.hpp"
#include "io/csv_table.hpp"
#include "canveg/output_io.hpp"
#include "test_support.hpp"

using namespace canveg;
using namespace canveg::test;

namespace {

CanopyOutputs sample_outputs(std::size_t n) {
  CanopyOutputs o;
  o.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    o.LE[i] = 0.1 + static_cast<double>(i);
    o.NEE[i] = -1.0 / 3.0;
    o.zL[i] = 1e-300;
  }
  return o;
}

}  // namespace

TEST(OutputCsv, ColumnOrder) {
  const std::vector<std::string> cols = io::output_columns(false);
  const std::vector<std::string> expected = {"TIMESTAMP_END", "LE", "H", "NEE", "GPP", "Rnet", "G", "Rnet_top",
                                             "LE_veg", "LE_soil", "H_veg", "H_soil", "Rnet_veg", "Rnet_soil",
                                             "Rsoil", "Ps", "gs", "Tleaf", "Tsoil_sfc", "zL"};
  EXPECT_EQ(cols, expected);
  const std::vector<std::string> with_diag = io::output_columns(true);
  ASSERT_EQ(with_diag.size(), expected.size() + 5);
  EXPECT_EQ(with_diag[20], "leaf_closure");
  EXPECT_EQ(with_diag.back(), "aggregation_error");
}

TEST(OutputCsv, ValuesRoundTrip) {
  CanopyOutputs o = sample_outputs(2);
  o.H[1] = std::numeric_limits<double>::quiet_NaN();
  std::ostringstream s;
  io::write_outputs(s, {"2020-01-01 00:30:00", "2020-01-01 01:00:00"}, o, nullptr);
  const io::CsvTable t = io::CsvTable::parse(s.str(), "out.csv");
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t.rows()[0].cells[0], "2020-01-01 00:30:00");
  EXPECT_EQ(t.number(1, *t.find_exact("LE"), io::EmptyCell::Error), 1.1);
  EXPECT_EQ(t.number(0, *t.find_exact("NEE"), io::EmptyCell::Error), -1.0 / 3.0);  // shortest round trip
  EXPECT_EQ(t.number(0, *t.find_exact("zL"), io::EmptyCell::Error), 1e-300);
  EXPECT_EQ(t.rows()[1].cells[*t.find_exact("H")], "NaN");
}

TEST(OutputCsv, DiagnosticsAppended) {
  const CanopyOutputs o = sample_outputs(1);
  EnergyDiagnostics d;
  d.resize(1);
  d.column_closure[0] = 2.5;
  std::ostringstream s;
  io::write_outputs(s, {}, o, &d);
  const io::CsvTable t = io::CsvTable::parse(s.str(), "out.csv");
  EXPECT_EQ(t.header().size(), 25u);
  EXPECT_EQ(t.number(0, *t.find_exact("column_closure"), io::EmptyCell::Error), 2.5);
  EXPECT_EQ(t.rows()[0].cells[0], "");  // no time stamps
}

TEST(OutputCsv, TextIndependentOfWorkers) {
  // More rows than one group of chunks of any worker count here, and a partial last chunk.
  const std::size_t n = 40000 + 17;
  CanopyOutputs o = sample_outputs(n);
  for (std::size_t i = 0; i < n; ++i) o.H[i] = std::sin(static_cast<double>(i)) * 1e3;
  o.G[n - 1] = std::numeric_limits<double>::quiet_NaN();
  std::vector<std::string> stamps(n);
  for (std::size_t i = 0; i < n; ++i) stamps[i] = std::to_string(1000000 + i);
  std::ostringstream one;
  io::write_outputs(one, stamps, o, nullptr, nullptr, 1);
  const std::string expected = one.str();
  const io::CsvTable t = io::CsvTable::parse(expected, "out.csv");
  ASSERT_EQ(t.size(), n);
  EXPECT_EQ(t.rows()[n - 1].cells[0], stamps[n - 1]);
  EXPECT_EQ(t.number(12345, *t.find_exact("H"), io::EmptyCell::Error), std::sin(12345.0) * 1e3);
  for (int threads : {2, 3, 0}) {
    std::ostringstream s;
    io::write_outputs(s, stamps, o, nullptr, nullptr, threads);
    EXPECT_TRUE(s.str() == expected) << threads;
  }
}

TEST(OutputCsv, LengthMismatchIsAnError) {
  CanopyOutputs o = sample_outputs(2);
  o.gs.resize(1);
  std::ostringstream s;
  EXPECT_THROW(io::write_outputs(s, {}, o, nullptr), std::invalid_argument);
}

TEST(AtomicOutputFile, CommitReplacesTarget) {
  TempDir dir;
  const std::string target = dir.write("out.csv", "old contents\n");
  {
    io::AtomicOutputFile f(target);
    EXPECT_TRUE(std::filesystem::exists(f.temp_path()));
    f.stream() << "new contents\n";
    EXPECT_EQ(read_text(target), "old contents\n");  // untouched until commit
    f.commit();
  }
  EXPECT_EQ(read_text(target), "new contents\n");
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), {}), 1);  // no temp left
}

TEST(AtomicOutputFile, AbandonedWriteLeavesNothing) {
  TempDir dir;
  const std::string target = dir.file("out.csv");
  {
    io::AtomicOutputFile f(target);
    f.stream() << "partial";
  }
  EXPECT_FALSE(std::filesystem::exists(target));
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), {}), 0);
}

TEST(AtomicOutputFile, UnwritablePathsRejectedUpFront) {
  TempDir dir;
  try {
    io::AtomicOutputFile f("/nonexistent/dir/out.csv");
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(e.file(), "/nonexistent/dir/out.csv");
    EXPECT_NE(std::string(e.what()).find("does not exist"), std::string::npos);
  }
  EXPECT_THROW(io::AtomicOutputFile f(dir.path().string()), InputError);  // a folder
  EXPECT_THROW(io::AtomicOutputFile f(""), InputError);
}
