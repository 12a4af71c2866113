// Leaf boundary-layer resistances for heat, water vapour and CO2 (docs/model.md 2.10;
// Schuepp 1993, Grace & Wilson 1981; JAX-CanVeg `boundary_resistance`).
#pragma once

#include "canveg/parameters.hpp"
#include "physics/common.hpp"

namespace canveg::physics {

template <class T>
struct BoundaryResistance {
  T heat;   // r_b,h [s m-1]
  T vapor;  // r_b,v [s m-1]
  T co2;    // r_b,c [s m-1]
};

// Precomputed parameter groups (Para properties): Prandtl and Schmidt numbers to the 0.33 power,
// Grashof prefactor 9.8 l^3 / nu^2 with the STP viscosity.
template <class T>
struct BoundaryLayerConstants {
  T pr33, sc33, scc33, grashof;
  T nu, d_heat, d_vapor, d_co2;  // SI [m2 s-1] at STP
};

template <class T>
CANVEG_HD inline BoundaryLayerConstants<T> make_boundary_layer_constants(const Parameters<T>& p) {
  BoundaryLayerConstants<T> c;
  c.pr33 = pow(p.nuvisc / p.dh, 0.33);
  c.sc33 = pow(p.nuvisc / p.dv, 0.33);
  c.scc33 = pow(p.nuvisc / p.dc, 0.33);
  c.nu = p.nuvisc * 1e-6;
  c.d_heat = p.dh * 1e-6;
  c.d_vapor = p.dv * 1e-6;
  c.d_co2 = p.dc * 1e-6;
  c.grashof = 9.8 * pow(p.lleaf, 3.0) / (c.nu * c.nu);
  return c;
}

// Temperature and pressure scaling of the molecular diffusivities, (101.3/P) (T/273.16)^1.81.
template <class T>
CANVEG_HD inline T diffusivity_scaling(const T& t_air, const RowValue<T>& pressure_kpa) {
  return (101.3 / pressure_kpa) * pow(t_air / 273.16, 1.81);
}

// t_leaf, t_air [K], wind [m s-1] at the layer, tp_factor = diffusivity_scaling(t_air, P).
template <class T>
CANVEG_HD inline BoundaryResistance<T> boundary_resistance_scaled(const T& t_leaf, const T& t_air,
                                                                  const RowValue<T>& wind,
                                                           const T& tp_factor, const Parameters<T>& p,
                                                           const BoundaryLayerConstants<T>& c) {
  T grashof = c.grashof * (t_leaf - t_air) / t_air;
  grashof = floor_at(grashof, 0.0);
  const T nu_tp = c.nu * tp_factor;
  const T reynolds = p.lleaf * wind / nu_tp;
  const T forced = choose(
      reynolds > 14000.0, [&] { return T(0.036 * pow(reynolds, 0.8) * p.betfac); },
      [&] { return T(0.66 * sqrt(reynolds) * p.betfac); });
  // Free convection replaces forced convection when Gr / Re^2 > 1. As in JAX-CanVeg the first
  // true case is taken, and the first formula when no case holds (NaN inputs).
  const T ratio = grashof / (reynolds * reynolds);
  const T nusselt = choose(
      ratio > 1.0 && grashof >= 100000.0, [&] { return T(0.13 * pow(grashof, 0.33)); },
      [&] { return choose(ratio <= 1.0, [&] { return forced; }, [&] { return T(0.5 * pow(grashof, 0.25)); }); });
  BoundaryResistance<T> r;
  r.heat = p.lleaf / (c.d_heat * tp_factor * (nusselt * c.pr33));
  r.vapor = p.lleaf / (c.d_vapor * tp_factor * (nusselt * c.sc33));
  r.co2 = p.lleaf / (c.d_co2 * tp_factor * (nusselt * c.scc33));
  return r;
}

// Convenience form with the pressure [kPa] instead of the precomputed scaling.
template <class T>
CANVEG_HD inline BoundaryResistance<T> boundary_resistance(const T& t_leaf, const T& t_air,
                                                           const RowValue<T>& wind,
                                                           const RowValue<T>& pressure_kpa, const Parameters<T>& p,
                                                           const BoundaryLayerConstants<T>& c) {
  return boundary_resistance_scaled(t_leaf, t_air, wind, diffusivity_scaling(t_air, pressure_kpa), p, c);
}

}  // namespace canveg::physics
