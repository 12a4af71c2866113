// `canveg sensitivity`: gradient of JAX-CanVeg's training loss with respect to every trained
// parameter over a forcing record, printed and written as CSV (docs/gradients.md).
#pragma once

#include "cli/command_slot.hpp"

namespace canveg {

// Adds the `sensitivity` subcommand to `app` and returns it. The work runs as the subcommand's
// callback, inside app.parse(): it computes the loss and its gradient, prints one line per
// parameter (name, value, gradient, elasticity = gradient x value / loss) to stdout, writes the
// same as CSV with --output, and sets slot.exit_code to 0 on success, 1 on bad input or a failed
// write (message on stderr, "canveg: error: sensitivity: ..."). `slot` must outlive the
// parse. After parsing, `if (sensitivity->parsed()) return slot.exit_code;`.
CLI::App* add_sensitivity_command(CLI::App& app, cli::CommandSlot& slot);

}  // namespace canveg
