// The pure neural-network baseline (include/canveg/dnn.hpp).
#include <algorithm>
#include <cmath>
#include <filesystem>

#include "canveg/dnn.hpp"
#include "canveg/errors.hpp"
#include "canveg/metrics.hpp"
#include "canveg/output_io.hpp"
#include "dnn/dnn_data.hpp"
#include "io/json_node.hpp"
#include "nn/dense_net.hpp"
#include "physics/column_solver.hpp"

namespace canveg {

namespace {

using io::JsonNode;
using nlohmann::json;

// JAX-CanVeg's names of the network inputs, in order (examples/<SITE>/train_dnns.py in_varns).
constexpr std::array<const char*, kDnnInputs> kJaxInputNames = {"T_air", "rglobal", "eair",        "wind", "CO2",
                                                                "P_kPa", "ustar",   "soilmoisture", "lai"};

// scikit-learn's StandardScaler: mean and population standard deviation, except that a constant
// column keeps the scale 1 (sklearn.preprocessing._data._handle_zeros_in_scale) instead of failing;
// a short window can hold a constant LAI.
Standardisation standard_scaler_of(const std::vector<double>& column, const std::string& file, const std::string& field) {
  const bool constant = !column.empty() && std::isfinite(column.front()) &&
                        std::all_of(column.begin(), column.end(), [&](double x) { return x == column.front(); });
  if (constant) return {column.front(), 1.0};
  return standardisation_of(column, file, field);
}

json layer_json(const std::vector<double>& weight, const std::vector<double>& bias, int out, int in) {
  json rows = json::array();
  for (int o = 0; o < out; ++o)
    rows.push_back(std::vector<double>(weight.begin() + o * in, weight.begin() + (o + 1) * in));
  return {{"weight", rows}, {"weight_shape", {out, in}}, {"bias", bias}, {"bias_shape", {out}}};
}

}  // namespace

namespace dnn {

std::array<double, kDnnInputs> guarded_inputs(const ForcingRecord& f, std::size_t r) {
  // The same guards as the physics applies (physics::make_row_forcing).
  const ForcingRow raw = f.row(r);
  const physics::RowForcing guarded = physics::make_row_forcing(raw);
  return {raw.ta, guarded.rglobal, raw.eair, guarded.wind, raw.co2, raw.pa, guarded.ustar, raw.swc, raw.lai};
}

StandardisedData<float> standardise(const DnnModel& model, const ForcingRecord& forcing, const ObservedFluxes* fluxes) {
  StandardisedData<float> d;
  const std::size_t n = forcing.size();
  d.x.resize(n * kInputs);
  for (std::size_t r = 0; r < n; ++r) {
    const std::array<double, kDnnInputs> x = guarded_inputs(forcing, r);
    for (std::size_t k = 0; k < kDnnInputs; ++k)
      d.x[r * kInputs + k] = static_cast<float>((x[k] - model.input_mean[k]) / model.input_std[k]);
  }
  if (fluxes) {
    d.y.resize(n * kOutputs);
    for (std::size_t r = 0; r < n; ++r) {
      d.y[r * kOutputs + 0] = static_cast<float>((fluxes->LE[r] - model.output_mean[0]) / model.output_std[0]);
      d.y[r * kOutputs + 1] = static_cast<float>((fluxes->NEE[r] - model.output_mean[1]) / model.output_std[1]);
    }
  }
  return d;
}

namespace {

template <class To, class From>
DenseNet<To> convert(const DenseNet<From>& net) {
  DenseNet<To> out;
  out.in_size = net.in_size;
  out.width = net.width;
  out.out_size = net.out_size;
  out.hidden = net.hidden;
  out.final = net.final;
  const auto copy = [](const std::vector<From>& v) { return std::vector<To>(v.begin(), v.end()); };
  out.w0 = copy(net.w0), out.b0 = copy(net.b0), out.w1 = copy(net.w1);
  out.b1 = copy(net.b1), out.w2 = copy(net.w2), out.b2 = copy(net.b2);
  return out;
}

}  // namespace

DenseNet<float> single_precision(const DenseNet<double>& net) { return convert<float>(net); }
DenseNet<double> double_precision(const DenseNet<float>& net) { return convert<double>(net); }

}  // namespace dnn

bool is_dnn_json(const std::string& path) {
  const nlohmann::json doc = io::parse_json_file(path);
  return doc.is_object() && doc.contains("inputs_in_order") && !doc.contains("para");
}

DnnModel read_dnn_json(const std::string& path) {
  const nlohmann::json doc = io::parse_json_file(path);
  const JsonNode root(doc, "", path);
  if (!root.has("inputs_in_order")) root.fail("not a neural-network baseline (DNN) file: no inputs_in_order");
  // The inputs must be the nine variables in the order the network was trained on.
  const JsonNode inputs = root["inputs_in_order"];
  if (inputs.array_size() != kDnnInputs) inputs.fail("expected 9 inputs");
  for (std::size_t i = 0; i < kDnnInputs; ++i)
    if (inputs[i].string() != kJaxInputNames[i])
      inputs[i].fail("expected '" + std::string(kJaxInputNames[i]) + "', found '" + inputs[i].string() + "'");

  DnnModel m;
  m.path = path;
  const std::string stem = std::filesystem::path(path).stem().string();
  // JAX-CanVeg's files name the site in the file name (<SITE>_DNN_LE-GPP-<w>.json), ours inside.
  m.site_name = root.has("site name") ? root["site name"].string() : stem.substr(0, stem.find('_'));
  const JsonNode layers = root["layers"];
  if (layers.array_size() != 3) layers.fail("expected 3 layers (depth 2), found " + std::to_string(layers.array_size()));
  long width = -1, in = kDnnInputs;
  m.net.w0 = layers[std::size_t{0}]["weight"].matrix(width, in);
  long w1_rows = width, w1_cols = width, out = 2;
  m.net.w1 = layers[std::size_t{1}]["weight"].matrix(w1_rows, w1_cols);
  m.net.w2 = layers[std::size_t{2}]["weight"].matrix(out, w1_cols);
  m.net.b0 = layers[std::size_t{0}]["bias"].numbers();
  m.net.b1 = layers[std::size_t{1}]["bias"].numbers();
  m.net.b2 = layers[std::size_t{2}]["bias"].numbers();
  if (static_cast<long>(m.net.b0.size()) != width || static_cast<long>(m.net.b1.size()) != width ||
      m.net.b2.size() != 2)
    layers.fail("bias sizes do not match the weights");
  if (width > nn::kMaxWidth) layers.fail("network wider than " + std::to_string(nn::kMaxWidth));
  m.net.in_size = static_cast<int>(kDnnInputs);
  m.net.width = static_cast<int>(width);
  m.net.out_size = 2;
  m.net.hidden = Activation::Tanh;
  m.net.final = Activation::Identity;

  if (root.has("scalers")) {
    const JsonNode s = root["scalers"];
    const auto fill = [](const JsonNode& node, auto& array) {
      const std::vector<double> v = node.numbers();
      if (v.size() != array.size()) node.fail("expected " + std::to_string(array.size()) + " values");
      std::copy(v.begin(), v.end(), array.begin());
    };
    fill(s["input_mean"], m.input_mean);
    fill(s["input_std"], m.input_std);
    fill(s["output_mean"], m.output_mean);
    fill(s["output_std"], m.output_std);
    m.has_scalers = true;
  }
  if (root.has("metrics") && !root["metrics"].is_null()) {
    const JsonNode r = root["metrics"];
    m.reported.le_test_nse = r["LE-test"]["nse"].number();
    m.reported.nee_test_nse = r["NEE-test"]["nse"].number();
    m.reported.le_test_rmse = r["LE-test"]["rmse"].number();
    m.reported.nee_test_rmse = r["NEE-test"]["rmse"].number();
    m.reported.le_train_nse = r["LE-train"]["nse"].number();
    m.reported.nee_train_nse = r["NEE-train"]["nse"].number();
    m.reported.present = true;
  }
  // The LE weight: written by write_dnn_json ("learning"), else the number after the last '-' of
  // JAX-CanVeg's file name (<SITE>_DNN_LE-GPP-<w>.json).
  if (root.has("learning")) {
    m.trained_le_weight = root["learning"]["loss function"]["weights"][std::size_t{0}].number();
  } else {
    try {
      m.trained_le_weight = std::stod(stem.substr(stem.rfind('-') + 1));
    } catch (const std::exception&) {
    }
  }
  return m;
}

void fit_dnn_scalers(DnnModel& model, const ForcingRecord& forcing, const ObservedFluxes& fluxes) {
  check_alignment(fluxes, forcing.timestamp, forcing.source);
  if (fluxes.LE.empty() || fluxes.NEE.empty())
    throw InputError(fluxes.source, 0, fluxes.LE.empty() ? "LE" : "NEE", "the scaler needs both LE and NEE");
  const std::size_t n = forcing.size();
  for (std::size_t k = 0; k < kDnnInputs; ++k) {
    std::vector<double> column(n);
    for (std::size_t r = 0; r < n; ++r) column[r] = dnn::guarded_inputs(forcing, r)[k];
    const Standardisation s = standard_scaler_of(column, forcing.source, kDnnInputNames[k]);
    model.input_mean[k] = s.mean, model.input_std[k] = s.std;
  }
  const Standardisation le = standard_scaler_of(fluxes.LE, fluxes.source, "LE");
  const Standardisation nee = standard_scaler_of(fluxes.NEE, fluxes.source, "NEE");
  model.output_mean = {le.mean, nee.mean};
  model.output_std = {le.std, nee.std};
  model.has_scalers = true;
}

DnnPrediction run_dnn(const DnnModel& model, const ForcingRecord& forcing) {
  if (!model.has_scalers)
    throw InputError(model.path, 0, "scalers",
                     "the network's input and output scalers are not in the file; give the training forcing and "
                     "fluxes to recompute them (--scaler-forcing, --scaler-fluxes)");
  // Single precision, as the network was trained (JAX without x64): weights, inputs and layers in
  // float, the standardisation in double as scikit-learn does it.
  const DenseNet<float> net = dnn::single_precision(model.net);
  const nn::DenseNetView<float> view = nn::view_of(net);
  const dnn::StandardisedData<float> inputs = dnn::standardise(model, forcing);

  DnnPrediction p;
  p.LE.resize(forcing.size());
  p.NEE.resize(forcing.size());
  for (std::size_t r = 0; r < forcing.size(); ++r) {
    float y[2];
    nn::evaluate(view, &inputs.x[r * dnn::kInputs], y);
    // scikit-learn's inverse_transform keeps the network's single-precision array.
    p.LE[r] = static_cast<float>(static_cast<float>(y[0] * model.output_std[0]) + model.output_mean[0]);
    p.NEE[r] = static_cast<float>(static_cast<float>(y[1] * model.output_std[1]) + model.output_mean[1]);
  }
  return p;
}

void write_dnn_json(const DnnModel& m, const std::string& path, const json& extra) {
  const DenseNet<double>& net = m.net;
  if (net.in_size != static_cast<int>(kDnnInputs) || net.out_size != 2 || net.hidden != Activation::Tanh ||
      net.final != Activation::Identity)
    throw InputError(path, 0, "layers", "only a 9-input, 2-output network with tanh hidden layers and an identity "
                                        "output can be written as a DNN baseline file");
  json root;
  root["description"] = "Pure neural-network baseline for site " + m.site_name + ", outputs [LE, NEE]";
  root["site name"] = m.site_name;
  root["hyperparameter_header"] = {{"depth", 2},
                                   {"width_size", net.width},
                                   {"in_size", net.in_size},
                                   {"out_size", net.out_size},
                                   {"hidden_activation", "tanh"},
                                   {"final_activation", "identity"}};
  root["inputs_in_order"] = kJaxInputNames;
  root["outputs_in_order"] = {"LE", "NEE"};
  root["forward"] = "h = tanh(W @ x + b) for the hidden layers; y = W_last @ h + b_last; weight shape [out, in]; "
                    "x = (forcing - input_mean) / input_std, flux = y * output_std + output_mean";
  root["layers"] = {layer_json(net.w0, net.b0, net.width, net.in_size),
                    layer_json(net.w1, net.b1, net.width, net.width),
                    layer_json(net.w2, net.b2, net.out_size, net.width)};
  if (m.has_scalers)
    root["scalers"] = {{"input_mean", m.input_mean},
                       {"input_std", m.input_std},
                       {"output_mean", m.output_mean},
                       {"output_std", m.output_std}};
  root["learning"] = {{"loss function", {{"type", "MSE"}, {"weights", {m.trained_le_weight, 1.0 - m.trained_le_weight}}}}};
  for (const auto& [key, value] : extra.items()) root[key] = value;
  // nlohmann::json writes every double in the shortest form that reads back to the same value.
  io::AtomicOutputFile file(path);
  file.stream() << root.dump(1) << '\n';
  file.commit();
}

}  // namespace canveg
