#!/usr/bin/env bash
# Builds the compose stack's image, faultline/reference:dev, from this
# machine's build output: no base image, no registry. The image holds the
# reference store's programs (faultline-kv, faultline-router,
# faultline-postgres with PostgreSQL), faultline-netinit, busybox for the
# database's start script, and the stack's topology file. And
# faultline/netinit:dev, faultline-netinit alone: the gateways and clients
# `faultline compose-override` adds to a stack of one's own (NETINIT_IMAGE
# names it otherwise).
#
#   scripts/compose-images.sh [--netinit-only] [BUILD_DIR]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
netinit_only=no
[[ ${1:-} == --netinit-only ]] && { netinit_only=yes; shift; }
build=${1:-$root/build}
if [[ $netinit_only == yes ]]; then
  [[ -x $build/faultline-netinit ]] || "$root/scripts/build.sh"
else
  [[ -x $build/faultline-kv && -x $build/faultline-netinit ]] || "$root/scripts/build.sh"
fi
build=$(cd "$build" && pwd)
docker=${DOCKER:-docker}
[[ -x /usr/bin/docker ]] && docker=${DOCKER:-/usr/bin/docker}  # Debian's client matches Debian's daemon
if ! "$docker" info >/dev/null 2>&1; then
  echo "compose-images: no Docker daemon answers; start one (scripts/dockerd.sh start)" >&2
  exit 1
fi
# shellcheck source=lib/rootfs.sh
. "$root/scripts/lib/rootfs.sh"
netinit_image=${NETINIT_IMAGE:-faultline/netinit:dev}
context=$build/netinit-image
rm -rf "$context" && mkdir -p "$context/rootfs"
rootfs_add_program "$context/rootfs" "$build/faultline-netinit" usr/local/bin
printf 'FROM scratch\nCOPY rootfs/ /\nENV PATH=/usr/local/bin\nCMD ["faultline-netinit"]\n' > "$context/Dockerfile"
DOCKER_BUILDKIT=0 "$docker" build -q -t "$netinit_image" "$context" >/dev/null
echo "compose-images: built $netinit_image ($(du -sh "$context/rootfs" | cut -f1) from $build)"
[[ $netinit_only == yes ]] && exit 0

[[ -x /bin/busybox ]] || {
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends busybox-static >/dev/null
}

context=$build/compose-image
rm -rf "$context" && mkdir -p "$context/rootfs"/{bin,tmp,data,etc/faultline}
fs=$context/rootfs
for p in faultline-kv faultline-router faultline-netinit faultline-postgres; do
  rootfs_add_program "$fs" "$build/$p" usr/local/bin
done
rootfs_add_postgres "$fs"
cp /bin/busybox "$fs/bin/"
for tool in sh cat ls ps sleep; do ln -s busybox "$fs/bin/$tool"; done
cp "$root/targets/compose/topology.json" "$fs/etc/faultline/topology.json"
chmod 1777 "$fs/tmp" "$fs/data"
cat > "$context/Dockerfile" <<'DOCKERFILE'
FROM scratch
COPY rootfs/ /
ENV PATH=/usr/local/bin:/bin
DOCKERFILE
DOCKER_BUILDKIT=0 "$docker" build -q -t faultline/reference:dev "$context" >/dev/null
echo "compose-images: built faultline/reference:dev ($(du -sh "$fs" | cut -f1) from $build)"
