#include <cmath>

#include <gtest/gtest.h>

#include "canveg/errors.hpp"
#include "io/csv_table.hpp"
#include "io/time_axis.hpp"

using canveg::InputError;
using canveg::io::CsvTable;
using canveg::io::EmptyCell;
using canveg::io::is_missing_marker;
using canveg::io::parse_double;

TEST(CsvTable, ReadsHeaderRowsAndLineNumbers) {
  const CsvTable t = CsvTable::parse("a,b,c\n1,2,3\n\n4,5,6\n", "mem.csv");
  ASSERT_EQ(t.header().size(), 3u);
  EXPECT_EQ(t.header_line(), 1);
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t.rows()[0].line, 2);
  EXPECT_EQ(t.rows()[1].line, 4);  // the blank line 3 is skipped but counted
  EXPECT_DOUBLE_EQ(t.number(1, 2, EmptyCell::Error), 6.0);
}

TEST(CsvTable, ToleratesCrlfBomAndBlanks) {
  const CsvTable t = CsvTable::parse("\xEF\xBB\xBFx, y\r\n 1.5 ,2\r\n", "mem.csv");
  EXPECT_EQ(t.header()[0], "x");
  EXPECT_EQ(t.header()[1], "y");
  EXPECT_DOUBLE_EQ(t.number(0, 0, EmptyCell::Error), 1.5);
  EXPECT_DOUBLE_EQ(t.number(0, 1, EmptyCell::Error), 2.0);
}

TEST(CsvTable, RowWidthMustMatchHeader) {
  try {
    CsvTable::parse("a,b\n1,2\n3\n", "w.csv");
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(e.line(), 3);
    EXPECT_NE(std::string(e.what()).find("1 fields but the header has 2"), std::string::npos);
  }
}

TEST(CsvTable, EmptyFileIsAnError) { EXPECT_THROW(CsvTable::parse("\n\n", "e.csv"), InputError); }

TEST(CsvTable, MissingFileIsAnError) {
  EXPECT_THROW(CsvTable::read("/nonexistent/canveg/file.csv"), InputError);
}

TEST(CsvTable, FindExactAndPrefix) {
  const CsvTable t = CsvTable::parse("TIMESTAMP_END,Tair,SW_IN_F,Rg\n", "h.csv");
  EXPECT_EQ(t.find_exact("Tair"), 1u);
  EXPECT_FALSE(t.find_exact("tair").has_value());
  EXPECT_EQ(t.find_prefix({"ta"}), 1u);
  // Both prefixes are tested on each column in file order: SW_IN_F comes before Rg.
  EXPECT_EQ(t.find_prefix({"rg", "sw_in"}), 2u);
  EXPECT_FALSE(t.find_prefix({"lai"}).has_value());
  EXPECT_EQ(t.header_list(), "TIMESTAMP_END, Tair, SW_IN_F, Rg");
}

TEST(CsvTable, GapsAndNonNumbers) {
  const CsvTable t = CsvTable::parse("v\n\nNaN\nNA\n1.2.3\n", "g.csv");
  // The header-only line then three data rows: "NaN", "NA", "1.2.3" (blank line skipped).
  ASSERT_EQ(t.size(), 3u);
  EXPECT_TRUE(std::isnan(t.number(0, 0, EmptyCell::Gap)));
  EXPECT_TRUE(std::isnan(t.number(1, 0, EmptyCell::Gap)));
  EXPECT_THROW(t.number(0, 0, EmptyCell::Error), InputError);
  try {
    t.number(2, 0, EmptyCell::Gap);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(e.line(), 5);
    EXPECT_EQ(e.field(), "v");
    EXPECT_NE(std::string(e.what()).find("'1.2.3' is not a number"), std::string::npos);
  }
}

TEST(ParseDouble, Strict) {
  EXPECT_EQ(parse_double("1.5"), 1.5);
  EXPECT_EQ(parse_double("+2"), 2.0);
  EXPECT_EQ(parse_double("-3e-2"), -0.03);
  EXPECT_EQ(parse_double(" 7 "), 7.0);
  EXPECT_EQ(parse_double("1.773743750011522735e+01"), 17.73743750011522735);
  EXPECT_FALSE(parse_double("").has_value());
  EXPECT_FALSE(parse_double("abc").has_value());
  EXPECT_FALSE(parse_double("1.5x").has_value());
  EXPECT_FALSE(parse_double("1,5").has_value());
  EXPECT_FALSE(parse_double("+").has_value());
  EXPECT_FALSE(parse_double("--1").has_value());
  EXPECT_TRUE(std::isinf(*parse_double("inf")));
  EXPECT_TRUE(std::isinf(*parse_double("1e999")));
}

// The numbers parsed once when the table is read equal each cell parsed on its own; missing-value
// markers stay gaps (none ends in a digit); a wide table, and one whose rows differ in width, reads
// cell by cell.
TEST(CsvTable, NumbersParsedAtReadEqualTheCells) {
  const CsvTable t = CsvTable::parse(
      "a,b,c\n1.5,2019-02-09 07:30:00,-1.#IND\n+7,-3e-2,1.#QNAN\n 4e1 ,NaN,1e999\n#N/A,null,-0\n", "n.csv");
  ASSERT_EQ(t.size(), 4u);
  for (std::size_t r = 0; r < t.size(); ++r)
    for (std::size_t c = 0; c < 3; ++c) {
      const std::string& cell = t.rows()[r].cells[c];
      if (is_missing_marker(cell)) {
        EXPECT_TRUE(std::isnan(t.number(r, c, EmptyCell::Gap))) << cell;
        EXPECT_THROW(t.number(r, c, EmptyCell::Error), InputError) << cell;
      } else if (const auto v = parse_double(cell)) {
        EXPECT_EQ(t.number(r, c, EmptyCell::Error), *v) << cell;
      } else {
        EXPECT_THROW(t.number(r, c, EmptyCell::Gap), InputError) << cell;
      }
    }
  EXPECT_EQ(t.number(0, 0, EmptyCell::Error), 1.5);
  EXPECT_TRUE(std::isinf(t.number(2, 2, EmptyCell::Error)));
  EXPECT_TRUE(std::isnan(t.number(0, 2, EmptyCell::Gap)));
  std::string wide_text;
  for (int pass = 0; pass < 2; ++pass)
    for (int c = 0; c < 70; ++c) wide_text += (c ? "," : "") + std::string(pass ? std::to_string(c) + ".5" : "v" + std::to_string(c)) + (c == 69 ? "\n" : "");
  const CsvTable wide = CsvTable::parse(wide_text, "w.csv");  // more columns than are parsed at read
  EXPECT_EQ(wide.number(0, 69, EmptyCell::Error), 69.5);
  EXPECT_EQ(wide.number(0, 0, EmptyCell::Error), 0.5);
  const CsvTable ragged = CsvTable::parse("1,2,3\n4,5\n", "r.csv", false);
  EXPECT_EQ(ragged.number(0, 2, EmptyCell::Error), 3.0);
  EXPECT_EQ(ragged.number(1, 1, EmptyCell::Error), 5.0);
  EXPECT_THROW(ragged.number(1, 2, EmptyCell::Error), InputError);
}

TEST(TimeAxis, TimestampsFormatAndParseBack) {
  for (const char* text : {"2019-02-09 07:30:00", "0001-01-01 00:00:00", "1999-12-31 23:30:00", "2024-02-29 12:00:00",
                           "9999-12-31 23:59:00"}) {
    const auto t = canveg::io::parse_timestamp(text);
    ASSERT_TRUE(t.has_value()) << text;
    EXPECT_EQ(canveg::io::format_timestamp(*t), text);
  }
}
