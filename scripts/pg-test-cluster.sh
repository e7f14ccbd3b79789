#!/usr/bin/env bash
# A throw-away PostgreSQL cluster for tests (issue 9): initdb in a temporary
# directory, run as an unprivileged user, listening only on a Unix socket in
# that directory (no TCP port to collide with anything).
#
#   url=$(scripts/pg-test-cluster.sh start)   # prints the libpq URL, cluster dir in it
#   MR_TEST_DATABASE_URL=$url ...             # tests create their databases in it
#   scripts/pg-test-cluster.sh stop "$url"    # stops it and deletes the directory
#
# Durability is switched off (fsync, synchronous_commit): the data is thrown away.
# Roles log in without a password, except mr_password_role (for the start-up tests).
# PG_BIN overrides the server binaries' directory (Debian 12: PostgreSQL 15).
set -euo pipefail

PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
die() { echo "pg-test-cluster: $*" >&2; exit 1; }

# PostgreSQL refuses to run as root; CI runs as root.
as_owner() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u nobody -- "$@"; else "$@"; fi
}

dir_of_url() {
  local url=$1
  [[ $url =~ host=([^&]+) ]] || die "no host= in '$url'"
  echo "${BASH_REMATCH[1]}"
}

case "${1:-}" in
  start)
    [[ -x $PG_BIN/initdb ]] || die "$PG_BIN/initdb not found (install postgresql: scripts/install-deps.sh)"
    dir=$(mktemp -d /tmp/mr-pg.XXXXXX)
    chmod 755 "$dir"
    [[ $(id -u) -eq 0 ]] && chown nobody "$dir"
    as_owner "$PG_BIN/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 \
      --no-sync >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
    # Every role logs in without a password, except mr_password_role: the start-up tests
    # (tests/integration/test_pg_startup.py) need one wrong password to be refused.
    hba="$dir/data/pg_hba.conf"
    { echo "local all mr_password_role scram-sha-256"; cat "$hba"; } >"$hba.new"
    mv "$hba.new" "$hba"
    [[ $(id -u) -eq 0 ]] && chown nobody "$hba"
    as_owner "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
      -o "-c listen_addresses='' -k $dir -c fsync=off -c synchronous_commit=off \
          -c full_page_writes=off -c max_connections=300" start >/dev/null \
      || { cat "$dir/server.log" >&2; die "pg_ctl start failed"; }
    echo "postgresql:///postgres?host=$dir&user=postgres"
    ;;
  stop)
    [[ -n ${2:-} ]] || die "usage: $0 stop URL"
    dir=$(dir_of_url "$2")
    [[ $dir == /tmp/mr-pg.* && -d $dir/data ]] || die "'$dir' is not a test cluster"
    as_owner "$PG_BIN/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$dir"
    ;;
  *)
    die "usage: $0 start | stop URL"
    ;;
esac
