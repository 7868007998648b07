#!/usr/bin/env bash
# Soak test (issue 7): the load generator's `soak` mode against the release server for DURATION
# seconds (default 600), with random socket drops and reconnects, then a graceful stop (SIGTERM)
# and a check of the database: every record replays to its hashes, finished games replay to a
# finished game, no game is left unfinished, and every action a client was sent appears in its
# game's record in order (`magnate verify-db --acks`).
#
#   benches/soak.sh            # 10 minutes
#   benches/soak.sh 60         # a quick run
#
# Environment: GAMES (concurrent games, default 50), THINK_MS (default 100), DROP_PROBABILITY
# (per decision, default 0.02), ACTIONS_PER_GAME (default 200), PORT (default: a free one),
# KEEP=1 keeps the work directory, CARGO_TARGET_DIR as usual. Exits non-zero on any failure.
set -euo pipefail

DURATION=${1:-${DURATION:-600}}
GAMES=${GAMES:-50}
THINK_MS=${THINK_MS:-100}
DROP_PROBABILITY=${DROP_PROBABILITY:-0.02}
ACTIONS_PER_GAME=${ACTIONS_PER_GAME:-200}

cd "$(dirname "$0")/.."
cargo build --release --locked -q -p magnate-server -p magnate-cli --bins --example loadgen
BIN=${CARGO_TARGET_DIR:-$PWD/target}/release
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
PORT=${PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
WORK=$(mktemp -d /tmp/magnate-soak.XXXXXX)
DB=$WORK/soak.db
ACKS=$WORK/acks.jsonl
SERVER_PID=
cleanup() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then kill -9 "$SERVER_PID"; fi
    if [ "${KEEP:-0}" = 1 ] || [ "${FAILED:-1}" = 1 ]; then
        echo "work directory kept: $WORK" >&2
    else
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT

# 4-player public games, 2 s auctions (games never wait 20 s on one), no per-socket action rate
# limit (the load clients act faster than people), the allocator setting of the load figures.
server_env=(
    NUM_PUBLIC_GAME_PLAYERS=4 AUCTION_DURATION=2 WS_ACTIONS_PER_SECOND=0
    MALLOC_MMAP_THRESHOLD_=131072 LOG_LEVEL=warn SECRET_KEY=soak-secret-key
)
env "${server_env[@]}" "$BIN/magnate-server" --bind "127.0.0.1:$PORT" --database "$DB" \
    --config "$WORK/no-config.json" >>"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 100); do
    curl -s -o /dev/null "http://127.0.0.1:$PORT/" && break
    sleep 0.1
done
echo "server $SERVER_PID on port $PORT, database $DB; load average: $(cut -d' ' -f1-3 /proc/loadavg)"

STARTED=$(date +%s)
set +e
"$BIN/examples/loadgen" --server "http://127.0.0.1:$PORT" --games "$GAMES" --players 4 \
    --prefix soak soak --duration "$DURATION" --think-ms "$THINK_MS" \
    --drop-probability "$DROP_PROBABILITY" --actions-per-game "$ACTIONS_PER_GAME" \
    --ack-log "$ACKS" --database "$DB" --server-pid "$SERVER_PID" | tee "$WORK/loadgen.out"
LOADGEN=${PIPESTATUS[0]}
set -e
echo "load average after the run: $(cut -d' ' -f1-3 /proc/loadavg); wall time $(($(date +%s) - STARTED)) s"

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

echo "--- verify-db"
set +e
"$BIN/magnate" verify-db --db "$DB" --acks "$ACKS" --expect-finished 2>&1 | tee "$WORK/verify.out"
VERIFY=${PIPESTATUS[0]}
set -e

echo "--- summary"
grep -E '^(games|actions|reconnects|stalls|server RSS|ack log)' "$WORK/loadgen.out" || true
grep -E "games \\(|acknowledged actions found" "$WORK/verify.out" || true
echo "loadgen exit $LOADGEN, server exit after SIGTERM $SERVER_STATUS, verify exit $VERIFY"
if [ "$LOADGEN" = 0 ] && [ "$SERVER_STATUS" = 0 ] && [ "$VERIFY" = 0 ]; then
    FAILED=0
    echo "SOAK PASSED"
else
    echo "SOAK FAILED"
    exit 1
fi
