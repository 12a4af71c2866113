// `canveg train`: fits a model to observed LE and NEE (include/canveg/train.hpp, docs/training.md).
//
//   canveg train (--model <model.json> | --site <site.toml>) --forcing <train forcing.csv>
//                --observed <train fluxes.csv> [--test-forcing <csv> --test-observed <csv>]
//                --output <trained.json> [--history <history.csv>] [--checkpoint <file>] [--resume]
//                [--epochs 300] [--learning-rate 0.01] [--lr-boundaries 50,100,200] [--lr-scale 0.5]
//                [--batch-size 1024] [--keep-remainder] [--le-weight w] [--train name,...]
//                [--bounds name=lower:upper ...] [--method onestep|unrolled|implicit|onestep-jax] [--exact-from auto]
//                [--keep-epoch lowest|last]
//                [--reset-parameters] [--networks-from <model.json> | --seed N] [--validation-days N]
//                [--jax-pooled-update] [--jax-stop-model] [--no-stop-rules] [--threads N] [--quiet]
//
//   canveg train --sites <sites.toml> --output-dir <dir> [the options above that are not per site]
//   mpirun -np N canveg train --sites ...   (the sites spread over the ranks; same result as one process)
//
//   canveg train --family DNN (--site-name <SITE> | --model <DNN model.json>) --forcing <csv> --observed <csv>
//                [--test-forcing <csv> --test-observed <csv>] --output <trained.json> [--history <csv>]
//                [--epochs 300] [--batch-size 64] [--learning-rate 0.2] [--lr-boundaries 50,100,200]
//                [--lr-scale 0.1] [--le-weight w] [--seed S] [--quiet]
//   trains the pure neural-network baseline (include/canveg/dnn.hpp); the schedule counts Adam steps.
#include "cli/finite_number.hpp"
#include "cli/forcing_options.hpp"
#include "cli/formulation_option.hpp"
#include "cli/mpi_ranks.hpp"
#include "cli/simd_option.hpp"
#include "cli/train_command.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <memory>
#include <set>
#include <string>
#include <tuple>

#include "canveg/dnn.hpp"
#include "canveg/errors.hpp"
#include "canveg/model_io.hpp"
#include "canveg/output_io.hpp"
#include "canveg/train.hpp"

namespace canveg {
namespace {

// Warns (also with -q: the model written is then not the best one the training saw) when the
// training loss ended well above its lowest and no validation epoch was kept.
void warn_loss_rise(const TrainResult& result) {
  const LossRise rise = training_loss_rise(result.history);
  if (result.best_epoch >= 0 || !(rise.ratio > kLossRiseWarning)) return;
  std::fprintf(stderr,
               "canveg: warning: train: the training loss ended at %.4g, %.1f times its lowest (%.4g at epoch %d); "
               "the model written is the last epoch's (--keep-epoch last). --validation-days N keeps the best epoch on "
               "held-out days, the default --keep-epoch lowest the lowest training loss; "
               "the exact gradients (--method unrolled, implicit, and the exact phase of --exact-from) can follow "
               "the loss into parameters where half-hours blow up, the one-step gradient does not (docs/training.md, "
               "\"When the loss rises\")\n",
               result.history.back().train_loss, rise.ratio, rise.lowest, rise.lowest_epoch + 1);
}

struct TrainArgs {
  std::string model, site, forcing, observed, test_forcing, test_observed, output, history, checkpoint;
  std::string sites, output_dir;  // multi-site training
  std::string scaler_fluxes, networks_from, method = "onestep", exact_from = "auto", keep_epoch = "lowest";
  std::string family;     // "CanVeg", "DNN", or empty: DNN when --model is a DNN file, else CanVeg
  std::string site_name;  // DNN: the site of a new network
  std::string formulation;  // "": as the model file says (model JSON: jax, site TOML: corrected)
  std::vector<std::string> trained, bounds;
  std::vector<int> lr_boundaries = {50, 100, 200};
  double learning_rate = 0.01, lr_scale = 0.5;
  double le_weight = std::numeric_limits<double>::quiet_NaN();  // NaN: the model's training weight, else 0.5
  int epochs = 300, threads = 0, validation_days = 0, test_every = 1;
  long long seed = -1;  // -1: keep the model's network weights
  std::size_t batch_size = 1024;
  bool keep_remainder = false, jax_pooled_update = false, jax_stop_model = false, no_stop_rules = false;
  bool resume = false, quiet = false, reset_parameters = false, lane_tape = true;
  std::string simd = "auto";  // --simd (cli/simd_option.hpp)
  cli::ForcingOptionArgs forcing_options;
  std::set<std::string> given;  // the options given on the command line, by long name
};

// "<output stem>-history.csv" / "<output stem>.checkpoint.json" next to the output.
std::string beside(const std::string& output, const std::string& suffix) {
  std::filesystem::path p(output);
  return (p.parent_path() / (p.stem().string() + suffix)).string();
}

std::map<std::string, std::pair<double, double>> parse_bounds(const std::vector<std::string>& specs) {
  std::map<std::string, std::pair<double, double>> out;
  for (const std::string& spec : specs) {
    const std::size_t eq = spec.find('='), colon = spec.find(':', eq == std::string::npos ? 0 : eq);
    if (eq == std::string::npos || colon == std::string::npos)
      throw InputError("", 0, "--bounds", "expected name=lower:upper, found '" + spec + "'");
    try {
      std::size_t used_lo = 0, used_hi = 0;
      const std::string lo_text = spec.substr(eq + 1, colon - eq - 1), hi_text = spec.substr(colon + 1);
      const double lo = std::stod(lo_text, &used_lo), hi = std::stod(hi_text, &used_hi);
      if (used_lo != lo_text.size() || used_hi != hi_text.size()) throw std::invalid_argument("trailing text");
      // An infinite bound leaves that side open; NaN bounds nothing and would pass every check.
      if (std::isnan(lo) || std::isnan(hi)) throw std::invalid_argument("NaN");
      out[spec.substr(0, eq)] = {lo, hi};
    } catch (const std::logic_error&) {
      throw InputError("", 0, "--bounds", "expected numbers in name=lower:upper, found '" + spec + "'");
    }
  }
  return out;
}

std::string duration(double seconds) {
  char buf[32];
  if (seconds < 120) std::snprintf(buf, sizeof buf, "%.0f s", seconds);
  else if (seconds < 7200) std::snprintf(buf, sizeof buf, "%.0f min", seconds / 60);
  else std::snprintf(buf, sizeof buf, "%.1f h", seconds / 3600);
  return buf;
}

// Reads a forcing file with the command's forcing options and, unless quiet, says where each
// variable came from. With a CanVeg `model`, its site file's forcing settings apply and the
// radiation is checked against the sun of its site.
ForcingRecord read_training_forcing(const TrainArgs& a, const std::string& path, const LoadedModel* model = nullptr) {
  ForcingReadOptions options = cli::forcing_read_options(a.forcing_options, model ? model->forcing_options : ForcingReadOptions{});
  // No output may replace a file the forcing options read (--lai FILE, --supplement, a site file's).
  if (!a.output.empty())
    for (const std::string& out : {a.output, a.history.empty() ? beside(a.output, "-history.csv") : a.history,
                                   a.checkpoint.empty() ? beside(a.output, ".checkpoint.json") : a.checkpoint})
      io::refuse_output_over_inputs(out, cli::forcing_option_files(options));
  options.threads = a.threads;
  ForcingRecord forcing = read_forcing_file(path, options);
  if (!a.quiet) cli::print_forcing_sources(forcing);
  if (model) cli::check_forcing_against_site(forcing, model->model.setup);
  return forcing;
}

// The forcing options as given, for the checkpoint's settings.
nlohmann::json forcing_options_json(const cli::ForcingOptionArgs& f) {
  return {{"column", f.columns}, {"units", f.units},          {"lai", f.lai},   {"canopy_height", f.canopy_height},
          {"supplement", f.supplement}, {"netcdf_time", f.netcdf_time}, {"fill", f.fill}, {"max_gap", f.max_gap}};
}

// Reads the test period when one is given; false when not. A test period that shares half-hours
// with the training one scores the model partly on what it was fitted to: said, as the test loss
// would otherwise pass for an out-of-sample one.
bool read_test_data(const TrainArgs& a, const ForcingRecord& training, ForcingRecord& forcing, ObservedFluxes& observed,
                    const LoadedModel* model = nullptr) {
  if (a.test_forcing.empty() && a.test_observed.empty()) return false;
  if (a.test_forcing.empty() || a.test_observed.empty())
    throw InputError("", 0, "--test-forcing", "give --test-forcing and --test-observed together");
  forcing = read_training_forcing(a, a.test_forcing, model);
  observed = read_flux_csv(a.test_observed);
  const std::set<std::string> trained_on(training.timestamp.begin(), training.timestamp.end());
  std::size_t shared = 0;
  for (const std::string& t : forcing.timestamp) shared += !t.empty() && trained_on.count(t) > 0;
  if (shared > 0)
    std::fprintf(stderr,
                 "canveg: warning: train: %zu of the %zu test half-hours (%s) are training half-hours too (%s): the "
                 "test loss is partly in sample\n",
                 shared, forcing.size(), a.test_forcing.c_str(), a.forcing.c_str());
  return true;
}

// The family to train: --family, else DNN when --model is a DNN baseline file.
bool trains_dnn(const TrainArgs& a) {
  const bool dnn_file = !a.model.empty() && is_dnn_json(a.model);
  if (a.family == "CanVeg" && dnn_file)
    throw InputError(a.model, 0, "--family", "this is a neural-network baseline (DNN) file; use --family DNN");
  return a.family == "DNN" || (a.family.empty() && dnn_file);
}

// Options of the CanVeg family that mean nothing for the DNN baseline are refused rather than
// ignored, so that nobody believes they took effect.
void refuse_canveg_only_options(const TrainArgs& a) {
  static const char* const kCanVegOnly[] = {
      "--site",          "--reset-parameters", "--networks-from", "--validation-days", "--checkpoint",
      "--resume",        "--keep-remainder",   "--scaler-fluxes", "--train",           "--bounds",
      "--method",        "--jax-pooled-update", "--jax-stop-model", "--no-stop-rules", "--threads",
      "--formulation", "--simd", "--lane-tape", "--no-lane-tape", "--test-every", "--exact-from", "--keep-epoch"};
  for (const char* option : kCanVegOnly)
    if (a.given.count(option))
      throw InputError("", 0, option,
                       std::string(option) + " does not apply to --family DNN" +
                           (std::string(option) == "--site" ? " (name a new network's site with --site-name)" : ""));
}

// The value of a numeric option when given, else the DNN family's default.
template <class T>
T dnn_option(const TrainArgs& a, const char* option, const T& value, const T& dnn_default) {
  return a.given.count(option) ? value : dnn_default;
}

int run_train_dnn(const TrainArgs& a) {
  refuse_canveg_only_options(a);
  if (a.model.empty() == a.site_name.empty())
    throw InputError("", 0, "--model",
                     "--family DNN takes exactly one of --model <DNN file> (its network is the starting point) or "
                     "--site-name <SITE> (a new network drawn from --seed)");
  const std::string history_path = a.history.empty() ? beside(a.output, "-history.csv") : a.history;
  const std::vector<std::string> inputs = {a.model, a.forcing, a.observed, a.test_forcing, a.test_observed};
  for (const std::string& out : {a.output, history_path}) io::AtomicOutputFile check(out, inputs);
  if (history_path == a.output) throw InputError(a.output, 0, "", "--output and --history must be two different files");

  const DnnTrainOptions defaults;
  DnnTrainOptions options;
  options.epochs = a.epochs;
  options.batch_size = dnn_option(a, "--batch-size", a.batch_size, defaults.batch_size);
  options.learning_rate.initial = dnn_option(a, "--learning-rate", a.learning_rate, defaults.learning_rate.initial);
  options.learning_rate.boundaries = dnn_option(a, "--lr-boundaries", a.lr_boundaries, defaults.learning_rate.boundaries);
  options.learning_rate.scale = dnn_option(a, "--lr-scale", a.lr_scale, defaults.learning_rate.scale);
  options.seed = a.seed >= 0 ? static_cast<std::uint64_t>(a.seed) : defaults.seed;

  DnnTrainProblem problem;
  problem.initial = a.model.empty() ? new_dnn_model(a.site_name, options.seed) : read_dnn_json(a.model);
  options.le_weight = !std::isnan(a.le_weight) ? a.le_weight : a.model.empty() ? 0.5 : problem.initial.trained_le_weight;
  problem.forcing = read_training_forcing(a, a.forcing);
  problem.observed = read_flux_csv(a.observed);
  ForcingRecord test_forcing;
  ObservedFluxes test_observed;
  if (read_test_data(a, problem.forcing, test_forcing, test_observed)) {
    problem.test_forcing = &test_forcing;
    problem.test_observed = &test_observed;
  }

  const auto start = std::chrono::steady_clock::now();
  const auto on_epoch = [&](const DnnEpochRecord& r) {
    const bool report = r.epoch == 0 || (r.epoch + 1) % 10 == 0 || r.epoch + 1 == a.epochs;
    if (a.quiet || !report) return;
    std::fprintf(stderr, "canveg: train: DNN epoch %d/%d  step %ld  lr %.3g  train loss %.6g", r.epoch + 1, a.epochs,
                 r.steps, r.learning_rate, r.train_loss);
    if (std::isfinite(r.test_loss)) std::fprintf(stderr, "  test loss %.6g", r.test_loss);
    std::fprintf(stderr, "  (%.2f s per epoch)\n", r.seconds);
  };
  const DnnTrainResult result = train_dnn(problem, options, on_epoch);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  nlohmann::json losses_train = nlohmann::json::array(), losses_test = nlohmann::json::array();
  for (const DnnEpochRecord& r : result.history) losses_train.push_back(r.train_loss), losses_test.push_back(r.test_loss);
  const nlohmann::json settings = {{"family", "DNN"},
                                   {"model", a.model},
                                   {"site_name", result.model.site_name},
                                   {"forcing", a.forcing},
                                   {"observed", a.observed},
                                   {"test_forcing", a.test_forcing},
                                   {"test_observed", a.test_observed},
                                   {"epochs", options.epochs},
                                   {"batch_size", options.batch_size},
                                   {"learning_rate", options.learning_rate.initial},
                                   {"lr_boundaries_in_steps", options.learning_rate.boundaries},
                                   {"lr_scale", options.learning_rate.scale},
                                   {"le_weight", options.le_weight},
                                   {"seed", options.seed}};
  const nlohmann::json extra = {{"training",
                                 {{"program", "canveg 0.1.0"},
                                  {"settings", settings},
                                  {"epochs_run", result.epochs_run},
                                  {"stop_reason", result.stop_reason},
                                  {"seconds", seconds},
                                  {"initial_train_loss", result.initial_train_loss},
                                  {"train_loss", losses_train},
                                  {"test_loss", losses_test},
                                  {"history_file", history_path}}}};
  write_dnn_json(result.model, a.output, extra);
  write_dnn_train_history(result, history_path);
  if (!a.quiet)
    std::fprintf(stderr, "canveg: train: %s in %.1f s; wrote %s and %s\n", result.stop_reason.c_str(), seconds,
                 a.output.c_str(), history_path.c_str());
  return 0;
}

// The settings every CanVeg training shares, single- or multi-site.
TrainOptions common_train_options(const TrainArgs& a) {
  TrainOptions options;
  options.epochs = a.epochs;
  options.learning_rate.initial = a.learning_rate;
  options.learning_rate.boundaries = a.lr_boundaries;
  options.learning_rate.scale = a.lr_scale;
  options.gradient.batch_size = a.batch_size;
  options.gradient.keep_remainder = a.keep_remainder;
  options.gradient.threads = a.threads;
  options.gradient.simd = cli::simd_setting(a.simd);
  options.gradient.lane_tape = a.lane_tape;
  options.gradient.method = parse_fixed_point_gradient(a.method, "--method");
  options.trained = a.trained;
  options.bounds = parse_bounds(a.bounds);
  options.jax_pooled_update = a.jax_pooled_update;
  options.stop_rules = !a.no_stop_rules;
  options.stop_model = a.jax_stop_model ? StopModel::Tripping : StopModel::LastAccepted;
  options.validation_days = a.validation_days;
  options.test_every = a.test_every;
  options.exact_from = parse_exact_from(a.exact_from, "--exact-from");
  options.keep = parse_kept_parameters(a.keep_epoch, "--keep-epoch");
  return options;
}

// --le-weight, else the model's own training weight, else 0.5.
double training_le_weight(const TrainArgs& a, const LoadedModel& initial) {
  return !std::isnan(a.le_weight) ? a.le_weight : !std::isnan(initial.trained_le_weight) ? initial.trained_le_weight : 0.5;
}

// `canveg train --sites FILE --output-dir DIR`: one training over several sites sharing the trained
// parameters (include/canveg/train.hpp, train_sites). Under mpirun rank k computes sites k, k + N,
// ...; the per-site numbers are summed over the ranks each epoch and combined in site order, so
// every rank holds the same parameters and rank 0 writes the result, bit-identical to one process.
int run_train_sites(const TrainArgs& a) {
  const cli::Ranks ranks = cli::join_ranks();
  const std::string who = ranks.mpi ? "train (rank " + std::to_string(ranks.rank) + ")" : "train";
  int status = 0;
  try {
    for (const char* single : {"--model", "--site", "--forcing", "--observed", "--test-forcing", "--test-observed",
                               "--output", "--history", "--checkpoint", "--resume", "--family", "--site-name",
                               "--scaler-fluxes", "--networks-from", "--seed"})
      if (a.given.count(single))
        throw InputError(a.sites, 0, single, std::string(single) + " is for one site; with --sites each [[site]] names "
                                                                   "its files (and --seed, --resume are not supported)");
    if (a.output_dir.empty()) throw InputError("", 0, "--output-dir", "--sites needs --output-dir");
    if (!std::filesystem::is_directory(a.output_dir))
      throw InputError(a.output_dir, 0, "--output-dir", "output folder does not exist");
    const std::vector<SiteTrainingFiles> files = read_sites_file(a.sites);
    std::vector<TrainProblem> problems(files.size());
    std::vector<ForcingRecord> test_forcings(files.size());
    std::vector<ObservedFluxes> test_observed(files.size());
    std::vector<std::string> names;
    std::vector<std::string> inputs = {a.sites};
    SiteShare sharing;
    for (std::size_t i = 0; i < files.size(); ++i) {
      const SiteTrainingFiles& f = files[i];
      TrainProblem& p = problems[i];
      p.initial = f.model.empty() ? read_site_toml(f.site) : read_model_json(f.model);
      cli::apply_formulation_option(a.formulation, p.initial.model.setup);
      if (a.reset_parameters) p.initial.model.para = Parameters<double>{};
      const std::string name = p.initial.model.setup.site_name;
      if (std::find(names.begin(), names.end(), name) != names.end())
        throw InputError(a.sites, f.line, "site", "site " + name + " is listed twice");
      names.push_back(name);
      // Every process reads every site (the checks fail alike everywhere); each computes its own.
      p.forcing = read_training_forcing(a, f.forcing, &p.initial);
      cli::warn_about_parameters(p.initial.model.para, f.model.empty() ? f.site : f.model);
      p.observed = read_flux_csv(f.observed);
      if (!f.test_forcing.empty()) {
        test_forcings[i] = read_training_forcing(a, f.test_forcing, &p.initial);
        test_observed[i] = read_flux_csv(f.test_observed);
        p.test_forcing = &test_forcings[i];
        p.test_observed = &test_observed[i];
      }
      for (const std::string* in : {&f.model, &f.site, &f.forcing, &f.observed, &f.test_forcing, &f.test_observed})
        inputs.push_back(*in);
      sharing.computes.push_back(static_cast<int>(i) % ranks.size == ranks.rank);
    }
    const std::string history_path = (std::filesystem::path(a.output_dir) / "history.csv").string();
    for (const std::string& name : names)
      io::AtomicOutputFile check((std::filesystem::path(a.output_dir) / (name + ".json")).string(), inputs);
    io::AtomicOutputFile check_history(history_path, inputs);

    TrainOptions options = common_train_options(a);
    options.loss.le_weight = training_le_weight(a, problems.front().initial);
    if (ranks.mpi) sharing.share = [&ranks](std::vector<double>& numbers) { cli::sum_over_ranks(ranks, numbers); };
    const auto on_epoch = [&](const TrainState&, const EpochRecord& r) {
      if (a.quiet || ranks.rank != 0) return;
      std::fprintf(stderr, "canveg: train: %zu sites, epoch %d/%d  lr %.3g  train loss %.6g", names.size(), r.epoch + 1,
                   a.epochs, r.learning_rate, r.train_loss);
      if (std::isfinite(r.test_loss)) std::fprintf(stderr, "  test loss %.6g", r.test_loss);
      std::fprintf(stderr, "  (%.1f s)\n", r.seconds);
    };
    const MultiSiteTrainResult result = train_sites(problems, options, sharing, on_epoch);
    if (ranks.rank == 0) {
      for (std::size_t i = 0; i < names.size(); ++i) {
        const OutputScaler& sc = result.scalers[i];
        const nlohmann::json extra = {
            {"description", "canveg model of site " + names[i] + ", trained over " + std::to_string(names.size()) +
                                " sites by canveg train --sites"},
            {"learning",
             {{"loss function", {{"type", "MSE"}, {"weights", {options.loss.le_weight, 1.0 - options.loss.le_weight}}}},
              {"output scaler", "standard"},
              {"number of epochs", a.epochs},
              {"tunable parameters", a.trained}}},
            {"training",
             {{"program", "canveg 0.1.0"},
              {"sites_file", a.sites},
              {"sites", names},
              {"scaler", {{"le_mean", sc.le_mean}, {"le_std", sc.le_std}, {"nee_mean", sc.nee_mean}, {"nee_std", sc.nee_std}}},
              {"epochs_run", result.epochs_run},
              {"stop_reason", result.stop_reason},
              {"history_file", history_path}}}};
        write_model_json(result.models[i], (std::filesystem::path(a.output_dir) / (names[i] + ".json")).string(), extra);
      }
      TrainResult history;
      history.parameter_names = result.parameter_names;
      history.history = result.history;
      write_train_history(history, history_path);
      if (!a.quiet)
        std::fprintf(stderr, "canveg: train: %s; %zu sites%s; wrote %s/<site>.json and %s\n", result.stop_reason.c_str(),
                     names.size(), ranks.mpi ? (" over " + std::to_string(ranks.size) + " ranks").c_str() : "",
                     a.output_dir.c_str(), history_path.c_str());
    }
  } catch (const std::exception& e) {  // InputError included: its message names file, line and field
    std::fprintf(stderr, "canveg: error: %s: %s\n", who.c_str(), e.what());
    status = 1;
  }
  cli::leave_ranks(ranks);
  return status;
}

int run_train(const TrainArgs& a) {
  if (!a.sites.empty()) return run_train_sites(a);
  try {
    for (const auto& [value, option] : {std::pair{&a.forcing, "--forcing"}, {&a.observed, "--observed"}, {&a.output, "--output"}})
      if (value->empty())
        throw InputError("", 0, option, std::string(option) + " is required (or --sites FILE for a multi-site training)");
    if (!a.output_dir.empty()) throw InputError("", 0, "--output-dir", "--output-dir goes with --sites; give --output");
    if (trains_dnn(a)) return run_train_dnn(a);
    if (!a.site_name.empty())
      throw InputError("", 0, "--site-name", "--site-name names a new network of --family DNN; a CanVeg model comes "
                                             "from --model or --site");
    if (a.model.empty() == a.site.empty()) throw InputError("", 0, "--model", "give exactly one of --model or --site");
    const std::string history_path = a.history.empty() ? beside(a.output, "-history.csv") : a.history;
    const std::string checkpoint_path = a.checkpoint.empty() ? beside(a.output, ".checkpoint.json") : a.checkpoint;
    // Output paths are checked before any work is done, and none may overwrite an input.
    const std::vector<std::string> inputs = {a.model,         a.site,          a.forcing,       a.observed,
                                             a.test_forcing,  a.test_observed, a.scaler_fluxes, a.networks_from};
    for (const std::string& out : {a.output, history_path, checkpoint_path}) io::AtomicOutputFile check(out, inputs);
    if (history_path == a.output || checkpoint_path == a.output || history_path == checkpoint_path)
      throw InputError(a.output, 0, "", "--output, --history and --checkpoint must be three different files");

    TrainProblem problem;
    problem.initial = a.model.empty() ? read_site_toml(a.site) : read_model_json(a.model);
    cli::apply_formulation_option(a.formulation, problem.initial.model.setup);
    // JAX-CanVeg's initial state: every parameter at its default (the parameter table's, which are
    // JAX-CanVeg's), the networks as initialised (a PB model's LeafRHDL was never updated).
    if (a.reset_parameters) problem.initial.model.para = Parameters<double>{};
    if (a.seed >= 0) {
      Model<double>& m = problem.initial.model;
      if (m.leaf_rh_net.empty() && m.rsoil_net.empty())
        throw InputError("", 0, "--seed", "the model has no network (LeafRHDL, RsoilDL) to initialise");
      // One stream per network, so that adding RsoilDL does not change LeafRHDL's draw.
      if (!m.leaf_rh_net.empty()) initialise_network(m.leaf_rh_net, static_cast<std::uint64_t>(a.seed) * 2);
      if (!m.rsoil_net.empty()) initialise_network(m.rsoil_net, static_cast<std::uint64_t>(a.seed) * 2 + 1);
    }
    if (!a.networks_from.empty()) {
      const LoadedModel source = read_model_json(a.networks_from);
      Model<double>& m = problem.initial.model;
      for (auto [to, from, name] : {std::tuple{&m.leaf_rh_net, &source.model.leaf_rh_net, "LeafRHDL"},
                                    std::tuple{&m.rsoil_net, &source.model.rsoil_net, "RsoilDL"}}) {
        if (from->empty()) continue;
        if (!to->empty() && (to->in_size != from->in_size || to->width != from->width))
          throw InputError(a.networks_from, 0, std::string("mlps.") + name,
                           "the network's shape differs from the model's");
        *to = *from;
      }
    }
    problem.forcing = read_training_forcing(a, a.forcing, &problem.initial);
    cli::warn_about_parameters(problem.initial.model.para, a.model.empty() ? a.site : a.model);
    problem.observed = read_flux_csv(a.observed);
    ForcingRecord test_forcing;
    ObservedFluxes test_observed;
    if (read_test_data(a, problem.forcing, test_forcing, test_observed, &problem.initial)) {
      problem.test_forcing = &test_forcing;
      problem.test_observed = &test_observed;
    }

    TrainOptions options = common_train_options(a);
    options.loss.le_weight = training_le_weight(a, problem.initial);
    if (!a.scaler_fluxes.empty()) {
      options.loss.scaler = standard_scaler(read_flux_csv(a.scaler_fluxes));
      options.scaler_given = true;
    }
    if (a.seed >= 0 && !a.networks_from.empty())
      throw InputError("", 0, "--seed", "give either --seed or --networks-from for the initial networks");
    // A starting value outside its bounds is moved onto the nearer bound by the first step's
    // clipping, a jump no learning rate would make: said, once per parameter name.
    {
      const ParameterSpace space = training_space(problem.initial.model, options.trained);
      const std::vector<std::pair<double, double>> bounds = training_bounds(space, options.bounds);
      const std::vector<double> values = space.values(problem.initial.model);
      std::set<std::string> said;
      for (std::size_t k = 0; k < space.size(); ++k)
        if ((values[k] < bounds[k].first || values[k] > bounds[k].second) && said.insert(space.name(k)).second)
          std::fprintf(stderr,
                       "canveg: warning: train: %s starts at %g, outside its bounds [%g, %g]: the first step clips it "
                       "to %g\n",
                       space.name(k).c_str(), values[k], bounds[k].first, bounds[k].second,
                       values[k] < bounds[k].first ? bounds[k].first : bounds[k].second);
    }

    // What a checkpoint must agree with to be resumed (everything that changes the result).
    nlohmann::json settings = {
        {"model", a.model},         {"site", a.site},
        {"forcing", a.forcing},     {"observed", a.observed},
        {"test_forcing", a.test_forcing}, {"test_observed", a.test_observed},
        {"scaler_fluxes", a.scaler_fluxes},
        {"learning_rate", a.learning_rate}, {"lr_boundaries", a.lr_boundaries},
        {"lr_scale", a.lr_scale},   {"le_weight", options.loss.le_weight},
        {"batch_size", a.batch_size}, {"keep_remainder", a.keep_remainder},
        {"method", a.method},       {"trained", a.trained},
        {"bounds", a.bounds},       {"jax_pooled_update", a.jax_pooled_update},
        {"jax_stop_model", a.jax_stop_model}, {"stop_rules", !a.no_stop_rules},
        {"reset_parameters", a.reset_parameters}, {"networks_from", a.networks_from},
        {"seed", a.seed},           {"validation_days", a.validation_days},
        {"formulation", describe_formulation(problem.initial.model.setup)},
        // What the files held as read, not only their names: an edit in place, or other forcing
        // options, must not be resumed into.
        {"forcing_options", forcing_options_json(a.forcing_options)},
        {"model_file", file_fingerprint(a.model.empty() ? a.site : a.model)},
        {"data", training_data_fingerprint(problem.forcing, problem.observed)},
        {"test_data", problem.test_forcing ? training_data_fingerprint(*problem.test_forcing, *problem.test_observed)
                                           : std::string()}};
    // Only when not the default, so that checkpoints written before the option existed resume.
    if (a.test_every != 1) settings["test_every"] = a.test_every;
    // Resolved, and always: a checkpoint of a build that had no exact phase must not resume into one.
    const int exact_from = exact_gradient_from(options);
    settings["exact_from"] = exact_from;
    settings["keep_epoch"] = kept_parameters_name(options.keep);
    std::unique_ptr<TrainState> resume;
    if (a.resume) {
      if (std::filesystem::exists(checkpoint_path)) {
        resume = std::make_unique<TrainState>(read_train_state(checkpoint_path, settings));
        // --epochs may grow on a resume: no epoch depends on how many follow it (the learning-rate
        // schedule and the stop rules look back only), so the longer run is the uninterrupted one.
        if (resume->epochs_done > a.epochs)
          throw InputError(checkpoint_path, 0, "--epochs",
                           "the checkpoint is after epoch " + std::to_string(resume->epochs_done) +
                               ", beyond --epochs " + std::to_string(a.epochs));
        if (!a.quiet)
          std::fprintf(stderr, "canveg: train: resuming from %s after epoch %d\n", checkpoint_path.c_str(),
                       resume->epochs_done);
      } else if (!a.quiet) {
        std::fprintf(stderr, "canveg: train: no checkpoint %s yet; starting afresh\n", checkpoint_path.c_str());
      }
    }

    if (!a.quiet)
      std::fprintf(stderr, "canveg: train: formulation %s\n", describe_formulation(problem.initial.model.setup).c_str());
    // The time left is estimated per phase: an exact epoch costs several one-step ones (about 2.5
    // to 3 times at US-Bi1, docs/performance.md), so the one-step epochs' pace would understate
    // it. Before the exact phase, the estimate covers the one-step epochs left and names the
    // exact ones.
    auto phase_start = std::chrono::steady_clock::now();
    int phase_first = resume ? resume->epochs_done : 0;
    const auto exact_phase = [&](int epoch) { return exact_from >= 0 && epoch >= exact_from; };
    const auto on_epoch = [&](const TrainState& state, const EpochRecord& r) {
      write_train_state(state, settings, checkpoint_path);
      if (a.quiet) return;
      const auto now = std::chrono::steady_clock::now();
      const double elapsed = std::chrono::duration<double>(now - phase_start).count();
      const int done = r.epoch + 1 - phase_first;
      const int epochs_left = a.epochs - r.epoch - 1;
      const int exact_left = exact_from < 0 ? 0 : std::min(epochs_left, std::max(0, a.epochs - exact_from));
      const int same_phase_left = exact_phase(r.epoch) ? epochs_left : epochs_left - exact_left;
      const double left = elapsed / done * same_phase_left;
      std::fprintf(stderr, "canveg: train: epoch %d/%d  lr %.3g  train loss %.6g", r.epoch + 1, a.epochs,
                   r.learning_rate, r.train_loss);
      if (std::isfinite(r.test_loss)) std::fprintf(stderr, "  test loss %.6g", r.test_loss);
      if (exact_phase(r.epoch) || exact_left == 0)
        std::fprintf(stderr, "  (%.1f s, %s left)\n", r.seconds, duration(left).c_str());
      else
        std::fprintf(stderr, "  (%.1f s, %s left before the %d exact epochs)\n", r.seconds, duration(left).c_str(),
                     exact_left);
      if (!exact_phase(r.epoch) && exact_phase(r.epoch + 1)) {  // the next epoch starts the exact phase
        phase_start = now;
        phase_first = r.epoch + 1;
      }
      if (r.epoch + 1 == exact_from && r.epoch + 1 < a.epochs)
        std::fprintf(stderr, "canveg: train: the exact (unrolled) gradient from epoch %d on (--exact-from)\n",
                     r.epoch + 2);
    };
    const TrainResult result = train(problem, options, on_epoch, resume.get());

    nlohmann::json losses_train = nlohmann::json::array(), losses_test = nlohmann::json::array();
    for (const EpochRecord& r : result.history) losses_train.push_back(r.train_loss), losses_test.push_back(r.test_loss);
    const nlohmann::json extra = {
        {"description", "canveg model of site " + result.model.model.setup.site_name + ", trained by canveg train"},
        {"learning", {{"loss function", {{"type", "MSE"}, {"weights", {options.loss.le_weight, 1.0 - options.loss.le_weight}}}},
                      {"output scaler", "standard"},
                      {"number of epochs", a.epochs},
                      {"tunable parameters", a.trained}}},
        {"training",
         {{"program", "canveg 0.1.0"},
          {"settings", settings},
          {"scaler", {{"le_mean", result.scaler.le_mean}, {"le_std", result.scaler.le_std},
                      {"nee_mean", result.scaler.nee_mean}, {"nee_std", result.scaler.nee_std}}},
          {"epochs_run", result.epochs_run},
          {"best_epoch", result.best_epoch},
          {"train_loss_after_last_step", result.final_train_loss},
          {"stop_reason", result.stop_reason},
          {"train_loss", losses_train},
          {"test_loss", losses_test},
          {"history_file", history_path}}}};
    write_model_json(result.model, a.output, extra);
    write_train_history(result, history_path);
    if (!a.quiet)
      std::fprintf(stderr, "canveg: train: %s; formulation %s; wrote %s and %s\n", result.stop_reason.c_str(),
                   describe_formulation(result.model.model.setup).c_str(), a.output.c_str(), history_path.c_str());
    warn_loss_rise(result);
    return 0;
  } catch (const std::exception& e) {  // InputError included: its message names file, line and field
    std::fprintf(stderr, "canveg: error: train: %s\n", e.what());
    return 1;
  }
}

}  // namespace

CLI::App* add_train_command(CLI::App& app, cli::CommandSlot& slot) {
  auto a = std::make_shared<TrainArgs>();
  CLI::App* cmd = app.add_subcommand(
      "train", "Fit a model's parameters to observed LE and NEE with JAX-CanVeg's procedure, or train its pure "
               "neural-network baseline (--family DNN) (docs/training.md)");
  auto* model = cmd->add_option("--model", a->model,
                                "initial model JSON (e.g. jax-canveg-trained/*.json; a DNN file trains the DNN family)");
  auto* site = cmd->add_option("--site", a->site, "initial model from a site TOML file (default parameters)");
  model->excludes(site);
  cmd->add_option("--family", a->family,
                  "CanVeg (the model of --model or --site, PB or Hybrid) or DNN (JAX-CanVeg's pure neural-network "
                  "baseline); default: DNN when --model is a DNN file, else CanVeg")
      ->transform(CLI::IsMember({"CanVeg", "DNN"}, CLI::ignore_case));
  cmd->add_option("--site-name", a->site_name, "DNN: the site of a new network (instead of --model)");
  cmd->add_option("--forcing", a->forcing, "training forcing CSV (required unless --sites)");
  cmd->add_option("--observed", a->observed, "observed fluxes of the same half-hours (LE and NEE; required unless --sites)");
  cmd->add_option("--sites", a->sites,
                  "multi-site training: a TOML file with one [[site]] table per site (model or site, forcing, observed, "
                  "test_forcing, test_observed); the trained parameters are shared, the loss is the sites' mean "
                  "weighted by training half-hours; under mpirun the sites are spread over the ranks");
  cmd->add_option("--output-dir", a->output_dir,
                  "with --sites: folder for one trained model JSON per site (<site>.json) and history.csv");
  cmd->add_flag("--reset-parameters", a->reset_parameters,
                "start every scalar parameter from its default (JAX-CanVeg's initial state; 'canveg fields')");
  cmd->add_option("--networks-from", a->networks_from,
                  "take the initial LeafRHDL/RsoilDL weights from this model JSON (e.g. a PB model, whose "
                  "LeafRHDL is JAX-CanVeg's untouched initialisation)");
  cmd->add_option("--seed", a->seed,
                  "draw new initial network weights from this seed (uniform in +-1/sqrt(fan-in), as JAX-CanVeg's "
                  "networks are initialised); DNN: the weights of a new network and the batch order (default 0)")
      ->check(CLI::Range(0LL, 1LL << 62));
  cmd->add_option("--validation-days", a->validation_days,
                  "hold out the last N days of the training period and keep the epoch with the lowest loss on them "
                  "(default 0: off, as in JAX-CanVeg)")
      ->check(CLI::Range(0, 100000));
  cmd->add_option("--test-forcing", a->test_forcing, "test forcing CSV (test loss logged per epoch)");
  cmd->add_option("--test-every", a->test_every,
                  "evaluate the test loss after every N-th epoch and after the last one, not after every epoch "
                  "(default 1, as JAX-CanVeg; the others are left empty in the history)")
      ->check(CLI::Range(1, 1000000));
  cmd->add_option("--test-observed", a->test_observed, "observed fluxes of the test period");
  cmd->add_option("-o,--output", a->output, "trained model JSON (readable by canveg run; required unless --sites)");
  cmd->add_option("--history", a->history, "per-epoch CSV (default: <output stem>-history.csv)");
  cmd->add_option("--checkpoint", a->checkpoint,
                  "state written after every epoch (default: <output stem>.checkpoint.json)");
  cmd->add_flag("--resume", a->resume, "continue from the checkpoint (bit-identical to an uninterrupted run)");
  cmd->add_option("--epochs", a->epochs, "epochs (CanVeg: one Adam step each; DNN: one pass over shuffled batches)")
      ->capture_default_str()
      ->check(CLI::Range(0, 1000000));
  cmd->add_option("--learning-rate", a->learning_rate, "initial learning rate (default 0.01; DNN: 0.2)")
      ->check(cli::finite_number());
  cmd->add_option("--lr-boundaries", a->lr_boundaries,
                  "epochs (DNN: Adam steps, i.e. batches) at which the rate is scaled (default 50,100,200)")
      ->delimiter(',');
  cmd->add_option("--lr-scale", a->lr_scale, "factor applied at each boundary (default 0.5; DNN: 0.1)")
      ->check(cli::finite_number());
  cmd->add_option("--batch-size", a->batch_size,
                  "half-hours per batch (default 1024 contiguous; DNN: 64 shuffled, the last shorter batch kept)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{100000000}));
  cmd->add_flag("--keep-remainder", a->keep_remainder,
                "keep the rows after the last full batch as a shorter batch (JAX-CanVeg drops them)");
  cmd->add_option("--le-weight", a->le_weight,
                  "w in w MSE(LE) + (1 - w) MSE(NEE) (default: the model's training weight, else 0.5)")
      ->check(cli::finite_number());
  cmd->add_option("--scaler-fluxes", a->scaler_fluxes,
                  "flux CSV whose LE/NEE mean and std standardise the outputs (default: --observed)");
  cmd->add_option("--train", a->trained,
                  "parameters to train, comma-separated (scalars of 'canveg fields', LeafRHDL, RsoilDL; default: "
                  "JAX-CanVeg's list)")
      ->delimiter(',');
  cmd->add_option("--bounds", a->bounds, "replace a parameter's bounds: name=lower:upper (repeatable)");
  cmd->add_option("--exact-from", a->exact_from,
                  "auto|never|EPOCH: from this epoch (0-based) on, the exact (unrolled) gradient replaces --method's, "
                  "with Adam's moments started afresh; auto (default): the last --lr-boundaries epoch (200) with "
                  "--method onestep, never with the other methods")
      // Checked as the command line is read, not after the forcing and observations.
      ->check(CLI::Validator(
          [](std::string& value) {
            try {
              parse_exact_from(value, "");  // CLI11 names the option
              return std::string();
            } catch (const InputError& e) {
              return std::string(e.what());
            }
          },
          "auto|never|EPOCH"))
      ->capture_default_str();
  cmd->add_option("--keep-epoch", a->keep_epoch,
                  "lowest (default): the trained model takes the parameters of the lowest training loss of the run "
                  "(the loss after the last step included); last: the last epoch's (JAX-CanVeg). --validation-days "
                  "keeps the lowest held-out loss instead")
      ->check(CLI::IsMember({"lowest", "last"}))
      ->capture_default_str();
  cmd->add_option("--method", a->method,
                  "gradient through the fixed point: onestep (the last iteration's), unrolled (exact), implicit, "
                  "onestep-jax (JAX-CanVeg's training gradient exactly); docs/gradients.md, docs/training.md")
      ->check(CLI::IsMember({"unrolled", "implicit", "onestep", "onestep-jax"}))
      ->capture_default_str();
  cmd->add_flag("--jax-pooled-update", a->jax_pooled_update,
                "reproduction only: one gradient per network array, averaged over batches and elements, as "
                "JAX-CanVeg's nanmean without an axis");
  cmd->add_flag("--jax-stop-model", a->jax_stop_model,
                "when a stop rule fires, keep the model whose loss tripped it (JAX-CanVeg) instead of the last "
                "accepted one");
  cmd->add_flag("--no-stop-rules", a->no_stop_rules,
                "do not stop at a NaN loss or a loss above 1000 x the mean of the last 10");
  cmd->add_option("--threads", a->threads, "worker threads (0: all cores)")->check(CLI::Range(0, 4096));
  cli::add_simd_option(*cmd, a->simd);
  cli::add_lane_tape_option(*cmd, a->lane_tape);
  cmd->add_flag("-q,--quiet", a->quiet, "nothing on stderr but errors");
  cli::add_formulation_option(*cmd, a->formulation);
  cli::add_forcing_options(*cmd, a->forcing_options);
  cli::run_when_parsed(*cmd, slot, [a, cmd] {
    for (const CLI::Option* option : cmd->get_options())
      if (option->count() > 0) a->given.insert(option->get_name());
    return run_train(*a);
  });
  return cmd;
}

}  // namespace canveg
