// One column (one half-hour): initialise_column + iterate_column on real US-Bi1 forcing rows with a
// small synthetic set-up, docs/model.md sections 1.2, 1.3, 2.16-2.18.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "canveg/parameters.hpp"
#include "physics/column_outputs.hpp"
#include "physics/column_solver.hpp"
#include "physics_test_support.hpp"

namespace {

using namespace canveg::physics;
using canveg::ForcingRow;
using canveg::LeafRhModule;
using canveg::Parameters;
using canveg::SoilRespirationModule;

// US-Bi1-forcings-test.csv rows of 2020-07-01 (doy 183): columns
// DoY, Hour, TA_F, SW_IN_F, eair, WS_F, CO2_F_MDS, PA_F, USTAR, TS_F_MDS_4, SWC_F_MDS_1, veg_ht, LAI.
// canveg::ForcingRow: year, doy, hour, ta, rg, eair, ws, co2, pa, ustar, ts, swc, veg_ht, lai.
// 05:00, the first row with SW_IN_F > 0 (sun just above the horizon, u* and wind below the guards).
constexpr ForcingRow kFirstDaytime{2020, 183, 5.0, 10.2, 4.286, 1.1124107, 0.483, 442.593, 100.35, 0.013219, 24.377,
                                   0.092, 0.8, 2.165625};
// 12:30, midday.
constexpr ForcingRow kMidday{2020, 183, 12.5, 26.33, 1017.71, 1.0954999, 2.428, 380.594, 100.34, 0.32971, 24.31,
                             0.10099999999999999, 0.8, 2.1890625};
// 00:30, night.
constexpr ForcingRow kNight{2020, 183, 0.5, 13.59, 0.0, 1.1410015, 1.415, 465.409, 100.37, 0.102037, 25.88, 0.09433,
                            0.8, 2.1515625};

// A tiny synthetic set-up: J = 5 canopy layers, K = 5 atmospheric layers, US-Bi1 geometry
// (h = 0.8 m, z_m = 5 m), grid of section 1.2, and a synthetic dispersion matrix that decreases
// with height (magnitudes like the shipped 50-layer matrix, 0-5 s m-1) with a zero last row.
struct Fixture {
  static constexpr int J = 5, K = 5, N = J + K;
  Parameters<double> para;
  std::vector<double> zht, delz, dij, dij_t, buffer;
  ColumnModel<double> model;
  ColumnState<double> state;

  Fixture() {
    const double h = 0.8, zm = 5.0;
    for (int i = 0; i < N; ++i) {
      zht.push_back(i < J ? (i + 1) * h / J : h + (i - J + 1) * (zm - h) / K);
      delz.push_back(i < J ? h / J : (zm - h) / K);
    }
    dij.resize(N * J);
    dij_t.resize(N * J);
    for (int i = 0; i < N; ++i)
      for (int j = 0; j < J; ++j) {
        const double v = 3.0 * (1.0 - double(i) / (N - 1)) + (i < J ? 2.0 * std::exp(-std::abs(i - j)) : 0.0);
        dij[i * J + j] = v;
        dij_t[j * N + i] = v;
      }
    model.J = J;
    model.N = N;
    model.latitude = 38.0991538;
    model.longitude = -121.49933;
    model.time_zone = -8;
    model.leaf_angle_type = 0;
    model.amphistomatous = false;
    model.leaf_rh = LeafRhModule::Physics;
    model.soil_respiration = SoilRespirationModule::Q10;
    model.niter = 15;
    model.soil_steps = 90;
    model.dt_soil = 20.0;
    model.soil_depth = 0.15;
    model.canopy_height = zht[J - 1];
    model.measurement_height = zht[N - 1];
    model.zht = zht.data();
    model.delz = delz.data();
    model.dij = dij.data();
    model.dij_t = dij_t.data();
    model.para = &para;
    model.sky = make_sky_quadrature(model.leaf_angle_type);
    model.blc = make_boundary_layer_constants(para);
    buffer.assign(column_storage_size(J, N), 0.0);
    state.bind(buffer.data(), J, N);
  }

  RowForcing forcing(const ForcingRow& r) const {
    return make_row_forcing(r);
  }

  void run(const ForcingRow& r, int niter = 15) {
    initialise_column(model, forcing(r), state);
    for (int k = 0; k < niter; ++k) iterate_column(model, state, false, 0.0);
  }
};

void expect_all_finite(const Fixture& f) {
  for (std::size_t i = 0; i < f.buffer.size(); ++i) ASSERT_TRUE(std::isfinite(f.buffer[i])) << "buffer[" << i << "]";
  const auto& s = f.state;
  for (double v : {s.veg_ps, s.veg_rd, s.veg_le, s.veg_h, s.veg_rnet, s.veg_gs, s.veg_tleaf, s.soil_evap, s.soil_heat,
                   s.soil_rnet, s.soil_g, s.soil_resp, s.t_surface, s.zl, s.sky_longwave, s.tau_diffuse})
    EXPECT_TRUE(std::isfinite(v));
}

// Section 2.18: canopy sums X = sum_j (p_sun,j X_sun,j + (1 - p_sun,j) X_sh,j) dL, recomputed here.
void expect_aggregation_identities(const Fixture& f) {
  const auto& s = f.state;
  const double dl = s.forcing.lai / Fixture::J;
  EXPECT_REL_NEAR(s.leaf_area_per_layer, dl, 1e-15);
  auto canopy_sum = [&](const double* sun, const double* shade) {
    double total = 0.0;
    for (int j = 0; j < Fixture::J; ++j) {
      const double p = s.par.prob_beam[j];
      total += (p * sun[j] + (1.0 - p) * shade[j]) * dl;
    }
    return total;
  };
  EXPECT_REL_NEAR(s.veg_ps, canopy_sum(s.sun.ps, s.shade.ps), 1e-12);
  EXPECT_REL_NEAR(s.veg_rd, canopy_sum(s.sun.rd, s.shade.rd), 1e-12);
  EXPECT_REL_NEAR(s.veg_le, canopy_sum(s.sun.le, s.shade.le), 1e-12);
  EXPECT_REL_NEAR(s.veg_h, canopy_sum(s.sun.h, s.shade.h), 1e-12);
  EXPECT_REL_NEAR(s.veg_rnet, canopy_sum(s.sun.rnet, s.shade.rnet), 1e-12);
  EXPECT_REL_NEAR(s.veg_gs, canopy_sum(s.sun.gs, s.shade.gs), 1e-12);
  EXPECT_REL_NEAR(s.veg_tleaf, canopy_sum(s.sun.t_leaf, s.shade.t_leaf), 1e-12);
  // Sum of the sunlit and shaded weights is the LAI, so T_leaf sum / LAI is a weighted mean.
  const double mean_tleaf = s.veg_tleaf / s.forcing.lai;
  double lo = 1e9, hi = -1e9;
  for (int j = 0; j < Fixture::J; ++j) {
    lo = std::min({lo, s.sun.t_leaf[j], s.shade.t_leaf[j]});
    hi = std::max({hi, s.sun.t_leaf[j], s.shade.t_leaf[j]});
  }
  EXPECT_GE(mean_tleaf, lo - 1e-9);
  EXPECT_LE(mean_tleaf, hi + 1e-9);
  // Layer sources per unit volume (section 2.16): the same weights times the leaf area density,
  // with the CO2 source of opposite sign. source_h / source_le are overwritten by the absorbed
  // radiation at the start of the next iteration, so they hold the last iteration's sources.
  const double adens = dl / (0.8 / Fixture::J);
  EXPECT_REL_NEAR(s.leaf_area_density, adens, 1e-14);
  double hsum = 0.0;
  for (int j = 0; j < Fixture::J; ++j) {
    const double p = s.par.prob_beam[j];
    EXPECT_REL_NEAR(s.source_h[j], (p * s.sun.h[j] + (1 - p) * s.shade.h[j]) * adens, 1e-12);
    EXPECT_REL_NEAR(s.source_le[j], (p * s.sun.le[j] + (1 - p) * s.shade.le[j]) * adens, 1e-12);
    EXPECT_REL_NEAR(s.source_ps[j], -(p * s.sun.ps[j] + (1 - p) * s.shade.ps[j]) * adens, 1e-12);
    hsum += s.source_h[j] * (0.8 / Fixture::J);
  }
  EXPECT_REL_NEAR(hsum, s.veg_h, 1e-12);  // volume sources integrate to the canopy sum
}

// Profiles are pinned to the reference values at the top node (section 2.16), soil respiration is
// the Q10 law at soil node 9 (section 2.14) and the soil lower boundary stays fixed (2.13).
void expect_column_constraints(const Fixture& f) {
  const auto& s = f.state;
  const int N = Fixture::N;
  EXPECT_REL_NEAR(s.t_air[N - 1], s.forcing.t_air_k, 1e-14);
  EXPECT_REL_NEAR(s.e_air[N - 1], s.forcing.eair_pa, 1e-13);
  EXPECT_REL_NEAR(s.co2[N - 1], s.forcing.co2, 1e-14);
  EXPECT_GE(s.zl, -3.0);
  EXPECT_LE(s.zl, 0.25);
  EXPECT_DOUBLE_EQ(s.t_soil[kSoilNodes - 1], s.forcing.t_soil_k);
  EXPECT_REL_NEAR(s.soil_resp, soil_respiration_q10(s.t_soil[9], s.forcing.swc, f.para), 1e-14);
  EXPECT_DOUBLE_EQ(s.par.prob_beam[Fixture::J], s.sin_beta > 0 ? 1.0 : 0.0);
  for (int j = 0; j < Fixture::J; ++j) {
    EXPECT_GE(s.par.prob_beam[j], 0.0);
    EXPECT_LE(s.par.prob_beam[j], 1.0);
  }
  // Stability from the leaf sensible heat (section 2.17).
  const double u3 = std::pow(s.forcing.ustar, 3);
  const double zl = -(0.4 * 9.8 * s.veg_h * 5.0) / (s.forcing.air_density * 1005.0 * s.forcing.t_air_k * u3);
  EXPECT_REL_NEAR(s.zl, std::clamp(zl, -3.0, 0.25), 1e-12);
}

TEST(ColumnSolver, FirstDaytimeRowIsFiniteAndAggregatesConsistently) {
  // Section 1.3 on the first row of the test file with Rg > 0 (2020-07-01 05:00).
  Fixture f;
  f.run(kFirstDaytime);
  const auto& s = f.state;
  // Forcing guards of section 2.1: wind >= 0.75, u* >= 0.1, PAR_in = 2.3 Rg.
  EXPECT_DOUBLE_EQ(s.forcing.wind, 0.75);
  EXPECT_DOUBLE_EQ(s.forcing.ustar, 0.1);
  EXPECT_REL_NEAR(s.forcing.parin, 2.3 * 4.286, 1e-14);
  EXPECT_REL_NEAR(s.sin_beta, 0.024494864682070766, 1e-12);  // test_sun reference
  expect_all_finite(f);
  expect_aggregation_identities(f);
  expect_column_constraints(f);
  // Incoming PAR at the canopy top is partitioned without loss (section 2.5).
  EXPECT_REL_NEAR(s.par.beam[Fixture::J] + s.par.down[Fixture::J], s.forcing.parin, 1e-12);
  // Plausible ranges for a dim dawn: little assimilation, small fluxes.
  EXPECT_LT(std::fabs(s.veg_ps), 10.0);
  EXPECT_LT(std::fabs(s.veg_le), 150.0);
  EXPECT_LT(std::fabs(s.veg_h), 150.0);
  EXPECT_GT(s.soil_resp, 0.0);
}

TEST(ColumnSolver, MiddayRowAssimilatesAndWarmsSunlitLeaves) {
  // Section 1.3 at 12:30 (Rg = 1018 W m-2): finite, consistent, and physically plausible.
  Fixture f;
  f.run(kMidday);
  const auto& s = f.state;
  expect_all_finite(f);
  expect_aggregation_identities(f);
  expect_column_constraints(f);
  EXPECT_GT(s.sin_beta, 0.9);
  EXPECT_REL_NEAR(s.par.beam[Fixture::J] + s.par.down[Fixture::J], s.forcing.parin, 1e-12);
  EXPECT_GT(s.veg_ps, 5.0);      // net uptake at midday [umol m-2 s-1]
  EXPECT_LT(s.veg_ps, 80.0);
  EXPECT_GT(s.veg_le, 50.0);     // transpiring canopy [W m-2]
  EXPECT_LT(s.veg_le, 1000.0);
  EXPECT_GT(s.veg_rnet, 100.0);  // strong net radiation
  for (int j = 0; j < Fixture::J; ++j) {
    EXPECT_GT(s.par.sun_abs[j], s.par.shade_abs[j]);
    EXPECT_GT(s.sun.t_leaf[j], s.shade.t_leaf[j]);
    // (Sunlit A_n is not always larger: hot sunlit leaves above T_opt = 303 K can fall below the
    // shaded ones, so no such check.)
  }
  // Leaves and the soil surface stay within a plausible range of the air (K).
  for (int j = 0; j < Fixture::J; ++j) {
    EXPECT_LT(std::fabs(s.sun.t_leaf[j] - s.forcing.t_air_k), 15.0);
    EXPECT_LT(std::fabs(s.shade.t_leaf[j] - s.forcing.t_air_k), 15.0);
  }
  EXPECT_LT(std::fabs(s.t_surface - s.forcing.t_air_k), 25.0);
}

TEST(ColumnSolver, NightRowRespiresEverywhere) {
  // Sections 2.6, 2.11: at night there is no shortwave and every leaf is in the quadratic
  // fallback with A_n = -R_d, so the canopy Ps sum equals minus the canopy Rd sum.
  Fixture f;
  f.run(kNight);
  const auto& s = f.state;
  expect_all_finite(f);
  expect_aggregation_identities(f);
  expect_column_constraints(f);
  EXPECT_LT(s.sin_beta, 0.0);
  for (int l = 0; l <= Fixture::J; ++l) {
    EXPECT_EQ(s.par.beam[l], 0.0);
    EXPECT_EQ(s.par.down[l], 0.0);
    EXPECT_EQ(s.nir.beam[l], 0.0);
    EXPECT_EQ(s.par.prob_beam[l], 0.0);
  }
  EXPECT_LT(s.veg_ps, 0.0);
  EXPECT_NEAR(s.veg_ps, -s.veg_rd, 1e-9 * s.veg_rd);
  // Stomata at the Ball-Berry intercept: g_s = b' T_L kappa with the previous iteration's T_L,
  // within 2 % of the value at the final leaf temperature.
  const double kappa = 101.3 * 0.022624 / (273.15 * s.forcing.pressure_kpa);
  for (int j = 0; j < Fixture::J; ++j) {
    EXPECT_REL_NEAR(s.shade.gs[j], 0.05 * s.shade.t_leaf[j] * kappa, 0.02);
    EXPECT_REL_NEAR(s.sun.gs[j], 0.05 * s.sun.t_leaf[j] * kappa, 0.02);
  }
  EXPECT_LT(s.veg_rnet, 0.0);  // leaves lose longwave at night
}

// The shaded leaf's solution of layer j, solved on its own as leaf_fluxes solves a class.
struct LeafSolution {
  LeafPhotosynthesis<double> ps;
  LeafEnergy<double> energy;
};
LeafSolution solve_shaded_leaf(const Fixture& f, int j, double q_abs) {
  const auto& s = f.state;
  const double pkpa = s.forcing.pressure_kpa;
  const LayerAir<double> air = layer_air(s.t_air[j], s.e_air[j], pkpa, f.para);
  const double tp_factor = diffusivity_scaling(s.t_air[j], pkpa);
  const double t_prev = s.shade.t_leaf[j];
  const BoundaryResistance<double> rb =
      boundary_resistance_scaled(t_prev, s.t_air[j], s.wind[j], tp_factor, f.para, f.model.blc);
  const double rh = leaf_relative_humidity(f.model, t_prev, s.e_air[j], s.forcing.swc);
  LeafSolution out;
  out.ps = leaf_photosynthesis(s.par.shade_abs[j], s.co2[j], t_prev, rb.co2, pkpa, rh, f.model.amphistomatous,
                               f.para, f.model.single_dark_respiration);
  out.energy = leaf_energy_balance(q_abs, rb.heat, rb.vapor, out.ps.gs_m_s, air, pkpa, f.model.amphistomatous, f.para);
  return out;
}

TEST(ColumnSolver, ShadedLeavesTakeTheSunlitSolutionOnlyWhereTheirInputsAgree) {
  // leaf_fluxes copies the sunlit solution to the shaded leaf where both classes absorb the same
  // radiation and start from the same temperature (at night): the copy must be what solving the
  // shaded leaf gives, bit for bit, in every quantity; in daylight each class is solved.
  for (const ForcingRow* row : {&kNight, &kMidday}) {
    Fixture f;
    f.run(*row, 14);
    auto& s = f.state;
    const int J = Fixture::J;
    std::vector<double> q_sun(J), q_shade(J);
    for (int j = 0; j < J; ++j) {
      const double ir_layer = (s.ir_up[j] + s.ir_down[j]) * f.para.ep;
      q_sun[j] = s.nir.sun_abs[j] + s.par.sun_abs[j] / 4.6 + ir_layer;
      q_shade[j] = s.nir.shade_abs[j] + s.par.shade_abs[j] / 4.6 + ir_layer;
    }
    std::vector<LeafSolution> expected;
    for (int j = 0; j < J; ++j) expected.push_back(solve_shaded_leaf(f, j, q_shade[j]));
    leaf_fluxes(f.model, s, q_sun.data(), q_shade.data());
    for (int j = 0; j < J; ++j) {
      const LeafSolution& e = expected[j];
      EXPECT_EQ(s.shade.ps[j], e.ps.net_assimilation) << j;
      EXPECT_EQ(s.shade.rd[j], e.ps.dark_respiration) << j;
      EXPECT_EQ(s.shade.gs[j], e.ps.gs_m_s) << j;
      EXPECT_EQ(s.shade.le[j], e.energy.LE) << j;
      EXPECT_EQ(s.shade.h[j], e.energy.H) << j;
      EXPECT_EQ(s.shade.t_leaf[j], e.energy.t_leaf) << j;
      EXPECT_EQ(s.shade.rnet[j], e.energy.rnet) << j;
      EXPECT_EQ(s.shade.vpd[j], e.energy.vpd) << j;
      EXPECT_EQ(s.shade.closure[j], e.energy.closure) << j;
      if (row == &kNight) {
        EXPECT_EQ(s.sun.t_leaf[j], s.shade.t_leaf[j]) << j;  // the classes alike: the copy was taken
      } else {
        EXPECT_GT(s.sun.t_leaf[j], s.shade.t_leaf[j]) << j;  // midday: sunlit leaves warmer
      }
    }
  }
}

TEST(ColumnSolver, IterationContractsAndIsDeterministic) {
  // Section 1.5: the fixed-point iteration with 0.25/0.75 relaxation settles: the update of the
  // air-temperature profile in the last iteration is much smaller than in the second one, and the
  // same inputs give bit-identical results.
  Fixture f;
  const RowForcing row = f.forcing(kMidday);
  initialise_column(f.model, row, f.state);
  std::vector<double> prev(f.state.t_air, f.state.t_air + Fixture::N);
  double first_change = 0.0, last_change = 0.0;
  for (int k = 0; k < 15; ++k) {
    iterate_column(f.model, f.state, false, 0.0);
    double change = 0.0;
    for (int i = 0; i < Fixture::N; ++i) change = std::max(change, std::fabs(f.state.t_air[i] - prev[i]));
    if (k == 1) first_change = change;
    if (k == 14) last_change = change;
    prev.assign(f.state.t_air, f.state.t_air + Fixture::N);
  }
  EXPECT_GT(first_change, 0.0);
  EXPECT_LT(last_change, 0.25 * first_change);
  const double ps = f.state.veg_ps, le = f.state.veg_le, ts = f.state.t_surface;
  Fixture g;
  g.run(kMidday);
  EXPECT_EQ(g.state.veg_ps, ps);
  EXPECT_EQ(g.state.veg_le, le);
  EXPECT_EQ(g.state.t_surface, ts);
}

TEST(ColumnSolver, IterationScopedToLeAndNeeHasTheSameFluxes) {
  // IterationScope::LeAndNee (the one-step gradient's taped iteration) leaves out the new air
  // profiles and stability, which only the next iteration reads, and the canopy sums that are
  // outputs only: LE, NEE and every flux they are made of are the same bit for bit, the air state
  // is the one the iteration started from, and the output-only sums keep their previous values.
  Fixture full, part;
  for (Fixture* f : {&full, &part}) {
    initialise_column(f->model, f->forcing(kMidday), f->state);
    for (int k = 0; k < 14; ++k) iterate_column(f->model, f->state, false, 0.0);
  }
  const std::vector<double> t_air(part.state.t_air, part.state.t_air + Fixture::N),
      e_air(part.state.e_air, part.state.e_air + Fixture::N), co2(part.state.co2, part.state.co2 + Fixture::N);
  const double zl = part.state.zl, veg_h = part.state.veg_h, veg_gs = part.state.veg_gs;
  iterate_column(full.model, full.state, true, 290.0);
  iterate_column(part.model, part.state, true, 290.0, IterationScope::LeAndNee);
  EXPECT_EQ(column_le(full.state), column_le(part.state));
  EXPECT_EQ(column_nee(full.state), column_nee(part.state));
  EXPECT_EQ(full.state.veg_le, part.state.veg_le);
  EXPECT_EQ(full.state.veg_ps, part.state.veg_ps);
  EXPECT_EQ(full.state.veg_rd, part.state.veg_rd);
  EXPECT_EQ(full.state.soil_evap, part.state.soil_evap);
  EXPECT_EQ(full.state.soil_resp, part.state.soil_resp);
  EXPECT_EQ(full.state.t_surface, part.state.t_surface);
  for (int j = 0; j < Fixture::J; ++j) {
    EXPECT_EQ(full.state.sun.le[j], part.state.sun.le[j]) << j;
    EXPECT_EQ(full.state.shade.ps[j], part.state.shade.ps[j]) << j;
    EXPECT_EQ(full.state.sun.t_leaf[j], part.state.sun.t_leaf[j]) << j;
  }
  for (int i = 0; i < Fixture::N; ++i) {
    EXPECT_EQ(part.state.t_air[i], t_air[i]) << i;
    EXPECT_EQ(part.state.e_air[i], e_air[i]) << i;
    EXPECT_EQ(part.state.co2[i], co2[i]) << i;
  }
  EXPECT_EQ(part.state.zl, zl);
  EXPECT_EQ(part.state.veg_h, veg_h);
  EXPECT_EQ(part.state.veg_gs, veg_gs);
  EXPECT_NE(full.state.t_air[0], t_air[0]);  // the full iteration did move the air
  EXPECT_NE(full.state.veg_h, veg_h);        // and the canopy's sensible heat
}

TEST(ColumnSolver, AirAboveTheCanopyLeftOutChangesNothingElse) {
  // ColumnModel::air_above_canopy = false: the air profiles skip the nodes J+1..N-2, which keep
  // their initial values; everything else after 15 iterations, day and night, is the same bit
  // for bit, the first node above the canopy (read for the vapour factor) and the top included.
  for (const ForcingRow* forcing : {&kNight, &kMidday}) {
    const char* row = forcing == &kNight ? "night" : "midday";
    Fixture full, part;
    part.model.air_above_canopy = false;
    for (Fixture* f : {&full, &part}) {
      initialise_column(f->model, f->forcing(*forcing), f->state);
      for (int k = 0; k < 15; ++k) iterate_column(f->model, f->state, false, 0.0);
    }
    EXPECT_EQ(column_le(full.state), column_le(part.state)) << row;
    EXPECT_EQ(column_nee(full.state), column_nee(part.state)) << row;
    const ColumnFluxes<double> a = column_fluxes(full.state), b = column_fluxes(part.state);
#define CANVEG_SAME_OUTPUT(name, ...) EXPECT_EQ(a.name, b.name) << #name << " row " << row;
    CANVEG_OUTPUT_FIELDS(CANVEG_SAME_OUTPUT)
#undef CANVEG_SAME_OUTPUT
    for (int i = 0; i < Fixture::N; ++i) {
      if (i <= Fixture::J || i == Fixture::N - 1) {
        EXPECT_EQ(full.state.t_air[i], part.state.t_air[i]) << i << ' ' << row;
        EXPECT_EQ(full.state.e_air[i], part.state.e_air[i]) << i << ' ' << row;
        EXPECT_EQ(full.state.co2[i], part.state.co2[i]) << i << ' ' << row;
      } else {
        EXPECT_EQ(part.state.t_air[i], part.state.forcing.t_air_k) << i << ' ' << row;
        EXPECT_EQ(part.state.e_air[i], part.state.forcing.eair_pa) << i << ' ' << row;
        EXPECT_NE(full.state.t_air[i], part.state.t_air[i]) << i << ' ' << row;  // the full profile moved there
      }
    }
  }
}

TEST(ColumnSolver, FirstIterationRelaxesTemperatureAndVapourOnly) {
  // Section 1.5 / 2.16: after the first iteration T_a = 0.25 T_new + 0.75 T_ref and
  // e_a = 0.25 e_new + 0.75 e_ref, while CO2 takes the new profile unrelaxed.
  Fixture f;
  initialise_column(f.model, f.forcing(kMidday), f.state);
  iterate_column(f.model, f.state, false, 0.0);
  const auto& s = f.state;
  double largest_step = 0.0;
  for (int i = 0; i < Fixture::N; ++i) {
    EXPECT_REL_NEAR(s.t_air[i], 0.25 * s.profile_t[i] + 0.75 * s.forcing.t_air_k, 1e-14) << i;
    EXPECT_REL_NEAR(s.e_air[i], 0.25 * s.profile_e[i] + 0.75 * s.forcing.eair_pa, 1e-14) << i;
    EXPECT_EQ(s.co2[i], s.profile_c[i]) << i;
    largest_step = std::max(largest_step, std::fabs(s.profile_t[i] - s.forcing.t_air_k));
  }
  EXPECT_GT(largest_step, 0.1);  // the new profile really differs from the reference

  // The new profiles follow section 2.16 with z/L = 0 (stability factor 1) in the first iteration:
  // T from S_H and H_soil with f = rho_a C_p; e from S_LE and LE_soil with
  // f = lambda(T_J) 18.01 / (1000 x 8.314 T_J) at the new node-J temperature; CO2 from -S_An and
  // R_soil with f = (28.97/44) rho_m.
  const int N = Fixture::N, J = Fixture::J;
  const double ustar = s.forcing.ustar;
  std::vector<double> expected(N), scratch(J);
  concentration_profile<double>(N, J, f.dij.data(), s.source_h, f.delz.data(), 1.0 / ustar, 1.0, s.soil_heat,
                                s.forcing.air_density * 1005.0, s.forcing.t_air_k, scratch.data(), expected.data());
  for (int i = 0; i < N; ++i) EXPECT_REL_NEAR(s.profile_t[i], expected[i], 1e-13) << i;
  const double tj = s.t_air[J];
  const double factor_e = latent_heat(tj) * 18.01 / (1000.0 * 8.314 * tj);
  concentration_profile<double>(N, J, f.dij.data(), s.source_le, f.delz.data(), 1.0 / ustar, 1.0, s.soil_evap,
                                factor_e, s.forcing.eair_pa, scratch.data(), expected.data());
  for (int i = 0; i < N; ++i) EXPECT_REL_NEAR(s.profile_e[i], expected[i], 1e-13) << i;
  concentration_profile<double>(N, J, f.dij.data(), s.source_ps, f.delz.data(), 1.0 / ustar, 1.0, s.soil_resp,
                                28.97 / 44.0 * s.forcing.air_density_mole, s.forcing.co2, scratch.data(),
                                expected.data());
  for (int i = 0; i < N; ++i) EXPECT_REL_NEAR(s.co2[i], expected[i], 1e-13) << i;
}

TEST(ColumnSolver, LeafAbsorbedRadiationFollowsSection28) {
  // Section 2.8: Q_sun = Q_sun,NIR + Q_sun,PAR/4.6 + eps (L_up,j + L_down,j) (shaded alike), and
  // section 2.12: R_net = Q - 2 eps sigma T_L^4, so Q can be recovered from each leaf's R_net.
  Fixture f;
  f.run(kMidday, 3);
  const auto& s = f.state;
  const double ep = 0.98, sigma = 5.670367e-8;
  for (int j = 0; j < Fixture::J; ++j) {
    const double ir = ep * (s.ir_up[j] + s.ir_down[j]);
    const double q_sun = s.nir.sun_abs[j] + s.par.sun_abs[j] / 4.6 + ir;
    const double q_sh = s.nir.shade_abs[j] + s.par.shade_abs[j] / 4.6 + ir;
    EXPECT_REL_NEAR(s.sun.rnet[j] + 2.0 * ep * sigma * std::pow(s.sun.t_leaf[j], 4), q_sun, 1e-12) << j;
    EXPECT_REL_NEAR(s.shade.rnet[j] + 2.0 * ep * sigma * std::pow(s.shade.t_leaf[j], 4), q_sh, 1e-12) << j;
  }
}

TEST(ColumnSolver, StabilityParameterIsClipped) {
  // Section 2.17: z/L is clipped to [-3, 0.25]. The midday row with u* below its 0.1 m s-1 guard
  // and calm wind gives a strongly unstable value beyond -3 (H_c ~ 100 W m-2); with LAI 4 at the
  // recorded wind the canopy sensible heat turns slightly negative, beyond +0.25.
  for (const double lai : {2.1890625, 4.0}) {
    Fixture f;
    ForcingRow row = kMidday;
    row.ustar = 0.05;
    row.lai = lai;
    row.ws = lai < 3.0 ? 0.5 : row.ws;
    f.run(row);
    const auto& s = f.state;
    const double zl = -(0.4 * 9.8 * s.veg_h * 5.0) / (s.forcing.air_density * 1005.0 * s.forcing.t_air_k * 1e-3);
    if (lai < 3.0) {
      EXPECT_LT(zl, -3.0);
      EXPECT_DOUBLE_EQ(s.zl, -3.0);
    } else {
      EXPECT_GT(zl, 0.25);
      EXPECT_DOUBLE_EQ(s.zl, 0.25);
    }
    expect_all_finite(f);
    expect_aggregation_identities(f);
  }
}

TEST(ColumnSolver, StorageTermChangesSoilEvaporationOnly) {
  // Section 1.4 / 2.13: a previous-row surface temperature adds gamma_0 (T_0 - T_0,prev) to G.
  Fixture f;
  initialise_column(f.model, f.forcing(kMidday), f.state);
  Fixture g;
  initialise_column(g.model, g.forcing(kMidday), g.state);
  iterate_column(f.model, f.state, false, 0.0);
  const double t_boundary = g.state.t_surface;
  iterate_column(g.model, g.state, true, t_boundary - 2.0);
  EXPECT_REL_NEAR(g.state.soil_g - f.state.soil_g, g.state.soil.cp_node[0] * 2.0, 1e-9);
  EXPECT_DOUBLE_EQ(g.state.t_surface, f.state.t_surface);
  EXPECT_NE(g.state.soil_evap, f.state.soil_evap);
}

}  // namespace
