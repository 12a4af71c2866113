#pragma once

#include "cli/command_slot.hpp"

namespace canveg {

CLI::App* add_sweep_command(CLI::App& app, cli::CommandSlot& slot);

}  // namespace canveg
