// `canveg convert`: a forcing file written again in another layout (FULLSET-style CSV, or
// ALMA/PLUMBER2-style NetCDF with a CSV supplement), read exactly as `run` reads it.
#pragma once

#include "cli/command_slot.hpp"

namespace canveg {

// Adds the `convert` subcommand; its work runs inside app.parse() and sets slot.exit_code (0, or 1 with
// a message on stderr). `slot` must outlive the parse.
CLI::App* add_convert_command(CLI::App& app, cli::CommandSlot& slot);

}  // namespace canveg
