#!/usr/bin/env bash
# Fuzzes the experiment parser and validator with libFuzzer under ASan and
# UBSan (clang), starting from every shipped and every malformed experiment.
#
#   scripts/fuzz.sh [SECONDS] [BUILD_DIR]      default: 60 s, build-fuzz/
#
# CI runs it for 60 s on every change. For a longer hunt, run it for an hour
# (scripts/fuzz.sh 3600); new inputs that reach new code are kept in
# BUILD_DIR/corpus, and a crash leaves its input in BUILD_DIR/crash-*.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-60}
out=${2:-$root/build-fuzz}
mkdir -p "$out/corpus"
for p in clang-14 libclang-rt-14-dev; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || {
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends clang-14 libclang-rt-14-dev >/dev/null
    break
  }
done
# faultline's parser and validator instrumented; toml++ as it ships, Debian's
# shared library (the one faultline links). A header-only debug build of
# toml++ 3.3 trips its own precondition in parse_key on headers such as
# "[[[region]]]" (found by this fuzzer; fixed upstream in
# marzer/tomlplusplus#301); the shipped library reports a parse error for it,
# and tests/experiments/invalid/table-header-three-brackets.toml holds it.
# The parser reads each [[invariant]] and [[fault]] through its registered
# kind, which also holds its checker or its planner: those, the history they
# judge and the plans they make (with the kernel changes as values) come
# along.
clang++-14 -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -I"$root" $(pkg-config --cflags tomlplusplus) \
  "$root/fuzz/experiment_fuzz.cpp" "$root"/controllers/experiment/*.cpp \
  "$root"/controllers/checkers/*.cpp "$root"/controllers/checkers/invariants/*.cpp \
  "$root"/controllers/history/*.cpp "$root"/controllers/faults/fault_registry.cpp \
  "$root"/controllers/faults/kinds/*.cpp "$root"/controllers/faults/fault_plan.cpp \
  "$root"/controllers/faults/random_nemesis.cpp \
  "$root"/controllers/faults/partition_plan.cpp "$root"/controllers/faults/shaping_plan.cpp \
  "$root"/controllers/topology/plan.cpp "$root"/controllers/services/command.cpp \
  "$root"/injector/route_spec.cpp "$root"/injector/tc_spec.cpp \
  $(pkg-config --libs tomlplusplus) \
  -o "$out/experiment_fuzz"
seeds=$out/seeds
rm -rf "$seeds" && mkdir -p "$seeds"
cp "$root"/experiments/*.toml "$root"/tests/experiments/invalid/*.toml "$seeds/"
cd "$out"
# -timeout: an input that takes 5 s is a hang; -rss_limit_mb: one that takes
# 2 GiB is a memory bug.
./experiment_fuzz -max_total_time="$seconds" -timeout=5 -rss_limit_mb=2048 -print_final_stats=1 \
  corpus "$seeds" 2>&1 | grep -E "^(#[0-9]+.*(DONE|INITED)|stat::number_of_executed_units|stat::peak_rss_mb|==[0-9]+==|SUMMARY|.*ERROR)" || true
# libFuzzer exits non-zero on a crash, hang or sanitizer report; the pipe
# above hides that, so look for what it leaves.
if ls crash-* timeout-* oom-* leak-* 2>/dev/null | grep -q .; then
  echo "fuzz: found a failing input: $(ls crash-* timeout-* oom-* leak-* 2>/dev/null | head -n 1)" >&2
  exit 1
fi
echo "fuzz: no crash, hang or sanitizer report in ${seconds} s"
