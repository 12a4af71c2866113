// `canveg convert`:
//
//   canveg convert --forcing <in.csv|in.nc> [forcing options] --to fullset|alma --output <out>
//                  [--supplement-output <out-supplement.csv>]
//
// The forcing is read with every check of `canveg run` (and its source printed), then written in
// the chosen layout (include/canveg/forcing_export.hpp): a FULLSET-style half-hourly CSV, or an ALMA
// NetCDF file plus the CSV of the variables ALMA lacks (by default <output stem>-supplement.csv).
#include "cli/convert_command.hpp"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "canveg/errors.hpp"
#include "canveg/forcing.hpp"
#include "canveg/forcing_export.hpp"
#include "canveg/output_io.hpp"
#include "cli/forcing_options.hpp"

namespace canveg {
namespace {

struct ConvertOptions {
  std::string forcing, to, output, supplement_output;
  cli::ForcingOptionArgs forcing_options;
  bool quiet = false;
};

int run_convert(const ConvertOptions& o) {
  try {
    if (o.to == "fullset" && !o.supplement_output.empty())
      throw InputError(o.supplement_output, 0, "--supplement-output",
                       "only --to alma writes a supplement (a FULLSET file holds every variable)");
    const ForcingRecord record = read_forcing_file(o.forcing, cli::forcing_read_options(o.forcing_options));
    if (!o.quiet) cli::print_forcing_sources(record);
    std::vector<std::string> inputs = cli::forcing_option_files(cli::forcing_read_options(o.forcing_options));
    inputs.push_back(o.forcing);
    if (o.to == "fullset") {
      write_forcing_fullset(record, o.output, inputs);
      if (!o.quiet) std::fprintf(stderr, "canveg: convert: wrote %s\n", o.output.c_str());
    } else {
      std::string supplement = o.supplement_output;
      if (supplement.empty()) {
        const std::filesystem::path out(o.output);
        supplement = (out.parent_path() / (out.stem().string() + "-supplement.csv")).string();
      }
      // The two outputs in one file: say so, rather than call one of them an input.
      if (io::same_file(o.output, supplement))
        throw InputError(supplement, 0, "--supplement-output",
                         "the supplement would be written to the --output file itself; choose another path");
      write_forcing_alma(record, o.output, supplement, inputs);
      if (!o.quiet)
        std::fprintf(stderr, "canveg: convert: wrote %s and %s (run it with --supplement %s)\n", o.output.c_str(),
                     supplement.c_str(), supplement.c_str());
    }
    return 0;
  } catch (const std::exception& e) {  // InputError included: its message names file, line and field
    std::fprintf(stderr, "canveg: error: convert: %s\n", e.what());
    return 1;
  }
}

}  // namespace

CLI::App* add_convert_command(CLI::App& app, cli::CommandSlot& slot) {
  auto o = std::make_shared<ConvertOptions>();
  CLI::App* cmd = app.add_subcommand(
      "convert", "Write a forcing file in another layout: FULLSET-style CSV or ALMA/PLUMBER2-style NetCDF");
  cmd->add_option("--forcing", o->forcing, std::string("Forcing CSV or NetCDF. ") + cli::kTimeConvention)->required();
  cmd->add_option("--to", o->to, "fullset (AmeriFlux/FLUXNET half-hourly CSV) or alma (NetCDF + supplement CSV)")
      ->check(CLI::IsMember({"fullset", "alma"}))
      ->required();
  cmd->add_option("-o,--output", o->output, "The converted file (written atomically)")->required();
  cmd->add_option("--supplement-output", o->supplement_output,
                  "With --to alma: the CSV of u*, soil temperature and water and canopy height (default: <output "
                  "stem>-supplement.csv)");
  cmd->add_flag("-q,--quiet", o->quiet, "No summary on stderr");
  cli::add_forcing_options(*cmd, o->forcing_options);
  cli::run_when_parsed(*cmd, slot, [o] { return run_convert(*o); });
  return cmd;
}

}  // namespace canveg
