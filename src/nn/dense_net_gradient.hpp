// Reverse pass through the three-layer dense networks of nn/dense_net.hpp, written out by hand:
// the networks are small (the DNN baseline is 9 -> 6 -> 6 -> 2), so the chain rule over the three
// affine layers is short and needs no tape.
//
// With z = W a + b and a' = act(z) for each layer, and g = dL/da' given from above:
//   dL/dz = g * act'(z),   dL/dW[o][i] += dL/dz[o] a[i],   dL/db[o] += dL/dz[o],
//   dL/da[i] = sum_o W[o][i] dL/dz[o]   (passed to the layer below).
#pragma once

#include <cmath>

#include "nn/dense_net.hpp"

namespace canveg::nn {

// The slope act'(z) of an activation, from its output a = act(z): every activation used here has
// one (tanh' = 1 - a^2, sigmoid' = a (1 - a), softplus' = sigmoid(z) = 1 - exp(-a)).
template <class T>
inline T activation_slope(Activation act, const T& a) {
  using std::exp;
  switch (act) {
    case Activation::Tanh: return T(1) - a * a;
    case Activation::Sigmoid: return a * (T(1) - a);
    case Activation::Softplus: return T(1) - exp(-a);
    case Activation::Identity: default: return T(1);
  }
}

// The outputs of each layer of one forward pass, kept for the reverse pass.
template <class T>
struct LayerOutputs {
  T h1[kMaxWidth], h2[kMaxWidth], y[kMaxWidth];
};

// Forward pass keeping every layer's output (the same arithmetic as nn::evaluate).
template <class T>
inline void forward_keeping_layers(const DenseNetView<T>& net, const T* x, LayerOutputs<T>& out) {
  dense_layer(net.in_size, net.width, net.w0, net.b0, x, net.hidden, out.h1);
  dense_layer(net.width, net.width, net.w1, net.b1, out.h1, net.hidden, out.h2);
  dense_layer(net.width, net.out_size, net.w2, net.b2, out.h2, net.final, out.y);
}

// Every weight and bias set to zero, in place.
template <class T>
void set_zero(DenseNet<T>& net) {
  for (std::vector<T>* v : {&net.w0, &net.b0, &net.w1, &net.b1, &net.w2, &net.b2}) v->assign(v->size(), T(0));
}

// A zero network of the same shape, to accumulate gradients in.
template <class T>
DenseNet<T> zero_like(const DenseNet<T>& net) {
  DenseNet<T> z = net;
  set_zero(z);
  return z;
}

namespace detail {

// One layer of the reverse pass: from dL/d(output) `g` (overwritten by dL/dz) to the layer's weight
// and bias gradients, and, when `g_in` is given, to dL/d(input).
template <class T>
inline void layer_reverse(int n_in, int n_out, const T* w, const T* in, const T* out, Activation act, T* g,
                          T* grad_w, T* grad_b, T* g_in) {
  for (int o = 0; o < n_out; ++o) g[o] = g[o] * activation_slope(act, out[o]);
  for (int o = 0; o < n_out; ++o) {
    grad_b[o] += g[o];
    for (int i = 0; i < n_in; ++i) grad_w[o * n_in + i] += g[o] * in[i];
  }
  if (!g_in) return;
  for (int i = 0; i < n_in; ++i) {
    T sum = T(0);
    for (int o = 0; o < n_out; ++o) sum += w[o * n_in + i] * g[o];
    g_in[i] = sum;
  }
}

}  // namespace detail

// Adds to `grad` (shaped like the network) the gradient of a loss with respect to every weight and
// bias, for one input x whose forward pass is `layers` and whose output gradient is dL/dy.
template <class T>
inline void add_gradient(const DenseNetView<T>& net, const T* x, const LayerOutputs<T>& layers, const T* dloss_dy,
                         DenseNet<T>& grad) {
  T g2[kMaxWidth], g1[kMaxWidth], g0[kMaxWidth];
  for (int o = 0; o < net.out_size; ++o) g2[o] = dloss_dy[o];
  detail::layer_reverse(net.width, net.out_size, net.w2, layers.h2, layers.y, net.final, g2, grad.w2.data(),
                        grad.b2.data(), g1);
  detail::layer_reverse(net.width, net.width, net.w1, layers.h1, layers.h2, net.hidden, g1, grad.w1.data(),
                        grad.b1.data(), g0);
  detail::layer_reverse<T>(net.in_size, net.width, net.w0, x, layers.h1, net.hidden, g0, grad.w0.data(),
                           grad.b0.data(), nullptr);
}

}  // namespace canveg::nn
