#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test.
#
# As root (as CI runs it): unit tests, root tests in namespaces they create,
# and end-to-end experiments; then checks that the root network namespace is
# exactly as before and that no namespace of the project is left.
# As another user: the unit tests only, with a note on what was skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ $EUID -eq 0 ]]; then
  script=scripts/test.sh
  . scripts/lib/reachable.sh "$@"
fi

./scripts/build.sh

if [[ $EUID -ne 0 ]]; then
  ctest --preset unit
  echo "faultline: not root, so the namespace and end-to-end tests were skipped; run as root for all of them" >&2
  exit 0
fi

snapshot=$(mktemp -d)
trap 'rm -rf "$snapshot"' EXIT
./scripts/host-snapshot.sh > "$snapshot/before"
status=0
# Two phases. First what no timing depends on, side by side: the unit tests,
# the fuzz lane (a sanitizer build, then the fuzzer: CPU), the package lanes
# (apt and a clean root: mostly disk and network). Then, one at a time, the
# tests that measure time: namespaces, experiments, the compose, swarm and
# kernel lanes.
ctest --preset all -j3 -L 'unit|fuzz|package' || status=$?
ctest --preset all -LE 'unit|fuzz|package' || status=$?
./scripts/host-snapshot.sh > "$snapshot/after"

if ! diff -u "$snapshot/before" "$snapshot/after"; then
  echo "FAIL: the test suite changed the root network namespace (diff above)" >&2
  status=1
fi
if ls /run/netns 2>/dev/null | grep -q '^fl-'; then
  echo "FAIL: namespaces left behind:" >&2
  ls /run/netns | grep '^fl-' >&2
  status=1
else
  echo "host check: root network namespace unchanged, no fl-* namespace left"
fi
exit $status
