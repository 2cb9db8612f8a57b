// The README's commands from a fresh clone (issue 14), opt-in because it builds a release, may
// install packages and node_modules, and uses the `make run` ports: GW_FRESH_CLONE_TEST=1.
// git clone of this checkout (committed state) into a temporary folder; `make test-unit` (builds
// and runs the Check tests after `scripts/deps.sh --test`, what `make test` starts with); then
// `make run`, /health on port 8000, ./gatewayctl reading var/env, `make reload`, `make stop`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const RUN_PORTS = [8000, 3000, 3001, 8443, 55432, 56379];

function portFree(port) {
    return new Promise((resolve) => {
        const s = net.connect({ port, host: '127.0.0.1' });
        s.once('connect', () => {
            s.destroy();
            resolve(false);
        });
        s.once('error', () => resolve(true));
    });
}

function sh(cwd, cmd, args, env = {}) {
    const r = spawnSync(cmd, args, { cwd, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 30 * 60000 });
    assert.equal(r.status, 0, `${cmd} ${args.join(' ')} failed:\n${(r.stdout || '').slice(-3000)}\n${(r.stderr || '').slice(-3000)}`);
    return r.stdout;
}

test('fresh clone: make test-unit, make run, /health, ./gatewayctl, make reload, make stop',
    { skip: process.env.GW_FRESH_CLONE_TEST !== '1' && 'set GW_FRESH_CLONE_TEST=1 (uses the make run ports)', timeout: 40 * 60000 },
    async () => {
        for (const p of RUN_PORTS) assert.ok(await portFree(p), `port ${p} is in use: stop what uses it (make stop?)`);
        const dir = mkdtempSync(path.join(tmpdir(), 'gw-fresh-'));
        const clean = { DATABASE_URL: '', REDIS_URL: '', GW_STATE_DIR: '', GW_BIN_DIR: '', PORT: '', DASHBOARD_PORT: '',
            CHECKOUT_PORT: '', TLS_PORT: '', GW_PG_PORT: '', GW_REDIS_PORT: '' };
        const env = Object.fromEntries(Object.entries({ ...process.env, ...clean }).filter(([, v]) => v !== ''));
        const run = (cmd, args) => {
            const r = spawnSync(cmd, args, { cwd: path.join(dir, 'gw'), env, encoding: 'utf8', timeout: 30 * 60000 });
            assert.equal(r.status, 0, `${cmd} ${args.join(' ')}:\n${(r.stdout || '').slice(-3000)}\n${(r.stderr || '').slice(-3000)}`);
            return r.stdout;
        };
        try {
            sh(dir, 'git', ['clone', '-q', ROOT, 'gw']);
            run('make', ['test-unit']);
            run('scripts/deps.sh', ['--check', '--test']);
            run('make', ['run']);
            try {
                const h = await (await fetch('http://127.0.0.1:8000/health')).json();
                assert.equal(h.database, 'connected');
                const env2 = { ...env };
                delete env2.DATABASE_URL;
                const list = execFileSync('./gatewayctl', ['merchant', 'list'], { cwd: path.join(dir, 'gw'), env: env2, encoding: 'utf8' });
                assert.match(list, /"email":"test@example.com"/);
                run('make', ['reload']);
                assert.equal((await fetch('http://127.0.0.1:8000/health')).status, 200);
            } finally {
                run('make', ['stop']);
            }
            for (const p of RUN_PORTS) assert.ok(await portFree(p), `port ${p} free after make stop`);
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    });
