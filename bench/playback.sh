#!/usr/bin/env bash
# bench/playback.sh - secure playback benchmark (see bench/README.md):
#   GET /sec_rec  req/s with a durable audit row per request: roomgate vs a
#                 Node peer (express + better-sqlite3 insert + signed URL)
#   GET /media    MB/s for a 50 MB recording, whole and 1 MiB ranges:
#                 roomgate (decrypting AES-256-GCM segments) vs nginx serving
#                 the same bytes as a plaintext file (sendfile)
# Run by bench/run.sh (BENCH_PLAYBACK=0 skips it) or alone after `make`.
# Everything listens on 127.0.0.1; every process is stopped by PID on exit.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

SECS=${BENCH_SECONDS:-8}
WARM=${BENCH_WARMUP:-2}
CONNS=${BENCH_CONNECTIONS:-32}
MEDIA_CONNS=${BENCH_MEDIA_CONNECTIONS:-4}
MB=${BENCH_MEDIA_MB:-50}
ROOMGATE=${ROOMGATE:-build/roomgate}
TMP=$(mktemp -d)
PIDS=()

BENCH_NAME="playback bench"
. "$(dirname "$0")/lib.sh"

# wrk ... -> sets RPS and MBS (Transfer/sec in MB/s)
run_wrk() {
    local out
    [ "$WARM" != 0 ] && wrk "$@" -d"${WARM}s" >/dev/null 2>&1
    out=$(wrk "$@" -d"${SECS}s")
    echo "$out" | sed 's/^/    /'
    RPS=$(awk '/^Requests\/sec/ {printf "%d", $2}' <<<"$out")
    MBS=$(awk '/^Transfer\/sec/ {v=$2; n=v+0; if (v ~ /GB$/) n*=1024; else if (v ~ /KB$/) n/=1024; else if (v ~ /B$/ && v !~ /MB$/) n/=1048576; printf "%.0f", n}' <<<"$out")
    if grep -q 'Non-2xx' <<<"$out"; then die "non-2xx answers under load: $*"; fi
}

echo "== secure playback: ${MB} MB recording; wrk -t1, ${SECS}s runs"
# ---- roomgate ---------------------------------------------------------------
D=$TMP/data
mkdir -p "$TMP/import" "$TMP/www"
head -c $((MB * 1024 * 1024)) /dev/urandom >"$TMP/import/rec.bin"
cp "$TMP/import/rec.bin" "$TMP/www/rec.bin"
# nginx's workers run unprivileged: let them reach the plaintext copy
chmod 755 "$TMP" "$TMP/www"
chmod 644 "$TMP/www/rec.bin"
AC_JSON=$("$ROOMGATE" account create --data "$D")
AC=$(json sid <<<"$AC_JSON"); AUTH=$(json auth_token <<<"$AC_JSON")
K_JSON=$("$ROOMGATE" key create --account "$AC" --data "$D")
SK=$(json sid <<<"$K_JSON"); SECRET=$(json secret <<<"$K_JSON")
"$ROOMGATE" keys generate-recording-keypair --data "$D" >/dev/null
# imports read the account's own subdirectory of --import-dir
mkdir -p "$TMP/import/$AC" && mv "$TMP/import/rec.bin" "$TMP/import/$AC/rec.bin"
# --access-log off: like nginx's access_log off and the peer, which logs nothing
"$ROOMGATE" serve --data "$D" --listen 127.0.0.1:0 --threads 2 --import-dir "$TMP/import" \
    --link-ttl 3600 --playback-rate 0 --access-log off >"$TMP/rg.out" 2>"$TMP/rg.err" &
RG_PID=$!; PIDS+=("$RG_PID")
RG=http://127.0.0.1:$(wait_line "$TMP/rg.out" '^roomgate: listening on http://127\.0\.0\.1:\([0-9]*\)/.*$')
REC=$(curl -sf -u "$AC:$AUTH" -H 'Content-Type: application/json' \
    -d '{"path":"rec.bin","content_type":"audio/ogg","allowed_identities":["alice"]}' "$RG/v1/Recordings") \
    || die "import failed"
RE=$(json sid <<<"$REC")
TOKEN=$("$ROOMGATE" token --account "$AC" --key "$SK" --identity alice --ttl 3600 --data "$D")
TAUTH="Basic $(printf 'token:%s' "$TOKEN" | base64 -w0)"
MEDIA=$(curl -sf -H "Authorization: $TAUTH" "$RG/sec_rec?recording_sid=$RE" | json media_url) || die "roomgate /sec_rec refused"

# ---- node peer --------------------------------------------------------------
(cd bench/peer-node && PORT=0 ACCOUNT_SID="$AC" KEY_SID="$SK" KEY_SECRET="$SECRET" DB_PATH="$TMP/peer.db" \
    MEDIA_FILE="$TMP/www/rec.bin" REC_SID="$RE" ALLOWED=alice exec node playback.js >"$TMP/peer.out" 2>"$TMP/peer.err") &
PEER_PID=$!; PIDS+=("$PEER_PID")
PEER=http://127.0.0.1:$(wait_line "$TMP/peer.out" '^node-playback: listening on http://127\.0\.0\.1:\([0-9]*\)/.*$')
curl -sf -H "Authorization: $TAUTH" "$PEER/sec_rec?recording_sid=$RE" | grep -q media_url || die "peer /sec_rec refused"

# ---- nginx ------------------------------------------------------------------
NG_PORT=$(free_port)
mkdir -p "$TMP/nginx"
sed -e "s|@PREFIX@|$TMP/nginx|g" -e "s|@PORT@|$NG_PORT|g" -e "s|@ROOT@|$TMP/www|g" bench/nginx-media.conf.in >"$TMP/nginx/nginx.conf"
nginx -p "$TMP/nginx/" -c "$TMP/nginx/nginx.conf" -g 'daemon off;' >"$TMP/nginx.out" 2>&1 &
NG_PID=$!; PIDS+=("$NG_PID")
NG=http://127.0.0.1:$NG_PORT
for _ in $(seq 1 50); do curl -sf -o /dev/null "$NG/healthz" && break; sleep 0.1; done

# ---- sanity: same bytes everywhere ------------------------------------------
want=$(sha256sum <"$TMP/www/rec.bin" | cut -d' ' -f1)
[ "$(curl -sf "$MEDIA" | sha256sum | cut -d' ' -f1)" = "$want" ] || die "roomgate /media bytes differ"
[ "$(curl -sf "$NG/rec.bin" | sha256sum | cut -d' ' -f1)" = "$want" ] || die "nginx bytes differ"
R0=$((MB * 1024 * 1024 / 3)); R1=$((R0 + 1048575))
[ "$(curl -sf -H "Range: bytes=$R0-$R1" "$MEDIA" | sha256sum | cut -d' ' -f1)" = \
  "$(tail -c +$((R0 + 1)) "$TMP/www/rec.bin" | head -c 1048576 | sha256sum | cut -d' ' -f1)" ] || die "range bytes differ"
rows0=$("$ROOMGATE" audit export --data "$D" | wc -l)

# ---- load ---------------------------------------------------------------------
echo "### GET /sec_rec  roomgate"; run_wrk -t1 -c"$CONNS" --latency -H "Authorization: $TAUTH" "$RG/sec_rec?recording_sid=$RE"
RG_SEC=$RPS
echo "### GET /sec_rec  node-peer"; run_wrk -t1 -c"$CONNS" --latency -H "Authorization: $TAUTH" "$PEER/sec_rec?recording_sid=$RE"
PEER_SEC=$RPS
rows1=$("$ROOMGATE" audit export --data "$D" | wc -l)
echo "### GET /media whole  roomgate"; run_wrk -t1 -c"$MEDIA_CONNS" "$MEDIA"; RG_FULL=$MBS
echo "### GET /media whole  nginx"; run_wrk -t1 -c"$MEDIA_CONNS" "$NG/rec.bin"; NG_FULL=$MBS
echo "### GET /media 1 MiB range  roomgate"; run_wrk -t1 -c"$MEDIA_CONNS" -H "Range: bytes=$R0-$R1" "$MEDIA"; RG_RANGE=$MBS
echo "### GET /media 1 MiB range  nginx"; run_wrk -t1 -c"$MEDIA_CONNS" -H "Range: bytes=$R0-$R1" "$NG/rec.bin"; NG_RANGE=$MBS
"$ROOMGATE" audit verify --data "$D" >/dev/null || die "audit chain broken after the run"

echo
echo "== secure playback results"
printf '%-28s %12s %12s %10s\n' measure roomgate peer ratio
printf '%-28s %12s %12s %9sx\n' "/sec_rec req/s (durable)" "$RG_SEC" "$PEER_SEC" "$(awk -v a="$RG_SEC" -v b="$PEER_SEC" 'BEGIN{printf "%.1f", a/b}')"
printf '%-28s %12s %12s %9s%%\n' "/media whole MB/s" "$RG_FULL" "$NG_FULL (nginx)" "$(awk -v a="$RG_FULL" -v b="$NG_FULL" 'BEGIN{printf "%d", 100*a/b}')"
printf '%-28s %12s %12s %9s%%\n' "/media 1 MiB ranges MB/s" "$RG_RANGE" "$NG_RANGE (nginx)" "$(awk -v a="$RG_RANGE" -v b="$NG_RANGE" 'BEGIN{printf "%d", 100*a/b}')"
echo "audit rows written during the /sec_rec runs (warm-up included): $((rows1 - rows0)); chain verified"
echo "== targets: /sec_rec >= 10x the peer, /media whole >= 60% of nginx, ranges >= 80% (issue 14)"
awk -v a="$RG_SEC" -v b="$PEER_SEC" 'BEGIN{printf "/sec_rec: %.1fx %s\n", a/b, (a >= 10*b ? "ok" : "MISSED")}'
awk -v a="$RG_FULL" -v b="$NG_FULL" 'BEGIN{printf "/media whole: %d%% %s\n", 100*a/b, (a >= 0.6*b ? "ok" : "MISSED")}'
awk -v a="$RG_RANGE" -v b="$NG_RANGE" 'BEGIN{printf "/media ranges: %d%% %s\n", 100*a/b, (a >= 0.8*b ? "ok" : "MISSED")}'
