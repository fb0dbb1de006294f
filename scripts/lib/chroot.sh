# A clean Debian 12 root for the package lane and the fresh-machine demo
# benchmark. Source it.

# chroot_fill ROOT CACHE: ROOT gets debootstrap's minbase of bookworm, taken
# from the tarball CACHE, which is made when missing (so debootstrap's
# download happens once per machine).
chroot_fill() {
  local root=$1 cache=$2
  if [[ -f $cache ]]; then
    tar -C "$root" -xf "$cache"
  else
    mkdir -p "$(dirname "$cache")"
    debootstrap --variant=minbase bookworm "$root" http://deb.debian.org/debian >/dev/null
    tar -C "$root" -cf "$cache.tmp" . && mv "$cache.tmp" "$cache"
  fi
}

# chroot_run ROOT SCRIPT: runs SCRIPT (a path inside ROOT) with bash as root
# in ROOT, in a mount namespace of its own: ROOT bound onto itself, /proc,
# /sys and /dev for
# faultline, a fresh /run (netns names, the state directory), the host's
# resolv.conf for apt. Every mount ends with the command.
chroot_run() {
  unshare --mount --propagation private bash -c '
    set -e
    root=$1
    # The root a mount point of its own, as on a real machine: a script
    # inside may then make its own mounts private (demo.sh does).
    mount --bind "$root" "$root"
    mount -t proc proc "$root/proc"
    mount --rbind /sys "$root/sys"
    mount --rbind /dev "$root/dev"
    mount -t tmpfs tmpfs "$root/run"
    cp /etc/resolv.conf "$root/etc/resolv.conf"
    chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TERM=dumb \
      /bin/bash "$2"
  ' _ "$1" "$2"
}
