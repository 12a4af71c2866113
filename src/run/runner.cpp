// Runs the column physics over a forcing record, in parallel over half-hours.
//
// Time coupling (canveg-model.md 1.4): in JAX-CanVeg's prediction every half-hour iterates in
// lock-step, and in iteration k the soil storage term of row t reads row t-1's soil-surface
// temperature after iteration k-1. Information therefore travels one row per iteration, so a
// row's final state depends on at most niter - 1 earlier rows. The record is cut into chunks;
// each chunk is solved in lock-step together with a halo of niter - 1 earlier rows, which makes
// every chunk independent and the result identical to solving the whole record as one array.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "canveg/errors.hpp"
#include "canveg/run.hpp"
#include "run/column_model.hpp"

namespace canveg {

void CanopyOutputs::resize(std::size_t n) {
  for (auto* v : {&LE, &H, &NEE, &GPP, &Rnet, &G, &Rnet_top, &LE_veg, &LE_soil, &H_veg, &H_soil, &Rnet_veg,
                  &Rnet_soil, &Rsoil, &Ps, &gs, &Tleaf, &Tsoil_sfc, &zL})
    v->assign(n, 0.0);
}

void EnergyDiagnostics::resize(std::size_t n) {
  for (auto* v : {&leaf_closure, &layer_closure_max, &soil_closure, &column_closure, &aggregation_error})
    v->assign(n, 0.0);
}

void validate_model(const Model<double>& model, const std::string& source) {
  const Setup& s = model.setup;
  if (s.n_can_layers < 1) throw InputError(source, 0, "n_can_layers", "must be at least 1");
  if (s.n_total_layers <= s.n_can_layers)
    throw InputError(source, 0, "n_total_layers", "must exceed the number of canopy layers");
  if (static_cast<int>(s.zht.size()) != s.n_total_layers || static_cast<int>(s.delz.size()) != s.n_total_layers)
    throw InputError(source, 0, "zht", "grid has " + std::to_string(s.zht.size()) + " nodes, expected " +
                                           std::to_string(s.n_total_layers));
  const std::size_t expected = static_cast<std::size_t>(s.n_total_layers) * s.n_can_layers;
  if (model.dij.size() != expected)
    throw InputError(source, 0, "dij",
                     "dispersion matrix has " + std::to_string(model.dij.size()) + " values, expected " +
                         std::to_string(s.n_total_layers) + " x " + std::to_string(s.n_can_layers));
  if (s.niter < 1) throw InputError(source, 0, "niter", "must be at least 1");
  if (s.leaf_rh == LeafRhModule::Network && model.leaf_rh_net.empty())
    throw InputError(source, 0, "LeafRHDL", "leaf RH module 1 needs the LeafRHDL network");
  if (s.soil_respiration == SoilRespirationModule::Network && model.rsoil_net.empty())
    throw InputError(source, 0, "RsoilDL", "soil respiration module 2 needs the RsoilDL network");
  if (s.soil_respiration == SoilRespirationModule::Network &&
      !(std::isfinite(model.var_max.rsoil) && std::isfinite(model.var_min.rsoil)))
    throw InputError(source, 0, "var_stats.rsoil",
                     "soil respiration module 2 needs the Rsoil range of the training fluxes");
  for (const auto* net : {&model.leaf_rh_net, &model.rsoil_net})
    if (!net->empty() && net->width > nn::kMaxWidth)
      throw InputError(source, 0, "mlps", "network width above " + std::to_string(nn::kMaxWidth));
}

namespace {

using physics::ColumnState;

// Fills the outputs of one finished column.
void store_outputs(const physics::ColumnModel<double>& m, const ColumnState<double>& s, std::size_t r,
                   CanopyOutputs& o, EnergyDiagnostics* d) {
  const int J = s.J;
  o.LE_veg[r] = s.veg_le;
  o.LE_soil[r] = s.soil_evap;
  o.H_veg[r] = s.veg_h;
  o.H_soil[r] = s.soil_heat;
  o.Rnet_veg[r] = s.veg_rnet;
  o.Rnet_soil[r] = s.soil_rnet;
  o.LE[r] = s.veg_le + s.soil_evap;
  o.H[r] = s.veg_h + s.soil_heat;
  o.Rnet[r] = s.veg_rnet + s.soil_rnet;
  o.GPP[r] = s.veg_ps + s.veg_rd;
  o.NEE[r] = s.soil_resp - o.GPP[r];
  o.G[r] = s.soil_g;
  o.Rsoil[r] = s.soil_resp;
  o.Ps[r] = s.veg_ps;
  o.gs[r] = s.veg_gs;
  o.Rnet_top[r] = s.par.beam[J] / 4.6 + s.par.down[J] / 4.6 - s.par.up[J] / 4.6 + s.nir.beam[J] + s.nir.down[J] -
                  s.nir.up[J] + s.ir_down[J] + -s.ir_up[J];
  // LAI-weighted leaf temperature; with no leaf area the plain layer mean (JAX divides by LAI).
  if (s.forcing.lai > 0) {
    o.Tleaf[r] = s.veg_tleaf / s.forcing.lai;
  } else {
    double sum = 0;
    for (int j = 0; j < J; ++j)
      sum += s.par.prob_beam[j] * s.sun.t_leaf[j] + (1.0 - s.par.prob_beam[j]) * s.shade.t_leaf[j];
    o.Tleaf[r] = sum / J;
  }
  o.Tsoil_sfc[r] = s.t_surface;
  o.zL[r] = s.zl;
  if (d) {
    double leaf = 0, worst = 0, src_h = 0, src_le = 0;
    for (int j = 0; j < J; ++j) {
      const double pb = s.par.prob_beam[j], psh = 1.0 - pb;
      leaf += (pb * s.sun.closure[j] + psh * s.shade.closure[j]) * s.leaf_area_per_layer;
      worst = std::max({worst, std::abs(s.sun.closure[j]), std::abs(s.shade.closure[j])});
      // Layer sources integrated over the canopy depth equal the canopy sums by construction.
      src_h += (pb * s.sun.h[j] + psh * s.shade.h[j]) * s.leaf_area_density * m.delz[j];
      src_le += (pb * s.sun.le[j] + psh * s.shade.le[j]) * s.leaf_area_density * m.delz[j];
    }
    d->leaf_closure[r] = leaf;
    d->layer_closure_max[r] = worst;
    d->soil_closure[r] = s.soil_rnet - s.soil_evap - s.soil_heat - s.soil_g;
    d->column_closure[r] = o.Rnet[r] - o.LE[r] - o.H[r] - o.G[r];
    d->aggregation_error[r] =
        (s.forcing.lai > 0 ? std::abs(src_h - s.veg_h) + std::abs(src_le - s.veg_le) : 0.0) +
        std::abs(o.LE[r] - (o.LE_veg[r] + o.LE_soil[r])) + std::abs(o.H[r] - (o.H_veg[r] + o.H_soil[r])) +
        std::abs(o.Rnet[r] - (o.Rnet_veg[r] + o.Rnet_soil[r]));
  }
}

struct ChunkSolver {
  const physics::ColumnModel<double>& model;
  const ForcingRecord& forcing;
  const std::vector<char>& restarts;  // 1 where a row starts an array (zero storage)
  int halo;
  CanopyOutputs& out;
  EnergyDiagnostics* diag;
  std::vector<double> buffer;
  std::vector<ColumnState<double>> states;
  std::vector<double> surface_snapshot;

  void solve(std::size_t begin, std::size_t end) {
    // Extend back by the halo, but never across a row that restarts the storage chain.
    std::size_t first = begin;
    for (int k = 0; k < halo && first > 0 && !restarts[first]; ++k) --first;
    const std::size_t n = end - first;
    const std::size_t stride = physics::column_storage_size(model.J, model.N);
    if (buffer.size() < n * stride) buffer.resize(n * stride);
    if (states.size() < n) states.resize(n);
    if (surface_snapshot.size() < n) surface_snapshot.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
      states[i].bind(buffer.data() + i * stride, model.J, model.N);
      physics::initialise_column(model, row_forcing(forcing, first + i), states[i]);
    }
    // The row before `first` (if it belongs to the same array) is known only at its initial
    // state; the halo keeps that approximation away from rows [begin, end).
    const bool first_has_previous = !restarts[first];
    const double before_first = first_has_previous ? forcing.ta[first - 1] + 273.15 : 0.0;
    for (int iter = 0; iter < model.niter; ++iter) {
      for (std::size_t i = 0; i < n; ++i) surface_snapshot[i] = states[i].t_surface;
      for (std::size_t i = 0; i < n; ++i) {
        const std::size_t r = first + i;
        const bool has_previous = !restarts[r];
        const double previous = i == 0 ? before_first : surface_snapshot[i - 1];
        physics::iterate_column(model, states[i], has_previous, previous);
      }
    }
    for (std::size_t r = begin; r < end; ++r) store_outputs(model, states[r - first], r, out, diag);
  }
};

}  // namespace

RunResult run_model(const Model<double>& model, const ForcingRecord& forcing, const RunOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  validate_model(model, "model");
  const std::size_t n = forcing.size();
  RunResult result;
  result.outputs.resize(n);
  if (options.diagnostics) result.diagnostics.resize(n);
  if (n == 0) return result;

  const std::vector<double> dij_t = transpose_dij(model.dij, model.setup.n_total_layers, model.setup.n_can_layers);
  const physics::ColumnModel<double> cm = make_column_model(model, dij_t);
  std::vector<char> restarts(n, options.storage_coupling ? 0 : 1);
  restarts[0] = 1;
  if (options.storage_coupling && options.restart_every > 0)
    for (std::size_t r = 0; r < n; r += options.restart_every) restarts[r] = 1;
  const int halo = options.storage_coupling ? std::max(0, cm.niter - 1) : 0;

  const std::size_t chunk = std::max<std::size_t>(1, options.chunk_rows);
  const std::size_t n_chunks = (n + chunk - 1) / chunk;
  int threads = options.threads > 0 ? options.threads : static_cast<int>(std::thread::hardware_concurrency());
  threads = std::max(1, std::min<int>(threads, static_cast<int>(n_chunks)));

  std::atomic<std::size_t> next_chunk{0};
  std::atomic<std::size_t> rows_done{0};
  std::mutex mutex;
  std::condition_variable done_cv;
  int workers_left = threads;
  std::exception_ptr failure;

  auto worker = [&]() {
    ChunkSolver solver{cm, forcing, restarts, halo, result.outputs,
                       options.diagnostics ? &result.diagnostics : nullptr, {}, {}, {}};
    try {
      for (;;) {
        const std::size_t c = next_chunk.fetch_add(1);
        if (c >= n_chunks) break;
        const std::size_t begin = c * chunk, end = std::min(n, begin + chunk);
        solver.solve(begin, end);
        rows_done += end - begin;
      }
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex);
      if (!failure) failure = std::current_exception();
      next_chunk = n_chunks;
    }
    std::lock_guard<std::mutex> lock(mutex);
    --workers_left;
    done_cv.notify_all();
  };

  std::vector<std::thread> pool;
  pool.reserve(threads);
  for (int t = 0; t < threads; ++t) pool.emplace_back(worker);
  {
    std::unique_lock<std::mutex> lock(mutex);
    while (workers_left > 0) {
      done_cv.wait_for(lock, std::chrono::milliseconds(200));
      if (options.progress) options.progress(rows_done.load(), n);
    }
  }
  for (auto& t : pool) t.join();
  if (failure) std::rethrow_exception(failure);
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace canveg
