#!/usr/bin/env bash
# Dumps `accelmap facts --root X` for every corpus tree, every tree under
# tests/trees, demo/root and generated trees into OUT_DIR, so two builds can be
# compared byte for byte (discovery speed work must not change what is emitted).
#   bench/facts_identical.sh ACCELMAP_BIN OUT_DIR          (dump)
#   bench/facts_identical.sh --compare DIR_A DIR_B         (diff, exit 1 on change)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--compare" ]; then
  diff -r "$2" "$3" >/dev/null && { echo "facts identical: $(ls "$2" | wc -l) trees"; exit 0; }
  diff -rq "$2" "$3"; exit 1
fi
BIN="$1"; OUT="$2"
CORPUS="${ACCELMAP_CORPUS_DIR:-$(cd .. && pwd)/shared/corpus}"
EXTRACT="${ACCELMAP_BENCH_TREES:-/tmp/accelmap-bench-trees}"
mkdir -p "$OUT" "$EXTRACT"
roots=()
for tx in "$CORPUS"/sysfs/*.tar.xz; do
  name="$(basename "$tx" .tar.xz)"
  [ -d "$EXTRACT/$name" ] || { mkdir -p "$EXTRACT/$name"; tar -xJf "$tx" -C "$EXTRACT/$name"; }
  dir="$EXTRACT/$name"; [ -d "$dir/$name" ] && dir="$dir/$name"  # archives hold one top folder
  roots+=("corpus-$name=$dir")
done
for d in tests/trees/*/; do roots+=("trees-$(basename "$d")=$PWD/$d"); done
roots+=("demo=$PWD/demo/root")
[ -d "$EXTRACT/gen-100" ] || python3 bench/gen/gen_machine.py --devices 100 "$EXTRACT/gen-100" 2>/dev/null
roots+=("gen-100=$EXTRACT/gen-100")
for r in "${roots[@]}"; do
  name="${r%%=*}"; dir="${r#*=}"
  "$BIN" facts --root "$dir" --pci-ids none -o "$OUT/$name.json" || echo "exit $? for $name" >"$OUT/$name.rc"
done
echo "dumped ${#roots[@]} trees to $OUT"
