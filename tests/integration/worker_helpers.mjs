// worker_helpers.mjs: shared helpers of the worker suites (worker_*.test.mjs): Redis through
// redis-cli, merchants with a webhook receiver, bulk creation spread over client addresses,
// signature checks and waiting on SQL conditions.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHmac, timingSafeEqual } from 'node:crypto';
import path from 'node:path';
import { BIN_DIR, Client, createMerchant, sleep } from '../lib/api.mjs';
import { count, lit, rows } from '../lib/db.mjs';
import { stack, waitHealthy } from '../lib/stack.mjs';

export const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:46379';

export function redis(...args) {
    return new Promise((resolve, reject) => {
        execFile('redis-cli', ['-u', REDIS_URL, ...args],
            { maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
                if (err) {
                    err.message += `\n${stderr}`;
                    reject(err);
                } else resolve(stdout.replace(/\n$/, ''));
            });
    });
}

export function gatewayctl(...args) {
    return new Promise((resolve) => {
        execFile(path.join(BIN_DIR, 'gatewayctl'), args, { maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
            resolve({ code: err ? err.code : 0, stdout, stderr });
        });
    });
}

/* A new merchant whose webhook_url is url (null: none), with a client on address ip. */
export async function merchantWithHook(label, ip, url) {
    const m = await createMerchant(label);
    const client = new Client({ ip, key: m.api_key, secret: m.api_secret });
    if (url) {
        const r = await client.put('/api/v1/merchant/webhook', { webhook_url: url });
        assert.equal(r.status, 200, `set webhook url: ${r.status} ${r.text}`);
    }
    return { m, client, secret: m.webhook_secret };
}

/* Clients spread over many X-Forwarded-For addresses (the rate limit is per address). */
export function spreadClients(m, prefix, n) {
    /* prefix is three octets ("10.7.5"); nginx ignores a malformed X-Forwarded-For, and every
     * client would then share the loopback address's bucket. */
    if (!/^\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(prefix) || n < 1 || n > 254) {
        throw new Error(`spreadClients: prefix must be three octets and n 1-254 (${prefix}, ${n})`);
    }
    const out = [];
    for (let i = 0; i < n; i++) {
        out.push(new Client({ ip: `${prefix}.${i + 1}`, key: m.api_key, secret: m.api_secret }));
    }
    return out;
}

/* Runs fn(i) for i in [0, n) with at most `parallel` at once. */
export async function pool(n, parallel, fn) {
    const results = new Array(n);
    let next = 0;
    async function lane() {
        while (next < n) {
            const i = next++;
            results[i] = await fn(i);
        }
    }
    await Promise.all(Array.from({ length: Math.min(parallel, n) }, lane));
    return results;
}

/* (v2) n orders of the merchant inserted at once (an order is paid at most once, so suites that
 * expect every payment to succeed give each payment its own order). */
export async function bulkOrders(merchantId, n, amount) {
    return (await rows(`INSERT INTO orders (id, merchant_id, amount)
        SELECT 'order_' || substr(md5(random()::text || g::text), 1, 16), ${lit(merchantId)}, ${Number(amount)}
        FROM generate_series(1, ${Number(n)}) g RETURNING id`)).map((r) => r[0]);
}

/* Creates n payments (upi) on the given orders, each request from clients[i % clients.length]. */
export async function createPayments(clients, orderIds, n, parallel = 48) {
    return await pool(n, parallel, async (i) => {
        const c = clients[i % clients.length];
        for (let tries = 0; ; tries++) {
            const r = await c.post('/api/v1/payments', { order_id: orderIds[i % orderIds.length], method: 'upi',
                vpa: 'user@paytm' });
            if (r.status === 201) return r.json;
            if ((r.status === 429 || r.status === 503) && tries < 20) {
                await sleep(200);
                continue;
            }
            throw new Error(`create payment: ${r.status} ${r.text}`);
        }
    });
}

/* Polls an SQL count until it reaches want; returns the last value. */
export async function waitCount(statement, want, timeoutMs) {
    const end = Date.now() + timeoutMs;
    let n = -1;
    while (Date.now() < end) {
        try {
            n = await count(statement);
        } catch {
            n = -1;
        }
        if (n >= want) return n;
        await sleep(250);
    }
    return n;
}

/* X-Webhook-Signature over the raw body and over JSON.stringify(JSON.parse(body)), and the
 * Standard Webhooks signature (SPEC 11.3). */
export function checkSignatures(req, secret) {
    const raw = req.body;
    const hex = createHmac('sha256', Buffer.from(secret, 'utf8')).update(raw).digest('hex');
    const got = Buffer.from(String(req.headers['x-webhook-signature'] || ''), 'utf8');
    assert.equal(got.length, hex.length, 'X-Webhook-Signature length');
    assert.ok(timingSafeEqual(got, Buffer.from(hex, 'utf8')), 'X-Webhook-Signature over raw body');
    const canon = JSON.stringify(JSON.parse(raw.toString('utf8')));
    assert.equal(canon, raw.toString('utf8'), 'body is JSON.stringify-canonical');
    const hex2 = createHmac('sha256', Buffer.from(secret, 'utf8')).update(canon, 'utf8').digest('hex');
    assert.equal(req.headers['x-webhook-signature'], hex2, 'X-Webhook-Signature over re-serialised body');
    const id = req.headers['webhook-id'];
    const ts = req.headers['webhook-timestamp'];
    assert.match(String(id), /^[0-9a-f-]{36}$/, 'webhook-id');
    assert.match(String(ts), /^\d+$/, 'webhook-timestamp');
    assert.ok(Math.abs(Number(ts) - req.at / 1000) < 5, 'webhook-timestamp is the attempt time');
    const std = 'v1,' + createHmac('sha256', Buffer.from(secret, 'utf8'))
        .update(Buffer.concat([Buffer.from(`${id}.${ts}.`, 'utf8'), raw])).digest('base64');
    assert.equal(req.headers['webhook-signature'], std, 'Standard Webhooks signature');
    assert.equal(req.headers['content-type'], 'application/json');
    assert.match(String(req.headers['user-agent']), /^Gateway-Webhooks\/\d+\.\d+\.\d+/);
    assert.equal(req.headers.expect, undefined, 'no Expect header');
}

/* Restarts the worker with overrides (none: the stack's environment) and waits for it. */
export async function restartWorker(...overrides) {
    await stack('worker-stop');
    await stack('worker-start', ...overrides);
    await waitHealthy(30000, (h) => h?.json?.worker === 'running');
}

export async function logRow(id) {
    const r = await rows(`SELECT status, attempts, response_code, response_body,
        extract(epoch FROM last_attempt_at) * 1000, extract(epoch FROM next_retry_at) * 1000
        FROM webhook_logs WHERE id = ${lit(id)}`);
    assert.equal(r.length, 1, `log ${id} exists`);
    const [status, attempts, code, body, last, next] = r[0];
    return {
        status, attempts: Number(attempts), response_code: code === '' ? null : Number(code),
        response_body: body, last_attempt_at: last === '' ? null : Number(last),
        next_retry_at: next === '' ? null : Number(next),
    };
}
