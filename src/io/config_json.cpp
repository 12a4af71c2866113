// Site configurations: JAX-CanVeg's configs.json (canveg-model.md 5.3) and our own TOML site file
// (examples/sites/README.md). Both give a model with the default parameters of 4.2 (optionally
// overridden in the TOML file), the uniform grid of 1.2 and a dispersion matrix read from a CSV
// file whose path is relative to the configuration file's folder, as JAX-CanVeg resolves it.
#include <cctype>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>

#include <toml++/toml.h>

#include "canveg/errors.hpp"
#include "canveg/model_io.hpp"
#include "io/json_node.hpp"

namespace canveg {

namespace {

namespace fs = std::filesystem;
using io::JsonNode;

// Defaults of 4.1 that JAX-CanVeg's config cannot change.
constexpr int kSoilLayers = 10;
constexpr double kDtSoil = 20.0;  // [s]

// Soil sub-steps per outer iteration: the soil model covers one time step in dt_soil steps (4.1).
int soil_steps(int steps_per_day, double dt_soil) {
  return static_cast<int>(std::floor(86400.0 / (steps_per_day * dt_soil)));
}

// Normalisation statistics are unknown without training data: NaN makes any accidental use
// visible instead of silently normalising with zeros.
VarStats unknown_stats() {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  VarStats v;
  for (double* x : {&v.T_air, &v.rglobal, &v.eair, &v.wind, &v.CO2, &v.P_kPa, &v.ustar, &v.Tsoil, &v.soilmoisture,
                    &v.zcanopy, &v.lai, &v.rsoil, &v.LE, &v.H, &v.vpd})
    *x = nan;
  return v;
}

void set_unknown_stats(Model<double>& m) {
  m.var_mean = m.var_std = m.var_max = m.var_min = unknown_stats();
}

// Resolves a path written in a configuration file relative to that file's folder.
std::string relative_to(const std::string& config_path, const std::string& written) {
  const fs::path p(written);
  if (p.is_absolute()) return p.string();
  return (fs::path(config_path).parent_path() / p).lexically_normal().string();
}

// The dispersion matrix named by a configuration. JAX-CanVeg would generate a missing matrix with
// its particle model (2.15); this program only reads matrices, so a missing file is an error.
std::vector<double> read_configured_dij(const std::string& config_path, const std::string& field,
                                        long line, const std::string& written, const Setup& s) {
  const std::string resolved = relative_to(config_path, written);
  if (!fs::exists(resolved))
    throw InputError(config_path, line, field,
                     "dispersion matrix '" + written + "' not found (looked for " + resolved +
                         "); generating a matrix is not supported, give an existing CSV file");
  return read_dij_csv(resolved, s.n_total_layers, s.n_can_layers);
}

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
  s.n_soil_layers = kSoilLayers;
  s.dt_soil = kDtSoil;
  s.soil_mtime = soil_steps(s.steps_per_day, s.dt_soil);
  if (s.soil_mtime < 1)
    mc["number of observed steps per day"].fail("too many steps per day for the 20 s soil sub-step");
  build_vertical_grid(s);

  const JsonNode dij = mc["dispersion matrix"];
  m.dij = read_configured_dij(path, dij.path(), 0, dij.string(), s);
  set_unknown_stats(m);
  return out;
}

// ------------------------------------------------------------------------------------------------
// TOML site file

namespace {

// Reads one TOML table against a list of allowed keys, reporting every problem with the file,
// the line and the key's dotted name.
class TomlSection {
 public:
  TomlSection(const toml::table& root, std::string name, const std::string& file,
              std::set<std::string> allowed, bool required)
      : name_(std::move(name)), file_(file) {
    const toml::node* node = root.get(name_);
    if (!node) {
      if (required) throw InputError(file_, 0, name_, "missing section [" + name_ + "]");
      return;
    }
    table_ = node->as_table();
    if (!table_) throw InputError(file_, line_of(*node), name_, "expected a [" + name_ + "] table");
    if (allowed.empty()) return;  // free-form section, checked by the caller
    for (const auto& [key, value] : *table_)
      if (!allowed.count(std::string(key.str())))
        throw InputError(file_, line_of(value), field(key.str()), "unknown key in [" + name_ + "]");
  }

  static long line_of(const toml::node& n) { return static_cast<long>(n.source().begin.line); }
  std::string field(std::string_view key) const { return name_ + "." + std::string(key); }
  const toml::table* table() const { return table_; }
  const std::string& file() const { return file_; }

  const toml::node* find(const std::string& key) const { return table_ ? table_->get(key) : nullptr; }
  const toml::node& require(const std::string& key) const {
    const toml::node* n = find(key);
    if (!n) throw InputError(file_, 0, field(key), "missing (required)");
    return *n;
  }
  [[noreturn]] void fail(const std::string& key, const std::string& reason) const {
    const toml::node* n = find(key);
    throw InputError(file_, n ? line_of(*n) : 0, field(key), reason);
  }

  double number(const std::string& key) const { return to_number(key, require(key)); }
  double number_or(const std::string& key, double fallback) const {
    const toml::node* n = find(key);
    return n ? to_number(key, *n) : fallback;
  }
  double to_number(const std::string& key, const toml::node& n) const {
    if (!n.is_number()) fail(key, "expected a number");
    const double v = n.value<double>().value_or(std::nan(""));
    if (!std::isfinite(v)) fail(key, "expected a finite number");
    return v;
  }
  long integer(const std::string& key, long lo, long hi) const { return to_integer(key, require(key), lo, hi); }
  long integer_or(const std::string& key, long fallback, long lo, long hi) const {
    const toml::node* n = find(key);
    return n ? to_integer(key, *n, lo, hi) : fallback;
  }
  long to_integer(const std::string& key, const toml::node& n, long lo, long hi) const {
    if (!n.is_integer()) fail(key, "expected an integer");
    const long v = static_cast<long>(*n.value<int64_t>());
    if (v < lo || v > hi) fail(key, "value " + std::to_string(v) + " outside " + std::to_string(lo) + ".." + std::to_string(hi));
    return v;
  }
  std::string string(const std::string& key) const {
    const toml::node& n = require(key);
    if (!n.is_string()) fail(key, "expected a string");
    return *n.value<std::string>();
  }
  std::string string_or(const std::string& key, const std::string& fallback) const {
    return find(key) ? string(key) : fallback;
  }

 private:
  std::string name_;
  const std::string& file_;
  const toml::table* table_ = nullptr;
};

// Leaf-angle types by the names JAX-CanVeg's code gives them (canveg-model.md 2.4). The names of
// types 0 and 2 are swapped relative to de Wit's convention; the numeric type is what counts.
const std::vector<std::string>& leaf_angle_names() {
  static const std::vector<std::string> names = {"planophile", "spherical", "erectophile",
                                                 "plagiophile", "extremophile", "uniform"};
  return names;
}

int leaf_angle_type(const TomlSection& canopy) {
  const toml::node* n = canopy.find("leaf_angle_type");
  if (!n) return 1;  // spherical, JAX-CanVeg's default
  if (n->is_integer()) return static_cast<int>(canopy.integer("leaf_angle_type", 0, 5));
  if (!n->is_string()) canopy.fail("leaf_angle_type", "expected 0..5 or a name");
  const std::string name = *n->value<std::string>();
  const auto& names = leaf_angle_names();
  for (std::size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) return static_cast<int>(i);
  canopy.fail("leaf_angle_type", "unknown leaf angle type '" + name +
                                     "' (planophile, spherical, erectophile, plagiophile, extremophile, uniform or 0..5)");
}

StomataType stomata_type(const TomlSection& canopy) {
  const std::string s = canopy.string_or("stomata", "amphistomatous");
  if (s == "hypostomatous") return StomataType::Hypostomatous;
  if (s == "amphistomatous") return StomataType::Amphistomatous;
  canopy.fail("stomata", "expected \"hypostomatous\" or \"amphistomatous\", found \"" + s + "\"");
}

SoilRespirationModule respiration(const TomlSection& soil) {
  const std::string r = soil.string_or("respiration", "q10");
  if (r == "alfalfa") return SoilRespirationModule::Alfalfa;
  if (r == "q10") return SoilRespirationModule::Q10;
  if (r == "network")
    soil.fail("respiration", "\"network\" needs trained RsoilDL weights, which only a model JSON file carries");
  soil.fail("respiration", "expected \"alfalfa\" or \"q10\", found \"" + r + "\"");
}

// [parameters]: name = value for any field of Parameters (4.2); unknown names are errors.
void apply_parameter_overrides(const TomlSection& section, Parameters<double>& p) {
  if (!section.table()) return;
  for (const auto& [key, value] : *section.table()) {
    const std::string name(key.str());
    std::size_t index = kParameterNames.size();
    for (std::size_t i = 0; i < kParameterNames.size(); ++i)
      if (name == kParameterNames[i]) index = i;
    if (index == kParameterNames.size())
      throw InputError(section.file(), TomlSection::line_of(value), section.field(name), "unknown parameter");
    parameter_at(p, index) = section.to_number(name, value);
  }
}

}  // namespace

LoadedModel read_site_toml(const std::string& path) {
  if (!std::ifstream(path)) throw InputError(path, 0, "", "cannot open file for reading");
  toml::table root;
  try {
    root = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    throw InputError(path, static_cast<long>(e.source().begin.line), "",
                     "malformed TOML: " + std::string(e.description()));
  }
  static const std::set<std::string> kSections = {"site", "canopy", "soil", "solver", "dispersion", "parameters"};
  for (const auto& [key, value] : root)
    if (!kSections.count(std::string(key.str())))
      throw InputError(path, TomlSection::line_of(value), std::string(key.str()),
                       "unknown section (expected site, canopy, soil, solver, dispersion, parameters)");

  const TomlSection site(root, "site", path, {"name", "latitude", "longitude", "time_zone"}, true);
  const TomlSection canopy(root, "canopy", path,
                           {"height", "measurement_height", "canopy_layers", "atmosphere_layers",
                            "leaf_angle_type", "stomata"},
                           true);
  const TomlSection soil(root, "soil", path, {"depth", "respiration"}, false);
  const TomlSection solver(root, "solver", path, {"iterations", "steps_per_day"}, false);
  const TomlSection dispersion(root, "dispersion", path, {"matrix"}, true);
  const TomlSection parameters(root, "parameters", path, {}, false);

  LoadedModel out;
  out.path = path;
  Model<double>& m = out.model;
  Setup& s = m.setup;
  s.site_name = site.string_or("name", fs::path(path).stem().string());
  s.latitude = site.number("latitude");
  if (std::fabs(s.latitude) > 90) site.fail("latitude", "must be within -90..90 degrees");
  s.longitude = site.number("longitude");
  if (std::fabs(s.longitude) > 180) site.fail("longitude", "must be within -180..180 degrees east");
  s.time_zone = site.number("time_zone");
  if (std::fabs(s.time_zone) > 14) site.fail("time_zone", "must be within -14..14 hours");

  s.canopy_height = canopy.number("height");
  if (!(s.canopy_height > 0)) canopy.fail("height", "must be positive");
  s.measurement_height = canopy.number("measurement_height");
  if (!(s.measurement_height > s.canopy_height))
    canopy.fail("measurement_height", "must be above the canopy height (" + std::to_string(s.canopy_height) + " m)");
  s.n_can_layers = static_cast<int>(canopy.integer("canopy_layers", 1, 100000));
  s.n_total_layers = s.n_can_layers + static_cast<int>(canopy.integer("atmosphere_layers", 1, 100000));
  s.leaf_angle_type = leaf_angle_type(canopy);
  s.stomata = stomata_type(canopy);
  s.leaf_rh = LeafRhModule::Physics;  // the hybrid needs trained weights: use a model JSON file

  s.soil_depth = soil.number_or("depth", 0.15);
  if (!(s.soil_depth > 0)) soil.fail("depth", "must be positive");
  s.soil_respiration = respiration(soil);
  s.niter = static_cast<int>(solver.integer_or("iterations", 15, 1, 100000));
  s.steps_per_day = static_cast<int>(solver.integer_or("steps_per_day", 48, 1, 86400));
  s.n_soil_layers = kSoilLayers;
  s.dt_soil = kDtSoil;
  s.soil_mtime = soil_steps(s.steps_per_day, s.dt_soil);
  if (s.soil_mtime < 1) solver.fail("steps_per_day", "too many steps per day for the 20 s soil sub-step");
  build_vertical_grid(s);

  apply_parameter_overrides(parameters, m.para);
  const std::string matrix = dispersion.string("matrix");
  m.dij = read_configured_dij(path, dispersion.field("matrix"),
                              TomlSection::line_of(dispersion.require("matrix")), matrix, s);
  set_unknown_stats(m);
  return out;
}

}  // namespace canveg
