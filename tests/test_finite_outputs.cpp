// No NaN or infinity in any output over the four sites' complete test periods, with the energy
// diagnostics on: the aggregation terms close to round-off, and the energy residuals are
// consistent with the vegetation and soil fluxes reported separately:
//   leaf_closure   = Rnet_veg - LE_veg - H_veg             (vegetation residual),
//   soil_closure   = Rnet_soil - LE_soil - H_soil - G       (soil residual),
//   column_closure = (Rnet_veg + Rnet_soil) - (LE_veg + LE_soil) - (H_veg + H_soil) - G
//                  = leaf_closure + soil_closure.
// The test recomputes each right-hand side from the component outputs; the runner forms the
// diagnostics from the layer values (leaf_closure) and from the column totals (column_closure), so
// a flux dropped from or counted twice in any of them breaks one of these identities. The
// residuals themselves are not zero (README "Outputs": the leaf and soil balances of JAX-CanVeg's
// formulation do not close by construction), so nothing is asserted about their size. CI runs the
// 1-layer PB and Hybrid models (CANVEG_FINITE_SUBSET); the `long` label adds the 50-layer ones.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "canveg/forcing.hpp"
#include "test_support.hpp"
#include "canveg/model_io.hpp"
#include "canveg/run.hpp"

namespace {

const std::string kData = CANVEG_SHARED_DATA;

class FiniteOutputs : public ::testing::TestWithParam<std::string> {};

TEST_P(FiniteOutputs, EveryOutputIsFiniteOverTheTestPeriod) {
  const std::string name = GetParam();
  const std::string site = name.substr(0, 6);
  const auto model = canveg::read_model_json(kData + "/jax-canveg-trained/" + name + ".json").model;
  const auto forcing = canveg::read_forcing_csv(kData + "/fluxtower/" + site + "/" + site + "-forcings-test.csv");
  canveg::RunOptions options;
  options.diagnostics = true;
  const canveg::RunResult run = canveg::run_model(model, forcing, options);
  const canveg::CanopyOutputs& o = run.outputs;
  const std::pair<const char*, const std::vector<double>*> series[] = {
      {"LE", &o.LE},         {"H", &o.H},           {"NEE", &o.NEE},           {"GPP", &o.GPP},
      {"Rnet", &o.Rnet},     {"G", &o.G},           {"Rnet_top", &o.Rnet_top}, {"LE_veg", &o.LE_veg},
      {"LE_soil", &o.LE_soil}, {"H_veg", &o.H_veg}, {"H_soil", &o.H_soil},     {"Rnet_veg", &o.Rnet_veg},
      {"Rnet_soil", &o.Rnet_soil}, {"Rsoil", &o.Rsoil}, {"Ps", &o.Ps},        {"gs", &o.gs},
      {"Tleaf", &o.Tleaf},   {"Tsoil_sfc", &o.Tsoil_sfc}, {"zL", &o.zL}};
  for (const auto& [key, values] : series) {
    ASSERT_EQ(values->size(), forcing.size());
    for (std::size_t r = 0; r < values->size(); ++r)
      ASSERT_TRUE(std::isfinite((*values)[r])) << name << " " << key << " row " << r;
  }
  const canveg::EnergyDiagnostics& d = run.diagnostics;
  // The identities hold up to round-off: each compares two summation orders of at most 2J + 4
  // double terms (J <= 50 layers, sun and shade leaves, four soil terms), whose error is at most
  // about (2J + 4) eps sum|terms| = 104 x 2.2e-16 x sum|terms| = 2.3e-14 sum|terms|. Layer terms
  // can have opposite signs (sunlit leaves gain net radiation, shaded ones lose it); allowing
  // sum|terms| up to 40 times the flux magnitudes gives the tolerance 1e-12 x (1 + the flux
  // magnitudes). Measured over all eight 1L and ML models: at most 4.6e-16 x (1 + magnitudes),
  // about two units in the last place. A flux left out or counted twice moves a residual by that
  // flux, many orders above the tolerance wherever the flux is not itself negligible.
  for (std::size_t r = 0; r < forcing.size(); ++r) {
    ASSERT_TRUE(std::isfinite(d.leaf_closure[r]) && std::isfinite(d.soil_closure[r]) &&
                std::isfinite(d.column_closure[r]))
        << name << " row " << r;
    const double scale = 1.0 + std::abs(o.Rnet_veg[r]) + std::abs(o.Rnet_soil[r]) + std::abs(o.LE_veg[r]) +
                         std::abs(o.LE_soil[r]) + std::abs(o.H_veg[r]) + std::abs(o.H_soil[r]) + std::abs(o.G[r]);
    const double tol = 1e-12 * scale;
    // Layer sources integrated over depth equal the canopy sums; column totals = canopy + soil.
    EXPECT_LT(d.aggregation_error[r], 1e-9 * (1.0 + std::abs(o.LE[r]) + std::abs(o.H[r]) + std::abs(o.Rnet[r])))
        << name << " row " << r;
    const double veg_residual = o.Rnet_veg[r] - o.LE_veg[r] - o.H_veg[r];
    const double soil_residual = o.Rnet_soil[r] - o.LE_soil[r] - o.H_soil[r] - o.G[r];
    const double column_from_parts =
        (o.Rnet_veg[r] + o.Rnet_soil[r]) - (o.LE_veg[r] + o.LE_soil[r]) - (o.H_veg[r] + o.H_soil[r]) - o.G[r];
    EXPECT_NEAR(d.leaf_closure[r], veg_residual, tol) << name << " row " << r << ": leaf_closure";
    EXPECT_NEAR(d.soil_closure[r], soil_residual, tol) << name << " row " << r << ": soil_closure";
    EXPECT_NEAR(d.column_closure[r], column_from_parts, tol) << name << " row " << r << ": column_closure";
    EXPECT_NEAR(d.column_closure[r], d.leaf_closure[r] + d.soil_closure[r], tol)
        << name << " row " << r << ": column_closure against leaf_closure + soil_closure";
    if (HasFailure()) break;  // the first failing row says enough
  }
}

std::vector<std::string> cases() {
  std::vector<std::string> names;
  for (const char* site : {"US-Bi1", "US-Hn1", "US-Me2", "US-Whs"})
#ifdef CANVEG_FINITE_SUBSET
    for (const char* family : {"PB-1L", "Hybrid-1L"})
#else
    for (const char* family : {"PB-ML", "Hybrid-ML"})
#endif
      names.push_back(std::string(site) + "_" + family + "-0.5");
  return names;
}

INSTANTIATE_TEST_SUITE_P(TestPeriods, FiniteOutputs, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<std::string>& info) { return canveg::test::test_name_of(info.param); });

}  // namespace
