// canveg's training with JAX-CanVeg's settings (initial state, pooled update, onestep-jax gradient,
// stop model) against the first five epochs of the loss logs JAX-CanVeg published
// (tests/fixtures/jax-canveg/training). Whole US-Hn1 training period (17 batches of 1024), 1 layer.
//
// Tolerances, from docs/training.md: the loss at the initial state is the same computation
// (1e-11); after the first Adam step, which moves every parameter by +-lr, only the gradient's signs
// matter (1e-7); later steps depend on the gradient's size, where JAX-CanVeg's gradient has
// outliers on some batches that canveg does not reproduce, and the runs separate slowly (5e-3).
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "../test_support.hpp"
#include "canveg/canveg.hpp"

namespace {

using namespace canveg;

struct LossLog {
  std::vector<double> train, test;
};

LossLog read_log(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);  // header: training,test
  LossLog log;
  while (std::getline(in, line)) {
    const std::size_t comma = line.find(',');
    log.train.push_back(std::stod(line.substr(0, comma)));
    log.test.push_back(std::stod(line.substr(comma + 1)));
  }
  return log;
}

void reproduce(const std::string& family, const std::string& network_source) {
  const std::string site = "US-Hn1";
  const LossLog published =
      read_log(std::string(CANVEG_SOURCE_DIR) + "/tests/fixtures/jax-canveg/training/" + site + "_" + family + "_loss_first5.csv");
  ASSERT_EQ(published.train.size(), 5u);
  TrainProblem p;
  p.initial = read_model_json(test::trained(site + "_" + family + ".json"));
  p.initial.model.para = Parameters<double>{};  // every parameter at JAX-CanVeg's default
  p.initial.model.leaf_rh_net = read_model_json(test::trained(network_source)).model.leaf_rh_net;
  p.forcing = read_forcing_csv(test::fluxtower(site, site + "-forcings.csv"));
  p.observed = read_flux_csv(test::fluxtower(site, site + "-fluxes-nonegle.csv"));
  const ForcingRecord test_forcing = read_forcing_csv(test::fluxtower(site, site + "-forcings-test.csv"));
  const ObservedFluxes test_observed = read_flux_csv(test::fluxtower(site, site + "-fluxes-nonegle-test.csv"));
  p.test_forcing = &test_forcing;
  p.test_observed = &test_observed;
  TrainOptions o;
  o.epochs = 5;
  o.loss.le_weight = 0.5;
  o.gradient.method = FixedPointGradient::JaxOneStep;
  o.jax_pooled_update = true;
  o.stop_model = StopModel::Tripping;
  const TrainResult r = train(p, o);
  ASSERT_EQ(r.epochs_run, 5) << r.stop_reason;
  const double tolerance[5] = {1e-11, 1e-7, 5e-3, 5e-3, 5e-3};
  for (int e = 0; e < 5; ++e) {
    const double train_rel = r.history[e].train_loss / published.train[e] - 1.0;
    const double test_rel = r.history[e].test_loss / published.test[e] - 1.0;
    std::printf("[ jax-train ] %s epoch %d: train %.12g (published %.12g, rel %.1e), test %.12g (%.12g, %.1e)\n",
                family.c_str(), e, r.history[e].train_loss, published.train[e], train_rel, r.history[e].test_loss,
                published.test[e], test_rel);
    EXPECT_LE(std::abs(train_rel), tolerance[e]) << family << " epoch " << e << " training loss";
    // The test loss is taken after the epoch's step: one step later than the training loss.
    EXPECT_LE(std::abs(test_rel), tolerance[std::min(e + 1, 4)]) << family << " epoch " << e << " test loss";
  }
}

}  // namespace

#ifndef CANVEG_TRAIN_JAX_LONG
TEST(TrainLikeJaxCanVeg, PB1LFollowsThePublishedLossLog) { reproduce("PB-1L-0.5", "US-Hn1_PB-1L-0.5.json"); }
#else
TEST(TrainLikeJaxCanVeg, Hybrid1LFollowsThePublishedLossLog) {
  // The hybrid network starts from JAX-CanVeg's initialisation, which every PB file still holds.
  reproduce("Hybrid-1L-0.5", "US-Hn1_PB-1L-0.5.json");
}
#endif
