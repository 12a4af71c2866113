#include <algorithm>
#include <cmath>
#include <string>

#include <gtest/gtest.h>

#include "canveg/errors.hpp"
#include "canveg/forcing.hpp"
#include "test_support.hpp"

using canveg::ForcingRecord;
using canveg::InputError;
using canveg::read_forcing_csv;
using namespace canveg::test;

namespace {

const std::string kHeader =
    "TIMESTAMP_END,Year,DoY,Hour,TA_F,SW_IN_F,eair,WS_F,CO2_F_MDS,PA_F,USTAR,TS_F_MDS_4,SWC_F_MDS_1,veg_ht,LAI\n";
const std::string kRow1 = "2020-07-01 00:00:00,2020,183,0.0,12.71,0.0,1.0952244,0.24,490.474,100.35,0.061085,26.063,0.09467,0.8,2.15\n";
const std::string kRow2 = "2020-07-01 00:30:00,2020,183,0.5,13.59,0.0,1.1410015,1.415,465.409,100.37,0.102037,25.88,0.09433,0.8,2.1515625\n";

// Replaces the `col`-th cell (0-based) of a CSV row.
std::string with_cell(std::string row, int col, const std::string& value) {
  std::size_t start = 0;
  for (int i = 0; i < col; ++i) start = row.find(',', start) + 1;
  std::size_t end = row.find_first_of(",\n", start);
  return row.replace(start, end - start, value);
}

// Expects read_forcing_csv to fail on line/field with a message containing `text`.
void expect_error(const std::string& csv, long line, const std::string& field, const std::string& text,
                  const canveg::ForcingReadOptions& options = {}) {
  TempDir dir;
  const std::string path = dir.write("forcing.csv", csv);
  try {
    read_forcing_csv(path, options);
    FAIL() << "expected InputError for " << text;
  } catch (const InputError& e) {
    EXPECT_EQ(e.file(), path);
    EXPECT_EQ(e.line(), line) << e.what();
    EXPECT_EQ(e.field(), field) << e.what();
    EXPECT_NE(std::string(e.what()).find(text), std::string::npos) << e.what();
  }
}

}  // namespace

TEST(Forcing, AllSiteFilesLoad) {
  struct Case {
    const char* site;
    const char* file;
    std::size_t rows;
  };
  const Case cases[] = {{"US-Bi1", "US-Bi1-forcings.csv", 35088},    {"US-Bi1", "US-Bi1-forcings-test.csv", 26304},
                        {"US-Hn1", "US-Hn1-forcings.csv", 18960},    {"US-Hn1", "US-Hn1-forcings-test.csv", 8784},
                        {"US-Me2", "US-Me2-forcings-test.csv", 17568}, {"US-Whs", "US-Whs-forcings-test.csv", 17520}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.file);
    const ForcingRecord f = read_forcing_csv(fluxtower(c.site, c.file));
    EXPECT_EQ(f.size(), c.rows);
    for (const auto* v : {&f.year, &f.doy, &f.hour, &f.rg, &f.eair, &f.ws, &f.co2, &f.pa, &f.ustar, &f.ts, &f.swc,
                          &f.veg_ht, &f.lai, &f.ta})
      EXPECT_EQ(v->size(), c.rows);
    EXPECT_EQ(f.timestamp.size(), c.rows);
  }
}

TEST(Forcing, BouldinColumnsMapped) {
  const ForcingRecord f = read_forcing_csv(fluxtower("US-Bi1", "US-Bi1-forcings-test.csv"));
  EXPECT_EQ(f.timestamp[0], "2020-07-01 00:00:00");
  EXPECT_EQ(f.year[0], 2020);
  EXPECT_EQ(f.doy[0], 183);
  EXPECT_EQ(f.hour[1], 0.5);
  EXPECT_EQ(f.ta[0], 12.71);
  EXPECT_EQ(f.rg[0], 0.0);
  EXPECT_EQ(f.eair[0], 1.0952244);
  EXPECT_EQ(f.ws[0], 0.24);
  EXPECT_EQ(f.co2[0], 490.474);
  EXPECT_EQ(f.pa[0], 100.35);
  EXPECT_EQ(f.ustar[0], 0.061085);
  EXPECT_EQ(f.ts[0], 26.063);
  EXPECT_EQ(f.swc[0], 0.09467);
  EXPECT_EQ(f.veg_ht[0], 0.8);
  EXPECT_EQ(f.lai[1], 2.1515625);
}

TEST(Forcing, HanfordColumnsMappedAndNegativeRgKept) {
  // US-Hn1 uses Tair, Rg, WS_x, CO2, PA, Ustar, TS_15cm, SWC_15cm; its night Rg is negative,
  // which is accepted (the physics clips it, docs/model.md 2.1).
  const ForcingRecord f = read_forcing_csv(fluxtower("US-Hn1", "US-Hn1-forcings-test.csv"));
  EXPECT_EQ(f.ta[0], 18.936171);
  EXPECT_EQ(f.rg[0], -2.88159212333333);
  EXPECT_EQ(f.ws[0], 0.546944514015463);
  EXPECT_EQ(f.co2[0], 399.875127864198);
  EXPECT_EQ(f.pa[0], 99.7057343333333);
  EXPECT_EQ(f.ustar[0], 0.369480947190527);
  EXPECT_EQ(f.ts[0], 31.7093306666667);
  EXPECT_EQ(f.swc[0], 0.0532208116666667);
  EXPECT_EQ(f.veg_ht[0], 1.5);
  EXPECT_EQ(f.lai[0], 2.9999999999999996);
}

TEST(Forcing, AliasTiersDecideNotFileOrder) {
  TempDir dir;
  // Rg (tier 2) is taken over SW_IN (tier 4) whatever their order in the file.
  const std::string csv = "Year,DoY,Hour,Tair,SW_IN,Rg,eair,WS,CO2,PA,Ustar,TS,SWC,veg_ht,LAI\n"
                          "2020,1,0.5,10,111,222,1,2,400,100,0.3,10,0.2,1,2\n";
  const ForcingRecord f = read_forcing_csv(dir.write("f.csv", csv));
  EXPECT_EQ(f.rg[0], 222);
  // No time stamp column: the output time stamp is built from Year/DoY/Hour.
  ASSERT_EQ(f.timestamp.size(), 1u);
  EXPECT_EQ(f.timestamp[0], "2020-01-01 00:30:00");
}

TEST(Forcing, CrlfFile) {
  TempDir dir;
  std::string csv = kHeader + kRow1 + kRow2;
  std::string crlf;
  for (char c : csv) crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
  const ForcingRecord f = read_forcing_csv(dir.write("f.csv", crlf));
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f.lai[1], 2.1515625);
  EXPECT_EQ(f.timestamp[1], "2020-07-01 00:30:00");
}

TEST(Forcing, Slice) {
  TempDir dir;
  const ForcingRecord f = read_forcing_csv(dir.write("f.csv", kHeader + kRow1 + kRow2));
  const ForcingRecord s = f.slice(1, 2);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s.ta[0], 13.59);
  EXPECT_EQ(s.lai[0], 2.1515625);
  EXPECT_EQ(s.timestamp[0], "2020-07-01 00:30:00");
  EXPECT_EQ(s.source, f.source);
  EXPECT_EQ(f.slice(0, 0).size(), 0u);
  EXPECT_THROW(f.slice(1, 3), std::out_of_range);
}

TEST(ForcingErrors, EveryMissingColumnAtOnce) {
  std::string header = kHeader;
  header.replace(header.find("TA_F"), 4, "Temp");  // no exact alias of ta
  header.replace(header.find("USTAR"), 5, "U_STAR");
  header.replace(header.find("LAI"), 3, "LAI_NDVI");
  const std::string csv = header + kRow1;
  expect_error(csv, 1, "ta, ustar, lai", "3 forcing variable(s) missing");
  expect_error(csv, 1, "ta, ustar, lai", "a column named TA_F, Tair, TA_F_MDS or TA");
  expect_error(csv, 1, "ta, ustar, lai", "a column named LAI, or --lai VALUE");
  expect_error(csv, 1, "ta, ustar, lai", "The header has: TIMESTAMP_END, Year, DoY, Hour, Temp");
}

TEST(ForcingErrors, BadCells) {
  expect_error(kHeader + kRow1 + with_cell(kRow2, 4, "warm"), 3, "TA_F", "'warm' is not a number");
  expect_error(kHeader + kRow1 + with_cell(kRow2, 6, ""), 3, "eair", "a gap (empty, NA or -9999) of 1 half-hour");
  expect_error(kHeader + with_cell(kRow1, 7, "NaN"), 2, "WS_F", "--fill linear --max-gap N");
  expect_error(kHeader + with_cell(kRow1, 8, "inf"), 2, "CO2_F_MDS", "not finite");
  expect_error(kHeader + with_cell(kRow1, 4, "-9999"), 2, "TA_F", "a gap (empty, NA or -9999)");
}

TEST(ForcingErrors, ImplausibleValuesNameTheLikelyUnit) {
  expect_error(kHeader + with_cell(kRow1, 9, "1003.5"), 2, "PA_F", "this looks like hPa: declare it with --units pa=hPa");
  expect_error(kHeader + with_cell(kRow1, 9, "100350"), 2, "PA_F", "this looks like Pa");
  expect_error(kHeader + with_cell(kRow1, 9, "10"), 2, "PA_F", "outside 30..120 kPa");
  expect_error(kHeader + with_cell(kRow1, 12, "9.467"), 2, "SWC_F_MDS_1", "this looks like %");
  expect_error(kHeader + with_cell(kRow1, 12, "-0.1"), 2, "SWC_F_MDS_1", "outside 0..1 m3 m-3");
  expect_error(kHeader + with_cell(kRow1, 14, "-0.5"), 2, "LAI", "outside 0..20 m2 m-2");
  expect_error(kHeader + with_cell(kRow1, 4, "285.86"), 2, "TA_F", "this looks like K: declare it with --units ta=K");
  expect_error(kHeader + with_cell(kRow1, 11, "299.2"), 2, "TS_F_MDS_4", "this looks like K");
  expect_error(kHeader + with_cell(kRow1, 5, "2500"), 2, "SW_IN_F", "outside -100..1500 W m-2");
  expect_error(kHeader + with_cell(kRow1, 7, "80"), 2, "WS_F", "outside 0..75 m s-1");
  expect_error(kHeader + with_cell(kRow1, 8, "0.49"), 2, "CO2_F_MDS", "outside 100..3000 umol mol-1");
  expect_error(kHeader + with_cell(kRow1, 10, "-0.2"), 2, "USTAR", "outside 0..12 m s-1");
  expect_error(kHeader + with_cell(kRow1, 13, "800"), 2, "veg_ht", "outside 0..150 m");
  // Vapour pressure is judged against saturation at the row's air temperature: hPa in humid air
  // (10.95 "kPa" at 12.7 degC, 7.5 es) and Pa in one row are both caught.
  expect_error(kHeader + with_cell(kRow1, 6, "10.952244"), 2, "eair", "this looks like hPa: declare it with --units eair=hPa");
  expect_error(kHeader + kRow1 + with_cell(kRow2, 6, "1141.0015"), 3, "eair", "this looks like Pa");
}

TEST(ForcingErrors, TimeAxisIsChecked) {
  expect_error(kHeader + with_cell(kRow1, 3, "25"), 2, "Hour", "outside 0..24");
  expect_error(kHeader + with_cell(kRow1, 2, "0"), 2, "DoY", "outside 1..366");
  expect_error(kHeader + with_cell(kRow1, 2, "367"), 2, "DoY", "outside 1..366");
  // The time stamp and Year/DoY/Hour must describe the same end of the half-hour.
  expect_error(kHeader + with_cell(kRow1, 3, "0.5"), 2, "Hour", "say the half-hour ends at 2020-07-01 00:30:00");
  expect_error(kHeader + with_cell(kRow1, 0, "2020-07-01 00:10"), 2, "Hour", "ends at 2020-07-01 00:00:00");
  expect_error(kHeader + with_cell(kRow1, 0, "2020-02-30 00:00:00"), 2, "TIMESTAMP_END", "not a time stamp");
  // Duplicates, gaps and rows out of order.
  expect_error(kHeader + kRow1 + kRow1, 3, "TIMESTAMP_END", "appears twice (lines 2 and 3)");
  const std::string row3 = "2020-07-01 01:00:00,2020,183,1.0,13.0,0.0,1.1,1.0,460,100.4,0.1,25.8,0.094,0.8,2.15\n";
  const std::string row4 = "2020-07-01 01:30:00,2020,183,1.5,13.0,0.0,1.1,1.0,460,100.4,0.1,25.8,0.094,0.8,2.15\n";
  expect_error(kHeader + kRow1 + kRow2 + row4, 4, "TIMESTAMP_END", "a gap of 1 missing half-hour(s)");
  expect_error(kHeader + kRow1 + row3 + kRow2 + row4, 4, "TIMESTAMP_END",
               "rows out of order: the half-hour ending 2020-07-01 00:30:00 is on line 4");
  expect_error(kHeader + kRow1 + kRow2 + kRow1 + kRow2, 4, "TIMESTAMP_END", "rows out of order");
  // An hourly file is not a half-hourly one.
  expect_error(kHeader + kRow1 + row3, 3, "TIMESTAMP_END", "needs a 30-minute step");
  // Stamps at a quarter past mark the middle of half-hours (or a clock 15 minutes off).
  const auto without_ydh = [](const std::string& row) {
    const std::size_t first = row.find(','), fourth = row.find(',', row.find(',', row.find(',', first + 1) + 1) + 1);
    return row.substr(0, first) + row.substr(fourth);
  };
  const std::string header = without_ydh(kHeader);
  expect_error(header + with_cell(without_ydh(kRow1), 0, "2020-07-01 00:15:00") +
                   with_cell(without_ydh(kRow2), 0, "2020-07-01 00:45:00"),
               2, "TIMESTAMP_END", "2020-07-01 00:15:00 does not end on the hour or at half past");
}

TEST(Forcing, HourTwentyFourEndsTheDay) {
  TempDir dir;
  // Without time stamps, hour 24 of day 183 is 00:00 of day 184; the next row is 00:30 of 184.
  const std::string csv = "Year,DoY,Hour,TA_F,SW_IN_F,eair,WS_F,CO2_F_MDS,PA_F,USTAR,TS_F_MDS_4,SWC_F_MDS_1,veg_ht,LAI\n"
                          "2020,183,23.5,12,0,1.0,1,400,100,0.2,25,0.1,0.8,2\n"
                          "2020,183,24,12,0,1.0,1,400,100,0.2,25,0.1,0.8,2\n"
                          "2020,184,0.5,12,0,1.0,1,400,100,0.2,25,0.1,0.8,2\n"
                          "2020,366,24,12,0,1.0,1,400,100,0.2,25,0.1,0.8,2\n";
  const std::string path = dir.write("f.csv", csv);
  try {
    read_forcing_csv(path);
    FAIL() << "the jump to day 366 must be refused";
  } catch (const InputError& e) {
    EXPECT_EQ(e.line(), 5);
  }
  const ForcingRecord f = read_forcing_csv(dir.write("g.csv", csv.substr(0, csv.rfind("2020,366"))));
  ASSERT_EQ(f.size(), 3u);
  EXPECT_EQ(f.timestamp[1], "2020-07-02 00:00:00");
  EXPECT_EQ(f.doy[1], 184);
  EXPECT_EQ(f.hour[1], 0.0);
  EXPECT_EQ(f.hour[2], 0.5);
}

TEST(Forcing, LookAlikeColumnsAreNeverTaken) {
  TempDir dir;
  // FLUXNET files carry TAU, TA_F_QC, SW_IN_POT and satellite LAI_NDVI beside the real columns;
  // placed first, they used to be read as air temperature, radiation and LAI.
  const std::string header =
      "TIMESTAMP_END,TAU,TA_F_QC,Year,DoY,Hour,TA_F,SW_IN_POT,SW_IN_F,eair,WS_F,CO2_F_MDS,PA_F,USTAR,TS_F_MDS_4,"
      "SWC_F_MDS_1,veg_ht,LAI_NDVI,LAI\n";
  const std::string row = "2020-07-01 00:00:00,0.3,1,2020,183,0.0,12.71,900,0.0,1.0952244,0.24,490.474,100.35,0.061085,"
                          "26.063,0.09467,0.8,0.5,2.15\n";
  const ForcingRecord f = read_forcing_csv(dir.write("f.csv", header + row));
  EXPECT_EQ(f.ta[0], 12.71);
  EXPECT_EQ(f.rg[0], 0.0);
  EXPECT_EQ(f.lai[0], 2.15);
  const std::vector<std::string> lines = canveg::describe_forcing_sources(f);
  EXPECT_NE(std::find(lines.begin(), lines.end(), "ta <- TA_F [degC]"), lines.end());
  EXPECT_NE(std::find(lines.begin(), lines.end(), "rg <- SW_IN_F [W m-2]"), lines.end());
}

TEST(Forcing, AmbiguousDepthsNeedAChoice) {
  TempDir dir;
  const std::string header = "TIMESTAMP_END,TA_F,SW_IN_F,eair,WS_F,CO2_F_MDS,PA_F,USTAR,TS_F_MDS_1,TS_F_MDS_2,"
                             "SWC_F_MDS_1,veg_ht,LAI\n";
  const std::string row = "202007010030,12.7,0,1.1,1,400,100,0.2,20.5,18.25,9.5,0.8,2\n";
  const std::string path = dir.write("f.csv", header + row);
  try {
    read_forcing_csv(path);
    FAIL() << "two soil temperatures must be refused";
  } catch (const InputError& e) {
    EXPECT_EQ(e.field(), "ts");
    EXPECT_NE(std::string(e.what()).find("TS_F_MDS_1 and TS_F_MDS_2"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("--column ts=TS_F_MDS_1"), std::string::npos) << e.what();
  }
  canveg::ForcingReadOptions options;
  options.columns = {{"ts", "TS_F_MDS_2"}};
  const ForcingRecord f = read_forcing_csv(path, options);
  EXPECT_EQ(f.ts[0], 18.25);
  // A YYYYMMDDHHMM time stamp marks a FLUXNET file: SWC in percent.
  EXPECT_DOUBLE_EQ(f.swc[0], 0.095);
  EXPECT_EQ(f.timestamp[0], "2020-07-01 00:30:00");
  EXPECT_EQ(f.doy[0], 183);
  EXPECT_EQ(f.hour[0], 0.5);
  options.columns = {{"ts", "TS_F_MDS_9"}};
  EXPECT_THROW(read_forcing_csv(path, options), InputError);
}

TEST(ForcingErrors, OneColumnForTwoVariables) {
  // The soil temperature named as the air temperature while ts still takes it from its alias.
  canveg::ForcingReadOptions options;
  options.columns = {{"ta", "TS_F_MDS_4"}};
  expect_error(kHeader + kRow1, 1, "TS_F_MDS_4", "the column is read as both ta and ts", options);
}

// FLUXNET files of every year are recognised by their twelve-digit time stamps. Read as one int,
// the stamp overflowed: undefined behaviour that scripts/sanitize.sh reports on this test.
TEST(Forcing, FluxnetTimeStampsOfEveryYear) {
  TempDir dir;
  const std::string header = "TIMESTAMP_END,TA_F,SW_IN_F,eair,WS_F,CO2_F_MDS,PA_F,USTAR,TS_F_MDS_1,SWC_F_MDS_1,veg_ht,LAI\n";
  for (int year : {1995, 2005, 2014, 2017, 2020, 2045, 2070}) {
    const std::string row = std::to_string(year) + "07010030,12.7,0,1.1,1,400,100,0.2,20.5,9.5,0.8,2\n";
    const ForcingRecord f = read_forcing_csv(dir.write("f.csv", header + row));
    EXPECT_DOUBLE_EQ(f.swc[0], 0.095) << year;
    EXPECT_EQ(f.timestamp[0], std::to_string(year) + "-07-01 00:30:00");
  }
}

TEST(Forcing, DeclaredUnitsAreConverted) {
  TempDir dir;
  const std::string row = with_cell(with_cell(with_cell(kRow1, 4, "285.86"), 6, "10.952244"), 9, "1003.5");
  canveg::ForcingReadOptions options;
  options.units = {{"ta", "K"}, {"eair", "hPa"}, {"pa", "hPa"}};
  const ForcingRecord f = read_forcing_csv(dir.write("f.csv", kHeader + with_cell(row, 12, "9.467")),
                                           [&] {
                                             auto o = options;
                                             o.units.emplace_back("swc", "%");
                                             return o;
                                           }());
  EXPECT_NEAR(f.ta[0], 12.71, 1e-12);
  EXPECT_NEAR(f.eair[0], 1.0952244, 1e-15);
  EXPECT_NEAR(f.pa[0], 100.35, 1e-12);
  EXPECT_NEAR(f.swc[0], 0.09467, 1e-15);
  const std::vector<std::string> lines = canveg::describe_forcing_sources(f);
  EXPECT_NE(std::find(lines.begin(), lines.end(), "ta <- TA_F [K] (converted from K to degC)"), lines.end());
  // A unit that does not fit the variable, or an unknown variable, is refused.
  options.units = {{"ta", "hPa"}};
  EXPECT_THROW(read_forcing_csv(dir.write("g.csv", kHeader + kRow1), options), InputError);
  options.units = {{"temperature", "K"}};
  EXPECT_THROW(read_forcing_csv(dir.write("g.csv", kHeader + kRow1), options), InputError);
}

TEST(Forcing, VapourPressureFromVpdOrSpecificHumidity) {
  TempDir dir;
  // FLUXNET's VPD_F in hPa: eair = es(ta) - VPD, es of docs/model.md 2.1.
  const double ta = 25.0;
  const double es = 0.1 * std::exp(54.8781919 - 6790.4985 / (ta + 273.15) - 5.02808 * std::log(ta + 273.15));
  const std::string header = "TIMESTAMP_END,TA_F,SW_IN_F,VPD_F,WS_F,CO2_F_MDS,PA_F,USTAR,TS_F_MDS_1,SWC_F_MDS_1\n";
  const std::string row = "202007011200,25,600,12.5,2,400,100,0.4,20,25\n";
  canveg::ForcingReadOptions options;
  options.constants = {{"lai", 2.5}, {"veg_ht", 0.8}};
  const ForcingRecord f = read_forcing_csv(dir.write("f.csv", header + row), options);
  EXPECT_NEAR(f.eair[0], es - 1.25, 1e-12);
  EXPECT_EQ(f.lai[0], 2.5);
  EXPECT_EQ(f.veg_ht[0], 0.8);
  // VPD in Pa, or beyond saturation, is refused.
  expect_error(header + "202007011200,25,600,1250,2,400,100,0.4,20,25\n", 2, "VPD_F", "outside -30..150 hPa", options);
  expect_error(header + "202007011200,25,600,40,2,400,100,0.4,20,25\n", 2, "VPD_F",
               "exceeds the saturation vapour pressure", options);
  // ALMA's Qair (kg kg-1) with PSurf (Pa, implied by the name).
  const std::string alma = "TIMESTAMP_END,Tair,SWdown,Qair,Wind,CO2air,PSurf,USTAR,TS,SWC,LAI,veg_ht\n"
                           "2020-07-01 12:00:00,25,600,0.01,2,400,100000,0.4,20,0.25,2,1\n";
  const ForcingRecord g = read_forcing_csv(dir.write("alma.csv", alma));
  EXPECT_NEAR(g.pa[0], 100.0, 1e-12);
  EXPECT_NEAR(g.eair[0], 0.01 * 100.0 / (0.622 + 0.378 * 0.01), 1e-12);

  // A file with an eair column and a VPD column: eair is read unless the user names the VPD
  // column, which then wins; a unit declared for the unread VPD column, or two named sources of
  // the vapour pressure, are refused rather than silently ignored.
  const std::string both_header =
      "TIMESTAMP_END,TA_F,SW_IN_F,eair,VPD_F,WS_F,CO2_F_MDS,PA_F,USTAR,TS_F_MDS_1,SWC_F_MDS_1\n";
  const std::string both = both_header + "202007011200,25,600,2.0,12.5,2,400,100,0.4,20,25\n";
  EXPECT_EQ(read_forcing_csv(dir.write("both.csv", both), options).eair[0], 2.0);
  canveg::ForcingReadOptions named = options;
  named.columns = {{"vpd", "VPD_F"}};
  EXPECT_NEAR(read_forcing_csv(dir.write("both.csv", both), named).eair[0], es - 1.25, 1e-12);
  canveg::ForcingReadOptions unit_only = options;
  unit_only.units = {{"vpd", "kPa"}};
  expect_error(both, 0, "--units", "the vapour pressure does not come from one here (it comes from column eair",
               unit_only);
  named.columns.emplace_back("eair", "eair");
  expect_error(both, 0, "--column", "vpd is given, and eair too", named);
  // A column named for a variable that a constant replaces would be ignored: refused.
  canveg::ForcingReadOptions lai_twice = options;  // lai = 2.5 as a constant
  lai_twice.columns = {{"lai", "SWC_F_MDS_1"}};
  try {
    read_forcing_csv(dir.write("both.csv", both), lai_twice);
    ADD_FAILURE() << "a column and a constant for lai were accepted";
  } catch (const InputError& e) {
    EXPECT_EQ(e.field(), "--column");
    EXPECT_NE(std::string(e.what()).find("'lai' is given as column SWC_F_MDS_1 and as a constant or a file of its own "
                                         "(--lai); give one of them"),
              std::string::npos)
        << e.what();
  }
}

TEST(Forcing, GapsFilledOnlyWhenAskedAndShort) {
  TempDir dir;
  std::string csv = kHeader + kRow1 + with_cell(kRow2, 4, "-9999") +
                    "2020-07-01 01:00:00,2020,183,1.0,14.59,0.0,1.1,1.0,460,100.4,0.1,25.8,0.094,0.8,2.15\n";
  const std::string path = dir.write("f.csv", csv);
  EXPECT_THROW(read_forcing_csv(path), InputError);
  canveg::ForcingReadOptions options;
  options.fill = canveg::ForcingGapFill::Linear;
  options.max_gap = 1;
  const ForcingRecord f = read_forcing_csv(path, options);
  EXPECT_DOUBLE_EQ(f.ta[1], 0.5 * (12.71 + 14.59));
  const std::vector<std::string> lines = canveg::describe_forcing_sources(f);
  EXPECT_NE(std::find(lines.begin(), lines.end(),
                      "ta <- TA_F [degC] (filled 1 value(s) in 1 gap(s), the longest 1 half-hour(s))"),
            lines.end());
  const std::string longer = kHeader + kRow1 + with_cell(kRow2, 4, "") +
                             "2020-07-01 01:00:00,2020,183,1.0,,0.0,1.1,1.0,460,100.4,0.1,25.8,0.094,0.8,2.15\n" +
                             "2020-07-01 01:30:00,2020,183,1.5,15,0.0,1.1,1.0,460,100.4,0.1,25.8,0.094,0.8,2.15\n";
  try {
    read_forcing_csv(dir.write("g.csv", longer), options);
    FAIL() << "a gap of 2 with --max-gap 1 must be refused";
  } catch (const InputError& e) {
    EXPECT_EQ(e.line(), 3);
    EXPECT_NE(std::string(e.what()).find("longer than --max-gap 1"), std::string::npos) << e.what();
  }
}

TEST(ForcingErrors, ShortRowAndNoRows) {
  expect_error(kHeader + "2020,183,0.0\n", 2, "", "3 fields but the header has 15");
  expect_error(kHeader, 0, "", "no data rows");
}

TEST(ForcingPlausibility, HumidityInAUnitTooSmallIsWarnedAbout) {
  // A week of warm days: 12 degC nights near saturation, 32 degC afternoons at 30 % humidity.
  canveg::ForcingRecord f;
  for (int r = 0; r < 7 * 48; ++r) {
    const double day = 0.5 - 0.5 * std::cos(2.0 * 3.141592653589793 * (r % 48) / 48.0);
    f.ta.push_back(12.0 + 20.0 * day);
    const double es = 0.61078 * std::exp(17.27 * f.ta.back() / (f.ta.back() + 237.3));
    f.eair.push_back(es * (0.95 - 0.65 * day));
  }
  f.sources = {{"eair", "eair", "kPa", ""}};
  EXPECT_EQ(canveg::check_humidity_units(f), "");
  // The same values a tenth as large (kPa values declared as hPa).
  canveg::ForcingRecord dry = f;
  for (double& e : dry.eair) e *= 0.1;
  EXPECT_NE(canveg::check_humidity_units(dry).find("never reaches 25 % relative humidity in 7 days"), std::string::npos)
      << canveg::check_humidity_units(dry);
  // Vapour pressure from a deficit in kPa read as hPa: es - VPD / 10.
  canveg::ForcingRecord humid = f;
  for (std::size_t r = 0; r < humid.size(); ++r) {
    const double es = 0.61078 * std::exp(17.27 * humid.ta[r] / (humid.ta[r] + 237.3));
    humid.eair[r] = es - (es - f.eair[r]) / 10.0;
  }
  humid.sources = {{"eair", "es(TA_F) - VPD_F", "hPa", ""}};
  EXPECT_NE(canveg::check_humidity_units(humid).find("VPD in kPa read as hPa? declare it with --units vpd=kPa"),
            std::string::npos)
      << canveg::check_humidity_units(humid);
  // Shorter than a week: too little to judge.
  dry.ta.resize(100), dry.eair.resize(100);
  EXPECT_EQ(canveg::check_humidity_units(dry), "");
}

// u* and wind swapped, air and soil temperature swapped, CO2 in mg m-3, soil water of zeros: each named; the shared sites' own
// forcings (training and test periods) raise none of them.
TEST(ForcingPlausibility, SwappedColumnsCo2InMgAndZeroSoilWaterAreWarnedAbout) {
  for (const char* site : {"US-Bi1", "US-Hn1", "US-Me2", "US-Whs"})
    for (const char* period : {"-forcings.csv", "-forcings-test.csv"}) {
      const std::string path = canveg::test::fluxtower(site, std::string(site) + period);
      if (std::string(site) != "US-Bi1" && std::string(site) != "US-Hn1" && std::string(period) == "-forcings.csv")
        continue;  // US-Me2 and US-Whs have test periods only
      const std::vector<std::string> none = canveg::check_forcing_consistency(canveg::read_forcing_file(path));
      EXPECT_TRUE(none.empty()) << path << ": " << ::testing::PrintToString(none);
    }
  const ForcingRecord week =
      canveg::read_forcing_file(canveg::test::fluxtower("US-Bi1", "US-Bi1-forcings-test.csv")).slice(0, 7 * 48);
  ForcingRecord swapped = week;
  std::swap(swapped.ws, swapped.ustar);
  ForcingRecord milligrams = week;
  for (double& c : milligrams.co2) c *= 1.8;
  ForcingRecord soil_for_air = week;
  std::swap(soil_for_air.ta, soil_for_air.ts);
  ForcingRecord dry = week;
  std::fill(dry.swc.begin(), dry.swc.end(), 0.0);
  const auto only = [](const ForcingRecord& f) {
    const std::vector<std::string> w = canveg::check_forcing_consistency(f);
    EXPECT_EQ(w.size(), 1u) << ::testing::PrintToString(w);
    return w.empty() ? std::string() : w.front();
  };
  EXPECT_NE(only(swapped).find("u* is at least the wind speed in 336 of 336 half-hours"), std::string::npos);
  EXPECT_NE(only(milligrams).find("median of 7"), std::string::npos);
  EXPECT_NE(only(milligrams).find("mg m-3"), std::string::npos);
  EXPECT_NE(only(dry).find("soil water content is 0 in every one of the 336 half-hours"), std::string::npos);
  EXPECT_NE(only(soil_for_air).find("the soil temperature swings"), std::string::npos);
  EXPECT_NE(only(soil_for_air).find("are the two columns swapped?"), std::string::npos);
  EXPECT_TRUE(canveg::check_forcing_consistency(week).empty());
}
