// `canveg convert`: a forcing file written again in another layout (FULLSET-style CSV, or
// ALMA/PLUMBER2-style NetCDF with a CSV supplement), read exactly as `run` reads it.
#pragma once

namespace CLI {
class App;
}

namespace canveg {

// Adds the `convert` subcommand; its work runs inside app.parse() and sets exit_code (0, or 1 with
// a message on stderr). `exit_code` must outlive the parse.
CLI::App* add_convert_command(CLI::App& app, int& exit_code);

}  // namespace canveg
