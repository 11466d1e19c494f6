#!/usr/bin/env bash
# One command for every benchmark: builds accelmap_bench, extracts the corpus,
# generates the synthetic machines (10 .. 10,000 devices, cached), then runs
# bench/bench.py, which writes bench/out/report.md and bench/out/report.json.
#   bench/run.sh                       (ROUNDS=5 WHOLE_ROUNDS=11 BUILD_DIR=build)
#   SIZES='10 100 1000' LIVE_DEVICES=100 bench/run.sh   (a shorter run; QUERY_MAX=N queries only trees up to N devices)
# Not part of ctest: timings are too noisy and too long for CI.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD="${BUILD_DIR:-build}"
TREES="${ACCELMAP_BENCH_TREES:-/tmp/accelmap-bench-trees}"
CORPUS="${ACCELMAP_CORPUS_DIR:-$(cd .. && pwd)/shared/corpus}"
SIZES="${SIZES:-10 100 1000 10000}"
# RelWithDebInfo (the project's default): optimised, with symbols for the profile.
cmake -S . -B "$BUILD" -DACCELMAP_BENCH=ON >/dev/null
cmake --build "$BUILD" -j"$(nproc)" --target accelmap_bench accelmap_query_bench accelmap_cli >/dev/null
mkdir -p "$TREES"
args=(--root live=/)
for tx in "$CORPUS"/sysfs/*.tar.xz; do
  name="$(basename "$tx" .tar.xz)"
  [ -d "$TREES/$name" ] || { mkdir -p "$TREES/$name"; tar -xJf "$tx" -C "$TREES/$name"; }
  dir="$TREES/$name"; [ -d "$dir/$name" ] && dir="$dir/$name"  # archives hold one top folder
  args+=(--root "$name=$dir")
done
# A generated tree is kept while the generator that wrote it is unchanged
# (its stamp is the hash of the generator's sources).
GEN_STAMP="$(cat bench/gen/gen_machine.py tests/trees/make_trees.py tests/trees/make_engine_trees.py | sha1sum | cut -c1-16)"
gen_tree() {  # gen_tree N: $TREES/gen-N, written by this generator
  local out="$TREES/gen-$1"
  [ "$(cat "$out/.done" 2>/dev/null)" = "$GEN_STAMP" ] && return 0
  rm -rf "$out"
  python3 bench/gen/gen_machine.py --devices "$1" "$out" && echo "$GEN_STAMP" > "$out/.done"
}
for n in $SIZES; do
  gen_tree "$n"
  args+=(--gen "$n=$TREES/gen-$n")
done
# Queries run on every size by default. At 10,000 devices (8,750 accelerators) the
# PathIndex builds in ~0.1 s; share.all answers 3.1M pairs (~6 s, ~1.1 GB) and
# chain.all 1M sequences: the size of the answer, not of the index. QUERY_MAX=N
# leaves bigger trees out of the query table.
# Live updates are measured on a copy of the 100-device machine (copied by bench.py).
LIVE_N="${LIVE_DEVICES:-100}"
gen_tree "$LIVE_N"
exec python3 bench/bench.py --bench "$BUILD/bench/accelmap_bench" --accelmap "$BUILD/accelmap" \
  --query-bench "$BUILD/bench/accelmap_query_bench" --query-max "${QUERY_MAX:-10000}" --live-tree "$TREES/gen-$LIVE_N" \
  --rounds "${ROUNDS:-5}" --whole-rounds "${WHOLE_ROUNDS:-11}" --out bench/out \
  --command "bench/run.sh (ROUNDS=${ROUNDS:-5} WHOLE_ROUNDS=${WHOLE_ROUNDS:-11} SIZES='$SIZES')" "${args[@]}"
