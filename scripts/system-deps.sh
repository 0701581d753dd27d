#!/usr/bin/env bash
# Install the Debian packages the suite needs when they are missing:
# Chromium + ChromeDriver (browser tests), gettext (catalogs), PostgreSQL 15 (server binaries).
set -euo pipefail

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
command -v msgfmt >/dev/null 2>&1 || missing+=(gettext)
[ -x "$PG_BIN/initdb" ] || missing+=(postgresql-15)

if [ ${#missing[@]} -eq 0 ]; then
    echo "system packages: all present"
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "system packages missing: ${missing[*]} (not root: install them with apt-get)" >&2
    exit 0
fi
echo "installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${missing[@]}" >/dev/null
