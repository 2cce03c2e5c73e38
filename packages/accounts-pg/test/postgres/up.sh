#!/usr/bin/env bash
# up.sh - start a throw-away PostgreSQL cluster for tests: initdb into a temporary directory,
# listening on 127.0.0.1 only, on a free high port, its unix socket inside that directory, trust
# authentication for 127.0.0.1 only (no password; nothing else may connect), fsync off.
#
# Environment (all optional):
#   PG_DIR    the directory (created; must not hold a cluster yet). Default: a new mktemp dir
#   PG_PORT   the port. Default: a free random port in 20000-60000
#   PG_USER   the operating-system user that runs the server when started as root (initdb
#             refuses to run as root). Default: postgres (created by Debian's package)
#
# Prints `DATABASE_URL=postgres://postgres@127.0.0.1:PORT/postgres` and `PG_DIR=...` on stdout
# (also written to $PG_DIR/pg.env). Stop it with down.sh (same PG_DIR).
set -euo pipefail
log() { printf '[pg-up %s] %s\n' "$(date +%T)" "$*" >&2; }
die() {
  log "ERROR: $*"
  [ -f "${PG_DIR:-}/postgres.log" ] && tail -n 30 "$PG_DIR/postgres.log" >&2
  exit 1
}
BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$BIN" ] && [ -x "$BIN/initdb" ] || die "no PostgreSQL server binaries under /usr/lib/postgresql (run install.sh)"

PG_DIR=${PG_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/ftpkit-pg.XXXXXX")}
mkdir -p "$PG_DIR"
[ -e "$PG_DIR/data/PG_VERSION" ] && die "$PG_DIR already holds a cluster"
as_owner=()
if [ "$(id -u)" = 0 ]; then
  PG_USER=${PG_USER:-postgres}
  id -u "$PG_USER" >/dev/null 2>&1 || die "user $PG_USER does not exist"
  chown "$PG_USER" "$PG_DIR"
  as_owner=(runuser -u "$PG_USER" --)
fi
chmod 700 "$PG_DIR"

started=$(date +%s%N)
"${as_owner[@]}" "$BIN/initdb" -D "$PG_DIR/data" -U postgres --auth=reject --encoding=UTF8 --locale=C.UTF-8 \
  --no-sync >"$PG_DIR/initdb.log" 2>&1 || { cat "$PG_DIR/initdb.log" >&2; die "initdb failed"; }
# Only TCP from 127.0.0.1, trusted; everything else (other addresses, the unix socket) refused.
"${as_owner[@]}" tee "$PG_DIR/data/pg_hba.conf" >/dev/null <<HBA
# TYPE  DATABASE  USER  ADDRESS       METHOD
host    all       all   127.0.0.1/32  trust
HBA

port_taken() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for attempt in 1 2 3 4 5 6 7 8; do
  port=${PG_PORT:-$((20000 + RANDOM % 40000))}
  if port_taken "$port"; then
    [ -n "${PG_PORT:-}" ] && die "port $port is in use"
    continue
  fi
  "${as_owner[@]}" tee "$PG_DIR/data/postgresql.auto.conf" >/dev/null <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$PG_DIR'
max_connections = 300
shared_buffers = '32MB'
fsync = off
synchronous_commit = off
full_page_writes = off
logging_collector = off
CONF
  if "${as_owner[@]}" "$BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/postgres.log" -w -t 60 start >/dev/null; then
    url="postgres://postgres@127.0.0.1:$port/postgres"
    printf 'export DATABASE_URL=%s\nexport PG_DIR=%s\n' "$url" "$PG_DIR" >"$PG_DIR/pg.env"
    log "PostgreSQL $("$BIN/postgres" --version | awk '{print $3}') up on 127.0.0.1:$port in $(( ($(date +%s%N) - started) / 1000000 )) ms ($PG_DIR)"
    echo "DATABASE_URL=$url"
    echo "PG_DIR=$PG_DIR"
    exit 0
  fi
  # Lost a race for the port (or another start failure): try another port.
  grep -q 'could not bind\|Address already in use' "$PG_DIR/postgres.log" 2>/dev/null || die "pg_ctl start failed"
  [ -n "${PG_PORT:-}" ] && die "port $port is in use"
  log "port $port was taken; trying another"
done
die "no free port found"
