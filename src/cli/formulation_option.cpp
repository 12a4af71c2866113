#include "cli/formulation_option.hpp"

#include <CLI/CLI.hpp>

#include "canveg/errors.hpp"

namespace canveg::cli {

void add_formulation_option(CLI::App& command, std::string& value) {
  command.add_option("--formulation", value, kFormulationHelp)->check(CLI::IsMember({"jax", "corrected"}));
}

void apply_formulation_option(const std::string& value, Setup& setup) {
  if (value.empty()) return;
  Formulation f{};
  if (!parse_formulation(value, f))
    throw InputError("", 0, "--formulation", "expected jax or corrected, found '" + value + "'");
  set_formulation(setup, f);
}

}  // namespace canveg::cli
