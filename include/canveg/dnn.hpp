// The pure neural-network baseline of JAX-CanVeg (docs/model.md 3.4): a dense network of the 9
// meteorological forcings to LE and NEE, with no physics, trained per site and LE weight
// (`shared/data/jax-canveg-trained/<SITE>_DNN_LE-GPP-<w>.json`).
//
// Its inputs and outputs were standardised with scikit-learn's StandardScaler (mean, population
// standard deviation) fitted on the training forcings (after the load-time guards: wind >= 0.75,
// u* >= 0.1, Rg >= 0) and the training fluxes (LE and NEE, gaps interpolated). JAX-CanVeg did not
// store those statistics with the network; fit_dnn_scalers recomputes them from the same files.
// The network ran in single precision, and so does run_dnn.
//
// train_dnn trains such a network with JAX-CanVeg's procedure (docs/training.md, "Training the
// neural-network baseline"); the model it returns carries its scalers, and write_dnn_json stores
// them, so that run_dnn needs no training files.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "canveg/forcing.hpp"
#include "canveg/model_io.hpp"
#include "canveg/observations.hpp"
#include "canveg/parameters.hpp"
#include "canveg/train.hpp"

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

// Writes a DNN baseline file in the layout read_dnn_json reads (JAX-CanVeg's layer order and input
// names), with the scalers when the model has them and its LE weight; `extra` keys are added at the
// top level (e.g. a training record). Written atomically; reads back to identical predictions.
void write_dnn_json(const DnnModel& model, const std::string& path,
                    const nlohmann::json& extra = nlohmann::json::object());

// True when a model JSON is a DNN baseline rather than a CanVeg model.
bool is_dnn_json(const std::string& path);

// Fits the StandardScaler statistics from the training forcings and fluxes (rows aligned). As in
// scikit-learn, a constant column (e.g. LAI over a short window) keeps the scale 1.
void fit_dnn_scalers(DnnModel& model, const ForcingRecord& training_forcing, const ObservedFluxes& training_fluxes);

struct DnnPrediction {
  std::vector<double> LE, NEE;
};

// LE and NEE for every forcing row (single-precision network, as trained). Throws InputError when
// the model has no scalers.
DnnPrediction run_dnn(const DnnModel& model, const ForcingRecord& forcing);

// ---- training ----------------------------------------------------------------------------------

// A new network for a site, JAX-CanVeg's shape (9 -> width -> width -> 2, tanh hidden layers,
// identity output) with weights and biases drawn uniformly in +-1/sqrt(fan-in) of each layer
// (Equinox's Linear initialisation) by initialise_network(seed). No scalers yet.
DnnModel new_dnn_model(const std::string& site_name, std::uint64_t seed, int width = 6);

// JAX-CanVeg's settings (examples/<SITE>/train_dnns.py, shared_utilities/dnn.py::train_dnn).
struct DnnTrainOptions {
  int epochs = 300;
  std::size_t batch_size = 64;  // rows per Adam step; the last, shorter batch of an epoch is kept
  // optax.piecewise_constant_schedule(0.2, {50: 0.1, 100: 0.1, 200: 0.1}), counted in Adam steps
  // (mini-batches), not epochs: the rate of step s is 0.2 x 0.1^(number of boundaries <= s).
  LearningRateSchedule learning_rate{0.2, {50, 100, 200}, 0.1};
  double adam_b1 = 0.9, adam_b2 = 0.999, adam_eps = 1e-8;  // optax.adam defaults
  double le_weight = 0.5;  // w in w MSE(LE) + (1 - w) MSE(NEE), on standardised outputs
  // The batch order: the rows are shuffled at every epoch by a generator of this seed (JAX-CanVeg
  // shuffles with torch's unseeded global generator, so its order cannot be reproduced).
  std::uint64_t seed = 0;
};

struct DnnTrainProblem {
  DnnModel initial;         // its network is the starting point; the scalers are refitted
  ForcingRecord forcing;    // training period
  ObservedFluxes observed;  // its LE and NEE (gaps interpolated)
  const ForcingRecord* test_forcing = nullptr;  // optional test period, scored after every epoch
  const ObservedFluxes* test_observed = nullptr;
};

// One epoch of a DNN training; the losses are those after the epoch's steps, over the whole
// training (test) period, as JAX-CanVeg's loss.csv records them.
struct DnnEpochRecord {
  int epoch = 0;               // 0-based
  long steps = 0;              // Adam steps done by the end of the epoch
  double learning_rate = 0.0;  // of the epoch's last step
  double train_loss = 0.0;
  double test_loss = 0.0;      // NaN without test data
  double seconds = 0.0;
};

struct DnnTrainResult {
  DnnModel model;                    // trained, with the scalers of the training data
  double initial_train_loss = 0.0;  // before the first step
  double initial_test_loss = 0.0;   // NaN without test data
  std::vector<DnnEpochRecord> history;
  std::string stop_reason;  // "completed N epochs" or why it stopped early
  int epochs_run = 0;
};

using DnnEpochCallback = std::function<void(const DnnEpochRecord&)>;

// Trains the network of `problem.initial` (JAX-CanVeg's train_dnn): fits the scalers (StandardScaler)
// on the training forcings and fluxes, then for every epoch shuffles the rows, takes one Adam step
// per batch of `batch_size` rows on the loss of that batch, and records the losses. All network
// arithmetic (forward, gradient, Adam) is single precision, as JAX-CanVeg's. Deterministic for a
// given seed. A non-finite training loss stops the training and keeps the network of the epoch
// before. Throws InputError (misaligned files, fewer rows than one batch, w outside [0, 1], a
// network that is not 9 inputs -> 2 outputs) before any work.
DnnTrainResult train_dnn(const DnnTrainProblem& problem, const DnnTrainOptions& options,
                         const DnnEpochCallback& on_epoch = {});

// The epoch history as CSV: epoch, steps, learning_rate, train_loss, test_loss, seconds.
void write_dnn_train_history(const DnnTrainResult& result, const std::string& path);

}  // namespace canveg
