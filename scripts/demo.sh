#!/usr/bin/env bash
# From a fresh Debian 12 machine, as root: installs what is missing, builds,
# and runs the demo experiment (three regions, a partition, a heal, a verdict).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/build.sh
if [[ $EUID -ne 0 ]]; then
  echo "faultline: the demo creates network namespaces and needs root: sudo $0" >&2
  exit 1
fi
exec ./build/faultline run "${1:-experiments/split-brain.toml}"
