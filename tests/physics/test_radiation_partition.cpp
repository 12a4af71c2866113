// Direct/diffuse partitioning of PAR and NIR, docs/model.md section 2.5 (Weiss & Norman 1985).
#include <gtest/gtest.h>

#include <cmath>

#include "physics/radiation_partition.hpp"
#include "physics_test_support.hpp"

namespace {

using canveg::physics::partition_radiation;
using canveg::physics::RadiationPartition;

TEST(RadiationPartition, ReferenceValues) {
  // Section 2.5 evaluated with python3 (reference_values.py, section_partition), PAR_in = 2.3 Rg.
  struct Case {
    double sinb, rg, pkpa, ratrad, pb, pd, nb, nd;
  } cases[] = {
      {0.6, 500.0, 101.3, 0.81174640000701426, 753.9270102699428, 396.0729897300572, 153.99373374280114,
       96.006266257198831},
      {0.3, 150.0, 100.35, 0.54805221701474816, 95.268719205953687, 249.73128079404631, 19.664206255550017,
       55.335793744449987},
      // Clear sky: r clipped at 0.89.
      {0.9, 950.0, 86.0, 0.89, 1912.3232969519547, 272.67670304804528, 386.89809727469117, 88.101902725308776},
  };
  for (const Case& c : cases) {
    const RadiationPartition r = partition_radiation(c.sinb, c.rg, 2.3 * c.rg, c.pkpa);
    EXPECT_REL_NEAR(r.cloudiness_ratio, c.ratrad, 1e-12);
    EXPECT_REL_NEAR(r.par_beam, c.pb, 1e-12);
    EXPECT_REL_NEAR(r.par_diffuse, c.pd, 1e-12);
    EXPECT_REL_NEAR(r.nir_beam, c.nb, 1e-12);
    EXPECT_REL_NEAR(r.nir_diffuse, c.nd, 1e-12);
  }
}

TEST(RadiationPartition, NightGivesZeros) {
  // Section 2.5: all four components are 0 when sin(beta) < 0, and r = 1 -> clipped to 0.89.
  for (double rg : {0.0, 5.0, 200.0}) {
    const RadiationPartition r = partition_radiation(-0.2, rg, 2.3 * rg, 101.3);
    EXPECT_EQ(r.par_beam, 0.0);
    EXPECT_EQ(r.par_diffuse, 0.0);
    EXPECT_EQ(r.nir_beam, 0.0);
    EXPECT_EQ(r.nir_diffuse, 0.0);
    EXPECT_DOUBLE_EQ(r.cloudiness_ratio, 0.89);
  }
  // The truncated night value of section 2.2.
  const RadiationPartition r = partition_radiation(-0.01, 0.0, 0.0, 101.3);
  EXPECT_EQ(r.par_beam + r.par_diffuse + r.nir_beam + r.nir_diffuse, 0.0);
}

TEST(RadiationPartition, CloudinessRatioClipBounds) {
  // Section 2.5: r = Rg / (R_vt + R_it) clipped to [0.22, 0.89].
  EXPECT_DOUBLE_EQ(partition_radiation(0.7, 0.0, 0.0, 101.3).cloudiness_ratio, 0.22);
  EXPECT_DOUBLE_EQ(partition_radiation(0.7, 10.0, 23.0, 101.3).cloudiness_ratio, 0.22);
  EXPECT_DOUBLE_EQ(partition_radiation(0.7, 5000.0, 11500.0, 101.3).cloudiness_ratio, 0.89);
  for (double rg = 0.0; rg <= 1400.0; rg += 25.0) {
    const double r = partition_radiation(0.75, rg, 2.3 * rg, 101.3).cloudiness_ratio;
    EXPECT_GE(r, 0.22);
    EXPECT_LE(r, 0.89);
  }
}

TEST(RadiationPartition, BeamPlusDiffuseEqualsIncomingByDay) {
  // Section 2.5: PAR beam + diffuse = PAR_in; NIR beam + diffuse = Rg - PAR_in/4.6; beam in [0, total].
  for (double sinb : {0.05, 0.2, 0.5, 0.8, 1.0})
    for (double rg : {1.0, 50.0, 300.0, 700.0, 1100.0}) {
      const double parin = 2.3 * rg;
      const RadiationPartition r = partition_radiation(sinb, rg, parin, 100.0);
      EXPECT_REL_NEAR(r.par_beam + r.par_diffuse, parin, 1e-12);
      EXPECT_REL_NEAR(r.nir_beam + r.nir_diffuse, rg - parin / 4.6, 1e-12);
      EXPECT_GE(r.par_beam, 0.0);
      EXPECT_LE(r.par_beam, parin);
      EXPECT_GE(r.nir_beam, 0.0);
      EXPECT_LE(r.nir_beam, rg - parin / 4.6 + 1e-12);
    }
}

TEST(RadiationPartition, BeamFractionGrowsWithClearness) {
  // Section 2.5: f_b = R_d/R_t (1 - ((0.9 - r)/0.7)^0.67) increases with r (brighter = clearer).
  double prev = -1.0;
  for (double rg = 100.0; rg <= 900.0; rg += 100.0) {
    const RadiationPartition r = partition_radiation(0.8, rg, 2.3 * rg, 101.3);
    const double fraction = r.par_beam / (2.3 * rg);
    EXPECT_GE(fraction, prev);
    prev = fraction;
  }
  EXPECT_GT(prev, 0.7);  // near-clear sky at high sun: mostly beam
}

TEST(RadiationPartition, ZeroParGivesZeroPar) {
  // Section 2.5: PAR beam and diffuse are 0 when PAR_in = 0 (NIR = Rg then).
  const RadiationPartition r = partition_radiation(0.5, 300.0, 0.0, 101.3);
  EXPECT_EQ(r.par_beam, 0.0);
  EXPECT_EQ(r.par_diffuse, 0.0);
  EXPECT_REL_NEAR(r.nir_beam + r.nir_diffuse, 300.0, 1e-12);
}

}  // namespace
