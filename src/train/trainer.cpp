// Training loop of include/canveg/train.hpp: JAX-CanVeg's perform_optimization_batch
// (docs/model.md 6.6) with the loss and gradient of canveg/gradient.hpp.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <optional>

#include "canveg/errors.hpp"
#include "canveg/fields.hpp"
#include "canveg/train.hpp"
#include "io/csv_table.hpp"
#include "train/seeded_random.hpp"

namespace canveg {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::size_t network_size(const DenseNet<double>& net) {
  return net.w0.size() + net.b0.size() + net.w1.size() + net.b1.size() + net.w2.size() + net.b2.size();
}

void add_network(const Model<double>& model, ParameterRef::Kind kind, std::vector<ParameterRef>& refs) {
  const DenseNet<double>& net = kind == ParameterRef::Kind::LeafRhNet ? model.leaf_rh_net : model.rsoil_net;
  for (std::size_t k = 0; k < network_size(net); ++k) refs.push_back({kind, static_cast<int>(k)});
}

// The arrays of JAX-CanVeg's parameter tree (one weight matrix or bias vector each) as index
// ranges of the space; scalars are arrays of one element. For --jax-pooled-update.
std::vector<std::pair<std::size_t, std::size_t>> parameter_arrays(const Model<double>& model,
                                                                  const ParameterSpace& space) {
  std::vector<std::pair<std::size_t, std::size_t>> arrays;
  const auto& refs = space.refs();
  std::size_t k = 0;
  while (k < refs.size()) {
    if (refs[k].kind == ParameterRef::Kind::Scalar) {
      arrays.emplace_back(k, k + 1);
      ++k;
      continue;
    }
    const DenseNet<double>& net = refs[k].kind == ParameterRef::Kind::LeafRhNet ? model.leaf_rh_net : model.rsoil_net;
    std::size_t offset = 0;
    for (std::size_t size : {net.w0.size(), net.b0.size(), net.w1.size(), net.b1.size(), net.w2.size(), net.b2.size()}) {
      arrays.emplace_back(k + offset, k + offset + size);
      offset += size;
    }
    k += offset;
  }
  return arrays;
}

// JAX-CanVeg clips every leaf of its parameter tree after each step, trained or not (this is how
// hkin becomes 99999 in every trained model, pitfall P8): the scalars to their bounds, the network
// weights to +-kNetworkWeightBound.
using BoundOverrides = std::map<std::string, std::pair<double, double>>;

// The box of a scalar parameter (its table entry) or of a network's weights ("LeafRHDL",
// "RsoilDL": +-kNetworkWeightBound), unless `overrides` replaces it.
std::pair<double, double> bounds_of(const std::string& name, const BoundOverrides& overrides) {
  if (auto it = overrides.find(name); it != overrides.end()) return it->second;
  const std::size_t i = field_index(kParameterFields, name);
  if (i < kParameterCount) return {kParameterFields[i].lower, kParameterFields[i].upper};
  return {-kNetworkWeightBound, kNetworkWeightBound};
}

void clip_model(Model<double>& m, const BoundOverrides& overrides) {
  for (std::size_t i = 0; i < kParameterCount; ++i) {
    const auto [lo, hi] = bounds_of(std::string(kParameterFields[i].name), overrides);
    double& x = parameter_at(m.para, i);
    x = std::clamp(x, lo, hi);
  }
  for (DenseNet<double>* net : {&m.leaf_rh_net, &m.rsoil_net}) {
    const auto [lo, hi] = bounds_of(net == &m.leaf_rh_net ? "LeafRHDL" : "RsoilDL", overrides);
    for (std::vector<double>* v : {&net->w0, &net->b0, &net->w1, &net->b1, &net->w2, &net->b2})
      for (double& x : *v) x = std::clamp(x, lo, hi);
  }
}

bool all_finite(const std::vector<double>& v) {
  return std::all_of(v.begin(), v.end(), [](double x) { return std::isfinite(x); });
}

void check_problem(const TrainProblem& p, const TrainOptions& o) {
  if (o.epochs < 0) throw InputError("", 0, "--epochs", "must be 0 or more");
  if (o.exact_from < kExactFromAuto)
    throw InputError("", 0, "--exact-from", "must be an epoch (0 or more), auto or never");
  if (o.exact_from >= 0 && o.gradient.method == FixedPointGradient::Unrolled)
    throw InputError("", 0, "--exact-from", "the method is the exact (unrolled) gradient already");
  if (o.test_every < 1) throw InputError("", 0, "--test-every", "must be 1 or more (1: the test loss every epoch)");
  if (!(o.learning_rate.initial > 0) || !(o.learning_rate.scale > 0))
    throw InputError("", 0, "--learning-rate", "the learning rate and its scale must be positive");
  const std::size_t batch = o.gradient.batch_size == 0 ? p.forcing.size() : o.gradient.batch_size;
  check_training_data(o.loss.le_weight, p.forcing, p.observed, o.gradient.keep_remainder ? 0 : batch, p.test_forcing,
                      p.test_observed);
}

// The last `days` days of a record as a held-out set, and the record without them.
std::size_t held_out_rows(const TrainProblem& p, int days) {
  if (days <= 0) return 0;
  const std::size_t rows = static_cast<std::size_t>(days) * static_cast<std::size_t>(p.initial.model.setup.steps_per_day);
  if (rows >= p.forcing.size())
    throw InputError("", 0, "--validation-days",
                     std::to_string(days) + " days (" + std::to_string(rows) + " half-hours) leave nothing of the " +
                         std::to_string(p.forcing.size()) + "-row training period to train on");
  return rows;
}

}  // namespace

void check_training_data(double le_weight, const ForcingRecord& forcing, const ObservedFluxes& observed,
                         std::size_t min_rows, const ForcingRecord* test_forcing, const ObservedFluxes* test_observed) {
  if (!(le_weight >= 0.0 && le_weight <= 1.0))
    throw InputError("", 0, "--le-weight", "the LE weight w must lie in [0, 1], found " + std::to_string(le_weight));
  if (observed.LE.empty()) throw InputError(observed.source, 0, "LE", "no latent-heat column (LE or LE_F_MDS)");
  if (observed.NEE.empty()) throw InputError(observed.source, 0, "NEE", "no NEE column (FCO2, Fco2, FC, NEE_*)");
  check_alignment(observed, forcing.timestamp, forcing.source);
  if (forcing.size() < min_rows)
    throw InputError(forcing.source, 0, "",
                     "the training record has " + std::to_string(forcing.size()) + " half-hours, fewer than one batch of " +
                         std::to_string(min_rows) + " (use a smaller --batch-size)");
  if ((test_forcing == nullptr) != (test_observed == nullptr))
    throw InputError("", 0, "--test-forcing", "give the test forcing and the test observations together");
  if (test_forcing) {
    if (test_observed->LE.empty() || test_observed->NEE.empty())
      throw InputError(test_observed->source, 0, test_observed->LE.empty() ? "LE" : "NEE",
                       "the test observations need both LE and NEE");
    check_alignment(*test_observed, test_forcing->timestamp, test_forcing->source);
  }
}

void initialise_network(DenseNet<double>& net, std::uint64_t seed) {
  SeededRandom random(seed);
  const int fan_in[3] = {net.in_size, net.width, net.width};
  std::vector<double>* weights[3] = {&net.w0, &net.w1, &net.w2};
  std::vector<double>* biases[3] = {&net.b0, &net.b1, &net.b2};
  for (int l = 0; l < 3; ++l) {
    const double limit = 1.0 / std::sqrt(static_cast<double>(fan_in[l]));
    for (std::vector<double>* v : {weights[l], biases[l]})
      for (double& x : *v) x = limit * (2.0 * random.uniform() - 1.0);
  }
}

double LearningRateSchedule::at(int epoch) const {
  double rate = initial;
  for (int b : boundaries)
    if (epoch >= b) rate *= scale;
  return rate;
}

int exact_gradient_from(const TrainOptions& options) {
  if (options.exact_from != kExactFromAuto) return options.exact_from;
  const std::vector<int>& b = options.learning_rate.boundaries;
  if (options.gradient.method != FixedPointGradient::OneStep || b.empty()) return kExactFromNever;
  return std::max(0, *std::max_element(b.begin(), b.end()));
}

int parse_exact_from(const std::string& text, const std::string& option) {
  if (text == "auto") return kExactFromAuto;
  if (text == "never") return kExactFromNever;
  const std::optional<double> epoch = io::parse_double(text);
  if (!epoch || *epoch < 0 || *epoch > 1e6 || *epoch != std::floor(*epoch))
    throw InputError("", 0, option, "expected auto, never or an epoch (0 or more), found '" + text + "'");
  return static_cast<int>(*epoch);
}

KeptParameters parse_kept_parameters(const std::string& text, const std::string& option) {
  for (const KeptParameters keep : {KeptParameters::LowestTrainingLoss, KeptParameters::Last})
    if (text == kept_parameters_name(keep)) return keep;
  throw InputError("", 0, option, "expected lowest or last, found '" + text + "'");
}

const char* kept_parameters_name(KeptParameters keep) {
  return keep == KeptParameters::Last ? "last" : "lowest";
}

ParameterSpace training_space(const Model<double>& model, const std::vector<std::string>& trained) {
  if (trained.empty()) return ParameterSpace(model);
  std::vector<ParameterRef> refs;
  std::vector<std::string> seen;
  for (const std::string& name : trained) {
    if (std::find(seen.begin(), seen.end(), name) != seen.end())
      throw InputError("", 0, "--train", "parameter '" + name + "' is listed twice");
    seen.push_back(name);
    if (name == "LeafRHDL" || name == "RsoilDL") {
      const bool leaf = name == "LeafRHDL";
      if ((leaf ? model.leaf_rh_net : model.rsoil_net).empty())
        throw InputError("", 0, "--train", "the model has no " + name + " network to train");
      add_network(model, leaf ? ParameterRef::Kind::LeafRhNet : ParameterRef::Kind::RsoilNet, refs);
      continue;
    }
    const std::size_t i = field_index(kParameterFields, name);
    if (i == kParameterCount)
      throw InputError("", 0, "--train",
                       "unknown parameter '" + name + "' (the parameters are listed by 'canveg fields'; networks: "
                       "LeafRHDL, RsoilDL)");
    refs.push_back({ParameterRef::Kind::Scalar, static_cast<int>(i)});
  }
  return ParameterSpace(model, refs);
}

std::vector<std::pair<double, double>> training_bounds(const ParameterSpace& space,
                                                       const std::map<std::string, std::pair<double, double>>& overrides) {
  for (const auto& [name, box] : overrides) {
    if (name != "LeafRHDL" && name != "RsoilDL" && field_index(kParameterFields, name) == kParameterCount)
      throw InputError("", 0, "--bounds", "unknown parameter '" + name + "'");
    if (!(box.first <= box.second))
      throw InputError("", 0, "--bounds",
                       "for '" + name + "' the lower bound " + std::to_string(box.first) + " exceeds the upper bound " +
                           std::to_string(box.second));
  }
  std::vector<std::pair<double, double>> bounds(space.size());
  for (std::size_t k = 0; k < space.size(); ++k) {
    const ParameterRef& r = space.refs()[k];
    const std::string name = r.kind == ParameterRef::Kind::Scalar
                                 ? std::string(kParameterFields[static_cast<std::size_t>(r.index)].name)
                             : r.kind == ParameterRef::Kind::LeafRhNet ? "LeafRHDL"
                                                                       : "RsoilDL";
    bounds[k] = bounds_of(name, overrides);
  }
  return bounds;
}

namespace {

// One site of a training: its problem (the training record without held-out validation days), the
// held-out days, its loss (each site standardises with its own training fluxes) and its model.
struct SiteTraining {
  TrainProblem problem;
  ForcingRecord validation_forcing;
  ObservedFluxes validation_observed;
  std::size_t held_out = 0;
  LossSpec loss;
  LoadedModel current;
  bool computed_here = true;
};

// The numbers one site contributes to an epoch, laid out for SiteShare::share: the loss, then per
// parameter the batch-mean gradient, the sum of finite batch gradients and their count.
std::size_t epoch_numbers(std::size_t P) { return 1 + 3 * P; }

// What the trainer returns for every site; train() and train_sites() take from it.
struct EngineResult {
  std::vector<LoadedModel> models;
  std::vector<OutputScaler> scalers;
  std::vector<std::string> parameter_names;
  std::vector<EpochRecord> history;
  std::string stop_reason;
  int epochs_run = 0;
  int best_epoch = -1;
  double final_train_loss = 0.0;
};

// The training of include/canveg/train.hpp over one or more sites sharing the trained parameters.
// With one site every weight is 1 and every sum has one term, so the arithmetic is exactly that
// of a single-site training.
EngineResult train_engine(const std::vector<const TrainProblem*>& problems, const TrainOptions& options,
                          const SiteShare& sharing, const EpochCallback& on_epoch, const TrainState* resume_from) {
  const std::size_t S = problems.size();
  if (S == 0) throw InputError("", 0, "--sites", "no site to train on");
  if (!sharing.computes.empty() && sharing.computes.size() != S)
    throw InputError("", 0, "--sites", "the share names " + std::to_string(sharing.computes.size()) + " sites, not " +
                                           std::to_string(S));
  std::vector<SiteTraining> sites(S);
  double total_rows = 0.0, total_test_rows = 0.0, total_validation_rows = 0.0;
  for (std::size_t i = 0; i < S; ++i) {
    const TrainProblem& full = *problems[i];
    SiteTraining& site = sites[i];
    // With validation days the training record loses its last days to a held-out set.
    site.held_out = held_out_rows(full, options.validation_days);
    site.problem = full;
    if (site.held_out > 0) {
      const std::size_t n = full.forcing.size(), cut = n - site.held_out;
      check_alignment(full.observed, full.forcing.timestamp, full.forcing.source);
      site.problem.forcing = full.forcing.slice(0, cut);
      site.problem.observed = full.observed.slice(0, cut);
      site.validation_forcing = full.forcing.slice(cut, n);
      site.validation_observed = full.observed.slice(cut, n);
    }
    check_problem(site.problem, options);
    site.current = site.problem.initial;
    site.loss = options.loss;
    if (!options.scaler_given) site.loss.scaler = standard_scaler(site.problem.observed);
    site.computed_here = sharing.computes.empty() || sharing.computes[i];
    total_rows += static_cast<double>(site.problem.forcing.size());
    if (site.problem.test_forcing) total_test_rows += static_cast<double>(site.problem.test_forcing->size());
    total_validation_rows += static_cast<double>(site.held_out);
  }
  // The sites' weights: their share of the training half-hours (of the test and held-out ones for
  // those losses).
  std::vector<double> weight(S), test_weight(S, 0.0), validation_weight(S, 0.0);
  for (std::size_t i = 0; i < S; ++i) {
    weight[i] = static_cast<double>(sites[i].problem.forcing.size()) / total_rows;
    if (sites[i].problem.test_forcing)
      test_weight[i] = static_cast<double>(sites[i].problem.test_forcing->size()) / total_test_rows;
    if (sites[i].held_out > 0) validation_weight[i] = static_cast<double>(sites[i].held_out) / total_validation_rows;
  }

  const ParameterSpace space = training_space(sites[0].current.model, options.trained);
  training_bounds(space, options.bounds);  // validates the overrides
  const std::size_t P = space.size();
  for (std::size_t i = 1; i < S; ++i)
    if (training_space(sites[i].current.model, options.trained).names() != space.names())
      throw InputError(sites[i].problem.initial.path, 0, "--sites",
                       "this site's model trains other parameters than the first site's (" +
                           std::to_string(training_space(sites[i].current.model, options.trained).size()) + " vs " +
                           std::to_string(P) + "); the sites must share one model family");
  if (S > 1 && options.jax_pooled_update)
    throw InputError("", 0, "--jax-pooled-update", "reproduces a single-site defect; not for several sites");
  const std::vector<std::pair<std::size_t, std::size_t>> arrays = parameter_arrays(sites[0].current.model, space);
  GradientOptions test_options = options.gradient;
  test_options.batch_size = 1;  // JAX-CanVeg's test loss: independent half-hours

  // Every site starts from the first site's trained parameters, so that they are shared from the
  // first epoch.
  TrainState state;
  state.parameters = space.values(sites[0].current.model);
  for (SiteTraining& site : sites) space.assign(site.current.model, state.parameters);
  state.previous = state.parameters;
  state.adam_m.assign(P, 0.0);
  state.adam_v.assign(P, 0.0);
  const auto assign_all = [&](const std::vector<double>& values, bool clip) {
    for (SiteTraining& site : sites) {
      space.assign(site.current.model, values);
      if (clip) clip_model(site.current.model, options.bounds);
    }
  };
  if (resume_from) {
    const TrainState& r = *resume_from;
    if (r.parameters.size() != P || r.previous.size() != P || r.adam_m.size() != P || r.adam_v.size() != P ||
        r.epochs_done != static_cast<int>(r.history.size()))
      throw InputError("", 0, "--resume",
                       "the checkpoint holds " + std::to_string(r.parameters.size()) + " parameters, this training " +
                           std::to_string(P) + "; it belongs to another model or parameter selection");
    state = r;
    assign_all(state.parameters, state.epochs_done > 0);  // clipped as after every step
  }
  // Each process fills in its own sites' numbers; the share (if any) brings the others'.
  const auto exchange = [&](std::vector<double>& numbers) {
    if (sharing.share) sharing.share(numbers);
  };

  const int exact_from = exact_gradient_from(options);
  EngineResult result;
  result.parameter_names = space.names();
  result.stop_reason = "completed " + std::to_string(options.epochs) + " epochs";
  bool stopped = false;
  for (int epoch = state.epochs_done; epoch < options.epochs; ++epoch) {
    const auto t0 = std::chrono::steady_clock::now();
    const std::size_t L = epoch_numbers(P);
    std::vector<double> numbers(S * L, 0.0);
    const bool exact_now = exact_from >= 0 && epoch >= exact_from;
    GradientOptions gradient_options = options.gradient;
    if (exact_now) gradient_options.method = FixedPointGradient::Unrolled;
    for (std::size_t i = 0; i < S; ++i) {
      if (!sites[i].computed_here) continue;
      const SiteTraining& site = sites[i];
      const LossGradient g = loss_and_gradient(site.current.model, space, site.problem.forcing,
                                               site.problem.observed, site.loss, gradient_options);
      double* n = &numbers[i * L];
      n[0] = g.loss;
      for (std::size_t k = 0; k < P; ++k) {
        n[1 + k] = g.gradient_count[k] ? g.gradient[k] : 0.0;
        n[1 + P + k] = g.gradient_sum[k];
        n[1 + 2 * P + k] = static_cast<double>(g.gradient_count[k]);
      }
    }
    exchange(numbers);
    // The sites' sums in site order, whichever process computed them.
    double loss = 0.0;
    std::vector<double> gradient(P, 0.0), gradient_sum(P, 0.0), gradient_count(P, 0.0);
    for (std::size_t i = 0; i < S; ++i) {
      const double* n = &numbers[i * L];
      loss += weight[i] * n[0];
      for (std::size_t k = 0; k < P; ++k) {
        gradient[k] += weight[i] * n[1 + k];
        gradient_sum[k] += n[1 + P + k];
        gradient_count[k] += n[1 + 2 * P + k];
      }
    }

    if (options.stop_rules) {
      std::string reason;
      if (std::isnan(loss)) {
        reason = "NaN training loss at epoch " + std::to_string(epoch);
      } else if (!state.history.empty()) {
        double recent = 0.0;
        const std::size_t n = std::min<std::size_t>(10, state.history.size());
        for (std::size_t k = state.history.size() - n; k < state.history.size(); ++k) recent += state.history[k].train_loss;
        recent /= static_cast<double>(n);
        if (loss / recent > 1e3)
          reason = "training loss " + std::to_string(loss) + " at epoch " + std::to_string(epoch) +
                   " above 1000 x the mean of the last " + std::to_string(n);
      }
      if (!reason.empty()) {
        result.stop_reason = reason;
        if (options.stop_model == StopModel::LastAccepted) assign_all(state.previous, false);
        stopped = true;
        break;
      }
    }

    // The gradient of each parameter: the batch mean of its finite batch gradients; with the pooled
    // update, one mean over the batches and elements of each array, given to all its elements.
    std::vector<double> grad(P, 0.0);
    for (const auto& [begin, end] : arrays) {
      if (options.jax_pooled_update) {
        double sum = 0.0, count = 0.0;
        for (std::size_t k = begin; k < end; ++k) sum += gradient_sum[k], count += gradient_count[k];
        const double pooled = count > 0 ? sum / count : 0.0;
        for (std::size_t k = begin; k < end; ++k) grad[k] = pooled;
      } else {
        for (std::size_t k = begin; k < end; ++k) grad[k] = gradient[k];
      }
    }

    // Adam (optax.adam: scale_by_adam then the learning rate), step count epoch + 1; in the exact
    // phase counted from its first epoch, with the moments zeroed there.
    const double lr = options.learning_rate.at(epoch);
    const double b1 = options.adam_b1, b2 = options.adam_b2;
    if (exact_now && epoch == exact_from) {
      std::fill(state.adam_m.begin(), state.adam_m.end(), 0.0);
      std::fill(state.adam_v.begin(), state.adam_v.end(), 0.0);
    }
    const int step = exact_now ? epoch - exact_from + 1 : epoch + 1;  // Adam's step count
    const double correction1 = 1.0 - std::pow(b1, step), correction2 = 1.0 - std::pow(b2, step);
    state.previous = state.parameters;
    std::vector<double> next(P);
    for (std::size_t k = 0; k < P; ++k) {
      state.adam_m[k] = (1.0 - b1) * grad[k] + b1 * state.adam_m[k];
      state.adam_v[k] = (1.0 - b2) * (grad[k] * grad[k]) + b2 * state.adam_v[k];
      const double m_hat = state.adam_m[k] / correction1, v_hat = state.adam_v[k] / correction2;
      next[k] = state.parameters[k] + -lr * (m_hat / (std::sqrt(v_hat) + options.adam_eps));
    }
    assign_all(next, true);
    state.parameters = space.values(sites[0].current.model);

    // Test and held-out losses after the step, weighted like the training loss; the test loss every
    // test_every epochs and after the last (the same epochs on every process).
    const bool test_now = (epoch + 1) % options.test_every == 0 || epoch + 1 == options.epochs;
    std::vector<double> after(2 * S, 0.0);
    for (std::size_t i = 0; i < S; ++i) {
      const SiteTraining& site = sites[i];
      if (!site.computed_here) continue;
      if (site.problem.test_forcing && test_now)
        after[2 * i] = loss_value(site.current.model, *site.problem.test_forcing, *site.problem.test_observed,
                                  site.loss, test_options);
      if (site.held_out > 0)
        after[2 * i + 1] = loss_value(site.current.model, site.validation_forcing, site.validation_observed, site.loss,
                                      test_options);
    }
    if (total_test_rows > 0 || total_validation_rows > 0) exchange(after);
    double test_loss = 0.0, validation_loss = 0.0;
    for (std::size_t i = 0; i < S; ++i) {
      if (test_weight[i] > 0) test_loss += test_weight[i] * after[2 * i];
      if (validation_weight[i] > 0) validation_loss += validation_weight[i] * after[2 * i + 1];
    }

    EpochRecord record;
    record.epoch = epoch;
    record.learning_rate = lr;
    record.train_loss = loss;
    record.test_loss = total_test_rows > 0 && test_now ? test_loss : kNaN;
    record.validation_loss = total_validation_rows > 0 ? validation_loss : kNaN;
    record.parameters = state.parameters;
    record.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    state.history.push_back(record);
    state.epochs_done = epoch + 1;
    if (on_epoch) on_epoch(state, record);
  }
  if (!stopped && !all_finite(space.values(sites[0].current.model))) result.stop_reason += " (non-finite parameters)";

  result.history = state.history;
  result.epochs_run = static_cast<int>(state.history.size());
  const bool keep_lowest_training_loss =
      total_validation_rows == 0 && options.keep == KeptParameters::LowestTrainingLoss && !result.history.empty();
  // An epoch's training loss is that of the parameters it started from, so the last step's
  // parameters are scored by one more forward run (weighted over the sites as every loss).
  result.final_train_loss = kNaN;
  if (keep_lowest_training_loss && !stopped) {
    std::vector<double> final_losses(S, 0.0);
    for (std::size_t i = 0; i < S; ++i)
      if (sites[i].computed_here)
        final_losses[i] = loss_value(sites[i].current.model, sites[i].problem.forcing, sites[i].problem.observed,
                                     sites[i].loss, options.gradient);
    exchange(final_losses);
    result.final_train_loss = 0.0;
    for (std::size_t i = 0; i < S; ++i) result.final_train_loss += weight[i] * final_losses[i];
  }
  if (keep_lowest_training_loss) {
    // Epoch k's parameters are scored by epoch k + 1's training loss, the last epoch's by the loss
    // after it (not evaluated when a stop rule fired: its loss is the one that tripped). NaN never
    // wins; a tie goes to the later epoch.
    const std::vector<EpochRecord>& h = result.history;
    int best = -1;
    double lowest = std::numeric_limits<double>::infinity();
    for (std::size_t k = 0; k + 1 < h.size(); ++k)
      if (h[k + 1].train_loss <= lowest) lowest = h[k + 1].train_loss, best = static_cast<int>(k);
    if (result.final_train_loss <= lowest) lowest = result.final_train_loss, best = static_cast<int>(h.size()) - 1;
    if (best >= 0) {
      assign_all(h[static_cast<std::size_t>(best)].parameters, true);
      result.best_epoch = best;
      if (best + 1 < static_cast<int>(h.size()) || stopped)
        result.stop_reason += "; kept history row " + std::to_string(best) + "'s parameters (training loss " +
                              std::to_string(lowest) + ", the lowest)";
    }
  }
  if (total_validation_rows > 0 && !result.history.empty()) {
    // Keep the parameters of the epoch with the lowest validation loss (NaN never wins).
    const EpochRecord* best = nullptr;
    for (const EpochRecord& r : result.history)
      if (std::isfinite(r.validation_loss) && (!best || r.validation_loss < best->validation_loss)) best = &r;
    if (best) {
      assign_all(best->parameters, true);
      result.best_epoch = best->epoch;
      result.stop_reason += "; kept epoch " + std::to_string(best->epoch) + " (lowest validation loss " +
                            std::to_string(best->validation_loss) + ")";
    }
  }
  for (SiteTraining& site : sites) {
    site.current.trained_le_weight = site.loss.le_weight;
    site.current.reported = ReportedMetrics{};  // the file's published metrics describe another model
    result.models.push_back(std::move(site.current));
    result.scalers.push_back(site.loss.scaler);
  }
  return result;
}

}  // namespace

TrainResult train(const TrainProblem& problem, const TrainOptions& options, const EpochCallback& on_epoch,
                  const TrainState* resume_from) {
  EngineResult r = train_engine({&problem}, options, SiteShare{}, on_epoch, resume_from);
  TrainResult result;
  result.model = std::move(r.models.front());
  result.parameter_names = std::move(r.parameter_names);
  result.history = std::move(r.history);
  result.stop_reason = std::move(r.stop_reason);
  result.epochs_run = r.epochs_run;
  result.best_epoch = r.best_epoch;
  result.final_train_loss = r.final_train_loss;
  result.scaler = r.scalers.front();
  return result;
}

MultiSiteTrainResult train_sites(const std::vector<TrainProblem>& sites, const TrainOptions& options,
                                 const SiteShare& sharing, const EpochCallback& on_epoch) {
  std::vector<const TrainProblem*> problems;
  for (const TrainProblem& p : sites) problems.push_back(&p);
  EngineResult r = train_engine(problems, options, sharing, on_epoch, nullptr);
  MultiSiteTrainResult result;
  result.models = std::move(r.models);
  result.scalers = std::move(r.scalers);
  result.parameter_names = std::move(r.parameter_names);
  result.history = std::move(r.history);
  result.stop_reason = std::move(r.stop_reason);
  result.epochs_run = r.epochs_run;
  result.best_epoch = r.best_epoch;
  result.final_train_loss = r.final_train_loss;
  return result;
}

LossRise training_loss_rise(const std::vector<EpochRecord>& history) {
  LossRise rise;
  rise.ratio = std::numeric_limits<double>::quiet_NaN();
  for (const EpochRecord& r : history) {
    if (!std::isfinite(r.train_loss)) return rise;
    if (rise.lowest_epoch < 0 || r.train_loss < rise.lowest) rise.lowest = r.train_loss, rise.lowest_epoch = r.epoch;
  }
  if (history.empty() || !(rise.lowest > 0.0)) return rise;
  rise.ratio = history.back().train_loss / rise.lowest;
  return rise;
}

}  // namespace canveg
