// `canveg evaluate`: scores a canveg output against tower observations (include/canveg/evaluation.hpp).
#pragma once

#include "cli/command_slot.hpp"

namespace canveg {

// Adds the `evaluate` subcommand; its work runs inside app.parse() and sets slot.exit_code (0, or 1
// with a message on stderr). `slot` must outlive the parse.
CLI::App* add_evaluate_command(CLI::App& app, cli::CommandSlot& slot);

}  // namespace canveg
