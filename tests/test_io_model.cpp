#include <cmath>
#include <filesystem>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "canveg/errors.hpp"
#include "canveg/fields.hpp"
#include "canveg/forcing.hpp"
#include "canveg/model_io.hpp"
#include "canveg/run.hpp"
#include "test_support.hpp"

using namespace canveg;
using namespace canveg::test;

namespace {

std::vector<std::string> model_files() {
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(shared_data("jax-canveg-trained"))) {
    const std::string name = e.path().filename().string();
    if (e.path().extension() == ".json" && name.find("_DNN_") == std::string::npos) files.push_back(e.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// Loads a model file, applies `edit` to its JSON, writes it to `dir` and returns the path.
template <class Edit>
std::string edited_model(const TempDir& dir, Edit edit) {
  nlohmann::json j = nlohmann::json::parse(read_text(trained("US-Bi1_PB-1L-0.5.json")));
  edit(j);
  return dir.write("US-Bi1_edited.json", j.dump());
}

void expect_field_error(const std::string& path, const std::string& field, const std::string& text) {
  try {
    read_model_json(path);
    FAIL() << "expected InputError naming " << field;
  } catch (const InputError& e) {
    EXPECT_EQ(e.file(), path);
    EXPECT_EQ(e.field(), field) << e.what();
    EXPECT_NE(std::string(e.what()).find(text), std::string::npos) << e.what();
  }
}

}  // namespace

TEST(ModelJson, AllTrainedModelsLoad) {
  const std::vector<std::string> files = model_files();
  ASSERT_EQ(files.size(), 48u);
  for (const std::string& f : files) {
    SCOPED_TRACE(f);
    const LoadedModel m = read_model_json(f);
    const canveg::Setup& s = m.model.setup;
    const std::string site = std::filesystem::path(f).filename().string().substr(0, 6);
    EXPECT_EQ(s.site_name, site);
    EXPECT_TRUE(s.n_can_layers == 1 || s.n_can_layers == 50);
    EXPECT_EQ(s.n_atmos_layers(), 50);
    EXPECT_EQ(s.soil_mtime, 90);
    EXPECT_EQ(s.niter, 15);
    EXPECT_EQ(s.steps_per_day, 48);
    EXPECT_EQ(s.soil_respiration, SoilRespirationModule::Q10);
    EXPECT_EQ(s.leaf_rh, f.find("Hybrid") != std::string::npos ? LeafRhModule::Network : LeafRhModule::Physics);
    EXPECT_EQ(m.model.para.hkin, 99999.0);
    EXPECT_EQ(m.model.para.rd25, 2.68);
    EXPECT_TRUE(m.reported.present);
    EXPECT_EQ(m.model.leaf_rh_net.in_size, 2);
    EXPECT_EQ(m.model.leaf_rh_net.width, 6);
    EXPECT_EQ(m.model.rsoil_net.w1.size(), 36u);

    // The stored grid is the uniform grid of docs/model.md 1.2.
    canveg::Setup rebuilt = s;
    build_vertical_grid(rebuilt);
    ASSERT_EQ(s.zht.size(), static_cast<std::size_t>(s.n_total_layers));
    for (std::size_t i = 0; i < s.zht.size(); ++i) {
      EXPECT_NEAR(s.zht[i], rebuilt.zht[i], 1e-12 * s.measurement_height);
      EXPECT_NEAR(s.delz[i], rebuilt.delz[i], 1e-12 * s.measurement_height);
    }
    // The dispersion matrix is the one shipped in data/dij.
    const std::string dij_csv = shared_data("dij/Dij_" + site + (s.n_can_layers == 1 ? "_1L.csv" : "_50L.csv"));
    EXPECT_EQ(m.model.dij, read_dij_csv(dij_csv, s.n_total_layers, s.n_can_layers));
    // Every published model's parameters are plausible (none warned about).
    EXPECT_TRUE(canveg::parameter_plausibility_warnings(m.model.para).empty());
  }
}

// Parameters no canopy can have (an edited model or site file) are each named once: outside the
// bounds of 'canveg fields', not positive where every physical value is, kelvin given in Celsius.
// The defaults are plausible.
TEST(ModelJson, ImplausibleParametersAreNamed) {
  EXPECT_TRUE(canveg::parameter_plausibility_warnings(canveg::Parameters<double>{}).empty());
  canveg::Parameters<double> p;
  p.ep = -0.5;
  p.lleaf = 4.0;         // cm typed for m
  p.par_reflect = 1.5;
  p.vcopt = -50;
  p.toptvc = 30;         // degrees Celsius for kelvin
  const std::vector<std::string> w = canveg::parameter_plausibility_warnings(p);
  ASSERT_EQ(w.size(), 5u) << ::testing::PrintToString(w);
  const auto has = [&w](const std::string& text) {
    for (const std::string& s : w)
      if (s.find(text) != std::string::npos) return true;
    return false;
  };
  EXPECT_TRUE(has("parameter ep = -0.5 lies outside its bounds [5e-05, 1]"));
  EXPECT_TRUE(has("parameter lleaf = 4 m lies outside its bounds [5e-05, 0.1]"));
  EXPECT_TRUE(has("parameter par_reflect = 1.5 lies outside its bounds [5e-05, 1]"));
  EXPECT_TRUE(has("parameter vcopt = -50 umol m-2 s-1 is not positive"));
  EXPECT_TRUE(has("parameter toptvc = 30 K is not a plausible temperature in kelvin"));
}

// A converted JAX-CanVeg model keeps its site when renamed: the name comes from the model it was
// converted from, not the file name (the checks of files named for another site rely on it).
TEST(ModelJson, RenamedModelFileKeepsItsSite) {
  TempDir dir;
  const std::string copy = dir.write("mymodel.json", read_text(trained("US-Hn1_PB-1L-0.5.json")));
  EXPECT_EQ(read_model_json(copy).model.setup.site_name, "US-Hn1");
  const std::string misnamed = dir.write("US-Bi1_PB-1L-0.5.json", read_text(trained("US-Hn1_PB-1L-0.5.json")));
  EXPECT_EQ(read_model_json(misnamed).model.setup.site_name, "US-Hn1");
}

TEST(ModelJson, BouldinHybridKnownValues) {
  const LoadedModel m = read_model_json(trained("US-Bi1_Hybrid-ML-0.5.json"));
  const canveg::Setup& s = m.model.setup;
  EXPECT_EQ(s.site_name, "US-Bi1");
  EXPECT_EQ(s.latitude, 38.0991538);
  EXPECT_EQ(s.longitude, -121.49933);
  EXPECT_EQ(s.time_zone, -8);
  EXPECT_EQ(s.leaf_angle_type, 0);
  EXPECT_EQ(s.stomata, StomataType::Hypostomatous);
  EXPECT_EQ(s.n_can_layers, 50);
  EXPECT_EQ(s.n_total_layers, 100);
  EXPECT_EQ(s.n_soil_layers, 10);
  EXPECT_EQ(s.dt_soil, 20.0);
  EXPECT_EQ(s.canopy_height, 0.8);
  EXPECT_EQ(s.measurement_height, 5.0);
  EXPECT_EQ(s.soil_depth, 0.15);
  EXPECT_EQ(s.zht[0], 0.016);
  EXPECT_EQ(s.zht[49], 0.8);
  EXPECT_EQ(s.zht[99], 5.0);
  EXPECT_EQ(s.delz[0], 0.016);
  EXPECT_EQ(s.delz[50], 0.084);

  const Parameters<double>& p = m.model.para;
  EXPECT_EQ(p.kball, 8.397134448952148);
  EXPECT_EQ(p.hkin, 99999.0);
  EXPECT_EQ(p.vcopt, 171.29982785155516);
  EXPECT_EQ(p.sigma, 5.670367e-8);

  const DenseNet<double>& net = m.model.leaf_rh_net;
  EXPECT_EQ(net.hidden, Activation::Tanh);
  EXPECT_EQ(net.final, Activation::Sigmoid);
  ASSERT_EQ(net.w0.size(), 12u);
  EXPECT_EQ(net.w0[0], -0.7275900694425557);  // weight[0][0]
  EXPECT_EQ(net.w0[1], -0.6341904689497093);  // weight[0][1]: row-major [out][in]
  EXPECT_EQ(net.w0[2], 0.14699811447675898);  // weight[1][0]
  EXPECT_EQ(net.b0[5], -0.25952070399179145);
  EXPECT_EQ(net.w2.size(), 6u);
  EXPECT_EQ(net.b2.size(), 1u);
  EXPECT_EQ(m.model.rsoil_net.final, Activation::Tanh);

  EXPECT_EQ(m.model.var_mean.soilmoisture, 0.1913183492932056);
  EXPECT_EQ(m.model.var_std.soilmoisture, 0.11540987804997557);
  EXPECT_EQ(m.model.var_max.rsoil, 5.93);

  ASSERT_EQ(m.model.dij.size(), 5000u);
  EXPECT_EQ(m.model.dij[0], 17.737437500115227);
  EXPECT_EQ(m.model.dij, read_dij_csv(shared_data("dij/Dij_US-Bi1_50L.csv"), 100, 50));

  EXPECT_TRUE(m.reported.present);
  EXPECT_EQ(m.reported.le_test_nse, 0.8553712830494414);
  EXPECT_EQ(m.reported.nee_test_nse, 0.6996591213882926);
  EXPECT_EQ(m.reported.le_test_rmse, 41.066031584994946);
  EXPECT_EQ(m.reported.nee_test_rmse, 5.319087860588099);
  EXPECT_EQ(m.reported.le_train_nse, 0.8791174252000689);
  EXPECT_EQ(m.reported.nee_train_nse, 0.7748248235109214);
}

TEST(ModelJson, NullStatisticsAreNaN) {
  const LoadedModel m = read_model_json(trained("US-Hn1_PB-1L-0.5.json"));
  EXPECT_TRUE(std::isnan(m.model.var_mean.rsoil));
  EXPECT_EQ(m.model.setup.leaf_angle_type, 4);
  EXPECT_EQ(m.model.setup.n_total_layers, 51);
  EXPECT_EQ(m.model.setup.zht[0], 1.2);
  EXPECT_EQ(m.model.setup.delz[1], 0.076);
}

TEST(ModelJsonErrors, MalformedJsonReportsLine) {
  TempDir dir;
  const std::string path = dir.write("bad.json", "{\n  \"setup\": {\n    \"lat_deg\": 38.1,,\n  }\n}\n");
  try {
    read_model_json(path);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(e.line(), 3) << e.what();
    EXPECT_NE(std::string(e.what()).find("malformed JSON"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("line 3"), std::string::npos) << e.what();
  }
}

// A number beyond the range of a double is a parse failure of its own kind in the JSON library
// (out_of_range, not parse_error); it once escaped the reader as a bare library exception.
TEST(ModelJsonErrors, NumberBeyondDoubleRangeReportsLine) {
  TempDir dir;
  const std::string path = dir.write("huge.json", "{\n  \"setup\": {\n    \"lat_deg\": -0.48E825711011886597\n  }\n}\n");
  try {
    read_model_json(path);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(e.line(), 3) << e.what();
    EXPECT_NE(std::string(e.what()).find("malformed JSON: number overflow parsing '-0.48E825711011886597'"),
              std::string::npos)
        << e.what();
  }
}

TEST(ModelJsonErrors, MissingAndMistypedFieldsNamed) {
  TempDir dir;
  expect_field_error(edited_model(dir, [](nlohmann::json& j) { j["para"].erase("vcopt"); }), "para.vcopt", "missing");
  expect_field_error(edited_model(dir, [](nlohmann::json& j) { j["para"]["kball"]["value"] = "eight"; }),
                     "para.kball.value", "expected a number");
  expect_field_error(edited_model(dir, [](nlohmann::json& j) { j["setup"].erase("niter"); }), "setup.niter", "missing");
  expect_field_error(edited_model(dir, [](nlohmann::json& j) { j["setup"]["leafangle"] = 7; }), "setup.leafangle",
                     "outside 0..5");
  expect_field_error(edited_model(dir, [](nlohmann::json& j) { j["setup"]["n_can_layers"] = 2.5; }),
                     "setup.n_can_layers", "expected an integer");
  expect_field_error(edited_model(dir, [](nlohmann::json& j) { j["mlps"]["LeafRHDL"]["layers"][1]["bias"].erase(0); }),
                     "mlps.LeafRHDL.layers[1].bias", "expected 6 values");
  expect_field_error(edited_model(dir, [](nlohmann::json& j) { j["mlps"]["LeafRHDL"]["layers"][0]["weight"].erase(0); }),
                     "mlps.LeafRHDL.layers[0].weight", "expected a matrix of 6 rows, found 5 x 2");
  expect_field_error(edited_model(dir, [](nlohmann::json& j) { j["var_stats"]["var_std"].erase("soilmoisture"); }),
                     "var_stats.var_std.soilmoisture", "missing");
  expect_field_error(edited_model(dir, [](nlohmann::json& j) { j["dij"]["value"].erase(0); }), "dij.value",
                     "expected a 51 x 1 matrix, found 50 x 1");
  expect_field_error(edited_model(dir, [](nlohmann::json& j) { j["para"]["zht2"]["value"].erase(0); }),
                     "para.zht2.value", "expected 50 values");
  expect_field_error(edited_model(dir, [](nlohmann::json& j) { j["hyperparameter_header"]["veg_ht"] = 2.0; }),
                     "para.zht1.value", "disagrees");
  // The site facts' other copies: the model runs with setup's, so a copy edited alone is refused.
  expect_field_error(edited_model(dir, [](nlohmann::json& j) { j["hyperparameter_header"]["latitude"] = 45.0; }),
                     "hyperparameter_header.latitude",
                     "45 disagrees with setup.lat_deg = 38.0992, the value the model runs with");
  expect_field_error(
      edited_model(dir, [](nlohmann::json& j) { j["model_configurations"]["number of canopy layers"] = 2; }),
      "model_configurations.number of canopy layers", "2 disagrees with setup.n_can_layers = 1");
  expect_field_error(edited_model(dir, [](nlohmann::json& j) { j["model_configurations"]["time zone"] = -7; }),
                     "model_configurations.time zone", "-7 disagrees with setup.time_zone = -8");
  expect_field_error(edited_model(dir, [](nlohmann::json& j) { j["metrics"]["LE-test"].erase("nse"); }),
                     "metrics.LE-test.nse", "missing");
  // Edits that would otherwise change nothing, or the length of time a row's soil is solved for.
  expect_field_error(edited_model(dir, [](nlohmann::json& j) { j["para"]["Vcopt"] = j["para"]["vcopt"]; }),
                     "para.Vcopt", "not a parameter of the model (did you mean 'vcopt'?)");
  expect_field_error(edited_model(dir, [](nlohmann::json& j) { j["para"]["vcmax"] = j["para"]["vcopt"]; }),
                     "para.vcmax", "not a parameter of the model");
  expect_field_error(edited_model(dir, [](nlohmann::json& j) { j["setup"]["soil_mtime"] = 45; }), "setup.soil_mtime",
                     "45 sub-steps of dt_soil = 20 s make 900 s, not the half-hour");
  expect_field_error(edited_model(dir, [](nlohmann::json& j) { j["hyperparameter_header"]["n_hr_per_day"] = 24; }),
                     "hyperparameter_header.n_hr_per_day", "forcings are half-hourly");
}

TEST(ModelJsonErrors, ScalarDelzIsRepeated) {
  TempDir dir;
  const std::string path = edited_model(dir, [](nlohmann::json& j) { j["para"]["delz2"]["value"] = 0.076; });
  const LoadedModel m = read_model_json(path);
  EXPECT_EQ(m.model.setup.delz.size(), 51u);
  EXPECT_EQ(m.model.setup.delz[50], 0.076);
}

TEST(ModelJsonErrors, DnnFileExplained) {
  try {
    read_model_json(trained("US-Bi1_DNN_LE-GPP-0.5.json"));
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("not a CanVeg model"), std::string::npos);
  }
}

TEST(ModelJsonErrors, MissingFile) { EXPECT_THROW(read_model_json("/nonexistent/model.json"), InputError); }

TEST(VerticalGrid, UniformLayers) {
  canveg::Setup s;
  s.canopy_height = 1.0;
  s.measurement_height = 3.0;
  s.n_can_layers = 2;
  s.n_total_layers = 6;
  build_vertical_grid(s);
  EXPECT_EQ(s.zht, (std::vector<double>{0.5, 1.0, 1.5, 2.0, 2.5, 3.0}));
  EXPECT_EQ(s.delz, (std::vector<double>{0.5, 0.5, 0.5, 0.5, 0.5, 0.5}));
  s.n_total_layers = 4;  // K = 2 -> dz_a = 1
  build_vertical_grid(s);
  EXPECT_EQ(s.zht, (std::vector<double>{0.5, 1.0, 2.0, 3.0}));
  EXPECT_EQ(s.delz, (std::vector<double>{0.5, 0.5, 1.0, 1.0}));
}

TEST(VerticalGrid, RejectsImpossibleGeometry) {
  canveg::Setup s;
  s.canopy_height = 2.0;
  s.measurement_height = 1.0;
  EXPECT_THROW(build_vertical_grid(s), InputError);  // z_m below h
  s.measurement_height = 5.0;
  s.canopy_height = 0.0;
  EXPECT_THROW(build_vertical_grid(s), InputError);
  s.canopy_height = 1.0;
  s.n_can_layers = 0;
  EXPECT_THROW(build_vertical_grid(s), InputError);
  s.n_can_layers = 5;
  s.n_total_layers = 5;  // K = 0
  EXPECT_THROW(build_vertical_grid(s), InputError);
}

TEST(DijCsv, ShapeErrors) {
  TempDir dir;
  const std::string path = dir.write("d.csv", "1,2\n3,4\n5,6\n");
  EXPECT_EQ(read_dij_csv(path, 3, 2), (std::vector<double>{1, 2, 3, 4, 5, 6}));
  try {
    read_dij_csv(path, 4, 2);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("expected 4 x 2"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("found 3 x 2"), std::string::npos) << e.what();
  }
  const std::string ragged = dir.write("r.csv", "1,2\n3\n");
  try {
    read_dij_csv(ragged, 2, 2);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(e.line(), 2);
  }
  const std::string text = dir.write("t.csv", "1,x\n");
  EXPECT_THROW(read_dij_csv(text, 1, 2), InputError);
  EXPECT_EQ(read_dij_csv(shared_data("dij/Dij_US-Me2_1L.csv"), 51, 1).size(), 51u);
}

TEST(ModelJsonErrors, SoilLayersOtherThanTenRefused) {
  TempDir dir;
  expect_field_error(edited_model(dir, [](nlohmann::json& j) { j["setup"]["n_soil_layers"] = 12; }),
                     "setup.n_soil_layers", "the soil heat-conduction model has 10 layers; 12 is not supported");
}

// write_model_json -> read_model_json keeps every value and therefore every output bit for bit:
// trained models with networks (1 and 50 layers), and a site-file model without any.
namespace {

void expect_same_model(const Model<double>& a, const Model<double>& b) {
  for (std::size_t i = 0; i < kParameterCount; ++i)
    EXPECT_EQ(parameter_at(a.para, i), parameter_at(b.para, i)) << kParameterFields[i].name;
  EXPECT_EQ(a.dij, b.dij);
  EXPECT_EQ(a.setup.zht, b.setup.zht);
  EXPECT_EQ(a.setup.delz, b.setup.delz);
  EXPECT_EQ(a.setup.site_name, b.setup.site_name);
  EXPECT_EQ(a.setup.n_can_layers, b.setup.n_can_layers);
  EXPECT_EQ(a.setup.n_total_layers, b.setup.n_total_layers);
  EXPECT_EQ(a.setup.leaf_rh, b.setup.leaf_rh);
  EXPECT_EQ(a.setup.soil_respiration, b.setup.soil_respiration);
  EXPECT_EQ(a.setup.stomata, b.setup.stomata);
  EXPECT_EQ(a.setup.leaf_angle_type, b.setup.leaf_angle_type);
  EXPECT_EQ(a.setup.latitude, b.setup.latitude);
  EXPECT_EQ(a.setup.longitude, b.setup.longitude);
  EXPECT_EQ(a.setup.time_zone, b.setup.time_zone);
  EXPECT_EQ(a.setup.soil_depth, b.setup.soil_depth);
  EXPECT_EQ(a.setup.dt_soil, b.setup.dt_soil);
  EXPECT_EQ(a.setup.soil_mtime, b.setup.soil_mtime);
  EXPECT_EQ(a.setup.niter, b.setup.niter);
  EXPECT_EQ(a.setup.formulation, b.setup.formulation);
  EXPECT_EQ(a.setup.single_dark_respiration, b.setup.single_dark_respiration);
  EXPECT_EQ(a.setup.shortwave_sweeps, b.setup.shortwave_sweeps);
  for (const auto& [x, y] : {std::pair{&a.leaf_rh_net, &b.leaf_rh_net}, std::pair{&a.rsoil_net, &b.rsoil_net}}) {
    EXPECT_EQ(x->w0, y->w0);
    EXPECT_EQ(x->b0, y->b0);
    EXPECT_EQ(x->w1, y->w1);
    EXPECT_EQ(x->b1, y->b1);
    EXPECT_EQ(x->w2, y->w2);
    EXPECT_EQ(x->b2, y->b2);
    EXPECT_EQ(x->hidden, y->hidden);
    EXPECT_EQ(x->final, y->final);
  }
  const auto same_stats = [](const VarStats& s, const VarStats& t) {
    const double* p = &s.T_air;
    const double* q = &t.T_air;
    for (std::size_t k = 0; k < sizeof(VarStats) / sizeof(double); ++k)
      EXPECT_TRUE(p[k] == q[k] || (std::isnan(p[k]) && std::isnan(q[k]))) << "statistic " << k;
  };
  same_stats(a.var_mean, b.var_mean);
  same_stats(a.var_std, b.var_std);
  same_stats(a.var_max, b.var_max);
  same_stats(a.var_min, b.var_min);
}

void expect_identical_outputs(const Model<double>& a, const Model<double>& b, const std::string& forcing_file) {
  const ForcingRecord forcing = read_forcing_csv(forcing_file).slice(4000, 4200);
  RunOptions options;
  options.threads = 1;
  options.diagnostics = true;
  const RunResult ra = run_model(a, forcing, options), rb = run_model(b, forcing, options);
  for (std::size_t i = 0; i < kOutputCount; ++i)
    EXPECT_EQ(ra.outputs.series(i), rb.outputs.series(i)) << kOutputFields[i].name;
  for (std::size_t i = 0; i < kDiagnosticCount; ++i)
    EXPECT_EQ(ra.diagnostics.series(i), rb.diagnostics.series(i)) << kDiagnosticFields[i].name;
}

}  // namespace

TEST(ModelJsonWriter, TrainedModelsReadBackIdentically) {
  TempDir dir;
  for (const char* name : {"US-Hn1_Hybrid-1L-0.5.json", "US-Bi1_Hybrid-ML-0.0.json", "US-Whs_PB-ML-1.0.json"}) {
    SCOPED_TRACE(name);
    const LoadedModel original = read_model_json(trained(name));
    const std::string path = (dir.path() / "written.json").string();
    write_model_json(original, path);
    const LoadedModel back = read_model_json(path);
    expect_same_model(original.model, back.model);
    EXPECT_EQ(back.trained_le_weight, original.trained_le_weight);
    EXPECT_EQ(back.reported.le_test_nse, original.reported.le_test_nse);
    EXPECT_EQ(back.reported.nee_train_nse, original.reported.nee_train_nse);
    const std::string site = std::string(name).substr(0, 6);
    expect_identical_outputs(original.model, back.model, fluxtower(site, site + "-forcings-test.csv"));
  }
}

TEST(ModelJsonWriter, SiteFileModelWithCorrectionsReadsBackIdentically) {
  TempDir dir;
  LoadedModel original = read_site_toml(std::string(CANVEG_SOURCE_DIR) + "/examples/sites/US-Bi1.toml");
  set_formulation(original.model.setup, Formulation::Jax);  // modified below: the switches are stored too
  original.model.setup.single_dark_respiration = true;
  original.model.setup.shortwave_sweeps = 3;
  const std::string path = (dir.path() / "site.json").string();
  write_model_json(original, path);
  const LoadedModel back = read_model_json(path);
  EXPECT_TRUE(back.model.leaf_rh_net.empty());
  expect_same_model(original.model, back.model);
  expect_identical_outputs(original.model, back.model, fluxtower("US-Bi1", "US-Bi1-forcings-test.csv"));
}

TEST(ModelJsonWriter, UnwritablePathIsAnError) {
  const LoadedModel m = read_model_json(trained("US-Hn1_PB-1L-0.5.json"));
  EXPECT_THROW(write_model_json(m, "/nonexistent-folder/model.json"), InputError);
}
