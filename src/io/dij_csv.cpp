// Dispersion-matrix CSV reader (docs/model.md 2.15).
//
// JAX-CanVeg writes D_ij with numpy savetxt ('%.18e', comma separated, no header): one row per
// profile node i (bottom to top), one column per canopy source layer j. JAX does not check the
// shape; here a matrix that does not fit the model is an error, because a wrong-sized matrix would
// otherwise be indexed out of step with the grid.
#include <cmath>
#include <cstdio>

#include "canveg/errors.hpp"
#include "canveg/model_io.hpp"
#include "canveg/output_io.hpp"
#include "io/csv_table.hpp"

namespace canveg {

std::vector<double> read_dij_csv(const std::string& path, int n_total_layers, int n_can_layers) {
  const io::CsvTable table = io::CsvTable::read(path, /*has_header=*/false);
  const auto expected = [&] {
    return "expected " + std::to_string(n_total_layers) + " x " + std::to_string(n_can_layers) +
           " (levels x canopy layers)";
  };
  const std::size_t rows = table.size();
  const std::size_t cols = rows ? table.rows()[0].cells.size() : 0;
  if (rows != static_cast<std::size_t>(n_total_layers) || cols != static_cast<std::size_t>(n_can_layers))
    throw InputError(path, 0, "", "dispersion matrix has the wrong shape: " + expected() + " and found " +
                                      std::to_string(rows) + " x " + std::to_string(cols));
  std::vector<double> dij;
  dij.reserve(rows * cols);
  for (std::size_t r = 0; r < rows; ++r) {
    const io::CsvRow& row = table.rows()[r];
    if (row.cells.size() != cols)
      throw InputError(path, row.line, "", "row has " + std::to_string(row.cells.size()) + " values; " +
                                               expected() + " and found " + std::to_string(rows) + " x " +
                                               std::to_string(cols) + " in the first row");
    for (std::size_t c = 0; c < cols; ++c) {
      const double v = table.number(r, c, io::EmptyCell::Error);
      if (!std::isfinite(v))
        throw InputError(path, row.line, "column " + std::to_string(c + 1), "value is not finite");
      dij.push_back(v);
    }
  }
  return dij;
}

void write_dij_csv(const std::vector<double>& values, int rows, int cols, const std::string& path) {
  io::AtomicOutputFile file(path);
  std::ostream& out = file.stream();
  char cell[40];
  for (int i = 0; i < rows; ++i)
    for (int j = 0; j < cols; ++j) {
      std::snprintf(cell, sizeof cell, "%.18e%c", values[static_cast<std::size_t>(i) * cols + j],
                    j + 1 == cols ? '\n' : ',');
      out << cell;
    }
  file.commit();
}

}  // namespace canveg
