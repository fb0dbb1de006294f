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
# The compile is bound by the cores and apt by the network, so PostgreSQL
# (which only the run needs) downloads and installs while faultline builds.
./scripts/install-deps.sh demo-build
log=$(mktemp /tmp/faultline-install.XXXXXX)
./scripts/install-deps.sh demo-run >"$log" 2>&1 &
installer=$!
# Whatever happens to the build, apt is waited for, never left half done.
trap 'wait "$installer" 2>/dev/null; rm -f "$log"' EXIT
./scripts/build.sh demo
status=0
wait "$installer" || status=$?
cat "$log"
if ((status)); then
  echo "faultline: installing the demo's packages (scripts/install-deps.sh demo-run) failed, exit $status (above)" >&2
  exit 1
fi
trap - EXIT
rm -f "$log"
exec ./build/faultline run "${1:-experiments/split-brain.toml}"
