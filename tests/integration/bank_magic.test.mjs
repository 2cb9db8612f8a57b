// (v2) SPEC 22: every magic value of the sandbox bank reaches its outcome with its error_code and
// error_description, through the merchant and the public route, with its events exactly once; the
// magic values win over TEST_PAYMENT_SUCCESS and every other number keeps SPEC 10.3; the card
// number is never stored.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { sleep } from '../lib/api.mjs';
import { count, lit, rows } from '../lib/db.mjs';
import { startReceiver } from '../lib/receiver.mjs';
import { restartWorker } from './worker_helpers.mjs';
import { PAY, bankMerchant, bankRow, events, final, newOrder, pay } from './bank_helpers.mjs';

const IP = '10.41.1.1';

/* value, final status, error_code, error_description */
const MAGIC = [
    ['4242424242424242', 'success', null, null],
    ['5555555555554444', 'success', null, null],
    ['success@upi', 'success', null, null],
    ['4000000000000002', 'failed', 'CARD_DECLINED', 'Declined by the bank'],
    ['failure@upi', 'failed', 'UPI_DECLINED', 'Declined by the bank'],
    ['4000000000009995', 'failed', 'INSUFFICIENT_FUNDS', 'Insufficient funds'],
    ['4000000000000069', 'failed', 'EXPIRED_CARD', 'Card expired'],
    ['4000000000000127', 'failed', 'INCORRECT_CVC', 'Incorrect CVC'],
    ['4000000000000119', 'failed', 'PROCESSING_ERROR', 'The bank could not process the payment'],
    ['4000000000000259', 'success', null, null],
    ['timeout@upi', 'success', null, null],
    ['4000000000000267', 'failed', 'PROCESSING_ERROR', 'The bank could not process the payment'],
];

let rx;
let ctx;

before(async () => {
    rx = await startReceiver({ mode: '200' });
    ctx = await bankMerchant('bankmagic', IP, rx.url);
});

after(async () => {
    await rx.close();
});

function expectFinal(p, [value, status, code, description]) {
    assert.equal(p.status, status, `${value}: status`);
    if (status === 'failed') {
        assert.equal(p.error_code, code, `${value}: error_code`);
        assert.equal(p.error_description, description, `${value}: error_description`);
    } else {
        assert.equal(p.error_code, undefined, `${value}: no error_code on success`);
    }
}

describe('sandbox bank: magic values (SPEC 22)', () => {
    it('every magic value ends with its outcome, error_code and events (merchant route)', async () => {
        const created = [];
        for (const m of MAGIC) {
            const o = await newOrder(ctx.client);
            const p = await pay(ctx.client, o.id, m[0]);
            assert.equal(p.status, 'pending', `${m[0]}: 201 pending`);
            assert.equal(p.next_action, undefined, `${m[0]}: no next_action`);
            created.push([p, m]);
        }
        for (const [p, m] of created) {
            expectFinal(await final(ctx.client, p.id, 20000), m);
            const terminal = m[1] === 'success' ? 'payment.success' : 'payment.failed';
            assert.deepEqual(await events(p.id), ['payment.created', 'payment.pending', terminal],
                `${m[0]}: events once each`);
            const r = await rows(`SELECT o.status FROM orders o JOIN payments p ON p.order_id = o.id
                WHERE p.id = ${lit(p.id)}`);
            assert.equal(r[0][0], m[1] === 'success' ? 'paid' : 'created', `${m[0]}: order status`);
        }
    });

    it('the public route gives the same outcomes', async () => {
        const picks = [MAGIC[3], MAGIC[4], MAGIC[5], MAGIC[0]];
        const pub = ctx.client.withCreds(undefined, undefined);
        for (const m of picks) {
            const o = await newOrder(ctx.client);
            const p = await pay(pub, o.id, m[0], `${PAY}/public`);
            expectFinal(await final(ctx.client, p.id), m);
            const g = await pub.get(`${PAY}/public/${p.id}`, { auth: false });
            assert.equal(g.status, 200);
            assert.equal(g.json.status, m[1]);
            if (m[1] === 'failed') assert.equal(g.json.error_code, m[2]);
        }
    });

    it('an unknown answer keeps the payment pending and unchanged until the re-query', async () => {
        const o = await newOrder(ctx.client);
        const p = await pay(ctx.client, o.id, '4000000000000259');
        /* The bank call is due after TEST_PROCESSING_DELAY (1 s); the re-query BANK_REQUERY_S (2 s) later. */
        let seen = null;
        for (let i = 0; i < 40 && !seen; i++) {
            const b = await bankRow(p.id);
            if (b.unknown) seen = b;
            else await sleep(100);
        }
        assert.ok(seen, 'the answer was recorded as unknown');
        assert.equal(seen.scenario, 'timeout');
        const g = await ctx.client.get(`${PAY}/${p.id}`);
        assert.equal(g.status, 200);
        assert.equal(g.text, JSON.stringify(p), 'representation unchanged while unknown');
        assert.deepEqual(await events(p.id), ['payment.created', 'payment.pending'], 'no event while unknown');
        const f = await final(ctx.client, p.id);
        assert.equal(f.status, 'success');
        assert.ok(Date.parse(f.updated_at) - Date.parse(f.created_at) >= 2000, 'settled by the re-query (>= 3 s)');
    });

    it('magic values win over TEST_PAYMENT_SUCCESS=false; other numbers keep SPEC 10.3', async () => {
        await restartWorker('TEST_PAYMENT_SUCCESS=false');
        try {
            const cases = [[MAGIC[0], 'success'], [MAGIC[2], 'success'], [['4111111111111111'], 'failed'],
                [['user@paytm'], 'failed']];
            const ps = [];
            for (const [m] of cases) {
                const o = await newOrder(ctx.client);
                ps.push(await pay(ctx.client, o.id, m[0]));
            }
            for (let i = 0; i < cases.length; i++) {
                const f = await final(ctx.client, ps[i].id);
                assert.equal(f.status, cases[i][1], `${cases[i][0][0]} with TEST_PAYMENT_SUCCESS=false`);
                if (f.status === 'failed') {
                    assert.equal(f.error_code, 'PAYMENT_FAILED');
                    assert.equal(f.error_description, 'Payment processing failed');
                }
            }
        } finally {
            await restartWorker();
        }
        const o = await newOrder(ctx.client);
        const p = await pay(ctx.client, o.id, '4111111111111111');
        assert.equal((await final(ctx.client, p.id)).status, 'success', 'an ordinary number succeeds in TEST_MODE');
        assert.equal((await bankRow(p.id)).scenario, '(none)', 'no scenario for an ordinary number');
    });

    it('the card number is never stored: only the outcome class', async () => {
        for (const n of ['4000000000000002', '4000000000003220', '4000000000000259', '4242424242424242']) {
            assert.equal(await count(`SELECT count(*) FROM payments p WHERE row_to_json(p)::text LIKE '%${n}%'`), 0,
                `${n} in payments`);
            assert.equal(await count(`SELECT count(*) FROM webhook_logs w WHERE w.payload::text LIKE '%${n}%'`), 0,
                `${n} in webhook_logs`);
            assert.equal(await count(`SELECT count(*) FROM idempotency_keys k WHERE row_to_json(k)::text LIKE '%${n}%'`), 0,
                `${n} in idempotency_keys`);
        }
    });
});
