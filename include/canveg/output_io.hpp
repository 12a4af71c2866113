// Writing run outputs (docs/model.md 2.18 / 5.5) as CSV, atomically.
//
// The output path is checked and the file opened before the model runs, so that a typo in the
// path costs nothing, and the result is written to a temporary file in the same folder that is
// renamed over the target only when complete: an interrupted or failed run never leaves a
// truncated output behind, and an existing file is replaced in one step.
#pragma once

#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "canveg/run.hpp"

namespace canveg::io {

// Column names of the output file, in order: TIMESTAMP_END, the six headline fluxes, the
// component fluxes, (with diagnostics) the energy-balance residuals, and (with convergence) the
// changes in the last iteration.
std::vector<std::string> output_columns(bool with_diagnostics, bool with_convergence = false);

// Writes the CSV text: a header row and one row per half-hour. Numbers are written in the
// shortest form that reads back to the identical double; NaN as "NaN". `timestamps` may be empty
// or hold empty strings (forcing files without TIMESTAMP_END). `diagnostics` and `convergence`
// may be null. Rows are formatted by `threads` workers (0: all hardware threads); the text does
// not depend on their number.
void write_outputs(std::ostream& out, const std::vector<std::string>& timestamps, const CanopyOutputs& outputs,
                   const EnergyDiagnostics* diagnostics, const ConvergenceDiagnostics* convergence = nullptr,
                   int threads = 1);

// Appends v in the shortest decimal form that reads back to the identical double ("NaN" for NaN):
// the form of every number canveg writes.
void append_number(std::string& text, double v);

// Writes TIMESTAMP_END, LE and NEE (the neural-network baseline's outputs), numbers as write_outputs.
void write_predicted_fluxes(std::ostream& out, const std::vector<std::string>& timestamps,
                            const std::vector<double>& le, const std::vector<double>& nee);

// LE and NEE of a canveg output file (`canveg evaluate`), with its time stamps (empty strings when
// the file has no TIMESTAMP_END column).
// A predicted series by flux name (LE, H, NEE, GPP, Rnet, G, Rsoil).
struct PredictedSeries {
  std::string flux;
  std::vector<double> values;
};

struct PredictedFluxes {
  std::string source;
  std::vector<std::string> timestamp;
  std::vector<double> LE, NEE;
  std::vector<PredictedSeries> series;  // every scored flux the file has (LE and NEE included)
};

// Reads the LE and NEE columns of a canveg output CSV. Throws InputError naming the file and
// column when one is missing or a cell is not a number.
PredictedFluxes read_predicted_fluxes(const std::string& path);

// Throws InputError naming `path` when it is one of `inputs` (the same file however the path is
// written: another spelling, a symbolic or hard link), as AtomicOutputFile does on construction;
// for inputs known only after an output was opened (a site file's forcing options).
void refuse_output_over_inputs(const std::string& path, const std::vector<std::string>& inputs);

// Whether two paths name one file: the same file where both exist (another spelling, a link),
// else the same resolved path. False when either is empty.
bool same_file(const std::string& a, const std::string& b);

// A file that appears under its final name only on commit(). Its temporary file is removed by the
// destructor and, once remove_temporary_outputs_on_signal() is installed, on SIGINT, SIGTERM and
// SIGHUP too.
class AtomicOutputFile {
 public:
  // Checks that `path` can be written (not a folder, folder exists and is writable) by creating
  // the temporary file now. Throws InputError naming the path otherwise. A device, pipe or
  // descriptor (/dev/stdout, /dev/fd/N, a named pipe; "-" is /dev/stdout) is written directly,
  // without a temporary file (temp_path() is then empty).
  // `inputs`: the files the program reads; an output that is one of them (same file, however the
  // path is written) is refused, so that a run never replaces its own input.
  explicit AtomicOutputFile(std::string path, const std::vector<std::string>& inputs = {});
  // Removes the temporary file unless commit() succeeded.
  ~AtomicOutputFile();
  AtomicOutputFile(const AtomicOutputFile&) = delete;
  AtomicOutputFile& operator=(const AtomicOutputFile&) = delete;

  std::ostream& stream() { return out_; }
  // Flushes, closes and renames the temporary file to the target. Throws InputError on failure.
  void commit();

  const std::string& path() const { return path_; }
  const std::string& temp_path() const { return temp_path_; }

 private:
  std::string path_;
  std::string temp_path_;
  std::ofstream out_;
  bool committed_ = false;
};

// What a NetCDF output says about the run beyond its values: the site (name, coordinates) and
// global attributes such as the model file, forcing file and formulation.
struct OutputMetadata {
  std::string site_name;
  bool has_coordinates = false;
  double latitude = 0, longitude = 0;  // [degrees north, degrees east]
  std::vector<std::pair<std::string, std::string>> attributes;
};

// True for an output path ending in .nc or .nc4 (any case): such outputs are written as NetCDF.
bool is_netcdf_path(const std::string& path);

// The outputs (and the diagnostics and convergence columns when given) as a NetCDF-4 file in the
// ALMA/PLUMBER2 site layout (time, y = 1, x = 1; CF time coordinate with bounds, latitude and
// longitude): LE, H, G, Rnet, NEE and GPP under their ALMA names Qle, Qh, Qg, Rnet, NEE, GPP with
// units and directions; every other column under its canveg name. Written through `file`'s
// temporary path and committed. Throws InputError on failure.
void write_outputs_netcdf(AtomicOutputFile& file, const std::vector<std::string>& timestamps,
                          const CanopyOutputs& outputs, const EnergyDiagnostics* diagnostics,
                          const ConvergenceDiagnostics* convergence, const OutputMetadata& metadata);

// The neural-network baseline's LE and NEE (as Qle and NEE) in the same layout.
void write_predicted_fluxes_netcdf(AtomicOutputFile& file, const std::vector<std::string>& timestamps,
                                   const std::vector<double>& le, const std::vector<double>& nee,
                                   const OutputMetadata& metadata);

// Installs handlers for SIGINT, SIGTERM and SIGHUP that remove the temporary file of every live
// AtomicOutputFile and then end the process by the same signal, so that an interrupted command
// leaves neither a partial output nor a temporary file. For programs (the CLI calls it first).
void remove_temporary_outputs_on_signal();

}  // namespace canveg::io
