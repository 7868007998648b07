#!/usr/bin/env bash
# Cluster fault run (issue 17): NODES release servers (default 3) on one PostgreSQL database and
# one Redis act as one server while the load generator's `soak` mode plays for DURATION seconds
# (default 600), its users spread over every node (a user whose node is down moves to the
# next, as behind a load balancer). Every 20–60 s one node, picked at random, is SIGKILLed and
# restarted after 0–DOWNTIME_MAX_MS (default 2000) on the same port. At the end the load
# generator drains, every node stops with SIGTERM, and `magnate verify-db --acks` checks that
# every record replays to its hashes, no game is left unfinished and no acknowledged action is
# missing from its record.
#
#   BENCH_POSTGRES=postgres://postgres@127.0.0.1:5432/test benches/cluster-fault.sh      # 10 min
#   BENCH_POSTGRES=postgres://postgres@127.0.0.1:5432/test benches/cluster-fault.sh 120  # quick
#
# Failover time of a kill: for each game the killed node owned (its leases at the kill), the
# time from the kill to the first action of that game a client was sent afterwards (from the
# ack log's `at_ms`); the summary prints their median and maximum over the run.
#
# Environment: BENCH_POSTGRES (required), REDIS_URL (default redis://127.0.0.1:6379), NODES,
# GAMES (default 50), THINK_MS (default 100), DROP_PROBABILITY (default 0.01),
# ACTIONS_PER_GAME (default 200), LEASE_MS (default 3000), KILL_MIN/KILL_MAX (seconds between
# kills, default 20/60), DOWNTIME_MAX_MS, KEEP=1 keeps the work directory.
set -euo pipefail

DURATION=${1:-${DURATION:-600}}
NODES=${NODES:-3}
GAMES=${GAMES:-50}
THINK_MS=${THINK_MS:-100}
DROP_PROBABILITY=${DROP_PROBABILITY:-0.01}
ACTIONS_PER_GAME=${ACTIONS_PER_GAME:-200}
LEASE_MS=${LEASE_MS:-3000}
KILL_MIN=${KILL_MIN:-20}
KILL_MAX=${KILL_MAX:-60}
DOWNTIME_MAX_MS=${DOWNTIME_MAX_MS:-2000}
REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379}
: "${BENCH_POSTGRES:?set BENCH_POSTGRES=postgres://user@host:port/database}"

. "$(dirname "$0")/lib.sh"
setup_run cluster
PREFIX="magnate-bench-$$"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
PORTS=()
PIDS=()
for n in $(seq 0 $((NODES - 1))); do PORTS+=("$(free_port)"); PIDS+=(""); done
SERVERS=$(for port in "${PORTS[@]}"; do printf 'http://127.0.0.1:%s,' "$port"; done | sed 's/,$//')

cleanup_nodes() {
    for pid in "${PIDS[@]}"; do [ -z "$pid" ] || kill -9 "$pid" 2>/dev/null || true; done
    cleanup_run
}
trap cleanup_nodes EXIT

start_node() {
    local n=$1
    env "${SERVER_ENV[@]}" REDIS_URL="$REDIS_URL" REDIS_PREFIX="$PREFIX" NODE_ID="node$n" \
        CLUSTER_LEASE_MS="$LEASE_MS" "$BIN/magnate-server" --bind "127.0.0.1:${PORTS[$n]}" \
        "${DB_ARGS[@]}" --config "$WORK/no-config.json" >>"$WORK/node$n.log" 2>&1 &
    PIDS[$n]=$!
    for _ in $(seq 600); do
        curl -s -o /dev/null "http://127.0.0.1:${PORTS[$n]}/readyz" && return 0
        kill -0 "${PIDS[$n]}" 2>/dev/null || { echo "FAIL: node$n exited at start" >&2; return 1; }
        sleep 0.05
    done
    echo "FAIL: node$n did not answer within 30 s" >&2
    return 1
}

stop_node() {
    local n=$1 status=0
    kill -TERM "${PIDS[$n]}"
    for _ in $(seq 300); do kill -0 "${PIDS[$n]}" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "${PIDS[$n]}" 2>/dev/null; then
        echo "FAIL: node$n did not stop within 30 s of SIGTERM" >&2
        kill -9 "${PIDS[$n]}"
        status=1
    else
        wait "${PIDS[$n]}" || status=$?
    fi
    PIDS[$n]=
    return $status
}

owned_games() {
    psql "$DB" -qAtc "SELECT key FROM cluster_leases WHERE kind = 'game' AND node = 'node$1'
                      AND expires_at > now()" 2>/dev/null | tr '\n' ' '
}

for n in $(seq 0 $((NODES - 1))); do start_node "$n"; done
echo "$NODES nodes on ports ${PORTS[*]}, database $DB, Redis $REDIS_URL (prefix $PREFIX);" \
    "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
"$BIN/examples/loadgen" --server "$SERVERS" --games "$GAMES" --players 4 \
    --prefix cluster soak --duration 86400 --think-ms "$THINK_MS" \
    --drop-probability "$DROP_PROBABILITY" --actions-per-game "$ACTIONS_PER_GAME" \
    --ack-log "$ACKS" --database "$DB" --reconnect-timeout 120 \
    >"$WORK/loadgen.out" 2>"$WORK/loadgen.err" &
LOADGEN_PID=$!

STARTED=$(date +%s)
KILLS=0
: >"$WORK/kills.txt"
while true; do
    pause=$((KILL_MIN + RANDOM % (KILL_MAX - KILL_MIN + 1)))
    [ $(($(date +%s) + pause - STARTED)) -lt "$DURATION" ] || break
    sleep "$pause"
    victim=$((RANDOM % NODES))
    games=$(owned_games "$victim")
    killed_ms=$(date +%s%3N)
    kill -9 "${PIDS[$victim]}"
    wait "${PIDS[$victim]}" 2>/dev/null || true
    PIDS[$victim]=
    KILLS=$((KILLS + 1))
    echo "$killed_ms $games" >>"$WORK/kills.txt"
    sleep "$(awk -v r="$RANDOM" -v max="$DOWNTIME_MAX_MS" 'BEGIN { printf "%.2f", max * r / 32767 / 1000 }')"
    start_node "$victim"
    echo "kill $KILLS at $(($(date +%s) - STARTED)) s: node$victim (owned games: ${games:-none}); restarted"
done
sleep $((DURATION - ($(date +%s) - STARTED) > 0 ? DURATION - ($(date +%s) - STARTED) : 0))

echo "--- draining the load generator"
kill -TERM "$LOADGEN_PID"
set +e
wait "$LOADGEN_PID"
LOADGEN=$?
set -e
LOADGEN_PID=
cat "$WORK/loadgen.out"
grep -E 'gives up|error|Error' "$WORK/loadgen.err" | head -20 || true

NODE_FAILURES=0
for n in $(seq 0 $((NODES - 1))); do stop_node "$n" || NODE_FAILURES=$((NODE_FAILURES + 1)); done
verify_database

echo "--- summary"
echo "load average after the run: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "nodes: $NODES, kills: $KILLS"
python3 - "$WORK/kills.txt" "$ACKS" <<'EOF'
import json, statistics, sys
kills = []
for line in open(sys.argv[1]):
    parts = line.split()
    if parts:
        kills.append((int(parts[0]), [int(g) for g in parts[1:]]))
acks = {}
for line in open(sys.argv[2]):
    ack = json.loads(line)
    acks.setdefault(ack["game_id"], []).append(ack.get("at_ms", 0))
times, unresumed = [], 0
for killed, games in kills:
    for game in games:
        after = [at for at in acks.get(game, []) if at > killed]
        if after:
            times.append((min(after) - killed) / 1000)
        else:
            unresumed += 1
if times:
    print(f"failover (kill to the first acknowledged action of a moved game): {len(times)} games, "
          f"median {statistics.median(times):.2f} s, max {max(times):.2f} s")
print(f"moved games with no later action (they ended, or their players had left): {unresumed}")
EOF
grep -E '^(games|actions|reconnects|stalls|ack log)' "$WORK/loadgen.out" || true
PANICS=$(cat "$WORK"/node*.log | grep -c -i panic || true)
echo "node logs: $(cat "$WORK"/node*.log | wc -l) lines, $PANICS mentioning a panic"
grep -E "games \\(|acknowledged actions found" "$WORK/verify.out" || true
echo "loadgen exit $LOADGEN, nodes failing to stop $NODE_FAILURES, verify exit $VERIFY"
if [ "$LOADGEN" = 0 ] && [ "$NODE_FAILURES" = 0 ] && [ "$VERIFY" = 0 ] && [ "$PANICS" = 0 ]; then
    FAILED=0
    echo "CLUSTER FAULT RUN PASSED"
else
    echo "CLUSTER FAULT RUN FAILED"
    exit 1
fi
