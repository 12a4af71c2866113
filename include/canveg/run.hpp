// Running the model over a forcing record.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "canveg/forcing.hpp"
#include "canveg/parameters.hpp"

namespace canveg {

// Canopy and component fluxes per half-hour, as JAX-CanVeg reports them (canveg-model.md 2.18).
struct CanopyOutputs {
  std::vector<double> LE;         // can.LE   latent heat, upward > 0 [W m-2]
  std::vector<double> H;          // can.H    sensible heat, upward > 0 [W m-2]
  std::vector<double> NEE;        // can.NEE  net ecosystem exchange, release > 0 [umol m-2 s-1]
  std::vector<double> GPP;        // veg.GPP  gross primary production, uptake > 0 [umol m-2 s-1]
  std::vector<double> Rnet;       // can.rnet net radiation (leaf-based), gain > 0 [W m-2]
  std::vector<double> G;          // can.gsoil soil heat flux incl. storage, into soil > 0 [W m-2]
  std::vector<double> Rnet_top;   // can.rnet_calc top-of-canopy radiation balance [W m-2]
  std::vector<double> LE_veg;     // veg.LE [W m-2]
  std::vector<double> LE_soil;    // soil.evap [W m-2]
  std::vector<double> H_veg;      // veg.H [W m-2]
  std::vector<double> H_soil;     // soil.heat [W m-2]
  std::vector<double> Rnet_veg;   // veg.Rnet [W m-2]
  std::vector<double> Rnet_soil;  // soil.rnet [W m-2]
  std::vector<double> Rsoil;      // soil.resp soil respiration [umol m-2 s-1]
  std::vector<double> Ps;         // veg.Ps net leaf photosynthesis [umol m-2 s-1]
  std::vector<double> gs;         // veg.gs canopy stomatal conductance [m s-1]
  std::vector<double> Tleaf;      // veg.Tsfc LAI-weighted leaf temperature [K]
  std::vector<double> Tsoil_sfc;  // soil.sfc_temperature [K]
  std::vector<double> zL;         // final stability parameter z/L [-]
  void resize(std::size_t n);
  std::size_t size() const { return LE.size(); }
};

// Energy-balance residuals per half-hour (diagnostics option), all in W m-2 of ground.
// JAX-CanVeg's formulation leaves residuals by construction: leaf LE and leaf temperature come
// from two different quadratics (pitfall P12), and the soil evaporation uses G with storage while
// the surface temperature uses G without (P13). These residuals are reported as they are.
struct EnergyDiagnostics {
  std::vector<double> leaf_closure;    // sum over layers of LAI-weighted (Rnet - H - LE) of leaves
  std::vector<double> layer_closure_max;  // max |Rnet - H - LE| of one sunlit/shaded leaf [W m-2 leaf]
  std::vector<double> soil_closure;    // soil Rnet - LE - H - G
  std::vector<double> column_closure;  // can.rnet - can.LE - can.H - can.G
  std::vector<double> aggregation_error;  // |can.LE - (veg.LE + soil.LE)| + same for H, Rnet (closes by construction)
  void resize(std::size_t n);
};

struct RunOptions {
  // Time coupling (canveg-model.md 1.4, pitfall P1). true: JAX-CanVeg's prediction mode, the
  // whole record as one array, each row's soil storage term reading the previous row's surface
  // temperature from the previous iteration. false: independent half-hours (storage term off,
  // as JAX-CanVeg with batch size 1).
  bool storage_coupling = true;
  // Rows that restart the storage term (as the first row of a JAX batch), in addition to row 0.
  // Used to reproduce batched runs (e.g. every 1024 rows during training).
  std::size_t restart_every = 0;
  int threads = 0;                 // 0 = all hardware threads
  std::size_t chunk_rows = 256;    // rows per work unit (plus a halo of niter - 1 rows)
  bool diagnostics = false;        // fill EnergyDiagnostics
  // Progress callback: called with (rows done, rows total) from the calling thread.
  std::function<void(std::size_t, std::size_t)> progress;
};

struct RunResult {
  CanopyOutputs outputs;
  EnergyDiagnostics diagnostics;  // empty unless RunOptions::diagnostics
  double seconds = 0;
};

// Runs the model over every forcing row. Throws InputError if the forcing does not fit the model.
RunResult run_model(const Model<double>& model, const ForcingRecord& forcing,
                    const RunOptions& options = {});

}  // namespace canveg
