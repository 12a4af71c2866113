// The public API alone (canveg/canveg.hpp, linking canveg_core): read, check alignment, run,
// evaluate, write and read back, in the order a user's program would call them.
#include <gtest/gtest.h>

#include <limits>

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

// A forcing held in memory (as the Python module passes a DataFrame) reads to the file's record
// bit for bit, and its errors name the source and the line the row would have in a CSV.
TEST(PublicApi, ForcingColumnsInMemory) {
  using namespace canveg;
  const std::string path = canveg::test::fluxtower("US-Bi1", "US-Bi1-forcings-test.csv");
  const ForcingRecord file = read_forcing_csv(path).slice(0, 96);
  std::vector<ForcingColumn> columns = {{"TIMESTAMP_END", {}, file.timestamp},
                                        {"TA_F", file.ta, {}},
                                        {"SW_IN_F", file.rg, {}},
                                        {"eair", file.eair, {}},
                                        {"WS_F", file.ws, {}},
                                        {"CO2_F_MDS", file.co2, {}},
                                        {"PA_F", file.pa, {}},
                                        {"USTAR", file.ustar, {}},
                                        {"TS_F", file.ts, {}},
                                        {"SWC_F", file.swc, {}},
                                        {"veg_ht", file.veg_ht, {}},
                                        {"LAI", file.lai, {}}};
  const ForcingRecord memory = read_forcing_columns("table", columns);
  EXPECT_EQ(memory.timestamp, file.timestamp);
  for (std::size_t i = 0; i < kForcingFields.size(); ++i)
    EXPECT_EQ(forcing_series(memory, i), forcing_series(file, i)) << kForcingFields[i].name;

  columns[1].numbers[5] += 273.15;  // Kelvin in row 5: line 7 under a header
  try {
    read_forcing_columns("table", columns);
    ADD_FAILURE() << "Kelvin accepted";
  } catch (const InputError& e) {
    EXPECT_EQ(e.file(), "table");
    EXPECT_EQ(e.line(), 7);
    EXPECT_EQ(e.field(), "TA_F");
  }
  columns[1].numbers[5] = std::numeric_limits<double>::quiet_NaN();  // a gap, refused as in a file
  EXPECT_THROW(read_forcing_columns("table", columns), InputError);
  columns[1].numbers.pop_back();
  EXPECT_THROW(read_forcing_columns("table", columns), InputError);
  columns.erase(columns.begin() + 1);  // no air temperature: named at the header line
  try {
    read_forcing_columns("table", columns);
    ADD_FAILURE() << "missing TA_F accepted";
  } catch (const InputError& e) {
    EXPECT_EQ(e.line(), 1);
  }
}
