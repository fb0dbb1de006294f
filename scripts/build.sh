#!/usr/bin/env bash
# Installs what is missing and builds faultline into build/.
#
#   build.sh        everything: faultline, the reference system, tests, benchmarks
#   build.sh demo   only what the demo runs: faultline and the reference system
#                   (on a first configure, without debug information and with
#                   precompiled headers: about half the compile's time)
set -euo pipefail
cd "$(dirname "$0")/.."
profile=${1:-all}
if [[ $profile == demo ]]; then
  ./scripts/install-deps.sh demo-build  # what the demo runs is demo.sh's to install
else
  ./scripts/install-deps.sh all
fi
if [[ $profile == demo ]]; then
  # Leaves a configured test build as it is: the tests' targets are just not built.
  if [[ ! -f build/CMakeCache.txt ]]; then
    cmake --preset default -DFAULTLINE_BUILD_TESTS=OFF -DFAULTLINE_DEBUG_INFO=OFF -DFAULTLINE_PCH=ON >/dev/null
  else
    cmake --preset default >/dev/null
  fi
  cmake --build --preset default --target faultline faultline-kv faultline-router
else
  cmake --preset default -DFAULTLINE_BUILD_TESTS=ON -DFAULTLINE_DEBUG_INFO=ON -DFAULTLINE_PCH=OFF >/dev/null
  cmake --build --preset default
fi
