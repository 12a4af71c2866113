// Half-hourly meteorological forcing as read from a JAX-CanVeg forcing CSV (docs/model.md 5.1).
// Values are kept as in the file (no guards applied); the physics applies the forcing guards.
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "canveg/fields.hpp"
#include "canveg/parameters.hpp"

namespace canveg {

// Where a forcing variable's values came from, for the run summary: a file column, a constant
// from an option, or a derivation.
struct ForcingSource {
  std::string variable;     // kForcingFields name
  std::string origin;       // "TA_F", "constant (--lai)", "es(TA_F) - VPD_F", ...
  std::string unit;         // the unit the values were read in
  std::string note;         // conversions and fills, "" if none
};

// The forcing variables (one vector per line of CANVEG_FORCING_FIELDS, include/canveg/fields.hpp:
// year, doy, hour, ta, rg, eair, ws, co2, pa, ustar, ts, swc, veg_ht, lai), one value per half-hour,
// in the units of that table.
struct ForcingRecord {
  std::string source;                  // file path, for messages
  std::vector<std::string> timestamp;  // end of each half-hour, "YYYY-MM-DD HH:MM:SS"
  std::vector<long> line;              // the file line of each row (empty for built records)
  std::vector<ForcingSource> sources;  // one per variable, for the run summary
#define CANVEG_FORCING_SERIES(name, ...) std::vector<double> name;
  CANVEG_FORCING_FIELDS(CANVEG_FORCING_SERIES)
#undef CANVEG_FORCING_SERIES
  std::size_t size() const { return ta.size(); }
  // The values of row r.
  ForcingRow row(std::size_t r) const;
  // Rows [begin, end) as a new record.
  ForcingRecord slice(std::size_t begin, std::size_t end) const;
};

// The series of forcing variable i (order of kForcingFields).
std::vector<double>& forcing_series(ForcingRecord& record, std::size_t i);
const std::vector<double>& forcing_series(const ForcingRecord& record, std::size_t i);

// How short gaps in forcing columns are treated.
enum class ForcingGapFill {
  None,   // any gap is an error (the default: forcings must be complete)
  Linear  // runs of at most max_gap missing cells are interpolated linearly in time
};

// What the time value of a NetCDF forcing marks when the file gives no CF time bounds.
enum class NetcdfTimeMark {
  Start,  // the start of the half-hour (PLUMBER2, written from FLUXNET's TIMESTAMP_START)
  End     // the end of the half-hour
};

// Settings of the forcing reader, all optional (the command-line options of the same names).
struct ForcingReadOptions {
  // --column VAR=NAME: the file column of a variable (kForcingFields or kForcingSubstituteFields
  // name), exact and case-sensitive; overrides the alias table.
  std::vector<std::pair<std::string, std::string>> columns;
  // --units VAR=UNIT: the unit of a variable's column, one of its accepted units.
  std::vector<std::pair<std::string, std::string>> units;
  // --lai VALUE, --canopy-height VALUE, ...: a constant for a variable, used instead of any column.
  std::vector<std::pair<std::string, double>> constants;
  // --lai FILE, --canopy-height FILE: a variable from a CSV of its own, used instead of any column
  // of the forcing file: half-hourly (a time stamp or Year/DoY/Hour column; every forcing
  // half-hour must be present) or daily (Year and DoY only; each half-hour takes the value of the
  // day it lies in).
  std::vector<std::pair<std::string, std::string>> series_files;
  // --supplement FILE: a CSV on the same half-hours (matched by time; daily Year/DoY rows also
  // serve) that supplies every variable the forcing file lacks: what an ALMA/PLUMBER2 NetCDF
  // forcing does not carry (u*, soil temperature and water, canopy height).
  std::string supplement;
  ForcingGapFill fill = ForcingGapFill::None;
  int max_gap = 0;  // half-hours, with ForcingGapFill::Linear
  // --netcdf-time start|end: what a NetCDF time value without CF bounds marks.
  NetcdfTimeMark netcdf_time = NetcdfTimeMark::Start;
  // Workers that parse a large CSV file (0: all hardware threads); the record does not depend on it.
  int threads = 1;
};

// How the shortwave radiation of a forcing agrees with the sun of a site (latitude, longitude east,
// time zone in hours east of UTC), every `stride`-th row, with the time stamps moved by shift_h:
// rows with the sun more than about 6 degrees below the horizon (night) and those of them with
// more than 50 W m-2, rows with the sun more than 30 degrees up (day) and those with under 5 W m-2,
// and the correlation of the radiation with the sun's elevation (0 below the horizon).
struct SunTiming {
  std::size_t night_rows = 0, night_shine = 0, day_rows = 0, dark_day = 0;
  std::size_t first_night_shine = 0, first_dark_day = 0;  // row indices
  double correlation = 0.0;
};
SunTiming sun_timing(const ForcingRecord& forcing, double latitude, double longitude, double time_zone,
                     double shift_h = 0.0, std::size_t stride = 1);

// Time stamps in UTC, or a site's wrong time zone, put the sun hours away from the radiation
// measured under it, without any other sign. Throws InputError (the first such row) when more than
// a tenth of the night half-hours have sunshine; returns a warning when more than a tenth of the
// daytime half-hours are dark (a failed sensor can do that too), "" otherwise. Both messages give
// the shift that lines the radiation up with the sun best.
std::string check_sun_timing(const ForcingRecord& forcing, double latitude, double longitude, double time_zone);

// Warnings about variables that disagree with each other or with the air: u* at least the wind
// speed in most half-hours (the two columns swapped), a CO2 median far above ambient (mg m-3 read
// as ppm), soil temperature swinging more than 1.5 times as much as the air's over a week or more
// (the two swapped), soil water exactly zero throughout (a failed sensor).
std::vector<std::string> check_forcing_consistency(const ForcingRecord& forcing);

// A warning ("" if none) when the shortwave exceeds the sun's radiation above the atmosphere in
// more than a twentieth of the daytime half-hours: PAR in umol m-2 s-1 read as W m-2, or another
// unit that stays within the shortwave's range.
std::string check_shortwave_below_top_of_atmosphere(const ForcingRecord& forcing, double latitude, double longitude,
                                                   double time_zone);

// A warning ("" if none) when the humidity of a record of a week or more looks read in the wrong
// unit: relative humidity never reaching 25 % (a unit 10 or 1000 times too small), or, for vapour
// pressure from a deficit, air above 25 degC whose deficit never exceeds 0.6 kPa (kPa read as hPa). Each
// value passed its range check, so only the record as a whole can tell.
std::string check_humidity_units(const ForcingRecord& forcing);

// The FLUXNET/AmeriFlux site identifier (two letters, a dash, three letters or digits: US-Bi1)
// standing alone in a file's name, as the shared files are named (US-Bi1-forcings.csv,
// Dij_US-Bi1_50L.csv), when it names another site than `site_name`; "" when the name holds none,
// names that site, or site_name is empty.
std::string other_site_in_file_name(const std::string& path, const std::string& site_name);

// The checks of a forcing against the model it drives: check_sun_timing at the site (which throws
// for hours off the sun), check_humidity_units, a canopy height given as a constant to a model
// that does not read veg_ht (only the alfalfa soil respiration does; the canopy's height is its
// layer geometry), and a veg_ht column whose median is more than 1.5 times off the model's canopy
// height (a forcing of another site); a forcing file, and a dispersion matrix read from a file
// (Setup::dispersion_matrix_file), named for another site (e.g. Dij_US-Hn1_50L.csv for a US-Bi1
// model). Their warnings as "<source>: <text>", for the commands to print and the Python module to
// raise as warnings.
std::vector<std::string> site_plausibility_warnings(const ForcingRecord& forcing, const Setup& site);

// Reads a half-hourly forcing CSV (docs/model.md 5.1; the alias table and ranges of
// CANVEG_FORCING_FIELDS):
//  - every variable is found by an exact column name (never a prefix), the first tier present;
//    two names of one tier present is an ambiguity to resolve with options.columns. Every missing
//    variable is reported in one error.
//  - eair may come from VPD and ta, or from specific humidity, ta and pa.
//  - values are converted to the table's units (options.units, ALMA's implied units, and
//    FLUXNET's: a file whose time stamps are AmeriFlux's YYYYMMDDHHMM is read with FLUXNET's
//    units, SWC in % and VPD in hPa) and checked against the physical ranges; a value outside
//    is refused with the file, line and column and the unit it looks like.
//  - the time axis (TIMESTAMP_END, TIMESTAMP_START or Year/DoY/Hour; where several are present
//    they must agree) must be consecutive half-hours: gaps, duplicates and rows out of order are
//    refused naming the lines.
//  - gaps (empty, NA, -9999) are errors unless options.fill fills them.
// Throws InputError (file, line, field) for all of these.
ForcingRecord read_forcing_csv(const std::string& path, const ForcingReadOptions& options = {});

// Reads an ALMA/PLUMBER2-style NetCDF forcing (netCDF-3 or netCDF-4): every variable that is a
// time series at one site (dimensions time and any of length 1) is a column named by the variable,
// read as read_forcing_csv reads a CSV column, in the unit of its `units` attribute (K, Pa, kg/kg,
// W/m2, ppm, ... are understood; --units overrides). CF packing is undone and _FillValue /
// missing_value cells are gaps. The time is the variable `time` in "<unit> since <date>" of local
// standard time; with CF bounds its upper bound ends the half-hour, otherwise options.netcdf_time
// says whether a value marks the start (PLUMBER2) or the end. In errors, the "line" of a value is
// its 1-based time step.
ForcingRecord read_forcing_netcdf(const std::string& path, const ForcingReadOptions& options = {});

// One column of a forcing table held in memory (a pandas DataFrame, NumPy arrays): numbers
// (NaN = a gap) or, where `text` is not empty, cells as text (time stamps).
struct ForcingColumn {
  std::string name;
  std::vector<double> numbers;
  std::vector<std::string> text;
};

// Reads a forcing table held in memory exactly as read_forcing_csv reads a file with this header
// and these cells (alias table, units, ranges, time axis, gaps): numbers pass as the shortest text
// that reads back to the same double, so the record equals the file's bit for bit. Messages name
// `source` and the line the row would have in a CSV (header line 1, row r at line r + 2). Throws
// InputError also when the columns differ in length.
ForcingRecord read_forcing_columns(const std::string& source, const std::vector<ForcingColumn>& columns,
                                   const ForcingReadOptions& options = {});

// True when the file is NetCDF (by its first bytes, whatever its name).
bool is_netcdf_file(const std::string& path);

// Reads a forcing file, NetCDF or CSV by its content.
ForcingRecord read_forcing_file(const std::string& path, const ForcingReadOptions& options = {});

// One line per variable: "ta <- TA_F [degC]", with conversions and fills; for the run summary.
std::vector<std::string> describe_forcing_sources(const ForcingRecord& record);

}  // namespace canveg
