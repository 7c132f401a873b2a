#!/bin/sh
# The admin server under a slowloris attack: starts `sendsync serve` on a fresh store, then runs
# sendsync-bench-slowloris-client, which holds --connections trickling connections (from several
# loopback addresses, under the per-address cap) for --duration seconds while timing GET /healthz
# and an authenticated GET /api/v1/whoami. Target: p99 <= 100 ms for both, with no failures.
#
#   bench/api/slowloris_bench.sh [--bin DIR] [--work DIR] [--connections N] [--sources N]
#                                [--duration S] [--trickle-ms MS] [--http-threads N]
set -eu

bin=build/bin
work=bench-out/slowloris
connections=2000
sources=40
duration=60
trickle_ms=5000
http_threads=64
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) bin=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --sources) sources=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --trickle-ms) trickle_ms=$2; shift 2 ;;
    --http-threads) http_threads=$2; shift 2 ;;
    *) echo "usage: $0 [--bin DIR] [--work DIR] [--connections N] [--sources N] [--duration S] [--trickle-ms MS] [--http-threads N]" >&2; exit 2 ;;
  esac
done
bin=$(cd "$bin" && pwd)
rm -rf "$work"
mkdir -p "$work"
work=$(cd "$work" && pwd)
sendsync="$bin/sendsync"
export SENDSYNC_DB="sqlite:$work/sendsync.db"
export SENDSYNC_PLUGINS="$bin/plugins"
# The client needs a descriptor per connection, the server one per connection too.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

"$sendsync" init >/dev/null
token=$("$sendsync" token create --role auditor --name slowloris-bench 2>/dev/null) ||
  { echo "slowloris_bench: cannot make a token" >&2; exit 1; }
# The defaults (header_timeout_seconds 10, max_connections 4096, max_connections_per_address 64).
printf '{"listen": "127.0.0.1:0", "log_level": "warn", "http_threads": %s}\n' "$http_threads" \
  > "$work/serve.json"
"$sendsync" serve --config "$work/serve.json" --db "$SENDSYNC_DB" --no-scheduler \
  --port-file "$work/port" > "$work/serve.out" 2> "$work/serve.err" &
serve_pid=$!
trap 'kill -TERM $serve_pid 2>/dev/null; wait $serve_pid 2>/dev/null' EXIT INT TERM
n=0
while [ ! -s "$work/port" ]; do
  n=$((n + 1))
  [ $n -lt 100 ] || { echo "serve did not start:" >&2; cat "$work/serve.err" >&2; exit 1; }
  sleep 0.1
done
echo "slowloris: $connections connections from $sources addresses for ${duration}s against $(cat "$work/port")"
"$bin/sendsync-bench-slowloris-client" --port "$(cat "$work/port")" --token "$token" \
  --connections "$connections" --sources "$sources" --duration "$duration" --trickle-ms "$trickle_ms"
