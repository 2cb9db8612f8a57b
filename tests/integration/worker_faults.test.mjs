// Worker under failure (SPEC 10.4, 19): kill -9 during a run, Redis flushed mid-run, PostgreSQL
// restarted mid-run. Asserted with SQL invariants: every object final exactly once, one log row
// per (object, event), every event delivered.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createMerchant, sleep } from '../lib/api.mjs';
import { count, rows } from '../lib/db.mjs';
import { startReceiver } from '../lib/receiver.mjs';
import { stack, waitHealthy } from '../lib/stack.mjs';
import {
    bulkOrders, createPayments, merchantWithHook, pool, redis, spreadClients, waitCount,
} from './worker_helpers.mjs';

let rx;

before(async () => {
    rx = await startReceiver({ mode: '200' });
});

after(async () => {
    await rx.close();
});

async function invariants(mid, nPay, nRef) {
    const w = `merchant_id = '${mid}'`;
    assert.equal(await count(`SELECT count(*) FROM payments WHERE ${w} AND status = 'success'`), nPay,
        'every payment final');
    assert.equal(await count(`SELECT count(*) FROM refunds WHERE ${w} AND status = 'processed'
        AND processed_at IS NOT NULL`), nRef, 'every refund processed');
    assert.equal(await count(`SELECT count(*) FROM (SELECT object_id, event FROM webhook_logs WHERE ${w}
        GROUP BY 1, 2 HAVING count(*) > 1) d`), 0, 'one log row per (object, event)');
    for (const ev of ['payment.created', 'payment.pending', 'payment.success']) {
        assert.equal(await count(`SELECT count(*) FROM webhook_logs WHERE ${w} AND event = '${ev}'`), nPay, ev);
    }
    for (const ev of ['refund.created', 'refund.processed']) {
        assert.equal(await count(`SELECT count(*) FROM webhook_logs WHERE ${w} AND event = '${ev}'`), nRef, ev);
    }
    assert.equal(await count(`SELECT count(*) FROM webhook_logs WHERE ${w} AND event = 'payment.failed'`), 0);
    const total = nPay * 3 + nRef * 2;
    const ok = await waitCount(`SELECT count(*) FROM webhook_logs WHERE ${w} AND status = 'success'`, total, 60000);
    assert.equal(ok, total, 'every log delivered');
    const ids = await rows(`SELECT id FROM webhook_logs WHERE ${w}`);
    const got = new Set(rx.requests.map((q) => q.headers['webhook-id']));
    const missing = ids.filter(([id]) => !got.has(id));
    assert.equal(missing.length, 0, `every event reached the receiver (${missing.length} missing)`);
}

describe('faults', () => {
    it('kill -9 of the worker during 1,000 payments and refunds: each final exactly once', async () => {
        const { m } = await merchantWithHook('wkill', '10.7.5.1', rx.url);
        const clients = spreadClients(m, '10.7.5', 30);
        const orders = await bulkOrders(m.id, 800, 100000); /* one per payment (v2) */
        const first = await createPayments(clients, orders.slice(0, 300), 300);
        await waitCount(`SELECT count(*) FROM payments WHERE merchant_id = '${m.id}' AND status = 'success'`, 300, 30000);
        let killing = true;
        const killer = (async () => {
            for (let k = 0; k < 4 && killing; k++) {
                await sleep(1200);
                await stack('worker-kill9');
            }
        })();
        const [, refunds] = await Promise.all([
            createPayments(clients, orders.slice(300), 500),
            pool(first.length, 32, async (i) => {
                const c = clients[i % clients.length];
                for (let t = 0; ; t++) {
                    const r = await c.post(`/api/v1/payments/${first[i].id}/refunds`, { amount: 100 });
                    if (r.status === 201) return r.json;
                    if (t > 20) throw new Error(`refund: ${r.status} ${r.text}`);
                    await sleep(200);
                }
            }),
        ]);
        killing = false;
        await killer;
        await waitHealthy(30000, (h) => h?.json?.worker === 'running');
        /* Jobs lost with a killed process come back through the sweep (D + 30 s, every 30 s). */
        await waitCount(`SELECT count(*) FROM payments WHERE merchant_id = '${m.id}' AND status = 'success'`, 800, 90000);
        await waitCount(`SELECT count(*) FROM refunds WHERE merchant_id = '${m.id}' AND status = 'processed'`,
            refunds.length, 90000);
        await invariants(m.id, 800, refunds.length);
    });

    it('Redis flushed mid-run: the sweep re-enqueues every pending payment', async () => {
        const m = await createMerchant('wflush');
        const clients = spreadClients(m, '10.7.6', 10);
        await createPayments(clients, await bulkOrders(m.id, 200, 10000), 200);
        await redis('FLUSHALL');
        const n = await waitCount(`SELECT count(*) FROM payments WHERE merchant_id = '${m.id}' AND status <> 'pending'`,
            200, 75000);
        assert.equal(n, 200, 'all settled after the flush');
    });

    it('PostgreSQL restarted mid-run: the worker reconnects and finishes', async () => {
        const { m } = await merchantWithHook('wpg', '10.7.7.1', rx.url);
        const clients = spreadClients(m, '10.7.7', 10);
        await createPayments(clients, await bulkOrders(m.id, 200, 100000), 200);
        await stack('pg-stop');
        await sleep(3000);
        const h = await fetch(`${process.env.GW_API_URL || 'http://127.0.0.1:18000'}/health`).then((r) => r.json());
        assert.equal(h.worker, 'running', 'heartbeat continues while PostgreSQL is down');
        await stack('pg-start');
        await waitHealthy(30000);
        const n = await waitCount(`SELECT count(*) FROM payments WHERE merchant_id = '${m.id}' AND status = 'success'`,
            200, 75000);
        assert.equal(n, 200, 'all settled after the restart');
        await invariants(m.id, 200, 0);
    });
});
