// The pure neural-network baseline of JAX-CanVeg (docs/model.md 3.4): a dense network of the 9
// meteorological forcings to LE and NEE, with no physics, trained per site and LE weight
// (`shared/data/jax-canveg-trained/<SITE>_DNN_LE-GPP-<w>.json`).
//
// Its inputs and outputs were standardised with scikit-learn's StandardScaler (mean, population
// standard deviation) fitted on the training forcings (after the load-time guards: wind >= 0.75,
// u* >= 0.1, Rg >= 0) and the training fluxes (LE and NEE, gaps interpolated). JAX-CanVeg did not
// store those statistics with the network; fit_dnn_scalers recomputes them from the same files.
// The network ran in single precision, and so does run_dnn.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "canveg/forcing.hpp"
#include "canveg/model_io.hpp"
#include "canveg/observations.hpp"
#include "canveg/parameters.hpp"

namespace canveg {

inline constexpr std::size_t kDnnInputs = 9;
// The forcing variables the network reads, in its input order, by kForcingFields name.
inline constexpr std::array<const char*, kDnnInputs> kDnnInputNames = {"ta",    "rg", "eair", "ws", "co2",
                                                                       "pa",    "ustar", "swc", "lai"};

struct DnnModel {
  std::string path;
  std::string site_name;
  DenseNet<double> net;  // 9 -> width -> width -> 2 (LE, NEE), tanh hidden, identity output
  // Standardisation: x_norm = (x - mean) / std, y = y_norm * std + mean.
  std::array<double, kDnnInputs> input_mean{}, input_std{};
  std::array<double, 2> output_mean{}, output_std{};  // LE, NEE
  bool has_scalers = false;
  ReportedMetrics reported;
  double trained_le_weight = 0.5;
};

// Reads a DNN baseline file; its scalers too when it carries them ("scalers", as written by
// write_dnn_json). Throws InputError naming the file and field.
DnnModel read_dnn_json(const std::string& path);

// True when a model JSON is a DNN baseline rather than a CanVeg model.
bool is_dnn_json(const std::string& path);

// Fits the StandardScaler statistics from the training forcings and fluxes (rows aligned).
void fit_dnn_scalers(DnnModel& model, const ForcingRecord& training_forcing, const ObservedFluxes& training_fluxes);

struct DnnPrediction {
  std::vector<double> LE, NEE;
};

// LE and NEE for every forcing row (single-precision network, as trained). Throws InputError when
// the model has no scalers.
DnnPrediction run_dnn(const DnnModel& model, const ForcingRecord& forcing);

}  // namespace canveg
