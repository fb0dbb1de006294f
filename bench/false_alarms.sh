#!/usr/bin/env bash
# False alarms on a saturated machine: the correct experiments (the shipped
# scenarios, and each seeded-bug experiment with its bug switched off) run
# ROUNDS times each, every other run with both cores kept busy by another
# process, and every verdict that is not PASS is reported with the invariant
# and the reason. The goal is none: any that happens is a bug of a checker,
# the workload or the target.
#
#   bench/false_alarms.sh [ROUNDS] [BUILD_DIR]      (as root; default 7 rounds of 8 = 56 runs)
#
# Not a test (it takes about 20 minutes): its figures go in docs/benchmarks.md.
set -euo pipefail
rounds=${1:-7}
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${2:-$root/build}" && pwd)
scratch=$(mktemp -d /var/tmp/faultline-false-alarms.XXXXXX)
chmod 755 "$scratch"
hogs=()
stop_hogs() { for p in "${hogs[@]}"; do kill "$p" 2>/dev/null || true; done; hogs=(); }
trap 'stop_hogs; rm -rf "$scratch"' EXIT

# experiment file, then --var overrides (the bug switched off)
cases=(
  "split-brain"
  "region-failure"
  "wan-latency"
  "bug-lww-wall-clock --var app_bug=none"
  "bug-failover-any-geo --var router_bug=none"
  "bug-no-anti-entropy --var app_bug=none"
  "bug-stale-session --var app_bug=none"
  "bug-ack-before-commit --var app_bug=none"
)
cores=$(nproc)
runs=0 alarms=0 loaded_runs=0 loaded_alarms=0
printf '%-4s %-46s %-6s %-5s %s\n' run experiment load exit "verdict (what was not PASS)"
for round in $(seq 1 "$rounds"); do
  for i in "${!cases[@]}"; do
    read -r name vars <<<"${cases[$i]}"
    runs=$((runs + 1))
    loaded=no
    if (( runs % 2 == 0 )); then
      loaded=yes
      loaded_runs=$((loaded_runs + 1))
      # Busy loops at normal priority, one per core, bounded in time.
      for _ in $(seq "$cores"); do timeout 120 sh -c 'while :; do :; done' & hogs+=($!); done
    fi
    out=$scratch/run-$runs
    code=0
    # shellcheck disable=SC2086
    "$build/faultline" run --results "$out" "$root/experiments/$name.toml" $vars >"$out.out" 2>"$out.err" || code=$?
    stop_hogs
    verdict=$(grep -E '^  (FAIL|UNKNOWN|VIOLATED|PASS)' "$out.out" | grep -v '^  PASS' | sed 's/^  //' | tr '\n' ';' || true)
    if [[ $code -ne 0 ]]; then
      alarms=$((alarms + 1))
      [[ $loaded == yes ]] && loaded_alarms=$((loaded_alarms + 1))
      [[ -n $verdict ]] || verdict=$(grep -E 'faultline: ' "$out.err" | head -n 1)
    fi
    printf '%-4s %-46s %-6s %-5s %s\n' "$runs" "$name $vars" "$loaded" "$code" "${verdict:-PASS}"
  done
done
echo "false alarms: $alarms of $runs runs not PASS ($loaded_alarms of $loaded_runs with every core busy, $((alarms - loaded_alarms)) of $((runs - loaded_runs)) on a quiet machine)"
[[ -z $(ls /run/netns 2>/dev/null | grep '^fl-') ]] || echo "WARNING: namespaces left: $(ls /run/netns | grep '^fl-' | tr '\n' ' ')"
