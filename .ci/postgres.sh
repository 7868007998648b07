#!/usr/bin/env bash
# Makes sure PostgreSQL answers on 127.0.0.1:5432 with trust authentication for local TCP
# connections and a database `test` (what the PostgreSQL tests expect). Where nothing answers
# (a fresh Debian machine), installs Debian's `postgresql` package and starts its cluster.
# Idempotent; run as root (CI is).
#
# Usage: .ci/postgres.sh
set -euo pipefail

ready() { command -v pg_isready >/dev/null 2>&1 && pg_isready -q -h 127.0.0.1 -p 5432; }

if ! ready; then
    if ! command -v pg_ctlcluster >/dev/null 2>&1; then
        echo "installing PostgreSQL (apt-get)"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq postgresql >/dev/null
    fi
    version="$(ls /etc/postgresql | sort -n | tail -1)"
    if [ -z "$version" ]; then
        pg_createcluster "$(ls /usr/lib/postgresql | sort -n | tail -1)" main
        version="$(ls /etc/postgresql | sort -n | tail -1)"
    fi
    hba="/etc/postgresql/$version/main/pg_hba.conf"
    # Tests connect over TCP as postgres without a password: trust loopback only.
    if ! grep -qE '^host\s+all\s+all\s+127\.0\.0\.1/32\s+trust' "$hba"; then
        sed -i -E 's/^(host\s+all\s+all\s+(127\.0\.0\.1\/32|::1\/128)\s+)\S+/\1trust/' "$hba"
        grep -qE '^host\s+all\s+all\s+127\.0\.0\.1/32\s+trust' "$hba" \
            || printf 'host all all 127.0.0.1/32 trust\n' >>"$hba"
    fi
    pg_ctlcluster "$version" main start 2>/dev/null \
        || pg_ctlcluster "$version" main reload 2>/dev/null \
        || service postgresql start
    for _ in $(seq 1 30); do ready && break; sleep 1; done
fi
ready || { echo "PostgreSQL does not answer on 127.0.0.1:5432" >&2; exit 1; }
command -v psql >/dev/null 2>&1 || apt-get install -y -qq postgresql-client >/dev/null
if ! psql -h 127.0.0.1 -U postgres -d postgres -Atc 'SELECT 1' >/dev/null 2>&1; then
    echo "PostgreSQL answers but refuses postgres@127.0.0.1 without a password (pg_hba.conf)" >&2
    exit 1
fi
if [ "$(psql -h 127.0.0.1 -U postgres -d postgres -Atc "SELECT count(*) FROM pg_database WHERE datname = 'test'")" = 0 ]; then
    psql -h 127.0.0.1 -U postgres -d postgres -qc 'CREATE DATABASE test'
fi
echo "PostgreSQL ready: $(psql -h 127.0.0.1 -U postgres -d test -Atc 'SHOW server_version')"
