#!/usr/bin/env bash
# Makes sure Redis answers on 127.0.0.1:6379 (what the cluster tests expect). Where nothing
# answers (a fresh Debian machine), installs Debian's `redis-server` package and starts it.
# Idempotent; run as root (CI is).
#
# Usage: .ci/redis.sh
set -euo pipefail

ready() { command -v redis-cli >/dev/null 2>&1 && [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = PONG ]; }

if ! ready; then
    if ! command -v redis-server >/dev/null 2>&1; then
        echo "installing Redis (apt-get)"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq redis-server >/dev/null
    fi
    # The packaged service where there is an init system; otherwise a daemon of our own.
    service redis-server start >/dev/null 2>&1 \
        || redis-server --bind 127.0.0.1 --port 6379 --daemonize yes --save '' --appendonly no
    for _ in $(seq 1 30); do ready && break; sleep 1; done
fi
ready || { echo "Redis does not answer on 127.0.0.1:6379" >&2; exit 1; }
echo "Redis ready: $(redis-cli -h 127.0.0.1 -p 6379 info server | grep -m1 redis_version | tr -d '\r')"
