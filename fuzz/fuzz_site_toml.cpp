// Fuzzing target: the site TOML reader ([site], [canopy], [soil], [solver], [dispersion],
// [forcing], [parameters]). A 51 x 1 dispersion matrix named Dij_1L.csv lies beside the input, so
// that seeds naming it (fuzz/corpus/fuzz_site_toml) get past the matrix to the checks after it.
#include "canveg/errors.hpp"
#include "canveg/model_io.hpp"
#include "fuzz_input_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const canveg::fuzz::ScratchFolder folder;
  std::string matrix;
  for (int level = 0; level < 51; ++level) matrix += std::to_string(0.01 * (level + 1)) + "\n";
  folder.write("Dij_1L.csv", matrix);
  const std::string path = folder.write("site.toml", data, size);
  try {
    (void)canveg::read_site_toml(path);
  } catch (const canveg::InputError&) {
  }
  return 0;
}
