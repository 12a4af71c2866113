#include "canveg/output_io.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <system_error>

#include "canveg/errors.hpp"
#include "canveg/forcing.hpp"
#include "io/csv_table.hpp"
#include "run/thread_pool.hpp"

namespace canveg::io {

// Shortest decimal that reads back to the same double (std::to_chars), so the file loses nothing.
void append_number(std::string& line, double v) {
  if (std::isnan(v)) {
    line += "NaN";
    return;
  }
  char buf[32];
  const auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, v);
  line.append(buf, ec == std::errc() ? ptr : buf);
}

namespace {

namespace fs = std::filesystem;

void check_length(const std::vector<double>& v, std::size_t n, std::string_view name) {
  if (v.size() != n)
    throw std::invalid_argument("output column " + std::string(name) + " has " + std::to_string(v.size()) +
                                " rows, expected " + std::to_string(n));
}

}  // namespace

std::vector<std::string> output_columns(bool with_diagnostics, bool with_convergence) {
  std::vector<std::string> names = {"TIMESTAMP_END"};
  for (const OutputField& f : kOutputFields) names.emplace_back(f.name);
  if (with_diagnostics)
    for (const DiagnosticField& f : kDiagnosticFields) names.emplace_back(f.name);
  if (with_convergence)
    for (const DiagnosticField& f : kConvergenceFields) names.emplace_back(f.name);
  return names;
}

void write_outputs(std::ostream& out, const std::vector<std::string>& timestamps, const CanopyOutputs& outputs,
                   const EnergyDiagnostics* diagnostics, const ConvergenceDiagnostics* convergence, int threads) {
  const std::size_t n = outputs.size();
  for (std::size_t i = 0; i < kOutputCount; ++i) check_length(outputs.series(i), n, kOutputFields[i].name);
  if (diagnostics)
    for (std::size_t i = 0; i < kDiagnosticCount; ++i)
      check_length(diagnostics->series(i), n, kDiagnosticFields[i].name);
  if (convergence)
    for (std::size_t i = 0; i < kConvergenceCount; ++i)
      check_length(convergence->series(i), n, kConvergenceFields[i].name);
  if (!timestamps.empty() && timestamps.size() != n)
    throw std::invalid_argument("output has " + std::to_string(n) + " rows but " +
                                std::to_string(timestamps.size()) + " time stamps");

  std::string line;
  const std::vector<std::string> header = output_columns(diagnostics != nullptr, convergence != nullptr);
  for (std::size_t i = 0; i < header.size(); ++i) line += (i ? "," : "") + header[i];
  out << line << '\n';
  const auto format_rows = [&](std::size_t first, std::size_t last, std::string& text) {
    text.clear();
    for (std::size_t r = first; r < last; ++r) {
      if (!timestamps.empty()) text += timestamps[r];
      for (std::size_t i = 0; i < kOutputCount; ++i) {
        text += ',';
        append_number(text, outputs.series(i)[r]);
      }
      if (diagnostics)
        for (std::size_t i = 0; i < kDiagnosticCount; ++i) {
          text += ',';
          append_number(text, diagnostics->series(i)[r]);
        }
      if (convergence)
        for (std::size_t i = 0; i < kConvergenceCount; ++i) {
          text += ',';
          append_number(text, convergence->series(i)[r]);
        }
      text += '\n';
    }
  };
  // Writing every number in its shortest round-trip form is about a fifth of a 1-layer run's
  // work, so rows are formatted in chunks by the workers, a bounded group of chunks at a time,
  // and each chunk is written in order with one call.
  constexpr std::size_t kRowsPerChunk = 1024;
  const std::size_t n_chunks = (n + kRowsPerChunk - 1) / kRowsPerChunk;
  const int workers = run::resolve_threads(threads, n_chunks);
  const std::size_t group = static_cast<std::size_t>(workers) * 4;
  std::vector<std::string> texts(std::min(group, n_chunks));
  for (std::size_t first_chunk = 0; first_chunk < n_chunks; first_chunk += group) {
    const std::size_t chunks = std::min(group, n_chunks - first_chunk);
    run::parallel_units(std::min<int>(workers, static_cast<int>(chunks)), chunks, [&](int, std::size_t k) {
      const std::size_t first = (first_chunk + k) * kRowsPerChunk;
      format_rows(first, std::min(n, first + kRowsPerChunk), texts[k]);
    });
    for (std::size_t k = 0; k < chunks; ++k) out.write(texts[k].data(), static_cast<std::streamsize>(texts[k].size()));
  }
}

void write_predicted_fluxes(std::ostream& out, const std::vector<std::string>& timestamps,
                            const std::vector<double>& le, const std::vector<double>& nee) {
  if (le.size() != nee.size() || (!timestamps.empty() && timestamps.size() != le.size()))
    throw std::invalid_argument("LE, NEE and time stamps differ in length");
  out << "TIMESTAMP_END,LE,NEE\n";
  std::string line;
  for (std::size_t r = 0; r < le.size(); ++r) {
    line.clear();
    if (!timestamps.empty()) line += timestamps[r];
    line += ',';
    append_number(line, le[r]);
    line += ',';
    append_number(line, nee[r]);
    out << line << '\n';
  }
}

PredictedFluxes read_predicted_fluxes(const std::string& path) {
  if (is_netcdf_file(path))
    throw InputError(path, 0, "", "a NetCDF file: evaluate reads canveg's CSV output; run again with a .csv --output");
  const CsvTable table = CsvTable::read(path);
  const auto column = [&](const char* name) {
    const auto col = table.find_exact(name);
    if (!col)
      throw InputError(path, table.header_line(), name,
                       std::string("no column '") + name + "' (expected a canveg output file); the header has: " +
                           table.header_list());
    return table.column(*col, EmptyCell::Gap);
  };
  PredictedFluxes p;
  p.source = path;
  p.LE = column("LE");
  p.NEE = column("NEE");
  for (const char* flux : {"LE", "H", "NEE", "GPP", "Rnet", "G", "Rsoil"})
    if (table.find_exact(flux)) p.series.push_back({flux, column(flux)});
  p.timestamp.assign(table.size(), std::string());
  if (auto ts = table.find_exact("TIMESTAMP_END")) p.timestamp = table.text_column(*ts);
  return p;
}

namespace {

// The temporary files of the AtomicOutputFiles alive now, for the signal handler to remove. Plain
// atomic pointers: the handler may only do async-signal-safe work (load, unlink).
constexpr std::size_t kMaxLiveTemporaries = 256;
std::array<std::atomic<const char*>, kMaxLiveTemporaries> g_live_temporaries{};

void track_temporary(const char* path) {
  for (auto& slot : g_live_temporaries) {
    const char* empty = nullptr;
    if (slot.compare_exchange_strong(empty, path)) return;
  }
  // More than kMaxLiveTemporaries open outputs at once: the extra ones are not removed on a signal.
}

void untrack_temporary(const char* path) {
  for (auto& slot : g_live_temporaries) {
    const char* expected = path;
    if (slot.compare_exchange_strong(expected, nullptr)) return;
  }
}

extern "C" void remove_temporaries_and_reraise(int sig) {
  for (auto& slot : g_live_temporaries)
    if (const char* path = slot.load()) ::unlink(path);
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

}  // namespace

void remove_temporary_outputs_on_signal() {
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) std::signal(sig, remove_temporaries_and_reraise);
}

bool same_file(const std::string& a, const std::string& b) {
  if (a.empty() || b.empty()) return false;
  // File identity where both exist (another spelling, a symbolic or a hard link), else the paths
  // made absolute and resolved (a file that does not exist yet is compared by name; "x.csv" and
  // "./x.csv" are one).
  std::error_code ec_equivalent, ec_a, ec_b;
  return fs::exists(a, ec_a) && fs::exists(b, ec_b)
             ? fs::equivalent(a, b, ec_equivalent)
             : fs::weakly_canonical(fs::absolute(a, ec_a), ec_a) == fs::weakly_canonical(fs::absolute(b, ec_b), ec_b);
}

void refuse_output_over_inputs(const std::string& path, const std::vector<std::string>& inputs) {
  for (const std::string& input : inputs)
    if (same_file(path, input))
      throw InputError(path, 0, "", "the output would overwrite the input " + input + "; choose another output path");
}

AtomicOutputFile::AtomicOutputFile(std::string path, const std::vector<std::string>& inputs) : path_(std::move(path)) {
  if (path_.empty()) throw InputError(path_, 0, "", "empty output path");
  refuse_output_over_inputs(path_, inputs);
  if (path_ == "-") path_ = "/dev/stdout";
  const fs::path target(path_);
  std::error_code ec;
  if (fs::is_directory(target, ec)) throw InputError(path_, 0, "", "output path is a folder, not a file");
  // A device, a pipe or a process's descriptor (/dev/stdout -> /proc/self/fd/1, /dev/fd/N, a
  // named pipe) is written directly: renaming a file over it would replace the device node or the
  // link itself, and a descriptor redirected to a file is a link too.
  const auto in_proc = [](const fs::path& p) { return p.string().rfind("/proc/", 0) == 0; };
  const fs::path folder_resolved =
      fs::weakly_canonical(target.has_parent_path() ? target.parent_path() : fs::path("."), ec);
  const bool special = (fs::exists(target, ec) && !fs::is_regular_file(target, ec)) ||
                       (fs::is_symlink(target, ec) && in_proc(fs::read_symlink(target, ec))) ||
                       in_proc(folder_resolved);
  if (special) {
    out_.open(path_, std::ios::binary | std::ios::trunc);
    if (!out_) {
      const int err = errno;
      throw InputError(path_, 0, "", std::string("cannot write the output: ") + std::strerror(err));
    }
    return;  // temp_path_ stays empty
  }
  const fs::path folder = target.has_parent_path() ? target.parent_path() : fs::path(".");
  if (!fs::is_directory(folder, ec))
    throw InputError(path_, 0, "", "cannot write the output: folder '" + folder.string() + "' does not exist");
  // The temporary file sits next to the target so that the final rename stays on one file
  // system (and is therefore atomic); the process id keeps concurrent runs apart.
  std::string temp_name = ".";
  temp_name += target.filename().string();
  temp_name += ".tmp-" + std::to_string(::getpid());
  temp_path_ = (folder / temp_name).string();
  out_.open(temp_path_, std::ios::binary | std::ios::trunc);
  if (!out_) {
    const int err = errno;
    throw InputError(path_, 0, "", "cannot write the output in folder '" + folder.string() +
                                       "': " + std::strerror(err));
  }
  track_temporary(temp_path_.c_str());
}

AtomicOutputFile::~AtomicOutputFile() {
  if (committed_ || temp_path_.empty()) return;
  out_.close();
  std::remove(temp_path_.c_str());
  untrack_temporary(temp_path_.c_str());
}

void AtomicOutputFile::commit() {
  out_.flush();
  const bool ok = static_cast<bool>(out_);
  out_.close();
  if (!ok || out_.fail())
    throw InputError(path_, 0, "", "error while writing the output (disk full, or a file-size limit such as ulimit -f)");
  if (!temp_path_.empty() && std::rename(temp_path_.c_str(), path_.c_str()) != 0) {
    const int err = errno;
    throw InputError(path_, 0, "", std::string("cannot replace the output file: ") + std::strerror(err));
  }
  committed_ = true;
  if (!temp_path_.empty()) untrack_temporary(temp_path_.c_str());
}

}  // namespace canveg::io
