# Shared by the e2e scripts that run faultline many times (repeat.sh,
# shrink.sh). Source it.

# left_behind DIR: prints the first run id, among the verdicts under DIR, that
# still has a namespace (fl-<id>-*), and succeeds; fails when none is left.
left_behind() {
  local id
  for id in $(grep -rho '"run_id": "[^"]*"' "$1" --include=verdict.json | cut -d'"' -f4); do
    ls /run/netns 2>/dev/null | grep -q "^fl-$id-" && { echo "$id"; return 0; }
  done
  return 1
}
