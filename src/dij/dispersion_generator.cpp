// Lagrangian random-walk generator of the dispersion matrix (docs/model.md 2.15).
//
// Physics (JAX-CanVeg DispersionMatrix.cpp, for u* = 1 m s-1 and neutral stability):
//  * sigma_w(z) = sigma_0 + z dsigma in the canopy (linear, Wilson et al.), sigma_h u* above, with
//    sigma_0 = 0.25, sigma_h = 1.25 and dsigma = (sigma_h u* - 0.25 sigma_h u*) / h;
//  * d(sigma_w^2)/dz = 2 z dsigma^2 u*^2 + 2 sigma_0 dsigma u* in the canopy, 0 above;
//  * T_L(z) = 0.4 (z - d) / (1.56 u*) for z >= 1.5 h, else 0.25 h / u*, with d = 0.6 h;
//  * time step dt = 0.1 T_L(h), at most floor(time_limit / dt) steps per particle;
//  * Thomson (1987) well-mixed Langevin equation for Gaussian inhomogeneous turbulence:
//      dw = -w dt / T_L + 1/2 d(sigma_w^2)/dz (1 + w^2 / sigma_w^2) dt + sqrt(2 sigma_w^2 dt / T_L) xi;
//  * perfect reflection at the ground (w -> -w, z -> -z);
//  * Raupach (1989) localized near-field theory for a continuous, horizontally homogeneous
//    source: the ensemble concentration in a bin is the particles' summed residence time there,
//    D_Il = (C_I - C_top) / (dz_I n_l) per unit source flux, relative to the top bin.
// The sigma_w profile is discontinuous at h (0.25 + 0.9375 = 1.1875 below, 1.25 above) and so is
// T_L at 1.5 h; both are kept as in the original because the shipped matrices were made with them.
#include "dij/dispersion_generator.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>

#include "canveg/errors.hpp"
#include "canveg/model_io.hpp"
#include "run/thread_pool.hpp"

namespace canveg {
namespace {

constexpr double kUstar = 1.0;          // reference friction velocity; the model rescales D by 1/u*
constexpr double kSigmaH = 1.25;        // sigma_w / u* at and above the canopy top
constexpr double kSigma0 = 0.25;        // sigma_w at the ground [m s-1] (as used by the original)
constexpr double kDisplacement = 0.6;   // d / h, zero-plane displacement (docs/model.md 1.2)
constexpr std::int64_t kBlockSize = 4096;  // particles per random stream; fixed, so the result
                                           // does not depend on how blocks meet threads

// ---- counter-based random numbers ------------------------------------------------------------
// SplitMix64 (Steele, Lea & Flood 2014): output k of a stream is a bijective mix of key + k*gamma,
// so a stream is fully defined by its key and counter, independent of any thread.
constexpr std::uint64_t kGamma = 0x9E3779B97F4A7C15ULL;

constexpr std::uint64_t mix64(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// Key of the stream for (seed, source layer, block): nested mixing so that neighbouring layers and
// blocks get unrelated starting points on the 2^64 cycle.
std::uint64_t stream_key(std::uint64_t seed, int layer, std::int64_t block) {
  std::uint64_t k = mix64(seed + kGamma);
  k = mix64(k ^ (static_cast<std::uint64_t>(layer) * 0xD1B54A32D192ED03ULL + 0x632BE59BD9B4E019ULL));
  k = mix64(k ^ (static_cast<std::uint64_t>(block) * 0x8CB92BA72F3D8DD7ULL + 0x2545F4914F6CDD1DULL));
  return k;
}

// Standard normal deviates by the ziggurat method (Marsaglia & Tsang 2000, 256 strips, with
// Doornik's 2005 arrangement: strip index and abscissa from disjoint bits of one 64-bit draw).
// About 3x faster than Box-Muller here, which matters because every particle step draws one.
// The original draws by rejection on [-5, 5]; the tail it omits has probability 6e-7.
class Ziggurat {
 public:
  static constexpr int kStrips = 256;
  static constexpr double kR = 3.6541528853610088;  // start of the tail
  static constexpr double kV = 4.92867323399e-3;    // area of each strip (unnormalised density)
  Ziggurat() {
    double f = std::exp(-0.5 * kR * kR);
    x_[0] = kV / f;  // base strip: rectangle plus tail
    x_[1] = kR;
    x_[kStrips] = 0;
    for (int i = 2; i < kStrips; ++i) {
      x_[i] = std::sqrt(-2.0 * std::log(kV / x_[i - 1] + f));
      f = std::exp(-0.5 * x_[i] * x_[i]);
    }
    for (int i = 0; i < kStrips; ++i) ratio_[i] = x_[i + 1] / x_[i];
  }
  double x(int i) const { return x_[i]; }
  double ratio(int i) const { return ratio_[i]; }

 private:
  double x_[kStrips + 1];
  double ratio_[kStrips];
};
const Ziggurat kZig;

class NormalStream {
 public:
  explicit NormalStream(std::uint64_t key) : counter_(key) {}

  double next() {
    for (;;) {
      const std::uint64_t b = bits();
      const int i = static_cast<int>(b & 0xFF);
      const double u = 2.0 * (static_cast<double>(b >> 11) * 0x1.0p-53) - 1.0;  // [-1, 1)
      if (std::fabs(u) < kZig.ratio(i)) return u * kZig.x(i);  // inside the strip's rectangle
      if (i == 0) return tail(u < 0);
      // In the wedge between the rectangle and the density: accept under exp(-x^2/2).
      const double x = u * kZig.x(i);
      const double f0 = std::exp(-0.5 * (kZig.x(i) * kZig.x(i) - x * x));
      const double f1 = std::exp(-0.5 * (kZig.x(i + 1) * kZig.x(i + 1) - x * x));
      if (f1 + uniform() * (f0 - f1) < 1.0) return x;
    }
  }

 private:
  std::uint64_t bits() {
    counter_ += kGamma;
    return mix64(counter_);
  }
  double uniform() { return static_cast<double>(bits() >> 11) * 0x1.0p-53; }  // [0, 1)
  double tail(bool negative) {  // Marsaglia (1964) sampling of the normal tail beyond kR
    double x, y;
    do {
      x = std::log(1.0 - uniform()) / Ziggurat::kR;
      y = std::log(1.0 - uniform());
    } while (-2.0 * y < x * x);
    return negative ? x - Ziggurat::kR : Ziggurat::kR - x;
  }
  std::uint64_t counter_;
};

// ---- set-up shared by all workers -------------------------------------------------------------
struct WalkSetup {
  int J = 0, K = 0, nbins = 0;
  double h = 0, d = 0;
  double dz_canopy = 0;     // h / J, also the release spacing
  double dz_atmos = 0;      // bin height above the canopy (h / J on the jax grid)
  bool model_grid = false;
  double del_sigma = 0;     // d sigma_w / dz in the canopy
  double dt = 0;
  std::int64_t max_steps = 0;
  std::int64_t per_layer = 0;
  std::int64_t blocks_per_layer = 0;
  // Per-step constants of the Langevin update, by T_L regime (docs/model.md 2.15):
  double a_const = 0, b_const = 0;  // dt / T_L and sqrt(2 dt / T_L) below 1.5 h (T_L = 0.25 h / u*)
  double k_tl = 0, sqrt_2k_tl = 0;  // above 1.5 h dt / T_L = k_tl / (z - d)

  double sigma_w(double z) const { return z < h ? kSigma0 + z * del_sigma : kSigmaH * kUstar; }
  double dvar_dz(double z) const {
    return z < h ? 2.0 * z * del_sigma * del_sigma * kUstar * kUstar + 2.0 * kSigma0 * del_sigma * kUstar
                 : 0.0;
  }
  double lagrangian_time(double z) const {
    return z >= 1.5 * h ? 0.4 * (z - d) / (1.56 * kUstar) : 0.25 * h / kUstar;
  }

  // 1-based bin of height z >= 0; nbins + 1 means above the domain (the particle leaves).
  int bin(double z) const {
    if (!model_grid) {
      // JAX: I = min(floor(z / dz) + 1, n_hi + 1). Written so that a non-finite z also leaves.
      const double q = z / dz_canopy;
      return q < nbins ? static_cast<int>(q) + 1 : nbins + 1;
    }
    if (z < h) return std::min(static_cast<int>(z / dz_canopy), J - 1) + 1;
    const double q = (z - h) / dz_atmos;
    return q < K ? J + static_cast<int>(q) + 1 : nbins + 1;
  }
  double bin_height(int i) const {  // 1-based
    return (!model_grid || i <= J) ? dz_canopy : dz_atmos;
  }
};

// Releases `count` particles of source layer `layer` (1-based), drawing from the stream `key`, and
// adds their residence steps per bin to counts[1..nbins].
void run_block(const WalkSetup& s, int layer, std::uint64_t key, std::int64_t count, std::uint64_t* counts) {
  NormalStream rng(key);
  const double dt = s.dt;
  const double z0 = layer * s.dz_canopy;  // top of canopy layer `layer`, like the model's node z_{l-1}
  for (std::int64_t p = 0; p < count; ++p) {
    double z = z0;
    double w = s.sigma_w(z) * rng.next();
    for (std::int64_t step = 0; step < s.max_steps; ++step) {
      if (z <= 0) {  // reflection at the ground
        w = -w;
        z = -z;
      }
      const int bin = s.bin(z);
      if (bin > s.nbins) break;  // left through the domain top
      ++counts[bin];             // residence of dt in this bin (Raupach 1989)
      const double xi = rng.next();
      // Thomson (1987): w += -w dt/T_L + 1/2 d(sigma_w^2)/dz (1 + w^2/sigma_w^2) dt
      //                      + sqrt(2 sigma_w^2 dt / T_L) xi,
      // with sqrt(2 sigma_w^2 dt / T_L) = sigma_w sqrt(2 dt / T_L) and the T_L terms precomputed
      // where T_L is constant; above 1.5 h the division and the square root run side by side
      // (sqrt(1/x) = sqrt(x)/x) to shorten the step's dependency chain.
      double a, b;  // dt / T_L(z), sqrt(2 dt / T_L(z))
      if (z >= 1.5 * s.h) {
        const double inv = 1.0 / (z - s.d);
        a = s.k_tl * inv;
        b = s.sqrt_2k_tl * std::sqrt(z - s.d) * inv;
      } else {
        a = s.a_const;
        b = s.b_const;
      }
      double sw = kSigmaH * kUstar, drift = 0.0;
      if (z < s.h) {
        sw = s.sigma_w(z);
        drift = 0.5 * s.dvar_dz(z) * (1.0 + w * w / (sw * sw)) * dt;
      }
      w += -w * a + drift + sw * b * xi;
      z += w * dt;
    }
  }
}

InputError config_error(const std::string& option, const std::string& reason) {
  return InputError("", 0, option, reason);
}

std::string fmt(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

WalkSetup make_setup(const DispersionConfig& c) {
  WalkSetup s;
  s.J = c.canopy_layers;
  s.K = c.atmosphere_layers;
  s.nbins = s.J + s.K;
  s.h = c.canopy_height;
  s.d = kDisplacement * s.h;
  s.dz_canopy = s.h / s.J;
  s.model_grid = c.grid == DispersionGrid::model;
  s.dz_atmos = s.model_grid ? (c.measurement_height - s.h) / s.K : s.dz_canopy;
  s.del_sigma = (kSigmaH * kUstar - kSigma0 * kSigmaH * kUstar) / s.h;
  s.dt = 0.1 * s.lagrangian_time(s.h);
  s.max_steps = static_cast<std::int64_t>(c.time_limit / s.dt);
  s.a_const = s.dt / (0.25 * s.h / kUstar);
  s.b_const = std::sqrt(2.0 * s.a_const);
  s.k_tl = s.dt * 1.56 * kUstar / 0.4;
  s.sqrt_2k_tl = std::sqrt(2.0 * s.k_tl);
  s.per_layer = c.particles / s.J;
  s.blocks_per_layer = (s.per_layer + kBlockSize - 1) / kBlockSize;
  return s;
}

}  // namespace

void validate_dispersion_config(const DispersionConfig& c) {
  auto positive = [](double v) { return std::isfinite(v) && v > 0; };
  if (!positive(c.canopy_height))
    throw config_error("--canopy-height", "canopy height must be a positive number of metres, got " + fmt(c.canopy_height));
  if (!positive(c.measurement_height))
    throw config_error("--measurement-height",
                       "measurement height must be a positive number of metres, got " + fmt(c.measurement_height));
  if (!(c.measurement_height > c.canopy_height))
    throw config_error("--measurement-height", "measurement height " + fmt(c.measurement_height) +
                                                   " m must be above the canopy height " + fmt(c.canopy_height) + " m");
  constexpr int kMaxLayers = 100000;
  if (c.canopy_layers < 1 || c.canopy_layers > kMaxLayers)
    throw config_error("--canopy-layers", "canopy layers must be between 1 and " + std::to_string(kMaxLayers) +
                                              ", got " + std::to_string(c.canopy_layers));
  if (c.atmosphere_layers < 1 || c.atmosphere_layers > kMaxLayers)
    throw config_error("--atmos-layers", "atmosphere layers must be between 1 and " + std::to_string(kMaxLayers) +
                                             ", got " + std::to_string(c.atmosphere_layers));
  if (c.particles < 1)
    throw config_error("--particles", "the number of particles must be positive, got " + std::to_string(c.particles));
  if (c.particles < c.canopy_layers)
    throw config_error("--particles", std::to_string(c.particles) + " particles cannot be spread over " +
                                          std::to_string(c.canopy_layers) + " canopy layers (at least one per layer)");
  if (c.threads < 0) throw config_error("--threads", "threads must be 0 (all cores) or positive");
  const double dt = 0.1 * 0.25 * c.canopy_height / kUstar;
  if (!std::isfinite(c.time_limit) || c.time_limit < dt)
    throw config_error("--time-limit", "time limit must be at least one time step (" + fmt(dt) + " s), got " +
                                           fmt(c.time_limit));
  if (c.time_limit / dt > 1e15) throw config_error("--time-limit", "time limit " + fmt(c.time_limit) + " s is too long");
}

DispersionMatrix generate_dispersion_matrix(const DispersionConfig& config, const DispersionProgressFn& progress,
                                            double progress_interval_s) {
  validate_dispersion_config(config);
  const WalkSetup s = make_setup(config);
  const auto t0 = std::chrono::steady_clock::now();

  const std::int64_t n_tasks = s.blocks_per_layer * s.J;
  const int threads = run::resolve_threads(config.threads, static_cast<std::size_t>(n_tasks));

  // Per-thread integer step counts per (layer, bin). Integer addition is exact, so how blocks
  // were shared among threads cannot change the sums: the result is bit-identical for any count.
  const std::size_t stride = static_cast<std::size_t>(s.nbins) + 2;
  std::vector<std::vector<std::uint64_t>> counts(static_cast<std::size_t>(threads), std::vector<std::uint64_t>(stride * s.J, 0));

  std::atomic<std::int64_t> done_particles{0};
  auto run_task = [&](int worker, std::size_t unit) {
    // Tasks run layer by layer, blocks in order; the stream depends only on (seed, layer, block).
    const auto task = static_cast<std::int64_t>(unit);
    const int layer = static_cast<int>(task / s.blocks_per_layer) + 1;
    const std::int64_t block = task % s.blocks_per_layer;
    const std::int64_t first = block * kBlockSize;
    const std::int64_t count = std::min(kBlockSize, s.per_layer - first);
    run_block(s, layer, stream_key(config.seed, layer, block), count,
              counts[static_cast<std::size_t>(worker)].data() + static_cast<std::size_t>(layer - 1) * stride);
    done_particles.fetch_add(count, std::memory_order_relaxed);
  };
  const std::int64_t total = s.per_layer * s.J;
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
  std::function<void()> report;
  if (progress) report = [&] { progress({done_particles.load(), total, elapsed()}); };
  run::parallel_units(threads, static_cast<std::size_t>(n_tasks), run_task, report,
                      progress_interval_s > 0 ? progress_interval_s : 1.0);

  // Reduce the per-thread counts in thread order, then normalise per source layer.
  std::vector<std::uint64_t> sum(stride * s.J, 0);
  for (const auto& c : counts)
    for (std::size_t k = 0; k < sum.size(); ++k) sum[k] += c[k];

  DispersionMatrix m;
  m.rows = s.nbins;
  m.cols = s.J;
  m.values.assign(static_cast<std::size_t>(m.rows) * m.cols, 0.0);
  for (int l = 1; l <= s.J; ++l) {
    const std::uint64_t* c = sum.data() + static_cast<std::size_t>(l - 1) * stride;
    const double n = static_cast<double>(s.per_layer);
    // Concentration per unit source: residence time / (bin height x particles released).
    const double c_top = static_cast<double>(c[s.nbins]) * s.dt / (s.bin_height(s.nbins) * n);
    for (int i = 1; i <= s.nbins; ++i) {
      const double ci = static_cast<double>(c[i]) * s.dt / (s.bin_height(i) * n);
      // JAX keeps rows/columns 1.. of its (N+1) x (J+1) array: row i-1, column l-1 here.
      m.values[static_cast<std::size_t>(i - 1) * m.cols + (l - 1)] = ci - c_top;
    }
  }
  m.bin_top.resize(s.nbins);
  for (int i = 1; i <= s.nbins; ++i)
    m.bin_top[i - 1] = (!s.model_grid || i <= s.J) ? i * s.dz_canopy : s.h + (i - s.J) * s.dz_atmos;
  m.time_step = s.dt;
  m.max_steps = s.max_steps;
  m.particles_per_layer = s.per_layer;
  m.threads_used = threads;
  m.seconds = elapsed();
  if (progress) progress({total, total, m.seconds});
  return m;
}

void write_dispersion_csv(const DispersionMatrix& m, const std::string& path, const DispersionConfig& config) {
  const std::string details = std::string("grid=") + (config.grid == DispersionGrid::model ? "model" : "jax") +
                              " particles=" + std::to_string(config.particles) + " seed=" + std::to_string(config.seed);
  write_dij_csv(m.values, m.rows, m.cols, path,
                dij_geometry_comment(config.canopy_height, config.measurement_height, config.canopy_layers,
                                     config.atmosphere_layers, details));
}

double relative_frobenius_difference(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size()) return std::numeric_limits<double>::infinity();
  double num = 0, den = 0;
  for (std::size_t k = 0; k < a.size(); ++k) {
    num += (a[k] - b[k]) * (a[k] - b[k]);
    den += b[k] * b[k];
  }
  return std::sqrt(num / den);
}

}  // namespace canveg
