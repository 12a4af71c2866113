// Training: fitting the parameters of a model to observed LE and NEE with JAX-CanVeg's procedure
// (docs/model.md 6; docs/training.md), with its defects available for reproduction only.
//
//   canveg::TrainProblem problem{model, forcing, observed, &test_forcing, &test_observed};
//   canveg::TrainOptions options;                // 300 epochs, Adam, lr 0.01 halved at 50/100/200
//   options.loss.le_weight = 0.5;
//   canveg::TrainResult r = canveg::train(problem, options);
//   canveg::write_model_json(r.model, "trained.json");
//
// One epoch is one Adam step: the loss and gradient of every batch of contiguous half-hours,
// averaged over batches (the loss_and_gradient of canveg/gradient.hpp); then the update, then
// every parameter clipped to its bounds (the parameter table's, include/canveg/fields.hpp); then
// the test loss (independent half-hours, as JAX-CanVeg logs it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "canveg/forcing.hpp"
#include "canveg/gradient.hpp"
#include "canveg/model_io.hpp"
#include "canveg/observations.hpp"

namespace canveg {

// optax's piecewise-constant schedule as JAX-CanVeg configures it: the rate of epoch e (0-based)
// is initial x scale^(number of boundaries <= e).
struct LearningRateSchedule {
  double initial = 0.01;
  std::vector<int> boundaries = {50, 100, 200};
  double scale = 0.5;
  double at(int epoch) const;
};

// What JAX-CanVeg does when a stop rule fires (docs/training.md).
enum class StopModel {
  LastAccepted,  // ours: the last model whose training loss passed the rules
  Tripping,      // JAX-CanVeg's: the model whose loss tripped the rule
};

inline constexpr int kExactFromAuto = -2, kExactFromNever = -1;

enum class KeptParameters { LowestTrainingLoss, Last };

struct TrainOptions {
  int epochs = 300;
  LearningRateSchedule learning_rate;
  double adam_b1 = 0.9, adam_b2 = 0.999, adam_eps = 1e-8;  // optax defaults
  // Loss weight and output standardisation. When the scaler is left at its default (mean 0,
  // std 1) train() computes it from the training observations, as JAX-CanVeg does.
  LossSpec loss;
  bool scaler_given = false;
  // Batches (JAX-CanVeg: 1024 contiguous half-hours, the rows after the last full batch dropped),
  // the fixed-point gradient method and the threads. The one-step gradient by default: in the
  // 1-layer study (docs/training.md) it ended below JAX-CanVeg's training loss for more models than
  // the exact unrolled gradient, which also trains parameters the loss reaches only through earlier
  // iterations and can step into parameters where half-hours blow up; and it costs a fifth.
  GradientOptions gradient{1024, false, FixedPointGradient::OneStep};
  // From this epoch (0-based) on, the exact (unrolled) gradient replaces gradient.method, and
  // Adam's moments start afresh (they estimated the other gradient's statistics). kExactFromAuto:
  // the last boundary of the learning-rate schedule (epoch 200 by default) when the method is the
  // one-step gradient, never with the others; kExactFromNever: never. The one-step gradient leaves
  // out how the fixed point moves with the parameters; once the steps are small that bias can
  // outweigh them and the loss drifts up, where the exact gradient keeps descending
  // (docs/training.md, "The exact gradient for the last phase").
  int exact_from = kExactFromAuto;
  // Parameters to train by name: scalars of the parameter table, or "LeafRHDL" / "RsoilDL" for a
  // whole network. Empty: JAX-CanVeg's list (every trained scalar, and the networks the model uses).
  std::vector<std::string> trained;
  // Bounds replacing the table's, by parameter name (lower, upper).
  std::map<std::string, std::pair<double, double>> bounds;
  // JAX-CanVeg's defect, for reproduction only: the gradient of each network array (one weight
  // matrix or bias vector) averaged over batches and elements, so all elements of an array move
  // together (pitfall P22). Default: the batch mean of each element's gradient.
  bool jax_pooled_update = false;
  // JAX-CanVeg's stop rules: stop at a NaN training loss, or when the loss exceeds 1000 times the
  // mean of the last 10.
  bool stop_rules = true;
  StopModel stop_model = StopModel::LastAccepted;
  // Hold out the last N days of the training period (N x steps per day half-hours), train on the
  // rest, and return the epoch with the lowest loss on the held-out days (independent half-hours).
  // 0: off, as in JAX-CanVeg.
  int validation_days = 0;
  // Without validation days, which parameters the trained model takes: those of the lowest
  // training loss the run evaluated (the loss after the last step included), or the last ones
  // (JAX-CanVeg). The loss path is not monotone (a rugged loss, Adam's steps of about one learning
  // rate), so the last parameters can be well above the best the run found.
  KeptParameters keep = KeptParameters::LowestTrainingLoss;
  // The test loss (with test data) after every test_every-th epoch and after the last of
  // `epochs`; NaN in the history for the others. 1: every epoch, as JAX-CanVeg logs it. The test
  // loss is a forward run over the test period that does not change the training (a seventh of an
  // exact 50-layer epoch, two fifths of a one-step one; docs/training.md).
  int test_every = 1;
};

// The epoch from which a training uses the exact gradient (TrainOptions::exact_from resolved), or
// kExactFromNever.
int exact_gradient_from(const TrainOptions& options);

// --exact-from's text: "auto", "never" or an epoch (0 or more); InputError naming `option` else.
int parse_exact_from(const std::string& text, const std::string& option);

// --keep-epoch's text: "lowest" or "last" (kept_parameters_name gives it back); InputError naming
// `option` else.
KeptParameters parse_kept_parameters(const std::string& text, const std::string& option);
const char* kept_parameters_name(KeptParameters keep);

// One epoch of the history.
struct EpochRecord {
  int epoch = 0;                  // 0-based
  double learning_rate = 0.0;     // used for this epoch's step
  double train_loss = 0.0;        // at the parameters the epoch started from
  double test_loss = 0.0;         // after the step (NaN without test data, or not this epoch: test_every)
  double validation_loss = 0.0;   // after the step, on the held-out days (NaN without them)
  double seconds = 0.0;
  std::vector<double> parameters;  // after the step, in TrainResult::parameter_names order
};

// Everything needed to continue a training exactly where it stopped (checkpoint / resume).
struct TrainState {
  int epochs_done = 0;
  std::vector<double> parameters;  // current values, TrainResult::parameter_names order
  std::vector<double> previous;    // the values before the last step (StopModel::LastAccepted)
  std::vector<double> adam_m, adam_v;
  std::vector<EpochRecord> history;
};

struct TrainResult {
  LoadedModel model;                        // the trained model
  std::vector<std::string> parameter_names;  // trained parameters, ParameterSpace order
  std::vector<EpochRecord> history;
  std::string stop_reason;  // "completed N epochs", "NaN training loss at epoch N", ...
  int epochs_run = 0;
  // The epoch whose parameters (EpochRecord::parameters, after its step) the model took, by the
  // lowest validation loss or the lowest training loss; -1 when the last were kept by rule
  // (KeptParameters::Last, or a stop rule's model).
  int best_epoch = -1;
  double final_train_loss = 0.0;  // the training loss after the last step (NaN when not evaluated)
  OutputScaler scaler;
};

// How far the training loss ended above its lowest: the last epoch's training loss over the
// lowest of the history (1 when the last is the lowest; NaN for an empty or non-finite history),
// and the epoch and value of the lowest. The exact gradient can step into parameters where
// half-hours of the record blow up, after which the loss stays high (docs/training.md); the
// command warns when the ratio exceeds kLossRiseWarning and no validation epoch was kept.
struct LossRise {
  double ratio = 0.0;
  int lowest_epoch = -1;
  double lowest = 0.0;
};
LossRise training_loss_rise(const std::vector<EpochRecord>& history);
inline constexpr double kLossRiseWarning = 1.5;

struct TrainProblem {
  LoadedModel initial;
  ForcingRecord forcing;    // training period
  ObservedFluxes observed;  // its observed LE and NEE (gaps interpolated)
  const ForcingRecord* test_forcing = nullptr;     // optional test period
  const ObservedFluxes* test_observed = nullptr;
};

// Called after every epoch with the state to save for a resume (the callback may write it).
using EpochCallback = std::function<void(const TrainState&, const EpochRecord&)>;

// Checks the problem and options (InputError naming the file or option: misaligned files, fewer
// rows than one batch, w outside [0, 1], an unknown parameter, bounds with min > max, a network
// asked to train in a model without it) and trains. `resume_from`: a state saved by the callback
// of an earlier call with the same problem and options; the result is then bit-identical to an
// uninterrupted run.
TrainResult train(const TrainProblem& problem, const TrainOptions& options, const EpochCallback& on_epoch = {},
                  const TrainState* resume_from = nullptr);

// Several sites trained as one (multi-site training): every site has its own forcing,
// observations, standardisation (its training fluxes' statistics), dispersion matrix and site facts;
// the trained parameters (the scalars and networks of TrainOptions::trained, so the sites must share a
// model family) are one set. The loss is the mean of the sites' losses weighted by their training
// half-hours (the test and held-out losses likewise by theirs), and so is the gradient.
//
// A process may compute some of the sites only (SiteShare::computes); `share` then receives, twice
// per epoch and once after the last, a vector holding each site's numbers (zero for sites computed elsewhere) and must leave
// every site's numbers in it on every process, e.g. an MPI all-reduce sum. The sites are combined in
// site order afterwards, so the result is bit-identical whichever process computed which site.
struct SiteShare {
  std::vector<bool> computes;                        // per site; empty: every site here
  std::function<void(std::vector<double>&)> share;  // empty: nothing to share
};

struct MultiSiteTrainResult {
  std::vector<LoadedModel> models;  // per site: its model with the shared trained parameters
  std::vector<OutputScaler> scalers;
  std::vector<std::string> parameter_names;
  std::vector<EpochRecord> history;  // losses are the weighted means over the sites
  std::string stop_reason;
  int epochs_run = 0;
  int best_epoch = -1;
  double final_train_loss = 0.0;
};

MultiSiteTrainResult train_sites(const std::vector<TrainProblem>& sites, const TrainOptions& options,
                                 const SiteShare& sharing = {}, const EpochCallback& on_epoch = {});

// The data checks every training makes before any work (InputError naming the file or option):
// w in [0, 1]; LE and NEE present; the observations aligned with the forcing row by row (time
// stamps); at least `min_rows` training rows (one batch; 0: no minimum); test forcing and test
// observations given together, complete and aligned.
void check_training_data(double le_weight, const ForcingRecord& forcing, const ObservedFluxes& observed,
                         std::size_t min_rows, const ForcingRecord* test_forcing = nullptr,
                         const ObservedFluxes* test_observed = nullptr);

// Draws new weights and biases for a network, uniform in +-1/sqrt(fan-in) of each layer (the
// default initialisation of JAX-CanVeg's equinox networks), from a seeded generator: the same seed
// gives the same network on every machine.
void initialise_network(DenseNet<double>& net, std::uint64_t seed);

// The parameter space train() uses for a model and options (also validates the names).
ParameterSpace training_space(const Model<double>& model, const std::vector<std::string>& trained);

// Bounds of every parameter of a space: the table's (networks: +-kNetworkWeightBound), replaced
// by `overrides`. Throws InputError on an unknown name or min > max.
std::vector<std::pair<double, double>> training_bounds(const ParameterSpace& space,
                                                       const std::map<std::string, std::pair<double, double>>& overrides);

// Checkpoints: the state after an epoch, with the settings it was made under (any JSON the caller
// chooses, e.g. file names and options), written atomically (a crash leaves the previous one).
void write_train_state(const TrainState& state, const nlohmann::json& settings, const std::string& path);
// Reads a checkpoint; throws InputError naming the file when it is malformed or was made under
// other settings than `settings` (the message names the first one that differs).
TrainState read_train_state(const std::string& path, const nlohmann::json& settings);

// The first setting in which two settings objects differ, as "name: A before, B now" ("" when
// they agree): for messages that refuse a checkpoint or a finished model made under other ones.
// With `recorded_only`, settings `before` does not hold are not compared (files written before
// the setting was recorded).
std::string settings_difference(const nlohmann::json& before, const nlohmann::json& now, bool recorded_only = false);

// A fingerprint (16 hex digits, FNV-1a over the values' bits) of the data a training reads, as read:
// time stamps and every forcing series, and the observed LE and NEE. Checkpoints store it, so that
// a resume refuses data edited in place or read with other forcing options.
std::string training_data_fingerprint(const ForcingRecord& forcing, const ObservedFluxes& observed);
// The same over a file's bytes (the model or site file a training starts from).
std::string file_fingerprint(const std::string& path);

// The epoch history as CSV: epoch, learning_rate, train_loss, test_loss, validation_loss, seconds, then one
// column per trained parameter (its value after the epoch's step).
void write_train_history(const TrainResult& result, const std::string& path);

}  // namespace canveg
