// Whole-model gradients of JAX-CanVeg's training loss (docs/gradients.md "Verification"):
//  * the batch forward run inside the gradient is bit-identical to run_model;
//  * reverse mode (unrolled) equals forward mode (dual numbers) for every parameter;
//  * reverse mode agrees with central finite differences of the loss;
//  * parameters the model never reads (rd25, LeafRHDL in PB models) have exactly zero gradient;
//  * no NaN/Inf in any regime (night, zero LAI, dry soil, parameters at their bounds, stable and
//    unstable surface), batched and independent half-hours;
//  * the implicit (IFT) gradient equals the unrolled gradient of a fixed point run to convergence;
//  * the leaf blocks preaccumulated from the templates give the hand-written blocks' gradient.
// CI runs one model (US-Hn1, 1 layer, PB and Hybrid) on one day; with CANVEG_GRADIENT_ALL_SITES
// (label `long`) every site, PB and Hybrid, 1 and 50 layers, on two sampled days.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <string>

#include "canveg/gradient.hpp"
#include "canveg/model_io.hpp"
#include "canveg/run.hpp"
#include "gradient/kernels.hpp"
#include "run/lane_solver.hpp"

namespace {

using namespace canveg;

const std::string kData = CANVEG_SHARED_DATA;

std::string test_fluxes(const std::string& site) {
  return kData + "/fluxtower/" + site + "/" + site + (site == "US-Hn1" ? "-fluxes-nonegle-test.csv" : "-fluxes-test.csv");
}
// The scaler comes from the training flux file (US-Me2 has none in the shared data: test file).
std::string training_fluxes(const std::string& site) {
  if (site == "US-Me2") return test_fluxes(site);
  return kData + "/fluxtower/" + site + "/" + site + (site == "US-Hn1" ? "-fluxes-nonegle.csv" : "-fluxes.csv");
}

struct SiteData {
  ForcingRecord forcing;
  ObservedFluxes observed;
  OutputScaler scaler;
};

const SiteData& site_data(const std::string& site) {
  static std::map<std::string, SiteData> cache;
  auto it = cache.find(site);
  if (it == cache.end()) {
    SiteData d;
    d.forcing = read_forcing_csv(kData + "/fluxtower/" + site + "/" + site + "-forcings-test.csv");
    d.observed = read_flux_csv(test_fluxes(site));
    d.scaler = standard_scaler(read_flux_csv(training_fluxes(site)));
    it = cache.emplace(site, std::move(d)).first;
  }
  return it->second;
}

// A trained model by file name; "<name>+corrected" is the same model in the corrected formulation
// (converged shortwave sweeps, dark respiration subtracted once).
const Model<double>& model(const std::string& name) {
  static std::map<std::string, Model<double>> cache;
  auto it = cache.find(name);
  if (it == cache.end()) {
    const std::size_t plus = name.find("+corrected");
    Model<double> m = read_model_json(kData + "/jax-canveg-trained/" + name.substr(0, plus) + ".json").model;
    if (plus != std::string::npos) set_formulation(m.setup, Formulation::Corrected);
    it = cache.emplace(name, std::move(m)).first;
  }
  return it->second;
}

ObservedFluxes slice(const ObservedFluxes& o, std::size_t b, std::size_t e) {
  ObservedFluxes r;
  r.source = o.source;
  r.LE.assign(o.LE.begin() + static_cast<long>(b), o.LE.begin() + static_cast<long>(e));
  r.NEE.assign(o.NEE.begin() + static_cast<long>(b), o.NEE.begin() + static_cast<long>(e));
  return r;
}

struct Problem {
  ForcingRecord forcing;
  ObservedFluxes observed;
  LossSpec loss;
};

Problem day(const std::string& site, std::size_t first_row, std::size_t rows, double le_weight = 0.5) {
  const SiteData& d = site_data(site);
  Problem p;
  p.forcing = d.forcing.slice(first_row, first_row + rows);
  p.observed = slice(d.observed, first_row, first_row + rows);
  p.loss.le_weight = le_weight;
  p.loss.scaler = d.scaler;
  return p;
}

// max over components of |a - b| / max(|b|, floor * max|b|).
double max_rel(const std::vector<double>& a, const std::vector<double>& b, double floor) {
  double big = 0.0, worst = 0.0;
  for (double x : b) big = std::max(big, std::abs(x));
  for (std::size_t k = 0; k < a.size(); ++k) {
    if (a[k] == b[k]) continue;
    worst = std::max(worst, std::abs(a[k] - b[k]) / std::max(std::abs(b[k]), floor * big));
  }
  return worst;
}

// Reverse vs forward criterion: |a - b| <= 1e-10 (|b| + max|b|) for every component, returned as
// the largest ratio to that bound. Almost every component agrees to 1e-10 of itself; the few
// that do not (lleaf at a few night rows, up to 3e-8 of itself) are ill-conditioned in the
// model's own arithmetic: changing only the rounding of the division rule of the dual numbers
// moves them by as much (docs/gradients.md), while they agree to 1e-10 of the largest component.
double reverse_forward_ratio(const std::vector<double>& a, const std::vector<double>& b, double tolerance = 1e-10) {
  double big = 0.0, worst = 0.0;
  for (double x : b) big = std::max(big, std::abs(x));
  for (std::size_t k = 0; k < a.size(); ++k)
    if (a[k] != b[k]) worst = std::max(worst, std::abs(a[k] - b[k]) / (tolerance * (std::abs(b[k]) + big)));
  return worst;
}

std::string table(const ParameterSpace& space, const std::vector<double>& a, const std::vector<double>& b,
                  std::size_t limit = 200) {
  std::string s;
  char line[256];
  for (std::size_t k = 0; k < std::min(limit, space.size()); ++k) {
    std::snprintf(line, sizeof line, "  %-36s %+.15e %+.15e\n", space.name(k).c_str(), a[k], b[k]);
    s += line;
  }
  return s;
}

void expect_all_finite(const LossGradient& g, const std::string& what) {
  EXPECT_EQ(g.nonfinite, 0u) << what;
  for (double x : g.gradient) ASSERT_TRUE(std::isfinite(x)) << what;
  EXPECT_TRUE(std::isfinite(g.loss)) << what;
}

// Reverse (unrolled) against forward mode, and the structural zeros.
void check_reverse_forward(const std::string& name, const Problem& p, const GradientOptions& options) {
  const Model<double>& m = model(name);
  const ParameterSpace space(m);
  // Forward mode solves one half-hour at a time (its dual numbers are not SIMD lanes), so the
  // reverse gradient is compared with the same double forward; with SIMD lanes below.
  GradientOptions scalar = options;
  scalar.simd = "";
  const LossGradient rev = loss_and_gradient(m, space, p.forcing, p.observed, p.loss, scalar);
  const LossGradient fwd = loss_and_gradient_forward_mode(m, space, p.forcing, p.observed, p.loss, options);
  expect_all_finite(rev, name);
  EXPECT_EQ(rev.loss, fwd.loss) << name;
  // The SIMD lanes' forward differs from the scalar one by up to a few 1e-9 of a state's scale
  // (test_lanes); the loss and the gradient taken at it move by about a tenth of that. At US-Me2
  // half-hours left unsettled by the 15 iterations amplify any rounding (docs/reliability.md):
  // there the gradients agree to 2e-7 of the largest component.
  GradientOptions lanes = options;
  lanes.simd = "auto";
  const LossGradient rev_lanes = loss_and_gradient(m, space, p.forcing, p.observed, p.loss, lanes);
  EXPECT_NEAR(rev_lanes.loss, fwd.loss, 1e-9 * fwd.loss) << name << " (SIMD lanes)";
  const double lanes_tolerance = name.rfind("US-Me2", 0) == 0 ? 1e-6 : 1e-8;
  EXPECT_LE(reverse_forward_ratio(rev_lanes.gradient, fwd.gradient, lanes_tolerance), 1.0)
      << name << " (SIMD lanes)\n" << table(space, rev_lanes.gradient, fwd.gradient);
  const double rel = max_rel(rev.gradient, fwd.gradient, 0.0);
  const double ratio = reverse_forward_ratio(rev.gradient, fwd.gradient);
  EXPECT_LE(ratio, 1.0) << name << "\n" << table(space, rev.gradient, fwd.gradient);
  const std::vector<bool> zero = space.structurally_zero();
  for (std::size_t k = 0; k < space.size(); ++k)
    if (zero[k]) {
      EXPECT_EQ(rev.gradient[k], 0.0) << name << " " << space.name(k);
      EXPECT_EQ(fwd.gradient[k], 0.0) << name << " " << space.name(k);
    }
  std::printf("[ gradient ] %-24s rows %zu batches %zu: reverse vs forward max rel %.2e (error / allowed %.2f), "
              "%.2f s vs %.2f s\n",
              name.c_str(), rev.rows, rev.batches, rel, ratio, rev.seconds, fwd.seconds);
}

// The box JAX-CanVeg clips a parameter to (the parameter table, include/canveg/fields.hpp); the
// network weights are clipped to +-kNetworkWeightBound.
std::pair<double, double> training_bounds(const std::string& name) {
  const std::size_t i = field_index(kParameterFields, name);
  if (i == kParameterCount) return {-kNetworkWeightBound, kNetworkWeightBound};
  return {kParameterFields[i].lower, kParameterFields[i].upper};
}

// The loss with parameter k of `space` set to x and the others at v0; m is the model to perturb
// (a copy of the unperturbed one, reused between calls).
double loss_with_parameter(Model<double>& m, const ParameterSpace& space, const std::vector<double>& v0,
                           std::size_t k, double x, const Problem& p, const GradientOptions& options) {
  std::vector<double> v = v0;
  v[k] = x;
  space.assign(m, v);
  return loss_value(m, p.forcing, p.observed, p.loss, options);
}

// Reverse against finite differences of the loss: |fd - g| <= tol |g| + 1e-8 max|g|.
//
// Two properties of the loss shape the difference scheme. (1) It is rough at the 1e-13 level:
// LE comes from quadratic formulas with cancellation (-b - sqrt(b^2 - 4ac) with 4ac << b^2 at
// night), so steps much below 1e-6 of a parameter see round-off, not slope. (2) It is only
// piecewise smooth: JAX-CanVeg's formulation has branches whose value jumps (the electron-
// transport / Rubisco choice made at ci = 0.7 ca, the Reynolds-number and free-convection
// switches, light inhibition of Rd at 10 umol m-2 s-1), and with up to 72,000 leaf evaluations per
// day one of them may flip within a step. So: h = 1e-5 max(|p|, 0.1), the 4-point central
// difference where the one-sided quotients at h and 2h on both sides are consistent (no jump
// within +-2h), otherwise the second-order one-sided difference of the side without a jump.
// Returns the number of parameters where a jump was detected.
[[maybe_unused]] int check_finite_differences(const std::string& name, const Problem& p, const GradientOptions& options,
                             std::size_t n_params, double tol = 1e-4) {
  const Model<double>& m0 = model(name);
  const ParameterSpace space(m0);
  const LossGradient rev = loss_and_gradient(m0, space, p.forcing, p.observed, p.loss, options);
  const std::vector<double> v0 = space.values(m0);
  double big = 0.0;
  for (double g : rev.gradient) big = std::max(big, std::abs(g));
  const double l0 = loss_value(m0, p.forcing, p.observed, p.loss, options);
  double worst = 0.0;
  int jumps = 0;
  std::string report;
  for (std::size_t k = 0; k < std::min(n_params, space.size()); ++k) {
    const double h = 1e-5 * std::max(std::abs(v0[k]), 0.1);
    Model<double> m = m0;
    auto loss_at = [&](double x) { return loss_with_parameter(m, space, v0, k, x, p, options); };
    const double lp = loss_at(v0[k] + h), lm = loss_at(v0[k] - h);
    const double lp2 = loss_at(v0[k] + 2 * h), lm2 = loss_at(v0[k] - 2 * h);
    const double f1 = (lp - l0) / h, f2 = (lp2 - lp) / h, b1 = (l0 - lm) / h, b2 = (lm - lm2) / h;
    // Without a jump the three second differences are all about h L''. A jump in one of the
    // intervals [-2h,-h], [-h,0], [0,h], [h,2h] spoils b2, b1, f1 or f2 respectively; use the
    // stencil that avoids it. A parameter at a bound of its training box (where the model's
    // clips sit) is differenced inside the box only.
    const double s_fwd = std::abs(f2 - f1), s_mid = std::abs(f1 - b1), s_bwd = std::abs(b1 - b2);
    const double noise = 1e-12 * std::abs(l0) / h;
    const double s_min = std::min({s_fwd, s_mid, s_bwd});
    auto ok = [&](double x) { return x <= 3.0 * s_min + noise; };
    const auto [lower, upper] = training_bounds(space.name(k));
    const bool at_upper = v0[k] + 2 * h > upper, at_lower = v0[k] - 2 * h < lower;
    double fd = (8.0 * (lp - lm) - (lp2 - lm2)) / (12.0 * h);
    const char* how = "central";
    const double forward2 = (-3.0 * l0 + 4.0 * lp - lp2) / (2.0 * h), backward2 = (3.0 * l0 - 4.0 * lm + lm2) / (2.0 * h);
    if (at_upper) {
      fd = backward2, how = "backward (at upper bound)";
    } else if (at_lower) {
      fd = forward2, how = "forward (at lower bound)";
    } else if (!(ok(s_fwd) && ok(s_mid) && ok(s_bwd))) {
      ++jumps;
      if (ok(s_mid)) fd = (lp - lm) / (2.0 * h), how = "central +-h (jump beyond h)";
      else if (ok(s_fwd)) fd = forward2, how = "forward (jump below)";
      else fd = backward2, how = "backward (jump above)";
    }
    // Error in units of the allowed error: <= 1 passes.
    const double err = std::abs(fd - rev.gradient[k]) / (tol * std::abs(rev.gradient[k]) + 1e-8 * big);
    worst = std::max(worst, err);
    char line[240];
    std::snprintf(line, sizeof line, "  %-36s %+.10e %+.10e %.1e %s\n", space.name(k).c_str(), rev.gradient[k], fd, err,
                  how);
    report += line;
  }
  EXPECT_LE(worst, 1.0) << name << "\n" << report;
  std::printf("[ gradient ] %-24s vs finite differences (%zu parameters, %d with a jump within 2h): max error / "
              "allowed %.2f\n",
              name.c_str(), std::min(n_params, space.size()), jumps, worst);
  return jumps;
}

// Finite differences half-hour by half-hour (independent half-hours, batch size 1), for days where
// the whole-day loss has too many jumps for a difference quotient (50 layers: up to 72,000 leaf
// evaluations a day, each with the branches listed above). h = 1e-4 max(|p|, 0.1): a single
// half-hour's loss is also rough, with a sawtooth of about 1e-10 of its value (night rows, where
// LE comes from a quadratic formula with cancellation), which smaller steps turn into slope
// errors. For every (row, parameter) pair the central quotients at h and 2h and the three second
// differences are compared; if they are inconsistent beyond the tolerance, a jump lies within 2h
// and the pair is counted as such;
// otherwise the 4-point quotient is compared with the reverse gradient of that row:
// |fd - g| <= tol |g| + 1e-8 max|g of the row|. At least 99 % of the compared pairs must pass and
// none may be off by more than 10 x (the rest are at the roughness level above). At a bound of
// the training box the one-sided quotients inside the box are used the same way.
[[maybe_unused]] void check_finite_differences_by_row(const std::string& name, const std::string& site, std::size_t first_row,
                                     std::size_t rows, std::size_t n_params, double tol = 1e-4) {
  const Model<double>& m0 = model(name);
  const ParameterSpace space(m0);
  const std::vector<double> v0 = space.values(m0);
  GradientOptions go;
  go.batch_size = 1;
  go.threads = 1;
  std::size_t pairs = 0, flagged = 0, outside = 0;
  double worst = 0.0;
  std::string report;
  for (std::size_t t = first_row; t < first_row + rows; ++t) {
    const Problem p = day(site, t, 1);
    const LossGradient rev = loss_and_gradient(m0, space, p.forcing, p.observed, p.loss, go);
    double big = 0.0;
    for (double g : rev.gradient) big = std::max(big, std::abs(g));
    const double l0 = rev.loss;
    for (std::size_t k = 0; k < std::min(n_params, space.size()); ++k) {
      const double g = rev.gradient[k];
      const double allowed = tol * std::abs(g) + 1e-8 * big;
      const double h = 1e-4 * std::max(std::abs(v0[k]), 0.1);
      Model<double> m = m0;
      auto loss_at = [&](double x) { return loss_with_parameter(m, space, v0, k, x, p, go); };
      const auto [lower, upper] = training_bounds(space.name(k));
      double fd = 0.0;
      bool jump = false;
      if (v0[k] + 2 * h > upper || v0[k] - 2 * h < lower) {
        const double s = v0[k] + 2 * h > upper ? -1.0 : 1.0;  // into the box
        const double l1 = loss_at(v0[k] + s * h), l2 = loss_at(v0[k] + 2 * s * h);
        const double q1 = s * (l1 - l0) / h, q2 = s * (l2 - l1) / h;
        jump = std::abs(q2 - q1) > allowed;
        fd = s * (-3.0 * l0 + 4.0 * l1 - l2) / (2.0 * h);
      } else {
        const double lp = loss_at(v0[k] + h), lm = loss_at(v0[k] - h);
        const double lp2 = loss_at(v0[k] + 2 * h), lm2 = loss_at(v0[k] - 2 * h);
        const double c1 = (lp - lm) / (2.0 * h), c2 = (lp2 - lm2) / (4.0 * h);
        // Smooth: the three second differences (f2 - f1, f1 - b1, b1 - b2) are all h L''.
        const double f1 = (lp - l0) / h, f2 = (lp2 - lp) / h, b1 = (l0 - lm) / h, b2 = (lm - lm2) / h;
        const double s1 = f2 - f1, s2 = f1 - b1, s3 = b1 - b2;
        jump = std::abs(c1 - c2) > allowed || std::max({s1, s2, s3}) - std::min({s1, s2, s3}) > allowed;
        fd = (8.0 * (lp - lm) - (lp2 - lm2)) / (12.0 * h);
      }
      ++pairs;
      if (jump) {
        ++flagged;
        continue;
      }
      const double err = std::abs(fd - g) / allowed;
      if (err > 1.0) ++outside;
      if (err > worst) {
        worst = err;
        char line[240];
        std::snprintf(line, sizeof line, "worst: row %zu %s: reverse %+.10e fd %+.10e (%.2f x allowed)", t,
                      space.name(k).c_str(), g, fd, err);
        report = line;
      }
    }
  }
  const std::size_t compared = pairs - flagged;
  EXPECT_LE(outside, compared / 100) << name << ": " << report;
  EXPECT_LE(worst, 10.0) << name << ": " << report;
  EXPECT_LE(flagged, pairs / 4) << name << ": too many jumps for the check to mean anything";
  std::printf("[ gradient ] %-24s vs finite differences by half-hour: %zu (row, parameter) pairs, %zu with a jump "
              "within 2h; of the others %zu beyond tolerance, worst %.2f x allowed\n",
              name.c_str(), pairs, flagged, outside, worst);
  if (!report.empty()) std::printf("[ gradient ]   %s\n", report.c_str());
}

// ---------------------------------------------------------------------------------------------

#ifndef CANVEG_GRADIENT_ALL_SITES  // the CI checks (test_gradient_model)

TEST(GradientModel, BatchForwardIsBitIdenticalToRunModel) {
  const std::string name = "US-Hn1_Hybrid-1L-0.5";
  const Problem p = day("US-Hn1", 4800, 96);
  RunOptions ro;
  ro.restart_every = 48;
  ro.threads = 2;
  // (run_model and the gradient's forward both solve with the widest SIMD lanes.)
  const RunResult run = run_model(model(name), p.forcing, ro);
  double sum = 0.0;
  for (std::size_t b = 0; b < 2; ++b) {
    double le = 0.0, nee = 0.0;
    for (std::size_t t = b * 48; t < b * 48 + 48; ++t) {
      const OutputScaler& s = p.loss.scaler;
      const double dl = (run.outputs.LE[t] - s.le_mean) / s.le_std - (p.observed.LE[t] - s.le_mean) / s.le_std;
      const double dn = (run.outputs.NEE[t] - s.nee_mean) / s.nee_std - (p.observed.NEE[t] - s.nee_mean) / s.nee_std;
      le = le + dl * dl;
      nee = nee + dn * dn;
    }
    sum += 0.5 * (le * (1.0 / 48)) + 0.5 * (nee * (1.0 / 48));
  }
  GradientOptions go;
  go.batch_size = 48;
  EXPECT_EQ(loss_value(model(name), p.forcing, p.observed, p.loss, go), sum / 2);
  const LossGradient g = loss_and_gradient(model(name), ParameterSpace(model(name)), p.forcing, p.observed, p.loss, go);
  EXPECT_EQ(g.loss, sum / 2);
}

// Batch size 1 (JAX-CanVeg's test loss): every half-hour alone, solved in groups of contiguous
// rows; the loss is the mean of the rows' losses of an uncoupled run, bit for bit (600 rows: more
// than one group, the last one part-filled).
TEST(GradientModel, IndependentHalfHoursLossEqualsTheUncoupledRun) {
  const std::string name = "US-Hn1_Hybrid-1L-0.5";
  const Problem p = day("US-Hn1", 4800, 600);
  RunOptions ro;
  ro.storage_coupling = false;
  ro.threads = 2;
  const RunResult run = run_model(model(name), p.forcing, ro);
  double sum = 0.0;
  const OutputScaler& s = p.loss.scaler;
  for (std::size_t t = 0; t < 600; ++t) {
    const double dl = (run.outputs.LE[t] - s.le_mean) / s.le_std - (p.observed.LE[t] - s.le_mean) / s.le_std;
    const double dn = (run.outputs.NEE[t] - s.nee_mean) / s.nee_std - (p.observed.NEE[t] - s.nee_mean) / s.nee_std;
    const double le = 0.0 + dl * dl, nee = 0.0 + dn * dn;
    sum += 0.5 * (le * (1.0 / 1)) + 0.5 * (nee * (1.0 / 1));
  }
  GradientOptions go;
  go.batch_size = 1;
  go.threads = 2;
  EXPECT_EQ(loss_value(model(name), p.forcing, p.observed, p.loss, go), sum / 600);
}

TEST(GradientModel, ReverseEqualsForwardMode) {
  GradientOptions one_batch;
  one_batch.batch_size = 0;
  check_reverse_forward("US-Hn1_Hybrid-1L-0.5", day("US-Hn1", 4800, 48), one_batch);
  check_reverse_forward("US-Hn1_PB-1L-0.5", day("US-Hn1", 4800, 48), one_batch);
  // Two batches (storage restarts, batch mean) and independent half-hours.
  GradientOptions batches;
  batches.batch_size = 24;
  check_reverse_forward("US-Hn1_Hybrid-1L-0.5", day("US-Hn1", 4800, 48), batches);
  GradientOptions independent;
  independent.batch_size = 1;
  check_reverse_forward("US-Hn1_Hybrid-1L-0.5", day("US-Hn1", 4810, 12), independent);
}

// The leaf blocks preaccumulated from the templates (dual numbers) against the hand-written
// adjoints (docs/gradients.md "Preaccumulation"): the same loss bit for bit, the same gradient up
// to the round-off of the leaf Jacobians.
TEST(GradientModel, PreaccumulatedLeafBlocksMatchHandWritten) {
  struct Case {
    std::string model, site;
    std::size_t first, rows;
  };
  for (const Case& c : {Case{"US-Hn1_Hybrid-1L-0.5", "US-Hn1", 4800, 48}, Case{"US-Hn1_PB-1L-0.5", "US-Hn1", 4800, 48},
                        Case{"US-Bi1_PB-ML-0.5", "US-Bi1", 4810, 8}, Case{"US-Bi1_Hybrid-ML-0.5", "US-Bi1", 4810, 8}}) {
    const Problem p = day(c.site, c.first, c.rows);
    const ParameterSpace space(model(c.model));
    GradientOptions go;
    go.batch_size = 0;
    LossGradient g[2];
    for (int pre = 0; pre < 2; ++pre) {
      ad::preaccumulate_leaf_blocks() = pre == 1;
      g[pre] = loss_and_gradient(model(c.model), space, p.forcing, p.observed, p.loss, go);
    }
    ad::preaccumulate_leaf_blocks() = false;
    EXPECT_EQ(g[0].loss, g[1].loss) << c.model;
    double norm = 0.0, diff = 0.0, worst_self = 0.0, worst_ratio = 0.0, big = 0.0;
    for (double x : g[0].gradient) big = std::max(big, std::abs(x));
    for (std::size_t k = 0; k < space.size(); ++k) {
      const double a = g[0].gradient[k], b = g[1].gradient[k];
      norm += a * a, diff += (a - b) * (a - b);
      if (a != b) worst_self = std::max(worst_self, std::abs(a - b) / std::abs(a));
      worst_ratio = std::max(worst_ratio, std::abs(a - b) / (1e-12 * (std::abs(a) + big)));
    }
    std::printf("[ preaccumulated ] %-22s rows %zu: relative L2 difference %.3g, largest component difference %.3g of "
                "itself, error / allowed %.2f\n",
                c.model.c_str(), c.rows, std::sqrt(diff / norm), worst_self, worst_ratio);
    EXPECT_LE(worst_ratio, 1.0) << c.model << "\n" << table(space, g[0].gradient, g[1].gradient);
  }
}

// The rows of an iteration taped as the lanes of one recording (docs/gradients.md, "The tape in
// lanes") give the one-row tape's gradient: the same forward (loss bit for bit), the derivatives
// of each lane those of its row up to the rounding of the vector mathematics; in every instruction
// set this machine runs.
TEST(GradientModel, LaneTapeEqualsOneRowPerTape) {
  struct Case {
    std::string model, site;
    std::size_t first, rows, batch;
  };
  for (const Case& c : {Case{"US-Hn1_Hybrid-1L-0.5", "US-Hn1", 4800, 48, 0}, Case{"US-Hn1_PB-1L-0.5", "US-Hn1", 4800, 48, 20},
                        Case{"US-Hn1_Hybrid-1L-0.5", "US-Hn1", 4810, 13, 1}, Case{"US-Bi1_PB-ML-0.5", "US-Bi1", 4810, 11, 0},
                        Case{"US-Bi1_Hybrid-ML-0.5", "US-Bi1", 4810, 11, 0}}) {
    const Problem p = day(c.site, c.first, c.rows);
    const ParameterSpace space(model(c.model));
    for (const run::LaneSolver& isa : run::available_lane_solvers()) {
      for (FixedPointGradient method :
           {FixedPointGradient::Unrolled, FixedPointGradient::OneStep, FixedPointGradient::JaxOneStep}) {
        GradientOptions go;
        go.batch_size = c.batch;
        go.keep_remainder = true;
        go.method = method;
        go.simd = isa.isa;
        go.lane_tape = false;
        const LossGradient one_row = loss_and_gradient(model(c.model), space, p.forcing, p.observed, p.loss, go);
        go.lane_tape = true;
        const LossGradient lanes = loss_and_gradient(model(c.model), space, p.forcing, p.observed, p.loss, go);
        const std::string what = c.model + " " + fixed_point_gradient_name(method) + " " + isa.isa;
        // The one-step rule's loss comes from the taped iteration itself: equal up to the rounding
        // of the vector mathematics; the unrolled loss from the same double forward run.
        if (method == FixedPointGradient::Unrolled)
          EXPECT_EQ(lanes.loss, one_row.loss) << what;
        else
          EXPECT_NEAR(lanes.loss, one_row.loss, 1e-12 * one_row.loss) << what;
        expect_all_finite(lanes, what);
        const double ratio = reverse_forward_ratio(lanes.gradient, one_row.gradient, 1e-11);
        std::printf("[ lane tape ] %-44s rows %zu batch %zu: error / allowed %.3f, %.2f s (one row per tape %.2f s)\n",
                    what.c_str(), c.rows, c.batch, ratio, lanes.seconds, one_row.seconds);
        EXPECT_LE(ratio, 1.0) << what << "\n" << table(space, lanes.gradient, one_row.gradient);
      }
    }
  }
}

TEST(GradientModel, ReverseAgreesWithFiniteDifferences) {
  GradientOptions go;
  go.batch_size = 0;
  // All 21 scalars and the first layer of LeafRHDL.
  check_finite_differences("US-Hn1_Hybrid-1L-0.5", day("US-Hn1", 4800, 48), go, 21 + 18);
}

// The corrected formulation: the reverse sweep goes through every shortwave sweep and the single
// dark-respiration subtraction exactly (forward mode and finite differences agree), and the
// gradient is not the jax formulation's.
TEST(GradientModel, CorrectedFormulationIsExact) {
  GradientOptions go;
  go.batch_size = 0;
  check_reverse_forward("US-Hn1_Hybrid-1L-0.5+corrected", day("US-Hn1", 4800, 48), go);
  check_reverse_forward("US-Bi1_PB-ML-0.5+corrected", day("US-Bi1", 4810, 8), go);
  check_finite_differences("US-Hn1_Hybrid-1L-0.5+corrected", day("US-Hn1", 4800, 48), go, 21);
  const Problem p = day("US-Hn1", 4800, 48);
  const ParameterSpace space(model("US-Hn1_Hybrid-1L-0.5"));
  const LossGradient jax = loss_and_gradient(model("US-Hn1_Hybrid-1L-0.5"), space, p.forcing, p.observed, p.loss, go);
  const LossGradient corrected =
      loss_and_gradient(model("US-Hn1_Hybrid-1L-0.5+corrected"), space, p.forcing, p.observed, p.loss, go);
  EXPECT_NE(jax.loss, corrected.loss);
  EXPECT_GT(max_rel(corrected.gradient, jax.gradient, 1e-3), 1e-3) << table(space, corrected.gradient, jax.gradient);
}

TEST(GradientModel, StructuralZerosAreListed) {
  const ParameterSpace pb(model("US-Hn1_PB-1L-0.5"));
  const ParameterSpace hy(model("US-Hn1_Hybrid-1L-0.5"));
  ASSERT_EQ(pb.size(), 21u + 67u);
  ASSERT_EQ(hy.size(), 21u + 67u);
  const auto zp = pb.structurally_zero(), zh = hy.structurally_zero();
  EXPECT_EQ(std::count(zp.begin(), zp.end(), true), 1 + 67);  // rd25 + LeafRHDL
  EXPECT_EQ(std::count(zh.begin(), zh.end(), true), 1);       // rd25
  EXPECT_EQ(pb.name(8), "rd25");
  EXPECT_TRUE(zp[8]);
  EXPECT_EQ(pb.name(21), "LeafRHDL.layers[0].weight[0][0]");
}

// Regimes that produce NaN gradients in JAX-CanVeg (pitfall P10) or are degenerate.
TEST(GradientModel, FiniteInEveryRegime) {
  const std::string name = "US-Whs_Hybrid-1L-0.5";
  Problem p = day("US-Whs", 9000, 48);
  // Dry soil, zero leaf area in the morning, a calm stable night, a hot unstable afternoon.
  for (std::size_t t = 0; t < 48; ++t) {
    p.forcing.swc[t] = 0.0;
    if (t < 20) p.forcing.lai[t] = 0.0;
    if (t < 10) p.forcing.ws[t] = 0.1, p.forcing.ustar[t] = 0.01, p.forcing.ta[t] = -5.0;
    if (t > 26 && t < 34) p.forcing.ts[t] = 45.0, p.forcing.ta[t] = 38.0;
  }
  Model<double> m = model(name);
  // Parameters at their training bounds.
  m.para.leaf_clumping_factor = 1.0, m.para.par_reflect = 5e-5, m.para.par_trans = 5e-5, m.para.nir_soil_refl = 5e-5;
  m.para.ep = 1.0, m.para.epsoil = 1.0, m.para.lleaf = 0.1, m.para.bprime = 5e-5;
  const ParameterSpace space(m);
  for (std::size_t batch : {std::size_t{0}, std::size_t{1}}) {
    GradientOptions go;
    go.batch_size = batch;
    for (FixedPointGradient method : {FixedPointGradient::Unrolled, FixedPointGradient::Implicit, FixedPointGradient::OneStep}) {
      go.method = method;
      expect_all_finite(loss_and_gradient(m, space, p.forcing, p.observed, p.loss, go),
                        "batch " + std::to_string(batch) + " method " + std::to_string(static_cast<int>(method)));
    }
  }
  // Against forward mode with the same (scalar) double forward, and with the SIMD lanes' forward
  // at the lanes' tolerance (as ReverseEqualsForwardMode).
  GradientOptions go;
  go.batch_size = 0;
  go.simd = "";
  const LossGradient rev = loss_and_gradient(m, space, p.forcing, p.observed, p.loss, go);
  const LossGradient fwd = loss_and_gradient_forward_mode(m, space, p.forcing, p.observed, p.loss, go);
  EXPECT_LE(reverse_forward_ratio(rev.gradient, fwd.gradient), 1.0) << table(space, rev.gradient, fwd.gradient);
  go.simd = "auto";
  const LossGradient rev_lanes = loss_and_gradient(m, space, p.forcing, p.observed, p.loss, go);
  EXPECT_LE(reverse_forward_ratio(rev_lanes.gradient, fwd.gradient, 1e-8), 1.0)
      << "SIMD lanes\n" << table(space, rev_lanes.gradient, fwd.gradient);
}

// The implicit-function gradient is the derivative of the fixed point: with enough iterations
// for the forward loop to converge (400 here; the slowest mode is the deep soil), the unrolled
// gradient tends to it. (Rows 4812-4813 of this day end in a 2-cycle instead and are avoided.)
TEST(GradientModel, ImplicitEqualsUnrolledAtConvergence) {
  Model<double> m = model("US-Hn1_Hybrid-1L-0.5");
  m.setup.niter = 400;
  const Problem p = day("US-Hn1", 4814, 4);
  const ParameterSpace space(m);
  GradientOptions go;
  go.batch_size = 0;
  const LossGradient unrolled = loss_and_gradient(m, space, p.forcing, p.observed, p.loss, go);
  go.method = FixedPointGradient::Implicit;
  const LossGradient implicit = loss_and_gradient(m, space, p.forcing, p.observed, p.loss, go);
  EXPECT_EQ(implicit.implicit_unconverged, 0u);
  const double rel = max_rel(implicit.gradient, unrolled.gradient, 1e-8);
  EXPECT_LE(rel, 1e-7) << table(space, implicit.gradient, unrolled.gradient, 21);
  std::printf("[ gradient ] implicit vs unrolled at 400 iterations: max rel %.2e (%d sweeps)\n", rel,
              implicit.implicit_sweeps);
}

#endif  // !CANVEG_GRADIENT_ALL_SITES

#ifdef CANVEG_GRADIENT_ALL_SITES
// Every site, PB and Hybrid, 1 and 50 layers, on two sampled days (one summer, one winter).
class GradientSites : public ::testing::TestWithParam<std::string> {};

// Every test period starts on 1 July: day 10 (mid July) and day 150 (late November).
constexpr std::size_t kSummerRow = 10 * 48, kWinterRow = 150 * 48;

TEST_P(GradientSites, ReverseEqualsForwardAndFiniteDifferences) {
  const std::string family = GetParam();
  for (const std::string site : {"US-Bi1", "US-Hn1", "US-Me2", "US-Whs"}) {
    const std::string name = site + "_" + family + "-0.5";
    GradientOptions go;
    go.batch_size = 0;
    check_reverse_forward(name, day(site, kSummerRow, 48), go);
    check_reverse_forward(name, day(site, kWinterRow, 48), go);
    check_finite_differences_by_row(name, site, kSummerRow, 48, family.find("ML") != std::string::npos ? 31 : 88);
  }
}

INSTANTIATE_TEST_SUITE_P(Families, GradientSites, ::testing::Values("PB-1L", "Hybrid-1L", "PB-ML", "Hybrid-ML"),
                         [](const auto& info) {
                           std::string s = info.param;
                           std::replace(s.begin(), s.end(), '-', '_');
                           return s;
                         });
#endif

}  // namespace
