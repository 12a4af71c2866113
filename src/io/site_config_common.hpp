// What the two site-configuration readers share (src/io/config_json.cpp: JAX-CanVeg's
// configs.json; src/io/site_toml.cpp: our TOML site file): the soil sub-steps, the unknown
// normalisation statistics of an untrained model, and the dispersion matrix a configuration names.
#pragma once

#include <cmath>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include "canveg/errors.hpp"
#include "canveg/model_io.hpp"

namespace canveg::io {

// Defaults of 4.1 that JAX-CanVeg's config cannot change.
inline constexpr double kDtSoil = 20.0;  // [s]

// Soil sub-steps per outer iteration: the soil model covers one time step in dt_soil steps (4.1).
inline int soil_steps(int steps_per_day, double dt_soil) {
  return static_cast<int>(std::floor(86400.0 / (steps_per_day * dt_soil)));
}

// Normalisation statistics are unknown without training data: NaN makes any accidental use
// visible instead of silently normalising with zeros.
inline VarStats unknown_stats() {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  VarStats v;
  for (double* x : {&v.T_air, &v.rglobal, &v.eair, &v.wind, &v.CO2, &v.P_kPa, &v.ustar, &v.Tsoil, &v.soilmoisture,
                    &v.zcanopy, &v.lai, &v.rsoil, &v.LE, &v.H, &v.vpd})
    *x = nan;
  return v;
}

inline void set_unknown_stats(Model<double>& m) {
  m.var_mean = m.var_std = m.var_max = m.var_min = unknown_stats();
}

// Resolves a path written in a configuration file relative to that file's folder.
inline std::string relative_to(const std::string& config_path, const std::string& written) {
  const std::filesystem::path p(written);
  if (p.is_absolute()) return p.string();
  return (std::filesystem::path(config_path).parent_path() / p).lexically_normal().string();
}

// A resolved path as an error message shows it: absolute, so that the reader sees where it was
// looked for whatever the working folder.
inline std::string absolute_for_message(const std::string& resolved) {
  std::error_code ec;
  const std::filesystem::path absolute = std::filesystem::absolute(resolved, ec);
  return ec ? resolved : absolute.lexically_normal().string();
}

// The dispersion matrix named by a configuration. JAX-CanVeg would generate a missing matrix with
// its particle model (2.15) when a run starts; here that is a command of its own (`canveg dij`), so
// a missing file is an error that names it.
inline std::vector<double> read_configured_dij(const std::string& config_path, const std::string& field,
                                        long line, const std::string& written, const Setup& s) {
  const std::string resolved = relative_to(config_path, written);
  if (!std::filesystem::exists(resolved))
    throw InputError(config_path, line, field,
                     "dispersion matrix '" + written + "' not found (looked for " + absolute_for_message(resolved) +
                         "); make one with `canveg dij --site " + config_path + " -o <file>`");
  return read_dij_csv(resolved, s.n_total_layers, s.n_can_layers);
}


}  // namespace canveg::io
