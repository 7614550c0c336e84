#!/usr/bin/env bash
# Runs the libFuzzer targets built by `make fuzz` (build/fuzz/fuzz_<name>),
# one after the other, each for FUZZ_TIME seconds (default 300) on its
# committed corpus fuzz/corpus/<name>/.  New inputs go to a scratch
# directory (build/fuzz/scratch/<name>/), so the committed corpus only grows
# by hand or with `make fuzz-merge`; crashes go to build/fuzz/crashes/<name>/.
# Prints the executions and crashes per target; fails if any crashed.
#   fuzz/run.sh NAME...          fuzz
#   fuzz/run.sh --merge NAME...  add the scratch inputs that reach new
#                                coverage to the committed corpus (-merge=1)
set -uo pipefail
cd "$(dirname "$0")/.."

merge=0
[ "${1:-}" = --merge ] && { merge=1; shift; }
time=${FUZZ_TIME:-300}
failed=0
summary=()

max_len() { # tokens and signaling frames may be longer than the 8 KiB token limit
    case $1 in token | signal) echo 9000 ;; jsonr) echo 8300 ;; wsframe) echo 8192 ;; *) echo 4096 ;; esac
}

for name in "$@"; do
    bin=build/fuzz/fuzz_$name corpus=fuzz/corpus/$name scratch=build/fuzz/scratch/$name
    crashes=build/fuzz/crashes/$name
    mkdir -p "$corpus" "$scratch" "$crashes"
    if [ $merge = 1 ]; then
        before=$(find "$corpus" -type f | wc -l)
        "$bin" -merge=1 -max_len="$(max_len "$name")" "$corpus" "$scratch" >"build/fuzz/$name.merge.log" 2>&1
        echo "$name: corpus $before -> $(find "$corpus" -type f | wc -l) inputs"
        continue
    fi
    log=build/fuzz/$name.log
    had=$(find "$crashes" -type f | wc -l)
    echo "== $name ($time s)"
    "$bin" -max_total_time="$time" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
        -max_len="$(max_len "$name")" -artifact_prefix="$crashes/" "$scratch" "$corpus" >"$log" 2>&1
    rc=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\)/\1/p' "$log" | tail -1)
    ncrash=$(($(find "$crashes" -type f | wc -l) - had))
    [ $rc -ne 0 ] && [ "$ncrash" = 0 ] && ncrash=1
    line="$name: ${runs:-?} executions, $ncrash crashes"
    summary+=("$line")
    echo "$line"
    if [ $rc -ne 0 ]; then
        failed=1
        grep -E 'ERROR|SUMMARY|invariant failed|Test unit written' "$log" | head -n 20
        echo "(full log: $log)"
    fi
done

if [ $merge = 0 ]; then
    echo
    printf '%s\n' "${summary[@]}"
fi
exit $failed
