// "Newest first" holds exactly (SPEC 4.5 v2): timestamps are stored with microsecond precision and
// rendered in whole seconds (truncated), so every list keeps creation order also among rows
// created within one second; the webhook payload timestamp is the rendered second of its row.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { Client, createMerchant } from '../lib/api.mjs';
import { lit, rows, sql } from '../lib/db.mjs';

const IP = '10.41.1.1';
const N = 40;
let m;
let mc;
const created = { orders: [], payments: [] };

/* Every item of a list endpoint, newest first, through limit/offset pages. */
async function listAll(p) {
    const out = [];
    for (let offset = 0; ; offset += 100) {
        const r = await mc.get(`${p}${p.includes('?') ? '&' : '?'}limit=100&offset=${offset}`);
        assert.equal(r.status, 200, r.text);
        out.push(...r.json.data);
        if (r.json.data.length < 100) return out;
    }
}

/* created_at as stored (microseconds), rendered truncation checked against the API text. */
async function stored(table, ids) {
    const r = await rows(`SELECT id, to_char(created_at, 'YYYY-MM-DD HH24:MI:SS.US'),
        extract(epoch FROM created_at)::numeric(20,6)::text FROM ${table}
        WHERE id::text IN (${ids.map(lit).join(',')})`);
    return new Map(r.map(([id, us, epoch]) => [id, { us, epoch }]));
}

function checkOrder(label, items, db) {
    for (let i = 0; i < items.length; i++) {
        const s = db.get(items[i].id);
        assert.ok(s, `${label}: ${items[i].id} stored`);
        // rendered = stored value truncated to the second (never rounded up)
        assert.equal(items[i].created_at, `${s.us.slice(0, 10)}T${s.us.slice(11, 19)}Z`, `${label}: rendering`);
        if (i > 0) {
            const prev = db.get(items[i - 1].id);
            assert.ok(prev.us > s.us, `${label}: ${prev.us} must be newer than ${s.us} (position ${i})`);
        }
    }
}

before(async () => {
    m = await createMerchant('ordering');
    mc = new Client({ ip: IP, key: m.api_key, secret: m.api_secret });
    // a webhook URL so that every payment creates two webhook logs; nothing listens there
    await sql(`UPDATE merchants SET webhook_url = 'http://127.0.0.1:9/none' WHERE id = ${lit(m.id)}`);
    for (let i = 0; i < N; i++) {
        const o = await mc.createOrder({ amount: 100 + i });
        created.orders.push(o.id);
        const p = await mc.createPayment(o.id, { method: 'upi', vpa: `o${i}@bank` });
        created.payments.push(p.id);
    }
});

describe('newest first within one second (SPEC 4.5 v2)', () => {
    it('rows were created within shared seconds (the case under test happens)', async () => {
        const r = await rows(`SELECT count(*) - count(DISTINCT date_trunc('second', created_at))
            FROM webhook_logs WHERE merchant_id = ${lit(m.id)}`);
        assert.ok(Number(r[0][0]) > 0, 'some webhook logs share a second');
    });

    it('orders and payments list in exact reverse creation order', async () => {
        const orders = await listAll('/api/v1/orders');
        assert.deepEqual(orders.map((o) => o.id), [...created.orders].reverse());
        checkOrder('orders', orders, await stored('orders', created.orders));
        const pays = await listAll('/api/v1/payments');
        assert.deepEqual(pays.map((p) => p.id), [...created.payments].reverse());
        checkOrder('payments', pays, await stored('payments', created.payments));
    });

    it('webhook logs list in exact reverse creation order, payload timestamp = rendered second', async () => {
        const logs = (await listAll('/api/v1/webhooks')).filter((l) => l.event === 'payment.created'
            || l.event === 'payment.pending');
        const expected = [];
        for (const id of created.payments) expected.push(`${id}/payment.created`, `${id}/payment.pending`);
        const db = await rows(`SELECT id, object_id, event, payload::text FROM webhook_logs
            WHERE merchant_id = ${lit(m.id)} AND event IN ('payment.created', 'payment.pending')`);
        const byId = new Map(db.map(([id, oid, ev, pl]) => [id, { oid, ev, pl: JSON.parse(pl) }]));
        assert.deepEqual(logs.map((l) => `${byId.get(l.id).oid}/${byId.get(l.id).ev}`), expected.reverse());
        const st = await stored('webhook_logs', logs.map((l) => l.id));
        checkOrder('webhook logs', logs, st);
        for (const l of logs) {
            const ts = byId.get(l.id).pl.timestamp;
            assert.ok(Number.isInteger(ts), 'integer Unix seconds');
            assert.equal(new Date(ts * 1000).toISOString().replace('.000Z', 'Z'), l.created_at, 'payload timestamp');
            assert.equal(ts, Math.floor(Number(st.get(l.id).epoch)), 'timestamp is the stored second');
        }
    });

    it('worker-made logs (one batch transaction) are distinct and consistent too', async () => {
        let done = [];
        for (let i = 0; i < 120 && done.length < N; i++) {
            done = await rows(`SELECT id, extract(epoch FROM created_at)::numeric(20,6)::text,
                (payload::json->>'timestamp') FROM webhook_logs
                WHERE merchant_id = ${lit(m.id)} AND event IN ('payment.success', 'payment.failed')`);
            if (done.length < N) await new Promise((r) => setTimeout(r, 250));
        }
        assert.equal(done.length, N, 'every payment settled');
        assert.equal(new Set(done.map((d) => d[1])).size, N, 'no two logs share a microsecond');
        for (const [, epoch, ts] of done) assert.equal(Number(ts), Math.floor(Number(epoch)));
        const all = await listAll('/api/v1/webhooks');
        checkOrder('all webhook logs', all, await stored('webhook_logs', all.map((l) => l.id)));
    });
});
