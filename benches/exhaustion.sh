#!/usr/bin/env bash
# Resource exhaustion by a handful of ordinary accounts (issue 13), on the default settings.
#
#   benches/exhaustion.sh [SECONDS_PER_SCENARIO] [SCENARIO...]     (defaults: 30, all)
#
# Builds and starts the release server on a fresh temporary database (default settings, a
# 40-character SECRET_KEY), runs each scenario below for SECONDS_PER_SCENARIO against it, samples
# the server's resident memory (VmRSS in /proc) every 0.1 s, and prints for each scenario what
# the clients did, how the server closed their sockets, the RSS before, the peak during, and the
# RSS 5 s after it, the server's CPU time, and how many connections the server still held just
# before the clients stopped. It fails if the peak exceeds RSS_LIMIT_MIB (default 256).
#
# The clients are benches/exhaustion.py (python3 with the `websockets` package): it is installed
# with pip in a virtual environment, $VENV (default /tmp/magnate-exhaustion-venv), on first use.
# Each scenario registers its own few accounts and stays within the per-user socket cap.
#
# Scenarios, one function each (scenario_<name>); add a function and its name to SCENARIOS:
#   slow_readers  game sockets that never read while the server has frames for them
#   room_churn    a room host who never reads while others join, chat and leave in a loop
#   frame_floods  60 KB frames as fast as possible on game, room and queue sockets
#   join_churn    two pairs of accounts alternating POST /game/join/ as fast as they can
#   login_burst   16 threads guessing one account's password while its owner logs in
set -euo pipefail
SECONDS_PER_SCENARIO=${1:-30}
shift || true
SCENARIOS=(slow_readers room_churn frame_floods join_churn login_burst)
if [ $# -gt 0 ]; then SCENARIOS=("$@"); fi
RSS_LIMIT_MIB=${RSS_LIMIT_MIB:-256}
VENV=${VENV:-/tmp/magnate-exhaustion-venv}

cd "$(dirname "$0")/.."
cargo build --release --locked -q -p magnate-server
TARGET=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import websockets' 2>/dev/null; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q 'websockets>=13'
fi
PYTHON=$VENV/bin/python

DIR=$(mktemp -d /tmp/magnate-exhaustion.XXXXXX)
PORT=${PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
BASE=http://127.0.0.1:$PORT
# Default settings, except registrations: the attackers' handful of accounts is set-up, not
# the attack (the registration throttle would otherwise refuse the later scenarios' accounts).
REGISTRATIONS_PER_MINUTE_PER_ADDRESS=0 \
SECRET_KEY=exhaustion-bench-secret-key-0123456789abcdef \
    "$TARGET/release/magnate-server" --bind "127.0.0.1:$PORT" --database "$DIR/m.db" \
    --config "$DIR/none.json" --log-level warn >"$DIR/server.log" 2>&1 &
SERVER=$!
SAMPLER=
cleanup() {
    [ -n "$SAMPLER" ] && kill "$SAMPLER" 2>/dev/null
    kill "$SERVER" 2>/dev/null
    rm -rf "$DIR"
}
trap cleanup EXIT
for _ in $(seq 100); do curl -s -o /dev/null "$BASE/" && break; sleep 0.1; done

rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$SERVER/status"; }
# The server's CPU time so far (user + system), in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$SERVER/stat"; }
# The server's open TCP connections, and the bytes waiting in their kernel send queues.
open_connections() {
    ss -Htn state established "( sport = :$PORT )" |
        awk '{n++; q += $2} END {printf "%d connections, %.1f MiB in kernel send queues", n, q / 1048576}'
}
mib() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }

# Samples RSS every 0.1 s into $DIR/samples until killed.
start_sampler() {
    : >"$DIR/samples"
    (while kill -0 "$SERVER" 2>/dev/null; do rss_kib >>"$DIR/samples"; sleep 0.1; done) &
    SAMPLER=$!
}
stop_sampler() { kill "$SAMPLER" 2>/dev/null; wait "$SAMPLER" 2>/dev/null || true; SAMPLER=; }
peak_kib() { sort -n "$DIR/samples" | tail -1; }

scenario_slow_readers() { "$PYTHON" benches/exhaustion.py "$BASE" slow_readers "$SECONDS_PER_SCENARIO"; }
scenario_room_churn() { "$PYTHON" benches/exhaustion.py "$BASE" room_churn "$SECONDS_PER_SCENARIO"; }
scenario_frame_floods() { "$PYTHON" benches/exhaustion.py "$BASE" frame_floods "$SECONDS_PER_SCENARIO"; }
scenario_join_churn() { "$PYTHON" benches/exhaustion.py "$BASE" join_churn "$SECONDS_PER_SCENARIO"; }
scenario_login_burst() { "$PYTHON" benches/exhaustion.py "$BASE" login_burst "$SECONDS_PER_SCENARIO"; }

OVERALL=0
echo "server: release build, default settings, $SECONDS_PER_SCENARIO s per scenario; RSS at start: $(mib "$(rss_kib)") MiB"
for scenario in "${SCENARIOS[@]}"; do
    before=$(rss_kib)
    cpu_before=$(cpu_ticks)
    start_sampler
    started=$(date +%s.%N)
    # Server-side connections still open just before the clients' time is up (they close
    # everything when it is).
    (sleep "$(awk -v s="$SECONDS_PER_SCENARIO" 'BEGIN {print s - 0.5}')"; open_connections >"$DIR/open") &
    opener=$!
    summary=$("scenario_$scenario")
    took=$(awk -v s="$started" -v e="$(date +%s.%N)" 'BEGIN {printf "%.1f", e - s}')
    cpu=$(awk -v a="$cpu_before" -v b="$(cpu_ticks)" -v t="$(getconf CLK_TCK)" -v w="$took" \
        'BEGIN {printf "%.1f s of CPU, %.2f per second", (b - a) / t, (b - a) / t / w}')
    wait "$opener" || true
    sleep 5
    stop_sampler
    peak=$(peak_kib)
    [ "$peak" -gt "$OVERALL" ] && OVERALL=$peak
    echo "$scenario ($took s): $summary"
    echo "  server: $cpu; 0.5 s before the end: $(cat "$DIR/open" 2>/dev/null || echo "not sampled")"
    echo "  RSS before $(mib "$before") MiB, peak $(mib "$peak") MiB, 5 s after $(mib "$(rss_kib)") MiB"
done
echo "peak RSS over all scenarios: $(mib "$OVERALL") MiB (limit $RSS_LIMIT_MIB MiB)"
if [ "$OVERALL" -gt $((RSS_LIMIT_MIB * 1024)) ]; then
    echo "FAIL: the server's RSS went over $RSS_LIMIT_MIB MiB" >&2
    exit 1
fi
