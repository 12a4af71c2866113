// The tables of canveg's fields: outputs, energy diagnostics, forcings and parameters.
//
// Each kind of field is listed once, here, one line per field, as an X-macro: the structs that
// hold the fields (CanopyOutputs, ColumnFluxes, ForcingRecord, ForcingRow, Parameters), the CSV
// reader and writer, the gradient's parameter space, the training bounds, `canveg --help` and the
// documentation tables are all generated from these lists. A new output, forcing or parameter is
// one line below (plus the physics that computes or reads it).
//
// The columns of each list are documented above it; X(...) receives them in that order.
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

namespace canveg {

// ---- outputs (docs/model.md 2.18) -----------------------------------------------------------
// X(name, JAX-CanVeg name, unit, meaning). Order = column order of the output CSV: the fluxes
// compared with observations first, then their components.
#define CANVEG_OUTPUT_FIELDS(X)                                                                              \
  X(LE, "can.LE", "W m-2", "latent heat flux, upward > 0")                                                   \
  X(H, "can.H", "W m-2", "sensible heat flux, upward > 0")                                                   \
  X(NEE, "can.NEE", "umol m-2 s-1", "net ecosystem exchange of CO2, release > 0")                            \
  X(GPP, "veg.GPP", "umol m-2 s-1", "gross primary production, uptake > 0")                                  \
  X(Rnet, "can.rnet", "W m-2", "net radiation absorbed by leaves and soil, gain > 0")                        \
  X(G, "can.gsoil", "W m-2", "soil heat flux including the storage term, into the soil > 0")                 \
  X(Rnet_top, "can.rnet_calc", "W m-2", "radiation balance at the canopy top")                               \
  X(LE_veg, "veg.LE", "W m-2", "latent heat flux of the leaves")                                             \
  X(LE_soil, "soil.evap", "W m-2", "soil evaporation as latent heat")                                        \
  X(H_veg, "veg.H", "W m-2", "sensible heat flux of the leaves")                                             \
  X(H_soil, "soil.heat", "W m-2", "sensible heat flux of the soil")                                          \
  X(Rnet_veg, "veg.Rnet", "W m-2", "net radiation of the leaves")                                            \
  X(Rnet_soil, "soil.rnet", "W m-2", "net radiation of the soil")                                            \
  X(Rsoil, "soil.resp", "umol m-2 s-1", "soil respiration, source > 0")                                      \
  X(Ps, "veg.Ps", "umol m-2 s-1", "net leaf photosynthesis of the canopy")                                   \
  X(gs, "veg.gs", "m s-1", "canopy stomatal conductance")                                                    \
  X(Tleaf, "veg.Tsfc", "K", "LAI-weighted leaf temperature (plain layer mean when LAI = 0)")                 \
  X(Tsoil_sfc, "soil.sfc_temperature", "K", "soil surface temperature")                                      \
  X(zL, "met.zL", "-", "stability parameter z/L after the last iteration")

// X(name, unit, meaning): energy-balance residuals (`--diagnostics`), W m-2 of ground unless said.
// JAX-CanVeg's formulation leaves residuals by construction: leaf LE and leaf temperature come
// from two different quadratics (pitfall P12), and the soil evaporation uses G with the storage
// term while the surface temperature uses G without it (P13).
#define CANVEG_DIAGNOSTIC_FIELDS(X)                                                                          \
  X(leaf_closure, "W m-2", "sum over layers of the LAI-weighted Rnet - H - LE of the leaves")               \
  X(layer_closure_max, "W m-2 leaf", "largest absolute Rnet - H - LE of one sunlit or shaded leaf")                \
  X(soil_closure, "W m-2", "soil Rnet - LE - H - G")                                                         \
  X(column_closure, "W m-2", "Rnet - LE - H - G of the column")                                              \
  X(aggregation_error, "W m-2", "layer sources against canopy sums, column against canopy + soil (round-off)")

// X(name, unit, meaning): how settled the fixed point is (`--convergence`): the absolute change of a
// quantity in the last of the outer iterations. JAX-CanVeg iterates a fixed 15 times (pitfall P2)
// and a few half-hours are not settled then.
#define CANVEG_CONVERGENCE_FIELDS(X)                                                                        \
  X(dTleaf_last, "K", "change of the LAI-weighted leaf temperature in the last iteration")                  \
  X(dTair_last, "K", "largest change of the air temperature profile in the last iteration")                 \
  X(dLE_last, "W m-2", "change of LE in the last iteration")                                                \
  X(dH_last, "W m-2", "change of H in the last iteration")                                                  \
  X(dG_last, "W m-2", "change of G in the last iteration")                                                  \
  X(implausible, "-", "bit set of physically impossible values (docs/reliability.md): 1 leaf, 2 air, "      \
                      "4 soil-surface temperature, 8 |LE|, |H| or |G|, 16 column energy residual, 32 NaN")

// ---- forcings (docs/model.md 5.1) -----------------------------------------------------------
// X(name, column names, unit, units accepted, lower, upper, meaning).
//
// Column names: the exact names (compared case-insensitively, never as prefixes) a forcing file
// may use for the variable: JAX-CanVeg's, AmeriFlux/FLUXNET's and ALMA's. '|' separates tiers in
// priority order (the gap-filled FLUXNET variable before the raw one); ',' separates names of
// equal rank, and a file holding two of them is ambiguous (two soil depths, say) and must say
// which with `--column`. '#' stands for a run of digits (a FLUXNET depth or replicate index). A
// name followed by [unit] implies that unit (ALMA's PSurf is in Pa). Quality flags (_QC), potential
// radiation (_POT) and look-alikes such as TAU or LAI_NDVI are never taken.
// Units accepted: the units `--units VAR=UNIT` may declare; values are converted to `unit`.
// lower, upper: the physical range (in `unit`) outside which a value is refused as a unit or
// column mix-up. The ranges are wide on purpose: every shared site file and the extremes of the
// regime tests lie inside them.
// year, doy and hour may instead come from a TIMESTAMP_END/TIMESTAMP_START column.
#define CANVEG_FORCING_FIELDS(X)                                                                             \
  X(year, "Year", "-", "-", 1800, 2300, "calendar year of the end of the half-hour")                          \
  X(doy, "DoY", "-", "-", 1, 366, "day of year of the end of the half-hour, 1-based")                   \
  X(hour, "Hour", "h", "h", 0, 24, "end of the half-hour in local standard time, e.g. 13.5 (24 = 0 of the next day)") \
  X(ta, "TA_F|Tair|TA_F_MDS|TA", "degC", "degC,K", -60, 60, "air temperature at the measurement height")    \
  X(rg, "SW_IN_F|Rg|SW_IN_F_MDS|SW_IN|SWdown", "W m-2", "W m-2", -100, 1500, "global shortwave radiation")      \
  X(eair, "eair", "kPa", "kPa,hPa,Pa", 0, 15, "vapour pressure of the air")   \
  X(ws, "WS_F|WS_x|WS|Wind", "m s-1", "m s-1", 0, 75, "wind speed at the measurement height")              \
  X(co2, "CO2_F_MDS|CO2|CO2air|CO2_F", "umol mol-1", "umol mol-1,ppm", 100, 3000, "CO2 mole fraction of the air") \
  X(pa, "PA_F|PA|PSurf[Pa]", "kPa", "kPa,hPa,Pa", 30, 120, "air pressure")                                 \
  X(ustar, "USTAR", "m s-1", "m s-1", 0, 12, "friction velocity")                                           \
  X(ts, "TS_F_MDS_#,TS_#cm,TS_#|TS_F|TS", "degC", "degC,K", -60, 80, "soil temperature at the lower boundary")   \
  X(swc, "SWC_F_MDS_#,SWC_#cm,SWC_#|SWC_F|SWC", "m3 m-3", "m3 m-3,%", 0, 1, "volumetric soil water content") \
  X(veg_ht, "veg_ht|canopy_height", "m", "m", 0, 150, "canopy height (read by the alfalfa respiration option only)") \
  X(lai, "LAI", "m2 m-2", "m2 m-2", 0, 20, "leaf area index")

// X(name, column names, unit, units accepted, lower, upper, meaning): inputs that stand in for a
// forcing variable the file lacks (columns as above). eair = es(ta) - VPD, or from the specific
// humidity and pressure (e = q p / (0.622 + 0.378 q)), with es of docs/model.md 2.1. FLUXNET gives
// VPD in hPa, hence its default unit. VPD may be negative: the shared forcings hold vapour pressure
// up to 1.23 es(ta), i.e. deficits down to about -15 hPa.
#define CANVEG_FORCING_SUBSTITUTE_FIELDS(X)                                                                  \
  X(vpd, "VPD_F|VPD_F_MDS|VPD", "hPa", "hPa,kPa,Pa", -30, 150, "vapour-pressure deficit (gives eair with ta)")   \
  X(qair, "Qair[kg kg-1]|SH", "kg kg-1", "kg kg-1,g kg-1", 0, 0.06, "specific humidity (gives eair with ta and pa)")

// The raw forcing values of one half-hour, as in the file (units of the table above; the physics
// applies JAX-CanVeg's guards when it builds its own view, physics::make_row_forcing).
struct ForcingRow {
#define CANVEG_FORCING_ROW_MEMBER(name, ...) double name = 0.0;
  CANVEG_FORCING_FIELDS(CANVEG_FORCING_ROW_MEMBER)
#undef CANVEG_FORCING_ROW_MEMBER
};

// ---- parameters (docs/model.md 4.2) ---------------------------------------------------------
// X(name, default, unit, meaning, lower bound, upper bound, training rank).
// Defaults are JAX-CanVeg's (the legacy alfalfa set). Bounds are the box JAX-CanVeg clips every
// parameter to after each optimiser step (+-99999 where it names none). Training rank: the
// position in the list of tunable parameters of JAX-CanVeg's example configurations (the order
// of the gradient's parameter vector), -1 for a parameter JAX-CanVeg does not train.
#define CANVEG_PARAMETER_FIELDS(X)                                                                           \
  X(leaf_clumping_factor, 0.95, "-", "Markov clumping factor Omega", 5e-5, 1.0, 5)                           \
  X(par_reflect, 0.05, "-", "leaf PAR reflectance", 5e-5, 1.0, 12)                                           \
  X(par_trans, 0.05, "-", "leaf PAR transmittance", 5e-5, 1.0, 13)                                           \
  X(par_soil_refl, 0.05, "-", "soil PAR reflectance", 5e-5, 1.0, 14)                                         \
  X(nir_reflect, 0.60, "-", "leaf NIR reflectance", 5e-5, 1.0, 15)                                           \
  X(nir_trans, 0.20, "-", "leaf NIR transmittance", 5e-5, 1.0, 16)                                           \
  X(nir_soil_refl, 0.10, "-", "soil NIR reflectance", 5e-5, 1.0, 17)                                         \
  X(sigma, 5.670367e-8, "W m-2 K-4", "Stefan-Boltzmann constant", -99999.0, 99999.0, -1)                     \
  X(ep, 0.98, "-", "leaf emissivity (also the soil's initial longwave)", 5e-5, 1.0, 1)                       \
  X(epsoil, 0.98, "-", "soil emissivity", 5e-5, 1.0, 11)                                                     \
  X(rugc, 8.314, "J mol-1 K-1", "gas constant", -99999.0, 99999.0, -1)                                       \
  X(Cp, 1005.0, "J kg-1 K-1", "specific heat of air", -99999.0, 99999.0, -1)                                 \
  X(vcopt, 171.0, "umol m-2 s-1", "Vcmax at its optimum temperature (also sets Rd)", -99999.0, 99999.0, 6)   \
  X(jmopt, 259.0, "umol m-2 s-1", "Jmax at its optimum temperature", -99999.0, 99999.0, 7)                   \
  X(rd25, 2.68, "umol m-2 s-1", "dark respiration at 25 C (not read: Rd = 0.004657 vcopt)", -99999.0,        \
    99999.0, 8)                                                                                              \
  X(hkin, 200000.0, "J mol-1", "deactivation enthalpy (99999 in every trained model)", -99999.0, 99999.0, -1) \
  X(ejm, 55000.0, "J mol-1", "activation energy of Jmax", -99999.0, 99999.0, -1)                             \
  X(evc, 55000.0, "J mol-1", "activation energy of Vcmax", -99999.0, 99999.0, -1)                            \
  X(kc25, 274.6, "ppm", "Kc at 25 C", -99999.0, 99999.0, -1)                                                 \
  X(ko25, 419.8, "mbar", "Ko at 25 C", -99999.0, 99999.0, -1)                                                \
  X(o2, 210.0, "mmol mol-1", "O2 mole fraction", -99999.0, 99999.0, -1)                                      \
  X(ekc, 80500.0, "J mol-1", "activation energy of Kc", -99999.0, 99999.0, -1)                               \
  X(erd, 38000.0, "J mol-1", "activation energy of Rd", -99999.0, 99999.0, -1)                               \
  X(tk_25, 298.16, "K", "25 C in kelvin", -99999.0, 99999.0, -1)                                             \
  X(toptvc, 303.0, "K", "optimum temperature of Vcmax", -99999.0, 99999.0, 9)                                \
  X(toptjm, 303.0, "K", "optimum temperature of Jmax", -99999.0, 99999.0, 10)                                \
  X(kball, 8.17, "-", "Ball-Berry slope", -99999.0, 99999.0, 4)                                              \
  X(bprime, 0.05, "mol m-2 s-1", "Ball-Berry intercept", 5e-5, 99999.0, 0)                                   \
  X(qalpha, 0.22, "mol mol-1", "quantum yield of electron transport", -99999.0, 99999.0, 3)                  \
  X(lleaf, 0.04, "m", "leaf length scale", 5e-5, 0.1, 2)                                                     \
  X(theta_min, 0.05, "m3 m-3", "soil-water stress threshold, lower (soil-water variant only)", 5e-5, 1.0, -1) \
  X(theta_max, 0.2, "m3 m-3", "soil-water stress threshold, upper (soil-water variant only)", 5e-5, 1.0, -1)  \
  X(nuvisc, 13.27, "mm2 s-1", "kinematic viscosity of air at STP", -99999.0, 99999.0, -1)                    \
  X(dc, 13.81, "mm2 s-1", "CO2 diffusivity at STP", -99999.0, 99999.0, -1)                                   \
  X(dh, 18.69, "mm2 s-1", "heat diffusivity at STP", -99999.0, 99999.0, -1)                                  \
  X(dv, 21.78, "mm2 s-1", "water-vapour diffusivity at STP", -99999.0, 99999.0, -1)                          \
  X(betfac, 1.5, "-", "boundary-layer sheltering factor", -99999.0, 99999.0, -1)                             \
  X(Mair, 28.97, "g mol-1", "molar mass of air", -99999.0, 99999.0, -1)                                      \
  X(q10a, 5.0, "umol m-2 s-1", "Q10 soil respiration base rate (soil respiration 1)", 5e-5, 99999.0, 18)     \
  X(q10b, 1.7, "-", "Q10 (soil respiration 1)", 5e-5, 99999.0, 19)                                           \
  X(q10c, 0.8, "-", "soil-moisture exponent (soil respiration 1)", 5e-5, 99999.0, 20)

// The network weights have no table line of their own: JAX-CanVeg clips them to +-99999.
inline constexpr double kNetworkWeightBound = 99999.0;

// ---- the tables as data -----------------------------------------------------------------------

struct OutputField {
  std::string_view name, jax_name, unit, meaning;
};
struct DiagnosticField {
  std::string_view name, unit, meaning;
};
struct ForcingField {
  std::string_view name, columns, unit, units_accepted;
  double lower, upper;  // physical range in `unit`
  std::string_view meaning;
};
struct ParameterField {
  std::string_view name;
  double default_value;
  std::string_view unit, meaning;
  double lower, upper;  // training bounds (clipping box)
  int training_rank;    // position among JAX-CanVeg's tunable parameters, -1 if not trained
  constexpr bool trained() const { return training_rank >= 0; }
};

#define CANVEG_FIELD_OUTPUT_ROW(name, jax, unit, meaning) OutputField{#name, jax, unit, meaning},
#define CANVEG_FIELD_DIAGNOSTIC_ROW(name, unit, meaning) DiagnosticField{#name, unit, meaning},
#define CANVEG_FIELD_FORCING_ROW(name, columns, unit, units, lo, hi, meaning) \
  ForcingField{#name, columns, unit, units, lo, hi, meaning},
#define CANVEG_FIELD_PARAMETER_ROW(name, def, unit, meaning, lo, hi, rank) \
  ParameterField{#name, def, unit, meaning, lo, hi, rank},
#define CANVEG_FIELD_COUNT(...) +1

inline constexpr std::size_t kOutputCount = 0 CANVEG_OUTPUT_FIELDS(CANVEG_FIELD_COUNT);
inline constexpr std::size_t kDiagnosticCount = 0 CANVEG_DIAGNOSTIC_FIELDS(CANVEG_FIELD_COUNT);
inline constexpr std::size_t kConvergenceCount = 0 CANVEG_CONVERGENCE_FIELDS(CANVEG_FIELD_COUNT);
inline constexpr std::size_t kForcingCount = 0 CANVEG_FORCING_FIELDS(CANVEG_FIELD_COUNT);
inline constexpr std::size_t kForcingSubstituteCount = 0 CANVEG_FORCING_SUBSTITUTE_FIELDS(CANVEG_FIELD_COUNT);
inline constexpr std::size_t kParameterCount = 0 CANVEG_PARAMETER_FIELDS(CANVEG_FIELD_COUNT);

inline constexpr std::array<OutputField, kOutputCount> kOutputFields = {
    CANVEG_OUTPUT_FIELDS(CANVEG_FIELD_OUTPUT_ROW)};
inline constexpr std::array<DiagnosticField, kDiagnosticCount> kDiagnosticFields = {
    CANVEG_DIAGNOSTIC_FIELDS(CANVEG_FIELD_DIAGNOSTIC_ROW)};
inline constexpr std::array<DiagnosticField, kConvergenceCount> kConvergenceFields = {
    CANVEG_CONVERGENCE_FIELDS(CANVEG_FIELD_DIAGNOSTIC_ROW)};
inline constexpr std::array<ForcingField, kForcingCount> kForcingFields = {
    CANVEG_FORCING_FIELDS(CANVEG_FIELD_FORCING_ROW)};
inline constexpr std::array<ForcingField, kForcingSubstituteCount> kForcingSubstituteFields = {
    CANVEG_FORCING_SUBSTITUTE_FIELDS(CANVEG_FIELD_FORCING_ROW)};
inline constexpr std::array<ParameterField, kParameterCount> kParameterFields = {
    CANVEG_PARAMETER_FIELDS(CANVEG_FIELD_PARAMETER_ROW)};

#undef CANVEG_FIELD_OUTPUT_ROW
#undef CANVEG_FIELD_DIAGNOSTIC_ROW
#undef CANVEG_FIELD_FORCING_ROW
#undef CANVEG_FIELD_PARAMETER_ROW

// Number of parameters JAX-CanVeg trains (those with a training rank).
inline constexpr std::size_t kTrainedParameterCount = [] {
  std::size_t n = 0;
  for (const ParameterField& f : kParameterFields) n += f.trained() ? 1 : 0;
  return n;
}();

// Indices into kParameterFields of the trained parameters, in training-rank order.
inline constexpr std::array<std::size_t, kTrainedParameterCount> kTrainedParameterIndices = [] {
  std::array<std::size_t, kTrainedParameterCount> order{};
  std::array<bool, kTrainedParameterCount> seen{};
  for (std::size_t i = 0; i < kParameterFields.size(); ++i) {
    if (!kParameterFields[i].trained()) continue;
    const auto rank = static_cast<std::size_t>(kParameterFields[i].training_rank);
    // A rank outside 0..n-1 or used twice stops compilation here (throw in a constant expression).
    if (rank >= kTrainedParameterCount || seen[rank]) throw "training ranks must be 0..n-1, each once";
    seen[rank] = true;
    order[rank] = i;
  }
  return order;
}();

// Index of a field by name in one of the tables, or the table's size when there is none.
template <class Field, std::size_t N>
constexpr std::size_t field_index(const std::array<Field, N>& table, std::string_view name) {
  for (std::size_t i = 0; i < N; ++i)
    if (table[i].name == name) return i;
  return N;
}

}  // namespace canveg
