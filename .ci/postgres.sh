#!/usr/bin/env bash
# Start a throwaway PostgreSQL cluster on loopback for the tests; prints the SQLAlchemy URL.
# Installs the Debian package when missing. Stopped by the caller's trap (pg_ctl stop).
set -euo pipefail
PORT="${PGPORT_TEST:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}"
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql) >&2
fi
BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
DIR="$(mktemp -d /tmp/tthc-pg.XXXXXX)"
chown postgres "$DIR" 2>/dev/null || true
runuser -u postgres -- "$BIN/initdb" -D "$DIR/data" -A trust -U postgres -E UTF8 --locale=C.UTF-8 >&2
runuser -u postgres -- "$BIN/pg_ctl" -D "$DIR/data" -w -l "$DIR/log" \
  -o "-p $PORT -c listen_addresses=127.0.0.1 -k $DIR -c fsync=off" start >&2
echo "$BIN/pg_ctl -D $DIR/data" > /tmp/tthc-pg-stop
echo "postgresql+psycopg://postgres@127.0.0.1:$PORT/postgres"
