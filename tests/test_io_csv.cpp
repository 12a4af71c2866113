#include <cmath>

#include <gtest/gtest.h>

#include "canveg/errors.hpp"
#include "io/csv_table.hpp"

using canveg::InputError;
using canveg::io::CsvTable;
using canveg::io::EmptyCell;
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
