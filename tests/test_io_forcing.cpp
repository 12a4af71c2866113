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
void expect_error(const std::string& csv, long line, const std::string& field, const std::string& text) {
  TempDir dir;
  const std::string path = dir.write("forcing.csv", csv);
  try {
    read_forcing_csv(path);
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

TEST(Forcing, RgOrSwInFirstInFileOrder) {
  TempDir dir;
  // SW_IN comes before Rg: JAX-CanVeg tests both prefixes on each column in file order.
  const std::string csv = "Year,DoY,Hour,Tair,SW_IN,Rg,eair,WS,CO2,PA,Ustar,TS,SWC,veg_ht,LAI\n"
                          "2020,1,0,10,111,222,1,2,400,100,0.3,10,0.2,1,2\n";
  const ForcingRecord f = read_forcing_csv(dir.write("f.csv", csv));
  EXPECT_EQ(f.rg[0], 111);
  EXPECT_EQ(f.timestamp.size(), 1u);  // no TIMESTAMP_END: empty time stamps
  EXPECT_EQ(f.timestamp[0], "");
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

TEST(ForcingErrors, MissingColumn) {
  std::string header = kHeader;
  header.replace(header.find("TA_F"), 4, "Temp");  // misnamed: no column starts with "ta"
  expect_error(header + kRow1, 1, "ta", "no column whose name starts with 'ta'");
  expect_error(header + kRow1, 1, "ta", "TIMESTAMP_END, Year, DoY, Hour, Temp");
}

TEST(ForcingErrors, MissingRadiationNamesBothPrefixes) {
  std::string header = kHeader;
  header.replace(header.find("SW_IN_F"), 7, "Radiat");
  expect_error(header + kRow1, 1, "rg' or 'sw_in", "starts with 'rg' or 'sw_in'");
}

TEST(ForcingErrors, BadCells) {
  expect_error(kHeader + kRow1 + with_cell(kRow2, 4, "warm"), 3, "TA_F", "'warm' is not a number");
  expect_error(kHeader + kRow1 + with_cell(kRow2, 6, ""), 3, "eair", "empty cell (a gap)");
  expect_error(kHeader + with_cell(kRow1, 7, "NaN"), 2, "WS_F", "missing value 'NaN'");
  expect_error(kHeader + with_cell(kRow1, 8, "inf"), 2, "CO2_F_MDS", "not finite");
  expect_error(kHeader + with_cell(kRow1, 4, "-9999"), 2, "TA_F", "AmeriFlux missing-value code");
}

TEST(ForcingErrors, ImplausibleValues) {
  expect_error(kHeader + with_cell(kRow1, 9, "1003.5"), 2, "PA_F", "looks like hPa");
  expect_error(kHeader + with_cell(kRow1, 9, "100350"), 2, "PA_F", "looks like Pa");
  expect_error(kHeader + with_cell(kRow1, 9, "10"), 2, "PA_F", "outside 30..120 kPa");
  expect_error(kHeader + with_cell(kRow1, 12, "9.467"), 2, "SWC_F_MDS_1", "looks like percent");
  expect_error(kHeader + with_cell(kRow1, 12, "-0.1"), 2, "SWC_F_MDS_1", "outside 0..1");
  expect_error(kHeader + with_cell(kRow1, 14, "-0.5"), 2, "LAI", "negative");
  expect_error(kHeader + with_cell(kRow1, 3, "24"), 2, "Hour", "outside [0, 24)");
  expect_error(kHeader + with_cell(kRow1, 2, "0"), 2, "DoY", "outside 1..366");
  expect_error(kHeader + with_cell(kRow1, 2, "367"), 2, "DoY", "outside 1..366");
}

TEST(ForcingErrors, ShortRowAndNoRows) {
  expect_error(kHeader + "2020,183,0.0\n", 2, "", "3 fields but the header has 15");
  expect_error(kHeader, 0, "", "no data rows");
}
