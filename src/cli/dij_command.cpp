// `canveg dij`: the dispersion-matrix generator on the command line. Geometry comes from options
// or from a site file ([canopy] height, measurement_height, canopy_layers, atmosphere_layers);
// options given explicitly override the site file.
#include "cli/dij_command.hpp"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <toml++/toml.h>

#include "canveg/errors.hpp"
#include "canveg/output_io.hpp"
#include "cli/finite_number.hpp"
#include "dij/dispersion_generator.hpp"

namespace canveg {
namespace {

struct DijOptions {
  double canopy_height = 0, measurement_height = 0, particles = 1e6, time_limit = 1000.0;
  int canopy_layers = 0, atmosphere_layers = 0, threads = 0;
  std::uint64_t seed = 1;
  std::string grid = "jax", site, output;
  bool quiet = false;
  CLI::Option *o_h = nullptr, *o_zm = nullptr, *o_J = nullptr, *o_K = nullptr;
};

// TOML keys of the site file for each geometry option, to name the right place in errors.
const std::map<std::string, std::string> kSiteKey = {
    {"--canopy-height", "canopy.height"},
    {"--measurement-height", "canopy.measurement_height"},
    {"--canopy-layers", "canopy.canopy_layers"},
    {"--atmos-layers", "canopy.atmosphere_layers"},
};

template <class T>
void read_site_value(const toml::table& tbl, const std::string& path, const char* key, T& out) {
  const auto node = tbl["canopy"][key];
  if (!node) throw InputError(path, 0, std::string("canopy.") + key, "missing from the site file's [canopy] table");
  if constexpr (std::is_integral_v<T>) {
    const auto v = node.value<std::int64_t>();
    if (!v || !node.is_integer())
      throw InputError(path, node.node()->source().begin.line, std::string("canopy.") + key, "must be an integer");
    out = static_cast<T>(*v);
  } else {
    const auto v = node.value<double>();
    if (!v) throw InputError(path, node.node()->source().begin.line, std::string("canopy.") + key, "must be a number");
    out = *v;
  }
}

// Fills the geometry not given on the command line from the site file.
void apply_site(DijOptions& o) {
  toml::table tbl;
  try {
    tbl = toml::parse_file(o.site);
  } catch (const toml::parse_error& e) {
    throw InputError(o.site, static_cast<long>(e.source().begin.line), "", std::string(e.description()));
  }
  if (!tbl["canopy"].is_table()) throw InputError(o.site, 0, "canopy", "the site file has no [canopy] table");
  if (o.o_h->count() == 0) read_site_value(tbl, o.site, "height", o.canopy_height);
  if (o.o_zm->count() == 0) read_site_value(tbl, o.site, "measurement_height", o.measurement_height);
  if (o.o_J->count() == 0) read_site_value(tbl, o.site, "canopy_layers", o.canopy_layers);
  if (o.o_K->count() == 0) read_site_value(tbl, o.site, "atmosphere_layers", o.atmosphere_layers);
}

int run_dij(DijOptions& o) {
  try {
    io::AtomicOutputFile(o.output, {o.site});  // refuses an unwritable output or the site file, before the run
    if (!o.site.empty()) apply_site(o);
    const char* missing = o.o_h->count() == 0 && o.site.empty()    ? "--canopy-height"
                          : o.o_zm->count() == 0 && o.site.empty() ? "--measurement-height"
                          : o.o_J->count() == 0 && o.site.empty()  ? "--canopy-layers"
                          : o.o_K->count() == 0 && o.site.empty()  ? "--atmos-layers"
                                                                   : nullptr;
    if (missing) {
      std::fprintf(stderr, "canveg: error: dij: %s is required (or a site file with --site)\nRun 'canveg dij --help' for usage.\n", missing);
      return 2;
    }
    if (!std::isfinite(o.particles) || o.particles != std::floor(o.particles) || o.particles > 9.0e15)
      throw InputError("", 0, "--particles", "the number of particles must be a whole number");

    DispersionConfig cfg;
    cfg.canopy_height = o.canopy_height;
    cfg.measurement_height = o.measurement_height;
    cfg.canopy_layers = o.canopy_layers;
    cfg.atmosphere_layers = o.atmosphere_layers;
    cfg.particles = static_cast<std::int64_t>(o.particles);
    cfg.seed = o.seed;
    cfg.threads = o.threads;
    cfg.time_limit = o.time_limit;
    cfg.grid = o.grid == "model" ? DispersionGrid::model : DispersionGrid::jax;
    try {
      validate_dispersion_config(cfg);
    } catch (const InputError& e) {
      // A geometry value that came from the site file: point at the file and key instead.
      const auto key = kSiteKey.find(e.field());
      const bool from_site = key != kSiteKey.end() && !o.site.empty() &&
                             ((e.field() == "--canopy-height" && o.o_h->count() == 0) ||
                              (e.field() == "--measurement-height" && o.o_zm->count() == 0) ||
                              (e.field() == "--canopy-layers" && o.o_J->count() == 0) ||
                              (e.field() == "--atmos-layers" && o.o_K->count() == 0));
      if (from_site) {
        std::string reason = e.what();
        reason = reason.substr(reason.find("': ") + 3);
        throw InputError(o.site, 0, key->second, reason);
      }
      throw;
    }

    // The matrix is a Monte-Carlo estimate whose noise grows as 1/sqrt(particles): two 10^6-particle
    // draws differ by 1.8 % (relative Frobenius), so one draw carries about 1.8 % / sqrt(2)
    // (docs/dispersion-matrix.md). Below 10^5 particles the matrix is a test, not a model input.
    constexpr double kNoiseAtMillion = 0.018 / 1.4142135623730951;
    if (cfg.particles < 100000)
      std::fprintf(stderr,
                   "canveg: warning: dij: %lld particles give a matrix with about %.0f %% Monte-Carlo noise (%.1f %% "
                   "at 1e6, the default); fluxes run with it move with the seed: use 1e5 or more for a model input\n",
                   static_cast<long long>(cfg.particles), 100.0 * kNoiseAtMillion * std::sqrt(1e6 / double(cfg.particles)),
                   100.0 * kNoiseAtMillion);
    const bool tty = !o.quiet && isatty(STDERR_FILENO);
    int last_decile = 0;
    DispersionProgressFn progress;
    if (!o.quiet) {
      progress = [&](const DispersionProgress& p) {
        const double frac = p.particles_total > 0 ? double(p.particles_done) / double(p.particles_total) : 1.0;
        const double left = frac > 0 ? p.elapsed_s * (1.0 - frac) / frac : 0.0;
        if (tty) {
          std::fprintf(stderr, "\rcanveg: dij: %5.1f%% of %lld particles, %.0f s elapsed, about %.0f s left   ",
                       100.0 * frac, static_cast<long long>(p.particles_total), p.elapsed_s, left);
        } else if (static_cast<int>(frac * 10) > last_decile) {
          last_decile = static_cast<int>(frac * 10);
          std::fprintf(stderr, "canveg: dij: %3.0f%% of %lld particles, %.0f s elapsed, about %.0f s left\n",
                       100.0 * frac, static_cast<long long>(p.particles_total), p.elapsed_s, left);
        }
        std::fflush(stderr);
      };
    }
    const DispersionMatrix m = generate_dispersion_matrix(cfg, progress, tty ? 0.5 : 2.0);
    if (tty) std::fprintf(stderr, "\n");
    write_dispersion_csv(m, o.output, cfg);

    if (o.quiet) return 0;
    const double used = double(m.particles_per_layer) * m.cols;
    std::fprintf(
        stderr,
        "canveg: dij: wrote %s: %d levels x %d source layers; grid %s, %d bins up to %.4g m (%.4g h; measurement "
        "height %.4g m); %.0f particles (%lld per layer), seed %llu, dt %.4g s, at most %lld steps; %.1f s on %d "
        "thread(s) (%.0f particles/s)\n",
        o.output.c_str(), m.rows, m.cols, o.grid.c_str(), m.rows, m.bin_top.back(), m.bin_top.back() / cfg.canopy_height,
        cfg.measurement_height, used, static_cast<long long>(m.particles_per_layer),
        static_cast<unsigned long long>(cfg.seed), m.time_step, static_cast<long long>(m.max_steps), m.seconds,
        m.threads_used, used / m.seconds);
    return 0;
  } catch (const std::exception& e) {  // InputError included: its message names file, line and field
    std::fprintf(stderr, "canveg: error: dij: %s\n", e.what());
    return 1;
  }
}

}  // namespace

CLI::App* add_dij_command(CLI::App& app, cli::CommandSlot& slot) {
  auto o = std::make_shared<DijOptions>();
  CLI::App* cmd = app.add_subcommand(
      "dij",
      "Generate a Lagrangian dispersion matrix Dij (Thomson 1987 random walk, Raupach 1989 near-field theory) "
      "for a canopy geometry, in the CSV layout `canveg run` reads");
  o->o_h = cmd->add_option("--canopy-height", o->canopy_height, "canopy height h [m]")->check(cli::finite_number());
  o->o_zm = cmd->add_option("--measurement-height", o->measurement_height,
                            "measurement (reference) height zm [m], above the canopy")
                ->check(cli::finite_number());
  o->o_J = cmd->add_option("--canopy-layers", o->canopy_layers, "canopy layers J (matrix columns)");
  o->o_K = cmd->add_option("--atmos-layers,--atmosphere-layers", o->atmosphere_layers,
                           "atmospheric layers K above the canopy (matrix rows: J + K)");
  cmd->add_option("--site", o->site,
                  "site file (TOML) giving [canopy] height, measurement_height, canopy_layers, atmosphere_layers; "
                  "options given explicitly override it");
  cmd->add_option("--particles", o->particles,
                  "particles in total, split evenly over the canopy layers (JAX-CanVeg default 1e6)")
      ->capture_default_str()
      ->check(cli::finite_number());
  cmd->add_option("--seed", o->seed, "random seed; a seed gives the same matrix on any thread count")
      ->capture_default_str();
  cmd->add_option("--threads", o->threads, "worker threads (0: all cores)")->capture_default_str();
  cmd->add_option("--grid", o->grid,
                  "bins: jax = uniform h/J bins up to (J+K) h/J as JAX-CanVeg's generator; model = the model's "
                  "levels up to zm")
      ->check(CLI::IsMember({"jax", "model"}))
      ->capture_default_str();
  cmd->add_option("--time-limit", o->time_limit, "longest travel time of a particle [s]")
      ->capture_default_str()
      ->check(cli::finite_number());
  cmd->add_option("-o,--output", o->output, "output CSV (levels x source layers, no header)")->required();
  cmd->add_flag("-q,--quiet", o->quiet, "no progress on stderr");
  cli::run_when_parsed(*cmd, slot, [o] { return run_dij(*o); });
  return cmd;
}

}  // namespace canveg
