#!/usr/bin/env bash
# shellcheck disable=SC2317 # functions run from traps
# tests/harness/run-all.sh [all|integration|e2e|prod|faults|unit]: what `make test` runs after the
# unit tests.
#
# integration, e2e: wipes var/test, starts a fresh test stack (tests/harness/stack.sh,
# TEST_MODE=true), runs `node --test --test-concurrency=1` over tests/<suite>/*.test.mjs with the
# environment of docs/internals.md, and stops the stack.
# prod: the same over tests/prod/*.test.mjs against its own fresh stack in var/test-prod
# (GW_PROD_STATE_DIR; default: GW_STATE_DIR with "-prod" appended) started with TEST_MODE=false,
# the production login throttle, PROCESSING_DELAY_MIN/MAX 300/600 ms and RATE_LIMIT_RPS/BURST
# 50/50 (any of these can be overridden by exporting GW_PROD_<NAME>, e.g. GW_PROD_RATE_LIMIT_RPS).
# The stacks run one after the other on the same ports.
# faults: tests/faults/*.test.mjs (issue 13) against its own fresh stack in var/test-faults
# (GW_FAULTS_STATE_DIR) started with TEST_MODE=false, the rate limit lifted, loopback receivers
# allowed, the test retry schedule and a bank delay of GW_FAULTS_DELAY_MIN/MAX ms (1000/2000;
# `make test-faults` runs FAULTS_MODE=full with the real 5000/10000).
# all (default): integration, e2e, prod, then the short form of faults (FAULTS_MODE=short).
# Every stack is stopped also on failure or interrupt; on failure the logs' last lines are shown;
# in sanitizer builds any sanitizer report in a process log fails the run; exits non-zero if
# anything failed. A suite directory without *.test.mjs files is skipped.
# unit: runs build/$BUILD/unit-tests (no stack).
# Builds nothing: make did. BUILD (debug) selects build/$BUILD.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT" || exit 1
WHAT=${1:-all}
BUILD=${BUILD:-debug}
export BUILD

case "$WHAT" in
all) SUITES=(integration e2e prod faults) ;;
integration | e2e | prod | faults) SUITES=("$WHAT") ;;
unit)
    BIN=${GW_BIN_DIR:-$ROOT/build/$BUILD}/unit-tests
    [[ -x "$BIN" ]] || { echo "run-all: $BIN not found (make $BIN)" >&2; exit 1; }
    CK_FORK=${CK_FORK:-$([[ "$BUILD" == asan ]] && echo no || echo yes)} exec "$BIN"
    ;;
*)
    echo "usage: $0 [all|integration|e2e|prod|faults|unit]" >&2
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

# ---- the test stacks -------------------------------------------------------------------------
TEST_STATE_DIR=${GW_STATE_DIR:-$ROOT/var/test}
TEST_STATE_DIR=${TEST_STATE_DIR%/}
PROD_STATE_DIR=${GW_PROD_STATE_DIR:-$TEST_STATE_DIR-prod}
export GW_BIN_DIR=${GW_BIN_DIR:-$ROOT/build/$BUILD}
export GW_STACK=$ROOT/tests/harness/stack.sh
# The prod stack's settings (SPEC 3 names, each overridable as GW_PROD_<NAME>).
PROD_OVERRIDES=(
    "TEST_MODE=false"
    "PROCESSING_DELAY_MIN=${GW_PROD_PROCESSING_DELAY_MIN:-300}"
    "PROCESSING_DELAY_MAX=${GW_PROD_PROCESSING_DELAY_MAX:-600}"
    "RATE_LIMIT_RPS=${GW_PROD_RATE_LIMIT_RPS:-50}"
    "RATE_LIMIT_BURST=${GW_PROD_RATE_LIMIT_BURST:-50}"
    "GW_LOGIN_RATE=10"
    "GW_LOGIN_BURST=10"
)

# The fault suite's stack (tests/faults/lib.mjs reads PROCESSING_DELAY_MAX for its recovery bound).
FAULTS_STATE_DIR=${GW_FAULTS_STATE_DIR:-}
export FAULTS_MODE=${FAULTS_MODE:-short}
FAULTS_OVERRIDES=(
    "TEST_MODE=false"
    "PROCESSING_DELAY_MIN=${GW_FAULTS_DELAY_MIN:-1000}"
    "PROCESSING_DELAY_MAX=${GW_FAULTS_DELAY_MAX:-2000}"
    "RATE_LIMIT_RPS=1000000"
    "RATE_LIMIT_BURST=1000000"
    "WEBHOOK_BLOCK_PRIVATE=false"
    "WEBHOOK_RETRY_INTERVALS_TEST=true"
)

STACK_UP=     # state dir of the stack currently running, if any
NODE_PID=
stop_stack() {
    [[ -n "$STACK_UP" ]] || return 0
    log "stopping the test stack in $STACK_UP"
    GW_STATE_DIR=$STACK_UP "$GW_STACK" stop || echo "run-all: stopping the stack failed" >&2
    STACK_UP=
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

# show_logs STATE_DIR
show_logs() {
    local logs=$1/log f
    echo "run-all: logs are in $logs (api.log, worker.log, nginx-access.log, nginx-error.log," \
        "postgres.log, redis.log, migrate.log)" >&2
    for f in api.log worker.log nginx-error.log postgres.log; do
        [[ -s "$logs/$f" ]] || continue
        echo "---- last lines of $logs/$f" >&2
        tail -n 30 "$logs/$f" >&2
    done
}

# Sanitizer builds: any AddressSanitizer, LeakSanitizer or UBSan report in a process log fails the
# run. Checked after the stack stopped, because leak reports are written at process exit.
SAN_RE='ERROR: (AddressSanitizer|LeakSanitizer)|Sanitizer has encountered a fatal error|runtime error:|SUMMARY: (Address|Undefined|Leak)'
# sanitizer_check STATE_DIR: 1 (and the reports shown) when a log holds one.
sanitizer_check() {
    local reports
    reports=$(grep -lE "$SAN_RE" "$1"/log/*.log 2>/dev/null) || return 0
    echo "run-all: sanitizer reports in: $reports" >&2
    # shellcheck disable=SC2086 # one file name per word
    grep -hE -A30 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' $reports | head -80 >&2
    return 1
}

failed=()
# run_stack STATE_DIR "SUITE..." [VAR=value ...]: a fresh stack in STATE_DIR started with the
# overrides, the suites against it, the stack stopped and its logs checked.
run_stack() {
    local dir=$1 suites=$2 s rc files=()
    shift 2
    # Fresh state: stop whatever an earlier run left, then wipe it.
    if [[ -f "$dir/env" ]]; then
        GW_STATE_DIR=$dir "$GW_STACK" stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    log "starting a test stack in $dir (binaries from $GW_BIN_DIR)${*:+ with $*}"
    STACK_UP=$dir
    if ! GW_STATE_DIR=$dir "$GW_STACK" start "$@"; then
        echo "run-all: the test stack did not start" >&2
        show_logs "$dir"
        stop_stack
        failed+=("$suites (stack)")
        return 0
    fi
    local group_failed=0
    for s in $suites; do
        read -r -a files <<<"${FILES[$s]}"
        log "running $s: ${#files[@]} file(s)"
        # The environment the suites receive (docs/internals.md): the stack's saved environment
        # plus the URLs, in a subshell that becomes node (this shell's environment stays clean
        # for the next stack). In the background and waited for, so that a signal to this script
        # is handled at once.
        (
            set -a
            # shellcheck disable=SC1091
            . "$dir/env"
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
            exec node --test --test-concurrency=1 "${files[@]}"
        ) &
        NODE_PID=$!
        wait "$NODE_PID"
        rc=$?
        NODE_PID=
        if ((rc != 0)); then
            failed+=("$s")
            group_failed=1
        fi
    done
    ((group_failed)) && show_logs "$dir"
    stop_stack
    sanitizer_check "$dir" || failed+=("$suites (sanitizer reports)")
    return 0
}

TEST_SUITES=()
PROD_SUITES=()
FAULT_SUITES=()
for s in "${RUN_SUITES[@]}"; do
    case $s in
    prod) PROD_SUITES+=("$s") ;;
    faults) FAULT_SUITES+=("$s") ;;
    *) TEST_SUITES+=("$s") ;;
    esac
done
((${#TEST_SUITES[@]})) && run_stack "$TEST_STATE_DIR" "${TEST_SUITES[*]}"
((${#PROD_SUITES[@]})) && run_stack "$PROD_STATE_DIR" "${PROD_SUITES[*]}" "${PROD_OVERRIDES[@]}"
((${#FAULT_SUITES[@]})) && run_stack "${FAULTS_STATE_DIR:-$TEST_STATE_DIR-faults}" "${FAULT_SUITES[*]}" \
    "${FAULTS_OVERRIDES[@]}"

if ((${#failed[@]})); then
    echo "run-all: FAILED: ${failed[*]}" >&2
    exit 1
fi
log "all suites passed: ${RUN_SUITES[*]}"
exit 0
