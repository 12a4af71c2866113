// The training loss of the neural-network baseline and its gradient (include/canveg/dnn.hpp).
//
// JAX-CanVeg (shared_utilities/optim/loss.py: weighted_loss of mse, weights normalised to sum 1;
// examples/<SITE>/train_dnns.py with weights (w, 1 - w)) scores a batch of n rows on the
// standardised outputs:
//   L = w (1/n) sum_i (p_i,LE - y_i,LE)^2 + (1 - w) (1/n) sum_i (p_i,NEE - y_i,NEE)^2,
// so dL/dp_i,LE = 2 w (p_i,LE - y_i,LE) / n and dL/dp_i,NEE = 2 (1 - w) (p_i,NEE - y_i,NEE) / n.
#pragma once

#include <cstddef>
#include <vector>

#include "nn/dense_net_gradient.hpp"

namespace canveg::dnn {

inline constexpr int kInputs = 9, kOutputs = 2;  // the forcings; LE and NEE

// Standardised data, row-major: x[r * kInputs + k], y[r * kOutputs + j].
template <class T>
struct StandardisedData {
  std::vector<T> x, y;
  std::size_t rows() const { return y.size() / kOutputs; }
};

// The loss of the rows `rows[0..n)` of `data` (all rows 0..n-1 when `rows` is null); with `grad`
// (shaped like the network), also its gradient, which replaces grad's contents. The network and
// the gradient are computed in T (float for training, as JAX-CanVeg's single precision; double for
// checking against finite differences); the loss value itself is summed in double, since it is only
// reported.
template <class T>
double batch_loss(const nn::DenseNetView<T>& net, const StandardisedData<T>& data, const std::size_t* rows,
                  std::size_t n, double le_weight, DenseNet<T>* grad) {
  if (grad) nn::set_zero(*grad);
  const T slope[kOutputs] = {static_cast<T>(2.0 * le_weight / static_cast<double>(n)),
                             static_cast<T>(2.0 * (1.0 - le_weight) / static_cast<double>(n))};
  double squares[kOutputs] = {0.0, 0.0};
  nn::LayerOutputs<T> layers;
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t r = rows ? rows[i] : i;
    const T* x = &data.x[r * kInputs];
    const T* y = &data.y[r * kOutputs];
    nn::forward_keeping_layers(net, x, layers);
    T dloss_dp[kOutputs];
    for (int j = 0; j < kOutputs; ++j) {
      const T error = layers.y[j] - y[j];
      squares[j] += static_cast<double>(error) * static_cast<double>(error);
      dloss_dp[j] = slope[j] * error;
    }
    if (grad) nn::add_gradient(net, x, layers, dloss_dp, *grad);
  }
  return (le_weight * squares[0] + (1.0 - le_weight) * squares[1]) / static_cast<double>(n);
}

}  // namespace canveg::dnn
