// Where a subcommand that does its work inside app.parse() leaves its exit status.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <utility>

namespace canveg::cli {

struct CommandSlot {
  int exit_code = 0;
  // false in the command line's parse-only mode (src/cli/main.cpp): every option is parsed and
  // checked, nothing runs.
  bool execute = true;
};

// Runs `work` when `command` has been parsed, unless the slot says not to, and stores its exit
// status. `work` owns whatever the command's options write into, so it must outlive the parse: the
// callback keeps it.
inline void run_when_parsed(CLI::App& command, CommandSlot& slot, std::function<int()> work) {
  command.callback([&slot, work = std::move(work)] {
    if (slot.execute) slot.exit_code = work();
  });
}

}  // namespace canveg::cli
