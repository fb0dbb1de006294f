#!/usr/bin/env bash
# A shrink candidate that ends without a verdict (here its router program
# exits at once, so the target does not start: exit 3) says nothing of the
# invariant. Taken for a pass, it would let shrink drop a fault that mattered;
# shrink must stop instead, naming the candidate and its log, exit 255, and
# keep minimal.toml.
#
#   shrink_broken.sh FAULTLINE EXPERIMENT
set -euo pipefail
faultline=$1 experiment=$2
results=$(mktemp -d)
chmod 755 "$results"
trap 'rm -rf "$results"' EXIT

# shellcheck source=run_ids.sh
. "$(dirname "$0")/run_ids.sh"
run_dir=$(failing_run "$faultline" "$experiment" "$results")
grep -q 'faultline-router' "$run_dir/schedule.toml" ||
  { echo "FAIL: schedule.toml names no faultline-router to break" >&2; exit 1; }
sed -i 's/faultline-router/false/' "$run_dir/schedule.toml"

set +e
"$faultline" shrink "$run_dir" > "$results/shrink.out" 2> "$results/shrink.err"
code=$?
set -e
cat "$results/shrink.out" "$results/shrink.err"
[[ $code -eq 255 ]] || { echo "FAIL: shrink exited $code, expected 255" >&2; exit 1; }
grep -q '^faultline: shrink stopped: candidate-1 ended with exit 3, not a verdict: see ' "$results/shrink.err" ||
  { echo "FAIL: no one-line reason naming the candidate" >&2; exit 1; }
if grep -q 'passes' "$results/shrink.out"; then
  echo "FAIL: a candidate without a verdict was taken for a pass" >&2; exit 1
fi
[[ -f $run_dir/minimal.toml ]] || { echo "FAIL: no minimal.toml" >&2; exit 1; }
if id=$(left_behind "$results"); then
  echo "FAIL: namespaces of run $id left behind" >&2; exit 1
fi
echo "ok: shrink stopped at a candidate without a verdict, exit 255, minimal.toml kept, nothing left"
