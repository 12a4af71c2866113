// Evaluation of the small dense networks used inside the physics (docs/model.md 3):
// three affine layers in -> width -> width -> out, y = act(W x + b), W stored [out][in].
#pragma once

#include "canveg/parameters.hpp"
#include "physics/common.hpp"

namespace canveg::nn {

inline constexpr int kMaxWidth = 32;

// Non-owning view of a network's weights, usable in device code.
template <class T>
struct DenseNetView {
  int in_size = 0, width = 0, out_size = 0;
  Activation hidden = Activation::Tanh, final = Activation::Sigmoid;
  const T *w0 = nullptr, *b0 = nullptr, *w1 = nullptr, *b1 = nullptr, *w2 = nullptr, *b2 = nullptr;
};

template <class T>
DenseNetView<T> view_of(const DenseNet<T>& net) {
  DenseNetView<T> v;
  v.in_size = net.in_size;
  v.width = net.width;
  v.out_size = net.out_size;
  v.hidden = net.hidden;
  v.final = net.final;
  v.w0 = net.w0.data();
  v.b0 = net.b0.data();
  v.w1 = net.w1.data();
  v.b1 = net.b1.data();
  v.w2 = net.w2.data();
  v.b2 = net.b2.data();
  return v;
}

template <class T>
CANVEG_HD inline T activate(Activation a, const T& x) {
  using namespace canveg::physics;
  switch (a) {
    case Activation::Tanh: return tanh(x);
    case Activation::Sigmoid: return 1.0 / (1.0 + exp(-x));
    case Activation::Softplus: return choose(x > 30.0, [&] { return x; }, [&] { return T(log(1.0 + exp(x))); });
    case Activation::Identity: default: return x;
  }
}

// Affine layer followed by an activation: out[o] = act(sum_i W[o][i] in[i] + b[o]).
template <class T, class X>
CANVEG_HD inline void dense_layer(int n_in, int n_out, const T* w, const T* b, const X* in, Activation act,
                                  T* out) {
  for (int o = 0; o < n_out; ++o) {
    T sum = b[o];
    for (int i = 0; i < n_in; ++i) sum = sum + w[o * n_in + i] * in[i];
    out[o] = activate(act, sum);
  }
}

// Forward pass writing all net.out_size outputs to y (the DNN baseline: LE and NEE).
template <class T, class X>
CANVEG_HD inline void evaluate(const DenseNetView<T>& net, const X* x, T* y) {
  T h1[kMaxWidth], h2[kMaxWidth];
  dense_layer(net.in_size, net.width, net.w0, net.b0, x, net.hidden, h1);
  dense_layer(net.width, net.width, net.w1, net.b1, h1, net.hidden, h2);
  dense_layer(net.width, net.out_size, net.w2, net.b2, h2, net.final, y);
}

// Forward pass for a network with a single output.
template <class T, class X>
CANVEG_HD inline T evaluate_scalar(const DenseNetView<T>& net, const X* x) {
  T h1[kMaxWidth], h2[kMaxWidth], y[1];
  dense_layer(net.in_size, net.width, net.w0, net.b0, x, net.hidden, h1);
  dense_layer(net.width, net.width, net.w1, net.b1, h1, net.hidden, h2);
  dense_layer(net.width, 1, net.w2, net.b2, h2, net.final, y);
  return y[0];
}

}  // namespace canveg::nn
