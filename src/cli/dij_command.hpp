// `canveg dij`: generate a Lagrangian dispersion matrix (docs/dispersion-matrix.md).
#pragma once

namespace CLI {
class App;
}

namespace canveg {

// Adds the `dij` subcommand to `app` and returns it. The work runs as the subcommand's callback,
// inside app.parse(): it generates the matrix, writes it and sets exit_code to 0 on success, 1 on
// bad input or a failed write, 2 when the geometry is missing (message on stderr, "canveg: error:
// dij: ..."). `exit_code` must outlive the parse. After parsing, `if (dij->parsed()) return
// exit_code;`.
CLI::App* add_dij_command(CLI::App& app, int& exit_code);

}  // namespace canveg
