// --simd auto|sse2|avx2+fma|avx512|off, shared by the commands that solve the forward model in
// double (run, train, sensitivity): half-hours as the lanes of SIMD vectors (docs/performance.md).
#pragma once

#include <string>

namespace CLI {
class App;
}

namespace canveg::cli {

// Adds --simd to a (sub)command; `value` (default "auto") must outlive the parse.
void add_simd_option(CLI::App& command, std::string& value);
// --lane-tape / --no-lane-tape (GradientOptions::lane_tape).
void add_lane_tape_option(CLI::App& command, bool& value);

// RunOptions::simd / GradientOptions::simd for an option value: "" for off.
inline std::string simd_setting(const std::string& value) { return value == "off" ? "" : value; }

}  // namespace canveg::cli
