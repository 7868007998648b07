#!/usr/bin/env bash
# The browser client's end-to-end tests: a real magnate-server (throw-away database) driven
# through Debian's Chromium by playwright-core (magnate-server/web/tests, `node --test`).
# Installs what is missing: chromium, node and npm from apt; playwright-core with `npm ci`
# (browser downloads are never used: the tests launch /usr/bin/chromium).
#
# Usage: .ci/web-e2e.sh [SERVER_BINARY]   (default: the debug build in CARGO_TARGET_DIR)
# Screenshots of the key screens land in magnate-server/web/tests/screenshots/.
set -euo pipefail
cd "$(dirname "$0")/.."

target="${CARGO_TARGET_DIR:-target}"
binary="$(cd "$(dirname "${1:-$target/debug/magnate-server}")" && pwd)/$(basename "${1:-$target/debug/magnate-server}")"

apt_install() {
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
}
[ -x /usr/bin/chromium ] || apt_install chromium
command -v npm >/dev/null 2>&1 || apt_install nodejs npm

cd magnate-server/web/tests
npm ci --no-audit --no-fund --loglevel=error
MAGNATE_SERVER_BIN="$binary" CHROMIUM=/usr/bin/chromium timeout 600 npm test
