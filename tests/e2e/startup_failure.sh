#!/usr/bin/env bash
# A service that exits during startup stops the run within a second, with an
# error that names the service, its region, its exit status and the end of
# its log, and exit code 3 (the system under test could not be started), not
# faultline's internal error; nothing of the run is left.
#
#   startup_failure.sh FAULTLINE EXPERIMENT
set -euo pipefail
faultline=$1 experiment=$2
scratch=$(mktemp -d)
chmod 755 "$scratch"
trap 'rm -rf "$scratch"' EXIT
start=$(date +%s%N)
code=0
"$faultline" run --results "$scratch" "$experiment" >"$scratch/out" 2>"$scratch/err" || code=$?
took_ms=$(( ($(date +%s%N) - start) / 1000000 ))
cat "$scratch/err" | grep -v " info " >&2 || true
fail() { echo "FAIL: $*" >&2; exit 1; }
[[ $code -eq 3 ]] || fail "exit $code, expected 3"
grep -q "db@us-east-1 exited during startup (exit status 3)" "$scratch/err" || fail "the error does not name the service and its exit status"
grep -q "FATAL: could not bind" "$scratch/err" || fail "the error does not quote the end of the log"
grep -q "internal error" "$scratch/err" && fail "reported as an internal error"
[[ $took_ms -lt 5000 ]] || fail "took ${took_ms} ms to notice"
run_id=$(grep -o 'info run [0-9a-f]*' "$scratch/err" | head -n 1 | awk '{print $3}')
[[ -n $run_id ]] || fail "no run id in the log"
ls /run/netns 2>/dev/null | grep -q "^fl-$run_id-" && fail "namespaces left"
pgrep -f "$scratch" >/dev/null && fail "processes left"
echo "ok: exit 3 after ${took_ms} ms, naming db@us-east-1, its exit status and its log; nothing left"
