// Shared definitions for the templated physics: host/device qualifier, literal constants and
// small guards. Every physics function is a pure function of its arguments, templated on the
// scalar type T (double, float, or an automatic-differentiation type), free of allocation and I/O.
#pragma once

#include <cmath>

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
// The photosynthesis cubic uses 2*pi written as 2 x 3.1415926.
inline constexpr double kTwoPiCubic = 3.1415926 * 2.0;
// Conversion of PAR quanta to energy: 4.6 umol J-1.
inline constexpr double kPhotonsPerJoule = 4.6;
inline constexpr double kKelvin = 273.15;
// Molar mass of dry air (g mol-1) and gas constant (J mol-1 K-1) used by the met derivations.
inline constexpr double kMolarMassAir = 28.97;
inline constexpr double kGasConstant = 8.314;
inline constexpr double kGasConstant1000 = 8314.0;
inline constexpr double kStefanBoltzmann = 5.670367e-8;

// max(x, lo) written so that every scalar type (including AD types) keeps the derivative of the
// active side and gets an exact zero on the clipped side.
template <class T>
CANVEG_HD inline T floor_at(const T& x, double lo) {
  return x < lo ? T(lo) : x;
}
template <class T>
CANVEG_HD inline T cap_at(const T& x, double hi) {
  return x > hi ? T(hi) : x;
}
template <class T>
CANVEG_HD inline T clip(const T& x, double lo, double hi) {
  return x < lo ? T(lo) : (x > hi ? T(hi) : x);
}
template <class T>
CANVEG_HD inline T min_of(const T& a, const T& b) {
  return b < a ? b : a;
}
template <class T>
CANVEG_HD inline T max_of(const T& a, const T& b) {
  return a < b ? b : a;
}
template <class T>
CANVEG_HD inline T square(const T& x) {
  return x * x;
}
// Plain value of a scalar (AD types provide their own overload).
CANVEG_HD inline double value_of(double x) { return x; }
CANVEG_HD inline float value_of(float x) { return x; }
inline double value_of(long double x) { return static_cast<double>(x); }

// sqrt(x) whose derivative is taken as zero where x <= 0 (pitfall P10). The value is exactly
// sqrt(x) for every x, so a double run is unchanged; an automatic-differentiation type gets a
// constant there instead of the infinite slope of sqrt at 0, so a discriminant clipped to 0 (or
// exactly 0) never turns a gradient into Inf or NaN.
template <class T>
CANVEG_HD inline T sqrt_nonneg(const T& x) {
  if (x > 0.0) return sqrt(x);
  return T(sqrt(value_of(x)));
}

// Sign of x as in numpy: -1, 0 or +1.
template <class T>
CANVEG_HD inline double sign_of(const T& x) {
  return x > 0 ? 1.0 : (x < 0 ? -1.0 : 0.0);
}

}  // namespace canveg::physics
