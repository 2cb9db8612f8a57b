// (v2) An order is paid at most once (SPEC 6.2, 6.3 check 2b, 10.3): the order moves to `paid` in
// the statement that settles its first successful payment; later payments are refused (400 Order
// already paid, between checks 2 and 3) and a payment whose bank outcome is success on an order
// already paid ends failed / ORDER_ALREADY_PAID with a payment.failed event, also when many
// payments of one order settle in one batch, or in two workers at the same instant.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
    BIN_DIR, Client, KEYS, assertError, assertOk, createMerchant, missingId, sleep, validCard,
} from '../lib/api.mjs';
import { count, lit, rows, scalar, sql } from '../lib/db.mjs';
import { startReceiver } from '../lib/receiver.mjs';
import { STATE_DIR, stack, waitFor, waitHealthy } from '../lib/stack.mjs';
import { merchantWithHook, redis, restartWorker, waitCount } from './worker_helpers.mjs';

const IP = '10.31.7.1';
const PAY = '/api/v1/payments';
const UPI = { method: 'upi', vpa: 'user@paytm' };
const ALREADY = ['BAD_REQUEST_ERROR', 'Order already paid'];

let rx;

before(async () => {
    rx = await startReceiver({ mode: '200' });
});

after(async () => {
    await rx.close();
});

/* Waits until the payment left pending; returns its row as the API shows it. */
async function settled(client, id, timeoutMs = 20000) {
    const p = await waitFor(async () => {
        const r = await client.get(`${PAY}/${id}`);
        return r.status === 200 && r.json.status !== 'pending' ? r.json : null;
    }, timeoutMs, 200);
    assert.ok(p, `payment ${id} settled`);
    return p;
}

/* Per order: its status, and its payments by status and error_code. */
async function outcomeByOrder(merchantId) {
    const r = await rows(`SELECT o.id, o.status,
        count(p.id) FILTER (WHERE p.status = 'success'),
        count(p.id) FILTER (WHERE p.status = 'failed' AND p.error_code = 'ORDER_ALREADY_PAID'
            AND p.error_description = 'Order already paid'),
        count(p.id) FILTER (WHERE p.status = 'pending'),
        count(p.id),
        bool_and(p.status <> 'success' OR p.updated_at = o.updated_at)
        FROM orders o JOIN payments p ON p.order_id = o.id
        WHERE o.merchant_id = ${lit(merchantId)} GROUP BY o.id, o.status ORDER BY o.id`);
    return r.map(([id, status, ok, already, pending, total, sameTs]) => ({
        id, status, ok: Number(ok), already: Number(already), pending: Number(pending), total: Number(total),
        sameTs: sameTs === 't',
    }));
}

/* Every payment of the merchant has exactly one final event matching its status, a
 * payment.failed payload of ORDER_ALREADY_PAID carries the error fields (SPEC 11.2), and no
 * (object, event) has two rows. */
async function assertEvents(merchantId, nPayments, nOrders) {
    const w = `merchant_id = ${lit(merchantId)}`;
    assert.equal(await count(`SELECT count(*) FROM (SELECT object_id, event FROM webhook_logs WHERE ${w}
        GROUP BY 1, 2 HAVING count(*) > 1) d`), 0, 'one log row per (object, event)');
    assert.equal(await count(`SELECT count(*) FROM webhook_logs WHERE ${w} AND event = 'payment.success'`), nOrders,
        'one payment.success per order');
    assert.equal(await count(`SELECT count(*) FROM webhook_logs WHERE ${w} AND event = 'payment.failed'`),
        nPayments - nOrders, 'payment.failed for every other payment');
    assert.equal(await count(`SELECT count(*) FROM payments p WHERE p.${w} AND NOT EXISTS (SELECT 1 FROM webhook_logs l
        WHERE l.object_id = p.id AND l.event = CASE WHEN p.status = 'success' THEN 'payment.success'
        ELSE 'payment.failed' END)`), 0, 'each payment has the event of its status');
    assert.equal(await count(`SELECT count(*) FROM webhook_logs l JOIN payments p ON p.id = l.object_id
        WHERE l.${w} AND l.event IN ('payment.success', 'payment.failed')
        AND l.event <> CASE WHEN p.status = 'success' THEN 'payment.success' ELSE 'payment.failed' END`), 0,
        'no event contradicts the final status');
    const sample = await rows(`SELECT l.payload::text, p.method FROM webhook_logs l JOIN payments p ON p.id = l.object_id
        WHERE l.${w} AND l.event = 'payment.failed' ORDER BY l.created_at, l.id LIMIT 20`);
    for (const [payload, method] of sample) {
        const j = JSON.parse(payload);
        assert.equal(JSON.stringify(j), payload, 'payload is canonical');
        assert.deepEqual(Object.keys(j), ['event', 'timestamp', 'data']);
        assert.equal(j.event, 'payment.failed');
        const inst = method === 'card' ? ['card_network', 'card_last4'] : ['vpa'];
        assert.deepEqual(Object.keys(j.data.payment), ['id', 'order_id', 'amount', 'currency', 'method', ...inst,
            'status', 'error_code', 'error_description', 'created_at']);
        assert.equal(j.data.payment.status, 'failed');
        assert.equal(j.data.payment.error_code, 'ORDER_ALREADY_PAID');
        assert.equal(j.data.payment.error_description, 'Order already paid');
    }
}

describe('check 2b: Order already paid', () => {
    let c;
    let other;
    let order;
    let paidPayment;
    let replayKey;
    let replayed;

    before(async () => {
        const m = await createMerchant('opaid');
        c = new Client({ ip: IP, key: m.api_key, secret: m.api_secret });
        const o = await createMerchant('opaidother');
        other = new Client({ ip: IP, key: o.api_key, secret: o.api_secret });
        order = assertOk(await c.post('/api/v1/orders', { amount: 50000 }), 201, KEYS.order);
        assert.equal(order.status, 'created');
        replayKey = `opaid-${Date.now()}`;
        const first = await c.post(PAY, { order_id: order.id, ...UPI }, { headers: { 'Idempotency-Key': replayKey } });
        replayed = assertOk(first, 201, KEYS.paymentUpi);
        paidPayment = await settled(c, replayed.id);
        assert.equal(paidPayment.status, 'success');
    });

    it('the order is paid, with updated_at moved, in the merchant, public and list views', async () => {
        const o = assertOk(await c.get(`/api/v1/orders/${order.id}`), 200, KEYS.order);
        assert.equal(o.status, 'paid');
        assert.equal(o.created_at, order.created_at);
        assert.ok(o.updated_at >= paidPayment.updated_at, `updated_at ${o.updated_at} moved with the payment`);
        assert.equal(await scalar(`SELECT (o.updated_at = p.updated_at)::text FROM orders o JOIN payments p
            ON p.order_id = o.id WHERE p.id = ${lit(replayed.id)}`), 'true', 'same statement: same updated_at');
        const pub = assertOk(await c.get(`/api/v1/orders/${order.id}/public`, { auth: false }), 200, KEYS.publicOrder);
        assert.equal(pub.status, 'paid');
        const list = assertOk(await c.get('/api/v1/orders'), 200, KEYS.list);
        assert.equal(list.data.find((x) => x.id === order.id).status, 'paid');
    });

    for (const [label, opts, P] of [['merchant', {}, PAY], ['public', { auth: false }, `${PAY}/public`]]) {
        it(`${label}: 400 Order already paid, between check 2 and check 3`, async () => {
            const before2b = await count(`SELECT count(*) FROM payments WHERE order_id = ${lit(order.id)}`);
            /* check 1 comes first */
            assertError(await c.post(P, { ...UPI }, opts), 400, 'BAD_REQUEST_ERROR', 'order_id is required');
            assertError(await c.post(P, { order_id: 42, ...UPI }, opts), 400, 'BAD_REQUEST_ERROR', 'order_id is required');
            /* check 2 comes first (for the merchant route: another merchant's paid order is missing) */
            assertError(await c.post(P, { order_id: missingId('order'), ...UPI }, opts), 404, 'NOT_FOUND_ERROR',
                'Order not found');
            if (!P.endsWith('/public')) {
                assertError(await other.post(P, { order_id: order.id, method: 'x' }), 404, 'NOT_FOUND_ERROR',
                    'Order not found');
            }
            /* 2b: with a valid body and with every later check failing */
            for (const body of [
                { ...UPI },
                { method: 'card', card: validCard() },
                { method: 'x' },
                {},
                { method: 'upi', vpa: 'bad' },
                { method: 'card' },
                { method: 'card', card: validCard({ number: '4111111111111112' }) },
                { method: 'card', card: validCard({ expiry_month: '13' }) },
                { method: 'card', card: validCard({ cvv: '1' }) },
            ]) {
                assertError(await c.post(P, { order_id: order.id, ...body }, opts), 400, ...ALREADY);
            }
            assert.equal(await count(`SELECT count(*) FROM payments WHERE order_id = ${lit(order.id)}`), before2b,
                'no payment inserted');
        });
    }

    it('public: an inactive merchant\'s paid order is 404 Order not found', async () => {
        const m = await createMerchant('opaidinact');
        const mc = new Client({ ip: IP, key: m.api_key, secret: m.api_secret });
        const o = await mc.createOrder({ amount: 1000 });
        await settled(mc, (await mc.createPayment(o.id)).id);
        assertError(await mc.post(PAY, { order_id: o.id, ...UPI }), 400, ...ALREADY);
        await sql(`UPDATE merchants SET is_active = false WHERE id = ${lit(m.id)}`);
        assertError(await c.post(`${PAY}/public`, { order_id: o.id, ...UPI }, { auth: false }), 404, 'NOT_FOUND_ERROR',
            'Order not found');
    });

    it('an idempotent replay still answers the stored body; a new key is refused', async () => {
        const r = await c.post(PAY, { order_id: order.id, ...UPI }, { headers: { 'Idempotency-Key': replayKey } });
        assert.equal(r.status, 201);
        assert.equal(r.headers.get('idempotent-replayed'), 'true');
        assert.equal(r.json.id, replayed.id);
        assert.equal(r.json.status, 'pending', 'the stored body, not the current state');
        const n = await c.post(PAY, { order_id: order.id, ...UPI }, { headers: { 'Idempotency-Key': `${replayKey}-2` } });
        assertError(n, 400, ...ALREADY);
    });

    it('an order still created that already has a success (settled before 0002) is paid, never twice', async () => {
        const o = await c.createOrder({ amount: 3000 });
        const legacy = await c.createPayment(o.id);
        const p2 = await c.createPayment(o.id);
        /* As the previous version left it: a success on an order whose status stayed created. */
        await sql(`UPDATE payments SET status = 'success', updated_at = now() WHERE id = ${lit(legacy.id)}`);
        const p = await settled(c, p2.id);
        assert.equal(p.status, 'failed');
        assert.equal(p.error_code, 'ORDER_ALREADY_PAID');
        assert.equal(p.error_description, 'Order already paid');
        assert.equal((await c.get(`/api/v1/orders/${o.id}`)).json.status, 'paid');
        assert.equal(await count(`SELECT count(*) FROM payments WHERE order_id = ${lit(o.id)} AND status = 'success'`), 1);
    });

    it('a failed payment does not pay the order; the next success does', async () => {
        const o = await c.createOrder({ amount: 2000 });
        const p1 = await c.createPayment(o.id);
        await sql(`UPDATE payments SET status = 'failed', error_code = 'PAYMENT_FAILED',
            error_description = 'Payment processing failed', updated_at = now() WHERE id = ${lit(p1.id)}`);
        assert.equal((await c.get(`/api/v1/orders/${o.id}`)).json.status, 'created');
        const p2 = await c.createPayment(o.id, { method: 'card', card: validCard() });
        assert.equal((await settled(c, p2.id)).status, 'success');
        assert.equal((await c.get(`/api/v1/orders/${o.id}`)).json.status, 'paid');
        assertError(await c.post(PAY, { order_id: o.id, ...UPI }), 400, ...ALREADY);
    });
});

describe('settlement: many payments of one order settled at once', () => {
    after(async () => {
        await restartWorker();
    });

    it('one worker, one batch: exactly one success per order, the rest ORDER_ALREADY_PAID', async () => {
        const { m, client } = await merchantWithHook('opaidbatch', '10.31.7.2', rx.url);
        await stack('worker-stop');
        const orders = [];
        for (let i = 0; i < 3; i++) orders.push((await client.createOrder({ amount: 10000 + i })).id);
        const PER = 12;
        const made = [];
        for (let k = 0; k < PER; k++) {
            for (const o of orders) {
                made.push(await client.createPayment(o, k % 2 ? UPI : { method: 'card', card: validCard() }));
            }
        }
        /* A lone order with one payment in the same batch succeeds as usual. */
        const lone = (await client.createOrder({ amount: 999 })).id;
        const lonePay = await client.createPayment(lone);
        await stack('worker-start');
        await waitHealthy(30000, (h) => h?.json?.worker === 'running');
        const total = made.length + 1;
        const done = await waitCount(`SELECT count(*) FROM payments WHERE merchant_id = ${lit(m.id)}
            AND status <> 'pending'`, total, 30000);
        assert.equal(done, total, 'every payment settled');
        const by = await outcomeByOrder(m.id);
        assert.equal(by.length, 4);
        for (const o of by) {
            assert.equal(o.status, 'paid', `order ${o.id} paid`);
            assert.equal(o.ok, 1, `order ${o.id}: exactly one success`);
            assert.equal(o.already, o.total - 1, `order ${o.id}: every other payment ORDER_ALREADY_PAID`);
            assert.ok(o.sameTs, `order ${o.id}: updated_at of the order is its success's`);
        }
        assert.equal((await client.get(`${PAY}/${lonePay.id}`)).json.status, 'success');
        /* The API shows the void with its error fields (SPEC 5). */
        const voided = await scalar(`SELECT id FROM payments WHERE merchant_id = ${lit(m.id)}
            AND error_code = 'ORDER_ALREADY_PAID' AND method = 'upi' LIMIT 1`);
        const v = assertOk(await client.get(`${PAY}/${voided}`), 200,
            [...KEYS.paymentUpi.slice(0, 8), 'error_code', 'error_description', 'created_at', 'updated_at']);
        assert.equal(v.status, 'failed');
        assert.equal(v.error_code, 'ORDER_ALREADY_PAID');
        assert.equal(v.error_description, 'Order already paid');
        const pub = assertOk(await client.get(`${PAY}/${voided}/public`, { auth: false }), 200,
            [...KEYS.publicPayment, 'error_code', 'error_description']);
        assert.equal(pub.error_code, 'ORDER_ALREADY_PAID');
        /* One batch: the worker settled them all in one statement. */
        await assertEvents(m.id, total, 4);

        /* Jobs run twice (every payment again, as the sweep or a redelivery would): no change. */
        const snapshot = await sql(`SELECT id, status, error_code, updated_at FROM payments
            WHERE merchant_id = ${lit(m.id)} ORDER BY id`);
        const logs = await count(`SELECT count(*) FROM webhook_logs WHERE merchant_id = ${lit(m.id)}`);
        const ids = (await rows(`SELECT id FROM payments WHERE merchant_id = ${lit(m.id)}`)).map((r) => r[0]);
        await redis('ZADD', 'queue:payments:delayed', ...ids.flatMap((id) => [String(Date.now()),
            JSON.stringify({ type: 'payment', id, deliveries: 1 })]));
        await waitFor(async () => Number(await redis('ZCARD', 'queue:payments:delayed')) === 0, 10000, 200);
        await sleep(500);
        assert.equal(await sql(`SELECT id, status, error_code, updated_at FROM payments
            WHERE merchant_id = ${lit(m.id)} ORDER BY id`), snapshot, 'a second run changes nothing');
        assert.equal(await count(`SELECT count(*) FROM webhook_logs WHERE merchant_id = ${lit(m.id)}`), logs,
            'and creates no event');
    });

    it('two workers at the same instant: exactly one success per order', async () => {
        const { m, client } = await merchantWithHook('opaid2w', '10.31.7.3', rx.url);
        const ORDERS = 8;
        const PER = 125; /* 1,000 payments: the due jobs span two claim batches (500 each) */
        const orders = [];
        for (let i = 0; i < ORDERS; i++) orders.push((await client.createOrder({ amount: 5000 + i })).id);
        const ids = (await rows(`INSERT INTO payments (id, order_id, merchant_id, amount, method, vpa, card_network,
                card_last4)
            SELECT 'pay_' || substr(md5(random()::text || g::text), 1, 16), (${`ARRAY[${orders.map(lit).join(',')}]`})
                [1 + g % ${ORDERS}], ${lit(m.id)}, 5000, CASE WHEN g % 2 = 0 THEN 'upi' ELSE 'card' END,
                CASE WHEN g % 2 = 0 THEN 'user@paytm' END, CASE WHEN g % 2 = 1 THEN 'visa' END,
                CASE WHEN g % 2 = 1 THEN '1111' END
            FROM generate_series(1, ${ORDERS * PER}) g RETURNING id`)).map((r) => r[0]);
        assert.equal(ids.length, ORDERS * PER);

        /* A second worker beside the stack's, with the same environment (its log in the state dir). */
        const logFile = path.join(STATE_DIR, 'log', `worker-extra-${process.pid}.log`);
        const out = fs.openSync(logFile, 'w');
        const extra = spawn(path.join(BIN_DIR, 'gw-worker'), [], { env: process.env, stdio: ['ignore', out, out] });
        fs.closeSync(out);
        let exited = false;
        extra.on('exit', () => { exited = true; });
        try {
            await waitFor(() => fs.readFileSync(logFile, 'utf8').includes('"processing lists requeued"'), 10000, 100);
            await sleep(500);
            assert.equal(exited, false, 'the extra worker runs');
            /* Every job twice (deliveries 0 and 1), all due at the same instant in the delayed set:
             * both workers claim from it within one tick. */
            const due = String(Date.now() + 1500);
            const members = ids.flatMap((id) => [0, 1].flatMap((d) => [due,
                JSON.stringify({ type: 'payment', id, deliveries: d })]));
            for (let i = 0; i < members.length; i += 1000) {
                await redis('ZADD', 'queue:payments:delayed', ...members.slice(i, i + 1000));
            }
            const n = await waitCount(`SELECT count(*) FROM payments WHERE merchant_id = ${lit(m.id)}
                AND status <> 'pending'`, ids.length, 60000);
            assert.equal(n, ids.length, 'every payment settled');
        } finally {
            extra.kill('SIGTERM');
            await waitFor(() => exited, 10000, 100);
        }
        const by = await outcomeByOrder(m.id);
        assert.equal(by.length, ORDERS);
        for (const o of by) {
            assert.equal(o.status, 'paid', `order ${o.id} paid`);
            assert.equal(o.ok, 1, `order ${o.id}: exactly one success (${o.ok})`);
            assert.equal(o.already, o.total - 1, `order ${o.id}: every other payment ORDER_ALREADY_PAID`);
            assert.ok(o.sameTs, `order ${o.id}: updated_at of the order is its success's`);
        }
        await assertEvents(m.id, ids.length, ORDERS);

        /* Both workers settled payments, of the same orders. */
        const mine = new Set();
        for (const line of fs.readFileSync(logFile, 'utf8').split('\n')) {
            if (!line.includes('"job done"')) continue;
            try {
                const j = JSON.parse(line);
                if (j.type === 'payment' && j.outcome !== 'already final') mine.add(j.id);
            } catch { /* not a log line */ }
        }
        const orderOf = Object.fromEntries(await rows(`SELECT id, order_id FROM payments
            WHERE merchant_id = ${lit(m.id)}`));
        const split = orders.filter((o) => ids.some((id) => orderOf[id] === o && mine.has(id)) &&
            ids.some((id) => orderOf[id] === o && !mine.has(id)));
        console.log(`two workers: extra worker settled ${mine.size} of ${ids.length};` +
            ` ${split.length} of ${ORDERS} orders settled by both`);
        assert.ok(mine.size > 0 && mine.size < ids.length, `both workers settled payments (${mine.size})`);
        assert.ok(split.length > 0, 'some order had payments settled by both workers');
    });
});
