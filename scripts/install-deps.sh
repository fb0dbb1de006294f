#!/usr/bin/env bash
# Installs the Debian packages faultline needs to build, run and test.
# Idempotent: packages already present are left alone, and apt is only asked
# when something is missing.
set -euo pipefail

# What building faultline and the reference system takes (build.sh demo), and
# what running the demo adds (experiments/split-brain.toml: the reference
# system on PostgreSQL). demo.sh installs the second while the first builds:
# PostgreSQL and its JIT's LLVM are a third of the demo's downloads.
DEMO_BUILD_PACKAGES=(
  g++ cmake ninja-build pkg-config
  libnl-3-dev libnl-route-3-dev libnl-nf-3-dev
  libboost-dev libboost-system-dev libboost-filesystem-dev
  libtomlplusplus-dev libspdlog-dev libcli11-dev nlohmann-json3-dev
  libnetfilter-queue-dev libnftnl-dev libmnl-dev
  libpq-dev libhiredis-dev libyaml-cpp-dev libssl-dev
)
DEMO_RUN_PACKAGES=(postgresql-15 iproute2 procps)
DEMO_PACKAGES=("${DEMO_BUILD_PACKAGES[@]}" "${DEMO_RUN_PACKAGES[@]}")
# And what the test suite adds: its framework, the third-party systems and
# peers the e2e tests run, the browser test, the kernel and compose lanes,
# the sanitizer and fuzz builds, the package lane.
TEST_PACKAGES=(
  build-essential
  catch2 libfaketime chromium libpng-dev
  nftables iptables
  docker.io docker-compose busybox-static python3 python3-jsonschema python3-yaml python3-kubernetes
  openssl
  redis-server nodejs etcd-server
  clang-14 libclang-rt-14-dev
  debootstrap lintian dpkg-dev
)

profile=${1:-all}
case $profile in
  demo) PACKAGES=("${DEMO_PACKAGES[@]}") ;;
  demo-build) PACKAGES=("${DEMO_BUILD_PACKAGES[@]}") ;;
  demo-run) PACKAGES=("${DEMO_RUN_PACKAGES[@]}") ;;
  all) PACKAGES=("${DEMO_PACKAGES[@]}" "${TEST_PACKAGES[@]}") ;;
  *) echo "usage: install-deps.sh [demo|demo-build|demo-run|all]" >&2; exit 2 ;;
esac

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  if [[ $EUID -ne 0 ]]; then
    echo "faultline: missing packages: ${missing[*]}; run as root or: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
  echo "faultline: installing ${missing[*]}"
  # The reference store runs its own PostgreSQL servers, one per region, inside
  # the experiment's namespaces. Installing the server package must not create
  # and start a cluster on this machine: no main cluster, and no service start
  # while installing (unless the machine already has a policy for that).
  mkdir -p /etc/postgresql-common/createcluster.d
  [[ -e /etc/postgresql-common/createcluster.d/faultline.conf ]] ||
    echo "create_main_cluster = false" >/etc/postgresql-common/createcluster.d/faultline.conf
  added_policy=false
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    added_policy=true
  fi
  trap '$added_policy && rm -f /usr/sbin/policy-rc.d' EXIT
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
