#!/usr/bin/env bash
# Builds the Debian package, build/faultline_<version>_amd64.deb, and checks
# it with lintian (if installed). Run after scripts/build.sh (or build.sh demo).
#   package.sh [--no-lintian]   (a test that only installs it: the package lane lints)
set -euo pipefail
lint=true
[[ ${1:-} == --no-lintian ]] && lint=false
cd "$(dirname "$0")/.."
cmake --build build --target faultline faultline-agent faultline-kv faultline-router faultline_package_files
(cd build && cpack -G DEB >/dev/null)
deb=$(ls build/faultline_*_amd64.deb | sort -V | tail -n 1)
echo "$deb"
if $lint && command -v lintian >/dev/null; then
  # Root is how CI runs it; lintian only warns about that.
  lintian --tag-display-limit 0 "$deb" 2>&1 | grep -v "running with root privileges" || true
fi
