#include <cmath>
#include <limits>

#include <gtest/gtest.h>

#include "canveg/errors.hpp"
#include "canveg/observations.hpp"
#include "test_support.hpp"

using canveg::check_observed_values;
using canveg::InputError;
using canveg::interpolate_gaps;
using canveg::ObservedFluxes;
using canveg::read_flux_csv;
using namespace canveg::test;

namespace {
const double kNaN = std::numeric_limits<double>::quiet_NaN();
}

TEST(InterpolateGaps, InteriorGapsAreLinearInIndex) {
  std::vector<double> v = {1, kNaN, kNaN, 4, kNaN, 8};
  interpolate_gaps(v);
  EXPECT_DOUBLE_EQ(v[1], 2);
  EXPECT_DOUBLE_EQ(v[2], 3);
  EXPECT_DOUBLE_EQ(v[4], 6);
}

TEST(InterpolateGaps, EdgesTakeTheNearestValue) {
  std::vector<double> v = {kNaN, kNaN, 5, 7, kNaN};
  interpolate_gaps(v);
  EXPECT_EQ(v, (std::vector<double>{5, 5, 5, 7, 7}));
}

TEST(InterpolateGaps, DegenerateSeries) {
  std::vector<double> all_nan = {kNaN, kNaN};
  interpolate_gaps(all_nan);
  EXPECT_TRUE(std::isnan(all_nan[0]) && std::isnan(all_nan[1]));
  std::vector<double> one = {kNaN, 3, kNaN};
  interpolate_gaps(one);
  EXPECT_EQ(one, (std::vector<double>{3, 3, 3}));
  std::vector<double> empty;
  interpolate_gaps(empty);
  EXPECT_TRUE(empty.empty());
  std::vector<double> full = {1, 2};
  interpolate_gaps(full);
  EXPECT_EQ(full, (std::vector<double>{1, 2}));
}

TEST(FluxCsv, BouldinTestFile) {
  const ObservedFluxes o = read_flux_csv(fluxtower("US-Bi1", "US-Bi1-fluxes-test.csv"));
  EXPECT_EQ(o.size(), 26304u);
  EXPECT_EQ(o.le_column, "LE_F_MDS");
  EXPECT_EQ(o.nee_column, "NEE_VUT_REF");
  EXPECT_EQ(o.LE[0], -0.674524);
  EXPECT_EQ(o.NEE[1], 6.00288);
  EXPECT_EQ(o.H[0], 2.02855);
  EXPECT_EQ(o.G[0], -28.4763);
  EXPECT_EQ(o.Rnet[0], -51.032567);
  EXPECT_EQ(o.Rsoil[0], 1.26);
  EXPECT_TRUE(o.GPP.empty());  // no GPP column
  EXPECT_EQ(o.timestamp[0], "2020-07-01 00:00:00");
  for (double x : o.LE) ASSERT_TRUE(std::isfinite(x));
}

TEST(FluxCsv, HanfordNonegleFiles) {
  // US-Hn1 uses LE, H, G_5cm and FC; the first LE and H cells of the training file are empty and
  // take the first valid value (pandas limit_direction="both").
  const ObservedFluxes o = read_flux_csv(fluxtower("US-Hn1", "US-Hn1-fluxes-nonegle.csv"));
  EXPECT_EQ(o.size(), 18960u);
  EXPECT_EQ(o.le_column, "LE");
  EXPECT_EQ(o.nee_column, "FC");
  EXPECT_EQ(o.H[0], -5.60695238159182);
  EXPECT_EQ(o.G[0], -17.7486516666667);
  EXPECT_EQ(o.NEE[0], 0.529412709849432);
  EXPECT_TRUE(std::isfinite(o.LE[0]));
  // Rsoil is an all-empty column there: it stays NaN.
  ASSERT_EQ(o.Rsoil.size(), 18960u);
  EXPECT_TRUE(std::isnan(o.Rsoil[0]));
}

TEST(FluxCsv, AllFilesLoadWithoutGaps) {
  const std::pair<const char*, const char*> files[] = {
      {"US-Bi1", "US-Bi1-fluxes.csv"},         {"US-Hn1", "US-Hn1-fluxes.csv"},
      {"US-Hn1", "US-Hn1-fluxes-nonegle-test.csv"}, {"US-Me2", "US-Me2-fluxes-test.csv"},
      {"US-Whs", "US-Whs-fluxes.csv"},         {"US-Whs", "US-Whs-fluxes-test.csv"}};
  for (const auto& [site, file] : files) {
    SCOPED_TRACE(file);
    const ObservedFluxes o = read_flux_csv(fluxtower(site, file));
    ASSERT_EQ(o.LE.size(), o.size());
    ASSERT_EQ(o.NEE.size(), o.size());
    for (std::size_t i = 0; i < o.size(); ++i) ASSERT_TRUE(std::isfinite(o.LE[i]) && std::isfinite(o.NEE[i]));
  }
}

TEST(FluxCsv, GapsInterpolatedAndPriorityByName) {
  TempDir dir;
  // LE_F_MDS comes first in the file but "LE" has priority; FC beats NEE_VUT_REF; -9999 is a gap.
  const std::string csv =
      "TIMESTAMP_END,LE_F_MDS,NEE_VUT_REF,LE,FC\n"
      "t1,100,1,,5\n"
      "t2,100,1,10,NaN\n"
      "t3,100,1,,-9999\n"
      "t4,100,1,40,8\n"
      "t5,100,1,,\n";
  const ObservedFluxes o = read_flux_csv(dir.write("obs.csv", csv));
  EXPECT_EQ(o.le_column, "LE");
  EXPECT_EQ(o.nee_column, "FC");
  EXPECT_EQ(o.LE, (std::vector<double>{10, 10, 25, 40, 40}));
  EXPECT_EQ(o.NEE, (std::vector<double>{5, 6, 7, 8, 8}));
  EXPECT_TRUE(o.H.empty());
  EXPECT_EQ(o.timestamp[4], "t5");
}

TEST(FluxCsv, NonNumericCellIsAnError) {
  TempDir dir;
  const std::string path = dir.write("obs.csv", "LE_F_MDS,NEE_VUT_REF\n1,2\n3,high\n");
  try {
    read_flux_csv(path);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(e.line(), 3);
    EXPECT_EQ(e.field(), "NEE_VUT_REF");
  }
}

// Missing-value codes other than -9999 (and fluxes in another unit) are beyond what a tower
// measures: refused, naming the line, the column and the value, never scored or trained on.
TEST(FluxCsv, ValuesNoTowerMeasuresAreRefused) {
  TempDir dir;
  const std::string good = "TIMESTAMP_END,LE_F_MDS,H_F_MDS,NEE_VUT_REF\nt1,1490,-200,-95\nt2,-9999,,40\n";
  EXPECT_NO_THROW(read_flux_csv(dir.write("good.csv", good)));
  const struct {
    const char* text;
    long line;
    const char* field;
    const char* value;
  } cases[] = {{"TIMESTAMP_END,LE_F_MDS,NEE_VUT_REF\nt1,100,1\nt2,-6999,2\n", 3, "LE_F_MDS", "-6999 W m-2"},
               {"TIMESTAMP_END,LE_F_MDS,H_F_MDS,NEE_VUT_REF\nt1,100,9999,1\n", 2, "H_F_MDS", "9999 W m-2"},
               {"TIMESTAMP_END,LE,FC\nt1,100,1\nt2,100,-999\n", 3, "FC", "-999 umol m-2 s-1"}};
  for (const auto& c : cases) {
    try {
      read_flux_csv(dir.write("bad.csv", c.text));
      ADD_FAILURE() << c.text;
    } catch (const InputError& e) {
      EXPECT_EQ(e.line(), c.line) << c.text;
      EXPECT_EQ(e.field(), c.field) << c.text;
      EXPECT_NE(std::string(e.what()).find(std::string(c.value) + " is beyond what a flux tower measures"),
                std::string::npos)
          << e.what();
      EXPECT_NE(std::string(e.what()).find("a missing-value code?"), std::string::npos) << e.what();
    }
  }
}

// Observations given as numbers (the Python interface) get the file reader's checks: -9999 and
// non-finite values become gaps, a value no tower measures is refused naming the source, the flux
// and the row.
TEST(FluxCsv, ObservedNumbersGetTheFileChecks) {
  std::vector<double> le = {1490.0, -9999.0, std::numeric_limits<double>::infinity(), -200.0};
  check_observed_values("observed dict", "LE", le);
  EXPECT_EQ(le[0], 1490.0);
  EXPECT_TRUE(std::isnan(le[1]));
  EXPECT_TRUE(std::isnan(le[2]));
  EXPECT_EQ(le[3], -200.0);
  const struct {
    const char* flux;
    double value;
    const char* text;
  } cases[] = {{"LE", -6999.0, "-6999 W m-2"}, {"H", 9999.0, "9999 W m-2"}, {"NEE", -999.0, "-999 umol m-2 s-1"},
               {"GPP", 101.0, "101 umol m-2 s-1"}};
  for (const auto& c : cases) {
    std::vector<double> v = {1.0, 2.0, c.value, 3.0};
    try {
      check_observed_values("observed DataFrame", c.flux, v);
      ADD_FAILURE() << c.flux;
    } catch (const InputError& e) {
      EXPECT_EQ(e.file(), "observed DataFrame");
      EXPECT_EQ(e.field(), c.flux);
      EXPECT_NE(std::string(e.what()).find(std::string("row 2: ") + c.text + " is beyond what a flux tower measures"),
                std::string::npos)
          << e.what();
    }
  }
  std::vector<double> v = {1.0};
  EXPECT_THROW(check_observed_values("x", "Tair", v), InputError);
}

TEST(FluxCsv, NeitherLeNorNeeIsAnError) {
  TempDir dir;
  const std::string path = dir.write("obs.csv", "TIMESTAMP_END,H\nt,1\n");
  try {
    read_flux_csv(path);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("no observed LE column"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("TIMESTAMP_END, H"), std::string::npos);
  }
}

TEST(FluxCsv, AlignmentComparesInstantsNotSpellings) {
  TempDir dir;
  const ObservedFluxes o =
      read_flux_csv(dir.write("obs.csv", "TIMESTAMP_END,LE\n202007010000,1\n202007010030,2\n"));
  // The forcing reader writes its time stamps as YYYY-MM-DD HH:MM:SS.
  canveg::check_alignment(o, {"2020-07-01 00:00:00", "2020-07-01 00:30:00"}, "forcing.csv");
  try {
    canveg::check_alignment(o, {"2020-07-01 00:00:00", "2020-07-01 01:00:00"}, "forcing.csv");
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(e.line(), 3);
    EXPECT_NE(std::string(e.what()).find("differs from '2020-07-01 01:00:00'"), std::string::npos) << e.what();
  }
}
