#!/usr/bin/env bash
# `sendsync adapters test FILE`: the conformance kit through the worker passes for the bundled
# jsonl-folder adapter with a working fixture, and fails (exit 1, naming the test) when the adapter
# does not behave as the kit demands (here: a "bad" configuration it accepts).
# Usage: adapters_test_command.sh SENDSYNC PLUGIN_DIR
set -euo pipefail
sendsync=$1 plugins=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/sendsync-adapters-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
unset SENDSYNC_PLUGINS SENDSYNC_CONFIG

mkdir -p "$work/fixture"
for i in $(seq 1 30); do
  printf '{"kind":"pupil","id":"P%d","upn":"B801200005001","legal_surname":"S","legal_forename":"F","dob":"2014-03-02","sex":"F"}\n' "$i"
done >"$work/fixture/pupil.jsonl"
echo "{\"folder\": \"$work/fixture\"}" >"$work/good.json"
echo '{"folder": "/nonexistent/sendsync-adapters-test"}' >"$work/bad.json"
echo '{"kind":"sen","pupil":{"upn":"B801200005001"},"provision":"K","needs":[{"type":"SLCN","rank":1}]}' \
  >"$work/sen.json"

"$sendsync" adapters test "$plugins/jsonl-folder.so" --config "$work/good.json" \
  --bad-config "$work/bad.json" --bad-config-mentions folder \
  --write-record "$work/sen.json" --verbose >"$work/ok.txt" 2>&1 || { cat "$work/ok.txt"; fail "the kit failed on jsonl-folder"; }
cat "$work/ok.txt"
grep -q "worker" "$work/ok.txt" || fail "the kit did not run through the worker"
grep -q "\[  PASSED  \] 6 tests" "$work/ok.txt" || fail "not all six kit tests ran and passed"
grep -q '"key"' "$work/fixture/out/sen.jsonl" || fail "the write test did not reach the adapter"

# A "bad" configuration the adapter accepts: the kit must fail, and say which test.
rc=0
"$sendsync" adapters test "$plugins/jsonl-folder.so" --config "$work/good.json" \
  --bad-config "$work/good.json" >"$work/bad.txt" 2>&1 || rc=$?
cat "$work/bad.txt"
[[ $rc -eq 1 ]] || fail "a failing kit test exited $rc, not 1"
grep -q "BadConfigIsRefusedWithClearError" "$work/bad.txt" || fail "the failing test is not named"

# A file that is not an adapter is refused before any test runs.
echo "not elf" >"$work/junk.so"
rc=0
"$sendsync" adapters test "$work/junk.so" --config "$work/good.json" >"$work/junk.txt" 2>&1 || rc=$?
[[ $rc -eq 1 ]] && grep -q "refused" "$work/junk.txt" || { cat "$work/junk.txt"; fail "junk.so not refused"; }
echo "adapters test: ok"
