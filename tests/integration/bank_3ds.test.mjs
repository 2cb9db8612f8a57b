// (v2) SPEC 22: 3-D Secure through the API. A 4000000000003220 payment is requires_action from its
// 201 answer on, with next_action right after status in every representation, payment.created and
// payment.requires_action at creation and no job; POST /api/v1/payments/public/{id}/3ds approves
// (pending -> success) or denies (failed AUTHENTICATION_FAILED); an unanswered challenge fails
// after THREEDS_EXPIRY_S (15 min; shortened here, TEST_MODE only); at most one payment of an order
// succeeds even when an approval and another payment settle at the same instant.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Client, assertError, missingId, sleep } from '../lib/api.mjs';
import { lit, rows } from '../lib/db.mjs';
import { startReceiver } from '../lib/receiver.mjs';
import { pool, restartWorker } from './worker_helpers.mjs';
import { PAY, bankMerchant, events, final, newOrder, pay } from './bank_helpers.mjs';

const IP = '10.41.2.1';
const THREEDS = '4000000000003220';
const NOT_FOUND = ['NOT_FOUND_ERROR', 'Payment not found'];
const BAD_RESULT = ['BAD_REQUEST_ERROR', 'result must be approve or deny'];

let rx;
let ctx;
let pub;

before(async () => {
    rx = await startReceiver({ mode: '200' });
    ctx = await bankMerchant('bank3ds', IP, rx.url);
    pub = new Client({ ip: '10.41.2.2', key: undefined });
});

after(async () => {
    await rx.close();
});

function answer(id, result) {
    return pub.post(`${PAY}/public/${id}/3ds`, result === undefined ? {} : { result }, { auth: false });
}

function expectChallenge(p, label) {
    const keys = Object.keys(p);
    assert.equal(p.status, 'requires_action', `${label}: status`);
    assert.equal(keys[keys.indexOf('status') + 1], 'next_action', `${label}: next_action right after status`);
    assert.deepEqual(p.next_action, { type: 'redirect', url: `/checkout/3ds?payment_id=${p.id}` }, label);
}

describe('sandbox bank: 3-D Secure through the API (SPEC 22)', () => {
    it('creation: requires_action with next_action everywhere, two events, no job', async () => {
        const o = await newOrder(ctx.client);
        const p = await pay(ctx.client, o.id, THREEDS);
        expectChallenge(p, '201 answer');
        assert.equal(p.card_last4, '3220');
        const again = await pay(pub, o.id, THREEDS, `${PAY}/public`);
        expectChallenge(again, 'public 201 answer');
        await sleep(2500); /* longer than TEST_PROCESSING_DELAY: no job may have run */
        const g = await ctx.client.get(`${PAY}/${p.id}`);
        assert.equal(g.status, 200);
        expectChallenge(g.json, 'merchant GET');
        assert.equal(g.json.updated_at, p.updated_at, 'untouched');
        for (const path of [`${PAY}/public/${p.id}`, `${PAY}/${p.id}/public`]) {
            const r = await pub.get(path, { auth: false });
            assert.equal(r.status, 200);
            expectChallenge(r.json, path);
            assert.deepEqual(Object.keys(r.json), ['id', 'order_id', 'amount', 'currency', 'method', 'status',
                'next_action']);
        }
        const list = await ctx.client.get(`${PAY}?limit=5`);
        expectChallenge(list.json.data.find((x) => x.id === p.id), 'list');
        assert.deepEqual(await events(p.id), ['payment.created', 'payment.requires_action']);
        const payload = (await rows(`SELECT payload::text FROM webhook_logs WHERE object_id = ${lit(p.id)}
            AND event = 'payment.requires_action'`))[0][0];
        const ev = JSON.parse(payload);
        assert.equal(ev.event, 'payment.requires_action');
        assert.equal(ev.data.payment.status, 'requires_action');
        assert.equal(ev.data.payment.next_action, undefined, 'payload without next_action');
    });

    it('answer checks: result first (400), then the payment (404)', async () => {
        const o = await newOrder(ctx.client);
        const p = await pay(ctx.client, o.id, THREEDS);
        for (const bad of [undefined, 'yes', 'APPROVE', 1, null, ['approve']]) {
            assertError(await answer(p.id, bad), 400, ...BAD_RESULT);
        }
        const raw = await fetch(`${process.env.GW_API_URL}${PAY}/public/${p.id}/3ds`, {
            method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Forwarded-For': '10.41.2.3' }, body: '[',
        });
        assert.equal(raw.status, 400, 'invalid JSON');
        assertError(await answer(missingId('pay_'), 'approve'), 404, ...NOT_FOUND);
        assertError(await answer('pay_bad', 'approve'), 404, ...NOT_FOUND);
        const o2 = await newOrder(ctx.client);
        const plain = await pay(ctx.client, o2.id, '4111111111111111');
        assertError(await answer(plain.id, 'approve'), 404, ...NOT_FOUND);
        assertError(await answer(plain.id, 'deny'), 404, ...NOT_FOUND);
        const g = await ctx.client.get(`${PAY}/${p.id}`);
        expectChallenge(g.json, 'still waiting after bad answers');
    });

    it('approve: pending at once, then success; events created, requires_action, pending, success', async () => {
        const o = await newOrder(ctx.client);
        const p = await pay(ctx.client, o.id, THREEDS);
        const r = await answer(p.id, 'approve');
        assert.equal(r.status, 200, r.text);
        assert.deepEqual(Object.keys(r.json), ['id', 'order_id', 'amount', 'currency', 'method', 'status']);
        assert.equal(r.json.status, 'pending');
        assertError(await answer(p.id, 'approve'), 404, ...NOT_FOUND);
        assertError(await answer(p.id, 'deny'), 404, ...NOT_FOUND);
        const f = await final(ctx.client, p.id);
        assert.equal(f.status, 'success');
        assert.equal(f.next_action, undefined);
        assert.deepEqual(await events(p.id),
            ['payment.created', 'payment.requires_action', 'payment.pending', 'payment.success']);
        assert.equal((await ctx.client.get(`/api/v1/orders/${o.id}`)).json.status, 'paid');
    });

    it('deny: failed AUTHENTICATION_FAILED at once; events created, requires_action, failed', async () => {
        const o = await newOrder(ctx.client);
        const p = await pay(ctx.client, o.id, THREEDS);
        const r = await answer(p.id, 'deny');
        assert.equal(r.status, 200, r.text);
        assert.equal(r.json.status, 'failed');
        assert.equal(r.json.error_code, 'AUTHENTICATION_FAILED');
        assert.equal(r.json.error_description, '3-D Secure authentication failed');
        assertError(await answer(p.id, 'approve'), 404, ...NOT_FOUND);
        await sleep(1500);
        const g = await ctx.client.get(`${PAY}/${p.id}`);
        assert.equal(g.json.status, 'failed');
        assert.equal(g.json.error_code, 'AUTHENTICATION_FAILED');
        assert.deepEqual(await events(p.id), ['payment.created', 'payment.requires_action', 'payment.failed']);
        assert.equal((await ctx.client.get(`/api/v1/orders/${o.id}`)).json.status, 'created');
        /* the order can still be paid */
        const again = await pay(ctx.client, o.id, '4242424242424242');
        assert.equal((await final(ctx.client, again.id)).status, 'success');
    });

    it('an unanswered challenge expires: failed AUTHENTICATION_FAILED with payment.failed', async () => {
        await restartWorker('THREEDS_EXPIRY_S=3');
        try {
            const o = await newOrder(ctx.client);
            const p = await pay(ctx.client, o.id, THREEDS);
            const f = await final(ctx.client, p.id, 15000);
            assert.equal(f.status, 'failed');
            assert.equal(f.error_code, 'AUTHENTICATION_FAILED');
            assert.equal(f.error_description, '3-D Secure authentication failed');
            assert.ok(Date.parse(f.updated_at) - Date.parse(f.created_at) >= 3000, 'not before the expiry');
            assert.deepEqual(await events(p.id), ['payment.created', 'payment.requires_action', 'payment.failed']);
            assertError(await answer(p.id, 'approve'), 404, ...NOT_FOUND);
        } finally {
            await restartWorker();
        }
    });

    it('an approval and another payment of the order settling at once: one success', async () => {
        const n = 24;
        const cases = await pool(n, 8, async () => {
            const o = await newOrder(ctx.client);
            const challenge = await pay(ctx.client, o.id, THREEDS);
            const other = await pay(ctx.client, o.id, '4242424242424242');
            const r = await answer(challenge.id, 'approve'); /* both due ~1 s from now */
            assert.equal(r.status, 200);
            return { o, ids: [challenge.id, other.id] };
        });
        for (const { o, ids } of cases) {
            const fs = [];
            for (const id of ids) fs.push(await final(ctx.client, id));
            const ok = fs.filter((f) => f.status === 'success');
            assert.equal(ok.length, 1, `order ${o.id}: exactly one success`);
            const lost = fs.find((f) => f.status !== 'success');
            assert.equal(lost.error_code, 'ORDER_ALREADY_PAID');
            assert.equal((await ctx.client.get(`/api/v1/orders/${o.id}`)).json.status, 'paid');
        }
    });
});
