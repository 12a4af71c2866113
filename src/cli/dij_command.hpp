// `canveg dij`: generate a Lagrangian dispersion matrix (docs/dispersion-matrix.md).
#pragma once

#include "cli/command_slot.hpp"

namespace canveg {

// Adds the `dij` subcommand to `app` and returns it. The work runs as the subcommand's callback,
// inside app.parse(): it generates the matrix, writes it and sets slot.exit_code to 0 on success, 1 on
// bad input or a failed write, 2 when the geometry is missing (message on stderr, "canveg: error:
// dij: ..."). `slot` must outlive the parse. After parsing, `if (dij->parsed()) return
// slot.exit_code;`.
CLI::App* add_dij_command(CLI::App& app, cli::CommandSlot& slot);

}  // namespace canveg
