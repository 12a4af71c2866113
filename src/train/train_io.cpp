// Checkpoints and history files of a training (include/canveg/train.hpp).
#include <cmath>
#include <fstream>

#include "canveg/errors.hpp"
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

TrainState read_train_state(const std::string& path, const json& settings) {
  const json doc = io::parse_json_file(path);
  const io::JsonNode root(doc, "", path);
  if (!root.has("format") || root["format"].string() != "canveg training checkpoint")
    root.fail("not a canveg training checkpoint");
  if (doc["settings"] != settings)
    root["settings"].fail("the checkpoint was made with other settings (model, data files or options) than this "
                          "training; remove it to start afresh, or give the same settings");
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
