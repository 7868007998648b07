#!/usr/bin/env bash
# Checks the running server against its OpenAPI document with schemathesis: every documented
# operation, positive and negative (malformed) inputs; no 5xx, every response as documented.
# `positive_data_acceptance` is left out: a schema-valid body can still break a business rule
# (a taken name, a weak password, an unknown item), which is a documented 400, not a bug.
#
# Usage: .ci/schemathesis.sh [SERVER_BINARY]   (default: the debug build in CARGO_TARGET_DIR)
# Environment: SCHEMATHESIS_MAX_EXAMPLES (default 30) bounds the examples per operation.
set -euo pipefail
cd "$(dirname "$0")/.."

SCHEMATHESIS_VERSION=4.32.5
target="${CARGO_TARGET_DIR:-target}"
binary="${1:-$target/debug/magnate-server}"
venv="$(cd "$(dirname "$target")" && pwd)/$(basename "$target")/schemathesis-venv"
if [ ! -x "$venv/bin/schemathesis" ] || ! "$venv/bin/schemathesis" --version | grep -q "$SCHEMATHESIS_VERSION"; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

work="$(mktemp -d)"
server_pid=""
cleanup() {
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

# Throttles off (the fuzzer registers and logs in many times), long-lived tokens, fast hashing
# is not available from the binary, so keep the example count modest.
LOGINS_PER_MINUTE_PER_ADDRESS=0 LOGIN_FAILURES_PER_MINUTE_PER_USER=0 \
REGISTRATIONS_PER_MINUTE_PER_ADDRESS=0 ROOM_CODE_TRIES_PER_MINUTE=0 \
ACCESS_TOKEN_LIFETIME=3600 SECRET_KEY="schemathesis-check-key-0123456789abcdef" \
LOG_FORMAT=json LOG_LEVEL=warn,magnate_server=info \
    "$binary" --bind 127.0.0.1:0 --database "$work/magnate.db" --config "$work/none.json" \
    >"$work/server.log" 2>&1 &
server_pid=$!

address=""
for _ in $(seq 1 100); do
    address="$(sed -n 's/.*"message":"listening","address":"\([^"]*\)".*/\1/p' "$work/server.log" | head -n 1)"
    [ -n "$address" ] && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log"; exit 1; }
    sleep 0.1
done
[ -n "$address" ] || { echo "the server did not start"; cat "$work/server.log"; exit 1; }
base="http://$address"

token="$(python3 - "$base" <<'PY'
import json, sys, urllib.request
body = json.dumps({"username": "fuzzer", "password": "Schemathesis-Pass-1", "password2": "Schemathesis-Pass-1"}).encode()
request = urllib.request.Request(sys.argv[1] + "/auth/register/", data=body, headers={"Content-Type": "application/json"})
print(json.load(urllib.request.urlopen(request))["tokens"]["access"])
PY
)"

status=0
# Run from the work directory: schemathesis keeps a cache in the current directory.
cd "$work"
"$venv/bin/schemathesis" run "$base/openapi.json" \
    --header "Authorization: Bearer $token" \
    --checks all \
    --exclude-checks positive_data_acceptance \
    --max-examples "${SCHEMATHESIS_MAX_EXAMPLES:-30}" \
    --seed 1 \
    --workers 2 \
    --request-timeout 10 \
    --max-redirects 0 \
    || status=$?
if grep -q '"level":"ERROR"' "$work/server.log"; then
    echo "the server logged errors during the run:"
    grep '"level":"ERROR"' "$work/server.log" | head -n 20
    status=1
fi
exit "$status"
