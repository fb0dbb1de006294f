#!/usr/bin/env bash
# faultline-agent on a Docker daemon: containers as its node's namespaces.
#
#   tests/compose/agent_docker.sh BUILD_DIR
#
# Two containers of a busybox image made here (busybox-static), both with no
# network (nothing outside them is touched), one carrying faultline's labels.
# Through the agent (controller: `faultline agent-call apply --hold`): the
# inventory lists the labeled one only; a route lands in its <name>@<pid>
# namespace and a pause on it, and each is reverted by the lease once the
# controller is SIGKILLed; the unlabeled container is refused; after a
# restart, a step naming the old pid lands in the new namespace; an agent
# SIGKILLed after killing the container, or with a route in it, leaves them,
# and the next agent undoes them as it starts; sweep removes a marked route
# in any labeled container.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
faultline=$build/faultline agent_bin=$build/faultline-agent
cd "$root"
command -v busybox >/dev/null || { echo "FAIL: busybox (busybox-static) is needed for the image" >&2; exit 1; }
started_dockerd=no
docker info >/dev/null 2>&1 || { started_dockerd=yes; scripts/dockerd.sh start; }
tmp=$(mktemp -d)
tag=flagent-$$
image=$tag-bb:test
port=$((17000 + $$ % 1000))
lease_ms=1000
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  docker rm -f "$tag-db" "$tag-other" >/dev/null 2>&1 || true
  docker rmi "$image" >/dev/null 2>&1 || true
  rm -rf "$tmp"
  [[ $started_dockerd == yes ]] && scripts/dockerd.sh stop >/dev/null || true
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; echo "--- agent logs" >&2; cat "$tmp"/agent*.log >&2 || true; exit 1; }

mkdir -p "$tmp/image/bin"
cp "$(command -v busybox)" "$tmp/image/bin/busybox"
ln -s busybox "$tmp/image/bin/sleep"
tar -C "$tmp/image" -c . | docker import - "$image" >/dev/null
docker run -d --name "$tag-db" --network none --label faultline.region=r1 --label faultline.host=db \
  "$image" /bin/sleep 3600 >/dev/null
docker run -d --name "$tag-other" --network none "$image" /bin/sleep 3600 >/dev/null
pid_of() { docker inspect -f '{{.State.Pid}}' "$1"; }

"$faultline" certs "$tmp/certs" --agent n1=127.0.0.1 >/dev/null
start_agent() {
  "$agent_bin" --listen 127.0.0.1:$port --ca "$tmp/certs/ca.pem" --cert "$tmp/certs/agent-n1.pem" \
    --key "$tmp/certs/agent-n1-key.pem" --node n1 --state "$tmp/state" --undo-left-behind >"$1" 2>&1 &
  agent=$!
  pids+=("$agent")
  for _ in $(seq 100); do grep -q "listening on" "$1" && return; sleep 0.05; done
  fail "the agent did not start"
}
call() { "$faultline" agent-call 127.0.0.1:$port --certs "$tmp/certs" "$@"; }
hold() {  # log step-json: applies and holds until killed
  # The binary itself in the background, so $! is the controller's pid.
  "$faultline" agent-call 127.0.0.1:$port --certs "$tmp/certs" apply "$2" --lease $lease_ms --hold >"$1" 2>&1 &
  controller=$!
  pids+=("$controller")
  for _ in $(seq 200); do grep -qs "^applied" "$1" && return; sleep 0.05; done
  cat "$1" >&2
  fail "the step was not applied: $2"
}
route_in() { nsenter -t "$1" -n ip route show type blackhole | grep -c 198.18.9.0/24 || true; }
route_step() { echo '{"kind":"route","netns":"'$1'","route":{"destination":"198.18.9.0/24","type":"blackhole","metric":0,"protocol":241}}'; }
process_step() { echo '{"kind":"process","action":"'$1'","region":"r1","service":"'$tag-db'"}'; }
within() {  # seconds condition...: polls until the condition holds
  local limit=$1; shift
  local end=$(( $(date +%s%N) + limit * 1000000000 ))
  while (( $(date +%s%N) < end )); do "$@" && return 0; sleep 0.02; done
  return 1
}

start_agent "$tmp/agent.log"
call inventory >"$tmp/inventory.json"
python3 - "$tmp/inventory.json" "$tag-db" "$tag-other" "$(pid_of "$tag-db")" <<'PY' || fail "inventory: $(cat "$tmp/inventory.json")"
import json, sys
inv = json.load(open(sys.argv[1]))
names = {c["name"]: c for c in inv["containers"]}
assert sys.argv[2] in names, "the labeled container is missing"
assert sys.argv[3] not in names, "the unlabeled container is listed"
c = names[sys.argv[2]]
assert str(c["pid"]) == sys.argv[4] and c["labels"]["faultline.host"] == "db", c
PY
echo "inventory: $tag-db listed with its pid and labels, $tag-other left out"

db_pid=$(pid_of "$tag-db")
hold "$tmp/route.log" "$(route_step "$tag-db@$db_pid")"
[[ $(route_in "$db_pid") == 1 ]] || fail "no route in $tag-db"
kill -KILL "$controller"; wait "$controller" 2>/dev/null || true
within 2 bash -c "[[ \$(nsenter -t $db_pid -n ip route show type blackhole | grep -c 198.18.9.0/24) == 0 ]]" ||
  fail "the route outlived its SIGKILLed controller by more than the lease + 1 s"
echo "route in $tag-db@$db_pid: reverted by the lease after the controller's SIGKILL"

if call apply "$(route_step "$tag-other@$(pid_of "$tag-other")")" >"$tmp/refused.log" 2>&1; then
  fail "a route in the unlabeled container was applied"
fi
grep -q "no faultline.region label" "$tmp/refused.log" || fail "refusal without its reason: $(cat "$tmp/refused.log")"
[[ $(route_in "$(pid_of "$tag-other")") == 0 ]] || fail "a route in the unlabeled container"
echo "the unlabeled container: refused"

hold "$tmp/pause.log" "$(process_step pause)"
[[ $(docker inspect -f '{{.State.Paused}}' "$tag-db") == true ]] || fail "not paused"
kill -KILL "$controller"; wait "$controller" 2>/dev/null || true
within 2 bash -c "[[ \$(docker inspect -f '{{.State.Paused}}' $tag-db) == false ]]" ||
  fail "the pause outlived its SIGKILLed controller by more than the lease + 1 s"
echo "pause of $tag-db: reverted by the lease after the controller's SIGKILL"

old=$(pid_of "$tag-db")
call apply "$(process_step restart)" >/dev/null
new=$(pid_of "$tag-db")
[[ $new != "$old" && $new != 0 ]] || fail "the restart did not give a new process ($old, $new)"
hold "$tmp/restarted.log" "$(route_step "$tag-db@$old")"
[[ $(route_in "$new") == 1 ]] || fail "a step naming the old pid $old did not land in the new namespace ($new)"
kill -TERM "$controller"; wait "$controller" 2>/dev/null || true
[[ $(route_in "$new") == 0 ]] || fail "the route stayed after its controller reverted it"
echo "after a restart ($old -> $new): a step naming the old namespace lands in the new one"

hold "$tmp/kill.log" "$(process_step kill)"
[[ $(docker inspect -f '{{.State.Running}}' "$tag-db") == false ]] || fail "not killed"
kill -KILL "$agent" "$controller"; wait "$agent" "$controller" 2>/dev/null || true
start_agent "$tmp/agent2.log"
within 10 bash -c "[[ \$(docker inspect -f '{{.State.Running}}' $tag-db) == true ]]" ||
  fail "the next agent did not start $tag-db again"
grep -q "left by an earlier agent on this node, removed: the kill of container $tag-db" "$tmp/agent2.log" ||
  fail "the next agent did not log the kill it undid"
echo "agent SIGKILLed after killing $tag-db: the next agent started it again as it started"
db_pid=$(pid_of "$tag-db")
hold "$tmp/route2.log" "$(route_step "$tag-db@$db_pid")"
kill -KILL "$agent" "$controller"; wait "$agent" "$controller" 2>/dev/null || true
[[ $(route_in "$db_pid") == 1 ]] || fail "the killed agent's route is gone already?"
start_agent "$tmp/agent3.log"
[[ $(route_in "$db_pid") == 0 ]] || fail "the next agent left the dead one's route in $tag-db"
echo "agent SIGKILLed with a route in $tag-db: the next agent removed it as it started"
# sweep (what `faultline recover` asks) looks in every labeled container:
# here a marked route left by hand.
nsenter -t "$db_pid" -n ip route add blackhole 198.18.9.0/24 proto 241
call sweep >"$tmp/sweep.json"
grep -q "198.18.9.0/24" "$tmp/sweep.json" || fail "sweep: $(cat "$tmp/sweep.json")"
[[ $(route_in "$db_pid") == 0 ]] || fail "the sweep left the route in $tag-db"
echo "sweep: the marked route in $tag-db removed"
echo "ok: the agent on docker"
