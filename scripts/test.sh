#!/usr/bin/env bash
# Install what is missing, build, and run every test (unit, corpus, hwloc oracle,
# CLI). The recorded corpus is read from ../shared/corpus unless
# ACCELMAP_CORPUS_DIR says otherwise; a missing corpus fails the suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh build
export ACCELMAP_CORPUS_DIR="${ACCELMAP_CORPUS_DIR:-$(cd .. && pwd)/shared/corpus}"
if [ ! -d "$ACCELMAP_CORPUS_DIR/sysfs" ]; then
  echo "test: corpus not found at $ACCELMAP_CORPUS_DIR (set ACCELMAP_CORPUS_DIR)" >&2
  exit 1
fi
cd build
ctest --output-on-failure -j"$(nproc)" --timeout 600
