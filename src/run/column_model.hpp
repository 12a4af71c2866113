// Building the physics' view of a model (ColumnModel) and of a forcing row (RowForcing).
#pragma once

#include <vector>

#include "canveg/errors.hpp"
#include "canveg/forcing.hpp"
#include "canveg/parameters.hpp"
#include "physics/column_solver.hpp"

namespace canveg {

// Checks that a model is complete and consistent; throws InputError naming the field.
void validate_model(const Model<double>& model, const std::string& source);

// Transposed copy of the dispersion matrix, [J x N] row-major, for the profile sums.
inline std::vector<double> transpose_dij(const std::vector<double>& dij, int N, int J) {
  std::vector<double> t(dij.size());
  for (int i = 0; i < N; ++i)
    for (int j = 0; j < J; ++j) t[static_cast<std::size_t>(j) * N + i] = dij[static_cast<std::size_t>(i) * J + j];
  return t;
}

// The physics' view of a model; dij_transposed (from transpose_dij) must outlive the view.
template <class T>
physics::ColumnModel<T> make_column_model(const Model<T>& model, const std::vector<double>& dij_transposed) {
  physics::ColumnModel<T> m;
  const Setup& s = model.setup;
  m.J = s.n_can_layers;
  m.N = s.n_total_layers;
  m.latitude = s.latitude;
  m.longitude = s.longitude;
  m.time_zone = s.time_zone;
  m.leaf_angle_type = s.leaf_angle_type;
  m.amphistomatous = s.stomata == StomataType::Amphistomatous;
  m.leaf_rh = s.leaf_rh;
  m.soil_respiration = s.soil_respiration;
  m.niter = s.niter;
  m.single_dark_respiration = s.single_dark_respiration;
  m.shortwave_sweeps = s.shortwave_sweeps;
  m.implicit_soil_surface = s.formulation == Formulation::Corrected;
  m.soil_steps = s.soil_mtime;
  m.dt_soil = s.dt_soil;
  m.soil_depth = s.soil_depth;
  m.canopy_height = s.zht[m.J - 1];
  m.measurement_height = s.zht[m.N - 1];
  m.zht = s.zht.data();
  m.delz = s.delz.data();
  m.dij = model.dij.data();
  m.dij_t = dij_transposed.data();
  m.para = &model.para;
  if (!model.leaf_rh_net.empty()) m.leaf_rh_net = nn::view_of(model.leaf_rh_net);
  if (!model.rsoil_net.empty()) m.rsoil_net = nn::view_of(model.rsoil_net);
  m.var_mean = model.var_mean;
  m.var_std = model.var_std;
  m.var_max = model.var_max;
  m.var_min = model.var_min;
  m.sky = physics::make_sky_quadrature(s.leaf_angle_type);
  m.blc = physics::make_boundary_layer_constants(model.para);
  return m;
}

// The physics' view of forcing row r.
inline physics::RowForcing row_forcing(const ForcingRecord& f, std::size_t r) {
  return physics::make_row_forcing(f.row(r));
}

}  // namespace canveg
