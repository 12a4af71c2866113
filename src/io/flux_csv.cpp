// Observed-flux CSV reader (docs/model.md 5.2).
//
// JAX-CanVeg's get_obs takes each flux from the first present column of a fixed list of exact
// names and linearly interpolates every column over its gaps in both directions. The same is done
// here so that metrics compare against exactly the series JAX-CanVeg compared against.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <unordered_map>

#include "canveg/errors.hpp"
#include "canveg/forcing.hpp"
#include "canveg/observations.hpp"
#include "io/csv_table.hpp"
#include "io/forcing_table.hpp"
#include "io/time_axis.hpp"
#include "io/units.hpp"

namespace canveg {

namespace {

using io::CsvTable;

// AmeriFlux's missing-value code. The JAX-CanVeg sample files never contain it; a file straight
// from AmeriFlux does, and -9999 W m-2 taken as an observation would wreck every metric.
constexpr double kAmerifluxMissing = -9999.0;

// What a flux tower measures, with a wide margin (the shared sites stay under 960 W m-2 and
// 46 umol m-2 s-1): a value beyond is a missing-value code other than -9999 (-6999, 9999, -999)
// or another unit, and scored as an observation it would dominate every metric.
struct FluxLimit {
  double magnitude;
  const char* unit;
};
constexpr FluxLimit kEnergyFlux{1500.0, "W m-2"}, kCarbonFlux{100.0, "umol m-2 s-1"};

// -9999 and non-finite values become gaps; returns the index of the first value beyond `limit`,
// or npos.
std::size_t clean_observed(std::vector<double>& values, const FluxLimit& limit) {
  for (double& x : values)
    if (x == kAmerifluxMissing || !std::isfinite(x)) x = std::nan("");
  for (std::size_t i = 0; i < values.size(); ++i)
    if (std::fabs(values[i]) > limit.magnitude) return i;
  return std::string::npos;
}

std::string beyond_tower(double value, const FluxLimit& limit) {
  char text[300];
  std::snprintf(text, sizeof text,
                "%g %s is beyond what a flux tower measures (|value| up to %g %s): a missing-value code? "
                "Mark gaps empty, NaN or -9999; or the column is in another unit",
                value, limit.unit, limit.magnitude, limit.unit);
  return text;
}

// Reads the first present column among `names` (exact, case-sensitive, in priority order).
// Returns an empty series when none is present; `used` receives the chosen name.
// With options.qc_only, a value whose quality flag (the column <name>_QC, where present) is not 0
// (a measured value, in AmeriFlux/FLUXNET's ONEFlux) becomes a gap. A value beyond `limit` is an InputError.
std::vector<double> read_series(const CsvTable& table, std::initializer_list<std::string_view> names,
                                const FluxReadOptions& options, const FluxLimit& limit, std::string* used = nullptr,
                                std::vector<char>* filled = nullptr) {
  for (std::string_view name : names) {
    const auto col = table.find_exact(name);
    if (!col) continue;
    std::vector<double> v = table.column(*col, io::EmptyCell::Gap);
    if (const std::size_t i = clean_observed(v, limit); i != std::string::npos)
      throw InputError(table.path(), table.rows()[i].line, std::string(name), beyond_tower(v[i], limit));
    if (options.qc_only)
      if (const auto qc = table.find_exact(std::string(name) + "_QC")) {
        const std::vector<double> flag = table.column(*qc, io::EmptyCell::Gap);
        for (std::size_t i = 0; i < v.size(); ++i)
          if (flag[i] != 0.0) v[i] = std::nan("");
      }
    if (options.interpolate_gaps) {
      if (filled) {
        filled->assign(v.size(), 0);
        for (std::size_t i = 0; i < v.size(); ++i) (*filled)[i] = std::isnan(v[i]) ? 1 : 0;
      }
      interpolate_gaps(v);
    }
    if (used) *used = std::string(name);
    return v;
  }
  return {};
}

}  // namespace

void check_observed_values(const std::string& source, const std::string& flux, std::vector<double>& values) {
  const bool energy = flux == "LE" || flux == "H" || flux == "G" || flux == "Rnet";
  const bool carbon = flux == "GPP" || flux == "NEE" || flux == "Rsoil";
  if (!energy && !carbon) throw InputError(source, 0, flux, "not an observed flux (LE, H, G, Rnet, GPP, NEE, Rsoil)");
  const FluxLimit& limit = energy ? kEnergyFlux : kCarbonFlux;
  if (const std::size_t i = clean_observed(values, limit); i != std::string::npos)
    throw InputError(source, 0, flux, "row " + std::to_string(i) + ": " + beyond_tower(values[i], limit));
}

void interpolate_gaps(std::vector<double>& series) {
  // pandas interpolate(method="linear", limit_direction="both") treats values as equally spaced
  // (index positions), fills interior gaps on the straight line between the neighbouring valid
  // values and fills leading/trailing gaps with the nearest valid value. A column with no valid
  // value stays all-NaN.
  const std::size_t n = series.size();
  std::size_t prev = n;  // index of the last valid value seen, n if none yet
  for (std::size_t i = 0; i < n; ++i) {
    if (std::isnan(series[i])) continue;
    if (prev == n) {
      for (std::size_t k = 0; k < i; ++k) series[k] = series[i];  // leading gap
    } else if (i > prev + 1) {
      const double a = series[prev], b = series[i];
      const double span = static_cast<double>(i - prev);
      for (std::size_t k = prev + 1; k < i; ++k) series[k] = a + (b - a) * (static_cast<double>(k - prev) / span);
    }
    prev = i;
  }
  if (prev != n)
    for (std::size_t k = prev + 1; k < n; ++k) series[k] = series[prev];  // trailing gap
}

namespace {

// A NetCDF file's fluxes must be in the units the scores compare with; one in another unit (gC m-2
// d-1, or latent heat as an evaporation rate) would be scored as it stands.
void check_declared_flux_units(const std::string& path, const io::NetcdfTable& netcdf, const ObservedFluxes& obs) {
  const std::pair<const std::string*, std::string_view> used[] = {
      {&obs.le_column, "W m-2"},   {&obs.h_column, "W m-2"},           {&obs.g_column, "W m-2"},
      {&obs.rnet_column, "W m-2"}, {&obs.nee_column, "umol m-2 s-1"}, {&obs.gpp_column, "umol m-2 s-1"},
      {&obs.rsoil_column, "umol m-2 s-1"}};
  for (const auto& [column, unit] : used)
    for (const auto& [name, declared] : netcdf.declared_units)
      if (!column->empty() && name == *column && io::declared_unit_spelling(declared, unit) != std::string(unit))
        throw InputError(path, 0, name,
                         "the variable's units are '" + declared + "'; the observed fluxes are read in " +
                             std::string(unit) + " and are not converted: convert the file or give a CSV");
}

}  // namespace

ObservedFluxes read_flux_csv(const std::string& path, const FluxReadOptions& options) {
  // An ALMA / PLUMBER2 flux NetCDF (Qle, Qh, NEE, ...) is laid out as a table like a forcing file,
  // its time marking the start of each half-hour unless CF bounds say otherwise.
  std::optional<io::NetcdfTable> netcdf;
  if (is_netcdf_file(path)) netcdf = io::read_netcdf_table(path, NetcdfTimeMark::Start);
  const CsvTable table = netcdf ? std::move(netcdf->table) : CsvTable::read(path);
  ObservedFluxes obs;
  obs.source = path;
  // JAX-CanVeg's names first (its order), then AmeriFlux/FLUXNET's and ALMA's.
  obs.LE = read_series(table, {"LE", "LE_F_MDS", "Qle"}, options, kEnergyFlux, &obs.le_column, &obs.le_filled);
  obs.NEE = read_series(table, {"FCO2", "Fco2", "FC", "NEE_CUT_REF", "NEE_VUT_REF", "NEE"}, options, kCarbonFlux,
                        &obs.nee_column, &obs.nee_filled);
  if (obs.LE.empty() && obs.NEE.empty())
    throw InputError(path, table.header_line(), "LE",
                     "no observed LE column (LE, LE_F_MDS, Qle) and no NEE column (FCO2, Fco2, FC, "
                     "NEE_CUT_REF, NEE_VUT_REF, NEE); the header has: " + table.header_list());
  obs.H = read_series(table, {"H", "H_F_MDS", "Qh"}, options, kEnergyFlux, &obs.h_column);
  obs.G = read_series(table, {"G", "G_F_MDS", "G_5cm", "Qg"}, options, kEnergyFlux, &obs.g_column);
  obs.Rnet = read_series(table, {"NETRAD", "Rnet"}, options, kEnergyFlux, &obs.rnet_column);
  obs.GPP = read_series(table, {"GPP", "GPP_NT_VUT_REF", "GPP_DT_VUT_REF"}, options, kCarbonFlux, &obs.gpp_column);
  obs.Rsoil = read_series(table, {"Rsoil"}, options, kCarbonFlux, &obs.rsoil_column);
  if (netcdf) check_declared_flux_units(path, *netcdf, obs);
  if (options.qc_only) {
    // Without any flag the option would keep every value, gap-filled ones included, unannounced.
    bool flagged = false;
    for (const std::string* column : {&obs.le_column, &obs.nee_column, &obs.h_column, &obs.g_column, &obs.rnet_column,
                                      &obs.gpp_column, &obs.rsoil_column}) {
      if (column->empty()) continue;
      if (table.find_exact(*column + "_QC")) flagged = true;
      else obs.without_qc.push_back(*column);
    }
    if (!flagged)
      throw InputError(path, table.header_line(), "_QC",
                       "measured values only (--qc-only) needs a quality-flag column <flux>_QC (0: measured), e.g. " +
                           (obs.le_column.empty() ? obs.nee_column : obs.le_column) +
                           "_QC; this file has none for its flux columns");
  }
  auto ts = table.find_exact("TIMESTAMP_END");
  if (!ts) ts = table.find_exact("TIMESTAMP");
  if (ts) {
    obs.timestamp = table.text_column(*ts);
  } else if (const auto start = table.find_exact("TIMESTAMP_START")) {
    // FLUXNET's start of the half-hour, as the forcing reader takes it: the end is 30 minutes on.
    for (const io::Minutes t : io::parse_time_column(table, *start))
      obs.timestamp.push_back(io::format_timestamp(t + io::kHalfHour));
  } else {
    obs.timestamp.assign(table.size(), std::string());
  }
  return obs;
}

ObservedFluxes ObservedFluxes::slice(std::size_t begin, std::size_t end) const {
  if (begin > end || end > size())
    throw std::out_of_range("ObservedFluxes::slice: rows [" + std::to_string(begin) + ", " + std::to_string(end) +
                            ") outside a record of " + std::to_string(size()));
  ObservedFluxes r = *this;
  const auto cut = [begin, end](auto& v) {
    if (v.size() >= end) v = std::decay_t<decltype(v)>(v.begin() + static_cast<long>(begin), v.begin() + static_cast<long>(end));
  };
  for (auto* v : {&r.LE, &r.H, &r.G, &r.Rnet, &r.GPP, &r.NEE, &r.Rsoil}) cut(*v);
  cut(r.le_filled);
  cut(r.nee_filled);
  cut(r.timestamp);
  return r;
}

ObservedFluxes ObservedFluxes::rows(const std::vector<std::size_t>& indices) const {
  ObservedFluxes r = *this;
  const std::size_t n = size();
  const auto pick = [&](auto& v) {
    if (v.size() != n) return;  // an absent series stays empty
    std::decay_t<decltype(v)> picked;
    picked.reserve(indices.size());
    for (std::size_t i : indices) picked.push_back(v.at(i));
    v = std::move(picked);
  };
  for (auto* v : {&r.LE, &r.H, &r.G, &r.Rnet, &r.GPP, &r.NEE, &r.Rsoil}) pick(*v);
  pick(r.le_filled);
  pick(r.nee_filled);
  pick(r.timestamp);
  return r;
}

void check_same_half_hours(const std::vector<std::string>& stamps, const std::string& file,
                           const std::vector<std::string>& other_stamps, const std::string& other_file) {
  const std::size_t rows = other_stamps.size();
  if (stamps.size() != rows)
    throw InputError(file, 0, "",
                     "has " + std::to_string(stamps.size()) + " rows but " + other_file + " has " + std::to_string(rows) +
                         "; they must cover the same half-hours");
  const auto timeless = [](const std::vector<std::string>& v) {
    return std::all_of(v.begin(), v.end(), [](const std::string& s) { return s.empty(); });
  };
  const bool ours_timeless = timeless(stamps), theirs_timeless = timeless(other_stamps);
  if (rows > 0 && ours_timeless != theirs_timeless) {
    const std::string& without = ours_timeless ? file : other_file;
    const std::string& with = ours_timeless ? other_file : file;
    throw InputError(without, 0, "TIMESTAMP_END",
                     "has no time stamps, so its rows cannot be matched to the half-hours of " + with +
                         " (a file moved by one row would go unnoticed); add a TIMESTAMP_END column");
  }
  for (std::size_t i = 0; i < rows; ++i) {
    const std::string& theirs = other_stamps[i];
    const std::string& ours = stamps[i];
    if (theirs.empty() || ours.empty() || theirs == ours) continue;
    // The same instant written two ways (YYYYMMDDHHMM and YYYY-MM-DD HH:MM:SS) is the same row.
    const auto a = io::parse_timestamp(theirs);
    const auto b = io::parse_timestamp(ours);
    if (a && b && *a == *b) continue;
    throw InputError(file, static_cast<long>(i) + 2, "TIMESTAMP_END",
                     "time stamp '" + ours + "' differs from '" + theirs + "' in " + other_file + " (row " +
                         std::to_string(i + 1) + ")");
  }
}

void check_alignment(const ObservedFluxes& observed, const std::vector<std::string>& timestamps,
                     const std::string& other_file) {
  if (observed.by_position)
    check_same_half_hours(std::vector<std::string>(observed.size()), observed.source,
                          std::vector<std::string>(timestamps.size()), other_file);
  else
    check_same_half_hours(observed.timestamp, observed.source, timestamps, other_file);
}

ObservedFluxes observations_for_record(const ObservedFluxes& observed, const std::vector<std::string>& timestamps,
                                       const std::string& other_file) {
  const bool has_stamps = !observed.by_position && std::any_of(observed.timestamp.begin(), observed.timestamp.end(),
                                                               [](const std::string& s) { return !s.empty(); });
  if (observed.size() <= timestamps.size() || !has_stamps) {
    check_alignment(observed, timestamps, other_file);
    return observed;
  }
  // The file's half-hours by instant; both ways of writing a time stamp name the same one.
  std::unordered_map<io::Minutes, std::size_t> row_of;
  row_of.reserve(observed.size());
  for (std::size_t i = 0; i < observed.size(); ++i)
    if (const auto t = io::parse_timestamp(observed.timestamp[i])) {
      if (!row_of.emplace(*t, i).second)
        throw InputError(observed.source, static_cast<long>(i) + 2, "TIMESTAMP_END",
                         "the half-hour ending " + observed.timestamp[i] + " appears twice");
    } else {
      throw InputError(observed.source, static_cast<long>(i) + 2, "TIMESTAMP_END",
                       "'" + observed.timestamp[i] + "' is not a time stamp (YYYYMMDDHHMM or YYYY-MM-DD HH:MM:SS)");
    }
  std::vector<std::size_t> picked;
  picked.reserve(timestamps.size());
  for (std::size_t r = 0; r < timestamps.size(); ++r) {
    const auto t = io::parse_timestamp(timestamps[r]);
    const auto found = t ? row_of.find(*t) : row_of.end();
    if (found == row_of.end())
      throw InputError(observed.source, 0, "TIMESTAMP_END",
                       "has no row for the half-hour ending '" + timestamps[r] + "' (row " + std::to_string(r + 1) +
                           " of " + other_file + "); it must cover every half-hour of the run");
    picked.push_back(found->second);
  }
  return observed.rows(picked);
}

}  // namespace canveg
