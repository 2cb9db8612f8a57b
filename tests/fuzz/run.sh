#!/usr/bin/env bash
# run.sh NAME…: runs the libFuzzer targets build/fuzz/fuzz_NAME (built by `make fuzz-build`),
# each for FUZZ_SECONDS seconds (default 60) or FUZZ_RUNS executions when set, on a scratch copy
# of its seed corpus tests/fuzz/corpus/NAME/ under build/fuzz/work/ (the committed corpus never
# grows by itself) with the dictionary tests/fuzz/gateway.dict. Prints the executions of each
# target and the total; exits 1 when any target found something (crash, leak, sanitizer report,
# failed check): the input is left in build/fuzz/work/NAME/ as crash-*, leak-*, timeout-* or
# oom-*, and the target's log in build/fuzz/work/NAME/log.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
FUZZ_RUNS=${FUZZ_RUNS:-}
DICT="$ROOT/tests/fuzz/gateway.dict"
WORK="$ROOT/build/fuzz/work"

if (($# == 0)); then
    echo "usage: $0 NAME..." >&2
    exit 2
fi

# Sanitizer settings: stop at the first report, with a stack; leaks count as findings.
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=0:detect_leaks=1:halt_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

total=0
failed=()
printf '%-10s %14s %10s %8s  %s\n' target executions exec/s seconds result
for name in "$@"; do
    bin="$ROOT/build/fuzz/fuzz_$name"
    dir="$WORK/$name"
    if [[ ! -x "$bin" ]]; then
        echo "run.sh: $bin is missing (make fuzz-build)" >&2
        exit 2
    fi
    rm -rf "$dir"
    mkdir -p "$dir/corpus"
    if [[ -d "$ROOT/tests/fuzz/corpus/$name" ]]; then
        cp -p "$ROOT/tests/fuzz/corpus/$name"/* "$dir/corpus/" 2>/dev/null || true
    fi
    args=(-dict="$DICT" -artifact_prefix="$dir/" -print_final_stats=1 -max_len=8192
        -timeout=10 -rss_limit_mb=2048)
    if [[ -n "$FUZZ_RUNS" ]]; then
        args+=(-runs="$FUZZ_RUNS")
    else
        args+=(-max_total_time="$FUZZ_SECONDS")
    fi
    start=$(date +%s)
    "$bin" "${args[@]}" "$dir/corpus" >"$dir/log" 2>&1
    rc=$?
    secs=$(($(date +%s) - start))
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$dir/log" | tail -1)
    execs=${execs:-0}
    total=$((total + execs))
    if [[ $rc == 0 ]]; then
        result=ok
    else
        result="FAILED (exit $rc, see $dir/log)"
        failed+=("$name")
    fi
    printf '%-10s %14s %10s %8s  %s\n' "$name" "$execs" "${rate:-0}" "$secs" "$result"
done
printf '%-10s %14s\n' total "$total"
if ((${#failed[@]})); then
    echo "fuzz: findings in: ${failed[*]}" >&2
    for name in "${failed[@]}"; do
        echo "---- $name (tail of $WORK/$name/log)" >&2
        tail -n 40 "$WORK/$name/log" >&2
    done
    exit 1
fi
exit 0
