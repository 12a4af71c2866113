// Leaf energy balance of a sunlit or shaded leaf: latent heat from a quadratic in LE and leaf
// temperature from a separate quadratic in T_L - T_a (docs/model.md 2.12; Paw U 1987;
// JAX-CanVeg `leaf_energy`). The two quadratics make the leaf closure Rnet - H - LE non-zero by
// construction (pitfall P12), which the diagnostics report.
#pragma once

#include "canveg/parameters.hpp"
#include "physics/common.hpp"
#include "physics/thermo.hpp"

namespace canveg::physics {

template <class T>
struct LeafEnergy {
  T LE;       // latent heat [W m-2 leaf]
  T H;        // sensible heat [W m-2 leaf]
  T t_leaf;   // leaf temperature [K]
  T rnet;     // absorbed minus emitted radiation [W m-2 leaf]
  T vpd;      // layer VPD used [Pa], clipped to [0, 5000]
  T closure;  // rnet - H - LE
};

// Air properties of a layer, shared by its sunlit and shaded leaves.
template <class T>
struct LayerAir {
  T t_air;        // [K]
  T e_air;        // [Pa]
  T tk2, tk3;     // powers of t_air
  T l_air;        // eps sigma T_a^4 [W m-2]
  T vpd;          // clip(e_s(T_a) - e_a, 0, 5000) [Pa]
  T air_density;  // [kg m-3]
  T latent_base;  // air_density * 0.622 * lambda
  T des_dt, d2es_dt2;
};

template <class T>
CANVEG_HD inline LayerAir<T> layer_air(const T& t_air, const T& e_air, const RowValue<T>& pressure_kpa,
                                       const Parameters<T>& p) {
  LayerAir<T> a;
  a.t_air = t_air;
  a.e_air = e_air;
  a.tk2 = t_air * t_air;
  a.tk3 = a.tk2 * t_air;
  a.l_air = (p.ep * p.sigma) * (a.tk3 * t_air);
  const MoistAir<T> moist = moist_air(t_air);
  a.vpd = clip(T(moist.es - e_air), 0.0, 5000.0);
  a.air_density = pressure_kpa * (p.Mair / (p.rugc * t_air));
  a.latent_base = a.air_density * 0.622 * moist.lambda;
  a.des_dt = moist.des_dt;
  a.d2es_dt2 = moist.d2es_dt2;
  return a;
}

// q_abs: absorbed radiation of both faces [W m-2 leaf]; rb_heat, rb_vapor [s m-1]; gs [m s-1];
// air: the layer's air properties; pressure [kPa].
template <class T>
CANVEG_HD LeafEnergy<T> leaf_energy_balance(const T& q_abs, const T& rb_heat, const T& rb_vapor,
                                            const T& gs, const LayerAir<T>& air, const RowValue<T>& pressure_kpa,
                                            bool amphistomatous, const Parameters<T>& p) {
  // Conductance to water vapour g_w = 1 / r_water: stomata and boundary layer in series,
  // r_water = r_b + 1/g_s, or two faces in parallel, each with r_b + 2/g_s, so r_water is half of
  // that. Written with one division (two for two faces): physics/photosynthesis.hpp says why.
  T gw;
  if (!amphistomatous) {
    gw = gs / (1.0 + gs * rb_vapor);
  } else {
    gw = 2.0 / (rb_vapor + 2.0 / gs);
  }
  const T epsigma = p.ep * p.sigma;
  const T& tk2 = air.tk2;
  const T& tk3 = air.tk3;
  const T& l_air = air.l_air;
  const T& d2est = air.d2es_dt2;
  const T& dest = air.des_dt;
  const T& vpd = air.vpd;
  const T lecoef = (1.0 / (pressure_kpa * 1000.0)) * (air.latent_base * gw);
  const T hcoef = air.air_density * p.Cp / rb_heat;
  const T hcoef2 = 2.0 * hcoef;
  const T repeat = hcoef2 + 8.0 * epsigma * tk3;
  const T llout2 = 2.0 * l_air;

  T a, b, c;
  if (!amphistomatous) {
    a = lecoef * d2est / (2.0 * repeat) / 2.0;
    b = -repeat - lecoef * dest + a * (-2.0 * q_abs + 4.0 * l_air);
    c = a * (q_abs * q_abs - 4.0 * q_abs * l_air + 4.0 * l_air * l_air) +
        lecoef * (vpd * repeat + dest * (q_abs - 2.0 * l_air));
  } else {
    // The extra 1/repeat on the a-terms of b is inherited from the legacy code (P12).
    a = lecoef * d2est / (2.0 * repeat);
    b = -repeat - lecoef * dest - (q_abs / repeat) * (2.0 * a) + 2.0 * a * (2.0 * l_air / repeat);
    c = repeat * lecoef * vpd + lecoef * dest * (q_abs - llout2) +
        lecoef * d2est / 2.0 * (q_abs * q_abs - 4.0 * q_abs * l_air + 4.0 * l_air * l_air) / repeat;
  }
  const T product = floor_at(T(b * b - 4.0 * a * c), 0.0);
  LeafEnergy<T> out;
  out.LE = (-b - sqrt_nonneg(product)) / (2.0 * a);

  const T a_t = 12.0 * epsigma * tk2 + d2est * lecoef / 2.0;
  const T b_t = 8.0 * epsigma * tk3 + hcoef2 + lecoef * dest;
  const T c_t = -q_abs + 2.0 * l_air + lecoef * vpd;
  const T disc_t = b_t * b_t - 4.0 * a_t * c_t;
  const T del_tk = choose(disc_t >= 0.0, [&] { return T((-b_t + sqrt_nonneg(disc_t)) / (2.0 * a_t)); },
                          [] { return T(0.0); });
  out.t_leaf = air.t_air + del_tk;
  out.H = hcoef2 * del_tk;
  const T tl2 = out.t_leaf * out.t_leaf;
  const T l_out = 2.0 * epsigma * (tl2 * tl2);
  out.rnet = q_abs - l_out;
  out.vpd = vpd;
  out.closure = out.rnet - out.H - out.LE;
  return out;
}

// Convenience form taking the layer air temperature [K] and vapour pressure [Pa] directly.
template <class T>
CANVEG_HD LeafEnergy<T> leaf_energy_balance(const T& q_abs, const T& rb_heat, const T& rb_vapor,
                                            const T& gs, const T& t_air, const T& e_air,
                                            const RowValue<T>& pressure_kpa, bool amphistomatous,
                                            const Parameters<T>& p) {
  return leaf_energy_balance(q_abs, rb_heat, rb_vapor, gs, layer_air(t_air, e_air, pressure_kpa, p),
                             pressure_kpa, amphistomatous, p);
}

}  // namespace canveg::physics
