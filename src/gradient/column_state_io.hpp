// What a column carries from one fixed-point iteration to the next, and what its initialisation
// fixes for all iterations, as flat lists of scalars (docs/gradients.md "Checkpoints").
//
// iterate_column (src/physics/column_solver.hpp) reads, besides the model and the forcing:
//  * the iterated state: longwave down/up profiles (warm start), sunlit and shaded leaf
//    temperatures, the soil temperature profile and surface temperature, the air temperature,
//    vapour and CO2 profiles, z/L, and the previous canopy Ps and Rd (alfalfa respiration);
//  * per-column constants written once by initialise_column, several of which depend on the
//    parameters: leaf area per layer and density, diffuse transmissivity, sky longwave, the soil
//    `llout`, the PAR and NIR fields, and the wind profile;
//  * double-valued set-up of the half-hour (RowHeader).
// Everything else in ColumnState is written before it is read within an iteration. Visiting both
// lists in a fixed order lets the same code checkpoint a double column, create tape leaves for a
// Var column, and seed or read adjoints.
#pragma once

#include <cstddef>

#include "physics/column_solver.hpp"
#include "physics/iterated_state.hpp"

namespace canveg::gradient {

// Double-valued per-half-hour set-up of a column (independent of the parameters).
struct RowHeader {
  physics::RowForcing forcing{};
  physics::SoilColumn soil{};
  double sin_beta = 0, g_sun = 0, cloudiness_ratio = 0;
};

template <class T>
RowHeader header_of(const physics::ColumnState<T>& s) {
  return RowHeader{s.forcing, s.soil, s.sin_beta, s.g_sun, s.cloudiness_ratio};
}

template <class T>
void apply_header(const RowHeader& h, physics::ColumnState<T>& s) {
  s.forcing = h.forcing;
  s.soil = h.soil;
  s.sin_beta = h.sin_beta;
  s.g_sun = h.g_sun;
  s.cloudiness_ratio = h.cloudiness_ratio;
}

// The iterated list (iterated_size, surface_index, visit_iterated) is physics::'s: the lane
// solver writes it straight from its lanes.
using physics::iterated_size;
using physics::surface_index;
using physics::visit_iterated;

inline std::size_t constants_size(int J) { return static_cast<std::size_t>(5 + 2 * (4 * (J + 1) + 2 * J) + J); }

template <class T, class F>
void visit_constants(physics::ColumnState<T>& s, F&& f) {
  const int J = s.J;
  f(s.leaf_area_per_layer);
  f(s.leaf_area_density);
  f(s.tau_diffuse);
  f(s.sky_longwave);
  f(s.lout_soil_init);
  for (physics::ShortwaveField<T>* w : {&s.par, &s.nir}) {
    for (int l = 0; l <= J; ++l) f(w->prob_beam[l]);
    for (int l = 0; l <= J; ++l) f(w->beam[l]);
    for (int l = 0; l <= J; ++l) f(w->up[l]);
    for (int l = 0; l <= J; ++l) f(w->down[l]);
    for (int j = 0; j < J; ++j) f(w->sun_abs[j]);
    for (int j = 0; j < J; ++j) f(w->shade_abs[j]);
  }
  for (int j = 0; j < J; ++j) f(s.wind[j]);
}

// Copies a double column's lists into flat arrays.
inline void save_iterated(physics::ColumnState<double>& s, double* out) {
  visit_iterated(s, [&out](double& x) { *out++ = x; });
}
inline void save_constants(physics::ColumnState<double>& s, double* out) {
  visit_constants(s, [&out](double& x) { *out++ = x; });
}
inline void load_iterated(physics::ColumnState<double>& s, const double* in) {
  visit_iterated(s, [&in](double& x) { x = *in++; });
}

}  // namespace canveg::gradient
