// Runs the column physics over a forcing record, in parallel over half-hours.
//
// Time coupling (docs/model.md 1.4): in JAX-CanVeg's prediction every half-hour iterates in
// lock-step, and in iteration k the soil storage term of row t reads row t-1's soil-surface
// temperature after iteration k-1. Information therefore travels one row per iteration, so a
// row's final state depends on at most niter - 1 earlier rows. The record is cut into chunks;
// each chunk is solved in lock-step (run/lockstep.hpp) together with a halo of niter - 1 earlier
// rows, which makes every chunk independent and the result identical to solving the whole record
// as one array.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>

#include "canveg/errors.hpp"
#include "canveg/run.hpp"
#include "physics/column_outputs.hpp"
#include "run/column_model.hpp"
#include "run/lockstep.hpp"
#include "run/thread_pool.hpp"

namespace canveg {

namespace {

// Stores the outputs of one finished column in row r.
void store_outputs(const physics::ColumnModel<double>& m, const physics::ColumnState<double>& s, std::size_t r,
                   CanopyOutputs& out, EnergyDiagnostics* diag) {
  const physics::ColumnFluxes<double> f = physics::column_fluxes(s);
#define CANVEG_STORE_OUTPUT(name, ...) out.name[r] = f.name;
  CANVEG_OUTPUT_FIELDS(CANVEG_STORE_OUTPUT)
#undef CANVEG_STORE_OUTPUT
  if (!diag) return;
  const physics::ColumnDiagnostics d = physics::column_diagnostics(m, s, f);
#define CANVEG_STORE_DIAGNOSTIC(name, ...) diag->name[r] = d.name;
  CANVEG_DIAGNOSTIC_FIELDS(CANVEG_STORE_DIAGNOSTIC)
#undef CANVEG_STORE_DIAGNOSTIC
}

// The quantities --convergence follows, of one column: leaf temperature, the air temperature
// profile, LE, H and G.
struct SettledQuantities {
  double t_leaf = 0, le = 0, h = 0, g = 0;
  std::vector<double> t_air;
};

SettledQuantities settled_quantities(const physics::ColumnModel<double>& m, const physics::ColumnState<double>& s) {
  const physics::ColumnFluxes<double> f = physics::column_fluxes(s);
  return {f.Tleaf, f.LE, f.H, f.G, std::vector<double>(s.t_air, s.t_air + m.N)};
}

// Keeps every column's quantities before the last iteration.
struct LastIterationHooks : run::LockstepHooks {
  const physics::ColumnModel<double>* model = nullptr;
  run::LockstepColumns<double>* columns = nullptr;
  std::size_t n = 0;
  std::vector<SettledQuantities> before;
  void before_iteration(int k) {
    if (k != model->niter - 1) return;
    before.resize(n);
    for (std::size_t i = 0; i < n; ++i) before[i] = settled_quantities(*model, columns->states[i]);
  }
};

void store_convergence(const physics::ColumnModel<double>& m, const physics::ColumnState<double>& s,
                       const SettledQuantities& before, std::size_t r, ConvergenceDiagnostics& out) {
  const SettledQuantities after = settled_quantities(m, s);
  double t_air = 0;
  for (int i = 0; i < m.N; ++i) t_air = std::max(t_air, std::abs(after.t_air[i] - before.t_air[i]));
  out.dTleaf_last[r] = std::abs(after.t_leaf - before.t_leaf);
  out.dTair_last[r] = t_air;
  out.dLE_last[r] = std::abs(after.le - before.le);
  out.dH_last[r] = std::abs(after.h - before.h);
  out.dG_last[r] = std::abs(after.g - before.g);
}

}  // namespace

RunResult run_model(const Model<double>& model, const ForcingRecord& forcing, const RunOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  validate_model(model, "model");
  const std::size_t n = forcing.size();
  RunResult result;
  result.outputs.resize(n);
  if (options.diagnostics) result.diagnostics.resize(n);
  if (options.convergence) result.convergence.resize(n);
  if (n == 0) return result;

  const std::vector<double> dij_t = transpose_dij(model.dij, model.setup.n_total_layers, model.setup.n_can_layers);
  const physics::ColumnModel<double> cm = make_column_model(model, dij_t);
  std::vector<char> restarts(n, options.storage_coupling ? 0 : 1);
  restarts[0] = 1;
  if (options.storage_coupling && options.restart_every > 0)
    for (std::size_t r = 0; r < n; r += options.restart_every) restarts[r] = 1;
  const std::size_t halo = options.storage_coupling ? static_cast<std::size_t>(std::max(0, cm.niter - 1)) : 0;

  const std::size_t chunk = std::max<std::size_t>(1, options.chunk_rows);
  const std::size_t n_chunks = (n + chunk - 1) / chunk;
  const int threads = run::resolve_threads(options.threads, n_chunks);
  std::vector<run::LockstepColumns<double>> columns(static_cast<std::size_t>(threads));
  const run::LockstepCoupling coupling{&restarts, !options.storage_coupling};
  EnergyDiagnostics* diag = options.diagnostics ? &result.diagnostics : nullptr;
  std::atomic<std::size_t> rows_done{0};

  auto solve_chunk = [&](int worker, std::size_t c) {
    const std::size_t begin = c * chunk, end = std::min(n, begin + chunk);
    // Extend back by the halo, but never across a row that restarts the storage chain.
    std::size_t first = begin;
    for (std::size_t k = 0; k < halo && first > 0 && !restarts[first]; ++k) --first;
    run::LockstepColumns<double>& cols = columns[static_cast<std::size_t>(worker)];
    if (options.convergence) {
      LastIterationHooks hooks;
      hooks.model = &cm;
      hooks.columns = &cols;
      hooks.n = end - first;
      run::solve_lockstep(cm, forcing, first, end - first, coupling, cols, hooks);
      for (std::size_t r = begin; r < end; ++r)
        store_convergence(cm, cols.states[r - first], hooks.before[r - first], r, result.convergence);
    } else {
      run::solve_lockstep(cm, forcing, first, end - first, coupling, cols);
    }
    for (std::size_t r = begin; r < end; ++r) store_outputs(cm, cols.states[r - first], r, result.outputs, diag);
    rows_done += end - begin;
  };
  std::function<void()> progress;
  if (options.progress) progress = [&] { options.progress(rows_done.load(), n); };
  run::parallel_units(threads, n_chunks, solve_chunk, progress);
  if (options.progress) options.progress(rows_done.load(), n);
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace canveg
