// The API extensions behind the dashboard's money and payment views (issue 14):
// GET /api/v1/payments?order_id=, GET /api/v1/webhooks?payment_id= and
// GET /api/v1/payments/stats/currencies (per currency, net of processed refunds).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, assertError, assertOk, createMerchant, KEYS } from '../lib/api.mjs';
import { sql } from '../lib/db.mjs';
import { settled, successPayment } from '../lib/fixtures.mjs';

const IP = '10.66.14.1';

async function merchantClient(label) {
    const m = await createMerchant(label);
    return { m, c: new Client({ ip: IP, key: m.api_key, secret: m.api_secret }) };
}

test('payments?order_id= lists that order\'s payments only; a malformed id is a 400', async () => {
    const { c } = await merchantClient('byorder');
    const o1 = await c.createOrder({ amount: 10000 });
    const o2 = await c.createOrder({ amount: 20000 });
    const a = await c.createPayment(o1.id);
    const b = await c.createPayment(o1.id);
    await c.createPayment(o2.id);
    const r = await c.get(`/api/v1/payments?order_id=${o1.id}`);
    const body = assertOk(r, 200, KEYS.list);
    assert.equal(body.total, 2);
    assert.deepEqual(body.data.map((p) => p.id), [b.id, a.id]);
    const csv = await c.get(`/api/v1/payments/export.csv?order_id=${o1.id}`);
    assert.equal(csv.status, 200);
    assert.equal(csv.text.trim().split('\r\n').length, 3);
    // another merchant's order gives nothing
    const other = await merchantClient('byorder2');
    assert.equal(assertOk(await other.c.get(`/api/v1/payments?order_id=${o1.id}`), 200, KEYS.list).total, 0);
    assertError(await c.get('/api/v1/payments?order_id=pay_x'), 400, 'BAD_REQUEST_ERROR', 'order_id must be an order id');
    // the other filters still apply with it
    assertError(await c.get(`/api/v1/payments?order_id=${o1.id}&status=x`), 400, 'BAD_REQUEST_ERROR',
        'status must be one of pending, success, failed');
});

test('webhooks?payment_id= lists the logs of the payment and of its refunds', async () => {
    const { c } = await merchantClient('bypay');
    assertOk(await c.put('/api/v1/merchant/webhook', { webhook_url: 'http://127.0.0.1:9/hook' }), 200);
    const p = await successPayment(c, 30000);
    const q = await successPayment(c, 40000);
    const rf = await c.post(`/api/v1/payments/${p.id}/refunds`, { amount: 1000 });
    assert.equal(rf.status, 201);
    const r = assertOk(await c.get(`/api/v1/webhooks?payment_id=${p.id}&limit=100`), 200, KEYS.list);
    const events = r.data.map((w) => w.event);
    assert.ok(events.includes('payment.created') && events.includes('refund.created'), events.join());
    assert.equal(r.total, r.data.length);
    for (const w of r.data) {
        const d = assertOk(await c.get(`/api/v1/webhooks/${w.id}`), 200, KEYS.webhookDetail);
        const obj = d.payload.data.payment || d.payload.data.refund;
        assert.ok(obj.id === p.id || obj.payment_id === p.id, JSON.stringify(d.payload));
    }
    const all = assertOk(await c.get('/api/v1/webhooks?limit=100'), 200, KEYS.list);
    const forQ = assertOk(await c.get(`/api/v1/webhooks?payment_id=${q.id}&limit=100`), 200, KEYS.list);
    assert.ok(forQ.total > 0);
    assert.equal(all.total, r.total + forQ.total);
    // paging works with the filter
    const page = assertOk(await c.get(`/api/v1/webhooks?payment_id=${p.id}&limit=1&offset=1`), 200, KEYS.list);
    assert.equal(page.total, r.total);
    assert.deepEqual(page.data.map((w) => w.id), [r.data[1].id]);
    assertError(await c.get('/api/v1/webhooks?payment_id=nope'), 400, 'BAD_REQUEST_ERROR', 'payment_id must be a payment id');
    const other = await merchantClient('bypay2');
    assert.equal(assertOk(await other.c.get(`/api/v1/webhooks?payment_id=${p.id}`), 200, KEYS.list).total, 0);
});

test('stats/currencies: one entry per currency, never added together, net of processed refunds', async () => {
    const { m, c } = await merchantClient('percur');
    assert.deepEqual(assertOk(await c.get('/api/v1/payments/stats/currencies'), 200, ['data']), { data: [] });
    const p = await successPayment(c, 50000);
    const o = await c.createOrder({ amount: 70000 });
    await settled(c, (await c.createPayment(o.id)).id, 'failed');
    const rf = await c.post(`/api/v1/payments/${p.id}/refunds`, { amount: 12000 });
    const pending = await c.post(`/api/v1/payments/${p.id}/refunds`, { amount: 1000 });
    assert.equal(rf.status, 201);
    assert.equal(pending.status, 201);
    // both refunds processed (by the worker, or as a fixture when it does not run)
    for (const id of [rf.json.id, pending.json.id]) {
        const end = Date.now() + 6000;
        while (Date.now() < end && (await c.get(`/api/v1/refunds/${id}`)).json.status !== 'processed') {
            await new Promise((res) => setTimeout(res, 200));
        }
        await sql(`UPDATE refunds SET status = 'processed', processed_at = COALESCE(processed_at, now()) WHERE id = '${id}'`);
    }
    const oid = `order_${'E'.repeat(4)}${m.id.replace(/-/g, '').slice(0, 12)}`;
    await sql(`INSERT INTO orders (id, merchant_id, amount, currency) VALUES ('${oid}', '${m.id}', 999, 'EUR')`);
    await sql(`INSERT INTO payments (id, order_id, merchant_id, amount, currency, method, status, vpa)
        VALUES ('pay_${'E'.repeat(4)}${m.id.replace(/-/g, '').slice(0, 12)}', '${oid}', '${m.id}', 999, 'EUR', 'upi', 'success', 'e@bank')`);
    const r = assertOk(await c.get('/api/v1/payments/stats/currencies'), 200, ['data']);
    for (const row of r.data) assert.deepEqual(Object.keys(row), ['currency', 'count', 'success_count', 'amount', 'refunded', 'net']);
    assert.deepEqual(r.data, [
        { currency: 'EUR', count: 1, success_count: 1, amount: 999, refunded: 0, net: 999 },
        { currency: 'INR', count: 2, success_count: 1, amount: 50000, refunded: 13000, net: 37000 },
    ]);
    // SPEC's stats keep their meaning
    const s = assertOk(await c.get('/api/v1/payments/stats'), 200);
    assert.equal(s.total_transactions, 3);
    assertError(await new Client({ ip: IP, key: 'nope', secret: 'nope' }).get('/api/v1/payments/stats/currencies'),
        401, 'AUTHENTICATION_ERROR', 'Invalid API credentials');
});
