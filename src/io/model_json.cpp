// Reader for JAX-CanVeg trained models decoded to JSON (shared/data/jax-canveg-trained/README.md)
// and the vertical grid of docs/model.md 1.2.
//
// The JSON holds the 153 leaves of a CanvegIFT object: the set-up leaves under "setup", the Para
// leaves under "para.<name>.value", the networks under "mlps", the normalisation statistics under
// "var_stats" and the dispersion matrix under "dij", plus the first line of the .eqx file
// ("hyperparameter_header") and the metrics JAX-CanVeg reported. Every value is used as stored:
// in particular hkin is 99999 in every trained file (the bound-clipping artefact of 4.4) and the
// published metrics were computed with it.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iterator>
#include <regex>
#include <string_view>

#include "canveg/errors.hpp"
#include "canveg/model_io.hpp"
#include "canveg/output_io.hpp"
#include "run/column_model.hpp"
#include "io/json_node.hpp"
#include "physics/soil_energy.hpp"

namespace canveg {

namespace {

using io::JsonNode;

int as_int_in(const JsonNode& node, long lo, long hi) {
  const long v = node.integer();
  if (v < lo || v > hi)
    node.fail("value " + std::to_string(v) + " outside " + std::to_string(lo) + ".." + std::to_string(hi));
  return static_cast<int>(v);
}

double positive(const JsonNode& node) {
  const double v = node.number();
  if (!(v > 0) || !std::isfinite(v)) node.fail("must be a positive number, found " + node.value().dump());
  return v;
}

// Site name: an explicit "site name" entry if the file has one, else the site folder of the
// JAX-CanVeg model it was converted from (source.model_file, "examples/<SITE>/<case>/..."), which
// stays right when the file is renamed, else the file name up to the first '_' (the files are
// named <SITE>_<FAMILY>-<w>.json).
std::string site_name_of(const JsonNode& root, const std::string& path) {
  if (root.has("site name")) return root["site name"].string();
  if (root.has("model_configurations") && root["model_configurations"].has("site name"))
    return root["model_configurations"]["site name"].string();
  if (root.has("source") && root["source"].has("model_file")) {
    static const std::regex site_folder("(?:^|/)examples/([A-Z]{2}-[A-Za-z0-9]{3})/");
    const std::string source = root["source"]["model_file"].string();
    std::smatch match;
    if (std::regex_search(source, match, site_folder)) return match[1].str();
  }
  const std::string stem = std::filesystem::path(path).stem().string();
  return stem.substr(0, stem.find('_'));
}

// The site facts are stored up to three times (setup, hyperparameter_header, JAX-CanVeg's
// model_configurations) and the model runs with setup's: a copy edited alone (the readable
// sections, e.g. latitude) would be ignored without a word, so every copy present must agree.
void check_copies_agree(const JsonNode& root, const Setup& s) {
  struct Copy {
    const char* section;
    const char* key;
    double used;
    const char* used_as;
  };
  const Copy copies[] = {
      {"hyperparameter_header", "latitude", s.latitude, "setup.lat_deg"},
      {"hyperparameter_header", "longitude", s.longitude, "setup.long_deg"},
      {"hyperparameter_header", "time_zone", s.time_zone, "setup.time_zone"},
      {"hyperparameter_header", "leafangle", static_cast<double>(s.leaf_angle_type), "setup.leafangle"},
      {"hyperparameter_header", "stomata", static_cast<double>(s.stomata), "setup.stomata"},
      {"hyperparameter_header", "n_can_layers", static_cast<double>(s.n_can_layers), "setup.n_can_layers"},
      {"hyperparameter_header", "n_atmos_layers", static_cast<double>(s.n_atmos_layers()),
       "setup.n_total_layers - n_can_layers"},
      {"hyperparameter_header", "niter", static_cast<double>(s.niter), "setup.niter"},
      {"model_configurations", "latitude", s.latitude, "setup.lat_deg"},
      {"model_configurations", "longitude", s.longitude, "setup.long_deg"},
      {"model_configurations", "time zone", s.time_zone, "setup.time_zone"},
      {"model_configurations", "leaf angle type", static_cast<double>(s.leaf_angle_type), "setup.leafangle"},
      {"model_configurations", "stomata type", static_cast<double>(s.stomata), "setup.stomata"},
      {"model_configurations", "leaf relative humidity module", static_cast<double>(s.leaf_rh), "setup.leafrh"},
      {"model_configurations", "soil respiration module", static_cast<double>(s.soil_respiration), "setup.soilresp"},
      {"model_configurations", "number of canopy layers", static_cast<double>(s.n_can_layers), "setup.n_can_layers"},
      {"model_configurations", "number of atmospheric layers", static_cast<double>(s.n_atmos_layers()),
       "setup.n_total_layers - n_can_layers"},
      {"model_configurations", "number of solver iterations", static_cast<double>(s.niter), "setup.niter"},
      {"model_configurations", "canopy height", s.canopy_height, "hyperparameter_header.veg_ht"},
      {"model_configurations", "measurement height", s.measurement_height, "hyperparameter_header.meas_ht"},
  };
  for (const Copy& c : copies) {
    if (!root.has(c.section) || !root[c.section].has(c.key)) continue;
    JsonNode node = root[c.section][c.key];
    if (node.value().is_null()) continue;
    const double stored = node.number();
    if (std::abs(stored - c.used) > 1e-9 * std::max(1.0, std::abs(c.used))) {
      char text[240];
      std::snprintf(text, sizeof text, "%g disagrees with %s = %g, the value the model runs with: edit both to agree",
                    stored, c.used_as, c.used);
      node.fail(text);
    }
  }
}

// The non-Para leaves (docs/model.md 4.1) and the geometry from the .eqx header line.
void read_setup(const JsonNode& root, Setup& s) {
  const JsonNode setup = root["setup"];
  s.latitude = setup["lat_deg"].number();
  s.longitude = setup["long_deg"].number();
  s.time_zone = setup["time_zone"].number();
  s.leaf_angle_type = as_int_in(setup["leafangle"], 0, 5);
  s.stomata = static_cast<StomataType>(as_int_in(setup["stomata"], 0, 1));
  s.leaf_rh = static_cast<LeafRhModule>(as_int_in(setup["leafrh"], 0, 1));
  s.soil_respiration = static_cast<SoilRespirationModule>(as_int_in(setup["soilresp"], 0, 2));
  s.n_can_layers = as_int_in(setup["n_can_layers"], 1, 100000);
  s.n_total_layers = as_int_in(setup["n_total_layers"], s.n_can_layers + 1, 100000);
  // The soil heat-conduction model has a fixed set of layers (docs/model.md 2.13).
  const long soil_layers = setup["n_soil_layers"].integer();
  if (soil_layers != physics::kSoilLayers)
    setup["n_soil_layers"].fail("the soil heat-conduction model has " + std::to_string(physics::kSoilLayers) +
                                " layers; " + std::to_string(soil_layers) + " is not supported");
  s.n_soil_layers = physics::kSoilLayers;
  s.dt_soil = positive(setup["dt_soil"]);
  s.soil_mtime = as_int_in(setup["soil_mtime"], 1, 10000000);
  // The soil sub-steps must make up one forcing row, a half-hour (validate_model).
  if (std::abs(s.soil_mtime * s.dt_soil - 1800.0) > 1e-9 * 1800.0) {
    char text[160];
    std::snprintf(text, sizeof text, "%d sub-steps of dt_soil = %g s make %g s, not the half-hour (1800 s) of a forcing row",
                  s.soil_mtime, s.dt_soil, s.soil_mtime * s.dt_soil);
    setup["soil_mtime"].fail(text);
  }
  s.niter = as_int_in(setup["niter"], 1, 100000);
  // canveg's formulation and its switches (README "Formulations"), stored by write_model_json; a
  // JAX-CanVeg file has none of them and is read in the jax formulation.
  set_formulation(s, Formulation::Jax);
  if (setup.has("formulation")) {
    const std::string name = setup["formulation"].string();
    Formulation f{};
    if (!parse_formulation(name, f))
      setup["formulation"].fail("expected \"jax\" or \"corrected\", found \"" + name + "\"");
    set_formulation(s, f);
  }
  if (setup.has("single_dark_respiration")) s.single_dark_respiration = as_int_in(setup["single_dark_respiration"], 0, 1);
  if (setup.has("shortwave_sweeps")) s.shortwave_sweeps = as_int_in(setup["shortwave_sweeps"], 1, 1000000);

  const JsonNode header = root["hyperparameter_header"];
  s.canopy_height = positive(header["veg_ht"]);
  s.measurement_height = positive(header["meas_ht"]);
  s.steps_per_day = as_int_in(header["n_hr_per_day"], 1, 86400);
  if (s.steps_per_day != 48)
    header["n_hr_per_day"].fail(std::to_string(s.steps_per_day) +
                                " steps per day; forcings are half-hourly, 48 steps per day");
}

// One profile leaf (zht1, delz1, ...): stored as a list of `n` values; a single number is taken
// as the same value for every node.
std::vector<double> profile(const JsonNode& para, const std::string& name, int n) {
  const JsonNode v = para[name]["value"];
  if (v.value().is_number()) return std::vector<double>(static_cast<std::size_t>(n), v.number());
  std::vector<double> values = v.numbers();
  if (static_cast<int>(values.size()) != n)
    v.fail("expected " + std::to_string(n) + " values, found " + std::to_string(values.size()));
  return values;
}

// The grid as the model stored it (zht = zht1 ++ zht2, delz = delz1 ++ delz2), checked against
// the header geometry it was built from (docs/model.md 1.2: h = zht1[-1], z_m = zht[-1]).
void read_grid(const JsonNode& para, Setup& s) {
  const int J = s.n_can_layers, K = s.n_atmos_layers();
  s.zht = profile(para, "zht1", J);
  const std::vector<double> zht2 = profile(para, "zht2", K);
  s.zht.insert(s.zht.end(), zht2.begin(), zht2.end());
  s.delz = profile(para, "delz1", J);
  const std::vector<double> delz2 = profile(para, "delz2", K);
  s.delz.insert(s.delz.end(), delz2.begin(), delz2.end());
  s.soil_depth = positive(para["soil_depth"]["value"]);

  const auto close = [](double a, double b) { return std::fabs(a - b) <= 1e-9 * std::max(1.0, std::fabs(b)); };
  if (!close(s.zht[static_cast<std::size_t>(J - 1)], s.canopy_height))
    para["zht1"]["value"].fail("top canopy node " + std::to_string(s.zht[static_cast<std::size_t>(J - 1)]) +
                               " m disagrees with hyperparameter_header.veg_ht = " +
                               std::to_string(s.canopy_height) + " m");
  if (!close(s.zht.back(), s.measurement_height))
    para["zht2"]["value"].fail("top node " + std::to_string(s.zht.back()) +
                               " m disagrees with hyperparameter_header.meas_ht = " +
                               std::to_string(s.measurement_height) + " m");
}

bool same_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](unsigned char x, unsigned char y) {
           return std::tolower(x) == std::tolower(y);
         });
}

void read_parameters(const JsonNode& para, Parameters<double>& p) {
  for (std::size_t i = 0; i < kParameterCount; ++i) {
    const JsonNode v = para[std::string(kParameterFields[i].name)]["value"];
    const double x = v.number();
    if (!std::isfinite(x)) v.fail("not a finite number");
    parameter_at(p, i) = x;
  }
  // A member that is neither read nor one of JAX-CanVeg's Para fields the physics leaves unused is
  // a misspelt or invented parameter, an edit that would otherwise change nothing, silently (the
  // site TOML reader refuses unknown keys too).
  static const char* const kOtherFields[] = {"zht1", "zht2", "delz1", "delz2", "soil_depth",  // the grid
                                             "brs", "dLdT", "do3", "eko", "ektau", "extinct", "rgc1000", "rsm",
                                             "skin"};  // in JAX-CanVeg's Para, read by none of its processes
  for (const auto& member : para.value().items()) {
    const std::string& key = member.key();
    bool known = std::find(std::begin(kOtherFields), std::end(kOtherFields), key) != std::end(kOtherFields);
    for (std::size_t i = 0; i < kParameterCount && !known; ++i) known = key == kParameterFields[i].name;
    if (known) continue;
    std::string hint;
    for (std::size_t i = 0; i < kParameterCount; ++i)
      if (same_ignoring_case(key, kParameterFields[i].name)) hint = " (did you mean '" + std::string(kParameterFields[i].name) + "'?)";
    throw InputError(para.file(), 0, para.path() + "." + key, "not a parameter of the model" + hint);
  }
}

const char* activation_name(Activation a) {
  switch (a) {
    case Activation::Tanh: return "tanh";
    case Activation::Sigmoid: return "sigmoid";
    case Activation::Softplus: return "softplus";
    case Activation::Identity: return "identity";
  }
  return "?";
}

// A stated activation must be the one the network's class implies (docs/model.md 3): the
// activations are not stored in the .eqx file, so a disagreement means a wrongly decoded file.
void check_activation(const JsonNode& net, const char* key, Activation expected) {
  if (!net.has(key)) return;
  const std::string stated = net[key].string();
  if (stated != activation_name(expected))
    net[key].fail("expected '" + std::string(activation_name(expected)) + "' for this network, found '" + stated + "'");
}

// A three-layer network (in -> width -> width -> 1), weights stored [out][in] row-major.
DenseNet<double> read_network(const JsonNode& net, Activation hidden, Activation final) {
  DenseNet<double> d;
  d.hidden = hidden;
  d.final = final;
  check_activation(net, "hidden_activation", hidden);
  check_activation(net, "final_activation", final);
  const JsonNode layers = net["layers"];
  if (layers.array_size() != 3) layers.fail("expected 3 layers, found " + std::to_string(layers.array_size()));

  // The width from the first layer's bias, so that a short first weight matrix is reported as
  // that layer's, not as the next layer's disagreeing with it.
  long width = static_cast<long>(layers[std::size_t{0}]["bias"].array_size()), in = -1;
  d.w0 = layers[std::size_t{0}]["weight"].matrix(width, in);
  if (width < 1 || in < 1) layers[std::size_t{0}]["weight"].fail("empty weight matrix");
  long w1_rows = width, w1_cols = width;
  d.w1 = layers[std::size_t{1}]["weight"].matrix(w1_rows, w1_cols);
  long out = 1, w2_cols = width;
  d.w2 = layers[std::size_t{2}]["weight"].matrix(out, w2_cols);
  const auto bias = [&](std::size_t layer, long n) {
    const JsonNode b = layers[layer]["bias"];
    std::vector<double> v = b.numbers();
    if (static_cast<long>(v.size()) != n)
      b.fail("expected " + std::to_string(n) + " values, found " + std::to_string(v.size()));
    return v;
  };
  d.b0 = bias(0, width);
  d.b1 = bias(1, width);
  d.b2 = bias(2, 1);
  d.in_size = static_cast<int>(in);
  d.width = static_cast<int>(width);
  d.out_size = 1;
  return d;
}

// The 15 statistics of VarStats, in JAX-CanVeg's field order (docs/model.md 3).
constexpr std::pair<const char*, double VarStats::*> kStatsFields[] = {
    {"T_air", &VarStats::T_air}, {"rglobal", &VarStats::rglobal}, {"eair", &VarStats::eair},
    {"wind", &VarStats::wind},   {"CO2", &VarStats::CO2},         {"P_kPa", &VarStats::P_kPa},
    {"ustar", &VarStats::ustar}, {"Tsoil", &VarStats::Tsoil},     {"soilmoisture", &VarStats::soilmoisture},
    {"zcanopy", &VarStats::zcanopy}, {"lai", &VarStats::lai},     {"rsoil", &VarStats::rsoil},
    {"LE", &VarStats::LE},       {"H", &VarStats::H},             {"vpd", &VarStats::vpd}};

constexpr std::pair<const char*, VarStats Model<double>::*> kStatsKinds[] = {{"var_mean", &Model<double>::var_mean},
                                                                              {"var_std", &Model<double>::var_std},
                                                                              {"var_max", &Model<double>::var_max},
                                                                              {"var_min", &Model<double>::var_min}};

void read_stats(const JsonNode& node, VarStats& v) {
  for (const auto& [name, member] : kStatsFields) v.*member = node[name].number_or_nan();
}

ReportedMetrics read_reported(const JsonNode& root) {
  ReportedMetrics r;
  if (!root.has("metrics") || root["metrics"].is_null()) return r;
  const JsonNode m = root["metrics"];
  r.le_test_nse = m["LE-test"]["nse"].number();
  r.nee_test_nse = m["NEE-test"]["nse"].number();
  r.le_test_rmse = m["LE-test"]["rmse"].number();
  r.nee_test_rmse = m["NEE-test"]["rmse"].number();
  r.le_train_nse = m["LE-train"]["nse"].number();
  r.nee_train_nse = m["NEE-train"]["nse"].number();
  r.present = true;
  return r;
}


// ---- writer --------------------------------------------------------------------------------

using nlohmann::json;

json value_entry(const json& v) { return json{{"value", v}}; }

json network_json(const DenseNet<double>& net) {
  const auto matrix = [](const std::vector<double>& w, int rows, int cols) {
    json m = json::array();
    for (int o = 0; o < rows; ++o)
      m.push_back(std::vector<double>(w.begin() + static_cast<long>(o) * cols, w.begin() + static_cast<long>(o + 1) * cols));
    return m;
  };
  const int sizes[4] = {net.in_size, net.width, net.width, net.out_size};
  const std::vector<double>* weights[3] = {&net.w0, &net.w1, &net.w2};
  const std::vector<double>* biases[3] = {&net.b0, &net.b1, &net.b2};
  json layers = json::array();
  for (int l = 0; l < 3; ++l)
    layers.push_back({{"weight", matrix(*weights[l], sizes[l + 1], sizes[l])}, {"bias", *biases[l]}});
  return json{{"in_size", net.in_size},
              {"width_size", net.width},
              {"out_size", net.out_size},
              {"hidden_activation", activation_name(net.hidden)},
              {"final_activation", activation_name(net.final)},
              {"layers", layers}};
}

json stats_json(const VarStats& v) {
  json j = json::object();
  for (const auto& [name, member] : kStatsFields) j[name] = v.*member;  // NaN is written as null
  return j;
}

}  // namespace

void build_vertical_grid(Setup& s) {
  // docs/model.md 1.2: J uniform canopy layers up to h, K uniform air layers from h to z_m.
  const std::string source = s.site_name.empty() ? "site set-up" : s.site_name;
  const int J = s.n_can_layers, K = s.n_atmos_layers();
  if (J < 1) throw InputError(source, 0, "n_can_layers", "must be at least 1, found " + std::to_string(J));
  if (K < 1)
    throw InputError(source, 0, "n_total_layers",
                     "must exceed n_can_layers (at least one atmospheric layer), found " +
                         std::to_string(s.n_total_layers) + " total for " + std::to_string(J) + " canopy layers");
  if (!(s.canopy_height > 0))
    throw InputError(source, 0, "canopy_height", "must be positive, found " + std::to_string(s.canopy_height));
  if (!(s.measurement_height > s.canopy_height))
    throw InputError(source, 0, "measurement_height",
                     "must be above the canopy height " + std::to_string(s.canopy_height) + " m, found " +
                         std::to_string(s.measurement_height));
  const double dz_c = s.canopy_height / J;
  const double dz_a = (s.measurement_height - s.canopy_height) / K;
  s.zht.assign(static_cast<std::size_t>(J + K), 0.0);
  s.delz.assign(static_cast<std::size_t>(J + K), 0.0);
  for (int i = 0; i < J + K; ++i) {
    const auto k = static_cast<std::size_t>(i);
    s.zht[k] = i < J ? (i + 1) * dz_c : s.canopy_height + (i - J + 1) * dz_a;
    s.delz[k] = i < J ? dz_c : dz_a;
  }
}

void set_formulation(Setup& s, Formulation f) {
  s.formulation = f;
  const bool corrected = f == Formulation::Corrected;
  s.shortwave_sweeps = corrected ? converged_shortwave_sweeps(s.n_can_layers) : 1;
  s.single_dark_respiration = corrected;
}

const char* formulation_name(Formulation f) { return f == Formulation::Corrected ? "corrected" : "jax"; }

bool parse_formulation(const std::string& name, Formulation& out) {
  if (name == "jax") out = Formulation::Jax;
  else if (name == "corrected") out = Formulation::Corrected;
  else return false;
  return true;
}

std::string describe_formulation(const Setup& s) {
  const bool corrected = s.formulation == Formulation::Corrected;
  const int named_sweeps = corrected ? converged_shortwave_sweeps(s.n_can_layers) : 1;
  const bool modified = named_sweeps != s.shortwave_sweeps || corrected != s.single_dark_respiration;
  return std::string(formulation_name(s.formulation)) + (modified ? ", modified" : "") + " (" +
         std::to_string(s.shortwave_sweeps) + " shortwave sweep" + (s.shortwave_sweeps == 1 ? "" : "s") +
         ", dark respiration subtracted " + (s.single_dark_respiration ? "once" : "twice") + ")";
}

LoadedModel read_model_json(const std::string& path) {
  const nlohmann::json doc = io::parse_json_file(path);
  const JsonNode root(doc, "", path);
  if (!root.is_object()) root.fail("expected a JSON object at the top level");
  // The pure-DNN baselines sit next to the CanVeg models; say what they are instead of "para: missing".
  if (root.has("inputs_in_order") && !root.has("para"))
    root.fail("this is a pure neural-network baseline (DNN) file, not a CanVeg model");

  LoadedModel out;
  out.path = path;
  Model<double>& m = out.model;
  m.setup.site_name = site_name_of(root, path);
  read_setup(root, m.setup);
  const JsonNode para = root["para"];
  read_grid(para, m.setup);
  check_copies_agree(root, m.setup);  // after the grid, which names a header height edited alone
  read_parameters(para, m.para);

  // A network may be absent (a model written from a site file has none); validate_model refuses a
  // model whose modules need a missing one.
  const JsonNode mlps = root["mlps"];
  if (mlps.has("LeafRHDL")) m.leaf_rh_net = read_network(mlps["LeafRHDL"], Activation::Tanh, Activation::Sigmoid);  // MLP2
  if (mlps.has("RsoilDL")) m.rsoil_net = read_network(mlps["RsoilDL"], Activation::Tanh, Activation::Tanh);  // MLP

  const JsonNode stats = root["var_stats"];
  for (const auto& [name, member] : kStatsKinds) read_stats(stats[name], m.*member);

  const JsonNode dij_node = root["dij"];
  const JsonNode dij_values = dij_node.is_object() ? dij_node["value"] : dij_node;
  long rows = m.setup.n_total_layers, cols = m.setup.n_can_layers;
  m.dij = dij_values.matrix(rows, cols);

  out.reported = read_reported(root);
  if (root.has("learning") && root["learning"].has("loss function") &&
      root["learning"]["loss function"].has("weights"))
    out.trained_le_weight = root["learning"]["loss function"]["weights"][0].number();
  return out;
}


void write_model_json(const LoadedModel& loaded, const std::string& path, const nlohmann::json& extra) {
  const Model<double>& m = loaded.model;
  validate_model(m, path);
  const Setup& s = m.setup;
  const int J = s.n_can_layers, K = s.n_atmos_layers();
  json root;
  root["description"] = "canveg model of site " + s.site_name;
  root["site name"] = s.site_name;
  root["hyperparameter_header"] = {{"veg_ht", s.canopy_height},
                                   {"meas_ht", s.measurement_height},
                                   {"n_hr_per_day", s.steps_per_day},
                                   {"n_can_layers", J},
                                   {"n_atmos_layers", K},
                                   {"soil_depth", s.soil_depth},
                                   {"niter", s.niter}};
  root["setup"] = {{"lat_deg", s.latitude},
                   {"long_deg", s.longitude},
                   {"time_zone", s.time_zone},
                   {"leafangle", s.leaf_angle_type},
                   {"stomata", static_cast<int>(s.stomata)},
                   {"leafrh", static_cast<int>(s.leaf_rh)},
                   {"soilresp", static_cast<int>(s.soil_respiration)},
                   {"n_can_layers", J},
                   {"n_total_layers", s.n_total_layers},
                   {"n_soil_layers", s.n_soil_layers},
                   {"dt_soil", s.dt_soil},
                   {"soil_mtime", s.soil_mtime},
                   {"niter", s.niter},
                   {"formulation", formulation_name(s.formulation)},
                   {"single_dark_respiration", s.single_dark_respiration ? 1 : 0},
                   {"shortwave_sweeps", s.shortwave_sweeps}};
  json para = json::object();
  const auto part = [](const std::vector<double>& v, std::size_t b, std::size_t e) {
    return std::vector<double>(v.begin() + static_cast<long>(b), v.begin() + static_cast<long>(e));
  };
  const auto Jz = static_cast<std::size_t>(J), Nz = static_cast<std::size_t>(s.n_total_layers);
  para["zht1"] = value_entry(part(s.zht, 0, Jz));
  para["zht2"] = value_entry(part(s.zht, Jz, Nz));
  para["delz1"] = value_entry(part(s.delz, 0, Jz));
  para["delz2"] = value_entry(part(s.delz, Jz, Nz));
  para["soil_depth"] = value_entry(s.soil_depth);
  for (std::size_t i = 0; i < kParameterCount; ++i)
    para[std::string(kParameterFields[i].name)] = value_entry(parameter_at(m.para, i));
  root["para"] = para;
  json mlps = json::object();
  if (!m.leaf_rh_net.empty()) mlps["LeafRHDL"] = network_json(m.leaf_rh_net);
  if (!m.rsoil_net.empty()) mlps["RsoilDL"] = network_json(m.rsoil_net);
  root["mlps"] = mlps;
  json stats = json::object();
  for (const auto& [name, member] : kStatsKinds) stats[name] = stats_json(m.*member);
  root["var_stats"] = stats;
  json dij = json::array();
  for (std::size_t i = 0; i < Nz; ++i) dij.push_back(part(m.dij, i * Jz, (i + 1) * Jz));
  root["dij"] = {{"shape", {s.n_total_layers, J}}, {"value", dij}};
  if (loaded.reported.present) {
    const ReportedMetrics& r = loaded.reported;
    root["metrics"] = {{"LE-test", {{"nse", r.le_test_nse}, {"rmse", r.le_test_rmse}}},
                       {"NEE-test", {{"nse", r.nee_test_nse}, {"rmse", r.nee_test_rmse}}},
                       {"LE-train", {{"nse", r.le_train_nse}}},
                       {"NEE-train", {{"nse", r.nee_train_nse}}}};
  }
  if (std::isfinite(loaded.trained_le_weight))
    root["learning"] = {{"loss function", {{"type", "MSE"}, {"weights", {loaded.trained_le_weight, 1.0 - loaded.trained_le_weight}}}}};

  for (const auto& [key, value] : extra.items()) root[key] = value;
  // nlohmann::json writes every double in the shortest form that reads back to the same value.
  io::AtomicOutputFile file(path);
  file.stream() << root.dump(1) << '\n';
  file.commit();
}

}  // namespace canveg
