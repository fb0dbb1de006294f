# Shared by the e2e scripts that run faultline many times (repeat.sh, the
# shrink scripts, suite.sh). Source it.

# left_behind DIR: prints the first run id, among the verdicts and journals
# under DIR (an interrupted run may have no verdict), that still has a
# namespace (fl-<id>-*), and succeeds; fails when none is left.
left_behind() {
  local id
  for id in $(grep -rho '"run_id": "[^"]*"' "$1" --include=verdict.json --include=journal.json |
              cut -d'"' -f4 | sort -u); do
    ls /run/netns 2>/dev/null | grep -q "^fl-$id-" && { echo "$id"; return 0; }
  done
  return 1
}

# failing_run FAULTLINE EXPERIMENT RESULTS: runs the experiment into RESULTS,
# which must fail it (exit 1), and prints the run's results folder.
failing_run() {
  local code
  set +e
  "$1" run --results "$3" "$2" > "$3/run.out" 2>&1
  code=$?
  set -e
  if [[ $code -ne 1 ]]; then
    echo "FAIL: the run exited $code, expected 1" >&2
    tail -20 "$3/run.out" >&2
    return 1
  fi
  find "$3" -mindepth 1 -maxdepth 1 -type d | head -1
}
