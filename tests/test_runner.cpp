// The driver's time coupling (docs/model.md 1.4, pitfall P1): chunked lock-step solving with a
// halo must give exactly the whole-record result whatever the chunk size and thread count; the
// independent mode must equal solving each half-hour alone; restarts must equal separate arrays.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "canveg/errors.hpp"
#include "canveg/forcing.hpp"
#include "canveg/model_io.hpp"
#include "canveg/run.hpp"

namespace {

const std::string kData = CANVEG_SHARED_DATA;

struct Fixture {
  canveg::Model<double> model;
  canveg::ForcingRecord forcing;
};

const Fixture& bi1() {
  static const Fixture f = [] {
    Fixture x;
    x.model = canveg::read_model_json(kData + "/jax-canveg-trained/US-Bi1_PB-ML-0.5.json").model;
    // Two days from a summer day-break, long enough for several chunks and halos.
    x.forcing = canveg::read_forcing_csv(kData + "/fluxtower/US-Bi1/US-Bi1-forcings-test.csv").slice(0, 120);
    return x;
  }();
  return f;
}

void expect_identical(const canveg::CanopyOutputs& a, const canveg::CanopyOutputs& b, std::size_t offset_b = 0) {
  ASSERT_LE(a.size() + offset_b, b.size());
  for (std::size_t r = 0; r < a.size(); ++r) {
    EXPECT_EQ(a.LE[r], b.LE[r + offset_b]) << "row " << r;
    EXPECT_EQ(a.NEE[r], b.NEE[r + offset_b]) << "row " << r;
    EXPECT_EQ(a.G[r], b.G[r + offset_b]) << "row " << r;
    EXPECT_EQ(a.H[r], b.H[r + offset_b]) << "row " << r;
  }
}

TEST(Runner, ChunkedLockStepEqualsWholeRecord) {
  const Fixture& f = bi1();
  canveg::RunOptions whole;
  whole.chunk_rows = 100000;
  whole.threads = 1;
  const auto reference = canveg::run_model(f.model, f.forcing, whole);
  for (std::size_t chunk : {1u, 7u, 16u, 33u}) {
    for (int threads : {1, 2, 3}) {
      canveg::RunOptions o;
      o.chunk_rows = chunk;
      o.threads = threads;
      const auto r = canveg::run_model(f.model, f.forcing, o);
      SCOPED_TRACE("chunk " + std::to_string(chunk) + " threads " + std::to_string(threads));
      expect_identical(reference.outputs, r.outputs);
    }
  }
}

TEST(Runner, StorageCouplingChangesGroundHeatFlux) {
  const Fixture& f = bi1();
  canveg::RunOptions coupled, independent;
  independent.storage_coupling = false;
  const auto a = canveg::run_model(f.model, f.forcing, coupled);
  const auto b = canveg::run_model(f.model, f.forcing, independent);
  // Row 0 has no predecessor in either mode.
  EXPECT_EQ(a.outputs.G[0], b.outputs.G[0]);
  double largest = 0;
  for (std::size_t r = 1; r < f.forcing.size(); ++r) largest = std::max(largest, std::abs(a.outputs.G[r] - b.outputs.G[r]));
  // A 1-2 K change of surface temperature between half-hours is worth ~10 W m-2 of storage.
  EXPECT_GT(largest, 1.0);
}

TEST(Runner, IndependentHalfHoursEqualSingleRowRuns) {
  const Fixture& f = bi1();
  canveg::RunOptions independent;
  independent.storage_coupling = false;
  const auto all = canveg::run_model(f.model, f.forcing, independent);
  for (std::size_t r : {0u, 13u, 30u, 77u, 119u}) {
    const auto one = canveg::run_model(f.model, f.forcing.slice(r, r + 1), canveg::RunOptions{});
    EXPECT_EQ(one.outputs.LE[0], all.outputs.LE[r]);
    EXPECT_EQ(one.outputs.NEE[0], all.outputs.NEE[r]);
    EXPECT_EQ(one.outputs.G[0], all.outputs.G[r]);
  }
}

TEST(Runner, RestartsEqualSeparateArrays) {
  const Fixture& f = bi1();
  canveg::RunOptions batched;
  batched.restart_every = 50;
  batched.chunk_rows = 16;
  const auto all = canveg::run_model(f.model, f.forcing, batched);
  for (std::size_t start : {0u, 50u, 100u}) {
    const std::size_t end = std::min<std::size_t>(start + 50, f.forcing.size());
    const auto part = canveg::run_model(f.model, f.forcing.slice(start, end), canveg::RunOptions{});
    expect_identical(part.outputs, all.outputs, start);
  }
}

// The optional corrections of JAX-CanVeg behaviour change the results in the expected direction.
TEST(Runner, CorrectedDarkRespirationRaisesDaytimeAssimilation) {
  canveg::Model<double> m = bi1().model;
  const auto reference = canveg::run_model(m, bi1().forcing);
  m.setup.single_dark_respiration = true;
  const auto corrected = canveg::run_model(m, bi1().forcing);
  int higher = 0;
  for (std::size_t r = 0; r < bi1().forcing.size(); ++r)
    if (bi1().forcing.rg[r] > 300 && corrected.outputs.Ps[r] > reference.outputs.Ps[r] + 0.1) ++higher;
  EXPECT_GT(higher, 10);
}

TEST(Runner, MoreShortwaveSweepsChangeCanopyReflection) {
  canveg::Model<double> m = bi1().model;
  const auto reference = canveg::run_model(m, bi1().forcing);
  m.setup.shortwave_sweeps = 25;
  const auto converged = canveg::run_model(m, bi1().forcing);
  double largest = 0;
  for (std::size_t r = 0; r < bi1().forcing.size(); ++r)
    largest = std::max(largest, std::abs(converged.outputs.Rnet_top[r] - reference.outputs.Rnet_top[r]));
  // Soil-reflected light now leaves the canopy: the top-of-canopy balance changes by day.
  EXPECT_GT(largest, 1.0);
}

TEST(Runner, RejectsModelWithWrongDispersionMatrix) {
  canveg::Model<double> m = bi1().model;
  m.dij.pop_back();
  EXPECT_THROW(canveg::run_model(m, bi1().forcing), canveg::InputError);
}

}  // namespace
