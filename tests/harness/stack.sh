#!/usr/bin/env bash
# tests/harness/stack.sh COMMAND [VAR=value ...]: the test stack (docs/internals.md, "Test harness
# interface"). Same commands as scripts/stack.sh, with the test defaults: state in var/test,
# PostgreSQL 45432, Redis 46379, API 18000, dashboard 13000, checkout 13001, TLS 18443,
# TEST_MODE=true, listeners on loopback only, PostgreSQL without fsync, binaries from
# build/$BUILD (debug); with TEST_MODE=true the login throttle allows 600 logins a minute
# (burst 100) so that the integration and e2e suites can log in as often as they need (the prod
# suite, TEST_MODE=false, runs with the production 10 a minute). Anything already exported (GW_STATE_DIR, ports, ...) wins; a running
# stack keeps the environment saved in its state directory.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

export GW_STATE_DIR=${GW_STATE_DIR:-$ROOT/var/test}
export GW_BIN_DIR=${GW_BIN_DIR:-$ROOT/build/${BUILD:-debug}}
export GW_PG_PORT=${GW_PG_PORT:-45432}
export GW_REDIS_PORT=${GW_REDIS_PORT:-46379}
export PORT=${PORT:-18000}
export DASHBOARD_PORT=${DASHBOARD_PORT:-13000}
export CHECKOUT_PORT=${CHECKOUT_PORT:-13001}
export TLS_PORT=${TLS_PORT:-18443}
export TEST_MODE=${TEST_MODE:-true}
export GW_BIND=${GW_BIND:-loopback}
export GW_PG_FSYNC=${GW_PG_FSYNC:-off}
if [[ "$TEST_MODE" == true ]]; then
    export GW_LOGIN_RATE=${GW_LOGIN_RATE:-600} GW_LOGIN_BURST=${GW_LOGIN_BURST:-100}
fi
# Sanitizer builds (BUILD=asan): reports go to the process logs, where run-all.sh looks for them.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:symbolize=1:detect_stack_use_after_return=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}

exec "$ROOT/scripts/stack.sh" "$@"
