// Fuzzing target: the forcing CSV reader (column aliases, units, time axis, gaps), with default
// options and with a linear gap fill, the two paths a forcing file takes.
#include "canveg/errors.hpp"
#include "canveg/forcing.hpp"
#include "fuzz_input_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const canveg::fuzz::ScratchFolder folder;
  const std::string path = folder.write("forcing.csv", data, size);
  canveg::ForcingReadOptions filled;
  filled.fill = canveg::ForcingGapFill::Linear;
  filled.max_gap = 4;
  for (const canveg::ForcingReadOptions& options : {canveg::ForcingReadOptions{}, filled}) {
    try {
      (void)canveg::read_forcing_csv(path, options);
    } catch (const canveg::InputError&) {
    }
  }
  return 0;
}
