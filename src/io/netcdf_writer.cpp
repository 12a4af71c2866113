#include "io/netcdf_writer.hpp"

#include <netcdf.h>

#include "canveg/errors.hpp"

namespace canveg::io {

namespace {

void netcdf_ok(int status, const std::string& path, const std::string& what) {
  if (status != NC_NOERR)
    throw InputError(path, 0, what, std::string("cannot write the NetCDF file: ") + nc_strerror(status));
}

void put_text(int nc, int var, const std::string& name, const std::string& value, const std::string& path) {
  netcdf_ok(nc_put_att_text(nc, var, name.c_str(), value.size(), value.c_str()), path, name);
}

}  // namespace

void write_half_hourly_netcdf(const std::string& file_path, const std::string& path, const std::vector<Minutes>& ends,
                              const std::vector<NetcdfSeries>& series,
                              const std::vector<std::pair<std::string, std::string>>& global_attributes,
                              const std::optional<NetcdfSite>& site) {
  if (ends.empty()) throw InputError(path, 0, "", "no half-hours to write");
  if (file_path.empty())  // AtomicOutputFile writes a device or pipe directly
    throw InputError(path, 0, "", "a NetCDF file cannot be written to a device or pipe (netCDF-C seeks in it); give a file path");
  // Time: seconds since the start of the first half-hour's day, marking each half-hour's start.
  const Minutes first_start = ends.front() - kHalfHour;
  const Minutes day_start = first_start - ((first_start % 1440) + 1440) % 1440;
  const std::string time_units = "seconds since " + format_timestamp(day_start).substr(0, 10) + " 00:00:00";
  const std::size_t n = ends.size();
  std::vector<double> time(n), bounds(2 * n);
  for (std::size_t r = 0; r < n; ++r) {
    const double start = 60.0 * static_cast<double>(ends[r] - kHalfHour - day_start);
    time[r] = start;
    bounds[2 * r] = start;
    bounds[2 * r + 1] = start + 1800.0;
  }
  for (const NetcdfSeries& s : series)
    if (!s.values || s.values->size() != n)
      throw InputError(path, 0, s.name, "has " + std::to_string(s.values ? s.values->size() : 0) + " values for " +
                                            std::to_string(n) + " half-hours");

  int nc = -1;
  netcdf_ok(nc_create(file_path.c_str(), NC_CLOBBER | NC_NETCDF4, &nc), path, "");
  try {
    int time_dim, y_dim, x_dim, nv_dim, time_var, bounds_var, lat_var = -1, lon_var = -1;
    netcdf_ok(nc_def_dim(nc, "time", n, &time_dim), path, "time");
    netcdf_ok(nc_def_dim(nc, "y", 1, &y_dim), path, "y");
    netcdf_ok(nc_def_dim(nc, "x", 1, &x_dim), path, "x");
    netcdf_ok(nc_def_dim(nc, "nv", 2, &nv_dim), path, "nv");
    netcdf_ok(nc_def_var(nc, "time", NC_DOUBLE, 1, &time_dim, &time_var), path, "time");
    put_text(nc, time_var, "units", time_units, path);
    put_text(nc, time_var, "calendar", "standard", path);
    put_text(nc, time_var, "bounds", "time_bnds", path);
    put_text(nc, time_var, "standard_name", "time", path);
    const int bounds_dims[2] = {time_dim, nv_dim};
    netcdf_ok(nc_def_var(nc, "time_bnds", NC_DOUBLE, 2, bounds_dims, &bounds_var), path, "time_bnds");
    const int site_dims[2] = {y_dim, x_dim};
    if (site) {
      netcdf_ok(nc_def_var(nc, "latitude", NC_DOUBLE, 2, site_dims, &lat_var), path, "latitude");
      put_text(nc, lat_var, "units", "degrees_north", path);
      put_text(nc, lat_var, "standard_name", "latitude", path);
      netcdf_ok(nc_def_var(nc, "longitude", NC_DOUBLE, 2, site_dims, &lon_var), path, "longitude");
      put_text(nc, lon_var, "units", "degrees_east", path);
      put_text(nc, lon_var, "standard_name", "longitude", path);
    }
    const int dims[3] = {time_dim, y_dim, x_dim};
    std::vector<int> vars;
    for (const NetcdfSeries& s : series) {
      int v;
      netcdf_ok(nc_def_var(nc, s.name.c_str(), NC_DOUBLE, 3, dims, &v), path, s.name);
      put_text(nc, v, "units", s.units, path);
      put_text(nc, v, "long_name", s.long_name, path);
      if (site) put_text(nc, v, "coordinates", "latitude longitude", path);
      for (const auto& [name, value] : s.notes) put_text(nc, v, name, value, path);
      vars.push_back(v);
    }
    put_text(nc, NC_GLOBAL, "time_convention",
             "time in local standard time; each value describes the half-hour starting at its time", path);
    for (const auto& [name, value] : global_attributes) put_text(nc, NC_GLOBAL, name, value, path);
    netcdf_ok(nc_enddef(nc), path, "");
    netcdf_ok(nc_put_var_double(nc, time_var, time.data()), path, "time");
    netcdf_ok(nc_put_var_double(nc, bounds_var, bounds.data()), path, "time_bnds");
    if (site) {
      netcdf_ok(nc_put_var_double(nc, lat_var, &site->latitude), path, "latitude");
      netcdf_ok(nc_put_var_double(nc, lon_var, &site->longitude), path, "longitude");
    }
    for (std::size_t i = 0; i < series.size(); ++i)
      netcdf_ok(nc_put_var_double(nc, vars[i], series[i].values->data()), path, series[i].name);
  } catch (...) {
    nc_close(nc);
    throw;
  }
  netcdf_ok(nc_close(nc), path, "");
}

}  // namespace canveg::io
