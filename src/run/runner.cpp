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
#include "run/lane_solver.hpp"
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
struct LastIterationHooks : run::BlockHooks {
  const physics::ColumnModel<double>* model = nullptr;
  run::LockstepColumns<double>* columns = nullptr;
  std::size_t n = 0;
  std::vector<SettledQuantities> before;
  bool reads_states_before(int k) const override { return k == model->niter - 1; }
  void before_iteration(int k) override {
    if (k != model->niter - 1) return;
    before.resize(n);
    for (std::size_t i = 0; i < n; ++i) before[i] = settled_quantities(*model, columns->states[i]);
  }
};

// The absolute changes between two states of one column: leaf temperature, the largest change of
// the air temperature profile, LE, H and G.
struct Changes {
  double t_leaf, t_air, le, h, g;
  // The largest of them, in mixed units (K and W m-2) as --converge compares them; NaN as infinite
  // so that a broken state never counts as settled.
  double largest() const {
    double m = 0;
    for (double v : {t_leaf, t_air, le, h, g}) m = std::isnan(v) ? HUGE_VAL : std::max(m, v);
    return m;
  }
};

Changes changes(const SettledQuantities& before, const SettledQuantities& after) {
  double t_air = 0;
  for (std::size_t i = 0; i < after.t_air.size(); ++i) {
    const double d = std::abs(after.t_air[i] - before.t_air[i]);
    t_air = std::isnan(d) ? d : std::max(t_air, d);
  }
  return {std::abs(after.t_leaf - before.t_leaf), t_air, std::abs(after.le - before.le),
          std::abs(after.h - before.h), std::abs(after.g - before.g)};
}

// Bounds of a physically possible state (docs/reliability.md, "Implausible states"): well outside
// anything observed at a land surface, so that only a run-away fixed point trips them.
constexpr double kLeafAirTMin = 223.15, kLeafAirTMax = 343.15;  // -50 .. +70 C
constexpr double kSoilTMin = 223.15, kSoilTMax = 358.15;        // -50 .. +85 C (bare soil in sun)
constexpr double kFluxMax = 1200.0;      // W m-2: about the largest net radiation at the surface
constexpr double kResidualMax = 500.0;   // W m-2: column Rnet - LE - H - G

const auto outside = [](double v, double lo, double hi) { return !(v >= lo && v <= hi); };

// The bits of implausible_bits that the output columns alone decide (1, 4, 8 and 32).
int output_implausible_bits(const physics::ColumnFluxes<double>& f) {
  int bits = 0;
  if (outside(f.Tleaf, kLeafAirTMin, kLeafAirTMax)) bits |= 1;
  if (outside(f.Tsoil_sfc, kSoilTMin, kSoilTMax)) bits |= 4;
  for (double v : {f.LE, f.H, f.G})
    if (outside(v, -kFluxMax, kFluxMax)) bits |= 8;
  bool finite = true;
#define CANVEG_FINITE_OUTPUT(name, ...) finite = finite && std::isfinite(f.name);
  CANVEG_OUTPUT_FIELDS(CANVEG_FINITE_OUTPUT)
#undef CANVEG_FINITE_OUTPUT
  if (!finite) bits |= 32;
  return bits;
}

double implausible_bits(const physics::ColumnModel<double>& m, const physics::ColumnState<double>& s,
                        const physics::ColumnFluxes<double>& f) {
  int bits = output_implausible_bits(f);
  for (int i = 0; i < m.N; ++i)
    if (outside(s.t_air[i], kLeafAirTMin, kLeafAirTMax)) bits |= 2;
  const physics::ColumnDiagnostics d = physics::column_diagnostics(m, s, f);
  if (outside(d.column_closure, -kResidualMax, kResidualMax)) bits |= 16;
  return bits;
}

}  // namespace

std::size_t count_implausible_outputs(const CanopyOutputs& o, std::size_t* first) {
  std::size_t count = 0;
  if (first) *first = o.size();
  for (std::size_t r = 0; r < o.size(); ++r) {
    physics::ColumnFluxes<double> row;
#define CANVEG_OUTPUT_ROW(name, ...) row.name = o.name[r];
    CANVEG_OUTPUT_FIELDS(CANVEG_OUTPUT_ROW)
#undef CANVEG_OUTPUT_ROW
    if (!output_implausible_bits(row)) continue;
    if (first && count == 0) *first = r;
    ++count;
  }
  return count;
}

namespace {

void store_convergence(const physics::ColumnModel<double>& m, const physics::ColumnState<double>& s,
                       const SettledQuantities& before, std::size_t r, ConvergenceDiagnostics& out) {
  const Changes c = changes(before, settled_quantities(m, s));
  out.dTleaf_last[r] = c.t_leaf;
  out.dTair_last[r] = c.t_air;
  out.dLE_last[r] = c.le;
  out.dH_last[r] = c.h;
  out.dG_last[r] = c.g;
  out.implausible[r] = implausible_bits(m, s, physics::column_fluxes(s));
}

// The search of --converge: per iteration, the largest change over the rows [own, n) of a block
// (the rows before `own` are the halo, whose states are inexact).
struct IterationChangeHooks : run::BlockHooks {
  const physics::ColumnModel<double>* model = nullptr;
  run::LockstepColumns<double>* columns = nullptr;
  std::size_t own = 0, n = 0;
  std::vector<SettledQuantities> before;
  std::vector<double>* largest = nullptr;  // [niter]
  bool reads_states_before(int) const override { return true; }
  bool reads_states_after(int) const override { return true; }
  void before_iteration(int) override {
    before.resize(n);
    for (std::size_t i = own; i < n; ++i) before[i] = settled_quantities(*model, columns->states[i]);
  }
  void after_iteration(int k) override {
    double m = 0;
    for (std::size_t i = own; i < n; ++i)
      m = std::max(m, changes(before[i], settled_quantities(*model, columns->states[i])).largest());
    (*largest)[static_cast<std::size_t>(k)] = m;
  }
};

}  // namespace

namespace {

// RunOptions::chunk_rows = 0: about eight units per worker for load balance, at least 64 rows
// (the halo's share) and at most kMaxAutoChunkRows (each costs a halo of niter - 1 rows, and a
// worker holds a unit's columns), half that where the iterations are observed: the lane solver
// then holds the unit twice, as columns and as lanes (run/lane_solver_impl.hpp).
std::size_t automatic_chunk_rows(std::size_t rows, int threads, bool observed) {
  const auto workers = static_cast<std::size_t>(run::resolve_threads(threads, rows));
  const std::size_t per_unit = (rows + 8 * workers - 1) / (8 * workers);
  return std::clamp<std::size_t>(per_unit, 64, observed ? kMaxAutoChunkRows / 2 : kMaxAutoChunkRows);
}

// Chunks of a record and their halos (see the top of this file).
struct ChunkPlan {
  std::vector<char> restarts;
  std::size_t n = 0, chunk = 1, n_chunks = 0, halo = 0;
  ChunkPlan(std::size_t rows, const RunOptions& options, int niter, bool observed)
      : restarts(rows, options.storage_coupling ? 0 : 1), n(rows) {
    if (n == 0) return;
    restarts[0] = 1;
    if (options.storage_coupling && options.restart_every > 0)
      for (std::size_t r = 0; r < n; r += options.restart_every) restarts[r] = 1;
    halo = options.storage_coupling ? static_cast<std::size_t>(std::max(0, niter - 1)) : 0;
    chunk = options.chunk_rows > 0 ? options.chunk_rows : automatic_chunk_rows(n, options.threads, observed);
    n_chunks = (n + chunk - 1) / chunk;
  }
  std::size_t begin(std::size_t c) const { return c * chunk; }
  std::size_t end(std::size_t c) const { return std::min(n, begin(c) + chunk); }
  // Extends a chunk back by the halo, but never across a row that restarts the storage chain.
  std::size_t first(std::size_t c) const {
    std::size_t first = begin(c);
    for (std::size_t k = 0; k < halo && first > 0 && !restarts[first]; ++k) --first;
    return first;
  }
};

// The --converge search: solves the record with max_iterations iterations (halo max_iterations - 1,
// so every row is exact in every iteration) and returns the largest change over all rows per
// iteration; it also stores the outputs of max_iterations iterations in `result`, which are final
// when the tolerance is not reached. Otherwise the caller reruns with the count K found:
// recomputing costs one more pass but keeps a single code path for the outputs, so --converge
// giving K iterations is exactly a fixed run with niter = K, whatever the chunks and threads (a
// maximum does not depend on the order it is taken in).
std::vector<double> iteration_changes(const Model<double>& model, const std::vector<double>& dij_t,
                                      const ForcingRecord& forcing, const RunOptions& options,
                                      const run::LaneSolver& lanes, RunResult& result,
                                      std::atomic<std::size_t>& rows_done, const std::function<void()>& progress) {
  Model<double> probe = model;
  probe.setup.niter = options.max_iterations;
  const physics::ColumnModel<double> cm = make_column_model(probe, dij_t);
  // Its iterations are observed (lock-step), but its halo is max_iterations - 1 rows: the longer
  // units keep the halo's share down.
  const ChunkPlan plan(forcing.size(), options, cm.niter, false);
  const int threads = run::resolve_threads(options.threads, plan.n_chunks);
  std::vector<run::LockstepColumns<double>> columns(static_cast<std::size_t>(threads));
  std::vector<std::vector<double>> per_chunk(plan.n_chunks);
  const run::LockstepCoupling coupling{&plan.restarts, !options.storage_coupling};
  auto solve_chunk = [&](int worker, std::size_t c) {
    const std::size_t first = plan.first(c), end = plan.end(c);
    per_chunk[c].assign(static_cast<std::size_t>(cm.niter), 0.0);
    IterationChangeHooks hooks;
    hooks.model = &cm;
    hooks.columns = &columns[static_cast<std::size_t>(worker)];
    hooks.own = plan.begin(c) - first;
    hooks.n = end - first;
    hooks.largest = &per_chunk[c];
    run::solve_block(lanes, cm, forcing, first, end - first, coupling, *hooks.columns, hooks);
    // hooks.before now holds the states before the last iteration.
    const auto& states = hooks.columns->states;
    for (std::size_t r = plan.begin(c); r < end; ++r) {
      store_outputs(cm, states[r - first], r, result.outputs, options.diagnostics ? &result.diagnostics : nullptr);
      if (options.convergence) store_convergence(cm, states[r - first], hooks.before[r - first], r, result.convergence);
    }
    rows_done += end - plan.begin(c);
  };
  run::parallel_units(threads, plan.n_chunks, solve_chunk, progress);
  std::vector<double> largest(static_cast<std::size_t>(cm.niter), 0.0);
  for (const auto& chunk : per_chunk)
    for (std::size_t k = 0; k < largest.size(); ++k) largest[k] = std::max(largest[k], chunk[k]);
  return largest;
}

}  // namespace

RunResult run_model(const Model<double>& model_in, const ForcingRecord& forcing, const RunOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  validate_model(model_in, "model");
  if (options.converge_tolerance < 0 || !std::isfinite(options.converge_tolerance))
    throw InputError("", 0, "converge", "the tolerance must be a positive number");
  if (options.converge_tolerance > 0 && options.max_iterations < 1)
    throw InputError("", 0, "max-iterations", "must be at least 1");
  const std::size_t n = forcing.size();
  const bool converge = options.converge_tolerance > 0;
  RunResult result;
  result.iterations = model_in.setup.niter;
  result.outputs.resize(n);
  if (options.diagnostics) result.diagnostics.resize(n);
  if (options.convergence) result.convergence.resize(n);
  if (n == 0) return result;

  const std::vector<double> dij_t =
      transpose_dij(model_in.dij, model_in.setup.n_total_layers, model_in.setup.n_can_layers);
  // Progress counts both passes of --converge.
  const std::size_t total = converge ? 2 * n : n;
  std::atomic<std::size_t> rows_done{0};
  std::function<void()> progress;
  if (options.progress) progress = [&] { options.progress(rows_done.load(), total); };

  // The lane solver, when asked for and able to solve this model.
  const run::LaneSolver lanes = run::lane_solver_for(options.simd);
  if (lanes.solve) result.simd = lanes.isa;

  Model<double> converged_model;
  const Model<double>* model = &model_in;
  if (converge) {
    result.iteration_change =
        iteration_changes(model_in, dij_t, forcing, options, lanes, result, rows_done, progress);
    result.iterations = options.max_iterations;
    for (std::size_t k = 0; k < result.iteration_change.size(); ++k)
      if (result.iteration_change[k] < options.converge_tolerance) {
        result.iterations = static_cast<int>(k) + 1;
        result.converged = true;
        break;
      }
    if (!result.converged) {
      result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (options.progress) options.progress(total, total);
      return result;  // the search's outputs are those of max_iterations iterations
    }
    converged_model = model_in;
    converged_model.setup.niter = result.iterations;
    model = &converged_model;
  }

  physics::ColumnModel<double> cm = make_column_model(*model, dij_t);
  // The air above the canopy is output only in the convergence diagnostics.
  cm.air_above_canopy = options.convergence;
  const ChunkPlan plan(n, options, cm.niter, options.convergence);
  const std::vector<char>& restarts = plan.restarts;
  const std::size_t n_chunks = plan.n_chunks;
  const int threads = run::resolve_threads(options.threads, n_chunks);
  std::vector<run::LockstepColumns<double>> columns(static_cast<std::size_t>(threads));
  const run::LockstepCoupling coupling{&restarts, !options.storage_coupling};
  EnergyDiagnostics* diag = options.diagnostics ? &result.diagnostics : nullptr;

  auto solve_chunk = [&](int worker, std::size_t c) {
    const std::size_t begin = plan.begin(c), end = plan.end(c), first = plan.first(c);
    run::LockstepColumns<double>& cols = columns[static_cast<std::size_t>(worker)];
    if (options.convergence) {
      LastIterationHooks hooks;
      hooks.model = &cm;
      hooks.columns = &cols;
      hooks.n = end - first;
      run::solve_block(lanes, cm, forcing, first, end - first, coupling, cols, hooks);
      for (std::size_t r = begin; r < end; ++r)
        store_convergence(cm, cols.states[r - first], hooks.before[r - first], r, result.convergence);
    } else {
      run::BlockHooks hooks;
      run::solve_block(lanes, cm, forcing, first, end - first, coupling, cols, hooks);
    }
    for (std::size_t r = begin; r < end; ++r) store_outputs(cm, cols.states[r - first], r, result.outputs, diag);
    rows_done += end - begin;
  };
  run::parallel_units(threads, n_chunks, solve_chunk, progress);
  if (options.progress) options.progress(rows_done.load(), total);
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace canveg
