#!/usr/bin/env bash
# Configures and builds canveg in Release mode into ./build (extra CMake options are passed on).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
cmake --build build -j"$(nproc)"
