// Reading the JAX-CanVeg reference fixtures (tests/fixtures/jax-canveg/*.json.gz, provenance in
// tests/fixtures/jax-canveg/README.md).
#pragma once

#include <zlib.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

namespace canveg::testing {

inline nlohmann::json read_gzip_json(const std::string& path) {
  gzFile file = gzopen(path.c_str(), "rb");
  if (!file) throw std::runtime_error("cannot open " + path);
  std::string text;
  char buffer[1 << 16];
  int n;
  while ((n = gzread(file, buffer, sizeof buffer)) > 0) text.append(buffer, static_cast<std::size_t>(n));
  gzclose(file);
  return nlohmann::json::parse(text);
}

inline std::vector<double> as_vector(const nlohmann::json& j) {
  if (j.is_array()) return j.get<std::vector<double>>();
  return {j.get<double>()};
}

// The comparison rule of the side-by-side tests: relative 1e-8 or absolute 1e-6 (in the
// variable's unit), whichever is larger.
inline bool within_oracle_tolerance(double ours, double reference) {
  const double tol = std::max(1e-8 * std::abs(reference), 1e-6);
  return std::abs(ours - reference) <= tol;
}

// Model names of the fixture files (*.json.gz) in a folder, sorted.
inline std::vector<std::string> fixture_models(const std::string& folder) {
  std::vector<std::string> names;
  const std::string suffix = ".json.gz";
  for (const auto& entry : std::filesystem::directory_iterator(folder)) {
    const std::string file = entry.path().filename().string();
    if (file.size() > suffix.size() && file.compare(file.size() - suffix.size(), suffix.size(), suffix) == 0)
      names.push_back(file.substr(0, file.size() - suffix.size()));
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace canveg::testing
