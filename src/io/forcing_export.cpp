// Forcing records written as FULLSET-style CSV and ALMA/PLUMBER2-style NetCDF (forcing_export.hpp).
#include "canveg/forcing_export.hpp"

#include <netcdf.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "canveg/errors.hpp"
#include "canveg/output_io.hpp"
#include "io/time_axis.hpp"
#include "io/units.hpp"

namespace canveg {
namespace {

std::string exact(double v) {
  std::string text;
  io::append_number(text, v);
  return text;
}

// The end of every half-hour of a record (its time stamps were checked when it was read).
std::vector<io::Minutes> half_hour_ends(const ForcingRecord& record, const std::string& output) {
  if (record.size() == 0) throw InputError(output, 0, "", "the forcing record is empty");
  std::vector<io::Minutes> ends(record.size());
  for (std::size_t r = 0; r < record.size(); ++r) {
    const auto t = r < record.timestamp.size() ? io::parse_timestamp(record.timestamp[r]) : std::nullopt;
    if (!t) throw InputError(record.source, 0, "timestamp", "row " + std::to_string(r + 1) + " has no time stamp");
    ends[r] = *t;
  }
  return ends;
}

// "YYYY-MM-DD HH:MM:SS" -> "YYYYMMDDHHMM".
std::string compact(io::Minutes t) {
  const std::string iso = io::format_timestamp(t);
  return iso.substr(0, 4) + iso.substr(5, 2) + iso.substr(8, 2) + iso.substr(11, 2) + iso.substr(14, 2);
}

void netcdf_ok(int status, const std::string& path, const std::string& what) {
  if (status != NC_NOERR) throw InputError(path, 0, what, std::string("cannot write the NetCDF file: ") + nc_strerror(status));
}

}  // namespace

void write_forcing_fullset(const ForcingRecord& record, const std::string& path, const std::vector<std::string>& inputs) {
  const std::vector<io::Minutes> ends = half_hour_ends(record, path);
  io::AtomicOutputFile file(path, inputs);
  std::ostream& out = file.stream();
  out << "TIMESTAMP_START,TIMESTAMP_END,TA_F,SW_IN_F,VPD_F,PA_F,WS_F,USTAR,CO2_F_MDS,TS_F_MDS_1,SWC_F_MDS_1,LAI,"
         "canopy_height\n";
  for (std::size_t r = 0; r < record.size(); ++r) {
    const double vpd_hpa = 10.0 * (io::saturation_vapour_pressure_kpa(record.ta[r]) - record.eair[r]);
    out << compact(ends[r] - io::kHalfHour) << ',' << compact(ends[r]) << ',' << exact(record.ta[r]) << ','
        << exact(record.rg[r]) << ',' << exact(vpd_hpa) << ',' << exact(record.pa[r]) << ',' << exact(record.ws[r]) << ','
        << exact(record.ustar[r]) << ',' << exact(record.co2[r]) << ',' << exact(record.ts[r]) << ','
        << exact(100.0 * record.swc[r]) << ',' << exact(record.lai[r]) << ',' << exact(record.veg_ht[r]) << '\n';
  }
  file.commit();
}

void write_forcing_alma(const ForcingRecord& record, const std::string& netcdf_path, const std::string& supplement_path,
                        const std::vector<std::string>& inputs) {
  const std::vector<io::Minutes> ends = half_hour_ends(record, netcdf_path);
  std::vector<std::string> not_over = inputs;
  not_over.push_back(supplement_path);
  io::AtomicOutputFile netcdf(netcdf_path, not_over);
  not_over.back() = netcdf_path;
  io::AtomicOutputFile supplement(supplement_path, not_over);

  // Time: seconds since the start of the first half-hour's day, marking each half-hour's start.
  const io::Minutes first_start = ends.front() - io::kHalfHour;
  const io::Minutes day_start = first_start - ((first_start % 1440) + 1440) % 1440;
  const std::string day = io::format_timestamp(day_start).substr(0, 10);
  const std::string time_units = "seconds since " + day + " 00:00:00";
  const std::size_t n = record.size();
  std::vector<double> time(n), bounds(2 * n);
  for (std::size_t r = 0; r < n; ++r) {
    const double start = 60.0 * static_cast<double>(ends[r] - io::kHalfHour - day_start);
    time[r] = start;
    bounds[2 * r] = start;
    bounds[2 * r + 1] = start + 1800.0;
  }
  struct Series {
    const char* name;
    const char* units;
    const char* long_name;
    std::vector<double> values;
  };
  std::vector<Series> series = {{"Tair", "K", "near-surface air temperature", {}},
                                {"SWdown", "W/m2", "downward shortwave radiation", {}},
                                {"Qair", "kg/kg", "near-surface specific humidity", {}},
                                {"Wind", "m/s", "near-surface wind speed", {}},
                                {"PSurf", "Pa", "surface air pressure", {}},
                                {"CO2air", "ppm", "near-surface CO2 concentration", {}},
                                {"LAI", "1", "leaf area index", {}}};
  for (std::size_t r = 0; r < n; ++r) {
    const double e = record.eair[r], p = record.pa[r];
    series[0].values.push_back(record.ta[r] + 273.15);
    series[1].values.push_back(record.rg[r]);
    series[2].values.push_back(0.622 * e / (p - 0.378 * e));  // inverse of e = q p / (0.622 + 0.378 q)
    series[3].values.push_back(record.ws[r]);
    series[4].values.push_back(1000.0 * p);
    series[5].values.push_back(record.co2[r]);
    series[6].values.push_back(record.lai[r]);
  }

  // netCDF writes its own file: it replaces the (empty) temporary file, which is then renamed.
  const std::string& temp = netcdf.temp_path();
  int nc = -1;
  netcdf_ok(nc_create(temp.c_str(), NC_CLOBBER | NC_NETCDF4, &nc), netcdf_path, "");
  try {
    int time_dim, y_dim, x_dim, nv_dim, time_var, bounds_var;
    netcdf_ok(nc_def_dim(nc, "time", n, &time_dim), netcdf_path, "time");
    netcdf_ok(nc_def_dim(nc, "y", 1, &y_dim), netcdf_path, "y");
    netcdf_ok(nc_def_dim(nc, "x", 1, &x_dim), netcdf_path, "x");
    netcdf_ok(nc_def_dim(nc, "nv", 2, &nv_dim), netcdf_path, "nv");
    netcdf_ok(nc_def_var(nc, "time", NC_DOUBLE, 1, &time_dim, &time_var), netcdf_path, "time");
    netcdf_ok(nc_put_att_text(nc, time_var, "units", time_units.size(), time_units.c_str()), netcdf_path, "time");
    netcdf_ok(nc_put_att_text(nc, time_var, "calendar", 8, "standard"), netcdf_path, "time");
    netcdf_ok(nc_put_att_text(nc, time_var, "bounds", 9, "time_bnds"), netcdf_path, "time");
    const int bounds_dims[2] = {time_dim, nv_dim};
    netcdf_ok(nc_def_var(nc, "time_bnds", NC_DOUBLE, 2, bounds_dims, &bounds_var), netcdf_path, "time_bnds");
    const int dims[3] = {time_dim, y_dim, x_dim};
    std::vector<int> vars;
    for (const Series& s : series) {
      int v;
      netcdf_ok(nc_def_var(nc, s.name, NC_DOUBLE, 3, dims, &v), netcdf_path, s.name);
      netcdf_ok(nc_put_att_text(nc, v, "units", std::strlen(s.units), s.units), netcdf_path, s.name);
      netcdf_ok(nc_put_att_text(nc, v, "long_name", std::strlen(s.long_name), s.long_name), netcdf_path, s.name);
      vars.push_back(v);
    }
    const char* convention = "time in local standard time; each value describes the half-hour starting at its time";
    netcdf_ok(nc_put_att_text(nc, NC_GLOBAL, "time_convention", std::strlen(convention), convention), netcdf_path, "");
    netcdf_ok(nc_put_att_text(nc, NC_GLOBAL, "source", record.source.size(), record.source.c_str()), netcdf_path, "");
    netcdf_ok(nc_enddef(nc), netcdf_path, "");
    netcdf_ok(nc_put_var_double(nc, time_var, time.data()), netcdf_path, "time");
    netcdf_ok(nc_put_var_double(nc, bounds_var, bounds.data()), netcdf_path, "time_bnds");
    for (std::size_t i = 0; i < series.size(); ++i)
      netcdf_ok(nc_put_var_double(nc, vars[i], series[i].values.data()), netcdf_path, series[i].name);
  } catch (...) {
    nc_close(nc);
    throw;
  }
  netcdf_ok(nc_close(nc), netcdf_path, "");

  std::ostream& out = supplement.stream();
  out << "TIMESTAMP_END,USTAR,TS,SWC,veg_ht\n";
  for (std::size_t r = 0; r < n; ++r)
    out << io::format_timestamp(ends[r]) << ',' << exact(record.ustar[r]) << ',' << exact(record.ts[r]) << ','
        << exact(record.swc[r]) << ',' << exact(record.veg_ht[r]) << '\n';
  supplement.commit();
  netcdf.commit();
}

}  // namespace canveg
