#include "cli/forcing_options.hpp"

#include <CLI/CLI.hpp>
#include <cstdio>

#include "canveg/errors.hpp"
#include "canveg/model_io.hpp"
#include "io/csv_table.hpp"

namespace canveg::cli {

namespace {

std::vector<std::pair<std::string, std::string>> pairs(const std::vector<std::string>& items, const std::string& option) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const std::string& item : items) {
    const std::size_t eq = item.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == item.size())
      throw InputError("", 0, option, "'" + item + "' is not VAR=VALUE (e.g. " + option + " ta=TA_F)");
    const std::string variable = item.substr(0, eq), value = item.substr(eq + 1);
    // Given twice, one of the two would be dropped without a word (the last would win).
    for (const auto& [earlier, earlier_value] : out)
      if (earlier == variable && earlier_value != value)
        throw InputError("", 0, option,
                         variable + " is given twice (" + variable + "=" + earlier_value + " and " + item +
                             "): give it once");
    out.emplace_back(variable, value);
  }
  return out;
}

// VALUE (a constant) or FILE (a series of its own) for one variable.
void constant_or_file(const std::string& text, const std::string& variable, ForcingReadOptions& o) {
  if (text.empty()) return;
  if (const auto v = io::parse_double(text)) o.constants.emplace_back(variable, *v);
  else o.series_files.emplace_back(variable, text);
}

}  // namespace

void add_forcing_options(CLI::App& command, ForcingOptionArgs& args) {
  command
      .add_option("--column", args.columns,
                  "VAR=NAME: read forcing variable VAR from column NAME (exact), e.g. --column ts=TS_F_MDS_1")
      ->group("Forcing file");
  command
      .add_option("--units", args.units,
                  "VAR=UNIT: the unit of a forcing column, e.g. --units ta=K --units eair=hPa --units swc=%")
      ->group("Forcing file");
  command
      .add_option("--lai", args.lai,
                  "VALUE|FILE: leaf area index (m2 m-2) instead of a LAI column: a constant, or a CSV with a LAI column "
                  "and TIMESTAMP_END or Year/DoY/Hour (half-hourly) or Year/DoY (daily)")
      ->group("Forcing file");
  command.add_option("--canopy-height", args.canopy_height,
                     "VALUE|FILE: the veg_ht forcing variable (m) instead of a veg_ht column, as --lai; read only by the "
                     "alfalfa soil respiration (module 0): the model's canopy height is fixed by its layer geometry")
      ->group("Forcing file");
  command
      .add_option("--supplement", args.supplement,
                  "FILE: a CSV on the same half-hours (TIMESTAMP_END or Year/DoY/Hour; Year/DoY for daily values) that "
                  "supplies the variables the forcing file lacks, e.g. u*, soil temperature and water for a NetCDF forcing")
      ->group("Forcing file");
  command
      .add_option("--netcdf-time", args.netcdf_time,
                  "start|end: what a NetCDF forcing's time value marks when the file has no time bounds (default start, "
                  "as PLUMBER2 writes it)")
      ->check(CLI::IsMember({"start", "end"}))
      ->group("Forcing file");
  command.add_option("--fill", args.fill, "gaps in forcing columns: none (an error) or linear (up to --max-gap)")
      ->check(CLI::IsMember({"none", "linear"}))
      ->group("Forcing file");
  command.add_option("--max-gap", args.max_gap, "longest gap --fill linear fills, in half-hours")
      ->check(CLI::Range(1, 10000))
      ->group("Forcing file");
}

std::vector<std::string> forcing_option_files(const ForcingReadOptions& options) {
  std::vector<std::string> files;
  for (const auto& [variable, path] : options.series_files) files.push_back(path);
  if (!options.supplement.empty()) files.push_back(options.supplement);
  return files;
}

ForcingReadOptions forcing_read_options(const ForcingOptionArgs& args, const ForcingReadOptions& site) {
  ForcingReadOptions o = site;
  // A command-line setting replaces the site file's for the same variable.
  const auto replace = [](auto& list, const auto& additions) {
    for (const auto& added : additions) {
      std::erase_if(list, [&](const auto& existing) { return existing.first == added.first; });
      list.push_back(added);
    }
  };
  replace(o.columns, pairs(args.columns, "--column"));
  replace(o.units, pairs(args.units, "--units"));
  ForcingReadOptions given;
  constant_or_file(args.lai, "lai", given);
  constant_or_file(args.canopy_height, "veg_ht", given);
  // (By name, not structured binding: clang 14 cannot capture a binding in a lambda.)
  const auto drop_from = [](auto& list, const std::string& var) {
    std::erase_if(list, [&](const auto& e) { return e.first == var; });
  };
  // Whatever the command line says about a variable replaces every site-file source of it; both
  // given on one level are refused by the reader.
  for (const auto& column : pairs(args.columns, "--column")) {
    drop_from(o.constants, column.first);
    drop_from(o.series_files, column.first);
  }
  for (const auto& constant : given.constants) drop_from(o.series_files, constant.first);
  for (const auto& series : given.series_files) drop_from(o.constants, series.first);
  for (const auto& constant : given.constants) drop_from(o.columns, constant.first);
  for (const auto& series : given.series_files) drop_from(o.columns, series.first);
  replace(o.constants, given.constants);
  replace(o.series_files, given.series_files);
  if (!args.supplement.empty()) o.supplement = args.supplement;
  if (!args.netcdf_time.empty()) o.netcdf_time = args.netcdf_time == "end" ? NetcdfTimeMark::End : NetcdfTimeMark::Start;
  if (args.fill == "linear") {
    if (args.max_gap <= 0) throw InputError("", 0, "--fill", "--fill linear needs --max-gap N (half-hours)");
    o.fill = ForcingGapFill::Linear;
    o.max_gap = args.max_gap;
  } else if (args.max_gap > 0) {
    throw InputError("", 0, "--max-gap", "--max-gap applies with --fill linear");
  }
  return o;
}

void print_forcing_sources(const ForcingRecord& record) {
  std::fprintf(stderr, "canveg: forcing %s (%zu half-hours, %s to %s):\n", record.source.c_str(), record.size(),
               record.timestamp.empty() ? "" : record.timestamp.front().c_str(),
               record.timestamp.empty() ? "" : record.timestamp.back().c_str());
  for (const std::string& line : describe_forcing_sources(record)) std::fprintf(stderr, "canveg:   %s\n", line.c_str());
}

void warn_about_parameters(const Parameters<double>& para, const std::string& source) {
  for (const std::string& warning : parameter_plausibility_warnings(para))
    std::fprintf(stderr, "canveg: warning: %s: %s\n", source.c_str(), warning.c_str());
}

void check_forcing_against_site(const ForcingRecord& forcing, const Setup& site) {
  for (const std::string& warning : site_plausibility_warnings(forcing, site))
    std::fprintf(stderr, "canveg: warning: %s\n", warning.c_str());
}

}  // namespace canveg::cli
