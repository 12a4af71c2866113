// The record types of canveg/run.hpp (outputs, energy and convergence diagnostics, addressed by
// field index) and the consistency check applied to every model, whatever reader produced it. They
// sit with the I/O layer because the readers and writers use them without the model driver.
#include <cmath>

#include "canveg/errors.hpp"
#include "canveg/run.hpp"
#include "physics/column_outputs.hpp"

namespace canveg {

namespace {

constexpr std::array<std::vector<double> CanopyOutputs::*, kOutputCount> kOutputMembers = {
#define CANVEG_OUTPUT_POINTER(name, ...) &CanopyOutputs::name,
    CANVEG_OUTPUT_FIELDS(CANVEG_OUTPUT_POINTER)
#undef CANVEG_OUTPUT_POINTER
};
constexpr std::array<std::vector<double> EnergyDiagnostics::*, kDiagnosticCount> kDiagnosticMembers = {
#define CANVEG_DIAGNOSTIC_POINTER(name, ...) &EnergyDiagnostics::name,
    CANVEG_DIAGNOSTIC_FIELDS(CANVEG_DIAGNOSTIC_POINTER)
#undef CANVEG_DIAGNOSTIC_POINTER
};

constexpr std::array<std::vector<double> ConvergenceDiagnostics::*, kConvergenceCount> kConvergenceMembers = {
#define CANVEG_CONVERGENCE_POINTER(name, ...) &ConvergenceDiagnostics::name,
    CANVEG_CONVERGENCE_FIELDS(CANVEG_CONVERGENCE_POINTER)
#undef CANVEG_CONVERGENCE_POINTER
};

}  // namespace

std::vector<double>& ConvergenceDiagnostics::series(std::size_t i) { return this->*kConvergenceMembers.at(i); }
const std::vector<double>& ConvergenceDiagnostics::series(std::size_t i) const {
  return this->*kConvergenceMembers.at(i);
}
void ConvergenceDiagnostics::resize(std::size_t n) {
  for (std::size_t i = 0; i < kConvergenceCount; ++i) series(i).assign(n, 0.0);
}

std::vector<double>& CanopyOutputs::series(std::size_t i) { return this->*kOutputMembers.at(i); }
const std::vector<double>& CanopyOutputs::series(std::size_t i) const { return this->*kOutputMembers.at(i); }
void CanopyOutputs::resize(std::size_t n) {
  for (std::size_t i = 0; i < kOutputCount; ++i) series(i).assign(n, 0.0);
}

std::vector<double>& EnergyDiagnostics::series(std::size_t i) { return this->*kDiagnosticMembers.at(i); }
const std::vector<double>& EnergyDiagnostics::series(std::size_t i) const { return this->*kDiagnosticMembers.at(i); }
void EnergyDiagnostics::resize(std::size_t n) {
  for (std::size_t i = 0; i < kDiagnosticCount; ++i) series(i).assign(n, 0.0);
}

void validate_model(const Model<double>& model, const std::string& source) {
  const Setup& s = model.setup;
  if (s.n_can_layers < 1) throw InputError(source, 0, "n_can_layers", "must be at least 1");
  if (s.n_total_layers <= s.n_can_layers)
    throw InputError(source, 0, "n_total_layers", "must exceed the number of canopy layers");
  if (static_cast<int>(s.zht.size()) != s.n_total_layers || static_cast<int>(s.delz.size()) != s.n_total_layers)
    throw InputError(source, 0, "zht", "grid has " + std::to_string(s.zht.size()) + " nodes, expected " +
                                           std::to_string(s.n_total_layers));
  const std::size_t expected = static_cast<std::size_t>(s.n_total_layers) * s.n_can_layers;
  if (model.dij.size() != expected)
    throw InputError(source, 0, "dij",
                     "dispersion matrix has " + std::to_string(model.dij.size()) + " values, expected " +
                         std::to_string(s.n_total_layers) + " x " + std::to_string(s.n_can_layers));
  if (s.niter < 1) throw InputError(source, 0, "niter", "must be at least 1");
  // Forcing rows are half-hours (the readers accept nothing else), so a model of another time step
  // would solve its soil for the wrong length of time without any other sign.
  if (s.steps_per_day != 48)
    throw InputError(source, 0, "steps_per_day",
                     std::to_string(s.steps_per_day) + " steps per day; forcings are half-hourly, 48 steps per day");
  if (std::abs(s.soil_mtime * s.dt_soil - 1800.0) > 1e-9 * 1800.0)
    throw InputError(source, 0, "soil_mtime",
                     std::to_string(s.soil_mtime) + " soil sub-steps of " + std::to_string(s.dt_soil) +
                         " s do not make the half-hour (1800 s) of a forcing row");
  if (s.n_soil_layers != physics::kSoilLayers)
    throw InputError(source, 0, "n_soil_layers",
                     "the soil heat-conduction model has " + std::to_string(physics::kSoilLayers) +
                         " layers (docs/model.md 2.13); " + std::to_string(s.n_soil_layers) + " is not supported");
  if (s.leaf_rh == LeafRhModule::Network && model.leaf_rh_net.empty())
    throw InputError(source, 0, "LeafRHDL", "leaf RH module 1 needs the LeafRHDL network");
  if (s.soil_respiration == SoilRespirationModule::Network && model.rsoil_net.empty())
    throw InputError(source, 0, "RsoilDL", "soil respiration module 2 needs the RsoilDL network");
  if (s.soil_respiration == SoilRespirationModule::Network &&
      !(std::isfinite(model.var_max.rsoil) && std::isfinite(model.var_min.rsoil)))
    throw InputError(source, 0, "var_stats.rsoil",
                     "soil respiration module 2 needs the Rsoil range of the training fluxes");
  for (const auto* net : {&model.leaf_rh_net, &model.rsoil_net})
    if (!net->empty() && net->width > nn::kMaxWidth)
      throw InputError(source, 0, "mlps", "network width above " + std::to_string(nn::kMaxWidth));
}

}  // namespace canveg
