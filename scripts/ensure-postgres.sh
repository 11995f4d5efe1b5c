#!/bin/sh
# The PostgreSQL tests start their own throw-away server and need its binaries (initdb, pg_ctl).
# Installs them with apt-get when they are missing and we are root; otherwise only says what to do
# (the tests then fail when CI is set, and are skipped otherwise).
set -eu
if command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing PostgreSQL server binaries for the tests (apt-get install postgresql)..."
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends postgresql >/dev/null
    exit 0
fi
echo "note: PostgreSQL server binaries (initdb, pg_ctl) not found; install the 'postgresql' package" \
     "to run the PostgreSQL tests (they fail when CI is set)" >&2
