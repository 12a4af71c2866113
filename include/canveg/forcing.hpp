// Half-hourly meteorological forcing as read from a JAX-CanVeg forcing CSV (docs/model.md 5.1).
// Values are kept as in the file (no guards applied); the physics applies the forcing guards.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "canveg/fields.hpp"

namespace canveg {

// The forcing variables (one vector per line of CANVEG_FORCING_FIELDS, include/canveg/fields.hpp:
// year, doy, hour, ta, rg, eair, ws, co2, pa, ustar, ts, swc, veg_ht, lai), one value per half-hour.
struct ForcingRecord {
  std::string source;                  // file path, for messages
  std::vector<std::string> timestamp;  // TIMESTAMP_END (empty strings if the file has none)
#define CANVEG_FORCING_SERIES(name, ...) std::vector<double> name;
  CANVEG_FORCING_FIELDS(CANVEG_FORCING_SERIES)
#undef CANVEG_FORCING_SERIES
  std::size_t size() const { return ta.size(); }
  // The values of row r.
  ForcingRow row(std::size_t r) const;
  // Rows [begin, end) as a new record.
  ForcingRecord slice(std::size_t begin, std::size_t end) const;
};

// The series of forcing variable i (order of kForcingFields).
std::vector<double>& forcing_series(ForcingRecord& record, std::size_t i);
const std::vector<double>& forcing_series(const ForcingRecord& record, std::size_t i);

// Reads a forcing CSV. Columns are matched by case-insensitive prefix in JAX-CanVeg's order
// (year, doy, hour, ta, rg|sw_in, eair, ws, co2, pa, ustar, ts, swc, veg_ht, lai); the first
// column whose lower-cased name starts with the key is taken. Throws InputError (file, line,
// field) on a missing column, a non-numeric or empty cell, NaN/Inf, or a physically impossible
// value (pressure outside 30..120 kPa, which catches hPa or Pa given for kPa; swc outside 0..1;
// negative LAI; hour outside 0..24; doy outside 1..366).
ForcingRecord read_forcing_csv(const std::string& path);

}  // namespace canveg
