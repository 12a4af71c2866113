// Command-line front end.
//
//   canveg run --model <model.json> | --site <site.toml> | --config <configs.json>
//              --forcing <forcing.csv> --output <fluxes.csv> [--observed <fluxes.csv>] [--dij <Dij.csv>]
//              [--formulation jax|corrected] [--independent] [--threads N] [--diagnostics] [--quiet]
//   canveg evaluate --predicted <fluxes.csv> --observed <fluxes.csv> [--forcing ...]   (cli/evaluate_command.hpp)
//   canveg dij ...   (dispersion-matrix generator, cli/dij_command.hpp)
//   canveg sensitivity ...   (loss gradient per parameter, cli/sensitivity_command.hpp)
//   canveg train ...   (fit the parameters to observed LE and NEE, cli/train_command.hpp)
//   canveg sweep ...   (one training per site x family x LE weight x seed, cli/sweep_command.hpp)
//   canveg fields [--markdown]   (the outputs, forcings and parameters)
//
// Exit status: 0 success, 2 bad usage, 1 bad input or any other failure. Errors are printed on
// stderr as "canveg: error: <message>", where the message names the file, line and field.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <exception>
#include <memory>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "canveg/dnn.hpp"
#include "canveg/errors.hpp"
#include "canveg/forcing.hpp"
#include "canveg/metrics.hpp"
#include "canveg/model_io.hpp"
#include "canveg/observations.hpp"
#include "canveg/run.hpp"
#include "cli/convert_command.hpp"
#include "cli/dij_command.hpp"
#include "cli/evaluate_command.hpp"
#include "cli/fields_help.hpp"
#include "cli/finite_number.hpp"
#include "cli/forcing_options.hpp"
#include "cli/formulation_option.hpp"
#include "cli/sensitivity_command.hpp"
#include "cli/simd_option.hpp"
#include "cli/sweep_command.hpp"
#include "cli/train_command.hpp"
#include "canveg/output_io.hpp"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

void print_error(const std::string& message) { std::fprintf(stderr, "canveg: error: %s\n", message.c_str()); }

// ---- progress ------------------------------------------------------------------------------

// Progress on stderr: a percentage updated in place on a terminal, a line every 10% otherwise
// (so that logs of batch jobs stay short).
class Progress {
 public:
  // unit: what the counts count ("half-hours"; --converge solves the record twice).
  explicit Progress(bool enabled, std::string unit = "half-hours")
      : enabled_(enabled), tty_(::isatty(::fileno(stderr)) != 0), unit_(std::move(unit)) {}
  void operator()(std::size_t done, std::size_t total) {
    if (!enabled_ || total == 0) return;
    const int pct = static_cast<int>(100 * done / total);
    if (tty_) {
      if (pct == last_) return;
      std::fprintf(stderr, "\rcanveg: running %3d%% (%zu / %zu %s)", pct, done, total, unit_.c_str());
      std::fflush(stderr);
      open_line_ = true;
    } else {
      if (pct / 10 == last_ / 10 && last_ >= 0) return;
      std::fprintf(stderr, "canveg: running %3d%% (%zu / %zu %s)\n", pct / 10 * 10, done, total, unit_.c_str());
    }
    last_ = pct;
  }
  void finish() {
    if (open_line_) std::fprintf(stderr, "\n");
    open_line_ = false;
  }

 private:
  bool enabled_, tty_;
  std::string unit_;
  bool open_line_ = false;
  int last_ = -1;
};

// ---- evaluation ----------------------------------------------------------------------------

std::string fmt_num(double v, int precision = 4) {
  if (std::isnan(v)) return "nan";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", precision, v);
  return buf;
}

// Prints the metrics of LE and NEE on stdout, with JAX-CanVeg's reported test NSE when known.
void print_metrics(const std::vector<double>& le, const std::vector<double>& nee, const canveg::ObservedFluxes& obs,
                   const canveg::ReportedMetrics* reported) {
  std::printf("%-4s %-12s %7s %9s %9s %9s %9s %9s", "flux", "observed", "n", "NSE", "RMSE", "R2", "KGE", "bias");
  if (reported && reported->present) std::printf(" %12s %9s", "reported_NSE", "diff");
  std::printf("\n");
  const auto row = [&](const char* name, const std::vector<double>& pred, const std::vector<double>& observed,
                       const std::string& column, double reported_nse, const std::vector<char>& filled) {
    if (observed.empty()) {
      std::printf("%-4s %-12s (no observed column)\n", name, "-");
      return;
    }
    const canveg::FitMetrics m = canveg::compute_metrics(pred, observed);
    std::printf("%-4s %-12s %7zu %9s %9s %9s %9s %9s", name, column.c_str(), m.n, fmt_num(m.nse).c_str(),
                fmt_num(m.rmse, 3).c_str(), fmt_num(m.r2).c_str(), fmt_num(m.kge).c_str(), fmt_num(m.bias, 3).c_str());
    if (reported && reported->present)
      std::printf(" %12s %9s", fmt_num(reported_nse).c_str(), fmt_num(m.nse - reported_nse).c_str());
    std::printf("\n");
    const std::string sign = canveg::sign_convention_warning(m, name, column);
    if (!sign.empty()) std::fprintf(stderr, "canveg: warning: %s: %s\n", obs.source.c_str(), sign.c_str());
    // JAX-CanVeg's metrics count the gaps its get_obs filled as observations; say how many.
    const std::size_t n_filled = static_cast<std::size_t>(std::count(filled.begin(), filled.end(), 1));
    if (n_filled > 0)
      std::fprintf(stderr,
                   "canveg: note: %s: %zu of the %zu %s values scored are gaps filled by linear interpolation (the "
                   "nearest value at the ends), as JAX-CanVeg scores them; `canveg evaluate` scores the measured ones "
                   "only\n",
                   obs.source.c_str(), n_filled, filled.size(), column.c_str());
  };
  row("LE", le, obs.LE, obs.le_column, reported ? reported->le_test_nse : 0, obs.le_filled);
  row("NEE", nee, obs.NEE, obs.nee_column, reported ? reported->nee_test_nse : 0, obs.nee_filled);
  if (reported && reported->present)
    std::printf("(reported_NSE: JAX-CanVeg's test-period NSE stored in the model file; it applies to the "
                "site's test forcing)\n");
  std::fflush(stdout);
}

// ---- run -----------------------------------------------------------------------------------

struct RunArgs {
  std::string model, site, config, forcing, output, observed, dij, scaler_forcing, scaler_fluxes;
  bool independent = false, diagnostics = false, convergence = false, quiet = false, single_dark_respiration = false;
  int threads = 0;
  int shortwave_sweeps = 0;  // 0: as the formulation says
  double converge = 0;       // 0: the site file's [solver] converge, else fixed iterations
  int max_iterations = 0;    // 0: the site file's, else RunOptions' default
  std::string formulation;   // "": as the model file says
  std::string simd = "auto";  // --simd (cli/simd_option.hpp)
  canveg::cli::ForcingOptionArgs forcing_options;
};

// Reads the run's forcing file with its options and, unless quiet, says where each variable came from.
canveg::ForcingRecord read_run_forcing(const RunArgs& a, const canveg::ForcingReadOptions& site = {}) {
  canveg::ForcingReadOptions options = canveg::cli::forcing_read_options(a.forcing_options, site);
  canveg::io::refuse_output_over_inputs(a.output, canveg::cli::forcing_option_files(options));
  options.threads = a.threads;
  canveg::ForcingRecord forcing = canveg::read_forcing_file(a.forcing, options);
  if (!a.quiet) canveg::cli::print_forcing_sources(forcing);
  return forcing;
}

canveg::LoadedModel load_model(const RunArgs& a) {
  if (!a.model.empty()) return canveg::read_model_json(a.model);
  if (!a.site.empty()) return canveg::read_site_toml(a.site);
  return canveg::read_jax_config(a.config);
}

// The neural-network baseline: LE and NEE from the forcing alone (canveg/dnn.hpp).
int command_run_dnn(const RunArgs& a, canveg::io::AtomicOutputFile& output) {
  canveg::DnnModel dnn = canveg::read_dnn_json(a.model);
  // The scalers standardise with the statistics of the network's own training data: files of
  // another site give it inputs it never saw (no physics or sun check stands behind a DNN run).
  for (const std::string& file : {a.forcing, a.scaler_forcing, a.scaler_fluxes}) {
    const std::string named = canveg::other_site_in_file_name(file, dnn.site_name);
    if (!named.empty())
      std::fprintf(stderr, "canveg: warning: %s: the file is named for %s, the neural network is %s's\n", file.c_str(),
                   named.c_str(), dnn.site_name.c_str());
  }
  if (!a.scaler_forcing.empty() || !a.scaler_fluxes.empty()) {
    if (a.scaler_forcing.empty() || a.scaler_fluxes.empty())
      throw canveg::InputError("", 0, "--scaler-forcing", "give --scaler-forcing and --scaler-fluxes together");
    // The scalers belong to the data the network was trained on: a trained file's own are replaced
    // only on purpose, and the record being predicted, or a test period, is not that data.
    if (dnn.has_scalers)
      std::fprintf(stderr,
                   "canveg: warning: %s carries the scalers of its training data; --scaler-forcing and "
                   "--scaler-fluxes replace them\n",
                   a.model.c_str());
    if (canveg::io::same_file(a.scaler_forcing, a.forcing))
      std::fprintf(stderr,
                   "canveg: warning: --scaler-forcing is the forcing being predicted: the network's inputs are "
                   "then standardised with this record's statistics, not those of its training data\n");
    for (const std::string* file : {&a.scaler_forcing, &a.scaler_fluxes})
      if (std::filesystem::path(*file).filename().string().find("-test") != std::string::npos)
        std::fprintf(stderr,
                     "canveg: warning: %s: the scalers are fitted on a test period, not on the training data the "
                     "network learnt from\n",
                     file->c_str());
    canveg::fit_dnn_scalers(
        dnn, canveg::read_forcing_file(a.scaler_forcing, canveg::cli::forcing_read_options(a.forcing_options)),
        canveg::read_flux_csv(a.scaler_fluxes));
  }
  const canveg::ForcingRecord forcing = read_run_forcing(a);
  // Inputs in a wrong unit or column reach the network as inputs it never saw, as they would the physics.
  std::vector<std::string> warnings = canveg::check_forcing_consistency(forcing);
  if (const std::string humidity = canveg::check_humidity_units(forcing); !humidity.empty()) warnings.push_back(humidity);
  for (const std::string& warning : warnings)
    std::fprintf(stderr, "canveg: warning: %s: %s\n", forcing.source.c_str(), warning.c_str());
  std::optional<canveg::ObservedFluxes> observed;
  if (!a.observed.empty()) {
    observed = canveg::observations_for_record(canveg::read_flux_csv(a.observed), forcing.timestamp, a.forcing);
  }
  const canveg::DnnPrediction p = canveg::run_dnn(dnn, forcing);
  if (canveg::io::is_netcdf_path(a.output)) {
    canveg::io::OutputMetadata metadata;
    metadata.attributes = {{"model_file", a.model}, {"forcing_file", a.forcing}, {"model", "neural-network baseline"}};
    canveg::io::write_predicted_fluxes_netcdf(output, forcing.timestamp, p.LE, p.NEE, metadata);
  } else {
    canveg::io::write_predicted_fluxes(output.stream(), forcing.timestamp, p.LE, p.NEE);
    output.commit();
  }
  if (!a.quiet)
    std::fprintf(stderr, "canveg: neural-network baseline, %zu half-hours; wrote %s\n", forcing.size(), a.output.c_str());
  if (observed) print_metrics(p.LE, p.NEE, *observed, &dnn.reported);
  return kExitOk;
}

// A half-hour named for a message: its time stamp, or its row when the forcing has none.
std::string row_label(const std::vector<std::string>& timestamps, std::size_t r) {
  return r < timestamps.size() && !timestamps[r].empty() ? timestamps[r] : "row " + std::to_string(r + 1);
}

// How settled the run is: the half-hours whose LE still changed by more than 1 W m-2 in the last
// iteration, and the least settled one.
void print_convergence_summary(const canveg::ConvergenceDiagnostics& c, const std::vector<std::string>& timestamps,
                               int iterations) {
  constexpr double kThreshold = 1.0;  // W m-2
  std::size_t unsettled = 0, worst = 0;
  for (std::size_t r = 0; r < c.size(); ++r) {
    unsettled += !(c.dLE_last[r] <= kThreshold);
    if (!(c.dLE_last[r] <= c.dLE_last[worst])) worst = r;
  }
  std::fprintf(stderr, "canveg: convergence: %zu of %zu half-hours changed LE by more than %.0f W m-2 in iteration %d",
               unsettled, c.size(), kThreshold, iterations);
  if (c.size() > 0)
    std::fprintf(stderr, "; the largest change %.3g W m-2 at %s", c.dLE_last[worst],
                 row_label(timestamps, worst).c_str());
  std::fprintf(stderr, "\n");
  std::size_t implausible = 0;
  for (double bits : c.implausible) implausible += bits != 0;
  std::fprintf(stderr,
               "canveg: convergence: %zu of %zu half-hours in a physically impossible state (column implausible)\n",
               implausible, c.size());
}

// A warning (also with --quiet) for half-hours with a non-finite output: the model's answer
// there, written as NaN, which would otherwise pass unnoticed into an analysis. Returns their number.
std::size_t warn_non_finite_outputs(const canveg::CanopyOutputs& o, const std::vector<std::string>& timestamps,
                                    std::size_t rows) {
  std::size_t count = 0, first = rows;
  std::string first_field;
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t i = 0; i < canveg::kOutputCount; ++i) {
      if (std::isfinite(o.series(i)[r])) continue;
      if (first == rows) first = r, first_field = std::string(canveg::kOutputFields[i].name);
      ++count;
      break;
    }
  }
  if (count == 0) return 0;
  std::fprintf(stderr,
               "canveg: warning: non-finite outputs in %zu of %zu half-hours, the first %s at %s: the solution ran "
               "away there (with the jax formulation typically the soil surface in a calm night); --convergence "
               "flags such half-hours, --formulation corrected avoids most (docs/reliability.md, \"Implausible "
               "states\")\n",
               count, rows, first_field.c_str(),
               row_label(timestamps, first).c_str());
  return count;
}

// Physically impossible outputs are written as computed; say so (also with -q), since nothing else
// in the file marks them. --convergence flags them row by row. The non-finite half-hours, already
// warned about, are among them; the count says so rather than repeating them as news.
void warn_implausible_outputs(const canveg::CanopyOutputs& o, const std::vector<std::string>& timestamps,
                              bool flagged_in_file, std::size_t non_finite) {
  std::size_t first = 0;
  const std::size_t count = canveg::count_implausible_outputs(o, &first);
  if (count == 0 || count == non_finite) return;
  const std::string including =
      non_finite > 0 ? " (the " + std::to_string(non_finite) + " with non-finite outputs among them)" : "";
  std::fprintf(stderr,
               "canveg: warning: %zu of %zu half-hours%s are in a physically impossible state by their outputs "
               "(|LE|, |H| or |G| above 1200 W m-2, leaf or soil temperature out of range, or not finite), the first at "
               "%s; %s (docs/reliability.md, \"Implausible states\")\n",
               count, o.size(), including.c_str(), row_label(timestamps, first).c_str(),
               flagged_in_file ? "the implausible column flags them"
                               : "--convergence flags them, --formulation corrected avoids most");
}

// --converge: the iterations used and whether the tolerance was reached; a warning (also with
// --quiet) when it was not, with the number of half-hours still changing by more than it.
void print_converge_summary(const canveg::RunResult& r, const canveg::RunOptions& o, bool quiet) {
  const double last = r.iteration_change.empty() ? 0.0 : r.iteration_change[static_cast<std::size_t>(r.iterations - 1)];
  if (r.converged) {
    if (!quiet)
      std::fprintf(stderr,
                   "canveg: converged in %d iterations: the largest change in the last one %.3g (< %g; K and W m-2)\n",
                   r.iterations, last, o.converge_tolerance);
    return;
  }
  std::fprintf(stderr,
               "canveg: warning: not converged: after %d iterations (--max-iterations) the largest change in the last "
               "one is %.3g, not below %g (K and W m-2)",
               r.iterations, last, o.converge_tolerance);
  if (!r.convergence.dLE_last.empty()) {
    std::size_t unsettled = 0;
    for (std::size_t i = 0; i < r.convergence.size(); ++i) {
      const canveg::ConvergenceDiagnostics& c = r.convergence;
      double m = 0;
      for (double v : {c.dTleaf_last[i], c.dTair_last[i], c.dLE_last[i], c.dH_last[i], c.dG_last[i]})
        m = std::isnan(v) ? HUGE_VAL : std::max(m, v);
      unsettled += !(m < o.converge_tolerance);
    }
    std::fprintf(stderr, "; %zu of %zu half-hours are not settled", unsettled, r.convergence.size());
  } else {
    std::fprintf(stderr, " (add --convergence for the unsettled half-hours)");
  }
  std::fprintf(stderr, "\n");
}

// The run described in a NetCDF output's global attributes: enough to repeat it.
canveg::io::OutputMetadata run_metadata(const RunArgs& a, const std::string& model_path, const canveg::Setup& setup) {
  canveg::io::OutputMetadata m;
  m.site_name = setup.site_name;
  m.has_coordinates = true;
  m.latitude = setup.latitude;
  m.longitude = setup.longitude;
  m.attributes = {{"model_file", model_path},
                  {"forcing_file", a.forcing},
                  {"formulation", canveg::describe_formulation(setup)},
                  {"canopy_layers", std::to_string(setup.n_can_layers)},
                  {"iterations", std::to_string(setup.niter)},
                  {"time_coupling", a.independent ? "independent half-hours" : "soil storage coupled between rows"}};
  if (!a.dij.empty()) m.attributes.push_back({"dispersion_matrix_file", a.dij});
  return m;
}

int command_run(const RunArgs& a) {
  // The output is checked first: a wrong path must not cost a whole run.
  canveg::io::AtomicOutputFile output(
      a.output, {a.model, a.site, a.config, a.forcing, a.observed, a.dij, a.scaler_forcing, a.scaler_fluxes});
  if (!a.model.empty() && canveg::is_dnn_json(a.model)) {
    if (!a.formulation.empty() || a.single_dark_respiration || a.shortwave_sweeps > 0)
      throw canveg::InputError(a.model, 0, "--formulation",
                               "the neural-network baseline has no physics, so no formulation or its switches");
    if (a.diagnostics || a.convergence)
      throw canveg::InputError(a.model, 0, a.diagnostics ? "--diagnostics" : "--convergence",
                               "the neural-network baseline has no energy balance or iteration to report");
    if (a.converge > 0 || a.max_iterations > 0)
      throw canveg::InputError(a.model, 0, a.converge > 0 ? "--converge" : "--max-iterations",
                               "the neural-network baseline has no iteration to converge");
    if (!a.dij.empty() || a.independent)
      throw canveg::InputError(a.model, 0, a.independent ? "--independent" : "--dij",
                               "the neural-network baseline has no canopy turbulence or soil storage: it maps each "
                               "half-hour's meteorology to LE and NEE on its own");
    return command_run_dnn(a, output);
  }
  if (!a.scaler_forcing.empty() || !a.scaler_fluxes.empty())
    throw canveg::InputError("", 0, "--scaler-forcing", "only the neural-network baseline (DNN files) uses scalers");

  canveg::LoadedModel loaded = load_model(a);
  canveg::Model<double>& model = loaded.model;
  if (!a.dij.empty()) {
    model.dij = canveg::read_dij_csv(a.dij, model.setup.n_total_layers, model.setup.n_can_layers);
    model.setup.dispersion_matrix_file = a.dij;
  }
  // The formulation: the model file's unless --formulation names one; then the expert switches.
  canveg::cli::apply_formulation_option(a.formulation, model.setup);
  if (a.single_dark_respiration) model.setup.single_dark_respiration = true;
  if (a.shortwave_sweeps > 0) model.setup.shortwave_sweeps = a.shortwave_sweeps;
  spdlog::info("model {}: {} canopy + {} air layers, {} from {}; formulation {}", model.setup.site_name,
               model.setup.n_can_layers, model.setup.n_atmos_layers(),
               model.setup.leaf_rh == canveg::LeafRhModule::Network ? "hybrid leaf RH" : "physics leaf RH",
               loaded.path, canveg::describe_formulation(model.setup));

  const canveg::ForcingRecord forcing = read_run_forcing(a, loaded.forcing_options);
  canveg::cli::check_forcing_against_site(forcing, model.setup);
  canveg::cli::warn_about_parameters(model.para, loaded.path);
  // Observations are read before the run as well, so that a bad file is reported at once.
  std::optional<canveg::ObservedFluxes> observed;
  if (!a.observed.empty()) {
    observed = canveg::observations_for_record(canveg::read_flux_csv(a.observed), forcing.timestamp, a.forcing);
  }

  canveg::RunOptions options;
  options.storage_coupling = !a.independent;
  options.threads = a.threads;
  options.diagnostics = a.diagnostics;
  options.convergence = a.convergence;
  options.simd = canveg::cli::simd_setting(a.simd);
  options.converge_tolerance = a.converge > 0 ? a.converge : loaded.converge_tolerance;
  if (a.max_iterations > 0)
    options.max_iterations = a.max_iterations;
  else if (loaded.max_iterations > 0)
    options.max_iterations = loaded.max_iterations;
  if (a.max_iterations > 0 && !(options.converge_tolerance > 0))
    throw canveg::InputError("", 0, "--max-iterations", "only with --converge (or [solver] converge)");
  // --converge solves every half-hour twice: the search for the iteration count, then the run.
  Progress progress(!a.quiet, options.converge_tolerance > 0 ? "half-hour solutions, two per half-hour" : "half-hours");
  options.progress = [&progress](std::size_t done, std::size_t total) { progress(done, total); };
  canveg::RunResult result;
  try {
    result = canveg::run_model(model, forcing, options);
  } catch (...) {
    progress.finish();
    throw;
  }
  progress.finish();

  const canveg::EnergyDiagnostics* diagnostics = a.diagnostics ? &result.diagnostics : nullptr;
  const canveg::ConvergenceDiagnostics* convergence = a.convergence ? &result.convergence : nullptr;
  if (canveg::io::is_netcdf_path(a.output)) {
    canveg::io::write_outputs_netcdf(output, forcing.timestamp, result.outputs, diagnostics, convergence,
                                     run_metadata(a, loaded.path, model.setup));
  } else {
    canveg::io::write_outputs(output.stream(), forcing.timestamp, result.outputs, diagnostics, convergence,
                              a.threads);
    output.commit();
  }

  if (!a.quiet) {
    const double rate = result.seconds > 0 ? static_cast<double>(forcing.size()) / result.seconds : 0.0;
    const std::string lanes = result.simd.empty() ? "" : ", SIMD lanes " + result.simd;
    std::fprintf(stderr, "canveg: %zu half-hours in %.2f s (%.0f half-hours/s%s), formulation %s; wrote %s\n",
                 forcing.size(), result.seconds, rate, lanes.c_str(), canveg::describe_formulation(model.setup).c_str(),
                 a.output.c_str());
  }
  const std::size_t non_finite = warn_non_finite_outputs(result.outputs, forcing.timestamp, forcing.size());
  warn_implausible_outputs(result.outputs, forcing.timestamp, a.convergence, non_finite);
  if (options.converge_tolerance > 0) print_converge_summary(result, options, a.quiet);
  if (a.convergence && !a.quiet) print_convergence_summary(result.convergence, forcing.timestamp, result.iterations);
  if (observed) print_metrics(result.outputs.LE, result.outputs.NEE, *observed, &loaded.reported);
  return kExitOk;
}

// ---- command line --------------------------------------------------------------------------

void setup_logging(bool quiet) {
  auto logger = spdlog::stderr_logger_st("canveg");
  logger->set_pattern("canveg: %v");
  logger->set_level(quiet ? spdlog::level::warn : spdlog::level::info);
  spdlog::set_default_logger(logger);
}

// Execute runs the chosen command. ParseOnly stops after the command line is parsed and checked
// (options, their validators, the run's model source and forcing options), running nothing and
// writing nothing: the argument-parser fuzzing target (fuzz/fuzz_cli_args.cpp) uses it.
enum class CliMode { Execute, ParseOnly };

int run_cli(int argc, char** argv, CliMode mode = CliMode::Execute) {
  // Past a file-size limit (ulimit -f) a write then fails with EFBIG, which the writers report and
  // clean up after, instead of the default SIGXFSZ killing the process with a partial file.
  std::signal(SIGXFSZ, SIG_IGN);
  // An interrupted command leaves no partial output and no temporary file (every command writes
  // through io::AtomicOutputFile).
  if (mode == CliMode::Execute) canveg::io::remove_temporary_outputs_on_signal();
  CLI::App app{"CanVeg multi-layer canopy model (a C++ re-implementation of JAX-CanVeg)", "canveg"};
  app.set_version_flag("--version", "canveg 0.1.0");
  app.require_subcommand(1);
  // Subcommands copy the footer they are created under: theirs points to `canveg fields`, and the
  // whole field table is the top-level help's alone (set after the subcommands, below).
  app.footer("\nOutput columns, forcing variables and parameters, with units: canveg fields (docs/fields.md)");

  RunArgs ra;
  CLI::App* run = app.add_subcommand("run", "Run the model over a forcing file and write the fluxes");
  auto* opt_model = run->add_option("--model", ra.model, "Trained model JSON (jax-canveg-trained/*.json)");
  auto* opt_site = run->add_option("--site", ra.site, "Site file in TOML (examples/sites/*.toml), default parameters");
  auto* opt_config = run->add_option("--config", ra.config, "JAX-CanVeg configs.json, default parameters");
  opt_model->excludes(opt_site)->excludes(opt_config);
  opt_site->excludes(opt_config);
  run->add_option("--forcing", ra.forcing,
                  std::string("Forcing CSV (docs/model.md 5.1, docs/fields.md). ") + canveg::cli::kTimeConvention)
      ->required();
  run->add_option("-o,--output", ra.output,
                  "Output file of the fluxes, written atomically: CSV, or ALMA/CF NetCDF when it ends in .nc")
      ->required();
  run->add_option("--observed", ra.observed, "Observed fluxes CSV: print LE and NEE metrics");
  run->add_option("--dij", ra.dij, "Dispersion matrix CSV replacing the model's");
  run->add_flag("--independent", ra.independent,
                "Treat half-hours as independent (no soil storage coupling between rows)");
  run->add_option("--threads", ra.threads, "Worker threads (0 = all hardware threads)")
      ->check(CLI::Range(0, 4096));
  canveg::cli::add_formulation_option(*run, ra.formulation);
  run->add_flag("--single-dark-respiration", ra.single_dark_respiration,
                "Expert: subtract leaf dark respiration once, whatever the formulation (as corrected does)");
  run->add_option("--shortwave-sweeps", ra.shortwave_sweeps,
                  "Expert: PAR/NIR scattering sweeps per iteration, replacing the formulation's (jax: 1; corrected: "
                  "10 (J + 1) for J canopy layers)")
      ->check(CLI::Range(1, 1000000));
  run->add_option("--scaler-forcing", ra.scaler_forcing,
                  "DNN baseline models: the training forcing whose statistics standardise the inputs");
  run->add_option("--scaler-fluxes", ra.scaler_fluxes,
                  "DNN baseline models: the training fluxes whose LE/NEE statistics standardise the outputs");
  run->add_flag("--diagnostics", ra.diagnostics, "Append energy-balance residual columns to the output");
  run->add_flag("--convergence", ra.convergence,
                "Append the change in the last iteration of leaf and air temperature, LE, H and G and the flags of "
                "physically impossible states, and print how many half-hours are not settled (LE changing by more "
                "than 1 W m-2) or implausible");
  run->add_option("--converge", ra.converge,
                  "Iterate until the largest change in one iteration over all half-hours (leaf and air temperature "
                  "in K; LE, H, G in W m-2) is below TOL, instead of JAX-CanVeg's fixed iterations; prints the "
                  "iterations used and warns when TOL is not reached (docs/reliability.md)")
      ->type_name("TOL")
      ->check(canveg::cli::positive_number() & canveg::cli::finite_number());
  run->add_option("--max-iterations", ra.max_iterations,
                  "With --converge: at most N iterations (default " +
                      std::to_string(canveg::RunOptions::kDefaultMaxIterations) + ")")
      ->type_name("N")
      ->check(CLI::Range(1, 100000));
  canveg::cli::add_simd_option(*run, ra.simd);
  run->add_flag("-q,--quiet", ra.quiet, "No progress, log or summary on stderr");
  canveg::cli::add_forcing_options(*run, ra.forcing_options);

  // These commands do their work inside app.parse() (cli/command_slot.hpp).
  canveg::cli::CommandSlot dij_slot, sensitivity_slot, train_slot, sweep_slot, convert_slot, fields_slot,
      evaluate_slot;
  for (canveg::cli::CommandSlot* slot :
       {&dij_slot, &sensitivity_slot, &train_slot, &sweep_slot, &convert_slot, &fields_slot, &evaluate_slot})
    slot->execute = mode == CliMode::Execute;
  CLI::App* dij = canveg::add_dij_command(app, dij_slot);
  CLI::App* sensitivity = canveg::add_sensitivity_command(app, sensitivity_slot);
  CLI::App* train = canveg::add_train_command(app, train_slot);
  CLI::App* sweep = canveg::add_sweep_command(app, sweep_slot);
  CLI::App* convert = canveg::add_convert_command(app, convert_slot);
  CLI::App* fields = canveg::cli::add_fields_command(app, fields_slot);
  CLI::App* evaluate = canveg::add_evaluate_command(app, evaluate_slot);
  app.footer("\n" + canveg::cli::fields_text());

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);  // --help, --version
  } catch (const CLI::ParseError& e) {
    print_error(std::string(e.what()) + "\nRun 'canveg --help' for usage.");
    return kExitUsage;
  }

  if (dij->parsed()) return dij_slot.exit_code;
  if (sensitivity->parsed()) return sensitivity_slot.exit_code;
  if (train->parsed()) return train_slot.exit_code;
  if (sweep->parsed()) return sweep_slot.exit_code;
  if (convert->parsed()) return convert_slot.exit_code;
  if (evaluate->parsed()) return evaluate_slot.exit_code;
  if (fields->parsed()) return fields_slot.exit_code;
  if (run->parsed()) {
    const int sources = !ra.model.empty() + !ra.site.empty() + !ra.config.empty();
    if (sources != 1) {
      print_error("run: give exactly one of --model, --site or --config\nRun 'canveg run --help' for usage.");
      return kExitUsage;
    }
    if (mode == CliMode::ParseOnly) {  // the forcing options are checked, nothing is read
      canveg::cli::forcing_read_options(ra.forcing_options);
      return kExitOk;
    }
    setup_logging(ra.quiet);
    return command_run(ra);
  }
  print_error("no command given\nRun 'canveg --help' for usage.");  // unreachable: a subcommand is required
  return kExitUsage;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run_cli(argc, argv);
  } catch (const std::exception& e) {
    print_error(e.what());
  } catch (...) {
    print_error("unknown failure");
  }
  return kExitFailure;
}
