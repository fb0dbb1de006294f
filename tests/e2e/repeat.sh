#!/usr/bin/env bash
# `faultline run --repeat` on an experiment that fails on some seeds only
# (experiments/random-sometimes.toml: one random fault, a partition that
# breaks convergence or a delay that does not). Which seed draws which is
# read from --dry-run, so the expected count is known before any run:
#   1. --repeat N --keep-going runs all N, each in its own results folder,
#      fails exactly the seeds that drew a partition, prints
#      "fails K of N: invariant convergence in K runs (seeds ...)", exits 1;
#   2. without --keep-going it stops at the first failing seed.
#
#   repeat.sh FAULTLINE EXPERIMENT FIRST_SEED RUNS
set -euo pipefail
faultline=$1 experiment=$2 first=$3 runs=$4
results=$(mktemp -d)
chmod 755 "$results"
trap 'rm -rf "$results"' EXIT
# Nothing of these runs is left: no namespace named after any of their ids.
# shellcheck source=run_ids.sh
. "$(dirname "$0")/run_ids.sh"

failing=()
for ((seed = first; seed < first + runs; seed++)); do
  if "$faultline" run --dry-run --seed "$seed" "$experiment" | grep -q '^  \[0\].*: partition'; then
    failing+=("$seed")
  fi
done
echo "seeds drawing a partition: ${failing[*]:-none}"
if [[ ${#failing[@]} -eq 0 || ${#failing[@]} -eq $runs ]]; then
  echo "FAIL: choose seeds of which some, not all, draw a partition" >&2
  exit 1
fi
seeds_text=$(IFS=,; echo "${failing[*]}" | sed 's/,/, /g')
[[ ${#failing[@]} -eq 1 ]] && word="seed" || word="seeds"
[[ ${#failing[@]} -eq 1 ]] && runs_word="run" || runs_word="runs"
want="fails ${#failing[@]} of $runs: invariant convergence in ${#failing[@]} $runs_word ($word $seeds_text)"

set +e
"$faultline" run --results "$results/all" --seed "$first" --repeat "$runs" --keep-going \
  "$experiment" > "$results/all.out"
code=$?
set -e
summary=$(grep -E '^(fails|passes) ' "$results/all.out" || true)
echo "summary: $summary (exit $code)"
[[ $code -eq 1 ]] || { echo "FAIL: --repeat exited $code, expected 1" >&2; exit 1; }
[[ $summary == "$want" ]] || { echo "FAIL: expected: $want" >&2; exit 1; }
folders=$(find "$results/all" -mindepth 1 -maxdepth 1 -type d | wc -l)
[[ $folders -eq $runs ]] || { echo "FAIL: $folders results folders for $runs runs" >&2; exit 1; }
# Each run's verdict names its own seed, and schedule.toml replays its draw.
for dir in "$results"/all/*/; do
  grep -q '"seed": ' "$dir/verdict.json" && [[ -s $dir/schedule.toml ]] ||
    { echo "FAIL: $dir lacks its seed or schedule.toml" >&2; exit 1; }
done

# Without --keep-going: the first failing seed ends the series.
set +e
"$faultline" run --results "$results/first" --seed "$first" --repeat "$runs" "$experiment" \
  > "$results/first.out"
code=$?
set -e
ran=$(find "$results/first" -mindepth 1 -maxdepth 1 -type d | wc -l)
want_ran=$(( failing[0] - first + 1 ))
echo "without --keep-going: $ran runs, exit $code"
[[ $code -eq 1 && $ran -eq $want_ran ]] ||
  { echo "FAIL: expected $want_ran runs and exit 1" >&2; exit 1; }
grep -q "^fails 1 of $want_ran (stopped at the first failure of $runs planned" "$results/first.out" ||
  { echo "FAIL: no 'stopped at the first failure' summary" >&2; cat "$results/first.out" >&2; exit 1; }
if id=$(left_behind "$results"); then echo "FAIL: namespaces of run $id left behind" >&2; exit 1; fi
echo "ok: --repeat fails exactly the seeds that draw a partition"
