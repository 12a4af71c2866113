// The model's outputs as an ALMA/CF NetCDF file (canveg run --output fluxes.nc). The six fluxes a
// land-model evaluation compares with a flux tower carry their ALMA names, units and directions
// (Polcher et al., ALMA data exchange convention; PLUMBER2, Ukkola et al. 2022); every other output
// keeps its canveg name and unit from the field table (include/canveg/fields.hpp, docs/fields.md).
#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>
#include <vector>

#include "canveg/errors.hpp"
#include "canveg/fields.hpp"
#include "canveg/output_io.hpp"
#include "io/netcdf_writer.hpp"
#include "io/time_axis.hpp"

namespace canveg::io {

namespace {

struct AlmaName {
  std::string_view canveg, alma, units, long_name, direction;
};

// canveg's sign conventions (fields.hpp) are already ALMA's: turbulent fluxes and NEE upward,
// ground heat flux and net radiation towards the surface.
constexpr AlmaName kAlmaNames[] = {
    {"LE", "Qle", "W/m2", "latent heat flux", "positive upward (from the surface to the atmosphere)"},
    {"H", "Qh", "W/m2", "sensible heat flux", "positive upward (from the surface to the atmosphere)"},
    {"G", "Qg", "W/m2", "ground heat flux", "positive downward (into the soil)"},
    {"Rnet", "Rnet", "W/m2", "net radiation", "positive downward (absorbed by the canopy and soil)"},
    {"NEE", "NEE", "umol/m2/s", "net ecosystem exchange of CO2", "positive upward (release to the atmosphere)"},
    {"GPP", "GPP", "umol/m2/s", "gross primary production", "positive: uptake by the canopy"},
};

const AlmaName* alma_name(std::string_view canveg_name) {
  for (const AlmaName& a : kAlmaNames)
    if (a.canveg == canveg_name) return &a;
  return nullptr;
}

// A field-table unit in UDUNITS spelling: "-" is dimensionless, "W m-2 leaf" is W m-2 of leaf area.
NetcdfSeries table_series(std::string_view name, std::string_view unit, std::string_view meaning,
                          const std::vector<double>& values) {
  const auto leaf = unit.find(" leaf");
  const std::string_view units = unit == "-" ? std::string_view("1") : unit.substr(0, leaf);
  NetcdfSeries s{std::string(name), std::string(units), std::string(meaning), &values, {}};
  if (leaf != std::string_view::npos) s.notes.push_back({"comment", "per unit leaf area"});
  return s;
}

std::vector<std::pair<std::string, std::string>> global_attributes(const OutputMetadata& metadata) {
  std::string title = "canveg model output";
  if (!metadata.site_name.empty()) (title += " for ") += metadata.site_name;  // not +: GCC 12 -Wrestrict false positive
  std::vector<std::pair<std::string, std::string>> attributes = {
      {"Conventions", "CF-1.8"},
      {"title", title},
      {"source", "canveg 0.1.0"},
  };
  if (!metadata.site_name.empty()) attributes.push_back({"site_name", metadata.site_name});
  attributes.insert(attributes.end(), metadata.attributes.begin(), metadata.attributes.end());
  return attributes;
}

void write(AtomicOutputFile& file, const std::vector<std::string>& timestamps, std::vector<NetcdfSeries> series,
           const OutputMetadata& metadata) {
  std::optional<NetcdfSite> site;
  if (metadata.has_coordinates) site = NetcdfSite{metadata.latitude, metadata.longitude};
  write_half_hourly_netcdf(file.temp_path(), file.path(), parse_timestamps(timestamps, timestamps.size(), file.path()), series,
                           global_attributes(metadata), site);
  file.commit();
}

void rename_alma(NetcdfSeries& s) {
  const AlmaName* a = alma_name(s.name);
  if (!a) return;
  s.notes.push_back({"canveg_name", s.name});
  s.notes.push_back({"comment", std::string(a->direction)});
  s.name = a->alma;
  s.units = a->units;
  s.long_name = a->long_name;
}

}  // namespace

bool is_netcdf_path(const std::string& path) {
  std::string lower = path;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  return lower.ends_with(".nc") || lower.ends_with(".nc4");
}

void write_outputs_netcdf(AtomicOutputFile& file, const std::vector<std::string>& timestamps,
                          const CanopyOutputs& outputs, const EnergyDiagnostics* diagnostics,
                          const ConvergenceDiagnostics* convergence, const OutputMetadata& metadata) {
  std::vector<NetcdfSeries> series;
  for (std::size_t i = 0; i < kOutputCount; ++i) {
    const OutputField& f = kOutputFields[i];
    series.push_back(table_series(f.name, f.unit, f.meaning, outputs.series(i)));
    rename_alma(series.back());
  }
  if (diagnostics)
    for (std::size_t i = 0; i < kDiagnosticCount; ++i)
      series.push_back(table_series(kDiagnosticFields[i].name, kDiagnosticFields[i].unit,
                                    kDiagnosticFields[i].meaning, diagnostics->series(i)));
  if (convergence)
    for (std::size_t i = 0; i < kConvergenceCount; ++i)
      series.push_back(table_series(kConvergenceFields[i].name, kConvergenceFields[i].unit,
                                    kConvergenceFields[i].meaning, convergence->series(i)));
  write(file, timestamps, std::move(series), metadata);
}

void write_predicted_fluxes_netcdf(AtomicOutputFile& file, const std::vector<std::string>& timestamps,
                                   const std::vector<double>& le, const std::vector<double>& nee,
                                   const OutputMetadata& metadata) {
  std::vector<NetcdfSeries> series;
  for (const auto& [name, values] : {std::pair<std::string_view, const std::vector<double>*>{"LE", &le}, {"NEE", &nee}}) {
    const OutputField& f = *std::find_if(kOutputFields.begin(), kOutputFields.end(),
                                         [n = name](const OutputField& o) { return o.name == n; });
    series.push_back(table_series(f.name, f.unit, f.meaning, *values));
    rename_alma(series.back());
  }
  write(file, timestamps, std::move(series), metadata);
}

}  // namespace canveg::io
