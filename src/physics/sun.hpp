// Solar elevation (docs/model.md 2.2; Walraven 1978 as coded in JAX-CanVeg `angle`).
#pragma once

#include "physics/common.hpp"

namespace canveg::physics {

// Sine of the solar elevation angle for a site and local standard time.
//   latitude_deg, longitude_deg (east positive), time_zone [h], day_of_year, hour [h].
// |sin beta| <= 0.01 is replaced by sign(sin beta) * 0.01, as JAX-CanVeg does; an exact zero
// would stay zero there and later give NaN (pitfall P16), so it is mapped to -0.01 (night) here.
CANVEG_HD inline double solar_sine_elevation(double latitude_deg, double longitude_deg,
                                             double time_zone, double day_of_year, double hour) {
  const double pi = kPiLiteral;
  const double lat_rad = latitude_deg * (pi / 180.0);
  const double declination = -23.45 * pi / 180.0 * cos(2.0 * pi * (day_of_year + 10.0) / 365.0);
  const double f = pi * (279.5 + 0.9856 * day_of_year) / 180.0;
  // Equation of time [h].
  const double equation_of_time =
      (-104.7 * sin(f) + 596.2 * sin(2.0 * f) + 4.3 * sin(3.0 * f) - 12.7 * sin(4.0 * f) -
       429.3 * cos(f) - 2.0 * cos(2.0 * f) + 19.3 * cos(3.0 * f)) /
      3600.0;
  const double longitude_correction_hr = (longitude_deg - time_zone * 15.0) * 4.0 / 60.0;
  const double solar_noon = 12.0 - longitude_correction_hr - equation_of_time;
  const double hour_angle = pi * (hour - solar_noon) / 12.0;
  double sin_beta = sin(lat_rad) * sin(declination) + cos(lat_rad) * cos(declination) * cos(hour_angle);
  if (!(abs(sin_beta) > 0.01)) sin_beta = (sin_beta > 0 ? 1.0 : -1.0) * 0.01;
  return sin_beta;
}

// Solar zenith angle [rad] from sin(beta), with the code's literal pi.
CANVEG_HD inline double solar_zenith(double sin_beta) { return kPiLiteral / 2.0 - asin(sin_beta); }

}  // namespace canveg::physics
