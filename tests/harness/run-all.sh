#!/usr/bin/env bash
# shellcheck disable=SC2317 # functions run from traps
# tests/harness/run-all.sh [all|integration|e2e|unit]: what `make test` runs after the unit tests.
#
# integration, e2e, all (default: integration then e2e): wipes var/test, starts a fresh test
# stack (tests/harness/stack.sh, TEST_MODE=true), exports the environment of docs/internals.md,
# runs `node --test --test-concurrency=1` over tests/<suite>/*.test.mjs, always stops the stack
# (also on failure or interrupt), shows where the logs are (and their last lines) on failure, and
# exits non-zero if anything failed. A suite directory without *.test.mjs files is skipped.
# unit: runs build/$BUILD/unit-tests (no stack).
# Builds nothing: make did. BUILD (debug) selects build/$BUILD.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT" || exit 1
WHAT=${1:-all}
BUILD=${BUILD:-debug}
export BUILD

case "$WHAT" in
all) SUITES=(integration e2e) ;;
integration | e2e) SUITES=("$WHAT") ;;
unit)
    BIN=${GW_BIN_DIR:-$ROOT/build/$BUILD}/unit-tests
    [[ -x "$BIN" ]] || { echo "run-all: $BIN not found (make $BIN)" >&2; exit 1; }
    CK_FORK=${CK_FORK:-$([[ "$BUILD" == asan ]] && echo no || echo yes)} exec "$BIN"
    ;;
*)
    echo "usage: $0 [all|integration|e2e|unit]" >&2
    exit 2
    ;;
esac

log() { echo "run-all: $*"; }

# The suites to run, each with its files (sorted, so runs are reproducible).
declare -A FILES=()
RUN_SUITES=()
for s in "${SUITES[@]}"; do
    mapfile -t f < <(find "tests/$s" -maxdepth 1 -type f -name '*.test.mjs' 2>/dev/null | LC_ALL=C sort)
    if ((${#f[@]} == 0)); then
        log "skipping $s: no tests/$s/*.test.mjs"
        continue
    fi
    FILES[$s]="${f[*]}"
    RUN_SUITES+=("$s")
done
if ((${#RUN_SUITES[@]} == 0)); then
    log "no suites to run"
    exit 0
fi

command -v node >/dev/null || { echo "run-all: node not found (scripts/deps.sh)" >&2; exit 1; }
if [[ " ${RUN_SUITES[*]} " == *" e2e "* && ! -d node_modules/playwright-core ]]; then
    echo "run-all: node_modules/playwright-core missing (run scripts/deps.sh)" >&2
    exit 1
fi

# ---- the test stack --------------------------------------------------------------------------
export GW_STATE_DIR=${GW_STATE_DIR:-$ROOT/var/test}
export GW_BIN_DIR=${GW_BIN_DIR:-$ROOT/build/$BUILD}
export GW_STACK=$ROOT/tests/harness/stack.sh
LOGS=$GW_STATE_DIR/log

stopped=0
NODE_PID=
stop_stack() {
    ((stopped)) && return 0
    stopped=1
    log "stopping the test stack"
    "$GW_STACK" stop || echo "run-all: stopping the stack failed" >&2
}
on_signal() {
    echo "run-all: interrupted" >&2
    if [[ -n "$NODE_PID" ]]; then
        kill -TERM "$NODE_PID" 2>/dev/null
        wait "$NODE_PID" 2>/dev/null
    fi
    stop_stack
    exit 130
}
trap stop_stack EXIT
trap on_signal INT TERM HUP

show_logs() {
    echo "run-all: logs are in $LOGS (api.log, worker.log, nginx-access.log, nginx-error.log," \
        "postgres.log, redis.log, migrate.log)" >&2
    local f
    for f in api.log worker.log nginx-error.log postgres.log; do
        [[ -s "$LOGS/$f" ]] || continue
        echo "---- last lines of $LOGS/$f" >&2
        tail -n 30 "$LOGS/$f" >&2
    done
}

# Fresh state: stop whatever an earlier run left, then wipe it.
if [[ -f "$GW_STATE_DIR/env" ]]; then
    "$GW_STACK" stop >/dev/null 2>&1 || true
fi
rm -rf "$GW_STATE_DIR"

log "starting the test stack in $GW_STATE_DIR (binaries from $GW_BIN_DIR)"
if ! "$GW_STACK" start; then
    echo "run-all: the test stack did not start" >&2
    show_logs
    exit 1
fi

# The environment the suites receive (docs/internals.md): the stack's saved environment plus
# the URLs.
set -a
# shellcheck disable=SC1091
. "$GW_STATE_DIR/env"
set +a
export GW_API_URL=http://127.0.0.1:$PORT
export GW_DASHBOARD_URL=http://127.0.0.1:$DASHBOARD_PORT
export GW_CHECKOUT_URL=http://127.0.0.1:$CHECKOUT_PORT
export GW_TLS_URL=https://127.0.0.1:$TLS_PORT
export GW_STACK GW_STATE_DIR GW_BIN_DIR DATABASE_URL REDIS_URL
if [[ -z "${CHROMIUM_PATH:-}" ]] && command -v chromium >/dev/null; then
    CHROMIUM_PATH=$(command -v chromium)
    export CHROMIUM_PATH
fi

failed=()
for s in "${RUN_SUITES[@]}"; do
    read -r -a files <<<"${FILES[$s]}"
    log "running $s: ${#files[@]} file(s)"
    # In the background and waited for, so that a signal to this script is handled at once.
    node --test --test-concurrency=1 "${files[@]}" &
    NODE_PID=$!
    wait "$NODE_PID"
    rc=$?
    NODE_PID=
    ((rc == 0)) || failed+=("$s")
done

# Sanitizer builds: any AddressSanitizer, LeakSanitizer or UBSan report in a process log fails the
# run. Checked after the stack stopped, because leak reports are written at process exit.
sanitizer_reports() {
    grep -lE 'ERROR: (AddressSanitizer|LeakSanitizer)|Sanitizer has encountered a fatal error|runtime error:|SUMMARY: (Address|Undefined|Leak)' \
        "$LOGS"/*.log 2>/dev/null
}

if ((${#failed[@]})); then
    echo "run-all: FAILED: ${failed[*]}" >&2
    show_logs
    stop_stack
    exit 1
fi
stop_stack
if reports=$(sanitizer_reports); then
    echo "run-all: FAILED: sanitizer reports in: $reports" >&2
    grep -hE -A30 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' $reports | head -80 >&2
    exit 1
fi
log "all suites passed: ${RUN_SUITES[*]}"
exit 0
