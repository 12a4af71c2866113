// Checkpoints and history files of a training (include/canveg/train.hpp).
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>

#include "canveg/errors.hpp"
#include "canveg/fields.hpp"
#include "canveg/output_io.hpp"
#include "canveg/train.hpp"
#include "io/json_node.hpp"

namespace canveg {

using nlohmann::json;

void write_train_state(const TrainState& state, const json& settings, const std::string& path) {
  json history = json::array();
  for (const EpochRecord& r : state.history)
    history.push_back({{"epoch", r.epoch},
                       {"learning_rate", r.learning_rate},
                       {"train_loss", r.train_loss},
                       {"test_loss", r.test_loss},
                       {"validation_loss", r.validation_loss},
                       {"seconds", r.seconds},
                       {"parameters", r.parameters}});
  const json root = {{"format", "canveg training checkpoint"},
                     {"settings", settings},
                     {"epochs_done", state.epochs_done},
                     {"parameters", state.parameters},
                     {"previous", state.previous},
                     {"adam_m", state.adam_m},
                     {"adam_v", state.adam_v},
                     {"history", history}};
  io::AtomicOutputFile file(path);
  file.stream() << root.dump() << '\n';  // doubles in the shortest form that reads back exactly
  file.commit();
}

std::string settings_difference(const json& before, const json& now, bool recorded_only) {
  if (before == now) return "";
  if (!before.is_object() || !now.is_object()) return "settings: " + before.dump() + " before, " + now.dump() + " now";
  // The settings as given first, then the fingerprints of what was read (which an option also changes).
  const auto fingerprint = [](const std::string& key) {
    return key == "data" || key == "test_data" || key == "model_file";
  };
  for (const bool fingerprints : {false, true})
    for (const auto& [key, value] : now.items()) {
      if (fingerprint(key) != fingerprints) continue;
      if (!before.contains(key)) {
        if (recorded_only) continue;
        return key + ": not recorded before, " + value.dump() + " now";
      }
      if (before[key] == value) continue;
      if (key == "data") return "data: the forcing or flux values, as read with the forcing options, differ";
      if (key == "test_data") return "test_data: the test forcing or flux values differ";
      if (key == "model_file") return "model_file: the model or site file's contents differ";
      return key + ": " + before[key].dump() + " before, " + value.dump() + " now";
    }
  for (const auto& [key, value] : before.items())
    if (!now.contains(key)) return key + ": " + value.dump() + " before, not given now";
  return "";
}

namespace {

// FNV-1a, 64 bits.
struct Fnv1a {
  std::uint64_t h = 1469598103934665603ull;
  void bytes(const void* data, std::size_t n) {
    const auto* p = static_cast<const unsigned char*>(data);
    for (std::size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 1099511628211ull;
  }
  void values(const std::vector<double>& v) {
    const std::uint64_t n = v.size();
    bytes(&n, sizeof n);
    if (!v.empty()) bytes(v.data(), v.size() * sizeof(double));
  }
  std::string hex() const {
    char text[17];
    std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(h));
    return text;
  }
};

}  // namespace

std::string training_data_fingerprint(const ForcingRecord& forcing, const ObservedFluxes& observed) {
  Fnv1a f;
  for (const std::string& t : forcing.timestamp) f.bytes(t.data(), t.size() + 1);
  for (std::size_t i = 0; i < kForcingFields.size(); ++i) f.values(forcing_series(forcing, i));
  f.values(observed.LE);
  f.values(observed.NEE);
  return f.hex();
}

std::string file_fingerprint(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, 0, "", "cannot be read");
  Fnv1a f;
  char buffer[1 << 16];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) f.bytes(buffer, static_cast<std::size_t>(in.gcount()));
  return f.hex();
}

TrainState read_train_state(const std::string& path, const json& settings) {
  const json doc = io::parse_json_file(path);
  const io::JsonNode root(doc, "", path);
  if (!root.has("format") || root["format"].string() != "canveg training checkpoint")
    root.fail("not a canveg training checkpoint");
  if (doc["settings"] != settings)
    root["settings"].fail("the checkpoint was made under other settings than this training (" +
                          settings_difference(doc["settings"], settings) +
                          "); give the same settings, or remove it to start afresh");
  TrainState s;
  s.epochs_done = static_cast<int>(root["epochs_done"].integer());
  s.parameters = root["parameters"].numbers();
  s.previous = root["previous"].numbers();
  s.adam_m = root["adam_m"].numbers();
  s.adam_v = root["adam_v"].numbers();
  const io::JsonNode history = root["history"];
  for (std::size_t i = 0; i < history.array_size(); ++i) {
    const io::JsonNode h = history[i];
    EpochRecord r;
    r.epoch = static_cast<int>(h["epoch"].integer());
    r.learning_rate = h["learning_rate"].number();
    r.train_loss = h["train_loss"].number_or_nan();  // NaN (stored as null) without stop rules
    r.test_loss = h["test_loss"].number_or_nan();  // NaN without test data
    r.validation_loss = h["validation_loss"].number_or_nan();
    r.seconds = h["seconds"].number();
    r.parameters = h["parameters"].numbers();
    s.history.push_back(std::move(r));
  }
  return s;
}

void write_train_history(const TrainResult& result, const std::string& path) {
  io::AtomicOutputFile file(path);
  std::ostream& out = file.stream();
  out.precision(17);
  out << "epoch,learning_rate,train_loss,test_loss,validation_loss,seconds";
  for (const std::string& name : result.parameter_names) out << ',' << name;
  out << '\n';
  for (const EpochRecord& r : result.history) {
    out << r.epoch << ',' << r.learning_rate << ',' << r.train_loss << ',';
    if (std::isfinite(r.test_loss)) out << r.test_loss;
    out << ',';
    if (std::isfinite(r.validation_loss)) out << r.validation_loss;
    out << ',' << r.seconds;
    for (double p : r.parameters) out << ',' << p;
    out << '\n';
  }
  file.commit();
}

}  // namespace canveg
