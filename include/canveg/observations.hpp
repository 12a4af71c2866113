// Observed fluxes from a flux-tower CSV (docs/model.md 5.2), used for evaluation and training.
#pragma once

#include <string>
#include <vector>

namespace canveg {

struct ObservedFluxes {
  std::string source;
  std::vector<std::string> timestamp;
  // Each series is linearly interpolated over gaps in both directions (pandas
  // interpolate(method="linear", limit_direction="both")), as JAX-CanVeg's get_obs does, unless
  // read with FluxReadOptions::interpolate_gaps off (gaps stay NaN).
  // A series whose column is absent is empty.
  std::vector<double> LE;     // latent heat [W m-2]: LE, else LE_F_MDS, else Qle (ALMA)
  std::vector<double> H;      // sensible heat [W m-2]: H, H_F_MDS, Qh
  std::vector<double> G;      // ground heat flux [W m-2]: G, G_F_MDS, G_5cm, Qg
  std::vector<double> Rnet;   // net radiation [W m-2]: NETRAD, Rnet
  std::vector<double> GPP;    // [umol m-2 s-1]: GPP, GPP_NT_VUT_REF, GPP_DT_VUT_REF
  std::vector<double> NEE;    // [umol m-2 s-1]: FCO2, Fco2, FC, NEE_CUT_REF, NEE_VUT_REF, NEE
  std::vector<double> Rsoil;  // [umol m-2 s-1]: Rsoil
  std::string le_column, nee_column, h_column, g_column, rnet_column, gpp_column, rsoil_column;  // columns used
  // 1 where LE / NEE was a gap that the interpolation filled (empty when read without it, or for
  // series handed over in memory): the scores of `run --observed` say how many of their values
  // are filled, as JAX-CanVeg's metrics silently count them.
  std::vector<char> le_filled, nee_filled;
  // Read with FluxReadOptions::qc_only: the columns used that have no <column>_QC flag, whose
  // values are therefore all kept (gap-filled ones included).
  std::vector<std::string> without_qc;
  // Series handed over in memory without time stamps (the Python API's arrays): matched to the
  // other record row by row, as that API documents. A file without time stamps is refused instead.
  bool by_position = false;
  std::size_t size() const { return timestamp.size(); }
  // Rows [begin, end) as a new record.
  ObservedFluxes slice(std::size_t begin, std::size_t end) const;
  // The given rows, in the given order, as a new record.
  ObservedFluxes rows(const std::vector<std::size_t>& indices) const;
};

struct FluxReadOptions {
  // true: gaps filled by linear interpolation, as JAX-CanVeg's get_obs (training, reproduction);
  // false: gaps kept as NaN, so that scores use measured half-hours only.
  bool interpolate_gaps = true;
  // Values whose <column>_QC flag is not 0 (gap-filled in ONEFlux) become gaps.
  bool qc_only = false;
};

// Reads an observation CSV, or a NetCDF file with ALMA names (Qle, Qh, NEE, ...; its time read as a
// NetCDF forcing's, its fluxes' declared units checked). Throws InputError on a non-numeric cell, a
// value no flux tower measures (|LE|, |H|, |G|, |Rnet| above 1500 W m-2, |NEE|, |GPP|, |Rsoil|
// above 100 umol m-2 s-1: another missing-value code or unit), two columns of the name it reads,
// an unreadable file, or when neither an LE nor an NEE column is present.
ObservedFluxes read_flux_csv(const std::string& path, const FluxReadOptions& options = {});

// Checks that two files' rows are the same half-hours: the same number of rows and, row by row, the
// same time stamp (TIMESTAMP_END; one instant written as YYYYMMDDHHMM or YYYY-MM-DD HH:MM:SS is
// the same). Comparing shifted series gives meaningless metrics or gradients without any visible
// sign, so a mismatch throws InputError naming `file` (whose time stamps are `stamps`), the line
// and TIMESTAMP_END. A file without time stamps (every one empty) cannot be matched to one with
// them: that is an InputError too, naming the file without; when neither has any, only the number
// of rows can be checked.
void check_same_half_hours(const std::vector<std::string>& stamps, const std::string& file,
                           const std::vector<std::string>& other_stamps, const std::string& other_file);

// check_same_half_hours for observations and another record (a forcing file, or a canveg output
// file) given that record's time stamps; observations `by_position` are checked for their number of
// rows only.
void check_alignment(const ObservedFluxes& observed, const std::vector<std::string>& timestamps,
                     const std::string& other_file);

// The observations of the record's half-hours: `observed` itself when it has as many rows (checked
// by check_alignment), else, for a file with time stamps that covers more than the record (a year's
// fluxes scored against a month's run), its rows at the record's time stamps, found by time stamp.
// A half-hour of the record that the file lacks is an InputError naming it; so is a file with fewer
// rows than the record, or one without time stamps of another length.
ObservedFluxes observations_for_record(const ObservedFluxes& observed, const std::vector<std::string>& timestamps,
                                       const std::string& other_file);

// The checks read_flux_csv makes on a flux's values, for observations given as numbers (the Python
// interface): -9999 (AmeriFlux's missing-value code) and non-finite values become gaps (NaN), and a
// value no flux tower measures (read_flux_csv's limits) is an InputError naming `source`, the flux
// and the row (counted from 0, as the caller's array). `flux` is LE, H, G, Rnet, GPP, NEE or Rsoil.
void check_observed_values(const std::string& source, const std::string& flux, std::vector<double>& values);

// Linear interpolation over NaN gaps in place; leading/trailing gaps take the nearest value.
void interpolate_gaps(std::vector<double>& series);

}  // namespace canveg
