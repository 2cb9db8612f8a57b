// Behaviour under failure (SPEC 19): PostgreSQL stopped -> 503 and /health degraded, recovery on its
// own; Redis stopped -> creates still 201, job status zeros/stopped, /health degraded, recovery.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Client, KEYS, assertError, assertOk, createMerchant, validCard, sleep } from '../lib/api.mjs';
import { count, lit } from '../lib/db.mjs';
import { health, isHealthy, stack, waitFor, waitHealthy } from '../lib/stack.mjs';
import { successPayment } from '../lib/fixtures.mjs';

const IP = '10.21.21.21';
const c = new Client({ ip: IP });
const unavailable = (r) => assertError(r, 503, 'SERVICE_UNAVAILABLE', 'Service temporarily unavailable');

describe('PostgreSQL stopped', () => {
    let order;
    before(async () => {
        await waitHealthy(30000);
        order = await c.createOrder({ amount: 50000 });
    });
    after(async () => {
        await stack('pg-start').catch(() => {});
        await waitHealthy(60000);
    });

    it('503 on routes that need it, /health degraded, other checks unaffected; recovers by itself', async () => {
        await stack('pg-stop');
        // the first request after the stop may need the reconnect attempt; it must still answer quickly
        let first = null;
        const end = Date.now() + 15000;
        while (!first && Date.now() < end) {
            const r = await c.get('/api/v1/orders', { timeout: 15000 });
            assert.ok(r.ms < 8000, `answered within a few seconds (${r.ms} ms, ${r.status})`);
            if (r.status === 503) first = r;
            else await sleep(200);
        }
        assert.ok(first, 'authenticated route answers 503');
        unavailable(first);

        const checks = [
            ['GET', '/api/v1/orders'],
            ['GET', `/api/v1/orders/${order.id}`],
            ['POST', '/api/v1/orders', { amount: 50000 }],
            ['POST', '/api/v1/payments', { order_id: order.id, method: 'upi', vpa: 'a@b' }],
            ['GET', '/api/v1/payments/stats'],
            ['GET', '/api/v1/test/merchant'],
            ['GET', `/api/v1/orders/${order.id}/public`],
            ['POST', '/api/v1/payments/public', { order_id: order.id, method: 'card', card: validCard() }],
            ['POST', '/api/v1/dashboard/login', { email: 'test@example.com', password: 'x' }],
            ['GET', '/api/v1/merchant'],
        ];
        for (const [m, p, body] of checks) {
            const r = await c.request(m, p, body ? { json: body } : {});
            assert.ok(r.ms < 8000, `${m} ${p} took ${r.ms} ms`);
            unavailable(r);
        }
        // wrong credentials cannot be checked either: 503, not 401
        unavailable(await c.withCreds('nope', 'nope').get('/api/v1/orders'));

        // checks that need no database still answer
        assertError(await c.get('/api/v1/nope'), 404, 'NOT_FOUND_ERROR', 'Route not found');
        assertError(await c.request('DELETE', '/api/v1/orders'), 405, 'BAD_REQUEST_ERROR', 'Method not allowed');
        assertError(await c.get('/api/v1/orders/bad/public', { auth: false }), 404, 'NOT_FOUND_ERROR', 'Order not found');
        assert.equal((await c.request('OPTIONS', '/api/v1/orders', { auth: false })).status, 204);
        const noCreds = await c.get('/api/v1/orders', { auth: false });
        if (noCreds.status === 401) assertError(noCreds, 401, 'AUTHENTICATION_ERROR', 'Invalid API credentials');
        else unavailable(noCreds);

        for (const p of ['/health', '/api/v1/health']) {
            const h = await c.get(p, { auth: false });
            const j = assertOk(h, 200, KEYS.health);
            assert.ok(h.ms < 3500, `${p} within 3 s (${h.ms} ms)`);
            assert.equal(j.status, 'degraded');
            assert.equal(j.database, 'disconnected');
            assert.equal(j.redis, 'connected');
        }
        const js = await c.get('/api/v1/test/jobs/status', { auth: false });
        assertOk(js, 200, KEYS.jobs);

        await stack('pg-start');
        const t0 = Date.now();
        const back = await waitFor(async () => (await c.get('/api/v1/orders?limit=1')).status === 200, 30000, 500);
        assert.ok(back, 'the API recovers by itself within 30 s');
        assert.ok(Date.now() - t0 < 30000);
        assertOk(await c.get(`/api/v1/orders/${order.id}`), 200, KEYS.order);
        assertOk(await c.post('/api/v1/orders', { amount: 50000 }), 201, KEYS.order);
        await waitHealthy(30000);
    });
});

describe('Redis stopped', () => {
    let order;
    let paid;
    let mc;
    before(async () => {
        await waitHealthy(30000);
        const m = await createMerchant('redisdown');
        mc = new Client({ ip: IP, key: m.api_key, secret: m.api_secret });
        await mc.put('/api/v1/merchant/webhook', { webhook_url: 'http://127.0.0.1:9/r' });
        order = await mc.createOrder({ amount: 50000 });
        paid = await successPayment(mc, 50000);
    });
    after(async () => {
        await stack('redis-start').catch(() => {});
        await waitHealthy(60000);
    });

    it('creates still answer 201; job status zeros and stopped; /health degraded; recovers', async () => {
        await stack('redis-stop');
        const h = await waitFor(async () => {
            const x = await health(IP);
            return x.json?.redis === 'disconnected' ? x : null;
        }, 10000, 200);
        assert.ok(h, '/health reports redis disconnected');
        assert.equal(h.status, 200);
        assert.equal(h.json.status, 'degraded');
        assert.equal(h.json.database, 'connected');
        assert.ok(h.ms < 3500);

        const o = assertOk(await mc.post('/api/v1/orders', { amount: 60000 }), 201, KEYS.order);
        const p1 = await mc.post('/api/v1/payments', { order_id: o.id, method: 'upi', vpa: 'down@bank' });
        assertOk(p1, 201, KEYS.paymentUpi);
        assert.ok(p1.ms < 8000, `payment answered in ${p1.ms} ms`);
        const p2 = await mc.post('/api/v1/payments', { order_id: order.id, method: 'card', card: validCard() },
            { headers: { 'Idempotency-Key': `rd-${Date.now()}` } });
        assertOk(p2, 201, KEYS.paymentCard);
        const pub = await c.post('/api/v1/payments/public', { order_id: order.id, method: 'upi', vpa: 'pub@bank' },
            { auth: false });
        assertOk(pub, 201, KEYS.paymentUpi);
        const rf = await mc.post(`/api/v1/payments/${paid.id}/refunds`, { amount: 1000 });
        assertOk(rf, 201, KEYS.refund);
        const tw = await mc.post('/api/v1/merchant/webhook/test', {});
        assert.equal(tw.status, 202, tw.text);
        // committed in PostgreSQL with their webhook logs
        assert.equal(await count(`SELECT count(*) FROM payments WHERE id = ${lit(p1.json.id)} AND status = 'pending'`), 1);
        assert.equal(await count(`SELECT count(*) FROM webhook_logs WHERE object_id = ${lit(p1.json.id)}`), 2);
        assert.equal(await count(`SELECT count(*) FROM refunds WHERE id = ${lit(rf.json.id)}`), 1);
        // reads unaffected
        assertOk(await mc.get(`/api/v1/payments/${p1.json.id}`), 200);

        const js = await c.get('/api/v1/test/jobs/status', { auth: false });
        assertOk(js, 200, KEYS.jobs);
        assert.equal(js.text, '{"pending":0,"processing":0,"completed":0,"failed":0,"worker_status":"stopped"}');

        await stack('redis-start');
        const ok = await waitFor(async () => (await health(IP)).json?.redis === 'connected', 30000, 500);
        assert.ok(ok, 'redis reconnected within 30 s');
        const j2 = await c.get('/api/v1/test/jobs/status', { auth: false });
        assertOk(j2, 200, KEYS.jobs);
        assertOk(await mc.post('/api/v1/orders', { amount: 100 }), 201);
        await waitHealthy(30000);
        await sleep(100);
        assert.ok(isHealthy(await health(IP)));
    });
});
