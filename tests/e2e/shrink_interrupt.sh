#!/usr/bin/env bash
# Ctrl-C during `faultline shrink` keeps the best schedule found so far: after
# the first candidate that still fails, SIGINT to shrink alone (passed on to
# the candidate's run, which cleans up) must end it with exit 130, leave
# minimal.toml with fewer faults than the run had, and leave nothing of any
# run behind.
#
#   shrink_interrupt.sh FAULTLINE EXPERIMENT
set -euo pipefail
faultline=$1 experiment=$2
results=$(mktemp -d)
chmod 755 "$results"
trap 'rm -rf "$results"' EXIT

# shellcheck source=run_ids.sh
. "$(dirname "$0")/run_ids.sh"
run_dir=$(failing_run "$faultline" "$experiment" "$results")
drawn=$(grep -c '^\[\[fault\]\]' "$run_dir/schedule.toml")

"$faultline" shrink "$run_dir" > "$results/shrink.out" 2>&1 &
pid=$!
for _ in $(seq 600); do
  grep -q ': still fails' "$results/shrink.out" && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.5
done
sleep 3  # into the next candidate's run
kill -INT "$pid"
set +e
wait "$pid"
code=$?
set -e
cat "$results/shrink.out"
[[ $code -eq 130 ]] || { echo "FAIL: shrink exited $code after SIGINT, expected 130" >&2; exit 1; }
left=$(grep -c '^\[\[fault\]\]' "$run_dir/minimal.toml" || true)
[[ $left -lt $drawn ]] || { echo "FAIL: minimal.toml has $left faults, not fewer than $drawn" >&2; exit 1; }
if id=$(left_behind "$results"); then
  echo "FAIL: namespaces of run $id left behind" >&2; exit 1
fi
if pgrep -f "$run_dir/shrink" > /dev/null; then
  echo "FAIL: processes of a shrink candidate left behind:" >&2; pgrep -af "$run_dir/shrink" >&2; exit 1
fi
echo "ok: interrupted shrink kept $left of $drawn faults in minimal.toml, exit 130, nothing left"
