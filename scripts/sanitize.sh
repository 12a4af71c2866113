#!/usr/bin/env bash
# The memory-safety checks: a clang build with AddressSanitizer and UndefinedBehaviorSanitizer in
# ./build-sanitize, every report fatal, plus the libFuzzer targets of fuzz/ built the same way.
#
#   scripts/sanitize.sh            CI: the I/O, per-process (physics) and unit tests that need only
#                                  the readers or the header-only physics, then each fuzzing target
#                                  for a few seconds from its seed corpus and over its regressions
#   scripts/sanitize.sh --all      the whole test suite (long runs excluded) under the sanitizers
#   scripts/sanitize.sh --fuzz-long   one million inputs per fuzzing target (label long; ~1 h)
#   scripts/sanitize.sh -- ARGS    build everything, then run `ctest ARGS`
# Extra CMake configure options may be given in CANVEG_SANITIZE_CMAKE_ARGS.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=ci
ctest_args=()
case "${1:-}" in
  "") ;;
  --all) mode=all ;;
  --fuzz-long) mode=fuzz-long ;;
  --) mode=custom; shift; ctest_args=("$@") ;;
  *) echo "usage: scripts/sanitize.sh [--all | --fuzz-long | -- CTEST-ARGS]" >&2; exit 2 ;;
esac

# -O1 with line tables: quick enough to compile on two cores, exact enough for the reports' stacks.
# -fsanitize=fuzzer-no-link adds the coverage the fuzzing targets steer by (inert in the tests).
flags="-fsanitize=address,undefined,fuzzer-no-link -fno-sanitize-recover=all -fno-omit-frame-pointer"
# shellcheck disable=SC2086
cmake -S . -B build-sanitize -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Debug \
  -DCMAKE_CXX_FLAGS_DEBUG="-O1 -gline-tables-only" -DCMAKE_CXX_FLAGS="$flags" \
  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" -DCANVEG_FUZZ=ON -DCANVEG_BUILD_BENCH=OFF \
  ${CANVEG_SANITIZE_CMAKE_ARGS:-} >/dev/null

fuzzers=(fuzz_forcing_csv fuzz_flux_csv fuzz_model_json fuzz_site_toml fuzz_dij_csv fuzz_cli_args)
if [ "$mode" = ci ]; then
  # The tests linking only canveg_io or canveg_headers (tests/CMakeLists.txt, LINK), and the fuzzers.
  targets=("${fuzzers[@]}")
  targets+=($(sed -n 's/^canveg_add_test(\(test_[a-z_]*\) .*LINK canveg_io).*/\1/p' tests/CMakeLists.txt))
  for f in tests/physics/test_*.cpp; do
    name=$(basename "$f" .cpp)
    targets+=("test_physics_${name#test_}")
  done
  cmake --build build-sanitize -j"$(nproc)" --target "${targets[@]}"
else
  cmake --build build-sanitize -j"$(nproc)"
fi

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
run_ctest() { ctest --test-dir build-sanitize --output-on-failure -j"$(nproc)" "$@"; }
case "$mode" in
  # Tests of executables not built here appear as <name>_NOT_BUILT placeholders: left out.
  ci) run_ctest -L 'io|physics|unit|fuzz' -LE long -E 'NOT_BUILT|^TestNamesAreUnique$' ;;
  all) run_ctest -LE long ;;
  fuzz-long) run_ctest -R '^fuzz_.*_long$' ;;
  custom) run_ctest "${ctest_args[@]}" ;;
esac
