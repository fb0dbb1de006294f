#!/usr/bin/env bash
# Runs one experiment with the real faultline binary and checks its exit code,
# which invariants it found violated or unknown (the others must hold), that
# the history has operations from every region (none at all but the
# nemesis's with --no-workload) and the nemesis, and that nothing of the run
# is left: no namespace, no process.
#
#   run_experiment.sh FAULTLINE EXPERIMENT EXPECTED_EXIT [--violated INVARIANT]...
#                     [--unknown INVARIANT]... [--no-workload] [--check PROGRAM]
#                     [-- RUN_ARGS...]
#
# --check runs PROGRAM with the run's results folder as its argument, for
# figures of one experiment's verdict; it must exit 0.
set -euo pipefail
faultline=$1 experiment=$2 expected=$3
shift 3
violated=() unknown=() no_workload=false check=
while [[ $# -gt 0 ]]; do
  case $1 in
    --violated) violated+=("$2"); shift 2 ;;
    --unknown) unknown+=("$2"); shift 2 ;;
    --no-workload) no_workload=true; shift ;;
    --check) check=$2; shift 2 ;;
    --) shift; break ;;
    *) echo "usage: run_experiment.sh FAULTLINE EXPERIMENT EXIT [--violated NAME]... [--unknown NAME]... [--no-workload] [--check PROGRAM] [-- ARGS]" >&2; exit 2 ;;
  esac
done
results=$(mktemp -d)
chmod 755 "$results"  # services may run as an unprivileged user (a database)
trap 'rm -rf "$results"' EXIT

set +e
"$faultline" run --results "$results" "$@" "$experiment"
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

# Each invariant's result: violated exactly where expected, holds elsewhere.
while IFS=$'\t' read -r inv res; do
  name=$(cut -d'"' -f4 <<<"$inv") result=$(cut -d'"' -f4 <<<"$res")
  want=holds
  for v in "${violated[@]}"; do [[ $v == "$name" ]] && want=violated; done
  for u in "${unknown[@]}"; do [[ $u == "$name" ]] && want=unknown; done
  if [[ $result != "$want" ]]; then
    echo "FAIL: invariant $name is $result, expected $want" >&2
    exit 1
  fi
  echo "invariant $name: $result"
done < <(grep -E '^      "(invariant|result)"' "$run_dir/verdict.json" | paste - -)

if [[ -n $check ]]; then
  "$check" "$run_dir" || { echo "FAIL: $check found the run's figures wrong" >&2; exit 1; }
fi

want_regions=$(grep -c '^\[\[region\]\]' "$experiment")
faults=$(grep -c '^\[\[fault\]\]' "$experiment" || true)
# Faults over once applied have no stop: a restart, and a command without `for`.
instants=$(awk '
  function done() { if (fault && (kind == "restart" || (kind == "command" && !lasts))) n++ }
  /^\[/ { done(); fault = ($0 == "[[fault]]"); kind = ""; lasts = 0; next }
  fault && /^kind *= *"/ { kind = $0; sub(/^kind *= *"/, "", kind); sub(/".*/, "", kind) }
  fault && /^for *=/ { lasts = 1 }
  END { done(); print n + 0 }' "$experiment")
want_nemesis=$(( (faults - instants) * 4 + instants * 2 + 2 ))
regions=$( { grep -o '"region":"[^"]*"' "$run_dir/history.jsonl" || true; } | sort -u | wc -l)
nemesis=$(grep -c '"process":"nemesis"' "$run_dir/history.jsonl" || true)
echo "history: $(wc -l < "$run_dir/history.jsonl") operations, $regions regions, $nemesis nemesis events"
if $no_workload; then
  clients=$(grep -vc '"process":"nemesis"' "$run_dir/history.jsonl" || true)
  [[ $clients -eq 0 ]] || { echo "FAIL: $clients operations of a workload that should not run" >&2; exit 1; }
else
  [[ $regions -ge $want_regions ]] || { echo "FAIL: operations from only $regions regions" >&2; exit 1; }
fi
[[ $nemesis -ge $want_nemesis ]] || { echo "FAIL: only $nemesis nemesis events" >&2; exit 1; }
run_id=$(grep -o '"run_id": "[^"]*"' "$run_dir/verdict.json" | cut -d'"' -f4)
if ls /run/netns 2>/dev/null | grep -q "^fl-$run_id-"; then
  echo "FAIL: namespaces of run $run_id left behind:" >&2
  ls /run/netns | grep "^fl-$run_id-" >&2
  exit 1
fi
# Every service's command line names the run's results folder.
if pgrep -f "$run_dir" >/dev/null; then
  echo "FAIL: processes of run $run_id left behind:" >&2
  pgrep -af "$run_dir" >&2
  exit 1
fi
# A service that renamed itself (redis-server's process title) is still in
# its cgroup, faultline/<run>/<service>-<region>.
# A zombie (state Z) has exited and holds nothing but its exit status until
# whoever inherited it (here the container's init, asynchronously) reaps it:
# not left running.
left=
for f in $(grep -l "/faultline/$run_id/" /proc/[0-9]*/cgroup 2>/dev/null || true); do
  state=$(sed 's/.*) //' "${f%/cgroup}/stat" 2>/dev/null | cut -d' ' -f1)
  state=${state:-Z}  # gone meanwhile
  [[ $state == Z ]] || left+="$f "
done
if [[ -n $left ]]; then
  echo "FAIL: processes of run $run_id left in its cgroups:" >&2
  for f in $left; do pid=${f#/proc/}; pid=${pid%/cgroup}; ps -o pid=,args= -p "$pid" >&2 || true; done
  exit 1
fi
echo "ok: exit $code, nothing left of run $run_id"
