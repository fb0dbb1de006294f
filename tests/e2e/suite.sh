#!/usr/bin/env bash
# `faultline run DIR`, the suite runner, on tests/experiments/suite: one
# experiment that passes, one with a seeded bug (convergence violated) and
# one with nothing to judge (unknown):
#   1. each runs in turn with --seed applied to each, in its own results
#      folder; the suite prints one table and exits 1 (1 over 2 over 0);
#      <results>/junit.xml has a testsuite per experiment, failures counted
#      per suite and in all; nothing of any run is left;
#   2. bad input is refused before anything runs (exit 254, the file's one
#      line, no results folder): a malformed file among good ones, a service
#      user the machine lacks (the provider's preflight), a folder with no
#      *.toml, --repeat with a suite;
#   3. Ctrl-C during the first run: it reverts and tears down, the rest are
#      "not run", the table and junit.xml say so, exit 130, nothing left;
#   4. a run whose target does not start is an ERROR (exit 3) and the suite
#      goes on with the next: exit 3 over the next one's 2.
#
#   suite.sh FAULTLINE SUITE_DIR INVALID_DIR STARTUP_FAILURE.toml
set -euo pipefail
faultline=$1 suite=$2 invalid=$3 startup=$4
scratch=$(mktemp -d)
chmod 755 "$scratch"  # services may run as an unprivileged user
trap 'rm -rf "$scratch"' EXIT
# shellcheck source=run_ids.sh
. "$(dirname "$0")/run_ids.sh"
fail() { echo "FAIL: $*" >&2; exit 1; }
# nothing_left DIR: no namespace, no process of any run under DIR (by the
# run id its results folder ends with: an interrupted run has no verdict.json).
nothing_left() {
  local id run netns
  if id=$(left_behind "$1"); then fail "namespaces of run $id left behind"; fi
  for run in "$1"/*/; do
    id=$(basename "$run")
    id=${id##*-}
    for netns in /run/netns/fl-"$id"-*; do
      [[ -e $netns ]] && fail "namespace $(basename "$netns") of run $id left behind"
    done
  done
  if pgrep -f "$1/" >/dev/null; then pgrep -af "$1/" >&2; fail "processes of the suite left running"; fi
  return 0
}

# 1. The suite of three.
start=$SECONDS
set +e
"$faultline" run --results "$scratch/all" --seed 7 "$suite" >"$scratch/all.out" 2>"$scratch/all.err"
code=$?
set -e
cat "$scratch/all.out"
[[ $code -eq 1 ]] || { tail -20 "$scratch/all.err" >&2; fail "the suite exited $code, expected 1"; }
grep -q '^suite of 3 experiments: 1 passed, 1 failed, 1 unknown => exit 1$' "$scratch/all.out" ||
  fail "no summary line"
grep -Eq '^  suite-holds +PASS +0 +- +[0-9.]+ s +/' "$scratch/all.out" || fail "no PASS line"
grep -Eq '^  suite-violated +FAIL +1 +convergence +[0-9.]+ s +/' "$scratch/all.out" || fail "no FAIL line"
grep -Eq '^  suite-unknown +UNKNOWN +2 +unknown: no-lost-writes +[0-9.]+ s +/' "$scratch/all.out" ||
  fail "no UNKNOWN line"
[[ $(grep -c '^=== experiment [123] of 3: ' "$scratch/all.out") -eq 3 ]] || fail "not three runs"
python3 - "$scratch/all" <<'EOF'
import glob, json, os, sys
import xml.etree.ElementTree as ET
root_dir = sys.argv[1]
root = ET.parse(os.path.join(root_dir, "junit.xml")).getroot()
assert root.tag == "testsuites", root.tag
suites = root.findall("testsuite")
names = [s.get("name") for s in suites]
assert names == ["faultline.suite-holds", "faultline.suite-violated", "faultline.suite-unknown"], names
want = {  # testcases, failures (unknown fails: the experiments do not let it pass)
    "faultline.suite-holds": (2, 0),
    "faultline.suite-violated": (2, 1),
    "faultline.suite-unknown": (1, 1),
}
for s in suites:
    cases = s.findall("testcase")
    failed = [c.get("name") for c in cases if c.find("failure") is not None]
    tests, failures = want[s.get("name")]
    assert int(s.get("tests")) == len(cases) == tests, (s.get("name"), s.get("tests"), len(cases))
    assert int(s.get("failures")) == len(failed) == failures, (s.get("name"), failed)
    assert int(s.get("errors")) == 0
    props = {p.get("name"): p.get("value") for p in s.find("properties")}
    assert props["seed"] == "7", props  # --seed applies to each
    assert props["file"].endswith(".toml"), props
    own = os.path.join(props["results_dir"], "junit.xml")
    assert os.path.isfile(own), own  # each run still writes its own
    verdict = json.load(open(os.path.join(props["results_dir"], "verdict.json")))
    assert verdict["seed"] == 7, verdict["seed"]
    results = {i["invariant"]: i["result"] for i in verdict["invariants"]}
    expect = {"faultline.suite-holds": {"convergence": "holds", "no-lost-writes": "holds"},
              "faultline.suite-violated": {"convergence": "violated", "no-lost-writes": "holds"},
              "faultline.suite-unknown": {"no-lost-writes": "unknown"}}[s.get("name")]
    assert results == expect, (s.get("name"), results)
assert [c.get("name") for c in suites[1].findall("testcase") if c.find("failure") is not None] == ["convergence"]
assert root.get("tests") == "5" and root.get("failures") == "2", root.attrib
assert root.get("errors") == "0" and root.get("skipped") == "0", root.attrib
assert len(glob.glob(os.path.join(root_dir, "*", "verdict.json"))) == 3
print("junit.xml: 3 testsuites, 5 testcases, 2 failures (convergence; no-lost-writes unknown)")
EOF
nothing_left "$scratch/all"
echo "ok: a suite of three, exit 1, in $((SECONDS - start)) s"

# 2. Bad input, refused before anything runs.
refused() {  # refused WHAT EXPECTED_LINE ARGS...
  local what=$1 line=$2
  shift 2
  set +e
  "$faultline" run --results "$scratch/bad" "$@" >"$scratch/bad.out" 2>"$scratch/bad.err"
  local code=$?
  set -e
  [[ $code -eq 254 ]] || fail "$what: exit $code, expected 254"
  grep -qxF -- "$line" "$scratch/bad.err" || { cat "$scratch/bad.err" >&2; fail "$what: no line: $line"; }
  grep -q '^=== experiment' "$scratch/bad.out" && fail "$what: a run started"
  [[ ! -e $scratch/bad ]] || fail "$what: the results folder was made"
  echo "ok: $what refused: $line"
}
bads=("$invalid"/*.toml)  # not `ls | head`: ls may die of SIGPIPE, and pipefail with it
bad=${bads[0]}
refused "a malformed file among good ones" "$bad:$(head -1 "$bad" | sed 's/^# expect: //')" \
  "$suite/a-holds.toml" "$bad" "$suite/c-unknown.toml"
sed 's/^host = "app"$/host = "app"\nuser = "faultline-no-such-user"/' "$suite/a-holds.toml" \
  >"$scratch/no-user.toml"
refused "a service user the machine lacks" \
  "faultline: $scratch/no-user.toml: service 'app' runs as user 'faultline-no-such-user', which this machine lacks; nothing was created. Create it (useradd --system faultline-no-such-user) or change 'user'" \
  "$suite/c-unknown.toml" "$scratch/no-user.toml"
mkdir "$scratch/empty"
refused "a folder with no *.toml" \
  "faultline: $scratch/empty: no *.toml experiment in this folder; name the experiment files, or a folder that holds them" \
  "$scratch/empty"
refused "--repeat with a suite" \
  "faultline: --repeat runs one experiment many times and a suite runs several once each; repeat one file at a time (faultline run FILE --repeat 3)" \
  --repeat 3 "$suite"

# 3. Ctrl-C during the first run (a partition in force from 1 s to 4 s).
"$faultline" run --results "$scratch/int" "$suite" >"$scratch/int.out" 2>"$scratch/int.err" &
pid=$!
sleep 3
kill -INT $pid
set +e
wait $pid
code=$?
set -e
cat "$scratch/int.out"
[[ $code -eq 130 ]] || { tail -20 "$scratch/int.err" >&2; fail "exit $code after SIGINT, expected 130"; }
grep -q '^suite of 3 experiments: 1 interrupted, 2 not run => exit 130$' "$scratch/int.out" ||
  fail "no summary line of an interrupted suite"
grep -Eq "^  suite-holds +INTERRUPTED +130 +\(interrupted; reverted and torn down\) +[0-9.]+ s +$scratch/int/suite-holds-" \
  "$scratch/int.out" || fail "the first run is not INTERRUPTED, with its results folder"
[[ $(grep -Ec '^  suite-(violated|unknown) +not run +- ' "$scratch/int.out") -eq 2 ]] || fail "not 2 'not run'"
grep -q 'the experiments after it were not run' "$scratch/int.err" || fail "no interrupt message"
[[ $(grep -c '^=== experiment' "$scratch/int.out") -eq 1 ]] || fail "a run started after Ctrl-C"
python3 - "$scratch/int/junit.xml" <<'EOF'
import os, sys
import xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
suites = root.findall("testsuite")
assert len(suites) == 3, len(suites)
assert suites[0].find("testcase/error").get("type") == "interrupted"
props = {p.get("name"): p.get("value") for p in suites[0].find("properties")}
assert os.path.isfile(os.path.join(props["results_dir"], "experiment.toml")), props
assert all(s.find("testcase/skipped") is not None for s in suites[1:])
assert (root.get("errors"), root.get("skipped")) == ("1", "2"), root.attrib
print("junit.xml: 1 error (interrupted), 2 skipped (not run)")
EOF
nothing_left "$scratch/int"
echo "ok: Ctrl-C mid-suite, exit 130, nothing left"

# 4. The target does not start, then an unknown run: the suite goes on.
set +e
"$faultline" run --results "$scratch/target" "$startup" "$suite/c-unknown.toml" \
  >"$scratch/target.out" 2>"$scratch/target.err"
code=$?
set -e
cat "$scratch/target.out"
[[ $code -eq 3 ]] || { tail -20 "$scratch/target.err" >&2; fail "exit $code, expected 3"; }
grep -q '^suite of 2 experiments: 1 unknown, 1 error => exit 3$' "$scratch/target.out" ||
  fail "no summary line"
grep -Eq "^  service-exits-at-startup +ERROR +3 +\(the system under test did not start\) +[0-9.]+ s +$scratch/target/" \
  "$scratch/target.out" || fail "no ERROR line with its results folder"
grep -Eq '^  suite-unknown +UNKNOWN +2 ' "$scratch/target.out" || fail "the next experiment did not run"
grep -q "faultline: $startup: the system under test could not be started: " "$scratch/target.err" ||
  fail "the failure is not named with its file"
python3 - "$scratch/target/junit.xml" <<'EOF'
import sys
import xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
error = root.find("testsuite/testcase/error")
assert error.get("type") == "target-failed", error.attrib
assert "could not be started" in error.get("message"), error.attrib
assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("2", "1", "1"), root.attrib
print("junit.xml: 1 error (target-failed), 1 failure (unknown)")
EOF
nothing_left "$scratch/target"
echo "ok: the target did not start, the suite went on, exit 3; all in $((SECONDS - start)) s"
