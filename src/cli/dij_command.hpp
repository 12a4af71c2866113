// `canveg dij`: generate a Lagrangian dispersion matrix (docs/dispersion-matrix.md).
#pragma once

namespace CLI {
class App;
}

namespace canveg {

// Adds the `dij` subcommand to `app`. When the subcommand runs (from app.parse), it generates the
// matrix and sets exit_code: 0 on success, 1 on bad input or a failed write (message on stderr).
// `exit_code` must outlive the parse.
void add_dij_command(CLI::App& app, int& exit_code);

}  // namespace canveg
