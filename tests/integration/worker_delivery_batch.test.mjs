// Worker: webhook delivery in batches (issue 10, point 8). Many merchants' logs claimed and
// recorded in batches are each delivered, signed, with their own webhook-id; a hanging merchant
// holds at most its limit and does not stop the others; a worker killed with -9 in the middle of
// a batch loses nothing and sends no webhook-id that is not a log's (SPEC 11.3, 11.4, 19).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startReceiver } from '../lib/receiver.mjs';
import { lit, rows, sql } from '../lib/db.mjs';
import { stack, waitHealthy } from '../lib/stack.mjs';
import { checkSignatures, merchantWithHook, redis, waitCount } from './worker_helpers.mjs';

const receivers = [];
let hang;

before(async () => {
    hang = await startReceiver({ mode: 'hang' });
});

after(async () => {
    for (const r of receivers) await r.close();
    await hang.close();
});

/* n logs per merchant, inserted in one statement (interleaved across merchants) and pushed in
 * one LPUSH, as the API would after its commits. Returns the log ids. */
async function insertLogs(merchants, n, label) {
    const tag = `${label}${Date.now().toString(36)}_`; /* object ids unique across runs */
    const arr = `ARRAY[${merchants.map((m) => lit(m.m.id)).join(',')}]::uuid[]`;
    const ids = (await rows(`INSERT INTO webhook_logs (merchant_id, event, payload, object_id)
        SELECT (${arr})[1 + g % ${merchants.length}], 'payment.success',
        ('{"event":"payment.success","timestamp":1705315870,"data":{"payment":{"id":"pay_${tag}' ||
         lpad(g::text, 10, '0') || '","amount":50000}}}')::json,
        'pay_${tag}' || lpad(g::text, 10, '0') FROM generate_series(1, ${merchants.length * n}) g
        RETURNING id`)).map((r) => r[0]);
    for (let i = 0; i < ids.length; i += 500) {
        await redis('LPUSH', 'queue:webhooks', ...ids.slice(i, i + 500));
    }
    return ids;
}

describe('batched delivery', () => {
    it('10 merchants with 40 logs each: every log delivered once, signed, with its own id; a hanging merchant alongside', async () => {
        const ms = [];
        for (let i = 0; i < 10; i++) {
            const rx = await startReceiver({ mode: '200' });
            receivers.push(rx);
            ms.push({ ...(await merchantWithHook(`wdb${i}`, `10.7.9.${i + 1}`, rx.url)), rx });
        }
        const slow = await merchantWithHook('wdbhang', '10.7.9.99', hang.url);
        const hangIds = await insertLogs([slow], 40, 'wdbh');
        const ids = await insertLogs(ms, 40, 'wdbf');
        const where = `merchant_id IN (${ms.map((m) => lit(m.m.id)).join(',')})`;
        const done = await waitCount(`SELECT count(*) FROM webhook_logs WHERE ${where} AND status = 'success'`,
            ids.length, 30000);
        assert.equal(done, ids.length, 'all fast merchants delivered while one merchant hangs');
        const byId = new Map();
        for (const m of ms) {
            for (const q of m.rx.requests) {
                const id = q.headers['webhook-id'];
                byId.set(id, (byId.get(id) || 0) + 1);
                checkSignatures(q, m.secret);
                const owner = await rows(`SELECT merchant_id FROM webhook_logs WHERE id = ${lit(id)}`);
                assert.equal(owner[0][0], m.m.id, 'delivered to its own merchant');
            }
        }
        assert.equal(byId.size, ids.length, 'every log arrived');
        assert.ok([...byId.values()].every((n) => n === 1), 'each log once (no retry needed)');
        const attempts = await rows(`SELECT count(*) FILTER (WHERE attempts = 1), count(*) FROM webhook_logs WHERE ${where}`);
        assert.equal(Number(attempts[0][0]), ids.length, 'one attempt each');
        /* The hanging merchant never has more than its limit (64 / 4) attempts open: within the
         * 5 s timeout of its first attempt, at most 16 arrive. */
        const first = hang.requests[0].at;
        const early = hang.requests.filter((q) => q.at - first < 4000).length;
        assert.ok(early <= 16, `hanging merchant capped at 16 open attempts (${early} in its first 4 s)`);
        const locked = Number((await rows(`SELECT count(*) FROM webhook_logs WHERE id IN (${hangIds.map(lit).join(',')})
            AND locked_until > now()`))[0][0]);
        assert.ok(locked <= 32, `hanging merchant holds at most twice its limit in claims (${locked})`);
        await sql(`UPDATE webhook_logs SET status = 'failed' WHERE merchant_id = ${lit(slow.m.id)}`);
    });

    it('kill -9 in the middle of a batch: nothing lost, no webhook-id that is not a log', async () => {
        const rx = await startReceiver({ mode: '200' });
        receivers.push(rx);
        const ms = [];
        for (let i = 0; i < 4; i++) {
            ms.push(await merchantWithHook(`wdbk${i}`, `10.7.9.${20 + i}`, rx.url));
        }
        const ids = await insertLogs(ms, 400, 'wdbk');
        await rx.waitFor((rs) => rs.length >= 50, 20000);
        await stack('worker-kill9');
        const where = `merchant_id IN (${ms.map((m) => lit(m.m.id)).join(',')})`;
        /* Claims of the killed worker expire after 30 s; the restarted worker re-drives them from
         * PostgreSQL. */
        const done = await waitCount(`SELECT count(*) FROM webhook_logs WHERE ${where} AND status = 'success'`,
            ids.length, 75000);
        assert.equal(done, ids.length, 'every log delivered after the kill');
        await waitHealthy(30000, (h) => h?.json?.worker === 'running');
        const known = new Set(ids);
        const got = new Set(rx.requests.map((q) => q.headers['webhook-id']));
        for (const id of got) assert.ok(known.has(id), `webhook-id ${id} is a log id`);
        for (const id of ids) assert.ok(got.has(id), `log ${id} arrived`);
        console.log(`kill9: ${ids.length} logs, ${rx.requests.length} requests (${rx.requests.length - ids.length} repeats after the kill)`);
    });
});
