#!/usr/bin/env bash
# deps.sh [--check] [--test]: make sure the build and run dependencies are present (Debian 12);
# with --test also the test and lint tools (chromium, docker-compose, clang-format, clang-tidy,
# cppcheck, wrk), which `make test`, `make lint`, `make bench` and .ci/run ask for and `make run`
# does not need.
#
# Without --check: installs the missing Debian packages (apt-get as root, else sudo; never
# prompts, `apt-get update` only when something is missing), then runs `npm ci` in the repository
# root when node_modules does not match package-lock.json.
# With --check: installs nothing; lists what is missing and exits 1 if anything is.
#
# Debian's nginx, redis-server and postgresql packages start their own services on the default
# ports (80, 6379, 5432) when installed. The stack never uses those ports, so they would not get
# in the way; still, the install runs with a temporary /usr/sbin/policy-rc.d that forbids service
# starts (when no policy exists yet), so nothing starts behind our back.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CHECK=0
TEST=0
for arg in "$@"; do
    case "$arg" in
    --check) CHECK=1 ;;
    --test) TEST=1 ;;
    -h | --help)
        sed -n '2,15p' "${BASH_SOURCE[0]}"
        exit 0
        ;;
    *)
        echo "usage: $0 [--check] [--test]" >&2
        exit 2
        ;;
    esac
done

# Build and run (make run). check (the C unit test library) is a build dependency of `make`.
PKGS=(build-essential pkg-config libfcgi-dev libfcgi-bin spawn-fcgi libpq-dev libhiredis-dev
    libjson-c-dev libssl-dev libcurl4-openssl-dev check postgresql redis-server nginx
    gettext-base openssl curl procps iproute2)
# Tests, lint and benchmarks only.
if [[ $TEST == 1 ]]; then
    PKGS+=(chromium docker-compose clang-format clang-tidy cppcheck wrk clang libclang-rt-14-dev)
fi
# Node: Debian's nodejs + npm only when no node is installed (a NodeSource node ships its own npm
# and conflicts with Debian's npm package).
if ! command -v node >/dev/null 2>&1; then
    PKGS+=(nodejs npm)
elif ! command -v npm >/dev/null 2>&1; then
    PKGS+=(npm)
fi

missing=()
if command -v dpkg-query >/dev/null 2>&1; then
    # One dpkg-query call for all packages: "name ii " for installed ones.
    declare -A have=()
    while read -r name status; do
        [[ "$status" == ii* ]] && have[$name]=1
    done < <(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "${PKGS[@]}" 2>/dev/null || true)
    for p in "${PKGS[@]}"; do
        [[ -n "${have[$p]:-}" ]] || missing+=("$p")
    done
else
    echo "deps.sh: dpkg-query not found; this script supports Debian 12 only" >&2
    [[ $CHECK == 1 ]] && exit 1
fi

# node_modules is stale when a package of package-lock.json is missing from it or has another
# version (optional packages for other platforms aside). Comparing contents, not mtimes: a checkout
# that touches package-lock.json, or a node_modules installed without npm's hidden lock file,
# does not trigger a needless `npm ci`.
npm_stale() {
    [[ -f "$ROOT/package.json" ]] || return 1
    [[ -d "$ROOT/node_modules" ]] || return 0
    [[ -f "$ROOT/package-lock.json" ]] || return 1
    command -v node >/dev/null 2>&1 || return 0
    node -e '
        const fs = require("fs"), path = require("path");
        const root = process.argv[1];
        const lock = JSON.parse(fs.readFileSync(path.join(root, "package-lock.json"), "utf8"));
        for (const [p, meta] of Object.entries(lock.packages || {})) {
            if (!p.startsWith("node_modules/") || meta.link) continue;
            let have = null;
            try {
                have = JSON.parse(fs.readFileSync(path.join(root, p, "package.json"), "utf8")).version;
            } catch (e) {
                if (meta.optional) continue;
            }
            if (have !== meta.version) process.exit(0);
        }
        process.exit(1);
    ' "$ROOT"
}

if [[ $CHECK == 1 ]]; then
    rc=0
    if ((${#missing[@]})); then
        echo "deps.sh: missing Debian packages: ${missing[*]} (run scripts/deps.sh$([[ $TEST == 1 ]] && echo " --test"))" >&2
        rc=1
    fi
    if npm_stale; then
        echo "deps.sh: node_modules does not match package-lock.json (run scripts/deps.sh)" >&2
        rc=1
    fi
    exit $rc
fi

if ((${#missing[@]})); then
    echo "deps.sh: installing ${missing[*]}"
    SUDO=()
    if [[ $(id -u) != 0 ]]; then
        command -v sudo >/dev/null 2>&1 || {
            echo "deps.sh: not root and no sudo; install as root: apt-get install ${missing[*]}" >&2
            exit 1
        }
        if [[ -t 0 ]]; then SUDO=(sudo); else SUDO=(sudo -n); fi
    fi
    policy_added=0
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
        printf '#!/bin/sh\n# added by gateway scripts/deps.sh during apt-get install\nexit 101\n' |
            "${SUDO[@]}" tee /usr/sbin/policy-rc.d >/dev/null
        "${SUDO[@]}" chmod 0755 /usr/sbin/policy-rc.d
        policy_added=1
    fi
    cleanup_policy() {
        if [[ $policy_added == 1 ]]; then "${SUDO[@]}" rm -f /usr/sbin/policy-rc.d; fi
    }
    trap cleanup_policy EXIT
    export DEBIAN_FRONTEND=noninteractive
    APT=("${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -y -q
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
    "${APT[@]}" update </dev/null
    "${APT[@]}" install "${missing[@]}" </dev/null
    cleanup_policy
    policy_added=0
    trap - EXIT
fi

if npm_stale; then
    cd "$ROOT"
    if [[ -f package-lock.json ]]; then
        echo "deps.sh: npm ci"
        npm ci --no-audit --no-fund </dev/null
    else
        echo "deps.sh: npm install"
        npm install --no-audit --no-fund </dev/null
    fi
fi
exit 0
