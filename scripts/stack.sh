#!/usr/bin/env bash
# shellcheck disable=SC2094 # logs are appended to, never read, while daemons start
# stack.sh COMMAND [VAR=value ...]: controls one gateway stack (PostgreSQL, Redis, the gw-fcgi
# pool, the worker and nginx) living in the state directory GW_STATE_DIR (default var/).
#
# Commands (docs/internals.md, "Test harness interface"):
#   start | stop | status
#   pg-start | pg-stop            start / stop (fast) the private PostgreSQL
#   redis-start | redis-stop      start / stop the private Redis (empty on restart)
#   worker-start | worker-stop    the worker and its supervisor (scripts/supervise.sh)
#   worker-kill9                  kill -9 the worker only; the supervisor restarts it
#   api-restart                   restart the FastCGI pool(s)
#   pool-kill9 N                  kill -9 TCP pool N of GW_FCGI_POOLS (its master and children)
#   nginx-restart                 re-render the configuration and restart nginx
#   nginx-reload                  re-render and check the configuration, then reload nginx
#                                 (graceful: no dropped connection, nothing else restarted)
# VAR=value arguments override the environment for the processes started by this command only
# (for `start`, they become part of the stack's saved environment).
#
# Environment: every variable of SPEC section 3 (defaults as there, except DATABASE_URL and
# REDIS_URL, which point at the private servers unless the caller exported others: then those
# servers are used and none is started), plus
#   GW_STATE_DIR      state directory (var/)
#   GW_BIN_DIR        directory of gw-fcgi, gw-worker, gatewayctl (build/$BUILD, BUILD=debug)
#   GW_PG_PORT        private PostgreSQL port (55432)
#   GW_REDIS_PORT     private Redis port (56379)
#   GW_PG_FSYNC       on | off (off only for throw-away test clusters)
#   GW_BIND           all | loopback: addresses nginx listens on (all)
#   GW_NGINX_WORKERS  nginx worker processes (2)
#   GW_FCGI_POOLS     "" (one pool on a unix socket) or host:port list: one pool of FCGI_CHILDREN
#                     children on each TCP address, all servers of nginx's upstream (the several-
#                     hosts layout on one machine, e.g. "127.0.0.2:9000 127.0.0.3:9000")
#   GW_START_TIMEOUT  seconds to wait for /health (60)
#   GW_LOGIN_CHILDREN children of the login pool (2), GW_LOGIN_NICE its nice value (10),
#   GW_LOGIN_BACKLOG  its socket's listen backlog (32): logins beyond it get 503 at once instead
#                     of queueing (a long storm would otherwise exhaust nginx's connections)
#   GW_LOGIN_RATE, GW_LOGIN_BURST   nginx login throttle: POSTs per minute and burst per client
#                     address (10, 10; SPEC 17). Only test stacks change them.
# The effective environment is saved in $GW_STATE_DIR/env (KEY=value lines, shell-quoted) and
# reloaded by every later command on the same state directory.
#
# Running as root (CI): PostgreSQL refuses to run as root, so it runs as the system user gwpg
# (created when missing). Because the checkout may live where gwpg cannot enter (under /root, a
# 0700 home, ...), the cluster and its socket live in a gwpg-owned directory
# /var/lib/gw-pg/<hash of the state dir path>/ and $GW_STATE_DIR/pg is a symbolic link to the data
# directory; a fresh state dir (no link) gets a fresh cluster, and clusters whose state dir has
# disappeared are removed at the next start. Its log goes to $GW_STATE_DIR/log/postgres.log
# through a file descriptor opened by root. nginx workers run as nobody when nobody can read the
# static files and reach the FastCGI socket (socket owned by nobody, mode 0660), else as root.
# As a normal user everything runs as that user, the cluster lives in $GW_STATE_DIR/pg.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PG_BIN=${GW_PG_BIN:-/usr/lib/postgresql/15/bin}
SPEC_VARS=(DATABASE_URL PORT REDIS_URL TEST_MERCHANT_EMAIL TEST_API_KEY TEST_API_SECRET
    UPI_SUCCESS_RATE CARD_SUCCESS_RATE PROCESSING_DELAY_MIN PROCESSING_DELAY_MAX TEST_MODE
    TEST_PAYMENT_SUCCESS TEST_PROCESSING_DELAY WEBHOOK_RETRY_INTERVALS_TEST FCGI_CHILDREN
    WORKER_CONCURRENCY LOG_LEVEL DASHBOARD_PORT CHECKOUT_PORT TLS_PORT TLS_CERT_FILE
    TLS_KEY_FILE RATE_LIMIT_RPS RATE_LIMIT_BURST WEBHOOK_BLOCK_PRIVATE REAL_IP_FROM
    SEED_TEST_MERCHANT WEBHOOK_DISABLE_AFTER_S EVENT_RETENTION_DAYS)
GW_VARS=(GW_STATE_DIR GW_BIN_DIR GW_PG_PORT GW_REDIS_PORT GW_PG_FSYNC GW_BIND
    GW_NGINX_WORKERS GW_FCGI_POOLS GW_START_TIMEOUT GW_OWN_PG GW_OWN_REDIS GW_LOGIN_CHILDREN GW_LOGIN_NICE
    GW_LOGIN_BACKLOG GW_LOGIN_RATE GW_LOGIN_BURST)

say() { echo "stack: $*"; }
warn() { echo "stack: $*" >&2; }
die() {
    echo "stack: error: $*" >&2
    exit 1
}

usage() {
    sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

CMD=${1:-}
[[ -n "$CMD" ]] || usage
shift
POOL_N=
if [[ "$CMD" == pool-kill9 ]]; then
    POOL_N=${1:-}
    shift || true
fi
OVERRIDES=()
for a in "$@"; do
    [[ "$a" =~ ^[A-Z_][A-Z0-9_]*=.*$ ]] || die "bad override '$a' (expected VAR=value)"
    OVERRIDES+=("$a")
done

case "$CMD" in
start | stop | status | pg-start | pg-stop | redis-start | redis-stop | worker-start | \
    worker-stop | worker-kill9 | api-restart | pool-kill9 | nginx-restart | nginx-reload) ;;
-h | --help | help) usage ;;
*) warn "unknown command '$CMD'"; usage ;;
esac

# ---- state directory -----------------------------------------------------------------------
STATE=${GW_STATE_DIR:-$ROOT/var}
mkdir -p "$STATE"
STATE=$(cd "$STATE" && pwd)
RUN=$STATE/run
LOG=$STATE/log
ENVFILE=$STATE/env
mkdir -p "$RUN" "$LOG" "$STATE/redis" "$STATE/nginx/tmp" "$STATE/tls"
chmod 0755 "$STATE" "$RUN"

# One command at a time per state directory. Daemons are started with 9>&- so that they do not
# keep the lock.
exec 9>"$STATE/.lock"
flock -w 120 9 || die "another stack.sh holds $STATE/.lock"

IS_ROOT=0
[[ $(id -u) == 0 ]] && IS_ROOT=1

# ---- process helpers -------------------------------------------------------------------------
# alive PID PATTERN: the process exists and its command line contains PATTERN (guards against a
# recycled pid).
alive() {
    local pid=$1 pat=$2
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    [[ -r /proc/$pid/cmdline ]] || return 0
    tr '\0' ' ' </proc/"$pid"/cmdline | grep -qF -- "$pat"
}
# pidof_file FILE: the first line of FILE or "".
pidof_file() {
    if [[ -f "$1" ]]; then head -n1 "$1" 2>/dev/null | tr -dc '0-9' || true; fi
}
# wait_gone PID SECONDS: 0 once PID has exited, 1 on timeout.
wait_gone() {
    local pid=$1 n=$(($2 * 10))
    while ((n-- > 0)); do
        kill -0 "$pid" 2>/dev/null || return 0
        # a zombie child of ours does not count
        [[ "$(ps -o stat= -p "$pid" 2>/dev/null)" == Z* ]] && return 0
        sleep 0.1
    done
    return 1
}
# stop_pid NAME PIDFILE PATTERN SIGNAL TIMEOUT: signal, wait, then SIGKILL the process group.
stop_pid() {
    local name=$1 file=$2 pat=$3 sig=$4 timeout=$5 pid
    pid=$(pidof_file "$file")
    if [[ -z "$pid" ]] || ! alive "$pid" "$pat"; then
        rm -f "$file"
        return 0
    fi
    kill -"$sig" "$pid" 2>/dev/null || true
    if ! wait_gone "$pid" "$timeout"; then
        warn "$name (pid $pid) did not stop in ${timeout}s; killing its process group"
        kill -KILL -- -"$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
        wait_gone "$pid" 5 || warn "$name (pid $pid) is still there"
    fi
    rm -f "$file"
    say "$name stopped"
}
# show_log FILE: the last lines of a log, for error messages.
show_log() {
    [[ -s "$1" ]] || return 0
    echo "---- last lines of $1" >&2
    tail -n 25 "$1" >&2 || true
}

# ---- environment -----------------------------------------------------------------------------
pg_private_url() { echo "postgresql://gateway_user:gateway_pass@127.0.0.1:$GW_PG_PORT/payment_gateway"; }
redis_private_url() { echo "redis://127.0.0.1:$GW_REDIS_PORT"; }

any_running() {
    local f
    for f in "$RUN"/*.pid; do
        [[ -e "$f" ]] || continue
        pid=$(pidof_file "$f")
        [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null && return 0
    done
    [[ -L "$STATE/pg" || -d "$STATE/pg" ]] && [[ -f "$STATE/pg/postmaster.pid" ]] &&
        kill -0 "$(head -n1 "$STATE/pg/postmaster.pid")" 2>/dev/null && return 0
    return 1
}

set_defaults() {
    : "${GW_PG_PORT:=55432}" "${GW_REDIS_PORT:=56379}"
    : "${GW_BIN_DIR:=$ROOT/build/${BUILD:-debug}}"
    : "${GW_PG_FSYNC:=on}" "${GW_BIND:=all}" "${GW_NGINX_WORKERS:=2}" "${GW_START_TIMEOUT:=60}"
    : "${GW_FCGI_POOLS:=}"
    : "${PORT:=8000}" "${DASHBOARD_PORT:=3000}" "${CHECKOUT_PORT:=3001}" "${TLS_PORT:=8443}"
    : "${TEST_MERCHANT_EMAIL:=test@example.com}" "${TEST_API_KEY:=key_test_abc123}"
    : "${TEST_API_SECRET:=secret_test_xyz789}"
    : "${UPI_SUCCESS_RATE:=0.90}" "${CARD_SUCCESS_RATE:=0.95}"
    : "${PROCESSING_DELAY_MIN:=5000}" "${PROCESSING_DELAY_MAX:=10000}"
    : "${TEST_MODE:=false}" "${TEST_PAYMENT_SUCCESS:=true}" "${TEST_PROCESSING_DELAY:=1000}"
    : "${WEBHOOK_RETRY_INTERVALS_TEST:=false}" "${FCGI_CHILDREN:=4}"
    : "${WORKER_CONCURRENCY:=64}" "${LOG_LEVEL:=info}"
    : "${RATE_LIMIT_RPS:=100}" "${RATE_LIMIT_BURST:=200}" "${REAL_IP_FROM:=127.0.0.1/32 ::1/128}"
    # SPEC 3 (v2): on, except in TEST_MODE.
    if [[ "$TEST_MODE" == true ]]; then
        : "${WEBHOOK_BLOCK_PRIVATE:=false}"
    else
        : "${WEBHOOK_BLOCK_PRIVATE:=true}"
    fi
    : "${GW_LOGIN_CHILDREN:=2}" "${GW_LOGIN_NICE:=10}" "${GW_LOGIN_BACKLOG:=32}" "${GW_LOGIN_RATE:=10}" "${GW_LOGIN_BURST:=10}"
    # Private servers unless the caller points elsewhere (the private URL itself, e.g. from a
    # previous harness environment, still means "ours").
    if [[ -z "${DATABASE_URL:-}" || "$DATABASE_URL" == "$(pg_private_url)" ]]; then
        DATABASE_URL=$(pg_private_url)
        GW_OWN_PG=1
    else
        GW_OWN_PG=0
    fi
    if [[ -z "${REDIS_URL:-}" || "$REDIS_URL" == "$(redis_private_url)" ]]; then
        REDIS_URL=$(redis_private_url)
        GW_OWN_REDIS=1
    else
        GW_OWN_REDIS=0
    fi
    GW_STATE_DIR=$STATE
    GW_BIN_DIR=$(cd "$GW_BIN_DIR" 2>/dev/null && pwd || echo "$GW_BIN_DIR")
    [[ -n "${TLS_CERT_FILE:-}" ]] || unset TLS_CERT_FILE
    [[ -n "${TLS_KEY_FILE:-}" ]] || unset TLS_KEY_FILE
    local v
    for v in "${SPEC_VARS[@]}" "${GW_VARS[@]}"; do
        [[ -n "${!v+x}" ]] && export "${v?}"
    done
    return 0
}

save_env() {
    local v tmp=$ENVFILE.tmp
    {
        echo "# gateway stack environment, written by scripts/stack.sh start on $(date -u +%FT%TZ)"
        for v in "${SPEC_VARS[@]}" "${GW_VARS[@]}"; do
            [[ -n "${!v+x}" ]] && printf '%s=%q\n' "$v" "${!v}"
        done
    } >"$tmp"
    chmod 0600 "$tmp"
    mv "$tmp" "$ENVFILE"
}

load_env() {
    [[ -f "$ENVFILE" ]] || return 0
    set -a
    # shellcheck disable=SC1090
    . "$ENVFILE"
    set +a
}

# Environment for the processes of this command: the stack's, then VAR=value overrides.
apply_overrides() {
    local a
    for a in "${OVERRIDES[@]}"; do
        export "${a%%=*}=${a#*=}"
    done
}

if [[ "$CMD" == start ]]; then
    if any_running && [[ -f "$ENVFILE" ]]; then
        load_env # a (partly) running stack keeps the environment it was started with
    fi
    apply_overrides
    set_defaults
else
    load_env
    set_defaults
fi

# ---- REAL_IP_FROM (SPEC 2.2, 3) ----------------------------------------------------------------
# cidr_ok WORD: an IPv4 or IPv6 address with an optional /prefix (a bare address is one host).
cidr_ok() {
    local w=$1 addr pfx max o groups g
    addr=${w%%/*}
    pfx=
    [[ "$w" == */* ]] && pfx=${w#*/}
    if [[ "$addr" =~ ^([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})$ ]]; then
        for o in "${BASH_REMATCH[@]:1}"; do
            ((10#$o <= 255)) || return 1
        done
        max=32
    elif [[ "$addr" == *:* && "$addr" =~ ^[0-9A-Fa-f:]+$ && "$addr" != *:::* ]]; then
        # at most one "::", 1-4 hex digits per group, 8 groups without "::", fewer with it
        [[ "$addr" != *::*::* ]] || return 1
        IFS=: read -r -a groups <<<"${addr//::/:x:}"
        local n=0
        for g in "${groups[@]}"; do
            [[ -z "$g" || "$g" == x ]] && continue
            [[ "$g" =~ ^[0-9A-Fa-f]{1,4}$ ]] || return 1
            n=$((n + 1))
        done
        if [[ "$addr" == *::* ]]; then ((n <= 7)) || return 1; else ((n == 8)) || return 1; fi
        [[ "$addr" =~ ^:[^:] || "$addr" =~ [^:]:$ ]] && return 1
        max=128
    else
        return 1
    fi
    [[ -z "$pfx" && "$w" != */ ]] && return 0
    [[ "$pfx" =~ ^[0-9]{1,3}$ ]] && ((10#$pfx <= max))
}

# real_ip_check: every REAL_IP_FROM word is a CIDR, and there is at least one.
real_ip_check() {
    local w words=()
    read -r -a words <<<"$REAL_IP_FROM"
    ((${#words[@]} > 0)) || die "REAL_IP_FROM is empty (default: 127.0.0.1/32 ::1/128)"
    for w in "${words[@]}"; do
        cidr_ok "$w" ||
            die "REAL_IP_FROM: '$w' is not an IPv4 or IPv6 CIDR (e.g. 10.0.0.0/8 fd00::/8); REAL_IP_FROM='$REAL_IP_FROM'"
    done
}

# real_ip_lines FORMAT: one line per REAL_IP_FROM word, printf FORMAT with the word.
real_ip_lines() {
    local w out='' words=()
    read -r -a words <<<"$REAL_IP_FROM"
    for w in "${words[@]}"; do
        # shellcheck disable=SC2059 # the format is ours
        out+=$(printf "$1" "$w")$'\n'
    done
    printf '%s' "${out%$'\n'}"
}

# ---- PostgreSQL ------------------------------------------------------------------------------
PG_USER=$(id -un)
if ((IS_ROOT)); then
    PG_USER=gwpg
    PG_BASE=/var/lib/gw-pg/$(printf '%s' "$STATE" | sha256sum | cut -c1-16)
    PGDATA_DIR=$PG_BASE/data
    PG_SOCK=$PG_BASE/run
else
    PGDATA_DIR=$STATE/pg
    PG_SOCK=$RUN
fi

as_pg() {
    if ((IS_ROOT)); then
        (cd / && runuser -u "$PG_USER" -- "$@")
    else
        (cd / && "$@")
    fi
}

pg_pid() {
    [[ -f "$PGDATA_DIR/postmaster.pid" ]] || return 0
    local pid
    pid=$(head -n1 "$PGDATA_DIR/postmaster.pid" | tr -dc '0-9')
    alive "$pid" postgres && echo "$pid"
    return 0
}

pg_prepare_root() {
    if ! id -u "$PG_USER" >/dev/null 2>&1; then
        useradd --system --home-dir /nonexistent --shell /usr/sbin/nologin "$PG_USER"
        say "created system user $PG_USER"
    fi
    mkdir -p /var/lib/gw-pg
    chmod 0755 /var/lib/gw-pg
    # Clusters whose state directory has gone away (fresh clones, wiped var/test).
    local d owner pid
    for d in /var/lib/gw-pg/*/; do
        [[ -d "$d" && "${d%/}" != "$PG_BASE" ]] || continue
        owner=$(cat "$d/owner" 2>/dev/null || true)
        [[ -n "$owner" && -e "$owner/pg" ]] && continue
        pid=$(head -n1 "$d/data/postmaster.pid" 2>/dev/null | tr -dc '0-9' || true)
        [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null && continue
        rm -rf "${d%/}"
    done
    # A state dir without its link is a fresh one: start over.
    if [[ ! -L "$STATE/pg" || "$(readlink "$STATE/pg")" != "$PGDATA_DIR" ]]; then
        if [[ -n "$(pg_pid)" ]]; then
            as_pg "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -m immediate -w stop >/dev/null 2>&1 || true
        fi
        rm -rf "$PG_BASE"
        rm -rf "$STATE/pg"
    fi
    mkdir -p "$PG_BASE"
    printf '%s\n' "$STATE" >"$PG_BASE/owner"
    install -d -o "$PG_USER" -g "$(id -gn "$PG_USER")" -m 0700 "$PG_SOCK"
    [[ -L "$STATE/pg" ]] || ln -s "$PGDATA_DIR" "$STATE/pg"
}

pg_initdb() {
    [[ -x "$PG_BIN/initdb" ]] || die "PostgreSQL 15 not found in $PG_BIN (run scripts/deps.sh)"
    ((IS_ROOT)) && pg_prepare_root
    [[ -f "$PGDATA_DIR/PG_VERSION" ]] && return 0
    say "initialising PostgreSQL cluster in $PGDATA_DIR"
    rm -rf "$PGDATA_DIR"
    if ((IS_ROOT)); then
        install -d -o "$PG_USER" -g "$(id -gn "$PG_USER")" -m 0700 "$PGDATA_DIR"
    else
        mkdir -p "$PGDATA_DIR"
        chmod 0700 "$PGDATA_DIR"
    fi
    # Local socket: peer (only the cluster's OS user); TCP: SCRAM passwords.
    if ! as_pg "$PG_BIN/initdb" -D "$PGDATA_DIR" -U "$PG_USER" -E UTF8 --locale=C \
        --auth-local=peer --auth-host=scram-sha-256 >>"$LOG/postgres.log" 2>&1; then
        show_log "$LOG/postgres.log"
        die "initdb failed"
    fi
}

pg_start() {
    if ((!GW_OWN_PG)); then
        say "PostgreSQL is external (DATABASE_URL), not started"
        return 0
    fi
    pg_initdb
    if [[ -n "$(pg_pid)" ]]; then
        say "PostgreSQL already running (pid $(pg_pid))"
        return 0
    fi
    local opts="-p $GW_PG_PORT -k $PG_SOCK -c listen_addresses=127.0.0.1 -c max_connections=200"
    opts+=" -c timezone=UTC -c log_timezone=UTC -c log_line_prefix=%m_[%p]_"
    if [[ "$GW_PG_FSYNC" == off ]]; then
        opts+=" -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    fi
    # No -l: the postmaster writes to the log file this (root) shell opened.
    if ! as_pg "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -w -t 60 -o "$opts" start \
        </dev/null >>"$LOG/postgres.log" 2>&1 9>&-; then
        show_log "$LOG/postgres.log"
        die "PostgreSQL did not start on port $GW_PG_PORT"
    fi
    say "PostgreSQL started on 127.0.0.1:$GW_PG_PORT (pid $(pg_pid))"
}

pg_bootstrap() {
    ((GW_OWN_PG)) || return 0
    as_pg "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_SOCK" -p "$GW_PG_PORT" -U "$PG_USER" \
        -d postgres >/dev/null <<'SQL' || die "could not create the gateway role and database"
SELECT 'CREATE ROLE gateway_user LOGIN PASSWORD ''gateway_pass'''
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'gateway_user')\gexec
SELECT 'CREATE DATABASE payment_gateway OWNER gateway_user'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'payment_gateway')\gexec
SQL
}

pg_stop() {
    if ((!GW_OWN_PG)); then
        say "PostgreSQL is external, not stopped"
        return 0
    fi
    local pid
    pid=$(pg_pid)
    [[ -n "$pid" ]] || return 0
    as_pg "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -m fast -w -t 60 stop >>"$LOG/postgres.log" 2>&1 ||
        warn "pg_ctl stop failed"
    wait_gone "$pid" 10 || kill -KILL "$pid" 2>/dev/null || true
    say "PostgreSQL stopped"
}

# ---- Redis -----------------------------------------------------------------------------------
redis_pid() {
    local pid
    pid=$(pidof_file "$RUN/redis.pid")
    [[ -n "$pid" ]] && alive "$pid" redis-server && echo "$pid"
    return 0
}

redis_start() {
    if ((!GW_OWN_REDIS)); then
        say "Redis is external, not started"
        return 0
    fi
    if [[ -n "$(redis_pid)" ]]; then
        say "Redis already running (pid $(redis_pid))"
        return 0
    fi
    command -v redis-server >/dev/null || die "redis-server not found (run scripts/deps.sh)"
    rm -f "$RUN/redis.pid" "$STATE/redis/dump.rdb" "$STATE/redis/appendonly.aof"
    redis-server --port "$GW_REDIS_PORT" --bind 127.0.0.1 --daemonize yes --save '' \
        --appendonly no --dir "$STATE/redis" --pidfile "$RUN/redis.pid" \
        --logfile "$LOG/redis.log" </dev/null >>"$LOG/redis.log" 2>&1 9>&- ||
        { show_log "$LOG/redis.log"; die "redis-server failed"; }
    local n=100
    until [[ "$(redis-cli -p "$GW_REDIS_PORT" ping 2>/dev/null)" == PONG ]]; do
        ((n-- > 0)) || { show_log "$LOG/redis.log"; die "Redis did not answer on port $GW_REDIS_PORT"; }
        sleep 0.1
    done
    n=50
    until [[ -n "$(redis_pid)" ]] || ((n-- <= 0)); do sleep 0.1; done
    say "Redis started on 127.0.0.1:$GW_REDIS_PORT (pid $(redis_pid))"
}

redis_stop() {
    if ((!GW_OWN_REDIS)); then
        say "Redis is external, not stopped"
        return 0
    fi
    local pid
    pid=$(redis_pid)
    [[ -n "$pid" ]] || { rm -f "$RUN/redis.pid"; return 0; }
    redis-cli -p "$GW_REDIS_PORT" shutdown nosave >/dev/null 2>&1 || kill -TERM "$pid" 2>/dev/null || true
    wait_gone "$pid" 10 || kill -KILL "$pid" 2>/dev/null || true
    rm -f "$RUN/redis.pid" "$STATE/redis/dump.rdb"
    say "Redis stopped"
}

# ---- binaries, migrations --------------------------------------------------------------------
need_bin() {
    [[ -x "$GW_BIN_DIR/$1" ]] || die "$GW_BIN_DIR/$1 not found (build it: make, or make BUILD=release)"
}

migrate() {
    need_bin gatewayctl
    local n=0
    until "$GW_BIN_DIR/gatewayctl" db migrate </dev/null >>"$LOG/migrate.log" 2>&1 9>&-; do
        ((++n < 5)) || { show_log "$LOG/migrate.log"; die "gatewayctl db migrate failed"; }
        sleep 1
    done
    say "database migrated"
}

# ---- nginx user (root only) ------------------------------------------------------------------
# nginx's workers run as nobody when nobody can read what they serve, else as root.
NGINX_USER=
NGINX_GROUP=
pick_nginx_user() {
    ((IS_ROOT)) || return 0
    [[ -n "$NGINX_USER" ]] && return 0
    local g
    g=$(id -gn nobody 2>/dev/null || echo nogroup)
    # shellcheck disable=SC2016 # $@ belongs to the inner sh
    local check='for d in "$@"; do [ -x "$d" ] && [ -r "$d" ] || exit 1; done'
    if id -u nobody >/dev/null 2>&1 &&
        (cd / && runuser -u nobody -- sh -c "$check" sh "$ROOT/web/dashboard" "$ROOT/web/checkout" \
            "$ROOT/sdk" "$ROOT/node_modules/chart.js/dist" "$RUN") 2>/dev/null; then
        NGINX_USER=nobody
        NGINX_GROUP=$g
    else
        NGINX_USER=root
        NGINX_GROUP=root
    fi
}

# ---- FastCGI pool ----------------------------------------------------------------------------
# Two pools of the same gw-fcgi binary (docs/internals.md): the main one (FCGI_CHILDREN children,
# run/gw-fcgi.sock) and the login pool (GW_LOGIN_CHILDREN children, niced by GW_LOGIN_NICE,
# run/gw-fcgi-login.sock) that nginx sends POST /api/v1/dashboard/login to, so that password
# derivations lose the CPU to the API's children. Both log to api.log.
# pool_pid NAME: the pid of pool NAME (gw-fcgi or gw-fcgi-login) when it runs.
pool_pid() {
    local pid
    pid=$(pidof_file "$RUN/$1.pid")
    [[ -n "$pid" ]] && alive "$pid" gw-fcgi && echo "$pid"
    return 0
}
api_pid() { pool_pid gw-fcgi; }

# pool_start NAME CHILDREN NICE BACKLOG LABEL [HOST:PORT]: on run/NAME.sock, or on the TCP address.
pool_start() {
    local name=$1 children=$2 niceness=$3 backlog=$4 label=$5 addr=${6:-}
    if [[ -n "$(pool_pid "$name")" ]]; then
        say "$label already running (pid $(pool_pid "$name"))"
        return 0
    fi
    need_bin gw-fcgi
    command -v spawn-fcgi >/dev/null || die "spawn-fcgi not found (run scripts/deps.sh)"
    pick_nginx_user
    local sock=$RUN/$name.sock owner=() bind=()
    rm -f "$sock"
    if [[ -n "$addr" ]]; then
        bind=(-a "${addr%:*}" -p "${addr##*:}")
        sock=$addr
    elif ((IS_ROOT)) && [[ "$NGINX_USER" != root ]]; then
        bind=(-s "$sock")
        owner=(-U "$NGINX_USER" -G "$NGINX_GROUP" -M 0660)
    else
        bind=(-s "$sock")
        owner=(-M 0600)
    fi
    # spawn-fcgi -n binds the socket and execs gw-fcgi (same pid: setsid, nice and env exec too),
    # which forks the children.
    FCGI_CHILDREN=$children setsid nice -n "$niceness" spawn-fcgi -n "${bind[@]}" -b "$backlog" "${owner[@]}" -- \
        "$GW_BIN_DIR/gw-fcgi" </dev/null >>"$LOG/api.log" 2>&1 9>&- &
    local pid=$!
    echo "$pid" >"$RUN/$name.pid"
    local n=50
    while ((n-- > 0)); do
        if [[ -n "$addr" ]]; then
            ss -Hltn "sport = :${addr##*:}" 2>/dev/null | grep -qF "${addr%:*}:" && alive "$pid" gw-fcgi && break
        else
            [[ -S "$sock" ]] && alive "$pid" gw-fcgi && break
        fi
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    sleep 0.2
    if ! alive "$pid" gw-fcgi; then
        rm -f "$RUN/$name.pid"
        show_log "$LOG/api.log"
        die "gw-fcgi ($label) exited at startup"
    fi
    say "$label started (pid $pid, $children children, nice $niceness, $sock)"
}

pool_stop() {
    stop_pid "$2" "$RUN/$1.pid" gw-fcgi TERM 20
    rm -f "$RUN/$1.sock"
}

# The main pool's names: gw-fcgi, and with GW_FCGI_POOLS gw-fcgi (the first address), gw-fcgi-2, …
api_pools() {
    local i=0 a
    if [[ -z "$GW_FCGI_POOLS" ]]; then
        echo "gw-fcgi"
        return 0
    fi
    for a in $GW_FCGI_POOLS; do
        i=$((i + 1))
        if ((i == 1)); then echo "gw-fcgi $a"; else echo "gw-fcgi-$i $a"; fi
    done
}

api_start() {
    local name addr
    while read -r name addr; do
        pool_start "$name" "$FCGI_CHILDREN" 0 1024 "FastCGI pool${addr:+ $addr}" "$addr"
    done < <(api_pools)
    pool_start gw-fcgi-login "$GW_LOGIN_CHILDREN" "$GW_LOGIN_NICE" "$GW_LOGIN_BACKLOG" "FastCGI login pool"
}

# pool-kill9 N: the N-th TCP pool dies at once, master and children (a host lost).
pool_kill9() {
    local n=$1 name addr pid
    [[ "$n" =~ ^[1-9][0-9]?$ ]] || die "pool-kill9 N: N is the pool's position in GW_FCGI_POOLS"
    read -r name addr < <(api_pools | sed -n "${n}p") || true
    [[ -n "${addr:-}" ]] || die "no TCP pool $n (GW_FCGI_POOLS='$GW_FCGI_POOLS')"
    pid=$(pool_pid "$name")
    [[ -n "$pid" ]] || die "pool $n ($addr) is not running"
    kill -9 -- "-$pid" 2>/dev/null || kill -9 "$pid"
    rm -f "$RUN/$name.pid"
    say "pool $n ($addr, pid $pid) killed"
}

api_stop() {
    local name addr
    while read -r name addr; do
        pool_stop "$name" "FastCGI pool${addr:+ $addr}"
    done < <(api_pools)
    pool_stop gw-fcgi-login "FastCGI login pool"
}

# ---- worker ----------------------------------------------------------------------------------
worker_start() {
    local pid
    pid=$(pidof_file "$RUN/supervise-worker.pid")
    if [[ -n "$pid" ]] && alive "$pid" supervise.sh; then
        say "worker already running (supervisor pid $pid)"
        return 0
    fi
    need_bin gw-worker
    setsid "$ROOT/scripts/supervise.sh" --pidfile "$RUN/gw-worker.pid" --name gw-worker -- \
        "$GW_BIN_DIR/gw-worker" </dev/null >>"$LOG/worker.log" 2>&1 9>&- &
    pid=$!
    echo "$pid" >"$RUN/supervise-worker.pid"
    local n=50
    until [[ -s "$RUN/gw-worker.pid" ]] || ((n-- <= 0)); do sleep 0.1; done
    say "worker started (supervisor pid $pid, worker pid $(pidof_file "$RUN/gw-worker.pid"))"
}

worker_stop() {
    stop_pid "worker" "$RUN/supervise-worker.pid" supervise.sh TERM 20
    local pid
    pid=$(pidof_file "$RUN/gw-worker.pid")
    if [[ -n "$pid" ]] && alive "$pid" gw-worker; then
        kill -TERM "$pid" 2>/dev/null || true
        wait_gone "$pid" 10 || kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$RUN/gw-worker.pid"
}

worker_kill9() {
    local pid
    pid=$(pidof_file "$RUN/gw-worker.pid")
    if [[ -z "$pid" ]] || ! alive "$pid" gw-worker; then die "no worker process running"; fi
    kill -KILL "$pid"
    say "worker pid $pid killed with SIGKILL"
}

# ---- TLS certificate -------------------------------------------------------------------------
tls_files() {
    if [[ -n "${TLS_CERT_FILE:-}" || -n "${TLS_KEY_FILE:-}" ]]; then
        [[ -r "${TLS_CERT_FILE:-}" && -r "${TLS_KEY_FILE:-}" ]] ||
            die "TLS_CERT_FILE and TLS_KEY_FILE must both name readable PEM files"
        TLS_CERT=$TLS_CERT_FILE
        TLS_KEY=$TLS_KEY_FILE
        return 0
    fi
    TLS_CERT=$STATE/tls/localhost.crt
    TLS_KEY=$STATE/tls/localhost.key
    if [[ -s "$TLS_CERT" && -s "$TLS_KEY" ]] &&
        openssl x509 -checkend 86400 -noout -in "$TLS_CERT" >/dev/null 2>&1; then
        return 0
    fi
    say "generating a self-signed localhost certificate in $STATE/tls"
    (
        umask 077
        openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj /CN=localhost \
            -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
            -keyout "$TLS_KEY.tmp" -out "$TLS_CERT.tmp" >/dev/null 2>&1
    ) || die "openssl could not create the certificate"
    mv "$TLS_KEY.tmp" "$TLS_KEY"
    mv "$TLS_CERT.tmp" "$TLS_CERT"
    chmod 0644 "$TLS_CERT"
}

# ---- nginx -----------------------------------------------------------------------------------
NGINX_CONF=$STATE/nginx/nginx.conf
# shellcheck disable=SC2016 # literal ${VAR} names for envsubst
NGINX_VARS='${PORT} ${DASHBOARD_PORT} ${CHECKOUT_PORT} ${TLS_PORT} ${RATE_LIMIT_RPS}
${RATE_LIMIT_BURST} ${GW_STATE_DIR} ${GW_RUN_DIR} ${GW_LOG_DIR} ${GW_FCGI_SERVER} ${GW_WEB_DIR}
${GW_SDK_DIR} ${GW_CHARTJS_FILE} ${GW_SWAGGER_UI_DIR} ${GW_TLS_CERT} ${GW_TLS_KEY} ${GW_NGINX_USER_DIRECTIVE}
${GW_NGINX_WORKERS} ${GW_V4} ${GW_V6} ${GW_BIND4} ${GW_BIND6} ${GW_FCGI_LOGIN_SERVER}
${GW_REAL_IP_FROM} ${GW_REAL_IP_GEO} ${GW_LOGIN_RATE} ${GW_LOGIN_BURST} ${GW_LOGIN_RETRY_AFTER}'

nginx_pid() {
    local pid
    pid=$(pidof_file "$RUN/nginx.pid")
    [[ -n "$pid" ]] && alive "$pid" nginx && echo "$pid"
    return 0
}

render_nginx() {
    command -v envsubst >/dev/null || die "envsubst not found (run scripts/deps.sh)"
    real_ip_check
    [[ "$GW_LOGIN_RATE" =~ ^[1-9][0-9]{0,5}$ && "$GW_LOGIN_BURST" =~ ^[0-9]{1,6}$ ]] ||
        die "GW_LOGIN_RATE must be 1-999999 requests per minute, GW_LOGIN_BURST 0-999999"
    tls_files
    pick_nginx_user
    local v6=0
    [[ -f /proc/net/if_inet6 ]] && grep -q '00000000000000000000000000000001' /proc/net/if_inet6 && v6=1
    (
        export GW_RUN_DIR=$RUN GW_LOG_DIR=$LOG GW_FCGI_SERVER="unix:$RUN/gw-fcgi.sock"
        if [[ -n "$GW_FCGI_POOLS" ]]; then
            # one server line per pool: "a;\n server b" inside the template's "server …;"
            GW_FCGI_SERVER=$(printf '%s max_fails=1 fail_timeout=10s;\n        server ' $GW_FCGI_POOLS)
            GW_FCGI_SERVER=${GW_FCGI_SERVER%;*}
        fi
        export GW_FCGI_LOGIN_SERVER="unix:$RUN/gw-fcgi-login.sock"
        GW_REAL_IP_FROM=$(real_ip_lines '    set_real_ip_from %s;')
        GW_REAL_IP_GEO=$(real_ip_lines '        %s 1;')
        # one request refills the login bucket every 60/rate seconds (rounded up)
        export GW_REAL_IP_FROM GW_REAL_IP_GEO GW_LOGIN_RETRY_AFTER=$(((60 + GW_LOGIN_RATE - 1) / GW_LOGIN_RATE))
        export GW_WEB_DIR=$ROOT/web GW_SDK_DIR=$ROOT/sdk
        export GW_CHARTJS_FILE=$ROOT/node_modules/chart.js/dist/chart.umd.js
        export GW_SWAGGER_UI_DIR=$ROOT/node_modules/swagger-ui-dist
        export GW_TLS_CERT=$TLS_CERT GW_TLS_KEY=$TLS_KEY
        export GW_NGINX_USER_DIRECTIVE=
        if ((IS_ROOT)); then GW_NGINX_USER_DIRECTIVE="user $NGINX_USER $NGINX_GROUP;"; fi
        export GW_V4='' GW_V6='# '
        if [[ "$GW_BIND" == loopback ]]; then
            export GW_BIND4=127.0.0.1: GW_BIND6='[::1]:'
        else
            export GW_BIND4='' GW_BIND6='[::]:'
        fi
        if ((v6)); then GW_V6=; fi
        envsubst "$NGINX_VARS" <"$ROOT/nginx/gw.conf.template" >"$NGINX_CONF.tmp"
    )
    cp "$ROOT"/nginx/gw-*.conf "$STATE/nginx/"
    mv "$NGINX_CONF.tmp" "$NGINX_CONF"
    if ! nginx -t -q -p "$STATE/nginx/" -e "$LOG/nginx-error.log" -c "$NGINX_CONF" \
        </dev/null >"$STATE/nginx/test.out" 2>&1 9>&-; then
        cat "$STATE/nginx/test.out" >&2
        die "nginx -t rejected $NGINX_CONF"
    fi
}

nginx_start() {
    if [[ -n "$(nginx_pid)" ]]; then
        say "nginx already running (pid $(nginx_pid))"
        return 0
    fi
    command -v nginx >/dev/null || die "nginx not found (run scripts/deps.sh)"
    [[ -f "$ROOT/node_modules/chart.js/dist/chart.umd.js" ]] ||
        warn "node_modules/chart.js is missing (run scripts/deps.sh): the dashboard charts will 404"
    render_nginx
    rm -f "$RUN/nginx.pid"
    if ! nginx -p "$STATE/nginx/" -e "$LOG/nginx-error.log" -c "$NGINX_CONF" \
        </dev/null >>"$LOG/nginx-error.log" 2>&1 9>&-; then
        show_log "$LOG/nginx-error.log"
        die "nginx did not start"
    fi
    local n=50
    until [[ -n "$(nginx_pid)" ]] || ((n-- <= 0)); do sleep 0.1; done
    [[ -n "$(nginx_pid)" ]] || { show_log "$LOG/nginx-error.log"; die "nginx did not start"; }
    say "nginx started (pid $(nginx_pid); API :$PORT, dashboard :$DASHBOARD_PORT, checkout :$CHECKOUT_PORT, TLS :$TLS_PORT)"
}

nginx_stop() {
    stop_pid nginx "$RUN/nginx.pid" nginx TERM 15
}

# make reload: a new configuration from the template (render_nginx runs nginx -t, so a broken
# template leaves the running nginx untouched), then SIGHUP: workers finish their requests.
nginx_reload() {
    local pid
    pid=$(nginx_pid)
    [[ -n "$pid" ]] || die "nginx is not running in $STATE (make run first)"
    render_nginx
    kill -HUP "$pid" || die "cannot signal nginx (pid $pid)"
    say "nginx reloaded (pid $pid) with $NGINX_CONF"
}

# ---- health ----------------------------------------------------------------------------------
wait_health() {
    local deadline=$((SECONDS + GW_START_TIMEOUT)) body=
    until body=$(curl -fsS --max-time 5 "http://127.0.0.1:$PORT/health" 2>/dev/null); do
        if ((SECONDS >= deadline)); then
            warn "no answer from http://127.0.0.1:$PORT/health within ${GW_START_TIMEOUT}s"
            show_log "$LOG/api.log"
            show_log "$LOG/nginx-error.log"
            show_log "$LOG/worker.log"
            die "the stack did not become healthy (logs in $LOG)"
        fi
        sleep 0.25
    done
    # Give the worker a moment to report its heartbeat; a degraded answer is not fatal here.
    local n=60
    while [[ "$body" != *'"status":"healthy"'* ]] && ((n-- > 0)); do
        sleep 0.25
        body=$(curl -fsS --max-time 5 "http://127.0.0.1:$PORT/health" 2>/dev/null || true)
    done
    say "health: $body"
}

status() {
    local name pid state
    printf '%-14s %-8s %s\n' COMPONENT PID STATE
    for name in postgres redis gw-fcgi gw-fcgi-login supervisor gw-worker nginx; do
        case $name in
        postgres) pid=$(pg_pid) ;;
        redis) pid=$(redis_pid) ;;
        gw-fcgi | gw-fcgi-login) pid=$(pool_pid "$name") ;;
        supervisor) pid=$(pidof_file "$RUN/supervise-worker.pid"); alive "$pid" supervise.sh || pid= ;;
        gw-worker) pid=$(pidof_file "$RUN/gw-worker.pid"); alive "$pid" gw-worker || pid= ;;
        nginx) pid=$(nginx_pid) ;;
        esac
        state=stopped
        [[ -n "$pid" ]] && state=running
        if [[ $name == postgres && $GW_OWN_PG == 0 ]] || [[ $name == redis && $GW_OWN_REDIS == 0 ]]; then
            state=external
        fi
        printf '%-14s %-8s %s\n' "$name" "${pid:--}" "$state"
    done
}

stack_start() {
    local fresh=1
    real_ip_check
    any_running && fresh=0
    pg_start
    pg_bootstrap
    redis_start
    save_env
    migrate
    api_start
    worker_start
    nginx_start
    wait_health
    ((fresh)) || say "(the stack was already running: only missing components were started)"
    say "stack up; state in $STATE, logs in $LOG"
}

stack_stop() {
    nginx_stop
    worker_stop
    api_stop
    redis_stop
    pg_stop
}

case "$CMD" in
start) stack_start ;;
stop) stack_stop ;;
status) status ;;
pg-start) apply_overrides; pg_start ;;
pg-stop) pg_stop ;;
redis-start) apply_overrides; redis_start ;;
redis-stop) redis_stop ;;
worker-start) apply_overrides; worker_start ;;
worker-stop) worker_stop ;;
worker-kill9) worker_kill9 ;;
api-restart) api_stop; apply_overrides; api_start ;;
pool-kill9) pool_kill9 "$POOL_N" ;;
nginx-restart) nginx_stop; apply_overrides; nginx_start ;;
nginx-reload) apply_overrides; nginx_reload ;;
esac
