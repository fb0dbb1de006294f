#!/usr/bin/env bash
# `faultline shrink` on a failing run of a random nemesis experiment: the run
# must fail its invariant (exit 1), then shrink, within MAX_RUNS runs, must
# leave at most MAX_FAULTS faults in minimal.toml, which must itself still
# fail the same invariant when replayed with `faultline run`. Nothing of any
# run may be left behind.
#
#   shrink.sh FAULTLINE EXPERIMENT INVARIANT MAX_RUNS MAX_FAULTS
set -euo pipefail
faultline=$1 experiment=$2 invariant=$3 max_runs=$4 max_faults=$5
results=$(mktemp -d)
chmod 755 "$results"
trap 'rm -rf "$results"' EXIT
# Nothing of these runs is left: no namespace named after any of their ids.
# shellcheck source=run_ids.sh
. "$(dirname "$0")/run_ids.sh"

run_dir=$(failing_run "$faultline" "$experiment" "$results")
drawn=$(grep -c '^\[\[fault\]\]' "$run_dir/schedule.toml")
echo "run failed with $drawn faults: $run_dir"
# schedule.toml replays the draw: its plan is the original's with the seed.
seed=$(grep -o '"seed": [0-9]*' "$run_dir/verdict.json" | head -1 | grep -o '[0-9]*$')
diff <("$faultline" run --dry-run "$run_dir/schedule.toml") \
     <("$faultline" run --dry-run --seed "$seed" "$experiment") ||
  { echo "FAIL: the dry run of schedule.toml differs from the experiment's with seed $seed" >&2; exit 1; }
# faultline check judges the stored run again from its schedule, the same way.
set +e
"$faultline" check "$run_dir" > /dev/null
check_code=$?
set -e
[[ $check_code -eq 1 ]] || { echo "FAIL: faultline check exited $check_code, expected 1" >&2; exit 1; }

"$faultline" shrink "$run_dir" --max-runs "$max_runs" | tee "$results/shrink.out"
left=$(grep -c '^\[\[fault\]\]' "$run_dir/minimal.toml" || true)
runs=$(grep -c '^  run [0-9]*:' "$results/shrink.out" || true)
echo "shrink: $drawn faults -> $left in $runs runs"
[[ $runs -le $max_runs ]] || { echo "FAIL: $runs runs, budget $max_runs" >&2; exit 1; }
[[ $left -le $max_faults ]] || { echo "FAIL: $left faults left, at most $max_faults wanted" >&2; exit 1; }
grep -q "^shrink: $drawn faults -> $left in $runs runs" "$results/shrink.out" ||
  { echo "FAIL: no final line naming the runs taken" >&2; exit 1; }

# minimal.toml is an ordinary experiment that still fails the same way.
set +e
"$faultline" run --results "$results/replay" "$run_dir/minimal.toml" > "$results/replay.out" 2>&1
code=$?
set -e
replay=$(find "$results/replay" -mindepth 1 -maxdepth 1 -type d | head -1)
violated=$(grep -E '^      "(invariant|result)"' "$replay/verdict.json" | paste - - |
  grep '"violated"' | grep -c "\"invariant\": \"$invariant\"" || true)
[[ $code -eq 1 && $violated -eq 1 ]] ||
  { echo "FAIL: minimal.toml replayed exits $code, not violating $invariant" >&2; exit 1; }
if id=$(left_behind "$results"); then echo "FAIL: namespaces of run $id left behind" >&2; exit 1; fi
echo "ok: $drawn faults shrunk to $left in $runs runs; minimal.toml still violates $invariant"
