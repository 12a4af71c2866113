#!/usr/bin/env bash
# Builds the I/O, per-process and command-line tests (and the canveg command they call) with
# AddressSanitizer and UndefinedBehaviorSanitizer into ./build-sanitize, and runs them with every
# report fatal: a memory error or undefined behaviour fails the test.
#   scripts/sanitize.sh            the labels io, physics, cli
#   scripts/sanitize.sh -L run     any ctest selection instead
# Extra CMake configure options may be given in CANVEG_SANITIZE_CMAKE_ARGS.
set -euo pipefail
cd "$(dirname "$0")/.."
flags="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
# shellcheck disable=SC2086
cmake -S . -B build-sanitize -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g" \
  -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" \
  ${CANVEG_SANITIZE_CMAKE_ARGS:-} >/dev/null
targets=(canveg)
targets+=($(sed -n 's/^canveg_add_test(\(test_[a-z_]*\) .*LABELS \(io\|cli\)).*/\1/p' tests/CMakeLists.txt))
for f in tests/physics/test_*.cpp; do
  name=$(basename "$f" .cpp)
  targets+=("test_physics_${name#test_}")
done
cmake --build build-sanitize -j"$(nproc)" --target "${targets[@]}"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
if [ $# -gt 0 ]; then
  ctest --test-dir build-sanitize --output-on-failure -j"$(nproc)" "$@"
else
  ctest --test-dir build-sanitize --output-on-failure -j"$(nproc)" -L 'io|physics|cli'
fi
