// `canveg sweep`: the LE/NEE weight sweep (include/canveg/sweep.hpp, docs/training.md).
//
//   canveg sweep --output-dir <dir> [--data <shared data>] [--sites US-Hn1] [--families PB-1L,Hybrid-1L]
//                [--weights 0,0.1,...,1] [--seeds 0] [--epochs 300] [--method onestep] [--jax-pooled-update]
//                [--rows N] [--jobs N] [--formulation jax|corrected] [--quiet]
#include "cli/sweep_command.hpp"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>
#include <string>

#include "canveg/errors.hpp"
#include "canveg/sweep.hpp"
#include "cli/formulation_option.hpp"

namespace canveg {
namespace {

struct SweepArgs {
  SweepOptions options;
  std::string method = "unrolled";
  std::string formulation = "jax";
  bool quiet = false;
};

int run_sweep_command(SweepArgs& a) {
  try {
    a.options.train.gradient.method = parse_fixed_point_gradient(a.method, "--method");
    if (!parse_formulation(a.formulation, a.options.formulation))
      throw InputError("", 0, "--formulation", "expected jax or corrected, found '" + a.formulation + "'");
    a.options.dnn.epochs = a.options.train.epochs;  // --epochs applies to every family
    const auto progress = [&](const SweepRow& r, std::size_t done, std::size_t total) {
      if (a.quiet) return;
      std::fprintf(stderr, "canveg: sweep: %zu/%zu %s: %s%d epochs, test NSE LE %.4f NEE %.4f (%.1f min)\n", done, total,
                   r.task.name().c_str(), r.reused ? "done earlier, " : "", r.epochs_run, r.test_nse_le,
                   r.test_nse_nee, r.minutes);
    };
    run_sweep(a.options, progress);
    if (!a.quiet) std::fprintf(stderr, "canveg: sweep: wrote %s/sweep.csv\n", a.options.output_dir.c_str());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "canveg: error: sweep: %s\n", e.what());
    return 1;
  }
}

}  // namespace

CLI::App* add_sweep_command(CLI::App& app, cli::CommandSlot& slot) {
  auto a = std::make_shared<SweepArgs>();
  a->options.data_dir = "../shared/data";
  CLI::App* cmd = app.add_subcommand(
      "sweep", "Train one model per site x family x LE weight x seed from JAX-CanVeg's initial state and tabulate "
               "their NSE (docs/training.md); finished tasks are kept");
  cmd->add_option("--output-dir", a->options.output_dir, "folder for the models, histories and sweep.csv")->required();
  cmd->add_option("--data", a->options.data_dir, "shared data folder (fluxtower/, jax-canveg-trained/)")
      ->capture_default_str();
  cmd->add_option("--sites", a->options.sites, "sites")->delimiter(',')->capture_default_str();
  cmd->add_option("--families", a->options.families,
                  "families: PB-1L, PB-ML, Hybrid-1L, Hybrid-ML, DNN (JAX-CanVeg's neural-network baseline)")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_option("--weights", a->options.le_weights, "LE weights w")->delimiter(',')->capture_default_str();
  cmd->add_option("--seeds", a->options.seeds,
                  "0: JAX-CanVeg's network initialisation; N > 0: a seeded draw (DNN: every seed is a draw of ours)")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_option("--epochs", a->options.train.epochs, "epochs per training")->capture_default_str();
  cmd->add_option("--method", a->method, "gradient: unrolled, implicit, onestep, onestep-jax")
      ->check(CLI::IsMember({"unrolled", "implicit", "onestep", "onestep-jax"}))
      ->capture_default_str();
  cmd->add_flag("--jax-pooled-update", a->options.train.jax_pooled_update,
                "reproduction only: JAX-CanVeg's one update per network array");
  cmd->add_option("--batch-size", a->options.train.gradient.batch_size,
                  "half-hours per batch of the CanVeg families (DNN: 64, as JAX-CanVeg)")
      ->capture_default_str();
  cmd->add_option("--rows", a->options.rows, "use only the first N half-hours of each period (quick looks)");
  cmd->add_option("--jobs", a->options.jobs, "trainings at once (0: all cores), one thread each")
      ->check(CLI::Range(0, 4096));
  cli::add_formulation_option(*cmd, a->formulation);  // the tasks start from model JSON files: jax by default
  cmd->add_flag("-q,--quiet", a->quiet, "nothing on stderr but errors");
  cli::run_when_parsed(*cmd, slot, [a] { return run_sweep_command(*a); });
  return cmd;
}

}  // namespace canveg
