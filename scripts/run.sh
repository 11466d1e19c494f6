#!/usr/bin/env bash
# The main job: install what is missing, build, and show this machine and the
# bundled demo machine (demo/root, hand-written from the kernel ABI files).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh build >&2
echo "=== accelmap show  (this machine) ==="
./build/accelmap show
echo
echo "=== accelmap show --root demo/root  (bundled demo machine) ==="
./build/accelmap show --root demo/root
