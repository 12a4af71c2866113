// Forcing records written as FULLSET-style CSV and ALMA/PLUMBER2-style NetCDF (forcing_export.hpp).
#include "canveg/forcing_export.hpp"


#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "canveg/errors.hpp"
#include "canveg/output_io.hpp"
#include "io/netcdf_writer.hpp"
#include "io/time_axis.hpp"
#include "io/units.hpp"

namespace canveg {
namespace {

std::string exact(double v) {
  std::string text;
  io::append_number(text, v);
  return text;
}

// The end of every half-hour of a record (its time stamps were checked when it was read).
// "YYYY-MM-DD HH:MM:SS" -> "YYYYMMDDHHMM".
std::string compact(io::Minutes t) {
  const std::string iso = io::format_timestamp(t);
  return iso.substr(0, 4) + iso.substr(5, 2) + iso.substr(8, 2) + iso.substr(11, 2) + iso.substr(14, 2);
}

// The FULLSET column for soil temperature or water: the one the record read it from when that was
// a FULLSET depth column (TS_F_MDS_4 stays TS_F_MDS_4, so that the file does not claim another
// depth), else the shallowest, `stem` 1.
std::string depth_column(const ForcingRecord& record, std::string_view variable, const std::string& stem) {
  for (const ForcingSource& s : record.sources) {
    if (s.variable != variable || s.origin.size() <= stem.size() || s.origin.compare(0, stem.size(), stem) != 0) continue;
    const std::string_view index = std::string_view(s.origin).substr(stem.size());
    if (std::all_of(index.begin(), index.end(), [](char c) { return c >= '0' && c <= '9'; })) return s.origin;
  }
  return stem + "1";
}

}  // namespace

void write_forcing_fullset(const ForcingRecord& record, const std::string& path, const std::vector<std::string>& inputs) {
  const std::vector<io::Minutes> ends = io::parse_timestamps(record.timestamp, record.size(), record.source);
  io::AtomicOutputFile file(path, inputs);
  std::ostream& out = file.stream();
  out << "TIMESTAMP_START,TIMESTAMP_END,TA_F,SW_IN_F,VPD_F,PA_F,WS_F,USTAR,CO2_F_MDS," << depth_column(record, "ts", "TS_F_MDS_")
      << ',' << depth_column(record, "swc", "SWC_F_MDS_") << ",LAI,canopy_height\n";
  for (std::size_t r = 0; r < record.size(); ++r) {
    const double vpd_hpa = 10.0 * (io::saturation_vapour_pressure_kpa(record.ta[r]) - record.eair[r]);
    out << compact(ends[r] - io::kHalfHour) << ',' << compact(ends[r]) << ',' << exact(record.ta[r]) << ','
        << exact(record.rg[r]) << ',' << exact(vpd_hpa) << ',' << exact(record.pa[r]) << ',' << exact(record.ws[r]) << ','
        << exact(record.ustar[r]) << ',' << exact(record.co2[r]) << ',' << exact(record.ts[r]) << ','
        << exact(100.0 * record.swc[r]) << ',' << exact(record.lai[r]) << ',' << exact(record.veg_ht[r]) << '\n';
  }
  file.commit();
}

void write_forcing_alma(const ForcingRecord& record, const std::string& netcdf_path, const std::string& supplement_path,
                        const std::vector<std::string>& inputs) {
  const std::vector<io::Minutes> ends = io::parse_timestamps(record.timestamp, record.size(), record.source);
  std::vector<std::string> not_over = inputs;
  not_over.push_back(supplement_path);
  io::AtomicOutputFile netcdf(netcdf_path, not_over);
  not_over.back() = netcdf_path;
  io::AtomicOutputFile supplement(supplement_path, not_over);

  struct Series {
    const char* name;
    const char* units;
    const char* long_name;
    std::vector<double> values;
  };
  std::vector<Series> series = {{"Tair", "K", "near-surface air temperature", {}},
                                {"SWdown", "W/m2", "downward shortwave radiation", {}},
                                {"Qair", "kg/kg", "near-surface specific humidity", {}},
                                {"Wind", "m/s", "near-surface wind speed", {}},
                                {"PSurf", "Pa", "surface air pressure", {}},
                                {"CO2air", "ppm", "near-surface CO2 concentration", {}},
                                {"LAI", "1", "leaf area index", {}}};
  const std::size_t n = record.size();
  for (std::size_t r = 0; r < n; ++r) {
    const double e = record.eair[r], p = record.pa[r];
    series[0].values.push_back(record.ta[r] + 273.15);
    series[1].values.push_back(record.rg[r]);
    series[2].values.push_back(0.622 * e / (p - 0.378 * e));  // inverse of e = q p / (0.622 + 0.378 q)
    series[3].values.push_back(record.ws[r]);
    series[4].values.push_back(1000.0 * p);
    series[5].values.push_back(record.co2[r]);
    series[6].values.push_back(record.lai[r]);
  }
  std::vector<io::NetcdfSeries> variables;
  for (const Series& s : series) variables.push_back({s.name, s.units, s.long_name, &s.values, {}});
  // netCDF writes its own file: it replaces the (empty) temporary file, which is then renamed.
  io::write_half_hourly_netcdf(netcdf.temp_path(), netcdf_path, ends, variables, {{"source", record.source}});

  std::ostream& out = supplement.stream();
  out << "TIMESTAMP_END,USTAR,TS,SWC,veg_ht\n";
  for (std::size_t r = 0; r < n; ++r)
    out << io::format_timestamp(ends[r]) << ',' << exact(record.ustar[r]) << ',' << exact(record.ts[r]) << ','
        << exact(record.swc[r]) << ',' << exact(record.veg_ht[r]) << '\n';
  supplement.commit();
  netcdf.commit();
}

}  // namespace canveg
