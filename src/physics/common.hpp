// Shared definitions for the templated physics: host/device qualifier, literal constants and
// small guards. Every physics function is a pure function of its arguments, templated on the
// scalar type T (double, float, or an automatic-differentiation type), free of allocation and I/O.
#pragma once

#include <cmath>
#include <type_traits>
#include <utility>

#if defined(__CUDACC__)
#define CANVEG_HD __host__ __device__
#else
#define CANVEG_HD
#endif

namespace canveg::physics {

using std::abs;
using std::acos;
using std::asin;
using std::cos;
using std::exp;
using std::log;
using std::pow;
using std::sin;
using std::sqrt;
using std::tan;
using std::tanh;

// JAX-CanVeg uses the literal 3.14159 for pi in the sun-angle and leaf-angle code
// (shared_utilities/constants.py); reproducing it keeps agreement at round-off level.
inline constexpr double kPiLiteral = 3.14159;
// The photosynthesis cubic uses 2*pi written as 2 x 3.1415926; its roots are shifted by a third
// of that, whose cosine and sine (of the exact 6.2831852 / 3, to double precision) give the two
// shifted roots from the sine and cosine of the unshifted angle.
inline constexpr double kTwoPiCubic = 3.1415926 * 2.0;
inline constexpr double kCosThirdTwoPiCubic = -0.49999996905991817;
inline constexpr double kSinThirdTwoPiCubic = 0.8660254216477025;
// Conversion of PAR quanta to energy: 4.6 umol J-1.
inline constexpr double kPhotonsPerJoule = 4.6;
inline constexpr double kKelvin = 273.15;
// Molar mass of dry air (g mol-1) and gas constant (J mol-1 K-1) used by the met derivations.
inline constexpr double kMolarMassAir = 28.97;
inline constexpr double kGasConstant = 8.314;
inline constexpr double kGasConstant1000 = 8314.0;
inline constexpr double kStefanBoltzmann = 5.670367e-8;

// The type of a quantity that varies from half-hour to half-hour but carries no derivative
// (forcing, and what is derived from it alone): double when one half-hour is solved, whatever the
// scalar type T; the SIMD lane type (simd/lanes.hpp) when T solves several half-hours at once.
template <class T>
struct RowValueOf {
  using type = double;
};
template <class T>
using RowValue = typename RowValueOf<T>::type;
// The result of comparing two such quantities: bool, or a mask of lanes.
template <class T>
using RowMask = decltype(std::declval<const RowValue<T>&>() < 0.0);

// where(c, a, b) is c ? a : b, and any_lane(c) is c, for every scalar type whose comparisons give
// bool (double, float, the automatic-differentiation types: the chosen side keeps its derivative).
// The SIMD lane type overloads both (found by argument-dependent lookup): a lane-wise choice, and
// whether any lane takes a branch. Branches of the iterated physics are written with them, so the
// same source solves one half-hour or a vector of them.
template <class T>
CANVEG_HD inline T where(bool c, const T& a, const T& b) {
  return c ? a : b;
}
CANVEG_HD inline bool any_lane(bool c) { return c; }

// c ? if_true() : if_false(), evaluating only the side taken: for a mask of lanes both sides when
// the lanes disagree, one when they agree.
template <class Mask, class IfTrue, class IfFalse>
CANVEG_HD inline auto choose(const Mask& c, IfTrue&& if_true, IfFalse&& if_false) {
  if constexpr (std::is_same_v<Mask, bool>) {
    return c ? if_true() : if_false();
  } else {
    if (!any_lane(c)) return if_false();
    if (!any_lane(!c)) return if_true();
    return where(c, if_true(), if_false());
  }
}

// Whether a and b hold the same value in every lane, for plain values (double, SIMD lanes); false
// for automatic-differentiation types, whose derivatives may differ where the values agree. NaN is
// never the same as itself.
template <class T>
CANVEG_HD inline bool same_value_everywhere(const T& a, const T& b) {
  if constexpr (std::is_same_v<T, RowValue<T>>) {
    return !any_lane(a != b);
  } else {
    return false;
  }
}

// max(x, lo) written so that every scalar type (including AD types) keeps the derivative of the
// active side and gets an exact zero on the clipped side.
template <class T>
CANVEG_HD inline T floor_at(const T& x, double lo) {
  return where(x < lo, T(lo), x);
}
template <class T>
CANVEG_HD inline T cap_at(const T& x, double hi) {
  return where(x > hi, T(hi), x);
}
template <class T>
CANVEG_HD inline T clip(const T& x, double lo, double hi) {
  return where(x < lo, T(lo), where(x > hi, T(hi), x));
}
template <class T>
CANVEG_HD inline T min_of(const T& a, const T& b) {
  return where(b < a, b, a);
}
template <class T>
CANVEG_HD inline T max_of(const T& a, const T& b) {
  return where(a < b, b, a);
}
template <class T>
CANVEG_HD inline T square(const T& x) {
  return x * x;
}
// sin(x) and cos(x) together; the SIMD lane type overloads it with one vector evaluation of both.
template <class T>
CANVEG_HD inline void sin_cos(const T& x, T& s, T& c) {
  s = sin(x);
  c = cos(x);
}

// Plain value of a scalar (AD types provide their own overload).
CANVEG_HD inline double value_of(double x) { return x; }
CANVEG_HD inline float value_of(float x) { return x; }
CANVEG_HD inline bool is_finite(double x) { return std::isfinite(x); }
inline double value_of(long double x) { return static_cast<double>(x); }

// sqrt(x) whose derivative is taken as zero where x <= 0 (pitfall P10). The value is exactly
// sqrt(x) for every x, so a double run is unchanged; an automatic-differentiation type gets a
// constant there instead of the infinite slope of sqrt at 0, so a discriminant clipped to 0 (or
// exactly 0) never turns a gradient into Inf or NaN.
template <class T>
CANVEG_HD inline T sqrt_nonneg(const T& x) {
  if constexpr (std::is_same_v<T, RowValue<T>>) {
    return sqrt(x);  // no derivative to guard
  } else {
    if (x > 0.0) return sqrt(x);
    return T(sqrt(value_of(x)));
  }
}

// Sign of x as in numpy: -1, 0 or +1.
template <class T>
CANVEG_HD inline RowValue<T> sign_of(const T& x) {
  using V = RowValue<T>;
  return where(x > 0, V(1.0), where(x < 0, V(-1.0), V(0.0)));
}

}  // namespace canveg::physics
