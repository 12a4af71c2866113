// Direct/diffuse partitioning of incoming PAR and NIR (docs/model.md 2.5; Weiss & Norman 1985).
#pragma once

#include "physics/common.hpp"

namespace canveg::physics {

struct RadiationPartition {
  double cloudiness_ratio;  // ratrad: measured / potential global radiation, clipped [0.22, 0.89]
  double par_beam;          // [umol m-2 s-1]
  double par_diffuse;       // [umol m-2 s-1]
  double nir_beam;          // [W m-2]
  double nir_diffuse;       // [W m-2]
};

// sin_beta: sine of solar elevation; rglobal [W m-2] (>= 0); parin [umol m-2 s-1]; P [kPa].
CANVEG_HD inline RadiationPartition partition_radiation(double sin_beta, double rglobal,
                                                        double parin, double pressure_kpa) {
  const double solar_constant = 1360.8;
  const double fnir = 0.517, fvis = 0.383;
  const bool night = sin_beta < 0.0;
  double ru = pressure_kpa / (101.3 * sin_beta);
  if (ru < 0.0) ru = 0.0;
  const double rdvis = solar_constant * fvis * exp(-0.185 * ru) * sin_beta;
  const double rsvis = 0.4 * (solar_constant * fvis * sin_beta - rdvis);
  const double wa = solar_constant * 0.077 * pow(2.0 * ru, 0.3);
  const double nircoef = solar_constant * fnir;
  double rdir = (nircoef * exp(-0.06 * ru) - wa) * sin_beta;
  double rsdir = 0.6 * (nircoef - rdvis / sin_beta - wa) * sin_beta;
  if (night) rdir = rsdir = 0.0;
  double rvt = rdvis + rsvis;
  double rit = rdir + rsdir;
  if (night) rvt = rit = 0.0;
  if (rvt < 0.1) rvt = 0.1;
  if (rit < 0.1) rit = 0.1;

  double ratrad = rglobal / (rvt + rit);
  if (night || std::isinf(ratrad)) ratrad = 1.0;
  ratrad = ratrad < 0.22 ? 0.22 : (ratrad > 0.89 ? 0.89 : ratrad);

  const double nirx = rglobal - parin / 4.6;

  auto beam_fraction = [&](double direct, double total, double divisor) {
    const double x = (0.9 - ratrad) / divisor;
    double f = direct / total * (1.0 - pow(x, 0.67));
    return f < 0.0 ? 0.0 : (f > 1.0 ? 1.0 : f);
  };
  RadiationPartition out{};
  out.cloudiness_ratio = ratrad;
  double par_beam = beam_fraction(rdvis, rvt, 0.70) * parin;
  if (par_beam < 0.0) par_beam = 0.0;
  double par_diffuse = parin - par_beam;
  if (parin == 0.0) par_beam = par_diffuse = 0.0;
  double nir_beam = beam_fraction(rdir, rit, 0.68) * nirx;
  if (nir_beam < 0.0) nir_beam = 0.0;
  double nir_diffuse = nirx - nir_beam;
  if (nirx == 0.0) nir_beam = nir_diffuse = 0.0;
  if (night) par_beam = par_diffuse = nir_beam = nir_diffuse = 0.0;
  out.par_beam = par_beam;
  out.par_diffuse = par_diffuse;
  out.nir_beam = nir_beam;
  out.nir_diffuse = nir_diffuse;
  return out;
}

}  // namespace canveg::physics
