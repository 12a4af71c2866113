// `canveg sweep`: the LE/NEE weight sweep (include/canveg/sweep.hpp, docs/training.md).
//
//   canveg sweep --output-dir <dir> [--data <shared data>] [--sites US-Hn1] [--families PB-1L,Hybrid-1L]
//                [--weights 0,0.1,...,1] [--seeds 0] [--epochs 300] [--method onestep] [--exact-from auto]
//                [--keep-epoch lowest|last] [--jax-pooled-update]
//                [--rows N] [--jobs N] [--formulation jax|corrected] [--task-index I] [--quiet]
//   mpirun -np N canveg sweep ...   (rank k runs tasks k, k + N, ...; rank 0 writes sweep.csv)
#include "cli/sweep_command.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <sstream>
#include <vector>
#include <memory>
#include <string>

#include "canveg/errors.hpp"
#include "canveg/sweep.hpp"
#include "cli/finite_number.hpp"
#include "cli/formulation_option.hpp"
#include "cli/mpi_ranks.hpp"

namespace canveg {
namespace {

struct SweepArgs {
  SweepOptions options;
  std::string method = "onestep", exact_from = "auto", keep_epoch = "lowest";
  std::string formulation = "jax";
  int task_index = -1;  // >= 0: run only this task (a job of a Slurm array)
  bool quiet = false;
};

using cli::any_failed;
using cli::join_ranks;
using cli::leave_ranks;
using cli::Ranks;

// Every rank's rows at rank 0 (one JSON line each).
std::vector<SweepRow> gather_rows(const Ranks& r, const std::vector<SweepRow>& mine) {
  if (!r.mpi) return mine;
  std::string text;
  for (const SweepRow& row : mine) (text += sweep_row_json(row)) += '\n';
  std::vector<SweepRow> rows;
  std::istringstream lines(cli::gather_text(r, text));
  for (std::string line; std::getline(lines, line);) rows.push_back(sweep_row_from_json(line));
  return rows;
}

// The rows of all ranks in the grid's task order (rank k ran tasks k, k + size, ...).
std::vector<SweepRow> in_task_order(const SweepOptions& o, const std::vector<SweepRow>& gathered) {
  std::vector<SweepRow> rows;
  for (const SweepTask& t : sweep_tasks(o))
    for (const SweepRow& r : gathered)
      if (r.task.name() == t.name()) rows.push_back(r);
  return rows;
}

int run_sweep_command(SweepArgs& a) {
  const Ranks ranks = join_ranks();
  const std::string who = ranks.mpi ? "sweep (rank " + std::to_string(ranks.rank) + ")" : "sweep";
  std::vector<SweepRow> mine;
  bool failed = false;
  try {
    a.options.train.gradient.method = parse_fixed_point_gradient(a.method, "--method");
    a.options.train.exact_from = parse_exact_from(a.exact_from, "--exact-from");
    a.options.train.keep = parse_kept_parameters(a.keep_epoch, "--keep-epoch");
    if (!parse_formulation(a.formulation, a.options.formulation))
      throw InputError("", 0, "--formulation", "expected jax or corrected, found '" + a.formulation + "'");
    a.options.dnn.epochs = a.options.train.epochs;  // --epochs applies to every family
    if (a.task_index >= 0 && ranks.mpi)
      throw InputError("", 0, "--task-index", "give either --task-index (one task per job) or mpirun, not both");
    if (a.task_index >= 0) {
      a.options.task_offset = static_cast<std::size_t>(a.task_index);
      a.options.task_stride = std::max<std::size_t>(1, sweep_tasks(a.options).size());
      a.options.write_table = false;
    } else if (ranks.mpi) {
      a.options.task_offset = static_cast<std::size_t>(ranks.rank);
      a.options.task_stride = static_cast<std::size_t>(ranks.size);
      a.options.write_table = false;
    }
    const auto progress = [&](const SweepRow& r, std::size_t done, std::size_t total) {
      if (a.quiet) return;
      std::fprintf(stderr, "canveg: %s: %zu/%zu %s: %s%d epochs, test NSE LE %.4f NEE %.4f (%.1f min)\n", who.c_str(),
                   done, total, r.task.name().c_str(), r.reused ? "done earlier, " : "", r.epochs_run, r.test_nse_le,
                   r.test_nse_nee, r.minutes);
    };
    mine = run_sweep(a.options, progress);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "canveg: error: %s: %s\n", who.c_str(), e.what());
    failed = true;
  }
  // Every rank learns whether any failed before the rows travel, so none waits for a dead one.
  if (any_failed(ranks, failed)) {
    leave_ranks(ranks);
    return 1;
  }
  int status = 0;
  try {
    const std::vector<SweepRow> gathered = gather_rows(ranks, mine);
    if (ranks.rank == 0 && a.task_index < 0 && ranks.mpi) {
      const std::string table = a.options.output_dir + "/sweep.csv";
      write_sweep_table(in_task_order(a.options, gathered), table);
      if (!a.quiet)
        std::fprintf(stderr, "canveg: sweep: %d ranks; wrote %s\n", ranks.size, table.c_str());
    } else if (!a.quiet && ranks.rank == 0) {
      if (a.task_index >= 0)
        std::fprintf(stderr, "canveg: sweep: task %d done; run the sweep without --task-index to write sweep.csv\n",
                     a.task_index);
      else
        std::fprintf(stderr, "canveg: sweep: wrote %s/sweep.csv\n", a.options.output_dir.c_str());
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "canveg: error: %s: %s\n", who.c_str(), e.what());
    status = 1;
  }
  leave_ranks(ranks);
  return status;
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
  cmd->add_option("--weights", a->options.le_weights, "LE weights w")
      ->delimiter(',')
      ->capture_default_str()
      ->check(cli::finite_number());
  cmd->add_option("--seeds", a->options.seeds,
                  "0: JAX-CanVeg's network initialisation; N > 0: a seeded draw (DNN: every seed is a draw of ours)")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_option("--epochs", a->options.train.epochs, "epochs per training")->capture_default_str();
  cmd->add_option("--method", a->method, "gradient: onestep, unrolled (exact), implicit, onestep-jax")
      ->check(CLI::IsMember({"unrolled", "implicit", "onestep", "onestep-jax"}))
      ->capture_default_str();
  cmd->add_option("--exact-from", a->exact_from,
                  "auto|never|EPOCH: the exact (unrolled) gradient from this epoch on (auto: epoch 200 with --method "
                  "onestep, never with the others; canveg train --help)")
      ->capture_default_str();
  cmd->add_option("--keep-epoch", a->keep_epoch,
                  "lowest|last: each trained model takes the parameters of its lowest training loss, or the last "
                  "epoch's (JAX-CanVeg)")
      ->check(CLI::IsMember({"lowest", "last"}))
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
  cmd->add_option("--task-index", a->task_index,
                  "run only task I of the grid (0-based, in the order of sweep.csv): one job of a cluster array; "
                  "a final run without it scores every finished task and writes sweep.csv")
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("-q,--quiet", a->quiet, "nothing on stderr but errors");
  cli::run_when_parsed(*cmd, slot, [a] { return run_sweep_command(*a); });
  return cmd;
}

}  // namespace canveg
