// The LE/NEE weight sweep (include/canveg/sweep.hpp).
#include <algorithm>
#include <cmath>
#include <limits>
#include <cstdio>
#include <charconv>
#include <cstdlib>
#include <system_error>
#include <filesystem>
#include <mutex>
#include <sstream>

#include "canveg/dnn.hpp"
#include "canveg/errors.hpp"
#include "canveg/metrics.hpp"
#include "canveg/output_io.hpp"
#include "canveg/run.hpp"
#include "canveg/sweep.hpp"
#include "io/csv_table.hpp"
#include "io/json_node.hpp"
#include "run/thread_pool.hpp"

namespace canveg {

namespace fs = std::filesystem;

namespace {

// The weight as written in file names and the table: one decimal where that is the weight exactly
// (JAX-CanVeg's "0.0", "0.5", "1.0"), else the shortest text that reads back as the same double,
// so that 0.25 and 0.2 never share a name (a task would take the other's model as done).
std::string weight_text(double w) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", w);
  if (std::strtod(buf, nullptr) == w) return buf;
  const auto [end, error] = std::to_chars(buf, buf + sizeof buf, w);
  return error == std::errc() ? std::string(buf, end) : std::to_string(w);
}

// JAX-CanVeg trained and scored US-Hn1 on the "-nonegle" flux files (negative LE removed).
std::string flux_file(const SweepOptions& o, const std::string& site, bool test) {
  const std::string stem = site == "US-Hn1" ? "-fluxes-nonegle" : "-fluxes";
  return o.data_dir + "/fluxtower/" + site + "/" + site + stem + (test ? "-test" : "") + ".csv";
}
std::string forcing_file(const SweepOptions& o, const std::string& site, bool test) {
  return o.data_dir + "/fluxtower/" + site + "/" + site + "-forcings" + (test ? "-test" : "") + ".csv";
}

void require_file(const std::string& path, const std::string& what) {
  if (!fs::exists(path)) throw InputError(path, 0, "", what + " not found");
}

// The data folder before its files: a relative --data is taken from the working directory, so a
// sweep started elsewhere would otherwise report every site's files missing.
void check_data_folder(const SweepOptions& o, const std::vector<SweepTask>& tasks) {
  const fs::path data(o.data_dir);
  const std::string where = data.is_relative() ? " (relative to the working directory " +
                                                     fs::current_path().string() + ")"
                                               : "";
  if (!fs::is_directory(data))
    throw InputError(o.data_dir, 0, "--data", "the shared data folder does not exist" + where);
  if (!fs::is_directory(data / "fluxtower") || !fs::is_directory(data / "jax-canveg-trained"))
    throw InputError(o.data_dir, 0, "--data",
                     "not the shared data folder: it needs fluxtower/ and jax-canveg-trained/" + where);
  for (const SweepTask& t : tasks) {
    if (fs::is_directory(data / "fluxtower" / t.site)) continue;
    std::vector<std::string> sites;
    for (const auto& entry : fs::directory_iterator(data / "fluxtower"))
      if (entry.is_directory()) sites.push_back(entry.path().filename().string());
    std::sort(sites.begin(), sites.end());
    std::string known;
    for (const std::string& name : sites) known += (known.empty() ? "" : ", ") + name;
    throw InputError((data / "fluxtower").string(), 0, "--sites",
                     "no site '" + t.site + "' here (the sites here: " + (known.empty() ? "none" : known) + ")");
  }
}

template <class Record>
Record first_rows(const Record& r, std::size_t rows) {
  return rows > 0 && rows < r.size() ? r.slice(0, rows) : r;
}

// JAX-CanVeg's initial state for a task: the family's set-up (from its w = 0.5 model file), every
// parameter at its default, and the network of the PB file (JAX-CanVeg's initialisation) or a
// seeded draw.
LoadedModel initial_model(const SweepOptions& o, const SweepTask& t) {
  const std::string dir = o.data_dir + "/jax-canveg-trained/";
  const std::string layers = t.family.substr(t.family.find('-') + 1);  // 1L or ML
  LoadedModel m = read_model_json(dir + t.site + "_" + t.family + "-0.5.json");
  set_formulation(m.model.setup, o.formulation);
  m.model.para = Parameters<double>{};
  m.reported = ReportedMetrics{};
  if (t.seed == 0) {
    m.model.leaf_rh_net = read_model_json(dir + t.site + "_PB-" + layers + "-0.5.json").model.leaf_rh_net;
  } else {
    initialise_network(m.model.leaf_rh_net, static_cast<std::uint64_t>(t.seed) * 2);
  }
  return m;
}

struct Scores {
  double le = 0, nee = 0;
};

Scores score(const Model<double>& model, const ForcingRecord& forcing, const ObservedFluxes& observed) {
  RunOptions options;
  options.threads = 1;
  const RunResult r = run_model(model, forcing, options);
  return {compute_metrics(r.outputs.LE, observed.LE).nse, compute_metrics(r.outputs.NEE, observed.NEE).nse};
}

Scores score(const DnnModel& model, const ForcingRecord& forcing, const ObservedFluxes& observed) {
  const DnnPrediction p = run_dnn(model, forcing);
  return {compute_metrics(p.LE, observed.LE).nse, compute_metrics(p.NEE, observed.NEE).nse};
}

// A training or test period of a site (the first `rows` half-hours when asked).
struct Period {
  ForcingRecord forcing;
  ObservedFluxes observed;
};

Period read_period(const SweepOptions& o, const std::string& site, bool test) {
  return {first_rows(read_forcing_file(forcing_file(o, site, test)), o.rows),
          first_rows(read_flux_csv(flux_file(o, site, test)), o.rows)};
}

// A training's own time: the `seconds` column of its history CSV summed (a resumed training's
// earlier epochs come with its checkpoint), without reading the data and scoring; NaN without the
// file. Read from the file for a new training too, so that a later call reports the same figure.
// The model file holds no times, so that it is the same whatever machine, jobs or ranks trained it.
double history_minutes(const std::string& path) {
  if (!fs::exists(path)) return std::numeric_limits<double>::quiet_NaN();
  const io::CsvTable history = io::CsvTable::read(path);
  const std::optional<std::size_t> seconds = history.find_exact("seconds");
  if (!seconds) throw InputError(path, history.header_line(), "seconds", "the training history has no seconds column");
  double total = 0;
  for (std::size_t r = 0; r < history.size(); ++r) total += history.number(r, *seconds, io::EmptyCell::Error);
  return total / 60.0;
}

// The epochs run and stop reason of a model written by an earlier call, which must have been
// trained under the settings this sweep asks for (else its scores would be reported as theirs).
void read_training_record(const std::string& path, const nlohmann::json& settings, SweepRow& row) {
  const nlohmann::json doc = io::parse_json_file(path);
  if (doc.contains("training") && doc["training"].contains("settings")) {
    // A model recorded before the exact phase and the kept-epoch rule existed was trained with the
    // one-step gradient throughout and kept its last epoch: compared as such, not skipped.
    nlohmann::json recorded = doc["training"]["settings"];
    const auto absent = [&](const char* key) {
      return recorded.is_object() && settings.contains(key) && !recorded.contains(key);
    };
    if (absent("exact_from")) recorded["exact_from"] = kExactFromNever;
    if (absent("keep_epoch")) recorded["keep_epoch"] = kept_parameters_name(KeptParameters::Last);
    const std::string difference = settings_difference(recorded, settings, true);
    if (!difference.empty())
      throw InputError(path, 0, "training.settings",
                       "this model was trained under other settings than the sweep asks for (" + difference +
                           "); use another --output-dir, or remove the model and its checkpoint to train it again");
  }
  if (doc.contains("training")) {
    row.epochs_run = doc["training"].value("epochs_run", 0);
    row.stop_reason = doc["training"].value("stop_reason", std::string());
  }
  row.reused = true;
  row.minutes = history_minutes(fs::path(path).replace_extension().string() + "-history.csv");
}

// A CanVeg family (PB or Hybrid, 1 or 50 layers) from JAX-CanVeg's initial state, resumed from its
// checkpoint when one exists. Returns the training and test scores.
std::pair<Scores, Scores> canveg_task(const SweepOptions& o, const SweepTask& t, const Period& training,
                                      const Period& testing, const std::string& base, SweepRow& row) {
  LoadedModel trained;
  TrainOptions options = o.train;
  options.loss.le_weight = t.le_weight;
  options.gradient.threads = 1;
  const nlohmann::json settings = {{"task", t.name()},
                                   {"epochs", options.epochs},
                                   {"rows", o.rows},
                                   {"batch_size", options.gradient.batch_size},
                                   {"method", fixed_point_gradient_name(options.gradient.method)},
                                   {"exact_from", exact_gradient_from(options)},
                                   {"keep_epoch", kept_parameters_name(options.keep)},
                                   {"jax_pooled_update", options.jax_pooled_update},
                                   {"formulation", formulation_name(o.formulation)}};
  if (fs::exists(base + ".json")) {
    trained = read_model_json(base + ".json");
    if (trained.model.setup.formulation != o.formulation)
      throw InputError(base + ".json", 0, "setup.formulation",
                       std::string("this model was trained in the ") + formulation_name(trained.model.setup.formulation) +
                           " formulation, the sweep asks for " + formulation_name(o.formulation) +
                           " (use another --output-dir)");
    read_training_record(base + ".json", settings, row);
  } else {
    TrainProblem p;
    p.initial = initial_model(o, t);
    p.forcing = training.forcing;
    p.observed = training.observed;
    p.test_forcing = &testing.forcing;
    p.test_observed = &testing.observed;
    const std::string checkpoint = base + ".checkpoint.json";
    std::unique_ptr<TrainState> resume;
    if (fs::exists(checkpoint)) resume = std::make_unique<TrainState>(read_train_state(checkpoint, settings));
    const TrainResult r = train(
        p, options, [&](const TrainState& s, const EpochRecord&) { write_train_state(s, settings, checkpoint); },
        resume.get());
    row.epochs_run = r.epochs_run;
    row.stop_reason = r.stop_reason;
    write_train_history(r, base + "-history.csv");
    row.minutes = history_minutes(base + "-history.csv");
    write_model_json(r.model, base + ".json",
                     {{"training", {{"program", "canveg 0.1.0"},
                                    {"sweep_task", t.name()},
                                    {"settings", settings},
                                    {"epochs_run", r.epochs_run},
                                    {"stop_reason", r.stop_reason}}}});
    trained = r.model;
  }
  return {score(trained.model, training.forcing, training.observed),
          score(trained.model, testing.forcing, testing.observed)};
}

// The neural-network baseline: a new network drawn from the task's seed (JAX-CanVeg's own initial
// weights came from JAX's generator and were not kept), trained with the DNN settings. A training
// takes seconds, so there is no checkpoint.
std::pair<Scores, Scores> dnn_task(const SweepOptions& o, const SweepTask& t, const Period& training,
                                   const Period& testing, const std::string& base, SweepRow& row) {
  DnnModel trained;
  DnnTrainOptions options = o.dnn;
  options.le_weight = t.le_weight;
  options.seed = static_cast<std::uint64_t>(t.seed);
  const nlohmann::json settings = {{"task", t.name()},
                                   {"epochs", options.epochs},
                                   {"rows", o.rows},
                                   {"batch_size", options.batch_size},
                                   {"seed", options.seed}};
  if (fs::exists(base + ".json")) {
    trained = read_dnn_json(base + ".json");
    read_training_record(base + ".json", settings, row);
  } else {
    DnnTrainProblem p;
    p.initial = new_dnn_model(t.site, options.seed);
    p.forcing = training.forcing;
    p.observed = training.observed;
    p.test_forcing = &testing.forcing;
    p.test_observed = &testing.observed;
    const DnnTrainResult r = train_dnn(p, options);
    row.epochs_run = r.epochs_run;
    row.stop_reason = r.stop_reason;
    write_dnn_train_history(r, base + "-history.csv");
    row.minutes = history_minutes(base + "-history.csv");
    write_dnn_json(r.model, base + ".json",
                   {{"training", {{"program", "canveg 0.1.0"},
                                  {"sweep_task", t.name()},
                                  {"settings", settings},
                                  {"epochs_run", r.epochs_run},
                                  {"stop_reason", r.stop_reason}}}});
    trained = r.model;
  }
  return {score(trained, training.forcing, training.observed), score(trained, testing.forcing, testing.observed)};
}

std::string csv_text(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

}  // namespace

std::string SweepTask::name() const {
  return site + "_" + family + "-" + weight_text(le_weight) + "_s" + std::to_string(seed);
}

std::vector<SweepTask> sweep_tasks(const SweepOptions& o) {
  std::vector<SweepTask> tasks;
  for (const std::string& site : o.sites)
    for (const std::string& family : o.families)
      for (double w : o.le_weights)
        for (int seed : o.seeds) tasks.push_back({site, family, w, seed});
  return tasks;
}

void write_sweep_table(const std::vector<SweepRow>& rows, const std::string& path) {
  io::AtomicOutputFile table(path);
  std::ostream& out = table.stream();
  out.precision(10);
  out << "site,family,le_weight,seed,epochs_run,stop_reason,train_nse_le,train_nse_nee,test_nse_le,test_nse_nee,minutes\n";
  for (const SweepRow& r : rows)
    out << r.task.site << ',' << r.task.family << ',' << weight_text(r.task.le_weight) << ',' << r.task.seed << ','
        << r.epochs_run << ',' << csv_text(r.stop_reason) << ',' << r.train_nse_le << ',' << r.train_nse_nee << ','
        << r.test_nse_le << ',' << r.test_nse_nee << ',' << r.minutes << '\n';
  table.commit();
}

std::string sweep_row_json(const SweepRow& r) {
  const nlohmann::json j = {{"site", r.task.site},          {"family", r.task.family},
                            {"le_weight", r.task.le_weight}, {"seed", r.task.seed},
                            {"epochs_run", r.epochs_run},    {"stop_reason", r.stop_reason},
                            {"train_nse_le", r.train_nse_le}, {"train_nse_nee", r.train_nse_nee},
                            {"test_nse_le", r.test_nse_le},  {"test_nse_nee", r.test_nse_nee},
                            {"minutes", r.minutes},          {"reused", r.reused}};
  return j.dump();
}

SweepRow sweep_row_from_json(const std::string& line) {
  const nlohmann::json j = nlohmann::json::parse(line);
  SweepRow r;
  r.task = {j.at("site").get<std::string>(), j.at("family").get<std::string>(), j.at("le_weight").get<double>(),
            j.at("seed").get<int>()};
  r.epochs_run = j.at("epochs_run").get<int>();
  r.stop_reason = j.at("stop_reason").get<std::string>();
  // NaN scores travel as JSON null.
  const auto score = [&](const char* key) {
    return j.at(key).is_null() ? std::numeric_limits<double>::quiet_NaN() : j.at(key).get<double>();
  };
  r.train_nse_le = score("train_nse_le"), r.train_nse_nee = score("train_nse_nee");
  r.test_nse_le = score("test_nse_le"), r.test_nse_nee = score("test_nse_nee");
  r.minutes = score("minutes");
  r.reused = j.at("reused").get<bool>();
  return r;
}

std::vector<SweepRow> run_sweep(const SweepOptions& o,
                                const std::function<void(const SweepRow&, std::size_t, std::size_t)>& progress) {
  const std::vector<SweepTask> tasks = sweep_tasks(o);
  if (tasks.empty()) throw InputError("", 0, "--weights", "the sweep has no tasks");
  // A value listed twice would train one model and report it twice, as two tasks.
  const auto refuse_repeats = [](const auto& values, const char* option, const auto& text) {
    for (std::size_t i = 0; i < values.size(); ++i)
      for (std::size_t k = 0; k < i; ++k)
        if (text(values[i]) == text(values[k]))
          throw InputError("", 0, option, std::string(option) + " lists " + text(values[i]) + " twice");
  };
  refuse_repeats(o.sites, "--sites", [](const std::string& v) { return v; });
  refuse_repeats(o.families, "--families", [](const std::string& v) { return v; });
  refuse_repeats(o.le_weights, "--weights", [](double v) { return weight_text(v); });
  refuse_repeats(o.seeds, "--seeds", [](int v) { return std::to_string(v); });
  check_data_folder(o, tasks);
  for (const SweepTask& t : tasks) {
    if (t.family != "PB-1L" && t.family != "PB-ML" && t.family != "Hybrid-1L" && t.family != "Hybrid-ML" &&
        t.family != "DNN")
      throw InputError("", 0, "--families",
                       "unknown family '" + t.family + "' (PB-1L, PB-ML, Hybrid-1L, Hybrid-ML, DNN)");
    if (!(t.le_weight >= 0.0 && t.le_weight <= 1.0))
      throw InputError("", 0, "--weights", "the LE weight must lie in [0, 1], found " + std::to_string(t.le_weight));
    if (t.seed < 0) throw InputError("", 0, "--seeds", "seeds are 0 (JAX-CanVeg's initialisation) or positive");
    for (bool test : {false, true}) {
      require_file(forcing_file(o, t.site, test), std::string(test ? "test" : "training") + " forcing of " + t.site);
      require_file(flux_file(o, t.site, test), std::string(test ? "test" : "training") + " fluxes of " + t.site);
    }
    if (t.family != "DNN")
      require_file(o.data_dir + "/jax-canveg-trained/" + t.site + "_" + t.family + "-0.5.json", "model set-up");
  }
  if (!fs::is_directory(o.output_dir)) throw InputError(o.output_dir, 0, "", "output folder does not exist");

  if (o.task_stride == 0 || o.task_offset >= tasks.size())
    throw InputError("", 0, "--task-index",
                     "task " + std::to_string(o.task_offset) + " does not exist: the sweep has " +
                         std::to_string(tasks.size()) + " tasks, numbered from 0");
  std::vector<std::size_t> share;
  for (std::size_t k = o.task_offset; k < tasks.size(); k += o.task_stride) share.push_back(k);

  std::vector<SweepRow> rows(share.size());
  std::mutex mutex;
  std::size_t done = 0;
  const auto run_task = [&](int, std::size_t i) {
    const SweepTask& t = tasks[share[i]];
    SweepRow& row = rows[i];
    row.task = t;
    const Period training = read_period(o, t.site, false), testing = read_period(o, t.site, true);
    const std::string base = (fs::path(o.output_dir) / t.name()).string();
    const auto [train_scores, test_scores] = t.family == "DNN" ? dnn_task(o, t, training, testing, base, row)
                                                                : canveg_task(o, t, training, testing, base, row);
    row.train_nse_le = train_scores.le, row.train_nse_nee = train_scores.nee;
    row.test_nse_le = test_scores.le, row.test_nse_nee = test_scores.nee;
    std::lock_guard<std::mutex> lock(mutex);
    ++done;
    if (progress) progress(row, done, share.size());
  };
  run::parallel_units(run::resolve_threads(o.jobs, share.size()), share.size(), run_task);
  if (o.write_table) write_sweep_table(rows, (fs::path(o.output_dir) / "sweep.csv").string());
  return rows;
}

}  // namespace canveg
