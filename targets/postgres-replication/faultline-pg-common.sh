# Shared by the recipe's scripts (sourced, POSIX sh): finds PostgreSQL's
# programs and turns SETTING=VALUE arguments into the server's -c options.

# Debian keeps the server's programs under /usr/lib/postgresql/<version>/bin;
# the glob sorts, so the last one found is the newest.
bindir=${FAULTLINE_PG_BINDIR:-}
if [ -z "$bindir" ]; then
  for candidate in /usr/lib/postgresql/*/bin; do
    [ -x "$candidate/postgres" ] && bindir=$candidate
  done
fi
if [ -z "$bindir" ] || [ ! -x "$bindir/postgres" ]; then
  echo "$(basename "$0"): no PostgreSQL server found; install it with: apt-get install postgresql-15" >&2
  exit 127
fi

# The settings every server of the recipe runs with. Durability as a real
# server has it (WAL, synchronous commit to its own disk) minus fsync: a
# killed server keeps every transaction it committed; only a host crash would
# not. No Unix socket: every client and standby comes over TCP, and a socket
# path inside a long results folder would pass sun_path's 107 bytes. WAL is
# kept (wal_keep_size) so that two standbys copying the primary at once,
# each forcing a checkpoint, never find a segment they need recycled.
pg_settings() {
  listen=$1 port=$2
  echo "-c listen_addresses=$listen -p $port -c unix_socket_directories= -c fsync=off"
  echo "-c shared_buffers=16MB -c max_connections=80 -c jit=off -c log_min_messages=warning"
  echo "-c wal_level=replica -c max_wal_senders=10 -c hot_standby=on -c wal_keep_size=256MB"
}

# faultline-pg-server starts a health responder beside the server; if this script
# fails before the server takes over, the responder must not outlive it (it
# would keep the service counted as running, and unhealthy, until the
# health check's timeout).
if [ -n "${FAULTLINE_PG_HEALTH_PID:-}" ]; then
  trap 'kill "$FAULTLINE_PG_HEALTH_PID" 2>/dev/null' EXIT
fi

# The application_name a standby streams under (and synchronous_standby_names
# names): its region with '-' as '_', so no quoting is needed (us_west_2).
standby_name() {
  echo "$1" | tr - _
}
