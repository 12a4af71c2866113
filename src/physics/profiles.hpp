// Scalar concentration profiles from layer sources and the Lagrangian dispersion matrix
// (docs/model.md 2.15-2.16; Raupach 1989 localized near-field theory; JAX-CanVeg `conc`).
#pragma once

#include "physics/common.hpp"

namespace canveg::physics {

// Stability correction of the dispersion matrix (fitted to runs with modified sigma_w):
// 0.973 * 0.7182 / (0.7182 - z/L) for unstable, 1 - 0.31 z/L for stable (discontinuous at 0, P15).
template <class T>
CANVEG_HD inline T dispersion_stability_factor(const T& zl) {
  return choose(zl < 0.0, [&] { return T((0.973 * -0.7182) / (zl - 0.7182)); }, [&] { return T(-0.31 * zl + 1.0); });
}

// c_i = sum_j D''_ij S_j dz_j / f + F_soil D'_i0 / f, shifted so the top node equals c_ref.
//   dij [N x J] row-major for u* = 1; source [J] per unit volume; delz [J]; ustar_factor = 1/u*.
template <class T>
CANVEG_HD void concentration_profile(int N, int J, const double* dij, const T* source, const double* delz,
                                     double ustar_factor, const T& stability_factor, const T& soil_flux,
                                     const T& unit_factor, double c_ref, T* weighted_source /*J scratch*/,
                                     T* out) {
  for (int j = 0; j < J; ++j) weighted_source[j] = delz[j] * source[j];
  const T scale = ustar_factor * stability_factor;
  for (int i = 0; i < N; ++i) {
    const double* row = dij + static_cast<long>(i) * J;
    T sum = 0.0;
    for (int j = 0; j < J; ++j) sum = sum + row[j] * weighted_source[j];
    const T soil_term = soil_flux * (ustar_factor * row[0]) / unit_factor;
    out[i] = scale * sum / unit_factor + soil_term;
  }
  const T top = out[N - 1];
  for (int i = 0; i < N; ++i) out[i] = out[i] + c_ref - top;
}

// The three source sums of the profiles in one pass over the transposed dispersion matrix
// (dij_t [J x N], row-major): sum_j D_ij dz_j S_j for heat, vapour and CO2 sources. The inner
// loop runs over the levels i, so it vectorises, and each level's sum still adds the layers in
// order j = 0..J-1.
template <class T>
CANVEG_HD void dispersion_sums(int N, int J, const double* __restrict__ dij_t, const double* delz, const T* source_a,
                               const T* source_b, const T* source_c, T* __restrict__ sum_a, T* __restrict__ sum_b,
                               T* __restrict__ sum_c) {
  for (int i = 0; i < N; ++i) sum_a[i] = 0.0, sum_b[i] = 0.0, sum_c[i] = 0.0;
  for (int j = 0; j < J; ++j) {
    const T wa = delz[j] * source_a[j], wb = delz[j] * source_b[j], wc = delz[j] * source_c[j];
    const double* col = dij_t + static_cast<long>(j) * N;
    for (int i = 0; i < N; ++i) {
      sum_a[i] = sum_a[i] + col[i] * wa;
      sum_b[i] = sum_b[i] + col[i] * wb;
      sum_c[i] = sum_c[i] + col[i] * wc;
    }
  }
}

// Turns a source sum into the concentration profile (see concentration_profile), in place:
// c_i = scale sum_i / f + F_soil (D_i0 / u*) / f, then shifted so the top node equals c_ref.
template <class T>
CANVEG_HD void profile_from_sums(int N, const double* dij_t /* row 0 = D_i0 */, const RowValue<T>& ustar_factor,
                                 const T& stability_factor, const T& soil_flux, const T& unit_factor,
                                 const RowValue<T>& c_ref, T* sums) {
  const T scale = ustar_factor * stability_factor;
  for (int i = 0; i < N; ++i) {
    const T soil_term = soil_flux * (ustar_factor * dij_t[i]) / unit_factor;
    sums[i] = scale * sums[i] / unit_factor + soil_term;
  }
  const T top = sums[N - 1];
  for (int i = 0; i < N; ++i) sums[i] = sums[i] + c_ref - top;
}

}  // namespace canveg::physics
