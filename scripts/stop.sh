#!/usr/bin/env bash
# stop.sh: `make stop`. Stops the stack started by `make run` (state in var/); data is kept.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export GW_STATE_DIR=${GW_STATE_DIR:-$ROOT/var}
if [[ ! -d "$GW_STATE_DIR" ]]; then
    echo "stop: nothing to stop ($GW_STATE_DIR does not exist)"
    exit 0
fi
exec "$ROOT/scripts/stack.sh" stop
