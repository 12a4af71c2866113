// Inputs shared by the model benchmarks: trained models read once, and the row limit a quick look
// may set (CANVEG_SHARED_DATA is the shared data folder, set by bench/CMakeLists.txt).
#pragma once

#include <cstddef>
#include <cstdlib>
#include <map>
#include <string>

#include "canveg/model_io.hpp"

namespace canveg::bench {

inline const std::string kData = CANVEG_SHARED_DATA;

// A trained model of shared/data/jax-canveg-trained by name (e.g. "US-Bi1_PB-ML-0.5"), read on
// first use.
inline const Model<double>& trained_model(const std::string& name) {
  static std::map<std::string, Model<double>> cache;
  auto it = cache.find(name);
  if (it == cache.end())
    it = cache.emplace(name, read_model_json(kData + "/jax-canveg-trained/" + name + ".json").model).first;
  return it->second;
}

// CANVEG_BENCH_ROWS (environment): how many leading rows of a record of `size` rows to use; all
// of them when it is unset, zero or not smaller.
inline std::size_t bench_rows(std::size_t size) {
  const char* rows = std::getenv("CANVEG_BENCH_ROWS");
  const std::size_t n = rows ? std::strtoul(rows, nullptr, 10) : 0;
  return n > 0 && n < size ? n : size;
}

}  // namespace canveg::bench
