#!/usr/bin/env bash
# Installs what is missing and builds faultline into build/.
#
#   build.sh        everything: faultline, the reference system, tests, benchmarks
#   build.sh demo   only what the demo runs: faultline and the reference system
set -euo pipefail
cd "$(dirname "$0")/.."
profile=${1:-all}
./scripts/install-deps.sh "$profile"
if [[ $profile == demo ]]; then
  # Leaves a configured test build as it is: the tests' targets are just not built.
  if [[ ! -f build/CMakeCache.txt ]]; then
    cmake --preset default -DFAULTLINE_BUILD_TESTS=OFF >/dev/null
  else
    cmake --preset default >/dev/null
  fi
  cmake --build --preset default --target faultline faultline-kv faultline-router
else
  cmake --preset default -DFAULTLINE_BUILD_TESTS=ON >/dev/null
  cmake --build --preset default
fi
