#!/usr/bin/env bash
# Installs the Debian packages faultline needs to build, run and test.
# Idempotent: packages already present are left alone, and apt is only asked
# when something is missing.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config
  libnl-3-dev libnl-route-3-dev libnl-nf-3-dev
  libboost-dev libboost-system-dev libboost-filesystem-dev
  libtomlplusplus-dev catch2 libspdlog-dev libcli11-dev nlohmann-json3-dev
  libnetfilter-queue-dev libnftnl-dev libmnl-dev
  iproute2 procps
)

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
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
