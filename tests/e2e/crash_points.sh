#!/usr/bin/env bash
# SIGKILL the controller at 30 points spread over a run (setup, faults,
# teardown); after each, `faultline recover` must leave nothing of the run:
# no namespace (and with them no link, route, qdisc, filter or queue rule),
# no process, no journal entry; and the root network namespace must be as it
# was before the first run.
#
# With "at-once", recover runs the moment kill(1) returns, before the
# controller has exited or been reaped, as a CI job's cleanup step does: it
# must take the run for dead every time (the run's lock, not its pid, says).
#
#   crash_points.sh FAULTLINE EXPERIMENT [POINTS] [at-once]
set -euo pipefail
faultline=$1 experiment=$2 points=${3:-30} mode=${4:-}
here=$(cd "$(dirname "$0")" && pwd)
scratch=$(mktemp -d)
chmod 755 "$scratch"
trap 'rm -rf "$scratch"' EXIT
state=$scratch/state
snapshot() { "$here/../../scripts/host-snapshot.sh"; }
snapshot > "$scratch/root-before"

# One whole run first: how long it takes, and that it passes.
start=$(date +%s%N)
"$faultline" run --results "$scratch/full" --state-dir "$state" "$experiment" > "$scratch/full.log" 2>&1 ||
  { cat "$scratch/full.log" >&2; echo "FAIL: the uninterrupted run failed" >&2; exit 1; }
total_ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "an uninterrupted run takes ${total_ms} ms; killing at $points points across it"

for i in $(seq 0 $((points - 1))); do
  at_ms=$(( (2 * i + 1) * total_ms / (2 * points) ))
  results=$scratch/run-$i
  mkdir -p "$results"
  "$faultline" run --results "$results" --state-dir "$state" "$experiment" > "$results.log" 2>&1 &
  pid=$!
  sleep "$(printf '%d.%03d' $((at_ms / 1000)) $((at_ms % 1000)))"
  if [[ $mode == at-once ]]; then
    kill -KILL "$pid" 2>/dev/null || true
    recover_status=0
    "$faultline" recover --state-dir "$state" > "$results.recover" 2>&1 || recover_status=$?
  else
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  run_dir=$(find "$results" -mindepth 1 -maxdepth 1 -type d | head -n 1)
  run_id=${run_dir##*-}
  phase=$(grep -o -E "fault [0-9]+ (started|stopped)|healed|final reads|setup took|up \(|verdict" "$results.log" | tail -n 1 || true)
  left_ns=0
  if [[ $mode == at-once ]]; then  # recover has run: count what it deleted
    left_ns=$(grep -c "deleted namespace fl-$run_id-" "$results.recover" || true)
  elif [[ -n $run_id ]]; then
    left_ns=$(ls /run/netns 2>/dev/null | grep -c "^fl-$run_id-" || true)
  fi
  if [[ $mode != at-once ]]; then
    recover_status=0
    "$faultline" recover --state-dir "$state" > "$results.recover" 2>&1 || recover_status=$?
  fi
  [[ $recover_status -eq 0 ]] ||
    { cat "$results.recover" >&2; echo "FAIL: recover failed after the kill at ${at_ms} ms" >&2; exit 1; }
  wait "$pid" 2>/dev/null || true
  if grep -q "[1-9][0-9]* live run" "$results.recover"; then
    cat "$results.recover" >&2; echo "FAIL: the killed run was taken for live" >&2; exit 1
  fi
  sleep 0.2  # killed processes are reaped by their parents
  problems=""
  [[ -n $run_id ]] && ls /run/netns 2>/dev/null | grep -q "^fl-$run_id-" && problems+=" namespaces"
  [[ -n $run_dir ]] && pgrep -f "$run_dir" >/dev/null && problems+=" processes"
  [[ -n $(ls "$state/runs" 2>/dev/null) ]] && problems+=" journal"
  printf 'kill %2d at %5d ms (last: %-18s): %2d namespaces left, recovered%s\n' \
    "$i" "$at_ms" "${phase:-nothing yet}" "$left_ns" "${problems:+; LEFT:$problems}"
  [[ -z $problems ]] || { cat "$results.recover" >&2; exit 1; }
done
snapshot > "$scratch/root-after"
diff "$scratch/root-before" "$scratch/root-after" ||
  { echo "FAIL: the root network namespace changed" >&2; exit 1; }
echo "ok: $points kills, nothing left after recover, root network namespace unchanged"
