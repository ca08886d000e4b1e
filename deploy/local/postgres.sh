#!/usr/bin/env bash
# Project-local PostgreSQL cluster on the machine's PostgreSQL binaries.
# When invoked as root the cluster runs as an unprivileged OS user (PostgreSQL refuses root).
# Usage: postgres.sh start|stop|status|logs|psql
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

PGLOG="$LOGS/postgres.log"

pg_bindir() {
  if [[ -n "${PG_BINDIR:-}" ]]; then echo "$PG_BINDIR"; return; fi
  local d
  d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)"
  if [[ -n "$d" && -x "$d/pg_ctl" ]]; then echo "$d"; return; fi
  command -v pg_config >/dev/null && { pg_config --bindir; return; }
  die "PostgreSQL 15+ server binaries not found (install postgresql, or set PG_BINDIR)"
}
BIN="$(pg_bindir)"

# Which OS user owns and runs the cluster.
if [[ "$(id -u)" == "0" ]]; then
  PG_OS_USER="${PG_OS_USER:-backoffice-pg}"
  if ! id "$PG_OS_USER" >/dev/null 2>&1; then
    useradd --system --no-create-home --shell /usr/sbin/nologin "$PG_OS_USER" 2>/dev/null \
      || useradd -r -M -s /bin/false "$PG_OS_USER"
  fi
  as_pg() { runuser -u "$PG_OS_USER" -- "$@"; }
else
  PG_OS_USER="$(id -un)"
  as_pg() { "$@"; }
fi

# The data folder must be reachable by that user; a clone under a private home is not,
# so fall back to a per-project folder under /var/tmp.
PGDATA_DEFAULT="$LOCAL/pgdata"
if [[ "$(id -u)" == "0" ]] && ! runuser -u "$PG_OS_USER" -- test -x "$LOCAL" 2>/dev/null; then
  PGDATA_DEFAULT="/var/tmp/backoffice-pg-$(printf '%s' "$ROOT" | md5sum | cut -c1-12)/pgdata"
fi
PGDATA="${PGDATA:-$PGDATA_DEFAULT}"
PGSOCK="$(dirname "$PGDATA")/pgsock"

running() { as_pg "$BIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; }

init() {
  [[ -f "$PGDATA/PG_VERSION" ]] && return
  log "creating PostgreSQL cluster in $PGDATA (OS user $PG_OS_USER)"
  mkdir -p "$PGDATA" "$PGSOCK"
  chown -R "$PG_OS_USER" "$(dirname "$PGDATA")" 2>/dev/null || true
  chmod 700 "$PGDATA"
  # Trust on loopback only: this is a developer cluster bound to 127.0.0.1, so no password lives in the repo.
  as_pg "$BIN/initdb" -D "$PGDATA" -U "$PG_SUPERUSER" --auth=trust -E UTF8 --locale=C.UTF-8 >"$LOGS/initdb.log" 2>&1 \
    || as_pg "$BIN/initdb" -D "$PGDATA" -U "$PG_SUPERUSER" --auth=trust -E UTF8 --no-locale >"$LOGS/initdb.log" 2>&1 \
    || { cat "$LOGS/initdb.log" >&2; die "initdb failed"; }
  cat >>"$PGDATA/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$PGSOCK'
max_connections = 400
shared_buffers = 512MB
wal_buffers = 16MB
max_wal_size = 4GB
checkpoint_timeout = 15min
max_locks_per_transaction = 256
log_min_messages = warning
log_min_duration_statement = -1
CONF
}

start() {
  if [[ -n "${DATABASE_URL:-}" ]]; then log "using existing PostgreSQL at ${DATABASE_URL%%@*}@…"; return; fi
  init
  mkdir -p "$PGSOCK"; chown "$PG_OS_USER" "$PGSOCK" 2>/dev/null || true
  touch "$PGLOG"; chown "$PG_OS_USER" "$PGLOG" 2>/dev/null || true
  if ! running; then
    if port_open "$PG_PORT"; then die "port $PG_PORT is taken by another process (set PG_PORT)"; fi
    log "starting PostgreSQL on 127.0.0.1:$PG_PORT"
    as_pg "$BIN/pg_ctl" -D "$PGDATA" -o "-p $PG_PORT" -l "$PGLOG" -w -t 60 start >/dev/null \
      || { tail -30 "$PGLOG" >&2; die "PostgreSQL did not start"; }
  else
    log "PostgreSQL already running on 127.0.0.1:$PG_PORT"
  fi
  for db in $PG_DATABASES; do
    if ! "$BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U "$PG_SUPERUSER" -d postgres -tAc \
        "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1; then
      "$BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U "$PG_SUPERUSER" "$db"
      log "created database $db"
    fi
  done
}

stop() {
  if [[ -f "$PGDATA/PG_VERSION" ]] && running; then
    log "stopping PostgreSQL"
    as_pg "$BIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null || true
  fi
}

status() {
  if [[ -n "${DATABASE_URL:-}" ]]; then echo "postgres: external"; return; fi
  if [[ -f "$PGDATA/PG_VERSION" ]] && running; then
    echo "postgres: running on 127.0.0.1:$PG_PORT ($PGDATA)"
  else echo "postgres: stopped"; fi
}

case "${1:-}" in
  start) start ;; stop) stop ;; status) status ;;
  logs) tail -n "${LINES:-100}" "$PGLOG" ;;
  psql) shift; exec "$BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U "$PG_SUPERUSER" "${@:-postgres}" ;;
  *) echo "usage: $0 start|stop|status|logs|psql" >&2; exit 2 ;;
esac
