#!/usr/bin/env bash
# The compose lane: the reference store as docker-compose containers, and
# faultline's compose provider against it, end to end.
#
#   tests/compose/compose_lane.sh BUILD_DIR
#
# Starts a Docker daemon in a network namespace of its own when none answers
# (scripts/dockerd.sh), builds the image from BUILD_DIR, brings the stack up,
# runs split-brain, slow-db and container-lifecycle against it, kills the
# controller with SIGKILL in the middle of a partition, a pause and a slow
# database and checks that `faultline recover` removes every trace, and
# takes the stack down. Fails on the first step that goes wrong.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
faultline=$build/faultline
cd "$root"
export COMPOSE_PROJECT_NAME=faultline-lane
docker=docker
[[ -x /usr/bin/docker ]] && docker=/usr/bin/docker

scratch=$(mktemp -d)
started_dockerd=no
"$docker" info >/dev/null 2>&1 || started_dockerd=yes
scripts/dockerd.sh start
cleanup() {
  docker-compose down -v -t 1 >/dev/null 2>&1 || true
  rm -rf "$scratch"
  [[ $started_dockerd == yes ]] && scripts/dockerd.sh stop >/dev/null || true
}
trap cleanup EXIT
scripts/compose-images.sh "$build"
docker-compose down -v -t 1 >/dev/null 2>&1 || true
docker-compose up -d --quiet-pull 2>&1 | tail -n 1
step() { echo; echo "== compose lane: $*"; }

step "split-brain against the stack"
tests/e2e/run_experiment.sh "$faultline" experiments/split-brain.toml 0 -- --provider compose

step "slow-db against the stack: eu-west-1 slowed inside the window only"
results=$scratch/slow-db
mkdir -p "$results"
"$faultline" run --provider compose --results "$results" experiments/slow-db.toml
run_dir=$(find "$results" -mindepth 1 -maxdepth 1 -type d | head -n 1)
read -r eu_in eu_in_ms eu_out eu_out_ms < <(python3 tests/compose/latency_in_window.py "$run_dir" eu-west-1 slow-db | tr '=' ' ' | awk '{print $2, $3, $5, $6}')
read -r us_in us_in_ms _ _ < <(python3 tests/compose/latency_in_window.py "$run_dir" us-east-1 slow-db | tr '=' ' ' | awk '{print $2, $3, $5, $6}')
echo "eu-west-1: $eu_in operations inside the window, median ${eu_in_ms} ms; $eu_out outside, ${eu_out_ms} ms; us-east-1 inside: ${us_in_ms} ms"
awk -v a="$eu_in_ms" -v b="$eu_out_ms" -v c="$us_in_ms" -v n="$eu_in" \
  'BEGIN { exit !(n >= 5 && a >= 250 && b < 100 && c < 100) }' || { echo "FAIL: slow-db did not slow eu-west-1's database alone" >&2; exit 1; }

step "container-lifecycle: kill, pause and restart on containers; a fault outlives its container"
tests/e2e/run_experiment.sh "$faultline" experiments/container-lifecycle.toml 0 -- --provider compose

# SIGKILL the controller once the given fault has started, then recover.
container_pid() { "$docker" inspect -f '{{.State.Pid}}' "$COMPOSE_PROJECT_NAME"_"$1"_1; }
in_container() { local c=$1; shift; nsenter --net=/proc/"$(container_pid "$c")"/ns/net "$@"; }
kill_mid_fault() {
  local experiment=$1 marker=$2 log
  log=$scratch/run.log
  "$faultline" run --provider compose --results "$scratch" "$experiment" >"$log" 2>&1 &
  local pid=$!
  for _ in $(seq 300); do grep -q "$marker" "$log" && break; sleep 0.1; done
  grep -q "$marker" "$log" || { cat "$log" >&2; echo "FAIL: never saw '$marker'" >&2; exit 1; }
  kill -KILL "$pid"
  wait "$pid" 2>/dev/null || true
}
states() { "$docker" ps -a --filter "label=com.docker.compose.project=$COMPOSE_PROJECT_NAME" --format '{{.Names}} {{.State}}' | sort; }

step "SIGKILL mid-partition, then faultline recover"
kill_mid_fault experiments/split-brain.toml "fault 0 started"
left=$(in_container us-east-1-gateway ip route show proto 241 | wc -l)
echo "left behind in us-east-1's gateway: $left fault routes"
[[ $left -gt 0 ]] || { echo "FAIL: the killed run left no partition to recover (did it start?)" >&2; exit 1; }
"$faultline" recover
[[ $(in_container us-east-1-gateway ip route show proto 241 | wc -l) -eq 0 ]] || { echo "FAIL: recover left fault routes" >&2; exit 1; }
[[ $(in_container us-east-1-gateway ip -6 route show proto 241 | wc -l) -eq 0 ]] || { echo "FAIL: recover left IPv6 fault routes" >&2; exit 1; }

step "SIGKILL while a container is killed and another paused, then faultline recover"
kill_mid_fault experiments/container-lifecycle.toml "fault 1 started"
echo "after the kill:"; states | grep -v running || true
"$faultline" recover
if states | grep -v running; then echo "FAIL: recover left containers not running" >&2; exit 1; fi

step "SIGKILL mid slow-db (NFQUEUE or netem in the db container), then faultline recover"
kill_mid_fault experiments/slow-db.toml "fault 0 started"
leftover() {
  local q t
  q=$(in_container eu-west-1-db tc qdisc show | grep -c "fa00:" || true)
  t=$(in_container eu-west-1-db nft list tables | grep -c faultline || true)
  echo $((q + t))
}
left=$(leftover)
echo "left behind in eu-west-1's db: $left qdiscs and nf_tables tables"
[[ $left -gt 0 ]] || { echo "FAIL: the killed run left no slow-db to recover (did it start?)" >&2; exit 1; }
"$faultline" recover
[[ $(leftover) -eq 0 ]] || { echo "FAIL: recover left a qdisc or nf_tables table" >&2; exit 1; }
[[ -z $(ls /run/faultline/runs 2>/dev/null) ]] || { echo "FAIL: journal entries left: $(ls /run/faultline/runs)" >&2; exit 1; }

step "the stack still serves after all that: split-brain again"
tests/e2e/run_experiment.sh "$faultline" experiments/split-brain.toml 0 -- --provider compose
echo; echo "compose lane: ok"
