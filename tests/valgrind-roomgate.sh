#!/bin/sh
# ROOMGATE_BIN for the API suites under valgrind memcheck (scripts/test.sh):
# `serve` runs under memcheck, with any error or definite leak making it
# exit 99 (which the suites' assertExit0 reports); the CLI runs plain.
# ROOMGATE_PLAIN_BIN is the binary (default build/roomgate).
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${ROOMGATE_PLAIN_BIN:-$here/build/roomgate}
if [ "$1" = serve ]; then
    exec valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
        --suppressions="$here/tests/valgrind.supp" "$bin" "$@"
fi
exec "$bin" "$@"
