// Lagrangian dispersion matrix D_ij for CanVeg's scalar profiles (docs/model.md 2.15).
//
// A 1-D random-walk particle model: Thomson's (1987) well-mixed Gaussian Langevin equation for the
// vertical velocity in inhomogeneous turbulence, and Raupach's (1989) localized near-field theory
// to turn residence times of particles released continuously in each canopy layer into the
// concentration change per unit source flux. Turbulence statistics, time step, reflection at the
// ground and per-layer release follow JAX-CanVeg's generator (DispersionMatrix.cpp).
//
// Reproducibility: particles are split into fixed blocks, each with its own counter-based random
// stream keyed by (seed, source layer, block index); residence times are integer step counts
// reduced in a fixed order, so a seed gives the same matrix bit for bit on any thread count.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace canveg {

// Which vertical bins the residence times are collected in (pitfall P14, docs/dispersion-matrix.md).
enum class DispersionGrid {
  // JAX-CanVeg's generator: J+K uniform bins of height h/J from the ground, so the domain top is
  // (J+K) h/J (2h for J=K=50, 51h for J=1), whatever the measurement height.
  jax,
  // The model's own levels (docs/model.md 1.2): J bins of h/J in the canopy, then K bins of
  // (zm-h)/K up to the measurement height zm, which is the domain top.
  model,
};

struct DispersionConfig {
  double canopy_height = 0;        // h [m]
  double measurement_height = 0;   // zm [m], must exceed h
  int canopy_layers = 50;          // J: source layers and matrix columns
  int atmosphere_layers = 50;      // K: levels above the canopy; the matrix has J+K rows
  std::int64_t particles = 1000000;  // total; floor(particles / J) are released per layer
  std::uint64_t seed = 1;
  int threads = 0;                 // 0: all hardware threads
  double time_limit = 1000.0;      // longest travel time of a particle [s] (JAX "timemax")
  DispersionGrid grid = DispersionGrid::jax;
};

struct DispersionMatrix {
  int rows = 0;                 // levels N = J + K, bottom to top
  int cols = 0;                 // canopy source layers J
  std::vector<double> values;   // row-major rows x cols [s m-1], for u* = 1 m s-1, neutral
  double operator()(int i, int j) const { return values[static_cast<std::size_t>(i) * cols + j]; }

  // Run description, for reports.
  std::vector<double> bin_top;        // top height of the bin behind each row [m]
  double time_step = 0;               // dt [s]
  std::int64_t max_steps = 0;         // steps before a particle is dropped (time limit / dt)
  std::int64_t particles_per_layer = 0;
  double seconds = 0;                 // wall-clock time of the run
  int threads_used = 0;
};

struct DispersionProgress {
  std::int64_t particles_done = 0;
  std::int64_t particles_total = 0;
  double elapsed_s = 0;
};
// Called from the calling thread about every progress_interval_s seconds and once at the end.
using DispersionProgressFn = std::function<void(const DispersionProgress&)>;

// Throws canveg::InputError (file "", line 0, field = the `canveg dij` option name) for impossible
// geometry or settings: non-positive heights, measurement height not above the canopy, zero
// layers, fewer particles than canopy layers, a time limit shorter than one step.
void validate_dispersion_config(const DispersionConfig& config);

DispersionMatrix generate_dispersion_matrix(const DispersionConfig& config,
                                            const DispersionProgressFn& progress = {},
                                            double progress_interval_s = 1.0);

// Writes the matrix as the model reads it: one line per level (bottom to top), one
// comma-separated column per canopy source layer, "%.18e" like numpy.savetxt (the shipped
// data/dij files), after a '#' line with the geometry it was made for (which numpy.loadtxt skips
// and the model checks against its canopy). Throws InputError if the file cannot be written.
void write_dispersion_csv(const DispersionMatrix& matrix, const std::string& path, const DispersionConfig& config);

// Relative Frobenius difference ||a - b||_F / ||b||_F (the agreement metric).
double relative_frobenius_difference(const std::vector<double>& a, const std::vector<double>& b);

}  // namespace canveg
