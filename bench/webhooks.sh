#!/usr/bin/env bash
# bench/webhooks.sh - status callback benchmark (docs/webhooks.md; see
# bench/README.md "Status callbacks"):
#   drain  BENCH_HOOK_EVENTS (2000) room-created events waiting in the outbox
#          (one per room) are delivered to a local receiver
#          (bench/hook_receiver.c: 204, no signature check) after a restart: events/s from the
#          dispatcher's start to the last one received
#   joins  BENCH_HOOK_JOINS (2000) signaling joins (build/bench/signal_load,
#          as bench/signal.sh), without and then with an account default
#          callback (each join then records participant-connected, and
#          room-created for its room, in its transaction): joins/s
#          without; with a receiver that never answers (recording only);
#          with a receiver that answers (recording and delivery); each
#          the mean of three runs after a warm-up; target: with callbacks
#          within 10 % of without
# 127.0.0.1 only; every process is stopped by PID on exit.  About 45 s.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

EVENTS=${BENCH_HOOK_EVENTS:-2000}
JOINS=${BENCH_HOOK_JOINS:-2000}
ROOMGATE=${ROOMGATE:-build/roomgate}
LOAD=${SIGNAL_LOAD:-build/bench/signal_load}
RECEIVER=${HOOK_RECEIVER:-build/bench/hook_receiver}
for b in "$LOAD" "$RECEIVER"; do
    [ -x "$b" ] || { echo "webhook bench: $b is missing: make bench builds it" >&2; exit 1; }
done
TMP=$(mktemp -d)
PIDS=()
BENCH_NAME="webhook bench"
. "$(dirname "$0")/lib.sh"

D=$TMP/data
AC_JSON=$("$ROOMGATE" account create --data "$D")
export BENCH_ACCOUNT=$(json sid <<<"$AC_JSON")
K_JSON=$("$ROOMGATE" key create --account "$BENCH_ACCOUNT" --type main --data "$D")
export BENCH_KEY_SID=$(json sid <<<"$K_JSON") BENCH_KEY_SECRET=$(json secret <<<"$K_JSON")
AUTH="$BENCH_KEY_SID:$BENCH_KEY_SECRET"
RX_PORT=$(free_port)

serve() { # LOGNAME -> PID in SPID, base URL in BASE
    "$ROOMGATE" serve --data "$D" --listen 127.0.0.1:0 --threads 2 --access-log off \
        --webhook-allow-private --webhook-retry-base 3600000 --signal-max-conns-per-ip 0 \
        --max-conns-per-ip 0 >"$TMP/$1.out" 2>"$TMP/$1.err" &
    SPID=$!
    PIDS+=("$SPID")
    BASE=http://127.0.0.1:$(wait_line "$TMP/$1.out" '^roomgate: listening on http://127\.0\.0\.1:\([0-9]*\)/.*$')
}
stop() { kill -TERM "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

# The receiver (bench/hook_receiver.c): reads each request whole, answers
# 204 on a kept-alive connection; prints {"received","first_ms","last_ms"}
# on SIGUSR2 and when it has N.  In C because on this machine it shares the
# cores with the server and the load client (a deployment's receiver runs
# elsewhere); the Node one cost the joins ~100 us of CPU per event.
receiver() { # N
    "$RECEIVER" "$1" "$RX_PORT" >"$TMP/rx.out" 2>"$TMP/rx.err" &
    RXPID=$!
    PIDS+=("$RXPID")
    wait_line "$TMP/rx.out" '^receiver \(ready\)$' >/dev/null
}

# A receiver that accepts and never answers: the dispatcher's slots stay
# busy, so what the joins pay is the recording alone.
tarpit() {
    node -e '
const held = [];
require("net").createServer((s) => held.push(s)).listen(Number(process.argv[1]), "127.0.0.1", () => console.log("receiver ready"));
' "$RX_PORT" >"$TMP/rx.out" 2>"$TMP/rx.err" &
    RXPID=$!
    PIDS+=("$RXPID")
    wait_line "$TMP/rx.out" '^receiver \(ready\)$' >/dev/null
}

# ---- drain: events waiting in the outbox, delivered after a restart -------
serve fill
curl -sf -u "$AUTH" "$BASE/v1/StatusCallback" -d "StatusCallback=http://127.0.0.1:$RX_PORT/hook" >/dev/null
node -e '
const [base, auth, n] = [process.argv[1], process.argv[2], Number(process.argv[3])];
const h = { authorization: "Basic " + Buffer.from(auth).toString("base64"), "content-type": "application/x-www-form-urlencoded" };
(async () => {
  for (let i = 0; i < n; i += 32) {
    await Promise.all(Array.from({ length: Math.min(32, n - i) }, (_, k) =>
      fetch(base + "/v1/Rooms", { method: "POST", headers: h, body: "UniqueName=drain-" + (i + k) })
        .then((r) => { if (r.status !== 201) throw new Error("POST /v1/Rooms: " + r.status); })));
  }
})().catch((e) => { console.error(e.message); process.exit(1); });
' "$BASE" "$AUTH" "$EVENTS" || die "cannot create the rooms"
stop "$SPID"
# nobody listened: every event was tried once and waits an hour; make them due
sqlite3 "$D/roomgate.db" "UPDATE webhook_outbox SET next_ms = 0" || die "sqlite3"
WAITING=$(sqlite3 "$D/roomgate.db" "SELECT COUNT(*) FROM webhook_outbox")
[ "$WAITING" = "$EVENTS" ] || die "$WAITING events waiting, expected $EVENTS"
receiver "$EVENTS"
T0=$(date +%s%3N)
serve drain
for _ in $(seq 1 600); do grep -q received "$TMP/rx.out" && break; sleep 0.1; done
grep -q received "$TMP/rx.out" || die "the receiver got $(kill -USR2 "$RXPID"; sleep 0.2; tail -1 "$TMP/rx.out")"
DRAIN=$(grep received "$TMP/rx.out" | head -1)
LAST=$(json last_ms <<<"$DRAIN")
EPS=$(awk -v n="$EVENTS" -v ms="$((LAST - T0))" 'BEGIN { printf "%d", n * 1000 / ms }')
stop "$SPID"
stop "$RXPID"

# ---- joins without and with a callback ----------------------------------------
joins() { # TAG -> joins/s
    # each phase starts with an empty outbox: the silent receiver's phase
    # leaves its events queued, and the next phase would deliver them too
    sqlite3 "$D/roomgate.db" "DELETE FROM webhook_outbox" || die "sqlite3"
    serve "joins-$1"
    if [ "$1" = hooked ] || [ "$1" = recorded ]; then
        if [ "$1" = hooked ]; then receiver 1000000000; else tarpit; fi
        curl -sf -u "$AUTH" "$BASE/v1/StatusCallback" -d "StatusCallback=http://127.0.0.1:$RX_PORT/hook" >/dev/null
    else
        curl -sf -u "$AUTH" "$BASE/v1/StatusCallback" -d "StatusCallback=" >/dev/null
    fi
    # a warm-up run, then three; the mean of the three: one run lasts half
    # a second, and its first after a start pays for cold caches
    local out sum=0 cpu=0 r
    for r in w 1 2 3; do
        out=$(BENCH_RUN="hook-$1-$r" timeout 180 "$LOAD" joins "${BASE/http/ws}/v1/signal" "$SPID" \
            "$([ $r = w ] && echo 1000 || echo "$JOINS")") || die "joins ($1) failed"
        if [ $r != w ]; then
            sum=$((sum + $(json joins_per_s <<<"$out")))
            cpu=$((cpu + $(json server_cpu_us_per_join <<<"$out")))
        fi
        sleep 1 # the closes of one run are not the next one's load
    done
    echo "$((sum / 3)) $((cpu / 3))"
    stop "$SPID"
    stop "$RXPID"
    return 0
}
read -r PLAIN PLAIN_CPU < <(joins plain)
read -r RECORDED RECORDED_CPU < <(joins recorded)
read -r HOOKED HOOKED_CPU < <(joins hooked)

echo
echo "== status callbacks: $EVENTS events drained after a restart; $JOINS joins"
printf '%-34s %10s\n' "outbox -> local receiver" "$EPS ev/s"
# the server's CPU per join (every thread: the dispatcher's deliveries too)
printf '%-34s %10s %6s us CPU/join\n' "joins/s, no callback" "$PLAIN" "$PLAIN_CPU"
printf '%-34s %10s %6s us CPU/join\n' "joins/s, recorded (receiver silent)" "$RECORDED" "$RECORDED_CPU"
printf '%-34s %10s %6s us CPU/join\n' "joins/s, events delivered" "$HOOKED" "$HOOKED_CPU"
awk -v a="$PLAIN" -v b="$HOOKED" 'BEGIN { d = (a - b) * 100 / a;
    printf "target: joins with callbacks within 10 %% of without (%.1f %%): %s\n", d, (d <= 10 ? "ok" : "MISSED") }'
