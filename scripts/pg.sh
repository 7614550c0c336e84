#!/usr/bin/env bash
# A throw-away PostgreSQL 15 for the tests (issue 15): a fresh cluster in a
# temporary directory, on a free loopback port, run as an unprivileged user
# (PostgreSQL refuses to run as root: as root the cluster belongs to
# "nobody"; otherwise to the caller).  Trust authentication on 127.0.0.1
# only: the cluster holds test data and lives for one test run.
#   scripts/pg.sh start       - starts one; prints RG_TEST_PG_DIR=... and
#                               RG_TEST_PG=... (a libpq connection string)
#                               as shell assignments, for eval
#   scripts/pg.sh env DIR     - prints the connection string of a running one
#   scripts/pg.sh stop DIR    - stops it by its PID and removes DIR
#   scripts/pg.sh halt DIR    - stops it, keeping DIR (a database outage)
#   scripts/pg.sh start DIR   - starts a halted one again, on its port
# Startup and shutdown waits are bounded (PG_WAIT seconds, default 30).
# fsync is off (a throw-away cluster) unless RG_PG_FSYNC=on: commits that
# wait for the disk, as a deployment's do (bench/multinode.sh figures).
set -euo pipefail
BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
WAIT=${PG_WAIT:-30}

as_owner() { # runs "$@" as the cluster's owner
    if [ "$(id -u)" = 0 ]; then runuser -u nobody -- "$@"; else "$@"; fi
}

free_port() { # a port nothing listens on right now (the start retries on a race)
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

conninfo() { # $1 = dir
    echo "host=127.0.0.1 port=$(cat "$1/port") user=roomgate dbname=postgres connect_timeout=5"
}

pid_of() { # the postmaster's PID (first line of postmaster.pid), or nothing
    head -1 "$1/data/postmaster.pid" 2>/dev/null || true
}

halt() { # $1 = dir: the postmaster stopped, its data kept
    local dir=$1 pid i
    [ -d "$dir/data" ] || { echo "pg.sh: $dir is not a test cluster" >&2; return 1; }
    pid=$(pid_of "$dir")
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kill -INT "$pid" 2>/dev/null || true # fast shutdown: roll back, close sessions
        for ((i = 0; i < WAIT * 10; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            echo "pg.sh: postgres $pid did not stop in ${WAIT}s; killing it" >&2
            kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
}

stop() { # $1 = dir
    halt "$1" && rm -rf "$1"
}

serve() { # $1 = dir, $2 = port: pg_ctl start, waited for (bounded)
    # no Unix socket (its default directory needs root), loopback only;
    # connections for the suites' servers, each about --threads + 8
    # (docs/deploy.md "Requests wait on fibers"), several at once
    as_owner "$BIN/pg_ctl" -D "$1/data" -l "$1/postgres.log" -s \
        -o "-c listen_addresses=127.0.0.1 -p $2 -c unix_socket_directories= -c fsync=${RG_PG_FSYNC:-off} -c max_connections=400" \
        start -w -t "$WAIT" >/dev/null 2>&1
}

ready() { # $1 = port: pg_isready, polled up to WAIT seconds
    local i
    for ((i = 0; i < WAIT * 10; i++)); do
        "$BIN/pg_isready" -q -h 127.0.0.1 -p "$1" && return 0
        sleep 0.1
    done
    echo "pg.sh: postgres not ready" >&2
    return 1
}

resume() { # $1 = dir of a halted cluster: started again on the same port
    local dir=$1
    if [ ! -f "$dir/port" ] || [ ! -d "$dir/data" ]; then
        echo "pg.sh: $dir is not a test cluster" >&2
        return 1
    fi
    serve "$dir" "$(cat "$dir/port")" || { echo "pg.sh: postgres did not start" >&2; cat "$dir/postgres.log" >&2; return 1; }
    ready "$(cat "$dir/port")"
}

start() {
    local dir pid port try
    dir=$(mktemp -d /tmp/rg_pg.XXXXXX)
    chmod 0755 "$dir"
    [ "$(id -u)" = 0 ] && chown nobody "$dir"
    # shellcheck disable=SC2064 # the directory is known now
    trap "stop '$dir' >/dev/null 2>&1 || rm -rf '$dir'" ERR INT TERM
    as_owner "$BIN/initdb" -D "$dir/data" -U roomgate -A trust -E UTF8 --no-locale \
        >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; false; }
    for try in 1 2 3 4 5; do
        port=$(free_port)
        echo "$port" >"$dir/port"
        serve "$dir" "$port" && break
        pid=$(pid_of "$dir")
        [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
        [ "$try" = 5 ] && { echo "pg.sh: postgres did not start" >&2; cat "$dir/postgres.log" >&2; false; }
    done
    ready "$port"
    trap - ERR INT TERM
    printf "RG_TEST_PG_DIR='%s'\nRG_TEST_PG='%s'\n" "$dir" "$(conninfo "$dir")"
}

case ${1:-} in
start) if [ -n "${2:-}" ]; then resume "$2"; else start; fi ;;
stop) stop "${2:?usage: pg.sh stop DIR}" ;;
halt) halt "${2:?usage: pg.sh halt DIR}" ;;
env) conninfo "${2:?usage: pg.sh env DIR}" ;;
*) echo "usage: scripts/pg.sh start [DIR] | env DIR | halt DIR | stop DIR" >&2; exit 2 ;;
esac
