// Plausibility of a model's scalar parameters (include/canveg/model_io.hpp): a value the model runs
// with but that no leaf or soil can have, as an edited model or site file may give it.
#include <cmath>
#include <cstdio>
#include <string>
#include <string_view>

#include "canveg/fields.hpp"
#include "canveg/model_io.hpp"

namespace canveg {

namespace {

// Parameters whose every physical value is positive (rates, capacities, slopes, constants of the
// air), though their training bounds are JAX-CanVeg's open ones (+-99999).
constexpr std::string_view kPositive[] = {"vcopt", "jmopt", "qalpha", "kball", "sigma", "rugc",  "Cp",
                                          "hkin",  "ejm",   "evc",    "kc25",  "ko25",  "o2",    "ekc",
                                          "erd",   "nuvisc", "dc",    "dh",    "dv",    "Mair",  "betfac"};
// Temperatures in kelvin: a value in degrees Celsius runs as a leaf optimum near absolute zero.
constexpr std::string_view kKelvin[] = {"toptvc", "toptjm", "tk_25"};
constexpr double kLowestKelvin = 250.0, kHighestKelvin = 350.0;
// JAX-CanVeg marks an open side of a parameter's box with 99999 (hkin's default, 200000, lies
// beyond it): only the finite sides are physical limits.
constexpr double kOpenBound = 99999.0;

template <std::size_t N>
bool among(const std::string_view (&names)[N], std::string_view name) {
  for (std::string_view n : names)
    if (n == name) return true;
  return false;
}

std::string number(double x) {
  char text[40];
  std::snprintf(text, sizeof text, "%g", x);
  return text;
}

}  // namespace

std::vector<std::string> parameter_plausibility_warnings(const Parameters<double>& para) {
  std::vector<std::string> found;
  for (std::size_t i = 0; i < kParameterCount; ++i) {
    const ParameterField& field = kParameterFields[i];
    const double value = parameter_at(para, i);
    const std::string name(field.name);
    std::string unit;
    if (field.unit != "-") unit.append(" ").append(field.unit);
    const bool below = field.lower > -kOpenBound && !(value >= field.lower);
    const bool above = field.upper < kOpenBound && !(value <= field.upper);
    if (below || above || !std::isfinite(value)) {
      found.push_back("parameter " + name + " = " + number(value) + unit + " lies outside its bounds [" +
                      number(field.lower) + ", " + number(field.upper) + "] (" + std::string(field.meaning) +
                      "; 'canveg fields')");
    } else if (among(kPositive, field.name) && !(value > 0.0)) {
      found.push_back("parameter " + name + " = " + number(value) + unit + " is not positive (" +
                      std::string(field.meaning) + "): no leaf or air has that");
    } else if (among(kKelvin, field.name) && !(value >= kLowestKelvin && value <= kHighestKelvin)) {
      found.push_back("parameter " + name + " = " + number(value) + " K is not a plausible temperature in kelvin (" +
                      std::string(field.meaning) + "): degrees Celsius given for kelvin?");
    }
  }
  return found;
}

}  // namespace canveg
