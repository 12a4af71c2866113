// NetCDF forcing (ALMA / PLUMBER2 layout) read through the netCDF C library: the file is laid out
// as a table, one column per time series, and read by the same core as a CSV (forcing_table.hpp),
// so the alias table, ranges, gap rules and time-axis checks are the same for both.
#include <netcdf.h>

#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "canveg/errors.hpp"
#include "canveg/forcing.hpp"
#include "canveg/output_io.hpp"
#include "io/csv_table.hpp"
#include "io/forcing_table.hpp"
#include "io/time_axis.hpp"

namespace canveg {
namespace {

using io::Minutes;

// Closes the file on every path out.
class NetcdfFile {
 public:
  explicit NetcdfFile(const std::string& path) : path_(path) {
    if (const int status = nc_open(path.c_str(), NC_NOWRITE, &id_); status != NC_NOERR) {
      id_ = -1;
      throw InputError(path, 0, "", std::string("cannot open as NetCDF: ") + nc_strerror(status));
    }
  }
  ~NetcdfFile() {
    if (id_ >= 0) nc_close(id_);
  }
  NetcdfFile(const NetcdfFile&) = delete;
  NetcdfFile& operator=(const NetcdfFile&) = delete;
  int id() const { return id_; }
  const std::string& path() const { return path_; }

  // Throws a message naming the file and `field` when a library call failed.
  void check(int status, const std::string& field, const std::string& what) const {
    if (status != NC_NOERR) throw InputError(path_, 0, field, what + ": " + nc_strerror(status));
  }

  std::string variable_name(int var) const {
    char name[NC_MAX_NAME + 1] = {};
    check(nc_inq_varname(id_, var, name), "", "cannot read a variable name");
    return name;
  }

  // A text attribute (NC_CHAR or NC_STRING), or nullopt when absent or not text.
  std::optional<std::string> text_attribute(int var, const char* name) const {
    nc_type type;
    std::size_t length = 0;
    if (nc_inq_att(id_, var, name, &type, &length) != NC_NOERR) return std::nullopt;
    if (type == NC_CHAR) {
      std::string text(length, '\0');
      check(nc_get_att_text(id_, var, name, text.data()), variable_name(var), std::string("attribute ") + name);
      while (!text.empty() && text.back() == '\0') text.pop_back();
      return text;
    }
    if (type == NC_STRING && length >= 1) {
      std::vector<char*> values(length, nullptr);
      check(nc_get_att_string(id_, var, name, values.data()), variable_name(var), std::string("attribute ") + name);
      std::string text = values[0] ? values[0] : "";
      nc_free_string(length, values.data());
      return text;
    }
    return std::nullopt;
  }

  // The first value of a numeric attribute, or nullopt when absent.
  std::optional<double> number_attribute(int var, const char* name) const {
    nc_type type;
    std::size_t length = 0;
    if (nc_inq_att(id_, var, name, &type, &length) != NC_NOERR || length == 0 || type == NC_CHAR ||
        type == NC_STRING)
      return std::nullopt;
    std::vector<double> values(length);
    check(nc_get_att_double(id_, var, name, values.data()), variable_name(var), std::string("attribute ") + name);
    return values[0];
  }

 private:
  std::string path_;
  int id_ = -1;
};

std::string trim(std::string_view s) { return std::string(io::trim(s)); }

// ---- time ---------------------------------------------------------------------------------------

// "<unit> since <date>[ <time>]" of CF (and udunits): seconds per unit and the reference instant,
// in seconds since 1970-01-01 00:00 local standard time.
struct TimeUnits {
  double seconds_per_unit = 1.0;
  long long reference_seconds = 0;
};

TimeUnits parse_time_units(const NetcdfFile& file, const std::string& variable, const std::string& units) {
  const auto fail = [&](const std::string& why) -> TimeUnits {
    throw InputError(file.path(), 0, variable + ".units",
                     "time units '" + units + "' " + why +
                         " (expected '<seconds|minutes|hours|days> since YYYY-MM-DD[ HH:MM[:SS]]', local standard time)");
  };
  const std::size_t since = units.find(" since ");
  if (since == std::string::npos) return fail("are not '<unit> since <date>'");
  const std::string unit = trim(units.substr(0, since));
  static const std::map<std::string, double> kSeconds = {
      {"seconds", 1},   {"second", 1},   {"secs", 1},    {"sec", 1},   {"s", 1},     {"minutes", 60},
      {"minute", 60},   {"mins", 60},    {"min", 60},    {"hours", 3600}, {"hour", 3600}, {"hrs", 3600},
      {"hr", 3600},     {"h", 3600},     {"days", 86400}, {"day", 86400}, {"d", 86400}};
  const auto per = kSeconds.find(unit);
  if (per == kSeconds.end()) return fail("name an unknown time unit '" + unit + "'");

  // Date, then an optional time of day ('T' or blank between), then nothing: a time zone is
  // refused, since the model needs local standard time and the site's offset is not the file's.
  std::string rest = trim(units.substr(since + 7));
  int year = 0, month = 0, day = 0, hour = 0, minute = 0;
  double second = 0.0;
  int used = 0;
  if (std::sscanf(rest.c_str(), "%d-%d-%d%n", &year, &month, &day, &used) != 3) return fail("have no date");
  rest = rest.substr(static_cast<std::size_t>(used));
  if (!rest.empty() && (rest[0] == 'T' || rest[0] == ' ')) {
    const std::string clock = trim(rest.substr(1));
    int clock_used = 0;
    if (std::sscanf(clock.c_str(), "%d:%d%n", &hour, &minute, &clock_used) == 2) {
      rest = clock.substr(static_cast<std::size_t>(clock_used));
      if (!rest.empty() && rest[0] == ':') {
        int second_used = 0;
        if (std::sscanf(rest.c_str(), ":%lf%n", &second, &second_used) != 1) return fail("have a malformed time of day");
        rest = rest.substr(static_cast<std::size_t>(second_used));
      }
    } else {
      rest = clock;
    }
    rest = trim(rest);
  }
  if (!rest.empty())
    return fail("carry a time zone '" + rest +
                "': canveg reads local standard time; write the times in the site's standard time without a zone");
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour < 0 || hour > 23 || minute < 0 || minute > 59 ||
      second < 0 || second >= 60 || second != std::floor(second))
    return fail("name an impossible date or time");
  static constexpr int kDaysIn[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (day > kDaysIn[month - 1] + (month == 2 && io::is_leap_year(year) ? 1 : 0)) return fail("name an impossible date");
  return TimeUnits{per->second,
                   io::days_from_civil(year, month, day) * 86400LL + hour * 3600LL + minute * 60LL +
                       static_cast<long long>(second)};
}

// The time coordinate: the variable named "time" (any case), else the coordinate variable of the
// unlimited dimension.
int find_time_variable(const NetcdfFile& file) {
  int count = 0;
  file.check(nc_inq_nvars(file.id(), &count), "", "cannot list variables");
  for (int v = 0; v < count; ++v) {
    std::string name = file.variable_name(v);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (name == "time") return v;
  }
  int unlimited = -1;
  file.check(nc_inq_unlimdim(file.id(), &unlimited), "", "cannot read the dimensions");
  if (unlimited >= 0) {
    char dim_name[NC_MAX_NAME + 1] = {};
    file.check(nc_inq_dimname(file.id(), unlimited, dim_name), "", "cannot read a dimension name");
    int var = -1;
    if (nc_inq_varid(file.id(), dim_name, &var) == NC_NOERR) return var;
  }
  throw InputError(file.path(), 0, "time", "no time coordinate: a variable 'time' with units '<unit> since <date>' is needed");
}

// The end of every half-hour, in minutes (time_axis.hpp).
std::vector<Minutes> read_time_ends(const NetcdfFile& file, int time_var, std::size_t steps,
                                    NetcdfTimeMark mark, std::string& origin) {
  const std::string name = file.variable_name(time_var);
  const std::optional<std::string> units = file.text_attribute(time_var, "units");
  if (!units) throw InputError(file.path(), 0, name, "the time variable has no units attribute");
  if (const auto calendar = file.text_attribute(time_var, "calendar")) {
    std::string c = *calendar;
    for (char& ch : c) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (c != "standard" && c != "gregorian" && c != "proleptic_gregorian")
      throw InputError(file.path(), 0, name + ".calendar",
                       "calendar '" + *calendar + "' is not the Gregorian calendar of flux-tower records");
  }
  const TimeUnits tu = parse_time_units(file, name, *units);

  // With CF bounds, the upper bound is the end of the half-hour; without, `mark` says what the
  // value marks (PLUMBER2 writes the start).
  std::vector<double> values(steps);
  double shift_seconds = mark == NetcdfTimeMark::Start ? 1800.0 : 0.0;
  origin = name + (mark == NetcdfTimeMark::Start ? " (start of the half-hour)" : " (end of the half-hour)");
  if (const auto bounds = file.text_attribute(time_var, "bounds")) {
    int bounds_var = -1;
    file.check(nc_inq_varid(file.id(), bounds->c_str(), &bounds_var), name + ".bounds",
               "the bounds variable '" + *bounds + "' is missing");
    std::vector<double> b(2 * steps);
    file.check(nc_get_var_double(file.id(), bounds_var, b.data()), *bounds, "cannot read the time bounds");
    for (std::size_t r = 0; r < steps; ++r) values[r] = b[2 * r + 1];
    shift_seconds = 0.0;
    origin = *bounds + " (upper bound: end of the half-hour)";
  } else {
    file.check(nc_get_var_double(file.id(), time_var, values.data()), name, "cannot read the time values");
  }
  std::vector<Minutes> ends(steps);
  for (std::size_t r = 0; r < steps; ++r) {
    const double seconds = values[r] * tu.seconds_per_unit + shift_seconds;
    const double minutes = seconds / 60.0;
    if (!std::isfinite(values[r]) || std::abs(minutes - std::round(minutes)) > 1e-6)
      throw InputError(file.path(), static_cast<long>(r + 1), name,
                       "time value " + std::to_string(values[r]) + " is not a whole minute");
    ends[r] = tu.reference_seconds / 60 + static_cast<Minutes>(std::llround(minutes));
  }
  return ends;
}

// ---- variables ----------------------------------------------------------------------------------


// True when the variable is a time series at one site: the time dimension and any number of
// dimensions of length 1 (PLUMBER2's (time, y, x) with x = y = 1).
bool is_site_series(const NetcdfFile& file, int var, int time_dim, std::size_t& time_position) {
  int ndims = 0;
  file.check(nc_inq_varndims(file.id(), var, &ndims), file.variable_name(var), "cannot read its dimensions");
  if (ndims < 1) return false;
  std::vector<int> dims(static_cast<std::size_t>(ndims));
  file.check(nc_inq_vardimid(file.id(), var, dims.data()), file.variable_name(var), "cannot read its dimensions");
  bool has_time = false;
  for (std::size_t d = 0; d < dims.size(); ++d) {
    if (dims[d] == time_dim) {
      has_time = true;
      time_position = d;
      continue;
    }
    std::size_t length = 0;
    file.check(nc_inq_dimlen(file.id(), dims[d], &length), file.variable_name(var), "cannot read a dimension");
    if (length != 1) return false;
  }
  return has_time;
}

// The values of a time series with CF packing (scale_factor, add_offset) undone and fill values
// (_FillValue, missing_value) as gaps (empty cells).
std::vector<std::string> series_cells(const NetcdfFile& file, int var, std::size_t steps) {
  std::vector<double> v(steps);
  const std::string name = file.variable_name(var);
  nc_type type;
  file.check(nc_inq_vartype(file.id(), var, &type), name, "cannot read its type");
  if (type == NC_CHAR || type == NC_STRING) return {};
  file.check(nc_get_var_double(file.id(), var, v.data()), name, "cannot read its values");
  const std::optional<double> fill = file.number_attribute(var, "_FillValue");
  const std::optional<double> missing = file.number_attribute(var, "missing_value");
  const double scale = file.number_attribute(var, "scale_factor").value_or(1.0);
  const double offset = file.number_attribute(var, "add_offset").value_or(0.0);
  std::vector<std::string> cells(steps);
  for (std::size_t r = 0; r < steps; ++r) {
    // Fill values are compared packed, as stored; the library's default fill marks unwritten cells.
    const bool gap = (fill && v[r] == *fill) || (missing && v[r] == *missing) || std::isnan(v[r]) ||
                     (!fill && type == NC_DOUBLE && v[r] == NC_FILL_DOUBLE) ||
                     (!fill && type == NC_FLOAT && v[r] == static_cast<double>(NC_FILL_FLOAT));
    // The table's text reads back to the identical double.
    if (!gap) io::append_number(cells[r], v[r] * scale + offset);
  }
  return cells;
}

}  // namespace

namespace {

// Whether a file's first bytes are a NetCDF file's: classic and 64-bit offset/data files start
// "CDF" and a version byte; netCDF-4 files are HDF5.
bool netcdf_magic(std::string_view start) {
  return start.size() >= 4 && ((start.substr(0, 3) == "CDF" && start[3] >= 1 && start[3] <= 5) ||
                               start.substr(0, 4) == "\x89HDF");
}

}  // namespace

bool is_netcdf_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[4] = {};
  if (!in.read(magic, 4)) return false;
  return netcdf_magic(std::string_view(magic, 4));
}

namespace io {

NetcdfTable read_netcdf_table(const std::string& path, NetcdfTimeMark time_mark) {
  const NetcdfFile file(path);
  const int time_var = find_time_variable(file);
  int time_ndims = 0;
  file.check(nc_inq_varndims(file.id(), time_var, &time_ndims), "time", "cannot read its dimensions");
  if (time_ndims != 1) throw InputError(path, 0, file.variable_name(time_var), "the time variable is not one-dimensional");
  int time_dim = -1;
  file.check(nc_inq_vardimid(file.id(), time_var, &time_dim), "time", "cannot read its dimension");
  std::size_t steps = 0;
  file.check(nc_inq_dimlen(file.id(), time_dim, &steps), "time", "cannot read its length");
  if (steps == 0) throw InputError(path, 0, "time", "the file holds no time steps");

  NetcdfTable out;
  const std::vector<Minutes> ends = read_time_ends(file, time_var, steps, time_mark, out.time_origin);

  // The table: the time stamps, then every site time series under its variable name, with the
  // unit each declares. A row's "line" is its 1-based time step.
  std::vector<std::string> header = {"TIMESTAMP_END"};
  std::vector<std::vector<std::string>> columns(1);
  columns[0].reserve(steps);
  for (Minutes t : ends) columns[0].push_back(io::format_timestamp(t));
  int count = 0;
  file.check(nc_inq_nvars(file.id(), &count), "", "cannot list variables");
  for (int var = 0; var < count; ++var) {
    std::size_t time_position = 0;
    if (var == time_var || !is_site_series(file, var, time_dim, time_position)) continue;
    std::vector<std::string> cells = series_cells(file, var, steps);
    if (cells.empty()) continue;
    const std::string name = file.variable_name(var);
    if (const auto units = file.text_attribute(var, "units")) out.declared_units.emplace_back(name, trim(*units));
    header.push_back(name);
    columns.push_back(std::move(cells));
  }
  std::vector<io::CsvRow> rows(steps);
  for (std::size_t r = 0; r < steps; ++r) {
    rows[r].line = static_cast<long>(r + 1);
    rows[r].cells.reserve(columns.size());
    for (const auto& column : columns) rows[r].cells.push_back(column[r]);
  }
  out.table = io::CsvTable::from_cells(path, std::move(header), std::move(rows));
  return out;
}

}  // namespace io

ForcingRecord read_forcing_netcdf(const std::string& path, const ForcingReadOptions& options) {
  const io::NetcdfTable netcdf = io::read_netcdf_table(path, options.netcdf_time);
  ForcingRecord record = io::read_forcing_table(netcdf.table, options, netcdf.declared_units);
  for (std::size_t i = 0; i < 3 && i < record.sources.size(); ++i) record.sources[i].origin = netcdf.time_origin;
  return record;
}

ForcingRecord read_forcing_file(const std::string& path, const ForcingReadOptions& options) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec) || std::filesystem::is_regular_file(path, ec))
    return is_netcdf_file(path) ? read_forcing_netcdf(path, options) : read_forcing_csv(path, options);
  // A pipe (e.g. <(zcat forcing.csv.gz)) can be read once only: its whole text decides the format.
  const std::string text = io::read_text_file(path);
  if (netcdf_magic(text))
    throw InputError(path, 0, "", "a NetCDF forcing must be a regular file (netCDF-C seeks in it): write it to a file first");
  return io::read_forcing_table(io::CsvTable::parse(text, path, true, options.threads), options);
}

}  // namespace canveg
