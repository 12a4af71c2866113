// Fuzzing target: the observed-flux CSV reader and the gap interpolation applied to its series.
#include "canveg/errors.hpp"
#include "canveg/observations.hpp"
#include "fuzz_input_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const canveg::fuzz::ScratchFolder folder;
  const std::string path = folder.write("fluxes.csv", data, size);
  try {
    canveg::ObservedFluxes observed = canveg::read_flux_csv(path);
    canveg::interpolate_gaps(observed.LE);
    canveg::interpolate_gaps(observed.NEE);
  } catch (const canveg::InputError&) {
  }
  return 0;
}
