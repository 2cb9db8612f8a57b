// Isolation (SPEC 4.2): merchant A gets exactly the "missing" 404 for each of merchant B's objects
// and their sub-routes; lists never show another merchant's rows.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { Client, assertError, assertOk, createMerchant, missingId } from '../lib/api.mjs';
import { lit, rows } from '../lib/db.mjs';
import { successPayment } from '../lib/fixtures.mjs';

const IP = '10.18.18.18';
let a;
let b;
const B = {};

before(async () => {
    const ma = await createMerchant('isoa');
    const mb = await createMerchant('isob');
    a = new Client({ ip: IP, key: ma.api_key, secret: ma.api_secret });
    b = new Client({ ip: IP, key: mb.api_key, secret: mb.api_secret });
    await b.put('/api/v1/merchant/webhook', { webhook_url: 'http://127.0.0.1:9/iso' });
    B.order = await b.createOrder({ amount: 50000 });
    B.payment = await successPayment(b, 50000);
    const r = await b.post(`/api/v1/payments/${B.payment.id}/refunds`, { amount: 100 });
    assert.equal(r.status, 201);
    B.refund = r.json;
    B.log = (await rows(`SELECT id FROM webhook_logs WHERE object_id = ${lit(B.payment.id)} ORDER BY created_at LIMIT 1`))[0][0];
    // A has objects of its own so its lists are not trivially empty
    const ao = await a.createOrder({ amount: 1000 });
    await a.createPayment(ao.id);
});

describe('merchant A cannot see merchant B', () => {
    const same = async (mine, missing, status, code, d) => {
        assertError(mine, status, code, d);
        assertError(missing, status, code, d);
        assert.equal(mine.text, missing.text);
    };

    it('orders', async () => {
        await same(await a.get(`/api/v1/orders/${B.order.id}`), await a.get(`/api/v1/orders/${missingId('order')}`),
            404, 'NOT_FOUND_ERROR', 'Order not found');
        assertOk(await b.get(`/api/v1/orders/${B.order.id}`), 200);
    });

    it('payment create on B\'s order', async () => {
        await same(await a.post('/api/v1/payments', { order_id: B.order.id, method: 'upi', vpa: 'a@b' }),
            await a.post('/api/v1/payments', { order_id: missingId('order'), method: 'upi', vpa: 'a@b' }),
            404, 'NOT_FOUND_ERROR', 'Order not found');
    });

    it('payments, capture, refunds create and list', async () => {
        const miss = missingId('pay');
        const d = ['NOT_FOUND_ERROR', 'Payment not found'];
        await same(await a.get(`/api/v1/payments/${B.payment.id}`), await a.get(`/api/v1/payments/${miss}`), 404, ...d);
        await same(await a.post(`/api/v1/payments/${B.payment.id}/capture`, {}),
            await a.post(`/api/v1/payments/${miss}/capture`, {}), 404, ...d);
        await same(await a.post(`/api/v1/payments/${B.payment.id}/capture`, { amount: 0 }),
            await a.post(`/api/v1/payments/${miss}/capture`, { amount: 0 }), 404, ...d);
        await same(await a.post(`/api/v1/payments/${B.payment.id}/refunds`, { amount: 100 }),
            await a.post(`/api/v1/payments/${miss}/refunds`, { amount: 100 }), 404, ...d);
        await same(await a.post(`/api/v1/payments/${B.payment.id}/refunds`, {}),
            await a.post(`/api/v1/payments/${miss}/refunds`, {}), 404, ...d);
        await same(await a.get(`/api/v1/payments/${B.payment.id}/refunds`),
            await a.get(`/api/v1/payments/${miss}/refunds`), 404, ...d);
        const p = assertOk(await b.get(`/api/v1/payments/${B.payment.id}`), 200);
        assert.equal(p.captured, false, 'A could not capture it');
    });

    it('refunds', async () => {
        await same(await a.get(`/api/v1/refunds/${B.refund.id}`), await a.get(`/api/v1/refunds/${missingId('rfnd')}`),
            404, 'NOT_FOUND_ERROR', 'Refund not found');
        assertOk(await b.get(`/api/v1/refunds/${B.refund.id}`), 200);
    });

    it('webhook logs: detail and retry', async () => {
        const miss = '7d9e3c1a-1111-4222-8333-944455556666';
        await same(await a.get(`/api/v1/webhooks/${B.log}`), await a.get(`/api/v1/webhooks/${miss}`), 404,
            'NOT_FOUND_ERROR', 'Webhook log not found');
        await same(await a.post(`/api/v1/webhooks/${B.log}/retry`, {}), await a.post(`/api/v1/webhooks/${miss}/retry`, {}),
            404, 'NOT_FOUND_ERROR', 'Webhook log not found');
        assertOk(await b.get(`/api/v1/webhooks/${B.log}`), 200);
    });

    it('lists, stats and export only show A\'s rows', async () => {
        const ids = [B.order.id, B.payment.id, B.refund.id, B.log];
        for (const p of ['/api/v1/orders?limit=100', '/api/v1/payments?limit=100', '/api/v1/webhooks?limit=100',
            '/api/v1/payments/export.csv']) {
            const r = await a.get(p);
            assert.equal(r.status, 200, p);
            for (const id of ids) assert.ok(!r.text.includes(id), `${p} leaks ${id}`);
        }
        const s = assertOk(await a.get('/api/v1/payments/stats'), 200);
        assert.equal(s.total_transactions, 1);
        const l = assertOk(await a.get('/api/v1/orders'), 200);
        assert.equal(l.total, 1);
    });

    it('the test merchant cannot see B either', async () => {
        const t = new Client({ ip: IP });
        assertError(await t.get(`/api/v1/orders/${B.order.id}`), 404, 'NOT_FOUND_ERROR', 'Order not found');
        assertError(await t.get(`/api/v1/payments/${B.payment.id}`), 404, 'NOT_FOUND_ERROR', 'Payment not found');
    });
});
