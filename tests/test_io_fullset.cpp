// A flux-tower file in AmeriFlux/FLUXNET FULLSET form, built from a shared JAX-CanVeg forcing
// file, read directly: the same forcing and the same fluxes as the JAX-CanVeg CSV, within round-off
// of the unit conversions (VPD in hPa, SWC in %, compact time stamps, LAI from a file of its own).
#include <cmath>
#include <cstdio>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "canveg/canveg.hpp"
#include "test_support.hpp"

namespace {

using namespace canveg;
using test::expect_relative;

constexpr std::size_t kRows = 192;

// es(ta) in kPa (docs/model.md 2.1), to write VPD as a FLUXNET file would.
double saturation_kpa(double ta) {
  const double tk = ta + 273.15;
  return 0.1 * std::exp(54.8781919 - 6790.4985 / tk - 5.02808 * std::log(tk));
}

std::string g17(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

// "2020-07-01 00:30:00" -> "202007010030".
std::string compact(const std::string& iso) {
  return iso.substr(0, 4) + iso.substr(5, 2) + iso.substr(8, 2) + iso.substr(11, 2) + iso.substr(14, 2);
}

struct FullsetFiles {
  std::string forcing, lai;
};

// The FULLSET columns canveg reads, with the look-alikes FULLSET files carry (QC flags, potential
// radiation, ERA-interim series, a second soil depth) placed before the real columns.
FullsetFiles write_fullset(const ForcingRecord& f, test::TempDir& dir) {
  std::ostringstream csv, lai;
  csv << "TIMESTAMP_START,TIMESTAMP_END,TA_ERA,TA_F_QC,TA_F,SW_IN_POT,SW_IN_F,SW_IN_F_QC,VPD_F_QC,VPD_F,PA_F,TAU,WS_F,"
         "USTAR,CO2_F_MDS,TS_F_MDS_1,TS_F_MDS_4,SWC_F_MDS_1,SWC_F_MDS_1_QC,LE_F_MDS,NEE_VUT_REF\n";
  lai << "TIMESTAMP_END,LAI\n";
  for (std::size_t r = 0; r < f.size(); ++r) {
    const std::string end = compact(f.timestamp[r]);
    const std::string start = r == 0 ? "202006302330" : compact(f.timestamp[r - 1]);
    const double vpd_hpa = 10.0 * (saturation_kpa(f.ta[r]) - f.eair[r]);
    csv << start << ',' << end << ",-9999,0," << g17(f.ta[r]) << ",1000," << g17(f.rg[r]) << ",0,0," << g17(vpd_hpa) << ','
        << g17(f.pa[r]) << ",0.2," << g17(f.ws[r]) << ',' << g17(f.ustar[r]) << ',' << g17(f.co2[r]) << ",-9999,"
        << g17(f.ts[r]) << ',' << g17(100.0 * f.swc[r]) << ",0,100,5\n";
    lai << end << ',' << g17(f.lai[r]) << '\n';
  }
  return {dir.write("US-Bi1_FULLSET_HH.csv", csv.str()), dir.write("US-Bi1_LAI.csv", lai.str())};
}

}  // namespace

TEST(Fullset, ReadDirectlyWithTheSameForcingAndFluxes) {
  test::TempDir dir;
  const ForcingRecord jax = read_forcing_csv(test::fluxtower("US-Bi1", "US-Bi1-forcings-test.csv")).slice(0, kRows);
  const FullsetFiles files = write_fullset(jax, dir);

  ForcingReadOptions options;
  options.columns = {{"ts", "TS_F_MDS_4"}};  // FULLSET files hold several depths: the site chooses
  options.series_files = {{"lai", files.lai}};
  options.constants = {{"veg_ht", 0.8}};
  const ForcingRecord fullset = read_forcing_csv(files.forcing, options);

  EXPECT_EQ(fullset.timestamp, jax.timestamp);
  for (std::size_t i = 0; i < kForcingCount; ++i)
    expect_relative(forcing_series(fullset, i), forcing_series(jax, i), 1e-12, std::string(kForcingFields[i].name).c_str());
  const std::vector<std::string> sources = describe_forcing_sources(fullset);
  const auto has = [&](const std::string& line) { return std::find(sources.begin(), sources.end(), line) != sources.end(); };
  EXPECT_TRUE(has("year, doy, hour <- TIMESTAMP_END")) << sources[0];
  EXPECT_TRUE(has("ta <- TA_F [degC]"));
  EXPECT_TRUE(has("rg <- SW_IN_F [W m-2]"));
  EXPECT_TRUE(has("eair <- es(TA_F) - VPD_F [hPa]"));
  EXPECT_TRUE(has("swc <- SWC_F_MDS_1 [%] (converted from % to m3 m-3)"));
  EXPECT_TRUE(has("ts <- TS_F_MDS_4 [degC]"));

  // The fluxes of a trained model on both records agree to round-off of the conversions.
  const LoadedModel model = read_model_json(test::trained("US-Bi1_PB-1L-0.5.json"));
  const RunResult a = run_model(model.model, jax);
  const RunResult b = run_model(model.model, fullset);
  expect_relative(b.outputs.LE, a.outputs.LE, 1e-9, "LE");
  expect_relative(b.outputs.H, a.outputs.H, 1e-9, "H");
  expect_relative(b.outputs.NEE, a.outputs.NEE, 1e-9, "NEE");
  expect_relative(b.outputs.Rnet, a.outputs.Rnet, 1e-9, "Rnet");

  // Written back as FULLSET (`canveg convert --to fullset`), the soil temperature keeps the depth
  // index it was read from, and the file reads back to the same record.
  const std::string converted = dir.file("converted.csv");
  write_forcing_fullset(fullset, converted, {files.forcing});
  const std::string header = test::read_text(converted).substr(0, test::read_text(converted).find('\n'));
  EXPECT_NE(header.find(",TS_F_MDS_4,SWC_F_MDS_1,"), std::string::npos) << header;
  const ForcingRecord back = read_forcing_csv(converted);
  for (std::size_t i = 0; i < kForcingCount; ++i)
    expect_relative(forcing_series(back, i), forcing_series(fullset, i), 1e-12, std::string(kForcingFields[i].name).c_str());

  // The FULLSET flux columns are found by their FLUXNET names, on the same time axis.
  const ObservedFluxes observed = read_flux_csv(files.forcing);
  EXPECT_EQ(observed.le_column, "LE_F_MDS");
  EXPECT_EQ(observed.nee_column, "NEE_VUT_REF");
  check_alignment(observed, fullset.timestamp, files.forcing);
}

TEST(Fullset, DailyLaiFileAndItsErrors) {
  test::TempDir dir;
  const ForcingRecord jax = read_forcing_csv(test::fluxtower("US-Bi1", "US-Bi1-forcings-test.csv")).slice(0, kRows);
  const FullsetFiles files = write_fullset(jax, dir);
  // Four days of half-hours ending 2020-07-01 00:00 .. 2020-07-04 23:30: the first belongs to
  // 30 June, the day its half-hour lies in.
  const std::string daily = dir.write("lai-daily.csv", "Year,DoY,LAI\n2020,182,1.0\n2020,183,2.0\n2020,184,3.0\n"
                                                       "2020,185,4.0\n2020,186,5.0\n");
  ForcingReadOptions options;
  options.columns = {{"ts", "TS_F_MDS_4"}};
  options.series_files = {{"lai", daily}};
  options.constants = {{"veg_ht", 0.8}};
  const ForcingRecord f = read_forcing_csv(files.forcing, options);
  EXPECT_EQ(f.lai[0], 1.0);   // ends 2020-07-01 00:00
  EXPECT_EQ(f.lai[1], 2.0);   // ends 00:30 on day 183
  EXPECT_EQ(f.lai[48], 2.0);  // ends 2020-07-02 00:00
  EXPECT_EQ(f.lai[49], 3.0);

  // A day missing from the file, and LAI out of range, are refused naming the file.
  options.series_files = {{"lai", dir.write("short.csv", "Year,DoY,LAI\n2020,182,1.0\n2020,183,2.0\n")}};
  try {
    read_forcing_csv(files.forcing, options);
    FAIL() << "a missing day must be refused";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("short.csv"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("no value for the day of the half-hour ending 2020-07-02 00:30:00"),
              std::string::npos)
        << e.what();
  }
  options.series_files = {{"lai", dir.write("bad.csv", "Year,DoY,LAI\n2020,182,1.0\n2020,183,-2.0\n")}};
  EXPECT_THROW(read_forcing_csv(files.forcing, options), InputError);
  // Without the ts choice, the two depths are ambiguous.
  options.columns.clear();
  options.series_files = {{"lai", daily}};
  EXPECT_THROW(read_forcing_csv(files.forcing, options), InputError);
}
