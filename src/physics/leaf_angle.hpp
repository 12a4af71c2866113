// Leaf-inclination distributions, the G-function and the diffuse transmissivity of a canopy layer
// (docs/model.md 2.4; Wang et al. 2007, as in JAX-CanVeg `leaf_angle`, `Gfunc_dir`, `Gfunc_diff`).
#pragma once

#include "physics/common.hpp"

namespace canveg::physics {

inline constexpr int kLeafAngleClasses = 50;

// Mid-point inclination (from horizontal) of leaf class k [rad].
CANVEG_HD inline double leaf_class_angle(int k) {
  const double pi = kPiLiteral;
  // linspace(pi/100, pi/2, 50) - pi/200
  const double step = (pi / 2.0 - pi / 100.0) / (kLeafAngleClasses - 1);
  const double start = pi / 100.0;
  const double x = (k == kLeafAngleClasses - 1) ? pi / 2.0 : start + k * step;
  return x - pi / 200.0;
}

// Leaf-angle probability density for JAX-CanVeg's type codes (0 "planophile", 1 spherical,
// 2 "erectophile", 3 plagiophile, 4 extremophile, 5 uniform, other: spherical). Note the
// naming caveat of docs/model.md 2.4 / P18: type 0 has de Wit's erectophile shape.
CANVEG_HD inline double leaf_angle_pdf(int type, double theta_leaf) {
  const double pi = kPiLiteral;
  switch (type) {
    case 0: return 2.0 * (1.0 - cos(2.0 * theta_leaf)) / pi;
    case 1: return sin(theta_leaf);
    case 2: return 2.0 * (1.0 + cos(2.0 * theta_leaf)) / pi;
    case 3: return 2.0 * (1.0 - cos(4.0 * theta_leaf)) / pi;
    case 4: return 2.0 * (1.0 + cos(4.0 * theta_leaf)) / pi;
    case 5: return 2.0 / pi;
    default: return sin(theta_leaf);
  }
}

// The leaf classes' values that do not depend on the direction, computed once per model (the
// G-function of every half-hour's sun then needs two transcendental calls per class, not six).
struct LeafClasses {
  double angle[kLeafAngleClasses];      // theta_L [rad]
  double cot_angle[kLeafAngleClasses];  // 1 / tan(theta_L)
  double cos_angle[kLeafAngleClasses];  // cos(theta_L)
  double density[kLeafAngleClasses];    // leaf_angle_pdf(type, theta_L)
  // acos(-1) and tan(acos(-1)): the G-function's psi and tan(psi) where cot(theta) cot(theta_L)
  // is clipped to -1 (at +1 both are exactly 0). About half of the classes of any direction are
  // clipped; these replace two transcendental calls each, with the same values.
  double psi_clipped_low, tan_psi_clipped_low;
};

CANVEG_HD inline LeafClasses make_leaf_classes(int type) {
  LeafClasses c{};
  for (int k = 0; k < kLeafAngleClasses; ++k) {
    const double x = leaf_class_angle(k);
    c.angle[k] = x;
    c.cot_angle[k] = 1.0 / tan(x);
    c.cos_angle[k] = cos(x);
    c.density[k] = leaf_angle_pdf(type, x);
  }
  c.psi_clipped_low = acos(-1.0);
  c.tan_psi_clipped_low = tan(c.psi_clipped_low);
  return c;
}

// G-function for a direction of zenith angle theta [rad]: mean projection of unit leaf area,
// trapezoid rule over the 50 leaf classes. The product cot(theta) cot(theta_L) is clipped to
// [-1, 1] before arccos, which makes the general formula cover both branches.
CANVEG_HD inline double g_function_raw(double theta, const LeafClasses& leaves) {
  const double pi = kPiLiteral;
  double integral = 0.0;
  double prev_x = 0.0, prev_f = 0.0;
  const double cot_theta = 1.0 / tan(theta);
  const double cos_theta = cos(theta);
  for (int k = 0; k < kLeafAngleClasses; ++k) {
    const double x = leaves.angle[k];
    const double p1 = cot_theta * leaves.cot_angle[k];
    double psi = 0.0, tan_psi = 0.0;  // p1 >= 1: acos(1) = 0 exactly
    if (p1 <= -1.0) {
      psi = leaves.psi_clipped_low, tan_psi = leaves.tan_psi_clipped_low;
    } else if (p1 < 1.0) {
      psi = acos(p1), tan_psi = tan(psi);
    }
    const double p2 = cos_theta * leaves.cos_angle[k];
    const double projection = p2 * (1.0 + 2.0 / pi * (tan_psi - psi));
    const double fx = projection * leaves.density[k];
    if (k > 0) integral += 0.5 * (fx + prev_f) * (x - prev_x);
    prev_x = x;
    prev_f = fx;
  }
  return integral;
}

CANVEG_HD inline double g_function_raw(double theta, int type) { return g_function_raw(theta, make_leaf_classes(type)); }

// G for the solar beam: negative values (night) are replaced by 0.5, as in JAX-CanVeg.
CANVEG_HD inline double g_function_sun(double zenith, const LeafClasses& leaves) {
  const double g = g_function_raw(zenith, leaves);
  return g < 0.0 ? 0.5 : g;
}

// Sky discretisation for diffuse light: 50 sky zenith angles equal to the leaf classes, with
// weight cos(theta) sin(theta) and extinction G(theta)/cos(theta).
// It also holds the model's leaf classes.
struct SkyQuadrature {
  double extinction[kLeafAngleClasses];  // G_sky(theta_k) / cos(theta_k)
  double weight[kLeafAngleClasses];      // cos(theta_k) sin(theta_k)
  LeafClasses leaves;
};

CANVEG_HD inline SkyQuadrature make_sky_quadrature(int type) {
  SkyQuadrature q{};
  q.leaves = make_leaf_classes(type);
  for (int k = 0; k < kLeafAngleClasses; ++k) {
    const double theta = q.leaves.angle[k], cos_theta = q.leaves.cos_angle[k];
    q.extinction[k] = g_function_raw(theta, q.leaves) / cos_theta;
    q.weight[k] = cos_theta * sin(theta);
  }
  return q;
}

// Diffuse transmissivity of a layer holding leaf area dL with clumping Omega:
// tau_d = 2 dtheta sum_k exp(-Omega dL G_k / cos theta_k) cos theta_k sin theta_k, dtheta = pi/100.
template <class T>
CANVEG_HD inline T diffuse_transmissivity(const SkyQuadrature& sky, const T& clumped_leaf_area) {
  T sum = 0.0;
  for (int k = 0; k < kLeafAngleClasses; ++k)
    sum = sum + exp(-clumped_leaf_area * sky.extinction[k]) * sky.weight[k];
  const double dtheta = kPiLiteral / (2.0 * kLeafAngleClasses);
  return 2.0 * sum * dtheta;
}

}  // namespace canveg::physics
