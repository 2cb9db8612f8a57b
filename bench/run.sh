#!/usr/bin/env bash
# bench/run.sh: throughput and latency of the API through nginx, as ratios against baselines
# measured in the same run on the same machine (these machines are shared and noisy: compare
# ratios, not absolute numbers). Writes docs/BENCHMARKS.md.
#
# The baseline that matters is the machine's own write ceiling for a payment create:
# bench/ceiling/ceiling.c, a bare libfcgi responder that reads the body, runs one prepared INSERT
# of a payment-like row (payments' columns, CHECKs, indexes and foreign keys) and one LPUSH, and
# answers 201. It runs behind the same nginx, on the product's FastCGI socket, with the same
# children count, PostgreSQL and Redis; ceiling and product runs alternate (ceiling, product,
# ceiling, …) so that both see the same machine weather.
#
# Also measured: nginx serving a static file, pgbench running the INSERT of an order directly,
# POST /api/v1/orders, GET /api/v1/payments/{id}, the p99 of POST /api/v1/payments at half the
# product's maximum rate (paced with wrk's delay()), and the peak RSS of a FastCGI child and the
# worker.
#
# Usage: make bench   (or bench/run.sh after `make BUILD=release all build/release/gw-ceiling`)
# Environment: BENCH_DURATION (s, default 10), BENCH_CONNECTIONS (wrk, default 64),
# BENCH_ROUNDS (ceiling/product pairs, default 5), FCGI_CHILDREN (default 4), BENCH_KEEP=1
# leaves the bench stack running, BENCH_OUT (default docs/BENCHMARKS.md), BENCH_WEBHOOKS=0 skips
# the webhook delivery section (bench/webhooks.sh, run after this stack is stopped).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

DURATION=${BENCH_DURATION:-10}
CONNS=${BENCH_CONNECTIONS:-64}
ROUNDS=${BENCH_ROUNDS:-5}
OUT=${BENCH_OUT:-$ROOT/docs/BENCHMARKS.md}
export FCGI_CHILDREN=${FCGI_CHILDREN:-4}
export GW_STATE_DIR=$ROOT/var/bench
export GW_BIN_DIR=$ROOT/build/release
export GW_PG_PORT=35432 GW_REDIS_PORT=36379
export PORT=38000 DASHBOARD_PORT=33000 CHECKOUT_PORT=33001 TLS_PORT=38443
export GW_BIND=loopback LOG_LEVEL=warn
export RATE_LIMIT_RPS=1000000 RATE_LIMIT_BURST=1000000
API=http://127.0.0.1:$PORT
KEY_HDRS=(-H 'X-Api-Key: key_test_abc123' -H 'X-Api-Secret: secret_test_xyz789')
CEIL_DIR=$GW_STATE_DIR/ceiling-bin

for bin in wrk pgbench psql curl redis-cli node; do
    command -v "$bin" >/dev/null || { echo "bench: $bin is missing (scripts/deps.sh)" >&2; exit 1; }
done
for bin in gw-fcgi gw-ceiling; do
    [ -x "$GW_BIN_DIR/$bin" ] || {
        echo "bench: build first: make BUILD=release all build/release/gw-ceiling" >&2
        exit 1
    }
done

cleanup() {
    if [ "${BENCH_KEEP:-0}" != 1 ]; then
        scripts/stack.sh stop >/dev/null 2>&1 || true
    fi
}
trap cleanup EXIT
scripts/stack.sh start >/dev/null
DATABASE_URL=$(set -a && . "$GW_STATE_DIR/env" && echo "$DATABASE_URL")

# The ceiling runs under the product's name on the product's socket: stack.sh starts
# "$GW_BIN_DIR/gw-fcgi", so a directory whose gw-fcgi is the ceiling swaps one for the other.
mkdir -p "$CEIL_DIR"
ln -sf "$GW_BIN_DIR/gw-ceiling" "$CEIL_DIR/gw-fcgi"
psql -q -v ON_ERROR_STOP=1 "$DATABASE_URL" -f bench/ceiling/schema.sql

# The worker settles payments (and would then mark the order paid): creates are measured with
# it stopped, for the product and the ceiling alike.
scripts/stack.sh worker-stop >/dev/null

api_json() { curl -fsS "${KEY_HDRS[@]}" -H 'Content-Type: application/json' "$@"; }
json_id() { sed -E 's/^\{"id":"([^"]+)".*/\1/'; }
ORDER_ID=$(api_json -X POST "$API/api/v1/orders" -d '{"amount":50000}' | json_id)
PAYMENT_ID=$(api_json -X POST "$API/api/v1/payments" \
    -d "{\"order_id\":\"$ORDER_ID\",\"method\":\"upi\",\"vpa\":\"user@paytm\"}" | json_id)
export BENCH_ORDER_ID=$ORDER_ID

use_product() { scripts/stack.sh api-restart >/dev/null; sleep 0.5; }
use_ceiling() {
    scripts/stack.sh api-restart "GW_BIN_DIR=$CEIL_DIR" "CEILING_ORDER_ID=$ORDER_ID" \
        "CEILING_MERCHANT_ID=550e8400-e29b-41d4-a716-446655440000" >/dev/null
    sleep 0.5
}

# CPU accounting: ticks (utime + stime) of a process and its children, per component, read
# before and after the product's create runs: CPU time per request does not depend on how busy
# the machine was, so it is the input of the capacity model in docs/SCALING.md.
tree_ticks() { # pid -> ticks of pid and its direct children
    local p=$1 t=0 c
    [ -n "$p" ] && [ -r "/proc/$p/stat" ] || { echo 0; return; }
    for c in "$p" $(pgrep -P "$p" || true); do
        t=$((t + $(awk '{ print $14 + $15 }' "/proc/$c/stat" 2>/dev/null || echo 0)))
    done
    echo "$t"
}
pidf() { head -n1 "$1" 2>/dev/null | tr -dc '0-9'; }
cpu_snapshot() { # -> "nginx fcgi postgres redis" ticks
    echo "$(tree_ticks "$(pidf "$GW_STATE_DIR/run/nginx.pid")") $(tree_ticks "$(pidf "$GW_STATE_DIR/run/gw-fcgi.pid")") $(tree_ticks "$(pidf "$GW_STATE_DIR/pg/postmaster.pid")") $(tree_ticks "$(pidf "$GW_STATE_DIR/run/redis.pid")")"
}
declare -a CPU_TICKS=(0 0 0 0)
CPU_REQS=0
cpu_add() { # before after requests
    local -a a b
    read -r -a a <<<"$1"
    read -r -a b <<<"$2"
    for i in 0 1 2 3; do CPU_TICKS[i]=$((CPU_TICKS[i] + b[i] - a[i])); done
    CPU_REQS=$(awk -v r="$CPU_REQS" -v n="$3" 'BEGIN { printf "%d", r + n }')
}
declare -A RPS=() P50=() P99=() ERR=()
# wrk_run NAME URL SCRIPT [wrk args…]: a 2 s warm-up, then the measured run.
wrk_run() {
    local name=$1 url=$2 script=$3 out line
    shift 3
    wrk -t2 -c"$CONNS" -d2s -s "$script" "$@" "$url" >/dev/null 2>&1 || true
    SNAP_BEFORE=$(cpu_snapshot)
    out=$(wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency -s "$script" "$@" "$url")
    SNAP_AFTER=$(cpu_snapshot)
    line=$(grep '^BENCH_RESULT' <<<"$out" || echo "BENCH_RESULT rps=0 p50_ms=0 p99_ms=0 errors=?")
    RPS[$name]=$(sed -nE 's/.*rps=([0-9.]+).*/\1/p' <<<"$line")
    P50[$name]=$(sed -nE 's/.*p50_ms=([0-9.]+).*/\1/p' <<<"$line")
    P99[$name]=$(sed -nE 's/.*p99_ms=([0-9.]+).*/\1/p' <<<"$line")
    ERR[$name]=$(sed -nE 's/.*errors=([0-9?]+).*/\1/p' <<<"$line")
    echo "bench: $name: ${line#BENCH_RESULT }"
}
mean() { awk '{ s += $1; n++ } END { if (n) printf "%.1f", s / n; else print 0 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "?" }'; }

wrk_run nginx-static "http://127.0.0.1:$CHECKOUT_PORT/" bench/get.lua

# Interleaved: ceiling, product, ceiling, product, …
for ((r = 1; r <= ROUNDS; r++)); do
    use_ceiling
    wrk_run "ceiling-$r" "$API/api/v1/payments" bench/payments.lua
    use_product
    wrk_run "payments-$r" "$API/api/v1/payments" bench/payments.lua
    cpu_add "$SNAP_BEFORE" "$SNAP_AFTER" "$(awk -v r="${RPS[payments-$r]}" -v d="$DURATION" 'BEGIN { printf "%d", r * d }')"
done
tck=$(getconf CLK_TCK)
cpu_us() { awk -v t="${CPU_TICKS[$1]}" -v n="$CPU_REQS" -v h="$tck" 'BEGIN { if (n > 0) printf "%d", t * 1e6 / h / n; else print "?" }'; }
ceil_rps=$(for ((r = 1; r <= ROUNDS; r++)); do echo "${RPS[ceiling-$r]}"; done | mean)
pay_rps=$(for ((r = 1; r <= ROUNDS; r++)); do echo "${RPS[payments-$r]}"; done | mean)
# Each product run over the ceiling run just before it: on a shared machine a pair sees the same
# weather, so the median of the pair ratios is the figure least moved by a noisy round.
pair_ratios=$(for ((r = 1; r <= ROUNDS; r++)); do ratio "${RPS[payments-$r]}" "${RPS[ceiling-$r]}"; echo; done)
pair_median=$(sort -n <<<"$pair_ratios" | awk '{ v[NR] = $1 } END { if (NR) printf "%.2f", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; else print "?" }')

# The same pairs with 4 SPEC 21 endpoints on the merchant (issue 11): each create also records
# its events with their fan-out pending (the worker, stopped here, fans them out later).
EP_ROUNDS=${BENCH_EP_ROUNDS:-3}
psql -q -v ON_ERROR_STOP=1 "$DATABASE_URL" -c "INSERT INTO webhook_endpoints (id, merchant_id, url,
    enabled_events, secret) SELECT 'we_bench' || lpad(g::text, 8, '0'),
    '550e8400-e29b-41d4-a716-446655440000', 'http://127.0.0.1:9/bench/' || g, ARRAY['*'],
    'whsec_' || encode(sha256(g::text::bytea), 'base64') FROM generate_series(1, 4) g
    ON CONFLICT (id) DO NOTHING"
for ((r = 1; r <= EP_ROUNDS; r++)); do
    use_ceiling
    wrk_run "ceiling-ep-$r" "$API/api/v1/payments" bench/payments.lua
    use_product
    wrk_run "payments-ep-$r" "$API/api/v1/payments" bench/payments.lua
done
psql -q -v ON_ERROR_STOP=1 "$DATABASE_URL" -c "DELETE FROM webhook_endpoints WHERE id LIKE 'we_bench%';
    UPDATE events SET fanout_pending = false WHERE fanout_pending"
ep_ratios=$(for ((r = 1; r <= EP_ROUNDS; r++)); do ratio "${RPS[payments-ep-$r]}" "${RPS[ceiling-ep-$r]}"; echo; done)
ep_median=$(sort -n <<<"$ep_ratios" | awk '{ v[NR] = $1 } END { if (NR) printf "%.2f", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; else print "?" }')

wrk_run orders-create "$API/api/v1/orders" bench/orders.lua
wrk_run payment-get "$API/api/v1/payments/$PAYMENT_ID" bench/get.lua

# p99 at half the product's maximum rate: each of PACED_CONNS connections waits between requests.
PACED_CONNS=16
half=$(awk -v r="$pay_rps" 'BEGIN { printf "%d", r / 2 }')
delay_ms=$(awk -v c="$PACED_CONNS" -v h="$half" 'BEGIN { d = (h > 0) ? c * 1000 / h : 1000; printf "%d", (d < 1) ? 1 : d }')
CONNS_SAVED=$CONNS
CONNS=$PACED_CONNS
BENCH_DELAY_MS=$delay_ms wrk_run payments-paced "$API/api/v1/payments" bench/payments.lua
CONNS=$CONNS_SAVED

pg_out=$(pgbench -n -f bench/pg_insert_order.sql -c "$FCGI_CHILDREN" -j 2 -T "$DURATION" \
    "$DATABASE_URL" 2>&1)
pg_tps=$(awk '/^tps = / { printf "%.1f", $3; exit }' <<<"$pg_out")
echo "bench: pg-insert: rps=$pg_tps"

# N payments in flight with the real 5-10 s bank delay (TEST_MODE=false), the worker running:
# seconds from the last create until every one is final. The create runs above left their
# payments pending with no job: they are closed first so that only the new ones count.
INFLIGHT_N=${BENCH_INFLIGHT_N:-10000}
psql -q -v ON_ERROR_STOP=1 "$DATABASE_URL" -c "UPDATE payments SET status = 'failed', \
    error_code = 'PAYMENT_FAILED', error_description = 'bench leftover' WHERE status = 'pending'"
redis-cli -p "$GW_REDIS_PORT" FLUSHDB >/dev/null
scripts/stack.sh worker-start TEST_MODE=false PROCESSING_DELAY_MIN=5000 \
    PROCESSING_DELAY_MAX=10000 >/dev/null
inflight=$(node bench/inflight.mjs --url "$API" --db "$DATABASE_URL" --n "$INFLIGHT_N" | tail -1)
echo "bench: $inflight"
inflight_final=$(sed -nE 's/.*final_after_last_s=([0-9.a-z]+).*/\1/p' <<<"$inflight")
inflight_create=$(sed -nE 's/.*create_s=([0-9.]+).*/\1/p' <<<"$inflight")
inflight_pending=$(sed -nE 's/.*pending_max=([0-9]+).*/\1/p' <<<"$inflight")
inflight_errors=$(sed -nE 's/.*errors=([0-9]+).*/\1/p' <<<"$inflight")

# Peak resident set sizes (VmHWM) after the runs.
hwm_kib() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
worker_kib=$(hwm_kib "$(cat "$GW_STATE_DIR/run/gw-worker.pid" 2>/dev/null || echo 0)")
master=$(cat "$GW_STATE_DIR/run/gw-fcgi.pid")
child_kib=0
for c in $(pgrep -P "$master" || true); do
    k=$(hwm_kib "$c")
    ((k > child_kib)) && child_kib=$k
done

row() { # name rps p50 p99 errors
    printf '| %s | %s | %s | %s | %s | %s |\n' "$1" "$2" "$3" "$4" "$5" "$(ratio "$2" "$ceil_rps")"
}
{
    echo "# Benchmarks"
    echo
    echo "Written by \`make bench\` (bench/run.sh); see bench/README.md for what each line measures."
    echo "Every figure is relative to baselines measured in the same run on the same machine."
    echo
    echo "- date: $(date -u +%FT%TZ)"
    echo "- machine: $(nproc) CPUs ($(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)), $(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo) RAM, $(uname -sr)"
    echo "- command: \`make bench\` with BENCH_DURATION=$DURATION BENCH_CONNECTIONS=$CONNS BENCH_ROUNDS=$ROUNDS FCGI_CHILDREN=$FCGI_CHILDREN"
    echo "- load: wrk -t2 -c$CONNS -d${DURATION}s after a 2 s warm-up; release build; LOG_LEVEL=warn;"
    echo "  rate limit lifted; worker stopped during the create runs (for product and ceiling alike)"
    echo
    echo "## POST /api/v1/payments against the write ceiling"
    echo
    echo "| run | req/s | p50 ms | p99 ms | errors | × ceiling |"
    echo "|---|---|---|---|---|---|"
    for ((r = 1; r <= ROUNDS; r++)); do
        row "ceiling $r" "${RPS[ceiling-$r]}" "${P50[ceiling-$r]}" "${P99[ceiling-$r]}" "${ERR[ceiling-$r]}"
        row "product $r" "${RPS[payments-$r]}" "${P50[payments-$r]}" "${P99[payments-$r]}" "${ERR[payments-$r]}"
    done
    echo
    echo "Pairs (product over the ceiling run just before it): $(tr '\n' ' ' <<<"$pair_ratios")→ median"
    echo "**$pair_median × ceiling**. Means: ceiling $ceil_rps req/s, product $pay_rps req/s:"
    echo "$(ratio "$pay_rps" "$ceil_rps") × ceiling."
    echo
    echo "CPU per POST /api/v1/payments over the product runs (utime + stime of each component's"
    echo "processes, over the requests answered; wrk's own CPU excluded): nginx $(cpu_us 0) µs,"
    echo "FastCGI child $(cpu_us 1) µs, PostgreSQL $(cpu_us 2) µs, Redis $(cpu_us 3) µs (worker stopped)."
    echo
    echo "With 4 webhook endpoints on the merchant (SPEC 21; each create also records its events"
    echo "with their fan-out pending), $EP_ROUNDS more pairs:"
    echo
    echo "| run | req/s | p50 ms | p99 ms | errors | × ceiling |"
    echo "|---|---|---|---|---|---|"
    for ((r = 1; r <= EP_ROUNDS; r++)); do
        row "ceiling $r" "${RPS[ceiling-ep-$r]}" "${P50[ceiling-ep-$r]}" "${P99[ceiling-ep-$r]}" "${ERR[ceiling-ep-$r]}"
        row "product, 4 endpoints, $r" "${RPS[payments-ep-$r]}" "${P50[payments-ep-$r]}" "${P99[payments-ep-$r]}" "${ERR[payments-ep-$r]}"
    done
    echo
    echo "Pairs: $(tr '\n' ' ' <<<"$ep_ratios")→ median **$ep_median × ceiling** with 4 endpoints."
    echo
    echo "## Other requests (× the mean ceiling above)"
    echo
    echo "| benchmark | req/s | p50 ms | p99 ms | errors | × ceiling |"
    echo "|---|---|---|---|---|---|"
    row "POST /api/v1/orders" "${RPS[orders-create]}" "${P50[orders-create]}" "${P99[orders-create]}" "${ERR[orders-create]}"
    row "GET /api/v1/payments/{id}" "${RPS[payment-get]}" "${P50[payment-get]}" "${P99[payment-get]}" "${ERR[payment-get]}"
    row "nginx static file" "${RPS[nginx-static]}" "${P50[nginx-static]}" "${P99[nginx-static]}" "${ERR[nginx-static]}"
    row "pgbench INSERT of an order, $FCGI_CHILDREN clients" "$pg_tps" "" "" "0"
    echo
    echo "## Latency at half the maximum rate"
    echo
    echo "POST /api/v1/payments paced at about $half req/s ($PACED_CONNS connections, ${delay_ms} ms"
    echo "between the requests of one connection): achieved ${RPS[payments-paced]} req/s,"
    echo "p50 ${P50[payments-paced]} ms, **p99 ${P99[payments-paced]} ms**, errors ${ERR[payments-paced]}."
    echo
    echo "## Memory"
    echo
    echo "Peak RSS (VmHWM) of the largest FastCGI child after all runs: $((child_kib / 1024)) MiB ($child_kib KiB)."
    echo "Peak RSS of the worker after the in-flight run: $((worker_kib / 1024)) MiB ($worker_kib KiB)."
    echo
    echo "## $INFLIGHT_N payments in flight with the real bank delay"
    echo
    echo "\`node bench/inflight.mjs\`: $INFLIGHT_N orders and payments created by 64 clients in"
    echo "${inflight_create} s with the worker running (TEST_MODE=false, delay 5–10 s from when the worker"
    echo "takes the job), errors $inflight_errors; $inflight_pending still pending when the last create"
    echo "was answered; **all final ${inflight_final} s after the last create**."
} >"$OUT"

# Webhook delivery on its own stack (bench/webhooks.sh), after this stack is stopped.
if [ "${BENCH_WEBHOOKS:-1}" = 1 ]; then
    cleanup
    wh_md=$GW_STATE_DIR/webhooks.md
    BENCH_WEBHOOKS_MD=$wh_md BENCH_ROUNDS=${BENCH_WEBHOOKS_ROUNDS:-3} bench/webhooks.sh ten one hang ep-ten ep-one ep-hang
    { echo; cat "$wh_md"; } >>"$OUT"
    # The same ten-merchant loads with two workers side by side (the design's way past one
    # worker's turn latency: PostgreSQL, the workers and the receiver overlap).
    BENCH_WORKERS=2 BENCH_WEBHOOKS_MD=$wh_md BENCH_ROUNDS=${BENCH_WEBHOOKS_ROUNDS:-3} bench/webhooks.sh ten ep-ten
    { echo; cat "$wh_md"; } >>"$OUT"
fi
echo "bench: wrote $OUT"
cat "$OUT"
