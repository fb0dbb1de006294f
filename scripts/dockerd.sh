#!/usr/bin/env bash
# A Docker daemon for the compose stack, in a network namespace of its own.
#
#   scripts/dockerd.sh start    # installs docker.io and docker-compose if missing
#   scripts/dockerd.sh stop
#
# When a daemon already answers on /var/run/docker.sock (a desktop, a CI
# service), start uses it and stop leaves it alone. Otherwise start runs
# Debian's dockerd under `unshare --net --mount`: its bridges, veths and
# iptables rules live in that namespace and vanish with it, so the machine's
# own network (the root namespace) is never touched. Containers are reached
# through their own namespaces (/proc/PID/ns/net), which is how faultline
# enters them anyway.
set -euo pipefail
state=/run/faultline-dockerd
docker=docker
[[ -x /usr/bin/docker ]] && docker=/usr/bin/docker

answers() { "$docker" info >/dev/null 2>&1; }

case ${1:-} in
start)
  if ! command -v dockerd >/dev/null || ! command -v docker-compose >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io docker-compose >/dev/null
    docker=/usr/bin/docker
  fi
  if answers; then
    echo "dockerd: a daemon already answers; using it"
    exit 0
  fi
  mkdir -p "$state"
  # Inside: keep the cgroup mounts across a fresh sysfs (which shows the new
  # namespace's links), bring up loopback, become dockerd.
  cat > "$state/inside.sh" <<'INSIDE'
set -e
mount --make-rslave /
mkdir -p /run/faultline-dockerd/cgroup
mount --rbind /sys/fs/cgroup /run/faultline-dockerd/cgroup
mount -t sysfs sysfs /sys
mount --move /run/faultline-dockerd/cgroup /sys/fs/cgroup
ip link set lo up
exec dockerd --host unix:///var/run/docker.sock --pidfile /run/faultline-dockerd/dockerd.pid
INSIDE
  setsid unshare --net --mount --fork --kill-child bash "$state/inside.sh" >"$state/dockerd.log" 2>&1 </dev/null &
  echo $! > "$state/unshare.pid"
  for _ in $(seq 100); do
    answers && { echo "dockerd: started in its own network namespace (log: $state/dockerd.log)"; exit 0; }
    sleep 0.2
  done
  echo "dockerd: the daemon did not answer within 20 s; see $state/dockerd.log" >&2
  tail -n 5 "$state/dockerd.log" >&2
  exit 1
  ;;
stop)
  [[ -f $state/unshare.pid ]] || { echo "dockerd: none started by this script"; exit 0; }
  pid=$(cat "$state/dockerd.pid" 2>/dev/null || true)
  [[ -n $pid ]] && kill "$pid" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$(cat "$state/unshare.pid")" 2>/dev/null || break; sleep 0.2; done
  kill "$(cat "$state/unshare.pid")" 2>/dev/null || true
  rm -rf "$state"
  echo "dockerd: stopped"
  ;;
*)
  echo "usage: scripts/dockerd.sh start|stop" >&2
  exit 2
  ;;
esac
