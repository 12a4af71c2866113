// The field tables (include/canveg/fields.hpp) against what reads and writes them: JAX-CanVeg's
// own list of tunable parameters, the output CSV header, the help text and docs/fields.md.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <sstream>

#include "canveg/fields.hpp"
#include "canveg/gradient.hpp"
#include "canveg/model_io.hpp"
#include "canveg/output_io.hpp"
#include "test_support.hpp"

using namespace canveg;
using namespace canveg::test;

// The training ranks reproduce the "tunable parameters" list of every JAX-CanVeg configuration
// (as stored in the trained model files), networks aside.
TEST(FieldTables, TrainingRanksFollowJaxCanVegsTunableList) {
  const nlohmann::json j = nlohmann::json::parse(read_text(trained("US-Me2_Hybrid-ML-0.5.json")));
  std::vector<std::string> expected;
  for (const auto& name : j["learning"]["tunable parameters"]) {
    const std::string n = name.get<std::string>();
    if (n != "LeafRHDL" && n != "RsoilDL") expected.push_back(n);
  }
  ASSERT_EQ(expected.size(), kTrainedParameterCount);
  for (std::size_t k = 0; k < kTrainedParameterCount; ++k)
    EXPECT_EQ(kParameterFields[kTrainedParameterIndices[k]].name, expected[k]) << "rank " << k;
  const LoadedModel m = read_model_json(trained("US-Me2_Hybrid-ML-0.5.json"));
  const ParameterSpace space(m.model);
  for (std::size_t k = 0; k < kTrainedParameterCount; ++k) EXPECT_EQ(space.name(k), expected[k]);
  EXPECT_EQ(space.name(kTrainedParameterCount), "LeafRHDL.layers[0].weight[0][0]");
}

// Every parameter the model file stores under `para` is a table entry or one JAX-CanVeg keeps but
// never reads (docs/model.md 4.2), and the table's defaults lie inside their bounds, except hkin,
// whose JAX-CanVeg default (200000) is above the box it is clipped to (pitfall P8).
TEST(FieldTables, ParametersAndBoundsAreConsistent) {
  const nlohmann::json j = nlohmann::json::parse(read_text(trained("US-Bi1_PB-1L-0.5.json")));
  const std::vector<std::string> unread = {"zht1", "zht2", "delz1", "delz2", "soil_depth", "rgc1000", "skin",
                                           "eko",  "ektau", "rsm",  "brs",   "do3",        "dLdT",    "extinct"};
  for (const auto& [name, value] : j["para"].items()) {
    const bool in_table = field_index(kParameterFields, name) < kParameterCount;
    const bool known_unread = std::find(unread.begin(), unread.end(), name) != unread.end();
    EXPECT_TRUE(in_table != known_unread) << name;
  }
  for (const ParameterField& f : kParameterFields) {
    EXPECT_LT(f.lower, f.upper) << f.name;
    if (f.name == "hkin") {
      EXPECT_GT(f.default_value, f.upper);
      continue;
    }
    EXPECT_GE(f.default_value, f.lower) << f.name;
    EXPECT_LE(f.default_value, f.upper) << f.name;
    EXPECT_FALSE(f.unit.empty()) << f.name;
    EXPECT_FALSE(f.meaning.empty()) << f.name;
  }
}

// Defaults and bounds equal those JAX-CanVeg stores with every parameter of its trained models
// (para.<name>.default, lower_bound, upper_bound).
TEST(FieldTables, DefaultsAndBoundsAreJaxCanVegs) {
  for (const char* file : {"US-Bi1_PB-1L-0.5.json", "US-Whs_Hybrid-ML-1.0.json"}) {
    const nlohmann::json j = nlohmann::json::parse(read_text(trained(file)));
    for (const ParameterField& f : kParameterFields) {
      const nlohmann::json& p = j["para"][std::string(f.name)];
      EXPECT_EQ(p["default"].get<double>(), f.default_value) << file << " " << f.name;
      EXPECT_EQ(p["lower_bound"].get<double>(), f.lower) << file << " " << f.name;
      EXPECT_EQ(p["upper_bound"].get<double>(), f.upper) << file << " " << f.name;
      EXPECT_EQ(p["tunable"].get<bool>(), f.trained()) << file << " " << f.name;
    }
  }
}

TEST(FieldTables, OutputHeaderIsTheTable) {
  const std::vector<std::string> columns = io::output_columns(true);
  ASSERT_EQ(columns.size(), 1 + kOutputCount + kDiagnosticCount);
  for (std::size_t i = 0; i < kOutputCount; ++i) EXPECT_EQ(columns[1 + i], kOutputFields[i].name);
  for (std::size_t i = 0; i < kDiagnosticCount; ++i) EXPECT_EQ(columns[1 + kOutputCount + i], kDiagnosticFields[i].name);
}

TEST(FieldTables, HelpListsEveryField) {
  TempDir dir;
  const CommandResult r = run_canveg("--help", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto listed = [&](std::string_view name) {
    return r.out.find("  " + std::string(name) + " ") != std::string::npos ||
           r.out.find(" *" + std::string(name) + " ") != std::string::npos;
  };
  for (const OutputField& f : kOutputFields) EXPECT_TRUE(listed(f.name)) << f.name;
  for (const ForcingField& f : kForcingFields) EXPECT_TRUE(listed(f.name)) << f.name;
  for (const ParameterField& f : kParameterFields) EXPECT_TRUE(listed(f.name)) << f.name;

  // A subcommand's help is its own options, with a pointer to the tables instead of them.
  for (const char* command : {"run", "dij", "evaluate", "train"}) {
    const CommandResult sub = run_canveg(std::string(command) + " --help", dir);
    ASSERT_EQ(sub.exit_code, 0) << sub.err;
    EXPECT_EQ(sub.out.find("Outputs (columns of the output CSV"), std::string::npos) << command;
    EXPECT_NE(sub.out.find("canveg fields (docs/fields.md)"), std::string::npos) << command << "\n" << sub.out;
  }
}

// docs/fields.md is the output of `canveg fields --markdown`; regenerate it after editing a table:
//   build/canveg fields --markdown > docs/fields.md
TEST(FieldTables, DocsFieldsMdIsUpToDate) {
  TempDir dir;
  const CommandResult r = run_canveg("fields --markdown", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_text(std::string(CANVEG_SOURCE_DIR) + "/docs/fields.md"), r.out)
      << "docs/fields.md is stale: run `build/canveg fields --markdown > docs/fields.md`";
}
