// `canveg evaluate --predicted <fluxes.csv> --observed <fluxes.csv> [--forcing <forcing>]
//                  [--site-name <site> [--benchmark-data <dir>]] [--qc-only] [--interpolate-gaps]
//                  [--scores <scores.csv>] [--report <report.html>]`
#include "cli/evaluate_command.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>

#include <unistd.h>

#include <nlohmann/json.hpp>
#include <cstdio>
#include <memory>
#include <string>
#include <unordered_map>

#include "canveg/benchmarks.hpp"
#include "canveg/errors.hpp"
#include "canveg/evaluation.hpp"
#include "canveg/forcing.hpp"
#include "canveg/output_io.hpp"
#include "cli/forcing_options.hpp"
#include "io/time_axis.hpp"

namespace canveg {
namespace {

struct EvaluateArgs {
  std::string predicted, observed, forcing, scores, site_name, benchmark_data = "../shared/data", report;
  bool qc_only = false, interpolate_gaps = false, quiet = false;
  cli::ForcingOptionArgs forcing_options;
};

std::string number(double v, int precision) {
  if (std::isnan(v)) return "nan";
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*f", precision, v);
  return buf;
}

void print_scores(const std::vector<FluxScore>& scores, bool day_night) {
  std::printf("%-6s %-5s %-12s %-13s %-6s %6s %8s %9s %9s %9s %7s %7s %7s %8s\n", "model", "flux", "unit", "observed",
              "period", "n",
              "NSE", "RMSE", "MAE", "bias", "r", "SDrat", "NME", "KGE");
  bool flagged = false;
  for (const FluxScore& s : scores) {
    const FitMetrics& m = s.metrics;
    const std::string kge = number(m.kge, 3) + (m.kge_unreliable ? "*" : "");
    flagged = flagged || m.kge_unreliable;
    std::printf("%-6s %-5s %-12s %-13s %-6s %6zu %8s %9s %9s %9s %7s %7s %7s %8s\n", s.model.c_str(), s.flux.c_str(),
                s.unit.c_str(),
                s.observed_column.c_str(), s.period.c_str(), m.n, number(m.nse, 4).c_str(), number(m.rmse, 2).c_str(),
                number(m.mae, 2).c_str(), number(m.bias, 2).c_str(), number(m.r, 3).c_str(),
                number(m.sd_ratio, 3).c_str(), number(m.nme, 3).c_str(), kge.c_str());
  }
  std::printf("RMSE, MAE and bias in the flux's unit; NME = sum|p - o| / sum|o - mean o| (PLUMBER, < 1 beats the "
              "observed mean); SDrat = sd(p) / sd(o).\n");
  if (flagged)
    std::printf("* KGE unreliable: the observed mean is within 0.25 standard deviations of zero, so its bias term "
                "divides by almost nothing.\n");
  if (!day_night) std::printf("(Day and night rows need --forcing: day is incoming shortwave above 10 W m-2.)\n");
}

void write_scores(const std::vector<FluxScore>& scores, const std::string& path, const std::vector<std::string>& inputs) {
  io::AtomicOutputFile file(path, inputs);
  std::ostream& out = file.stream();
  out << "model,flux,unit,observed_column,period,n,nse,rmse,mae,bias,r,r2,sd_ratio,nme,kge,kge_unreliable,"
         "mean_observed,sd_observed\n";
  std::string line;
  for (const FluxScore& s : scores) {
    const FitMetrics& m = s.metrics;
    line = s.model + ',' + s.flux + ',' + s.unit + ',' + s.observed_column + ',' + s.period + ',' + std::to_string(m.n);
    for (double v : {m.nse, m.rmse, m.mae, m.bias, m.r, m.r2, m.sd_ratio, m.nme, m.kge}) {
      line += ',';
      io::append_number(line, v);
    }
    line += m.kge_unreliable ? ",1," : ",0,";
    io::append_number(line, m.mean_observed);
    line += ',';
    io::append_number(line, m.sd_observed);
    out << line << '\n';
  }
  file.commit();
}

// The other shared sites' data, for the out-of-sample benchmarks: each site folder under
// <data>/fluxtower/ gives its training period (<site>-forcings.csv, <site>-fluxes.csv), or its
// test period where it has no training files.
struct SiteData {
  BenchmarkDrivers drivers;
  ObservedFluxes fluxes;
};

// The sites' forcing files under --benchmark-data, each read once: the check of --site-name
// compares the forcing with all of them, and the benchmarks are fitted on the other sites' ones.
class SiteForcings {
 public:
  const ForcingRecord& get(const std::string& path) {
    auto found = read_.find(path);
    if (found == read_.end()) found = read_.emplace(path, read_forcing_file(path)).first;
    return found->second;
  }

 private:
  std::map<std::string, ForcingRecord> read_;
};

std::vector<SiteData> other_sites(const EvaluateArgs& a, SiteForcings& files) {
  namespace fs = std::filesystem;
  const fs::path root = fs::path(a.benchmark_data) / "fluxtower";
  if (!fs::is_directory(root))
    throw InputError(a.benchmark_data, 0, "--benchmark-data", "no fluxtower/ folder with the sites' data");
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(root))
    if (entry.is_directory()) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  if (std::find(names.begin(), names.end(), a.site_name) == names.end())
    throw InputError(a.benchmark_data, 0, "--site-name", "no site '" + a.site_name + "' under " + root.string());
  std::vector<SiteData> sites;
  FluxReadOptions measured;
  measured.interpolate_gaps = false;
  for (const std::string& site : names) {
    if (site == a.site_name) continue;  // out of sample: never the evaluated site
    const fs::path folder = root / site;
    const bool training = fs::exists(folder / (site + "-forcings.csv")) && fs::exists(folder / (site + "-fluxes.csv"));
    const std::string suffix = training ? ".csv" : "-test.csv";
    const fs::path forcing = folder / (site + "-forcings" + suffix), fluxes = folder / (site + "-fluxes" + suffix);
    if (!fs::exists(forcing) || !fs::exists(fluxes)) continue;
    const ForcingRecord& meteorology = files.get(forcing.string());
    SiteData d{benchmark_drivers(meteorology), read_flux_csv(fluxes.string(), measured)};
    check_alignment(d.fluxes, meteorology.timestamp, forcing.string());
    sites.push_back(std::move(d));
  }
  if (sites.empty()) throw InputError(a.benchmark_data, 0, "--benchmark-data", "no other site to fit benchmarks on");
  return sites;
}

// The share of the forcing's half-hours that a site's own forcing file holds with the same air
// temperature and incoming shortwave (within rounding of a converted file).
double share_matching(const ForcingRecord& forcing, const ForcingRecord& site_file) {
  std::unordered_map<io::Minutes, std::size_t> row_of;
  for (std::size_t r = 0; r < site_file.size(); ++r)
    if (const auto t = io::parse_timestamp(site_file.timestamp[r])) row_of.emplace(*t, r);
  std::size_t same = 0;
  for (std::size_t r = 0; r < forcing.size(); ++r) {
    const auto t = io::parse_timestamp(forcing.timestamp[r]);
    const auto found = t ? row_of.find(*t) : row_of.end();
    if (found == row_of.end()) continue;
    same += std::abs(forcing.ta[r] - site_file.ta[found->second]) < 0.05 &&
            std::abs(forcing.rg[r] - site_file.rg[found->second]) < 1.0;
  }
  return forcing.size() > 0 ? static_cast<double>(same) / static_cast<double>(forcing.size()) : 0.0;
}

// The benchmarks are fitted on every site but --site-name's: a wrong name would fit them on the
// evaluated site itself, in sample, and their verdicts would flip without a sign. The forcing is
// compared with each site's own forcing files under --benchmark-data: when it is another site's
// half-hours and not the named site's, the name is refused. A file named for another site is
// warned about (a name is weaker evidence than the data).
void check_site_name(const EvaluateArgs& a, const ForcingRecord& forcing, SiteForcings& files) {
  namespace fs = std::filesystem;
  for (const std::string* file : {&a.forcing, &a.observed, &a.predicted}) {
    const std::string named = other_site_in_file_name(*file, a.site_name);
    if (!named.empty())
      std::fprintf(stderr,
                   "canveg: warning: evaluate: %s: the file is named for %s, but --site-name is %s: the benchmarks "
                   "are fitted on every site but %s\n",
                   file->c_str(), named.c_str(), a.site_name.c_str(), a.site_name.c_str());
  }
  const fs::path root = fs::path(a.benchmark_data) / "fluxtower";
  std::string owner;
  double owner_share = 0.0;
  for (const auto& entry : fs::directory_iterator(root)) {
    if (!entry.is_directory()) continue;
    const std::string site = entry.path().filename().string();
    for (const char* suffix : {"-forcings.csv", "-forcings-test.csv"}) {
      const fs::path file = entry.path() / (site + suffix);
      if (!fs::exists(file)) continue;
      const double share = share_matching(forcing, files.get(file.string()));
      if (site == a.site_name && share >= 0.5) return;  // the named site's own half-hours
      if (share > owner_share) owner = site, owner_share = share;
    }
  }
  if (owner_share >= 0.5)
    throw InputError("", 0, "--site-name",
                     "the site is named " + a.site_name + ", but " + std::to_string(static_cast<int>(100.0 * owner_share)) +
                         " % of the half-hours of " + a.forcing + " are " + owner + "'s (its files under " +
                         root.string() + "): the benchmarks would be fitted on the evaluated site itself; give "
                         "--site-name " + owner);
}

// The benchmarks' predictions of every flux the other sites observe, as extra "models".
std::vector<std::pair<std::string, std::vector<io::PredictedSeries>>> benchmark_predictions(
    const EvaluateArgs& a, const BenchmarkDrivers& here, SiteForcings& files) {
  const std::vector<SiteData> sites = other_sites(a, files);
  BenchmarkDrivers drivers;
  for (const SiteData& s : sites) drivers.append(s.drivers);
  std::vector<std::pair<std::string, std::vector<io::PredictedSeries>>> models;
  for (BenchmarkKind kind : {BenchmarkKind::OneLinear, BenchmarkKind::TwoLinear, BenchmarkKind::KMeans27}) {
    std::vector<io::PredictedSeries> series;
    for (const char* flux : {"LE", "H", "NEE", "Rnet", "G"}) {
      std::vector<double> y;
      bool everywhere = true;
      for (const SiteData& s : sites) {
        const std::vector<double>* v = observed_flux(s.fluxes, flux);
        everywhere = everywhere && v;
        if (v) y.insert(y.end(), v->begin(), v->end());
      }
      if (!everywhere) continue;  // a benchmark of a flux some site lacks would be fitted on fewer sites
      series.push_back({flux, fit_benchmark(kind, drivers, y, a.benchmark_data).predict(here)});
    }
    models.emplace_back(benchmark_name(kind), std::move(series));
  }
  return models;
}

// Per flux: does the model beat each benchmark? PLUMBER ranks on several metrics; the verdict here
// uses the normalised mean error over the whole record (lower is better).
std::vector<std::string> verdicts(const std::vector<FluxScore>& scores) {
  std::vector<std::string> lines;
  for (const FluxScore& m : scores) {
    if (m.model != "canveg" || m.period != "all") continue;
    std::string line = m.flux + ":";
    bool any = false;
    for (const FluxScore& b : scores)
      if (b.model != "canveg" && b.period == "all" && b.flux == m.flux) {
        any = true;
        line += " " + std::string(m.metrics.nme < b.metrics.nme ? "beats " : "does not beat ") + b.model + " (NME " +
                number(m.metrics.nme, 3) + " vs " + number(b.metrics.nme, 3) + ");";
      }
    if (any) lines.push_back(line);
  }
  return lines;
}

// The report's script: $CANVEG_REPORT_SCRIPT, else the source tree's, else the installed one
// (<prefix>/share/canveg beside <prefix>/bin/canveg).
std::string report_script() {
  namespace fs = std::filesystem;
  if (const char* env = std::getenv("CANVEG_REPORT_SCRIPT")) return env;
  const fs::path source = fs::path(CANVEG_SCRIPT_DIR) / "evaluation_report.py";
  if (fs::exists(source)) return source.string();
  std::error_code ec;
  const fs::path installed = fs::read_symlink("/proc/self/exe", ec).parent_path() / "../share/canveg/evaluation_report.py";
  if (!ec && fs::exists(installed)) return installed.lexically_normal().string();
  throw InputError("", 0, "--report", "evaluation_report.py not found (set CANVEG_REPORT_SCRIPT)");
}

// Writes the report's data (series.csv, scores.csv, meta.json) to a private folder, runs the
// matplotlib script on it into the report's temporary file and commits the report.
// The flux columns --qc-only could not limit (no _QC flag of their own), comma-separated.
std::string without_qc_columns(const ObservedFluxes& observed) {
  std::string columns;
  for (const std::string& c : observed.without_qc) columns += (columns.empty() ? "" : ", ") + c;
  return columns;
}

// For the report's inputs: those columns, "" when none.
std::string without_qc_note(const ObservedFluxes& observed) {
  const std::string columns = without_qc_columns(observed);
  return columns.empty() ? "" : "; all for " + columns + " (no _QC column)";
}

void write_report(const EvaluateArgs& a, const io::PredictedFluxes& predicted, const ObservedFluxes& observed,
                  const std::vector<std::pair<std::string, std::vector<io::PredictedSeries>>>& benchmarks,
                  const std::vector<FluxScore>& scores, const std::vector<std::string>& inputs) {
  namespace fs = std::filesystem;
  io::AtomicOutputFile report(a.report, inputs);
  if (report.temp_path().empty()) throw InputError(a.report, 0, "--report", "the report must be a file, not a device or pipe");
  std::string pattern = (fs::temp_directory_path() / "canveg-report-XXXXXX").string();
  if (!::mkdtemp(pattern.data())) throw InputError(a.report, 0, "--report", "cannot create a temporary folder");
  const fs::path folder(pattern);
  struct Cleanup {
    fs::path folder;
    ~Cleanup() {
      std::error_code ignored;
      fs::remove_all(folder, ignored);
    }
  } cleanup{folder};
  // series.csv: observed and predicted half-hours of every scored flux.
  std::vector<std::pair<std::string, const std::vector<double>*>> columns;
  for (const FluxScore& s : scores) {
    if (s.model != "canveg" || s.period != "all") continue;
    columns.push_back({"obs_" + s.flux, observed_flux(observed, s.flux)});  // scored, so present
    for (const io::PredictedSeries& p : predicted.series)
      if (p.flux == s.flux) columns.push_back({"canveg_" + s.flux, &p.values});
    for (const auto& [model, series] : benchmarks)
      for (const io::PredictedSeries& p : series)
        if (p.flux == s.flux) columns.push_back({model + "_" + s.flux, &p.values});
  }
  {
    std::ofstream out(folder / "series.csv");
    out << "TIMESTAMP_END";
    for (const auto& c : columns) out << ',' << c.first;
    out << '\n';
    std::string line;
    for (std::size_t r = 0; r < predicted.timestamp.size(); ++r) {
      line = predicted.timestamp[r];
      for (const auto& c : columns) {
        line += ',';
        if (std::isfinite((*c.second)[r])) io::append_number(line, (*c.second)[r]);
      }
      out << line << '\n';
    }
    if (!out) throw InputError(a.report, 0, "--report", "cannot write the report's data");
  }
  write_scores(scores, (folder / "scores.csv").string(), {});
  nlohmann::json meta = {
      {"inputs",
       {{"predicted", a.predicted},
        {"observed", a.observed},
        {"forcing", a.forcing.empty() ? "(none: no day/night rows, no benchmarks)" : a.forcing},
        {"site", a.site_name.empty() ? "(not given: no benchmarks)" : a.site_name},
        {"benchmark data", a.site_name.empty() ? "" : a.benchmark_data},
        {"observation gaps", a.interpolate_gaps ? "interpolated linearly (as JAX-CanVeg)" : "skipped"},
        {"half-hours", a.qc_only ? "measured only (QC = 0)" + without_qc_note(observed) : "all"}}},
      {"verdicts", verdicts(scores)}};
  std::ofstream(folder / "meta.json") << meta.dump(1);
  const std::string python = fs::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
  const std::string command = python + " '" + report_script() + "' '" + folder.string() + "' '" + report.temp_path() +
                              "' 2>'" + (folder / "stderr.txt").string() + "'";
  if (std::system(command.c_str()) != 0) {
    std::ifstream err(folder / "stderr.txt");
    const std::string message((std::istreambuf_iterator<char>(err)), std::istreambuf_iterator<char>());
    throw InputError(a.report, 0, "--report",
                     "the plotting script failed (it needs python3 with matplotlib, numpy and pandas):\n" + message);
  }
  report.commit();
}

int run_evaluate(const EvaluateArgs& a) {
  try {
    std::vector<std::string> inputs = {a.predicted, a.observed, a.forcing};
    if (!a.forcing.empty())
      for (const std::string& file : cli::forcing_option_files(cli::forcing_read_options(a.forcing_options)))
        inputs.push_back(file);
    for (const std::string* out : {&a.scores, &a.report})
      if (!out->empty()) io::AtomicOutputFile check(*out, inputs);  // before any work
    if (!a.scores.empty() && a.scores == a.report) throw InputError(a.report, 0, "--report", "same file as --scores");
    if (a.qc_only && a.interpolate_gaps)
      throw InputError("", 0, "--qc-only", "--qc-only keeps measured half-hours only; --interpolate-gaps fills them");
    const io::PredictedFluxes predicted = io::read_predicted_fluxes(a.predicted);
    FluxReadOptions read;
    read.interpolate_gaps = a.interpolate_gaps;
    read.qc_only = a.qc_only;
    const ObservedFluxes observed = observations_for_record(read_flux_csv(a.observed, read), predicted.timestamp, a.predicted);
    // Fluxes without a flag of their own cannot be limited to measured values: say so (also with -q).
    if (!observed.without_qc.empty())
      std::fprintf(stderr,
                   "canveg: warning: evaluate: --qc-only: %s has no _QC column for %s; their scores use every "
                   "half-hour, gap-filled ones included\n",
                   a.observed.c_str(), without_qc_columns(observed).c_str());
    std::vector<double> shortwave;
    std::optional<ForcingRecord> forcing;
    if (!a.forcing.empty()) {
      forcing = read_forcing_file(a.forcing, cli::forcing_read_options(a.forcing_options));
      // Its shortwave splits day from night: it must be the predictions' half-hours.
      check_same_half_hours(forcing->timestamp, a.forcing, predicted.timestamp, a.predicted);
      shortwave = forcing->rg;
    }
    std::vector<FluxScore> scores =
        score_fluxes(predicted.series, observed, predicted.timestamp, shortwave.empty() ? nullptr : &shortwave);
    for (const FluxScore& s : scores)
      if (s.period == "all") {
        const std::string sign = sign_convention_warning(s.metrics, s.flux, s.observed_column);
        if (!sign.empty()) std::fprintf(stderr, "canveg: warning: evaluate: %s: %s\n", a.observed.c_str(), sign.c_str());
      }
    std::vector<std::pair<std::string, std::vector<io::PredictedSeries>>> benchmarks;
    if (!a.site_name.empty()) {
      if (!forcing) throw InputError("", 0, "--site-name", "the benchmarks need the run's meteorology: give --forcing");
      SiteForcings site_forcings;
      check_site_name(a, *forcing, site_forcings);
      benchmarks = benchmark_predictions(a, benchmark_drivers(*forcing), site_forcings);
      for (const auto& [model, series] : benchmarks) {
        std::vector<FluxScore> more = score_fluxes(series, observed, predicted.timestamp, &shortwave);
        for (FluxScore& s : more) s.model = model;
        scores.insert(scores.end(), more.begin(), more.end());
      }
    }
    print_scores(scores, !shortwave.empty());
    for (const std::string& line : verdicts(scores)) std::printf("canveg: %s\n", line.c_str());
    if (!a.report.empty()) {
      write_report(a, predicted, observed, benchmarks, scores, inputs);
      if (!a.quiet) std::fprintf(stderr, "canveg: evaluate: wrote the report %s\n", a.report.c_str());
    }
    if (!a.scores.empty()) write_scores(scores, a.scores, inputs);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "canveg: error: evaluate: %s\n", e.what());
    return 1;
  }
}

}  // namespace

CLI::App* add_evaluate_command(CLI::App& app, cli::CommandSlot& slot) {
  auto a = std::make_shared<EvaluateArgs>();
  CLI::App* cmd = app.add_subcommand(
      "evaluate", "Score a canveg output against tower observations: LE, H, NEE, GPP, Rnet, G and Rsoil where both "
                  "have them, over the record, by day and night and by season (README \"Evaluation\")");
  cmd->add_option("--predicted", a->predicted, "canveg output CSV")->required();
  cmd->add_option("--observed", a->observed,
                  "observed fluxes CSV (JAX-CanVeg, AmeriFlux/FLUXNET or ALMA column names)")
      ->required();
  cmd->add_option("--forcing", a->forcing, "the run's forcing: its incoming shortwave separates day from night");
  cmd->add_flag("--qc-only", a->qc_only,
                "score only measured half-hours (a <column>_QC flag of 0; a file without any such flag is refused)");
  cmd->add_flag("-q,--quiet", a->quiet, "nothing on stderr but errors (the scores still go to stdout)");
  cmd->add_flag("--interpolate-gaps", a->interpolate_gaps,
                "fill observation gaps linearly, as JAX-CanVeg's metrics did (default: gaps are skipped)");
  cmd->add_option("--scores", a->scores, "write every score as CSV");
  cmd->add_option("--site-name", a->site_name,
                  "the evaluated site: adds the empirical benchmarks 1lin, 2lin and 3km27 (PLUMBER), fitted on the "
                  "other sites of --benchmark-data (needs --forcing)");
  cmd->add_option("--report", a->report,
                  "write one self-contained HTML page: metrics tables, verdicts, inputs and the plots (time series, "
                  "diurnal cycles, scatter, Taylor diagram; matplotlib)");
  cmd->add_option("--benchmark-data", a->benchmark_data, "shared data folder holding fluxtower/<site>/")
      ->capture_default_str();
  cli::add_forcing_options(*cmd, a->forcing_options);
  cli::run_when_parsed(*cmd, slot, [a] { return run_evaluate(*a); });
  return cmd;
}

}  // namespace canveg
