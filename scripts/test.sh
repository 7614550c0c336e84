#!/usr/bin/env bash
# Runs every suite `make test` promises, after `make SAN=1 all units` and
# `make all units`:
#   1. unit (cmocka) under AddressSanitizer + UndefinedBehaviorSanitizer
#   2. unit (cmocka) again under valgrind memcheck, on the plain build
#      (both a suite per core at a time: run_units)
#   2b. the store unit tests the PostgreSQL back end passes so far (issue 15,
#      Makefile PG_UNITS), both ways, on a throw-away PostgreSQL
#      (scripts/pg.sh) that is stopped afterwards
#   3. API, interop and attack suites (node --test) against the sanitized server
#      (tests/api/multinode_*.test.js run several nodes on one store and a
#      throw-away redis-server, tests/api/lib/redis.js; pg_nodes.test.js two
#      nodes on one throw-away PostgreSQL)
#   3b. the API suites that use only the store's interface, again with every
#      server on a throw-away PostgreSQL (PG_API_SUITES below)
#   4. the API suites again against the plain server under valgrind memcheck
#      (tests/valgrind-roomgate.sh), but recordings.test.js and
#      sec_import.test.js: valgrind 3.19 does not know openat2, which the
#      {"path"} import needs (every import would fail, as under valgrind
#      the call returns ENOSYS); and
#      sec_upload.test.js: it pushes 2.5 GB through the server (and
#      measures its RSS) and uploads 64 MiB by tus twice, hours under
#      memcheck (tus.test.js, the protocol on small files, does run); and
#      sec_redteam_cli.test.js: it reads the secrets' absence from
#      /proc/PID/cmdline, which under valgrind is valgrind's own copy of
#      the arguments, not the server's memory; and deb, install and
#      circles: they run no server under test (they build and run the
#      package, the installed tree and the circle checker), so a second
#      run would repeat the first exactly.
#      Three suites at a time: a quarter of the pass's CPU time was idle
#      at two (the multinode suites wait on timeouts, a node's deadline,
#      a PostgreSQL outage) while each server start costs memcheck ~3 s.
#   5. browser e2e (tests/e2e, Chromium) against the sanitized server
#   and docs/openapi.yaml through @redocly/cli lint, the circle check of
#   src/ (scripts/circles.mjs: no include or call circle), cppcheck over src/
#   (make lint), README.md's examples
# and ends with one summary line "N passed, N failed, N skipped" (cancelled
# node tests count as failed).  A suite that did not run - no result from
# its runner, no test in it, or tests skipped (e.g. no Chromium for the e2e
# suites) - fails the run: everything listed here is promised.
set -uo pipefail
cd "$(dirname "$0")/.."

export ASAN_OPTIONS="abort_on_error=0:halt_on_error=1:detect_leaks=1:exitcode=86"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:print_suppressions=0"
passed=0
failed=0
skipped=0
notrun=() # promised suites that did not run, with the reason
failures=() # what failed, repeated after the summary so a truncated log still names it
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT

count_cmocka() { # adds the counts of one cmocka run ($1) to the totals ($2: label)
    local p f s
    p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$1" | tail -1)
    f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$1" | tail -1)
    s=$(sed -n 's/^\[  SKIPPED \] \([0-9]*\) test.*/\1/p' "$1" | tail -1)
    passed=$((passed + ${p:-0}))
    failed=$((failed + ${f:-0}))
    skipped=$((skipped + ${s:-0}))
    [ "${s:-0}" -gt 0 ] && notrun+=("$2: ${s} skipped")
    [ -z "$p$f" ] && notrun+=("$2: no cmocka result")
    return 0
}

# report_unit LABEL BINARY: adds one finished cmocka run (its output and
# exit status in $log, from start_unit) to the totals.
report_unit() {
    local label=$1 bin=$2 out rc
    out="$log/$(basename "$bin").$label"
    rc=$(cat "$out.rc" 2>/dev/null || echo 127)
    count_cmocka "$out" "$label $(basename "$bin")"
    if [ "$rc" -ne 0 ]; then
        echo "FAIL $label $(basename "$bin") (exit $rc)"
        failures+=("$label $(basename "$bin") (exit $rc)")
        cat "$out"
        grep -q '^\[  FAILED  \]' "$out" || failed=$((failed + 1))
    else
        echo "ok   $label $(basename "$bin")"
    fi
}

# start_unit LABEL BINARY WRAPPER...: runs one suite in the background,
# once fewer than UNIT_JOBS run.
start_unit() {
    local label=$1 bin=$2 out
    shift 2
    out="$log/$(basename "$bin").$label"
    while [ "$(jobs -rp | wc -l)" -ge "$UNIT_JOBS" ]; do wait -n; done
    { "$@" "$bin" >"$out" 2>&1; echo $? >"$out.rc"; } &
}

# run_units LABEL WRAPPER... -- BINARIES...: the suites UNIT_JOBS at a
# time (default: a core each), reported in order once all are done.
# Memcheck runs a process's threads one at a time, so under valgrind a
# suite keeps one core busy and the others idle: two at once on two cores
# take about half the time.  The PostgreSQL suites run one at a time
# (UNIT_JOBS=1): they share one cluster, and some count its sessions.
UNIT_JOBS=${UNIT_JOBS:-$(nproc 2>/dev/null || echo 2)}
run_units() {
    local label=$1 w=() t
    shift
    while [ "$1" != -- ]; do w+=("$1"); shift; done
    shift
    for t in "$@"; do start_unit "$label" "$t" "${w[@]}"; done
    wait
    for t in "$@"; do report_unit "$label" "$t"; done
}

echo "== unit tests (ASan + UBSan) [${SECONDS}s]"
# shellcheck disable=SC2046
run_units asan -- $(ls build/san/tests/test_* | grep -v '\.d$')

# memcheck for the unit suites.  --fair-sched=yes: valgrind runs one
# thread at a time, and by default a thread that spins (test_keycache's
# readers, while the reloader writes) can keep the others from running
# for many minutes (a CI run here sat 15 min in test_concurrent_reload,
# 34 s with it); timeout: a hang fails its suite instead of the whole run.
UNIT_VALGRIND=(timeout 900 valgrind -q --fair-sched=yes --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite)

echo "== unit tests (valgrind) [${SECONDS}s]"
# shellcheck disable=SC2046
run_units valgrind "${UNIT_VALGRIND[@]}" -- $(ls build/tests/test_* | grep -v '\.d$')

echo "== unit tests on PostgreSQL (ASan + UBSan, then valgrind) [${SECONDS}s]"
if pg_env=$(scripts/pg.sh start 2>"$log/pg.start"); then
    eval "$pg_env"
    export RG_TEST_PG
    trap 'scripts/pg.sh stop "$RG_TEST_PG_DIR" >/dev/null 2>&1; rm -rf "$log"' EXIT
    # shellcheck disable=SC2046
    UNIT_JOBS=1 run_units asan-pg -- $(ls build/san/tests/pg/test_* | grep -v '\.d$')
    # shellcheck disable=SC2046
    UNIT_JOBS=1 run_units valgrind-pg "${UNIT_VALGRIND[@]}" -- $(ls build/tests/pg/test_* | grep -v '\.d$')
    scripts/pg.sh stop "$RG_TEST_PG_DIR" || failures+=("scripts/pg.sh stop")
    trap 'rm -rf "$log"' EXIT
    unset RG_TEST_PG RG_TEST_PG_DIR
else
    notrun+=("unit tests on PostgreSQL: scripts/pg.sh start failed: $(tail -n 1 "$log/pg.start")")
fi

# The committed fuzz corpus (fuzz/README.md) replayed through each target
# (built by `make replay`, gcc only) under ASan+UBSan, then on the plain
# build under valgrind: one test per target and checker.
replay() { # $1 = label, $2 = target, $3 = binary, rest = wrapper command
    local label=$1 name=$2 bin=$3 out="$log/replay.$1.$2"
    shift 3
    if "$@" "$bin" "fuzz/corpus/$name" >"$out" 2>&1; then
        passed=$((passed + 1))
        echo "ok   $label $name ($(sed -n 's/ inputs$//p' "$out") inputs)"
    else
        failed=$((failed + 1))
        echo "FAIL $label $name"
        failures+=("$label $name")
        tail -n 40 "$out"
    fi
}
echo "== fuzz corpus replay (ASan + UBSan, then valgrind) [${SECONDS}s]"
for dir in fuzz/corpus/*/; do
    name=$(basename "$dir")
    replay fuzz-replay "$name" "build/san/fuzz/replay_$name"
    replay fuzz-replay-valgrind "$name" "build/replay/replay_$name" \
        valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite
done

# node_count FILE WORD: the number on node --test's last "# WORD N" line
node_count() { sed -n "s/^# $2 \\([0-9]*\\)\$/\\1/p" "$1" | tail -1; }

# failed_blocks FILE: each TAP "not ok" line of a node --test run with
# the YAML block under it (the error, expected and actual values, the
# stack), so that a failure in CI can be read from the log alone.
failed_blocks() {
    awk '/^ *not ok [0-9]+ - / { on = 1; match($0, /^ */); end = substr($0, 1, RLENGTH) "  ..."; print; next }
         on { print; if ($0 == end) on = 0 }' "$1"
}

# A file whose after hook failed before it closed a receiver (a server
# that exited non-zero, say) would keep its process, and the run, waiting
# forever instead of failing: --test-force-exit ends it where node has the
# flag (20.14 and later; Debian's own nodejs 18 has not), and the timeout
# bounds a run whatever hangs (the longest, the browser suites, take ~7 min).
NODE_FORCE_EXIT=$(node --help 2>/dev/null | grep -c -- '--test-force-exit' >/dev/null && echo --test-force-exit)
NODE_RUN_LIMIT=${NODE_RUN_LIMIT:-2400}

# run_node LABEL CONCURRENCY FILES... : a node --test run against the
# sanitized server, its counts added to the totals.  Cancelled tests are
# failed ones.  Skipped (and todo) tests and suites are counted from the TAP
# result lines marked "# SKIP"/"# TODO", since node's "# skipped N" leaves
# out a skipped describe (the e2e suites without Chromium); any of them, a
# run that printed no summary or one that ran no test marks the suite as
# not run.
run_node() {
    local label=$1 conc=$2 out rc t p f c s
    shift 2
    echo "== $label (node --test, ${BIN_LABEL:-sanitized server}) [${SECONDS}s]"
    out="$log/node.${label// /_}"
    # shellcheck disable=SC2086 # NODE_FORCE_EXIT: one word or none
    ROOMGATE_BIN="${SERVER_BIN:-$PWD/build/san/roomgate}" timeout "$NODE_RUN_LIMIT" \
        node --test --test-reporter=tap $NODE_FORCE_EXIT --test-concurrency="$conc" "$@" >"$out" 2>&1
    rc=$?
    tail -n 12 "$out"
    [ $rc -ne 0 ] && failed_blocks "$out" | head -n 300
    t=$(node_count "$out" tests)
    p=$(node_count "$out" pass)
    f=$(node_count "$out" fail)
    c=$(node_count "$out" cancelled)
    s=$(grep -cE '^ *ok [0-9]+ - .* # (SKIP|TODO)' "$out")
    passed=$((passed + ${p:-0}))
    failed=$((failed + ${f:-0} + ${c:-0}))
    skipped=$((skipped + s))
    if [ -z "$p" ]; then
        notrun+=("$label: node --test printed no summary (exit $rc)")
    elif [ "$s" -gt 0 ]; then
        notrun+=("$label: $s skipped ($(grep -m1 -oE '# (SKIP|TODO).*' "$out"))")
    elif [ "${t:-0}" = 0 ]; then
        notrun+=("$label: no test ran")
    fi
    [ $rc -ne 0 ] && [ $((${f:-0} + ${c:-0})) = 0 ] && failed=$((failed + 1))
    # the failed tests by name: TAP's "not ok" lines, the file's own line
    # (its path) and the subtests under it, indentation kept
    [ $rc -ne 0 ] && mapfile -t -O "${#failures[@]}" failures < <(
        grep -E '^ *not ok [0-9]+ - ' "$out" | sed "s/^/$label: /" | head -n 40)
    [ $rc -ne 0 ] && [ -z "$(grep -E '^ *not ok' "$out")" ] && failures+=("$label: exit $rc")
    return 0
}

# docs/openapi.yaml through @redocly/cli lint (rules and the reason for each
# exception: redocly.yaml, .redocly.lint-ignore.yaml): one test, failed by
# any error or warning.
echo "== OpenAPI lint (@redocly/cli) [${SECONDS}s]"
if REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true NO_COLOR=1 \
    tests/node_modules/.bin/redocly lint --format=stylish docs/openapi.yaml >"$log/redocly" 2>&1 &&
    ! grep -Eq '^ +[0-9]+:[0-9]+ +(error|warning) ' "$log/redocly"; then
    echo "ok   redocly lint docs/openapi.yaml"
    passed=$((passed + 1))
else
    echo "FAIL redocly lint docs/openapi.yaml"
    failures+=("redocly lint docs/openapi.yaml")
    sed -n '/^validating/,$p' "$log/redocly"
    failed=$((failed + 1))
fi

# No circle between the files of src/ (issue 11; what counts as an edge:
# scripts/circles.mjs): one test, failed by any circle, listed with its edges.
echo "== circles in src/ (scripts/circles.mjs) [${SECONDS}s]"
if node scripts/circles.mjs >"$log/circles" 2>&1; then
    echo "ok   $(head -n 1 "$log/circles")"
    passed=$((passed + 1))
else
    echo "FAIL circles in src/"
    failures+=("circles in src/ (scripts/circles.mjs)")
    cat "$log/circles"
    failed=$((failed + 1))
fi

# cppcheck over src/ (make lint): one test, failed by any finding.
echo "== C lint (cppcheck) [${SECONDS}s]"
if make -s lint >"$log/cppcheck" 2>&1 && ! grep -Eq '(error|warning|performance|portability|style):' "$log/cppcheck"; then
    echo "ok   cppcheck src/"
    passed=$((passed + 1))
else
    echo "FAIL cppcheck src/"
    cat "$log/cppcheck"
    failures+=("cppcheck src/")
    failed=$((failed + 1))
fi

# README.md's sh examples, top to bottom, against a fresh server that
# scripts/run.sh starts as `make run` does (tests/readme/).
BIN_LABEL="plain server from scripts/run.sh" run_node "README examples" 1 tests/readme/

# Three files at a time: at two, a third of the machine was idle (suites
# waiting on timers, deadlines and restarts).
run_node "API, interop and attack tests" 3 tests/api/
# 3b. The API suites whose servers and CLI only go through the store's
# interface, again with every server on PostgreSQL: a throw-away cluster
# (scripts/pg.sh), a fresh schema per data dir (tests/api/lib/server.js,
# ROOMGATE_TEST_PG_URL).  Not here: the suites that open the SQLite file
# themselves (webhooks, audit, ...) and pg_nodes.test.js (its own cluster).
PG_API_SUITES="rooms participants keys tokens signal signal_batch signal_lobby signal_accounts
    signal_open videosdk consultations twilio_signaling twilio_track_hooks recordings validator
    auth sec_deactivate webhooks_pg"
if pg_env=$(scripts/pg.sh start 2>"$log/pg.start"); then
    eval "$pg_env"
    trap 'scripts/pg.sh stop "$RG_TEST_PG_DIR" >/dev/null 2>&1; rm -rf "$log"' EXIT
    pg_port=$(sed -n 's/.*port=\([0-9]*\).*/\1/p' <<<"$RG_TEST_PG")
    # shellcheck disable=SC2046
    # with one connection shared by the event loops (--db-connections 1;
    # the multinode suites run the default, one per loop)
    ROOMGATE_TEST_PG_URL="postgres://roomgate@127.0.0.1:$pg_port/postgres?connect_timeout=5" \
        ROOMGATE_DB_CONNECTIONS=1 BIN_LABEL="sanitized server on PostgreSQL" \
        run_node "API on PostgreSQL" 2 $(for f in $PG_API_SUITES; do echo "tests/api/$f.test.js"; done)
    scripts/pg.sh stop "$RG_TEST_PG_DIR" || failures+=("scripts/pg.sh stop")
    trap 'rm -rf "$log"' EXIT
    unset RG_TEST_PG RG_TEST_PG_DIR
else
    notrun+=("API on PostgreSQL: scripts/pg.sh start failed: $(tail -n 1 "$log/pg.start")")
fi
# shellcheck disable=SC2046
SERVER_BIN="$PWD/tests/valgrind-roomgate.sh" BIN_LABEL="server under valgrind" \
    run_node "API under valgrind" 3 $(ls tests/api/*.test.js |
        grep -Ev '/(recordings|sec_upload|sec_import|sec_redteam_cli|deb|install|circles)\.test\.js$')
# Browser e2e: Debian's Chromium through playwright-core (never downloaded).
# E2E narrows the suites (default: all of tests/e2e/).
# shellcheck disable=SC2086
run_node "browser e2e" 1 ${E2E:-tests/e2e/}

echo
echo "all suites ran in ${SECONDS}s"
[ "${#failures[@]}" -gt 0 ] && echo "Failed:" && printf '  %s\n' "${failures[@]}"
for n in "${notrun[@]}"; do echo "FAIL: a promised suite did not run: $n"; done
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "${#notrun[@]}" -eq 0 ]
