#include "io/time_axis.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "canveg/errors.hpp"
#include "io/csv_table.hpp"

namespace canveg::io {

namespace {

constexpr Minutes kMinutesPerDay = 24 * 60;

// Digits [pos, pos + n) of text as a number, or -1 if any is not a digit (n <= 9).
int digits(std::string_view text, std::size_t pos, std::size_t n) {
  if (pos + n > text.size()) return -1;
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (text[i] < '0' || text[i] > '9') return -1;
    v = v * 10 + (text[i] - '0');
  }
  return v;
}

int days_in_month(int year, int month) {
  static constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && is_leap_year(year) ? 29 : kDays[month - 1];
}

std::optional<Minutes> instant(int y, int mo, int d, int h, int mi) {
  if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo)) return std::nullopt;
  if (h < 0 || mi < 0 || mi > 59 || h > 24 || (h == 24 && mi != 0)) return std::nullopt;
  return days_from_civil(y, mo, d) * kMinutesPerDay + h * 60 + mi;
}

// Civil date of a day count (inverse of days_from_civil, same source).
void civil_from_days(long long z, int& year, int& month, int& day) {
  z += 719468;
  const long long era = (z >= 0 ? z : z - 146096) / 146097;
  const long long doe = z - era * 146097;
  const long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const long long mp = (5 * doy + 2) / 153;
  day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  year = static_cast<int>(yoe + era * 400 + (month <= 2 ? 1 : 0));
}

long long floor_div(long long a, long long b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0)) ? 1 : 0); }

}  // namespace

bool is_leap_year(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

long long days_from_civil(int year, int month, int day) {
  const long long y = year - (month <= 2 ? 1 : 0);
  const long long era = (y >= 0 ? y : y - 399) / 400;
  const long long yoe = y - era * 400;
  const long long doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
  const long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

bool is_compact_timestamp(std::string_view text) {
  // Twelve digits (not one number: it would overflow an int).
  return text.size() == 12 && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::optional<Minutes> parse_timestamp(std::string_view text) {
  if (is_compact_timestamp(text))
    return instant(digits(text, 0, 4), digits(text, 4, 2), digits(text, 6, 2), digits(text, 8, 2), digits(text, 10, 2));
  // YYYY-MM-DD HH:MM with optional :SS (seconds must be 00: rows are whole minutes).
  if (text.size() != 16 && text.size() != 19) return std::nullopt;
  if (text[4] != '-' || text[7] != '-' || (text[10] != ' ' && text[10] != 'T') || text[13] != ':') return std::nullopt;
  if (text.size() == 19 && (text[16] != ':' || digits(text, 17, 2) != 0)) return std::nullopt;
  return instant(digits(text, 0, 4), digits(text, 5, 2), digits(text, 8, 2), digits(text, 11, 2), digits(text, 14, 2));
}

std::string format_timestamp(Minutes t) {
  const long long day = floor_div(t, kMinutesPerDay);
  const long long minute = t - day * kMinutesPerDay;
  int y = 0, mo = 0, d = 0;
  civil_from_days(day, y, mo, d);
  // "YYYY-MM-DD HH:MM:00", digit by digit (snprintf, once per row, was a tenth of reading a forcing).
  if (y < 0 || y > 9999) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d %02lld:%02lld:00", y, mo, d, minute / 60, minute % 60);
    return buf;
  }
  std::string out = "0000-00-00 00:00:00";
  const auto put = [&out](std::size_t at, long long value, int width) {
    for (int k = width - 1; k >= 0; --k, value /= 10) out[at + static_cast<std::size_t>(k)] = static_cast<char>('0' + value % 10);
  };
  put(0, y, 4), put(5, mo, 2), put(8, d, 2), put(11, minute / 60, 2), put(14, minute % 60, 2);
  return out;
}

YearDayHour year_day_hour(Minutes t) {
  const long long day = floor_div(t, kMinutesPerDay);
  const long long minute = t - day * kMinutesPerDay;
  int y = 0, mo = 0, d = 0;
  civil_from_days(day, y, mo, d);
  return {y, static_cast<int>(day - days_from_civil(y, 1, 1) + 1), static_cast<double>(minute) / 60.0};
}

std::optional<Minutes> instant_of(int year, int doy, double hour) {
  if (doy < 1 || doy > (is_leap_year(year) ? 366 : 365) || !(hour >= 0.0 && hour <= 24.0)) return std::nullopt;
  const double minutes = hour * 60.0;
  const double whole = std::round(minutes);
  if (std::abs(minutes - whole) > 1e-6) return std::nullopt;
  return (days_from_civil(year, 1, 1) + doy - 1) * kMinutesPerDay + static_cast<Minutes>(whole);
}

void check_half_hourly(const std::vector<Minutes>& times, const std::vector<long>& lines, const std::string& path,
                       const std::string& field) {
  // Half-hours end on the hour or at half past; a stamp at :15 or :45 marks the middle of one (or
  // a clock off by 15 minutes), which would shift the sun by a quarter of an hour unnoticed. The
  // first row settles it: every later step must be 30 minutes.
  if (!times.empty() && ((times[0] % kHalfHour) + kHalfHour) % kHalfHour != 0)
    throw InputError(path, lines[0], field,
                     "the half-hour ending " + format_timestamp(times[0]) +
                         " does not end on the hour or at half past; time stamps must mark the end (or, as "
                         "TIMESTAMP_START, the start) of half-hours, not their middle");
  for (std::size_t i = 1; i < times.size(); ++i) {
    const Minutes step = times[i] - times[i - 1];
    if (step == kHalfHour) continue;
    const std::string here = format_timestamp(times[i]);
    const std::string previous = format_timestamp(times[i - 1]);
    const std::string lines_text = "lines " + std::to_string(lines[i - 1]) + " and " + std::to_string(lines[i]);
    // A half-hour that is missing here but appears further down: rows out of order, not a gap.
    for (std::size_t j = i + 1; step > kHalfHour && j < times.size(); ++j)
      if (times[j] == times[i - 1] + kHalfHour)
        throw InputError(path, lines[j], field,
                         "rows out of order: the half-hour ending " + format_timestamp(times[j]) + " is on line " +
                             std::to_string(lines[j]) + ", after " + here + " (line " + std::to_string(lines[i]) +
                             "); rows must be consecutive half-hours in time order");
    if (step == 0)
      throw InputError(path, lines[i], field,
                       "the half-hour ending " + here + " appears twice (" + lines_text + "): a duplicated row");
    if (step < 0)
      throw InputError(path, lines[i], field,
                       "rows out of order: " + here + " follows " + previous + " (" + lines_text +
                           "); rows must be consecutive half-hours in time order");
    if (step % kHalfHour == 0 && i > 1)  // from the first step on, 60 min means an hourly file
      throw InputError(path, lines[i], field,
                       "a gap of " + std::to_string(step / kHalfHour - 1) + " missing half-hour(s) between " + previous +
                           " and " + here + " (" + lines_text + "); the rows must be consecutive half-hours");
    throw InputError(path, lines[i], field,
                     "a step of " + std::to_string(step) + " minutes between " + previous + " and " + here + " (" +
                         lines_text + "); canveg is a half-hourly model and needs a 30-minute step");
  }
}

std::vector<Minutes> parse_timestamps(const std::vector<std::string>& stamps, std::size_t rows,
                                      const std::string& source) {
  if (rows == 0) throw InputError(source, 0, "", "the record is empty");
  std::vector<Minutes> ends(rows);
  for (std::size_t r = 0; r < rows; ++r) {
    const auto t = r < stamps.size() ? parse_timestamp(stamps[r]) : std::nullopt;
    if (!t) throw InputError(source, 0, "TIMESTAMP_END", "row " + std::to_string(r + 1) + " has no time stamp");
    ends[r] = *t;
  }
  return ends;
}

std::vector<Minutes> parse_time_column(const CsvTable& table, std::size_t col) {
  std::vector<Minutes> t(table.size());
  for (std::size_t r = 0; r < table.size(); ++r) {
    const std::string& cell = table.rows()[r].cells[col];
    const auto parsed = io::parse_timestamp(cell);
    if (!parsed)
      throw InputError(table.path(), table.rows()[r].line, table.header()[col],
                       "'" + cell + "' is not a time stamp (YYYYMMDDHHMM or YYYY-MM-DD HH:MM:SS) of a real date");
    t[r] = *parsed;
  }
  return t;
}

}  // namespace canveg::io
