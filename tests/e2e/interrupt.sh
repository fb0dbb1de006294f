#!/usr/bin/env bash
# Ctrl-C in the middle of an experiment (while a partition is in force): the
# run must exit 130 having reverted the fault, stopped the services and
# deleted every namespace it made.
set -euo pipefail
faultline=$1 experiment=$2
results=$(mktemp -d)
chmod 755 "$results"  # services may run as an unprivileged user (a database)
trap 'rm -rf "$results"' EXIT

"$faultline" run --results "$results" "$experiment" &
pid=$!
sleep 5   # setup takes well under a second; the partition starts at 3 s
kill -INT $pid
set +e
wait $pid
code=$?
set -e
[[ $code -eq 130 ]] || { echo "FAIL: exit $code after SIGINT, expected 130" >&2; exit 1; }
run_dir=$(find "$results" -mindepth 1 -maxdepth 1 -type d | head -1)
run_id=${run_dir##*-}
if ls /run/netns 2>/dev/null | grep -q "^fl-$run_id-"; then
  echo "FAIL: namespaces left after SIGINT" >&2
  exit 1
fi
if pgrep -f "faultline-kv --region" >/dev/null; then
  echo "FAIL: services left running after SIGINT" >&2
  pgrep -af "faultline-kv --region" >&2
  exit 1
fi
echo "ok: SIGINT mid-partition, exit 130, no namespace or process left"
