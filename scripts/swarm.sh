#!/usr/bin/env bash
# A three-node Docker Swarm on one machine, for the swarm lane: three Docker
# daemons, each in a network namespace of its own, joined into a swarm, with
# the reference stack (targets/swarm/stack.yml) deployed across them, one
# region a node.
#
#   scripts/swarm.sh start [BUILD_DIR]   # BUILD_DIR: where compose-images.sh finds the programs
#   scripts/swarm.sh stop                # removes daemons, namespaces, data and state
#   scripts/swarm.sh status
#
# Layout (all of it in namespaces this script creates; the root namespace is
# never touched):
#
#   fl-swarm-switch   a bridge, the nodes' "physical" network 198.19.250.0/24
#   fl-swarm-nodeN    eth0 198.19.250.N, a dockerd with its own data root,
#                     exec root, socket (/run/faultline-swarm/nodeN/docker.sock),
#                     iptables rules and hostname fl-swarm-nodeN
#   fl-swarm-ctl      eth0 198.19.250.100: where a controller runs to reach
#                     the nodes' agents (nsenter --net=/run/netns/fl-swarm-ctl)
#
# node1 is the manager. Docker's own networks (docker_gwbridge, the overlays'
# default pool) are drawn from 198.19.128.0/17, so nothing leaves the test
# ranges. The overlays of the stack (faultline-wan and one a region) are
# created here with the stack's subnets; swarm cannot give a task a fixed
# address, so it hands out addresses from the top half of each subnet and
# faultline-netinit adds the region's fixed one (the compose stack's
# addresses) to the task's interface.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
state=/run/faultline-swarm
data=/var/lib/faultline-swarm
stack=faultline
nodes=(1 2 3)
regions=(us-east-1 eu-west-1 ap-south-1)  # region i on node i
docker=docker
[[ -x /usr/bin/docker ]] && docker=/usr/bin/docker  # Debian's client matches Debian's daemon

dk() { local n=$1; shift; DOCKER_HOST=unix://$state/node$n/docker.sock "$docker" "$@"; }
node_addr() { echo "198.19.250.$1"; }
answers() { dk "$1" info >/dev/null 2>&1; }
# "vxlan id 4097" for each overlay the node has joined.
vxlans() {
  local dir=$state/node$1
  nsenter -t "$(cat "$dir/dockerd.pid")" -m sh -c "for ns in $dir/exec/netns/*-*; do
    nsenter --net=\$ns ip -d -o link show type vxlan 2>/dev/null; done" | grep -o 'vxlan id [0-9]*' | sort -u
}

start_node() {
  local n=$1 dir=$state/node$1
  mkdir -p "$dir" "$data/node$n"
  ip netns add "fl-swarm-node$n"
  ip link add "sw-n$n" netns fl-swarm-switch type veth peer name eth0 netns "fl-swarm-node$n"
  ip -n fl-swarm-switch link set "sw-n$n" master br0 up
  ip -n "fl-swarm-node$n" addr add "$(node_addr "$n")/24" dev eth0
  ip -n "fl-swarm-node$n" link set eth0 up
  ip -n "fl-swarm-node$n" link set lo up
  echo '{}' > "$dir/daemon.json"
  # Inside: a mount namespace of its own (a sysfs that shows this namespace's
  # links; the cgroup mounts kept across it, as dockerd.sh does), a hostname
  # of its own (the swarm's node name), then dockerd.
  cat > "$dir/inside.sh" <<INSIDE
set -e
mount --make-rslave /
mkdir -p $dir/cgroup
mount --rbind /sys/fs/cgroup $dir/cgroup
mount -t sysfs sysfs /sys
mount --move $dir/cgroup /sys/fs/cgroup
hostname fl-swarm-node$n
exec dockerd --config-file $dir/daemon.json --host unix://$dir/docker.sock \\
  --data-root $data/node$n --exec-root $dir/exec --pidfile $dir/dockerd.pid \\
  --cgroup-parent /faultline-swarm-node$n \\
  --default-address-pool base=198.19.$((128 + 16 * n)).0/20,size=24
INSIDE
  setsid nsenter --net=/run/netns/fl-swarm-node$n unshare --mount --uts --fork --kill-child \
    bash "$dir/inside.sh" >"$dir/dockerd.log" 2>&1 </dev/null &
  echo $! > "$dir/unshare.pid"
}

wait_node() {
  local n=$1
  for _ in $(seq 150); do answers "$n" && return 0; sleep 0.2; done
  echo "swarm: node$n's dockerd did not answer within 30 s; see $state/node$n/dockerd.log" >&2
  tail -n 5 "$state/node$n/dockerd.log" >&2
  return 1
}

# Waits until every task of the stack runs (or one fails: then says which).
wait_stack() {
  local want have
  want=$(dk 1 stack services "$stack" -q | wc -l)
  for _ in $(seq 240); do
    have=$(dk 1 stack ps "$stack" --filter desired-state=running --format '{{.CurrentState}}' | grep -c '^Running' || true)
    [[ $have -eq $want ]] && return 0
    if dk 1 stack ps "$stack" --format '{{.Name}} {{.CurrentState}} {{.Error}}' | grep -E 'Failed|Rejected' | head -n 3 >&2; then
      echo "swarm: a task of the stack failed (above); see docker service logs on $state/node1/docker.sock" >&2
      return 1
    fi
    sleep 0.5
  done
  echo "swarm: $have of $want tasks running after 120 s" >&2
  dk 1 stack ps "$stack" --no-trunc >&2
  return 1
}

stop_all() {
  for n in "${nodes[@]}"; do
    local dir=$state/node$n pid
    [[ -d $dir ]] || continue
    pid=$(cat "$dir/dockerd.pid" 2>/dev/null || true)
    [[ -n $pid ]] && kill "$pid" 2>/dev/null || true
  done
  for n in "${nodes[@]}"; do
    local dir=$state/node$n upid
    [[ -f $dir/unshare.pid ]] || continue
    upid=$(cat "$dir/unshare.pid")
    for _ in $(seq 150); do kill -0 "$upid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$upid" 2>/dev/null || true
  done
  # The containers' shims and processes die with their daemon's containerd;
  # what is left in a node's cgroups is killed here.
  for n in "${nodes[@]}"; do
    for cg in /sys/fs/cgroup/*/faultline-swarm-node$n; do
      [[ -d $cg ]] || continue
      find "$cg" -name cgroup.procs -exec cat {} + 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
      find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null || true
    done
  done
  for n in "${nodes[@]}"; do ip netns del "fl-swarm-node$n" 2>/dev/null || true; done
  ip netns del fl-swarm-ctl 2>/dev/null || true
  ip netns del fl-swarm-switch 2>/dev/null || true
  # Mounts a dockerd left under its data or exec root (overlay2, netns bind mounts).
  grep -E " ($data|$state)/" /proc/mounts | awk '{print $2}' | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  rm -rf "$state" "$data"
}

case ${1:-} in
start)
  build=${2:-$root/build}
  t0=$(date +%s.%N)
  command -v dockerd >/dev/null || {
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >/dev/null
    docker=/usr/bin/docker
  }
  if [[ -d $state ]]; then echo "swarm: already started ($state); stop it first" >&2; exit 1; fi
  trap 'echo "swarm: start failed; cleaning up" >&2; stop_all' ERR
  mkdir -p "$state"
  ip netns add fl-swarm-switch
  ip -n fl-swarm-switch link add br0 type bridge
  ip -n fl-swarm-switch link set br0 up
  for n in "${nodes[@]}"; do start_node "$n"; done
  ip netns add fl-swarm-ctl
  ip link add sw-ctl netns fl-swarm-switch type veth peer name eth0 netns fl-swarm-ctl
  ip -n fl-swarm-switch link set sw-ctl master br0 up
  ip -n fl-swarm-ctl addr add 198.19.250.100/24 dev eth0
  ip -n fl-swarm-ctl link set eth0 up
  ip -n fl-swarm-ctl link set lo up
  for n in "${nodes[@]}"; do wait_node "$n"; done
  t_daemons=$(date +%s.%N)

  dk 1 swarm init --advertise-addr "$(node_addr 1)" --listen-addr "$(node_addr 1):2377" \
    --default-addr-pool 198.19.192.0/19 >/dev/null
  token=$(dk 1 swarm join-token -q worker)
  for n in 2 3; do
    dk "$n" swarm join --token "$token" --advertise-addr "$(node_addr "$n")" \
      --listen-addr "$(node_addr "$n"):2377" "$(node_addr 1):2377" >/dev/null
  done
  for i in 0 1 2; do
    n=${nodes[$i]}
    id=$(dk "$n" info --format '{{.Swarm.NodeID}}')
    dk 1 node update --label-add faultline.region="${regions[$i]}" "$id" >/dev/null
  done
  t_swarm=$(date +%s.%N)

  # The image, built once on node1 and copied to the others.
  DOCKER_HOST=unix://$state/node1/docker.sock DOCKER=$docker "$root/scripts/compose-images.sh" "$build"
  for n in 2 3; do dk 1 save faultline/reference:dev | dk "$n" load -q >/dev/null; done
  t_image=$(date +%s.%N)

  # The overlays: fixed addresses below .128 are the stack's (netinit), swarm's above.
  dk 1 network create -d overlay --subnet 198.19.0.0/24 --ip-range 198.19.0.128/25 \
    --gateway 198.19.0.254 faultline-wan >/dev/null
  for i in 0 1 2; do
    dk 1 network create -d overlay --subnet "198.18.$((i + 1)).0/24" \
      --ip-range "198.18.$((i + 1)).128/25" --gateway "198.18.$((i + 1)).254" \
      "faultline-${regions[$i]}" >/dev/null
  done
  dk 1 stack deploy --prune -c "$root/targets/swarm/stack.yml" "$stack" >/dev/null
  wait_stack
  t_stack=$(date +%s.%N)
  trap - ERR
  awk -v a="$t0" -v b="$t_daemons" -v c="$t_swarm" -v d="$t_image" -v e="$t_stack" 'BEGIN {
    printf "swarm: up in %.1f s (daemons %.1f s, swarm %.1f s, image %.1f s, stack %.1f s)\n",
      e - a, b - a, c - b, d - c, e - d }'
  echo "swarm: manager socket $state/node1/docker.sock; nodes $(node_addr 1) $(node_addr 2) $(node_addr 3)"
  ;;
stop)
  [[ -d $state ]] || ip netns list | grep -q fl-swarm || { echo "swarm: none started by this script"; exit 0; }
  stop_all
  echo "swarm: stopped"
  ;;
status)
  [[ -d $state ]] || { echo "swarm: not started"; exit 1; }
  for n in "${nodes[@]}"; do
    if answers "$n"; then echo "node$n ($(node_addr "$n")): $(dk "$n" info --format '{{.Swarm.LocalNodeState}} {{.Containers}} containers')"
    else echo "node$n: dockerd does not answer"; fi
  done
  # The overlays' vxlan devices live in docker's network sandboxes, bind
  # mounted under each daemon's exec root in the daemon's mount namespace.
  for n in "${nodes[@]}"; do
    echo "node$n vxlan: $(vxlans "$n" | tr '\n' ' ')"
  done
  dk 1 node ls 2>/dev/null || true
  dk 1 stack ps "$stack" --format '{{.Name}} {{.Node}} {{.CurrentState}}' 2>/dev/null || true
  ;;
*)
  echo "usage: scripts/swarm.sh start [BUILD_DIR]|stop|status" >&2
  exit 2
  ;;
esac
