// Scoring a run against tower observations: every flux the model and the tower share (LE, H, NEE,
// GPP, Rnet, G, Rsoil), over the whole record and by period (day and night, the four seasons),
// with the metrics of metrics.hpp (`canveg evaluate`, README "Evaluation").
#pragma once

#include <string>
#include <vector>

#include "canveg/metrics.hpp"
#include "canveg/observations.hpp"
#include "canveg/output_io.hpp"

namespace canveg {

// The fluxes scored, in this order, with their units.
struct ScoredFlux {
  const char* name;
  const char* unit;
};
inline constexpr ScoredFlux kScoredFluxes[] = {{"LE", "W m-2"},           {"H", "W m-2"},    {"NEE", "umol m-2 s-1"},
                                               {"GPP", "umol m-2 s-1"},   {"Rnet", "W m-2"}, {"G", "W m-2"},
                                               {"Rsoil", "umol m-2 s-1"}};

struct FluxScore {
  std::string model = "canveg";  // or an empirical benchmark: 1lin, 2lin, 3km27 (benchmarks.hpp)
  std::string flux, unit, observed_column;
  std::string period;  // all, day, night, DJF, MAM, JJA, SON
  FitMetrics metrics;
};

// The observed series of a scored flux (LE, H, NEE, GPP, Rnet, G, Rsoil), nullptr when the file has
// none; `column` receives the column it was read from.
const std::vector<double>* observed_flux(const ObservedFluxes& observed, const std::string& flux,
                                         std::string* column = nullptr);

// Scores every flux present in both `predicted` and `observed`. `timestamps` (TIMESTAMP_END, one per
// row) give the seasons (December-February, ...; the half-hour's end time marks it); `shortwave`
// (incoming, W m-2, one per row), when given, the day (> 10 W m-2) and night half-hours. Pairs with
// a gap in the observation are skipped.
std::vector<FluxScore> score_fluxes(const std::vector<io::PredictedSeries>& predicted, const ObservedFluxes& observed,
                                    const std::vector<std::string>& timestamps,
                                    const std::vector<double>* shortwave = nullptr);

}  // namespace canveg
