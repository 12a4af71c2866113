// Fuzzing target: the dispersion-matrix CSV reader, for the two grids of the published models (51 x
// 1 and 100 x 50) and a small grid taken from the input's first byte.
#include "canveg/errors.hpp"
#include "canveg/model_io.hpp"
#include "fuzz_input_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const canveg::fuzz::ScratchFolder folder;
  const std::string path = folder.write("Dij.csv", data, size);
  const int small = size > 0 ? data[0] % 8 : 0;
  const int grids[][2] = {{100, 50}, {51, 1}, {small + 1, small}};
  for (const auto& grid : grids) {
    try {
      (void)canveg::read_dij_csv(path, grid[0], grid[1]);
    } catch (const canveg::InputError&) {
    }
  }
  return 0;
}
