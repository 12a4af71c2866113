// Reading models and site configurations, and writing outputs.
#pragma once

#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "canveg/forcing.hpp"
#include "canveg/parameters.hpp"

namespace canveg {

// Reported metrics stored in a trained model file (JAX-CanVeg metrics.csv rows).
struct ReportedMetrics {
  bool present = false;
  double le_test_nse = 0, nee_test_nse = 0, le_test_rmse = 0, nee_test_rmse = 0;
  double le_train_nse = 0, nee_train_nse = 0;
};

struct LoadedModel {
  Model<double> model;
  ReportedMetrics reported;
  // LE weight w of the training loss w MSE(LE) + (1 - w) MSE(NEE) ("learning" / "loss function" /
  // "weights"[0] of a trained model file); NaN when the file does not say.
  double trained_le_weight = std::numeric_limits<double>::quiet_NaN();
  std::string path;
  // How the site's forcing files are read (the [forcing] table of a site TOML): column choices,
  // declared units, LAI and canopy height as constants or files. Command-line options override.
  ForcingReadOptions forcing_options;
  // Iterating to a tolerance (the [solver] table of a site TOML: converge, max_iterations; see
  // RunOptions). 0: the fixed niter. Command-line options override.
  double converge_tolerance = 0;
  int max_iterations = 0;  // 0: RunOptions' default
};

// Scalar parameters a model runs with but no canopy can have, as an edited model or site file may
// give them: outside their bounds ('canveg fields', the training box), not positive where every
// physical value is (vcopt, jmopt, qalpha, kball, the constants of the air), or a temperature in
// kelvin outside 250-350 K (toptvc, toptjm, tk_25 given in degrees Celsius). One text per
// parameter, for the commands to print and the Python module to raise as warnings.
std::vector<std::string> parameter_plausibility_warnings(const Parameters<double>& para);

// Reads a JAX-CanVeg trained model decoded to JSON (shared/data/jax-canveg-trained/*.json):
// set-up, `para` values, the LeafRHDL and RsoilDL networks, var_stats and the dispersion matrix.
// Throws InputError naming the file and the JSON field on malformed or incomplete input.
LoadedModel read_model_json(const std::string& path);

// Writes a model as JSON in the layout read_model_json reads (the JAX-CanVeg model layout plus
// canveg's corrections under "setup"), atomically: reading it back gives a model whose outputs are
// identical bit for bit (every double is written in a form that reads back to the same value).
// Throws InputError when the model is inconsistent or the path cannot be written.
// `extra` (a JSON object, e.g. a training record) is added at the top level.
void write_model_json(const LoadedModel& model, const std::string& path,
                      const nlohmann::json& extra = nlohmann::json::object());

// Reads a dispersion matrix CSV (rows = levels, columns = canopy source layers, no header).
// Throws InputError if the shape is not n_total_layers x n_can_layers or a cell is not a number.
std::vector<double> read_dij_csv(const std::string& path, int n_total_layers, int n_can_layers);

// Writes a dispersion matrix (row-major rows x cols) as read_dij_csv reads it, every value to 19
// significant digits. Atomic: a temporary file renamed on success, removed on failure or a signal,
// so an interrupted or failed write never leaves a partial matrix. Throws InputError on failure.
// A non-empty `comment` is written first as a '#' line (which numpy.loadtxt and read_dij_csv skip).
void write_dij_csv(const std::vector<double>& values, int rows, int cols, const std::string& path,
                   const std::string& comment = "");

// The canopy a matrix made by `canveg dij` describes, from its first line
// ("# canveg dij: canopy_height=... measurement_height=..."); none for the shipped matrices,
// which have no such line.
struct DispersionGeometry {
  double canopy_height = 0, measurement_height = 0;  // [m]
};
inline constexpr std::string_view kDijGeometryMark = "# canveg dij: ";
std::optional<DispersionGeometry> read_dij_geometry(const std::string& path);
// That line's text (without the "# "): the geometry, then `details` (grid, particles, seed).
std::string dij_geometry_comment(double canopy_height, double measurement_height, int canopy_layers,
                                 int atmosphere_layers, const std::string& details);

// Reads a JAX-CanVeg configs.json ("model configurations" block) into a model with default
// parameters; the dispersion matrix path is resolved relative to the config file's folder.
LoadedModel read_jax_config(const std::string& path);

// Reads a site configuration file in TOML (see examples/sites/*.toml and the README): site
// location, canopy, options, dispersion matrix and optional parameter overrides.
LoadedModel read_site_toml(const std::string& path);

// One site of a multi-site training (canveg train --sites): its model (a model JSON or a site
// TOML) and data files, resolved against the sites file's folder.
struct SiteTrainingFiles {
  std::string model, site, forcing, observed, test_forcing, test_observed;
  long line = 0;  // of its [[site]] table
};

// Reads a sites file: one [[site]] table per site with model or site, forcing, observed and
// optionally test_forcing and test_observed. Throws InputError naming the file, line and key of an
// unknown key, a missing or absent file.
std::vector<SiteTrainingFiles> read_sites_file(const std::string& path);

}  // namespace canveg
