// --formulation jax|corrected, shared by every command that builds a model (run, train,
// sensitivity, sweep). The model file decides when the option is absent: a JAX-CanVeg model JSON
// solves JAX-CanVeg's formulation, a site TOML file the corrected one (docs/formulation.md).
#pragma once

#include <string>

#include "canveg/parameters.hpp"

namespace CLI {
class App;
}

namespace canveg::cli {

// Adds --formulation to a (sub)command; `value` ("" = as the model file says) must outlive the parse.
void add_formulation_option(CLI::App& command, std::string& value);

// Applies a --formulation value to a set-up; "" leaves the set-up as read.
void apply_formulation_option(const std::string& value, Setup& setup);

// The --help text of the option.
inline constexpr const char* kFormulationHelp =
    "jax: JAX-CanVeg's formulation (one PAR/NIR scattering sweep from zero per iteration, leaf dark respiration "
    "subtracted twice; reproduces its published numbers); corrected: converged PAR/NIR scattering and dark "
    "respiration subtracted once. Default: jax for a model JSON or JAX configs.json, corrected for a site TOML "
    "(its [solver] formulation key)";

}  // namespace canveg::cli
