// The LE/NEE weight sweep of JAX-CanVeg's paper: one training per site x family x LE weight w x
// seed, each from JAX-CanVeg's initial state, scored by the NSE of LE and NEE over the training
// and test periods (docs/training.md, "Sweep").
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "canveg/dnn.hpp"
#include "canveg/train.hpp"

namespace canveg {

struct SweepTask {
  std::string site;    // US-Bi1, US-Hn1, US-Me2, US-Whs
  std::string family;  // PB-1L, PB-ML, Hybrid-1L, Hybrid-ML, or DNN (the pure neural-network baseline)
  double le_weight = 0.5;
  // CanVeg families: 0 is JAX-CanVeg's network initialisation, N > 0 initialise_network(N).
  // DNN: new_dnn_model(site, N) and the batch order of N (JAX-CanVeg's initial DNN weights are not kept).
  int seed = 0;
  std::string name() const;  // <site>_<family>-<w>_s<seed>
};

struct SweepOptions {
  std::string data_dir;    // shared data: fluxtower/<site>/ and jax-canveg-trained/
  std::string output_dir;  // one model, history and checkpoint per task, and sweep.csv
  std::vector<std::string> sites = {"US-Hn1"};
  std::vector<std::string> families = {"PB-1L", "Hybrid-1L"};
  std::vector<double> le_weights = {0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0};
  std::vector<int> seeds = {0};
  std::size_t rows = 0;  // > 0: only the first `rows` half-hours of each period (quick runs, tests)
  int jobs = 0;          // tasks run at once (0: all cores); each training uses one thread
  Formulation formulation = Formulation::Jax;  // of the CanVeg families (JAX-CanVeg's by default)
  TrainOptions train;    // epochs, method, schedule, ...; le_weight is set per task
  DnnTrainOptions dnn;   // the DNN family's settings (JAX-CanVeg's by default); le_weight and seed per task
  // This process's share of the grid: the tasks k with k % task_stride == task_offset (MPI ranks,
  // or one task of a Slurm array). Every task is still checked, so all shares fail alike.
  std::size_t task_offset = 0, task_stride = 1;
  bool write_table = true;  // write <output_dir>/sweep.csv (off for a share; write_sweep_table then)
};

struct SweepRow {
  SweepTask task;
  int epochs_run = 0;
  std::string stop_reason;
  double train_nse_le = 0, train_nse_nee = 0, test_nse_le = 0, test_nse_nee = 0;
  double minutes = 0;   // the training's own (its history's seconds); NaN without the history file
  bool reused = false;  // finished by an earlier call (its model file existed)
};

// All tasks of the grid, in order.
std::vector<SweepTask> sweep_tasks(const SweepOptions& options);

// The rows as sweep.csv holds them (written atomically).
void write_sweep_table(const std::vector<SweepRow>& rows, const std::string& path);

// A row as one line of JSON and back, to send rows between processes (MPI).
std::string sweep_row_json(const SweepRow& row);
SweepRow sweep_row_from_json(const std::string& line);

// Runs every task of this share (SweepOptions::task_offset, task_stride) whose model file does not
// exist yet (a finished task is scored again, not retrained), then writes <output_dir>/sweep.csv
// unless told not to. Returns the share's rows in task order. `progress` is called after each task.
std::vector<SweepRow> run_sweep(const SweepOptions& options,
                                const std::function<void(const SweepRow&, std::size_t done, std::size_t total)>& progress = {});

}  // namespace canveg
