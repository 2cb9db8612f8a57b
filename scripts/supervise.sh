#!/usr/bin/env bash
# shellcheck disable=SC2317 # on_term runs from a trap
# supervise.sh --pidfile FILE [--name NAME] -- COMMAND [ARG...]
#
# Runs COMMAND and restarts it 0.5 s after it exits, whatever the reason (crash, kill -9, exit
# status). The child's pid is written to FILE each time it starts. On SIGTERM (or SIGINT) the
# supervisor sends SIGTERM to the child, waits for it, removes FILE and exits 0. Its own log lines
# go to standard error as JSON, like the other components (SPEC 18).
set -uo pipefail

pidfile=
name=
while (($#)); do
    case "$1" in
    --pidfile) pidfile=$2; shift 2 ;;
    --name) name=$2; shift 2 ;;
    --) shift; break ;;
    *) break ;;
    esac
done
if [[ -z "$pidfile" || $# -eq 0 ]]; then
    echo "usage: $0 --pidfile FILE [--name NAME] -- COMMAND [ARG...]" >&2
    exit 2
fi
name=${name:-$(basename "$1")}

log() { # level msg [extra json members]
    printf '{"ts":"%s","level":"%s","service":"supervise","msg":"%s","program":"%s"%s}\n' \
        "$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)" "$1" "$2" "$name" "${3:-}" >&2
}

child=
stopping=0
on_term() {
    stopping=1
    if [[ -n "$child" ]]; then kill -TERM "$child" 2>/dev/null; fi
}
trap on_term TERM INT
trap '' HUP

while ((!stopping)); do
    "$@" </dev/null &
    child=$!
    echo "$child" >"$pidfile"
    log info "started" ",\"pid\":$child"
    # wait returns early (status > 128) when a trapped signal arrives; wait again for the child.
    while :; do
        wait "$child"
        status=$?
        kill -0 "$child" 2>/dev/null || break
    done
    if ((stopping)); then
        log info "stopped" ",\"pid\":$child,\"status\":$status"
        break
    fi
    if ((status > 128)); then
        log warn "exited on a signal, restarting" ",\"pid\":$child,\"signal\":$((status - 128))"
    else
        log warn "exited, restarting" ",\"pid\":$child,\"status\":$status"
    fi
    child=
    sleep 0.5 &
    wait $! 2>/dev/null
done
rm -f "$pidfile"
exit 0
