#!/usr/bin/env bash
# A user's own compose stack under faultline: tests/compose/thirdparty/
# docker-compose.yml (Debian's redis-server, a primary and two replicas,
# written with no faultline in mind) placed into three regions by
# `faultline compose-override`, brought up with the user's file unchanged,
# and redis-replicas.toml run against it with --provider compose.
#
#   tests/compose/thirdparty.sh BUILD_DIR
#
# Uses the Docker daemon that answers, or starts one in a network namespace
# of its own (scripts/dockerd.sh) and stops it at the end if nothing else
# runs on it. Builds its two images under tags of its own and removes them,
# with the stack's containers and networks; fails if any is left.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
faultline=$build/faultline
here=$root/tests/compose/thirdparty
cd "$root"
export COMPOSE_PROJECT_NAME=faultline-thirdparty
tag=override-test-$$
netinit_image=faultline/netinit:$tag
export REDIS_IMAGE=faultline-thirdparty/redis:$tag
docker=docker
[[ -x /usr/bin/docker ]] && docker=/usr/bin/docker

scratch=$(mktemp -d)
override=$scratch/override.yml
compose() { docker-compose -f "$here/docker-compose.yml" -f "$override" "$@"; }
started_dockerd=no
"$docker" info >/dev/null 2>&1 || started_dockerd=yes
scripts/dockerd.sh start
cleanup() {
  [[ -s $override ]] && compose down -v -t 1 >/dev/null 2>&1 || true
  "$docker" rmi -f "$netinit_image" "$REDIS_IMAGE" >/dev/null 2>&1 || true
  rm -rf "$scratch"
  # Another lane's containers keep the daemon it may share.
  if [[ $started_dockerd == yes && -z $("$docker" ps -aq 2>/dev/null) ]]; then
    scripts/dockerd.sh stop >/dev/null || true
  fi
}
trap cleanup EXIT
step() { echo; echo "== third-party stack: $*"; }

step "refusals, before anything is made"
refused() {
  local want=$1 out code
  shift
  set +e
  out=$("$faultline" compose-override "$@" 2>&1 >/dev/null)
  code=$?
  set -e
  echo "$out"
  [[ $code -eq 254 && $(wc -l <<<"$out") -eq 1 && $out == *"$want"* ]] ||
    { echo "FAIL: expected exit 254 and one line naming '$want', got $code" >&2; exit 1; }
}
refused "service 'redis-replica-ap' has no region" "$here/docker-compose.yml" \
  --region redis-primary=us-east-1:db --region redis-replica-eu=eu-west-1:db
refused "has no service 'redis-replica-us'" "$here/docker-compose.yml" \
  --region redis-primary=us-east-1:db --region redis-replica-us=eu-west-1:db
printf 'services:\n  web:\n    image: nginx\n    network_mode: host\n' > "$scratch/host.yml"
refused "service 'web' has network_mode: host" "$scratch/host.yml" --region web=us-east-1:app

step "images from this machine's files"
NETINIT_IMAGE=$netinit_image scripts/compose-images.sh --netinit-only "$build"
"$here/build-image.sh" "$REDIS_IMAGE"

step "the override, and the stack up with the user's file unchanged"
# Subnets of its own (198.18.41-43.0/24, WAN 198.19.40.0/24), so the
# reference stack may be up on the same daemon.
"$faultline" compose-override "$here/docker-compose.yml" --image "$netinit_image" \
  --subnet-offset 40 -o "$override" \
  --region redis-primary=us-east-1:db --region redis-replica-eu=eu-west-1:db \
  --region redis-replica-ap=ap-south-1:db
compose config -q
compose up -d 2>&1 | tail -n 1
container() { echo "${COMPOSE_PROJECT_NAME}_$1_1"; }
in_container() {
  local c=$1
  shift
  nsenter --net=/proc/"$("$docker" inspect -f '{{.State.Pid}}' "$(container "$c")")"/ns/net "$@"
}
# The replicas reach the primary by its name, through both gateways.
synced() {
  for r in redis-replica-eu redis-replica-ap; do
    [[ $(in_container "$r" redis-cli -h 127.0.0.1 info replication 2>/dev/null) == *master_link_status:up* ]] || return 1
  done
}
for _ in $(seq 150); do synced && break; sleep 0.2; done
synced || { compose logs --tail 5 >&2; echo "FAIL: the replicas never synced with the primary" >&2; exit 1; }
echo "both replicas in sync with redis-primary"
# Also on the file's own network (backend, made internal), the way out is the gateway.
default_route() { in_container redis-replica-eu ip route | awk '$1 == "default" { print $3 }'; }
[[ $(default_route) == 198.18.42.254 ]] ||
  { in_container redis-replica-eu ip route >&2; echo "FAIL: eu-west-1's default route is not its gateway" >&2; exit 1; }

step "redis-replicas.toml: a partition and the WAN on the gateways; stale local reads"
tests/e2e/run_experiment.sh "$faultline" "$here/redis-replicas.toml" 1 \
  --violated read-your-writes --violated linearizable --check "$here/partition_held.py" \
  -- --provider compose --compose-project "$COMPOSE_PROJECT_NAME"

step "a restarted container gets its route from docker again"
"$docker" restart -t 1 "$(container redis-replica-eu)" >/dev/null
[[ $(default_route) == 198.18.42.254 ]] ||
  { echo "FAIL: the restarted replica has no default route through its gateway" >&2; exit 1; }
for _ in $(seq 150); do synced && break; sleep 0.2; done
synced || { echo "FAIL: the restarted replica did not sync again" >&2; exit 1; }
echo "redis-replica-eu restarted, routed through its gateway and in sync again"

step "down: nothing of the stack left"
compose down -v -t 1 2>&1 | tail -n 1
"$docker" rmi -f "$netinit_image" "$REDIS_IMAGE" >/dev/null
left=$("$docker" ps -aq --filter "label=com.docker.compose.project=$COMPOSE_PROJECT_NAME" | wc -l)
nets=$("$docker" network ls -q --filter "name=${COMPOSE_PROJECT_NAME}_" | wc -l)
imgs=$("$docker" images -q --filter "reference=*/*:$tag" | wc -l)
echo "left: $left containers, $nets networks, $imgs images"
[[ $left -eq 0 && $nets -eq 0 && $imgs -eq 0 ]] || { echo "FAIL: the stack left resources behind" >&2; exit 1; }
# (run_experiment.sh checked that the run left no journal entry, namespace or process.)
echo; echo "third-party stack: ok"
