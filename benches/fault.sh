#!/usr/bin/env bash
# Fault injection (issue 7): SIGKILL the release server KILLS times (default 20) at random moments
# (every 2–8 s) while the load generator's `soak` mode plays, restarting it each time on the same
# port and database. Clients reconnect with backoff. After each restart the script waits until
# the clients are acknowledged again (the ack log grows) and reports how long that took. At the
# end the load generator drains (SIGTERM: nobody queues again, running games are played to their
# end), the server stops gracefully (SIGTERM) and `magnate verify-db --acks` checks that every
# record replays to its hashes, no game is left unfinished and no action a client was sent is
# missing from its game's record.
#
#   benches/fault.sh           # 20 kills
#   benches/fault.sh 5         # a quick run
#
# The server stays down for a random 0–DOWNTIME_MAX_MS (default 1000) before the restart, so
# clients also meet refused connections and back off.
#
# Environment: GAMES (concurrent games, default 50), THINK_MS (default 100), DROP_PROBABILITY
# (default 0.01), ACTIONS_PER_GAME (default 200), RECOVERY_TIMEOUT (seconds, default 60),
# DOWNTIME_MAX_MS, PORT (default: a free one), KEEP=1 keeps the work directory. Exits non-zero
# on any failure.
set -euo pipefail

KILLS=${1:-${KILLS:-20}}
GAMES=${GAMES:-50}
THINK_MS=${THINK_MS:-100}
DROP_PROBABILITY=${DROP_PROBABILITY:-0.01}
ACTIONS_PER_GAME=${ACTIONS_PER_GAME:-200}
RECOVERY_TIMEOUT=${RECOVERY_TIMEOUT:-60}
DOWNTIME_MAX_MS=${DOWNTIME_MAX_MS:-1000}

. "$(dirname "$0")/lib.sh"
setup_run fault
ack_lines() { if [ -f "$ACKS" ]; then wc -l <"$ACKS"; else echo 0; fi; }

start_server
echo "server $SERVER_PID on port $PORT, database $DB; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
"$BIN/examples/loadgen" --server "http://127.0.0.1:$PORT" --games "$GAMES" --players 4 \
    --prefix fault soak --duration 86400 --think-ms "$THINK_MS" \
    --drop-probability "$DROP_PROBABILITY" --actions-per-game "$ACTIONS_PER_GAME" \
    --ack-log "$ACKS" --database "$DB" --reconnect-timeout 120 \
    >"$WORK/loadgen.out" 2>"$WORK/loadgen.err" &
LOADGEN_PID=$!
for _ in $(seq 600); do [ "$(ack_lines)" -gt 1000 ] && break; sleep 0.1; done
echo "playing: $(ack_lines) acknowledged frames so far"

FAILURES=0
RECOVERIES=()
for kill_number in $(seq "$KILLS"); do
    pause=$(awk -v r="$RANDOM" 'BEGIN { printf "%.2f", 2 + 6 * r / 32767 }')
    sleep "$pause"
    before=$(ack_lines)
    killed_at=$(now)
    kill -9 "$SERVER_PID"
    wait "$SERVER_PID" 2>/dev/null || true
    down=$(awk -v r="$RANDOM" -v max="$DOWNTIME_MAX_MS" 'BEGIN { printf "%.2f", max * r / 32767 / 1000 }')
    sleep "$down"
    at_restart=$(ack_lines)
    restarted_at=$(now)
    start_server
    recovered=
    since_kill=
    while [ "$(awk -v a="$restarted_at" -v b="$(now)" 'BEGIN { print (b - a < '"$RECOVERY_TIMEOUT"') }')" = 1 ]; do
        if [ "$(ack_lines)" -gt "$at_restart" ]; then
            recovered=$(since "$restarted_at")
            since_kill=$(since "$killed_at")
            break
        fi
        sleep 0.02
    done
    if [ -z "$recovered" ]; then
        echo "kill $kill_number: FAIL: no acknowledged frame within ${RECOVERY_TIMEOUT} s of the restart"
        FAILURES=$((FAILURES + 1))
        recovered=timeout
    else
        RECOVERIES+=("$recovered")
    fi
    echo "kill $kill_number after ${pause} s of play ($before frames acknowledged so far): down ${down} s;" \
        "new server $SERVER_PID answering ${READY_AFTER} s after its start;" \
        "acknowledgements again ${recovered} s after the restart (${since_kill:-?} s after the kill)"
done

echo "--- draining the load generator"
kill -TERM "$LOADGEN_PID"
set +e
wait "$LOADGEN_PID"
LOADGEN=$?
set -e
LOADGEN_PID=
cat "$WORK/loadgen.out"
grep -E 'gives up|error|Error' "$WORK/loadgen.err" | head -20 || true

stop_server
verify_database

echo "--- summary"
echo "load average after the run: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "kills: $KILLS, restarts: $KILLS, restarts without recovery: $FAILURES"
if [ "${#RECOVERIES[@]}" -gt 0 ]; then
    printf '%s\n' "${RECOVERIES[@]}" | sort -n | awk '{ v[NR] = $1; s += $1 }
        END { printf "acknowledgements again after a restart: min %.2f s, median %.2f s, mean %.2f s, max %.2f s\n",
              v[1], v[int((NR + 1) / 2)], s / NR, v[NR] }'
fi
grep -E '^(games|actions|reconnects|stalls|ack log)' "$WORK/loadgen.out" || true
PANICS=$(grep -c -i panic "$WORK/server.log" || true)
echo "server log: $(wc -l <"$WORK/server.log") lines, $PANICS mentioning a panic"
grep -E "games \\(|acknowledged actions found" "$WORK/verify.out" || true
echo "loadgen exit $LOADGEN, server exit after SIGTERM $SERVER_STATUS, verify exit $VERIFY"
if [ "$LOADGEN" = 0 ] && [ "$SERVER_STATUS" = 0 ] && [ "$VERIFY" = 0 ] && [ "$FAILURES" = 0 ] &&
    [ "$PANICS" = 0 ]; then
    FAILED=0
    echo "FAULT INJECTION PASSED"
else
    echo "FAULT INJECTION FAILED"
    exit 1
fi
