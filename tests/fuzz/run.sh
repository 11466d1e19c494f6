#!/usr/bin/env bash
# Builds the libFuzzer targets with clang-14 (ASan + UBSan) and runs each for
# a bounded time. Any crash is copied to tests/fuzz/regressions/<target>/ (to
# be committed: fuzz_regressions_test.cc replays it in every build) and fails.
#   tests/fuzz/run.sh [SECONDS_PER_TARGET]   (default $ACCELMAP_FUZZ_SECONDS or 20)
set -euo pipefail
cd "$(dirname "$0")/../.."
SECS="${1:-${ACCELMAP_FUZZ_SECONDS:-20}}"
BUILD=build-fuzz
CXX_BIN="$(command -v clang++-14 || command -v clang++)"
if [ ! -f "$BUILD/CMakeCache.txt" ]; then
  cmake -S . -B "$BUILD" -DCMAKE_CXX_COMPILER="$CXX_BIN" -DACCELMAP_FUZZ=ON -DACCELMAP_BUILD_TESTS=OFF \
        -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
targets=(id_list hex_mask key_values link_speed integers idxd_op_cap kfd_properties pci_uevent proc_crypto facts_json catalog columns)
cmake --build "$BUILD" -j"$(nproc)" --target "${targets[@]/#/fuzz_}" >/dev/null
failed=0
summary="$BUILD/fuzz-summary.txt"
: > "$summary"
for t in "${targets[@]}"; do
  work="$BUILD/corpus/$t"; art="$BUILD/artifacts/$t"
  mkdir -p "$work" "$art"
  log="$BUILD/fuzz-$t.log"
  # -timeout: one input taking 10 s is a hang; -rss_limit_mb: bounded memory.
  if ! "$BUILD/tests/fuzz/fuzz_$t" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$art/" "$work" "tests/fuzz/seeds/$t" >"$log" 2>&1; then
    failed=1
    mkdir -p "tests/fuzz/regressions/$t"
    cp "$art"/* "tests/fuzz/regressions/$t/" 2>/dev/null || true
    echo "fuzz: $t FOUND A CRASH (copied to tests/fuzz/regressions/$t/):" >&2
    grep -m5 -E "ERROR|runtime error|SUMMARY" "$log" >&2 || tail -5 "$log" >&2
  fi
  execs="$(grep -m1 'stat::number_of_executed_units' "$log" | awk '{print $2}')"
  printf 'fuzz: %-15s %10s executions in %s s\n' "$t" "${execs:-?}" "$SECS" | tee -a "$summary"
done
exit "$failed"
