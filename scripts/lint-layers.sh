#!/usr/bin/env bash
# lint-layers.sh: the two faces and the CLI speak only core's vocabulary (issue 10). Fails when
# fcgi-app/, worker/ or ctl/ contain SQL text, Redis command names used as commands, raw Redis
# calls, or include the libpq / hiredis headers: every statement lives in core/ and every Redis
# verb in core/queue.c. Called by `make lint`.
set -euo pipefail
cd "$(dirname "$0")/.."


files=$(find fcgi-app worker ctl -type f \( -name '*.c' -o -name '*.h' \) | sort)
status=0

check() {
    local what=$1 regex=$2 flags=$3 hits
    # shellcheck disable=SC2086
    hits=$(grep -nE $flags -- "$regex" $files || true)
    if [ -n "$hits" ]; then
        printf '%s\n' "$hits"
        echo "lint: $what outside core/ (issue 10: core owns the vocabulary)"
        status=1
    fi
}

# A string literal that starts a SQL statement. Bare method names such as "DELETE" (route
# table, metrics) do not match: a statement needs its second word.
check 'SQL text' \
    '"[[:space:]]*(select[[:space:]][^"]*([[:space:]]from[[:space:]]|[[:space:]][0-9])|insert[[:space:]]+into[[:space:]]|update[[:space:]]+[a-z_.]+([[:space:]]+[a-z_]+)?[[:space:]]+set[[:space:]]|delete[[:space:]]+from[[:space:]]|with[[:space:]]+[a-z_]+[[:space:]]+as[[:space:]]*\(|(create|alter|drop|truncate)[[:space:]]+(table|index)[[:space:]]|(begin|commit|rollback)[";[:space:]])' -i
# A statement definition (core/db.h's struct db_stmt) is SQL whatever its text.
check 'statement definition' 'struct[[:space:]]+db_stmt[[:space:]]+[a-z_]+[[:space:]]*=' ''
# A Redis command name as a whole string literal, or Lua calling Redis. GET and SET are HTTP
# methods too (the route table), so they are left out.
check 'Redis command' \
    '"(LPUSH|RPUSH|LPOP|RPOP|LMOVE|BLMOVE|LREM|LRANGE|LLEN|LINDEX|RPOPLPUSH|BRPOPLPUSH|ZADD|ZREM|ZCARD|ZSCORE|ZRANGE|ZRANGEBYSCORE|ZPOPMIN|HINCRBY|HGET|HSET|HDEL|HMGET|HVALS|HGETALL|INCR|INCRBY|EXISTS|EXPIRE|DEL|MULTI|EXEC|EVAL|EVALSHA|SCRIPT|FLUSHALL|FLUSHDB|PING|AUTH|SELECT)"|redis\.call' ''
# Raw commands: only queue.c composes them.
check 'raw Redis command call' '\b(queue_cmd|queue_cmdv|redisCommand[A-Za-z]*|redisAppendCommand[A-Za-z]*)[[:space:]]*\(' ''
# Library headers: only core/db.c uses libpq, only core/queue.c hiredis.
check 'libpq/hiredis header' '#[[:space:]]*include[[:space:]]*[<"](libpq-fe\.h|libpq/|postgresql/|hiredis)' ''
# Library calls (PQ*, redis*): the same rule, for code that got the declarations another way.
check 'libpq/hiredis call' '\b(PQ[a-z][A-Za-z]*|redis(Connect|Free|GetReply|Reconnect)[A-Za-z]*)[[:space:]]*\(' ''

exit $status
