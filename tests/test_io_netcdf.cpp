// An ALMA/PLUMBER2-style NetCDF forcing, built from a shared JAX-CanVeg forcing file, read
// directly: Tair in K, Qair in kg/kg, PSurf in Pa, time in seconds marking the start of each
// half-hour, dimensions (time, y, x); u*, soil temperature and water and canopy height, which such
// files lack, from a supplement CSV. The forcing and the fluxes equal the CSV's within round-off.
#include <netcdf.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "canveg/canveg.hpp"
#include "test_support.hpp"

namespace {

using namespace canveg;
using test::expect_relative;

constexpr std::size_t kRows = 192;

void ok(int status) {
  if (status != NC_NOERR) throw std::runtime_error(nc_strerror(status));
}

std::string g17(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

// How to lay out the test file; each field changes one thing a reader must handle.
struct NetcdfLayout {
  std::string time_units = "seconds since 2020-06-30 00:00:00";
  enum class Time { Start, End, Bounds } time = Time::Start;
  std::string tair_units = "K";
  long gap_at = -1;  // a _FillValue in Tair at this step
  std::size_t x = 1;  // grid cells along x (1: one site)
};

// Writes the forcing as ALMA variables (time, y, x), with a QC flag and the site's coordinates
// beside them, as PLUMBER2 files hold.
std::string write_alma(const ForcingRecord& f, const test::TempDir& dir, const NetcdfLayout& layout,
                       const std::string& name = "US-Bi1_alma.nc") {
  const std::string path = dir.file(name);
  int nc = 0;
  ok(nc_create(path.c_str(), NC_CLOBBER | NC_NETCDF4, &nc));
  int time_dim, y_dim, x_dim, nv_dim;
  ok(nc_def_dim(nc, "time", NC_UNLIMITED, &time_dim));
  ok(nc_def_dim(nc, "y", 1, &y_dim));
  ok(nc_def_dim(nc, "x", layout.x, &x_dim));
  ok(nc_def_dim(nc, "nv", 2, &nv_dim));
  int time_var, bounds_var = -1, lat_var;
  ok(nc_def_var(nc, "time", NC_DOUBLE, 1, &time_dim, &time_var));
  ok(nc_put_att_text(nc, time_var, "units", layout.time_units.size(), layout.time_units.c_str()));
  if (layout.time == NetcdfLayout::Time::Bounds) {
    ok(nc_put_att_text(nc, time_var, "bounds", 9, "time_bnds"));
    const int dims[2] = {time_dim, nv_dim};
    ok(nc_def_var(nc, "time_bnds", NC_DOUBLE, 2, dims, &bounds_var));
  }
  const int yx[2] = {y_dim, x_dim};
  ok(nc_def_var(nc, "latitude", NC_DOUBLE, 2, yx, &lat_var));
  struct Series {
    const char* name;
    const char* units;
    std::vector<double> values;
  };
  std::vector<Series> series = {{"Tair", layout.tair_units.c_str(), {}}, {"SWdown", "W/m2", {}}, {"Qair", "kg/kg", {}},
                                 {"Wind", "m/s", {}},  {"PSurf", "Pa", {}},    {"CO2air", "ppm", {}},
                                 {"LAI", "1", {}},     {"Tair_qc", "-", {}}};
  for (std::size_t r = 0; r < kRows; ++r) {
    const double e = f.eair[r], p = f.pa[r];
    series[0].values.push_back(f.ta[r] + 273.15);
    series[1].values.push_back(f.rg[r]);
    series[2].values.push_back(0.622 * e / (p - 0.378 * e));  // inverse of e = q p / (0.622 + 0.378 q)
    series[3].values.push_back(f.ws[r]);
    series[4].values.push_back(1000.0 * p);
    series[5].values.push_back(f.co2[r]);
    series[6].values.push_back(f.lai[r]);
    series[7].values.push_back(0.0);
  }
  if (layout.gap_at >= 0) series[0].values[static_cast<std::size_t>(layout.gap_at)] = -9999.0;
  std::vector<int> vars;
  const int dims[3] = {time_dim, y_dim, x_dim};
  for (const Series& s : series) {
    int v;
    ok(nc_def_var(nc, s.name, NC_DOUBLE, 3, dims, &v));
    ok(nc_put_att_text(nc, v, "units", std::strlen(s.units), s.units));
    const double fill = -9999.0;
    ok(nc_put_att_double(nc, v, "_FillValue", NC_DOUBLE, 1, &fill));
    vars.push_back(v);
  }
  ok(nc_enddef(nc));
  const double lat[] = {38.1, 38.1};
  ok(nc_put_var_double(nc, lat_var, lat));
  std::vector<double> time(kRows), bounds(2 * kRows);
  for (std::size_t r = 0; r < kRows; ++r) {
    // Row 0 of the slice ends 2020-07-01 00:00 (the test file's first half-hour).
    const double start = 84600.0 + 1800.0 * static_cast<double>(r);
    time[r] = layout.time == NetcdfLayout::Time::Start ? start
              : layout.time == NetcdfLayout::Time::End ? start + 1800.0
                                                       : start + 900.0;
    bounds[2 * r] = start;
    bounds[2 * r + 1] = start + 1800.0;
  }
  const std::size_t origin[3] = {0, 0, 0};
  const std::size_t count[3] = {kRows, 1, layout.x};
  ok(nc_put_vara_double(nc, time_var, origin, count, time.data()));
  if (bounds_var >= 0) {
    const std::size_t bcount[2] = {kRows, 2};
    ok(nc_put_vara_double(nc, bounds_var, origin, bcount, bounds.data()));
  }
  for (std::size_t i = 0; i < series.size(); ++i) {
    std::vector<double> cells;
    for (double v : series[i].values) cells.insert(cells.end(), layout.x, v);
    ok(nc_put_vara_double(nc, vars[i], origin, count, cells.data()));
  }
  ok(nc_close(nc));
  return path;
}

// u*, soil temperature and water and canopy height on the same half-hours.
std::string write_supplement(const ForcingRecord& f, const test::TempDir& dir) {
  std::ostringstream csv;
  csv << "TIMESTAMP_END,USTAR,TS,SWC,veg_ht\n";
  for (std::size_t r = 0; r < kRows; ++r)
    csv << f.timestamp[r] << ',' << g17(f.ustar[r]) << ',' << g17(f.ts[r]) << ',' << g17(f.swc[r]) << ','
        << g17(f.veg_ht[r]) << '\n';
  return dir.write("US-Bi1_supplement.csv", csv.str());
}

// Outputs of two forcings that differ by the round-off of unit conversions (a few ulps). The model
// amplifies such differences on a few half-hours: one ulp of SWC alone moves US-Bi1's LE at
// 2021-01-16 00:30 by 9.7e-5 W m-2 (PB-1L-0.5; a near-neutral night). So: within 1e-9 relative on
// 99.5% of the rows, and within 1e-7 of the series' scale (its largest magnitude) on every row.
void expect_round_off(const std::vector<double>& a, const std::vector<double>& b, const std::string& what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  double largest = 0.0, difference = 0.0;
  std::size_t beyond = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    largest = std::max(largest, std::abs(b[i]));
    difference = std::max(difference, std::abs(a[i] - b[i]));
    beyond += std::abs(a[i] - b[i]) > 1e-9 * std::max(1.0, std::abs(b[i]));
  }
  EXPECT_GT(largest, 0.0) << what;
  EXPECT_LE(difference, 1e-7 * largest) << what;
  EXPECT_LE(static_cast<double>(beyond), 0.005 * static_cast<double>(a.size())) << what;
}

ForcingRecord jax_slice() {
  return read_forcing_csv(test::fluxtower("US-Bi1", "US-Bi1-forcings-test.csv")).slice(0, kRows);
}

// Reading `path` fails with an error naming `file` (default: path itself), the field and the line.
void expect_error(const std::string& path, const ForcingReadOptions& options, const std::string& field,
                  const std::string& text, long line = -1, std::string file = {}) {
  try {
    read_forcing_file(path, options);
    FAIL() << "expected InputError about " << text;
  } catch (const InputError& e) {
    EXPECT_EQ(e.file(), file.empty() ? path : file) << e.what();
    EXPECT_EQ(e.field(), field) << e.what();
    if (line >= 0) {
      EXPECT_EQ(e.line(), line) << e.what();
    }
    EXPECT_NE(std::string(e.what()).find(text), std::string::npos) << e.what();
  }
}

}  // namespace

TEST(Netcdf, AlmaForcingGivesTheSameForcingAndFluxes) {
  test::TempDir dir;
  const ForcingRecord jax = jax_slice();
  const std::string nc = write_alma(jax, dir, {});
  ASSERT_TRUE(is_netcdf_file(nc));
  ASSERT_FALSE(is_netcdf_file(test::fluxtower("US-Bi1", "US-Bi1-forcings-test.csv")));
  ForcingReadOptions options;
  options.supplement = write_supplement(jax, dir);
  const ForcingRecord alma = read_forcing_file(nc, options);

  EXPECT_EQ(alma.timestamp, jax.timestamp);
  for (std::size_t i = 0; i < kForcingCount; ++i)
    expect_relative(forcing_series(alma, i), forcing_series(jax, i), 1e-12, std::string(kForcingFields[i].name));
  const std::vector<std::string> sources = describe_forcing_sources(alma);
  const auto has = [&](const std::string& start) {
    for (const std::string& line : sources)
      if (line.rfind(start, 0) == 0) return true;
    return false;
  };
  EXPECT_TRUE(has("year, doy, hour <- time (start of the half-hour)")) << sources[0];
  EXPECT_TRUE(has("ta <- Tair [K]"));
  EXPECT_TRUE(has("eair <- from Qair and PSurf [kg kg-1]"));
  EXPECT_TRUE(has("pa <- PSurf [Pa]"));
  EXPECT_TRUE(has("lai <- LAI [m2 m-2]"));
  EXPECT_TRUE(has("ustar <- " + options.supplement));
  EXPECT_TRUE(has("ts <- " + options.supplement));

  const LoadedModel model = read_model_json(test::trained("US-Bi1_PB-1L-0.5.json"));
  const RunResult a = run_model(model.model, jax);
  const RunResult b = run_model(model.model, alma);
  expect_relative(b.outputs.LE, a.outputs.LE, 1e-9, "LE");
  expect_relative(b.outputs.H, a.outputs.H, 1e-9, "H");
  expect_relative(b.outputs.NEE, a.outputs.NEE, 1e-9, "NEE");
  expect_relative(b.outputs.Rnet, a.outputs.Rnet, 1e-9, "Rnet");
}

// The supplement gives only what the forcing lacks: a column of a variable the forcing already has
// is named as unused beside that variable's source, and a supplement that gives nothing is refused.
TEST(Netcdf, SupplementColumnsTheForcingHasAreNamedUnused) {
  test::TempDir dir;
  const ForcingRecord jax = jax_slice();
  const std::string nc = write_alma(jax, dir, {});
  std::ostringstream csv;
  csv << "TIMESTAMP_END,USTAR,TS,SWC,veg_ht,TA\n";
  for (std::size_t r = 0; r < kRows; ++r)
    csv << jax.timestamp[r] << ',' << g17(jax.ustar[r]) << ',' << g17(jax.ts[r]) << ',' << g17(jax.swc[r]) << ','
        << g17(jax.veg_ht[r]) << ",-40\n";
  ForcingReadOptions options;
  options.supplement = dir.write("with-ta.csv", csv.str());
  const ForcingRecord alma = read_forcing_file(nc, options);
  expect_relative(alma.ta, jax.ta, 1e-12, "ta");  // from the NetCDF file's Tair, not the supplement's -40
  bool named = false;
  for (const std::string& line : describe_forcing_sources(alma))
    named |= line.rfind("ta <- Tair [K]", 0) == 0 && line.find("the supplement's TA is not used") != std::string::npos;
  EXPECT_TRUE(named);

  // The CSV forcing has every variable, so this supplement gives it nothing.
  const std::string complete = test::fluxtower("US-Bi1", "US-Bi1-forcings-test.csv");
  expect_error(complete, options, "", "the supplement gives none of the variables the forcing " + complete + " lacks",
               1, options.supplement);
}

TEST(Netcdf, TimeMarksBoundsAndUnits) {
  test::TempDir dir;
  const ForcingRecord jax = jax_slice();
  ForcingReadOptions options;
  options.supplement = write_supplement(jax, dir);
  // Time values at the end of each half-hour, declared so; CF bounds (values at mid-period);
  // time in hours since a reference without seconds.
  NetcdfLayout end;
  end.time = NetcdfLayout::Time::End;
  options.netcdf_time = NetcdfTimeMark::End;
  EXPECT_EQ(read_forcing_file(write_alma(jax, dir, end, "end.nc"), options).timestamp, jax.timestamp);
  NetcdfLayout bounds;
  bounds.time = NetcdfLayout::Time::Bounds;
  options.netcdf_time = NetcdfTimeMark::Start;  // bounds decide, whatever the mark
  EXPECT_EQ(read_forcing_file(write_alma(jax, dir, bounds, "bounds.nc"), options).timestamp, jax.timestamp);
  // End-marked values read as start-marked are half an hour late: the supplement, on the true
  // half-hours, has no value for the last one.
  options.netcdf_time = NetcdfTimeMark::Start;
  expect_error(dir.file("end.nc"), options, "ustar", "no value for the half-hour ending 2020-07-05 00:00:00", 0,
               options.supplement);

  // Tair declared in Celsius is read as Celsius: out of range at ~300 degC, with the hint.
  NetcdfLayout celsius;
  celsius.tair_units = "degrees_C";
  const std::string c = write_alma(jax, dir, celsius, "celsius.nc");
  expect_error(c, options, "Tair", "this looks like K", 1);
  // --units overrides the attribute.
  options.units = {{"ta", "K"}};
  expect_relative(read_forcing_file(c, options).ta, jax.ta, 1e-12, "ta");
  options.units.clear();
  NetcdfLayout fahrenheit;
  fahrenheit.tair_units = "degF";
  expect_error(write_alma(jax, dir, fahrenheit, "f.nc"), options, "Tair.units", "declares unit 'degF'");
}

TEST(Netcdf, RefusedClearly) {
  test::TempDir dir;
  const ForcingRecord jax = jax_slice();
  ForcingReadOptions options;
  // Without the supplement, what ALMA files lack is listed at once, with the way to supply it.
  const std::string nc = write_alma(jax, dir, {});
  expect_error(nc, options, "ustar, ts, swc, veg_ht", "--supplement FILE");
  options.supplement = write_supplement(jax, dir);
  // A fill value is a gap: an error naming the time step unless filled.
  NetcdfLayout gap;
  gap.gap_at = 10;
  const std::string gappy = write_alma(jax, dir, gap, "gap.nc");
  expect_error(gappy, options, "Tair", "", 11);
  options.fill = ForcingGapFill::Linear;
  options.max_gap = 2;
  const ForcingRecord filled = read_forcing_file(gappy, options);
  EXPECT_NEAR(filled.ta[10], 0.5 * (jax.ta[9] + jax.ta[11]), 1e-9);
  options.fill = ForcingGapFill::None;
  options.max_gap = 0;
  // Times in UTC are refused: the model needs local standard time.
  NetcdfLayout utc;
  utc.time_units = "seconds since 2020-06-30 00:00:00 UTC";
  expect_error(write_alma(jax, dir, utc, "utc.nc"), options, "time.units", "local standard time");
  NetcdfLayout no_since;
  no_since.time_units = "seconds";
  expect_error(write_alma(jax, dir, no_since, "nosince.nc"), options, "time.units", "'<unit> since <date>'");
  // A grid of two cells is not one site: its series are not taken.
  NetcdfLayout grid;
  grid.x = 2;
  expect_error(write_alma(jax, dir, grid, "grid.nc"), options, "ta, rg, eair, ws, co2, pa, lai", "missing");
  // A supplement that misses a half-hour names it.
  const std::string short_supplement = dir.write("short.csv", "TIMESTAMP_END,USTAR,TS,SWC,veg_ht\n"
                                                              "2020-07-01 00:00:00,0.3,20,0.3,0.8\n");
  options.supplement = short_supplement;
  expect_error(nc, options, "ustar", "no value for the half-hour ending 2020-07-01 00:30:00", 0, short_supplement);
  // A file that is not NetCDF at all but named .nc is read as CSV and refused as such.
  const std::string fake = dir.write("fake.nc", "not,a,forcing\n1,2,3\n");
  EXPECT_THROW(read_forcing_file(fake, options), InputError);
}

TEST(Netcdf, RunFromTheCommandLine) {
  test::TempDir dir;
  const ForcingRecord jax = jax_slice();
  const std::string nc = write_alma(jax, dir, {});
  const std::string supplement = write_supplement(jax, dir);
  const std::string model = test::shell_quote(test::trained("US-Bi1_PB-1L-0.5.json"));
  const test::CommandResult r =
      test::run_canveg("run --model " + model + " --forcing " + test::shell_quote(nc) + " --supplement " +
                           test::shell_quote(supplement) + " --output " + test::shell_quote(dir.file("out.csv")),
                       dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("ta <- Tair [K]"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("ustar <- " + supplement), std::string::npos) << r.err;
  const std::string out = test::read_text(dir.file("out.csv"));
  EXPECT_EQ(out.rfind("TIMESTAMP_END,", 0), 0u) << out.substr(0, 80);
  EXPECT_NE(out.find("\n2020-07-01 00:30:00,"), std::string::npos);
}

TEST(Netcdf, ConvertedFilesGiveTheSameFluxesOverAFullTestPeriod) {
  // `canveg convert` writes the US-Bi1 test forcing (26,304 half-hours) as FULLSET CSV and as ALMA
  // NetCDF; `canveg run` on each gives the fluxes of the JAX-CanVeg CSV to round-off
  // (expect_round_off; the 192-row tests above hold 1e-9 relative row by row).
  test::TempDir dir;
  const std::string forcing = test::fluxtower("US-Bi1", "US-Bi1-forcings-test.csv");
  const std::string model = test::shell_quote(test::trained("US-Bi1_PB-1L-0.5.json"));
  const std::string fullset = dir.file("US-Bi1_FULLSET.csv"), alma = dir.file("US-Bi1.nc");
  ASSERT_EQ(test::run_canveg("convert --quiet --forcing " + test::shell_quote(forcing) + " --to fullset --output " +
                                 test::shell_quote(fullset), dir)
                .exit_code,
            0);
  const test::CommandResult c =
      test::run_canveg("convert --forcing " + test::shell_quote(forcing) + " --to alma --output " + test::shell_quote(alma), dir);
  ASSERT_EQ(c.exit_code, 0) << c.err;
  const std::string supplement = dir.file("US-Bi1-supplement.csv");
  EXPECT_NE(c.err.find("--supplement " + supplement), std::string::npos) << c.err;

  const auto run = [&](const std::string& args, const std::string& out) {
    const test::CommandResult r = test::run_canveg("run --quiet --model " + model + " " + args + " --output " +
                                                       test::shell_quote(dir.file(out)), dir);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return io::read_predicted_fluxes(dir.file(out));
  };
  const io::PredictedFluxes reference = run("--forcing " + test::shell_quote(forcing), "jax.csv");
  const io::PredictedFluxes from_fullset = run("--forcing " + test::shell_quote(fullset), "fullset-out.csv");
  const io::PredictedFluxes from_alma =
      run("--forcing " + test::shell_quote(alma) + " --supplement " + test::shell_quote(supplement), "alma-out.csv");
  ASSERT_EQ(reference.LE.size(), 26304u);
  EXPECT_EQ(from_fullset.timestamp, reference.timestamp);
  EXPECT_EQ(from_alma.timestamp, reference.timestamp);
  expect_round_off(from_fullset.LE, reference.LE, "FULLSET LE");
  expect_round_off(from_fullset.NEE, reference.NEE, "FULLSET NEE");
  expect_round_off(from_alma.LE, reference.LE, "ALMA LE");
  expect_round_off(from_alma.NEE, reference.NEE, "ALMA NEE");
  // The forcings themselves agree to a few ulps.
  const ForcingRecord jax = read_forcing_csv(forcing);
  ForcingReadOptions with_supplement;
  with_supplement.supplement = supplement;
  const ForcingRecord a = read_forcing_file(fullset), b = read_forcing_file(alma, with_supplement);
  for (std::size_t i = 0; i < kForcingCount; ++i) {
    expect_relative(forcing_series(a, i), forcing_series(jax, i), 1e-13, "FULLSET " + std::string(kForcingFields[i].name));
    expect_relative(forcing_series(b, i), forcing_series(jax, i), 1e-13, "ALMA " + std::string(kForcingFields[i].name));
  }
  // The output is never written over an input.
  EXPECT_EQ(test::run_canveg("convert --quiet --forcing " + test::shell_quote(forcing) + " --to fullset --output " +
                                 test::shell_quote(forcing), dir)
                .exit_code,
            1);
}

namespace {

// A PLUMBER2-style flux file of `steps` half-hours starting 2020-07-01 00:00 (time marks the start):
// Qle = 100 + step, NEE = -step / 10, NEE's units as given.
std::string write_flux_netcdf(const test::TempDir& dir, const std::string& name, std::size_t steps,
                              const std::string& nee_units) {
  const std::string path = dir.file(name);
  int nc = 0, time_dim = 0, time_var = 0, le_var = 0, nee_var = 0;
  ok(nc_create(path.c_str(), NC_CLOBBER | NC_NETCDF4, &nc));
  ok(nc_def_dim(nc, "time", steps, &time_dim));
  ok(nc_def_var(nc, "time", NC_DOUBLE, 1, &time_dim, &time_var));
  const std::string time_units = "minutes since 2020-07-01 00:00:00";
  ok(nc_put_att_text(nc, time_var, "units", time_units.size(), time_units.c_str()));
  ok(nc_def_var(nc, "Qle", NC_DOUBLE, 1, &time_dim, &le_var));
  ok(nc_put_att_text(nc, le_var, "units", 4, "W/m2"));
  ok(nc_def_var(nc, "NEE", NC_DOUBLE, 1, &time_dim, &nee_var));
  ok(nc_put_att_text(nc, nee_var, "units", nee_units.size(), nee_units.c_str()));
  ok(nc_enddef(nc));
  std::vector<double> time(steps), le(steps), nee(steps);
  for (std::size_t i = 0; i < steps; ++i) time[i] = 30.0 * double(i), le[i] = 100.0 + double(i), nee[i] = -0.1 * double(i);
  ok(nc_put_var_double(nc, time_var, time.data()));
  ok(nc_put_var_double(nc, le_var, le.data()));
  ok(nc_put_var_double(nc, nee_var, nee.data()));
  ok(nc_close(nc));
  return path;
}

}  // namespace

// Observed fluxes from NetCDF (ALMA names, time marking the start of the half-hour) read as a CSV
// of the same values would be; fluxes in a unit the scores do not use are refused, not scored.
TEST(Netcdf, ObservedFluxesFromNetcdf) {
  test::TempDir dir;
  const ObservedFluxes obs = read_flux_csv(write_flux_netcdf(dir, "fluxes.nc", 4, "umol/m2/s"));
  EXPECT_EQ(obs.le_column, "Qle");
  EXPECT_EQ(obs.nee_column, "NEE");
  ASSERT_EQ(obs.size(), 4u);
  EXPECT_EQ(obs.timestamp.front(), "2020-07-01 00:30:00");
  EXPECT_EQ(obs.timestamp.back(), "2020-07-01 02:00:00");
  EXPECT_EQ(obs.LE, (std::vector<double>{100.0, 101.0, 102.0, 103.0}));
  EXPECT_EQ(obs.NEE[3], -0.1 * 3.0);
  const std::string grams = write_flux_netcdf(dir, "grams.nc", 4, "gC/m2/d");
  try {
    (void)read_flux_csv(grams);
    ADD_FAILURE() << "NEE in gC/m2/d was accepted";
  } catch (const InputError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(grams + ": field 'NEE': the variable's units are 'gC/m2/d'"), std::string::npos) << what;
  }
}
