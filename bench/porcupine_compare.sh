#!/usr/bin/env bash
# Times faultline's linearizability checker and Porcupine on the same register
# histories (docs/benchmarks.md, "Linearizability against Porcupine").
#
#   bench/porcupine_compare.sh PORCUPINE_CHECKOUT [TIMEOUT_SECONDS]
#
# PORCUPINE_CHECKOUT is a clone of github.com/anishathalye/porcupine; the Go
# harness (bench/peers/porcupine) is built against it offline, in a copy under
# /tmp, so neither its source nor a module download enters this repository.
# Needs build/bench/linearizable_bench (cmake --build build --target
# linearizable_bench) and Go (Debian's golang-go). One measurement at a time.
# ROWS="small goal2" runs only the rows named; histories already written under
# $WORK_DIR (default /tmp/porcupine_compare) are reused.
set -euo pipefail

if [[ $# -lt 1 || ! -f "$1/checker.go" ]]; then
  echo "usage: $0 PORCUPINE_CHECKOUT [TIMEOUT_SECONDS]  (a clone of github.com/anishathalye/porcupine; no checker.go in '${1:-}')" >&2
  exit 2
fi
porcupine=$(cd "$1" && pwd)
timeout=${2:-60}
root=$(cd "$(dirname "$0")/.." && pwd)
bench="$root/build/bench/linearizable_bench"
if [[ ! -x "$bench" ]]; then
  echo "$0: $bench is missing; build it with: cmake --build build --target linearizable_bench" >&2
  exit 2
fi
command -v go >/dev/null || { echo "$0: go is missing; install it with: apt-get install -y golang-go" >&2; exit 2; }

work=${WORK_DIR:-/tmp/porcupine_compare}
mkdir -p "$work/harness" "$work/histories"
export GOPATH="$work/gopath" GOCACHE="$work/gocache" GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local
cp "$root/bench/peers/porcupine/main.go" "$root/bench/peers/porcupine/go.mod" "$work/harness/"
(cd "$work/harness" && go mod edit -replace "github.com/anishathalye/porcupine=$porcupine" && go build -o "$work/porcupine_peer" .)
echo "porcupine: $(git -C "$porcupine" log -1 --format='%h %s' 2>/dev/null || echo "$porcupine (not a git checkout)"); $(go version)"

# Wall time and peak RSS of one command, from GNU time when present.
timed() {
  local out="$1"; shift
  if [[ -x /usr/bin/time ]]; then
    set +e; /usr/bin/time -v "$@" >"$out" 2>"$out.time"; local rc=$?; set -e
    cat "$out"
    echo "  exit $rc, wall $(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$out.time")," \
         "max RSS $(( $(sed -n 's/.*Maximum resident set size (kbytes): //p' "$out.time") / 1024 )) MiB," \
         "user $(sed -n 's/.*User time (seconds): //p' "$out.time") s, sys $(sed -n 's/.*System time (seconds): //p' "$out.time") s"
  else
    set +e; time "$@" >"$out"; local rc=$?; set -e
    cat "$out"; echo "  exit $rc"
  fi
}

# One stale read planted in a linearizable history: the first ok read of k0
# past the middle returns k0's first written value instead.
plant_stale_read() {
  python3 - "$1" "$2" <<'PY'
import json, sys
src, dst = sys.argv[1], sys.argv[2]
lines = open(src).read().splitlines()
first = next(json.loads(l)["value"][1] for l in lines if '"k0"' in l and '"ok"' in l and '"write"' in l)
with open(dst, "w") as out:
    planted = False
    for i, l in enumerate(lines):
        o = json.loads(l)
        if (not planted and i > len(lines) // 2 and o["type"] == "ok" and o["f"] == "read"
                and o["value"][0] == "k0" and o["value"][1] != first):
            o["value"][1] = first
            l = json.dumps(o)
            planted = True
        out.write(l + "\n")
PY
}

# name ops keys processes-per-key info-percent [stale: plant a stale read]
rows=(
  "small 100000 100 10 1"
  "goal1 1000000 1000 10 1"
  "goal2 100000 1 5 10"
  "small-stale 100000 100 10 1 stale"
  "goal2-stale 100000 1 5 10 stale"
)
for row in "${rows[@]}"; do
  read -r name ops keys procs info stale <<<"$row"
  [[ -z "${ROWS:-}" || " $ROWS " == *" $name "* ]] || continue
  base="$work/histories/${name%-stale}.jsonl"
  history="$work/histories/$name.jsonl"
  if [[ ! -s "$base" ]]; then
    "$bench" --ops "$ops" --keys "$keys" --processes "$procs" --info "$info" --budget 0.001 \
      --write-history "$base" >/dev/null || true
  fi
  if [[ -n "${stale:-}" && ! -s "$history" ]]; then plant_stale_read "$base" "$history"; fi
  echo "== $name: $ops operations, $keys keys, $procs processes per key, $info% info ($(wc -l <"$history") lines)"
  echo "-- faultline (linearizable_bench --read-history, budget ${timeout} s)"
  timed "$work/$name.faultline" "$bench" --read-history "$history" --budget "$timeout"
  echo "-- porcupine (CheckOperationsTimeout, timeout ${timeout} s)"
  timed "$work/$name.porcupine" "$work/porcupine_peer" -timeout "${timeout}s" "$history"
done
