#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

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

TEST(CsvTable, QuotedCellsAsRAndSpreadsheetsWriteThem) {
  const CsvTable t = CsvTable::parse(
      "\"TIMESTAMP_END\", \"b, c\",d\n\"2020-07-01 00:00:00\",\"1.5\", \"say \"\"hi\"\"\"\n", "q.csv");
  ASSERT_EQ(t.header().size(), 3u);
  EXPECT_EQ(t.header()[0], "TIMESTAMP_END");
  EXPECT_EQ(t.header()[1], "b, c");
  EXPECT_EQ(t.header()[2], "d");
  EXPECT_EQ(t.rows()[0].cells[0], "2020-07-01 00:00:00");
  EXPECT_EQ(t.number(0, 1, EmptyCell::Error), 1.5);
  EXPECT_EQ(t.rows()[0].cells[2], "say \"hi\"");
}

TEST(CsvTable, OtherSeparatorsAreNamed) {
  for (const auto& [text, name] : {std::pair<std::string, std::string>{"a;b;c\n1;2;3\n", "semicolons"},
                                   std::pair<std::string, std::string>{"a\tb\tc\n1\t2\t3\n", "tabs"}}) {
    try {
      CsvTable::parse(text, "s.csv");
      FAIL() << name;
    } catch (const InputError& e) {
      EXPECT_EQ(e.line(), 1);
      EXPECT_NE(std::string(e.what()).find("the file looks separated by " + name), std::string::npos) << e.what();
    }
  }
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

namespace {

// A large table text (about 2.4 MB, so that it is split in parts) with CRLF and blank lines,
// a gap and a missing-value marker; with `bad_rows`, those data rows lose their last cell.
std::string large_table_text(const std::vector<int>& bad_rows = {}) {
  std::string text = "\n time, a,b,c\r\n";
  for (int r = 0; r < 60000; ++r) {
    if (r % 997 == 0) text += "\n";
    text += std::to_string(r) + "," + std::to_string(r * 0.25) + "," + (r % 1000 == 7 ? "" : "-1.5e-3");
    if (std::find(bad_rows.begin(), bad_rows.end(), r) == bad_rows.end()) text += r % 500 == 3 ? ",NA" : ",42";
    text += r % 2 ? "\r\n" : "\n";
  }
  return text;
}

}  // namespace

TEST(CsvTable, SplitParsingGivesTheSameTableAndFirstError) {
  const std::string text = large_table_text();
  const CsvTable one = CsvTable::parse(text, "big.csv", true, 1);
  ASSERT_EQ(one.size(), 60000u);
  EXPECT_EQ(one.header_line(), 2);
  EXPECT_EQ(one.rows().back().line, 2 + 60000 + 61);  // 61 blank lines before data rows
  for (int threads : {2, 3, 7}) {
    const CsvTable split = CsvTable::parse(text, "big.csv", true, threads);
    ASSERT_EQ(split.size(), one.size()) << threads;
    EXPECT_EQ(split.header(), one.header());
    for (std::size_t r = 0; r < one.size(); ++r) {
      ASSERT_EQ(split.rows()[r].line, one.rows()[r].line) << r;
      ASSERT_EQ(split.rows()[r].cells, one.rows()[r].cells) << r;
      for (std::size_t c = 0; c < 4; ++c) {
        const double x = one.number(r, c, EmptyCell::Gap), y = split.number(r, c, EmptyCell::Gap);
        ASSERT_TRUE(x == y || (std::isnan(x) && std::isnan(y))) << r << " " << c;
      }
    }
  }
  // Short rows in the first and the last part, or in the last two: every split names the first.
  // Data row r is on line 2 + (r + 1) + the r / 997 + 1 blank lines before it.
  for (const auto& [bad, line] : {std::pair<std::vector<int>, long>{{41000, 59990, 20}, 24},
                                  std::pair<std::vector<int>, long>{{59990, 41000}, 41045}}) {
    const std::string broken = large_table_text(bad);
    for (int threads : {1, 2, 5}) {
      try {
        CsvTable::parse(broken, "broken.csv", true, threads);
        FAIL() << "expected InputError";
      } catch (const InputError& e) {
        EXPECT_EQ(e.line(), line) << threads;
        EXPECT_NE(std::string(e.what()).find("3 fields but the header has 4"), std::string::npos);
      }
    }
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

// Two columns of one name: neither is taken silently, and the message names both positions.
TEST(CsvTable, FindExactRefusesTwoColumnsOfOneName) {
  const CsvTable t = CsvTable::parse("TIMESTAMP_END,LE_F_MDS,NEE,LE_F_MDS\n", "twice.csv");
  EXPECT_EQ(t.find_exact("NEE"), 2u);
  try {
    (void)t.find_exact("LE_F_MDS");
    ADD_FAILURE() << "two LE_F_MDS columns were accepted";
  } catch (const InputError& e) {
    const std::string what = e.what();
    for (const char* piece : {"twice.csv:1:", "LE_F_MDS", "columns 2 and 4"})
      EXPECT_NE(what.find(piece), std::string::npos) << "missing '" << piece << "' in: " << what;
  }
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
