// The outputs of a finished column (docs/model.md 2.18): the one place where canopy fluxes are
// formed from the column state, for the forward run, the gradient's loss and its adjoint seeds,
// and the tests. One member per line of CANVEG_OUTPUT_FIELDS / CANVEG_DIAGNOSTIC_FIELDS
// (include/canveg/fields.hpp).
#pragma once

#include <algorithm>
#include <cmath>

#include "canveg/fields.hpp"
#include "physics/column_solver.hpp"

namespace canveg::physics {

template <class T>
struct ColumnFluxes {
#define CANVEG_COLUMN_FLUX_MEMBER(name, ...) T name{};
  CANVEG_OUTPUT_FIELDS(CANVEG_COLUMN_FLUX_MEMBER)
#undef CANVEG_COLUMN_FLUX_MEMBER
};

struct ColumnDiagnostics {
#define CANVEG_COLUMN_DIAGNOSTIC_MEMBER(name, ...) double name = 0.0;
  CANVEG_DIAGNOSTIC_FIELDS(CANVEG_COLUMN_DIAGNOSTIC_MEMBER)
#undef CANVEG_COLUMN_DIAGNOSTIC_MEMBER
};

// can.LE = veg.LE + soil.evap (the latent heat the loss compares with observations).
template <class T>
CANVEG_HD T column_le(const ColumnState<T>& s) {
  return s.veg_le + s.soil_evap;
}

// veg.GPP = veg.Ps + veg.Rd (gross uptake: net photosynthesis plus leaf dark respiration).
template <class T>
CANVEG_HD T column_gpp(const ColumnState<T>& s) {
  return s.veg_ps + s.veg_rd;
}

// can.NEE = soil.resp - veg.GPP (release > 0).
template <class T>
CANVEG_HD T column_nee(const ColumnState<T>& s) {
  return s.soil_resp - column_gpp(s);
}

template <class T>
CANVEG_HD ColumnFluxes<T> column_fluxes(const ColumnState<T>& s) {
  const int J = s.J;
  ColumnFluxes<T> o;
  o.LE_veg = s.veg_le;
  o.LE_soil = s.soil_evap;
  o.H_veg = s.veg_h;
  o.H_soil = s.soil_heat;
  o.Rnet_veg = s.veg_rnet;
  o.Rnet_soil = s.soil_rnet;
  o.LE = column_le(s);
  o.H = s.veg_h + s.soil_heat;
  o.Rnet = s.veg_rnet + s.soil_rnet;
  o.GPP = column_gpp(s);
  o.NEE = column_nee(s);
  o.G = s.soil_g;
  o.Rsoil = s.soil_resp;
  o.Ps = s.veg_ps;
  o.gs = s.veg_gs;
  // Radiation balance at the top level J: PAR converted from umol m-2 s-1 to W m-2 (4.6), NIR, longwave.
  o.Rnet_top = s.par.beam[J] / 4.6 + s.par.down[J] / 4.6 - s.par.up[J] / 4.6 + s.nir.beam[J] + s.nir.down[J] -
               s.nir.up[J] + s.ir_down[J] + -s.ir_up[J];
  // LAI-weighted leaf temperature; with no leaf area the plain layer mean (JAX divides by LAI).
  if (s.forcing.lai > 0) {
    o.Tleaf = s.veg_tleaf / s.forcing.lai;
  } else {
    T sum = 0.0;
    for (int j = 0; j < J; ++j)
      sum += s.par.prob_beam[j] * s.sun.t_leaf[j] + (1.0 - s.par.prob_beam[j]) * s.shade.t_leaf[j];
    o.Tleaf = sum / J;
  }
  o.Tsoil_sfc = s.t_surface;
  o.zL = s.zl;
  return o;
}

// Energy-balance residuals of a finished double column (the `--diagnostics` outputs); `fluxes`
// is column_fluxes(s).
inline ColumnDiagnostics column_diagnostics(const ColumnModel<double>& m, const ColumnState<double>& s,
                                            const ColumnFluxes<double>& fluxes) {
  const int J = s.J;
  double leaf = 0, worst = 0, src_h = 0, src_le = 0;
  for (int j = 0; j < J; ++j) {
    const double pb = s.par.prob_beam[j], psh = 1.0 - pb;
    leaf += (pb * s.sun.closure[j] + psh * s.shade.closure[j]) * s.leaf_area_per_layer;
    worst = std::max({worst, std::abs(s.sun.closure[j]), std::abs(s.shade.closure[j])});
    // Layer sources integrated over the canopy depth equal the canopy sums by construction.
    src_h += (pb * s.sun.h[j] + psh * s.shade.h[j]) * s.leaf_area_density * m.delz[j];
    src_le += (pb * s.sun.le[j] + psh * s.shade.le[j]) * s.leaf_area_density * m.delz[j];
  }
  const ColumnFluxes<double>& o = fluxes;
  ColumnDiagnostics d;
  d.leaf_closure = leaf;
  d.layer_closure_max = worst;
  d.soil_closure = s.soil_rnet - s.soil_evap - s.soil_heat - s.soil_g;
  d.column_closure = o.Rnet - o.LE - o.H - o.G;
  d.aggregation_error = (s.forcing.lai > 0 ? std::abs(src_h - s.veg_h) + std::abs(src_le - s.veg_le) : 0.0) +
                        std::abs(o.LE - (o.LE_veg + o.LE_soil)) + std::abs(o.H - (o.H_veg + o.H_soil)) +
                        std::abs(o.Rnet - (o.Rnet_veg + o.Rnet_soil));
  return d;
}

}  // namespace canveg::physics
