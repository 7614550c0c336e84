#!/usr/bin/env bash
# Installs the Debian packages a target needs, and only those missing.
#   scripts/deps.sh run   - build and run the server (and curl, jq: the README's examples;
#                           libhiredis for --redis, linked into every build)
#   scripts/deps.sh test  - everything `make test` and `make bench` use (PostgreSQL for
#                           the PostgreSQL back end's tests, scripts/pg.sh; redis-server
#                           for the multi-node tests, tests/api/lib/redis.js)
#   scripts/deps.sh fuzz  - clang and its libFuzzer runtime for `make fuzz`
set -euo pipefail
build_pkgs=(gcc make pkg-config libh2o-evloop-dev libssl-dev libjansson-dev libsqlite3-dev libpq-dev libcurl4-openssl-dev libwslay-dev libhiredis-dev sqlite3 curl jq)
test_pkgs=(libcmocka-dev nodejs npm wrk nginx-light valgrind coturn chromium prometheus systemd iproute2 groff-base
    dpkg-dev binutils lintian postgresql redis-server cppcheck)
fuzz_pkgs=(clang libclang-rt-14-dev)
want=("${build_pkgs[@]}")
[ "${1:-run}" = test ] && want+=("${test_pkgs[@]}")
[ "${1:-run}" = fuzz ] && want+=("${fuzz_pkgs[@]}")

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
