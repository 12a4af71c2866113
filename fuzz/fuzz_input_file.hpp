// Shared by the fuzzing targets: the readers under test take a path, so each input is written to a
// file in a private temporary folder and read from there, through the same entry point a user's
// file goes through.
//
// The contract checked is the project's rule for bad input: a reader either succeeds or throws
// canveg::InputError (a message naming file, line and field). Any other exception escapes the
// target and libFuzzer reports it as a crash; memory errors and undefined behaviour are caught by
// the sanitizers the targets are built with (scripts/sanitize.sh).
#pragma once

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

namespace canveg::fuzz {

// A private temporary folder for one input, removed when the input is done (libFuzzer may end the
// process without running exit handlers, so nothing is left for the end).
class ScratchFolder {
 public:
  ScratchFolder() {
    std::string pattern = (std::filesystem::temp_directory_path() / "canveg-fuzz-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) std::abort();
    path_ = pattern;
  }
  ~ScratchFolder() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchFolder(const ScratchFolder&) = delete;
  ScratchFolder& operator=(const ScratchFolder&) = delete;

  // Writes `size` bytes to `name` in the folder and returns its path.
  std::string write(const char* name, const uint8_t* data, std::size_t size) const {
    const std::string path = (path_ / name).string();
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) std::abort();
    if (size > 0 && std::fwrite(data, 1, size, f) != size) std::abort();
    std::fclose(f);
    return path;
  }
  std::string write(const char* name, const std::string& text) const {
    return write(name, reinterpret_cast<const uint8_t*>(text.data()), text.size());
  }

 private:
  std::filesystem::path path_;
};

}  // namespace canveg::fuzz
