#!/usr/bin/env bash
# Installs the Debian packages accelmap needs, only those missing, then builds.
# Idempotent: a second run installs nothing and rebuilds only what changed.
#   scripts/setup.sh [BUILD_DIR]        (default: build)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR="${1:-build}"

# Build: compiler, CMake, pkg-config. Library: JSON, PCI names, and archives for
# capture: libarchive-dev for the headers, libarchive13 for the library that
# capture loads at run time (dlopen; nothing links it).
# Tests: GoogleTest, hwloc (the oracle) and its headers, xz/tar for the corpus;
# clang-14 with its runtime (libFuzzer, sanitizers) for tests/fuzz/run.sh.
# Benchmarks (bench/run.sh): Google Benchmark, strace, perf/valgrind for profiles,
# heaptrack for the memory profile.
PACKAGES=(g++ cmake make pkg-config nlohmann-json3-dev libarchive-dev libarchive13 pci.ids
          libgtest-dev hwloc libhwloc-dev xz-utils tar python3 python3-jsonschema
          clang-14 libclang-rt-14-dev libbenchmark-dev strace valgrind heaptrack liburing-dev)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Configure every time (cheap when nothing changed): a configure that failed
# earlier (say, before a package was installed) leaves a CMakeCache.txt but no
# Makefile, and skipping the configure then would fail the build.
type_arg=()
if ! grep -qs '^CMAKE_BUILD_TYPE:STRING=.' "$BUILD_DIR/CMakeCache.txt"; then
  type_arg=(-DCMAKE_BUILD_TYPE=RelWithDebInfo)
fi
cmake -S . -B "$BUILD_DIR" "${type_arg[@]}" >/dev/null
cmake --build "$BUILD_DIR" -j"$(nproc)"
