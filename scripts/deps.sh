#!/usr/bin/env bash
# Installs the Debian packages a target needs, and only those missing.
#   scripts/deps.sh run   - build and run the server
#   scripts/deps.sh test  - everything `make test` and `make bench` use
set -euo pipefail
build_pkgs=(gcc make pkg-config libh2o-evloop-dev libssl-dev libjansson-dev libsqlite3-dev libwslay-dev sqlite3 curl)
test_pkgs=(libcmocka-dev nodejs npm wrk nginx-light valgrind coturn chromium)
want=("${build_pkgs[@]}")
[ "${1:-run}" = test ] && want+=("${test_pkgs[@]}")

missing=()
for p in "${want[@]}"; do
    # nodejs/npm may come from elsewhere on a developer machine: a working
    # binary on PATH is as good as the package.
    case $p in nodejs) command -v node >/dev/null && continue ;; npm) command -v npm >/dev/null && continue ;; esac
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "deps: installing ${missing[*]}"
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if [ "${1:-run}" = test ] && [ -f tests/package-lock.json ]; then
    # npm ci only when the lock changed since the last install.
    stamp=tests/node_modules/.roomgate-lock.sha
    sum=$(sha256sum tests/package-lock.json | cut -d' ' -f1)
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$sum" ]; then
        (cd tests && npm ci --no-audit --no-fund --loglevel=error)
        echo "$sum" >"$stamp"
    fi
fi
