#!/usr/bin/env bash
# Runs with nothing to judge must never PASS and never crash (issue 17):
#   answers-404   the workload aimed at a server that answers 404 to all but
#                 /health: every invariant is unknown, exit 2, and the
#                 verdict says why; with unknown = "passes", exit 0;
#   faults-only   [workload] kind = "none": services start and pass their
#                 health checks, faults go in and out, no operation, exit 0;
#   no-services   only regions and a partition: the invariant is unknown, exit 2.
# Each run is checked by run_experiment.sh (exit code, results, nothing left).
#
#   vacuous.sh FAULTLINE DIR   (DIR: tests/experiments/vacuous)
set -euo pipefail
faultline=$1 dir=$2
here=$(cd "$(dirname "$0")" && pwd)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# Runs run_experiment.sh with the arguments given, its output shown and kept.
run() {
  "$here/run_experiment.sh" "$faultline" "$@" | tee "$scratch/out"
}
says() {
  grep -qF -- "$1" "$scratch/out" || { echo "FAIL: the verdict does not say: $1" >&2; exit 1; }
}

all_unknown=(--unknown no-lost-writes --unknown convergence --unknown read-your-writes
             --unknown monotonic-reads)
run "$dir/answers-404.toml" 2 "${all_unknown[@]}"
says "UNKNOWN  no-lost-writes: no acknowledged write: nothing to judge"
says "[judged 0 acknowledged writes]"
says "UNKNOWN  convergence: the regions agree only that all"
says "=> UNKNOWN (exit 2)"

# The experiment's own choice lets unknown pass; nothing else changes.
sed 's/^seed = 17$/seed = 17\nunknown = "passes"/' "$dir/answers-404.toml" >"$scratch/answers-404.toml"
grep -q '^unknown = "passes"' "$scratch/answers-404.toml"
run "$scratch/answers-404.toml" 0 "${all_unknown[@]}"
says "=> UNKNOWN (exit 0)"

run "$dir/faults-only.toml" 0 --no-workload
says "no invariants"

run "$dir/no-services.toml" 2 --unknown no-lost-writes --no-workload
says "UNKNOWN  no-lost-writes: no acknowledged write"
echo "ok: nothing to judge is never a PASS"
