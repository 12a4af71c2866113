// Wind speed inside the canopy (docs/model.md 2.9; JAX-CanVeg `uz`): neutral log law from the
// measurement height to the canopy top, exponential attenuation (coefficient 2) below.
#pragma once

#include "physics/common.hpp"

namespace canveg::physics {

// wind_ref [m s-1] at measurement height zm; h canopy height; z node height inside the canopy.
CANVEG_HD inline double canopy_top_wind(double wind_ref, double h, double zm) {
  const double d = 0.6 * h;   // zero-plane displacement
  const double z0 = 0.1 * h;  // roughness length
  return wind_ref * log((h - d) / z0) / log((zm - d) / z0);
}

CANVEG_HD inline double canopy_wind(double top_wind, double z, double h) {
  return top_wind * exp(2.0 * (z / h - 1.0));
}

}  // namespace canveg::physics
