// The time axis of half-hourly files (docs/model.md 5.1): time stamps read, converted and checked.
//
// canveg's convention is AmeriFlux's: a row describes the half-hour that *ends* at its time stamp
// (TIMESTAMP_END), in local standard time (no daylight saving). Year, DoY and Hour columns give
// the same end time; hour 24 is the end of a day, the same instant as hour 0 of the next day.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace canveg::io {

// Minutes since 1970-01-01 00:00 local standard time.
using Minutes = long long;

inline constexpr Minutes kHalfHour = 30;

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil algorithm).
long long days_from_civil(int year, int month, int day);
bool is_leap_year(int year);

// Parses AmeriFlux's YYYYMMDDHHMM and ISO "YYYY-MM-DD HH:MM[:SS]" (or with 'T'); nullopt if the
// text is neither or names an impossible date or time (24:00 is accepted as the end of a day).
std::optional<Minutes> parse_timestamp(std::string_view text);
// True for AmeriFlux's 12-digit form.
bool is_compact_timestamp(std::string_view text);

// The instants of a record's time stamps (the ends of its half-hours), for writers. Throws
// InputError naming `source` and the row of the first stamp that is missing or unreadable.
std::vector<Minutes> parse_timestamps(const std::vector<std::string>& stamps, std::size_t rows,
                                      const std::string& source);

class CsvTable;
// A table's time-stamp column as instants; throws InputError naming the file, line and column of
// the first cell that is not a time stamp of a real date.
std::vector<Minutes> parse_time_column(const CsvTable& table, std::size_t col);

// "YYYY-MM-DD HH:MM:SS", the form of the shared files and of canveg's outputs.
std::string format_timestamp(Minutes t);

// The year, day of year (1-based) and hour (0 <= hour < 24) of an instant.
struct YearDayHour {
  int year;
  int doy;
  double hour;
};
YearDayHour year_day_hour(Minutes t);

// The instant of (year, day of year, hour); hour 24 is the end of the day. nullopt when the day
// does not exist in that year or the hour is not a whole minute.
std::optional<Minutes> instant_of(int year, int doy, double hour);

// Checks that the rows are consecutive half-hours ending on the hour or at half past. Throws
// InputError naming the file, the lines and `field` for an end at another minute, a duplicate, a
// row out of order, a gap (with the number of missing half-hours) or a step that is not 30 minutes.
void check_half_hourly(const std::vector<Minutes>& times, const std::vector<long>& lines, const std::string& path,
                       const std::string& field);

}  // namespace canveg::io
