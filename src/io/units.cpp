#include "io/units.hpp"

#include <array>
#include <utility>

#include "physics/thermo.hpp"

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

std::optional<std::string> declared_unit_spelling(std::string_view text, std::string_view canonical) {
  // Compare without case, blanks, powers' marks and separators: "W m^-2", "W.m-2" and "Wm-2" are one.
  std::string key;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == 0xC2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) == 0xB5) {  // UTF-8 micro sign
      key += 'u';
      ++i;
    } else if (c == 0xC2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) == 0xB0) {  // degree sign
      key += "deg";
      ++i;
    } else if (c == 0xCE && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) == 0xBC) {  // Greek mu
      key += 'u';
      ++i;
    } else if (c != ' ' && c != '^' && c != '*' && c != '.' && c != '\t') {
      key += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    }
  }
  static constexpr std::pair<std::string_view, std::string_view> kSpellings[] = {
      {"k", "K"},           {"kelvin", "K"},           {"degk", "K"},           {"degc", "degC"},
      {"degreec", "degC"},  {"degreesc", "degC"},      {"degree_c", "degC"},    {"degrees_c", "degC"},
      {"celsius", "degC"},  {"degree_celsius", "degC"}, {"degrees_celsius", "degC"}, {"c", "degC"},
      {"pa", "Pa"},         {"pascal", "Pa"},          {"hpa", "hPa"},          {"mbar", "hPa"},
      {"mb", "hPa"},        {"millibar", "hPa"},       {"kpa", "kPa"},          {"w/m2", "W m-2"},
      {"wm-2", "W m-2"},    {"w/m**2", "W m-2"},       {"m/s", "m s-1"},        {"ms-1", "m s-1"},
      {"kg/kg", "kg kg-1"}, {"kgkg-1", "kg kg-1"},     {"g/kg", "g kg-1"},      {"gkg-1", "g kg-1"},
      {"ppm", "ppm"},       {"ppmv", "ppm"},           {"umol/mol", "ppm"},     {"umolmol-1", "ppm"},
      {"micromol/mol", "ppm"}, {"m2/m2", "m2 m-2"},    {"m2m-2", "m2 m-2"},     {"m3/m3", "m3 m-3"},
      {"m3m-3", "m3 m-3"},  {"%", "%"},                {"percent", "%"},        {"m", "m"},
      {"h", "h"},           {"hour", "h"},             {"hours", "h"},
      {"umolm-2s-1", "umol m-2 s-1"}, {"umol/m2/s", "umol m-2 s-1"}, {"micromol/m2/s", "umol m-2 s-1"},
      {"umolco2m-2s-1", "umol m-2 s-1"}, {"umol/m2s", "umol m-2 s-1"},
  };
  for (const auto& [spelled, unit] : kSpellings)
    if (key == spelled) return std::string(unit);
  const bool ratio = canonical == "m2 m-2" || canonical == "m3 m-3" || canonical == "kg kg-1" || canonical == "-";
  if (ratio && (key.empty() || key == "1" || key == "-" || key == "unitless" || key == "dimensionless" ||
                key == "fraction"))
    return std::string(canonical);
  return std::nullopt;
}

double saturation_vapour_pressure_kpa(double ta_celsius) {
  return 1e-3 * physics::saturation_vapour_pressure(ta_celsius + 273.15);
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
