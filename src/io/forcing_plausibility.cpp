// Plausibility of a forcing as a whole, beyond each value's range: whether its shortwave follows the
// sun of the site at its time stamps, and whether its humidity is ever humid (include/canveg/forcing.hpp).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <regex>
#include <string>
#include <string_view>

#include "canveg/errors.hpp"
#include "canveg/forcing.hpp"
#include "canveg/model_io.hpp"
#include "io/units.hpp"
#include "physics/sun.hpp"

namespace canveg {

namespace {

// The sun's sine of elevation at the middle of the half-hour ending `hour` + `shift_h` (local
// standard time), with the day rolled over as the shift requires.
double sun_at_middle(const ForcingRecord& f, std::size_t r, double latitude, double longitude, double time_zone,
                     double shift_h) {
  double doy = f.doy[r], hour = f.hour[r] - 0.25 + shift_h;
  while (hour < 0.0) hour += 24.0, doy -= 1.0;
  while (hour >= 24.0) hour -= 24.0, doy += 1.0;
  return physics::solar_sine_elevation(latitude, longitude, time_zone, doy, hour);
}

// Night: the sun more than about 6 degrees below the horizon, where even twilight gives a few
// W m-2 at most. Day: the sun more than 30 degrees up, where an overcast sky still gives tens.
constexpr double kNight = -0.1, kDay = 0.5;
constexpr double kNightShine = 50.0, kDarkDay = 5.0;  // [W m-2]
constexpr double kCanopyHeightMismatch = 1.5;

// Where a variable came from, for messages: "SW_IN_F [W m-2]".
std::string source_of(const ForcingRecord& f, std::string_view variable) {
  for (const ForcingSource& s : f.sources)
    if (s.variable == variable) return s.origin + (s.unit.empty() ? "" : " [" + s.unit + "]");
  return "";
}

}  // namespace

SunTiming sun_timing(const ForcingRecord& f, double latitude, double longitude, double time_zone, double shift_h,
                     std::size_t stride) {
  SunTiming t;
  double n = 0, sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;  // for the correlation
  for (std::size_t r = 0; r < f.size(); r += stride) {
    const double s = sun_at_middle(f, r, latitude, longitude, time_zone, shift_h);
    const double x = std::max(s, 0.0), y = f.rg[r];
    n += 1, sx += x, sy += y, sxx += x * x, syy += y * y, sxy += x * y;
    if (s < kNight) {
      ++t.night_rows;
      if (f.rg[r] > kNightShine && t.night_shine++ == 0) t.first_night_shine = r;
    } else if (s > kDay) {
      ++t.day_rows;
      if (f.rg[r] < kDarkDay && t.dark_day++ == 0) t.first_dark_day = r;
    }
  }
  const double cov = n * sxy - sx * sy, vx = n * sxx - sx * sx, vy = n * syy - sy * sy;
  t.correlation = vx > 0 && vy > 0 ? cov / std::sqrt(vx * vy) : 0.0;
  return t;
}

std::string check_sun_timing(const ForcingRecord& f, double latitude, double longitude, double time_zone) {
  if (f.size() == 0) return "";
  // In a long record every third row is enough to see a clock hours off, at a third of the cost.
  const std::size_t stride = f.size() > 3000 ? 3 : 1;
  const SunTiming t = sun_timing(f, latitude, longitude, time_zone, 0.0, stride);
  const double night_share = t.night_rows ? double(t.night_shine) / double(t.night_rows) : 0.0;
  const double day_share = t.day_rows ? double(t.dark_day) / double(t.day_rows) : 0.0;
  // A clock an hour or less off shines into the first and last night rows only; a sensor that
  // fails reads zero by day, not sunshine by night. More than a tenth of the night shining is the
  // radiation of other hours.
  const bool hours_off = t.night_shine >= 5 && night_share > 0.1;
  const bool dark_days = t.dark_day >= 5 && day_share > 0.1;
  // The shift, in half-hours within `half_hours` of the stamps, under which the radiation
  // correlates best with the sun's elevation (every ninth row of a long record, every third of a
  // short one), that correlation, and the correlation at the stamps.
  struct Shift {
    double hours, correlation, at_stamps;
  };
  const auto best_shift = [&](int half_hours) {
    Shift best{0.0, -2.0, 0.0};
    for (int k = -half_hours; k <= half_hours; ++k) {
      const SunTiming s = sun_timing(f, latitude, longitude, time_zone, 0.5 * k, 3 * stride);
      if (k == 0) best.at_stamps = s.correlation;
      if (s.correlation > best.correlation) best.hours = 0.5 * k, best.correlation = s.correlation;
    }
    return best;
  };
  const std::string convention =
      "Time stamps must be local standard time (not UTC, no daylight saving) and mark the end of each half-hour; "
      "check the site's time zone too.";
  if (!hours_off && !dark_days) {
    // An hour off (daylight saving time all year, a time zone one hour off) passes the checks
    // above. Over the four shared sites the radiation correlates best with the sun at the stamps
    // or half an hour later (gain at most 0.003 over a whole record), and an hour's shift loses
    // 0.03-0.05: a whole hour gaining more than 0.01 is a clock, not the weather. A single cloudy
    // morning moves a day's best shift by an hour (one day in ten at those sites), a week's never.
    // Half an hour (TIMESTAMP_START read as the end, an Hour column marking the start) gains
    // 0.004-0.06 over a month, which the weather gives a month of those sites at most 0.003
    // (US-Hn1's test period excepted, whose autumn the sun puts an hour later), so it is reported
    // for a month or more where it gains more than 0.006.
    constexpr std::size_t kWeek = 7 * 48, kMonth = 30 * 48;
    if (f.size() < kWeek) return "";
    const auto [shift, correlation, at_stamps] = best_shift(4);
    const bool hour_off = std::fabs(shift) >= 1.0 && correlation > at_stamps + 0.01;
    const bool half_hour_off = std::fabs(shift) == 0.5 && f.size() >= kMonth && correlation > at_stamps + 0.006;
    if (!hour_off && !half_hour_off) return "";
    char text[400];
    std::snprintf(text, sizeof text,
                  "the shortwave radiation matches the sun best %g h %s than the time stamps say (correlation %.3f "
                  "against %.3f at the stamps; site latitude %.3f, longitude %.3f, UTC%+g): %s? ",
                  std::fabs(shift), shift > 0 ? "later" : "earlier", correlation, at_stamps, latitude, longitude,
                  time_zone,
                  hour_off ? "daylight saving time, or a time zone an hour off"
                           : "time stamps that mark the start of each half-hour read as its end (TIMESTAMP_START "
                             "as TIMESTAMP_END, an Hour column of the start), or the reverse");
    return text + convention;
  }
  // Radiation that never rises (a failed sensor, a column of zeros) is darkness all day, not a
  // clock: no shift can make it follow the sun.
  const double brightest = *std::max_element(f.rg.begin(), f.rg.end());
  if (!hours_off && brightest < kDarkDay) {
    char text[300];
    std::snprintf(text, sizeof text,
                  "the shortwave radiation never exceeds %.3g W m-2 in %zu half-hours, %.0f %% of them with the sun "
                  "more than 30 degrees up: a failed sensor or a column that is not the incoming shortwave?",
                  brightest, f.size(), 100.0 * double(t.day_rows * stride) / double(f.size()));
    return text;
  }
  const Shift best = best_shift(24);
  char where[256];
  const std::size_t r = hours_off ? t.first_night_shine : t.first_dark_day;
  std::snprintf(where, sizeof where, "%s: shortwave %.0f W m-2 with the sun %s (site latitude %.3f, longitude %.3f, UTC%+g)",
                r < f.timestamp.size() ? f.timestamp[r].c_str() : "", f.rg[r],
                hours_off ? "more than 6 degrees below the horizon" : "more than 30 degrees up", latitude, longitude,
                time_zone);
  char share[160];
  std::snprintf(share, sizeof share, "%.0f %% of the night half-hours have sunshine, %.0f %% of the daytime ones darkness",
                100.0 * night_share, 100.0 * day_share);
  std::string hint;
  // Only a shift under which the radiation does follow the sun is worth naming.
  if (best.hours != 0.0 && best.correlation > 0.5) {
    char text[160];
    std::snprintf(text, sizeof text, "; the radiation matches the sun best %g h %s", std::fabs(best.hours),
                  best.hours > 0 ? "later than the time stamps say" : "earlier than the time stamps say");
    hint = text;
  }
  const std::string message = std::string("the shortwave radiation does not follow the sun at the site's time stamps (") +
                              share + hint + "), e.g. " + where + ". " + convention;
  if (hours_off) throw InputError(f.source, r < f.line.size() ? f.line[r] : 0, "TIMESTAMP_END", message);
  return message;
}

std::string check_shortwave_below_top_of_atmosphere(const ForcingRecord& f, double latitude, double longitude,
                                                   double time_zone) {
  // The sun above the atmosphere on a horizontal surface: the solar constant (1361 W m-2, Kopp &
  // Lean 2011) times the orbit's distance factor and the sine of the elevation. Cloud edges lift
  // the surface value above clear sky, never above this; the margin covers the half-hour's
  // average against its middle.
  constexpr double kSolarConstant = 1361.0;
  std::size_t day_rows = 0, above = 0, first = 0;
  double first_toa = 0.0, highest_toa = 0.0, highest_rg = 0.0;
  for (std::size_t r = 0; r < f.size(); ++r) {
    const double sine = sun_at_middle(f, r, latitude, longitude, time_zone, 0.0);
    if (sine < 0.1) continue;
    ++day_rows;
    const double toa = kSolarConstant * (1.0 + 0.033 * std::cos(2.0 * M_PI * f.doy[r] / 365.0)) * sine;
    highest_toa = std::max(highest_toa, toa);
    highest_rg = std::max(highest_rg, f.rg[r]);
    if (f.rg[r] > 1.05 * toa + 30.0 && above++ == 0) first = r, first_toa = toa;
  }
  // A clock off by an hour or two also puts morning sunshine above the sun it is stamped with, but
  // never above the day's highest sun; radiation in another unit exceeds that too.
  if (above < 5 || double(above) <= 0.05 * double(day_rows) || highest_rg <= 1.05 * highest_toa + 30.0) return "";
  const std::string origin = source_of(f, "rg");
  char text[500];
  std::snprintf(text, sizeof text,
                "the shortwave radiation exceeds what reaches the top of the atmosphere in %zu of %zu daytime "
                "half-hours, e.g. %s: %.0f W m-2 where the sun above the atmosphere gives %.0f (rg <- %s): "
                "photosynthetically active radiation in umol m-2 s-1 (about 2 per W m-2 of shortwave), or another "
                "unit?",
                above, day_rows, first < f.timestamp.size() ? f.timestamp[first].c_str() : "", f.rg[first], first_toa,
                origin.c_str());
  return text;
}

std::vector<std::string> check_forcing_consistency(const ForcingRecord& f) {
  std::vector<std::string> found;
  if (f.size() == 0) return found;
  char text[400];
  // u* is a few tenths of the wind speed (u*/U about 0.05-0.3; at the four shared sites u* reaches
  // U in at most 1 % of the half-hours, in near calm): in most half-hours it is the columns swapped.
  std::size_t ustar_at_least_wind = 0;
  for (std::size_t r = 0; r < f.size(); ++r) ustar_at_least_wind += f.ustar[r] >= f.ws[r];
  if (ustar_at_least_wind * 2 > f.size()) {
    std::snprintf(text, sizeof text,
                  "the friction velocity u* is at least the wind speed in %zu of %zu half-hours (ws <- %s, ustar <- "
                  "%s), where it is a few tenths of it: are the two columns swapped?",
                  ustar_at_least_wind, f.size(), source_of(f, "ws").c_str(), source_of(f, "ustar").c_str());
    found.push_back(text);
  }
  // Ambient CO2 is near 420 ppm and the shared sites' medians are 383-426: a median far above is
  // mg m-3 (1.8 times ppm) or another unit, which the range check alone lets through.
  std::vector<double> co2 = f.co2;
  std::nth_element(co2.begin(), co2.begin() + co2.size() / 2, co2.end());
  const double median_co2 = co2[co2.size() / 2];
  if (median_co2 > 600.0) {
    std::snprintf(text, sizeof text,
                  "the CO2 concentration has a median of %.0f ppm (co2 <- %s), where air holds about 420: a "
                  "concentration in mg m-3 (about 1.8 times ppm) or another unit?",
                  median_co2, source_of(f, "co2").c_str());
    found.push_back(text);
  }
  // The soil damps the daily temperature swing: at the four shared sites the soil temperature's
  // mean daily range over a week is 0.01-0.42 of the air's (0.93 in US-Whs's bare desert soil).
  // Half as much again as the air's is the two columns swapped, or a sensor at a bare surface.
  constexpr std::size_t kDay = 48, kWeek = 7 * kDay;
  if (f.size() >= kWeek) {
    double air_range = 0.0, soil_range = 0.0;
    for (std::size_t d = 0; d + kDay <= f.size(); d += kDay) {
      const auto [air_low, air_high] = std::minmax_element(f.ta.begin() + d, f.ta.begin() + d + kDay);
      const auto [soil_low, soil_high] = std::minmax_element(f.ts.begin() + d, f.ts.begin() + d + kDay);
      air_range += *air_high - *air_low;
      soil_range += *soil_high - *soil_low;
    }
    if (soil_range > 1.5 * air_range) {
      std::snprintf(text, sizeof text,
                    "the soil temperature swings %.1f times as much as the air temperature each day (ta <- %s, ts <- "
                    "%s), where the soil damps the swing: are the two columns swapped? (Only a sensor at the "
                    "surface of bare soil swings so.)",
                    soil_range / air_range, source_of(f, "ta").c_str(), source_of(f, "ts").c_str());
      found.push_back(text);
    }
  }
  // Soil water of exactly zero in every half-hour is a failed sensor or a missing-value code more
  // often than soil: the soil respiration, a power of it, is then zero throughout.
  if (f.size() > 1 && std::all_of(f.swc.begin(), f.swc.end(), [](double w) { return w == 0.0; })) {
    std::snprintf(text, sizeof text,
                  "the soil water content is 0 in every one of the %zu half-hours (swc <- %s), which makes the soil "
                  "respiration zero throughout: a failed sensor or a missing-value code?",
                  f.size(), source_of(f, "swc").c_str());
    found.push_back(text);
  }
  return found;
}

std::string other_site_in_file_name(const std::string& path, const std::string& site_name) {
  static const std::regex site_id("(?:^|[^A-Za-z0-9])([A-Z]{2}-[A-Za-z0-9]{3})(?:$|[^A-Za-z0-9])");
  const std::string name = std::filesystem::path(path).filename().string();
  std::smatch match;
  if (site_name.empty() || !std::regex_search(name, match, site_id) || match[1].str() == site_name) return "";
  return match[1].str();
}

std::vector<std::string> site_plausibility_warnings(const ForcingRecord& f, const Setup& site) {
  std::vector<std::string> found;
  // US-Bi1 and US-Hn1 share a time zone, so the sun does not tell their forcings apart.
  const std::string forcing_site = other_site_in_file_name(f.source, site.site_name);
  if (!forcing_site.empty())
    found.push_back(f.source + ": the forcing file is named for " + forcing_site + ", the model is " + site.site_name +
                    "'s: the model's site facts (location, canopy, dispersion matrix) are used whatever the forcing");
  // A dispersion matrix belongs to one canopy (its height, layers and leaf area profile); one of
  // another site with the same number of layers passes the shape check and runs without an error.
  const std::string matrix_site = other_site_in_file_name(site.dispersion_matrix_file, site.site_name);
  if (!matrix_site.empty())
    found.push_back(site.dispersion_matrix_file + ": the dispersion matrix is named for " + matrix_site +
                    ", the model is " + site.site_name +
                    "'s: a matrix describes one canopy's turbulence; make this site's with `canveg dij`, or rename "
                    "the file if it is this site's");
  // A matrix made by `canveg dij` names the canopy it was made for: one of another height (a site
  // file's height edited, another site's matrix renamed) describes another canopy's turbulence.
  if (const std::optional<DispersionGeometry> g = read_dij_geometry(site.dispersion_matrix_file)) {
    const auto differs = [](double a, double b) { return std::fabs(a - b) > 1e-9 * std::max(std::fabs(a), std::fabs(b)); };
    if (differs(g->canopy_height, site.canopy_height) || differs(g->measurement_height, site.measurement_height)) {
      char text[400];
      std::snprintf(text, sizeof text,
                    ": the dispersion matrix was made for a canopy %g m high measured at %g m, the model's canopy is "
                    "%g m high measured at %g m: make the matrix for this canopy with `canveg dij`",
                    g->canopy_height, g->measurement_height, site.canopy_height, site.measurement_height);
      found.push_back(site.dispersion_matrix_file + text);
    }
  }
  for (const std::string& warning : check_forcing_consistency(f)) found.push_back(f.source + ": " + warning);
  for (const std::string& warning :
       {check_sun_timing(f, site.latitude, site.longitude, site.time_zone),
        check_shortwave_below_top_of_atmosphere(f, site.latitude, site.longitude, site.time_zone),
        check_humidity_units(f)})
    if (!warning.empty()) found.push_back(f.source + ": " + warning);
  // A canopy height given as a constant looks like the model's geometry, but only the alfalfa soil
  // respiration reads veg_ht: say so rather than let the value seem to have taken effect.
  for (const ForcingSource& s : f.sources)
    if (s.variable == "veg_ht" && s.origin.rfind("constant ", 0) == 0 &&
        site.soil_respiration != SoilRespirationModule::Alfalfa) {
      char text[300];
      std::snprintf(text, sizeof text,
                    "the canopy height given (veg_ht %s) is not used by this model: its canopy is %g m high by its "
                    "layer geometry, and veg_ht is read only by the alfalfa soil respiration (module 0)",
                    s.origin.c_str(), site.canopy_height);
      found.push_back(f.source + ": " + text);
    } else if (s.variable == "veg_ht" && s.origin.rfind("constant ", 0) != 0 && !f.veg_ht.empty() &&
               site.canopy_height > 0.0) {
      // A canopy height column far from the model's canopy is the mark of a forcing of another
      // site (its sun may still pass the timing check where the two sites share a time zone).
      // US-Hn1's own forcing says 1.5 m for its 1.2 m model canopy, hence the factor 1.5.
      std::vector<double> heights = f.veg_ht;
      std::nth_element(heights.begin(), heights.begin() + heights.size() / 2, heights.end());
      const double median = heights[heights.size() / 2];
      const double ratio = median / site.canopy_height;
      if (ratio > kCanopyHeightMismatch || ratio < 1.0 / kCanopyHeightMismatch) {
        char heights_text[80];
        std::snprintf(heights_text, sizeof heights_text, "median %g m) is not that of the model's canopy (%g m high",
                      median, site.canopy_height);
        found.push_back(f.source + ": the forcing's canopy height (" + s.origin + ", " + heights_text +
                        (site.site_name.empty() ? "" : ", site " + site.site_name) +
                        "): is the forcing from the model's site? The model's site facts (location, canopy, "
                        "dispersion matrix) are used whatever the forcing");
      }
    }
  return found;
}

std::string check_humidity_units(const ForcingRecord& f) {
  constexpr std::size_t kWeek = 7 * 48;
  if (f.size() < kWeek) return "";
  double most_humid = 0.0, widest_deficit = 0.0, warmest = -100.0;
  for (std::size_t r = 0; r < f.size(); ++r) {
    const double es = io::saturation_vapour_pressure_kpa(f.ta[r]);
    most_humid = std::max(most_humid, f.eair[r] / es);
    widest_deficit = std::max(widest_deficit, es - f.eair[r]);
    warmest = std::max(warmest, f.ta[r]);
  }
  const std::string origin = source_of(f, "eair");
  char text[400];
  const double days = static_cast<double>(f.size()) / 48.0;
  // Nights near saturation are the rule everywhere, deserts included.
  if (most_humid < 0.25) {
    std::snprintf(text, sizeof text,
                  "the air never reaches 25 %% relative humidity in %.0f days (at most %.1f %%; eair <- %s): a "
                  "humidity column in a unit 10 or 1000 times too small, e.g. kPa values declared as hPa or "
                  "kg kg-1 as g kg-1?",
                  days, 100.0 * most_humid, origin.c_str());
    return text;
  }
  // Warm air that is always near saturation: a deficit in kPa read as hPa (real deficits reach a
  // few kPa on warm afternoons, one tenth of them stays below 0.6 kPa).
  if (origin.find("VPD") != std::string::npos && warmest > 25.0 && widest_deficit < 0.6) {
    std::snprintf(text, sizeof text,
                  "the vapour-pressure deficit never exceeds %.2f kPa in %.0f days although the air reaches %.1f degC "
                  "(eair <- %s): VPD in kPa read as hPa? declare it with --units vpd=kPa",
                  widest_deficit, days, warmest, origin.c_str());
    return text;
  }
  return "";
}

}  // namespace canveg
