# Sourced first by demo.sh and test.sh, from the checkout's top folder:
#
#   script=scripts/demo.sh; . scripts/lib/reachable.sh "$@"
#
# Services run as user nobody, and a clone in a home folder (/root is mode
# 700) holds their programs and files where nobody cannot go. Rather than
# change the folder's permissions, the script runs again in a private mount
# namespace where the checkout is also bind-mounted at a path everyone may
# traverse. The mount lives only as long as the script and its children;
# results written there land in the checkout itself.
if [[ $EUID -eq 0 && -z ${FAULTLINE_CHECKOUT_VIEW:-} ]] &&
  ! setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$PWD" 2>/dev/null; then
  if ! unshare --mount --propagation private true 2>/dev/null; then
    echo "faultline: user nobody cannot enter $PWD, and no private mount namespace can be made here to show it elsewhere: clone faultline where others may go (such as /opt or /srv), or let them traverse the path (chmod o+x on each folder of it)" >&2
    exit 1
  fi
  view=/var/tmp/faultline/checkouts/$(printf '%s' "$PWD" | sha256sum | cut -c1-12)
  mkdir -p "$view"
  chmod 755 /var/tmp/faultline /var/tmp/faultline/checkouts
  echo "faultline: user nobody cannot enter $PWD; running from $view, a private bind mount of it (nothing in $PWD changes; results still land in it)" >&2
  exec unshare --mount --propagation private \
    env FAULTLINE_CHECKOUT_VIEW="$view" bash -c \
    'mount --bind "$1" "$2" && cd "$2" && shift 2 && exec "$@"' _ "$PWD" "$view" "$script" "$@"
fi
