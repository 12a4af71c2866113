// Forward-mode (dual-number) gradient: the independent cross-check of the reverse tape. The whole
// batch runs in lock-step with T = Dual<kLanes>, one pass per kLanes parameters.
#include <chrono>

#include "ad/forward.hpp"
#include "canveg/gradient.hpp"
#include "gradient/batch_loss.hpp"
#include "physics/column_outputs.hpp"
#include "run/thread_pool.hpp"

namespace canveg {

namespace {
constexpr int kLanes = 8;
using D = ad::Dual<kLanes>;
}  // namespace

LossGradient loss_and_gradient_forward_mode(const Model<double>& model, const ParameterSpace& space,
                                            const ForcingRecord& forcing, const ObservedFluxes& observed,
                                            const LossSpec& loss, const GradientOptions& options) {
  using namespace gradient;
  const auto start = std::chrono::steady_clock::now();
  const BatchPlan plan = check_and_plan(model, forcing, observed, options);
  const std::vector<double> dij_t = transpose_dij(model.dij, model.setup.n_total_layers, model.setup.n_can_layers);
  const std::size_t P = space.size();
  const std::size_t n_chunks = (P + kLanes - 1) / kLanes;
  const std::size_t n_batches = plan.begin.size();
  // Work unit = (batch, chunk of parameters).
  const std::size_t n_units = n_batches * n_chunks;
  const int threads = run::resolve_threads(options.threads, n_units);
  std::vector<std::vector<double>> batch_grad(n_batches, std::vector<double>(P, 0.0));
  std::vector<double> losses(n_batches, 0.0);
  run::parallel_units(threads, n_units, [&](int, std::size_t u) {
    const std::size_t b = u / n_chunks, chunk = u % n_chunks;
    Model<D> md = model_cast<D>(model);
    for (std::size_t l = 0; l < static_cast<std::size_t>(kLanes); ++l) {
      const std::size_t k = chunk * kLanes + l;
      if (k < P) space.locate(md, k)->d[l] = 1.0;
    }
    physics::ColumnModel<D> cm = make_column_model(md, dij_t);
    cm.air_above_canopy = false;  // LE and NEE do not read it
    run::LockstepColumns<D> cols;
    const std::size_t n = plan.size[b], begin = plan.begin[b];
    run::solve_lockstep(cm, forcing, begin, n, batch_coupling(plan), cols);
    std::vector<D> le(n), nee(n);
    for (std::size_t i = 0; i < n; ++i)
      le[i] = physics::column_le(cols.states[i]), nee[i] = physics::column_nee(cols.states[i]);
    const D l = batch_loss(le.data(), nee.data(), observed.LE.data() + begin, observed.NEE.data() + begin, n, loss);
    if (chunk == 0) losses[b] = l.v;
    for (std::size_t q = 0; q < static_cast<std::size_t>(kLanes); ++q) {
      const std::size_t k = chunk * kLanes + q;
      if (k < P) batch_grad[b][k] = l.d[q];
    }
  });
  NanMean mean(P);
  for (const auto& g : batch_grad) mean.add(g.data());
  LossGradient out;
  out.gradient = mean.mean();
  out.gradient_sum = mean.sum;
  out.gradient_count = mean.count;
  out.nonfinite = mean.nonfinite;
  out.batch_loss = losses;
  double sum = 0.0;
  for (double x : losses) sum += x;
  out.loss = sum / static_cast<double>(n_batches);
  out.rows = plan.rows();
  out.batches = n_batches;
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

}  // namespace canveg
