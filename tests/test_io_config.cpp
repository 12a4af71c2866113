#include <cmath>

#include <gtest/gtest.h>

#include "canveg/errors.hpp"
#include "canveg/model_io.hpp"
#include "test_support.hpp"

using namespace canveg;
using namespace canveg::test;

namespace {

std::string site_file(const std::string& site) {
  return std::string(CANVEG_SOURCE_DIR) + "/examples/sites/" + site + ".toml";
}

// A minimal valid site file with J = 1, K = 2 and a 3 x 1 matrix next to it.
std::string small_site(const TempDir& dir, const std::string& extra = "", const std::string& canopy_extra = "") {
  dir.write("dij.csv", "1.5\n0.5\n0\n");
  return "[site]\nlatitude = 40.0\nlongitude = -100.0\ntime_zone = -6\n"
         "[canopy]\nheight = 1.0\nmeasurement_height = 3.0\ncanopy_layers = 1\natmosphere_layers = 2\n" +
         canopy_extra + "[dispersion]\nmatrix = \"dij.csv\"\n" + extra;
}

void expect_toml_error(const TempDir& dir, const std::string& toml, long line, const std::string& field,
                       const std::string& text) {
  const std::string path = dir.write("site.toml", toml);
  try {
    read_site_toml(path);
    FAIL() << "expected InputError for " << field;
  } catch (const InputError& e) {
    EXPECT_EQ(e.file(), path);
    EXPECT_EQ(e.line(), line) << e.what();
    EXPECT_EQ(e.field(), field) << e.what();
    EXPECT_NE(std::string(e.what()).find(text), std::string::npos) << e.what();
  }
}

const char* kJaxConfig = R"({
  "site name": "Test-Site",
  "model configurations": {
    "time zone": -8, "latitude": 38.1, "longitude": -121.5,
    "canopy height": 0.8, "measurement height": 5.0, "soil depth": 0.15,
    "number of canopy layers": 1, "number of atmospheric layers": 2,
    "number of observed steps per day": 48, "number of solver iterations": 15,
    "dispersion matrix": "dij/d.csv", "model type": null, "model parameters": null
  },
  "data": {"training forcings": "f.csv"}
})";

}  // namespace

TEST(SiteToml, ExampleSitesMatchTrainedSetups) {
  for (const std::string site : {"US-Bi1", "US-Hn1", "US-Me2", "US-Whs"}) {
    SCOPED_TRACE(site);
    const LoadedModel toml = read_site_toml(site_file(site));
    const LoadedModel trained_model = read_model_json(trained(site + "_PB-ML-0.5.json"));
    const canveg::Setup& a = toml.model.setup;
    const canveg::Setup& b = trained_model.model.setup;
    EXPECT_EQ(a.site_name, site);
    EXPECT_EQ(a.latitude, b.latitude);
    EXPECT_EQ(a.longitude, b.longitude);
    EXPECT_EQ(a.time_zone, b.time_zone);
    EXPECT_EQ(a.canopy_height, b.canopy_height);
    EXPECT_EQ(a.measurement_height, b.measurement_height);
    EXPECT_EQ(a.leaf_angle_type, b.leaf_angle_type);
    EXPECT_EQ(a.stomata, b.stomata);
    EXPECT_EQ(a.soil_respiration, b.soil_respiration);
    EXPECT_EQ(a.n_can_layers, b.n_can_layers);
    EXPECT_EQ(a.n_total_layers, b.n_total_layers);
    EXPECT_EQ(a.n_soil_layers, b.n_soil_layers);
    EXPECT_EQ(a.dt_soil, b.dt_soil);
    EXPECT_EQ(a.soil_mtime, b.soil_mtime);
    EXPECT_EQ(a.niter, b.niter);
    EXPECT_EQ(a.soil_depth, b.soil_depth);
    ASSERT_EQ(a.zht.size(), b.zht.size());
    for (std::size_t i = 0; i < a.zht.size(); ++i) {
      EXPECT_NEAR(a.zht[i], b.zht[i], 1e-12 * b.measurement_height);
      EXPECT_NEAR(a.delz[i], b.delz[i], 1e-12 * b.measurement_height);
    }
    EXPECT_EQ(toml.model.dij, trained_model.model.dij);
    EXPECT_EQ(toml.model.para.vcopt, 171.0);  // defaults
    EXPECT_EQ(toml.model.para.hkin, 200000.0);
    EXPECT_TRUE(toml.model.leaf_rh_net.empty());
    EXPECT_FALSE(toml.reported.present);
  }
}

TEST(SiteToml, SmallSiteWithOverrides) {
  TempDir dir;
  const std::string path = dir.write(
      "my-site.toml", small_site(dir, "[parameters]\nvcopt = 150\nhkin = 99999.0\n[soil]\nrespiration = \"alfalfa\"\n",
                                 "leaf_angle_type = \"erectophile\"\nstomata = \"hypostomatous\"\n"));
  const LoadedModel m = read_site_toml(path);
  const canveg::Setup& s = m.model.setup;
  EXPECT_EQ(s.site_name, "my-site");
  EXPECT_EQ(s.leaf_angle_type, 2);
  EXPECT_EQ(s.stomata, StomataType::Hypostomatous);
  EXPECT_EQ(s.soil_respiration, SoilRespirationModule::Alfalfa);
  EXPECT_EQ(s.n_total_layers, 3);
  EXPECT_EQ(s.zht, (std::vector<double>{1.0, 2.0, 3.0}));
  EXPECT_EQ(s.delz, (std::vector<double>{1.0, 1.0, 1.0}));
  EXPECT_EQ(s.soil_mtime, 90);
  EXPECT_EQ(m.model.para.vcopt, 150.0);
  EXPECT_EQ(m.model.para.hkin, 99999.0);
  EXPECT_EQ(m.model.para.jmopt, 259.0);
  EXPECT_EQ(m.model.dij, (std::vector<double>{1.5, 0.5, 0.0}));
  EXPECT_TRUE(std::isnan(m.model.var_mean.soilmoisture));
  EXPECT_EQ(m.converge_tolerance, 0.0);  // fixed iterations unless [solver] converge says otherwise
  EXPECT_EQ(m.max_iterations, 0);
}

TEST(SiteToml, SolverConvergeKeys) {
  TempDir dir;
  const LoadedModel m =
      read_site_toml(dir.write("s.toml", small_site(dir, "[solver]\nconverge = 0.01\nmax_iterations = 40\n")));
  EXPECT_EQ(m.converge_tolerance, 0.01);
  EXPECT_EQ(m.max_iterations, 40);
  expect_toml_error(dir, small_site(dir, "[solver]\nconverge = -1\n"), 13, "solver.converge", "positive");
  // An iteration cap without a tolerance would be ignored (the command refuses --max-iterations alone).
  expect_toml_error(dir, small_site(dir, "[solver]\nmax_iterations = 5\n"), 13, "solver.max_iterations",
                    "only with converge");
  // Forcing rows are half-hours: another step count would solve each row's soil for the wrong time.
  expect_toml_error(dir, small_site(dir, "[solver]\nsteps_per_day = 24\n"), 13, "solver.steps_per_day",
                    "forcings are half-hourly");
}

TEST(SiteToml, ForcingSection) {
  TempDir dir;
  const std::string path = dir.write(
      "site.toml", small_site(dir, "[forcing]\ncolumns = { ts = \"TS_F_MDS_1\", swc = \"SWC_F_MDS_1\" }\n"
                                   "units = { ta = \"K\" }\nlai = \"lai-daily.csv\"\ncanopy_height = 0.8\n"
                                   "supplement = \"soil.csv\"\nnetcdf_time = \"end\"\n"));
  const ForcingReadOptions o = read_site_toml(path).forcing_options;
  using Text = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(o.columns, (Text{{"swc", "SWC_F_MDS_1"}, {"ts", "TS_F_MDS_1"}}));  // TOML tables are ordered by key
  EXPECT_EQ(o.units, (Text{{"ta", "K"}}));
  // A file is relative to the site file's folder.
  EXPECT_EQ(o.series_files, (Text{{"lai", (dir.path() / "lai-daily.csv").string()}}));
  EXPECT_EQ(o.constants, (std::vector<std::pair<std::string, double>>{{"veg_ht", 0.8}}));
  EXPECT_EQ(o.supplement, (dir.path() / "soil.csv").string());
  EXPECT_EQ(o.netcdf_time, NetcdfTimeMark::End);
}

TEST(SiteTomlErrors, ForcingSection) {
  TempDir dir;
  // [forcing] is line 12 of these files.
  expect_toml_error(dir, small_site(dir, "[forcing]\ncolumns = \"TA_F\"\n"), 13, "forcing.columns",
                    "expected a table");
  expect_toml_error(dir, small_site(dir, "[forcing]\nunits = { ta = 273.15 }\n"), 13, "forcing.units.ta",
                    "expected a string");
  expect_toml_error(dir, small_site(dir, "[forcing]\nlai = true\n"), 13, "forcing.lai", "a number or a file");
  expect_toml_error(dir, small_site(dir, "[forcing]\nlia = 3\n"), 13, "forcing.lia", "unknown key");
  expect_toml_error(dir, small_site(dir, "[forcing]\nnetcdf_time = \"middle\"\n"), 13, "forcing.netcdf_time",
                    "\"start\" or \"end\"");
  // LAI put among the canopy keys: the error says where LAI comes from.
  expect_toml_error(dir, small_site(dir, "", "lai = 3.0\n"), 10, "canopy.lai", "[forcing] lai");
}

TEST(SiteTomlErrors, KeysSectionsAndValues) {
  TempDir dir;
  // line numbers: [site]=1, latitude=2, longitude=3, time_zone=4, [canopy]=5, height=6,
  // measurement_height=7, canopy_layers=8, atmosphere_layers=9, canopy extra=10...
  expect_toml_error(dir, small_site(dir, "", "heigth = 2.0\n"), 10, "canopy.heigth", "unknown key");
  expect_toml_error(dir, small_site(dir, "[weather]\nrain = 1\n"), 12, "weather", "unknown section");
  expect_toml_error(dir, small_site(dir, "[parameters]\nvcmax = 100\n"), 13, "parameters.vcmax", "unknown parameter");
  expect_toml_error(dir, small_site(dir, "[parameters]\nvcopt = \"high\"\n"), 13, "parameters.vcopt",
                    "expected a number");
  expect_toml_error(dir, small_site(dir, "", "leaf_angle_type = 9\n"), 10, "canopy.leaf_angle_type", "outside 0..5");
  expect_toml_error(dir, small_site(dir, "", "leaf_angle_type = \"flat\"\n"), 10, "canopy.leaf_angle_type",
                    "unknown leaf angle type");
  expect_toml_error(dir, small_site(dir, "", "stomata = \"both\"\n"), 10, "canopy.stomata", "hypostomatous");
  expect_toml_error(dir, small_site(dir, "[soil]\nrespiration = \"network\"\n"), 13, "soil.respiration",
                    "model JSON");
  std::string no_lat = small_site(dir);
  no_lat.replace(no_lat.find("latitude = 40.0\n"), 16, "");
  expect_toml_error(dir, no_lat, 0, "site.latitude", "missing");
  std::string low = small_site(dir);
  low.replace(low.find("measurement_height = 3.0"), 24, "measurement_height = 0.5");
  expect_toml_error(dir, low, 7, "canopy.measurement_height", "above the canopy height");
  expect_toml_error(dir, "[site]\nlatitude = = 3\n", 2, "", "malformed TOML");
  std::string bad_dij = small_site(dir);
  bad_dij.replace(bad_dij.find("dij.csv"), 7, "nothere.csv");
  expect_toml_error(dir, bad_dij, 11, "dispersion.matrix", "not found");
}

TEST(SiteTomlErrors, DuplicateKeyIsATomlError) {
  TempDir dir;
  expect_toml_error(dir, small_site(dir, "", "height = 2.0\n"), 10, "", "malformed TOML");
}

TEST(SiteTomlErrors, WrongMatrixShape) {
  TempDir dir;
  const std::string path = dir.write("site.toml", small_site(dir));
  dir.write("dij.csv", "1\n2\n");
  try {
    read_site_toml(path);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("expected 3 x 1"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("dij.csv"), std::string::npos) << e.what();
  }
}

TEST(JaxConfig, ReadsWithDefaults) {
  TempDir dir;
  std::filesystem::create_directory(dir.path() / "dij");
  dir.write("dij/d.csv", "3\n2\n0\n");
  const std::string path = dir.write("configs.json", kJaxConfig);
  const LoadedModel m = read_jax_config(path);
  const canveg::Setup& s = m.model.setup;
  EXPECT_EQ(s.site_name, "Test-Site");
  EXPECT_EQ(s.time_zone, -8);
  EXPECT_EQ(s.latitude, 38.1);
  EXPECT_EQ(s.stomata, StomataType::Amphistomatous);               // default 1
  EXPECT_EQ(s.leaf_angle_type, 1);                                  // default
  EXPECT_EQ(s.leaf_rh, LeafRhModule::Physics);                      // default 0
  EXPECT_EQ(s.soil_respiration, SoilRespirationModule::Alfalfa);    // JAX default 0
  EXPECT_EQ(s.n_can_layers, 1);
  EXPECT_EQ(s.n_total_layers, 3);
  EXPECT_EQ(s.n_soil_layers, 10);
  EXPECT_EQ(s.dt_soil, 20.0);
  EXPECT_EQ(s.soil_mtime, 90);
  EXPECT_EQ(s.niter, 15);
  EXPECT_NEAR(s.zht[1], 0.8 + 2.1, 1e-12);
  EXPECT_EQ(m.model.dij, (std::vector<double>{3, 2, 0}));
  EXPECT_EQ(m.model.para.kball, 8.17);
}

TEST(JaxConfig, Errors) {
  TempDir dir;
  std::filesystem::create_directory(dir.path() / "dij");
  dir.write("dij/d.csv", "3\n2\n0\n");
  const auto expect = [&](std::string json, const std::string& field, const std::string& text) {
    const std::string path = dir.write("configs.json", json);
    try {
      read_jax_config(path);
      FAIL() << "expected InputError for " << field;
    } catch (const InputError& e) {
      EXPECT_EQ(e.field(), field) << e.what();
      EXPECT_NE(std::string(e.what()).find(text), std::string::npos) << e.what();
    }
  };
  const std::string base = kJaxConfig;
  const auto replaced = [&](const std::string& from, const std::string& to) {
    std::string s = base;
    s.replace(s.find(from), from.size(), to);
    return s;
  };
  expect(replaced("\"canopy height\": 0.8, ", ""), "model configurations.canopy height", "missing");
  expect(replaced("\"canopy height\"", "\"canopy heigth\""), "model configurations.canopy heigth", "unknown key");
  expect(replaced("\"model type\": null", "\"model type\": \"Fancy\""), "model configurations.model type",
         "unknown model type");
  expect(replaced("\"number of canopy layers\": 1", "\"number of canopy layers\": 2"), "", "expected 4 x 2");
  expect(replaced("dij/d.csv", "dij/none.csv"), "model configurations.dispersion matrix", "not found");
  expect(replaced("\"latitude\": 38.1", "\"latitude\": \"north\""), "model configurations.latitude",
         "expected a number");
  expect("{\"model configurations\": {", "", "malformed JSON");
}
