#!/usr/bin/env bash
# bench/multinode.sh - signaling across nodes (issue 15; bench/README.md
# "Multinode"): two roomgate nodes on one store (a SQLite data directory:
# PostgreSQL's --db is not there yet) and a throw-away redis-server, each
# room's two members on different nodes (signal_load's BENCH_URL_B), next
# to one node alone and the Node peer (bench/peer-node/signal.js), in the
# same run:
#   relay  BENCH_MULTI_ROOMS (500) two-party rooms x BENCH_SIGNAL_RATE (20)
#          msg/s: relay latency p50/p99 (client send -> kernel receive at the
#          peer, one clock); cpu is node A's only
#   joins  BENCH_MULTI_JOINS (2000) connect + join, 64 in flight: joins/s
# Every process is stopped by PID on exit; 127.0.0.1 only.  About 40 s.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

ROOMS=${BENCH_MULTI_ROOMS:-500}
RATE=${BENCH_SIGNAL_RATE:-20}
JOINS=${BENCH_MULTI_JOINS:-2000}
SECS=${BENCH_SECONDS:-8}
THREADS=${BENCH_SIGNAL_THREADS:-2}
ROOMGATE=${ROOMGATE:-build/roomgate}
LOAD=${SIGNAL_LOAD:-build/bench/signal_load}
REDIS=${REDIS_SERVER:-/usr/bin/redis-server}
[ -x "$LOAD" ] || { echo "multinode bench: $LOAD is missing: make bench builds it" >&2; exit 1; }
[ -x "$REDIS" ] || { echo "multinode bench: $REDIS is missing (scripts/deps.sh test)" >&2; exit 1; }
TMP=$(mktemp -d)
PIDS=()

BENCH_NAME="multinode bench"
. "$(dirname "$0")/lib.sh"
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

D=$TMP/data
AC_JSON=$("$ROOMGATE" account create --data "$D")
export BENCH_ACCOUNT=$(json sid <<<"$AC_JSON")
K_JSON=$("$ROOMGATE" key create --account "$BENCH_ACCOUNT" --data "$D")
export BENCH_KEY_SID=$(json sid <<<"$K_JSON") BENCH_KEY_SECRET=$(json secret <<<"$K_JSON")

RPORT=$(free_port)
"$REDIS" --port "$RPORT" --bind 127.0.0.1 --dir "$TMP" --save '' --appendonly no --daemonize no \
    --logfile '' >"$TMP/redis.out" 2>&1 &
PIDS+=($!)
wait_line "$TMP/redis.out" '^.*\(Ready\) to accept connections.*$' >/dev/null

node_start() { # NAME [ARGS...] -> prints its ws URL; its PID goes to PIDS via NODE_PID file
    "$ROOMGATE" serve --data "$D" --listen 127.0.0.1:0 --threads "$THREADS" --access-log off \
        --signal-max-conns-per-ip 0 --max-conns-per-ip 0 --signal-max-rate 1000 "${@:2}" \
        >"$TMP/$1.out" 2>"$TMP/$1.err" &
    echo $! >"$TMP/$1.pid"
    echo "ws://127.0.0.1:$(wait_line "$TMP/$1.out" '^roomgate: listening on http://127\.0\.0\.1:\([0-9]*\)/.*$')/v1/signal"
}
stop() { kill -TERM "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

load() { # LABEL URL PID MODE ARGS... -> one JSON line
    local out
    out=$(BENCH_RUN="$1-$4" timeout 180 "$LOAD" "$4" "$2" "$3" "${@:5}") || die "$1 $4 failed"
    echo "$out"
    sleep 2
}

ROWS=()
row() { # LABEL RELAY JOINS
    echo "  $1: $2"
    echo "  $1: $3"
    ROWS+=("$(printf '%-16s %8s %8s %8s %7s %9s' "$1" "$(json relayed_per_s <<<"$2")" \
        "$(json p50_ms <<<"$2")ms" "$(json p99_ms <<<"$2")ms" "$(json server_cpu_pct <<<"$2")%" \
        "$(json joins_per_s <<<"$3")")")
}

# one node, SQLite, no Redis
U=$(node_start one); P=$(cat "$TMP/one.pid"); PIDS+=("$P")
R=$(load one "$U" "$P" relay "$ROOMS" "$RATE" "$SECS"); J=$(load one "$U" "$P" joins "$JOINS")
row "roomgate-1" "$R" "$J"; stop "$P"

# two nodes on the same store and Redis: every room spans both
UA=$(node_start a --redis "redis://127.0.0.1:$RPORT"); PA=$(cat "$TMP/a.pid"); PIDS+=("$PA")
UB=$(node_start b --redis "redis://127.0.0.1:$RPORT"); PB=$(cat "$TMP/b.pid"); PIDS+=("$PB")
R=$(BENCH_URL_B=$UB load two "$UA" "$PA" relay "$ROOMS" "$RATE" "$SECS")
J=$(BENCH_URL_B=$UB load two "$UA" "$PA" joins "$JOINS")
row "roomgate-2+redis" "$R" "$J"; stop "$PA"; stop "$PB"

if [ "${BENCH_MULTI_PEER:-1}" != 0 ]; then
    ROOMGATE_KEY_SID=$BENCH_KEY_SID ROOMGATE_KEY_SECRET=$BENCH_KEY_SECRET ROOMGATE_ACCOUNT=$BENCH_ACCOUNT \
        node bench/peer-node/signal.js >"$TMP/peer.out" 2>"$TMP/peer.err" &
    P=$!; PIDS+=("$P")
    U=ws://127.0.0.1:$(wait_line "$TMP/peer.out" '^signal peer listening on http://127\.0\.0\.1:\([0-9]*\)/.*$')/v1/signal
    R=$(load peer "$U" "$P" relay "$ROOMS" "$RATE" "$SECS"); J=$(load peer "$U" "$P" joins "$JOINS")
    row "node-peer" "$R" "$J"; stop "$P"
fi

echo
echo "== multinode: $ROOMS rooms x $RATE msg/s for ${SECS}s; $JOINS joins; store: SQLite (one directory)"
printf '%-16s %8s %8s %8s %7s %9s\n' server "relay/s" p50 p99 cpu "joins/s"
for r in "${ROWS[@]}"; do echo "$r"; done
