// The forcing reader's core, for any tabular source: a CSV file, or a NetCDF file laid out as a
// table (one column per variable, time stamps as text, units declared through the options).
#pragma once

#include "canveg/forcing.hpp"
#include "io/csv_table.hpp"

namespace canveg::io {

// Reads a forcing record from a table exactly as read_forcing_csv does (alias table, units,
// ranges, time axis, gaps); table.path() names the source in messages. declared_units: the unit
// a file declares for a column (NetCDF `units` attributes: column name, unit as written), used
// unless --units says otherwise.
ForcingRecord read_forcing_table(const CsvTable& table, const ForcingReadOptions& options,
                                 const std::vector<std::pair<std::string, std::string>>& declared_units = {});

// A NetCDF file of site time series (ALMA / PLUMBER2 layout) as a table: a TIMESTAMP_END column
// (the end of each half-hour, from CF bounds or `time_mark`), then one column per variable
// along the time dimension, gaps (fill values) as empty cells.
struct NetcdfTable {
  CsvTable table;
  std::vector<std::pair<std::string, std::string>> declared_units;  // variable, `units` as written
  std::string time_origin;                                         // how the time stamps were made, for messages
};
NetcdfTable read_netcdf_table(const std::string& path, NetcdfTimeMark time_mark);

}  // namespace canveg::io
