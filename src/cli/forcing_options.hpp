// The forcing reader's options, shared by every command that reads a forcing file (run, train,
// sensitivity): --column, --units, --lai, --canopy-height, --fill, --max-gap.
#pragma once

#include <string>
#include <vector>

#include "canveg/forcing.hpp"
#include "canveg/parameters.hpp"

namespace CLI {
class App;
}

namespace canveg::cli {

struct ForcingOptionArgs {
  std::vector<std::string> columns;  // VAR=NAME
  std::vector<std::string> units;    // VAR=UNIT
  std::string lai, canopy_height;    // constants or files
  std::string supplement;            // a CSV of the variables the forcing lacks
  std::string netcdf_time;           // start, end, or "" (the site's or the default)
  std::string fill = "none";
  int max_gap = 0;
};

// Adds the options to a (sub)command; `args` must outlive the parse.
void add_forcing_options(CLI::App& command, ForcingOptionArgs& args);

// The reader settings the options ask for, on top of a site file's (a command-line setting replaces
// the site's for the same variable). Throws InputError naming the option on a malformed VAR=VALUE.
ForcingReadOptions forcing_read_options(const ForcingOptionArgs& args, const ForcingReadOptions& site = {});

// The files besides the forcing that options resolved by forcing_read_options make a command read
// (--lai FILE, --canopy-height FILE, --supplement, and a site file's own): no output may replace them.
std::vector<std::string> forcing_option_files(const ForcingReadOptions& options);

// check_sun_timing and check_humidity_units (canveg/forcing.hpp) for a forcing and the site of the
// model that will run it: throws when the radiation is the sun's of other hours, prints the
// warnings (also with -q) when the days look dark or the humidity in the wrong unit.
void check_forcing_against_site(const ForcingRecord& forcing, const Setup& site);

// Prints parameter_plausibility_warnings (canveg/model_io.hpp) of a model read from `source`, also
// with -q: a parameter no canopy can have, as an edited model or site file gives it.
void warn_about_parameters(const Parameters<double>& para, const std::string& source);

// Prints, on stderr, which column feeds each variable and in which unit ("canveg: forcing ...").
void print_forcing_sources(const ForcingRecord& record);

// The time convention, for --help texts.
inline constexpr const char* kTimeConvention =
    "Each forcing row is the half-hour ENDING at its time stamp (TIMESTAMP_END, or Year/DoY/Hour with hour 24 "
    "= the end of a day), in local standard time.";

}  // namespace canveg::cli
