// Soil energy balance: thermal properties of the (alfalfa) soil, heat conduction in 10 layers
// with a theta-scheme, soil-surface evaporation and temperature from quadratics
// (docs/model.md 2.13; Campbell 1985, Kondo et al. 1990, Daamen & Simmonds 1996;
// JAX-CanVeg `soil_energy_balance`, `finite_difference_matrix`, `initialize_soil`).
#pragma once

#include "canveg/parameters.hpp"
#include "physics/common.hpp"
#include "physics/thermo.hpp"

namespace canveg::physics {

inline constexpr int kSoilLayers = 10;            // n_s
inline constexpr int kSoilNodes = kSoilLayers + 1;  // nodes 0 (surface) .. 10 (lower boundary)
// Columns of the conduction map: nodes 0..10, the surface value, the constant term.
inline constexpr int kConductionMapColumns = kSoilNodes + 2;
inline constexpr int kConductionSurfaceColumn = kSoilNodes;
inline constexpr int kConductionConstantColumn = kSoilNodes + 1;

// Per-column soil properties; constant over the fixed-point iterations of a half-hour. V is
// double for one half-hour, a SIMD lane type for several (RowValue).
template <class V>
struct SoilColumnOf {
  V dz[kSoilLayers];        // layer thickness [m]
  V k_cond[kSoilLayers];    // K_soil / dz [W m-2 K-1]
  V cp_node[kSoilLayers];   // C_soil d2z / (2 dt) [W m-2 K-1]
  V heat_capacity;          // C_soil [J m-3 K-1]
  V conductivity;           // K_soil [W m-1 K-1]
  V surface_resistance;     // r_soil for water vapour [s m-1]
  // Thomas-algorithm factors of the constant tridiagonal matrix (rows 1..9).
  V elim_factor[kSoilLayers];  // a_m / b'_{m-1}
  V pivot[kSoilLayers];        // b'_m
  V lower_boundary;            // T at node 10 [K]
  // The half-hour's conduction sub-steps as one affine map (soil_conduction_map):
  // t_new[m] = sum_k map[m][k] t[k] + map[m][surface] t_surface + map[m][constant], m = 0..9.
  V conduction_map[kSoilLayers][kConductionMapColumns];

  // Calls fn(member of *this, the same member of other) for every value but the map, then for
  // the map's (zip_map), in declaration order.
  template <class Other, class Fn>
  void zip(Other& other, Fn&& fn) {
    zip_properties(other, fn);
    zip_map(other, fn);
  }
  template <class Other, class Fn>
  void zip_properties(Other& other, Fn&& fn) {
    for (int m = 0; m < kSoilLayers; ++m) {
      fn(dz[m], other.dz[m]);
      fn(k_cond[m], other.k_cond[m]);
      fn(cp_node[m], other.cp_node[m]);
      fn(elim_factor[m], other.elim_factor[m]);
      fn(pivot[m], other.pivot[m]);
    }
    fn(heat_capacity, other.heat_capacity);
    fn(conductivity, other.conductivity);
    fn(surface_resistance, other.surface_resistance);
    fn(lower_boundary, other.lower_boundary);
  }
  template <class Other, class Fn>
  void zip_map(Other& other, Fn&& fn) {
    for (int m = 0; m < kSoilLayers; ++m)
      for (int k = 0; k < kConductionMapColumns; ++k) fn(conduction_map[m][k], other.conduction_map[m][k]);
  }
};
using SoilColumn = SoilColumnOf<double>;

// Soil layer thicknesses for a total depth: dz_m = depth 2^(m+1) / sum_{k=1..10} 2^k.
CANVEG_HD inline void soil_layer_thickness(double depth, double* dz) {
  double total = 0.0;
  for (int m = 1; m <= kSoilLayers; ++m) total += static_cast<double>(1 << m);
  for (int m = 0; m < kSoilLayers; ++m) dz[m] = depth / total * static_cast<double>(1 << (m + 1));
}

template <class V>
CANVEG_HD void soil_conduction_map(SoilColumnOf<V>& s, int n_steps);

// Everything of the soil column but its conduction map. swc [m3 m-3]; t_air [K]; pressure [kPa];
// t_soil_low [K]; dt_soil [s].
CANVEG_HD inline SoilColumn soil_column_properties(double depth, double swc, double t_air_k, double pressure_kpa,
                                                   double t_soil_low_k, double dt_soil) {
  SoilColumn s{};
  soil_layer_thickness(depth, s.dz);
  const double bulk_density = 1.06;                         // g cm-3
  const double pore_fraction = 1.0 - bulk_density / 2.65;
  const double peat_fraction = 0.08;
  const double mineral_fraction = 1.0 - pore_fraction - peat_fraction;
  const double air_fraction = pore_fraction - swc;
  const double cp_water = 4180.0, cp_air = 1065.0, cp_org = 1920.0, cp_mineral = 870.0;
  const double k_mineral = 2.5, k_org = 0.8, k_water = 0.25;

  const double air_density = pressure_kpa * kMolarMassAir / (kGasConstant * t_air_k);
  const double air_density_mole = 1000.0 * air_density / kMolarMassAir;
  const double fw = 1.0 / (1.0 + pow(swc / 0.15, -4.0));
  const double k_air = 0.024 + 44100.0 * 2.42e-5 * fw * air_density_mole * des_dt(t_air_k) / (pressure_kpa * 1000.0);
  const double k_fluid = k_air + fw * (k_water - k_air);
  auto weight = [&](double k) {
    return 2.0 / (3.0 * (1.0 + 0.2 * (k / k_fluid - 1.0))) +
           1.0 / (3.0 * (1.0 + (1.0 - 2.0 * 0.2) * (k / k_fluid - 1.0)));
  };
  const double w_air = weight(k_air), w_water = weight(k_water), w_org = weight(k_org),
               w_mineral = weight(k_mineral);
  // The organic term uses the mineral conductivity, as in both JAX-CanVeg and legacy CanVeg.
  const double numerator = mineral_fraction * w_mineral * k_mineral + air_fraction * w_air * k_air +
                           swc * w_water * k_water + peat_fraction * w_org * k_mineral;
  s.conductivity = numerator / (mineral_fraction * w_mineral + air_fraction * w_air + swc * w_water +
                                peat_fraction * w_org);
  s.heat_capacity = air_density * air_fraction * cp_air + 1000.0 * cp_water * swc +
                    1300.0 * cp_org * peat_fraction + 2650.0 * cp_mineral * mineral_fraction;
  double z[kSoilNodes];
  z[0] = 0.0;
  for (int m = 0; m < kSoilLayers; ++m) z[m + 1] = z[m] + s.dz[m];
  for (int m = 0; m < kSoilLayers; ++m) {
    const double d2z = m == 0 ? s.dz[0] : z[m + 1] - z[m - 1];
    s.cp_node[m] = s.heat_capacity * d2z / (2.0 * dt_soil);
    s.k_cond[m] = s.conductivity * (1.0 / s.dz[m]);
  }
  // Surface resistance to evaporation (theta divided by 10 as in the code, pitfall P13).
  s.surface_resistance = 3.0e10 * pow(0.395 - swc / 10.0, 16.6);
  s.lower_boundary = t_soil_low_k;

  // Forward elimination of the constant matrix (implicit weight F = 0.6); node 0 is Dirichlet.
  const double f_implicit = 0.6;
  double b_prev = 1.0, c_prev = 0.0;
  s.pivot[0] = 1.0;
  s.elim_factor[0] = 0.0;
  for (int m = 1; m < kSoilLayers; ++m) {
    const double a = -s.k_cond[m - 1] * f_implicit;
    const double b = f_implicit * (s.k_cond[m] + s.k_cond[m - 1]) + s.cp_node[m];
    const double mm = a / b_prev;
    const double b_new = b - mm * c_prev;
    s.elim_factor[m] = mm;
    s.pivot[m] = b_new;
    b_prev = b_new;
    c_prev = (m == kSoilLayers - 1) ? 0.0 : -s.k_cond[m] * f_implicit;
  }
  return s;
}

// The soil column of a half-hour with conduction_steps theta-scheme sub-steps (JAX-CanVeg: 90)
// folded into its conduction map.
CANVEG_HD inline SoilColumn make_soil_column(double depth, double swc, double t_air_k, double pressure_kpa,
                                             double t_soil_low_k, double dt_soil, int conduction_steps) {
  SoilColumn s = soil_column_properties(depth, swc, t_air_k, pressure_kpa, t_soil_low_k, dt_soil);
  soil_conduction_map(s, conduction_steps);
  return s;
}

// One theta-scheme sub-step of t[0..10] with node 0 set to t_surface and node 10 held, the
// lower boundary entering row 9 as `lower` (JAX `finite_difference_matrix`).
template <class T, class V>
CANVEG_HD void soil_theta_step(const SoilColumnOf<V>& s, const T& t_surface, const V& lower, T* t) {
  const double f_implicit = 0.6;
  const double g_explicit = 1.0 - f_implicit;
  T d[kSoilLayers];
  d[0] = t_surface;
  for (int m = 1; m < kSoilLayers; ++m) {
    const V& k_up = s.k_cond[m - 1];
    const V& k_cu = s.k_cond[m];
    const V& cp = s.cp_node[m];
    d[m] = t[m - 1] * k_up * g_explicit + t[m] * cp - t[m] * k_cu * g_explicit - t[m] * k_up * g_explicit +
           t[m + 1] * k_cu * g_explicit;
  }
  d[kSoilLayers - 1] = d[kSoilLayers - 1] + f_implicit * s.k_cond[kSoilLayers - 1] * lower;
  for (int m = 1; m < kSoilLayers; ++m) d[m] = d[m] - s.elim_factor[m] * d[m - 1];
  // Back substitution; c_m = -k_m F for rows 1..8, 0 for rows 0 and 9.
  T below = t[kSoilLayers];
  for (int m = kSoilLayers - 1; m >= 0; --m) {
    const V c = (m == 0 || m == kSoilLayers - 1) ? V(0.0) : V(-s.k_cond[m] * f_implicit);
    const T value = (d[m] - c * below) / s.pivot[m];
    t[m] = value;
    below = value;
  }
}

// Advances the soil temperature profile t[0..10] by n_steps theta-scheme sub-steps with node 0
// held at t_surface and node 10 at the lower boundary, one step after another (the definition;
// the model applies the equivalent s.conduction_map, conduct_soil_heat).
template <class T>
CANVEG_HD void soil_heat_conduction(const SoilColumnOf<RowValue<T>>& s, const T& t_surface, int n_steps, T* t) {
  for (int step = 0; step < n_steps; ++step) soil_theta_step(s, t_surface, s.lower_boundary, t);
}

// The conduction of a half-hour, n_steps sub-steps, as one affine map of (t[0..10], t_surface):
// a sub-step is linear in the profile, the surface value and the lower boundary with coefficients
// constant over the half-hour, so its n-th power is computed once per half-hour by repeated
// squaring (about 10 compositions of 10 x 13 maps) instead of n tridiagonal solves per
// iteration. Node 10 and the surface value are held, so a map acts on the 10 free nodes:
// (A, B) with t'[0..9] = A t[0..9] + B (t[10], t_surface, 1). V: double, or SIMD lanes for the
// maps of several half-hours at once.
template <class V>
CANVEG_HD void soil_conduction_map(SoilColumnOf<V>& s, int n_steps) {
  constexpr int L = kSoilLayers, C = kConductionMapColumns;
  using Map = V[L][C];
  const auto copy = [](const Map& from, Map& to) {
    for (int m = 0; m < L; ++m)
      for (int k = 0; k < C; ++k) to[m][k] = from[m][k];
  };
  // The map of one sub-step, column by column: the step applied to each unit input.
  Map power;
  for (int k = 0; k < C; ++k) {
    V t[kSoilNodes];
    for (int m = 0; m < kSoilNodes; ++m) t[m] = V(m == k ? 1.0 : 0.0);
    const V surface(k == kConductionSurfaceColumn ? 1.0 : 0.0);
    const V lower = k == kConductionConstantColumn ? s.lower_boundary : V(0.0);
    soil_theta_step(s, surface, lower, t);
    for (int m = 0; m < L; ++m) power[m][k] = t[m];
  }
  // second o first: the held inputs (columns L..C-1) pass through the free-node part.
  const auto compose = [](const Map& second, const Map& first, Map& out) {
    for (int m = 0; m < L; ++m) {
      V row[C];
      for (int k = 0; k < C; ++k) row[k] = k < L ? V(0.0) : second[m][k];
      for (int j = 0; j < L; ++j) {
        const V a = second[m][j];
        for (int k = 0; k < C; ++k) row[k] = row[k] + a * first[j][k];
      }
      for (int k = 0; k < C; ++k) out[m][k] = row[k];
    }
  };
  Map& result = s.conduction_map;
  for (int m = 0; m < L; ++m)
    for (int k = 0; k < C; ++k) result[m][k] = V(m == k ? 1.0 : 0.0);  // the identity (zero steps)
  bool identity = true;
  Map scratch;
  for (int n = n_steps; n > 0; n >>= 1) {
    if (n & 1) {
      if (identity) {
        copy(power, result);
        identity = false;
      } else {
        compose(power, result, scratch);
        copy(scratch, result);
      }
    }
    if (n > 1) {
      compose(power, power, scratch);
      copy(scratch, power);
    }
  }
}

// The half-hour's conduction sub-steps applied to t[0..10] with node 0 held at t_surface: the
// same result as soil_heat_conduction over the steps s was made for, to round-off.
template <class T>
CANVEG_HD void conduct_soil_heat(const SoilColumnOf<RowValue<T>>& s, const T& t_surface, T* t) {
  T next[kSoilLayers];
  for (int m = 0; m < kSoilLayers; ++m) {
    const auto& row = s.conduction_map[m];
    T sum = row[kConductionConstantColumn] + row[kConductionSurfaceColumn] * t_surface;
    for (int k = 0; k < kSoilNodes; ++k) sum = sum + row[k] * t[k];
    next[m] = sum;
  }
  for (int m = 0; m < kSoilLayers; ++m) t[m] = next[m];
}

template <class T>
struct SoilSurface {
  T evaporation;   // LE_s [W m-2]
  T heat;          // H_s [W m-2]
  T rnet;          // R_n,s [W m-2]
  T gsoil;         // G incl. storage [W m-2]
  T temperature;   // new surface temperature [K]
};

// Surface energy balance after the conduction sub-steps.
//   q_soil: absorbed radiation [W m-2] (PAR/4.6 + NIR + eps_s L_down at level 0)
//   g_conductive: k_0 (T_0 - T_1); storage: gamma_0 (T_0,t - T_0,t-1) or 0
//   t_air_node0, e_air_node0: profile node 0; t_air_node1: profile node 1; wind_soil: layer-1 wind
//   z1: height of node 1; t_surface_prev: previous-iteration surface temperature
//   lout_old: eps_leaf sigma T_ref^4 (fixed at initialisation, P13).
template <class T>
CANVEG_HD SoilSurface<T> soil_surface_balance(const SoilColumnOf<RowValue<T>>& s, const T& q_soil,
                                              const T& g_conductive, const T& storage, const T& t_air_node0,
                                              const T& e_air_node0, const T& t_air_node1,
                                              const RowValue<T>& wind_soil, double z1, const T& t_surface_prev,
                                              const T& lout_old, const RowValue<T>& air_density,
                                              const RowValue<T>& pressure_kpa, const Parameters<T>& p) {
  const double soil_z0 = 0.02;
  const RowValue<T> ram = pow(log(z1 / soil_z0), 2.0) / (0.4 * 0.4 * wind_soil);
  T stabdel = 5.0 * 9.8 * z1 * (t_surface_prev - t_air_node1) / (t_air_node1 * wind_soil * wind_soil);
  stabdel = floor_at(stabdel, -1e5);
  const RowValue<T> exponent = where(stabdel > 0.0, RowValue<T>(-0.75), RowValue<T>(-2.0));
  T facstab = pow(1.0 + stabdel, exponent);
  facstab = clip(facstab, 0.1, 5.0);
  T rh_soil = ram * facstab;
  rh_soil = clip(rh_soil, 25.0, 1000.0);
  const T kcsoil = (p.Cp * air_density) / rh_soil;
  const T kv_soil = 1.0 / (rh_soil + s.surface_resistance);

  const T tk1 = t_air_node0;
  const T tk2 = tk1 * tk1;
  const T tk3 = tk2 * tk1;
  const MoistAir<T> moist = moist_air(tk1);
  const T& dest = moist.des_dt;
  const T& d2est = moist.d2es_dt2;
  const T& lambda = moist.lambda;
  const T vpd = moist.es - e_air_node0;

  const T gsoil = g_conductive + storage;
  const T lecoef = air_density * 0.622 * lambda * kv_soil / (pressure_kpa * 1000.0);
  const T repeat = kcsoil + 4.0 * p.epsoil * p.sigma * tk3;
  const T a = lecoef * d2est / (2.0 * repeat);
  const T b = -repeat - lecoef * dest + a * (-2.0 * q_soil + 2.0 * lout_old + 2.0 * gsoil);
  const T c = repeat * lecoef * vpd + lecoef * dest * (q_soil - lout_old - gsoil) +
              a * (q_soil * q_soil + lout_old * lout_old + gsoil * gsoil - 2.0 * q_soil * lout_old -
                   2.0 * q_soil * gsoil + 2.0 * gsoil * lout_old);
  // The discriminant is floored at 10, not 0 (P13).
  const T product = floor_at(T(b * b - 4.0 * a * c), 10.0);
  SoilSurface<T> out;
  out.evaporation = (-b - sqrt(product)) / (2.0 * a);

  const T a_t = 6.0 * p.epsoil * p.sigma * tk2 + d2est * lecoef / 2.0;
  const T b_t = 4.0 * p.epsoil * p.sigma * tk3 + kcsoil + lecoef * dest;
  const T c_t = -q_soil + lout_old + g_conductive + lecoef * vpd;
  const T disc = b_t * b_t - 4.0 * a_t * c_t;
  const T del_tk = choose(disc > 0.0, [&] { return T((-b_t + sqrt(disc)) / (2.0 * a_t)); }, [] { return T(0.0); });
  // Linearised about node 0 but added to node 1, as in the code (P13).
  out.temperature = t_air_node1 + del_tk;
  const T ts2 = out.temperature * out.temperature;
  out.rnet = q_soil - p.epsoil * p.sigma * (ts2 * ts2);
  out.heat = del_tk * kcsoil;
  out.gsoil = gsoil;
  return out;
}

// The soil surface temperature of the corrected formulation: the temperature x that, as the upper
// boundary of the conduction over the step, gives the G for which the surface balance returns x
// again. JAX-CanVeg instead conducts with the previous iteration's surface temperature; with weak
// turbulent exchange over the soil (calm nights, r_h at its 1000 s m-1 clip) the surface
// temperature then reacts to G by more than G reacts to it, and the two alternate with a growing
// amplitude from iteration to iteration (docs/reliability.md, "Implausible states").
//
// The conduction is linear in its boundary value, so two runs of it (boundary b and b + 1 K) give
// G(x) = g_b + gamma (x - b) and the profile for any x exactly. The balance surface(G).temperature
// falls as G rises, so x - surface(G(x)).temperature is monotone: a bracketed search on values
// finds the root, and a last Newton step in T carries the derivative of the implicit solution.
template <class T, class Surface>
CANVEG_HD SoilSurface<T> solve_soil_surface(const SoilColumnOf<RowValue<T>>& s, const T& t_boundary,
                                            T* t, const Surface& surface) {
  // V: values of one half-hour (double) or of a vector of them, for which every branch below is a
  // lane-wise choice and every loop runs until no lane needs it (each lane's values are those of
  // the one-half-hour search).
  using V = RowValue<T>;
  T shifted[kSoilNodes];
  for (int k = 0; k < kSoilNodes; ++k) shifted[k] = t[k];
  conduct_soil_heat(s, t_boundary, t);
  conduct_soil_heat(s, T(t_boundary + 1.0), shifted);
  const T g_b = s.k_cond[0] * (t[0] - t[1]);
  const T gamma = s.k_cond[0] * (shifted[0] - shifted[1]) - g_b;  // W m-2 K-1
  const V b = value_of(t_boundary);
  const auto residual = [&](const V& x) {  // surface(G(x)) - x, values only
    return V(value_of(surface(T(g_b + gamma * (x - b))).temperature) - x);
  };
  // Bracket the root, then regula falsi (Illinois) on values.
  V lo = b, r_lo = residual(lo);
  V step = where(r_lo > 0.0, V(1.0), V(-1.0)), hi = b + step, r_hi = residual(hi);
  auto bracketing = (r_hi > 0.0) == (r_lo > 0.0) && r_hi != 0.0;
  for (int i = 0; i < 60 && any_lane(bracketing); ++i) {
    lo = where(bracketing, hi, lo);
    r_lo = where(bracketing, r_hi, r_lo);
    step = where(bracketing, V(step * 2.0), step);
    hi = where(bracketing, V(b + step), hi);
    r_hi = where(bracketing, residual(hi), r_hi);
    bracketing = bracketing && (r_hi > 0.0) == (r_lo > 0.0) && r_hi != 0.0;
  }
  V x = where(r_hi == 0.0, hi, lo);
  auto searching = (r_hi > 0.0) != (r_lo > 0.0);
  V side = 0.0;  // -1, 0, +1: which end moved last (Illinois halves the other end's residual)
  for (int i = 0; i < 100 && any_lane(searching); ++i) {
    x = where(searching, V((lo * r_hi - hi * r_lo) / (r_hi - r_lo)), x);
    const V r = residual(x);
    searching = searching && !(r == 0.0 || abs(hi - lo) < 1e-10 * abs(x));
    const auto moves_hi = searching && (r > 0.0) == (r_hi > 0.0);
    const auto moves_lo = searching && (r > 0.0) != (r_hi > 0.0);
    hi = where(moves_hi, x, hi);
    r_hi = where(moves_hi, r, r_hi);
    r_lo = where(moves_hi && side == 1.0, V(r_lo * 0.5), r_lo);
    lo = where(moves_lo, x, lo);
    r_lo = where(moves_lo, r, r_lo);
    r_hi = where(moves_lo && side == -1.0, V(r_hi * 0.5), r_hi);
    side = where(moves_hi, V(1.0), where(moves_lo, V(-1.0), side));
  }
  // One Newton step in T about the converged value: its value hardly moves, and its derivative
  // is that of the implicit solution (-dr/dp / dr/dx).
  const V h = 1e-4 * max_of(V(1.0), V(abs(x)));
  const V slope = (residual(V(x + h)) - residual(V(x - h))) / (2.0 * h);
  T x_t = T(x);
  // Offsets from t_boundary in T, not its value b: the profiles carry t_boundary's derivative,
  // which must cancel so that the solution depends on x alone.
  const auto usable = slope != 0.0 && is_finite(slope);
  if (any_lane(usable))
    x_t = where(usable, T(x_t - (surface(T(g_b + gamma * (x_t - t_boundary))).temperature - x_t) / slope), x_t);
  // The profile and G of the boundary x_t (exact: the conduction is linear in it).
  for (int k = 0; k < kSoilNodes; ++k) t[k] = t[k] + (shifted[k] - t[k]) * (x_t - t_boundary);
  return surface(T(s.k_cond[0] * (t[0] - t[1])));
}

}  // namespace canveg::physics
