#!/usr/bin/env bash
# Scheduling precision (issue 9, benchmark 2): how long after a fault's
# scheduled instant the first packet it affects is sent, seen by a probe flow.
# As root, after scripts/build.sh:
#
#   bench/landing.sh [FAULTS_PER_KIND] [INTERVAL_US]     (defaults 40, 100)
#
# It writes an experiment of two regions (us, eu) whose hosts run
# bench/probe_flow (a datagram to the other region every INTERVAL_US, both
# ways, at real-time priority), with FAULTS_PER_KIND faults of each kind one after another, 300 ms
# apart, each lasting 100 ms: a partition (routes), a partition narrowed to
# the probe's port (nf_tables drop rules) and a 20 ms delay (netem, or the
# NFQUEUE engine on kernels without it). It runs it with `faultline run`,
# then bench/landing_report.py lines the probes' packets up with the due
# instants in verdict.json and prints p50/p99 per kind.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
build="${BUILD:-$here/build}"
per_kind="${1:-40}"
interval_us="${2:-100}"
work="$(mktemp -d /var/tmp/faultline-landing.XXXXXX)"
chmod 755 "$work"
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT

experiment="$work/landing.toml"
{
  slot_ms=300
  total=$((per_kind * 3))
  cat <<TOML
[experiment]
name = "landing"
description = "$total faults, $per_kind of each kind, one every ${slot_ms} ms, probed"
duration = "$(( (total * slot_ms + 1500) / 1000 + 1 ))s"
seed = 9
hosts = ["app", "probe", "client"]

[[region]]
name = "us"
geo = "us"

[[region]]
name = "eu"
geo = "eu"

[vars]
probe = "probe_flow"

[[service]]
name = "probe"
host = "probe"
user = "root"  # for SCHED_FIFO: a starved probe skips the very ticks that matter
command = ["{vars.probe}", "--listen", "{addr}", "--peers", "{peers}", "--port", "9500",
           "--interval-us", "$interval_us", "--out", "{workdir}", "--realtime", "1"]

[[service]]
name = "app"
host = "app"
command = ["faultline-kv", "--region", "{region}", "--listen", "{addr}", "--port", "8080", "--topology", "{topology}"]
health = { path = "/health", port = 8080 }

[workload]
service = "app"
clients_per_region = 1
rate = 10
timeout = "500ms"
TOML
  at=1000
  for ((i = 0; i < per_kind; i++)); do
    for kind in route port delay; do
      case "$kind" in
        route) printf '\n[[fault]]\nkind = "partition"\ngroups = [["us"], ["eu"]]\n' ;;
        port) printf '\n[[fault]]\nkind = "partition"\ngroups = [["us"], ["eu"]]\nport = 9500\nprotocol = "udp"\n' ;;
        delay) printf '\n[[fault]]\nkind = "delay"\nbetween = ["us", "eu"]\ndelay = "20ms"\n' ;;
      esac
      printf 'at = "%dms"\nfor = "100ms"\n' "$at"
      at=$((at + slot_ms))
    done
  done
} >"$experiment"

"$build/faultline" run --results "$work/results" --var probe="$build/bench/probe_flow" \
  "$experiment" >"$work/run.log" 2>&1 || { tail -20 "$work/run.log"; exit 1; }
run_dir="$(ls -d "$work"/results/landing-*)"
python3 "$here/bench/landing_report.py" "$run_dir"
