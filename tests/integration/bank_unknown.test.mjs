// (v2) SPEC 22: unknown bank answers. The reconciler re-queries after BANK_REQUERY_S with backoff
// (x2 each time), at most 5 times, then the payment fails PROCESSING_ERROR; while unknown the
// payment stays pending with its representation unchanged and no event; the recovery sweep
// leaves it to the reconciler. BANK_FAULT_RATE=1 makes every bank call of the worker fail.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { count, lit, rows } from '../lib/db.mjs';
import { startReceiver } from '../lib/receiver.mjs';
import { gatewayctl, restartWorker } from './worker_helpers.mjs';
import { PAY, bankMerchant, bankRow, events, final, newOrder, pay } from './bank_helpers.mjs';

const IP = '10.41.3.1';

let rx;
let ctx;

before(async () => {
    rx = await startReceiver({ mode: '200' });
    ctx = await bankMerchant('bankunknown', IP, rx.url);
});

after(async () => {
    await rx.close();
});

describe('sandbox bank: unknown outcomes (SPEC 22)', () => {
    it('a bank that never answers: 5 re-queries with backoff, then failed PROCESSING_ERROR', async () => {
        /* No late answer within the test (BANK_TIMEOUT_MS 10 min), every call and re-query faulty. */
        await restartWorker('BANK_FAULT_RATE=1', 'BANK_REQUERY_S=1', 'BANK_TIMEOUT_MS=600000');
        try {
            const ps = [];
            for (const v of ['4111111111111111', 'user@paytm', '4242424242424242']) {
                const o = await newOrder(ctx.client);
                ps.push(await pay(ctx.client, o.id, v));
            }
            /* The sweeps leave unknown payments alone (`gatewayctl jobs recover` runs them without the
             * age condition). */
            await new Promise((r) => setTimeout(r, 2500));
            for (const p of ps) assert.equal((await bankRow(p.id)).unknown, true, 'recorded unknown');
            const rec = await gatewayctl('jobs', 'recover');
            assert.equal(rec.code, 0, rec.stderr);
            const t0 = Date.now();
            for (const p of ps) {
                const g = await ctx.client.get(`${PAY}/${p.id}`);
                assert.equal(g.text, JSON.stringify(p), 'unchanged while unknown');
            }
            /* 1 + 2 + 4 + 8 + 16 s of backoff after the first call */
            for (const p of ps) {
                const f = await final(ctx.client, p.id, 60000);
                assert.equal(f.status, 'failed');
                assert.equal(f.error_code, 'PROCESSING_ERROR');
                assert.equal(f.error_description, 'The bank could not process the payment');
                assert.ok(Date.parse(f.updated_at) - Date.parse(f.created_at) >= 30000,
                    `backoff 1+2+4+8+16 s (${f.created_at} -> ${f.updated_at})`);
                const b = await bankRow(p.id);
                assert.equal(b.requeries, 5, 'at most 5 re-queries');
                assert.deepEqual(await events(p.id), ['payment.created', 'payment.pending', 'payment.failed']);
            }
            assert.ok(Date.now() - t0 > 20000);
        } finally {
            await restartWorker();
        }
    });

    it('a re-query that answers settles at once; the count of re-queries is kept', async () => {
        const o = await newOrder(ctx.client);
        const p = await pay(ctx.client, o.id, 'timeout@upi');
        const f = await final(ctx.client, p.id);
        assert.equal(f.status, 'success');
        const b = await bankRow(p.id);
        assert.equal(b.scenario, 'timeout');
        assert.equal(b.requeries, 1, 'one re-query');
        assert.equal(b.outcome, '(none)', 'a magic value needs no remembered outcome');
        assert.equal(await count(`SELECT count(*) FROM webhook_logs WHERE object_id = ${lit(p.id)}`), 3);
        const [[paid]] = await rows(`SELECT status FROM orders WHERE id = ${lit(o.id)}`);
        assert.equal(paid, 'paid');
    });
});
