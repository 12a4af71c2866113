// A scalar type whose value is one SIMD vector of doubles: lane k holds the quantity of the k-th
// half-hour of a block. Instantiating the templated physics on Lanes<Arch> solves as many
// half-hours at once as the vector holds (2 with SSE2, 4 with AVX2, 8 with AVX-512), with the
// same source as the scalar and automatic-differentiation builds (docs/performance.md,
// "Half-hours as SIMD lanes").
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

template <class Arch>
struct LaneMask {
  xsimd::batch_bool<double, Arch> m;
};

template <class Arch>
struct Lanes {
  using Batch = xsimd::batch<double, Arch>;
  static constexpr std::size_t kWidth = Batch::size;
  Batch v;

  Lanes() = default;
  Lanes(double x) : v(x) {}  // NOLINT(google-explicit-constructor): a constant in every lane
  Lanes(const Batch& b) : v(b) {}  // NOLINT(google-explicit-constructor)

  static Lanes load(const double* p) { return Batch::load_unaligned(p); }
  void store(double* p) const { v.store_unaligned(p); }

  Lanes& operator+=(const Lanes& o) { v += o.v; return *this; }
  Lanes& operator-=(const Lanes& o) { v -= o.v; return *this; }
  Lanes& operator*=(const Lanes& o) { v *= o.v; return *this; }
  Lanes& operator/=(const Lanes& o) { v /= o.v; return *this; }
};

// Binary operators for Lanes op Lanes, Lanes op double and double op Lanes.
#define CANVEG_LANES_ARITHMETIC(op)                                                          \
  template <class A>                                                                         \
  inline Lanes<A> operator op(const Lanes<A>& a, const Lanes<A>& b) { return a.v op b.v; }   \
  template <class A>                                                                         \
  inline Lanes<A> operator op(const Lanes<A>& a, double b) { return a.v op typename Lanes<A>::Batch(b); } \
  template <class A>                                                                         \
  inline Lanes<A> operator op(double a, const Lanes<A>& b) { return typename Lanes<A>::Batch(a) op b.v; }
CANVEG_LANES_ARITHMETIC(+)
CANVEG_LANES_ARITHMETIC(-)
CANVEG_LANES_ARITHMETIC(*)
CANVEG_LANES_ARITHMETIC(/)
#undef CANVEG_LANES_ARITHMETIC

#define CANVEG_LANES_COMPARISON(op)                                                                   \
  template <class A>                                                                                  \
  inline LaneMask<A> operator op(const Lanes<A>& a, const Lanes<A>& b) { return {a.v op b.v}; }       \
  template <class A>                                                                                  \
  inline LaneMask<A> operator op(const Lanes<A>& a, double b) {                                       \
    return {a.v op typename Lanes<A>::Batch(b)};                                                      \
  }                                                                                                   \
  template <class A>                                                                                  \
  inline LaneMask<A> operator op(double a, const Lanes<A>& b) {                                       \
    return {typename Lanes<A>::Batch(a) op b.v};                                                      \
  }
CANVEG_LANES_COMPARISON(<)
CANVEG_LANES_COMPARISON(<=)
CANVEG_LANES_COMPARISON(>)
CANVEG_LANES_COMPARISON(>=)
CANVEG_LANES_COMPARISON(==)
CANVEG_LANES_COMPARISON(!=)
#undef CANVEG_LANES_COMPARISON

template <class A>
inline Lanes<A> operator-(const Lanes<A>& a) { return -a.v; }

template <class A>
inline LaneMask<A> operator&&(const LaneMask<A>& a, const LaneMask<A>& b) { return {a.m && b.m}; }
template <class A>
inline LaneMask<A> operator||(const LaneMask<A>& a, const LaneMask<A>& b) { return {a.m || b.m}; }
template <class A>
inline LaneMask<A> operator!(const LaneMask<A>& a) { return {!a.m}; }
// Equality of masks from and/or/not: xsimd 8.1 compares SSE2 masks of doubles wrongly.
template <class A>
inline LaneMask<A> operator==(const LaneMask<A>& a, const LaneMask<A>& b) { return {(a.m && b.m) || !(a.m || b.m)}; }
template <class A>
inline LaneMask<A> operator!=(const LaneMask<A>& a, const LaneMask<A>& b) { return {(a.m || b.m) && !(a.m && b.m)}; }
template <class A>
inline LaneMask<A> is_finite(const Lanes<A>& x) { return {xsimd::isfinite(x.v)}; }

// Lane-wise choice: a where the mask is set, b elsewhere.
template <class A>
inline Lanes<A> where(const LaneMask<A>& mask, const Lanes<A>& a, const Lanes<A>& b) {
  return xsimd::select(mask.m, a.v, b.v);
}
// Whether any lane takes a branch; the physics skips the branch's work when none does.
template <class A>
inline bool any_lane(const LaneMask<A>& mask) { return xsimd::any(mask.m); }

// The value without derivatives (the lanes themselves).
template <class A>
inline const Lanes<A>& value_of(const Lanes<A>& x) { return x; }

#define CANVEG_LANES_UNARY(name) \
  template <class A>             \
  inline Lanes<A> name(const Lanes<A>& x) { return xsimd::name(x.v); }
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

template <class A>
inline Lanes<A> pow(const Lanes<A>& x, const Lanes<A>& y) { return xsimd::pow(x.v, y.v); }
template <class A>
inline Lanes<A> pow(const Lanes<A>& x, double y) { return xsimd::pow(x.v, typename Lanes<A>::Batch(y)); }
template <class A>
inline Lanes<A> pow(double x, const Lanes<A>& y) { return xsimd::pow(typename Lanes<A>::Batch(x), y.v); }

}  // namespace canveg::simd

#include "physics/common.hpp"

namespace canveg::physics {
// Per-half-hour quantities of a block of lanes are lanes themselves (physics/common.hpp).
template <class Arch>
struct RowValueOf<simd::Lanes<Arch>> {
  using type = simd::Lanes<Arch>;
};
}  // namespace canveg::physics
