#include "io/csv_table.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <stdexcept>

#include "canveg/errors.hpp"
#include "run/thread_pool.hpp"

namespace canveg::io {

std::string_view trim(std::string_view s) {
  const auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && blank(s.back())) s.remove_suffix(1);
  return s;
}

namespace {

// Splits one line at commas. A cell in double quotes (as R's write.csv and spreadsheets write
// headers and time stamps) may hold commas, and "" inside it is one quote; a line break inside
// quotes is not supported (none of the model's files has one).
std::vector<std::string> split_line(std::string_view line) {
  std::vector<std::string> cells;
  cells.reserve(static_cast<std::size_t>(std::count(line.begin(), line.end(), ',')) + 1);
  std::size_t at = 0;
  while (true) {
    std::size_t first = at;  // the cell's first character that is not a blank
    while (first < line.size() && (line[first] == ' ' || line[first] == '\t')) ++first;
    std::string cell;
    std::size_t after = at;  // where the unquoted text of the cell starts
    if (first < line.size() && line[first] == '"') {
      std::size_t i = first + 1;
      for (; i < line.size(); ++i) {
        if (line[i] != '"') {
          cell += line[i];
        } else if (i + 1 < line.size() && line[i + 1] == '"') {
          cell += '"';
          ++i;
        } else {
          break;
        }
      }
      after = std::min(i + 1, line.size());  // after the closing quote, anything up to the comma is kept
    }
    const std::size_t comma = line.find(',', after);
    const std::size_t end = comma == std::string_view::npos ? line.size() : comma;
    cell += trim(line.substr(after, end - after));
    cells.push_back(std::move(cell));
    if (comma == std::string_view::npos) break;
    at = comma + 1;
  }
  return cells;
}

// The line of `text` that starts at `at`, without its newline; moves `at` to the next line.
std::string_view next_line(std::string_view text, std::size_t& at) {
  const std::size_t nl = text.find('\n', at);
  const std::size_t end = nl == std::string_view::npos ? text.size() : nl;
  const std::string_view line = text.substr(at, end - at);
  at = end + 1;
  return line;
}

std::string column_label(const CsvTable& t, std::size_t col) {
  if (col < t.header().size()) return t.header()[col];
  return "column " + std::to_string(col + 1);
}

}  // namespace

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

bool is_missing_marker(std::string_view cell) {
  // pandas' default NA strings: a file written by pandas or a spreadsheet may use any of them,
  // and JAX-CanVeg (which reads with pandas) treats them all as gaps. None ends in a digit, which
  // settles almost every cell of a file of numbers at once.
  if (!cell.empty() && cell.back() >= '0' && cell.back() <= '9') return false;
  static constexpr std::array<std::string_view, 19> kMarkers = {
      "",      "#N/A", "#N/A N/A", "#NA",  "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
      "<NA>",  "N/A",  "NA",       "NULL", "NaN",     "None",     "n/a",  "nan",  "null"};
  return std::find(kMarkers.begin(), kMarkers.end(), cell) != kMarkers.end();
}

std::optional<double> parse_double(std::string_view cell) {
  cell = trim(cell);
  // std::from_chars refuses a leading '+', which some CSV writers emit.
  if (cell.size() > 1 && cell.front() == '+' && cell[1] != '+' && cell[1] != '-') cell.remove_prefix(1);
  if (cell.empty()) return std::nullopt;
  double value = 0;
  const char* first = cell.data();
  const char* last = cell.data() + cell.size();
  const auto [ptr, ec] = std::from_chars(first, last, value);
  if (ptr != last) return std::nullopt;
  // from_chars reports out-of-range (e.g. 1e999) with the value untouched; treat it as infinite
  // so that the caller's finiteness check gives a sensible message.
  if (ec == std::errc::result_out_of_range) return cell.front() == '-' ? -HUGE_VAL : HUGE_VAL;
  if (ec != std::errc()) return std::nullopt;
  return value;
}

std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, 0, "", "cannot open file for reading");
  // A regular file is read with one call into its final buffer (a stream copy costs two passes);
  // anything else (a pipe) until its end.
  std::error_code ec;
  const bool regular = std::filesystem::is_regular_file(path, ec);
  const std::uintmax_t size = regular ? std::filesystem::file_size(path, ec) : 0;
  std::string text;
  if (regular && !ec) {
    text.resize(static_cast<std::size_t>(size));
    in.read(text.data(), static_cast<std::streamsize>(size));
    if (static_cast<std::uintmax_t>(in.gcount()) != size) throw InputError(path, 0, "", "error while reading the file");
  } else {
    std::ostringstream buffer;
    buffer << in.rdbuf();
    if (in.bad()) throw InputError(path, 0, "", "error while reading the file");
    text = std::move(buffer).str();
  }
  return text;
}

CsvTable CsvTable::read(const std::string& path, bool has_header, int threads) {
  const std::string text = read_text_file(path);
  return parse(text, path, has_header, threads);
}

CsvTable CsvTable::from_cells(std::string path, std::vector<std::string> header, std::vector<CsvRow> rows,
                              long header_line) {
  for (const CsvRow& row : rows)
    if (row.cells.size() != header.size())
      throw std::invalid_argument("CsvTable::from_cells: a row of " + std::to_string(row.cells.size()) + " cells under " +
                                  std::to_string(header.size()) + " columns");
  CsvTable t;
  t.path_ = std::move(path);
  t.header_ = std::move(header);
  t.header_line_ = header_line;
  t.rows_ = std::move(rows);
  t.parse_numbers();
  return t;
}

void CsvTable::parse_numbers(int threads) {
  // Parsing every cell costs more than the cache misses it saves once a file has many more
  // columns than a reader takes (a FLUXNET FULLSET file has about 240, the model reads about 13):
  // wide tables are read cell by cell.
  constexpr std::size_t kMostColumnsParsedAtRead = 64;
  numbers_.clear();
  is_number_.clear();
  width_ = rows_.empty() ? header_.size() : rows_.front().cells.size();
  if (width_ > kMostColumnsParsedAtRead) return;
  for (const CsvRow& row : rows_)
    if (row.cells.size() != width_) return;
  numbers_.resize(rows_.size() * width_);
  is_number_.resize(rows_.size() * width_);
  const std::size_t parts = part_count(threads, rows_.size() * width_);
  run::parallel_units(static_cast<int>(parts), parts, [&](int, std::size_t part) {
    const std::size_t first = rows_.size() * part / parts, last = rows_.size() * (part + 1) / parts;
    for (std::size_t r = first; r < last; ++r)
      for (std::size_t c = 0; c < width_; ++c) {
        const std::string& cell = rows_[r].cells[c];
        if (is_missing_marker(cell)) continue;
        if (const std::optional<double> v = parse_double(cell)) {
          numbers_[r * width_ + c] = *v;
          is_number_[r * width_ + c] = 1;
        }
      }
  });
}

std::size_t CsvTable::part_count(int threads, std::size_t cells) {
  // Below about 100,000 cells a part costs less than starting a thread.
  constexpr std::size_t kCellsPerPart = 100000;
  return static_cast<std::size_t>(run::resolve_threads(threads, std::max<std::size_t>(1, cells / kCellsPerPart)));
}

CsvTable CsvTable::parse(std::string_view text, const std::string& path, bool has_header, int threads) {
  CsvTable t;
  t.path_ = path;
  if (text.size() >= 3 && text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // UTF-8 BOM
  long line_no = 0;
  std::size_t pos = 0;
  if (has_header) {
    while (pos < text.size() && t.header_line_ == 0) {
      const std::string_view line = next_line(text, pos);
      ++line_no;
      if (trim(line).empty()) continue;
      t.header_ = split_line(line);
      t.header_line_ = line_no;
    }
    if (t.header_line_ == 0) throw InputError(path, 0, "", "file is empty (no header row)");
    // A file of one column whose name holds a semicolon or a tab is one with another separator.
    if (t.header_.size() == 1)
      for (const auto& [separator, name] : {std::pair{';', "semicolons"}, std::pair{'\t', "tabs"}})
        if (t.header_[0].find(separator) != std::string::npos)
          throw InputError(path, t.header_line_, "",
                           std::string("the header is one column holding ") + name +
                               ": the file looks separated by " + name + "; canveg reads comma-separated files");
  }
  // The data rows, split in parts (at line starts) by the workers. Every data row must have the
  // header's width: a short or long row means a broken file and silently shifting columns would
  // feed wrong variables to the model. Each part stops at its first such row; the earliest part's
  // is reported, so the error names the first broken line of the file whatever the parts.
  const std::size_t width = t.header_.size();
  const std::string_view body = pos < text.size() ? text.substr(pos) : std::string_view();
  constexpr std::size_t kBytesPerCell = 8;  // about, in the model's files
  const std::size_t parts = part_count(threads, body.size() / kBytesPerCell);
  struct Part {
    std::size_t begin = 0, end = 0;  // byte range of body, whole lines
    long lines = 0;                  // lines in the range
    std::vector<CsvRow> rows;        // line numbers counted from the part's start
    long bad_line = 0;               // first row of the wrong width (from the part's start), 0: none
    std::size_t bad_width = 0;
  };
  std::vector<Part> split(parts);
  for (std::size_t k = 0; k < parts; ++k) {
    std::size_t at = k == 0 ? 0 : split[k - 1].end;
    std::size_t end = k + 1 == parts ? body.size() : std::max(at, body.size() * (k + 1) / parts);
    if (end < body.size()) {
      const std::size_t nl = body.find('\n', end == 0 ? 0 : end - 1);
      end = nl == std::string_view::npos ? body.size() : nl + 1;
    }
    split[k].begin = at;
    split[k].end = end;
  }
  run::parallel_units(static_cast<int>(parts), parts, [&](int, std::size_t k) {
    Part& part = split[k];
    const std::string_view range = body.substr(part.begin, part.end - part.begin);
    std::size_t at = 0;
    long line = 0;
    while (at < range.size()) {
      const std::string_view text_line = next_line(range, at);
      ++line;
      if (trim(text_line).empty()) continue;
      std::vector<std::string> cells = split_line(text_line);
      if (has_header && cells.size() != width) {
        part.bad_line = line;  // the parts after this one are not needed
        part.bad_width = cells.size();
        break;
      }
      part.rows.push_back(CsvRow{line, std::move(cells)});
    }
    part.lines = line;
  });
  std::size_t total = 0;
  for (const Part& part : split) total += part.rows.size();
  t.rows_.reserve(total);
  for (Part& part : split) {
    if (part.bad_line)
      throw InputError(path, line_no + part.bad_line, "",
                       "row has " + std::to_string(part.bad_width) + " fields but the header has " + std::to_string(width));
    for (CsvRow& row : part.rows) {
      row.line += line_no;
      t.rows_.push_back(std::move(row));
    }
    line_no += part.lines;
  }
  t.parse_numbers(threads);
  return t;
}

std::optional<std::size_t> CsvTable::find_exact(std::string_view name) const {
  std::optional<std::size_t> found;
  for (std::size_t i = 0; i < header_.size(); ++i) {
    if (header_[i] != name) continue;
    // Taking the first of two same-named columns would read one of them silently; which one the
    // user meant is theirs to say.
    if (found)
      throw InputError(path_, header_line_, std::string(name),
                       "the header names two columns '" + std::string(name) + "' (columns " + std::to_string(*found + 1) +
                           " and " + std::to_string(i + 1) + "): rename one of them so that the file says which to read");
    found = i;
  }
  return found;
}

std::optional<std::size_t> CsvTable::find_prefix(const std::vector<std::string_view>& prefixes) const {
  for (std::size_t i = 0; i < header_.size(); ++i) {
    const std::string lower = to_lower(header_[i]);
    for (std::string_view p : prefixes)
      if (std::string_view(lower).substr(0, p.size()) == p) return i;
  }
  return std::nullopt;
}

std::string CsvTable::header_list() const {
  std::string s;
  for (std::size_t i = 0; i < header_.size(); ++i) s += (i ? ", " : "") + header_[i];
  return s;
}

double CsvTable::number(std::size_t row, std::size_t col, EmptyCell policy) const {
  if (col < width_ && row < rows_.size() && !is_number_.empty() && is_number_[row * width_ + col])
    return numbers_[row * width_ + col];
  // A gap, an error, or a table without the parsed numbers: from the cell itself.
  const CsvRow& r = rows_.at(row);
  if (col >= r.cells.size())
    throw InputError(path_, r.line, column_label(*this, col),
                     "row has only " + std::to_string(r.cells.size()) + " fields");
  const std::string& cell = r.cells[col];
  if (is_missing_marker(cell)) {
    if (policy == EmptyCell::Gap) return std::numeric_limits<double>::quiet_NaN();
    throw InputError(path_, r.line, column_label(*this, col),
                     cell.empty() ? "empty cell (a gap)" : "missing value '" + cell + "' (a gap)");
  }
  const std::optional<double> v = parse_double(cell);
  if (!v) throw InputError(path_, r.line, column_label(*this, col), "'" + cell + "' is not a number");
  return *v;
}

std::vector<double> CsvTable::column(std::size_t col, EmptyCell policy) const {
  std::vector<double> out(rows_.size());
  for (std::size_t i = 0; i < rows_.size(); ++i) out[i] = number(i, col, policy);
  return out;
}

std::vector<std::string> CsvTable::text_column(std::size_t col) const {
  std::vector<std::string> out(rows_.size());
  for (std::size_t i = 0; i < rows_.size(); ++i)
    if (col < rows_[i].cells.size()) out[i] = rows_[i].cells[col];
  return out;
}

}  // namespace canveg::io
