#!/usr/bin/env bash
# The server against the machine's WebSocket limit (issue 14), in one run: the load generator's
# `play` mode against a release magnate-server and its `echo` mode against the minimal
# echo-and-fan-out server (`loadgen echo-server`, examples/loadgen/echo.rs), alternating, at each
# load of LOADS, ROUNDS times. Prints actions/s, round trip p50/p99 and server CPU per action for
# both, and the ratios (server / limit).
#
#   benches/limit.sh                  # LOADS="1 16 64", ROUNDS=2, ACTIONS_PER_GAME=1000, THINK_MS=0
#   LOADS=16 ROUNDS=3 benches/limit.sh
#
# BASELINE_BIN=<path to another magnate-server binary> also runs that server (its own database)
# in the same rounds, for a before/after comparison in one run.
#
# Environment: LOADS (games per run), ROUNDS, ACTIONS_PER_GAME, THINK_MS and RANDOM_THINK=1
# (think time; 0 = saturation), BROADCAST_BYTES (the echo's broadcast frame size, default 200:
# about the mean frame magnate-server sends in `play`, which prints mean_frame_bytes), PORT,
# KEEP=1, CARGO_TARGET_DIR as usual.
set -euo pipefail

LOADS=${LOADS:-"1 16 64"}
ROUNDS=${ROUNDS:-2}
ACTIONS_PER_GAME=${ACTIONS_PER_GAME:-1000}
THINK_MS=${THINK_MS:-0}
BROADCAST_BYTES=${BROADCAST_BYTES:-200}
THINK_ARGS=(--think-ms "$THINK_MS")
[ "${RANDOM_THINK:-0}" = 1 ] && THINK_ARGS+=(--random-think)

. "$(dirname "$0")/lib.sh"
setup_run limit
start_server
ECHO_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$BIN/examples/loadgen" echo-server --bind "127.0.0.1:$ECHO_PORT" \
    --broadcast-bytes "$BROADCAST_BYTES" >"$WORK/echo.log" 2>&1 &
ECHO_PID=$!
BASE_PID=
if [ -n "${BASELINE_BIN:-}" ]; then
    BASE_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    env "${SERVER_ENV[@]}" "$BASELINE_BIN" --bind "127.0.0.1:$BASE_PORT" --database "$WORK/baseline.db" \
        --config "$WORK/no-config.json" >>"$WORK/baseline.log" 2>&1 &
    BASE_PID=$!
fi
trap 'kill -9 $ECHO_PID $BASE_PID 2>/dev/null || true; cleanup_run' EXIT
sleep 0.5
echo "server $SERVER_PID on $PORT, echo $ECHO_PID on $ECHO_PORT; load average: $(cut -d' ' -f1-3 /proc/loadavg)"

# field NAME LINE: the value of NAME=... in a RESULT line.
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }

printf '%-6s %-5s %-7s %10s %9s %9s %11s\n' games round side actions/s p50_ms p99_ms cpu_us/act
for games in $LOADS; do
    for round in $(seq "$ROUNDS"); do
        ours=$("$BIN/examples/loadgen" --server "http://127.0.0.1:$PORT" --games "$games" \
            --players 4 --prefix "l${games}r${round}x" play --actions-per-game "$ACTIONS_PER_GAME" \
            "${THINK_ARGS[@]}" --server-pid "$SERVER_PID" 2>>"$WORK/loadgen.err" | grep '^RESULT server actions')
        SIDES="ours limit"
        if [ -n "$BASE_PID" ]; then
            before=$("$BIN/examples/loadgen" --server "http://127.0.0.1:$BASE_PORT" --games "$games" \
                --players 4 --prefix "l${games}r${round}x" play --actions-per-game "$ACTIONS_PER_GAME" \
                "${THINK_ARGS[@]}" --server-pid "$BASE_PID" 2>>"$WORK/loadgen.err" | grep '^RESULT server actions')
            SIDES="before ours limit"
        fi
        limit=$("$BIN/examples/loadgen" --server "http://127.0.0.1:$ECHO_PORT" --games "$games" \
            --players 4 echo --actions-per-game "$ACTIONS_PER_GAME" "${THINK_ARGS[@]}" \
            --server-pid "$ECHO_PID" 2>>"$WORK/loadgen.err" | grep '^RESULT echo actions')
        for side in $SIDES; do
            line=${!side}
            printf '%-6s %-5s %-7s %10s %9s %9s %11s\n' "$games" "$round" "$side" \
                "$(field actions_per_s "$line")" "$(field p50_ms "$line")" \
                "$(field p99_ms "$line")" "$(field cpu_us_per_action "$line")"
        done
        awk -v a="$(field actions_per_s "$ours")" -v b="$(field actions_per_s "$limit")" \
            -v c="$(field cpu_us_per_action "$ours")" -v d="$(field cpu_us_per_action "$limit")" \
            -v e="$(field p50_ms "$ours")" -v f="$(field p50_ms "$limit")" -v g="$games" -v r="$round" \
            'function q(x, y) { return y > 0 ? sprintf("%.2f", x / y) : "-" }
              BEGIN { printf "%-6s %-5s ratio   throughput %s of the limit, cpu/action %s x, p50 %s x\n", g, r, q(a, b), q(c, d), q(e, f) }'
        if [ -n "$BASE_PID" ]; then
            awk -v a="$(field actions_per_s "$ours")" -v b="$(field actions_per_s "$before")" \
                -v c="$(field cpu_us_per_action "$ours")" -v d="$(field cpu_us_per_action "$before")" \
                -v g="$games" -v r="$round" \
                'function q(x, y) { return y > 0 ? sprintf("%.2f", x / y) : "-" }
                  BEGIN { printf "%-6s %-5s change  throughput %s x before, cpu/action %s x before\n", g, r, q(a, b), q(c, d) }'
        fi
    done
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
FAILED=0
