#!/usr/bin/env bash
# The package lane: builds faultline_<version>_amd64.deb, installs it with
# apt into a clean Debian 12 root (debootstrap's minbase, nothing else), and
# there runs `faultline --version`, `faultline validate` on the shipped
# experiments the package can run, and the demo experiment. A file the
# package forgets, or a library its Depends do not pull, fails here.
#
#   package_lane.sh SOURCE_DIR [ROOT_CACHE]
#
# ROOT_CACHE (default /var/cache/faultline/bookworm-minbase.tar) keeps the
# debootstrapped root between runs; it is made when missing.
set -euo pipefail
source=$1
cache=${2:-/var/cache/faultline/bookworm-minbase.tar}
root=$(mktemp -d /var/tmp/faultline-package-root.XXXXXX)
cleanup() {
  # Everything mounted below lives in the lane's private mount namespace;
  # the namespaces a run made in the root are gone with their processes.
  rm -rf --one-file-system "$root"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# shellcheck source=../../scripts/lib/chroot.sh
. "$source/scripts/lib/chroot.sh"
deb=$("$source/scripts/package.sh" | grep '\.deb$' | tail -n 1)
[[ -f $source/$deb ]] || fail "no package was built"
echo "package: $deb ($(du -h "$source/$deb" | cut -f1))"

chroot_fill "$root" "$cache"
cp "$source/$deb" "$root/tmp/faultline.deb"

# Inside the root (chroot_run), the packages' service start-ups disabled: no
# PostgreSQL cluster of the root's own.
cat >"$root/tmp/inside.sh" <<'INSIDE'
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive PATH=/usr/sbin:/usr/bin:/sbin:/bin
printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
mkdir -p /etc/postgresql-common/createcluster.d
echo "create_main_cluster = false" >/etc/postgresql-common/createcluster.d/faultline.conf
apt-get update -qq
apt-get install -y -qq /tmp/faultline.deb >/tmp/apt.log 2>&1 || { tail -20 /tmp/apt.log; exit 1; }
echo "installed: $(dpkg-query -W -f='${Package} ${Version}' faultline), with $(dpkg-query -W -f='${Package}\n' | wc -l) packages in the root"
faultline --version
# The schema the package installs is the one the binary prints.
cmp /usr/share/faultline/schema/experiment.schema.json <(faultline schema)
test -s /usr/share/man/man1/faultline.1.gz
cd /usr/share/faultline/experiments
# The experiments whose programs the package and its Recommends provide.
for e in split-brain region-failure region-isolated wan-latency slow-db bandwidth-squeeze \
         bug-*.toml postgres-failover-async postgres-failover-sync postgres-isolation-serializable; do
  [[ $e == bug-list-append-one-by-one.toml ]] && continue  # Redis and a Python client: Suggests
  faultline validate "${e%.toml}.toml"
done
mkdir -p /var/tmp/faultline-results && chmod 755 /var/tmp/faultline-results
faultline run --results /var/tmp/faultline-results split-brain.toml
INSIDE
chroot_run "$root" /tmp/inside.sh || fail "the installed package did not run the demo experiment (see above)"
echo "ok: the package installed into a clean root, validated the shipped experiments and ran split-brain there"
