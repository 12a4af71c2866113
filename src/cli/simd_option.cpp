#include "cli/simd_option.hpp"

#include <CLI/CLI.hpp>

namespace canveg::cli {

void add_simd_option(CLI::App& command, std::string& value) {
  command
      .add_option("--simd", value,
                  "Solve neighbouring half-hours together as the lanes of SIMD vectors: auto (the widest instruction "
                  "set of this machine), sse2, avx2+fma, avx512, or off (one half-hour at a time). Results agree with "
                  "off to round-off, not bit for bit")
      ->check(CLI::IsMember({"off", "auto", "sse2", "avx2+fma", "avx512"}))
      ->capture_default_str();
}

void add_lane_tape_option(CLI::App& command, bool& value) {
  command
      .add_flag("--lane-tape,!--no-lane-tape", value,
                "exact (unrolled) gradient: tape the rows of an iteration together as the lanes of SIMD vectors, in "
                "the instruction set of --simd (default; --no-lane-tape: one row per tape, which agrees to round-off)")
      ->capture_default_str();
}

}  // namespace canveg::cli
