// A half-hourly time series as a NetCDF-4 file in the layout of ALMA/PLUMBER2 site files:
// dimensions time, y = 1, x = 1; time in seconds since the first half-hour's day (local standard
// time) marking the start of each half-hour, with CF time bounds; each variable (time, y, x) in
// double precision with units and long_name. Used for the forcing export (canveg convert) and for
// the model's outputs (canveg run --output fluxes.nc).
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "io/time_axis.hpp"

namespace canveg::io {

struct NetcdfSeries {
  std::string name, units, long_name;
  const std::vector<double>* values = nullptr;             // one per half-hour
  std::vector<std::pair<std::string, std::string>> notes;  // further text attributes (comment, ...)
};

struct NetcdfSite {
  double latitude = 0, longitude = 0;  // [degrees north, degrees east]
};

// Writes the file at `file_path` (normally an AtomicOutputFile's temporary path); `path` names the
// output in error messages. `ends`: the end of each half-hour. Throws InputError on failure.
void write_half_hourly_netcdf(const std::string& file_path, const std::string& path, const std::vector<Minutes>& ends,
                              const std::vector<NetcdfSeries>& series,
                              const std::vector<std::pair<std::string, std::string>>& global_attributes,
                              const std::optional<NetcdfSite>& site = std::nullopt);

}  // namespace canveg::io
