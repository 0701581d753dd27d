# Throwaway PostgreSQL 15 cluster; source this file, then `pg_start` / `pg_stop`.
# pg_start exports PGHOST, PGPORT and PGUSER; pg_stop stops the server and deletes its files.
# PostgreSQL refuses to run as root, so as root the server runs as the postgres user.
# PG_OPTIONS (server options) defaults to no durability (fsync, synchronous_commit and
# full_page_writes off), which is right for tests; benchmarks set it to measure both.

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PG_DIR=""
PG_AS=()
PG_NO_DURABILITY="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"

pg_free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

pg_start() {
    if [ "$(id -u)" -eq 0 ]; then
        id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
        PG_AS=(runuser -u postgres --)
    fi
    PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/recur-pg-XXXXXX")
    [ "$(id -u)" -ne 0 ] || chown postgres "$PG_DIR"
    "${PG_AS[@]}" "$PG_BIN/initdb" -D "$PG_DIR/data" -A trust -U postgres -E UTF8 --no-locale \
        >"$PG_DIR/initdb.log" 2>&1 || { cat "$PG_DIR/initdb.log" >&2; return 1; }
    local attempt port
    for attempt in 1 2 3; do
        port=$(pg_free_port)
        if "${PG_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w -t 30 \
            -o "-p $port -k $PG_DIR -c listen_addresses=127.0.0.1 ${PG_OPTIONS:-$PG_NO_DURABILITY}" \
            start >/dev/null; then
            export PGHOST=127.0.0.1 PGPORT=$port PGUSER=postgres
            echo "PostgreSQL 15 running on 127.0.0.1:$port ($PG_DIR)"
            return 0
        fi
        echo "PostgreSQL did not start on port $port (attempt $attempt)" >&2
    done
    cat "$PG_DIR/log" >&2 || true
    return 1
}

pg_stop() {
    [ -n "$PG_DIR" ] || return 0
    if [ -f "$PG_DIR/data/postmaster.pid" ]; then
        "${PG_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$PG_DIR"
    echo "PostgreSQL stopped and removed ($PG_DIR)"
    PG_DIR=""
}
