#!/usr/bin/env bash
# A clone in a folder user nobody cannot enter (as /root, mode 700):
#
# 1. faultline refuses to run a service whose program nobody cannot reach,
#    before it creates anything: exit 254, naming the folder that blocks and
#    what to do, never an "internal error" once the regions exist;
# 2. scripts/lib/reachable.sh (sourced by demo.sh and test.sh) runs the
#    script again where nobody can reach the checkout, through a private bind
#    mount that ends with it, and changes no permission.
#
#   home_folder.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1 source=$2
home=$(mktemp -d /tmp/faultline-home.XXXXXX)  # mktemp makes it mode 700, as /root is
results=$(mktemp -d /var/tmp/faultline-home-results.XXXXXX)
chmod 755 "$results"
trap 'rm -rf "$home" "$results"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# 1. The programs in the blocked folder.
mkdir "$home/bin"
cp "$build"/faultline "$build"/faultline-kv "$build"/faultline-router "$build"/faultline-postgres "$home/bin/"
netns_before=$(ip netns list | wc -l)
set +e
out=$("$home/bin/faultline" run --results "$results" "$source/experiments/split-brain.toml" 2>&1)
code=$?
set -e
[[ $code -eq 254 ]] || fail "expected exit 254, got $code: $out"
grep -q "runs as user 'nobody', which cannot enter $home to run $home/bin/faultline-postgres" <<<"$out" ||
  fail "the error does not name the blocked folder and program: $out"
grep -q "chmod o+x $home" <<<"$out" || fail "the error does not say what to do: $out"
[[ $(wc -l <<<"$out") -eq 1 ]] || fail "expected a one-line error: $out"
[[ $(ip netns list | wc -l) -eq $netns_before ]] || fail "namespaces were created"
[[ -z $(ls -A "$results") ]] || fail "results were written: $(ls -A "$results")"
echo "ok: exit 254 before anything was created: $out"

# 2. A script in the blocked clone, sourcing reachable.sh, reads a file as nobody.
clone=$home/clone
mkdir -p "$clone/scripts/lib"
chmod 755 "$clone"
cp "$source/scripts/lib/reachable.sh" "$clone/scripts/lib/"
echo "reached" >"$clone/file.txt"
chmod 644 "$clone/file.txt"
cat >"$clone/scripts/probe.sh" <<'PROBE'
#!/usr/bin/env bash
set -euo pipefail
cd "$(dirname "$0")/.."
script=scripts/probe.sh
. scripts/lib/reachable.sh "$@"
echo "args: $*"
setpriv --reuid=65534 --regid=65534 --clear-groups cat "$PWD/file.txt"
PROBE
chmod 755 "$clone/scripts/probe.sh"
out=$("$clone/scripts/probe.sh" one "two words" 2>&1) || fail "the probe failed: $out"
grep -q "^reached$" <<<"$out" || fail "nobody could not read the file through the view: $out"
grep -q "^args: one two words$" <<<"$out" || fail "the arguments did not survive: $out"
grep -q "user nobody cannot enter $clone" <<<"$out" || fail "no note of the view: $out"
view=/var/tmp/faultline/checkouts/$(printf '%s' "$clone" | sha256sum | cut -c1-12)
if findmnt -rn -o TARGET | grep -qxF "$view"; then fail "the bind mount outlived the script"; fi
[[ $(stat -c %a "$home") == 700 ]] || fail "the home folder's mode changed"
rmdir "$view" 2>/dev/null || true
echo "ok: the script ran from a view nobody can reach, and left no mount"
