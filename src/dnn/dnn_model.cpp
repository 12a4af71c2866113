// The pure neural-network baseline (include/canveg/dnn.hpp).
#include <cmath>
#include <filesystem>

#include "canveg/dnn.hpp"
#include "canveg/errors.hpp"
#include "canveg/metrics.hpp"
#include "io/json_node.hpp"
#include "nn/dense_net.hpp"
#include "physics/column_solver.hpp"

namespace canveg {

namespace {

using io::JsonNode;

// The network inputs of one forcing row, after JAX-CanVeg's load-time guards (the same guards the
// physics applies: physics::make_row_forcing).
std::array<double, kDnnInputs> dnn_inputs(const ForcingRecord& f, std::size_t r) {
  const ForcingRow raw = f.row(r);
  const physics::RowForcing guarded = physics::make_row_forcing(raw);
  return {raw.ta, guarded.rglobal, raw.eair, guarded.wind, raw.co2, raw.pa, guarded.ustar, raw.swc, raw.lai};
}

}  // namespace

bool is_dnn_json(const std::string& path) {
  const nlohmann::json doc = io::parse_json_file(path);
  return doc.is_object() && doc.contains("inputs_in_order") && !doc.contains("para");
}

DnnModel read_dnn_json(const std::string& path) {
  const nlohmann::json doc = io::parse_json_file(path);
  const JsonNode root(doc, "", path);
  if (!root.has("inputs_in_order")) root.fail("not a neural-network baseline (DNN) file: no inputs_in_order");
  // The inputs must be the nine variables in the order the network was trained on.
  static const char* const kJaxNames[kDnnInputs] = {"T_air", "rglobal", "eair",        "wind", "CO2",
                                                    "P_kPa", "ustar",   "soilmoisture", "lai"};
  const JsonNode inputs = root["inputs_in_order"];
  if (inputs.array_size() != kDnnInputs) inputs.fail("expected 9 inputs");
  for (std::size_t i = 0; i < kDnnInputs; ++i)
    if (inputs[i].string() != kJaxNames[i])
      inputs[i].fail("expected '" + std::string(kJaxNames[i]) + "', found '" + inputs[i].string() + "'");

  DnnModel m;
  m.path = path;
  const std::string stem = std::filesystem::path(path).stem().string();
  m.site_name = stem.substr(0, stem.find('_'));
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
  // The LE weight is the number after the last '-' of the file name (<SITE>_DNN_LE-GPP-<w>.json).
  try {
    m.trained_le_weight = std::stod(stem.substr(stem.rfind('-') + 1));
  } catch (const std::exception&) {
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
    for (std::size_t r = 0; r < n; ++r) column[r] = dnn_inputs(forcing, r)[k];
    const Standardisation s = standardisation_of(column, forcing.source, kDnnInputNames[k]);
    model.input_mean[k] = s.mean, model.input_std[k] = s.std;
  }
  const Standardisation le = standardisation_of(fluxes.LE, fluxes.source, "LE");
  const Standardisation nee = standardisation_of(fluxes.NEE, fluxes.source, "NEE");
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
  DenseNet<float> net;
  net.in_size = model.net.in_size;
  net.width = model.net.width;
  net.out_size = model.net.out_size;
  net.hidden = model.net.hidden;
  net.final = model.net.final;
  const auto to_float = [](const std::vector<double>& v) { return std::vector<float>(v.begin(), v.end()); };
  net.w0 = to_float(model.net.w0), net.b0 = to_float(model.net.b0), net.w1 = to_float(model.net.w1);
  net.b1 = to_float(model.net.b1), net.w2 = to_float(model.net.w2), net.b2 = to_float(model.net.b2);
  const nn::DenseNetView<float> view = nn::view_of(net);

  DnnPrediction p;
  p.LE.resize(forcing.size());
  p.NEE.resize(forcing.size());
  for (std::size_t r = 0; r < forcing.size(); ++r) {
    const std::array<double, kDnnInputs> x = dnn_inputs(forcing, r);
    float x_norm[kDnnInputs];
    for (std::size_t k = 0; k < kDnnInputs; ++k)
      x_norm[k] = static_cast<float>((x[k] - model.input_mean[k]) / model.input_std[k]);
    float y[2];
    nn::evaluate(view, x_norm, y);
    // scikit-learn's inverse_transform keeps the network's single-precision array.
    p.LE[r] = static_cast<float>(static_cast<float>(y[0] * model.output_std[0]) + model.output_mean[0]);
    p.NEE[r] = static_cast<float>(static_cast<float>(y[1] * model.output_std[1]) + model.output_mean[1]);
  }
  return p;
}

}  // namespace canveg
