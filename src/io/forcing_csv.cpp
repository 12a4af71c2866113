// Forcing CSV reader (docs/model.md 5.1).
//
// A forcing file is read exactly as it is or refused: every variable comes from one column named
// exactly as in the alias table of include/canveg/fields.hpp (JAX-CanVeg's, AmeriFlux/FLUXNET's and
// ALMA's names), in a known unit, inside a physical range, on a checked half-hourly time axis.
// JAX-CanVeg matched columns by name prefix and checked nothing, so a QC flag, a potential
// radiation or a Kelvin temperature ran silently; here each is an error naming the file, line and
// column, and the unit the value looks like. Values inside the ranges are kept as they are: the
// physics applies the load-time guards of 2.1 (wind >= 0.75, u* >= 0.1, Rg >= 0), which is why
// the slightly negative night-time Rg of US-Hn1 is accepted.
#include <algorithm>
#include <map>
#include <cmath>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string_view>

#include "canveg/errors.hpp"
#include "canveg/forcing.hpp"
#include "io/csv_table.hpp"
#include "io/forcing_table.hpp"
#include "io/time_axis.hpp"
#include "io/units.hpp"
#include "physics/thermo.hpp"

namespace canveg {

namespace {

using io::CsvTable;
using io::Minutes;
using io::UnitConversion;

// AmeriFlux's missing-value code. It parses as a number, so without this check a gap coded
// the AmeriFlux way would be run as a real -9999 degC or -9999 W m-2.
constexpr double kAmerifluxMissing = -9999.0;

// Vapour pressure may exceed saturation a little in measured data (sensor and gap-filling
// error; the shared files reach 1.23 es(ta)); more than this is a unit mix-up.
constexpr double kMaxSupersaturation = 1.5;

std::string num(double v) {
  std::ostringstream s;
  s.precision(10);
  s << v;
  return s.str();
}

std::string quoted_list(const std::vector<std::string>& items, std::string_view last_joiner) {
  std::string s;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) s += i + 1 == items.size() ? std::string(last_joiner) : std::string(", ");
    s += items[i];
  }
  return s;
}

constexpr std::array<std::vector<double> ForcingRecord::*, kForcingCount> kForcingMembers = {
#define CANVEG_FORCING_POINTER(name, ...) &ForcingRecord::name,
    CANVEG_FORCING_FIELDS(CANVEG_FORCING_POINTER)
#undef CANVEG_FORCING_POINTER
};

// ---- the alias table --------------------------------------------------------------------------

struct AliasName {
  std::string_view pattern;       // '#' = a run of digits
  std::string_view implied_unit;  // "" when the name implies none
};
using AliasTier = std::vector<AliasName>;

std::vector<AliasTier> alias_tiers(std::string_view columns) {
  std::vector<AliasTier> tiers(1);
  for (std::size_t i = 0; i <= columns.size();) {
    const std::size_t end = columns.find_first_of(",|", i);
    std::string_view name = columns.substr(i, end == std::string_view::npos ? std::string_view::npos : end - i);
    AliasName alias{name, {}};
    if (const std::size_t bracket = name.find('['); bracket != std::string_view::npos) {
      alias.pattern = name.substr(0, bracket);
      alias.implied_unit = name.substr(bracket + 1, name.size() - bracket - 2);
    }
    tiers.back().push_back(alias);
    if (end == std::string_view::npos) break;
    if (columns[end] == '|') tiers.emplace_back();
    i = end + 1;
  }
  return tiers;
}

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Whole-name, case-insensitive match; '#' in the pattern matches one or more digits.
bool matches(std::string_view pattern, std::string_view name) {
  std::size_t n = 0;
  for (std::size_t p = 0; p < pattern.size(); ++p) {
    if (pattern[p] == '#') {
      if (n >= name.size() || !is_digit(name[n])) return false;
      while (n < name.size() && is_digit(name[n])) ++n;
      continue;
    }
    if (n >= name.size() || lower(pattern[p]) != lower(name[n])) return false;
    ++n;
  }
  return n == name.size();
}

// The names of a table row as "TA_F, Tair, TA_F_MDS or TA", for messages.
std::string alias_list(std::string_view columns) {
  std::vector<std::string> names;
  for (const AliasTier& tier : alias_tiers(columns))
    for (const AliasName& a : tier) names.emplace_back(a.pattern);
  return quoted_list(names, " or ");
}

const std::string* option_value(const std::vector<std::pair<std::string, std::string>>& options,
                                std::string_view variable) {
  for (const auto& [var, value] : options)
    if (var == variable) return &value;
  return nullptr;
}

const double* constant_value(const ForcingReadOptions& options, std::string_view variable) {
  for (const auto& [var, value] : options.constants)
    if (var == variable) return &value;
  return nullptr;
}

// True when an option supplies the variable's values (a constant or a file of its own).
bool given_by_option(const ForcingReadOptions& options, std::string_view variable) {
  return constant_value(options, variable) || option_value(options.series_files, variable);
}

// The column of one variable, as found.
struct FoundColumn {
  std::size_t index = 0;
  std::string implied_unit;  // from an ALMA-style name, "" otherwise
};

// Finds a variable's column: the --column override, else the first tier of the alias table with
// a column present. Throws when the override names no column or a tier matches two columns.
std::optional<FoundColumn> find_column(const CsvTable& table, const ForcingField& field,
                                       const ForcingReadOptions& options) {
  if (const std::string* name = option_value(options.columns, field.name)) {
    if (auto col = table.find_exact(*name)) return FoundColumn{*col, {}};
    throw InputError(table.path(), table.header_line(), *name,
                     "--column " + std::string(field.name) + "=" + *name + " names no column of the file; the header has: " +
                         table.header_list());
  }
  const std::vector<std::string>& header = table.header();
  for (const AliasTier& tier : alias_tiers(field.columns)) {
    std::vector<std::size_t> hits;
    std::string implied;
    for (std::size_t c = 0; c < header.size(); ++c)
      for (const AliasName& a : tier)
        if (matches(a.pattern, header[c])) {
          hits.push_back(c);
          implied = std::string(a.implied_unit);
          break;
        }
    if (hits.size() == 1) return FoundColumn{hits.front(), implied};
    if (hits.size() > 1) {
      std::vector<std::string> names;
      for (std::size_t c : hits) names.push_back(header[c]);
      throw InputError(table.path(), table.header_line(), std::string(field.name),
                       "several columns could hold " + std::string(field.meaning) + ": " + quoted_list(names, " and ") +
                           "; choose one with --column " + std::string(field.name) + "=" + names.front() +
                           " (or the [forcing.columns] table of the site file)");
    }
  }
  return std::nullopt;
}

// ---- units and ranges ---------------------------------------------------------------------------

// The file's convention, which sets the units of columns that do not declare theirs.
enum class FileConvention { JaxCanveg, Fluxnet };

FileConvention detect_convention(const CsvTable& table) {
  for (const char* name : {"TIMESTAMP_END", "TIMESTAMP_START"})
    if (auto col = table.find_exact(name); col && table.size() > 0 && io::is_compact_timestamp(table.rows()[0].cells[*col]))
      return FileConvention::Fluxnet;
  return FileConvention::JaxCanveg;
}

// FLUXNET's units where they differ from the table's (FLUXNET2015 and AmeriFlux FULLSET).
std::string_view convention_unit(FileConvention convention, std::string_view variable) {
  if (convention != FileConvention::Fluxnet) return {};
  if (variable == "swc") return "%";
  return {};
}

bool same_conversion(const UnitConversion& a, const UnitConversion& b) {
  return a.scale == b.scale && a.offset == b.offset;
}

// True when `unit` is one of the field's accepted units or a synonym of one ("ppm", "C").
bool accepts(const ForcingField& field, std::string_view unit) {
  const auto conversion = io::unit_conversion(unit, field.unit);
  if (!conversion) return false;
  for (std::string_view u : io::split_units(field.units_accepted))
    if (same_conversion(*io::unit_conversion(u, field.unit), *conversion)) return true;
  return false;
}

// The unit a column is read in: --units, else the unit its name implies, else the file
// convention's, else the table's.
UnitConversion column_unit(const ForcingField& field, const FoundColumn* column, FileConvention convention,
                           const ForcingReadOptions& options) {
  std::string_view unit = field.unit;
  if (const std::string* declared = option_value(options.units, field.name)) unit = *declared;
  else if (column && !column->implied_unit.empty()) unit = column->implied_unit;
  else if (!convention_unit(convention, field.name).empty()) unit = convention_unit(convention, field.name);
  if (!accepts(field, unit))
    throw InputError("", 0, "--units",
                     "unit '" + std::string(unit) + "' is not one of the units of " + std::string(field.name) + " (" +
                         std::string(field.units_accepted) + ")");
  return *io::unit_conversion(unit, field.unit);
}

// The accepted unit, other than `used`, in which `raw` would satisfy `ok`, the one giving a value
// nearest `typical` when several do: the likely fix ("" if none).
template <class Check>
std::string likely_unit(const ForcingField& field, const UnitConversion& used, double raw, double typical, Check ok) {
  std::string best;
  double best_distance = 0.0;
  for (std::string_view u : io::split_units(field.units_accepted)) {
    const UnitConversion c = *io::unit_conversion(u, field.unit);
    const double v = c.to_canonical(raw);
    if (same_conversion(c, used) || !ok(v)) continue;
    if (best.empty() || std::abs(v - typical) < best_distance) {
      best = std::string(u);
      best_distance = std::abs(v - typical);
    }
  }
  return best;
}

std::string unit_hint(const ForcingField& field, const std::string& unit) {
  if (unit.empty()) return {};
  return " (this looks like " + unit + ": declare it with --units " + std::string(field.name) + "=" + unit + ")";
}

std::string range_text(const ForcingField& field) {
  return num(field.lower) + ".." + num(field.upper) + " " + std::string(field.unit);
}

// ---- reading a column -------------------------------------------------------------------------

struct ColumnValues {
  std::vector<double> values;  // in the table's unit
  std::string note;            // conversion and fill, for the summary
};

void fill_gaps(const CsvTable& table, std::size_t col, std::vector<double>& v, const ForcingReadOptions& options,
               std::string& note) {
  const std::string& name = table.header()[col];
  std::size_t filled = 0, runs = 0, longest = 0;
  for (std::size_t i = 0; i < v.size();) {
    if (!std::isnan(v[i])) {
      ++i;
      continue;
    }
    std::size_t end = i;
    while (end < v.size() && std::isnan(v[end])) ++end;
    const std::size_t length = end - i;
    const long first_line = table.rows()[i].line;
    if (options.fill == ForcingGapFill::None)
      throw InputError(table.path(), first_line, name,
                       "a gap (empty, NA or -9999) of " + std::to_string(length) +
                           " half-hour(s); forcings must be complete: fill it, or let canveg fill short gaps "
                           "linearly with --fill linear --max-gap N");
    if (static_cast<int>(length) > options.max_gap)
      throw InputError(table.path(), first_line, name,
                       "a gap of " + std::to_string(length) + " half-hours (lines " + std::to_string(first_line) + "-" +
                           std::to_string(table.rows()[end - 1].line) + ") is longer than --max-gap " +
                           std::to_string(options.max_gap));
    if (i == 0 && end == v.size())
      throw InputError(table.path(), first_line, name, "the column holds no value at all");
    // Interior gaps on the straight line between their neighbours; a gap at either end takes
    // the nearest value.
    const double before = i > 0 ? v[i - 1] : v[end];
    const double after = end < v.size() ? v[end] : v[i - 1];
    for (std::size_t k = i; k < end; ++k)
      v[k] = before + (after - before) * static_cast<double>(k - i + 1) / static_cast<double>(length + 1);
    filled += length;
    ++runs;
    longest = std::max(longest, length);
    i = end;
  }
  if (filled > 0)
    note += (note.empty() ? "" : "; ") + std::string("filled ") + std::to_string(filled) + " value(s) in " +
            std::to_string(runs) + " gap(s), the longest " + std::to_string(longest) + " half-hour(s)";
}

ColumnValues read_column(const CsvTable& table, std::size_t col, const ForcingField& field, const UnitConversion& unit,
                         const ForcingReadOptions& options) {
  ColumnValues out;
  out.values.resize(table.size());
  const std::string& name = table.header()[col];
  for (std::size_t r = 0; r < table.size(); ++r) {
    const long line = table.rows()[r].line;
    const double raw = table.number(r, col, io::EmptyCell::Gap);
    if (std::isnan(raw) || raw == kAmerifluxMissing) {
      out.values[r] = std::nan("");
      continue;
    }
    if (!std::isfinite(raw))
      throw InputError(table.path(), line, name, "value '" + table.rows()[r].cells[col] + "' is not finite");
    const double v = unit.to_canonical(raw);
    const auto inside = [&field](double x) { return x >= field.lower && x <= field.upper; };
    if (!inside(v))
      throw InputError(table.path(), line, name,
                       std::string(field.meaning) + " " + num(raw) + " " + std::string(unit.unit) + " is outside " +
                           range_text(field) +
                           unit_hint(field, likely_unit(field, unit, raw, 0.5 * (field.lower + field.upper), inside)));
    out.values[r] = v;
  }
  if (unit.unit != field.unit) out.note = "converted from " + std::string(unit.unit) + " to " + std::string(field.unit);
  // Percent read as a fraction is caught by the range; a fraction read as percent is not, but no
  // soil holds under 1 % water all season.
  if (unit.unit == "%" && table.size() >= 48 &&
      *std::max_element(out.values.begin(), out.values.end(), [](double a, double b) {
        return std::isnan(b) ? false : std::isnan(a) || a < b;
      }) <= 0.01)
    throw InputError(table.path(), table.header_line(), name,
                     "read as percent, the soil water never exceeds 1 %: the column looks like a fraction (m3 m-3); "
                     "declare it with --units " + std::string(field.name) + "=m3/m3");
  fill_gaps(table, col, out.values, options, out.note);
  return out;
}

// ---- the time axis ------------------------------------------------------------------------------

struct TimeAxis {
  std::vector<Minutes> end;  // end of each half-hour
  std::string origin;        // for the summary
};

// Reads the time axis from whatever the file has, checking that all of it agrees.
TimeAxis read_time_axis(const CsvTable& table, const std::optional<std::size_t> ydh[3]) {
  TimeAxis axis;
  const auto end_col = table.find_exact("TIMESTAMP_END");
  const auto start_col = table.find_exact("TIMESTAMP_START");
  const auto plain_col = table.find_exact("TIMESTAMP");
  if (end_col) {
    axis.end = parse_time_column(table, *end_col);
    axis.origin = "TIMESTAMP_END";
  }
  if (start_col) {
    const std::vector<Minutes> start = parse_time_column(table, *start_col);
    if (axis.end.empty()) {
      axis.end = start;
      for (Minutes& t : axis.end) t += io::kHalfHour;
      axis.origin = "TIMESTAMP_START + 30 min";
    } else {
      for (std::size_t r = 0; r < start.size(); ++r)
        if (axis.end[r] - start[r] != io::kHalfHour)
          throw InputError(table.path(), table.rows()[r].line, "TIMESTAMP_START",
                           "TIMESTAMP_START " + table.rows()[r].cells[*start_col] + " is not 30 minutes before TIMESTAMP_END " +
                               table.rows()[r].cells[*end_col]);
    }
  }
  if (axis.end.empty() && plain_col) {
    axis.end = parse_time_column(table, *plain_col);
    axis.origin = "TIMESTAMP (taken as the end of the half-hour)";
  }
  if (ydh[0] && ydh[1] && ydh[2]) {
    std::vector<Minutes> from_columns(table.size());
    for (std::size_t r = 0; r < table.size(); ++r) {
      const long line = table.rows()[r].line;
      const double y = table.number(r, *ydh[0], io::EmptyCell::Error);
      const double d = table.number(r, *ydh[1], io::EmptyCell::Error);
      const double h = table.number(r, *ydh[2], io::EmptyCell::Error);
      const auto bad = [&](std::size_t col, const std::string& why) {
        return InputError(table.path(), line, table.header()[col], why);
      };
      if (!(y >= kForcingFields[0].lower && y <= kForcingFields[0].upper) || y != std::floor(y))
        throw bad(*ydh[0], "year " + num(y) + " is not a whole year in 1800..2300");
      if (!(d >= 1 && d <= 366) || d != std::floor(d)) throw bad(*ydh[1], "day of year " + num(d) + " is outside 1..366");
      if (!(h >= 0 && h <= 24))
        throw bad(*ydh[2], "hour " + num(h) + " is outside 0..24 (the end of the half-hour, local standard time)");
      const auto t = io::instant_of(static_cast<int>(y), static_cast<int>(d), h);
      if (!t)
        throw bad(d == 366 ? *ydh[1] : *ydh[2], "day " + num(d) + " hour " + num(h) + " of " + num(y) +
                                                     " is not a time (day 366 of a common year, or not a whole minute)");
      from_columns[r] = *t;
      if (!axis.end.empty() && axis.end[r] != *t)
        throw InputError(table.path(), line, table.header()[*ydh[2]],
                         "Year/DoY/Hour (" + num(y) + ", " + num(d) + ", " + num(h) + ") say the half-hour ends at " +
                             io::format_timestamp(*t) + " but " + axis.origin + " says " + io::format_timestamp(axis.end[r]) +
                             "; both must mark the end of the half-hour in local standard time");
    }
    if (axis.end.empty()) {
      axis.end = std::move(from_columns);
      axis.origin = table.header()[*ydh[0]] + "/" + table.header()[*ydh[1]] + "/" + table.header()[*ydh[2]];
    }
  }
  return axis;
}

// ---- substitutes for eair ----------------------------------------------------------------------


const std::string& origin_of(const ForcingRecord& rec, std::string_view variable) {
  for (const ForcingSource& s : rec.sources)
    if (s.variable == variable) return s.origin;
  throw std::logic_error("no source recorded for " + std::string(variable));
}

// A variable from a file of its own, on the forcing's time axis (ForcingReadOptions::series_files).
// The values of `column` of a file other than the forcing (a series file or the supplement),
// matched to the forcing's half-hours by time: half-hourly (time stamps or Year/DoY/Hour) or daily
// (Year and DoY only).
std::vector<double> series_on_axis(const CsvTable& table, const FoundColumn& column, const ForcingField& field,
                                   const ForcingReadOptions& options, const std::vector<Minutes>& ends, std::string& note) {
  const std::string& path = table.path();
  const ForcingReadOptions by_name;  // the forcing's --column choices name its own columns
  const UnitConversion unit = column_unit(field, &column, detect_convention(table), options);
  ColumnValues values = read_column(table, column.index, field, unit, options);
  note = "column " + table.header()[column.index] + (values.note.empty() ? "" : "; " + values.note);

  std::optional<std::size_t> ydh[3];
  for (std::size_t i = 0; i < 3; ++i)
    if (auto c = find_column(table, kForcingFields[i], by_name)) ydh[i] = c->index;
  const bool daily = !ydh[2] && !table.find_exact("TIMESTAMP_END") && !table.find_exact("TIMESTAMP_START") &&
                     !table.find_exact("TIMESTAMP");
  std::map<Minutes, double> by_time;  // half-hour end, or start of the day
  if (daily) {
    if (!ydh[0] || !ydh[1])
      throw InputError(path, table.header_line(), "",
                       "no time: a TIMESTAMP_END column, Year/DoY/Hour (half-hourly) or Year/DoY (daily) is needed");
    for (std::size_t r = 0; r < table.size(); ++r) {
      const double y = table.number(r, *ydh[0], io::EmptyCell::Error);
      const double d = table.number(r, *ydh[1], io::EmptyCell::Error);
      const auto start = io::instant_of(static_cast<int>(y), static_cast<int>(d), 0.0);
      if (!start || y != std::floor(y) || d != std::floor(d))
        throw InputError(path, table.rows()[r].line, table.header()[*ydh[1]],
                         "day " + num(d) + " of " + num(y) + " is not a day of that year");
      if (!by_time.emplace(*start, values.values[r]).second)
        throw InputError(path, table.rows()[r].line, table.header()[*ydh[1]], "the day appears twice");
    }
  } else {
    const TimeAxis axis = read_time_axis(table, ydh);
    for (std::size_t r = 0; r < table.size(); ++r)
      if (!by_time.emplace(axis.end[r], values.values[r]).second)
        throw InputError(path, table.rows()[r].line, axis.origin, "the half-hour appears twice");
  }
  std::vector<double> out(ends.size());
  for (std::size_t r = 0; r < ends.size(); ++r) {
    // A half-hour lies in the day of its start: the one ending at 00:00 belongs to the day before.
    constexpr Minutes kDay = 24 * 60;
    const Minutes start = ends[r] - io::kHalfHour;
    const Minutes key = daily ? (start >= 0 ? start / kDay : (start - kDay + 1) / kDay) * kDay : ends[r];
    const auto it = by_time.find(key);
    if (it == by_time.end())
      throw InputError(path, 0, std::string(field.name),
                       std::string(daily ? "no value for the day of the half-hour ending " : "no value for the half-hour ending ") +
                           io::format_timestamp(ends[r]) + " (forcing row " + std::to_string(r + 1) + ")");
    out[r] = it->second;
  }
  note += daily ? ", daily values" : ", half-hourly values";
  return out;
}

// A variable from a file of its own (ForcingReadOptions::series_files).
std::vector<double> read_series_file(const std::string& path, const ForcingField& field, const ForcingReadOptions& options,
                                     const std::vector<Minutes>& ends, std::string& note) {
  const CsvTable table = CsvTable::read(path);
  if (table.size() == 0) throw InputError(path, 0, "", "the file has a header but no data rows");
  const auto column = find_column(table, field, ForcingReadOptions{});
  if (!column)
    throw InputError(path, table.header_line(), std::string(field.name),
                     "no column named " + alias_list(field.columns) + "; the header has: " + table.header_list());
  return series_on_axis(table, *column, field, options, ends, note);
}

const ForcingField& substitute(std::string_view name) {
  return kForcingSubstituteFields[field_index(kForcingSubstituteFields, name)];
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
  out.sources = sources;
  out.timestamp = cut(timestamp);
  out.line = cut(line);
  for (std::size_t i = 0; i < kForcingCount; ++i) forcing_series(out, i) = cut(forcing_series(*this, i));
  return out;
}

namespace {

// Options naming no variable are mistakes, not no-ops.
void check_option_variables(const ForcingReadOptions& options) {
  const auto known = [](std::string_view v) {
    for (const ForcingField& f : kForcingFields)
      if (f.name == v) return true;
    for (const ForcingField& f : kForcingSubstituteFields)
      if (f.name == v) return true;
    return false;
  };
  for (const auto* list : {&options.columns, &options.units})
    for (const auto& [var, value] : *list)
      if (!known(var))
        throw InputError("", 0, list == &options.columns ? "--column" : "--units",
                         "'" + var + "' is not a forcing variable (see canveg fields)");
  for (const auto& [var, value] : options.constants)
    if (!known(var) || var == "year" || var == "doy" || var == "hour")
      throw InputError("", 0, var, "'" + var + "' cannot be given as a constant");
  for (const auto& [var, value] : options.series_files)
    if (!known(var) || var == "year" || var == "doy" || var == "hour")
      throw InputError("", 0, var, "'" + var + "' cannot be given as a file of its own");
  // A column named for a variable that a constant or a file of its own replaces would be ignored.
  for (const auto& [var, name] : options.columns)
    if (given_by_option(options, var))
      throw InputError("", 0, "--column",
                       "'" + var + "' is given as column " + name + " and as a constant or a file of its own (--" +
                           (var == "veg_ht" ? std::string("canopy-height") : var) + "); give one of them");
}

}  // namespace

ForcingRecord read_forcing_csv(const std::string& path, const ForcingReadOptions& options) {
  return io::read_forcing_table(CsvTable::read(path, true, options.threads), options);
}

ForcingRecord io::read_forcing_table(const io::CsvTable& table, const ForcingReadOptions& options,
                                     const std::vector<std::pair<std::string, std::string>>& declared_units) {
  check_option_variables(options);
  const std::string& path = table.path();
  if (table.size() == 0) throw InputError(path, 0, "", "the forcing file has a header but no data rows");
  const FileConvention convention = detect_convention(table);

  // A unit the file declares for a column (NetCDF) replaces the one its name implies; --units
  // still overrides both (column_unit).
  const auto find = [&](const ForcingField& field) {
    std::optional<FoundColumn> column = find_column(table, field, options);
    if (!column) return column;
    const std::string& name = table.header()[column->index];
    for (const auto& [declared_column, text] : declared_units) {
      if (declared_column != name) continue;
      const std::optional<std::string> unit = io::declared_unit_spelling(text, field.unit);
      if (!unit || !accepts(field, *unit)) {
        if (option_value(options.units, field.name)) break;
        throw InputError(path, 0, name + ".units",
                         "the file declares unit '" + text + "' for " + std::string(field.meaning) +
                             ", which canveg does not read as one of " + std::string(field.units_accepted) +
                             "; declare the unit with --units " + std::string(field.name) + "=UNIT");
      }
      column->implied_unit = *unit;
    }
    return column;
  };

  // Locate every column first, so that a wrong header fails, with every missing variable named
  // at once, before any cell is parsed.
  std::array<std::optional<FoundColumn>, kForcingCount> found;
  for (std::size_t i = 0; i < kForcingCount; ++i)
    if (!given_by_option(options, kForcingFields[i].name)) found[i] = find(kForcingFields[i]);
  const std::size_t eair_index = field_index(kForcingFields, "eair");
  // A deficit or specific-humidity column named with --column is the user's choice of where the
  // vapour pressure comes from: it wins over an eair column found by its alias, and may not be
  // given together with another source of eair.
  const bool vpd_named = option_value(options.columns, "vpd") != nullptr;
  const bool qair_named = option_value(options.columns, "qair") != nullptr;
  if (vpd_named && qair_named)
    throw InputError(path, 0, "--column", "vpd and qair are both given; the vapour pressure comes from one of them");
  if ((vpd_named || qair_named) && (option_value(options.columns, "eair") || given_by_option(options, "eair")))
    throw InputError(path, 0, "--column",
                     std::string(vpd_named ? "vpd" : "qair") +
                         " is given, and eair too; the vapour pressure comes from one of them");
  if (vpd_named || qair_named) found[eair_index].reset();
  std::optional<FoundColumn> vpd, qair;
  if (!found[eair_index] && !given_by_option(options, "eair")) {
    if (!qair_named) vpd = find(substitute("vpd"));
    if (!vpd) qair = find(substitute("qair"));
  }
  // A unit declared for a substitute that is not read would silently do nothing.
  for (const char* name : {"vpd", "qair"})
    if (option_value(options.units, name) && !(std::string_view(name) == "vpd" ? vpd : qair))
      throw InputError(path, 0, "--units",
                       std::string("--units ") + name + "=... declares the unit of a " + name +
                           " column, but the vapour pressure does not come from one here" +
                           (found[eair_index] ? " (it comes from column " + table.header()[found[eair_index]->index] +
                                                    "; name the " + name + " column with --column " + name + "=NAME to use it)"
                                              : ""));
  // Likewise a unit declared for eair when the vapour pressure comes from a deficit or a specific
  // humidity (whose own unit is --units vpd=... or qair=...).
  if (option_value(options.units, "eair") && (vpd || qair))
    throw InputError(path, 0, "--units",
                     std::string("--units eair=... declares the unit of an eair column, but the vapour pressure comes "
                                 "from column ") +
                         table.header()[(vpd ? vpd : qair)->index] + " here; declare its unit with --units " +
                         (vpd ? "vpd" : "qair") + "=...");
  // What the file lacks may come from the supplement.
  std::optional<CsvTable> supplement;
  std::array<std::optional<FoundColumn>, kForcingCount> supplied;
  std::array<std::string, kForcingCount> supplement_unused;
  if (!options.supplement.empty()) {
    supplement = CsvTable::read(options.supplement);
    if (supplement->size() == 0)
      throw InputError(options.supplement, 0, "", "the supplement has a header but no data rows");
    bool supplies_any = false;
    for (std::size_t i = 3; i < kForcingCount; ++i) {
      const std::optional<FoundColumn> column = find_column(*supplement, kForcingFields[i], ForcingReadOptions{});
      if (!column) continue;
      if (!found[i] && !given_by_option(options, kForcingFields[i].name) && !(i == eair_index && (vpd || qair))) {
        supplied[i] = column;
        supplies_any = true;
      } else {
        // The forcing or an option already gives this variable: the supplement only fills gaps in
        // what the file lacks, so say that its column is not read.
        supplement_unused[i] = "the supplement's " + supplement->header()[column->index] + " is not used";
      }
    }
    // A supplement that gives nothing is a mistake (its columns named otherwise, or the wrong file).
    if (!supplies_any)
      throw InputError(options.supplement, supplement->header_line(), "",
                       "the supplement gives none of the variables the forcing " + path +
                           " lacks; its header has: " + supplement->header_list() +
                           " (name the forcing's variables as in `canveg fields`; what the forcing has is read from it)");
  }
  const bool has_timestamps = table.find_exact("TIMESTAMP_END") || table.find_exact("TIMESTAMP_START") ||
                              table.find_exact("TIMESTAMP");
  std::vector<std::string> missing;
  for (std::size_t i = 0; i < kForcingCount; ++i) {
    const ForcingField& f = kForcingFields[i];
    if (found[i] || supplied[i] || given_by_option(options, f.name)) continue;
    if (i < 3 && has_timestamps) continue;  // year, doy, hour from the time stamps
    if (i == eair_index && (vpd || qair)) continue;
    std::string what = std::string(f.name) + " (" + std::string(f.meaning) + ", " + std::string(f.unit) + "; a column named " +
                       alias_list(f.columns);
    if (i == eair_index)
      what += ", or VPD (" + alias_list(substitute("vpd").columns) + ") or specific humidity (" +
              alias_list(substitute("qair").columns) + ")";
    if (f.name == "lai") what += ", or --lai VALUE|FILE";
    if (f.name == "veg_ht") what += ", or --canopy-height VALUE|FILE";
    missing.push_back(what + ")");
  }
  const std::string supplement_text =
      supplement ? " The supplement " + options.supplement + " has: " + supplement->header_list() + "."
                 : " Variables the file lacks may come from --supplement FILE (a CSV on the same half-hours).";
  if (!missing.empty()) {
    std::string fields;
    for (const std::string& m : missing) fields += (fields.empty() ? "" : ", ") + m.substr(0, m.find(' '));
    std::string text = std::to_string(missing.size()) + " forcing variable(s) missing:";
    for (const std::string& m : missing) text += "\n  " + m;
    throw InputError(path, table.header_line(), fields,
                     text + "\nNames are matched exactly (case-insensitive); name another column with --column VAR=NAME. "
                            "The header has: " + table.header_list() + "." + supplement_text);
  }

  ForcingRecord rec;
  rec.source = path;
  rec.line.resize(table.size());
  for (std::size_t r = 0; r < table.size(); ++r) rec.line[r] = table.rows()[r].line;
  const auto set_source = [&](std::string_view var, std::string origin, std::string unit, std::string note) {
    rec.sources.push_back(ForcingSource{std::string(var), std::move(origin), std::move(unit), std::move(note)});
  };

  // Time axis first: a file with rows missing or repeated is refused before its values are read.
  const std::optional<std::size_t> ydh[3] = {found[0] ? std::optional(found[0]->index) : std::nullopt,
                                             found[1] ? std::optional(found[1]->index) : std::nullopt,
                                             found[2] ? std::optional(found[2]->index) : std::nullopt};
  const TimeAxis axis = read_time_axis(table, ydh);
  io::check_half_hourly(axis.end, rec.line, path, axis.origin.substr(0, axis.origin.find(' ')));
  rec.timestamp.resize(table.size());
  for (std::size_t i = 0; i < 3; ++i) forcing_series(rec, i).resize(table.size());
  for (std::size_t r = 0; r < table.size(); ++r) {
    const io::YearDayHour t = io::year_day_hour(axis.end[r]);
    rec.year[r] = t.year;
    rec.doy[r] = t.doy;
    rec.hour[r] = t.hour;
    rec.timestamp[r] = io::format_timestamp(axis.end[r]);
  }
  for (std::size_t i = 0; i < 3; ++i) set_source(kForcingFields[i].name, axis.origin, "", "");

  for (std::size_t i = 3; i < kForcingCount; ++i) {
    const ForcingField& f = kForcingFields[i];
    if (const double* value = constant_value(options, f.name)) {
      if (!(*value >= f.lower && *value <= f.upper))
        throw InputError("", 0, std::string(f.name),
                         "the constant " + num(*value) + " is outside " + range_text(f) + " (" + std::string(f.meaning) + ")");
      forcing_series(rec, i).assign(table.size(), *value);
      set_source(f.name, "constant " + num(*value), std::string(f.unit), found[i] ? "the file's column is not used" : "");
      continue;
    }
    if (const std::string* file = option_value(options.series_files, f.name)) {
      std::string note;
      forcing_series(rec, i) = read_series_file(*file, f, options, axis.end, note);
      set_source(f.name, *file, "", note);
      continue;
    }
    if (supplied[i]) {
      std::string note;
      forcing_series(rec, i) = series_on_axis(*supplement, *supplied[i], f, options, axis.end, note);
      set_source(f.name, options.supplement, "", note);
      continue;
    }
    if (!found[i]) continue;  // eair from a substitute, below
    const UnitConversion unit = column_unit(f, &*found[i], convention, options);
    ColumnValues column = read_column(table, found[i]->index, f, unit, options);
    forcing_series(rec, i) = std::move(column.values);
    set_source(f.name, table.header()[found[i]->index], std::string(unit.unit), column.note);
  }

  if (vpd || qair) {
    const ForcingField& f = substitute(vpd ? "vpd" : "qair");
    const FoundColumn& col = vpd ? *vpd : *qair;
    const UnitConversion unit = column_unit(f, &col, convention, options);
    const ColumnValues column = read_column(table, col.index, f, unit, options);
    std::vector<double>& eair = rec.eair;
    eair.resize(table.size());
    std::size_t clipped = 0;
    for (std::size_t r = 0; r < table.size(); ++r) {
      const double es = io::saturation_vapour_pressure_kpa(rec.ta[r]);
      if (vpd) {
        const double deficit = 0.1 * column.values[r];  // hPa -> kPa
        // VPD a little above es(ta) comes from another es formula or a gap-filled RH near zero.
        if (deficit > 1.1 * es + 0.05)
          throw InputError(path, table.rows()[r].line, table.header()[col.index],
                           "vapour-pressure deficit " + num(column.values[r]) + " hPa exceeds the saturation vapour pressure " +
                               num(10.0 * es) + " hPa at " + num(rec.ta[r]) + " degC" +
                               unit_hint(f, likely_unit(f, unit, (column.values[r] - unit.offset) / unit.scale, 5.0 * es,
                                                        [&](double x) { return 0.1 * x <= 1.1 * es + 0.05; })));
        eair[r] = std::max(es - deficit, 0.0);
        clipped += es - deficit < 0.0;
      } else {
        const double q = column.values[r];
        eair[r] = q * rec.pa[r] / (0.622 + 0.378 * q);
      }
    }
    std::string note = column.note;
    if (clipped > 0) note += (note.empty() ? "" : "; ") + std::to_string(clipped) + " deficit(s) above es(ta) read as eair = 0";
    set_source("eair",
               vpd ? "es(" + origin_of(rec, "ta") + ") - " + table.header()[col.index]
                   : "from " + table.header()[col.index] + " and " + origin_of(rec, "pa"),
               std::string(unit.unit), note);
  }
  for (ForcingSource& source : rec.sources) {
    const std::string& unused = supplement_unused[field_index(kForcingFields, source.variable)];
    if (!unused.empty()) source.note += (source.note.empty() ? "" : "; ") + unused;
  }
  // Sources in table order (eair may have been added last).
  std::stable_sort(rec.sources.begin(), rec.sources.end(), [](const ForcingSource& a, const ForcingSource& b) {
    return field_index(kForcingFields, a.variable) < field_index(kForcingFields, b.variable);
  });

  // Vapour pressure against saturation: hPa or Pa given for kPa passes a plain range in dry air
  // but not this.
  if (found[eair_index]) {
    const UnitConversion unit = column_unit(kForcingFields[eair_index], &*found[eair_index], convention, options);
    // An air temperature that never changes (a column of zeros, a failed sensor) makes the
    // humidity look supersaturated: the temperature, not the humidity's unit, is then the suspect.
    const bool ta_constant =
        rec.ta.size() > 1 && std::all_of(rec.ta.begin(), rec.ta.end(), [&](double t) { return t == rec.ta.front(); });
    for (std::size_t r = 0; r < table.size(); ++r) {
      const double limit = kMaxSupersaturation * io::saturation_vapour_pressure_kpa(rec.ta[r]) + 0.01;
      if (rec.eair[r] <= limit) continue;
      const double raw = (rec.eair[r] - unit.offset) / unit.scale;
      const std::string hint =
          ta_constant ? "; the air temperature (" + origin_of(rec, "ta") + ") is " + num(rec.ta[r]) +
                            " degC in every row: a failed sensor, or a column that is not the air temperature?"
                      : unit_hint(kForcingFields[eair_index],
                                  likely_unit(kForcingFields[eair_index], unit, raw, 0.5 * limit,
                                              [&](double x) { return x >= 0.0 && x <= limit; }));
      throw InputError(path, table.rows()[r].line, table.header()[found[eair_index]->index],
                       "vapour pressure " + num(raw) + " " + std::string(unit.unit) + " is " +
                           num(std::round(rec.eair[r] / io::saturation_vapour_pressure_kpa(rec.ta[r]) * 10) / 10) +
                           " times the saturation vapour pressure at " + num(rec.ta[r]) + " degC" + hint);
    }
  }
  // One file column feeding two variables (say --column ta=TS_F_MDS_4 while ts takes it too) gives
  // one of them the other's values; the time variables share the time stamps by design.
  for (std::size_t i = 3; i < rec.sources.size(); ++i)
    for (std::size_t j = i + 1; j < rec.sources.size(); ++j)
      if (rec.sources[i].origin == rec.sources[j].origin && table.find_exact(rec.sources[i].origin))
        throw InputError(path, table.header_line(), rec.sources[i].origin,
                         "the column is read as both " + rec.sources[i].variable + " and " + rec.sources[j].variable +
                             "; give each its own column with --column VAR=NAME");
  return rec;
}

std::vector<std::string> describe_forcing_sources(const ForcingRecord& record) {
  std::vector<std::string> lines;
  std::size_t first = 0;
  // year, doy and hour share one origin when they come from the time stamps: one line.
  if (record.sources.size() >= 3 && record.sources[0].origin == record.sources[2].origin &&
      record.sources[1].origin == record.sources[2].origin) {
    lines.push_back("year, doy, hour <- " + record.sources[0].origin);
    first = 3;
  }
  for (std::size_t i = first; i < record.sources.size(); ++i) {
    const ForcingSource& s = record.sources[i];
    std::string line = s.variable + " <- " + s.origin;
    if (!s.unit.empty()) line += " [" + s.unit + "]";
    if (!s.note.empty()) line += " (" + s.note + ")";
    lines.push_back(line);
  }
  return lines;
}

}  // namespace canveg
