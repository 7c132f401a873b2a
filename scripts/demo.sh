#!/usr/bin/env bash
# The main job: sets up, builds, and runs sendsync on the embedded default. For now it lists and
# validates the bundled plugins, then shows how broken plugin files are refused.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh release >/dev/null
bin=build/bin
echo "== sendsync version"
"$bin/sendsync" version
echo
echo "== bundled plugins (validated in a worker process before they are trusted)"
"$bin/sendsync" plugins list --plugins "$bin/plugins"
echo
echo "== broken plugin files: each refused with its reason, the others unaffected"
"$bin/sendsync" plugins list --plugins build/test-plugins/broken
