// Fuzzing target: the model JSON reader (setup, parameters, networks, dispersion matrix).
#include "canveg/errors.hpp"
#include "canveg/model_io.hpp"
#include "fuzz_input_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const canveg::fuzz::ScratchFolder folder;
  const std::string path = folder.write("model.json", data, size);
  try {
    (void)canveg::read_model_json(path);
  } catch (const canveg::InputError&) {
  }
  return 0;
}
