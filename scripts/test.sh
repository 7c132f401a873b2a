#!/usr/bin/env bash
# Sets up, builds and runs every test: first the optimised build (warnings as errors), then the
# AddressSanitizer/UndefinedBehaviorSanitizer build, then a bounded run of the fuzz targets.
# SENDSYNC_SKIP_ASAN=1 skips the second pass, SENDSYNC_SKIP_FUZZ=1 the third.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
jobs="$(nproc)"
SECONDS=0
echo "== release build"
scripts/build.sh release
echo "== release tests"
(cd build && ctest --output-on-failure -j"$jobs" --timeout 900)
if [[ "${SENDSYNC_SKIP_ASAN:-0}" != "1" ]]; then
  echo "== asan/ubsan build"
  scripts/build.sh asan
  echo "== asan/ubsan tests"
  # Leaks inside third-party libraries, each explained in scripts/lsan.supp.
  lsan_supp="$(pwd)/scripts/lsan.supp"
  (cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
     LSAN_OPTIONS="suppressions=$lsan_supp:print_suppressions=0" \
     ctest --output-on-failure -j"$jobs" --timeout 1800)
fi
if [[ "${SENDSYNC_SKIP_FUZZ:-0}" != "1" ]]; then
  # A bounded run of every fuzz target (clang build in build-fuzz/); any crash, leak or sanitizer
  # report fails the run. SENDSYNC_FUZZ_SECONDS sets the time per target (docs/fuzzing.md).
  echo "== fuzz targets"
  scripts/fuzz.sh "${SENDSYNC_FUZZ_SECONDS:-30}"
fi
echo "== all tests passed in ${SECONDS}s"
