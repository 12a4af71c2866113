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

// A folder of this process's own, removed at exit.
inline const std::filesystem::path& scratch_folder() {
  static const std::filesystem::path folder = [] {
    std::string pattern = (std::filesystem::temp_directory_path() / "canveg-fuzz-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) std::abort();
    std::atexit([] {
      std::error_code ignored;
      std::filesystem::remove_all(scratch_folder(), ignored);
    });
    return std::filesystem::path(pattern);
  }();
  return folder;
}

// Writes the input to `name` in the scratch folder and returns its path.
inline std::string write_input(const uint8_t* data, std::size_t size, const char* name) {
  const std::string path = (scratch_folder() / name).string();
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) std::abort();
  if (size > 0 && std::fwrite(data, 1, size, f) != size) std::abort();
  std::fclose(f);
  return path;
}

}  // namespace canveg::fuzz
