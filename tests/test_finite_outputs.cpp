// No NaN or infinity in any output over the four sites' complete test periods, with the energy
// diagnostics on: the aggregation terms close to round-off, the column residual equals
// Rnet - LE - H - G. CI runs the 1-layer PB and Hybrid models (CANVEG_FINITE_SUBSET); the `long`
// label adds the 50-layer ones.
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
  for (std::size_t r = 0; r < forcing.size(); ++r) {
    ASSERT_TRUE(std::isfinite(d.leaf_closure[r]) && std::isfinite(d.soil_closure[r])) << name << " row " << r;
    // Layer sources integrated over depth equal the canopy sums; column = canopy + soil.
    EXPECT_LT(d.aggregation_error[r], 1e-9 * (1.0 + std::abs(o.LE[r]) + std::abs(o.H[r]) + std::abs(o.Rnet[r])))
        << name << " row " << r;
    EXPECT_NEAR(d.column_closure[r], o.Rnet[r] - o.LE[r] - o.H[r] - o.G[r], 1e-9) << name << " row " << r;
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
