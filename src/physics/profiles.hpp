// Scalar concentration profiles from layer sources and the Lagrangian dispersion matrix
// (docs/model.md 2.15-2.16; Raupach 1989 localized near-field theory; JAX-CanVeg `conc`).
#pragma once

#include <type_traits>

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

// The nodes a profile is computed at: the lowest `lower` ones and the top node N-1, which the
// shift to the reference concentration needs (lower = N: every node). The air in the canopy and
// at the first node above it (0..J) is all an iteration reads, so a run that does not report the
// air above the canopy leaves out the nodes J+1..N-2 (ColumnModel::air_above_canopy); each
// computed node's value is the same bit for bit either way.
struct ProfileLevels {
  int N = 0;      // canopy + atmosphere nodes
  int lower = 0;  // nodes 0..lower-1, then N-1
  CANVEG_HD int count() const { return lower < N ? lower + 1 : N; }
  CANVEG_HD int node(int k) const { return k < lower ? k : N - 1; }
};

// The three source sums of the profiles in one pass over the transposed dispersion matrix
// (dij_t [J x N], row-major): sum_j D_ij dz_j S_j for heat, vapour and CO2 sources, at the nodes
// of `levels`. The inner loop runs over the nodes i, so it vectorises, and each node's sum still
// adds the layers in order j = 0..J-1.
//
// For SIMD lanes (a plain type other than double) the sums are kept in registers instead: four
// nodes at a time, each adding its layers in the same order j = 0..J-1 with the same operations,
// so the sums are the same bit for bit; the loop over nodes above would load and store every
// partial sum of the 8 half-hours at every layer. dij [N x J] is the matrix itself.
template <class T>
CANVEG_HD void dispersion_sums(ProfileLevels levels, int J, const double* __restrict__ dij,
                               const double* __restrict__ dij_t, const double* delz, const T* source_a,
                               const T* source_b, const T* source_c, T* __restrict__ sum_a, T* __restrict__ sum_b,
                               T* __restrict__ sum_c) {
  const int N = levels.N, lower = levels.lower;
  if constexpr (std::is_same_v<T, RowValue<T>> && !std::is_same_v<T, double>) {
    constexpr int kLevels = 4;
    int i = 0;
    for (; i + kLevels <= lower; i += kLevels) {
      T a[kLevels], b[kLevels], c[kLevels];
      for (int r = 0; r < kLevels; ++r) a[r] = 0.0, b[r] = 0.0, c[r] = 0.0;
      for (int j = 0; j < J; ++j) {
        const T wa = delz[j] * source_a[j], wb = delz[j] * source_b[j], wc = delz[j] * source_c[j];
        for (int r = 0; r < kLevels; ++r) {
          const double d = dij[static_cast<long>(i + r) * J + j];
          a[r] = a[r] + d * wa;
          b[r] = b[r] + d * wb;
          c[r] = c[r] + d * wc;
        }
      }
      for (int r = 0; r < kLevels; ++r) sum_a[i + r] = a[r], sum_b[i + r] = b[r], sum_c[i + r] = c[r];
    }
    const auto one_node = [&](int node) {
      T a = 0.0, b = 0.0, c = 0.0;
      for (int j = 0; j < J; ++j) {
        const T wa = delz[j] * source_a[j], wb = delz[j] * source_b[j], wc = delz[j] * source_c[j];
        const double d = dij[static_cast<long>(node) * J + j];
        a = a + d * wa;
        b = b + d * wb;
        c = c + d * wc;
      }
      sum_a[node] = a, sum_b[node] = b, sum_c[node] = c;
    };
    for (; i < lower; ++i) one_node(i);
    if (lower < N) one_node(N - 1);
    return;
  }
  const int top = N - 1;
  const bool top_apart = lower < N;
  for (int i = 0; i < lower; ++i) sum_a[i] = 0.0, sum_b[i] = 0.0, sum_c[i] = 0.0;
  if (top_apart) sum_a[top] = 0.0, sum_b[top] = 0.0, sum_c[top] = 0.0;
  for (int j = 0; j < J; ++j) {
    const T wa = delz[j] * source_a[j], wb = delz[j] * source_b[j], wc = delz[j] * source_c[j];
    const double* col = dij_t + static_cast<long>(j) * N;
    for (int i = 0; i < lower; ++i) {
      sum_a[i] = sum_a[i] + col[i] * wa;
      sum_b[i] = sum_b[i] + col[i] * wb;
      sum_c[i] = sum_c[i] + col[i] * wc;
    }
    if (top_apart) {
      sum_a[top] = sum_a[top] + col[top] * wa;
      sum_b[top] = sum_b[top] + col[top] * wb;
      sum_c[top] = sum_c[top] + col[top] * wc;
    }
  }
}

// Turns a source sum into the concentration profile (see concentration_profile), in place, at the
// nodes of `levels`: c_i = scale sum_i / f + F_soil (D_i0 / u*) / f, then shifted so the top node
// equals c_ref.
template <class T>
CANVEG_HD void profile_from_sums(ProfileLevels levels, const double* dij_t /* row 0 = D_i0 */,
                                 const RowValue<T>& ustar_factor, const T& stability_factor, const T& soil_flux,
                                 const T& unit_factor, const RowValue<T>& c_ref, T* sums) {
  const T scale = ustar_factor * stability_factor;
  const int count = levels.count();
  for (int k = 0; k < count; ++k) {
    const int i = levels.node(k);
    const T soil_term = soil_flux * (ustar_factor * dij_t[i]) / unit_factor;
    sums[i] = scale * sums[i] / unit_factor + soil_term;
  }
  const T top = sums[levels.N - 1];
  for (int k = 0; k < count; ++k) {
    const int i = levels.node(k);
    sums[i] = sums[i] + c_ref - top;
  }
}

}  // namespace canveg::physics
