#!/usr/bin/env bash
# bench/run.sh: throughput of the API through nginx, measured with wrk, with two baselines taken
# in the same run on the same machine (these machines are shared and noisy: compare ratios, not
# absolute numbers):
#   nginx-static  GET / of the checkout listener: nginx serving a small file (no FastCGI)
#   pg-insert     pgbench running the very INSERT that POST /api/v1/orders performs, with as
#                 many clients as there are FastCGI children (the database's own ceiling)
# Usage: make bench   (or bench/run.sh after `make BUILD=release`)
# Environment: BENCH_DURATION (s, default 10), BENCH_CONNECTIONS (wrk, default 32),
# FCGI_CHILDREN (default 4), BENCH_KEEP=1 leaves the bench stack running.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

DURATION=${BENCH_DURATION:-10}
CONNS=${BENCH_CONNECTIONS:-32}
export FCGI_CHILDREN=${FCGI_CHILDREN:-4}
export GW_STATE_DIR=$ROOT/var/bench
export GW_BIN_DIR=$ROOT/build/release
export GW_PG_PORT=35432 GW_REDIS_PORT=36379
export PORT=38000 DASHBOARD_PORT=33000 CHECKOUT_PORT=33001 TLS_PORT=38443
export GW_BIND=loopback LOG_LEVEL=warn
export RATE_LIMIT_RPS=1000000 RATE_LIMIT_BURST=1000000
API=http://127.0.0.1:$PORT

for bin in wrk pgbench; do
    command -v "$bin" >/dev/null || { echo "bench: $bin is missing (scripts/deps.sh)" >&2; exit 1; }
done
[ -x "$GW_BIN_DIR/gw-fcgi" ] || { echo "bench: build first: make BUILD=release" >&2; exit 1; }

cleanup() {
    if [ "${BENCH_KEEP:-0}" != 1 ]; then
        scripts/stack.sh stop >/dev/null 2>&1 || true
    fi
}
trap cleanup EXIT
scripts/stack.sh start >/dev/null
# shellcheck disable=SC1091
DATABASE_URL=$(set -a && . "$GW_STATE_DIR/env" && echo "$DATABASE_URL")

results=()
# wrk_run NAME URL [wrk args…]: runs wrk, records "name rps p50 p99 errors".
wrk_run() {
    local name=$1 url=$2 out line
    shift 2
    wrk -t2 -c"$CONNS" -d2s "$@" "$url" >/dev/null 2>&1 || true # warm-up
    out=$(wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency "$@" "$url")
    line=$(grep '^BENCH_RESULT' <<<"$out" || true)
    if [ -z "$line" ]; then
        line="BENCH_RESULT rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out") p50_ms=? p99_ms=? errors=?"
    fi
    results+=("$name ${line#BENCH_RESULT }")
    echo "bench: $name: ${line#BENCH_RESULT }"
}

wrk_run nginx-static "http://127.0.0.1:$CHECKOUT_PORT/" -s bench/get.lua
wrk_run health "$API/health" -s bench/get.lua
wrk_run orders-create "$API/api/v1/orders" -s bench/orders.lua
order_id=$(curl -fsS -X POST "$API/api/v1/orders" -H 'Content-Type: application/json' \
    -H 'X-Api-Key: key_test_abc123' -H 'X-Api-Secret: secret_test_xyz789' \
    -d '{"amount":50000}' | sed -E 's/.*"id":"([^"]+)".*/\1/')
wrk_run order-get "$API/api/v1/orders/$order_id" -s bench/get.lua

pg_out=$(pgbench -n -f bench/pg_insert_order.sql -c "$FCGI_CHILDREN" -j 2 -T "$DURATION" \
    "$DATABASE_URL" 2>&1)
pg_tps=$(awk '/^tps = / {print $3; exit}' <<<"$pg_out")
results+=("pg-insert rps=$pg_tps p50_ms=? p99_ms=? errors=0")
echo "bench: pg-insert: rps=$pg_tps"

static_rps=$(sed -nE 's/^nginx-static rps=([0-9.]+).*/\1/p' <<<"$(printf '%s\n' "${results[@]}")")
echo
echo "| benchmark | req/s | p50 ms | p99 ms | errors | vs nginx-static | vs pg-insert |"
echo "|---|---|---|---|---|---|---|"
for r in "${results[@]}"; do
    name=${r%% *}
    rps=$(sed -nE 's/.*rps=([0-9.]+).*/\1/p' <<<"$r")
    p50=$(sed -nE 's/.*p50_ms=([0-9.?]+).*/\1/p' <<<"$r")
    p99=$(sed -nE 's/.*p99_ms=([0-9.?]+).*/\1/p' <<<"$r")
    errs=$(sed -nE 's/.*errors=([0-9?]+).*/\1/p' <<<"$r")
    vs_static=$(awk -v a="$rps" -v b="$static_rps" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "?" }')
    vs_pg=$(awk -v a="$rps" -v b="$pg_tps" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "?" }')
    echo "| $name | $rps | $p50 | $p99 | $errs | $vs_static | $vs_pg |"
done
echo
echo "machine: $(nproc) CPUs; wrk -t2 -c$CONNS -d${DURATION}s; FCGI_CHILDREN=$FCGI_CHILDREN; $(date -u +%FT%TZ)"
