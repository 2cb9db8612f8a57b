// A manual webhook retry removes the log's dlq entry without reading the dlq list (finding 9d):
// the worker indexes each webhook entry it pushes (hash dlq:webhooks, id -> exact entry), and the
// retry removes that entry inside Redis. With a long dlq the retry issues no LRANGE and stays fast.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { lit, sql } from '../lib/db.mjs';
import { gatewayctl, logRow, merchantWithHook, redis } from './worker_helpers.mjs';
import { waitFor } from '../lib/stack.mjs';

const IP = '10.41.3.3';
const JUNK = 20000;
let client;
let logId;

async function commandCalls(cmd) {
    const info = await redis('INFO', 'commandstats');
    const line = info.split(/\r?\n/).find((l) => l.startsWith(`cmdstat_${cmd}:`));
    return line ? Number(/calls=(\d+)/.exec(line)[1]) : 0;
}

before(async () => {
    // nothing listens on port 9: every attempt fails at once (connection refused)
    ({ client } = await merchantWithHook('dlqretry', IP, 'http://127.0.0.1:9/hook'));
    const r = await client.post('/api/v1/merchant/webhook/test', {});
    assert.ok(r.status >= 200 && r.status < 300, r.text);
    logId = await waitFor(async () => {
        const rows = await sql(`SELECT id FROM webhook_logs WHERE event = 'webhook.test'
            AND merchant_id = (SELECT id FROM merchants WHERE api_key = ${lit(client.key)}) AND attempts >= 1`);
        return rows || null;
    }, 30000);
    // jump to the last attempt: the worker makes it at once, fails it and pushes the dlq entry
    await sql(`UPDATE webhook_logs SET attempts = 4, status = 'pending', next_retry_at = NULL,
        locked_until = NULL WHERE id = ${lit(logId)}`);
    await waitFor(async () => (await logRow(logId)).status === 'failed', 30000);
    await waitFor(async () => (await redis('HEXISTS', 'dlq:webhooks', logId)) === '1', 10000);
});

describe('webhook retry and the dlq', () => {
    it('the worker-made entry is in the dlq and indexed by id with the same bytes', async () => {
        const entry = await redis('HGET', 'dlq:webhooks', logId);
        assert.deepEqual(Object.keys(JSON.parse(entry)), ['type', 'id', 'reason', 'failed_at']);
        assert.equal(JSON.parse(entry).id, logId);
        assert.notEqual(await redis('LPOS', 'dlq', entry), '', 'entry is in the dlq list');
    });

    it(`with ${JUNK} other entries, the retry reads no list and removes exactly its entry`, async () => {
        const entry = await redis('HGET', 'dlq:webhooks', logId);
        await redis('EVAL', `for i = 1, ${JUNK} do redis.call('RPUSH', 'dlq',
            '{"type":"webhook","id":"00000000-0000-4000-8000-' .. string.format('%012d', i) ..
            '","reason":"junk","failed_at":"2024-01-01T00:00:00Z"}') end return 1`, '0');
        const len = Number(await redis('LLEN', 'dlq'));
        const lrange = await commandCalls('lrange');
        const t0 = Date.now();
        const r = await client.post(`/api/v1/webhooks/${logId.toUpperCase()}/retry`, {});
        const ms = Date.now() - t0;
        assert.equal(r.status, 200, r.text);
        assert.equal(await commandCalls('lrange'), lrange, 'the retry did not read the dlq list');
        assert.equal(await redis('LPOS', 'dlq', entry), '', 'entry removed');
        assert.equal(await redis('HEXISTS', 'dlq:webhooks', logId), '0', 'index entry removed');
        assert.equal(Number(await redis('LLEN', 'dlq')), len - 1, 'only that entry removed');
        assert.ok(ms < 2000, `retry took ${ms} ms`);
    });

    it('gatewayctl dlq requeue still removes a webhook entry that has no index (older worker)', async () => {
        const id = '00000000-0000-4000-8000-000000000007';
        const r = await gatewayctl('webhooks', 'dlq', 'requeue', id);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(await redis('LPOS', 'dlq', `{"type":"webhook","id":"${id}","reason":"junk","failed_at":"2024-01-01T00:00:00Z"}`), '');
        // drop the junk again, keeping whatever else is in the dlq
        await redis('EVAL', `local keep = {} for _, e in ipairs(redis.call('LRANGE', 'dlq', 0, -1)) do
            if not string.find(e, '"reason":"junk"', 1, true) then keep[#keep + 1] = e end end
            redis.call('DEL', 'dlq') for _, e in ipairs(keep) do redis.call('RPUSH', 'dlq', e) end
            return #keep`, '0');
        assert.equal(await redis('LPOS', 'dlq', '{"type":"webhook","id":"00000000-0000-4000-8000-000000000001","reason":"junk","failed_at":"2024-01-01T00:00:00Z"}'), '');
    });
});
