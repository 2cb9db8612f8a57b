// Capture (SPEC 6.4) and refunds (SPEC 6.5): every row, success bodies, partial refunds,
// 20 concurrent refunds never exceeding the amount.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { Client, KEYS, RE, assertError, assertOk, assertKeys, missingId } from '../lib/api.mjs';
import { count, forceStatus, lit, rows } from '../lib/db.mjs';
import { successPayment } from '../lib/fixtures.mjs';

const IP = '10.15.15.15';
const c = new Client({ ip: IP });
const PAY = '/api/v1/payments';
const bad = (r, d) => assertError(r, 400, 'BAD_REQUEST_ERROR', d);

describe('POST /api/v1/payments/{id}/capture', () => {
    let pending;
    let failed;
    let ok;
    before(async () => {
        const o = await c.createOrder({ amount: 50000 });
        pending = await c.createPayment(o.id);
        failed = await c.createPayment(o.id);
        await forceStatus(failed.id, 'failed');
        ok = await successPayment(c, 50000);
    });

    it('row 1: 404 Payment not found (missing, bad format)', async () => {
        assertError(await c.post(`${PAY}/${missingId('pay')}/capture`, {}), 404, 'NOT_FOUND_ERROR', 'Payment not found');
        assertError(await c.post(`${PAY}/pay_x/capture`, {}), 404, 'NOT_FOUND_ERROR', 'Payment not found');
    });

    for (const a of ['0', '-1', '1.5', '"100"', 'true', '[]', '{}', '2147483648', '1e3', '99999999999999999999']) {
        it(`row 2: amount ${a} -> amount must be a positive integer (checked before the state)`, async () => {
            bad(await c.post(`${PAY}/${pending.id}/capture`, undefined, { body: `{"amount":${a}}` }),
                'amount must be a positive integer');
        });
    }

    it('row 3: pending payment -> Payment not in capturable state', async () => {
        const o = await c.createOrder({ amount: 50000 });
        const p = await c.createPayment(o.id);
        bad(await c.post(`${PAY}/${p.id}/capture`, {}), 'Payment not in capturable state');
    });

    it('row 3: failed payment -> Payment not in capturable state', async () => {
        bad(await c.post(`${PAY}/${failed.id}/capture`, undefined, { body: '' }), 'Payment not in capturable state');
        bad(await c.post(`${PAY}/${failed.id}/capture`, { amount: 100 }), 'Payment not in capturable state');
    });

    it('row 4: amount above the payment amount', async () => {
        bad(await c.post(`${PAY}/${ok.id}/capture`, { amount: 50001 }), 'Capture amount exceeds payment amount');
    });

    it('200 captured; repeat changes nothing; amount null or equal accepted', async () => {
        const r = await c.post(`${PAY}/${ok.id}/capture`, { amount: 50000 });
        const p = assertOk(r, 200, KEYS.paymentUpi);
        assert.equal(p.captured, true);
        assert.equal(p.status, 'success');
        assert.equal(p.id, ok.id);
        const again = await c.post(`${PAY}/${ok.id}/capture`, undefined, { body: '' });
        assertOk(again, 200);
        assert.equal(again.text, r.text, 'repeat capture returns the same body');
        const n = await c.post(`${PAY}/${ok.id}/capture`, { amount: null });
        assert.equal(n.text, r.text);
        const g = await c.get(`${PAY}/${ok.id}`);
        assert.equal(g.text, r.text);
        assert.equal(await count(`SELECT count(*) FROM payments WHERE id = ${lit(ok.id)} AND captured`), 1);
    });

    it('partial amount captures the whole payment', async () => {
        const p = await successPayment(c, 30000);
        const r = assertOk(await c.post(`${PAY}/${p.id}/capture`, { amount: 1 }), 200, KEYS.paymentUpi);
        assert.equal(r.captured, true);
        assert.equal(r.amount, 30000);
    });

    it('card payment capture keeps the card keys', async () => {
        const o = await c.createOrder({ amount: 9900 });
        const { validCard } = await import('../lib/api.mjs');
        const p0 = await c.createPayment(o.id, { method: 'card', card: validCard() });
        const { settled } = await import('../lib/fixtures.mjs');
        await settled(c, p0.id, 'success');
        assertOk(await c.post(`${PAY}/${p0.id}/capture`, {}), 200, KEYS.paymentCard);
    });
});

describe('POST /api/v1/payments/{id}/refunds', () => {
    let pending;
    let ok;
    before(async () => {
        const o = await c.createOrder({ amount: 50000 });
        pending = await c.createPayment(o.id);
        ok = await successPayment(c, 50000);
    });

    it('row 1: 404 Payment not found', async () => {
        assertError(await c.post(`${PAY}/${missingId('pay')}/refunds`, { amount: 100 }), 404, 'NOT_FOUND_ERROR',
            'Payment not found');
        assertError(await c.post(`${PAY}/nope/refunds`, { amount: 100 }), 404, 'NOT_FOUND_ERROR', 'Payment not found');
    });

    for (const body of ['{}', '{"amount":null}', '{"amount":0}', '{"amount":-5}', '{"amount":1.5}',
        '{"amount":"100"}', '{"amount":true}', '{"amount":2147483648}', '{"amount":1e2}', '{"amount":[1]}',
        '{"reason":"x"}', '{"amount":-99999999999999999999}']) {
        it(`row 2: ${body} -> amount must be a positive integer`, async () => {
            bad(await c.post(`${PAY}/${pending.id}/refunds`, undefined, { body }), 'amount must be a positive integer');
        });
    }

    for (const [label, reason] of [['number', 5], ['1001 characters', 'r'.repeat(1001)],
        ['1001 multi-byte', 'é'.repeat(1001)], ['NUL', 'a\u0000b'], ['object', { a: 1 }], ['boolean', false]]) {
        it(`row 3: reason ${label} -> reason must be a string of at most 1000 characters`, async () => {
            bad(await c.post(`${PAY}/${pending.id}/refunds`, { amount: 100, reason }),
                'reason must be a string of at most 1000 characters');
        });
    }

    it('row 4: pending or failed payment -> Payment not in refundable state', async () => {
        const o = await c.createOrder({ amount: 50000 });
        const fresh = await c.createPayment(o.id); // still pending: the bank delay is 1 s
        bad(await c.post(`${PAY}/${fresh.id}/refunds`, { amount: 100 }), 'Payment not in refundable state');
        const f = await c.createPayment(o.id);
        await forceStatus(f.id, 'failed');
        bad(await c.post(`${PAY}/${f.id}/refunds`, { amount: 100, reason: null }), 'Payment not in refundable state');
    });

    it('row 5: amount above the payment amount', async () => {
        bad(await c.post(`${PAY}/${ok.id}/refunds`, { amount: 50001 }), 'Refund amount exceeds available amount');
    });

    it('201 refund, GET refund, list; partial refunds add up; payment stays success', async () => {
        const r1 = await c.post(`${PAY}/${ok.id}/refunds`, { amount: 20000, reason: 'Customer requested refund' });
        const f1 = assertOk(r1, 201, KEYS.refund);
        assert.match(f1.id, RE.refund);
        assert.equal(f1.payment_id, ok.id);
        assert.equal(f1.amount, 20000);
        assert.equal(f1.reason, 'Customer requested refund');
        assert.equal(f1.status, 'pending');
        assert.match(f1.created_at, RE.ts);
        assert.equal(f1.processed_at, null);

        const f2 = assertOk(await c.post(`${PAY}/${ok.id}/refunds`, { amount: 29999, reason: 'r'.repeat(1000) }), 201,
            KEYS.refund);
        assert.equal(f2.reason.length, 1000);
        const f3 = assertOk(await c.post(`${PAY}/${ok.id}/refunds`, { amount: 1 }), 201, KEYS.refund);
        assert.equal(f3.reason, null);
        bad(await c.post(`${PAY}/${ok.id}/refunds`, { amount: 1 }), 'Refund amount exceeds available amount');

        const g = await c.get(`/api/v1/refunds/${f1.id}`);
        const gj = assertOk(g, 200, KEYS.refund);
        assert.equal(gj.id, f1.id);
        if (gj.status === 'pending') assert.equal(g.text, r1.text);
        else {
            assert.equal(gj.status, 'processed');
            assert.match(gj.processed_at, RE.ts);
        }

        const l = assertOk(await c.get(`${PAY}/${ok.id}/refunds`), 200, KEYS.list);
        assert.equal(l.total, 3);
        assert.deepEqual(l.data.map((x) => x.id), [f3.id, f2.id, f1.id]);
        for (const x of l.data) assertKeys(x, KEYS.refund);
        const l2 = assertOk(await c.get(`${PAY}/${ok.id}/refunds?limit=1&offset=1`), 200, KEYS.list);
        assert.deepEqual(l2.data.map((x) => x.id), [f2.id]);
        assert.equal(l2.total, 3);

        const p = assertOk(await c.get(`${PAY}/${ok.id}`), 200);
        assert.equal(p.status, 'success');
        assert.equal(await count(`SELECT coalesce(sum(amount),0) FROM refunds WHERE payment_id = ${lit(ok.id)}`), 50000);
    });

    it('GET /api/v1/refunds/{id}: 404 Refund not found', async () => {
        assertError(await c.get(`/api/v1/refunds/${missingId('rfnd')}`), 404, 'NOT_FOUND_ERROR', 'Refund not found');
    });

    it('GET /api/v1/payments/{id}/refunds: 404 and list errors', async () => {
        assertError(await c.get(`${PAY}/${missingId('pay')}/refunds`), 404, 'NOT_FOUND_ERROR', 'Payment not found');
        bad(await c.get(`${PAY}/${ok.id}/refunds?limit=0`), 'limit must be an integer between 1 and 100');
        bad(await c.get(`${PAY}/${ok.id}/refunds?offset=x`), 'offset must be a non-negative integer');
        const l = assertOk(await c.get(`${PAY}/${pending.id}/refunds`), 200, KEYS.list); // no refund was accepted
        assert.deepEqual(l.data, []);
        assert.equal(l.total, 0);
    });

    it('refund on a captured payment is accepted (capture not required either way)', async () => {
        const p = await successPayment(c, 10000);
        assertOk(await c.post(`${PAY}/${p.id}/capture`, {}), 200);
        assertOk(await c.post(`${PAY}/${p.id}/refunds`, { amount: 10000 }), 201, KEYS.refund);
    });
});

describe('concurrent refunds', () => {
    it('20 concurrent refunds of 40000 on one 50000 payment: exactly one accepted', async () => {
        const p = await successPayment(c, 50000);
        const rs = await Promise.all(Array.from({ length: 20 }, (_, i) =>
            c.post(`${PAY}/${p.id}/refunds`, { amount: 40000, reason: `race ${i}` })));
        const accepted = rs.filter((r) => r.status === 201);
        assert.equal(accepted.length, 1, rs.map((r) => r.status).join(','));
        for (const r of rs) {
            if (r.status !== 201) bad(r, 'Refund amount exceeds available amount');
        }
        const sum = Number((await rows(`SELECT coalesce(sum(amount),0) FROM refunds WHERE payment_id = ${lit(p.id)}`))[0][0]);
        assert.equal(sum, 40000);
        assert.ok(sum <= 50000);
    });

    it('20 concurrent refunds of 5000 on a 50000 payment: all accepted, then none', async () => {
        const p = await successPayment(c, 50000);
        const rs = await Promise.all(Array.from({ length: 20 }, () =>
            c.post(`${PAY}/${p.id}/refunds`, { amount: 5000 })));
        const st = rs.map((r) => r.status);
        assert.equal(st.filter((s) => s === 201).length, 10, st.join(','));
        for (const r of rs) if (r.status !== 201) bad(r, 'Refund amount exceeds available amount');
        assert.equal(await count(`SELECT coalesce(sum(amount),0) FROM refunds WHERE payment_id = ${lit(p.id)}`), 50000);
    });
});
