#include "io/units.hpp"

#include <array>

namespace canveg::io {

namespace {

// A unit's relation to the canonical unit of its kind.
struct UnitDefinition {
  std::string_view name, canonical;
  double scale, offset;
};

constexpr std::array<UnitDefinition, 20> kUnits = {{
    {"degC", "degC", 1.0, 0.0},
    {"C", "degC", 1.0, 0.0},
    {"degreesC", "degC", 1.0, 0.0},
    {"K", "degC", 1.0, -273.15},
    {"kPa", "kPa", 1.0, 0.0},
    {"hPa", "kPa", 0.1, 0.0},
    {"mbar", "kPa", 0.1, 0.0},
    {"Pa", "kPa", 1e-3, 0.0},
    {"hPa", "hPa", 1.0, 0.0},
    {"kPa", "hPa", 10.0, 0.0},
    {"Pa", "hPa", 0.01, 0.0},
    {"m3 m-3", "m3 m-3", 1.0, 0.0},
    {"m3/m3", "m3 m-3", 1.0, 0.0},
    {"fraction", "m3 m-3", 1.0, 0.0},
    {"%", "m3 m-3", 0.01, 0.0},
    {"umol mol-1", "umol mol-1", 1.0, 0.0},
    {"ppm", "umol mol-1", 1.0, 0.0},
    {"kg kg-1", "kg kg-1", 1.0, 0.0},
    {"g kg-1", "kg kg-1", 1e-3, 0.0},
    {"W m-2", "W m-2", 1.0, 0.0},
}};

}  // namespace

std::optional<UnitConversion> unit_conversion(std::string_view unit, std::string_view canonical) {
  if (unit == canonical) return UnitConversion{unit, 1.0, 0.0};
  for (const UnitDefinition& d : kUnits)
    if (d.name == unit && d.canonical == canonical) return UnitConversion{d.name, d.scale, d.offset};
  return std::nullopt;
}

std::vector<std::string_view> split_units(std::string_view list) {
  std::vector<std::string_view> out;
  while (!list.empty()) {
    const std::size_t comma = list.find(',');
    out.push_back(list.substr(0, comma));
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return out;
}

}  // namespace canveg::io
