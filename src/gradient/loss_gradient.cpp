// Entry points of include/canveg/gradient.hpp: batching, threads, and the reverse-mode gradient.
#include <algorithm>
#include <chrono>

#include "canveg/errors.hpp"
#include "canveg/gradient.hpp"
#include "gradient/batch_loss.hpp"
#include "gradient/reverse_engine.hpp"
#include "physics/column_outputs.hpp"
#include "run/thread_pool.hpp"

namespace canveg {
namespace gradient {

// A worker thread's tapes, released when it ends.
struct TapeGuards {
  ad::TapeGuard scalar;
  LaneTapesGuard lanes;
};

BatchPlan plan_batches(std::size_t n_rows, const GradientOptions& options) {
  BatchPlan plan;
  const std::size_t b = options.batch_size == 0 ? n_rows : options.batch_size;
  plan.independent = b == 1;
  if (b == 0) return plan;
  const std::size_t full = n_rows / b;
  for (std::size_t k = 0; k < full; ++k) plan.begin.push_back(k * b), plan.size.push_back(b);
  if (options.keep_remainder && full * b < n_rows) plan.begin.push_back(full * b), plan.size.push_back(n_rows - full * b);
  return plan;
}

BatchPlan check_and_plan(const Model<double>& model, const ForcingRecord& forcing, const ObservedFluxes& observed,
                         const GradientOptions& options) {
  validate_model(model, "model");
  const std::size_t n = forcing.size();
  if (observed.LE.size() != n || observed.NEE.size() != n)
    throw InputError(observed.source, 0, observed.LE.size() != n ? "LE" : "NEE",
                     "the observations have " +
                         std::to_string(observed.LE.size() != n ? observed.LE.size() : observed.NEE.size()) +
                         " rows, the forcing " + std::to_string(n) + "; both series must cover every forcing row");
  BatchPlan plan = plan_batches(n, options);
  if (plan.begin.empty())
    throw InputError(forcing.source, 0, "",
                     "the record has " + std::to_string(n) + " rows, fewer than one batch of " +
                         std::to_string(options.batch_size) + " (use a smaller batch or keep the remainder)");
  return plan;
}

}  // namespace gradient

LossGradient loss_and_gradient(const Model<double>& model, const ParameterSpace& space, const ForcingRecord& forcing,
                               const ObservedFluxes& observed, const LossSpec& loss, const GradientOptions& options) {
  using namespace gradient;
  const auto start = std::chrono::steady_clock::now();
  const BatchPlan plan = check_and_plan(model, forcing, observed, options);
  SharedProblem problem;
  problem.model = &model;
  problem.space = &space;
  problem.forcing = &forcing;
  problem.observed = &observed;
  problem.loss = loss;
  problem.options = options;
  problem.dij_t = transpose_dij(model.dij, model.setup.n_total_layers, model.setup.n_can_layers);
  problem.cm = make_column_model(model, problem.dij_t);
  problem.cm.air_above_canopy = false;  // LE and NEE do not read it
  problem.lanes = run::lane_solver_for(options.simd);

  const std::size_t n_batches = plan.begin.size();
  const int threads = run::resolve_threads(options.threads, n_batches);
  std::vector<std::unique_ptr<ReverseEngine>> engines(static_cast<std::size_t>(threads));
  // Per-batch gradients, reduced in batch order below: the result does not depend on which
  // worker computed which batch (bit-identical for any thread count and run to run).
  std::vector<std::vector<double>> batch_gradient(n_batches);
  std::vector<int> sweeps(static_cast<std::size_t>(threads), 0);
  LossGradient out;
  out.batch_loss.assign(n_batches, 0.0);
  run::parallel_units<TapeGuards>(threads, n_batches, [&](int w, std::size_t b) {
    auto& engine = engines[static_cast<std::size_t>(w)];
    if (!engine) engine = std::make_unique<ReverseEngine>(problem);
    BatchGradient g;
    engine->run_batch(plan.begin[b], plan.size[b], plan.independent, g);
    out.batch_loss[b] = g.loss;
    batch_gradient[b] = std::move(g.gradient);
    sweeps[static_cast<std::size_t>(w)] = std::max(sweeps[static_cast<std::size_t>(w)], g.implicit_sweeps);
  });
  NanMean total(space.size());
  for (const std::vector<double>& g : batch_gradient) total.add(g.data());
  out.gradient = total.mean();
  out.gradient_sum = total.sum;
  out.gradient_count = total.count;
  out.nonfinite = total.nonfinite;
  double sum = 0.0;
  for (double l : out.batch_loss) sum += l;
  out.loss = sum / static_cast<double>(n_batches);
  out.rows = plan.rows();
  out.batches = n_batches;
  for (std::size_t w = 0; w < engines.size(); ++w) {
    if (!engines[w]) continue;
    out.peak_memory_bytes += engines[w]->peak_bytes();
    out.max_tape_nodes = std::max(out.max_tape_nodes, engines[w]->max_tape_nodes());
    out.implicit_sweeps = std::max(out.implicit_sweeps, sweeps[w]);
    out.implicit_unconverged += engines[w]->implicit_unconverged();
  }
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

double loss_value(const Model<double>& model, const ForcingRecord& forcing, const ObservedFluxes& observed,
                  const LossSpec& loss, const GradientOptions& options) {
  using namespace gradient;
  const BatchPlan plan = check_and_plan(model, forcing, observed, options);
  const std::vector<double> dij_t =
      transpose_dij(model.dij, model.setup.n_total_layers, model.setup.n_can_layers);
  physics::ColumnModel<double> cm = make_column_model(model, dij_t);
  cm.air_above_canopy = false;  // LE and NEE do not read it
  const run::LaneSolver lanes = run::lane_solver_for(options.simd);
  const std::size_t n_batches = plan.begin.size();
  // Work units of consecutive batches solved together. Batches of coupled rows are solved one by
  // one; independent half-hours (batch size 1, JAX-CanVeg's test loss) in groups of contiguous
  // rows, which gives each row the result it has alone (the rows do not interact, and a lane's
  // result does not depend on its neighbours) at a fraction of the cost of one block per row.
  constexpr std::size_t kIndependentGroup = 256;
  std::vector<std::size_t> unit_first;  // first batch of each unit
  for (std::size_t b = 0; b < n_batches; ++b) {
    const bool extends = plan.independent && !unit_first.empty() && b - unit_first.back() < kIndependentGroup &&
                         plan.begin[b] == plan.begin[b - 1] + plan.size[b - 1];
    if (!extends) unit_first.push_back(b);
  }
  const std::size_t n_units = unit_first.size();
  unit_first.push_back(n_batches);
  const int threads = run::resolve_threads(options.threads, n_units);
  std::vector<double> losses(n_batches, 0.0);
  std::vector<run::LockstepColumns<double>> cols(static_cast<std::size_t>(threads));
  std::vector<std::vector<double>> le(static_cast<std::size_t>(threads)), nee(static_cast<std::size_t>(threads));
  run::parallel_units(threads, n_units, [&](int w, std::size_t u) {
    const std::size_t first_batch = unit_first[u], end_batch = unit_first[u + 1];
    const std::size_t begin = plan.begin[first_batch];
    const std::size_t n = plan.begin[end_batch - 1] + plan.size[end_batch - 1] - begin;
    auto& c = cols[static_cast<std::size_t>(w)];
    run::BlockHooks hooks;
    run::solve_block(lanes, cm, forcing, begin, n, batch_coupling(plan), c, hooks);
    auto& l = le[static_cast<std::size_t>(w)];
    auto& e = nee[static_cast<std::size_t>(w)];
    l.resize(n);
    e.resize(n);
    for (std::size_t i = 0; i < n; ++i) l[i] = physics::column_le(c.states[i]), e[i] = physics::column_nee(c.states[i]);
    for (std::size_t b = first_batch; b < end_batch; ++b) {
      const std::size_t offset = plan.begin[b] - begin;
      losses[b] = batch_loss(l.data() + offset, e.data() + offset, observed.LE.data() + plan.begin[b],
                             observed.NEE.data() + plan.begin[b], plan.size[b], loss);
    }
  });
  double sum = 0.0;
  for (double x : losses) sum += x;
  return sum / static_cast<double>(n_batches);
}

}  // namespace canveg
