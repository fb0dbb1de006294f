#!/usr/bin/env bash
# The soak benchmark: one controller driving 5,000 operations per second for
# 10 minutes against three regions, with a fault every 5 seconds (partition,
# delay, pause, bandwidth in turn, each 1-2 s). Samples the controller's RSS,
# open file descriptors and threads every 10 s, then checks the history:
# every invoked operation completed exactly once, and indexes have no gap.
#
#   bench/soak.sh [MINUTES] [RATE] [BUILD_DIR]      (as root; default 10 5000)
#
# Prints the samples and a summary; figures go in docs/benchmarks.md. Not a
# test: run it by hand on an otherwise idle machine.
set -euo pipefail
minutes=${1:-10} rate=${2:-5000}
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${3:-$root/build}" && pwd)
scratch=$(mktemp -d /var/tmp/faultline-soak.XXXXXX)
chmod 755 "$scratch"
trap 'rm -rf "$scratch"' EXIT
exp=$scratch/soak.toml
seconds=$((minutes * 60))
cat > "$exp" <<TOML
[experiment]
name = "soak"
duration = "${seconds}s"
seed = 99

[[region]]
name = "us-east-1"
geo = "us"

[[region]]
name = "eu-west-1"
geo = "eu"

[[region]]
name = "ap-south-1"
geo = "ap"

[[service]]
name = "app"
host = "app"
command = ["faultline-kv", "--region", "{region}", "--listen", "{addr}", "--port", "8080", "--topology", "{topology}"]
health = { path = "/health", port = 8080 }

[workload]
service = "app"
port = 8080
clients_per_region = 8
rate = $rate
keys = 200
timeout = "1s"

[[invariant]]
kind = "no-lost-writes"
TOML
kinds=(partition delay pause bandwidth)
for ((i = 0, at = 5; at + 3 < seconds; i++, at += 5)); do
  case ${kinds[i % 4]} in
    partition) printf '\n[[fault]]\nkind = "partition"\ngroups = [["us-east-1"], ["eu-west-1", "ap-south-1"]]\nat = "%ds"\nfor = "2s"\n' "$at" ;;
    delay) printf '\n[[fault]]\nkind = "delay"\nbetween = ["us-east-1", "eu-west-1"]\ndelay = "20ms"\nat = "%ds"\nfor = "2s"\n' "$at" ;;
    pause) printf '\n[[fault]]\nkind = "pause"\nregion = "ap-south-1"\nservice = "app"\nat = "%ds"\nfor = "1s"\n' "$at" ;;
    bandwidth) printf '\n[[fault]]\nkind = "bandwidth"\nbetween = ["eu-west-1", "ap-south-1"]\nrate = "20mbit"\nat = "%ds"\nfor = "2s"\n' "$at" ;;
  esac >> "$exp"
done
echo "soak: $minutes min at $rate ops/s, $(grep -c '^\[\[fault\]\]' "$exp") faults"

"$build/faultline" run --results "$scratch/results" "$exp" > "$scratch/run.log" 2>&1 &
pid=$!
printf '%6s %10s %5s %8s %10s\n' second rss_kib fds threads history_ops
samples=$scratch/samples
start=$(date +%s)
while kill -0 "$pid" 2>/dev/null; do
  sleep 10
  kill -0 "$pid" 2>/dev/null || break
  rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
  threads=$(awk '/Threads/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
  fds=$(ls "/proc/$pid/fd" 2>/dev/null | wc -l)
  ops=$(cat "$scratch"/results/*/history.jsonl 2>/dev/null | wc -l)
  printf '%6d %10d %5d %8d %10d\n' $(( $(date +%s) - start )) "$rss" "$fds" "$threads" "$ops" | tee -a "$samples"
done
wait "$pid" || true
tail -n 6 "$scratch/run.log"
history=$(ls "$scratch"/results/*/history.jsonl)
lines=$(wc -l < "$history")
invokes=$(grep -c '"type":"invoke"' "$history")
completions=$((lines - invokes))
last_index=$(tail -n 1 "$history" | grep -o '"index":[0-9]*' | cut -d: -f2)
client_ops=$(grep -v '"process":"nemesis"' "$history" | grep -c '"type":"invoke"')
echo "history: $lines entries, $invokes invoked, $completions completed, last index $last_index"
echo "client operations: $client_ops invoked, $(awk -v n="$client_ops" -v s="$seconds" 'BEGIN {printf "%.0f", n / s}') per second"
[[ $invokes -eq $completions ]] && echo "no operation lost: every invoke has its completion" || echo "LOST: $((invokes - completions)) invokes without a completion"
[[ $((last_index + 1)) -eq $lines ]] && echo "indexes contiguous" || echo "GAP in indexes"
# Flat: the spread of each figure while the workload runs (the history
# grows), after the first minute (warm-up); then the peak while checking.
awk '$1 >= 60 && $5 > last && $4 > 1 {r[NR]=$2; f[NR]=$3; t[NR]=$4; n++} $5 <= last && $2 > peak {peak=$2} {last=$5} END {
  printf "checking the history at the end: peak RSS %d KiB\n", peak
  minr=1e18; maxr=0; minf=1e9; maxf=0; mint=1e9; maxt=0
  for (i in r) { if (r[i]<minr) minr=r[i]; if (r[i]>maxr) maxr=r[i]; if (f[i]<minf) minf=f[i]; if (f[i]>maxf) maxf=f[i]; if (t[i]<mint) mint=t[i]; if (t[i]>maxt) maxt=t[i] }
  printf "workload phase after the first minute (%d samples): RSS %d-%d KiB, fds %d-%d, threads %d-%d\n", n, minr, maxr, minf, maxf, mint, maxt }' "$samples"
