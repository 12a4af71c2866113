// A check for the numeric options: "nan", "inf" and "1e999" parse as doubles, and several options
// use NaN to mean "not given", so without it `--le-weight nan` silently meant the default.
#pragma once

#include <cmath>
#include <cstdlib>
#include <string>

#include <CLI/CLI.hpp>

namespace canveg::cli {

// Refuses a value that parses as a non-finite number (anything else is left to the option's type).
inline CLI::Validator finite_number() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        char* end = nullptr;
        const double value = std::strtod(text.c_str(), &end);
        if (end != text.c_str() && !std::isfinite(value)) return "'" + text + "' is not a finite number";
        return std::string();
      },
      "");
}

// Refuses a finite value that is not above 0, in those words; finite_number() refuses the rest.
// (CLI11's PositiveNumber prints its range up to the largest double, about 300 digits.)
inline CLI::Validator positive_number() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        char* end = nullptr;
        const double value = std::strtod(text.c_str(), &end);
        if (end != text.c_str() && std::isfinite(value) && !(value > 0)) return "'" + text + "' must be a number above 0";
        return std::string();
      },
      "");
}

}  // namespace canveg::cli
