#!/bin/sh
# The web page's tests drive Debian's Chromium through Playwright (never a browser Playwright downloads).
# Installs it with apt-get when it is missing and we are root; otherwise only says what to do
# (the browser tests then fail when CI is set, and are skipped otherwise).
set -eu
if command -v chromium >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Chromium for the web page's tests (apt-get install chromium)..."
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq chromium >/dev/null
    exit 0
fi
echo "note: chromium not found; install the 'chromium' package to run the web page's tests" \
     "(they fail when CI is set)" >&2
