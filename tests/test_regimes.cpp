// Synthetic extremes of weather and canopy (docs/model.md 5.1 ranges): polar night and midnight
// sun, LAI 0 and 8, frozen soil, -40 and +50 degC, air at saturation and nearly dry, calm air with
// wind and u* at their floors, 60 kPa, CO2 200 and 1000 ppm. Each regime is one day of
// half-hours, run with 1- and 50-layer PB and hybrid models in both formulations: every output, and
// the loss and its exact gradient, must be finite. The forcing reader accepts every regime too
// (they lie inside its physical ranges).
#include <cmath>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "canveg/canveg.hpp"
#include "test_support.hpp"

namespace {

using namespace canveg;

// Saturation vapour pressure [kPa] over water (Tetens), for building humid and dry air.
double es_kpa(double ta) { return 0.61078 * std::exp(17.27 * ta / (ta + 237.3)); }

// The weather of one half-hour of a regime day.
struct HalfHour {
  double ta = 25, rg = 0, eair = 1.5, ws = 3, co2 = 410, pa = 101, ustar = 0.4, ts = 20, swc = 0.3, lai = 3;
};

struct Regime {
  std::string name;
  int doy = 172;
  double latitude = 0;  // 0: the model's own
  // The half-hour ending at `hour` (0.5 .. 24) of the day.
  std::function<HalfHour(double hour)> weather;
};

double daylight(double hour) { return std::max(0.0, std::sin((hour - 6.0) / 12.0 * M_PI)); }

// A summer day: 800 W m-2 at noon, 18..30 degC, 60% relative humidity.
HalfHour summer(double hour) {
  HalfHour h;
  h.ta = 24 + 6 * std::sin((hour - 9.0) / 12.0 * M_PI);
  h.rg = 800 * daylight(hour);
  h.eair = 0.6 * es_kpa(h.ta);
  return h;
}

std::vector<Regime> regimes() {
  const auto with = [](std::function<void(HalfHour&, double)> change) {
    return [change](double hour) {
      HalfHour h = summer(hour);
      change(h, hour);
      return h;
    };
  };
  return {
      {"polar night", 355, 78.0, with([](HalfHour& h, double) {
         h.ta = -25, h.rg = 0, h.eair = 0.8 * es_kpa(h.ta), h.ts = -10, h.swc = 0.1, h.lai = 0.5;
       })},
      {"midnight sun", 172, 78.0, with([](HalfHour& h, double hour) {
         h.ta = 5, h.rg = 150 + 350 * daylight(hour), h.eair = 0.7 * es_kpa(h.ta), h.ts = 2;
       })},
      {"LAI 0", 172, 0, with([](HalfHour& h, double) { h.lai = 0; })},
      {"LAI 8", 172, 0, with([](HalfHour& h, double) { h.lai = 8; })},
      {"frozen soil", 30, 0, with([](HalfHour& h, double hour) {
         h.ta = -5, h.rg = 300 * daylight(hour), h.eair = 0.9 * es_kpa(h.ta), h.ts = -15, h.swc = 0.05;
       })},
      {"-40 degC", 15, 0, with([](HalfHour& h, double hour) {
         h.ta = -40, h.rg = 200 * daylight(hour), h.eair = 0.5 * es_kpa(h.ta), h.ts = -20;
       })},
      {"+50 degC", 200, 0, with([](HalfHour& h, double hour) {
         h.ta = 45 + 5 * daylight(hour), h.rg = 1000 * daylight(hour), h.eair = 0.2 * es_kpa(h.ta), h.ts = 40,
         h.swc = 0.05;
       })},
      {"saturated air", 172, 0, with([](HalfHour& h, double) { h.eair = es_kpa(h.ta); })},
      {"dry air", 172, 0, with([](HalfHour& h, double) { h.eair = 0.01; })},
      {"calm", 172, 0, with([](HalfHour& h, double) { h.ws = 0, h.ustar = 0; })},
      {"60 kPa", 172, 0, with([](HalfHour& h, double) { h.pa = 60; })},
      {"CO2 200", 172, 0, with([](HalfHour& h, double) { h.co2 = 200; })},
      {"CO2 1000", 172, 0, with([](HalfHour& h, double) { h.co2 = 1000; })},
  };
}

// The regime's day as a forcing CSV (read through the reader, which checks its ranges).
ForcingRecord regime_forcing(const Regime& r, double canopy_height, const test::TempDir& dir) {
  std::ostringstream csv;
  csv.precision(17);
  csv << "Year,DoY,Hour,TA_F,SW_IN_F,eair,WS_F,CO2_F_MDS,PA_F,USTAR,TS,SWC,veg_ht,LAI\n";
  for (int k = 1; k <= 48; ++k) {
    const double hour = 0.5 * k;
    const HalfHour h = r.weather(hour);
    csv << 2021 << ',' << r.doy << ',' << hour << ',' << h.ta << ',' << h.rg << ',' << h.eair << ',' << h.ws << ','
        << h.co2 << ',' << h.pa << ',' << h.ustar << ',' << h.ts << ',' << h.swc << ',' << canopy_height << ',' << h.lai
        << '\n';
  }
  return read_forcing_csv(dir.write("regime.csv", csv.str()));
}

bool all_finite(const std::vector<double>& v) {
  for (double x : v)
    if (!std::isfinite(x)) return false;
  return true;
}

class Regimes : public ::testing::TestWithParam<std::tuple<std::string, Formulation>> {};

TEST_P(Regimes, OutputsAndGradientsFinite) {
  const auto& [name, formulation] = GetParam();
  const LoadedModel loaded = read_model_json(test::trained(name + ".json"));
  test::TempDir dir;
  for (const Regime& regime : regimes()) {
    Model<double> model = loaded.model;
    set_formulation(model.setup, formulation);
    if (regime.latitude != 0) model.setup.latitude = regime.latitude;
    const ForcingRecord forcing = regime_forcing(regime, 0.8, dir);
    const RunResult run = run_model(model, forcing);
    for (std::size_t i = 0; i < kOutputCount; ++i)
      EXPECT_TRUE(all_finite(run.outputs.series(i))) << name << ", " << regime.name << ": " << kOutputFields[i].name;

    // The training loss against made-up observations and its exact gradient, every half-hour a
    // batch of its own and the day as one batch.
    ObservedFluxes observed;
    observed.timestamp = forcing.timestamp;
    observed.LE.assign(forcing.size(), 100.0);
    observed.NEE.assign(forcing.size(), -5.0);
    LossSpec loss;
    loss.scaler = OutputScaler{50.0, 100.0, 0.0, 5.0};
    const ParameterSpace space(model);
    for (std::size_t batch : {std::size_t{1}, std::size_t{0}}) {
      GradientOptions options;
      options.batch_size = batch;
      options.keep_remainder = true;
      const LossGradient g = loss_and_gradient(model, space, forcing, observed, loss, options);
      EXPECT_TRUE(std::isfinite(g.loss)) << name << ", " << regime.name;
      EXPECT_EQ(g.nonfinite, 0u) << name << ", " << regime.name << ", batch " << batch;
      EXPECT_TRUE(all_finite(g.gradient)) << name << ", " << regime.name << ", batch " << batch;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(US_Bi1, Regimes,
                         ::testing::Combine(::testing::Values("US-Bi1_PB-1L-0.5", "US-Bi1_Hybrid-1L-0.5",
                                                              "US-Bi1_PB-ML-0.5", "US-Bi1_Hybrid-ML-0.5"),
                                            ::testing::Values(Formulation::Jax, Formulation::Corrected)),
                         [](const auto& info) {
                           std::string s = std::get<0>(info.param) +
                                           (std::get<1>(info.param) == Formulation::Jax ? "_jax" : "_corrected");
                           for (char& c : s)
                             if (c == '-' || c == '.') c = '_';
                           return s;
                         });

}  // namespace
