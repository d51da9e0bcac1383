#!/bin/sh
# PostgreSQL for the scaled layout (docker-compose.scale.yml): initialises the
# cluster in the volume on first start (password auth over the network, the
# two databases newsfeed uses), then runs the server in the foreground as
# PID 1, so SIGTERM is a fast shutdown.
set -eu
BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
PGDATA=${PGDATA:-/var/lib/postgresql/data}
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  if [ -z "${NEWSFEED_PG_PASSWORD:-}" ]; then
    echo "postgres: NEWSFEED_PG_PASSWORD must be set for the first start" >&2
    exit 1
  fi
  pwfile=$(mktemp)
  printf '%s\n' "$NEWSFEED_PG_PASSWORD" >"$pwfile"
  "$BIN/initdb" -D "$PGDATA" -U newsfeed --pwfile="$pwfile" \
    --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null
  rm -f "$pwfile"
  echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
  "$BIN/pg_ctl" -D "$PGDATA" -w -o "-c listen_addresses=''" start >/dev/null
  for db in newsfeed_articles newsfeed_feeds; do
    "$BIN/psql" -q -U newsfeed -d postgres -c "CREATE DATABASE $db"
  done
  "$BIN/pg_ctl" -D "$PGDATA" -w -m fast stop >/dev/null
fi
exec "$BIN/postgres" -D "$PGDATA" -c listen_addresses='*' "$@"
