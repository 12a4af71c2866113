// The field tables (include/canveg/fields.hpp) as text for `canveg --help` and `canveg fields`,
// and as Markdown for docs/fields.md.
#pragma once

#include <string>

#include "cli/command_slot.hpp"

namespace canveg::cli {

// Outputs, diagnostics, forcings and parameters as aligned plain-text tables.
std::string fields_text();

// The same tables in Markdown: the content of docs/fields.md.
std::string fields_markdown();

// `canveg fields [--markdown]`: prints the tables.
CLI::App* add_fields_command(CLI::App& app, CommandSlot& slot);

}  // namespace canveg::cli
