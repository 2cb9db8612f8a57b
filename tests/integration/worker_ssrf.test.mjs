// Worker: SSRF protection (SPEC 3, 11.3). With WEBHOOK_BLOCK_PRIVATE=true every non-public
// destination fails at connect time with "Destination address not allowed", including the
// forms that embed a loopback address (NAT64, 6to4, IPv4-compatible, IPv4-mapped) and the
// benchmarking range; proxies from the worker's environment are never used; and a value other
// than exactly true/false stops gw-worker and gw-fcgi at startup with status 2.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { BIN_DIR, sleep } from '../lib/api.mjs';
import { startReceiver } from '../lib/receiver.mjs';
import { STACK, waitHealthy } from '../lib/stack.mjs';
import { logRow, merchantWithHook, restartWorker } from './worker_helpers.mjs';

const BLOCKED = 'Destination address not allowed';
const rx = {};

/* A port on 127.0.0.1 with no listener (connection refused). */
async function deadPort() {
    return await new Promise((resolve, reject) => {
        const s = net.createServer();
        s.once('error', reject);
        s.listen(0, '127.0.0.1', () => {
            const { port } = s.address();
            s.close(() => resolve(port));
        });
    });
}

/* Waits until the log has at least one attempt; returns the row. */
async function firstAttempt(id, timeoutMs) {
    const end = Date.now() + timeoutMs;
    let row;
    while (Date.now() < end) {
        row = await logRow(id);
        if (row.attempts >= 1) return row;
        await sleep(100);
    }
    return row;
}

/* $GW_STACK cmd with extra variables in its environment (names of any case; the stack's
 * VAR=value overrides allow only upper case, and http_proxy is lower case). */
function stackEnv(env, cmd, ...args) {
    const e = { ...process.env, ...env };
    delete e.no_proxy;
    delete e.NO_PROXY;
    return new Promise((resolve, reject) => {
        execFile(STACK, [cmd, ...args], { env: e, timeout: 120000 }, (err, stdout, stderr) => {
            if (err) {
                err.message += `\n${stdout}\n${stderr}`;
                reject(err);
            } else resolve(stdout);
        });
    });
}

/* Restarts the worker with env added to its environment and the stack overrides. */
async function restartWorkerEnv(env, ...overrides) {
    await stackEnv({}, 'worker-stop');
    await stackEnv(env, 'worker-start', ...overrides);
    await waitHealthy(30000, (h) => h?.json?.worker === 'running');
}

/* Runs a binary with exactly env (plus PATH); resolves { code, stderr }. */
function runBinary(name, env) {
    return new Promise((resolve) => {
        execFile(path.join(BIN_DIR, name), [], { env: { PATH: process.env.PATH, ...env }, timeout: 15000 },
            (err, stdout, stderr) => {
                resolve({ code: err ? err.code : 0, signal: err?.signal ?? null, stdout, stderr });
            });
    });
}

before(async () => {
    rx.ok = await startReceiver({ mode: '200' });
});

after(async () => {
    for (const r of Object.values(rx)) await r.close();
    await restartWorker();
});

describe('WEBHOOK_BLOCK_PRIVATE=true', () => {
    before(async () => {
        await restartWorker('WEBHOOK_RETRY_INTERVALS_TEST=true', 'WEBHOOK_BLOCK_PRIVATE=true');
    });

    it('every non-public destination fails with "Destination address not allowed" and no request', async () => {
        const port = rx.ok.port;
        const urls = [
            `http://198.18.0.1/webhook`,                     // benchmarking 198.18/15
            `http://198.19.255.254:${port}/webhook`,          // its last address
            `http://[64:ff9b::7f00:1]:${port}/webhook`,       // NAT64 of 127.0.0.1
            `http://[64:ff9b:1::7f00:1]:${port}/webhook`,     // local-use NAT64
            `http://[2002:7f00:1::1]/webhook`,                // 6to4 of 127.0.0.1
            `http://[2001::1]:${port}/webhook`,               // Teredo
            `http://[::127.0.0.1]:${port}/webhook`,           // IPv4-compatible loopback
            `http://[::ffff:127.0.0.1]:${port}/webhook`,      // IPv4-mapped loopback
            `http://[::ffff:100.64.0.1]:${port}/webhook`,     // IPv4-mapped shared address space
            `http://100.64.0.1:${port}/webhook`,              // shared address space
            `http://127.0.0.1:${port}/webhook`,               // loopback
            `http://[::1]:${port}/webhook`,                   // IPv6 loopback
            `http://0.0.0.0:${port}/webhook`,                 // unspecified
        ];
        const logIds = [];
        for (let i = 0; i < urls.length; i++) {
            const m = await merchantWithHook(`ssrf${i}`, `10.7.9.${i + 1}`, urls[i]);
            const r = await m.client.post('/api/v1/merchant/webhook/test');
            assert.equal(r.status, 202, `${urls[i]}: ${r.text}`);
            logIds.push(r.json.id);
        }
        const rows = await Promise.all(logIds.map((id) => firstAttempt(id, 8000)));
        rows.forEach((row, i) => {
            assert.equal(row.attempts >= 1, true, `${urls[i]}: first attempt recorded`);
            assert.equal(row.response_body, BLOCKED, `${urls[i]}: response_body`);
            assert.equal(row.response_code, null, `${urls[i]}: no response code`);
            /* Retried later: still pending, or (on a slow machine, the test retry schedule being
             * seconds long) every attempt already made, each of them blocked. */
            assert.ok(row.status === 'pending' || (row.status === 'failed' && row.attempts === 5),
                `${urls[i]}: retried later (${row.status}, ${row.attempts} attempts)`);
        });
        assert.equal(rx.ok.requests.length, 0, 'no request reached the loopback receiver');
    });
});

describe('proxies from the environment are ignored', () => {
    it('with http_proxy, HTTPS_PROXY and ALL_PROXY at a dead port, delivery goes straight to the receiver', async () => {
        const dead = `http://127.0.0.1:${await deadPort()}`;
        await restartWorkerEnv({
            http_proxy: dead, HTTP_PROXY: dead, https_proxy: dead, HTTPS_PROXY: dead,
            ALL_PROXY: dead, all_proxy: dead,
        }, 'WEBHOOK_RETRY_INTERVALS_TEST=true', 'WEBHOOK_BLOCK_PRIVATE=false');
        // A receiver of its own: the blocked logs above are retried by this unblocked worker.
        rx.direct = await startReceiver({ mode: '200' });
        const m = await merchantWithHook('ssrfproxy', '10.7.9.101', rx.direct.url);
        const r = await m.client.post('/api/v1/merchant/webhook/test');
        assert.equal(r.status, 202, r.text);
        const row = await firstAttempt(r.json.id, 8000);
        assert.equal(row.response_body, 'ok', `delivered directly (got ${row.response_body})`);
        assert.equal(row.response_code, 200);
        assert.equal(row.status, 'success');
        const got = rx.direct.requests.filter((q) => q.headers['webhook-id'] === r.json.id);
        assert.equal(got.length, 1, 'the receiver got the request itself');
    });

    it('with blocking on and a loopback proxy in the environment, a public target is not blocked', async () => {
        // Were the proxy used, the connect-time check would judge the proxy (loopback) and
        // block; without it the worker tries the documentation address itself and fails
        // some other way (unreachable or timeout), never with "Destination address not allowed".
        const dead = `http://127.0.0.1:${await deadPort()}`;
        await restartWorkerEnv({ http_proxy: dead, ALL_PROXY: dead },
            'WEBHOOK_RETRY_INTERVALS_TEST=true', 'WEBHOOK_BLOCK_PRIVATE=true');
        const m = await merchantWithHook('ssrfproxy2', '10.7.9.102', 'http://192.0.2.1:9/webhook');
        const r = await m.client.post('/api/v1/merchant/webhook/test');
        assert.equal(r.status, 202, r.text);
        const row = await firstAttempt(r.json.id, 10000);
        assert.equal(row.attempts, 1, 'first attempt recorded');
        assert.notEqual(row.response_body, BLOCKED);
        assert.equal(row.response_code, null);
    });
});

describe('startup configuration', () => {
    const base = () => ({
        DATABASE_URL: process.env.DATABASE_URL || 'postgresql://u:p@127.0.0.1:1/x',
        REDIS_URL: process.env.REDIS_URL || 'redis://127.0.0.1:1',
    });

    for (const bin of ['gw-worker', 'gw-fcgi']) {
        for (const value of ['TRUE', '1', 'yes', '']) {
            it(`${bin} with WEBHOOK_BLOCK_PRIVATE='${value}' exits 2 naming the variable and value`, async () => {
                const r = await runBinary(bin, { ...base(), WEBHOOK_BLOCK_PRIVATE: value });
                assert.equal(r.code, 2, `exit status (stderr: ${r.stderr})`);
                assert.match(r.stderr, /WEBHOOK_BLOCK_PRIVATE/);
                assert.ok(r.stderr.includes(`'${value}'`), `value in the message: ${r.stderr}`);
            });
        }
        it(`${bin} with REAL_IP_FROM='127.0.0.1/32 bogus' exits 2`, async () => {
            const r = await runBinary(bin, { ...base(), REAL_IP_FROM: '127.0.0.1/32 bogus' });
            assert.equal(r.code, 2, `exit status (stderr: ${r.stderr})`);
            assert.match(r.stderr, /REAL_IP_FROM/);
            assert.match(r.stderr, /bogus/);
        });
    }
});
