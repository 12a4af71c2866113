// `canveg sensitivity`: which parameters matter for the fit of a model to observations.
//
//   canveg sensitivity (--model <model.json> | --site <site.toml>) --forcing <forcing.csv> --observed <fluxes.csv>
//                      [--output <sensitivity.csv>] [--scaler-fluxes <training fluxes.csv>]
//                      [--le-weight 0.5] [--batch-size 1024] [--drop-remainder]
//                      [--method unrolled|implicit|onestep] [--first-row N] [--rows N] [--threads N]
//                      [--simd auto|sse2|avx2+fma|avx512|off]
//
// The loss is JAX-CanVeg's training loss (include/canveg/gradient.hpp): w MSE(LE) + (1 - w)
// MSE(NEE) on outputs standardised with the mean and standard deviation of the observed fluxes
// (of --scaler-fluxes, by default of --observed), per batch of contiguous half-hours.
#include "cli/sensitivity_command.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <limits>
#include <memory>
#include <optional>
#include <string>

#include "canveg/errors.hpp"
#include "cli/finite_number.hpp"
#include "cli/forcing_options.hpp"
#include "cli/formulation_option.hpp"
#include "cli/simd_option.hpp"
#include "canveg/gradient.hpp"
#include "canveg/model_io.hpp"
#include "canveg/observations.hpp"
#include "canveg/output_io.hpp"

namespace canveg {
namespace {

struct SensitivityOptions {
  std::string model, site, forcing, observed, output, scaler_fluxes, method = "unrolled";
  std::string simd = "auto";  // --simd (cli/simd_option.hpp): the forward part of the gradient
  std::string formulation;  // "": as the model file says
  cli::ForcingOptionArgs forcing_options;
  double le_weight = std::numeric_limits<double>::quiet_NaN();  // NaN: the model's training weight, else 0.5
  std::size_t batch_size = 1024, first_row = 0, rows = 0;
  bool drop_remainder = false, quiet = false, lane_tape = true;
  int threads = 0;
};

int run_sensitivity(const SensitivityOptions& o) {
  try {
    if (!std::isnan(o.le_weight) && !(o.le_weight >= 0.0 && o.le_weight <= 1.0))
      throw InputError("", 0, "--le-weight", "must lie in [0, 1]");
    // The output is opened first: a wrong path, or one that is an input, must not cost the gradient.
    std::optional<io::AtomicOutputFile> file;
    if (o.model.empty() == o.site.empty()) throw InputError("", 0, "--model", "give exactly one of --model or --site");
    const std::string& model_path = o.model.empty() ? o.site : o.model;
    if (!o.output.empty()) file.emplace(o.output, std::vector<std::string>{model_path, o.forcing, o.observed, o.scaler_fluxes});
    LoadedModel loaded = o.model.empty() ? read_site_toml(o.site) : read_model_json(o.model);
    cli::apply_formulation_option(o.formulation, loaded.model.setup);
    const double le_weight = !std::isnan(o.le_weight)                ? o.le_weight
                             : !std::isnan(loaded.trained_le_weight) ? loaded.trained_le_weight
                                                                     : 0.5;
    ForcingReadOptions read_options = cli::forcing_read_options(o.forcing_options, loaded.forcing_options);
    read_options.threads = o.threads;
    if (!o.output.empty()) io::refuse_output_over_inputs(o.output, cli::forcing_option_files(read_options));
    ForcingRecord forcing = read_forcing_file(o.forcing, read_options);
    if (!o.quiet) cli::print_forcing_sources(forcing);
    cli::check_forcing_against_site(forcing, loaded.model.setup);
    cli::warn_about_parameters(loaded.model.para, model_path);
    ObservedFluxes observed = read_flux_csv(o.observed);
    if (observed.LE.empty()) throw InputError(o.observed, 0, "LE", "no latent-heat column (LE or LE_F_MDS)");
    if (observed.NEE.empty()) throw InputError(o.observed, 0, "NEE", "no NEE column (FCO2, Fco2, FC, NEE_*)");
    check_alignment(observed, forcing.timestamp, o.forcing);
    // The scaler comes from the whole flux file (JAX-CanVeg: the training fluxes), before slicing.
    const OutputScaler scaler = standard_scaler(o.scaler_fluxes.empty() ? observed : read_flux_csv(o.scaler_fluxes));
    if (o.first_row > 0 || o.rows > 0) {
      if (o.first_row >= forcing.size())
        throw InputError("", 0, "--first-row", "beyond the last row (" + std::to_string(forcing.size()) + " rows)");
      const std::size_t end = o.rows > 0 ? std::min(forcing.size(), o.first_row + o.rows) : forcing.size();
      if (o.rows > 0 && o.first_row + o.rows > forcing.size())
        std::fprintf(stderr, "canveg: warning: sensitivity: --rows %zu from row %zu: the record ends after %zu of them\n",
                     o.rows, o.first_row, end - o.first_row);
      forcing = forcing.slice(o.first_row, end);
      observed = observed.slice(o.first_row, end);
    }

    LossSpec loss;
    loss.le_weight = le_weight;
    loss.scaler = scaler;
    GradientOptions options;
    options.batch_size = o.batch_size;
    options.keep_remainder = !o.drop_remainder;
    options.threads = o.threads;
    options.simd = cli::simd_setting(o.simd);
    options.lane_tape = o.lane_tape;
    options.method = parse_fixed_point_gradient(o.method, "--method");
    const ParameterSpace space(loaded.model);
    if (!o.quiet)
      std::fprintf(stderr, "canveg: sensitivity: %zu parameters over %zu half-hours (%s gradient, formulation %s)...\n",
                   space.size(), forcing.size(), o.method.c_str(), describe_formulation(loaded.model.setup).c_str());
    const LossGradient g = loss_and_gradient(loaded.model, space, forcing, observed, loss, options);
    const std::vector<double> values = space.values(loaded.model);
    const std::vector<bool> zero = space.structurally_zero();

    std::printf("# model %s; %zu half-hours in %zu batch(es) of at most %zu%s; loss %.9g = %.3g MSE(LE) + %.3g MSE(NEE) "
                "on standardised outputs\n",
                model_path.c_str(), g.rows, g.batches, o.batch_size == 0 ? g.rows : std::min(o.batch_size, g.rows),
                o.batch_size == 1 ? " (independent half-hours)" : "", g.loss, le_weight, 1.0 - le_weight);
    std::printf("# %s gradient in %.1f s, peak working memory %.1f MB, largest tape %zu nodes", o.method.c_str(),
                g.seconds, g.peak_memory_bytes / 1e6, g.max_tape_nodes);
    if (options.method == FixedPointGradient::Implicit)
      std::printf(", linear solves: at most %d sweeps, %zu row(s) unconverged", g.implicit_sweeps, g.implicit_unconverged);
    std::printf("\n# elasticity = gradient x value / loss; 'unused' marks parameters this model never reads\n");
    std::printf("%-40s %14s %16s %14s\n", "parameter", "value", "gradient", "elasticity");
    std::vector<double> elasticity(space.size());
    for (std::size_t k = 0; k < space.size(); ++k) {
      elasticity[k] = g.loss != 0.0 && g.gradient[k] != 0.0 ? g.gradient[k] * values[k] / g.loss : 0.0;
      std::printf("%-40s %14.6g %16.8g %14.6g%s\n", space.name(k).c_str(), values[k], g.gradient[k], elasticity[k],
                  zero[k] ? "  unused" : "");
    }
    if (g.nonfinite > 0)
      std::fprintf(stderr, "canveg: sensitivity: warning: %zu batch gradient component(s) were NaN/Inf and left out\n",
                   g.nonfinite);
    if (file) {
      std::ostream& out = file->stream();
      out.precision(17);
      out << "parameter,value,gradient,elasticity,used\n";
      for (std::size_t k = 0; k < space.size(); ++k)
        out << space.name(k) << ',' << values[k] << ',' << g.gradient[k] << ',' << elasticity[k] << ','
            << (zero[k] ? 0 : 1) << '\n';
      file->commit();
      if (!o.quiet) std::fprintf(stderr, "canveg: sensitivity: wrote %s\n", o.output.c_str());
    }
    return 0;
  } catch (const std::exception& e) {  // InputError included: its message names file, line and field
    std::fprintf(stderr, "canveg: error: sensitivity: %s\n", e.what());
    return 1;
  }
}

}  // namespace

CLI::App* add_sensitivity_command(CLI::App& app, cli::CommandSlot& slot) {
  auto o = std::make_shared<SensitivityOptions>();
  CLI::App* cmd = app.add_subcommand(
      "sensitivity",
      "Gradient of JAX-CanVeg's training loss with respect to each trained parameter (21 scalars and the "
      "networks): one line per parameter with value, gradient and elasticity (docs/gradients.md)");
  auto* model = cmd->add_option("--model", o->model, "trained model JSON (jax-canveg-trained/*.json)");
  auto* site = cmd->add_option("--site", o->site, "a site TOML file (examples/sites/*.toml), default parameters");
  model->excludes(site);
  cmd->add_option("--forcing", o->forcing, "forcing CSV")->required();
  cmd->add_option("--observed", o->observed, "observed fluxes CSV of the same half-hours (LE and NEE)")->required();
  cmd->add_option("-o,--output", o->output, "write the table as CSV (parameter,value,gradient,elasticity,used)");
  cmd->add_option("--scaler-fluxes", o->scaler_fluxes,
                  "flux CSV whose LE/NEE mean and std standardise the outputs (JAX-CanVeg: the training fluxes; "
                  "default: --observed)");
  cmd->add_option("--le-weight", o->le_weight,
                  "w in w MSE(LE) + (1 - w) MSE(NEE) (default: the weight the model was trained with, else 0.5)")
      ->check(cli::finite_number());
  cmd->add_option("--batch-size", o->batch_size,
                  "contiguous half-hours per batch, storage term restarting at each (JAX-CanVeg training: 1024; "
                  "1: independent half-hours; 0: the whole record)")
      ->capture_default_str();
  cmd->add_flag("--drop-remainder", o->drop_remainder,
                "drop the rows after the last full batch, as JAX-CanVeg's training does");
  cmd->add_option("--method", o->method,
                  "through the fixed point: unrolled (exact), implicit (implicit function theorem at the final "
                  "state), onestep (one iteration at the final state, JAX-CanVeg's CanvegIFT rule), onestep-jax "
                  "(that rule exactly as JAX-CanVeg applies it: tau_d and the initial state not differentiated)")
      ->check(CLI::IsMember({"unrolled", "implicit", "onestep", "onestep-jax"}))
      ->capture_default_str();
  cli::add_lane_tape_option(*cmd, o->lane_tape);
  cmd->add_option("--first-row", o->first_row, "first forcing row to use (0-based)");
  cmd->add_option("--rows", o->rows, "number of rows to use (0: to the end)");
  cmd->add_option("--threads", o->threads, "worker threads (0: all cores)")->check(CLI::Range(0, 4096));
  cmd->add_flag("-q,--quiet", o->quiet, "nothing on stderr but errors");
  cli::add_formulation_option(*cmd, o->formulation);
  cli::add_simd_option(*cmd, o->simd);
  cli::add_forcing_options(*cmd, o->forcing_options);
  cli::run_when_parsed(*cmd, slot, [o] { return run_sensitivity(*o); });
  return cmd;
}

}  // namespace canveg
