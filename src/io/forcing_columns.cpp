// The in-memory forcing entry point: a table of columns read through the file reader's core.
#include <cmath>
#include <string>
#include <vector>

#include "canveg/errors.hpp"
#include "canveg/forcing.hpp"
#include "canveg/output_io.hpp"
#include "io/forcing_table.hpp"

namespace canveg {

ForcingRecord read_forcing_columns(const std::string& source, const std::vector<ForcingColumn>& columns,
                                   const ForcingReadOptions& options) {
  if (columns.empty()) throw InputError(source, 0, "", "the forcing table has no columns");
  const auto length = [](const ForcingColumn& c) { return c.text.empty() ? c.numbers.size() : c.text.size(); };
  const std::size_t rows = length(columns.front());
  std::vector<std::string> header;
  header.reserve(columns.size());
  for (const ForcingColumn& c : columns) {
    if (length(c) != rows)
      throw InputError(source, 0, c.name,
                       "has " + std::to_string(length(c)) + " values where the column '" + columns.front().name +
                           "' has " + std::to_string(rows));
    header.push_back(c.name);
  }
  std::vector<io::CsvRow> table_rows(rows);
  for (std::size_t r = 0; r < rows; ++r) {
    io::CsvRow& row = table_rows[r];
    row.line = static_cast<long>(r + 2);  // as written to a CSV below its header
    row.cells.resize(columns.size());
    for (std::size_t c = 0; c < columns.size(); ++c) {
      const ForcingColumn& column = columns[c];
      if (!column.text.empty()) row.cells[c] = column.text[r];
      // NaN becomes an empty cell, the reader's gap (filled or refused as in a file).
      else if (!std::isnan(column.numbers[r])) io::append_number(row.cells[c], column.numbers[r]);
    }
  }
  return io::read_forcing_table(io::CsvTable::from_cells(source, std::move(header), std::move(table_rows), 1),
                                 options);
}

}  // namespace canveg
