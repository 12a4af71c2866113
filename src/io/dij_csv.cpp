// Dispersion-matrix CSV reader (docs/model.md 2.15).
//
// JAX-CanVeg writes D_ij with numpy savetxt ('%.18e', comma separated, no header): one row per
// profile node i (bottom to top), one column per canopy source layer j. JAX does not check the
// shape; here a matrix that does not fit the model is an error, because a wrong-sized matrix would
// otherwise be indexed out of step with the grid.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include "canveg/errors.hpp"
#include "canveg/model_io.hpp"
#include "canveg/output_io.hpp"
#include "io/csv_table.hpp"

namespace canveg {

std::vector<double> read_dij_csv(const std::string& path, int n_total_layers, int n_can_layers) {
  // Comment lines ('#', as numpy.loadtxt skips them: canveg dij's geometry line) are blanked, so
  // that the numbers keep their line numbers.
  std::string text = io::read_text_file(path);
  for (std::size_t at = 0; at < text.size();) {
    const std::size_t end = std::min(text.find('\n', at), text.size());
    if (text[at] == '#') text.replace(at, end - at, "");
    at = std::min(text.find('\n', at), text.size()) + 1;
  }
  const io::CsvTable table = io::CsvTable::parse(text, path, /*has_header=*/false);
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

void write_dij_csv(const std::vector<double>& values, int rows, int cols, const std::string& path,
                   const std::string& comment) {
  io::AtomicOutputFile file(path);
  std::ostream& out = file.stream();
  if (!comment.empty()) out << "# " << comment << '\n';
  char cell[40];
  for (int i = 0; i < rows; ++i)
    for (int j = 0; j < cols; ++j) {
      std::snprintf(cell, sizeof cell, "%.18e%c", values[static_cast<std::size_t>(i) * cols + j],
                    j + 1 == cols ? '\n' : ',');
      out << cell;
    }
  file.commit();
}

std::optional<DispersionGeometry> read_dij_geometry(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line) || line.rfind(kDijGeometryMark, 0) != 0) return std::nullopt;
  DispersionGeometry g;
  std::istringstream words(line.substr(kDijGeometryMark.size()));
  int found = 0;
  for (std::string word; words >> word;) {
    const std::size_t eq = word.find('=');
    if (eq == std::string::npos) continue;
    const std::string key = word.substr(0, eq), value = word.substr(eq + 1);
    double* target = key == "canopy_height" ? &g.canopy_height : key == "measurement_height" ? &g.measurement_height : nullptr;
    const std::optional<double> number = io::parse_double(value);
    if (target && number) *target = *number, ++found;
  }
  return found == 2 ? std::optional<DispersionGeometry>(g) : std::nullopt;
}

std::string dij_geometry_comment(double canopy_height, double measurement_height, int canopy_layers,
                                 int atmosphere_layers, const std::string& details) {
  char text[200];
  std::snprintf(text, sizeof text, "canopy_height=%.17g measurement_height=%.17g canopy_layers=%d atmosphere_layers=%d",
                canopy_height, measurement_height, canopy_layers, atmosphere_layers);
  return std::string(kDijGeometryMark.substr(2)) + text + (details.empty() ? "" : " " + details);
}

}  // namespace canveg
