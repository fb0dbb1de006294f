#!/usr/bin/env bash
# Command faults end to end (tests/experiments/command/command-faults.toml):
# the dry run shows each program as it will run; the run executes them in
# their hosts' namespaces, records each one's exit status and output in the
# history's nemesis operations (ok, or info for a failure or a timeout), goes
# on to exit 0, and leaves no namespace and no process behind. A user this
# machine lacks is refused before anything is created (254); Ctrl-C while a
# program runs kills it with its process group, skips its at_end, exits 130.
#
#   command_fault.sh FAULTLINE EXPERIMENT
set -euo pipefail
faultline=$1 experiment=$2
results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

plan=$("$faultline" run --dry-run "$experiment")
echo "$plan" | grep -F "command us-east-1/db sh" >/dev/null || fail "dry run: no fault 0 line"
echo "$plan" | grep -E "netns fl-[a-z0-9]+-eu-west-1-app: at the end, run as nobody, killed after 30s: /[^ ]+ -c 'echo rejoined as \\\$\(id -un\)'" >/dev/null ||
  fail "dry run: no at_end line for fault 1"$'\n'"$plan"

# A user this machine lacks is refused before anything is created.
sed 's/^user = "root"$/user = "no-such-user-fl"/' "$experiment" >"$results/no-user.toml"
set +e
refusal=$("$faultline" run --results "$results/refused" "$results/no-user.toml" 2>&1)
code=$?
set -e
[[ $code -eq 254 ]] || fail "a missing user: exit $code, expected 254: $refusal"
first_fault=$(grep -n '^\[\[fault\]\]' "$experiment" | head -1 | cut -d: -f1)
grep -qF "no-user.toml:$first_fault: the command fault runs as user 'no-such-user-fl', whom this machine lacks; nothing was created" <<<"$refusal" ||
  fail "a missing user: $refusal"
[[ ! -e $results/refused ]] || [[ -z $(ls -A "$results/refused") ]] || fail "a refused run left results"
rm -f "$results/no-user.toml"

set +e
"$faultline" run --results "$results" "$experiment"
code=$?
set -e
[[ $code -eq 0 ]] || fail "exit $code, expected 0"
run_dir=$(find "$results" -mindepth 1 -maxdepth 1 -type d | head -1)
history=$run_dir/history.jsonl

python3 - "$history" "$run_dir" <<'PY'
import json, os, sys
history, run_dir = sys.argv[1], sys.argv[2]
ops = [json.loads(line) for line in open(history)]
nemesis = [o for o in ops if o["process"] == "nemesis" and o["f"] != "heal"]
done = {}
for o in nemesis:
    if o["type"] != "invoke":
        done[(o["f"], o["value"]["fault"])] = o
def check(cond, what):
    if not cond:
        print("FAIL:", what, file=sys.stderr)
        for o in nemesis: print(json.dumps(o), file=sys.stderr)
        sys.exit(1)
check(all(o["process"] == "nemesis" for o in ops), "operations other than the nemesis's")
check(len(nemesis) == 12, "%d nemesis operations, expected 12" % len(nemesis))
ok = done[("start-command", 0)]
check(ok["type"] == "ok" and ok["value"]["exit"] == 0, "fault 0 not ok with exit 0")
check(ok["value"]["output"] == "promoted us-east-1 at 198.18.1.11, primary was 198.18.2.11\n",
      "fault 0's output: %r" % ok["value"]["output"])
check(ok["value"]["what"] == "command us-east-1/db sh", "fault 0's what")
failed = done[("start-command", 1)]
check(failed["type"] == "info" and failed["value"]["exit"] == 3, "fault 1 not info with exit 3")
check(failed["error"] == "the command failed: exit status 3", "fault 1's error: %r" % failed.get("error"))
check(failed["value"]["output"] == "no standby to promote\n", "fault 1's output")
ended = done[("stop-command", 1)]
check(ended["type"] == "ok" and ended["value"]["exit"] == 0, "fault 1's at_end not ok")
check(ended["value"]["output"] == "rejoined as nobody\n", "fault 1's at_end output")
check(ended["time"] - failed["time"] >= 0.9e9, "fault 1 ended less than 1s after it started")
timed_out = done[("start-command", 2)]
check(timed_out["type"] == "info" and timed_out["value"]["exit"] is None, "fault 2 not info")
check("still running at its timeout of 200ms" in timed_out["error"], "fault 2's error")
check(timed_out["value"]["output"] == "waiting\n", "fault 2's output")
check(("stop-command", 0) not in done and ("stop-command", 2) not in done,
      "an instantaneous command was stopped")
lasting = done[("start-command", 3)]
check(lasting["type"] == "ok" and lasting["value"]["exit"] == 0, "fault 3 not ok")
stopped = done.get(("stop-command", 3))
check(stopped is not None and stopped["type"] == "ok" and "exit" not in stopped["value"],
      "fault 3 (for, no at_end) not stopped cleanly with nothing run")
check(stopped["time"] - lasting["time"] >= 0.45e9, "fault 3 lasted less than its 500ms")
check(open(os.path.join(run_dir, "ran-as-us-east-1")).read() == "root\n", "fault 0 ran as someone else")
netns = open(os.path.join(run_dir, "netns-us-east-1")).read().strip()
check(netns.startswith("net:[") and netns != os.readlink("/proc/self/ns/net"),
      "fault 0 ran in the controller's namespace: " + netns)
for name in ["fault-0-command.log", "fault-1-command.log", "fault-1-at-end.log", "fault-2-command.log"]:
    check(os.path.exists(os.path.join(run_dir, name)), name + " missing")
print("history: fault 0 ok (exit 0), fault 1 info (exit 3) then at_end ok, fault 2 info (timeout), "
      "fault 3 ok and stopped; ran in", netns)
PY

# Ctrl-C while a program runs: it is killed with its process group, the at_end
# is not run, and the run unwinds to exit 130.
cat >"$results/interrupted.toml" <<'TOML'
[experiment]
name = "command-interrupted"
duration = "30s"

[[region]]
name = "us-east-1"
geo = "us"

[workload]
kind = "none"

[[fault]]
kind = "command"
at = "200ms"
for = "20s"
region = "us-east-1"
host = "db"
user = "root"
timeout = "60s"
run = ["/bin/sh", "-c", "echo $$ > {results}/pid; exec sleep 25"]
at_end = ["/bin/sh", "-c", "touch {results}/at-end-ran"]
TOML
mkdir "$results/interrupted"
"$faultline" run --results "$results/interrupted" "$results/interrupted.toml" &
controller=$!
pid_file=
for _ in $(seq 100); do
  pid_file=$(find "$results/interrupted" -name pid -size +0 2>/dev/null | head -1)
  [[ -n $pid_file ]] && break
  sleep 0.1
done
[[ -n $pid_file ]] || { kill -INT $controller; fail "the interrupted run's command never started"; }
program=$(cat "$pid_file")
started=$(date +%s%N)
kill -INT $controller
set +e
wait $controller
code=$?
set -e
took_ms=$(( ($(date +%s%N) - started) / 1000000 ))
[[ $code -eq 130 ]] || fail "interrupted during a command: exit $code, expected 130"
(( took_ms < 5000 )) || fail "interrupted during a command: took $took_ms ms to exit"
if [[ -e /proc/$program ]] && ! grep -q '^State:.*Z' "/proc/$program/status" 2>/dev/null; then
  fail "the interrupted command $program still runs"
fi
[[ ! -e $(dirname "$pid_file")/at-end-ran ]] || fail "the at_end command ran after Ctrl-C"
interrupted_run=$(basename "$(dirname "$pid_file")")
interrupted_run=${interrupted_run##*-}
if ls /run/netns 2>/dev/null | grep -q "^fl-$interrupted_run-"; then
  fail "namespaces of the interrupted run $interrupted_run left behind"
fi
echo "interrupted: exit 130 after $took_ms ms, command $program killed, at_end not run"

run_id=$(grep -o '"run_id": "[^"]*"' "$run_dir/verdict.json" | cut -d'"' -f4)
if ls /run/netns 2>/dev/null | grep -q "^fl-$run_id-"; then
  fail "namespaces of run $run_id left behind: $(ls /run/netns | grep "^fl-$run_id-")"
fi
echo "ok: exit 0, nothing left of run $run_id"
