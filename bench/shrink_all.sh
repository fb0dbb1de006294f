#!/usr/bin/env bash
# For each seeded bug of the reference store, its random-nemesis experiment
# (experiments/random-<bug>.toml, eight drawn faults): one run, which must
# fail, then `faultline shrink` on it with a budget of 30 runs. Prints, per
# bug, the faults drawn and left, the runs shrinking took and its time: the
# figures docs/benchmarks.md quotes. As root; long (a few minutes a bug), so
# run it niced on a quiet machine:
#
#   nice bench/shrink_all.sh [BUILD_DIR] [MAX_RUNS]
#
# BUGS="retry-storm no-ramp" picks some.
set -euo pipefail
build=${1:-build} max_runs=${2:-30}
here=$(cd "$(dirname "$0")/.." && pwd)
faultline=$build/faultline
results=$(mktemp -d)
chmod 755 "$results"
trap 'rm -rf "$results"' EXIT

printf '| bug | invariant | faults drawn | faults left | runs | 1-minimal | time |\n|---|---|---|---|---|---|---|\n'
bugs=${BUGS:-lww-wall-clock failover-any-geo no-anti-entropy stale-session ack-before-commit no-replication
  health-ignores-latency retry-storm no-ramp no-static-fallback migration-drops-data}
for bug in $bugs; do
  experiment=$here/experiments/random-$bug.toml
  out=$results/$bug
  mkdir -p "$out"
  chmod 755 "$out"
  set +e
  "$faultline" run --results "$out" "$experiment" > "$out/run.log" 2>&1
  code=$?
  set -e
  run_dir=$(find "$out" -mindepth 1 -maxdepth 1 -type d | head -1)
  if [[ $code -ne 1 ]]; then
    printf '| %s | | the run exited %s, not 1 | | | | |\n' "$bug" "$code"
    continue
  fi
  invariant=$( { grep -E '^      "(invariant|result)"' "$run_dir/verdict.json" | paste - - |
    grep '"violated"' | head -1 | cut -d'"' -f4; } || true)
  start=$(date +%s)
  "$faultline" shrink "$run_dir" --max-runs "$max_runs" > "$out/shrink.log" 2>&1 || true
  took=$(( $(date +%s) - start ))
  line=$(grep '^shrink: [0-9]* faults ->' "$out/shrink.log" || echo "shrink: ? faults -> ? in ? runs")
  drawn=$(sed -E 's/^shrink: ([0-9?]+) faults.*/\1/' <<<"$line")
  left=$(sed -E 's/.*-> ([0-9?]+) in.*/\1/' <<<"$line")
  runs=$(sed -E 's/.* in ([0-9?]+) runs.*/\1/' <<<"$line")
  minimal=$(grep -q '1-minimal: no single' <<<"$line" && echo yes || echo no)
  printf '| %s | %s | %s | %s | %s | %s | %d s |\n' "$bug" "$invariant" "$drawn" "$left" "$runs" "$minimal" "$took"
done
