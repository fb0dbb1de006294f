#!/usr/bin/env bash
# Builds the image the third-party stack runs (docker-compose.yml beside this
# script): Debian's redis-server with the libraries it loads, from this
# machine's files, as scripts/compose-images.sh builds faultline's: no base
# image, no registry.
#
#   tests/compose/thirdparty/build-image.sh TAG
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
tag=${1:?usage: build-image.sh TAG}
docker=docker
[[ -x /usr/bin/docker ]] && docker=/usr/bin/docker
[[ -x /usr/bin/redis-server ]] || {
  echo "build-image: Debian's redis-server is not installed (apt-get install redis-server)" >&2
  exit 1
}
# shellcheck source=../../../scripts/lib/rootfs.sh
. "$root/scripts/lib/rootfs.sh"
context=$(mktemp -d)
trap 'rm -rf "$context"' EXIT
fs=$context/rootfs
mkdir -p "$fs"/{etc,tmp,data}
rootfs_add_program "$fs" /usr/bin/redis-server usr/bin
# As in a Debian image: names from /etc/hosts first (compose's extra_hosts
# land there), then DNS.
echo "hosts: files dns" > "$fs/etc/nsswitch.conf"
printf 'root:x:0:0:root:/root:/bin/sh\n' > "$fs/etc/passwd"
printf 'root:x:0:\n' > "$fs/etc/group"
chmod 1777 "$fs/tmp"
printf 'FROM scratch\nCOPY rootfs/ /\nWORKDIR /data\nENV PATH=/usr/bin\nCMD ["redis-server"]\n' > "$context/Dockerfile"
DOCKER_BUILDKIT=0 "$docker" build -q -t "$tag" "$context" >/dev/null
echo "build-image: built $tag (redis-server $(/usr/bin/redis-server --version | grep -o 'v=[^ ]*'))"
