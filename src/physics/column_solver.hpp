// One column (one half-hour): initialisation and the fixed-point iteration that composes the
// processes in JAX-CanVeg's order (docs/model.md 1.3, 1.5). This is the only place that knows
// the order of the processes; drivers map it over time.
#pragma once

#include <cstddef>

#include "canveg/parameters.hpp"
#include "nn/dense_net.hpp"
#include "physics/boundary_layer.hpp"
#include "physics/common.hpp"
#include "physics/leaf_angle.hpp"
#include "physics/leaf_energy.hpp"
#include "physics/longwave.hpp"
#include "physics/photosynthesis.hpp"
#include "physics/profiles.hpp"
#include "physics/radiation_partition.hpp"
#include "physics/shortwave.hpp"
#include "physics/soil_energy.hpp"
#include "physics/soil_respiration.hpp"
#include "physics/sun.hpp"
#include "physics/thermo.hpp"
#include "physics/wind.hpp"

namespace canveg::physics {

// Forcing of one half-hour after JAX-CanVeg's guards (wind >= 0.75, u* >= 0.1, Rg >= 0); V is
// double, or a SIMD lane type holding several half-hours (RowValue).
template <class V>
struct RowForcingOf {
  V doy, hour;
  V t_air_k;      // T_ref [K]
  V rglobal;      // [W m-2]
  V parin;        // 4.6 Rg / 2 [umol m-2 s-1]
  V eair_pa;      // e_ref [Pa]
  V wind;         // [m s-1]
  V co2;          // [ppm]
  V pressure_kpa;
  V ustar;        // [m s-1]
  V t_soil_k;     // lower-boundary soil temperature [K]
  V swc;          // [m3 m-3]
  V canopy_height_forcing;  // veg_ht column [m]
  V lai;          // [m2 m-2]
  V air_density;       // [kg m-3]
  V air_density_mole;  // [mol m-3]

  // Calls fn(member of *this, the same member of other) for every value.
  template <class Other, class Fn>
  void zip(Other& other, Fn&& fn) {
    fn(doy, other.doy), fn(hour, other.hour), fn(t_air_k, other.t_air_k), fn(rglobal, other.rglobal);
    fn(parin, other.parin), fn(eair_pa, other.eair_pa), fn(wind, other.wind), fn(co2, other.co2);
    fn(pressure_kpa, other.pressure_kpa), fn(ustar, other.ustar), fn(t_soil_k, other.t_soil_k);
    fn(swc, other.swc), fn(canopy_height_forcing, other.canopy_height_forcing), fn(lai, other.lai);
    fn(air_density, other.air_density), fn(air_density_mole, other.air_density_mole);
  }
};
using RowForcing = RowForcingOf<double>;

// The physics' view of one half-hour's raw forcing (units of kForcingFields): SI units and
// JAX-CanVeg's load-time guards (docs/model.md 2.1).
CANVEG_HD inline RowForcing make_row_forcing(const ForcingRow& raw) {
  RowForcing f{};
  f.doy = raw.doy;
  f.hour = raw.hour;
  f.t_air_k = raw.ta + 273.15;
  f.rglobal = raw.rg < 0.0 ? 0.0 : raw.rg;
  f.parin = 4.6 * f.rglobal / 2.0;
  f.eair_pa = raw.eair * 1000.0;
  f.wind = raw.ws < 0.75 ? 0.75 : raw.ws;
  f.co2 = raw.co2;
  f.pressure_kpa = raw.pa;
  f.ustar = raw.ustar < 0.1 ? 0.1 : raw.ustar;
  f.t_soil_k = raw.ts + 273.15;
  f.swc = raw.swc;
  f.canopy_height_forcing = raw.veg_ht;
  f.lai = raw.lai;
  f.air_density = raw.pa * kMolarMassAir / (kGasConstant * f.t_air_k);
  f.air_density_mole = 1000.0 * f.air_density / kMolarMassAir;
  return f;
}

// Constants of a model shared by all columns.
template <class T>
struct ColumnModel {
  int J = 0;  // canopy layers
  int N = 0;  // canopy + atmosphere nodes
  double latitude = 0, longitude = 0, time_zone = 0;
  int leaf_angle_type = 1;
  bool amphistomatous = false;
  LeafRhModule leaf_rh = LeafRhModule::Physics;
  SoilRespirationModule soil_respiration = SoilRespirationModule::Q10;
  int niter = 15;
  bool single_dark_respiration = false;
  int shortwave_sweeps = 1;
  // Corrected formulation: the soil surface temperature and the conduction below it are solved
  // together in each iteration (solve_soil_surface); false: JAX-CanVeg's lagged boundary (P6).
  bool implicit_soil_surface = false;
  int soil_steps = 90;
  // initialise_column leaves each soil column's conduction map to the caller, which builds the
  // maps of many half-hours at once (the lane solvers) or takes them from elsewhere.
  bool conduction_maps_by_caller = false;
  // false: the air profiles skip the nodes between the first one above the canopy and the top
  // (ProfileLevels), which keep their initial values; nothing in an iteration reads them, only the
  // convergence diagnostics do. The other nodes are the same bit for bit.
  bool air_above_canopy = true;
  double dt_soil = 20.0;
  double soil_depth = 0.15;
  double canopy_height = 1.0;       // h = zht[J-1]
  double measurement_height = 2.0;  // z_m = zht[N-1]
  const double* zht = nullptr;      // [N]
  const double* delz = nullptr;     // [N]
  const double* dij = nullptr;      // [N x J]
  const double* dij_t = nullptr;    // the same, transposed [J x N]
  const Parameters<T>* para = nullptr;
  nn::DenseNetView<T> leaf_rh_net;
  nn::DenseNetView<T> rsoil_net;
  VarStats var_mean, var_std, var_max, var_min;
  SkyQuadrature sky{};
  BoundaryLayerConstants<T> blc{};
};

// Number of scalars of type T a column needs (see ColumnState::bind).
CANVEG_HD inline std::size_t column_storage_size(int J, int N) {
  return static_cast<std::size_t>(12 * (J + 1) + 26 * J + 6 * N + kSoilNodes + 8);
}

// Sunlit or shaded leaves of every layer.
template <class T>
struct LeafClass {
  T *t_leaf, *ps, *rd, *gs, *le, *h, *rnet, *vpd, *closure;
};

// Every quantity of layer j's leaf in `from` written to `to`.
template <class T>
CANVEG_HD inline void copy_leaf_solution(const LeafClass<T>& from, int j, LeafClass<T>& to) {
  to.t_leaf[j] = from.t_leaf[j];
  to.ps[j] = from.ps[j];
  to.rd[j] = from.rd[j];
  to.gs[j] = from.gs[j];
  to.le[j] = from.le[j];
  to.h[j] = from.h[j];
  to.rnet[j] = from.rnet[j];
  to.vpd[j] = from.vpd[j];
  to.closure[j] = from.closure[j];
}

template <class T>
struct ColumnState {
  int J = 0, N = 0;
  // Constants of the half-hour.
  RowForcingOf<RowValue<T>> forcing{};
  SoilColumnOf<RowValue<T>> soil{};
  double sin_beta = 0, g_sun = 0, cloudiness_ratio = 0;  // (set for one half-hour only)
  T leaf_area_per_layer = 0;  // dL = LAI / J
  T leaf_area_density = 0;    // dL / dz_c [m2 m-3]
  T tau_diffuse = 0;          // diffuse transmissivity of one layer
  T sky_longwave = 0;         // [W m-2]
  T lout_soil_init = 0;       // eps_leaf sigma T_ref^4 (soil `llout`, P13)
  ShortwaveField<T> par{}, nir{};
  T* wind = nullptr;          // [J]
  // Iterated state.
  T *ir_down = nullptr, *ir_up = nullptr;  // [J+1]
  LeafClass<T> sun{}, shade{};
  T* t_soil = nullptr;        // [11]
  T t_surface = 0;            // soil surface temperature = upper boundary of conduction [K]
  T *t_air = nullptr, *e_air = nullptr, *co2 = nullptr;  // [N]
  T zl = 0;
  T veg_ps = 0, veg_rd = 0, veg_le = 0, veg_h = 0, veg_rnet = 0, veg_gs = 0, veg_tleaf = 0;
  // Soil outputs of the latest iteration.
  T soil_evap = 0, soil_heat = 0, soil_rnet = 0, soil_g = 0, soil_resp = 0;
  // Scratch.
  T *scratch_a = nullptr, *scratch_b = nullptr, *source_h = nullptr, *source_le = nullptr, *source_ps = nullptr;
  T *profile_t = nullptr, *profile_e = nullptr, *profile_c = nullptr;  // [N] new profiles

  // Calls fn(member of *this, the same member of other) for every scalar member of type T (not the
  // arrays in the buffer, nor forcing and soil): the lane driver packs and unpacks states with it.
  template <class Other, class Fn>
  void zip_scalars(Other& o, Fn&& fn) {
    fn(leaf_area_per_layer, o.leaf_area_per_layer), fn(leaf_area_density, o.leaf_area_density);
    fn(tau_diffuse, o.tau_diffuse), fn(sky_longwave, o.sky_longwave), fn(lout_soil_init, o.lout_soil_init);
    fn(t_surface, o.t_surface), fn(zl, o.zl);
    fn(veg_ps, o.veg_ps), fn(veg_rd, o.veg_rd), fn(veg_le, o.veg_le), fn(veg_h, o.veg_h);
    fn(veg_rnet, o.veg_rnet), fn(veg_gs, o.veg_gs), fn(veg_tleaf, o.veg_tleaf);
    fn(soil_evap, o.soil_evap), fn(soil_heat, o.soil_heat), fn(soil_rnet, o.soil_rnet), fn(soil_g, o.soil_g);
    fn(soil_resp, o.soil_resp);
  }
  // The start of the buffer bind() was given (its first array).
  CANVEG_HD T* storage() const { return par.prob_beam; }

  // Points every array into a caller-owned buffer of column_storage_size(J, N) scalars.
  CANVEG_HD void bind(T* buffer, int n_layers, int n_nodes) {
    J = n_layers;
    N = n_nodes;
    T* b = buffer;
    auto take = [&b](int n) { T* p = b; b += n; return p; };
    par.prob_beam = take(J + 1); par.beam = take(J + 1); par.up = take(J + 1); par.down = take(J + 1);
    par.sun_abs = take(J); par.shade_abs = take(J);
    nir.prob_beam = take(J + 1); nir.beam = take(J + 1); nir.up = take(J + 1); nir.down = take(J + 1);
    nir.sun_abs = take(J); nir.shade_abs = take(J);
    wind = take(J);
    ir_down = take(J + 1); ir_up = take(J + 1);
    for (LeafClass<T>* c : {&sun, &shade}) {
      c->t_leaf = take(J); c->ps = take(J); c->rd = take(J); c->gs = take(J); c->le = take(J);
      c->h = take(J); c->rnet = take(J); c->vpd = take(J); c->closure = take(J);
    }
    t_soil = take(kSoilNodes + 8);
    t_air = take(N); e_air = take(N); co2 = take(N);
    profile_t = take(N); profile_e = take(N); profile_c = take(N);
    scratch_a = take(J + 1); scratch_b = take(J + 1);
    source_h = take(J); source_le = take(J); source_ps = take(J);
  }
};

template <class T>
CANVEG_HD inline T probability_shade(const T* prob_beam, int j) {
  return 1.0 - prob_beam[j];
}

// A canopy total of a leaf quantity per unit leaf area: sum_j (P_j x_sun,j + (1 - P_j) x_shade,j) w,
// the layers in order j = 0..J-1 (P_j the sunlit probability, w the leaf area per layer).
// Unqualified calls find an AD type's own overload (one node instead of six per layer).
template <class T>
CANVEG_HD inline T canopy_sum(int J, const T* prob_beam, const T* sun, const T* shade, const T& w) {
  T sum = 0.0;
  for (int j = 0; j < J; ++j) sum = sum + (prob_beam[j] * sun[j] + probability_shade(prob_beam, j) * shade[j]) * w;
  return sum;
}

// The soil surface temperature a half-hour starts its iteration from: the air temperature. The
// lock-step driver also needs it for a row whose previous row lies outside the rows it solves.
CANVEG_HD inline double initial_surface_temperature(const RowForcing& f) { return f.t_air_k; }

// Initialisation of a half-hour (docs/model.md 1.3 A). PAR and NIR are solved here with the
// single sweep from zero upward flux that every outer iteration repeats identically (P3), so
// the iteration reuses them.
template <class T>
CANVEG_HD void initialise_column(const ColumnModel<T>& m, const RowForcing& f, ColumnState<T>& s) {
  const Parameters<T>& p = *m.para;
  const int J = m.J, N = m.N;
  s.forcing = f;
  s.sin_beta = solar_sine_elevation(m.latitude, m.longitude, m.time_zone, f.doy, f.hour);
  s.g_sun = g_function_sun(solar_zenith(s.sin_beta), m.sky.leaves);
  s.leaf_area_per_layer = T(f.lai / J);
  s.leaf_area_density = s.leaf_area_per_layer / (m.canopy_height / J);
  s.tau_diffuse = diffuse_transmissivity(m.sky, T(s.leaf_area_per_layer * p.leaf_clumping_factor));

  const RadiationPartition rad = partition_radiation(s.sin_beta, f.rglobal, f.parin, f.pressure_kpa);
  s.cloudiness_ratio = rad.cloudiness_ratio;
  shortwave_transfer(J, s.sin_beta, s.g_sun, s.leaf_area_per_layer, p.leaf_clumping_factor, s.tau_diffuse,
                     Waveband{rad.par_beam, rad.par_diffuse}, p.par_reflect, p.par_trans, p.par_soil_refl, m.shortwave_sweeps,
                     s.scratch_a, s.scratch_b, s.par);
  shortwave_transfer(J, s.sin_beta, s.g_sun, s.leaf_area_per_layer, p.leaf_clumping_factor, s.tau_diffuse,
                     Waveband{rad.nir_beam, rad.nir_diffuse}, p.nir_reflect, p.nir_trans, p.nir_soil_refl, m.shortwave_sweeps,
                     s.scratch_a, s.scratch_b, s.nir);

  s.sky_longwave = sky_longwave(f.t_air_k, s.cloudiness_ratio, p.sigma);
  for (int l = 0; l <= J; ++l) s.ir_down[l] = s.sky_longwave, s.ir_up[l] = s.sky_longwave;

  const double top_wind = canopy_top_wind(f.wind, m.canopy_height, m.measurement_height);
  for (int j = 0; j < J; ++j) s.wind[j] = canopy_wind(top_wind, m.zht[j], m.canopy_height);

  for (int j = 0; j < J; ++j) {
    s.sun.t_leaf[j] = f.t_air_k;
    s.shade.t_leaf[j] = f.t_air_k;
  }
  for (int i = 0; i < N; ++i) {
    s.t_air[i] = f.t_air_k;
    s.e_air[i] = f.eair_pa;
    s.co2[i] = f.co2;
  }
  s.soil = soil_column_properties(m.soil_depth, f.swc, f.t_air_k, f.pressure_kpa, f.t_soil_k, m.dt_soil);
  if (!m.conduction_maps_by_caller) soil_conduction_map(s.soil, m.soil_steps);
  for (int k = 0; k < kSoilNodes; ++k) s.t_soil[k] = f.t_soil_k;
  s.t_surface = initial_surface_temperature(f);
  const T ep_sigma = p.ep * p.sigma;
  const double t2 = f.t_air_k * f.t_air_k;
  s.lout_soil_init = ep_sigma * (t2 * t2);
  s.zl = 0.0;
  s.veg_ps = s.veg_rd = 0.0;
}

// Leaf relative humidity for Ball-Berry: physics e_a / e_s(T_L), or the LeafRHDL network of
// [(theta - mean)/std, e_s(T_L)/e_a] (docs/model.md 3.1, P21).
template <class T>
CANVEG_HD inline T leaf_relative_humidity(const ColumnModel<T>& m, const T& t_leaf, const T& e_air,
                                          const RowValue<T>& swc) {
  if (m.leaf_rh == LeafRhModule::Physics) return e_air / saturation_vapour_pressure(t_leaf);
  const T x[2] = {T((swc - m.var_mean.soilmoisture) / m.var_std.soilmoisture),
                  saturation_vapour_pressure(t_leaf) / e_air};
  // Unqualified: found by argument-dependent lookup, so an AD type can supply its own overload.
  return evaluate_scalar(m.leaf_rh_net, x);
}

// Photosynthesis, stomatal conductance and energy balance of sunlit and shaded leaves in every
// layer, with the previous leaf temperatures and air profiles (docs/model.md 1.3 B5). The two
// classes are independent within an iteration; the layer air properties are shared. A leaf's
// solution depends on the class only through its absorbed PAR, its absorbed radiation and its
// previous temperature: where all three are the same for both classes (at night, in every layer)
// the shaded leaf's solution is the sunlit one, copied instead of solved again (bit for bit).
template <class T>
CANVEG_HD void leaf_fluxes(const ColumnModel<T>& m, ColumnState<T>& s, const T* q_sun, const T* q_shade) {
  const Parameters<T>& p = *m.para;
  const RowValue<T>& pkpa = s.forcing.pressure_kpa;
  for (int j = 0; j < s.J; ++j) {
    const LayerAir<T> air = layer_air(s.t_air[j], s.e_air[j], pkpa, p);
    const T tp_factor = diffusivity_scaling(s.t_air[j], pkpa);
    const RowValue<T> wind = value_of(s.wind[j]);
    const bool classes_alike = same_value_everywhere(s.par.sun_abs[j], s.par.shade_abs[j]) &&
                               same_value_everywhere(q_sun[j], q_shade[j]) &&
                               same_value_everywhere(s.sun.t_leaf[j], s.shade.t_leaf[j]);
    for (int cls = 0; cls < 2; ++cls) {
      LeafClass<T>& leaf = cls == 0 ? s.sun : s.shade;
      if (cls == 1 && classes_alike) {
        copy_leaf_solution(s.sun, j, s.shade);
        break;
      }
      const T& par_abs = cls == 0 ? s.par.sun_abs[j] : s.par.shade_abs[j];
      const T& q_abs = cls == 0 ? q_sun[j] : q_shade[j];
      const T t_prev = leaf.t_leaf[j];
      const BoundaryResistance<T> rb = boundary_resistance_scaled(t_prev, s.t_air[j], wind, tp_factor, p, m.blc);
      // A vector of dark leaves takes the photosynthesis' dark fallback, which reads no humidity:
      // the LeafRHDL network is not evaluated for it.
      const bool dark = dark_everywhere(par_abs, [&] { return dark_respiration(par_abs, t_prev, p); });
      const T rh = dark ? T(1.0) : leaf_relative_humidity(m, t_prev, s.e_air[j], s.forcing.swc);
      const LeafPhotosynthesis<T> ps =
          leaf_photosynthesis(par_abs, s.co2[j], t_prev, rb.co2, pkpa, rh, m.amphistomatous, p,
                              m.single_dark_respiration);
      const LeafEnergy<T> e =
          leaf_energy_balance(q_abs, rb.heat, rb.vapor, ps.gs_m_s, air, pkpa, m.amphistomatous, p);
      leaf.ps[j] = ps.net_assimilation;
      leaf.rd[j] = ps.dark_respiration;
      leaf.gs[j] = ps.gs_m_s;
      leaf.le[j] = e.LE;
      leaf.h[j] = e.H;
      leaf.t_leaf[j] = e.t_leaf;
      leaf.rnet[j] = e.rnet;
      leaf.vpd[j] = e.vpd;
      leaf.closure[j] = e.closure;
    }
  }
}

// What one iteration computes: everything (the solver), or what the iteration's LE and NEE read
// (the one-step gradient tapes its last iteration so, the state held fixed). LeAndNee leaves out
// B8 and B9, the new air profiles and stability, which only the next iteration reads, and the
// canopy sums of H, R_net, g_s and T_L, which are outputs only; the leaf and soil fluxes, the
// canopy sums of Ps, Rd and LE, and so LE and NEE, are those of a full iteration.
enum class IterationScope { Full, LeAndNee };

// One fixed-point iteration (docs/model.md 1.3 B).
//   surface_t_previous_row: the upper soil boundary that the previous half-hour of the same
//   array uses in this iteration (its surface temperature of the previous iteration), for the
//   soil heat-storage term; has_previous_row = false gives zero storage (first row, or
//   independent half-hours).
template <class T>
CANVEG_HD void iterate_column(const ColumnModel<T>& m, ColumnState<T>& s, const RowMask<T>& has_previous_row,
                              const T& surface_t_previous_row, IterationScope scope = IterationScope::Full) {
  const bool full = scope == IterationScope::Full;
  using V = RowValue<T>;
  const Parameters<T>& p = *m.para;
  const int J = s.J, N = s.N;
  const RowForcingOf<V>& f = s.forcing;

  // B3: longwave with the previous leaf and soil-surface temperatures (50 sweeps, warm start).
  longwave_transfer(J, 50, s.sky_longwave, s.par.prob_beam, s.sun.t_leaf, s.shade.t_leaf, s.tau_diffuse, p.ep,
                    p.epsoil, p.sigma, s.t_surface, s.ir_down, s.ir_up, s.scratch_a);

  // B4-B5: absorbed radiation and the leaf fluxes, sunlit then shaded.
  T* q_sun = s.source_h;
  T* q_shade = s.source_le;
  for (int j = 0; j < J; ++j) {
    const T ir_layer = (s.ir_up[j] + s.ir_down[j]) * p.ep;
    q_sun[j] = s.nir.sun_abs[j] + s.par.sun_abs[j] / 4.6 + ir_layer;
    q_shade[j] = s.nir.shade_abs[j] + s.par.shade_abs[j] / 4.6 + ir_layer;
  }
  leaf_fluxes(m, s, q_sun, q_shade);

  // B6: soil energy balance. Conduction sub-steps start from the previous profile with the
  // previous surface temperature as upper boundary.
  const T t_boundary = s.t_surface;
  const T storage = choose(
      has_previous_row, [&] { return T(s.soil.cp_node[0] * (t_boundary - surface_t_previous_row)); },
      [] { return T(0.0); });
  const T q_soil = (s.par.beam[0] + s.par.down[0] - s.par.up[0]) / 4.6 + s.nir.beam[0] + s.nir.down[0] -
                   s.nir.up[0] + s.ir_down[0] * p.epsoil;
  // JAX-CanVeg reads the layer-1 wind; a one-layer canopy clamps the index to layer 0 (P5).
  const V wind_soil = value_of(s.wind[J > 1 ? 1 : 0]);
  const auto surface_with = [&](const T& g_conductive) {
    return soil_surface_balance(s.soil, q_soil, g_conductive, storage, s.t_air[0], s.e_air[0], s.t_air[1],
                                wind_soil, m.zht[1], s.t_surface, s.lout_soil_init, f.air_density, f.pressure_kpa, p);
  };
  SoilSurface<T> surf;
  if (m.implicit_soil_surface) {
    surf = solve_soil_surface(s.soil, t_boundary, s.t_soil, surface_with);
  } else {
    conduct_soil_heat(s.soil, t_boundary, s.t_soil);
    surf = surface_with(T(s.soil.k_cond[0] * (s.t_soil[0] - s.t_soil[1])));
  }
  s.soil_evap = surf.evaporation;
  s.soil_heat = surf.heat;
  s.soil_rnet = surf.rnet;
  s.soil_g = surf.gsoil;
  s.t_surface = surf.temperature;

  // B7: soil respiration with soil node 9 and the previous iteration's canopy Ps, Rd (P7).
  switch (m.soil_respiration) {
    case SoilRespirationModule::Alfalfa:
      s.soil_resp = soil_respiration_alfalfa(s.veg_ps, s.veg_rd, s.t_soil[9], f.swc, f.canopy_height_forcing);
      break;
    case SoilRespirationModule::Q10:
      s.soil_resp = soil_respiration_q10(s.t_soil[9], f.swc, p);
      break;
    case SoilRespirationModule::Network:
      s.soil_resp = soil_respiration_network(s.t_soil[9], f.swc, m.rsoil_net, m.var_max, m.var_min);
      break;
  }

  // B8: profiles from the new sources with the previous z/L. Layer sources per unit volume.
  if (full) {
    for (int j = 0; j < J; ++j) {
      const T pb = s.par.prob_beam[j];
      const T psh = probability_shade(s.par.prob_beam, j);
      s.source_h[j] = (pb * s.sun.h[j] + psh * s.shade.h[j]) * s.leaf_area_density;
      s.source_le[j] = (pb * s.sun.le[j] + psh * s.shade.le[j]) * s.leaf_area_density;
      s.source_ps[j] = -((pb * s.sun.ps[j] + psh * s.shade.ps[j]) * s.leaf_area_density);
    }
    const T hh = canopy_sum(J, s.par.prob_beam, s.sun.h, s.shade.h, s.leaf_area_per_layer);
    const V ustar_factor = 1.0 / f.ustar;
    const T stab = dispersion_stability_factor(s.zl);
    const ProfileLevels levels{N, m.air_above_canopy ? N : J + 1};
    const int n_levels = levels.count();
    dispersion_sums(levels, J, m.dij, m.dij_t, m.delz, s.source_h, s.source_le, s.source_ps, s.profile_t,
                    s.profile_e, s.profile_c);
    // Temperature, relaxed 0.25 new / 0.75 old.
    profile_from_sums(levels, m.dij_t, ustar_factor, stab, s.soil_heat, T(f.air_density * p.Cp), f.t_air_k,
                      s.profile_t);
    for (int k = 0; k < n_levels; ++k) {
      const int i = levels.node(k);
      s.t_air[i] = 0.25 * s.profile_t[i] + 0.75 * s.t_air[i];
    }
    // Vapour pressure with the unit factor at the new temperature of the first node above the
    // canopy (P4), relaxed likewise.
    {
      const T t_top = s.t_air[J];
      const T factor = latent_heat(t_top) * 18.01 / (1000.0 * 8.314 * t_top);
      profile_from_sums(levels, m.dij_t, ustar_factor, stab, s.soil_evap, factor, f.eair_pa, s.profile_e);
      for (int k = 0; k < n_levels; ++k) {
        const int i = levels.node(k);
        s.e_air[i] = 0.25 * s.profile_e[i] + 0.75 * s.e_air[i];
      }
    }
    // CO2 (not relaxed); the factor keeps the inherited 28.97/44 mass ratio.
    profile_from_sums(levels, m.dij_t, ustar_factor, stab, s.soil_resp, T((28.97 / 44.0) * f.air_density_mole),
                      f.co2, s.profile_c);
    for (int k = 0; k < n_levels; ++k) {
      const int i = levels.node(k);
      s.co2[i] = s.profile_c[i];
    }

    // B9: stability from the canopy (leaf) sensible heat (docs/model.md 2.17; z_m, not z_m - d).
    {
      const V u3 = f.ustar * f.ustar * f.ustar;
      T zl = -(0.4 * 9.8 * hh * m.measurement_height) / (f.air_density * 1005.0 * f.t_air_k * u3);
      s.zl = clip(zl, -3.0, 0.25);
    }
  }

  // B10: canopy sums.
  const T* pb = s.par.prob_beam;
  const T& dl = s.leaf_area_per_layer;
  s.veg_ps = canopy_sum(J, pb, s.sun.ps, s.shade.ps, dl);
  s.veg_rd = canopy_sum(J, pb, s.sun.rd, s.shade.rd, dl);
  s.veg_le = canopy_sum(J, pb, s.sun.le, s.shade.le, dl);
  if (full) {
    s.veg_h = canopy_sum(J, pb, s.sun.h, s.shade.h, dl);
    s.veg_rnet = canopy_sum(J, pb, s.sun.rnet, s.shade.rnet, dl);
    s.veg_gs = canopy_sum(J, pb, s.sun.gs, s.shade.gs, dl);
    s.veg_tleaf = canopy_sum(J, pb, s.sun.t_leaf, s.shade.t_leaf, dl);
  }
}

}  // namespace canveg::physics
