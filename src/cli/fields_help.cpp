#include "cli/fields_help.hpp"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <sstream>
#include <string_view>

#include "canveg/fields.hpp"

namespace canveg::cli {

namespace {

// Shortest decimal form of a default value or bound (e.g. 5e-05, 99999, 0.95).
std::string number(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

std::string pad(std::string_view s, std::size_t width) {
  std::string out(s);
  if (out.size() < width) out.append(width - out.size(), ' ');
  return out;
}

std::string range(const ForcingField& f) { return number(f.lower) + " .. " + number(f.upper); }

std::string bounds(const ParameterField& f) { return "[" + number(f.lower) + ", " + number(f.upper) + "]"; }

}  // namespace

std::string fields_text() {
  std::ostringstream o;
  o << "Outputs (columns of the output CSV after TIMESTAMP_END; JAX-CanVeg name in brackets):\n";
  for (const OutputField& f : kOutputFields)
    o << "  " << pad(f.name, 11) << pad(f.unit, 14) << f.meaning << " [" << f.jax_name << "]\n";
  o << "Diagnostics (run --diagnostics):\n";
  for (const DiagnosticField& f : kDiagnosticFields) o << "  " << pad(f.name, 19) << pad(f.unit, 12) << f.meaning << "\n";
  o << "Convergence (run --convergence):\n";
  for (const DiagnosticField& f : kConvergenceFields) o << "  " << pad(f.name, 19) << pad(f.unit, 12) << f.meaning << "\n";
  o << "Forcings (forcing CSV columns, exact names, case-insensitive; '|' = next in priority, # = digits;\n"
       "time: TIMESTAMP_END, TIMESTAMP_START or Year/DoY/Hour, the END of each half-hour, local standard time):\n";
  const auto forcing_line = [&o](const ForcingField& f) {
    o << "  " << pad(f.name, 8) << pad(f.unit, 12) << pad(range(f), 18) << f.meaning << "\n"
      << "  " << pad("", 8) << "columns " << f.columns << "; units " << f.units_accepted << "\n";
  };
  for (const ForcingField& f : kForcingFields) forcing_line(f);
  for (const ForcingField& f : kForcingSubstituteFields) forcing_line(f);
  o << "Parameters (default, unit, training bounds; * = trained by JAX-CanVeg, in the gradient's order):\n";
  for (const ParameterField& f : kParameterFields)
    o << "  " << (f.trained() ? '*' : ' ') << pad(f.name, 21) << pad(number(f.default_value), 12) << pad(f.unit, 14)
      << pad(bounds(f), 18) << f.meaning << "\n";
  o << "  (LeafRHDL / RsoilDL network weights: trained, bounds [-" << number(kNetworkWeightBound) << ", "
    << number(kNetworkWeightBound) << "])\n";
  return o.str();
}

std::string fields_markdown() {
  std::ostringstream o;
  o << "# Fields\n\n"
       "canveg's outputs, forcings and parameters, generated from the tables in `include/canveg/fields.hpp`\n"
       "by `canveg fields --markdown` (a test keeps this file equal to that output).\n\n";
  o << "## Outputs\n\nColumns of the output CSV, in order, after `TIMESTAMP_END`.\n\n"
       "| column | JAX-CanVeg name | unit | meaning |\n|---|---|---|---|\n";
  for (const OutputField& f : kOutputFields)
    o << "| `" << f.name << "` | `" << f.jax_name << "` | " << f.unit << " | " << f.meaning << " |\n";
  o << "\n## Diagnostics\n\nWith `--diagnostics`, after the outputs.\n\n| column | unit | meaning |\n|---|---|---|\n";
  for (const DiagnosticField& f : kDiagnosticFields)
    o << "| `" << f.name << "` | " << f.unit << " | " << f.meaning << " |\n";
  o << "\n## Convergence\n\nWith `--convergence`, after the outputs (and the diagnostics): the absolute change in the last "
       "outer iteration, and the flags of physically impossible states.\n\n| column | unit | meaning |\n|---|---|---|\n";
  for (const DiagnosticField& f : kConvergenceFields)
    o << "| `" << f.name << "` | " << f.unit << " | " << f.meaning << " |\n";
  o << "\n## Forcings\n\n"
       "A forcing CSV column (or a NetCDF variable) feeds a variable when its name equals one of the column names (compared\n"
       "case-insensitively; never a prefix). Names are listed in priority order, `|` separating tiers;\n"
       "names of one tier separated by `,` have equal rank, and a file holding two of them must choose\n"
       "one with `--column VAR=NAME`. `#` stands for a run of digits (a FLUXNET depth index). A unit in\n"
       "brackets is the unit that name implies. Values are converted from the unit declared with\n"
       "`--units VAR=UNIT` (one of *units accepted*), else by a NetCDF variable's `units` attribute,\n"
       "and must lie in the physical range. The time axis\n"
       "comes from `TIMESTAMP_END`, `TIMESTAMP_START` or Year/DoY/Hour: each row is the half-hour\n"
       "*ending* at that time, in local standard time, on the hour or at half past. `run`, `train` and\n"
       "`sensitivity` check the shortwave radiation against the sun of the model's site: a forcing\n"
       "whose nights shine (time stamps in UTC, a wrong time zone) is refused, naming the shift that\n"
       "lines it up; one whose days are dark is warned about, as is humidity that looks read in a\n"
       "unit too small (a week that never reaches 25 % relative humidity; warm air whose deficit never\n"
       "exceeds 0.6 kPa when eair comes from VPD), a constant canopy height given to a model that\n"
       "does not read it, and a canopy height column whose median is more than 1.5 times off the\n"
       "model's canopy (a forcing of another site). The Python module's `Model.run`, `loss_function`\n"
       "and `train` make the same checks: the refusal is an `InputError`, the warnings are\n"
       "`UserWarning`s.\n\n"
       "| variable | column names | unit | units accepted | range | meaning |\n|---|---|---|---|---|---|\n";
  const auto forcing_row = [&o](const ForcingField& f) {
    o << "| `" << f.name << "` | `" << f.columns << "` | " << f.unit << " | " << f.units_accepted << " | "
      << range(f) << " | " << f.meaning << " |\n";
  };
  for (const ForcingField& f : kForcingFields) forcing_row(f);
  o << "\nWhen the file has no `eair` column, vapour pressure comes from one of these; naming one with\n"
       "`--column vpd=NAME` (or `qair=NAME`) takes it even where the file has an `eair` column.\n\n"
       "| input | column names | unit | units accepted | range | meaning |\n|---|---|---|---|---|---|\n";
  for (const ForcingField& f : kForcingSubstituteFields) forcing_row(f);
  o << "\n## Parameters\n\nDefaults are JAX-CanVeg's (the legacy alfalfa set). Bounds: the box JAX-CanVeg clips each\n"
       "parameter to after every optimiser step. Rank: position in the gradient's parameter vector\n"
       "(JAX-CanVeg's list of tunable parameters); empty for a parameter JAX-CanVeg does not train. The\n"
       "LeafRHDL and RsoilDL network weights follow the ranked scalars, bounded by +-"
    << number(kNetworkWeightBound)
    << ". A model whose parameter lies outside a finite bound (99999 marks an open side), a rate,\n"
       "capacity, slope or constant of the air that is not positive, or a temperature in kelvin outside\n"
       "250-350 K runs with a warning that names it (run, train, sensitivity, Python).\n\n"
       "| name | default | unit | lower | upper | rank | meaning |\n"
       "|---|---|---|---|---|---|---|\n";
  for (const ParameterField& f : kParameterFields)
    o << "| `" << f.name << "` | " << number(f.default_value) << " | " << f.unit << " | " << number(f.lower) << " | "
      << number(f.upper) << " | " << (f.trained() ? std::to_string(f.training_rank) : std::string()) << " | "
      << f.meaning << " |\n";
  return o.str();
}

CLI::App* add_fields_command(CLI::App& app, CommandSlot& slot) {
  auto markdown = std::make_shared<bool>(false);
  CLI::App* cmd = app.add_subcommand("fields", "List the outputs, diagnostics, forcings and parameters");
  cmd->add_flag("--markdown", *markdown, "Print the tables in Markdown (docs/fields.md)");
  run_when_parsed(*cmd, slot, [markdown] {
    const std::string text = *markdown ? fields_markdown() : fields_text();
    std::fwrite(text.data(), 1, text.size(), stdout);
    return 0;
  });
  return cmd;
}

}  // namespace canveg::cli
