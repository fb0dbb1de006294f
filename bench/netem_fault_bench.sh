#!/usr/bin/env bash
# The netem case of fault_bench (issue 9, benchmark 1): a scoped delay (htb
# root, classes, a netem leaf, a u32 filter) applied and reverted through the
# injector and through `tc`, in one run, under Debian's stock kernel (which
# has sch_netem) booted in qemu by scripts/kernel-lane.sh. The scoped rate
# runs beside it, so the emulation's slowdown can be read off against the
# same case measured on the host. As root, after scripts/build.sh:
#
#   bench/netem_fault_bench.sh [ITERATIONS]      (default 300)
#
# Timings inside qemu's software emulation (TCG) are several times slower
# than on hardware; the ratio injector / tc is what the run is for.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$root/build}
FAULTLINE_LANE_PROGRAMS="$build/bench/fault_bench $(command -v tc)" \
FAULTLINE_LANE_RUN="fault_bench ${1:-300} rate delay" \
  "$root/scripts/kernel-lane.sh" "$build" | grep -E "^(apply|scoped|lane: kernel)|LANE-STATUS"
