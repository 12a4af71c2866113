#include "canveg/evaluation.hpp"

#include <iterator>
#include <limits>
#include <optional>
#include <utility>

#include "io/time_axis.hpp"

namespace canveg {

namespace {

constexpr double kDaylight = 10.0;  // [W m-2] incoming shortwave above which a half-hour is day

// The season of a half-hour by the month of its end time (the last half-hour of a season's final
// day, ending at 00:00 of the next month, belongs to the next: a minute's difference, kept simple).
std::optional<int> season_of(const std::string& timestamp) {
  const auto t = io::parse_timestamp(timestamp);
  if (!t) return std::nullopt;
  const std::string iso = io::format_timestamp(*t);
  const int month = std::stoi(iso.substr(5, 2));
  return (month % 12) / 3;  // 0 DJF, 1 MAM, 2 JJA, 3 SON
}

}  // namespace

const std::vector<double>* observed_flux(const ObservedFluxes& o, const std::string& flux, std::string* column) {
  const std::pair<const std::vector<double>*, const std::string*> table[] = {
      {&o.LE, &o.le_column},   {&o.H, &o.h_column},       {&o.NEE, &o.nee_column},    {&o.GPP, &o.gpp_column},
      {&o.Rnet, &o.rnet_column}, {&o.G, &o.g_column}, {&o.Rsoil, &o.rsoil_column}};
  for (std::size_t i = 0; i < std::size(kScoredFluxes); ++i)
    if (flux == kScoredFluxes[i].name) {
      if (column) *column = *table[i].second;
      return table[i].first->empty() ? nullptr : table[i].first;
    }
  return nullptr;
}

std::vector<FluxScore> score_fluxes(const std::vector<io::PredictedSeries>& predicted, const ObservedFluxes& observed,
                                    const std::vector<std::string>& timestamps, const std::vector<double>* shortwave) {
  static const char* const kSeasons[] = {"DJF", "MAM", "JJA", "SON"};
  const std::size_t n = timestamps.size();
  std::vector<int> season(n, -1);
  for (std::size_t i = 0; i < n; ++i)
    if (const auto s = season_of(timestamps[i])) season[i] = *s;

  std::vector<FluxScore> scores;
  for (const ScoredFlux& flux : kScoredFluxes) {
    const io::PredictedSeries* p = nullptr;
    for (const io::PredictedSeries& s : predicted)
      if (s.flux == flux.name && !s.values.empty()) p = &s;
    std::string column;
    const std::vector<double>* o = observed_flux(observed, flux.name, &column);
    if (!p || !o) continue;
    // A period keeps the observations of its half-hours; the others become gaps and are skipped.
    const auto score = [&](const std::string& period, auto in_period) {
      std::vector<double> kept(o->size(), std::numeric_limits<double>::quiet_NaN());
      for (std::size_t i = 0; i < kept.size(); ++i)
        if (in_period(i)) kept[i] = (*o)[i];
      scores.push_back({"canveg", flux.name, flux.unit, column, period, compute_metrics(p->values, kept)});
    };
    score("all", [](std::size_t) { return true; });
    if (shortwave) {
      score("day", [&](std::size_t i) { return (*shortwave)[i] > kDaylight; });
      score("night", [&](std::size_t i) { return !((*shortwave)[i] > kDaylight); });
    }
    for (int s = 0; s < 4; ++s) score(kSeasons[s], [&](std::size_t i) { return i < n && season[i] == s; });
  }
  return scores;
}

}  // namespace canveg
