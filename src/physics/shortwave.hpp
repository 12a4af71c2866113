// PAR and NIR transfer through the canopy: beam penetration with Markov clumping, sunlit
// probability, and the Norman (1979) adding scheme for diffuse and scattered light
// (docs/model.md 2.6, JAX-CanVeg `rad_tran_canopy`).
#pragma once

#include <type_traits>

#include "physics/common.hpp"

namespace canveg::physics {

// Output arrays, caller-owned: levels have J+1 entries (0 = soil, J = canopy top), layers J.
template <class T>
struct ShortwaveField {
  T* prob_beam;  // sunlit probability at level l [-]
  T* beam;       // beam flux on the horizontal at level l
  T* up;         // upward diffuse flux at level l
  T* down;       // downward diffuse flux at level l
  T* sun_abs;    // absorbed by sunlit leaves of layer j (both faces, per leaf area)
  T* shade_abs;  // absorbed by shaded leaves of layer j
};

struct Waveband {
  double inbeam;     // incoming beam above the canopy
  double indiffuse;  // incoming diffuse above the canopy
};

// One call of the transfer scheme for a column of J equal layers of leaf area dL.
//   sweeps: number of scattering sweeps starting from zero upward flux. JAX-CanVeg re-solves
//   with ONE sweep in every outer iteration (pitfall P3), which is what the model uses.
template <class T>
CANVEG_HD void shortwave_transfer(int J, double sin_beta, double g_sun, const T& leaf_area_per_layer,
                                  const T& clumping, const T& tau_diffuse, const Waveband& in,
                                  const T& reflect, const T& trans, const T& soil_refl, int sweeps,
                                  T* exp_direct /*J+1 scratch*/, T* scratch_up /*J+1 scratch*/,
                                  ShortwaveField<T> out) {
  const T absorbed = 1.0 - reflect - trans;
  const double incoming = in.inbeam + in.indiffuse;
  double fraction_beam = in.inbeam / (incoming < 0.01 ? 0.01 : incoming);
  if (incoming == 0.0) fraction_beam = 0.0;
  const bool night = sin_beta <= 0.0;

  // Beam penetration through each layer and the transmission from the top to each level.
  for (int j = 0; j < J; ++j)
    exp_direct[j] = night ? T(0.0) : exp((g_sun / sin_beta) * (-(leaf_area_per_layer * clumping)));
  exp_direct[J] = night ? T(0.0) : T(1.0);
  // out.beam temporarily holds the cumulative product P_l = prod_{k>=l} e_k.
  T* transmission = out.beam;
  transmission[J] = exp_direct[J];
  for (int l = J - 1; l >= 0; --l) transmission[l] = transmission[l + 1] * exp_direct[l];

  for (int j = 0; j < J; ++j) {
    T p = clumping * transmission[j];
    out.prob_beam[j] = night ? T(0.0) : cap_at(p, 1.0);
  }
  out.prob_beam[J] = night ? T(0.0) : T(1.0);

  // Without incoming light every flux is zero whatever the optical parameters (the scheme is
  // linear in the incoming light): an automatic-differentiation type takes them as constants
  // instead of recording the sweeps (their derivatives are zero either way).
  if constexpr (!std::is_same_v<T, RowValue<T>>) {
    if (incoming == 0.0) {
      for (int l = 0; l <= J; ++l) out.beam[l] = out.up[l] = out.down[l] = T(0.0);
      for (int j = 0; j < J; ++j) out.sun_abs[j] = out.shade_abs[j] = T(0.0);
      return;
    }
  }

  const T layer_reflectance = (1.0 - tau_diffuse) * reflect;
  const T layer_transmittance = tau_diffuse + (1.0 - tau_diffuse) * trans;
  const double beam_in = incoming * fraction_beam;

  for (int l = 0; l <= J; ++l) scratch_up[l] = 0.0;
  const T down_top = T((1.0 - fraction_beam) * incoming);
  for (int sweep = 0; sweep < sweeps; ++sweep) {
    out.down[J] = down_top;
    for (int i = J - 1; i >= 0; --i) {
      // Beam intercepted by layer i, scattered forward (down) and backward (up).
      const T intercepted = beam_in * transmission[i + 1] * (1.0 - exp_direct[i]);
      const T up_old = scratch_up[i];
      out.down[i] = out.down[i + 1] * layer_transmittance + up_old * layer_reflectance + intercepted * trans;
      out.up[i + 1] = up_old * layer_transmittance + out.down[i + 1] * layer_reflectance + intercepted * reflect;
    }
    out.up[0] = (out.down[0] + beam_in * transmission[0]) * soil_refl;
    for (int l = 0; l <= J; ++l) scratch_up[l] = out.up[l];
  }
  if (sweeps == 0) {
    for (int l = 0; l <= J; ++l) out.up[l] = 0.0, out.down[l] = 0.0;
    out.down[J] = down_top;
  }
  for (int l = 0; l <= J; ++l) out.beam[l] = beam_in * transmission[l];

  T normal = out.beam[J] * g_sun / sin_beta;
  normal = floor_at(normal, 0.0);
  const T sun_normal_abs = normal * absorbed;
  for (int j = 0; j < J; ++j) {
    out.shade_abs[j] = (out.down[j] + out.up[j]) * absorbed;
    out.sun_abs[j] = sun_normal_abs + out.shade_abs[j];
  }
}

}  // namespace canveg::physics
