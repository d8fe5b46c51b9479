#!/usr/bin/env bash
# Start (or stop) a throwaway PostgreSQL cluster in a temporary folder, as an unprivileged
# user (PostgreSQL refuses to run as root). Prints `export DATABASE_URL=...` on start.
#   eval "$(scripts/pg-throwaway.sh start)"   ...   scripts/pg-throwaway.sh stop "$PGTMP"
set -euo pipefail

PGBIN=$(dirname "$(ls -d /usr/lib/postgresql/*/bin/initdb | sort -V | tail -1)")
RUNAS=postgres
id "$RUNAS" >/dev/null 2>&1 || RUNAS=nobody

as_user() {
  if [ "$(id -u)" = "0" ]; then runuser -u "$RUNAS" -- "$@"; else "$@"; fi
}

case "${1:-}" in
  start)
    dir=$(mktemp -d /tmp/oasys-pg.XXXXXX)
    chmod 755 "$dir"
    [ "$(id -u)" = "0" ] && chown "$RUNAS" "$dir"
    port=${PGPORT_WANTED:-$(( 55000 + RANDOM % 5000 ))}
    as_user "$PGBIN/initdb" -D "$dir/data" -A trust -U oasys -E UTF8 --no-locale >"$dir/initdb.log" 2>&1
    # Durability is pointless for a throwaway test cluster; speed matters.
    as_user "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start \
      -o "-k $dir -h 127.0.0.1 -p $port -F -c full_page_writes=off -c synchronous_commit=off -c max_connections=200" >/dev/null
    as_user "$PGBIN/createdb" -h 127.0.0.1 -p "$port" -U oasys oasys
    echo "export PGTMP=$dir"
    echo "export DATABASE_URL=postgres://oasys@127.0.0.1:$port/oasys"
    ;;
  stop)
    dir=${2:?usage: pg-throwaway.sh stop DIR}
    as_user "$PGBIN/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$dir"
    ;;
  *)
    echo "usage: $0 start | stop DIR" >&2; exit 2 ;;
esac
