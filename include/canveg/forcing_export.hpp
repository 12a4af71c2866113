// Writing a forcing record in the layouts other tools use: an AmeriFlux/FLUXNET FULLSET-style
// half-hourly CSV, and an ALMA/PLUMBER2-style NetCDF file with a CSV supplement for the variables
// ALMA does not carry. Reading either back (read_forcing_file) gives the record again within
// round-off of the unit conversions.
#pragma once

#include <string>
#include <vector>

#include "canveg/forcing.hpp"

namespace canveg {

// FULLSET-style CSV: TIMESTAMP_START, TIMESTAMP_END (YYYYMMDDHHMM, local standard time), TA_F
// (degC), SW_IN_F, VPD_F (hPa, from es(ta) - eair), PA_F (kPa), WS_F, USTAR, CO2_F_MDS, TS_F_MDS_1
// (degC), SWC_F_MDS_1 (%), and, since FULLSET files lack them, LAI and canopy_height. Written
// atomically; an output that is one of `inputs` is refused.
void write_forcing_fullset(const ForcingRecord& record, const std::string& path,
                           const std::vector<std::string>& inputs = {});

// ALMA NetCDF-4 file (dimensions time, y = 1, x = 1): Tair (K), SWdown (W/m2), Qair (kg/kg),
// Wind (m/s), PSurf (Pa), CO2air (ppm), LAI (1), with time in seconds since the first half-hour's
// day marking the start of each half-hour (PLUMBER2's convention) and CF time bounds; and the
// supplement CSV (TIMESTAMP_END, USTAR, TS, SWC, veg_ht) for --supplement. Both written
// atomically; outputs that are one of `inputs` are refused.
void write_forcing_alma(const ForcingRecord& record, const std::string& netcdf_path, const std::string& supplement_path,
                        const std::vector<std::string>& inputs = {});

}  // namespace canveg
