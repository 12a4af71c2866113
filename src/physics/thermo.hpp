// Thermodynamic helpers (docs/model.md section 2.1): saturation vapour pressure, latent heat of
// vaporisation and their temperature derivatives. Temperatures in K, pressures in Pa.
#pragma once

#include "physics/common.hpp"

namespace canveg::physics {

// Saturation vapour pressure [Pa]: es = 100 exp(54.8781919 - 6790.4985/T - 5.02808 ln T).
template <class T>
CANVEG_HD inline T saturation_vapour_pressure(const T& tk) {
  return 100.0 * exp(54.8781919 - 6790.4985 / tk - 5.02808 * log(tk));
}

// Latent heat of vaporisation [J kg-1]: 3149000 - 2370 T, plus 333 below 273 K (the code's value).
template <class T>
CANVEG_HD inline T latent_heat(const T& tk) {
  const T y = 3149000.0 - 2370.0 * tk;
  return where(tk < 273.0, T(y + 333.0), y);
}

// First derivative of es with respect to T [Pa K-1]: es * lambda * 18 / (8314 T^2).
template <class T>
CANVEG_HD inline T des_dt(const T& tk) {
  return saturation_vapour_pressure(tk) * latent_heat(tk) * 18.0 / (kGasConstant1000 * tk * tk);
}

// Second derivative of es [Pa K-2], treating lambda as constant (as JAX-CanVeg does).
template <class T>
CANVEG_HD inline T d2es_dt2(const T& tk) {
  const T lam = latent_heat(tk);
  return -2.0 * saturation_vapour_pressure(tk) * lam * 18.0 / (kGasConstant1000 * tk * tk * tk) +
         des_dt(tk) * lam * 18.0 / (kGasConstant1000 * tk * tk);
}

// Saturation vapour pressure, latent heat and the first two derivatives of es at one temperature,
// evaluated once and shared by the leaf and soil balances (same values as the functions above).
template <class T>
struct MoistAir {
  T es, lambda, des_dt, d2es_dt2;
};

template <class T>
CANVEG_HD inline MoistAir<T> moist_air(const T& tk) {
  MoistAir<T> m;
  m.es = saturation_vapour_pressure(tk);
  m.lambda = latent_heat(tk);
  m.des_dt = m.es * m.lambda * 18.0 / (kGasConstant1000 * tk * tk);
  m.d2es_dt2 = -2.0 * m.es * m.lambda * 18.0 / (kGasConstant1000 * tk * tk * tk) +
               m.des_dt * m.lambda * 18.0 / (kGasConstant1000 * tk * tk);
  return m;
}

}  // namespace canveg::physics
