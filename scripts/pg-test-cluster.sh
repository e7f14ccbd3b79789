#!/usr/bin/env bash
# A throw-away PostgreSQL cluster for tests (issue 9): initdb in a temporary
# directory, run as an unprivileged user, listening only on a Unix socket in
# that directory (no TCP port to collide with anything).
#
#   url=$(scripts/pg-test-cluster.sh start)   # prints the libpq URL, cluster dir in it
#   MR_TEST_DATABASE_URL=$url ...             # tests create their databases in it
#   scripts/pg-test-cluster.sh stop "$url"    # stops it and deletes the directory
#   scripts/pg-test-cluster.sh stop-owned TAG # stops every cluster started with
#                                             # MR_PG_CLUSTER_OWNER=TAG; prints their directories
#
# Durability is switched off (fsync, synchronous_commit): the data is thrown away.
# Roles log in without a password, except mr_password_role (for the start-up tests).
# PG_BIN overrides the server binaries' directory (Debian 12: PostgreSQL 15).
#
# Nothing is left behind by a start that fails or is interrupted. A cluster whose starter was
# killed before it could stop it is found by its owner tag (scripts/test.sh runs stop-owned
# after every suite, whatever its outcome), and one whose server was killed too (a session
# ended) is removed by a later start: a directory older than STALE_MINUTES whose postmaster no
# longer runs is garbage.
set -euo pipefail

PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
STALE_MINUTES=10
die() { echo "pg-test-cluster: $*" >&2; exit 1; }
shopt -s nullglob

# PostgreSQL refuses to run as root; CI runs as root.
as_owner() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u nobody -- "$@"; else "$@"; fi
}

dir_of_url() {
  local url=$1
  [[ $url =~ host=([^&]+) ]] || die "no host= in '$url'"
  echo "${BASH_REMATCH[1]}"
}

stop_dir() {
  as_owner "$PG_BIN/pg_ctl" -D "$1/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$1"
}

postmaster_runs() {
  local pid
  pid=$(head -n 1 "$1/data/postmaster.pid" 2>/dev/null) || return 1
  # /proc too: kill -0 is refused for another user's process, which still runs.
  [[ $pid =~ ^[0-9]+$ ]] && { kill -0 "$pid" 2>/dev/null || [[ -d /proc/$pid ]]; }
}

remove_stale_clusters() {
  local old
  for old in /tmp/mr-pg.*; do
    [[ -d $old && -n $(find "$old" -maxdepth 0 -mmin +"$STALE_MINUTES") ]] || continue
    postmaster_runs "$old" || rm -rf "$old" 2>/dev/null || true  # another user's: theirs to remove
  done
}

case "${1:-}" in
  start)
    [[ -x $PG_BIN/initdb ]] || die "$PG_BIN/initdb not found (install postgresql: scripts/install-deps.sh)"
    remove_stale_clusters
    dir=$(mktemp -d /tmp/mr-pg.XXXXXX)
    # Until the URL is printed, any exit (a failure, or a signal from a suite's timeout) stops
    # and removes the half-made cluster.
    trap 'stop_dir "$dir"' EXIT
    printf '%s\n' "${MR_PG_CLUSTER_OWNER:-}" >"$dir/owner"
    chmod 755 "$dir"
    [[ $(id -u) -eq 0 ]] && chown nobody "$dir"
    as_owner "$PG_BIN/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 \
      --no-sync >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2 || true; die "initdb failed"; }
    # Every role logs in without a password, except mr_password_role: the start-up tests
    # (tests/integration/test_pg_startup.py) need one wrong password to be refused.
    hba="$dir/data/pg_hba.conf"
    { echo "local all mr_password_role scram-sha-256"; cat "$hba"; } >"$hba.new"
    mv "$hba.new" "$hba"
    [[ $(id -u) -eq 0 ]] && chown nobody "$hba"
    as_owner "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
      -o "-c listen_addresses='' -k $dir -c fsync=off -c synchronous_commit=off \
          -c full_page_writes=off -c max_connections=300" start >/dev/null \
      || { cat "$dir/server.log" >&2 || true; die "pg_ctl start failed"; }
    trap - EXIT
    echo "postgresql:///postgres?host=$dir&user=postgres"
    ;;
  stop)
    [[ -n ${2:-} ]] || die "usage: $0 stop URL"
    dir=$(dir_of_url "$2")
    [[ $dir == /tmp/mr-pg.* && -d $dir/data ]] || die "'$dir' is not a test cluster"
    stop_dir "$dir"
    ;;
  stop-owned)
    [[ -n ${2:-} ]] || die "usage: $0 stop-owned TAG"
    for dir in /tmp/mr-pg.*; do
      if [[ -f $dir/owner && $(<"$dir/owner") == "$2" ]]; then
        stop_dir "$dir"
        echo "$dir"
      fi
    done
    ;;
  *)
    die "usage: $0 start | stop URL | stop-owned TAG"
    ;;
esac
