// Forcing CSV reader (docs/model.md 5.1).
//
// Columns are found as JAX-CanVeg finds them: for each variable, in a fixed order, the first
// column (in file order) whose lower-cased name starts with the variable's prefix. This accepts
// every header variant of the four sites (TA_F/Tair, SW_IN_F/Rg, WS_F/WS_x, CO2_F_MDS/CO2,
// PA_F/PA, USTAR/Ustar, TS_F_MDS_4/TS_15cm, SWC_F_MDS_1/SWC_15cm, ...).
//
// JAX-CanVeg does no gap filling of forcings and no sanity checks, so a gap or a unit mix-up
// silently produces NaN or nonsense fluxes for the whole run. Here such input is rejected with
// the file, line and column, before any time is spent running the model. Values are otherwise
// kept as they are: the physics applies the load-time guards of 2.1 (wind >= 0.75, u* >= 0.1,
// Rg >= 0), which is why the slightly negative night-time Rg of US-Hn1 is accepted.
#include <array>
#include <cmath>
#include <functional>
#include <sstream>
#include <stdexcept>
#include <string_view>

#include "canveg/errors.hpp"
#include "canveg/forcing.hpp"
#include "io/csv_table.hpp"

namespace canveg {

namespace {

using io::CsvTable;

// AmeriFlux's missing-value code. It parses as a number, so without this check a gap coded
// the AmeriFlux way would be run as a real -9999 degC or -9999 W m-2.
constexpr double kAmerifluxMissing = -9999.0;

std::string num(double v) {
  std::ostringstream s;
  s.precision(10);
  s << v;
  return s.str();
}

// A plausibility rule for one variable: returns an empty string if the value is acceptable,
// otherwise the reason it is not.
using RangeCheck = std::function<std::string(double)>;

std::string check_pressure(double pa) {
  if (pa >= 30.0 && pa <= 120.0) return {};
  std::string reason = "air pressure " + num(pa) + " is outside 30..120 kPa; the forcing must give kPa";
  if (pa >= 300.0 && pa <= 1200.0) reason += " (this looks like hPa: divide by 10)";
  else if (pa >= 30000.0 && pa <= 120000.0) reason += " (this looks like Pa: divide by 1000)";
  return reason;
}

std::string check_swc(double swc) {
  if (swc >= 0.0 && swc <= 1.0) return {};
  std::string reason = "soil water content " + num(swc) + " is outside 0..1 m3 m-3";
  if (swc > 1.0 && swc <= 100.0) reason += " (this looks like percent: divide by 100)";
  return reason;
}

std::string check_lai(double lai) {
  return lai >= 0.0 ? std::string() : "leaf area index " + num(lai) + " is negative";
}

std::string check_hour(double h) {
  return h >= 0.0 && h < 24.0 ? std::string() : "hour " + num(h) + " is outside [0, 24)";
}

std::string check_doy(double d) {
  return d >= 1.0 && d <= 366.0 ? std::string() : "day of year " + num(d) + " is outside 1..366";
}

// The plausibility rule of a forcing variable (kForcingFields name), or none.
RangeCheck range_check(std::string_view name) {
  if (name == "doy") return check_doy;
  if (name == "hour") return check_hour;
  if (name == "pa") return check_pressure;
  if (name == "swc") return check_swc;
  if (name == "lai") return check_lai;
  return {};
}

constexpr std::array<std::vector<double> ForcingRecord::*, kForcingCount> kForcingMembers = {
#define CANVEG_FORCING_POINTER(name, ...) &ForcingRecord::name,
    CANVEG_FORCING_FIELDS(CANVEG_FORCING_POINTER)
#undef CANVEG_FORCING_POINTER
};

// The column-name prefixes of a variable ('|'-separated in the table).
std::vector<std::string_view> prefixes_of(const ForcingField& field) {
  std::vector<std::string_view> out;
  std::string_view rest = field.prefixes;
  for (;;) {
    const std::size_t bar = rest.find('|');
    out.push_back(rest.substr(0, bar));
    if (bar == std::string_view::npos) return out;
    rest.remove_prefix(bar + 1);
  }
}

std::string prefix_label(const std::vector<std::string_view>& prefixes) {
  std::string s;
  for (std::size_t i = 0; i < prefixes.size(); ++i) s += (i ? "' or '" : "") + std::string(prefixes[i]);
  return s;
}

std::size_t require_column(const CsvTable& table, const ForcingField& field) {
  const std::vector<std::string_view> prefixes = prefixes_of(field);
  if (auto col = table.find_prefix(prefixes)) return *col;
  throw InputError(table.path(), table.header_line(), prefix_label(prefixes),
                   "no column whose name starts with '" + prefix_label(prefixes) + "' (case-insensitive; " +
                       std::string(field.meaning) + ", " + std::string(field.unit) + "); the header has: " +
                       table.header_list());
}

// Reads one column: every cell must be a finite number and pass the variable's range check.
std::vector<double> read_column(const CsvTable& table, std::size_t col, const RangeCheck& check) {
  std::vector<double> values(table.size());
  const std::string& name = table.header()[col];
  for (std::size_t r = 0; r < table.size(); ++r) {
    const long line = table.rows()[r].line;
    const double v = table.number(r, col, io::EmptyCell::Error);
    if (!std::isfinite(v))
      throw InputError(table.path(), line, name, "value '" + table.rows()[r].cells[col] +
                                                      "' is not finite; forcings must be complete");
    if (v == kAmerifluxMissing)
      throw InputError(table.path(), line, name,
                       "-9999 is the AmeriFlux missing-value code (a gap); forcings must be complete");
    if (check) {
      const std::string reason = check(v);
      if (!reason.empty()) throw InputError(table.path(), line, name, reason);
    }
    values[r] = v;
  }
  return values;
}

}  // namespace

std::vector<double>& forcing_series(ForcingRecord& record, std::size_t i) { return record.*kForcingMembers.at(i); }
const std::vector<double>& forcing_series(const ForcingRecord& record, std::size_t i) {
  return record.*kForcingMembers.at(i);
}

ForcingRow ForcingRecord::row(std::size_t r) const {
  ForcingRow row;
#define CANVEG_FORCING_ROW_VALUE(name, ...) row.name = name[r];
  CANVEG_FORCING_FIELDS(CANVEG_FORCING_ROW_VALUE)
#undef CANVEG_FORCING_ROW_VALUE
  return row;
}

ForcingRecord ForcingRecord::slice(std::size_t begin, std::size_t end) const {
  if (begin > end || end > size())
    throw std::out_of_range("ForcingRecord::slice: rows [" + std::to_string(begin) + ", " +
                            std::to_string(end) + ") outside a record of " + std::to_string(size()));
  const auto cut = [&](const auto& v) {
    using V = std::decay_t<decltype(v)>;
    return v.size() >= end ? V(v.begin() + begin, v.begin() + end) : V();
  };
  ForcingRecord out;
  out.source = source;
  out.timestamp = cut(timestamp);
  for (std::size_t i = 0; i < kForcingCount; ++i) forcing_series(out, i) = cut(forcing_series(*this, i));
  return out;
}

ForcingRecord read_forcing_csv(const std::string& path) {
  const CsvTable table = CsvTable::read(path);
  if (table.size() == 0) throw InputError(path, 0, "", "the forcing file has a header but no data rows");
  ForcingRecord rec;
  rec.source = path;
  // Locate every column first, so a file with a wrong header fails before any cell is parsed.
  std::vector<std::size_t> cols;
  for (const ForcingField& field : kForcingFields) cols.push_back(require_column(table, field));
  for (std::size_t i = 0; i < cols.size(); ++i)
    forcing_series(rec, i) = read_column(table, cols[i], range_check(kForcingFields[i].name));
  // The time stamp is informational (it is copied to the output); the model reads year/doy/hour.
  auto ts = table.find_exact("TIMESTAMP_END");
  if (!ts) ts = table.find_exact("TIMESTAMP");
  if (ts) rec.timestamp = table.text_column(*ts);
  else rec.timestamp.assign(table.size(), std::string());
  return rec;
}

}  // namespace canveg
