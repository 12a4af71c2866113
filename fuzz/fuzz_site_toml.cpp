// Fuzzing target: the site TOML reader ([site], [canopy], [soil], [solver], [dispersion],
// [forcing], [parameters]). A 51 x 1 dispersion matrix named Dij_1L.csv lies beside the input, so
// that seeds naming it (fuzz/corpus/fuzz_site_toml) get past the matrix to the checks after it.
#include <fstream>

#include "canveg/errors.hpp"
#include "canveg/model_io.hpp"
#include "fuzz_input_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  static const bool matrix_written = [] {
    std::ofstream dij(canveg::fuzz::scratch_folder() / "Dij_1L.csv");
    for (int level = 0; level < 51; ++level) dij << 0.01 * (level + 1) << '\n';
    return static_cast<bool>(dij);
  }();
  if (!matrix_written) return 0;
  const std::string path = canveg::fuzz::write_input(data, size, "site.toml");
  try {
    (void)canveg::read_site_toml(path);
  } catch (const canveg::InputError&) {
  }
  return 0;
}
