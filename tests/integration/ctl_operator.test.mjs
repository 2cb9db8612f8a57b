// gatewayctl for operators (issue 14): merchant list, deactivate and activate (keys and sessions
// refused while inactive), webhooks dlq list with each entry's merchant and event, and the root
// ./gatewayctl wrapper that reads the stack's env file when DATABASE_URL is unset.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { Client, DASHBOARD_URL, createMerchant, gatewayctl } from '../lib/api.mjs';
import { lit, sql } from '../lib/db.mjs';
import { STATE_DIR } from '../lib/stack.mjs';
import { redis } from './worker_helpers.mjs';

const IP = '10.66.16.1';

function wrapper(args, env) {
    return new Promise((resolve) => {
        execFile(path.resolve('gatewayctl'), args, { env }, (err, stdout, stderr) => {
            resolve({ code: err ? err.code : 0, stdout, stderr });
        });
    });
}

describe('gatewayctl merchant list, deactivate, activate', () => {
    it('lists every merchant, one JSON line each, without secrets', async () => {
        const m = await createMerchant('ctllist');
        const r = await gatewayctl(['merchant', 'list']);
        assert.equal(r.code, 0, r.stderr);
        const rows = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
        const mine = rows.find((x) => x.id === m.id);
        assert.deepEqual(Object.keys(mine), ['id', 'name', 'email', 'api_key', 'is_active', 'webhook_url', 'password_set', 'created_at']);
        assert.equal(mine.email, m.email);
        assert.equal(mine.is_active, true);
        assert.equal(mine.password_set, true);
        assert.ok(!r.stdout.includes(m.api_secret) && !r.stdout.includes(m.webhook_secret));
        assert.equal((await gatewayctl(['merchant', 'list', 'extra'])).code, 2);
    });

    it('deactivate refuses the keys and ends the sessions; activate restores the keys', async () => {
        const m = await createMerchant('ctlactive');
        const c = new Client({ ip: IP, key: m.api_key, secret: m.api_secret });
        assert.equal((await c.get('/api/v1/merchant')).status, 200);
        const dash = new Client({ ip: IP, base: DASHBOARD_URL });
        const login = await dash.post('/api/v1/dashboard/login', { email: m.email, password: m.password }, { auth: false });
        assert.equal(login.status, 200, login.text);
        const cookie = login.headers.get('set-cookie').split(';')[0];
        const session = () => dash.get('/api/v1/dashboard/session', { auth: false, headers: { Cookie: cookie } });
        assert.equal((await session()).status, 200);

        const off = await gatewayctl(['merchant', 'deactivate', m.email.toUpperCase()]);
        assert.equal(off.code, 0, off.stderr);
        assert.deepEqual(JSON.parse(off.stdout), { id: m.id, email: m.email, is_active: false });
        assert.equal((await c.get('/api/v1/merchant')).status, 401);
        assert.equal((await session()).status, 401);
        assert.equal(await sql(`SELECT count(*) FROM dashboard_sessions WHERE merchant_id = ${lit(m.id)}`), '0');

        const on = await gatewayctl(['merchant', 'activate', m.id]);
        assert.equal(on.code, 0, on.stderr);
        assert.deepEqual(JSON.parse(on.stdout), { id: m.id, email: m.email, is_active: true });
        assert.equal((await c.get('/api/v1/merchant')).status, 200);
        assert.equal((await session()).status, 401, 'the ended session stays ended');

        const unknown = await gatewayctl(['merchant', 'deactivate', 'nobody@example.invalid']);
        assert.equal(unknown.code, 1);
        assert.match(unknown.stderr, /merchant not found/);
        assert.equal((await gatewayctl(['merchant', 'activate'])).code, 2);
    });
});

describe('gatewayctl webhooks dlq list', () => {
    it('shows each entry with its merchant and event', async () => {
        const m = await createMerchant('ctldlq');
        const c = new Client({ ip: IP, key: m.api_key, secret: m.api_secret });
        assert.equal((await c.put('/api/v1/merchant/webhook', { webhook_url: 'http://127.0.0.1:9/x' })).status, 200);
        const t = await c.post('/api/v1/merchant/webhook/test', {});
        assert.equal(t.status, 202, t.text);
        const order = await c.createOrder();
        const pay = await c.createPayment(order.id);
        // dlq entries as the worker writes them (SPEC 10.1), for a webhook log and a payment job
        const wh = JSON.stringify({ type: 'webhook', id: t.json.id, reason: 'test', failed_at: '2024-01-01T00:00:00Z' });
        const pj = JSON.stringify({ type: 'payment', id: pay.id, reason: 'test', failed_at: '2024-01-01T00:00:00Z' });
        const gone = JSON.stringify({ type: 'webhook', id: randomUUID(), reason: 'test', failed_at: '2024-01-01T00:00:00Z' });
        for (const e of [wh, pj, gone]) await redis('LPUSH', 'dlq', e);
        try {
            const r = await gatewayctl(['webhooks', 'dlq', 'list']);
            assert.equal(r.code, 0, r.stderr);
            const lines = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
            const w = lines.find((x) => x.id === t.json.id);
            assert.deepEqual(w, { ...JSON.parse(wh), merchant_id: m.id, merchant_email: m.email, event: 'webhook.test' });
            const p = lines.find((x) => x.id === pay.id);
            assert.deepEqual(p, { ...JSON.parse(pj), merchant_id: m.id, merchant_email: m.email, event: 'payment job' });
            assert.deepEqual(lines.find((x) => x.id === JSON.parse(gone).id), JSON.parse(gone), 'unknown object: as stored');
        } finally {
            for (const e of [wh, pj, gone]) await redis('LREM', 'dlq', '0', e);
        }
    });
});

describe('./gatewayctl', () => {
    it('reads the stack env file when DATABASE_URL is unset', async () => {
        const env = { PATH: process.env.PATH, HOME: process.env.HOME || '/tmp', GW_STATE_DIR: path.resolve(STATE_DIR),
            GW_BIN_DIR: process.env.GW_BIN_DIR || path.resolve('build/debug') };
        const r = await wrapper(['merchant', 'list'], env);
        assert.equal(r.code, 0, r.stderr);
        assert.ok(r.stdout.includes('"email":"test@example.com"') || r.stdout.split('\n').length > 1, r.stdout.slice(0, 200));
        const none = await wrapper(['merchant', 'list'], { ...env, GW_STATE_DIR: '/nonexistent', DATABASE_URL: 'postgresql://x@127.0.0.1:1/none' });
        assert.equal(none.code, 1);
        assert.match(none.stderr, /database/);
        const v = await wrapper(['--version'], env);
        assert.match(v.stdout, /^gatewayctl \d+\.\d+\.\d+\n$/);
    });
});

describe('configuration errors', () => {
    it('name the variable, the value and the allowed range, logged by the right service', async () => {
        const bin = process.env.GW_BIN_DIR || path.resolve('build/debug');
        const run = (file, env) => new Promise((resolve) => {
            execFile(path.join(bin, file), ['merchant', 'list'], { env: { PATH: process.env.PATH, ...env }, timeout: 10000 },
                (err, stdout, stderr) => resolve({ code: err ? err.code : 0, stderr }));
        });
        for (const [file, service] of [['gw-worker', 'worker'], ['gw-fcgi', 'api'], ['gatewayctl', 'ctl']]) {
            for (const [env, text] of [
                [{ FCGI_CHILDREN: '0' }, "invalid value for FCGI_CHILDREN: '0' (expected an integer from 1 to 64)"],
                [{ UPI_SUCCESS_RATE: '2' }, "invalid value for UPI_SUCCESS_RATE: '2' (expected a decimal number from 0 to 1, e.g. 0.90)"],
                [{ LOG_LEVEL: 'loud' }, "invalid value for LOG_LEVEL: 'loud' (expected debug, info, warn or error)"],
                [{ DATABASE_URL: '' }, 'invalid value for DATABASE_URL (expected a non-empty value)'],
            ]) {
                const r = await run(file, env);
                assert.equal(r.code, 2, `${file} ${JSON.stringify(env)}: ${r.stderr}`);
                const line = JSON.parse(r.stderr.trim().split('\n').at(-1));
                assert.equal(line.service, service, file);
                assert.equal(line.level, 'error');
                assert.equal(line.error, text);
            }
        }
    });
});
