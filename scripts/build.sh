#!/usr/bin/env bash
# Configures and builds canveg in Release mode into ./build.
#   scripts/build.sh                    everything: the canveg command, tests and benchmarks
#   scripts/build.sh --target canveg    the command only (what the example needs)
# Other arguments are passed to CMake's configure step (e.g. -DCMAKE_CXX_COMPILER_LAUNCHER=ccache).
set -euo pipefail
cd "$(dirname "$0")/.."
configure=() targets=()
while [ $# -gt 0 ]; do
  if [ "$1" = "--target" ] && [ $# -ge 2 ]; then
    targets+=(--target "$2")
    shift 2
  else
    configure+=("$1")
    shift
  fi
done
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release "${configure[@]}" >/dev/null
cmake --build build -j"$(nproc)" "${targets[@]}"
