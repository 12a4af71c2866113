// Acceptance of the dispersion-matrix generator in the model (docs/dispersion-matrix.md,
// "Effect on the model"): for one PB-ML model per site, forward runs over the site's test period
// with matrices we generate (1,000,000 particles, as the shipped ones; seeds 1-4) against the same
// run with the shipped matrix, compared by LE and NEE Nash-Sutcliffe efficiency. Label `long`
// (about 6 minutes on 2 cores); every run appends its row to dij_forward_nse.csv.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <ostream>
#include <string>

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

// The shipped matrices are one random draw of about 1e6 particles, so the NSE they give is itself
// a random variable; its spread over our seeds says what a 0.01 criterion can resolve. Where four
// seeds agree with each other to within 0.01, the acceptance criterion (0.01) is asserted for
// every seed.
// Where they do not (US-Me2 50L LE: a few half-hours whose 15 iterations do not settle and that
// jump by up to 1,500 W m-2 with any change of the matrix; docs/dispersion-matrix.md), the
// shipped matrix must lie within that spread, widened by 0.01: it must behave like one of our
// draws.
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

  constexpr int kSeeds = 4;
  std::vector<Nse> ours;
  for (int seed = 1; seed <= kSeeds; ++seed) {
    config.seed = static_cast<std::uint64_t>(seed);
    const canveg::DispersionMatrix generated = canveg::generate_dispersion_matrix(config);
    ASSERT_EQ(generated.rows, s.n_total_layers);
    ASSERT_EQ(generated.cols, s.n_can_layers);
    model.dij = generated.values;
    ours.push_back(test_period_nse(model, site));
    const Nse& o = ours.back();
    std::ofstream table("dij_forward_nse.csv", std::ios::app);
    table.precision(6);
    table << site << "_PB-ML-0.5," << seed << ","
          << canveg::relative_frobenius_difference(generated.values, shipped_dij) << "," << shipped.le << ","
          << o.le << "," << o.le - shipped.le << "," << shipped.nee << "," << o.nee << "," << o.nee - shipped.nee
          << "\n";
    ASSERT_TRUE(std::isfinite(o.le) && std::isfinite(o.nee)) << site << " seed " << seed;
  }

  const auto check = [&](const char* flux, double shipped_nse, double Nse::*member) {
    double lo = ours[0].*member, hi = lo;
    for (const Nse& o : ours) lo = std::min(lo, o.*member), hi = std::max(hi, o.*member);
    if (hi - lo <= 0.01) {
      for (std::size_t k = 0; k < ours.size(); ++k)
        EXPECT_LE(std::abs(ours[k].*member - shipped_nse), 0.01)
            << site << " " << flux << " seed " << k + 1 << ": ours " << ours[k].*member << ", shipped " << shipped_nse;
    } else {
      std::printf("[ dij ] %s %s: NSE over %d seeds spans %.4f..%.4f (shipped %.4f); the 0.01 criterion is below "
                  "the matrix-draw noise here\n", site.c_str(), flux, kSeeds, lo, hi, shipped_nse);
      EXPECT_GE(shipped_nse, lo - 0.01) << site << " " << flux;
      EXPECT_LE(shipped_nse, hi + 0.01) << site << " " << flux;
    }
  };
  check("LE", shipped.le, &Nse::le);
  check("NEE", shipped.nee, &Nse::nee);
}

INSTANTIATE_TEST_SUITE_P(Sites, DijForwardNse, ::testing::Values("US-Bi1", "US-Hn1", "US-Me2", "US-Whs"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& ch : n)
                             if (ch == '-') ch = '_';
                           return n;
                         });

}  // namespace
