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

# True if the PID named on the first line of a postgres lock file is a live (not zombie) postgres.
lock_owner_alive() {
    local pid state comm
    pid="$(head -n 1 "$1" 2>/dev/null | tr -dc '0-9')"
    [[ -n "$pid" && -r "/proc/$pid/stat" ]] || return 1
    state="$(sed -E 's/^[0-9]+ \(.*\) ([A-Za-z]).*/\1/' "/proc/$pid/stat" 2>/dev/null || echo '?')"
    comm="$(cat "/proc/$pid/comm" 2>/dev/null || true)"
    [[ "$state" != "Z" && "$state" != "X" && "$comm" == postgres* ]]
}

# After a kill -9 the postmaster can linger as a zombie (nobody reaps it here) and leave
# postmaster.pid and the socket lock file behind; either one makes the next start fail.
clear_stale_pid() {
    local lock
    for lock in "$DATA_DIR/postmaster.pid" "$SOCKET_DIR/.s.PGSQL.$PORT.lock"; do
        if [[ -f "$lock" ]] && ! lock_owner_alive "$lock"; then
            log "removing stale $(basename "$lock") (pid $(head -n 1 "$lock" 2>/dev/null | tr -dc '0-9') is gone or a zombie)"
            rm -f "$lock"
        fi
    done
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

# Serialise concurrent callers (e.g. two test runs starting at once) around initdb/start/stop.
take_lock() {
    exec 9>"$BASE_DIR/.postgres-sh.lock"
    flock -w 120 9 || { log "timed out waiting for $BASE_DIR/.postgres-sh.lock"; exit 1; }
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
    take_lock
    # initdb/pg_ctl as postgres must not inherit an unreadable working directory (e.g. /root).
    cd "$BASE_DIR"
    init_cluster
    if ! is_running; then
        write_config
        touch "$LOG_FILE" && chown postgres:postgres "$LOG_FILE"
        log "starting PostgreSQL on 127.0.0.1:$PORT (data: $DATA_DIR, log: $LOG_FILE)"
        # 9>&-: the server must not inherit (and hold forever) our script lock.
        if ! as_postgres "$PG_BIN/pg_ctl" -D "$DATA_DIR" -l "$LOG_FILE" -w -t 60 start >&2 9>&-; then
            log "pg_ctl start failed; last log lines:"
            tail -n 30 "$LOG_FILE" >&2 || true
            exit 1
        fi
    fi
    wait_ready
    CONNECTION_STRING="Host=127.0.0.1;Port=$PORT;Username=postgres;Database=postgres"
}

stop() {
    PG_BIN="$(find_pg_bin)"
    if [[ -z "$PG_BIN" || ! -d "$DATA_DIR" ]]; then
        log "nothing to stop"
        return 0
    fi
    cd "$BASE_DIR"
    take_lock
    if is_running; then
        log "stopping PostgreSQL in $DATA_DIR"
        as_postgres "$PG_BIN/pg_ctl" -D "$DATA_DIR" -m fast -w -t 60 stop >&2
    else
        log "not running"
    fi
}

CONNECTION_STRING=""
# Everything runs with stdout pointed at stderr (so nothing we start inherits the caller's stdout,
# e.g. a $(...) pipe a daemon would keep open); only the connection string goes to the real stdout.
case "$ACTION" in
    start)
        start >&2
        echo "$CONNECTION_STRING"
        ;;
    stop) stop >&2 ;;
    *)
        log "usage: $0 [start|stop]"
        exit 2
        ;;
esac
