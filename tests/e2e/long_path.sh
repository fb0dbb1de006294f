#!/usr/bin/env bash
# Results under a path of more than 200 characters (CI workspaces are long):
# the reference database (and anything else that would make a Unix socket
# there, whose path is limited to 107 bytes) must still start, and the run
# pass.
#
#   long_path.sh FAULTLINE EXPERIMENT
set -euo pipefail
faultline=$1 experiment=$2
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
deep=$scratch
while [[ ${#deep} -lt 210 ]]; do deep=$deep/a-rather-long-folder-name-as-ci-workspaces-have; done
mkdir -p "$deep"
# Every folder on the way must be open to the services' user (nobody).
p=$deep; while [[ $p != / ]]; do chmod o+x "$p" 2>/dev/null || true; p=$(dirname "$p"); done
echo "results under a ${#deep}-character path"
code=0
"$faultline" run --results "$deep" "$experiment" >"$scratch/out" 2>"$scratch/err" || code=$?
if [[ $code -ne 0 ]]; then cat "$scratch/err" >&2; cat "$scratch/out"; echo "FAIL: exit $code" >&2; exit 1; fi
tail -n 4 "$scratch/out"
echo "ok: the run passed with results under a ${#deep}-character path"
