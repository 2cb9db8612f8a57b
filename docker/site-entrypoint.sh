#!/bin/sh
# dashboard / checkout container: static site on port 80, /api/ forwarded to the api container.
set -eu
: "${API_UPSTREAM:=api:8000}"
export API_UPSTREAM
mkdir -p /tmp/gateway/nginx/tmp
cp /etc/gateway/nginx/gw-*.conf /tmp/gateway/nginx/
envsubst '${API_UPSTREAM}' < /etc/gateway/nginx.conf.template > /tmp/gateway/nginx/nginx.conf
exec nginx -p /tmp/gateway/nginx -c /tmp/gateway/nginx/nginx.conf -g 'daemon off;'
