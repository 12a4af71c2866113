// Soil respiration options (docs/model.md 2.14, 3.2; JAX-CanVeg `soil_respiration_*`).
// All return R_soil [umol m-2 s-1], positive = CO2 source.
#pragma once

#include "canveg/parameters.hpp"
#include "nn/dense_net.hpp"
#include "physics/common.hpp"

namespace canveg::physics {

// Module 1: Q10 power law a b^((T_soil - 10)/10) theta^c, T_soil at soil node 9 [K].
template <class T>
CANVEG_HD inline T soil_respiration_q10(const T& t_soil_k, const RowValue<T>& swc, const Parameters<T>& p) {
  const T t_c = t_soil_k - 273.15;
  return p.q10a * pow(p.q10b, (t_c - 10.0) / 10.0) * pow(T(swc), p.q10c);
}

// Module 0: the alfalfa ACE regression on (canopy Ps + Rd, T_soil [K], theta, forcing canopy
// height), minus Rd. Coefficients from JAX-CanVeg / legacy CanVeg SoilRespiration.m.
template <class T>
CANVEG_HD inline T soil_respiration_alfalfa(const T& canopy_ps, const T& canopy_rd, const T& t_soil_k,
                                            const RowValue<T>& swc, const RowValue<T>& canopy_height) {
  const double b1[4] = {-1.51316616076344, 0.673139978230031, -59.2947930385706, -3.33294857624960};
  const double b2[4] = {1.38034307225825, 3.73823712105636, 59.9066980644239, 1.36701108005293};
  const double b3[4] = {2.14475255616910, 19.9136298988773, 0.000987230986585085, 0.0569682453563841};
  const T x[4] = {canopy_ps + canopy_rd, t_soil_k, T(swc), T(canopy_height)};
  T phi_sum = 0.0;
  for (int i = 0; i < 4; ++i) phi_sum = phi_sum + (b1[i] + b2[i] * (x[i] / (b3[i] + x[i])));
  return 4.846927939437475 + 2.22166756601498 * phi_sum + -0.0281417120818586 * phi_sum * phi_sum -
         canopy_rd;
}

// Module 2: RsoilDL network on soil temperature normalised with the training AIR-temperature
// range and soil moisture normalised with its range; output rescaled to the Rsoil range (P21).
template <class T>
CANVEG_HD inline T soil_respiration_network(const T& t_soil_k, const RowValue<T>& swc, const nn::DenseNetView<T>& net,
                                            const VarStats& vmax, const VarStats& vmin) {
  const T x[2] = {(t_soil_k - 273.15 - vmin.T_air) / (vmax.T_air - vmin.T_air),
                  T((swc - vmin.soilmoisture) / (vmax.soilmoisture - vmin.soilmoisture))};
  const T y = evaluate_scalar(net, x);  // unqualified: AD types may overload (by ADL)
  return y * (vmax.rsoil - vmin.rsoil) + vmin.rsoil;
}

}  // namespace canveg::physics
