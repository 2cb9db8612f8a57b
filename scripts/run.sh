#!/usr/bin/env bash
# run.sh: `make run`. Starts the whole stack from build/release with its state in var/ (kept
# between runs: a second `make run` reuses the database) and prints where everything is.
# Stop it with `make stop` (scripts/stop.sh). Any variable of SPEC section 3 may be exported
# first (or put in .env, which is read when present) to override the defaults.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

if [[ -f "$ROOT/.env" ]]; then
    # KEY=value lines; the caller's environment wins over the file.
    while IFS= read -r line || [[ -n "$line" ]]; do
        [[ "$line" =~ ^[[:space:]]*([A-Z_][A-Z0-9_]*)=(.*)$ ]] || continue
        k=${BASH_REMATCH[1]} v=${BASH_REMATCH[2]}
        v=${v%\"}; v=${v#\"}; v=${v%\'}; v=${v#\'}
        [[ -n "${!k+x}" ]] || export "$k=$v"
    done <"$ROOT/.env"
fi

export GW_STATE_DIR=${GW_STATE_DIR:-$ROOT/var}
export GW_BIN_DIR=${GW_BIN_DIR:-$ROOT/build/release}
export GW_PG_PORT=${GW_PG_PORT:-55432}
export GW_REDIS_PORT=${GW_REDIS_PORT:-56379}

"$ROOT/scripts/stack.sh" start

# shellcheck disable=SC1091
. "$GW_STATE_DIR/env"
cat <<EOT

Gateway is running (state and logs in $GW_STATE_DIR):
  API         http://localhost:$PORT          (health: http://localhost:$PORT/health)
  Dashboard   http://localhost:$DASHBOARD_PORT/login
  Checkout    http://localhost:$CHECKOUT_PORT/checkout?order_id=<order id>   SDK: http://localhost:$CHECKOUT_PORT/checkout.js
  TLS         https://localhost:$TLS_PORT     (self-signed certificate unless TLS_CERT_FILE/TLS_KEY_FILE)
Test merchant (seeded; test-mode convenience: the dashboard accepts any password for it):
  email       $TEST_MERCHANT_EMAIL
  X-Api-Key   $TEST_API_KEY
  X-Api-Secret $TEST_API_SECRET
Try: curl -s -X POST http://localhost:$PORT/api/v1/orders -H 'Content-Type: application/json' \\
       -H 'X-Api-Key: $TEST_API_KEY' -H 'X-Api-Secret: $TEST_API_SECRET' -d '{"amount":50000,"currency":"INR"}'
Stop with: make stop
EOT
