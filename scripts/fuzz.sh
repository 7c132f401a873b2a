#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz) in build-fuzz/ with clang, ASan and UBSan, and runs
# each for a bounded time on its seed corpus (tests/fuzz/corpus/<target>/) plus what earlier runs
# found (build-fuzz/corpus/<target>/). Fails on any crash, leak, timeout, out-of-memory or sanitizer
# report; the input that caused it is kept in build-fuzz/findings/<target>/ (docs/fuzzing.md).
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET ...]   (default 60; every target)
#   targets: ctf csv records frames http
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-60}"
shift || true
targets=("$@")
[[ ${#targets[@]} -eq 0 ]] && targets=(ctf csv records frames http)

export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/sendsync-ccache}"
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}"
dir=build-fuzz
if [[ ! -f "$dir/CMakeCache.txt" ]]; then
  CC=clang CXX=clang++ cmake -S . -B "$dir" -DSENDSYNC_FUZZ=ON -DSENDSYNC_TESTS=OFF \
    -DSENDSYNC_WERROR=OFF -DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS_DEBUG=-O1 -g" \
    "-DCMAKE_C_FLAGS_DEBUG=-O1 -g" >/dev/null
fi
build_args=()
for t in "${targets[@]}"; do build_args+=(--target "fuzz_$t"); done
cmake --build "$dir" -j"$(nproc)" "${build_args[@]}"

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
failed=()
for t in "${targets[@]}"; do
  corpus="$dir/corpus/$t" findings="$dir/findings/$t"
  mkdir -p "$corpus" "$findings"
  log="$dir/fuzz-$t.log"
  echo "== fuzz $t for ${secs}s"
  # -timeout: one input taking longer is a finding (hostile files must be refused quickly).
  if TMPDIR="$tmp" "$dir/fuzz/fuzz_$t" -max_total_time="$secs" -timeout=10 \
       -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
       -artifact_prefix="$findings/" "$corpus" "tests/fuzz/corpus/$t" >"$log" 2>&1; then
    grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb" "$log" | tr '\n' ' ' || true
    echo
  else
    failed+=("$t")
    echo "fuzz: $t FAILED; the input is in $findings/, the report in $log:"
    grep -E -A25 "^==[0-9]+==ERROR|runtime error|SUMMARY|Test unit written" "$log" | head -60 || tail -40 "$log"
  fi
done
if [[ ${#failed[@]} -gt 0 ]]; then
  echo "fuzz: findings in: ${failed[*]}"
  exit 1
fi
echo "fuzz: no findings in ${targets[*]}"
