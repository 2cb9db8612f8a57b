// Recovery in seconds (issue 10, point 9): after a single fault ends, every payment is final
// within its bank delay + 10 s. Each case makes the fault for real (kill -9 of the worker in the
// middle of a settling transaction, Redis restarted empty, a committed payment whose push never
// happened, PostgreSQL restarted) and times the way back. Before the reliable claim, the sweep
// on a Redis that lost its data and the unpushed sweep, each of the first three waited for the
// 30 s sweep plus its D + 30 s age threshold (30-70 s).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createMerchant, sleep } from '../lib/api.mjs';
import { DATABASE_URL, lit, rows } from '../lib/db.mjs';
import { stack, waitHealthy } from '../lib/stack.mjs';
import { bulkOrders, createPayments, redis, spreadClients, waitCount } from './worker_helpers.mjs';

/* A bank delay long enough to make each fault while the payments are in it. */
const D = 4000;
const BOUND_MS = D + 10000;

function idList(ids) {
    return ids.map(lit).join(',');
}

/* Milliseconds from t0 until every payment of ids is final (or the timeout passed). */
async function timeToFinal(ids, t0, timeoutMs = 60000) {
    const n = await waitCount(`SELECT count(*) FROM payments WHERE id IN (${idList(ids)}) AND status <> 'pending'`,
        ids.length, timeoutMs);
    return { n, ms: Date.now() - t0 };
}

/* Waits until every payment's job sits in the delayed set (the worker took it). */
async function waitDelayed(ids, timeoutMs = 15000) {
    const members = ids.map((id) => JSON.stringify({ type: 'payment', id, deliveries: 0 }));
    const end = Date.now() + timeoutMs;
    for (;;) {
        const scores = (await redis('ZMSCORE', 'queue:payments:delayed', ...members)).split('\n');
        const missing = scores.filter((x) => x === '').length;
        if (missing === 0) return;
        if (Date.now() > end) throw new Error(`${missing} jobs never reached the delayed set`);
        await sleep(50);
    }
}

async function payments(label, prefix, n) {
    const m = await createMerchant(label);
    const clients = spreadClients(m, prefix, 8);
    const created = await createPayments(clients, await bulkOrders(m.id, n, 10000), n, 16);
    return { m, ids: created.map((p) => p.id) };
}

/* Holds row locks on the payments for holdMs in a separate session; resolves when it ends. */
function lockPayments(ids, holdMs) {
    const script = `BEGIN;\nSELECT id FROM payments WHERE id IN (${idList(ids)}) FOR UPDATE;\n` +
        `SELECT pg_sleep(${holdMs / 1000});\nCOMMIT;\n`;
    return new Promise((resolve, reject) => {
        const child = execFile('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', DATABASE_URL],
            (err) => (err ? reject(err) : resolve(Date.now())));
        child.stdin.end(script);
    });
}

describe('recovery within the bank delay + 10 s', () => {
    before(async () => {
        await stack('worker-stop');
        await stack('worker-start', `TEST_PROCESSING_DELAY=${D}`);
        await waitHealthy(30000, (h) => h?.json?.worker === 'running');
    });

    after(async () => {
        await stack('worker-stop');
        await stack('worker-start');
        await waitHealthy(30000, (h) => h?.json?.worker === 'running');
    });

    it('kill -9 of the worker between its claim and its COMMIT: the claimed jobs come back at once', async () => {
        const { ids } = await payments('rclaim', '10.7.9', 20);
        await waitDelayed(ids);
        /* The worker claims them when due and blocks on these row locks inside its settling
         * transaction; it is killed there, before COMMIT. (Its restarted successor may claim
         * the payments that fall due later and settle them once the locks go: what is timed is
         * the way back of the jobs the killed worker had claimed.) */
        const locked = lockPayments(ids, D + 1500);
        const blocked = await waitCount(`SELECT count(*) FROM pg_stat_activity WHERE application_name = 'gw-worker'
            AND wait_event_type = 'Lock'`, 1, D + 5000);
        assert.ok(blocked >= 1, 'the worker blocked in its settling transaction');
        await stack('worker-kill9');
        const released = await locked;
        const { n, ms } = await timeToFinal(ids, released);
        console.log(`# claim: all ${n} final ${ms} ms after the locks were released (bound ${BOUND_MS} ms)`);
        assert.equal(n, ids.length, 'every payment final');
        assert.ok(ms <= BOUND_MS, `final ${ms} ms after the fault ended (bound ${BOUND_MS} ms)`);
        await waitHealthy(30000, (h) => h?.json?.worker === 'running');
    });

    it('Redis restarted empty: every pending payment is swept on reconnect', async () => {
        const { ids } = await payments('rredis', '10.7.10', 50);
        await waitDelayed(ids);
        await stack('redis-stop');
        await sleep(1500);
        await stack('redis-start');
        const t0 = Date.now();
        const { n, ms } = await timeToFinal(ids, t0);
        console.log(`# redis: all ${n} final ${ms} ms after Redis came back (bound ${BOUND_MS} ms)`);
        assert.equal(n, ids.length, 'every payment final');
        assert.ok(ms <= BOUND_MS, `final ${ms} ms after Redis came back (bound ${BOUND_MS} ms)`);
        await waitHealthy(30000);
    });

    it('committed but never pushed (an API process killed between COMMIT and its push): found within seconds', async () => {
        const m = await createMerchant('runpushed');
        const orders = await bulkOrders(m.id, 10, 10000);
        /* Exactly what such a process leaves behind: the rows of a created payment, committed,
         * and no job in Redis. */
        const ids = (await rows(`INSERT INTO payments (id, order_id, merchant_id, amount, currency, method, vpa, status)
            SELECT 'pay_' || substr(md5(random()::text || o.id), 1, 16), o.id, o.merchant_id, o.amount, 'INR', 'upi',
            'user@paytm', 'pending' FROM orders o WHERE o.id IN (${idList(orders)}) RETURNING id`)).map((r) => r[0]);
        const t0 = Date.now();
        assert.equal(ids.length, 10);
        const { n, ms } = await timeToFinal(ids, t0);
        console.log(`# unpushed: all ${n} final ${ms} ms after the commit (bound ${BOUND_MS} ms)`);
        assert.equal(n, ids.length, 'every payment final');
        assert.ok(ms <= BOUND_MS, `final ${ms} ms after the commit (bound ${BOUND_MS} ms)`);
    });

    it('PostgreSQL restarted: the worker reconnects with a short backoff and settles', async () => {
        const { ids } = await payments('rpg', '10.7.11', 50);
        await waitDelayed(ids);
        await stack('pg-stop');
        await sleep(3000);
        await stack('pg-start');
        const t0 = Date.now();
        const { n, ms } = await timeToFinal(ids, t0);
        console.log(`# postgresql: all ${n} final ${ms} ms after PostgreSQL came back (bound ${BOUND_MS} ms)`);
        assert.equal(n, ids.length, 'every payment final');
        assert.ok(ms <= BOUND_MS, `final ${ms} ms after PostgreSQL came back (bound ${BOUND_MS} ms)`);
        await waitHealthy(30000);
    });
});
