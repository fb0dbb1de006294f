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
# Services run as nobody and read the run's files in results/: when this
# checkout is where nobody may not go (a home folder), results go elsewhere.
results=results
if ! setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$PWD" 2>/dev/null; then
  results=/var/tmp/faultline/results
  echo "faultline: user nobody cannot enter $PWD; results go to $results"
fi
exec ./build/faultline run --results "$results" "${1:-experiments/split-brain.toml}"
