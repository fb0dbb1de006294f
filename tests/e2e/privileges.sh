#!/usr/bin/env bash
# Without the privileges a run needs, `faultline run` names exactly what is
# missing and how to get it, exits 254, and creates nothing: no results, no
# journal, no namespace.
#
#   privileges.sh FAULTLINE EXPERIMENT
set -euo pipefail
faultline=$1 experiment=$2
scratch=$(mktemp -d)
chmod 755 "$scratch"
trap 'rm -rf "$scratch"' EXIT
before=$(ls /run/netns 2>/dev/null | sort | tr '\n' ' ')
# Copies an unprivileged user can reach wherever the checkout lives (a
# checkout under /root is not), with the programs the experiment names.
mkdir -p "$scratch/bin"
cp "$faultline" "$(dirname "$faultline")"/faultline-kv "$(dirname "$faultline")"/faultline-postgres "$scratch/bin/"
cp "$experiment" "$scratch/experiment.toml"
faultline=$scratch/bin/faultline experiment=$scratch/experiment.toml
chmod -R a+rX "$scratch"

expect() {  # expect WHAT OUTPUT_FILE CODE
  local what=$1 out=$2 code=$3 first
  first=$(head -n 1 "$out")
  echo "$what: exit $code: $first"
  [[ $code -eq 254 ]] || { echo "FAIL: exit $code, expected 254" >&2; exit 1; }
  [[ ! -e $scratch/results && ! -e $scratch/state ]] || { echo "FAIL: something was created" >&2; exit 1; }
  [[ $(ls /run/netns 2>/dev/null | sort | tr '\n' ' ') == "$before" ]] || { echo "FAIL: a namespace appeared" >&2; exit 1; }
}

# An unprivileged user: every capability a run needs is missing.
set +e
setpriv --reuid=65534 --regid=65534 --clear-groups \
  "$faultline" run --results "$scratch/results" --state-dir "$scratch/state" "$experiment" >"$scratch/out" 2>&1
code=$?
set -e
expect "as nobody" "$scratch/out" "$code"
for cap in CAP_SYS_ADMIN CAP_NET_ADMIN CAP_SETUID; do
  grep -q "$cap" "$scratch/out" || { echo "FAIL: $cap not named" >&2; exit 1; }
done
grep -q "sudo setcap .*cap_net_admin.*+ep" "$scratch/out" || { echo "FAIL: no way to get them" >&2; exit 1; }

# Root without CAP_NET_ADMIN (a container started without it, say): exactly that one is named.
set +e
setpriv --bounding-set=-net_admin --inh-caps=-net_admin \
  "$faultline" run --results "$scratch/results" --state-dir "$scratch/state" "$experiment" >"$scratch/out" 2>&1
code=$?
set -e
expect "as root without CAP_NET_ADMIN" "$scratch/out" "$code"
want="faultline: faultline run lacks CAP_NET_ADMIN (for links, routes, qdiscs and nf_tables rules); nothing was created."
[[ $(head -n 1 "$scratch/out") == "$want"* ]] || { echo "FAIL: expected '$want...'" >&2; exit 1; }
echo "ok: what is missing is named, and nothing was created"
