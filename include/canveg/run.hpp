// Running the model over a forcing record.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "canveg/fields.hpp"
#include "canveg/forcing.hpp"
#include "canveg/parameters.hpp"

namespace canveg {

// Canopy and component fluxes per half-hour, one series per line of CANVEG_OUTPUT_FIELDS
// (include/canveg/fields.hpp: name, JAX-CanVeg name, unit, meaning; docs/model.md 2.18).
struct CanopyOutputs {
#define CANVEG_OUTPUT_SERIES(name, ...) std::vector<double> name;
  CANVEG_OUTPUT_FIELDS(CANVEG_OUTPUT_SERIES)
#undef CANVEG_OUTPUT_SERIES
  void resize(std::size_t n);
  std::size_t size() const { return LE.size(); }
  // The series of output i (order of kOutputFields).
  std::vector<double>& series(std::size_t i);
  const std::vector<double>& series(std::size_t i) const;
};

// The half-hours whose outputs alone show a physically impossible state (a subset of the flags
// of ConvergenceDiagnostics::implausible, which also look at the air column and the closure): a
// non-finite output, |LE|, |H| or |G| above 1,200 W m-2, leaf temperature outside -50..70 degC or
// soil surface outside -50..85 degC. `first`: the first such row (size() when none).
std::size_t count_implausible_outputs(const CanopyOutputs& outputs, std::size_t* first = nullptr);

// Energy-balance residuals per half-hour (diagnostics option), one series per line of
// CANVEG_DIAGNOSTIC_FIELDS. JAX-CanVeg's formulation leaves residuals by construction: leaf LE and
// leaf temperature come from two different quadratics (pitfall P12), and the soil evaporation
// uses G with storage while the surface temperature uses G without (P13). These residuals are
// reported as they are.
struct EnergyDiagnostics {
#define CANVEG_DIAGNOSTIC_SERIES(name, ...) std::vector<double> name;
  CANVEG_DIAGNOSTIC_FIELDS(CANVEG_DIAGNOSTIC_SERIES)
#undef CANVEG_DIAGNOSTIC_SERIES
  void resize(std::size_t n);
  std::size_t size() const { return column_closure.size(); }
  // The series of diagnostic i (order of kDiagnosticFields).
  std::vector<double>& series(std::size_t i);
  const std::vector<double>& series(std::size_t i) const;
};

// The change of each quantity in the last outer iteration, per half-hour (kConvergenceFields).
struct ConvergenceDiagnostics {
#define CANVEG_CONVERGENCE_SERIES(name, ...) std::vector<double> name;
  CANVEG_CONVERGENCE_FIELDS(CANVEG_CONVERGENCE_SERIES)
#undef CANVEG_CONVERGENCE_SERIES
  void resize(std::size_t n);
  std::size_t size() const { return dLE_last.size(); }
  std::vector<double>& series(std::size_t i);
  const std::vector<double>& series(std::size_t i) const;
};

// The largest work unit chunk_rows = 0 chooses: the halo is a 35th of it at 15 iterations, and a
// worker's columns (about 20 kB each at 50 layers) stay near 10 MB. Half of it with `convergence`,
// whose lock-step solution holds the unit twice (as columns and as SIMD lanes).
inline constexpr std::size_t kMaxAutoChunkRows = 512;

struct RunOptions {
  // Time coupling (docs/model.md 1.4, pitfall P1). true: JAX-CanVeg's prediction mode, the
  // whole record as one array, each row's soil storage term reading the previous row's surface
  // temperature from the previous iteration. false: independent half-hours (storage term off,
  // as JAX-CanVeg with batch size 1).
  bool storage_coupling = true;
  // Rows that restart the storage term (as the first row of a JAX batch), in addition to row 0.
  // Used to reproduce batched runs (e.g. every 1024 rows during training).
  std::size_t restart_every = 0;
  int threads = 0;                 // 0 = all hardware threads
  // Rows per work unit (plus a halo of niter - 1 rows); 0: chosen from the record and the threads,
  // at most kMaxAutoChunkRows and about eight units per thread. The result does not depend on it.
  std::size_t chunk_rows = 0;
  bool diagnostics = false;        // fill EnergyDiagnostics
  bool convergence = false;        // fill ConvergenceDiagnostics
  // Iterate to a tolerance instead of the model's fixed niter (0: off, JAX-CanVeg's fixed count).
  // The record takes K iterations, the first whose largest change over all half-hours (leaf and
  // air temperature in K; LE, H, G in W m-2, as ConvergenceDiagnostics) is below the tolerance,
  // or max_iterations when none is. One K for the whole record keeps the result independent of
  // chunks and threads: it equals a fixed-iteration run with niter = K.
  double converge_tolerance = 0;
  int max_iterations = kDefaultMaxIterations;
  static constexpr int kDefaultMaxIterations = 100;
  // Half-hours as SIMD lanes (docs/performance.md, "Half-hours as SIMD lanes"): "" solves one
  // half-hour at a time; "auto" the widest instruction set of this machine (or the one the
  // environment variable CANVEG_SIMD names, "off" included); or one by name
  // ("sse2", "avx2+fma", "avx512"). Lanes agree with one at a time to round-off, not bit for bit.
  std::string simd = "auto";
  // Progress callback: called with (rows done, rows total) from the calling thread.
  std::function<void(std::size_t, std::size_t)> progress;
};

struct RunResult {
  CanopyOutputs outputs;
  EnergyDiagnostics diagnostics;  // empty unless RunOptions::diagnostics
  ConvergenceDiagnostics convergence;  // empty unless RunOptions::convergence
  double seconds = 0;
  int iterations = 0;   // outer iterations used (the model's niter unless converge_tolerance > 0)
  // With converge_tolerance: whether the tolerance was reached, and the largest change over all
  // half-hours in each iteration of the search (size max_iterations; NaN counts as infinite).
  bool converged = false;
  std::vector<double> iteration_change;
  // The instruction set whose SIMD lanes solved the half-hours; empty: one at a time.
  std::string simd;
};

// Runs the model over every forcing row. Throws InputError if the forcing does not fit the model.
RunResult run_model(const Model<double>& model, const ForcingRecord& forcing,
                    const RunOptions& options = {});

}  // namespace canveg
