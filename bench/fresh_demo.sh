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
# Each line of the demo's output stamped with the seconds since the command,
# so the phases can be told apart: apt for the build, the compile (with
# PostgreSQL's download beside it), the run.
SECONDS=0
./scripts/demo.sh 2>&1 | while IFS= read -r line; do printf '%d %s\n' "$SECONDS" "$line"; done >/tmp/demo.log
status=${PIPESTATUS[0]}
total=$SECONDS
echo "demo.sh exit $status"
awk -v total="$total" '
  / \[1\/[0-9]+\] / && !b { b = $1 }
  / \[[0-9]+\/[0-9]+\] / { split($2, n, /[\[\/\]]/); if (n[2] == n[3]) e = $1 }
  /^[0-9.]+ verdict for/ { v = $1 }
  END { printf "packages for the build %.0f s, compile %.0f s, then the run: verdict at %.0f s, end at %.0f s\n", b, e - b, v, total }
' /tmp/demo.log
grep -E " (verdict for|  => )" /tmp/demo.log | cut -d' ' -f2- || tail -20 /tmp/demo.log
INSIDE
chroot_run "$root" /tmp/demo-timed.sh
