# Shared by benches/soak.sh and benches/fault.sh (sourced, not run): building, the work
# directory, starting and stopping the release server, and the final check of its database.

# Builds the release binaries and prepares a work directory /tmp/magnate-NAME.XXXXXX holding the
# database (DB) and the ack log (ACKS); picks a free PORT unless one is given. The work
# directory is removed at exit unless the run failed or KEEP=1.
#
# With BENCH_POSTGRES=postgres://user@host:port/db the server runs on PostgreSQL instead: DB is
# then the URL of a fresh schema in that database (dropped at exit unless KEEP=1 or the run
# failed), and every tool gets that URL.
setup_run() {
    local name=$1
    cd "$(dirname "${BASH_SOURCE[0]}")/.."
    # PROFILE=profiling builds the same code with line tables, for perf.
    cargo build --profile "${PROFILE:-release}" --locked -q -p magnate-server -p magnate-cli --bins --example loadgen
    BIN=${CARGO_TARGET_DIR:-$PWD/target}/${PROFILE:-release}
    ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
    PORT=${PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null || shuf -i 20000-60000 -n 1)}
    WORK=$(mktemp -d "/tmp/magnate-$name.XXXXXX")
    DB=$WORK/$name.db
    DB_ARGS=(--database "$DB")
    PG_SCHEMA=
    if [ -n "${BENCH_POSTGRES:-}" ]; then
        PG_SCHEMA="magnate_bench_${name}_$$"
        psql "$BENCH_POSTGRES" -qc "DROP SCHEMA IF EXISTS $PG_SCHEMA CASCADE; CREATE SCHEMA $PG_SCHEMA"
        case "$BENCH_POSTGRES" in *\?*) separator='&' ;; *) separator='?' ;; esac
        DB="$BENCH_POSTGRES${separator}options=-c%20search_path%3D$PG_SCHEMA"
        DB_ARGS=(--database-url "$DB")
    fi
    ACKS=$WORK/acks.jsonl
    SERVER_PID=
    LOADGEN_PID=
    # 4-player public games, 2 s auctions (games never wait 20 s on one), no per-socket action
    # rate limit (the load clients act faster than people), and no login, registration or
    # room-code throttles (every load client registers and logs in from this one address).
    SERVER_ENV=(
        NUM_PUBLIC_GAME_PLAYERS=4 AUCTION_DURATION=2 WS_ACTIONS_PER_SECOND=0
        LOGINS_PER_MINUTE_PER_ADDRESS=0 LOGIN_FAILURES_PER_MINUTE_PER_USER=0
        REGISTRATIONS_PER_MINUTE_PER_ADDRESS=0 ROOM_CODE_TRIES_PER_MINUTE=0
        LOG_LEVEL=warn SECRET_KEY="$name-bench-secret-key-0123456789abcdef"
    )
    trap cleanup_run EXIT
}

cleanup_run() {
    if [ -n "$LOADGEN_PID" ] && kill -0 "$LOADGEN_PID" 2>/dev/null; then kill -9 "$LOADGEN_PID"; fi
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then kill -9 "$SERVER_PID"; fi
    if [ "${KEEP:-0}" = 1 ] || [ "${FAILED:-1}" = 1 ]; then
        echo "work directory kept: $WORK" >&2
        [ -z "$PG_SCHEMA" ] || echo "PostgreSQL schema kept: $PG_SCHEMA" >&2
    else
        rm -rf "$WORK"
        [ -z "$PG_SCHEMA" ] || psql "$BENCH_POSTGRES" -qc "DROP SCHEMA $PG_SCHEMA CASCADE" || true
    fi
}

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

# Starts the server on PORT and DB and waits until it answers HTTP (restoring unfinished games
# comes first); READY_AFTER is how long that took.
start_server() {
    local started
    started=$(now)
    env "${SERVER_ENV[@]}" "$BIN/magnate-server" --bind "127.0.0.1:$PORT" "${DB_ARGS[@]}" \
        --config "$WORK/no-config.json" >>"$WORK/server.log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 300); do
        curl -s -o /dev/null "http://127.0.0.1:$PORT/" && break
        kill -0 "$SERVER_PID" 2>/dev/null || { echo "FAIL: the server exited at start" >&2; return 1; }
        sleep 0.05
    done
    READY_AFTER=$(since "$started")
}

# Stops the server with SIGTERM; SERVER_STATUS is its exit status (1 if it is still running
# after 30 s).
stop_server() {
    kill -TERM "$SERVER_PID"
    for _ in $(seq 300); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    SERVER_STATUS=0
    if kill -0 "$SERVER_PID" 2>/dev/null; then
        echo "FAIL: the server did not stop within 30 s of SIGTERM" >&2
        SERVER_STATUS=1
    else
        wait "$SERVER_PID" || SERVER_STATUS=$?
    fi
    SERVER_PID=
}

# Checks the stopped server's database against the ack log; VERIFY is the exit status.
verify_database() {
    echo "--- verify-db"
    set +e
    "$BIN/magnate" verify-db --db "$DB" --acks "$ACKS" --expect-finished 2>&1 | tee "$WORK/verify.out"
    VERIFY=${PIPESTATUS[0]}
    set -e
}
