#!/usr/bin/env bash
# Starts or stops a throwaway PostgreSQL cluster for tests, reachable only on a
# unix socket inside DIR (no TCP port, so runs never collide).
#
#   pg-test-cluster.sh start DIR [OWNER_PID]   # prints the libpq connection string
#   pg-test-cluster.sh stop DIR
#
# With OWNER_PID, a watchdog stops the server and removes DIR once that
# process is gone, however it ended (a crashed or killed test leaves no
# server behind).
#
# The server runs as the invoking user, or as `postgres` when invoked as root
# (PostgreSQL refuses to run as root). Durability is off (fsync=off): the data
# is thrown away with DIR. The first start initialises a template cluster in
# /tmp that later starts copy, which saves initdb's second per test process.
set -euo pipefail

action=${1:?usage: pg-test-cluster.sh start|stop DIR}
dir=${2:?usage: pg-test-cluster.sh start|stop DIR}

bindir=""
for candidate in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
  if [[ -x $candidate/initdb ]]; then bindir=$candidate; break; fi
done
if [[ -z $bindir ]]; then
  echo "pg-test-cluster: no PostgreSQL server binaries under /usr/lib/postgresql (install Debian's postgresql package: scripts/install-deps.sh)" >&2
  exit 1
fi

as_owner=()
if [[ $(id -u) -eq 0 ]]; then as_owner=(runuser -u postgres --); fi

case $action in
  start)
    version=$(basename "$(dirname "$bindir")")
    template=/tmp/newsfeed-pg-template-$(id -u)-$version
    (
      flock 9
      if [[ ! -f $template/PG_VERSION ]]; then
        rm -rf "$template" && mkdir -p "$template"
        if ((${#as_owner[@]})); then chown postgres: "$template"; fi
        "${as_owner[@]}" "$bindir/initdb" -D "$template" -A trust -U newsfeed \
          --no-sync -E UTF8 --locale=C >"$template.log" 2>&1 ||
          { cat "$template.log" >&2; rm -rf "$template"; exit 1; }
      fi
    ) 9>"$template.lock"
    mkdir -p "$dir"
    cp -a "$template" "$dir/data"
    if ((${#as_owner[@]})); then chown postgres: "$dir" "$dir/data"; fi
    "${as_owner[@]}" "$bindir/pg_ctl" -D "$dir/data" -w -t 60 -l "$dir/server.log" \
      -o "-c listen_addresses='' -c unix_socket_directories='$dir' -c fsync=off -c full_page_writes=off -c synchronous_commit=off -c max_connections=200" \
      start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
    if [[ -n ${3:-} ]]; then
      owner=$3
      (
        trap '' HUP
        while kill -0 "$owner" 2>/dev/null; do sleep 1; done
        "${as_owner[@]}" "$bindir/pg_ctl" -D "$dir/data" -m immediate stop
        rm -rf "$dir"
      ) </dev/null >/dev/null 2>&1 &
      disown
    fi
    echo "host=$dir user=newsfeed dbname=postgres"
    ;;
  stop)
    if [[ -f $dir/data/postmaster.pid ]]; then
      "${as_owner[@]}" "$bindir/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
    fi
    ;;
  *)
    echo "pg-test-cluster: unknown action $action (start|stop)" >&2
    exit 2
    ;;
esac
