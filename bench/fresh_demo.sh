#!/usr/bin/env bash
# How long a newcomer waits for the demo's verdict on a fresh Debian 12
# machine: a clean root (debootstrap's minbase), this checkout cloned into
# its /root (mode 700, as most people would put it), then
# `./scripts/demo.sh` run there as root, timed from the command to the
# verdict. Nothing is cached: apt fetches the demo's packages, and the build
# compiles from scratch (no ccache).
#
#   bench/fresh_demo.sh [ROOT_CACHE]
#
# ROOT_CACHE (default /var/cache/faultline/bookworm-minbase.tar) is the
# debootstrapped root, made when missing (debootstrap's own time is not
# counted: it stands for the machine as delivered).
set -euo pipefail
source=$(cd "$(dirname "$0")/.." && pwd)
cache=${1:-/var/cache/faultline/bookworm-minbase.tar}
# shellcheck source=../scripts/lib/chroot.sh
. "$source/scripts/lib/chroot.sh"
root=$(mktemp -d /var/tmp/faultline-fresh-demo.XXXXXX)
trap 'rm -rf --one-file-system "$root"' EXIT
chroot_fill "$root" "$cache"
chmod 700 "$root/root"
git clone -q --no-hardlinks "$source" "$root/root/faultline"
cat >"$root/tmp/demo-timed.sh" <<'INSIDE'
cd /root/faultline
TIMEFORMAT="demo.sh: %R s from the command to its end (the verdict is its last output)"
time { ./scripts/demo.sh >/tmp/demo.log 2>&1; echo "demo.sh exit $?"; }
grep -E "^verdict|=> " /tmp/demo.log || tail -20 /tmp/demo.log
INSIDE
chroot_run "$root" /tmp/demo-timed.sh
