#!/usr/bin/env bash
# Builds the compose stack's image, faultline/reference:dev, from this
# machine's build output: no base image, no registry. The image holds the
# reference store's programs (faultline-kv, faultline-router,
# faultline-postgres with PostgreSQL), faultline-netinit, busybox for the
# database's start script, and the stack's topology file.
#
#   scripts/compose-images.sh [BUILD_DIR]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
[[ -x $build/faultline-kv && -x $build/faultline-netinit ]] || "$root/scripts/build.sh"
build=$(cd "$build" && pwd)
docker=${DOCKER:-docker}
[[ -x /usr/bin/docker ]] && docker=${DOCKER:-/usr/bin/docker}  # Debian's client matches Debian's daemon
if ! "$docker" info >/dev/null 2>&1; then
  echo "compose-images: no Docker daemon answers; start one (scripts/dockerd.sh start)" >&2
  exit 1
fi
[[ -x /bin/busybox ]] || {
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends busybox-static >/dev/null
}

# shellcheck source=lib/rootfs.sh
. "$root/scripts/lib/rootfs.sh"
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
