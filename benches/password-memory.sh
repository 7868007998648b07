#!/usr/bin/env bash
# Server memory under a burst of logins (argon2id, default cost: 19 MiB per hash).
#
#   benches/password-memory.sh [LOGINS] [CONCURRENCY]     (defaults: 1200, 32)
#
# Starts the release server on a fresh temporary database, registers one user, sends LOGINS
# logins (half with a wrong password) CONCURRENCY at a time with curl, and prints the server's
# resident memory before and after, its peak and its thread count. Needs curl.
set -euo pipefail
LOGINS=${1:-1200}
CONCURRENCY=${2:-32}
cd "$(dirname "$0")/.."
cargo build --release --locked -p magnate-server >&2
TARGET=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
DIR=$(mktemp -d)
PORT=${PORT:-18431}
# The login throttles are off: this measures hashing under a burst, not the throttles.
LOGINS_PER_MINUTE_PER_ADDRESS=0 LOGIN_FAILURES_PER_MINUTE_PER_USER=0 \
    "$TARGET/release/magnate-server" --bind "127.0.0.1:$PORT" --database "$DIR/m.db" \
    --config "$DIR/none.json" >"$DIR/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; rm -rf "$DIR"' EXIT
for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$PORT/" && break; sleep 0.2; done
rss() { awk '/^VmRSS|^VmHWM|^Threads/ {printf "%s %s %s  ", $1, $2, $3} END {print ""}' "/proc/$SERVER/status"; }
BODY='{"username":"memory","password":"Segura123!","password2":"Segura123!"}'
curl -s -o /dev/null -X POST "http://127.0.0.1:$PORT/auth/register/" \
    -H 'Content-Type: application/json' -d "$BODY"
echo "before: $(rss)"
START=$(date +%s.%N)
seq "$LOGINS" | xargs -P "$CONCURRENCY" -I{} sh -c '
    if [ $(({} % 2)) -eq 0 ]; then P=Segura123!; else P=wrong-password; fi
    curl -s -o /dev/null -w "%{http_code}\n" -X POST "http://127.0.0.1:'"$PORT"'/auth/login/" \
        -H "Content-Type: application/json" -d "{\"username\":\"memory\",\"password\":\"$P\"}"' \
    | sort | uniq -c | tr '\n' ' '
echo
echo "logins: $LOGINS in $(awk -v s="$START" -v e="$(date +%s.%N)" 'BEGIN {printf "%.1f", e - s}') s"
echo "after:  $(rss)"
