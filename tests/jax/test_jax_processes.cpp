// Each process, run on JAX-CanVeg's own inputs, against JAX-CanVeg's outputs.
//
// The fixtures hold, for a few half-hours per window (day/night, stable/unstable, summer/winter)
// of 16 trained models (four sites, PB and Hybrid, 1 and 50 layers), the model state before and
// after JAX-CanVeg's last fixed-point iteration. Feeding the "before" state to one of our process
// functions must give the "after" value of that process: relative 1e-8 or absolute 1e-6.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "canveg/forcing.hpp"
#include "test_support.hpp"
#include "canveg/model_io.hpp"
#include "jax/fixture.hpp"
#include "physics/column_solver.hpp"
#include "run/column_model.hpp"

namespace {

namespace ph = canveg::physics;
using canveg::testing::as_vector;
using canveg::testing::within_oracle_tolerance;
using nlohmann::json;

const std::string kData = CANVEG_SHARED_DATA;
const std::string kFixtures = CANVEG_FIXTURE_DIR;

struct Checker {
  std::string where;
  int failures = 0;
  int compared = 0;
  double worst_abs = 0;
  void check(const std::string& what, double ours, double ref) {
    ++compared;
    worst_abs = std::max(worst_abs, std::abs(ours - ref));
    if (!within_oracle_tolerance(ours, ref)) {
      ++failures;
      ADD_FAILURE() << where << " " << what << ": ours " << ours << " JAX " << ref;
    }
  }
  void check(const std::string& what, const double* ours, const std::vector<double>& ref, std::size_t n) {
    ASSERT_GE(ref.size(), n) << what;
    for (std::size_t i = 0; i < n; ++i) check(what + "[" + std::to_string(i) + "]", ours[i], ref[i]);
  }
};

class JaxProcesses : public ::testing::TestWithParam<std::string> {};

TEST_P(JaxProcesses, EveryProcessMatchesOnJaxInputs) {
  const std::string name = GetParam();
  const json fx = canveg::testing::read_gzip_json(kFixtures + "/" + name + ".json.gz");
  const canveg::Model<double> model =
      canveg::read_model_json(kData + "/jax-canveg-trained/" + name + ".json").model;
  const std::string site = name.substr(0, 6);
  const canveg::ForcingRecord forcing =
      canveg::read_forcing_csv(kData + "/fluxtower/" + site + "/" + site + "-forcings-test.csv");
  const std::vector<double> dij_t =
      canveg::transpose_dij(model.dij, model.setup.n_total_layers, model.setup.n_can_layers);
  const ph::ColumnModel<double> m = canveg::make_column_model(model, dij_t);
  const canveg::Parameters<double>& p = model.para;
  const int J = m.J, N = m.N;

  for (const auto& [wname, win] : fx["windows"].items()) {
    const std::size_t start = win["start_row"].get<std::size_t>();
    for (const json& rec : win["process"]) {
      const std::size_t row = rec["row"].get<std::size_t>();
      const json& before = rec["before_last"];
      const json& after = rec["after_last"];
      Checker c{name + " " + wname + " row " + std::to_string(row)};
      const ph::RowForcing f = canveg::row_forcing(forcing, start + row);
      auto vec = [](const json& j, const char* key) { return as_vector(j[key]); };

      // Sun angle and leaf-angle quantities (docs/model.md 2.2, 2.4).
      const double sin_beta = ph::solar_sine_elevation(m.latitude, m.longitude, m.time_zone, f.doy, f.hour);
      c.check("sin_beta", sin_beta, rec["sin_beta"].get<double>());
      const double g_sun = ph::g_function_sun(ph::solar_zenith(sin_beta), m.sky.leaves);
      c.check("Gfunc", g_sun, rec["Gfunc"].get<double>());
      const double dl = f.lai / J;
      const double tau_d = ph::diffuse_transmissivity(m.sky, dl * p.leaf_clumping_factor);
      c.check("integ_exp_diff", tau_d, as_vector(rec["integ_exp_diff"])[0]);

      // Direct/diffuse partitioning (2.5).
      const ph::RadiationPartition rad = ph::partition_radiation(sin_beta, f.rglobal, f.parin, f.pressure_kpa);
      c.check("quantum.inbeam", rad.par_beam, after["quantum.inbeam"].get<double>());
      c.check("quantum.indiffuse", rad.par_diffuse, after["quantum.indiffuse"].get<double>());
      c.check("nir.inbeam", rad.nir_beam, after["nir.inbeam"].get<double>());
      c.check("nir.indiffuse", rad.nir_diffuse, after["nir.indiffuse"].get<double>());

      // PAR and NIR transfer, one sweep from zero upward flux (2.6, P3).
      std::vector<double> buf(6 * (J + 1));
      double* b = buf.data();
      const ph::ShortwaveField<double> out{b, b + (J + 1), b + 2 * (J + 1), b + 3 * (J + 1), b + 4 * (J + 1),
                                           b + 5 * (J + 1)};
      std::vector<double> e1(J + 1), e2(J + 1);
      for (int band = 0; band < 2; ++band) {
        const char* pre = band == 0 ? "quantum." : "nir.";
        if (band == 0)
          ph::shortwave_transfer(J, sin_beta, g_sun, dl, p.leaf_clumping_factor, tau_d,
                                 ph::Waveband{rad.par_beam, rad.par_diffuse}, p.par_reflect, p.par_trans,
                                 p.par_soil_refl, 1, e1.data(), e2.data(), out);
        else
          ph::shortwave_transfer(J, sin_beta, g_sun, dl, p.leaf_clumping_factor, tau_d,
                                 ph::Waveband{rad.nir_beam, rad.nir_diffuse}, p.nir_reflect, p.nir_trans,
                                 p.nir_soil_refl, 1, e1.data(), e2.data(), out);
        if (band == 0) c.check("quantum.prob_beam", out.prob_beam, vec(after, "quantum.prob_beam"), J + 1);
        c.check(std::string(pre) + "beam_flux", out.beam, vec(after, (std::string(pre) + "beam_flux").c_str()), J + 1);
        c.check(std::string(pre) + "up_flux", out.up, vec(after, (std::string(pre) + "up_flux").c_str()), J + 1);
        c.check(std::string(pre) + "dn_flux", out.down, vec(after, (std::string(pre) + "dn_flux").c_str()), J + 1);
        c.check(std::string(pre) + "sun_abs", out.sun_abs, vec(after, (std::string(pre) + "sun_abs").c_str()), J);
        c.check(std::string(pre) + "sh_abs", out.shade_abs, vec(after, (std::string(pre) + "sh_abs").c_str()), J);
      }
      const std::vector<double> prob_beam = vec(after, "quantum.prob_beam");

      // Longwave from the previous leaf and soil temperatures, warm-started (2.7).
      {
        const double sky = ph::sky_longwave(f.t_air_k, rad.cloudiness_ratio, p.sigma);
        c.check("ir.ir_in", sky, after["ir.ir_in"].get<double>());
        std::vector<double> dn = vec(before, "ir.ir_dn"), up = vec(before, "ir.ir_up"), src(J);
        const std::vector<double> ts = vec(before, "sun.Tsfc"), th = vec(before, "shade.Tsfc");
        ph::longwave_transfer(J, 50, sky, prob_beam.data(), ts.data(), th.data(), tau_d, p.ep, p.epsoil, p.sigma,
                              before["soil.sfc_temperature"].get<double>(), dn.data(), up.data(), src.data());
        c.check("ir.ir_dn", dn.data(), vec(after, "ir.ir_dn"), J + 1);
        c.check("ir.ir_up", up.data(), vec(after, "ir.ir_up"), J + 1);
      }

      // Absorbed energy (2.8) from JAX's fields of the same iteration.
      const std::vector<double> ir_dn = vec(after, "ir.ir_dn"), ir_up = vec(after, "ir.ir_up");
      std::vector<double> q_sun(J), q_shade(J);
      for (int j = 0; j < J; ++j) {
        const double ir = (ir_up[j] + ir_dn[j]) * p.ep;
        q_sun[j] = vec(after, "nir.sun_abs")[j] + vec(after, "quantum.sun_abs")[j] / 4.6 + ir;
        q_shade[j] = vec(after, "nir.sh_abs")[j] + vec(after, "quantum.sh_abs")[j] / 4.6 + ir;
      }
      c.check("qin.sun_abs", q_sun.data(), vec(after, "qin.sun_abs"), J);
      c.check("qin.shade_abs", q_shade.data(), vec(after, "qin.shade_abs"), J);

      // Boundary layer, photosynthesis/stomata and leaf energy balance of sunlit and shaded
      // leaves (2.9-2.12) with the previous leaf temperatures and air profiles.
      const std::vector<double> t_air = vec(before, "prof.Tair_K"), e_air = vec(before, "prof.eair_Pa"),
                                co2 = vec(before, "prof.co2"), wind = vec(after, "prof.wind");
      const double top = ph::canopy_top_wind(f.wind, m.canopy_height, m.measurement_height);
      for (int j = 0; j < J; ++j) c.check("prof.wind", ph::canopy_wind(top, m.zht[j], m.canopy_height), wind[j]);
      for (const char* cls : {"sun", "shade"}) {
        const std::string k = cls;
        const std::vector<double> t_prev = vec(before, (k + ".Tsfc").c_str());
        const std::vector<double> par_abs = vec(after, k == "sun" ? "quantum.sun_abs" : "quantum.sh_abs");
        const std::vector<double>& q = k == "sun" ? q_sun : q_shade;
        const std::vector<double> gs_jax = vec(after, (k + ".gs").c_str());
        for (int j = 0; j < J; ++j) {
          const auto rb = ph::boundary_resistance(t_prev[j], t_air[j], wind[j], f.pressure_kpa, p, m.blc);
          const double rh = ph::leaf_relative_humidity(m, t_prev[j], e_air[j], f.swc);
          const auto ps = ph::leaf_photosynthesis(par_abs[j], co2[j], t_prev[j], rb.co2, f.pressure_kpa, rh,
                                                  m.amphistomatous, p);
          c.check(k + ".Ps", ps.net_assimilation, vec(after, (k + ".Ps").c_str())[j]);
          c.check(k + ".gs", ps.gs_m_s, gs_jax[j]);
          c.check(k + ".Resp", ps.dark_respiration, vec(after, (k + ".Resp").c_str())[j]);
          c.check(k + ".Leaf_RH", ps.leaf_rh, vec(after, (k + ".Leaf_RH").c_str())[j]);
          // Leaf energy with JAX's own g_s, so this process is compared in isolation.
          const auto e = ph::leaf_energy_balance(q[j], rb.heat, rb.vapor, gs_jax[j], t_air[j], e_air[j],
                                                 f.pressure_kpa, m.amphistomatous, p);
          c.check(k + ".LE", e.LE, vec(after, (k + ".LE").c_str())[j]);
          c.check(k + ".H", e.H, vec(after, (k + ".H").c_str())[j]);
          c.check(k + ".Tsfc", e.t_leaf, vec(after, (k + ".Tsfc").c_str())[j]);
          c.check(k + ".Rnet", e.rnet, vec(after, (k + ".Rnet").c_str())[j]);
          c.check(k + ".vpd_Pa", e.vpd, vec(after, (k + ".vpd_Pa").c_str())[j]);
          // The leaf closure residual equals JAX-CanVeg's (pitfall P12).
          c.check(k + ".closure", e.closure, vec(after, (k + ".closure").c_str())[j]);
        }
      }

      // Soil energy balance (2.13) continuing from the previous soil profile, with the storage
      // term from the previous row's surface temperature.
      ph::SoilColumn soil = ph::make_soil_column(m.soil_depth, f.swc, f.t_air_k, f.pressure_kpa, f.t_soil_k, m.dt_soil, m.soil_steps);
      std::vector<double> t_soil = vec(before, "soil.T_soil");
      const double t_up = before["soil.sfc_temperature"].get<double>();
      ph::soil_heat_conduction(soil, t_up, m.soil_steps, t_soil.data());
      c.check("soil.T_soil", t_soil.data(), vec(after, "soil.T_soil"), ph::kSoilNodes);
      const double g_cond = soil.k_cond[0] * (t_soil[0] - t_soil[1]);
      const bool has_prev = !rec["previous_row_sfc_temperature_before_last"].is_null();
      const double storage =
          has_prev ? soil.cp_node[0] * (t_up - rec["previous_row_sfc_temperature_before_last"].get<double>()) : 0.0;
      const std::vector<double> qb = vec(after, "quantum.beam_flux"), qd = vec(after, "quantum.dn_flux"),
                                qu = vec(after, "quantum.up_flux"), nb = vec(after, "nir.beam_flux"),
                                nd = vec(after, "nir.dn_flux"), nu = vec(after, "nir.up_flux");
      const double q_soil = (qb[0] + qd[0] - qu[0]) / 4.6 + nb[0] + nd[0] - nu[0] + ir_dn[0] * p.epsoil;
      const double lout_init = p.ep * p.sigma * std::pow(f.t_air_k, 4.0);
      const auto surf = ph::soil_surface_balance(soil, q_soil, g_cond, storage, t_air[0], e_air[0], t_air[1],
                                                 wind[J > 1 ? 1 : 0], m.zht[1], t_up, lout_init, f.air_density,
                                                 f.pressure_kpa, p);
      c.check("soil.evap", surf.evaporation, after["soil.evap"].get<double>());
      c.check("soil.heat", surf.heat, after["soil.heat"].get<double>());
      c.check("soil.rnet", surf.rnet, after["soil.rnet"].get<double>());
      c.check("soil.gsoil", surf.gsoil, after["soil.gsoil"].get<double>());
      c.check("soil.sfc_temperature", surf.temperature, after["soil.sfc_temperature"].get<double>());

      // Soil respiration (2.14) at soil node 9.
      double resp = 0;
      if (m.soil_respiration == canveg::SoilRespirationModule::Q10)
        resp = ph::soil_respiration_q10(t_soil[9], f.swc, p);
      else if (m.soil_respiration == canveg::SoilRespirationModule::Alfalfa)
        resp = ph::soil_respiration_alfalfa(before["veg.Ps"].get<double>(), before["veg.Rd"].get<double>(), t_soil[9],
                                            f.swc, f.canopy_height_forcing);
      c.check("soil.resp", resp, after["soil.resp"].get<double>());

      // Profiles (2.15-2.16) from JAX's new sources with the previous z/L, and the new z/L (2.17).
      {
        const double adens = dl / (m.canopy_height / J);
        std::vector<double> sh(J), sle(J), sps(J), sum_t(N), sum_e(N), sum_c(N);
        double hh = 0;
        const auto sunH = vec(after, "sun.H"), shH = vec(after, "shade.H"), sunLE = vec(after, "sun.LE"),
                   shLE = vec(after, "shade.LE"), sunPs = vec(after, "sun.Ps"), shPs = vec(after, "shade.Ps");
        for (int j = 0; j < J; ++j) {
          const double pb = prob_beam[j], psh = 1.0 - pb;
          sh[j] = (pb * sunH[j] + psh * shH[j]) * adens;
          sle[j] = (pb * sunLE[j] + psh * shLE[j]) * adens;
          sps[j] = -((pb * sunPs[j] + psh * shPs[j]) * adens);
          hh += (pb * sunH[j] + psh * shH[j]) * dl;
        }
        ph::dispersion_sums({N, N}, J, m.dij, m.dij_t, m.delz, sh.data(), sle.data(), sps.data(), sum_t.data(), sum_e.data(),
                            sum_c.data());
        const double stab = ph::dispersion_stability_factor(before["met.zL"].get<double>());
        const double uf = 1.0 / f.ustar;
        ph::profile_from_sums({N, N}, m.dij_t, uf, stab, after["soil.heat"].get<double>(), f.air_density * p.Cp,
                              f.t_air_k, sum_t.data());
        std::vector<double> t_new(N), e_new(N);
        for (int i = 0; i < N; ++i) t_new[i] = 0.25 * sum_t[i] + 0.75 * t_air[i];
        c.check("prof.Tair_K", t_new.data(), vec(after, "prof.Tair_K"), N);
        const double factor = ph::latent_heat(t_new[J]) * 18.01 / (1000.0 * 8.314 * t_new[J]);
        ph::profile_from_sums({N, N}, m.dij_t, uf, stab, after["soil.evap"].get<double>(), factor, f.eair_pa, sum_e.data());
        for (int i = 0; i < N; ++i) e_new[i] = 0.25 * sum_e[i] + 0.75 * e_air[i];
        c.check("prof.eair_Pa", e_new.data(), vec(after, "prof.eair_Pa"), N);
        ph::profile_from_sums({N, N}, m.dij_t, uf, stab, after["soil.resp"].get<double>(),
                              (28.97 / 44.0) * f.air_density_mole, f.co2, sum_c.data());
        c.check("prof.co2", sum_c.data(), vec(after, "prof.co2"), N);
        const double zl = -(0.4 * 9.8 * hh * m.measurement_height) /
                          (f.air_density * 1005.0 * f.t_air_k * f.ustar * f.ustar * f.ustar);
        c.check("met.zL", std::min(0.25, std::max(-3.0, zl)), after["met.zL"].get<double>());
      }
      EXPECT_GT(c.compared, 20 * J);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, JaxProcesses, ::testing::ValuesIn(canveg::testing::fixture_models(kFixtures)),
                         [](const ::testing::TestParamInfo<std::string>& info) { return canveg::test::test_name_of(info.param); });

}  // namespace
