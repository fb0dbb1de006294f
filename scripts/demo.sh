#!/usr/bin/env bash
# From a fresh Debian 12 machine, as root: installs what the demo needs,
# builds faultline and the reference system (nothing else), and runs the demo
# experiment (three regions, a partition, a heal, a verdict).
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ $EUID -ne 0 ]]; then
  echo "faultline: the demo installs packages and creates network namespaces, and needs root: sudo $0" >&2
  exit 1
fi
script=scripts/demo.sh
. scripts/lib/reachable.sh "$@"
./scripts/build.sh demo
exec ./build/faultline run "${1:-experiments/split-brain.toml}"
