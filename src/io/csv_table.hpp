// A small reader for the comma-separated files of docs/model.md 5.1, 5.2 and 2.15 (forcings,
// observed fluxes, dispersion matrices). These files are plain: one header row (or none), comma
// separators, no quoting, possibly CRLF line ends. The reader keeps the 1-based file line of every
// row so that every error can point the user at the exact line and column (errors.hpp).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace canveg::io {

// What a cell that holds no number means to the caller.
enum class EmptyCell {
  Error,  // a gap is an error (forcings must be complete, docs/model.md 5.1)
  Gap     // a gap is kept as NaN (observations are gap-filled later, 5.2)
};

struct CsvRow {
  long line = 0;                   // 1-based line in the file
  std::vector<std::string> cells;  // cells with surrounding blanks removed
};

class CsvTable {
 public:
  // Reads a whole file. With has_header, the first non-blank line is the header and every data
  // row must have as many cells as the header. Blank lines are skipped. Throws InputError when the
  // file cannot be read or is empty. A large file is split and parsed by `threads` workers (0: all
  // hardware threads); the table and every error do not depend on their number.
  static CsvTable read(const std::string& path, bool has_header = true, int threads = 1);
  // Same, from text already in memory (path is used for messages only).
  static CsvTable parse(std::string_view text, const std::string& path, bool has_header = true, int threads = 1);

  // A table built in memory (a NetCDF file laid out as columns): every row must have as many cells
  // as the header. header_line: the line messages give the header (0: none).
  static CsvTable from_cells(std::string path, std::vector<std::string> header, std::vector<CsvRow> rows,
                             long header_line = 0);

  const std::string& path() const { return path_; }
  const std::vector<std::string>& header() const { return header_; }
  long header_line() const { return header_line_; }
  const std::vector<CsvRow>& rows() const { return rows_; }
  std::size_t size() const { return rows_.size(); }

  // Index of the column whose name equals `name` exactly; an InputError when two columns have it.
  std::optional<std::size_t> find_exact(std::string_view name) const;
  // Index of the first column (in file order) whose lower-cased name starts with any of
  // `prefixes` (given in lower case). All prefixes are tested on a column before moving to the
  // next column, which is how JAX-CanVeg resolves "rg" or "sw_in" (docs/model.md 5.1).
  std::optional<std::size_t> find_prefix(const std::vector<std::string_view>& prefixes) const;
  // The header as "a, b, c", for messages about missing columns.
  std::string header_list() const;

  // The cell at (row, col) as a double. Empty cells and the usual spreadsheet missing-value
  // markers ("NaN", "NA", "N/A", "null", ...) are gaps: NaN when policy is Gap, an InputError
  // otherwise. Anything else that is not entirely a decimal number is an InputError naming the
  // file, line and column.
  double number(std::size_t row, std::size_t col, EmptyCell policy) const;
  // The whole column, cell by cell as number().
  std::vector<double> column(std::size_t col, EmptyCell policy) const;
  // The whole column as text.
  std::vector<std::string> text_column(std::size_t col) const;

 private:
  // Every cell parsed as number() would parse it, once, row by row while the row is in cache
  // (reading a file column by column through the cells costs a cache miss per cell): row-major
  // values and whether each cell is a number. Empty for a table whose rows differ in width or
  // that has more than 64 columns.
  void parse_numbers(int threads = 1);
  // How many parts `threads` workers split `cells` cells into.
  static std::size_t part_count(int threads, std::size_t cells);

  std::string path_;
  std::vector<std::string> header_;
  long header_line_ = 0;
  std::vector<CsvRow> rows_;
  std::size_t width_ = 0;
  std::vector<double> numbers_;
  std::vector<char> is_number_;
};

// The whole file as text (a regular file, or a pipe read to its end); InputError when it cannot
// be opened or read.
std::string read_text_file(const std::string& path);

// True if the cell is empty or one of the missing-value markers pandas reads as NaN by default.
bool is_missing_marker(std::string_view cell);

// Parses a whole cell as a double with std::from_chars (locale independent, no partial parse).
// A leading '+' is accepted. Returns nullopt when the text is not a number; "nan"/"inf" parse to
// the non-finite values and callers decide whether those are allowed.
std::optional<double> parse_double(std::string_view cell);

// `s` without leading and trailing blanks (space, tab, CR, LF).
std::string_view trim(std::string_view s);

// ASCII lower-case copy.
std::string to_lower(std::string_view s);

}  // namespace canveg::io
