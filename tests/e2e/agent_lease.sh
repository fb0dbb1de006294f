#!/usr/bin/env bash
# The agent on its own, without docker: three named namespaces, the agent in
# A listening on its 198.18 address, a controller (`faultline agent-call
# apply --hold`, a RemoteActuator) in B. A blackhole route from A to C's
# network goes in through the agent and stays while the controller renews
# its lease; once the controller is SIGKILLed, the agent reverts it within
# the lease + 1 s and logs it. Clients without the controller's certificate
# are refused at the handshake. An agent SIGKILLed mid-fault leaves the
# route, and the next agent removes it as it starts; sweep removes marked
# faults in the namespaces the agent acted in.
#
#   agent_lease.sh FAULTLINE FAULTLINE-AGENT
set -euo pipefail
command -v busybox >/dev/null || { echo "FAIL: busybox (busybox-static) is needed for ping" >&2; exit 1; }
faultline=$1 agent_bin=$2
tmp=$(mktemp -d)
p=flagent-$$
a=$p-a b=$p-b c=$p-c
v=fla$$  # interface names: 15 characters at most
lease_ms=1000
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  for ns in $a $b $c; do ip netns del "$ns" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; echo "--- agent log" >&2; cat "$tmp"/agent*.log >&2 || true; exit 1; }

for ns in $a $b $c; do ip netns add "$ns"; ip -n "$ns" link set lo up; done
ip link add "${v}ab" netns "$a" type veth peer name "${v}ba" netns "$b"
ip link add "${v}ac" netns "$a" type veth peer name "${v}ca" netns "$c"
ip -n "$a" addr add 198.18.250.1/24 dev "${v}ab"; ip -n "$b" addr add 198.18.250.2/24 dev "${v}ba"
ip -n "$a" addr add 198.18.251.1/24 dev "${v}ac"; ip -n "$c" addr add 198.18.251.2/24 dev "${v}ca"
for l in "$a ${v}ab" "$b ${v}ba" "$a ${v}ac" "$c ${v}ca"; do set -- $l; ip -n "$1" link set "$2" up; done

"$faultline" certs "$tmp/certs" --agent n1=198.18.250.1 >/dev/null
"$faultline" certs "$tmp/other" --agent n1 >/dev/null

start_agent() {  # log file
  ip netns exec "$a" "$agent_bin" --listen 198.18.250.1:7443 --ca "$tmp/certs/ca.pem" \
    --cert "$tmp/certs/agent-n1.pem" --key "$tmp/certs/agent-n1-key.pem" --docker none \
    --node n1 --state "$tmp/state" --undo-left-behind --netns-prefix "$p" >"$1" 2>&1 &
  agent=$!
  pids+=("$agent")
  for _ in $(seq 100); do grep -q "listening on" "$1" && return; sleep 0.05; done
  fail "the agent did not start"
}
start_agent "$tmp/agent.log"

# Never on every interface unless asked.
if "$agent_bin" --listen 0.0.0.0:7443 --ca "$tmp/certs/ca.pem" --cert "$tmp/certs/agent-n1.pem" \
  --key "$tmp/certs/agent-n1-key.pem" 2>"$tmp/wild.err"; then fail "the agent listened on 0.0.0.0"; fi
grep -q "every interface" "$tmp/wild.err" || fail "no reason given for refusing 0.0.0.0: $(cat "$tmp/wild.err")"

ip netns exec "$a" busybox ping -c 1 -W 1 198.18.251.2 >/dev/null 2>&1 || fail "A cannot reach C before the fault"

step='{"kind":"route","netns":"'$a'","route":{"destination":"198.18.251.2/32","type":"blackhole","metric":0,"protocol":241}}'
ip netns exec "$b" "$faultline" agent-call 198.18.250.1:7443 --certs "$tmp/certs" apply "$step" \
  --lease $lease_ms --run lease-test --hold >"$tmp/controller.log" 2>&1 &
controller=$!
pids+=("$controller")
for _ in $(seq 100); do grep -qs "^applied" "$tmp/controller.log" && break; sleep 0.05; done
grep -qs "^applied" "$tmp/controller.log" || { cat "$tmp/controller.log" >&2; fail "the step was not applied"; }
ip -n "$a" route show type blackhole | grep -q 198.18.251.2 || fail "no blackhole route in A"
if ip netns exec "$a" busybox ping -c 1 -W 1 198.18.251.2 >/dev/null 2>&1; then fail "A still reaches C"; fi
# Three leases later the renewals have kept it.
sleep 3
ip -n "$a" route show type blackhole | grep -q 198.18.251.2 || fail "the route went while the controller renewed its lease"

kill -KILL "$controller"; wait "$controller" 2>/dev/null || true
killed=$(date +%s%N)
gone=""
for _ in $(seq 400); do
  if ! ip -n "$a" route show type blackhole | grep -q 198.18.251.2; then gone=$(date +%s%N); break; fi
  sleep 0.01
done
[[ -n $gone ]] || fail "the route is still there 4 s after the controller died"
after_ms=$(( (gone - killed) / 1000000 ))
echo "controller SIGKILLed: the agent reverted its route after $after_ms ms (lease $lease_ms ms)"
(( after_ms <= lease_ms + 1000 )) || fail "reverted after $after_ms ms, more than the lease + 1 s"
grep -q "run lease-test: lease expired" "$tmp/agent.log" || fail "the agent did not log the expiry"
grep -q "reverted route blackhole 198.18.251.2" "$tmp/agent.log" || fail "the agent did not log what it reverted"
ip netns exec "$a" busybox ping -c 1 -W 1 198.18.251.2 >/dev/null 2>&1 || fail "A cannot reach C after the revert"

# Shaping through the agent, served by the NFQUEUE engine (this kernel may
# lack sch_netem): 300 ms more on what A sends to C, gone with the controller.
rtt() { ip netns exec "$a" busybox ping -c 1 -W 3 198.18.251.2 2>/dev/null | sed -n 's/.*time=\([0-9.]*\) ms.*/\1/p'; }
shape='{"kind":"shape","netns":"'$a'","dev":"'${v}ac'","band":0,"netem":{"delay_us":300000,"jitter_us":0,"delay_correlation":0,"distribution":"","loss":0,"loss_correlation":0,"duplicate":0,"reorder":0,"reorder_correlation":0,"corrupt":0,"limit":10000},"matches":[{"family":2,"protocol":0,"dst":"198.18.251.2/32"}]}'
ip netns exec "$b" "$faultline" agent-call 198.18.250.1:7443 --certs "$tmp/certs" apply "$shape" \
  --engine nfqueue --lease $lease_ms --run shape-test --hold >"$tmp/shape.log" 2>&1 &
shaper=$!
pids+=("$shaper")
for _ in $(seq 100); do grep -qs "^applied" "$tmp/shape.log" && break; sleep 0.05; done
grep -qs "^applied" "$tmp/shape.log" || { cat "$tmp/shape.log" >&2; fail "the shape step was not applied"; }
slow=$(rtt)
kill -KILL "$shaper"; wait "$shaper" 2>/dev/null || true
sleep $(( lease_ms / 1000 + 1 ))
fast=$(rtt)
echo "shaping through the agent (NFQUEUE engine): ping A->C ${slow:-lost} ms with it, ${fast:-lost} ms after its controller's SIGKILL"
[[ -n $slow && ${slow%.*} -ge 300 ]] || fail "no 300 ms delay through the agent (rtt ${slow:-lost})"
[[ -n $fast && ${fast%.*} -lt 100 ]] || fail "the delay outlived its controller (rtt ${fast:-lost})"
if ip netns exec "$a" nft list tables 2>/dev/null | grep -q faultline; then fail "the run's nf_tables table stayed"; fi

# Refused at the handshake: no certificate, a controller certificate of
# another CA, and an agent's certificate presented as the controller's.
refusals_before=$(grep -c "\] refused " "$tmp/agent.log" || true)
if ip netns exec "$b" timeout 5 openssl s_client -connect 198.18.250.1:7443 -tls1_3 -quiet \
     </dev/null >"$tmp/s_client.log" 2>&1 && grep -q '"node"' "$tmp/s_client.log"; then
  fail "a client without a certificate was served"
fi
mkdir -p "$tmp/foreign" "$tmp/agent-as-controller"
cp "$tmp/certs/ca.pem" "$tmp/foreign/"; cp "$tmp/other/controller.pem" "$tmp/other/controller-key.pem" "$tmp/foreign/"
cp "$tmp/certs/ca.pem" "$tmp/agent-as-controller/"
cp "$tmp/certs/agent-n1.pem" "$tmp/agent-as-controller/controller.pem"
cp "$tmp/certs/agent-n1-key.pem" "$tmp/agent-as-controller/controller-key.pem"
for certs in foreign agent-as-controller; do
  if ip netns exec "$b" "$faultline" agent-call 198.18.250.1:7443 --certs "$tmp/$certs" inventory \
       >"$tmp/$certs.log" 2>&1; then fail "a controller with the $certs certificate was served"; fi
done
sleep 0.3
refusals=$(( $(grep -c "\] refused " "$tmp/agent.log") - refusals_before ))
echo "unauthenticated clients: $refusals refused at the handshake"
(( refusals == 3 )) || fail "$refusals refusals logged, expected 3"
grep -q "peer did not return a certificate" "$tmp/agent.log" || fail "no log of the client without a certificate"

# The agent SIGKILLed mid-fault: the route stays, and the next agent on the
# node removes it as it starts (the dead agent's leases died with it).
ip netns exec "$b" "$faultline" agent-call 198.18.250.1:7443 --certs "$tmp/certs" apply "$step" \
  --lease $lease_ms --run sweep-test --hold >"$tmp/controller2.log" 2>&1 &
pids+=("$!")
for _ in $(seq 100); do grep -qs "^applied" "$tmp/controller2.log" && break; sleep 0.05; done
grep -qs "^applied" "$tmp/controller2.log" || fail "the second step was not applied"
kill -KILL "$agent"; wait "$agent" 2>/dev/null || true
sleep 0.3
ip -n "$a" route show type blackhole | grep -q 198.18.251.2 || fail "the killed agent's route is gone already?"
start_agent "$tmp/agent2.log"
if ip -n "$a" route show type blackhole | grep -q 198.18.251.2; then fail "the new agent left the dead one's route"; fi
grep -q "left by an earlier agent on this node, removed: route blackhole 198.18.251.2" "$tmp/agent2.log" ||
  fail "the new agent did not log what it removed"
echo "agent SIGKILLed mid-fault: the next agent removed its route as it started"

# sweep (what `faultline recover` asks): everything with faultline's marks in
# the namespaces the agent acted in, here a marked route left by hand.
ip netns exec "$b" "$faultline" agent-call 198.18.250.1:7443 --certs "$tmp/certs" apply "$step" >/dev/null 2>&1 ||
  fail "a step applied and reverted at once failed"
ip -n "$a" route add blackhole 198.18.251.3/32 proto 241
ip netns exec "$b" "$faultline" agent-call 198.18.250.1:7443 --certs "$tmp/certs" sweep >"$tmp/sweep.json"
grep -q "198.18.251.3" "$tmp/sweep.json" || { cat "$tmp/sweep.json" >&2; fail "the sweep did not report the route"; }
if ip -n "$a" route show type blackhole | grep -q 198.18.251.3; then fail "the sweep left the route"; fi
echo "sweep: removed $(grep -c 198.18 "$tmp/sweep.json") marked fault(s)"
echo "ok: lease, refusals and sweep as they should be"
