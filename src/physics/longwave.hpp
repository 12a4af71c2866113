// Sky longwave radiation and longwave transfer through the canopy (docs/model.md 2.7;
// Norman 1979 as formulated by Bonan; JAX-CanVeg `sky_ir`, `ir_rad_tran_canopy`).
#pragma once

#include <type_traits>

#include "physics/common.hpp"

namespace canveg::physics {

// Downward sky longwave [W m-2] from air temperature [K] and the cloudiness ratio (Norman).
template <class T>
CANVEG_HD inline T sky_longwave(double t_air_k, double cloudiness_ratio, const T& sigma) {
  const double clear_sky_factor = 1.0 - 0.261 * exp(-0.000777 * pow(273.16 - t_air_k, 2.0));
  const double product = clear_sky_factor * cloudiness_ratio + 1.0 - cloudiness_ratio;
  return sigma * pow(t_air_k, 4.0) * product;
}

// Longwave transfer with leaf emission from sunlit and shaded leaf temperatures.
//   ir_down, ir_up [J+1]: warm start in, result out (level J of ir_down is the sky value).
//   source [J] scratch: emission per layer. Returns nothing; ir_down/ir_up hold the result.
template <class T>
CANVEG_HD void longwave_transfer(int J, int sweeps, const T& sky, const T* prob_beam,
                                 const T* t_sun, const T* t_shade, const T& tau_diffuse, const T& ep,
                                 const T& epsoil, const T& sigma, const T& t_soil_surface,
                                 T* ir_down, T* ir_up, T* source) {
  const T epsigma = ep * sigma;
  const T scat = (1.0 - ep) / 2.0;
  const T forward = tau_diffuse + (1.0 - tau_diffuse) * scat;
  const T backward = (1.0 - tau_diffuse) * scat;
  for (int j = 0; j < J; ++j) {
    const T ts2 = t_sun[j] * t_sun[j];
    const T th2 = t_shade[j] * t_shade[j];
    const T emitted = epsigma * (prob_beam[j] * (ts2 * ts2) + (1.0 - prob_beam[j]) * (th2 * th2));
    source[j] = emitted * (1.0 - tau_diffuse);
  }
  const T tsoil2 = t_soil_surface * t_soil_surface;
  const T soil_emission = epsoil * sigma * (tsoil2 * tsoil2);
  ir_down[J] = sky;
  ir_up[J] = sky;
  // A sweep's result depends on the upward field it starts from alone (the downward one is
  // rewritten before it is read). Once a sweep leaves that field unchanged in every lane, every
  // later sweep repeats it, so for plain values the remaining sweeps are skipped with the result
  // bit for bit the same; leaves reflect 1 - ep of the longwave, so that happens after about a
  // dozen of the 50. Automatic-differentiation types run every sweep: equal values do not imply
  // equal derivatives.
  constexpr bool plain = std::is_same_v<T, RowValue<T>>;
  for (int sweep = 0; sweep < sweeps; ++sweep) {
    // Downward pass uses the previous upward field; the upward pass uses the new downward field.
    // The layer's own terms are summed first so that the recurrence from layer to layer is one
    // multiply-add: its latency, 100 times per sweep, bounds the transfer. The value carried
    // from layer to layer stays in a register (the arrays may alias as far as the compiler knows,
    // so reading it back from memory would wait for its store at every layer).
    T carried = ir_down[J];
    for (int i = J - 1; i >= 0; --i) {
      carried = carried * forward + (ir_up[i] * backward + source[i]);
      ir_down[i] = carried;
    }
    if constexpr (plain) {
      carried = (1.0 - epsoil) * ir_down[0] + soil_emission;
      auto moved = carried != ir_up[0];
      ir_up[0] = carried;
      for (int i = 0; i < J; ++i) {
        carried = carried * forward + (ir_down[i + 1] * backward + source[i]);
        moved = moved || carried != ir_up[i + 1];
        ir_up[i + 1] = carried;
      }
      if (!any_lane(moved)) break;
    } else {
      ir_up[0] = (1.0 - epsoil) * ir_down[0] + soil_emission;
      for (int i = 0; i < J; ++i)
        ir_up[i + 1] = ir_up[i] * forward + (ir_down[i + 1] * backward + source[i]);
    }
  }
}

}  // namespace canveg::physics
