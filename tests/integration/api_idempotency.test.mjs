// Idempotency (SPEC 9): replay, reuse with a different request, errors not stored, per-merchant
// scope, expiry, header validation, 50 concurrent requests with one key.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { Client, KEYS, assertError, assertOk, createMerchant, uniq, validCard } from '../lib/api.mjs';
import { count, lit, scalar, sql } from '../lib/db.mjs';
import { raw } from '../lib/raw.mjs';
import { successPayment } from '../lib/fixtures.mjs';

const IP = '10.17.17.17';
const c = new Client({ ip: IP });
const reused = (r) => assertError(r, 400, 'BAD_REQUEST_ERROR', 'Idempotency-Key reused with a different request');
const badKey = (r) => assertError(r, 400, 'BAD_REQUEST_ERROR', 'Invalid Idempotency-Key header');
const K = (k) => ({ headers: { 'Idempotency-Key': k } });

let order;
before(async () => {
    order = await c.createOrder({ amount: 50000 });
});

describe('replay', () => {
    it('POST /api/v1/payments: replay is byte-identical with Idempotent-Replayed: true', async () => {
        const o = await c.createOrder({ amount: 50000 }); /* (v2) its own order: the shared one gets paid */
        const key = uniq('pay-');
        const body = { order_id: o.id, method: 'upi', vpa: 'idem@bank' };
        const a = await c.post('/api/v1/payments', body, K(key));
        assertOk(a, 201, KEYS.paymentUpi);
        assert.equal(a.headers.get('idempotent-replayed'), null);
        const b = await c.post('/api/v1/payments', body, K(key));
        assertOk(b, 201);
        assert.equal(b.text, a.text);
        assert.equal(b.headers.get('idempotent-replayed'), 'true');
        assert.equal(await count(`SELECT count(*) FROM payments WHERE order_id = ${lit(o.id)} AND vpa = 'idem@bank'`), 1);
        const row = await count(`SELECT count(*) FROM idempotency_keys WHERE key = ${lit(key)}
            AND expires_at BETWEEN now() + interval '23 hours 50 minutes' AND now() + interval '24 hours 10 minutes'
            AND response_status = 201`);
        assert.equal(row, 1);
    });

    it('replay returns the original body even after the object changed', async () => {
        const o = await c.createOrder({ amount: 50000 }); /* (v2) its own order: the shared one gets paid */
        const key = uniq('chg-');
        const body = { order_id: o.id, method: 'upi', vpa: 'chg@bank' };
        const a = await c.post('/api/v1/payments', body, K(key));
        await sql(`UPDATE payments SET status = 'failed', error_code = 'PAYMENT_FAILED',
            error_description = 'Payment processing failed' WHERE id = ${lit(a.json.id)}`);
        const b = await c.post('/api/v1/payments', body, K(key));
        assert.equal(b.text, a.text);
        assert.equal(b.headers.get('idempotent-replayed'), 'true');
    });

    it('POST /api/v1/orders honours the key', async () => {
        const key = uniq('ord-');
        const a = await c.post('/api/v1/orders', { amount: 1234 }, K(key));
        const b = await c.post('/api/v1/orders', { amount: 1234 }, K(key));
        assertOk(a, 201);
        assert.equal(b.status, 201);
        assert.equal(b.text, a.text);
        assert.equal(b.headers.get('idempotent-replayed'), 'true');
    });

    it('refunds and capture honour the key (capture replays 200)', async () => {
        const p = await successPayment(c, 50000);
        const key = uniq('rf-');
        const a = await c.post(`/api/v1/payments/${p.id}/refunds`, { amount: 100 }, K(key));
        const b = await c.post(`/api/v1/payments/${p.id}/refunds`, { amount: 100 }, K(key));
        assertOk(a, 201, KEYS.refund);
        assert.equal(b.text, a.text);
        assert.equal(b.headers.get('idempotent-replayed'), 'true');
        assert.equal(await count(`SELECT count(*) FROM refunds WHERE payment_id = ${lit(p.id)}`), 1);
        reused(await c.post(`/api/v1/payments/${p.id}/refunds`, { amount: 101 }, K(key)));

        const ck = uniq('cap-');
        const x = await c.post(`/api/v1/payments/${p.id}/capture`, undefined, { ...K(ck), body: '' });
        assertOk(x, 200, KEYS.paymentUpi);
        const y = await c.post(`/api/v1/payments/${p.id}/capture`, undefined, { ...K(ck), body: '' });
        assert.equal(y.status, 200);
        assert.equal(y.text, x.text);
        assert.equal(y.headers.get('idempotent-replayed'), 'true');
    });

    it('the key is ignored on routes that are not idempotent', async () => {
        const m = await createMerchant('idemign');
        const mc = new Client({ ip: IP, key: m.api_key, secret: m.api_secret });
        const key = uniq('ign-');
        const a = await mc.post('/api/v1/merchant/webhook/secret', {}, K(key));
        const b = await mc.post('/api/v1/merchant/webhook/secret', {}, K(key));
        assert.equal(a.status, 200);
        assert.equal(b.status, 200);
        assert.notEqual(a.json.webhook_secret, b.json.webhook_secret);
        assert.equal(b.headers.get('idempotent-replayed'), null);
        // an invalid key on a GET or a non-idempotent route is not an error
        assert.equal((await c.get('/api/v1/orders?limit=1', K(''))).status, 200);
        assert.equal((await mc.post('/api/v1/merchant/webhook/secret', {}, K('x'.repeat(300)))).status, 200);
    });
});

describe('reuse, errors, scope, expiry', () => {
    it('same key, different body -> 400 reused; different path -> 400 reused', async () => {
        const o = await c.createOrder({ amount: 50000 }); /* (v2) its own order: the shared one gets paid */
        const key = uniq('re-');
        assertOk(await c.post('/api/v1/payments', { order_id: o.id, method: 'upi', vpa: 'a@b' }, K(key)), 201);
        reused(await c.post('/api/v1/payments', { order_id: o.id, method: 'upi', vpa: 'a@c' }, K(key)));
        reused(await c.post('/api/v1/payments', undefined,
            { ...K(key), body: '{"order_id":"' + o.id + '", "method":"upi","vpa":"a@b"}' }));
        reused(await c.post('/api/v1/orders', { amount: 50000 }, K(key)));
    });

    it('errors are not stored', async () => {
        const key = uniq('err-');
        assertError(await c.post('/api/v1/orders', { amount: 5 }, K(key)), 400, 'BAD_REQUEST_ERROR',
            'amount must be at least 100');
        const again = await c.post('/api/v1/orders', { amount: 5 }, K(key));
        assertError(again, 400, 'BAD_REQUEST_ERROR', 'amount must be at least 100');
        assert.equal(again.headers.get('idempotent-replayed'), null);
        assert.equal(await count(`SELECT count(*) FROM idempotency_keys WHERE key = ${lit(key)}`), 0);
        assertOk(await c.post('/api/v1/orders', { amount: 500 }, K(key)), 201, KEYS.order);
    });

    it('keys are per merchant', async () => {
        const m = await createMerchant('idemscope');
        const mc = new Client({ ip: IP, key: m.api_key, secret: m.api_secret });
        const key = uniq('scope-');
        const a = await c.post('/api/v1/orders', { amount: 777 }, K(key));
        const b = await mc.post('/api/v1/orders', { amount: 777 }, K(key));
        assertOk(a, 201);
        assertOk(b, 201);
        assert.notEqual(a.json.id, b.json.id);
        assert.equal(b.headers.get('idempotent-replayed'), null);
        assert.equal(b.json.merchant_id, m.id);
    });

    it('an expired record is replaced by a new request', async () => {
        const key = uniq('exp-');
        const a = await c.post('/api/v1/orders', { amount: 888 }, K(key));
        await sql(`UPDATE idempotency_keys SET expires_at = now() - interval '1 minute' WHERE key = ${lit(key)}`);
        const b = await c.post('/api/v1/orders', { amount: 888 }, K(key));
        assertOk(b, 201);
        assert.notEqual(b.json.id, a.json.id);
        assert.equal(b.headers.get('idempotent-replayed'), null);
        const d = await c.post('/api/v1/orders', { amount: 999 }, K(key));
        reused(d);
    });

    it('Invalid Idempotency-Key header: empty, 256 chars, control and non-ASCII bytes', async () => {
        badKey(await c.post('/api/v1/orders', { amount: 500 }, K('')));
        badKey(await c.post('/api/v1/orders', { amount: 500 }, K('k'.repeat(256))));
        badKey(await c.post('/api/v1/payments', { order_id: order.id, method: 'upi', vpa: 'a@b' }, K('k'.repeat(1000))));
        const body = '{"amount":500}';
        const base = ['X-Forwarded-For: ' + IP, 'X-Api-Key: key_test_abc123', 'X-Api-Secret: secret_test_xyz789',
            'Content-Type: application/json', `Content-Length: ${body.length}`];
        for (const v of ['ab\tcd', 'caf\xe9', 'a\x7fb', '\xc3\xa9t\xc3\xa9']) {
            const r = await raw('POST', '/api/v1/orders', [...base, `Idempotency-Key: ${v}`], body);
            if (r.status === 400 && r.json?.error?.description === 'Bad request') continue; // nginx refused the bytes
            badKey(r);
        }
        const rep = await raw('POST', '/api/v1/orders', [...base, 'Idempotency-Key: a', 'Idempotency-Key: b'], body);
        assert.ok(rep.status === 400 || rep.status === 201, `repeated key header: ${rep.status}`);
    });

    it('255 printable characters (incl. space and symbols) are a valid key', async () => {
        const key = (' !~' + uniq('z')).padEnd(255, '~');
        const a = await c.post('/api/v1/orders', { amount: 501 }, K(key));
        assertOk(a, 201);
        const b = await c.post('/api/v1/orders', { amount: 501 }, K(key));
        assert.equal(b.text, a.text);
    });

    it('header check comes after the JSON body check and before endpoint checks', async () => {
        assertError(await c.post('/api/v1/orders', undefined, { ...K(''), body: '{' }), 400, 'BAD_REQUEST_ERROR',
            'Invalid JSON body');
        badKey(await c.post('/api/v1/orders', { amount: 'x' }, K('')));
    });
});

describe('concurrency', () => {
    it('50 concurrent POST /api/v1/payments with one key create exactly one payment', async () => {
        const o = await c.createOrder({ amount: 31337 });
        const key = uniq('conc-');
        const body = { order_id: o.id, method: 'card', card: validCard() };
        const rs = await Promise.all(Array.from({ length: 50 }, () => c.post('/api/v1/payments', body, K(key))));
        const statuses = rs.map((r) => r.status);
        assert.ok(statuses.every((s) => s === 201), statuses.join(','));
        const texts = new Set(rs.map((r) => r.text));
        assert.equal(texts.size, 1, 'all 2xx bodies identical');
        assert.equal(rs.filter((r) => r.headers.get('idempotent-replayed') === null).length, 1,
            'exactly one original answer');
        assert.equal(await count(`SELECT count(*) FROM payments WHERE order_id = ${lit(o.id)}`), 1);
        assert.equal(await count(`SELECT count(*) FROM idempotency_keys WHERE key = ${lit(key)}`), 1);
    });

    it('50 concurrent POST /api/v1/orders with one key create exactly one order', async () => {
        const m = await createMerchant('idemconc');
        const mc = new Client({ ip: IP, key: m.api_key, secret: m.api_secret });
        const key = uniq('oc-');
        const rs = await Promise.all(Array.from({ length: 50 }, () => mc.post('/api/v1/orders', { amount: 4321 }, K(key))));
        assert.ok(rs.every((r) => r.status === 201), rs.map((r) => r.status).join(','));
        assert.equal(new Set(rs.map((r) => r.text)).size, 1);
        assert.equal(await count(`SELECT count(*) FROM orders WHERE merchant_id = ${lit(m.id)}`), 1);
    });
});

describe('fingerprint (SPEC 9 v2): HMAC-SHA256 with the installation secret', () => {
    const secretHex = () => scalar(`SELECT encode(value, 'hex') FROM installation_secrets
        WHERE name = 'idempotency_fingerprint'`);
    const hmac = (hex, msg) => createHmac('sha256', Buffer.from(hex, 'hex')).update(msg).digest('hex');
    const sha = (msg) => createHash('sha256').update(msg).digest('hex');
    const storedFp = (key) => scalar(`SELECT request_fingerprint FROM idempotency_keys WHERE key = ${lit(key)}`);

    it('the secret is 32 bytes, made once by migration 3, and appears in no log', async () => {
        const hex = await secretHex();
        assert.match(hex || '', /^[0-9a-f]{64}$/);
        assert.notEqual(hex, '0'.repeat(64));
        assert.equal(await count(`SELECT count(*) FROM installation_secrets`), 1);
        assert.equal(await count(`SELECT count(*) FROM schema_migrations WHERE version = 3`), 1);
        const dir = path.join(process.env.GW_STATE_DIR || 'var/test', 'log');
        for (const f of readdirSync(dir)) {
            const text = readFileSync(path.join(dir, f), 'latin1');
            assert.ok(!text.includes(hex), `${f} holds the secret`);
        }
    });

    it('a card payment stores HMAC(secret, METHOD\\npath\\nbody), not its SHA-256', async () => {
        const key = uniq('hmac-');
        const ord2 = await c.createOrder({ amount: 777 });
        const body = JSON.stringify({ order_id: ord2.id, method: 'card', card: validCard() });
        // the query is not part of the fingerprint
        const a = await c.request('POST', '/api/v1/payments?x=1', { body, ...K(key) });
        assertOk(a, 201);
        const fp = await storedFp(key);
        const msg = Buffer.from(`POST\n/api/v1/payments\n${body}`);
        assert.match(fp, /^[0-9a-f]{64}$/);
        assert.notEqual(fp, sha(msg), 'plain SHA-256 would let a CVV be confirmed in 1,000 guesses');
        assert.notEqual(fp, sha(Buffer.from(`POST\n/api/v1/payments?x=1\n${body}`)));
        assert.equal(fp, hmac(await secretHex(), msg));
        // §9 still holds: same bytes replay, other bytes are a reuse
        const b = await c.request('POST', '/api/v1/payments', { body, ...K(key) });
        assert.equal(b.status, 201);
        assert.equal(b.text, a.text);
        assert.equal(b.headers.get('idempotent-replayed'), 'true');
        reused(await c.request('POST', '/api/v1/payments', { body: body.replace('"cvv":"123"', '"cvv":"124"'), ...K(key) }));
        assert.equal(await count(`SELECT count(*) FROM payments WHERE order_id = ${lit(ord2.id)}`), 1);
    });

    it('the secret survives a reconnect: a replay after pg_terminate_backend still matches', async () => {
        const key = uniq('recon-');
        const body = JSON.stringify({ amount: 4321 });
        const a = await c.request('POST', '/api/v1/orders', { body, ...K(key) });
        assertOk(a, 201);
        await sql(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
            WHERE application_name = 'gw-fcgi' AND pid <> pg_backend_pid()`);
        for (let i = 0; i < 6; i++) {
            const b = await c.request('POST', '/api/v1/orders', { body, ...K(key) });
            assert.equal(b.status, 201, b.text);
            assert.equal(b.text, a.text);
            assert.equal(b.headers.get('idempotent-replayed'), 'true');
        }
    });
});
