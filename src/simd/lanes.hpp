// A scalar type whose value is K SIMD vectors of doubles: lane l holds the quantity of the l-th
// half-hour of a block. Instantiating the templated physics on Lanes<Arch, K> solves K times as
// many half-hours at once as one vector holds (2 per vector with SSE2, 4 with AVX2, 8 with
// AVX-512), with the same source as the scalar and automatic-differentiation builds
// (docs/performance.md, "Half-hours as SIMD lanes"). K > 1 gives the processor independent
// instructions to overlap in the physics' long dependency chains (the longwave sweeps).
//
// Arithmetic and the transcendental functions come from xsimd (its own vectorised exp, log, pow,
// cos, acos, tanh). Comparisons give a LaneMask; the physics turns its branches into
// where(mask, a, b) (physics/common.hpp) and skips a branch's work when any_lane(mask) is false.
// Every operation is lane-wise, so a half-hour's result does not depend on which lane it occupies
// or on its neighbours.
#pragma once

#include <cstddef>

#include <xsimd/xsimd.hpp>

namespace canveg::simd {

template <class Arch, int K = 1>
struct LaneMask {
  xsimd::batch_bool<double, Arch> m[K];
};

template <class Arch, int K = 1>
struct Lanes {
  using Batch = xsimd::batch<double, Arch>;
  static constexpr std::size_t kWidth = Batch::size * K;
  Batch v[K];

  Lanes() = default;
  Lanes(double x) {  // NOLINT(google-explicit-constructor): a constant in every lane
    for (int k = 0; k < K; ++k) v[k] = Batch(x);
  }

  static Lanes load(const double* p) {
    Lanes r;
    for (int k = 0; k < K; ++k) r.v[k] = Batch::load_unaligned(p + k * Batch::size);
    return r;
  }
  void store(double* p) const {
    for (int k = 0; k < K; ++k) v[k].store_unaligned(p + k * Batch::size);
  }
};

// Lane-wise operations: the same operation on each of the K vectors.
#define CANVEG_LANES_EACH(Result, expression) \
  Result r;                                   \
  for (int k = 0; k < K; ++k) r.expression;   \
  return r

// The three overloads of a binary operation: Lanes op Lanes, Lanes op double and double op Lanes,
// giving Lanes (member v) for arithmetic and LaneMask (member m) for comparisons.
#define CANVEG_LANES_BINARY(op, Result, member)                                                          \
  template <class A, int K>                                                                               \
  inline Result<A, K> operator op(const Lanes<A, K>& a, const Lanes<A, K>& b) {                           \
    CANVEG_LANES_EACH(Result<A CANVEG_COMMA K>, member[k] = a.v[k] op b.v[k]);                            \
  }                                                                                                       \
  template <class A, int K>                                                                               \
  inline Result<A, K> operator op(const Lanes<A, K>& a, double b) {                                       \
    const typename Lanes<A, K>::Batch c(b);                                                               \
    CANVEG_LANES_EACH(Result<A CANVEG_COMMA K>, member[k] = a.v[k] op c);                                 \
  }                                                                                                       \
  template <class A, int K>                                                                               \
  inline Result<A, K> operator op(double a, const Lanes<A, K>& b) {                                       \
    const typename Lanes<A, K>::Batch c(a);                                                               \
    CANVEG_LANES_EACH(Result<A CANVEG_COMMA K>, member[k] = c op b.v[k]);                                 \
  }
#define CANVEG_COMMA ,

// Arithmetic, with its compound assignment.
#define CANVEG_LANES_ARITHMETIC(op)                                                \
  CANVEG_LANES_BINARY(op, Lanes, v)                                                \
  template <class A, int K>                                                        \
  inline Lanes<A, K>& operator op##=(Lanes<A, K>& a, const Lanes<A, K>& b) {       \
    return a = a op b;                                                             \
  }
CANVEG_LANES_ARITHMETIC(+)
CANVEG_LANES_ARITHMETIC(-)
CANVEG_LANES_ARITHMETIC(*)
CANVEG_LANES_ARITHMETIC(/)
#undef CANVEG_LANES_ARITHMETIC

#define CANVEG_LANES_COMPARISON(op) CANVEG_LANES_BINARY(op, LaneMask, m)
CANVEG_LANES_COMPARISON(<)
CANVEG_LANES_COMPARISON(<=)
CANVEG_LANES_COMPARISON(>)
CANVEG_LANES_COMPARISON(>=)
CANVEG_LANES_COMPARISON(==)
CANVEG_LANES_COMPARISON(!=)
#undef CANVEG_LANES_COMPARISON
#undef CANVEG_LANES_BINARY

template <class A, int K>
inline Lanes<A, K> operator-(const Lanes<A, K>& a) {
  CANVEG_LANES_EACH(Lanes<A CANVEG_COMMA K>, v[k] = -a.v[k]);
}

template <class A, int K>
inline LaneMask<A, K> operator&&(const LaneMask<A, K>& a, const LaneMask<A, K>& b) {
  CANVEG_LANES_EACH(LaneMask<A CANVEG_COMMA K>, m[k] = a.m[k] && b.m[k]);
}
template <class A, int K>
inline LaneMask<A, K> operator||(const LaneMask<A, K>& a, const LaneMask<A, K>& b) {
  CANVEG_LANES_EACH(LaneMask<A CANVEG_COMMA K>, m[k] = a.m[k] || b.m[k]);
}
template <class A, int K>
inline LaneMask<A, K> operator!(const LaneMask<A, K>& a) {
  CANVEG_LANES_EACH(LaneMask<A CANVEG_COMMA K>, m[k] = !a.m[k]);
}
// Equality of masks from and/or/not: xsimd 8.1 compares SSE2 masks of doubles wrongly.
template <class A, int K>
inline LaneMask<A, K> operator==(const LaneMask<A, K>& a, const LaneMask<A, K>& b) {
  return (a && b) || !(a || b);
}
template <class A, int K>
inline LaneMask<A, K> operator!=(const LaneMask<A, K>& a, const LaneMask<A, K>& b) {
  return (a || b) && !(a && b);
}

// Lane-wise choice: a where the mask is set, b elsewhere.
template <class A, int K>
inline Lanes<A, K> where(const LaneMask<A, K>& mask, const Lanes<A, K>& a, const Lanes<A, K>& b) {
  CANVEG_LANES_EACH(Lanes<A CANVEG_COMMA K>, v[k] = xsimd::select(mask.m[k], a.v[k], b.v[k]));
}
// Whether any lane takes a branch; the physics skips the branch's work when none does.
template <class A, int K>
inline bool any_lane(const LaneMask<A, K>& mask) {
  bool any = false;
  for (int k = 0; k < K; ++k) any = any || xsimd::any(mask.m[k]);
  return any;
}

template <class A, int K>
inline LaneMask<A, K> is_finite(const Lanes<A, K>& x) {
  CANVEG_LANES_EACH(LaneMask<A CANVEG_COMMA K>, m[k] = xsimd::isfinite(x.v[k]));
}

// The value without derivatives (the lanes themselves).
template <class A, int K>
inline const Lanes<A, K>& value_of(const Lanes<A, K>& x) {
  return x;
}

#define CANVEG_LANES_UNARY(name)                                   \
  template <class A, int K>                                        \
  inline Lanes<A, K> name(const Lanes<A, K>& x) {                  \
    CANVEG_LANES_EACH(Lanes<A CANVEG_COMMA K>, v[k] = xsimd::name(x.v[k])); \
  }
CANVEG_LANES_UNARY(abs)
CANVEG_LANES_UNARY(exp)
CANVEG_LANES_UNARY(log)
CANVEG_LANES_UNARY(sqrt)
CANVEG_LANES_UNARY(sin)
CANVEG_LANES_UNARY(cos)
CANVEG_LANES_UNARY(tan)
CANVEG_LANES_UNARY(asin)
CANVEG_LANES_UNARY(acos)
CANVEG_LANES_UNARY(tanh)
#undef CANVEG_LANES_UNARY

// sin and cos of the same lanes in one evaluation (they share the argument reduction).
template <class A, int K>
inline void sin_cos(const Lanes<A, K>& x, Lanes<A, K>& s, Lanes<A, K>& c) {
  for (int k = 0; k < K; ++k) {
    const auto sc = xsimd::sincos(x.v[k]);
    s.v[k] = sc.first;
    c.v[k] = sc.second;
  }
}

template <class A, int K>
inline Lanes<A, K> pow(const Lanes<A, K>& x, const Lanes<A, K>& y) {
  CANVEG_LANES_EACH(Lanes<A CANVEG_COMMA K>, v[k] = xsimd::pow(x.v[k], y.v[k]));
}
template <class A, int K>
inline Lanes<A, K> pow(const Lanes<A, K>& x, double y) {
  return pow(x, Lanes<A, K>(y));
}
template <class A, int K>
inline Lanes<A, K> pow(double x, const Lanes<A, K>& y) {
  return pow(Lanes<A, K>(x), y);
}

#undef CANVEG_COMMA
#undef CANVEG_LANES_EACH

}  // namespace canveg::simd

#include "physics/common.hpp"

namespace canveg::physics {
// Per-half-hour quantities of a block of lanes are lanes themselves (physics/common.hpp).
template <class Arch, int K>
struct RowValueOf<simd::Lanes<Arch, K>> {
  using type = simd::Lanes<Arch, K>;
};
}  // namespace canveg::physics
