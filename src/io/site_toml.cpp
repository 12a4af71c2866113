// Our TOML site file (examples/sites/README.md), read into a model with the default parameters of
// 4.2 (optionally overridden in [parameters]), the uniform grid of 1.2 and a dispersion matrix read
// from a CSV file whose path is relative to the site file's folder.
#include <cctype>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>

#include <toml++/toml.h>

#include "canveg/errors.hpp"
#include "canveg/model_io.hpp"
#include "io/site_config_common.hpp"
#include "physics/soil_energy.hpp"

namespace canveg {

using namespace io;  // site_config_common.hpp

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
        throw InputError(file_, line_of(value), field(key.str()), "unknown key in [" + name_ + "]" + hint(key.str()));
  }

  // Keys a user may reasonably put in the wrong place.
  static std::string hint(std::string_view key) {
    if (key == "lai" || key == "LAI")
      return ": leaf area index is a forcing, read from the forcing file's LAI column, or given as [forcing] lai "
             "= VALUE or \"file.csv\" here, or --lai on the command line";
    return {};
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

// Leaf-angle types by the names JAX-CanVeg's code gives them (docs/model.md 2.4). The names of
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

// A [forcing] sub-table of VAR = "TEXT" pairs (columns, units).
std::vector<std::pair<std::string, std::string>> text_pairs(const TomlSection& forcing, const std::string& key) {
  std::vector<std::pair<std::string, std::string>> out;
  const toml::node* n = forcing.find(key);
  if (!n) return out;
  const toml::table* t = n->as_table();
  if (!t) forcing.fail(key, "expected a table of VAR = \"...\" (e.g. " + key + " = { ts = \"TS_F_MDS_1\" })");
  for (const auto& [var, value] : *t) {
    if (!value.is_string())
      throw InputError(forcing.file(), TomlSection::line_of(value), forcing.field(key + "." + std::string(var.str())),
                       "expected a string");
    out.emplace_back(std::string(var.str()), *value.value<std::string>());
  }
  return out;
}

// [forcing]: how this site's forcing files are read (include/canveg/forcing.hpp). A file named for
// LAI, canopy height or the supplement is relative to the site file's folder.
ForcingReadOptions forcing_options(const TomlSection& forcing, const std::string& site_path) {
  const auto beside_site = [&](const std::string& name) {
    return (std::filesystem::path(site_path).parent_path() / name).string();
  };
  ForcingReadOptions o;
  o.columns = text_pairs(forcing, "columns");
  o.units = text_pairs(forcing, "units");
  for (const auto& [key, variable] : {std::pair<std::string, std::string>{"lai", "lai"}, {"canopy_height", "veg_ht"}}) {
    const toml::node* n = forcing.find(key);
    if (!n) continue;
    if (n->is_number()) o.constants.emplace_back(variable, forcing.to_number(key, *n));
    else if (n->is_string())
      o.series_files.emplace_back(variable, beside_site(*n->value<std::string>()));
    else forcing.fail(key, "expected a number or a file name");
  }
  if (const toml::node* n = forcing.find("supplement")) {
    if (!n->is_string()) forcing.fail("supplement", "expected a file name");
    o.supplement = beside_site(*n->value<std::string>());
  }
  if (const toml::node* n = forcing.find("netcdf_time")) {
    const std::optional<std::string> mark = n->value<std::string>();
    if (!mark || (*mark != "start" && *mark != "end")) forcing.fail("netcdf_time", "expected \"start\" or \"end\"");
    o.netcdf_time = *mark == "end" ? NetcdfTimeMark::End : NetcdfTimeMark::Start;
  }
  return o;
}

// [parameters]: name = value for any field of Parameters (4.2); unknown names are errors.
void apply_parameter_overrides(const TomlSection& section, Parameters<double>& p) {
  if (!section.table()) return;
  for (const auto& [key, value] : *section.table()) {
    const std::string name(key.str());
    const std::size_t index = field_index(kParameterFields, name);
    if (index == kParameterCount)
      throw InputError(section.file(), TomlSection::line_of(value), section.field(name),
                       "unknown parameter (the parameters are listed by 'canveg --help' and in docs/fields.md)");
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
  static const std::set<std::string> kSections = {"site",       "canopy",     "soil",   "solver",
                                                  "dispersion", "parameters", "forcing"};
  for (const auto& [key, value] : root)
    if (!kSections.count(std::string(key.str())))
      throw InputError(path, TomlSection::line_of(value), std::string(key.str()),
                       "unknown section (expected site, canopy, soil, solver, dispersion, parameters, forcing)");

  const TomlSection site(root, "site", path, {"name", "latitude", "longitude", "time_zone"}, true);
  const TomlSection canopy(root, "canopy", path,
                           {"height", "measurement_height", "canopy_layers", "atmosphere_layers",
                            "leaf_angle_type", "stomata"},
                           true);
  const TomlSection soil(root, "soil", path, {"depth", "respiration"}, false);
  const TomlSection solver(root, "solver", path, {"iterations", "steps_per_day", "formulation", "converge", "max_iterations"}, false);
  const TomlSection dispersion(root, "dispersion", path, {"matrix"}, true);
  const TomlSection parameters(root, "parameters", path, {}, false);
  const TomlSection forcing(root, "forcing", path,
                            {"columns", "units", "lai", "canopy_height", "supplement", "netcdf_time"}, false);

  LoadedModel out;
  out.path = path;
  Model<double>& m = out.model;
  Setup& s = m.setup;
  s.site_name = site.string_or("name", std::filesystem::path(path).stem().string());
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
  // Forcing rows are half-hours (the readers accept nothing else); another count would solve the
  // soil of every row for the wrong length of time.
  if (s.steps_per_day != 48)
    solver.fail("steps_per_day", std::to_string(s.steps_per_day) + "; forcings are half-hourly, 48 steps per day");
  out.converge_tolerance = solver.number_or("converge", 0.0);
  if (!(out.converge_tolerance >= 0) || !std::isfinite(out.converge_tolerance))
    solver.fail("converge", "the tolerance must be positive (0: JAX-CanVeg's fixed iterations)");
  out.max_iterations = static_cast<int>(solver.integer_or("max_iterations", 0, 0, 100000));
  if (out.max_iterations > 0 && !(out.converge_tolerance > 0))
    solver.fail("max_iterations", "applies only with converge (the iterations are otherwise the fixed 'iterations')");
  s.n_soil_layers = physics::kSoilLayers;
  s.dt_soil = kDtSoil;
  s.soil_mtime = soil_steps(s.steps_per_day, s.dt_soil);
  if (s.soil_mtime < 1) solver.fail("steps_per_day", "too many steps per day for the 20 s soil sub-step");
  // A site of our own solves the corrected formulation unless its file asks for JAX-CanVeg's.
  const std::string formulation = solver.string_or("formulation", "corrected");
  Formulation f{};
  if (!parse_formulation(formulation, f))
    solver.fail("formulation", "expected \"jax\" or \"corrected\", found \"" + formulation + "\"");
  set_formulation(s, f);
  build_vertical_grid(s);

  apply_parameter_overrides(parameters, m.para);
  const std::string matrix = dispersion.string("matrix");
  m.dij = read_configured_dij(path, dispersion.field("matrix"),
                              TomlSection::line_of(dispersion.require("matrix")), matrix, s);
  s.dispersion_matrix_file = matrix;
  set_unknown_stats(m);
  out.forcing_options = forcing_options(forcing, path);
  return out;
}

}  // namespace canveg
