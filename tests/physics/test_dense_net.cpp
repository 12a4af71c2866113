// Dense networks inside the physics (LeafRHDL = MLP2, RsoilDL = MLP), docs/model.md section 3:
// three affine layers in -> width -> width -> out, y = act(W x + b), W stored [out][in].
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "canveg/parameters.hpp"
#include "nn/dense_net.hpp"
#include "physics_test_support.hpp"

namespace {

using canveg::Activation;
using canveg::DenseNet;
using canveg::nn::activate;
using canveg::nn::evaluate_scalar;
using canveg::nn::view_of;

// The 2-6-6-1 network of reference_values.py (section_dense).
DenseNet<double> reference_net(Activation hidden, Activation final) {
  DenseNet<double> n;
  n.in_size = 2;
  n.width = 6;
  n.out_size = 1;
  n.hidden = hidden;
  n.final = final;
  n.w0 = {0.5, -0.3, 0.1, 0.8, -0.6, 0.2, 0.3, 0.3, -0.2, -0.7, 0.9, -0.1};  // [6][2]
  n.b0 = {0.1, -0.2, 0.05, 0.0, 0.3, -0.1};
  for (int i = 0; i < 6; ++i)
    for (int j = 0; j < 6; ++j) n.w1.push_back(0.2 * ((i + 2 * j) % 5) - 0.4);  // [6][6]
  for (int i = 0; i < 6; ++i) n.b1.push_back(0.01 * (i - 2));
  n.w2 = {0.7, -0.5, 0.3, 0.2, -0.4, 0.6};
  n.b2 = {0.25};
  return n;
}

TEST(DenseNet, Activations) {
  // Section 3: tanh, logistic sigmoid, softplus, identity.
  EXPECT_REL_NEAR(activate(Activation::Tanh, 0.3), std::tanh(0.3), 1e-15);
  EXPECT_REL_NEAR(activate(Activation::Sigmoid, 0.3), 1.0 / (1.0 + std::exp(-0.3)), 1e-15);
  EXPECT_REL_NEAR(activate(Activation::Softplus, 0.3), std::log(1.0 + std::exp(0.3)), 1e-15);
  EXPECT_REL_NEAR(activate(Activation::Softplus, 40.0), 40.0, 1e-15);  // log(1 + e^x) = x to round-off
  EXPECT_EQ(activate(Activation::Identity, -2.5), -2.5);
  EXPECT_DOUBLE_EQ(activate(Activation::Sigmoid, 0.0), 0.5);
}

TEST(DenseNet, HandCalculationWithSimpleWeights) {
  // x = (0.4, -0.9), W0 = 0, b0 = 0 -> h1 = tanh(0) = 0; W1 = 0, b1 = atanh(0.5) -> h2 = 0.5;
  // W2 = 1/3, b2 = 0 -> z = 6 x 0.5 / 3 = 1 -> sigmoid(1) = 1/(1 + e^-1) = 0.7310585786300049.
  DenseNet<double> n;
  n.in_size = 2;
  n.width = 6;
  n.out_size = 1;
  n.hidden = Activation::Tanh;
  n.final = Activation::Sigmoid;
  n.w0.assign(12, 0.0);
  n.b0.assign(6, 0.0);
  n.w1.assign(36, 0.0);
  n.b1.assign(6, std::atanh(0.5));
  n.w2.assign(6, 1.0 / 3.0);
  n.b2 = {0.0};
  const double x[2] = {0.4, -0.9};
  EXPECT_REL_NEAR(evaluate_scalar(view_of(n), x), 0.7310585786300049, 1e-14);
  // One non-zero input weight: h1_0 = tanh(2 x 0.4) feeds h2 through W1[0][0] = 1.
  n.w0[0] = 2.0;  // W0[0][0]
  n.w1[0] = 1.0;  // W1[0][0]
  const double h2_0 = std::tanh(std::tanh(0.8) + std::atanh(0.5));
  const double z = (h2_0 + 5 * 0.5) / 3.0;
  EXPECT_REL_NEAR(evaluate_scalar(view_of(n), x), 1.0 / (1.0 + std::exp(-z)), 1e-14);
  // W is [out][in]: the same weight at W0[0][1] multiplies the second input instead.
  n.w0[0] = 0.0;
  n.w0[1] = 2.0;
  const double h2_0b = std::tanh(std::tanh(-1.8) + std::atanh(0.5));
  EXPECT_REL_NEAR(evaluate_scalar(view_of(n), x), 1.0 / (1.0 + std::exp(-(h2_0b + 2.5) / 3.0)), 1e-14);
}

TEST(DenseNet, TwoSixSixOneReferenceNetwork) {
  // Section 3, python3 numpy (reference_values.py, section_dense): x = (0.7, -1.3), pre-activation
  // output z = -0.75197276256246415 with tanh hidden layers.
  const double x[2] = {0.7, -1.3};
  const auto mlp2 = reference_net(Activation::Tanh, Activation::Sigmoid);  // LeafRHDL type
  const auto mlp = reference_net(Activation::Tanh, Activation::Tanh);      // RsoilDL type
  const auto lin = reference_net(Activation::Tanh, Activation::Identity);
  const auto mlp3 = reference_net(Activation::Softplus, Activation::Softplus);
  EXPECT_REL_NEAR(evaluate_scalar(view_of(lin), x), -0.75197276256246415, 1e-14);
  EXPECT_REL_NEAR(evaluate_scalar(view_of(mlp2), x), 0.32039159776788506, 1e-14);
  EXPECT_REL_NEAR(evaluate_scalar(view_of(mlp), x), -0.63632440017647951, 1e-14);
  EXPECT_REL_NEAR(evaluate_scalar(view_of(mlp3), x), 0.89490490242343657, 1e-14);
}

TEST(DenseNet, ViewSharesTheWeights) {
  const auto n = reference_net(Activation::Tanh, Activation::Sigmoid);
  const auto v = view_of(n);
  EXPECT_EQ(v.in_size, 2);
  EXPECT_EQ(v.width, 6);
  EXPECT_EQ(v.out_size, 1);
  EXPECT_EQ(v.w0, n.w0.data());
  EXPECT_EQ(v.b2, n.b2.data());
  EXPECT_EQ(v.hidden, Activation::Tanh);
  EXPECT_EQ(v.final, Activation::Sigmoid);
  EXPECT_FALSE(n.empty());
  EXPECT_TRUE(DenseNet<double>{}.empty());
}

}  // namespace
