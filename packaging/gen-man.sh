#!/usr/bin/env bash
# Makes the sendsync(1) man page from the CLI's own help: help2man reads `sendsync --help` and
# `--version`, and a COMMANDS IN DETAIL section holds every command's `--help` as printed.
# Usage: gen-man.sh SENDSYNC_BINARY VERSION OUT.1.gz
set -euo pipefail
bin=$1 version=$2 out=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Every command named in the command list ("  link add   summary" lines).
mapfile -t commands < <("$bin" --help | sed -nE 's/^  ([a-z][a-z -]*[a-z])  +[^ ].*$/\1/p' | sed -E 's/ +$//')
[[ ${#commands[@]} -gt 0 ]] || { echo "gen-man: no commands in $bin --help" >&2; exit 1; }
{
  echo "[COMMANDS IN DETAIL]"
  for c in "${commands[@]}"; do
    echo ".SS \"sendsync $c\""
    echo ".nf"
    # roff: escape backslashes, and lines starting with . or ' must not be read as requests.
    # shellcheck disable=SC2086
    "$bin" $c --help | sed -e 's/\\/\\e/g' -e "s/^\\([.']\\)/\\\\\\&\\1/"
    echo ".fi"
  done
  echo "[FILES]"
  echo ".TP"
  echo ".I /etc/sendsync/sendsync.json"
  echo "the service's config file (docs: /usr/share/doc/sendsync/server.md)"
  echo ".TP"
  echo ".I /var/lib/sendsync"
  echo "the service's state: the store, the audit keys"
  echo ".TP"
  echo ".I /usr/lib/sendsync/plugins"
  echo "the bundled adapters"
  echo "[SEE ALSO]"
  echo "/usr/share/doc/sendsync/README.md, /usr/share/doc/sendsync/server.md"
} >"$work/include.h2m"
# SOURCE_DATE_EPOCH keeps the page's date, and so the package, reproducible.
LC_ALL=C.UTF-8 SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(date -d 2026-12-07 +%s)} \
  help2man --locale=C.UTF-8 --no-info --section=1 --version-string="$version" \
  --name="keeps SEND records in step between school MIS, SEND tools and LA portals" \
  --include="$work/include.h2m" "$bin" >"$work/sendsync.1"
mkdir -p "$(dirname "$out")"
gzip -9n <"$work/sendsync.1" >"$out"
