#!/usr/bin/env bash
# SIGKILL the controller in the middle of a partition (namespace provider):
# the run's namespaces and services are left behind, and `faultline recover`
# removes every one of them.
#
#   kill_recover.sh FAULTLINE EXPERIMENT
set -euo pipefail
faultline=$1 experiment=$2
results=$(mktemp -d)
chmod 755 "$results"
trap 'rm -rf "$results"' EXIT
"$faultline" run --results "$results" "$experiment" >"$results/run.log" 2>&1 &
pid=$!
for _ in $(seq 300); do grep -q "fault 0 started" "$results/run.log" && break; sleep 0.1; done
grep -q "fault 0 started" "$results/run.log" || { cat "$results/run.log" >&2; echo "FAIL: the fault never started" >&2; exit 1; }
kill -KILL "$pid"
wait "$pid" 2>/dev/null || true
run_id=$(grep -o 'info run [0-9a-f]*' "$results/run.log" | head -n 1 | awk '{print $3}')
left=$(ls /run/netns | grep -c "^fl-$run_id-" || true)
echo "run $run_id killed mid-partition: $left namespaces left behind"
[[ $left -gt 0 ]] || { echo "FAIL: nothing left to recover (did the run start?)" >&2; exit 1; }
"$faultline" recover
if ls /run/netns | grep -q "^fl-$run_id-"; then echo "FAIL: recover left namespaces" >&2; exit 1; fi
sleep 0.5  # a killed process is gone once its parent reaps it
if pgrep -f "$results" >/dev/null; then pgrep -af "$results" >&2; echo "FAIL: processes left" >&2; exit 1; fi
[[ ! -e /run/faultline/runs/$run_id.json ]] || { echo "FAIL: the journal entry is left" >&2; exit 1; }
echo "ok: recover removed every namespace and process of run $run_id"
