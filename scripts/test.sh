#!/usr/bin/env bash
# Install what is missing, build, and run every test (unit, corpus, hwloc oracle,
# CLI), then the robustness suite (docs/RELIABILITY.md):
#   1. damaged trees, ACCELMAP_DAMAGE_VARIANTS per tree (default 110, ~3000 in all);
#   2. the whole suite again under AddressSanitizer + UBSan (build-asan);
#   3. the concurrency label under ThreadSanitizer (build-tsan);
#   4. libFuzzer, each target ACCELMAP_FUZZ_SECONDS (default 12) — only when
#      CI=true or ACCELMAP_FUZZ_SECONDS is set.
# ACCELMAP_QUICK=1 skips 2-4. The recorded corpus is read from ../shared/corpus
# unless ACCELMAP_CORPUS_DIR says otherwise; a missing corpus fails the suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh build
export ACCELMAP_CORPUS_DIR="${ACCELMAP_CORPUS_DIR:-$(cd .. && pwd)/shared/corpus}"
if [ ! -d "$ACCELMAP_CORPUS_DIR/sysfs" ]; then
  echo "test: corpus not found at $ACCELMAP_CORPUS_DIR (set ACCELMAP_CORPUS_DIR)" >&2
  exit 1
fi
jobs="$(nproc)"
stamp() { echo "test: $* ($(date +%T))"; }

stamp "main suite"
(cd build && ctest --output-on-failure -j"$jobs" --timeout 600 -LE damage)

stamp "damaged trees"
ACCELMAP_DAMAGE_VARIANTS="${ACCELMAP_DAMAGE_VARIANTS:-110}" ACCELMAP_DAMAGE_REPORT=build/damage-report.txt \
  build/tests/accelmap_damage_tests --gtest_brief=1
cat build/damage-report.txt

if [ "${ACCELMAP_QUICK:-0}" = 1 ]; then exit 0; fi

stamp "AddressSanitizer + UBSan build"
if [ ! -f build-asan/CMakeCache.txt ]; then
  # -O1 -g1: sanitizer builds of the whole suite dominate CI time; line
  # tables are enough for reports.
  cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=None -DCMAKE_CXX_FLAGS="-O1 -g1" -DACCELMAP_SANITIZE=ON >/dev/null
fi
cmake --build build-asan -j"$jobs" >/dev/null
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:detect_stack_use_after_return=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
(cd build-asan && ctest --output-on-failure -j"$jobs" --timeout 900)

stamp "ThreadSanitizer build (label concurrency)"
if [ ! -f build-tsan/CMakeCache.txt ]; then
  cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=None -DCMAKE_CXX_FLAGS="-O1 -g1" -DACCELMAP_TSAN=ON >/dev/null
fi
cmake --build build-tsan -j"$jobs" --target accelmap_concurrency_tests >/dev/null
(cd build-tsan && TSAN_OPTIONS="halt_on_error=1" ctest --output-on-failure -L concurrency --timeout 600)

if [ "${CI:-}" = true ] || [ -n "${ACCELMAP_FUZZ_SECONDS:-}" ]; then
  stamp "fuzzing"
  tests/fuzz/run.sh "${ACCELMAP_FUZZ_SECONDS:-12}"
fi
stamp "done"
