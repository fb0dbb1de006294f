#!/usr/bin/env bash
# Runs one experiment with the real faultline binary and checks its exit code,
# that the history has operations from every region and the nemesis, and that
# no namespace of the run is left.
set -euo pipefail
faultline=$1 experiment=$2 expected=$3
results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT

set +e
"$faultline" run --results "$results" "$experiment"
code=$?
set -e
if [[ $code -ne $expected ]]; then
  echo "FAIL: $experiment exited $code, expected $expected" >&2
  exit 1
fi
run_dir=$(find "$results" -mindepth 1 -maxdepth 1 -type d | head -1)
for f in history.jsonl verdict.json experiment.toml; do
  [[ -s $run_dir/$f ]] || { echo "FAIL: $run_dir/$f missing" >&2; exit 1; }
done
regions=$(grep -o '"region":"[^"]*"' "$run_dir/history.jsonl" | sort -u | wc -l)
nemesis=$(grep -c '"process":"nemesis"' "$run_dir/history.jsonl" || true)
echo "history: $(wc -l < "$run_dir/history.jsonl") operations, $regions regions, $nemesis nemesis events"
[[ $regions -ge 3 ]] || { echo "FAIL: operations from only $regions regions" >&2; exit 1; }
[[ $nemesis -ge 4 ]] || { echo "FAIL: only $nemesis nemesis events" >&2; exit 1; }
run_id=$(grep -o '"run_id": "[^"]*"' "$run_dir/verdict.json" | cut -d'"' -f4)
if ls /run/netns 2>/dev/null | grep -q "^fl-$run_id-"; then
  echo "FAIL: namespaces of run $run_id left behind:" >&2
  ls /run/netns | grep "^fl-$run_id-" >&2
  exit 1
fi
echo "ok: exit $code, nothing left of run $run_id"
