// The forcing reader's core, for any tabular source: a CSV file, or a NetCDF file laid out as a
// table (one column per variable, time stamps as text, units declared through the options).
#pragma once

#include "canveg/forcing.hpp"
#include "io/csv_table.hpp"

namespace canveg::io {

// Reads a forcing record from a table exactly as read_forcing_csv does (alias table, units,
// ranges, time axis, gaps); table.path() names the source in messages.
ForcingRecord read_forcing_table(const CsvTable& table, const ForcingReadOptions& options);

}  // namespace canveg::io
