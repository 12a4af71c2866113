#include "io/output_csv.hpp"

#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <system_error>

#include "canveg/errors.hpp"

namespace canveg::io {

namespace {

namespace fs = std::filesystem;

using OutputMember = std::vector<double> CanopyOutputs::*;
using DiagnosticMember = std::vector<double> EnergyDiagnostics::*;

// Headline fluxes first (the ones compared with observations), then the components (2.18).
const std::vector<std::pair<const char*, OutputMember>>& output_fields() {
  static const std::vector<std::pair<const char*, OutputMember>> fields = {
      {"LE", &CanopyOutputs::LE},           {"H", &CanopyOutputs::H},
      {"NEE", &CanopyOutputs::NEE},         {"GPP", &CanopyOutputs::GPP},
      {"Rnet", &CanopyOutputs::Rnet},       {"G", &CanopyOutputs::G},
      {"Rnet_top", &CanopyOutputs::Rnet_top}, {"LE_veg", &CanopyOutputs::LE_veg},
      {"LE_soil", &CanopyOutputs::LE_soil}, {"H_veg", &CanopyOutputs::H_veg},
      {"H_soil", &CanopyOutputs::H_soil},   {"Rnet_veg", &CanopyOutputs::Rnet_veg},
      {"Rnet_soil", &CanopyOutputs::Rnet_soil}, {"Rsoil", &CanopyOutputs::Rsoil},
      {"Ps", &CanopyOutputs::Ps},           {"gs", &CanopyOutputs::gs},
      {"Tleaf", &CanopyOutputs::Tleaf},     {"Tsoil_sfc", &CanopyOutputs::Tsoil_sfc},
      {"zL", &CanopyOutputs::zL}};
  return fields;
}

const std::vector<std::pair<const char*, DiagnosticMember>>& diagnostic_fields() {
  static const std::vector<std::pair<const char*, DiagnosticMember>> fields = {
      {"leaf_closure", &EnergyDiagnostics::leaf_closure},
      {"layer_closure_max", &EnergyDiagnostics::layer_closure_max},
      {"soil_closure", &EnergyDiagnostics::soil_closure},
      {"column_closure", &EnergyDiagnostics::column_closure},
      {"aggregation_error", &EnergyDiagnostics::aggregation_error}};
  return fields;
}

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

void check_length(const std::vector<double>& v, std::size_t n, const char* name) {
  if (v.size() != n)
    throw std::invalid_argument(std::string("output column ") + name + " has " + std::to_string(v.size()) +
                                " rows, expected " + std::to_string(n));
}

}  // namespace

std::vector<std::string> output_columns(bool with_diagnostics) {
  std::vector<std::string> names = {"TIMESTAMP_END"};
  for (const auto& f : output_fields()) names.emplace_back(f.first);
  if (with_diagnostics)
    for (const auto& f : diagnostic_fields()) names.emplace_back(f.first);
  return names;
}

void write_outputs(std::ostream& out, const std::vector<std::string>& timestamps, const CanopyOutputs& outputs,
                   const EnergyDiagnostics* diagnostics) {
  const std::size_t n = outputs.size();
  for (const auto& [name, member] : output_fields()) check_length(outputs.*member, n, name);
  if (diagnostics)
    for (const auto& [name, member] : diagnostic_fields()) check_length(diagnostics->*member, n, name);
  if (!timestamps.empty() && timestamps.size() != n)
    throw std::invalid_argument("output has " + std::to_string(n) + " rows but " +
                                std::to_string(timestamps.size()) + " time stamps");

  std::string line;
  const std::vector<std::string> header = output_columns(diagnostics != nullptr);
  for (std::size_t i = 0; i < header.size(); ++i) line += (i ? "," : "") + header[i];
  out << line << '\n';
  for (std::size_t r = 0; r < n; ++r) {
    line.clear();
    if (!timestamps.empty()) line += timestamps[r];
    for (const auto& f : output_fields()) {
      line += ',';
      append_number(line, (outputs.*f.second)[r]);
    }
    if (diagnostics)
      for (const auto& f : diagnostic_fields()) {
        line += ',';
        append_number(line, (diagnostics->*f.second)[r]);
      }
    out << line << '\n';
  }
}

AtomicOutputFile::AtomicOutputFile(std::string path) : path_(std::move(path)) {
  if (path_.empty()) throw InputError(path_, 0, "", "empty output path");
  const fs::path target(path_);
  std::error_code ec;
  if (fs::is_directory(target, ec)) throw InputError(path_, 0, "", "output path is a folder, not a file");
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
}

AtomicOutputFile::~AtomicOutputFile() {
  if (committed_) return;
  out_.close();
  std::remove(temp_path_.c_str());
}

void AtomicOutputFile::commit() {
  out_.flush();
  const bool ok = static_cast<bool>(out_);
  out_.close();
  if (!ok || out_.fail()) throw InputError(path_, 0, "", "error while writing the output (disk full?)");
  if (std::rename(temp_path_.c_str(), path_.c_str()) != 0) {
    const int err = errno;
    throw InputError(path_, 0, "", std::string("cannot replace the output file: ") + std::strerror(err));
  }
  committed_ = true;
}

}  // namespace canveg::io
