#!/bin/sh
# api container: migrate (waiting for PostgreSQL), start the gw-fcgi pool under spawn-fcgi, then
# nginx in the foreground. Every setting comes from the environment (SPEC section 3).
set -eu
: "${PORT:=8000}" "${TLS_PORT:=8443}" "${RATE_LIMIT_RPS:=100}" "${RATE_LIMIT_BURST:=200}"
: "${FCGI_CHILDREN:=4}"
export PORT TLS_PORT RATE_LIMIT_RPS RATE_LIMIT_BURST FCGI_CHILDREN
state=/tmp/gateway
mkdir -p "$state/run" "$state/log" "$state/tls" "$state/nginx/tmp"

until gatewayctl db migrate; do
    echo "api: waiting for PostgreSQL" >&2
    sleep 2
done

if [ -n "${TLS_CERT_FILE:-}" ] && [ -n "${TLS_KEY_FILE:-}" ]; then
    GW_TLS_CERT=$TLS_CERT_FILE
    GW_TLS_KEY=$TLS_KEY_FILE
else
    GW_TLS_CERT=$state/tls/localhost.crt
    GW_TLS_KEY=$state/tls/localhost.key
    if [ ! -s "$GW_TLS_CERT" ]; then
        openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj /CN=localhost \
            -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
            -keyout "$GW_TLS_KEY" -out "$GW_TLS_CERT" 2>/dev/null
    fi
fi
GW_STATE_DIR=$state
GW_FCGI_SERVER=unix:$state/run/gw-fcgi.sock
export GW_TLS_CERT GW_TLS_KEY GW_STATE_DIR GW_FCGI_SERVER
cp /etc/gateway/nginx/gw-*.conf "$state/nginx/"
envsubst '${PORT} ${TLS_PORT} ${RATE_LIMIT_RPS} ${RATE_LIMIT_BURST} ${GW_STATE_DIR} ${GW_FCGI_SERVER} ${GW_TLS_CERT} ${GW_TLS_KEY}' \
    < /etc/gateway/nginx-api.conf.template > "$state/nginx/nginx.conf"

# gw-fcgi is a prefork master: it keeps FCGI_CHILDREN children alive and replaces dead ones.
spawn-fcgi -n -s "$state/run/gw-fcgi.sock" -M 0600 -- /usr/local/bin/gw-fcgi &
exec nginx -p "$state/nginx" -c "$state/nginx/nginx.conf" -g 'daemon off;'
