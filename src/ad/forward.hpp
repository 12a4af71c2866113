// Forward-mode automatic differentiation: `Dual<N>` carries a value and N directional
// derivatives (tangents). Used as the independent cross-check of the reverse tape
// (docs/gradients.md): the same physics templates run with T = Dual<N>, and each pass yields N
// columns of the Jacobian. The derivative rules match src/ad/reverse.hpp exactly, including the
// conventions at non-differentiable points, so both modes compute the same numbers up to
// round-off.
#pragma once

#include <cmath>

namespace canveg::ad {

template <int N>
struct Dual {
  double v = 0.0;
  double d[N] = {};

  Dual() = default;
  Dual(double x) : v(x) {}  // NOLINT: implicit, constants mix freely with active values

  // A value with tangent 1 in direction `k` (k outside [0, N): a constant).
  static Dual seed(double x, int k) {
    Dual r(x);
    if (k >= 0 && k < N) r.d[k] = 1.0;
    return r;
  }

  Dual& operator+=(const Dual& o) { return *this = *this + o; }
  Dual& operator-=(const Dual& o) { return *this = *this - o; }
  Dual& operator*=(const Dual& o) { return *this = *this * o; }
  Dual& operator/=(const Dual& o) { return *this = *this / o; }
};

namespace detail {
// r = value, r.d = dx * x.d
template <int N>
inline Dual<N> chain(double value, const Dual<N>& x, double dx) {
  Dual<N> r(value);
  for (int k = 0; k < N; ++k) r.d[k] = dx * x.d[k];
  return r;
}
template <int N>
inline Dual<N> chain(double value, const Dual<N>& x, double dx, const Dual<N>& y, double dy) {
  Dual<N> r(value);
  for (int k = 0; k < N; ++k) r.d[k] = dx * x.d[k] + dy * y.d[k];
  return r;
}
}  // namespace detail

template <int N>
inline double value_of(const Dual<N>& x) {
  return x.v;
}

template <int N>
inline Dual<N> operator+(const Dual<N>& x) {
  return x;
}
template <int N>
inline Dual<N> operator-(const Dual<N>& x) {
  return detail::chain(-x.v, x, -1.0);
}
template <int N>
inline Dual<N> operator+(const Dual<N>& x, const Dual<N>& y) {
  return detail::chain(x.v + y.v, x, 1.0, y, 1.0);
}
template <int N>
inline Dual<N> operator+(const Dual<N>& x, double y) {
  Dual<N> r = x;
  r.v = x.v + y;
  return r;
}
template <int N>
inline Dual<N> operator+(double x, const Dual<N>& y) {
  Dual<N> r = y;
  r.v = x + y.v;
  return r;
}
template <int N>
inline Dual<N> operator-(const Dual<N>& x, const Dual<N>& y) {
  return detail::chain(x.v - y.v, x, 1.0, y, -1.0);
}
template <int N>
inline Dual<N> operator-(const Dual<N>& x, double y) {
  Dual<N> r = x;
  r.v = x.v - y;
  return r;
}
template <int N>
inline Dual<N> operator-(double x, const Dual<N>& y) {
  return detail::chain(x - y.v, y, -1.0);
}
template <int N>
inline Dual<N> operator*(const Dual<N>& x, const Dual<N>& y) {
  return detail::chain(x.v * y.v, x, y.v, y, x.v);
}
template <int N>
inline Dual<N> operator*(const Dual<N>& x, double y) {
  return detail::chain(x.v * y, x, y);
}
template <int N>
inline Dual<N> operator*(double x, const Dual<N>& y) {
  return detail::chain(x * y.v, y, x);
}
template <int N>
inline Dual<N> operator/(const Dual<N>& x, const Dual<N>& y) {
  const double r = 1.0 / y.v;
  const double q = x.v / y.v;
  return detail::chain(q, x, r, y, -q * r);
}
template <int N>
inline Dual<N> operator/(const Dual<N>& x, double y) {
  return detail::chain(x.v / y, x, 1.0 / y);
}
template <int N>
inline Dual<N> operator/(double x, const Dual<N>& y) {
  const double q = x / y.v;
  return detail::chain(q, y, -q / y.v);
}

#define CANVEG_DUAL_COMPARE(op)                                                                    \
  template <int N>                                                                                 \
  inline bool operator op(const Dual<N>& x, const Dual<N>& y) { return x.v op y.v; }               \
  template <int N>                                                                                 \
  inline bool operator op(const Dual<N>& x, double y) { return x.v op y; }                         \
  template <int N>                                                                                 \
  inline bool operator op(double x, const Dual<N>& y) { return x op y.v; }
CANVEG_DUAL_COMPARE(<)
CANVEG_DUAL_COMPARE(<=)
CANVEG_DUAL_COMPARE(>)
CANVEG_DUAL_COMPARE(>=)
CANVEG_DUAL_COMPARE(==)
CANVEG_DUAL_COMPARE(!=)
#undef CANVEG_DUAL_COMPARE

// Constant tangents contribute nothing: a function whose derivative may be infinite (sqrt, log, pow,
// acos, asin) returns a constant for a constant argument, so a constant operand never
// multiplies an infinite local derivative (same convention as the reverse tape, where constants
// record no edge).
namespace detail {
template <int N>
inline bool is_constant(const Dual<N>& x) {
  for (int k = 0; k < N; ++k)
    if (x.d[k] != 0.0) return false;
  return true;
}
}  // namespace detail

template <int N>
inline Dual<N> exp(const Dual<N>& x) {
  const double e = std::exp(x.v);
  return detail::chain(e, x, e);
}
template <int N>
inline Dual<N> log(const Dual<N>& x) {
  if (detail::is_constant(x)) return Dual<N>(std::log(x.v));
  return detail::chain(std::log(x.v), x, 1.0 / x.v);
}
template <int N>
inline Dual<N> sqrt(const Dual<N>& x) {
  const double s = std::sqrt(x.v);
  if (detail::is_constant(x)) return Dual<N>(s);
  return detail::chain(s, x, 0.5 / s);
}
template <int N>
inline Dual<N> cos(const Dual<N>& x) {
  return detail::chain(std::cos(x.v), x, -std::sin(x.v));
}
template <int N>
inline Dual<N> sin(const Dual<N>& x) {
  return detail::chain(std::sin(x.v), x, std::cos(x.v));
}
template <int N>
inline Dual<N> tan(const Dual<N>& x) {
  const double t = std::tan(x.v);
  return detail::chain(t, x, 1.0 + t * t);
}
template <int N>
inline Dual<N> acos(const Dual<N>& x) {
  if (detail::is_constant(x)) return Dual<N>(std::acos(x.v));
  return detail::chain(std::acos(x.v), x, -1.0 / std::sqrt(1.0 - x.v * x.v));
}
template <int N>
inline Dual<N> asin(const Dual<N>& x) {
  if (detail::is_constant(x)) return Dual<N>(std::asin(x.v));
  return detail::chain(std::asin(x.v), x, 1.0 / std::sqrt(1.0 - x.v * x.v));
}
template <int N>
inline Dual<N> tanh(const Dual<N>& x) {
  const double t = std::tanh(x.v);
  return detail::chain(t, x, 1.0 - t * t);
}
template <int N>
inline Dual<N> abs(const Dual<N>& x) {
  return detail::chain(std::abs(x.v), x, x.v < 0 ? -1.0 : 1.0);
}
template <int N>
inline Dual<N> fabs(const Dual<N>& x) {
  return abs(x);
}

template <int N>
inline Dual<N> pow(const Dual<N>& x, double y) {
  const double p = std::pow(x.v, y);
  if (detail::is_constant(x)) return Dual<N>(p);
  return detail::chain(p, x, y * std::pow(x.v, y - 1.0));
}
template <int N>
inline Dual<N> pow(double b, const Dual<N>& y) {
  const double p = std::pow(b, y.v);
  if (detail::is_constant(y)) return Dual<N>(p);
  return detail::chain(p, y, p == 0.0 ? 0.0 : p * std::log(b));
}
template <int N>
inline Dual<N> pow(const Dual<N>& x, const Dual<N>& y) {
  if (detail::is_constant(y)) return pow(x, y.v);
  if (detail::is_constant(x)) return pow(x.v, y);
  const double p = std::pow(x.v, y.v);
  return detail::chain(p, x, y.v * std::pow(x.v, y.v - 1.0), y, p == 0.0 ? 0.0 : p * std::log(x.v));
}

}  // namespace canveg::ad
