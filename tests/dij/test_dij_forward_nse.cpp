// Acceptance of the dispersion-matrix generator in the model (docs/dispersion-matrix.md,
// "Effect on the model"): for one PB-ML model per site, forward runs over the site's test period
// with matrices we generate (1,000,000 particles, as the shipped ones; seeds 1-4) against the same
// run with the shipped matrix, compared by LE and NEE Nash-Sutcliffe efficiency, with fixed
// tolerances derived from the Monte-Carlo noise of a 10^6-particle matrix (below). Label `long`
// (about 8 minutes on 2 cores); every run appends its row to dij_forward_nse.csv.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <fstream>
#include <ostream>
#include <string>
#include <vector>

#include "canveg/forcing.hpp"
#include "canveg/metrics.hpp"
#include "canveg/model_io.hpp"
#include "canveg/observations.hpp"
#include "canveg/run.hpp"
#include "dij/dispersion_generator.hpp"

namespace {

const std::string kData = CANVEG_SHARED_DATA;

struct Nse {
  double le = 0, nee = 0;
};

// JAX-CanVeg's test protocol (as tests/test_reproduction.cpp): the whole test period as one
// record; US-Hn1 is scored against the file with negative LE removed.
Nse test_period_nse(const canveg::Model<double>& model, const std::string& site) {
  const canveg::ForcingRecord forcing =
      canveg::read_forcing_csv(kData + "/fluxtower/" + site + "/" + site + "-forcings-test.csv");
  const std::string fluxes = site == "US-Hn1" ? "-fluxes-nonegle-test.csv" : "-fluxes-test.csv";
  const canveg::ObservedFluxes observed = canveg::read_flux_csv(kData + "/fluxtower/" + site + "/" + site + fluxes);
  const canveg::RunResult run = canveg::run_model(model, forcing);
  return {canveg::compute_metrics(run.outputs.LE, observed.LE).nse,
          canveg::compute_metrics(run.outputs.NEE, observed.NEE).nse};
}

class DijForwardNse : public ::testing::TestWithParam<std::string> {};

// Fixed tolerances, from the Monte-Carlo noise of the matrices. The shipped matrices are one
// random draw of 10^6 particles, ours are others, so each comparison is between two independent
// draws and its noise is sqrt(2) times that of one draw; all Monte-Carlo noise scales as
// 1/sqrt(particles), hence the factor sqrt(1e6 / particles) (1 at the count used here).
//  * Matrix: the relative Frobenius difference between two of our seeds at 10^6 particles is
//    0.018 (0.0175-0.0182 over three pairs and four sites, docs/dispersion-matrix.md, "Acceptance
//    study"); ours against shipped must stay within twice that, 0.036, the acceptance of that
//    study.
//  * NSE: over the five draws of each site (shipped and seeds 1-4), the standard deviation of the
//    test NSE is at most 0.00097 (US-Whs LE; 0.00003-0.0006 elsewhere) wherever the model settles.
//    With sigma = 0.001 per draw, four standard deviations of a difference of two draws give
//    4 x sqrt(2) x 0.001 = 0.0057, so |NSE_ours - NSE_shipped| <= 0.006 for each seed.
//  * US-Me2 LE: a few half-hours of the 18 m forest do not settle in the 15 fixed-point
//    iterations and jump by up to 1,500 W m-2 with any change of the matrix, so the NSE moves
//    with the draw: its standard deviation over the five draws is 0.039, and the same rule gives
//    4 x sqrt(2) x 0.039 = 0.22. That bound catches only gross errors; the matrix check above and
//    US-Me2 NEE (which those half-hours barely touch) hold that site to the noise level.
constexpr double kFrobeniusTolerance = 0.036;
constexpr double kNseTolerance = 0.006;
constexpr double kUnsettledLeNseTolerance = 0.22;

TEST_P(DijForwardNse, GeneratedMatrixGivesTheShippedMatrixNse) {
  const std::string site = GetParam();
  const canveg::LoadedModel loaded = canveg::read_model_json(kData + "/jax-canveg-trained/" + site + "_PB-ML-0.5.json");
  canveg::Model<double> model = loaded.model;
  const canveg::Setup& s = model.setup;
  const std::vector<double> shipped_dij = model.dij;
  const Nse shipped = test_period_nse(model, site);

  canveg::DispersionConfig config;
  config.canopy_height = s.canopy_height;
  config.measurement_height = s.measurement_height;
  config.canopy_layers = s.n_can_layers;
  config.atmosphere_layers = s.n_atmos_layers();
  config.particles = 1000000;
  const double noise_scale = std::sqrt(1e6 / static_cast<double>(config.particles));
  const double le_tolerance = (site == "US-Me2" ? kUnsettledLeNseTolerance : kNseTolerance) * noise_scale;
  const double nee_tolerance = kNseTolerance * noise_scale;

  constexpr int kSeeds = 4;
  for (int seed = 1; seed <= kSeeds; ++seed) {
    config.seed = static_cast<std::uint64_t>(seed);
    const canveg::DispersionMatrix generated = canveg::generate_dispersion_matrix(config);
    ASSERT_EQ(generated.rows, s.n_total_layers);
    ASSERT_EQ(generated.cols, s.n_can_layers);
    model.dij = generated.values;
    const Nse o = test_period_nse(model, site);
    const double frobenius = canveg::relative_frobenius_difference(generated.values, shipped_dij);
    {
      std::ofstream table("dij_forward_nse.csv", std::ios::app);
      table.precision(6);
      table << site << "_PB-ML-0.5," << seed << "," << frobenius << "," << shipped.le << "," << o.le << ","
            << o.le - shipped.le << "," << shipped.nee << "," << o.nee << "," << o.nee - shipped.nee << "\n";
    }
    ASSERT_TRUE(std::isfinite(o.le) && std::isfinite(o.nee)) << site << " seed " << seed;
    EXPECT_LE(frobenius, kFrobeniusTolerance * noise_scale) << site << " seed " << seed << ": matrix";
    EXPECT_LE(std::abs(o.le - shipped.le), le_tolerance)
        << site << " LE seed " << seed << ": ours " << o.le << ", shipped " << shipped.le;
    EXPECT_LE(std::abs(o.nee - shipped.nee), nee_tolerance)
        << site << " NEE seed " << seed << ": ours " << o.nee << ", shipped " << shipped.nee;
  }
}

INSTANTIATE_TEST_SUITE_P(Sites, DijForwardNse, ::testing::Values("US-Bi1", "US-Hn1", "US-Me2", "US-Whs"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& ch : n)
                             if (ch == '-') ch = '_';
                           return n;
                         });

}  // namespace
