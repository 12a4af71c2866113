// The public API alone (canveg/canveg.hpp, linking canveg_core): read, check alignment, run,
// evaluate, write and read back, in the order a user's program would call them.
#include <gtest/gtest.h>

#include "canveg/canveg.hpp"
#include "test_support.hpp"

TEST(PublicApi, ReadRunEvaluateWrite) {
  using namespace canveg;
  canveg::test::TempDir dir;
  const LoadedModel model = read_model_json(canveg::test::trained("US-Hn1_Hybrid-1L-0.5.json"));
  const ForcingRecord forcing =
      read_forcing_csv(canveg::test::fluxtower("US-Hn1", "US-Hn1-forcings-test.csv")).slice(0, 480);
  const ObservedFluxes observed =
      read_flux_csv(canveg::test::fluxtower("US-Hn1", "US-Hn1-fluxes-nonegle-test.csv")).slice(0, 480);
  check_alignment(observed, forcing.timestamp, forcing.source);
  EXPECT_THROW(check_alignment(observed.slice(1, 480), forcing.slice(0, 479).timestamp, "forcing"), InputError);

  const RunResult run = run_model(model.model, forcing);
  const FitMetrics le = compute_metrics(run.outputs.LE, observed.LE);
  EXPECT_EQ(le.n, 480u);
  EXPECT_GT(le.nse, 0.0);  // a trained model explains summer LE at US-Hn1

  const std::string path = (dir.path() / "fluxes.csv").string();
  {
    io::AtomicOutputFile file(path);
    io::write_outputs(file.stream(), forcing.timestamp, run.outputs, nullptr);
    file.commit();
  }
  const io::PredictedFluxes back = io::read_predicted_fluxes(path);
  EXPECT_EQ(back.LE, run.outputs.LE);
  EXPECT_EQ(back.NEE, run.outputs.NEE);
  EXPECT_EQ(back.timestamp, forcing.timestamp);
}
