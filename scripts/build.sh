#!/usr/bin/env bash
# Installs what is missing and builds faultline into build/.
#
#   build.sh        everything: faultline, the reference system, tests, benchmarks
#   build.sh demo   only what the demo runs: faultline and the reference system
#                   (on a first configure, a quick build: -O1, no debug
#                   information, precompiled headers; see CMakeLists.txt)
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
    cmake --preset default -DFAULTLINE_BUILD_TESTS=OFF -DFAULTLINE_QUICK_BUILD=ON >/dev/null
  else
    cmake --preset default >/dev/null
  fi
  cmake --build --preset default --target faultline faultline-kv faultline-router
else
  cmake --preset default -DFAULTLINE_BUILD_TESTS=ON -DFAULTLINE_QUICK_BUILD=OFF >/dev/null
  cmake --build --preset default
fi
