// No NaN or Inf in the gradient over the four sites' full test periods (label `long`): the
// 50-layer PB and Hybrid models in JAX-CanVeg's training batches (1024 contiguous half-hours,
// remainder kept), and the 1-layer models with independent half-hours. Every batch's gradient
// must be finite (LossGradient::nonfinite counts the batch components that were not), so no
// half-hour relies on the nanmean over batches.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <string>
#include <tuple>

#include "canveg/gradient.hpp"
#include "canveg/model_io.hpp"

namespace {

using namespace canveg;

const std::string kData = CANVEG_SHARED_DATA;

class GradientFinite : public ::testing::TestWithParam<std::tuple<std::string, std::string>> {};

TEST_P(GradientFinite, WholeTestPeriod) {
  const auto& [site, family] = GetParam();
  const std::string name = site + "_" + family + "-0.5";
  const Model<double> model = read_model_json(kData + "/jax-canveg-trained/" + name + ".json").model;
  const ForcingRecord forcing = read_forcing_csv(kData + "/fluxtower/" + site + "/" + site + "-forcings-test.csv");
  const ObservedFluxes observed = read_flux_csv(kData + "/fluxtower/" + site + "/" + site +
                                                (site == "US-Hn1" ? "-fluxes-nonegle-test.csv" : "-fluxes-test.csv"));
  LossSpec loss;
  loss.scaler = standard_scaler(observed);
  GradientOptions options;
  options.keep_remainder = true;
  options.batch_size = family.find("ML") != std::string::npos ? 1024 : 1;
  const ParameterSpace space(model);
  const LossGradient g = loss_and_gradient(model, space, forcing, observed, loss, options);
  EXPECT_EQ(g.rows, forcing.size());
  EXPECT_EQ(g.nonfinite, 0u) << name;
  for (std::size_t k = 0; k < space.size(); ++k) EXPECT_TRUE(std::isfinite(g.gradient[k])) << name << " " << space.name(k);
  EXPECT_TRUE(std::isfinite(g.loss));
  std::printf("[ gradient ] %-22s %zu rows in %zu batches: loss %.6g, %.0f s, peak working memory %.0f MB\n",
              name.c_str(), g.rows, g.batches, g.loss, g.seconds, g.peak_memory_bytes / 1e6);
}

INSTANTIATE_TEST_SUITE_P(Sites, GradientFinite,
                         ::testing::Combine(::testing::Values("US-Bi1", "US-Hn1", "US-Me2", "US-Whs"),
                                            ::testing::Values("PB-1L", "Hybrid-1L", "PB-ML", "Hybrid-ML")),
                         [](const auto& info) {
                           std::string s = std::get<0>(info.param) + "_" + std::get<1>(info.param);
                           for (char& c : s)
                             if (c == '-') c = '_';
                           return s;
                         });

}  // namespace
