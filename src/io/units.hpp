// Units of the input files: the conversions `--units VAR=UNIT` may declare, and the suggestions an
// out-of-range value gets ("this looks like K: declare --units ta=K").
//
// Every accepted unit is an affine map to the variable's canonical unit (the unit column of
// include/canveg/fields.hpp): canonical = value * scale + offset.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace canveg::io {

struct UnitConversion {
  std::string_view unit;  // as written in the tables and on the command line
  double scale = 1.0;
  double offset = 0.0;
  double to_canonical(double v) const { return v * scale + offset; }
};

// The conversion from `unit` to `canonical` (both spellings of fields.hpp, e.g. "K" -> "degC",
// "hPa" -> "kPa", "%" -> "m3 m-3"), or nullopt when the two are not of one kind. A few common
// synonyms are accepted ("C" and "degreesC" for degC, "ppm" for umol mol-1, "fraction" and
// "m3/m3" for m3 m-3).
std::optional<UnitConversion> unit_conversion(std::string_view unit, std::string_view canonical);

// The spelling of fields.hpp for a unit as a file declares it (a NetCDF `units` attribute in CF /
// udunits style: "K", "degrees_C", "W/m^2", "m s-1", "kg/kg", "ppmv", "m2/m2", "%"), or nullopt
// when not understood. A dimensionless "1" (or "-", "", "unitless") stands for `canonical` when that
// is a ratio (m2 m-2, m3 m-3, kg kg-1, -).
std::optional<std::string> declared_unit_spelling(std::string_view text, std::string_view canonical);

// Saturation vapour pressure [kPa] at an air temperature in degC (docs/model.md 2.1): relates
// vapour pressure to the deficit (VPD) files may give instead.
double saturation_vapour_pressure_kpa(double ta_celsius);

// The units of a comma-separated list ("degC,K").
std::vector<std::string_view> split_units(std::string_view list);

}  // namespace canveg::io
