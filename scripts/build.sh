#!/usr/bin/env bash
# Configures and builds one build tree. Usage: scripts/build.sh [release|asan] [cmake --build args]
#   release  build/       optimised, warnings as errors (the default)
#   asan     build-asan/  AddressSanitizer + UndefinedBehaviorSanitizer, for the tests
set -euo pipefail
cd "$(dirname "$0")/.."
kind="${1:-release}"
shift || true
case "$kind" in
  release) dir=build; flags=(-DCMAKE_BUILD_TYPE=Release) ;;
  asan) dir=build-asan; flags=(-DCMAKE_BUILD_TYPE=Debug -DSENDSYNC_SANITIZE=ON -DCMAKE_CXX_FLAGS_DEBUG=-O1) ;;
  *) echo "usage: scripts/build.sh [release|asan] [cmake --build args]" >&2; exit 2 ;;
esac
export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/sendsync-ccache}"
# Paths relative to the checkout, so a second clone of the same code reuses the cache.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}"
if [[ ! -f "$dir/CMakeCache.txt" ]]; then
  cmake -S . -B "$dir" "${flags[@]}" >/dev/null
fi
cmake --build "$dir" -j"$(nproc)" "$@"
