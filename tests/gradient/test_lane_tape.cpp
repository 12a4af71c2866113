// The reverse tape in SIMD lanes (src/ad/reverse_lanes.hpp): each lane's derivatives equal the
// scalar tape's for the same half-hour, through every elementary function, the branches written as
// where(), and the clipped-branch lanes whose values are outside a function's domain.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

#include "ad/reverse.hpp"
#include "ad/reverse_lanes.hpp"
#include "physics/common.hpp"

namespace {

using Arch = xsimd::sse2;  // every x86-64 processor runs it
using LV = canveg::ad::LaneVar<Arch>;
using Row = canveg::simd::Lanes<Arch, 1>;
constexpr std::size_t W = LV::kWidth;

// A function of two active inputs and one per-half-hour constant f (double for the scalar tape,
// lanes for the lane tape) that takes every elementary function and both sides of its branches.
template <class T, class R>
T mixture(const T& x, const T& y, const R& f) {
  using namespace canveg::physics;
  const T a = exp(x * 0.3) + log(y) * f - sqrt(y) / x + f / y - (2.0 - x) * (f - y);
  const T b = where(x > y, cos(a), sin(a) * tanh(y));
  const T c = pow(y, 1.7) + pow(2.0, x) + pow(x * x + 1.0, y) + abs(x - f) + fabs(y - 2.0);
  const T d = clip(b + c, -5.0, 40.0);
  const T e = sqrt_nonneg(floor_at(x - 0.5, 0.0)) + acos(clip(y * 0.1, -0.9, 0.9)) + asin(clip(x * 0.2, -0.5, 0.5)) + tan(x * 0.2);
  T g = d * e;
  g += min_of(x, y);
  g -= max_of(x, T(f));
  g *= 1.0 + 0.01 * y;
  g /= 1.0 + 0.02 * x * x;
  // The one-half-hour types evaluate only the side taken; a vector whose lanes disagree evaluates
  // both, and a lane that does not take the first holds sqrt of a negative number (NaN value and
  // partial).
  const T root = choose(x > 0.8, [&] { return sqrt(x - 0.8) * y; }, [] { return T(0.0); });
  return g + root - where(x < 0.0, T(0.0), x * f);
}

struct ScalarResult {
  double value, dx, dy;
};

ScalarResult scalar(double x, double y, double f) {
  canveg::ad::Tape& tape = canveg::ad::thread_tape();
  tape.reset();
  const canveg::ad::Var xv = canveg::ad::Var::leaf(x), yv = canveg::ad::Var::leaf(y);
  const canveg::ad::Var out = mixture(xv, yv, f);
  tape.zero_adjoints();
  tape.adjoints()[out.i] = 1.0;
  tape.reverse();
  return {out.v, tape.adjoints()[xv.i], tape.adjoints()[yv.i]};
}

double relative(double a, double b) { return std::abs(a - b) / std::max(1.0, std::abs(b)); }

TEST(LaneTape, EveryLaneHasTheScalarTapesDerivatives) {
  canveg::ad::LaneTapeGuard<Arch> guard;
  canveg::ad::TapeGuard scalar_guard;
  // Inputs chosen so that the lanes of a vector disagree on the branches.
  std::vector<double> xs, ys, fs;
  for (int k = 0; k < 64; ++k) {
    xs.push_back(-0.7 + 0.053 * k);
    ys.push_back(0.4 + 0.091 * ((k * 7) % 64));
    fs.push_back(0.5 + 0.03 * ((k * 13) % 64));
  }
  double worst = 0.0;
  int mixed_vectors = 0;  // vectors whose lanes disagree on the branch with the square root
  for (std::size_t first = 0; first < xs.size(); first += W) {
    canveg::ad::LaneTape<Arch>& tape = canveg::ad::thread_lane_tape<Arch>();
    tape.reset();
    const LV x = LV::leaf(Row::load(xs.data() + first)), y = LV::leaf(Row::load(ys.data() + first));
    const LV out = mixture(x, y, Row::load(fs.data() + first));
    tape.zero_adjoints();
    tape.adjoints()[out.i] = Row(1.0);
    tape.reverse();
    alignas(64) double value[W], dx[W], dy[W];
    out.v.store(value);
    tape.adjoints()[x.i].store(dx);
    tape.adjoints()[y.i].store(dy);
    int above = 0;
    for (std::size_t l = 0; l < W; ++l) {
      above += xs[first + l] > 0.8;
      const ScalarResult s = scalar(xs[first + l], ys[first + l], fs[first + l]);
      ASSERT_TRUE(std::isfinite(s.dx) && std::isfinite(s.dy)) << first + l;
      ASSERT_TRUE(std::isfinite(dx[l]) && std::isfinite(dy[l])) << "lane " << l << " of row " << first;
      worst = std::max({worst, relative(value[l], s.value), relative(dx[l], s.dx), relative(dy[l], s.dy)});
    }
    mixed_vectors += above > 0 && above < static_cast<int>(W);
  }
  // The vector mathematics rounds differently from the C library: a few units in the last place.
  EXPECT_LT(worst, 1e-13);
  EXPECT_GT(mixed_vectors, 0);  // the masked branch was exercised
}

// A lane whose adjoint is 0 passes nothing on, not even 0 x NaN; a NaN adjoint still propagates.
TEST(LaneTape, AZeroAdjointStopsANaNPartialButANaNAdjointPropagates) {
  canveg::ad::LaneTapeGuard<Arch> guard;
  canveg::ad::LaneTape<Arch>& tape = canveg::ad::thread_lane_tape<Arch>();
  tape.reset();
  alignas(64) double xs[W];
  for (std::size_t l = 0; l < W; ++l) xs[l] = l % 2 ? 4.0 : -4.0;
  const LV x = LV::leaf(Row::load(xs));
  const LV root = sqrt(x);  // NaN partial in the even lanes
  const LV out = where(x > 0.0, root, LV(1.0));
  tape.zero_adjoints();
  tape.adjoints()[out.i] = Row(1.0);
  tape.reverse();
  alignas(64) double dx[W];
  tape.adjoints()[x.i].store(dx);
  for (std::size_t l = 0; l < W; ++l) EXPECT_EQ(dx[l], l % 2 ? 0.25 : 0.0) << l;

  tape.zero_adjoints();
  tape.adjoints()[root.i] = Row(std::nan(""));
  tape.reverse();
  tape.adjoints()[x.i].store(dx);
  for (std::size_t l = 0; l < W; ++l) EXPECT_TRUE(std::isnan(dx[l])) << l;
}

// Inputs recorded in bulk (LaneTape::inputs: only their adjoints are cleared, and the sweep stops
// at the first node after them) get the adjoints of leaves recorded one by one, also the input
// just before that node, whose share the sweep holds in a register (the carry) when it stops.
TEST(LaneTape, BulkInputsGetTheAdjointsOfLeaves) {
  canveg::ad::LaneTapeGuard<Arch> guard;
  canveg::ad::LaneTape<Arch>& tape = canveg::ad::thread_lane_tape<Arch>();
  alignas(64) double got[2][W];
  for (const bool bulk : {false, true}) {
    tape.reset();
    LV x, y;
    if (bulk) {
      const canveg::ad::Index first = tape.inputs(2);
      x = LV(Row(2.0).v[0], first), y = LV(Row(5.0).v[0], first + 1);
    } else {
      x = LV::leaf(Row(2.0)), y = LV::leaf(Row(5.0));
    }
    const LV out = (y * 3.0) * x + x;  // y * 3's parent is the node just before it
    tape.adjoints()[out.i] = Row(1.0);
    tape.reverse();
    tape.adjoints()[x.i].store(got[0]);
    tape.adjoints()[y.i].store(got[1]);
    for (std::size_t l = 0; l < W; ++l) {
      EXPECT_EQ(got[0][l], 16.0) << "bulk " << bulk << " lane " << l;
      EXPECT_EQ(got[1][l], 6.0) << "bulk " << bulk << " lane " << l;
    }
  }
}

}  // namespace
