#!/usr/bin/env bash
# The swarm lane: three Docker daemons in network namespaces of their own,
# joined into a swarm, the reference stack deployed across them one region a
# node (scripts/swarm.sh), a faultline-agent started by hand in each node's
# namespace, and faultline's swarm provider against them from a controller
# namespace on the nodes' switch, end to end:
#
#   tests/swarm/swarm_lane.sh BUILD_DIR
#
# split-brain and slow-db as the compose lane runs them (the experiment files
# unchanged, --provider swarm); the controller SIGKILLed mid-partition, after
# which the agents revert within the lease with no `recover`; an agent
# SIGKILLed mid-partition, after which `faultline recover --provider swarm`
# (once the agent is back) cleans its node; unauthenticated clients refused
# at the handshake; the swarm taken down and nothing left. Fails on the first
# step that goes wrong.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
faultline=$build/faultline
agent_bin=$build/faultline-agent
cd "$root"
docker=docker
[[ -x /usr/bin/docker ]] && docker=/usr/bin/docker
lane_start=$(date +%s)
state=/run/faultline-swarm
manager=$state/node1/docker.sock
lease_ms=3000
scratch=$(mktemp -d)
certs=$scratch/certs
agent_pids=(0 0 0 0)

[[ -d $state ]] && { echo "FAIL: a swarm is up already ($state); scripts/swarm.sh stop first" >&2; exit 1; }
stop_agent() { local n=$1; [[ ${agent_pids[$n]} -gt 0 ]] && { kill -KILL "${agent_pids[$n]}" 2>/dev/null || true; wait "${agent_pids[$n]}" 2>/dev/null || true; }; agent_pids[$n]=0; }
cleanup() {
  for n in 1 2 3; do stop_agent "$n"; done
  scripts/swarm.sh stop >/dev/null 2>&1 || true
  rm -rf "$scratch"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; for n in 1 2 3; do echo "--- agent $n" >&2; tail -n 5 "$scratch/agent$n.log" >&2 || true; done; exit 1; }
step() { echo; echo "== swarm lane ($(( $(date +%s) - lane_start )) s): $*"; }
# The controller runs where the agents are reachable: a namespace on the switch.
ctl() { nsenter --net=/run/netns/fl-swarm-ctl "$@"; }
runs=$scratch/runs  # the lane's own journals: other runs on this machine are not its business
swarm_args=(--provider swarm --docker-socket "$manager" --agent-certs "$certs" --agent-lease "$lease_ms" --state-dir "$runs")

step "swarm up"
scripts/swarm.sh start "$build"
# Each node on the WAN overlay and its region's: their vxlan devices, in the
# node's own network sandboxes (scripts/swarm.sh status shows them).
scripts/swarm.sh status | grep vxlan
for n in 1 2 3; do
  vx=$(scripts/swarm.sh status | grep "^node$n vxlan:" | grep -o 'vxlan id' | wc -l)
  [[ $vx -ge 2 ]] || fail "node $n has $vx vxlan devices, expected the WAN's and its region's"
done

start_agent() {  # node number, log
  local n=$1 log=$2
  nsenter --net=/run/netns/fl-swarm-node"$n" "$agent_bin" --listen 198.19.250."$n":7443 \
    --ca "$certs/ca.pem" --cert "$certs/agent-fl-swarm-node$n.pem" \
    --key "$certs/agent-fl-swarm-node$n-key.pem" --docker "unix://$state/node$n/docker.sock" \
    --node fl-swarm-node"$n" --state "$scratch/agent-state$n" >>"$log" 2>&1 </dev/null &
  agent_pids[$n]=$!
  for _ in $(seq 100); do grep -q "listening on" "$log" && return; sleep 0.05; done
  fail "the agent of node $n did not start"
}
step "certificates and an agent in each node's namespace"
"$faultline" certs "$certs" --agent fl-swarm-node1=198.19.250.1 --agent fl-swarm-node2=198.19.250.2 \
  --agent fl-swarm-node3=198.19.250.3 >/dev/null
for n in 1 2 3; do start_agent "$n" "$scratch/agent$n.log"; done

step "split-brain across the swarm"
ctl tests/e2e/run_experiment.sh "$faultline" experiments/split-brain.toml 0 -- "${swarm_args[@]}"

step "slow-db across the swarm: eu-west-1 slowed inside the window only"
results=$scratch/slow-db
mkdir -p "$results"
ctl "$faultline" run "${swarm_args[@]}" --results "$results" experiments/slow-db.toml >"$scratch/slow-db.log" 2>&1 ||
  { tail -n 20 "$scratch/slow-db.log" >&2; fail "slow-db did not pass"; }
run_dir=$(find "$results" -mindepth 1 -maxdepth 1 -type d | head -n 1)
read -r eu_in eu_in_ms eu_out eu_out_ms < <(python3 tests/compose/latency_in_window.py "$run_dir" eu-west-1 slow-db | tr '=' ' ' | awk '{print $2, $3, $5, $6}')
read -r us_in us_in_ms _ _ < <(python3 tests/compose/latency_in_window.py "$run_dir" us-east-1 slow-db | tr '=' ' ' | awk '{print $2, $3, $5, $6}')
echo "eu-west-1: $eu_in operations inside the window, median ${eu_in_ms} ms; $eu_out outside, ${eu_out_ms} ms; us-east-1 inside: ${us_in_ms} ms"
awk -v a="$eu_in_ms" -v b="$eu_out_ms" -v c="$us_in_ms" -v n="$eu_in" \
  'BEGIN { exit !(n >= 5 && a >= 250 && b < 100 && c < 100) }' || fail "slow-db did not slow eu-west-1's database alone"
# Nothing of it stays once the run has ended: the agents drop the nf_tables
# table the NFQUEUE engine made in each database's namespace with the run.
for n in 1 2 3; do
  for id in $(DOCKER_HOST=unix://$state/node$n/docker.sock "$docker" ps -q --filter label=faultline.host=db); do
    pid=$(DOCKER_HOST=unix://$state/node$n/docker.sock "$docker" inspect -f '{{.State.Pid}}' "$id")
    if nsenter --net=/proc/"$pid"/ns/net nft list tables 2>/dev/null | grep -qw faultline; then
      fail "slow-db's nf_tables table is still in node$n's database after the run"
    fi
  done
done

# The fault routes faultline left in a region's gateway (proto 241), read in
# the task's namespace on its node.
gateway_pid() {
  local n=$1 id
  id=$(DOCKER_HOST=unix://$state/node$n/docker.sock "$docker" ps -q --filter label=faultline.host=gateway)
  DOCKER_HOST=unix://$state/node$n/docker.sock "$docker" inspect -f '{{.State.Pid}}' "$id"
}
fault_routes() { nsenter --net=/proc/"$(gateway_pid "$1")"/ns/net ip route show proto 241 | wc -l; }
start_run() {  # log; starts split-brain, waits for its partition
  # nsenter execs faultline: $! is the controller itself.
  nsenter --net=/run/netns/fl-swarm-ctl "$faultline" run "${swarm_args[@]}" --results "$scratch" \
    experiments/split-brain.toml >"$1" 2>&1 &
  run_pid=$!
  for _ in $(seq 300); do grep -q "fault 0 started" "$1" && return; sleep 0.1; done
  cat "$1" >&2
  fail "never saw the partition start"
}

step "the controller SIGKILLed mid-partition: the agents revert within the lease, no recover"
start_run "$scratch/run1.log"
for n in 1 2 3; do [[ $(fault_routes "$n") -gt 0 ]] || fail "no partition route on node $n's gateway"; done
kill -KILL "$run_pid"; wait "$run_pid" 2>/dev/null || true
killed=$(date +%s%N)
gone=""
for _ in $(seq 800); do
  left=0
  for n in 1 2 3; do left=$((left + $(fault_routes "$n"))); done
  [[ $left -eq 0 ]] && { gone=$(date +%s%N); break; }
  sleep 0.01
done
[[ -n $gone ]] || fail "partition routes still on the gateways 8 s after the controller died"
after_ms=$(( (gone - killed) / 1000000 ))
echo "every node's partition routes gone $after_ms ms after the SIGKILL (lease $lease_ms ms)"
(( after_ms <= lease_ms + 1500 )) || fail "reverted after $after_ms ms, more than the lease + 1.5 s"
for n in 1 2 3; do grep -q "lease expired" "$scratch/agent$n.log" || fail "agent $n did not log the expiry"; done
"$faultline" recover --state-dir "$runs" >/dev/null  # the dead run's journal entry; its faults are gone already

step "an agent SIGKILLed mid-partition: its node keeps the fault until recover --provider swarm"
start_run "$scratch/run2.log"
stop_agent 1
kill -KILL "$run_pid"; wait "$run_pid" 2>/dev/null || true
sleep "$(awk -v l="$lease_ms" 'BEGIN { print l / 1000 + 1.5 }')"
left1=$(fault_routes 1) left2=$(fault_routes 2) left3=$(fault_routes 3)
echo "after the lease: $left1 fault routes on node 1 (agent dead), $left2 on node 2, $left3 on node 3"
[[ $left1 -gt 0 ]] || fail "node 1's routes went without its agent (was the fault there?)"
[[ $left2 -eq 0 && $left3 -eq 0 ]] || fail "the live agents did not revert at the lease's end"
start_agent 1 "$scratch/agent1.log"
ctl "$faultline" recover --state-dir "$runs" --provider swarm --docker-socket "$manager" \
  --agent-certs "$certs" | tee "$scratch/recover.log"
[[ $(fault_routes 1) -eq 0 ]] || fail "recover --provider swarm left fault routes on node 1"
grep -q "node fl-swarm-node1: removed" "$scratch/recover.log" || fail "recover did not report what it removed on node 1"
[[ -z $(ls "$runs/runs" 2>/dev/null | grep -v '\.lock$' || true) ]] || fail "journal entries left: $(ls "$runs/runs")"

step "unauthenticated clients refused at the handshake"
refusals() { cat "$scratch"/agent[123].log | grep -c "\] refused " || true; }
refused_before=$(refusals)
if ctl timeout 5 openssl s_client -connect 198.19.250.2:7443 -tls1_3 -quiet </dev/null \
     >"$scratch/s_client.log" 2>&1 && grep -q '"node"' "$scratch/s_client.log"; then
  fail "a client without a certificate was served"
fi
"$faultline" certs "$scratch/other" --agent fl-swarm-node2 >/dev/null
if ctl "$faultline" agent-call 198.19.250.2:7443 --certs "$scratch/other" inventory >"$scratch/foreign.log" 2>&1; then
  fail "a controller of another CA was served"
fi
if ctl "$faultline" run --provider swarm --docker-socket "$manager" --agent-certs "$scratch/other" \
     --state-dir "$runs" --results "$scratch" experiments/split-brain.toml \
     >"$scratch/foreign-run.log" 2>&1; then
  fail "a run with another CA's certificates went ahead"
fi
sleep 0.3
refused=$(( $(refusals) - refused_before ))
echo "the agents refused $refused unauthenticated connections"
(( refused >= 3 )) || fail "$refused refusals logged by the agents, expected at least 3"
grep -q "fl-swarm-node" "$scratch/foreign-run.log" || fail "the refused run did not name the node: $(tail -n 2 "$scratch/foreign-run.log")"

step "what the swarm provider cannot do yet, refused before anything is touched"
for refused in "experiments/bug-lww-wall-clock.toml:clock-skew faults need services" \
               "experiments/postgres-failover-async.toml:command faults run a program"; do
  file=${refused%%:*} why=${refused#*:}
  code=0
  ctl "$faultline" run "${swarm_args[@]}" --results "$scratch" "$file" >"$scratch/refused.log" 2>&1 || code=$?
  [[ $code -eq 254 ]] || fail "$file with --provider swarm: exit $code, expected 254"
  grep -q "$why" "$scratch/refused.log" || fail "$file: $(cat "$scratch/refused.log")"
  echo "$file: refused, exit 254: $(head -c 100 "$scratch/refused.log")..."
done

step "the stack still serves after all that: split-brain again"
ctl tests/e2e/run_experiment.sh "$faultline" experiments/split-brain.toml 0 -- "${swarm_args[@]}"

step "swarm down, nothing left"
for n in 1 2 3; do stop_agent "$n"; done
scripts/swarm.sh stop
if ip netns list | grep -q fl-swarm; then fail "namespaces left: $(ip netns list | grep fl-swarm)"; fi
if pgrep -f "$state" >/dev/null; then fail "processes of the swarm left: $(pgrep -af "$state")"; fi
[[ ! -e $state && ! -e /var/lib/faultline-swarm ]] || fail "the swarm's state or data left"
echo; echo "swarm lane: ok in $(( $(date +%s) - lane_start )) s"
