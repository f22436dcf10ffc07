#!/usr/bin/env bash
# Makes a throw-away PostgreSQL available for tests and local runs.
#
#   scripts/postgres.sh         start (if needed) and print ONLY the connection string on stdout
#   scripts/postgres.sh stop    stop the throw-away server
#
# Runs as root on Debian 12: installs the `postgresql` package if missing, then runs a private
# cluster (initdb + pg_ctl as the postgres user) in ${PGTEST_DIR:-/tmp/orleans-triggers-pg},
# listening on 127.0.0.1:${PGTEST_PORT:-55432} with trust auth and durability switched off.
# Everything except the connection string goes to stderr, so callers can capture stdout as-is.
set -euo pipefail

# Keep the real stdout on fd 3 for the connection string; everything else goes to stderr.
exec 3>&1 1>&2

BASE_DIR="${PGTEST_DIR:-/tmp/orleans-triggers-pg}"
PORT="${PGTEST_PORT:-55432}"
DATA_DIR="$BASE_DIR/data"
SOCKET_DIR="$BASE_DIR/run"
LOG_FILE="$BASE_DIR/postgres.log"
ACTION="${1:-start}"

log() { echo "postgres.sh: $*" >&2; }

find_pg_bin() {
    local dir
    dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
    if [[ -n "$dir" && -x "$dir/initdb" && -x "$dir/pg_ctl" ]]; then
        echo "$dir"
    fi
}

ensure_installed() {
    if [[ -n "$(find_pg_bin)" ]]; then
        return
    fi
    if [[ "$(id -u)" -ne 0 ]]; then
        log "PostgreSQL is not installed and this script is not running as root"
        exit 1
    fi
    log "installing postgresql (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq postgresql >&2
    if [[ -z "$(find_pg_bin)" ]]; then
        log "postgresql installed but no /usr/lib/postgresql/*/bin/initdb found"
        exit 1
    fi
}

# Run a PostgreSQL binary as the postgres user (initdb/pg_ctl refuse to run as root).
as_postgres() {
    if [[ "$(id -u)" -eq 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

# A postmaster.pid survives a kill -9; a dead (or zombie, or recycled) PID in it makes start fail.
clear_stale_pid() {
    local pid_file="$DATA_DIR/postmaster.pid" pid state comm
    [[ -f "$pid_file" ]] || return 0
    pid="$(head -n 1 "$pid_file" 2>/dev/null | tr -dc '0-9')"
    if [[ -n "$pid" && -r "/proc/$pid/stat" ]]; then
        state="$(sed -E 's/^[0-9]+ \(.*\) ([A-Za-z]).*/\1/' "/proc/$pid/stat" 2>/dev/null || echo '?')"
        comm="$(cat "/proc/$pid/comm" 2>/dev/null || true)"
        if [[ "$state" != "Z" && "$state" != "X" && "$comm" == postgres* ]]; then
            return 0
        fi
        log "removing stale postmaster.pid (pid $pid, state $state, command '${comm:-?}')"
    else
        log "removing stale postmaster.pid (pid ${pid:-?} is gone)"
    fi
    rm -f "$pid_file"
}

is_running() {
    clear_stale_pid
    [[ -f "$DATA_DIR/postmaster.pid" ]] && as_postgres "$PG_BIN/pg_ctl" -D "$DATA_DIR" status >/dev/null 2>&1
}

init_cluster() {
    if [[ -f "$DATA_DIR/PG_VERSION" ]]; then
        return
    fi
    log "initialising $DATA_DIR"
    rm -rf "$DATA_DIR"
    install -d -o postgres -g postgres -m 0700 "$DATA_DIR"
    as_postgres "$PG_BIN/initdb" -D "$DATA_DIR" -U postgres --auth=trust --encoding=UTF8 \
        --locale=C.UTF-8 --no-sync >&2
    # Our settings live in a separate file so re-runs can rewrite them without touching initdb's file.
    echo "include_if_exists = 'throwaway.conf'" >>"$DATA_DIR/postgresql.conf"
}

write_config() {
    # Durability is pointless for a throw-away test server; speed matters more.
    cat >"$DATA_DIR/throwaway.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$SOCKET_DIR'
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
    # Only local sockets and IPv4 loopback, no passwords.
    cat >"$DATA_DIR/pg_hba.conf" <<'EOF'
# TYPE  DATABASE  USER  ADDRESS        METHOD
local   all       all                  trust
host    all       all   127.0.0.1/32   trust
EOF
    chown postgres:postgres "$DATA_DIR/throwaway.conf" "$DATA_DIR/pg_hba.conf"
}

wait_ready() {
    local i
    for ((i = 0; i < 120; i++)); do
        if "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" -U postgres -d postgres; then
            return 0
        fi
        sleep 0.5
    done
    log "server did not become ready; last log lines:"
    tail -n 30 "$LOG_FILE" >&2 || true
    exit 1
}

start() {
    ensure_installed
    PG_BIN="$(find_pg_bin)"
    install -d -o postgres -g postgres -m 0755 "$BASE_DIR"
    install -d -o postgres -g postgres -m 0755 "$SOCKET_DIR"
    # initdb/pg_ctl as postgres must not inherit an unreadable working directory (e.g. /root).
    cd "$BASE_DIR"
    init_cluster
    if ! is_running; then
        write_config
        touch "$LOG_FILE" && chown postgres:postgres "$LOG_FILE"
        log "starting PostgreSQL on 127.0.0.1:$PORT (data: $DATA_DIR, log: $LOG_FILE)"
        if ! as_postgres "$PG_BIN/pg_ctl" -D "$DATA_DIR" -l "$LOG_FILE" -w -t 60 start >&2; then
            log "pg_ctl start failed; last log lines:"
            tail -n 30 "$LOG_FILE" >&2 || true
            exit 1
        fi
    fi
    wait_ready
    echo "Host=127.0.0.1;Port=$PORT;Username=postgres;Database=postgres" >&3
}

stop() {
    PG_BIN="$(find_pg_bin)"
    if [[ -z "$PG_BIN" || ! -d "$DATA_DIR" ]]; then
        log "nothing to stop"
        return 0
    fi
    cd "$BASE_DIR"
    if is_running; then
        log "stopping PostgreSQL in $DATA_DIR"
        as_postgres "$PG_BIN/pg_ctl" -D "$DATA_DIR" -m fast -w -t 60 stop >&2
    else
        log "not running"
    fi
}

case "$ACTION" in
    start) start ;;
    stop) stop ;;
    *)
        log "usage: $0 [start|stop]"
        exit 2
        ;;
esac
