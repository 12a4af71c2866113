// `canveg run --output fluxes.nc`: the outputs as an ALMA/CF NetCDF file. Read back through the
// netCDF C library (every value equal to the CSV output's, units, directions, time axis, site and
// run attributes), by ncdump, and by xarray (Debian's python3-xarray), as a modeller would.
#include <netcdf.h>

#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "canveg/canveg.hpp"
#include "io/csv_table.hpp"
#include "test_support.hpp"

namespace {

using namespace canveg;

void ok(int status) {
  if (status != NC_NOERR) throw std::runtime_error(nc_strerror(status));
}

class NetcdfFile {
 public:
  explicit NetcdfFile(const std::string& path) { ok(nc_open(path.c_str(), NC_NOWRITE, &nc_)); }
  ~NetcdfFile() { nc_close(nc_); }
  bool has(const std::string& var) const {
    int id;
    return nc_inq_varid(nc_, var.c_str(), &id) == NC_NOERR;
  }
  std::vector<double> values(const std::string& var) const {
    int id, ndims, dims[NC_MAX_VAR_DIMS];
    ok(nc_inq_varid(nc_, var.c_str(), &id));
    ok(nc_inq_varndims(nc_, id, &ndims));
    ok(nc_inq_vardimid(nc_, id, dims));
    std::size_t n = 1;
    for (int d = 0; d < ndims; ++d) {
      std::size_t len;
      ok(nc_inq_dimlen(nc_, dims[d], &len));
      n *= len;
    }
    std::vector<double> v(n);
    ok(nc_get_var_double(nc_, id, v.data()));
    return v;
  }
  // A text attribute of `var` ("" for the global ones); "" when absent.
  std::string text(const std::string& var, const std::string& attribute) const {
    int id = NC_GLOBAL;
    if (!var.empty()) ok(nc_inq_varid(nc_, var.c_str(), &id));
    std::size_t len;
    if (nc_inq_attlen(nc_, id, attribute.c_str(), &len) != NC_NOERR) return "";
    std::string s(len, '\0');
    ok(nc_get_att_text(nc_, id, attribute.c_str(), s.data()));
    return s;
  }

 private:
  int nc_ = -1;
};

class NetcdfOutput : public ::testing::Test {
 protected:
  static constexpr int kRows = 96;
  test::TempDir dir_;
  std::string forcing_ = dir_.write("forcing.csv", test::head_lines(test::fluxtower("US-Bi1", "US-Bi1-forcings-test.csv"),
                                                                     kRows + 1));

  // Runs `model` with `extra` options into out.csv and out.nc.
  void run_both(const std::string& model, const std::string& extra = "") {
    for (const char* out : {"out.csv", "out.nc"}) {
      const test::CommandResult r =
          test::run_canveg("run --quiet --model " + test::shell_quote(test::trained(model)) + " --forcing " +
                               test::shell_quote(forcing_) + " --output " + test::shell_quote(dir_.file(out)) + " " + extra,
                           dir_);
      ASSERT_EQ(r.exit_code, 0) << r.err;
    }
  }
  std::vector<double> csv_column(const std::string& name) const {
    const io::CsvTable table = io::CsvTable::read(dir_.file("out.csv"));
    return table.column(*table.find_exact(name), io::EmptyCell::Error);
  }
};

TEST_F(NetcdfOutput, EveryOutputEqualsTheCsvWithAlmaNamesAndUnits) {
  run_both("US-Bi1_PB-ML-0.5.json", "--diagnostics --convergence");
  const NetcdfFile nc(dir_.file("out.nc"));
  // ALMA names for the six evaluated fluxes, canveg's for the rest; values identical (both exact).
  const std::vector<std::pair<std::string, std::string>> alma = {{"LE", "Qle"}, {"H", "Qh"},     {"G", "Qg"},
                                                                 {"Rnet", "Rnet"}, {"NEE", "NEE"}, {"GPP", "GPP"}};
  for (const OutputField& f : kOutputFields) {
    std::string name(f.name);
    for (const auto& [canveg_name, alma_name] : alma)
      if (canveg_name == name) name = alma_name;
    ASSERT_TRUE(nc.has(name)) << name;
    EXPECT_EQ(nc.values(name), csv_column(std::string(f.name))) << name;
  }
  for (const DiagnosticField& f : kDiagnosticFields) EXPECT_EQ(nc.values(std::string(f.name)), csv_column(std::string(f.name)));
  for (const DiagnosticField& f : kConvergenceFields) EXPECT_EQ(nc.values(std::string(f.name)), csv_column(std::string(f.name)));
  EXPECT_FALSE(nc.has("LE"));

  EXPECT_EQ(nc.text("Qle", "units"), "W/m2");
  EXPECT_EQ(nc.text("Qle", "canveg_name"), "LE");
  EXPECT_NE(nc.text("Qle", "comment").find("positive upward"), std::string::npos);
  EXPECT_NE(nc.text("Qg", "comment").find("positive downward"), std::string::npos);
  EXPECT_EQ(nc.text("NEE", "units"), "umol/m2/s");
  EXPECT_EQ(nc.text("gs", "units"), "m s-1");
  EXPECT_EQ(nc.text("zL", "units"), "1");
  EXPECT_EQ(nc.text("layer_closure_max", "units"), "W m-2");
  EXPECT_EQ(nc.text("layer_closure_max", "comment"), "per unit leaf area");

  // Time: seconds since the first half-hour's day, marking starts; the first row ends 2020-07-01 00:00
  // (the test forcing's first time stamp), so it starts at 2020-06-30 23:30; bounds span each half-hour.
  EXPECT_EQ(nc.text("time", "units"), "seconds since 2020-06-30 00:00:00");
  const std::vector<double> time = nc.values("time"), bounds = nc.values("time_bnds");
  ASSERT_EQ(time.size(), static_cast<std::size_t>(kRows));
  for (int r = 0; r < kRows; ++r) {
    EXPECT_EQ(time[r], 84600.0 + 1800.0 * r);
    EXPECT_EQ(bounds[2 * r + 1] - bounds[2 * r], 1800.0);
  }
  // Site and run.
  EXPECT_DOUBLE_EQ(nc.values("latitude")[0], 38.0991538);
  EXPECT_DOUBLE_EQ(nc.values("longitude")[0], -121.49933);
  EXPECT_EQ(nc.text("", "site_name"), "US-Bi1");
  EXPECT_EQ(nc.text("", "Conventions"), "CF-1.8");
  EXPECT_EQ(nc.text("", "formulation").rfind("jax", 0), 0u) << nc.text("", "formulation");
  EXPECT_NE(nc.text("", "model_file").find("US-Bi1_PB-ML-0.5.json"), std::string::npos);
  EXPECT_EQ(nc.text("", "forcing_file"), forcing_);
  EXPECT_EQ(nc.text("", "canopy_layers"), "50");
  EXPECT_EQ(nc.text("", "iterations"), "15");
}

TEST_F(NetcdfOutput, FormulationAttributeFollowsTheRun) {
  run_both("US-Bi1_PB-1L-0.5.json", "--formulation corrected");
  EXPECT_EQ(NetcdfFile(dir_.file("out.nc")).text("", "formulation").rfind("corrected", 0), 0u);
}

TEST_F(NetcdfOutput, NeuralNetworkBaseline) {
  const std::string scaler = " --scaler-forcing " + test::shell_quote(test::fluxtower("US-Bi1", "US-Bi1-forcings.csv")) +
                             " --scaler-fluxes " + test::shell_quote(test::fluxtower("US-Bi1", "US-Bi1-fluxes.csv"));
  run_both("US-Bi1_DNN_LE-GPP-0.5.json", scaler);
  const NetcdfFile nc(dir_.file("out.nc"));
  EXPECT_EQ(nc.values("Qle"), csv_column("LE"));
  EXPECT_EQ(nc.values("NEE"), csv_column("NEE"));
  EXPECT_FALSE(nc.has("Qh"));
}

TEST_F(NetcdfOutput, ReadableByNcdump) {
  run_both("US-Bi1_PB-1L-0.5.json");
  if (std::system("command -v ncdump >/dev/null 2>&1") != 0) GTEST_SKIP() << "ncdump (netcdf-bin) not installed";
  const std::string listing = dir_.file("ncdump.txt");
  ASSERT_EQ(std::system(("ncdump -h " + test::shell_quote(dir_.file("out.nc")) + " > " + test::shell_quote(listing)).c_str()), 0);
  const std::string header = test::read_text(listing);
  EXPECT_NE(header.find("double Qle(time, y, x)"), std::string::npos) << header;
  EXPECT_NE(header.find("Qle:units = \"W/m2\""), std::string::npos);
  EXPECT_NE(header.find(":formulation = \"jax"), std::string::npos);
}

TEST_F(NetcdfOutput, ReadableByXarray) {
  run_both("US-Bi1_PB-1L-0.5.json");
  if (std::system("/usr/bin/python3 -c 'import xarray, netCDF4' >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "python3-xarray / python3-netcdf4 not installed";
  // xarray decodes the CF time axis to dates and reads the variables as the C library does.
  const std::string script = dir_.write("read.py",
                                        "import sys, xarray\n"
                                        "ds = xarray.open_dataset(sys.argv[1])\n"
                                        "print(str(ds.time.values[0])[:19])\n"
                                        "print(str(ds.time.values[-1])[:19])\n"
                                        "print(ds.Qle.attrs['units'])\n"
                                        "print(repr(float(ds.Qle.values[5, 0, 0])))\n"
                                        "print(ds.attrs['site_name'])\n");
  const std::string out = dir_.file("xarray.txt");
  ASSERT_EQ(std::system(("/usr/bin/python3 " + test::shell_quote(script) + " " + test::shell_quote(dir_.file("out.nc")) +
                         " > " + test::shell_quote(out))
                            .c_str()),
            0);
  char le5[40];
  std::snprintf(le5, sizeof le5, "%.17g", csv_column("LE")[5]);
  const std::string expected = "2020-06-30T23:30:00\n2020-07-02T23:00:00\nW/m2\n";
  const std::string text = test::read_text(out);
  EXPECT_EQ(text.substr(0, expected.size()), expected) << text;
  const double xarray_le5 = std::stod(text.substr(expected.size()));
  EXPECT_EQ(xarray_le5, std::stod(le5));
  EXPECT_NE(text.find("US-Bi1\n"), std::string::npos);
}

TEST_F(NetcdfOutput, MissingFolderIsRefused) {
  const test::CommandResult missing = test::run_canveg(
      "run --quiet --model " + test::shell_quote(test::trained("US-Bi1_PB-1L-0.5.json")) + " --forcing " +
          test::shell_quote(forcing_) + " --output " + test::shell_quote(dir_.file("no/such/folder/out.nc")),
      dir_);
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("does not exist"), std::string::npos) << missing.err;
}

}  // namespace
