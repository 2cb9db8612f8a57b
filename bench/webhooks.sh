#!/usr/bin/env bash
# bench/webhooks.sh: webhook delivery throughput of one worker, or of BENCH_WORKERS side by side
# (issue 10, point 8; issue 11).
#
# Starts a private stack (release build by default, TEST_MODE=true, LOG_LEVEL=warn) and a fast
# local receiver (bench/webhooks/receiver.c: epoll, keep-alive, 200 "ok"; /hang* never answers),
# then for each scenario: stops the worker, inserts N webhook logs in SQL (interleaved over the
# scenario's merchants), LPUSHes their ids on queue:webhooks, starts the worker and waits until
# the measured merchants' logs are all delivered. Rate = delivered / (last - first
# last_attempt_at); worker CPU = utime + stime of the (fresh) worker process / deliveries. The
# wait polls once a second: the rate comes from the rows' own timestamps, and polling every
# 0.2 s (a psql process and a count each time) took a tenth of the machine's CPU (perf).
#
# Each round deletes the previous round's rows and vacuums their tables, so that every round
# starts from the same tables and indexes (without it the endpoint rounds slowed round after
# round on the dead rows and index pages of the rounds before, 3,000/s falling to 1,200/s).
#
# Scenarios: "ten" (10 merchants), "one" (1 merchant alone = A alone), "hang" (A as in "one"
# plus merchant B whose endpoint hangs, B's logs interleaved with A's; only A is measured).
# The same three over SPEC 21 endpoints, 4 per merchant ("ep-ten", "ep-one", "ep-hang"): N/4
# events inserted with their fan-out pending, so the worker fans each out to the merchant's 4
# endpoints and delivers N; rate = delivered / (last - first delivery's updated_at).
#
# Usage: bench/webhooks.sh [scenario…]   (default: ten one hang ep-ten ep-one ep-hang)
# Environment: BENCH_N (logs per scenario, default 20000), BENCH_ROUNDS (default 3),
# BENCH_WORKERS (workers side by side, default 1; worker CPU is their sum),
# GW_BIN_DIR (default build/release), BENCH_KEEP=1 leaves the stack up, ports as scripts/stack.sh
# (defaults below, distinct from the test and bench stacks).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

N=${BENCH_N:-20000}
WORKERS=${BENCH_WORKERS:-1}
ROUNDS=${BENCH_ROUNDS:-3}
SCENARIOS=("$@")
[ ${#SCENARIOS[@]} -gt 0 ] || SCENARIOS=(ten one hang ep-ten ep-one ep-hang)
export GW_STATE_DIR=${GW_STATE_DIR:-$ROOT/var/bench-webhooks}
export GW_BIN_DIR=${GW_BIN_DIR:-$ROOT/build/release}
export GW_PG_PORT=${GW_PG_PORT:-47732} GW_REDIS_PORT=${GW_REDIS_PORT:-47679}
export PORT=${PORT:-47300} DASHBOARD_PORT=${DASHBOARD_PORT:-47301}
export CHECKOUT_PORT=${CHECKOUT_PORT:-47302} TLS_PORT=${TLS_PORT:-47303}
export GW_BIND=loopback LOG_LEVEL=warn TEST_MODE=true GW_PG_FSYNC=${GW_PG_FSYNC:-on}
RX_PORT=${BENCH_RX_PORT:-47399}
RX_BIN=$GW_STATE_DIR/wh-receiver

[ -x "$GW_BIN_DIR/gw-worker" ] || { echo "bench: build first: make BUILD=release" >&2; exit 1; }
mkdir -p "$GW_STATE_DIR"
cc -O2 -o "$RX_BIN" bench/webhooks/receiver.c
RX_PID=
cleanup() {
    [ -n "$RX_PID" ] && kill "$RX_PID" 2>/dev/null || true
    if [ "${BENCH_KEEP:-0}" != 1 ]; then
        scripts/stack.sh stop >/dev/null 2>&1 || true
    fi
}
trap cleanup EXIT
"$RX_BIN" "$RX_PORT" &
RX_PID=$!
scripts/stack.sh start >/dev/null
set -a && . "$GW_STATE_DIR/env" && set +a
sql() { psql -qAtX -v ON_ERROR_STOP=1 "$DATABASE_URL" -c "$1"; }
rcli() { redis-cli -u "$REDIS_URL" "$@"; }

# Merchants bench-0 … bench-9 (fast) and bench-hang.
merchant() { # name path -> id
    sql "INSERT INTO merchants (name, email, api_key, api_secret, webhook_url, webhook_secret)
         VALUES ('$1', '$1@bench.local', 'key_$1', 'secret_$1', 'http://127.0.0.1:$RX_PORT$2', 'whsec_$1')
         ON CONFLICT (email) DO UPDATE SET webhook_url = EXCLUDED.webhook_url RETURNING id"
}
FAST=()
for i in $(seq 0 9); do FAST+=("$(merchant "bench-$i" "/m$i")"); done
HANG=$(merchant bench-hang /hang)
# Four SPEC 21 endpoints per merchant (secret: whsec_ + base64 of 32 bytes), on the same receiver.
EP_N=4
endpoints() { # merchant_id path
    sql "INSERT INTO webhook_endpoints (id, merchant_id, url, enabled_events, secret)
         SELECT 'we_' || substr(md5('$1' || g), 1, 16), '$1', 'http://127.0.0.1:$RX_PORT$2/e' || g,
                ARRAY['*'], 'whsec_' || encode(sha256(('$1' || g)::bytea), 'base64')
         FROM generate_series(1, $EP_N) g ON CONFLICT (id) DO NOTHING" >/dev/null
}
for i in $(seq 0 9); do endpoints "${FAST[$i]}" "/m$i"; done
endpoints "$HANG" /hang

worker_pid() { cat "$GW_STATE_DIR/run/gw-worker.pid"; }
cpu_s() { awk -v t="$(getconf CLK_TCK)" '{ printf "%.3f", ($14 + $15) / t }' "/proc/$1/stat"; }

# The payload of delivery g (a payment.success event), as an SQL expression over g.
PAYLOAD_SQL="('{\"event\":\"payment.success\",\"timestamp\":1705315870,\"data\":{\"payment\":{\"id\":\"pay_' || lpad(g::text, 16, '0') || '\",\"amount\":50000,\"currency\":\"INR\",\"status\":\"success\"}}}')::json"

# run KIND NAME MERCHANT_IDS… -- MEASURED_IDS…: KIND legacy (N webhook logs pushed on
# queue:webhooks) or ep (N/EP_N events with their fan-out pending, N endpoint deliveries); the
# worker is restarted and the measured merchants' deliveries waited for.
run() {
    local kind=$1 name=$2 ms=() meas=() seen=0 arr marr t0 pid done_n rate cpu want tbl at attempts us
    shift 2
    while [ $# -gt 0 ]; do
        if [ "$1" = -- ]; then seen=1; shift; continue; fi
        if [ $seen = 0 ]; then ms+=("$1"); else meas+=("$1"); fi
        shift
    done
    scripts/stack.sh worker-stop >/dev/null
    arr=$(printf "'%s'," "${ms[@]}"); arr="ARRAY[${arr%,}]::uuid[]"
    marr=$(printf "'%s'," "${meas[@]}"); marr="ARRAY[${marr%,}]::uuid[]"
    if [ "$kind" = legacy ]; then
        tbl=webhook_logs at=last_attempt_at attempts="SELECT coalesce(sum(attempts), 0) FROM webhook_logs"
        sql "DELETE FROM webhook_logs" >/dev/null
        sql "VACUUM webhook_logs" >/dev/null
        rcli DEL queue:webhooks queue:webhooks:processing >/dev/null
        sql "INSERT INTO webhook_logs (merchant_id, event, payload, object_id)
             SELECT ($arr)[1 + g % ${#ms[@]}], 'payment.success', $PAYLOAD_SQL,
             'pay_' || lpad(g::text, 16, '0') FROM generate_series(1, $N) g RETURNING id" >"$GW_STATE_DIR/ids"
        xargs -n 1000 redis-cli -u "$REDIS_URL" LPUSH queue:webhooks <"$GW_STATE_DIR/ids" >/dev/null
        want=$(sql "SELECT count(*) FROM webhook_logs WHERE merchant_id = ANY($marr)")
    else
        tbl=endpoint_deliveries at=updated_at attempts="SELECT count(*) FROM webhook_attempts"
        sql "DELETE FROM events; UPDATE webhook_endpoints SET status = 'enabled', disabled_reason = NULL,
             failing_since = NULL" >/dev/null
        sql "VACUUM events, endpoint_deliveries, webhook_attempts, webhook_endpoints" >/dev/null
        sql "INSERT INTO events (id, merchant_id, type, object_id, payload, fanout_pending)
             SELECT 'evt_' || lpad(g::text, 16, '0'), ($arr)[1 + g % ${#ms[@]}], 'payment.success',
             'pay_' || lpad(g::text, 16, '0'), $PAYLOAD_SQL, true
             FROM generate_series(1, $((N / EP_N))) g" >/dev/null
        want=$(sql "SELECT count(*) * $EP_N FROM events WHERE merchant_id = ANY($marr)")
    fi
    scripts/stack.sh worker-start >/dev/null
    pid=$(worker_pid)
    XPIDS=()
    for ((i = 1; i < WORKERS; i++)); do
        "$GW_BIN_DIR/gw-worker" </dev/null >>"$GW_STATE_DIR/log/worker-extra.log" 2>&1 &
        XPIDS+=($!)
    done
    t0=$(date +%s)
    while :; do
        done_n=$(sql "SELECT count(*) FROM $tbl WHERE merchant_id = ANY($marr) AND status = 'success'")
        [ "$done_n" -ge "$want" ] && break
        if [ $(($(date +%s) - t0)) -gt 600 ]; then echo "bench: $name timed out ($done_n/$want)" >&2; break; fi
        sleep 1
    done
    cpu=$(cpu_s "$pid")
    for x in "${XPIDS[@]}"; do
        cpu=$(awk -v a="$cpu" -v b="$(cpu_s "$x")" 'BEGIN { printf "%.3f", a + b }')
        kill -TERM "$x" 2>/dev/null || true
    done
    for x in "${XPIDS[@]}"; do wait "$x" 2>/dev/null || true; done
    rate=$(sql "SELECT round(count(*) / greatest(extract(epoch FROM max($at) - min($at)), 0.001))
                FROM $tbl WHERE merchant_id = ANY($marr) AND status = 'success'")
    us=$(awk -v c="$cpu" -v n="$(sql "$attempts")" 'BEGIN { printf "%d", n ? c * 1e6 / n : 0 }')
    RATE[$name]=$rate
    CPU_US[$name]=$us
    echo "bench: $name deliveries=$done_n rate=$rate/s worker_cpu=${cpu}s cpu_per_attempt_us=$us"
}
declare -A RATE=() CPU_US=()
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; else print 0 }'; }

for ((r = 1; r <= ROUNDS; r++)); do
    for s in "${SCENARIOS[@]}"; do
        case $s in
        ten) run legacy "ten-$r" "${FAST[@]}" -- "${FAST[@]}" ;;
        one) run legacy "one-$r" "${FAST[0]}" -- "${FAST[0]}" ;;
        hang) run legacy "hang-$r" "${FAST[0]}" "$HANG" -- "${FAST[0]}" ;;
        ep-ten) run ep "ep-ten-$r" "${FAST[@]}" -- "${FAST[@]}" ;;
        ep-one) run ep "ep-one-$r" "${FAST[0]}" -- "${FAST[0]}" ;;
        ep-hang) run ep "ep-hang-$r" "${FAST[0]}" "$HANG" -- "${FAST[0]}" ;;
        *) echo "bench: unknown scenario $s" >&2; exit 2 ;;
        esac
    done
done

# Medians over the rounds; with BENCH_WEBHOOKS_MD=FILE also a Markdown section for
# docs/BENCHMARKS.md (bench/run.sh appends it).
declare -A MED=() MED_US=()
for s in "${SCENARIOS[@]}"; do
    MED[$s]=$(for ((r = 1; r <= ROUNDS; r++)); do echo "${RATE[$s-$r]}"; done | median)
    MED_US[$s]=$(for ((r = 1; r <= ROUNDS; r++)); do echo "${CPU_US[$s-$r]}"; done | median)
    echo "bench: $s median rate=${MED[$s]}/s cpu_per_attempt_us=${MED_US[$s]}"
done
if [ -n "${BENCH_WEBHOOKS_MD:-}" ]; then
    {
        if [ "$WORKERS" = 1 ]; then
            echo "## Webhook delivery"
            wlabel="one worker"
        else
            echo "## Webhook delivery, $WORKERS workers side by side"
            wlabel="BENCH_WORKERS=$WORKERS workers side by side (worker CPU summed)"
        fi
        echo
        echo "\`bench/webhooks.sh\` (BENCH_N=$N logs per scenario, BENCH_ROUNDS=$ROUNDS, release build, $wlabel,"
        echo "WORKER_CONCURRENCY default, PostgreSQL with fsync on): deliveries per second to a local"
        echo "keep-alive receiver (\`bench/webhooks/receiver.c\`), median of the rounds."
        echo
        echo "| scenario | rounds (deliveries/s) | median | worker CPU µs per attempt |"
        echo "|---|---|---|---|"
        for s in "${SCENARIOS[@]}"; do
            case $s in
            ten) label="10 merchants" ;;
            one) label="one merchant alone (A)" ;;
            hang) label="A while merchant B's endpoint hangs" ;;
            ep-ten) label="endpoints: 10 merchants × 4 endpoints" ;;
            ep-one) label="endpoints: one merchant × 4 endpoints alone (A)" ;;
            ep-hang) label="endpoints: A while merchant B's 4 endpoints hang" ;;
            esac
            rounds=$(for ((r = 1; r <= ROUNDS; r++)); do printf '%s ' "${RATE[$s-$r]}"; done)
            echo "| $label | ${rounds% } | **${MED[$s]}** | ${MED_US[$s]} |"
        done
        if [ -n "${MED[one]:-}" ] && [ -n "${MED[hang]:-}" ]; then
            echo
            echo "Isolation: A's median rate with B hanging is **$(awk -v a="${MED[hang]}" -v b="${MED[one]}" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "?" }') ×** its rate alone."
        fi
        if [ -n "${MED[ep-one]:-}" ] && [ -n "${MED[ep-hang]:-}" ]; then
            echo
            echo "Isolation over endpoints: A's median rate with B's endpoints hanging is **$(awk -v a="${MED[ep-hang]}" -v b="${MED[ep-one]}" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "?" }') ×** its rate alone."
        fi
    } >"$BENCH_WEBHOOKS_MD"
fi
