// Batches of the loss: how a record is cut into them, and the loss of one batch. Each batch is
// solved by the lock-step driver (run/lockstep.hpp) as one JAX-CanVeg call, so a double run of a
// batch is bit-identical to run_model with RunOptions::restart_every = batch size.
#pragma once

#include <cmath>
#include <cstddef>
#include <limits>
#include <vector>

#include "canveg/forcing.hpp"
#include "canveg/gradient.hpp"
#include "gradient/column_state_io.hpp"
#include "run/column_model.hpp"
#include "run/lockstep.hpp"

namespace canveg::gradient {

// How the rows of a record are cut into batches (GradientOptions::batch_size).
struct BatchPlan {
  std::vector<std::size_t> begin, size;
  bool independent = false;  // batch_size 1: every row alone (no storage term)
  std::size_t rows() const {
    std::size_t n = 0;
    for (std::size_t s : size) n += s;
    return n;
  }
};

BatchPlan plan_batches(std::size_t n_rows, const GradientOptions& options);

// The lock-step coupling of a batch: its first row restarts the storage term; with batch size 1
// every row stands alone.
inline run::LockstepCoupling batch_coupling(const BatchPlan& plan) {
  run::LockstepCoupling c;
  c.independent = plan.independent;
  return c;
}

// Loss of one batch: w mean(dLE^2) + (1 - w) mean(dNEE^2) with d = standardised model minus
// standardised observation, as JAX-CanVeg's weighted MSE on scaled outputs.
template <class T>
T batch_loss(const T* le, const T* nee, const double* le_obs, const double* nee_obs, std::size_t n,
             const LossSpec& spec) {
  const OutputScaler& s = spec.scaler;
  T sum_le = 0.0, sum_nee = 0.0;
  for (std::size_t t = 0; t < n; ++t) {
    const T d_le = (le[t] - s.le_mean) / s.le_std - (le_obs[t] - s.le_mean) / s.le_std;
    const T d_nee = (nee[t] - s.nee_mean) / s.nee_std - (nee_obs[t] - s.nee_mean) / s.nee_std;
    sum_le = sum_le + d_le * d_le;
    sum_nee = sum_nee + d_nee * d_nee;
  }
  const double inv_n = 1.0 / static_cast<double>(n);
  return spec.le_weight * (sum_le * inv_n) + (1.0 - spec.le_weight) * (sum_nee * inv_n);
}

// Derivatives of batch_loss (a batch of n rows) with respect to one row's LE and NEE.
inline void row_loss_seeds(double le, double nee, double le_obs, double nee_obs, std::size_t n, const LossSpec& spec,
                           double& d_le, double& d_nee) {
  const OutputScaler& s = spec.scaler;
  const double inv_n = 1.0 / static_cast<double>(n);
  const double dl = (le - s.le_mean) / s.le_std - (le_obs - s.le_mean) / s.le_std;
  const double dn = (nee - s.nee_mean) / s.nee_std - (nee_obs - s.nee_mean) / s.nee_std;
  d_le = spec.le_weight * inv_n * 2.0 * dl / s.le_std;
  d_nee = (1.0 - spec.le_weight) * inv_n * 2.0 * dn / s.nee_std;
}

// Derivatives of batch_loss with respect to each row's LE and NEE.
inline void batch_loss_seeds(const double* le, const double* nee, const double* le_obs, const double* nee_obs,
                             std::size_t n, const LossSpec& spec, double* d_le, double* d_nee) {
  for (std::size_t t = 0; t < n; ++t) row_loss_seeds(le[t], nee[t], le_obs[t], nee_obs[t], n, spec, d_le[t], d_nee[t]);
}

// Checks shared by the entry points; returns the batch plan.
BatchPlan check_and_plan(const Model<double>& model, const ForcingRecord& forcing, const ObservedFluxes& observed,
                         const GradientOptions& options);

// Accumulates per-batch gradients into JAX-CanVeg's nanmean over batches.
struct NanMean {
  std::vector<double> sum;
  std::vector<std::size_t> count;
  std::size_t nonfinite = 0;
  explicit NanMean(std::size_t n = 0) : sum(n, 0.0), count(n, 0) {}
  void add(const double* g) {
    for (std::size_t k = 0; k < sum.size(); ++k) {
      if (std::isfinite(g[k])) {
        sum[k] += g[k];
        ++count[k];
      } else {
        ++nonfinite;
      }
    }
  }
  std::vector<double> mean() const {
    std::vector<double> m(sum.size());
    for (std::size_t k = 0; k < sum.size(); ++k)
      m[k] = count[k] ? sum[k] / static_cast<double>(count[k]) : std::numeric_limits<double>::quiet_NaN();
    return m;
  }
};

}  // namespace canveg::gradient
