#!/usr/bin/env bash
# Installs the Debian packages sendsync needs, when any are missing. Idempotent, and silent when
# everything is already there. Usage: scripts/setup.sh [--test]
#   --test  also installs what the tests need (PostgreSQL server, PDF and browser tools, load tools)
set -euo pipefail

# Build and run.
PACKAGES=(
  cmake make g++ ccache pkg-config openssl
  libboost-dev libboost-filesystem-dev
  libpoco-dev
  nlohmann-json3-dev libvalijson-dev libsimdjson-dev libyaml-cpp-dev
  libsqlite3-dev sqlite3 libpq-dev
  libjemalloc-dev
  libhpdf-dev
  libarchive-dev  # adapter packages (core/packages): tar reading and writing
  libgtest-dev libgmock-dev
  help2man dpkg-dev  # the man page and the Debian packages (packaging/)
  libjs-chart.js  # the dashboard's charts, served by `sendsync serve` (config key chart_js)
)
# Tests only.
TEST_PACKAGES=(
  postgresql openssl
  poppler-utils
  chromium chromium-driver
  wrk
  clang libfuzzer-14-dev  # the fuzz targets (scripts/fuzz.sh)
  lintian  # the packaging test checks the Debian packages
)

want=("${PACKAGES[@]}")
if [[ "${1:-}" == "--test" ]]; then
  want+=("${TEST_PACKAGES[@]}")
  # Node.js may already come from another packager (with its own npm, which Debian's npm package
  # conflicts with); only ask Debian for it when there is no node at all.
  if ! command -v node >/dev/null 2>&1; then want+=(nodejs npm); fi
fi

missing=()
for p in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "setup: installing ${missing[*]}"
sudo=""
if [[ "$(id -u)" -ne 0 ]]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >/dev/null
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup: done"
