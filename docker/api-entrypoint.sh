#!/bin/sh
# api container: migrate (waiting for PostgreSQL), start the gw-fcgi pool and the niced login
# pool under spawn-fcgi, then nginx in the foreground. Every setting comes from the environment
# (SPEC section 3); a bad REAL_IP_FROM stops the container with a message (exit 2).
set -eu
: "${PORT:=8000}" "${TLS_PORT:=8443}" "${RATE_LIMIT_RPS:=100}" "${RATE_LIMIT_BURST:=200}"
: "${FCGI_CHILDREN:=4}" "${REAL_IP_FROM:=127.0.0.1/32 ::1/128}"
: "${GW_LOGIN_CHILDREN:=2}" "${GW_LOGIN_NICE:=10}" "${GW_LOGIN_BACKLOG:=32}"
export PORT TLS_PORT RATE_LIMIT_RPS RATE_LIMIT_BURST FCGI_CHILDREN REAL_IP_FROM
state=/tmp/gateway
# the self-signed certificate lives on the compose volume "tls" (docker-compose.yml)
tls_dir=/var/lib/gateway/tls
mkdir -p "$state/run" "$state/log" "$state/nginx/tmp" "$tls_dir"

# REAL_IP_FROM: space-separated IPv4/IPv6 CIDRs (a bare address is one host). Prints one
# "set_real_ip_from" line (FORMAT real) or geo line (FORMAT geo) per CIDR; exits 2 on a bad one.
real_ip_lines() {
    printf '%s\n' "$REAL_IP_FROM" | awk -v fmt="$1" '
    function v4(a,   n, o, i) {
        n = split(a, o, ".")
        if (n != 4) return 0
        for (i = 1; i <= 4; i++) if (o[i] !~ /^[0-9]+$/ || length(o[i]) > 3 || o[i] + 0 > 255) return 0
        return 1
    }
    function v6(a,   n, g, i, cnt, dbl) {
        if (a !~ /:/ || a !~ /^[0-9A-Fa-f:]+$/ || a ~ /:::/) return 0
        dbl = gsub(/::/, "::", a)
        if (dbl > 1 || a ~ /^:[^:]/ || a ~ /[^:]:$/) return 0
        n = split(a, g, ":"); cnt = 0
        for (i = 1; i <= n; i++) {
            if (g[i] == "") continue
            if (length(g[i]) > 4) return 0
            cnt++
        }
        return dbl ? cnt <= 7 : cnt == 8
    }
    {
        for (i = 1; i <= NF; i++) {
            w = $i; addr = w; pfx = ""; max = 0
            if (index(w, "/")) { addr = substr(w, 1, index(w, "/") - 1); pfx = substr(w, index(w, "/") + 1); if (pfx == "") pfx = "x" }
            if (v4(addr)) max = 32; else if (v6(addr)) max = 128
            if (!max || (pfx != "" && (pfx !~ /^[0-9]+$/ || length(pfx) > 3 || pfx + 0 > max))) {
                printf "api: REAL_IP_FROM: \047%s\047 is not an IPv4 or IPv6 CIDR (e.g. 10.0.0.0/8 fd00::/8)\n", w > "/dev/stderr"
                bad = 1
            }
            out = out (fmt == "real" ? "    set_real_ip_from " w ";" : "        " w " 1;") "\n"
            count++
        }
    }
    END {
        if (!count) { print "api: REAL_IP_FROM is empty (default: 127.0.0.1/32 ::1/128)" > "/dev/stderr"; exit 2 }
        if (bad) exit 2
        printf "%s", out
    }'
}
GW_REAL_IP_FROM=$(real_ip_lines real) || exit 2
GW_REAL_IP_GEO=$(real_ip_lines geo) || exit 2

until gatewayctl db migrate; do
    echo "api: waiting for PostgreSQL" >&2
    sleep 2
done

if [ -n "${TLS_CERT_FILE:-}" ] && [ -n "${TLS_KEY_FILE:-}" ]; then
    GW_TLS_CERT=$TLS_CERT_FILE
    GW_TLS_KEY=$TLS_KEY_FILE
else
    GW_TLS_CERT=$tls_dir/localhost.crt
    GW_TLS_KEY=$tls_dir/localhost.key
    if [ ! -s "$GW_TLS_CERT" ]; then
        openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj /CN=localhost \
            -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
            -keyout "$GW_TLS_KEY" -out "$GW_TLS_CERT" 2>/dev/null
    fi
fi
GW_STATE_DIR=$state
GW_FCGI_SERVER=unix:$state/run/gw-fcgi.sock
GW_FCGI_LOGIN_SERVER=unix:$state/run/gw-fcgi-login.sock
export GW_TLS_CERT GW_TLS_KEY GW_STATE_DIR GW_FCGI_SERVER GW_FCGI_LOGIN_SERVER GW_REAL_IP_FROM GW_REAL_IP_GEO
cp /etc/gateway/nginx/gw-*.conf "$state/nginx/"
# shellcheck disable=SC2016 # literal ${VAR} names for envsubst
envsubst '${PORT} ${TLS_PORT} ${RATE_LIMIT_RPS} ${RATE_LIMIT_BURST} ${GW_STATE_DIR} ${GW_FCGI_SERVER} ${GW_FCGI_LOGIN_SERVER} ${GW_TLS_CERT} ${GW_TLS_KEY} ${GW_REAL_IP_FROM} ${GW_REAL_IP_GEO}' \
    < /etc/gateway/nginx-api.conf.template > "$state/nginx/nginx.conf"

# gw-fcgi is a prefork master: it keeps FCGI_CHILDREN children alive and replaces dead ones.
spawn-fcgi -n -s "$state/run/gw-fcgi.sock" -M 0600 -- /usr/local/bin/gw-fcgi &
# The login pool: POST /api/v1/dashboard/login (PBKDF2) on its own niced children, so that
# password derivations lose the CPU to the API's children; a short backlog turns a long storm's
# excess into immediate 503s instead of a queue that would exhaust nginx's connections.
FCGI_CHILDREN=$GW_LOGIN_CHILDREN nice -n "$GW_LOGIN_NICE" \
    spawn-fcgi -n -s "$state/run/gw-fcgi-login.sock" -b "$GW_LOGIN_BACKLOG" -M 0600 -- /usr/local/bin/gw-fcgi &
exec nginx -p "$state/nginx" -c "$state/nginx/nginx.conf" -g 'daemon off;'
