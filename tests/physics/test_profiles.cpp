// Scalar profiles from layer sources and the dispersion matrix, and the stability factor of the
// dispersion matrix, docs/model.md sections 2.15-2.16 (and P15).
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "physics/profiles.hpp"
#include "run/column_model.hpp"
#include "physics_test_support.hpp"

namespace {

using namespace canveg::physics;

std::vector<double> profile(int N, int J, const std::vector<double>& dij, const std::vector<double>& src,
                            const std::vector<double>& delz, double ustar, double stab, double soil, double f,
                            double cref) {
  std::vector<double> out(N), scratch(J);
  concentration_profile<double>(N, J, dij.data(), src.data(), delz.data(), 1.0 / ustar, stab, soil, f, cref,
                                scratch.data(), out.data());
  return out;
}

// A synthetic N x J dispersion matrix, decreasing with height, last row not zero on purpose.
std::vector<double> synthetic_dij(int N, int J) {
  std::vector<double> d(static_cast<std::size_t>(N) * J);
  for (int i = 0; i < N; ++i)
    for (int j = 0; j < J; ++j) d[i * J + j] = 2.0 * std::exp(-0.3 * i) * (1.0 + 0.4 * std::exp(-std::abs(i - j)));
  return d;
}

TEST(Profiles, StabilityFactorBranches) {
  // Section 2.15: z/L < 0 -> 0.973 x 0.7182 / (0.7182 - z/L); z/L >= 0 -> 1 - 0.31 z/L
  // (discontinuous at 0, P15).
  EXPECT_DOUBLE_EQ(dispersion_stability_factor(0.0), 1.0);
  EXPECT_NEAR(dispersion_stability_factor(-1e-12), 0.973, 1e-11);
  EXPECT_REL_NEAR(dispersion_stability_factor(0.25), 1.0 - 0.31 * 0.25, 1e-15);
  EXPECT_REL_NEAR(dispersion_stability_factor(-3.0), 0.973 * 0.7182 / (0.7182 + 3.0), 1e-15);
  EXPECT_REL_NEAR(dispersion_stability_factor(-0.4), 0.62494061885172592, 1e-14);  // python3
  // Unstable air mixes better: the factor falls as z/L becomes more negative.
  double prev = 1.0;
  for (double zl = -0.1; zl >= -3.0; zl -= 0.1) {
    EXPECT_LT(dispersion_stability_factor(zl), prev);
    prev = dispersion_stability_factor(zl);
  }
}

TEST(Profiles, ZeroSourcesGiveReferenceEverywhere) {
  // Section 2.16: with S = 0 and F_soil = 0 every node equals c_ref.
  const int N = 8, J = 4;
  const auto d = synthetic_dij(N, J);
  const auto c = profile(N, J, d, std::vector<double>(J, 0.0), std::vector<double>(J, 0.25), 0.4, 0.9, 0.0, 1200.0,
                         293.15);
  for (double v : c) EXPECT_EQ(v, 293.15);
}

TEST(Profiles, SingleSourceFollowsItsDispersionColumn) {
  // Section 2.16: a source only in layer k gives c_i - c_top = stab/u* (D_ik - D_{N-1,k}) S_k dz_k / f.
  const int N = 8, J = 4;
  const auto d = synthetic_dij(N, J);
  const double ustar = 0.35, stab = 0.8, f = 1.2 * 1005.0, cref = 290.0;
  const std::vector<double> delz{0.2, 0.2, 0.2, 0.2};
  for (int k = 0; k < J; ++k) {
    std::vector<double> src(J, 0.0);
    src[k] = 150.0;
    const auto c = profile(N, J, d, src, delz, ustar, stab, 0.0, f, cref);
    EXPECT_DOUBLE_EQ(c[N - 1], cref);
    for (int i = 0; i < N; ++i) {
      const double expected = cref + stab / ustar * (d[i * J + k] - d[(N - 1) * J + k]) * 150.0 * 0.2 / f;
      EXPECT_REL_NEAR(c[i], expected, 1e-14) << i << " " << k;
    }
  }
}

TEST(Profiles, SoilFluxUsesFirstColumnWithoutStabilityOrDepth) {
  // Section 2.16: the soil term is F_soil D_i0 / (u* f) — no z/L factor and no dz factor — so
  // c_i - c_top is proportional to D_i0 - D_{N-1,0}.
  const int N = 6, J = 3;
  const auto d = synthetic_dij(N, J);
  const double ustar = 0.5, f = 1180.0, soil = 40.0;
  const auto c = profile(N, J, d, std::vector<double>(J, 0.0), std::vector<double>(J, 0.3), ustar, 0.6, soil, f, 0.0);
  for (int i = 0; i < N; ++i)
    EXPECT_REL_NEAR(c[i], soil / (ustar * f) * (d[i * J] - d[(N - 1) * J]), 1e-14) << i;
}

TEST(Profiles, HandExample) {
  // Section 2.16 with N = 5, J = 2, D = [[3,1.5],[2,1.8],[1,1.2],[0.4,0.5],[0.1,0.05]], S = (120, 300),
  // dz = 0.4, u* = 0.35, z/L = -0.4, F_soil = 40, f = 1.2 x 1005, c_ref = 293.15 (python3 numpy).
  const std::vector<double> d{3.0, 1.5, 2.0, 1.8, 1.0, 1.2, 0.4, 0.5, 0.1, 0.05};
  const double expected[5] = {293.8885249983993, 293.77599411134361, 293.50356370560513, 293.27969897732635,
                              293.14999999999998};
  const auto c = profile(5, 2, d, {120.0, 300.0}, {0.4, 0.4}, 0.35, dispersion_stability_factor(-0.4), 40.0,
                         1.2 * 1005.0, 293.15);
  for (int i = 0; i < 5; ++i) EXPECT_REL_NEAR(c[i], expected[i], 1e-14) << i;
}

TEST(Profiles, LinearInSourcesAndInverseInUstar) {
  // Section 2.16: deviations from c_ref scale linearly with the sources and with 1/u*.
  const int N = 7, J = 3;
  const auto d = synthetic_dij(N, J);
  const std::vector<double> src{80.0, -20.0, 150.0}, src2{160.0, -40.0, 300.0}, delz(J, 0.3);
  const auto a = profile(N, J, d, src, delz, 0.4, 1.0, 25.0, 1000.0, 10.0);
  const auto b = profile(N, J, d, src2, delz, 0.4, 1.0, 50.0, 1000.0, 10.0);
  const auto c = profile(N, J, d, src, delz, 0.8, 1.0, 25.0, 1000.0, 10.0);
  for (int i = 0; i < N; ++i) {
    EXPECT_REL_NEAR(b[i] - 10.0, 2.0 * (a[i] - 10.0), 1e-12) << i;
    EXPECT_REL_NEAR(c[i] - 10.0, 0.5 * (a[i] - 10.0), 1e-12) << i;
  }
}

TEST(Profiles, TransposedSumsEqualDirectProfile) {
  // Section 2.16 evaluated two ways: dispersion_sums + profile_from_sums on the transposed matrix
  // equal concentration_profile on the original one.
  const int N = 9, J = 4;
  const auto d = synthetic_dij(N, J);
  const std::vector<double> dt = canveg::transpose_dij(d, N, J);
  const std::vector<double> delz{0.25, 0.25, 0.25, 0.25};
  const std::vector<double> sa{12.0, 40.0, 75.0, 130.0}, sb{30.0, 55.0, 90.0, 210.0}, sc{-3.0, -6.0, -9.0, -14.0};
  std::vector<double> suma(N), sumb(N), sumc(N);
  dispersion_sums<double>({N, N}, J, d.data(), dt.data(), delz.data(), sa.data(), sb.data(), sc.data(), suma.data(), sumb.data(),
                          sumc.data());
  const double ustar = 0.3, stab = dispersion_stability_factor(0.1);
  struct Scalar {
    const std::vector<double>& src;
    std::vector<double>& sums;
    double soil, f, cref;
  } scalars[] = {{sa, suma, 20.0, 1200.0, 295.0}, {sb, sumb, 35.0, 0.0073, 1500.0}, {sc, sumc, 4.0, 27.0, 410.0}};
  for (Scalar& s : scalars) {
    profile_from_sums<double>({N, N}, dt.data(), 1.0 / ustar, stab, s.soil, s.f, s.cref, s.sums.data());
    const auto direct = profile(N, J, d, s.src, delz, ustar, stab, s.soil, s.f, s.cref);
    for (int i = 0; i < N; ++i) EXPECT_REL_NEAR(s.sums[i], direct[i], 1e-13) << i;
  }
}

TEST(Profiles, NodesLeftOutLeaveTheOthersUnchanged) {
  // ProfileLevels{N, 4}: nodes 0..3 and the top, whose value sets the shift; those equal the
  // profile over every node bit for bit, and the nodes between are not written.
  const int N = 9, J = 3;
  const auto d = synthetic_dij(N, J);
  const std::vector<double> dt = canveg::transpose_dij(d, N, J);
  const std::vector<double> delz{0.3, 0.3, 0.3}, sa{12.0, 40.0, 75.0}, sb{30.0, 55.0, 90.0}, sc{-3.0, -6.0, -9.0};
  const double stab = dispersion_stability_factor(-0.2), ustar = 0.45;
  std::vector<double> all_a(N), all_b(N), all_c(N);
  dispersion_sums<double>({N, N}, J, d.data(), dt.data(), delz.data(), sa.data(), sb.data(), sc.data(), all_a.data(),
                          all_b.data(), all_c.data());
  profile_from_sums<double>({N, N}, dt.data(), 1.0 / ustar, stab, 20.0, 1200.0, 295.0, all_a.data());
  constexpr double kUntouched = -1.0;
  const ProfileLevels levels{N, 4};
  EXPECT_EQ(levels.count(), 5);
  EXPECT_EQ(levels.node(4), N - 1);
  std::vector<double> part_a(N, kUntouched), part_b(N, kUntouched), part_c(N, kUntouched);
  dispersion_sums<double>(levels, J, d.data(), dt.data(), delz.data(), sa.data(), sb.data(), sc.data(), part_a.data(),
                          part_b.data(), part_c.data());
  profile_from_sums<double>(levels, dt.data(), 1.0 / ustar, stab, 20.0, 1200.0, 295.0, part_a.data());
  for (int i = 0; i < N; ++i) {
    if (i < 4 || i == N - 1) {
      EXPECT_EQ(part_a[i], all_a[i]) << i;
      EXPECT_EQ(part_b[i], all_b[i]) << i;
    } else {
      EXPECT_EQ(part_a[i], kUntouched) << i;
      EXPECT_EQ(part_c[i], kUntouched) << i;
    }
  }
}

}  // namespace
