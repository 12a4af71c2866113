// Half-hourly meteorological forcing as read from a JAX-CanVeg forcing CSV (canveg-model.md 5.1).
// Values are kept as in the file (no guards applied); the physics applies the forcing guards.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace canveg {

struct ForcingRecord {
  std::string source;                  // file path, for messages
  std::vector<std::string> timestamp;  // TIMESTAMP_END (empty strings if the file has none)
  std::vector<double> year;            // [-]
  std::vector<double> doy;             // day of year, 1-based
  std::vector<double> hour;            // local standard time [h], e.g. 13.5
  std::vector<double> ta;              // air temperature at z_m [degC]
  std::vector<double> rg;              // global shortwave radiation [W m-2]
  std::vector<double> eair;            // vapour pressure [kPa]
  std::vector<double> ws;              // wind speed at z_m [m s-1]
  std::vector<double> co2;             // CO2 [umol mol-1]
  std::vector<double> pa;              // air pressure [kPa]
  std::vector<double> ustar;           // friction velocity [m s-1]
  std::vector<double> ts;              // soil temperature at the lower boundary [degC]
  std::vector<double> swc;             // volumetric soil water content [m3 m-3]
  std::vector<double> veg_ht;          // canopy height column [m] (alfalfa respiration only)
  std::vector<double> lai;             // leaf area index [m2 m-2]
  std::size_t size() const { return ta.size(); }
  // Rows [begin, end) as a new record.
  ForcingRecord slice(std::size_t begin, std::size_t end) const;
};

// Reads a forcing CSV. Columns are matched by case-insensitive prefix in JAX-CanVeg's order
// (year, doy, hour, ta, rg|sw_in, eair, ws, co2, pa, ustar, ts, swc, veg_ht, lai); the first
// column whose lower-cased name starts with the key is taken. Throws InputError (file, line,
// field) on a missing column, a non-numeric or empty cell, NaN/Inf, or a physically impossible
// value (pressure outside 30..120 kPa, which catches hPa or Pa given for kPa; swc outside 0..1;
// negative LAI; hour outside 0..24; doy outside 1..366).
ForcingRecord read_forcing_csv(const std::string& path);

}  // namespace canveg
