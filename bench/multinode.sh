#!/usr/bin/env bash
# bench/multinode.sh - signaling across nodes (issue 15; bench/README.md
# "Multinode"): two roomgate nodes on one store and a throw-away
# redis-server, each room's two members on different nodes (signal_load's
# BENCH_URL_B), the store a throw-away PostgreSQL (scripts/pg.sh, stopped
# on exit) and then one SQLite directory, next to one node alone (SQLite)
# and the Node peer (bench/peer-node/signal.js), in the same run:
#   relay  BENCH_MULTI_ROOMS (500) two-party rooms x BENCH_SIGNAL_RATE (20)
#          msg/s: relay latency p50/p99 (client send -> kernel receive at the
#          peer, one clock); cpu is node A's only
#   joins  BENCH_MULTI_JOINS (2000) connect + join, 64 in flight: joins/s
#   http   the hot HTTP paths on a node whose store is PostgreSQL (a
#          throw-away cluster, scripts/pg.sh) next to a node on SQLite,
#          both up at once: GET /token (mint) and POST .../Tokens/validate,
#          wrk -t1 -cBENCH_HTTP_CONNECTIONS (32) for BENCH_HTTP_SECONDS (4)
#          on each node alone, one after the other (after a 1 s warm-up),
#          the order alternating by round (BENCH_HTTP_AT_ONCE=1: both at
#          the same time), BENCH_HTTP_ROUNDS (6) rounds; each round's
#          PostgreSQL/SQLite ratio is printed, and how many transactions
#          PostgreSQL ran meanwhile (the node's own polls, a few a second:
#          the hot paths are served from the in-memory caches, keys and
#          revocations).  The target is within 10 % of SQLite.
# BENCH_MULTI_SIGNAL=0 leaves out relay and joins, BENCH_MULTI_HTTP=0 the
# http rows.  Every process is stopped by PID on exit; 127.0.0.1 only.
# About 60 s, and 35 s for http.
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
[ "${BENCH_MULTI_SIGNAL:-1}" = 0 ] || [ -x "$LOAD" ] ||
    { echo "multinode bench: $LOAD is missing: make bench builds it" >&2; exit 1; }
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

# the PostgreSQL store: its own data directory (one master key), account and key
PG_ENV=$(scripts/pg.sh start) || die "scripts/pg.sh start failed"
PG_DIR=$(sed -n "s/^RG_TEST_PG_DIR='\(.*\)'$/\1/p" <<<"$PG_ENV")
PG_PORT=$(sed -n 's/.*port=\([0-9]*\).*/\1/p' <<<"$PG_ENV")
trap 'scripts/pg.sh stop "$PG_DIR" >/dev/null 2>&1 || true; cleanup' EXIT INT TERM
DP=$TMP/pgdata
mkdir -p "$DP"
PGDB="postgres://roomgate@127.0.0.1:$PG_PORT/postgres?connect_timeout=5"
PGKEY=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
# The runners exec: they are only called in a subshell (a $(...) or a
# background job), and a server started as `runner ... &` must be the PID
# that $! names, or cleanup would signal a subshell and leave it running.
pgrg() { ROOMGATE_DB=$PGDB ROOMGATE_MASTER_KEY=$PGKEY exec "$ROOMGATE" "$@"; }
plain() { exec "$ROOMGATE" "$@"; }
PG_AC=$(pgrg account create --data "$DP" | json sid)
PG_K=$(pgrg key create --account "$PG_AC" --data "$DP")

node_start() { # NAME [ARGS...] -> prints its ws URL; its PID in $TMP/NAME.pid
    # NODE_RUN (plain or pgrg) and NODE_DATA: the store
    # shellcheck disable=SC2086 # NODE_EXTRA: more options, split
    "${NODE_RUN:-plain}" serve ${NODE_EXTRA:-} --data "${NODE_DATA:-$D}" --listen 127.0.0.1:0 --threads "$THREADS" --access-log off \
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
    ROWS+=("$(printf '%-20s %8s %8s %8s %7s %9s' "$1" "$(json relayed_per_s <<<"$2")" \
        "$(json p50_ms <<<"$2")ms" "$(json p99_ms <<<"$2")ms" "$(json server_cpu_pct <<<"$2")%" \
        "$(json joins_per_s <<<"$3")")")
}

if [ "${BENCH_MULTI_SIGNAL:-1}" != 0 ]; then
# one node, SQLite, no Redis
U=$(node_start one); P=$(cat "$TMP/one.pid"); PIDS+=("$P")
R=$(load one "$U" "$P" relay "$ROOMS" "$RATE" "$SECS"); J=$(load one "$U" "$P" joins "$JOINS")
row "roomgate-1" "$R" "$J"; stop "$P"

# two nodes on one store and Redis: every room spans both (PostgreSQL,
# then the SQLite directory)
two_nodes() { # LABEL ROW
    UA=$(node_start a --redis "redis://127.0.0.1:$RPORT"); PA=$(cat "$TMP/a.pid"); PIDS+=("$PA")
    UB=$(node_start b --redis "redis://127.0.0.1:$RPORT"); PB=$(cat "$TMP/b.pid"); PIDS+=("$PB")
    R=$(BENCH_URL_B=$UB load "$1" "$UA" "$PA" relay "$ROOMS" "$RATE" "$SECS")
    J=$(BENCH_URL_B=$UB load "$1" "$UA" "$PA" joins "$JOINS")
    row "$2" "$R" "$J"; stop "$PA"; stop "$PB"
}
# on PostgreSQL the same rooms and joins as the others unless
# BENCH_MULTI_PG_ROOMS / _JOINS say fewer (until 266de7c prepared its
# statements, its seats were ten times slower and it ran 100 and 400).  The
# default --node-timeout: the heartbeat has a connection of its own, so a
# node that falls behind is not declared dead (docs/deploy.md "Dead nodes")
ALL_ROOMS=$ROOMS ALL_JOINS=$JOINS
ROOMS=${BENCH_MULTI_PG_ROOMS:-$ROOMS} JOINS=${BENCH_MULTI_PG_JOINS:-$JOINS}
NODE_RUN=pgrg NODE_DATA=$DP BENCH_ACCOUNT=$PG_AC BENCH_KEY_SID=$(json sid <<<"$PG_K") \
    BENCH_KEY_SECRET=$(json secret <<<"$PG_K") two_nodes two-pg "roomgate-2+pg"
# the same with one connection shared by each node's loops (docs/deploy.md
# "Requests wait on fibers": larger seat batches where PostgreSQL shares
# the cores; the default is one per loop)
NODE_RUN=pgrg NODE_DATA=$DP BENCH_ACCOUNT=$PG_AC BENCH_KEY_SID=$(json sid <<<"$PG_K") \
    BENCH_KEY_SECRET=$(json secret <<<"$PG_K") NODE_EXTRA="--db-connections 1" \
    two_nodes two-pg1 "roomgate-2+pg-1conn"
PG_SIZES="$ROOMS rooms, $JOINS joins"
ROOMS=$ALL_ROOMS JOINS=$ALL_JOINS
two_nodes two "roomgate-2+sqlite"

if [ "${BENCH_MULTI_PEER:-1}" != 0 ]; then
    ROOMGATE_KEY_SID=$BENCH_KEY_SID ROOMGATE_KEY_SECRET=$BENCH_KEY_SECRET ROOMGATE_ACCOUNT=$BENCH_ACCOUNT \
        node bench/peer-node/signal.js >"$TMP/peer.out" 2>"$TMP/peer.err" &
    P=$!; PIDS+=("$P")
    U=ws://127.0.0.1:$(wait_line "$TMP/peer.out" '^signal peer listening on http://127\.0\.0\.1:\([0-9]*\)/.*$')/v1/signal
    R=$(load peer "$U" "$P" relay "$ROOMS" "$RATE" "$SECS"); J=$(load peer "$U" "$P" joins "$JOINS")
    row "node-peer" "$R" "$J"; stop "$P"
fi

echo
echo "== multinode: $ROOMS rooms x $RATE msg/s for ${SECS}s; $JOINS joins; two nodes with Redis on PostgreSQL (+pg: $PG_SIZES) or one SQLite directory (+sqlite)"
printf '%-20s %8s %8s %8s %7s %9s\n' server "relay/s" p50 p99 cpu "joins/s"
for r in "${ROWS[@]}"; do echo "$r"; done
fi

[ "${BENCH_MULTI_HTTP:-1}" != 0 ] || exit 0

# ---- http: a node on PostgreSQL next to a node on SQLite ---------------------
HSECS=${BENCH_HTTP_SECONDS:-4}
HCONNS=${BENCH_HTTP_CONNECTIONS:-32}
HROUNDS=${BENCH_HTTP_ROUNDS:-6}
command -v wrk >/dev/null || die "wrk is missing (scripts/deps.sh bench)"

http_start() { # NAME RUNNER DIR -> prints its base URL; PID in $TMP/NAME.pid
    "$2" serve --data "$3" --listen 127.0.0.1:0 --threads "$THREADS" --access-log off \
        --mint-rate 0 --auth-fail-limit 0 --max-conns-per-ip 0 --redis "redis://127.0.0.1:$RPORT" \
        >"$TMP/$1.out" 2>"$TMP/$1.err" &
    echo $! >"$TMP/$1.pid"
    echo "http://127.0.0.1:$(wait_line "$TMP/$1.out" '^roomgate: listening on http://127\.0\.0\.1:\([0-9]*\)/.*$')"
}
declare -A HURL HAUTH HTOKEN HVAL
HURL[sqlite]=$(http_start hsqlite plain "$D"); PIDS+=("$(cat "$TMP/hsqlite.pid")")
HURL[pg]=$(http_start hpg pgrg "$DP"); PIDS+=("$(cat "$TMP/hpg.pid")")
HAUTH[sqlite]="Basic $(printf '%s:%s' "$BENCH_KEY_SID" "$BENCH_KEY_SECRET" | base64 -w0)"
HAUTH[pg]="Basic $(printf '%s:%s' "$(json sid <<<"$PG_K")" "$(json secret <<<"$PG_K")" | base64 -w0)"
HVAL[sqlite]=/v1/Accounts/$BENCH_ACCOUNT/Tokens/validate
HVAL[pg]=/v1/Accounts/$PG_AC/Tokens/validate
for n in sqlite pg; do
    HTOKEN[$n]=$(curl -sf --max-time 10 -H "Authorization: ${HAUTH[$n]}" \
        "${HURL[$n]}/token?identity=bench&room=bench" | json token) || die "no token from the $n node"
    [ -n "${HTOKEN[$n]}" ] || die "no token from the $n node"
done

# PostgreSQL's transactions so far (pg_stat_database; the stats collector
# flushes about every 0.5 s): a hot path that asks the store shows as about
# one a request, the nodes' own polls as a few a second.
PSQL=${PG_BIN:-/usr/lib/postgresql/15/bin}/psql
xacts() {
    sleep 1
    "$PSQL" "$PGDB" -Atqc "SELECT pg_stat_clear_snapshot(); SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = 'postgres'" | tail -n1
}

hwrk_args() { # NODE ENDPOINT -> sets URL and ARGS
    if [ "$2" = mint ]; then
        URL="${HURL[$1]}/token?identity=bench&room=bench"; ARGS=(-H "Authorization: ${HAUTH[$1]}")
    else
        URL="${HURL[$1]}${HVAL[$1]}"; ARGS=(-s bench/validate.lua)
    fi
}

# wrk_start NODE ENDPOINT SECONDS OUT: wrk on one node in the background
# (its PID in WPID), its report in OUT.
wrk_start() {
    hwrk_args "$1" "$2"
    BENCH_TOKEN=${HTOKEN[$1]} BENCH_AUTH=${HAUTH[$1]} timeout $(($3 + 30)) \
        wrk -t1 -c"$HCONNS" -d"$3s" "${ARGS[@]}" "$URL" >"$4" &
    WPID=$!
}

# hwrk ENDPOINT ORDER: prints "SQLITE_RPS PG_RPS".  By default each node
# alone, one after the other in ORDER ("sqlite pg" or "pg sqlite": the
# rounds alternate, so a drift of the machine's load favours neither),
# each after a 1 s warm-up: two servers and two wrk at once on two cores
# measured the scheduler more than the servers (rounds from 0.67 to 1.34).
# BENCH_HTTP_AT_ONCE=1: both at once, so both see the same machine when
# others load it.  A failed or non-2xx run fails the bench.
hwrk() {
    local ep=$1 n x0 x1 rps total
    local -A pid
    if [ "${BENCH_HTTP_AT_ONCE:-0}" = 1 ]; then
        for n in sqlite pg; do wrk_start "$n" "$ep" 1 /dev/null; pid[$n]=$WPID; done
        wait "${pid[sqlite]}" "${pid[pg]}"
        x0=$(xacts)
        for n in sqlite pg; do wrk_start "$n" "$ep" "$HSECS" "$TMP/wrk.$n"; pid[$n]=$WPID; done
        for n in sqlite pg; do wait "${pid[$n]}" || die "wrk $ep on the $n node failed"; done
        x1=$(xacts)
    else
        x0=$(xacts)
        for n in $2; do
            wrk_start "$n" "$ep" 1 /dev/null; wait "$WPID"
            wrk_start "$n" "$ep" "$HSECS" "$TMP/wrk.$n"; wait "$WPID" || die "wrk $ep on the $n node failed"
        done
        x1=$(xacts)
    fi
    for n in sqlite pg; do
        grep -q 'Non-2xx' "$TMP/wrk.$n" && { cat "$TMP/wrk.$n" >&2; die "$ep on the $n node answered non-2xx"; }
        rps=$(awk '/^Requests\/sec:/ {printf "%d", $2}' "$TMP/wrk.$n")
        [ -n "$rps" ] || die "no figure from wrk $ep on the $n node"
        printf '%s ' "$rps"
    done
    total=$(awk '/ requests in / {print $1}' "$TMP/wrk.pg")
    echo "  $ep on the PostgreSQL node: $((x1 - x0)) store transactions for $total requests" >&2
    echo
}

HROWS=()
for ((round = 1; round <= HROUNDS; round++)); do
    for ep in mint validate; do
        order="sqlite pg"; [ $((round % 2)) = 0 ] && order="pg sqlite"
        read -r s_rps p_rps <<<"$(hwrk "$ep" "$order")"
        ratio=$(awk -v p="$p_rps" -v s="$s_rps" 'BEGIN {printf "%.2f", p / s}')
        echo "  http round $round $ep: sqlite $s_rps/s, pg $p_rps/s, pg/sqlite $ratio"
        HROWS+=("$(printf '%-6s %-9s %9s %9s %9s' "$round" "$ep" "$s_rps" "$p_rps" "$ratio")")
    done
done
echo
HOW="each node alone in turn, the order alternating by round"
[ "${BENCH_HTTP_AT_ONCE:-0}" = 1 ] && HOW="on each node at once"
echo "== multinode http: wrk -t1 -c$HCONNS -d${HSECS}s $HOW; a node on PostgreSQL next to a node on SQLite (both with --redis)"
printf '%-6s %-9s %9s %9s %9s\n' round endpoint "sqlite/s" "pg/s" "pg/sqlite"
for r in "${HROWS[@]}"; do echo "$r"; done
for ep in mint validate; do # the rounds' geometric mean
    printf '%s\n' "${HROWS[@]}" | awk -v ep="$ep" '$2 == ep { s += log($5); n++ }
        END { if (n) printf "%-6s %-9s %29.2f\n", "mean", ep, exp(s / n) }'
done
