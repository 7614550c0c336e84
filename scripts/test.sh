#!/usr/bin/env bash
# Runs every suite `make test` promises, after `make SAN=1 all units` and
# `make all units`:
#   1. unit (cmocka) under AddressSanitizer + UndefinedBehaviorSanitizer
#   2. unit (cmocka) again under valgrind memcheck, on the plain build
#   3. API, interop and attack suites (node --test) against the sanitized server
#   4. the API suites again against the plain server under valgrind memcheck
#      (tests/valgrind-roomgate.sh), but recordings.test.js: valgrind 3.19
#      does not know openat2, which the {"path"} import needs
#   5. browser e2e (tests/e2e, Chromium) against the sanitized server
# and ends with one summary line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."

export ASAN_OPTIONS="abort_on_error=0:halt_on_error=1:detect_leaks=1:exitcode=86"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:print_suppressions=0"
passed=0
failed=0
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT

count_cmocka() { # adds the counts of one cmocka run to the totals
    local p f
    p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$1" | tail -1)
    f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$1" | tail -1)
    passed=$((passed + ${p:-0}))
    failed=$((failed + ${f:-0}))
}

run_unit() { # $1 = label, $2 = binary, rest = wrapper command
    local label=$1 bin=$2 out rc
    shift 2
    out="$log/$(basename "$bin").$label"
    "$@" "$bin" >"$out" 2>&1
    rc=$?
    count_cmocka "$out"
    if [ $rc -ne 0 ]; then
        echo "FAIL $label $(basename "$bin") (exit $rc)"
        cat "$out"
        grep -q '^\[  FAILED  \]' "$out" || failed=$((failed + 1))
    else
        echo "ok   $label $(basename "$bin")"
    fi
}

echo "== unit tests (ASan + UBSan)"
for t in build/san/tests/test_*; do [[ $t == *.d ]] || run_unit asan "$t"; done

echo "== unit tests (valgrind)"
for t in build/tests/test_*; do
    [[ $t == *.d ]] && continue
    run_unit valgrind "$t" valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite
done

# run_node LABEL CONCURRENCY FILES... : a node --test run against the
# sanitized server, its counts added to the totals.
run_node() {
    local label=$1 conc=$2 out rc p f
    shift 2
    echo "== $label (node --test, ${BIN_LABEL:-sanitized server})"
    out="$log/node.${label// /_}"
    ROOMGATE_BIN="${SERVER_BIN:-$PWD/build/san/roomgate}" node --test --test-concurrency="$conc" "$@" >"$out" 2>&1
    rc=$?
    tail -n 12 "$out"
    [ $rc -ne 0 ] && grep -E '^not ok|^# Subtest|failureType|error:|expected|actual' "$out" | head -n 80
    p=$(sed -n 's/^# pass \([0-9]*\)/\1/p' "$out" | tail -1)
    f=$(sed -n 's/^# fail \([0-9]*\)/\1/p' "$out" | tail -1)
    passed=$((passed + ${p:-0}))
    failed=$((failed + ${f:-0}))
    [ $rc -ne 0 ] && [ "${f:-0}" = 0 ] && failed=$((failed + 1))
    return 0
}

run_node "API, interop and attack tests" 2 tests/api/
# shellcheck disable=SC2046
SERVER_BIN="$PWD/tests/valgrind-roomgate.sh" BIN_LABEL="server under valgrind" \
    run_node "API under valgrind" 2 $(ls tests/api/*.test.js | grep -v '/recordings\.test\.js$')
# Browser e2e: Debian's Chromium through playwright-core (never downloaded).
# E2E narrows the suites (default: all of tests/e2e/).
# shellcheck disable=SC2086
run_node "browser e2e" 1 ${E2E:-tests/e2e/}

echo
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
