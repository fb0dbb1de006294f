#!/usr/bin/env bash
# The CI recipes of docs/ci.md, run: the shell of packaging/ci/github-actions.yml
# and of packaging/ci/gitlab-ci.yml (read from the YAML by ci_recipe.py, as
# each platform reads it) runs in a clean Debian 12 root, what the recipes'
# debian:12 container is, with the .deb scripts/package.sh just built in
# place of the download. Each job must end with the suite's exit code and
# leave the JUnit report and the artifacts it uploads.
#
#   github: the checkout's chaos/ holds split-brain and bug-stale-session:
#           exit 1, two testsuites, read-your-writes failing in the second
#   gitlab: chaos/ holds split-brain: exit 0; then a suite that also names a
#           file that is not there: exit 254, nothing run, the job fails
#
#   ci_recipe.sh SOURCE_DIR [ROOT_CACHE]
#
# ROOT_CACHE is the package lane's debootstrapped root (made when missing).
# The packages apt downloads for the jobs are kept beside it (ci-apt/), as a
# CI's apt cache would, so only the first run waits for Debian's mirror.
set -euo pipefail
# The root on a tmpfs, in a mount namespace of this script's own: unpacking
# it, dpkg's thousands of files and removing it all cost memory, not disk.
if [[ ${FAULTLINE_CI_RECIPE_NS:-} != "$$" ]]; then
  FAULTLINE_CI_RECIPE_NS=$$ exec unshare --mount --propagation private "$0" "$@"
fi
source=$1
cache=${2:-/var/cache/faultline/bookworm-minbase.tar}
root=$(mktemp -d /var/tmp/faultline-ci-root.XXXXXX)
mount -t tmpfs -o size=3g,mode=755 tmpfs "$root"
trap 'umount "$root"; rmdir "$root"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
recipe() { python3 "$source/tests/package/ci_recipe.py" "$@"; }

# shellcheck source=../../scripts/lib/chroot.sh
. "$source/scripts/lib/chroot.sh"
recipe lint "$source" || fail "docs/ci.md and packaging/ci/ disagree, or a recipe cannot be run (above)"
deb=$("$source/scripts/package.sh" --no-lintian | grep '\.deb$' | tail -n 1)  # the package lane lints it
[[ -f $source/$deb ]] || fail "no package was built"
echo "package: $deb in $SECONDS s"
for platform in github gitlab; do
  file=$([[ $platform == github ]] && echo github-actions.yml || echo gitlab-ci.yml)
  recipe extract $platform "$source/packaging/ci/$file" "$root/ci/$platform" >/dev/null
  # The recipes pin the version; a release that changes it changes them.
  [[ $(basename "$(cat "$root/ci/$platform/deb")") == $(basename "$deb") ]] ||
    fail "$file installs $(cat "$root/ci/$platform/deb"), the package is $(basename "$deb"): update the recipe"
done

chroot_fill "$root" "$cache"
cp "$source/$deb" "$root/tmp/"
apt_cache=$(dirname "$cache")/ci-apt
mkdir -p "$apt_cache"
find "$apt_cache" -name '*.deb' -exec cp -t "$root/var/cache/apt/archives/" {} +
# As in Debian's container images (/etc/dpkg/dpkg.cfg.d/docker-apt-speedup):
# no fsync for each file dpkg unpacks, a root that ends with the job.
echo force-unsafe-io >"$root/etc/dpkg/dpkg.cfg.d/ci-speedup"
echo "root: ready at $SECONDS s"
# What a CI container has and this root lacks: no init to start the
# services a package installs. PostgreSQL's own cluster would listen in
# this machine's network namespace: none is made, none is started.
cat >"$root/ci/job.sh" <<'JOB'
set -uo pipefail
. /ci/this-job.sh  # dir, workspace
printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
mkdir -p /etc/postgresql-common/createcluster.d
echo "create_main_cluster = false" >/etc/postgresql-common/createcluster.d/faultline.conf
export CI=true DEBIAN_FRONTEND=noninteractive
cd "$workspace"
. "$dir/env.sh"
. "$dir/override.sh"
rc=0
for step in "$dir"/steps/*.sh; do
  start=$SECONDS
  bash --noprofile --norc "$step" || rc=$?
  echo "step $(basename "$step" .sh): exit $rc in $((SECONDS - start)) s"
  ((rc == 0)) || break
done
echo "$rc" >"$dir/rc"
JOB

# job PLATFORM WORKSPACE EXPECTED_EXIT [VAR=VALUE...]: the recipe's job in
# WORKSPACE (a checkout holding chaos/), its variables overridden by the
# pairs and FAULTLINE_DEB pointed at the local package.
job() {
  local platform=$1 workspace=$2 expected=$3 start=$SECONDS
  shift 3
  # The commit under test, as the platform names it.
  { printf 'export %s=%s\n' "$([[ $platform == github ]] && echo GITHUB_SHA || echo CI_COMMIT_SHA)" "$commit"
    printf 'export FAULTLINE_DEB=%q\n' "/tmp/$(basename "$deb")"
    local pair
    for pair in "$@"; do printf 'export %q\n' "$pair"; done
  } >"$root/ci/$platform/override.sh"
  rm -f "$root/ci/$platform/rc"
  printf 'dir=/ci/%s workspace=%q\n' "$platform" "$workspace" >"$root/ci/this-job.sh"
  chroot_run "$root" /ci/job.sh || fail "the $platform job's harness failed"
  local rc
  rc=$(cat "$root/ci/$platform/rc")
  echo "$platform job ($*): exit $rc in $((SECONDS - start)) s"
  [[ $rc == "$expected" ]] || fail "the $platform job ended with $rc, expected $expected"
}

github=/__w/app/app gitlab=/builds/team/app commit=c0ffee0123456789abcdef0123456789abcdef01
mkdir -p "$root$github/chaos" "$root$gitlab/chaos"
cp "$source/experiments/split-brain.toml" "$source/experiments/bug-stale-session.toml" "$root$github/chaos/"
cp "$source/experiments/split-brain.toml" "$root$gitlab/chaos/"

job github $github 1
for file in github-actions.yml gitlab-ci.yml; do
  cmp "$source/packaging/ci/$file" "$root/usr/share/doc/faultline/examples/$file" ||
    fail "the package does not ship packaging/ci/$file as /usr/share/doc/faultline/examples/$file"
done
find "$root/var/cache/apt/archives" -maxdepth 1 -name '*.deb' -exec cp -nt "$apt_cache/" {} +
recipe results "$root$github" "$root/ci/github" $commit 2 faultline.bug-stale-session/read-your-writes ||
  fail "the github job did not leave its report and artifacts (above)"
job gitlab $gitlab 0
recipe results "$root$gitlab" "$root/ci/gitlab" $commit 1 || fail "the gitlab job did not leave its report and artifacts (above)"
job gitlab $gitlab 254 "FAULTLINE_SUITE=chaos/ chaos/no-such-experiment.toml" FAULTLINE_RESULTS=refused
[[ ! -e $root$gitlab/refused ]] || fail "the refused suite made its results folder"
echo "ok in $SECONDS s: both CI recipes installed the package, ran their suites and failed the job on the suite's exit code"
