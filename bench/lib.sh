# bench/lib.sh - helpers shared by the bench scripts (sourced, not run).
# The including script sets BENCH_NAME, TMP (a temp dir) and PIDS (an array
# of the processes it starts); this installs the cleanup trap.

die() { echo "$BENCH_NAME: FAIL: $*" >&2; exit 1; }

# Stops every started process by PID (TERM, then KILL after 5 s), removes TMP.
cleanup() {
    local p
    for p in "${PIDS[@]}"; do
        kill -TERM "$p" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$p" 2>/dev/null || true
        wait "$p" 2>/dev/null || true
    done
    rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }

wait_line() { # FILE REGEX -> first capture, up to 15 s
    for _ in $(seq 1 150); do
        v=$(sed -n "s|$2|\\1|p" "$1" 2>/dev/null | head -n1)
        [ -n "$v" ] && { echo "$v"; return 0; }
        sleep 0.1
    done
    cat "$1" >&2; die "no ready line in $1"
}

# json KEY < object -> the value of KEY ("" when absent)
json() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const v=JSON.parse(s)[process.argv[1]];console.log(v??"")})' "$1"; }
