// JAX-CanVeg's configs.json (docs/model.md 5.3), read into a model. Like our TOML site file
// (src/io/site_toml.cpp) it gives a model with the default parameters of 4.2 (optionally
// overridden in the TOML file), the uniform grid of 1.2 and a dispersion matrix read from a CSV
// file whose path is relative to the configuration file's folder, as JAX-CanVeg resolves it.
#include <cctype>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>

#include "canveg/errors.hpp"
#include "canveg/model_io.hpp"
#include "physics/soil_energy.hpp"
#include "io/json_node.hpp"
#include "io/site_config_common.hpp"

namespace canveg {

namespace {

namespace fs = std::filesystem;
using io::JsonNode;
using namespace io;  // site_config_common.hpp

// ------------------------------------------------------------------------------------------------
// JAX-CanVeg configs.json

// The "model configurations" keys of 5.3; anything else is most likely a misspelling, which JAX
// would silently replace by a default.
const std::set<std::string>& jax_config_keys() {
  static const std::set<std::string> keys = {
      "time zone", "latitude", "longitude", "stomata type", "leaf angle type",
      "leaf relative humidity module", "soil respiration module", "canopy height",
      "measurement height", "soil depth", "number of canopy layers", "number of atmospheric layers",
      "number of observed steps per day", "number of solver iterations", "number of lagrangian particles",
      "dispersion matrix", "model type", "model parameters"};
  return keys;
}

// A member that may be absent or null (then the default applies).
bool given(const JsonNode& obj, const std::string& key) { return obj.has(key) && !obj[key].is_null(); }

int int_in(const JsonNode& node, long lo, long hi) {
  const long v = node.integer();
  if (v < lo || v > hi)
    node.fail("value " + std::to_string(v) + " outside " + std::to_string(lo) + ".." + std::to_string(hi));
  return static_cast<int>(v);
}

int optional_int(const JsonNode& obj, const std::string& key, int fallback, long lo, long hi) {
  return given(obj, key) ? int_in(obj[key], lo, hi) : fallback;
}

double positive_number(const JsonNode& node) {
  const double v = node.number();
  if (!(v > 0) || !std::isfinite(v)) node.fail("must be a positive number");
  return v;
}

}  // namespace

LoadedModel read_jax_config(const std::string& path) {
  const nlohmann::json doc = io::parse_json_file(path);
  const JsonNode root(doc, "", path);
  if (!root.is_object()) root.fail("expected a JSON object at the top level");
  const JsonNode mc = root["model configurations"];
  if (!mc.is_object()) mc.fail("expected an object");
  for (const auto& item : mc.value().items())
    if (!jax_config_keys().count(item.key()))
      throw InputError(path, 0, mc.path() + "." + item.key(), "unknown key");

  LoadedModel out;
  out.path = path;
  Model<double>& m = out.model;
  Setup& s = m.setup;
  s.site_name = given(root, "site name") ? root["site name"].string() : fs::path(path).stem().string();
  s.time_zone = mc["time zone"].number();
  s.latitude = mc["latitude"].number();
  s.longitude = mc["longitude"].number();
  s.stomata = static_cast<StomataType>(optional_int(mc, "stomata type", 1, 0, 1));
  s.leaf_angle_type = optional_int(mc, "leaf angle type", 1, 0, 5);
  s.leaf_rh = static_cast<LeafRhModule>(optional_int(mc, "leaf relative humidity module", 0, 0, 1));
  s.soil_respiration = static_cast<SoilRespirationModule>(optional_int(mc, "soil respiration module", 0, 0, 2));
  s.canopy_height = positive_number(mc["canopy height"]);
  s.measurement_height = positive_number(mc["measurement height"]);
  if (s.measurement_height <= s.canopy_height)
    mc["measurement height"].fail("must be above the canopy height (" + std::to_string(s.canopy_height) + " m)");
  s.soil_depth = positive_number(mc["soil depth"]);
  s.n_can_layers = optional_int(mc, "number of canopy layers", 10, 1, 100000);
  s.n_total_layers = s.n_can_layers + optional_int(mc, "number of atmospheric layers", 10, 1, 100000);
  s.steps_per_day = int_in(mc["number of observed steps per day"], 1, 86400);
  s.niter = int_in(mc["number of solver iterations"], 1, 100000);
  if (given(mc, "number of lagrangian particles")) int_in(mc["number of lagrangian particles"], 1, 1L << 40);
  if (given(mc, "model type")) {
    const std::string type = mc["model type"].string();
    std::string lower;
    for (char c : type) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower != "canvegift" && lower != "canveg")
      mc["model type"].fail("unknown model type '" + type + "' (expected CanvegIFT or Canveg)");
  }
  s.n_soil_layers = physics::kSoilLayers;
  s.dt_soil = kDtSoil;
  s.soil_mtime = soil_steps(s.steps_per_day, s.dt_soil);
  if (s.soil_mtime < 1)
    mc["number of observed steps per day"].fail("too many steps per day for the 20 s soil sub-step");
  build_vertical_grid(s);

  const JsonNode dij = mc["dispersion matrix"];
  m.dij = read_configured_dij(path, dij.path(), 0, dij.string(), s);
  s.dispersion_matrix_file = dij.string();
  set_unknown_stats(m);
  return out;
}

}  // namespace canveg
