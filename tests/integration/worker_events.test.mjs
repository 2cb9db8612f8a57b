// Worker: outcomes and webhook events with their exact payloads and signatures (SPEC 10.3,
// 11.1-11.3), through the API, a real local receiver and SQL.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { sleep } from '../lib/api.mjs';
import { count, lit, rows } from '../lib/db.mjs';
import { startReceiver } from '../lib/receiver.mjs';
import { checkSignatures, merchantWithHook, restartWorker } from './worker_helpers.mjs';

const IP = '10.7.1.1';
let rx;
let mc;
let secret;

function paymentData(p) {
    const d = { id: p.id, order_id: p.order_id, amount: p.amount, currency: p.currency, method: p.method };
    if (p.method === 'upi') d.vpa = p.vpa;
    else {
        d.card_network = p.card_network;
        d.card_last4 = p.card_last4;
    }
    d.status = p.status;
    if (p.status === 'failed') {
        d.error_code = p.error_code;
        d.error_description = p.error_description;
    }
    d.created_at = p.created_at;
    return d;
}

async function waitStatus(path, want, ms = 8000) {
    const end = Date.now() + ms;
    let r;
    while (Date.now() < end) {
        r = await mc.get(path);
        if (r.json?.status === want) return r.json;
        await sleep(150);
    }
    assert.fail(`${path} did not reach ${want}: ${r?.text}`);
}

/* The receiver request for (event, object id); checks the payload bytes against want. */
async function delivered(event, objId) {
    const reqs = await rx.waitFor((rs) => rs.some((q) => {
        const j = JSON.parse(q.text);
        return j.event === event && (objId === null || Object.values(j.data)[0].id === objId);
    }), 10000);
    return reqs.find((q) => {
        const j = JSON.parse(q.text);
        return j.event === event && (objId === null || Object.values(j.data)[0].id === objId);
    });
}

async function logFor(objId, event) {
    const r = await rows(`SELECT id, payload::text, floor(extract(epoch FROM created_at))::bigint FROM webhook_logs
        WHERE object_id = ${lit(objId)} AND event = ${lit(event)}`);
    assert.equal(r.length, 1, `one log row for (${objId}, ${event})`);
    return { id: r[0][0], payload: r[0][1], created: Number(r[0][2]) };
}

before(async () => {
    rx = await startReceiver({ mode: '200' });
    ({ client: mc, secret } = await merchantWithHook('wev', IP, rx.url));
});

after(async () => {
    await rx.close();
});

describe('worker events (TEST_MODE)', () => {
    it('upi payment: success, payment.created/pending/success with exact payloads and signatures', async () => {
        const order = await mc.createOrder({ amount: 50000 });
        const p0 = await mc.createPayment(order.id, { method: 'upi', vpa: 'user@paytm' });
        const t0 = Date.now();
        const p = await waitStatus(`/api/v1/payments/${p0.id}`, 'success');
        assert.ok(Date.now() - t0 >= 500, 'bank delay observed');
        assert.equal(p.error_code, undefined);
        for (const [event, status] of [['payment.created', 'pending'], ['payment.pending', 'pending'],
            ['payment.success', 'success']]) {
            const q = await delivered(event, p.id);
            const log = await logFor(p.id, event);
            const want = JSON.stringify({ event, timestamp: log.created,
                data: { payment: paymentData({ ...p, status }) } });
            assert.equal(q.text, want, `${event} payload bytes`);
            assert.equal(log.payload, want, `${event} stored payload`);
            assert.equal(q.headers['webhook-id'], log.id);
            checkSignatures(q, secret);
        }
    });

    it('card payment: payment.success payload with card_network and card_last4', async () => {
        const order = await mc.createOrder({ amount: 12345 });
        const p0 = await mc.createPayment(order.id, { method: 'card', card: { number: '5555555555554444',
            expiry_month: '12', expiry_year: '2099', cvv: '123', holder_name: 'Jane' } });
        const p = await waitStatus(`/api/v1/payments/${p0.id}`, 'success');
        const q = await delivered('payment.success', p.id);
        const log = await logFor(p.id, 'payment.success');
        assert.equal(q.text, JSON.stringify({ event: 'payment.success', timestamp: log.created,
            data: { payment: paymentData(p) } }));
        assert.deepEqual(Object.keys(JSON.parse(q.text).data.payment), ['id', 'order_id', 'amount', 'currency',
            'method', 'card_network', 'card_last4', 'status', 'created_at']);
        checkSignatures(q, secret);
    });

    it('refund: processed with processed_at, refund.created and refund.processed payloads', async () => {
        const order = await mc.createOrder({ amount: 50000 });
        const p0 = await mc.createPayment(order.id);
        await waitStatus(`/api/v1/payments/${p0.id}`, 'success');
        const r0 = await mc.post(`/api/v1/payments/${p0.id}/refunds`, { amount: 1000, reason: 'Ünïcode "reason"' });
        assert.equal(r0.status, 201, r0.text);
        const r1 = await mc.post(`/api/v1/payments/${p0.id}/refunds`, { amount: 500 });
        assert.equal(r1.status, 201, r1.text);
        const ref = await waitStatus(`/api/v1/refunds/${r0.json.id}`, 'processed');
        assert.match(ref.processed_at, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
        const refNull = await waitStatus(`/api/v1/refunds/${r1.json.id}`, 'processed');
        for (const [rf, event] of [[ref, 'refund.created'], [ref, 'refund.processed'], [refNull, 'refund.processed']]) {
            const q = await delivered(event, rf.id);
            const log = await logFor(rf.id, event);
            const data = { id: rf.id, payment_id: rf.payment_id, amount: rf.amount, reason: rf.reason,
                status: event === 'refund.created' ? 'pending' : 'processed', created_at: rf.created_at,
                processed_at: event === 'refund.created' ? null : rf.processed_at };
            assert.equal(q.text, JSON.stringify({ event, timestamp: log.created, data: { refund: data } }));
            checkSignatures(q, secret);
        }
        assert.equal(JSON.parse((await delivered('refund.processed', refNull.id)).text).data.refund.reason, null);
    });

    it('webhook.test: payload and signature', async () => {
        const r = await mc.post('/api/v1/merchant/webhook/test');
        assert.equal(r.status, 202, r.text);
        const q = await rx.waitFor((rs) => rs.some((x) => x.headers['webhook-id'] === r.json.id), 10000)
            .then((rs) => rs.find((x) => x.headers['webhook-id'] === r.json.id));
        const j = JSON.parse(q.text);
        assert.deepEqual(Object.keys(j), ['event', 'timestamp', 'data']);
        assert.equal(j.event, 'webhook.test');
        assert.deepEqual(Object.keys(j.data), ['message', 'merchant_id']);
        assert.equal(j.data.message, 'Test webhook');
        checkSignatures(q, secret);
        const st = await rows(`SELECT status, attempts, response_code, object_id IS NULL FROM webhook_logs
            WHERE id = ${lit(r.json.id)}`);
        assert.deepEqual(st[0], ['success', '1', '200', 't']);
    });

    it('TEST_PAYMENT_SUCCESS=false: failed with PAYMENT_FAILED and a payment.failed event', async () => {
        await restartWorker('TEST_PAYMENT_SUCCESS=false');
        try {
            const order = await mc.createOrder({ amount: 777 });
            const p0 = await mc.createPayment(order.id);
            const p = await waitStatus(`/api/v1/payments/${p0.id}`, 'failed', 12000);
            assert.equal(p.error_code, 'PAYMENT_FAILED');
            assert.equal(p.error_description, 'Payment processing failed');
            const q = await delivered('payment.failed', p.id);
            const log = await logFor(p.id, 'payment.failed');
            assert.equal(q.text, JSON.stringify({ event: 'payment.failed', timestamp: log.created,
                data: { payment: paymentData(p) } }));
            checkSignatures(q, secret);
            assert.equal(await count(`SELECT count(*) FROM webhook_logs WHERE object_id = ${lit(p.id)}
                AND event = 'payment.success'`), 0);
        } finally {
            await restartWorker();
        }
    });

    it('no webhook_url: no log rows, processing goes on', async () => {
        const r = await mc.put('/api/v1/merchant/webhook', { webhook_url: null });
        assert.equal(r.status, 200);
        try {
            const order = await mc.createOrder({ amount: 5000 });
            const p0 = await mc.createPayment(order.id);
            await waitStatus(`/api/v1/payments/${p0.id}`, 'success');
            assert.equal(await count(`SELECT count(*) FROM webhook_logs WHERE object_id = ${lit(p0.id)}`), 0);
        } finally {
            await mc.put('/api/v1/merchant/webhook', { webhook_url: rx.url });
        }
    });
});
