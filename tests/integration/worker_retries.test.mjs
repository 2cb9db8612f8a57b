// Worker: webhook retries with the test schedule (SPEC 11.3, 11.4): a receiver answering 500,
// a closed port and a receiver that never answers; the dlq; manual retry and dlq requeue.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { sleep } from '../lib/api.mjs';
import { startReceiver } from '../lib/receiver.mjs';
import { checkSignatures, gatewayctl, logRow, merchantWithHook, redis, restartWorker } from './worker_helpers.mjs';

const INTERVALS = [0, 5, 10, 15, 20];
const TOL = 1500;
const rx = {};
const mer = {};

before(async () => {
    await restartWorker('WEBHOOK_RETRY_INTERVALS_TEST=true');
    rx.e500 = await startReceiver({ mode: '500' });
    rx.refused = await startReceiver({ mode: 'closed' });
    rx.hang = await startReceiver({ mode: 'hang' });
    mer.e500 = await merchantWithHook('wr500', '10.7.2.1', rx.e500.url);
    mer.refused = await merchantWithHook('wrref', '10.7.2.2', rx.refused.url);
    mer.hang = await merchantWithHook('wrhang', '10.7.2.3', rx.hang.url);
});

after(async () => {
    for (const r of Object.values(rx)) await r.close();
    await restartWorker();
});

/* Follows one log through its five attempts, recording the row after each. */
async function follow(id, timeoutMs) {
    const seen = [];
    const end = Date.now() + timeoutMs;
    let last = 0;
    while (Date.now() < end) {
        const row = await logRow(id);
        if (row.attempts > last) {
            assert.equal(row.attempts, last + 1, 'attempts grow one by one');
            seen.push(row);
            last = row.attempts;
            if (last === 5) break;
        }
        await sleep(100);
    }
    return seen;
}

function checkSchedule(kind, seen, code, body) {
    assert.equal(seen.length, 5, `${kind}: five attempts recorded`);
    seen.forEach((row, i) => {
        const n = i + 1;
        assert.equal(row.attempts, n);
        assert.equal(row.response_code, code, `${kind}: response_code after attempt ${n}`);
        assert.equal(row.response_body, body, `${kind}: response_body after attempt ${n}`);
        if (n < 5) {
            assert.equal(row.status, 'pending', `${kind}: pending after attempt ${n}`);
            assert.ok(Math.abs(row.next_retry_at - row.last_attempt_at - INTERVALS[n] * 1000) < 1000,
                `${kind}: next_retry_at = last_attempt_at + ${INTERVALS[n]} s after attempt ${n}`);
        } else {
            assert.equal(row.status, 'failed', `${kind}: failed after the fifth attempt`);
            assert.equal(row.next_retry_at, null);
        }
        if (n > 1) {
            const gap = row.last_attempt_at - seen[i - 1].last_attempt_at;
            const extra = kind === 'hang' ? 5000 : 0; /* each attempt waits out the 5 s timeout */
            assert.ok(Math.abs(gap - INTERVALS[i] * 1000 - extra) <= TOL,
                `${kind}: attempt ${n} ${gap} ms after attempt ${n - 1}`);
        }
    });
}

async function dlqHas(id) {
    const list = (await redis('LRANGE', 'dlq', '0', '-1')).split('\n').filter(Boolean).map((l) => JSON.parse(l));
    const e = list.find((x) => x.type === 'webhook' && x.id === id);
    if (e) assert.deepEqual(Object.keys(e), ['type', 'id', 'reason', 'failed_at']);
    return Boolean(e);
}

describe('webhook retries (WEBHOOK_RETRY_INTERVALS_TEST=true)', () => {
    const ids = {};

    it('500, refused and hanging receivers follow the schedule to failed and the dlq', async () => {
        for (const k of ['e500', 'refused', 'hang']) {
            const r = await mer[k].client.post('/api/v1/merchant/webhook/test');
            assert.equal(r.status, 202, r.text);
            ids[k] = r.json.id;
        }
        const [s500, sref, shang] = await Promise.all([
            follow(ids.e500, 70000), follow(ids.refused, 70000), follow(ids.hang, 100000)]);
        checkSchedule('e500', s500, 500, 'receiver error');
        checkSchedule('refused', sref, null, 'Connection refused');
        checkSchedule('hang', shang, null, 'Timeout after 5000 ms');

        /* Receiver-side arrival times and a constant webhook-id on every attempt. */
        for (const k of ['e500', 'hang']) {
            const reqs = rx[k].requests.filter((q) => q.headers['webhook-id'] === ids[k]);
            assert.equal(reqs.length, 5, `${k}: five requests arrived`);
            for (let i = 1; i < 5; i++) {
                const gap = reqs[i].at - reqs[i - 1].at;
                const want = INTERVALS[i] * 1000 + (k === 'hang' ? 5000 : 0);
                assert.ok(Math.abs(gap - want) <= TOL, `${k}: arrival ${i + 1} after ${gap} ms, want ${want}`);
            }
            for (const q of reqs) checkSignatures(q, mer[k].secret);
            assert.equal(new Set(reqs.map((q) => q.text)).size, 1, 'same payload bytes on every attempt');
        }
        for (const k of ['e500', 'refused', 'hang']) assert.ok(await dlqHas(ids[k]), `${k}: dlq entry`);
        const attempts = await redis('HGETALL', 'stats:webhook_attempts');
        for (const f of ['http_error', 'timeout', 'connection_error']) assert.ok(attempts.includes(f), f);
    });

    it('manual retry starts a fresh cycle and delivers', async () => {
        rx.e500.setMode('200');
        const r = await mer.e500.client.post(`/api/v1/webhooks/${ids.e500}/retry`);
        assert.equal(r.status, 200, r.text);
        const before = rx.e500.requests.length;
        await rx.e500.waitFor((rs) => rs.length > before, 5000);
        await sleep(300);
        const row = await logRow(ids.e500);
        assert.equal(row.status, 'success');
        assert.equal(row.attempts, 1);
        assert.equal(row.response_code, 200);
        assert.equal(row.response_body, 'ok');
        assert.equal(await dlqHas(ids.e500), false, 'dlq entry removed');
    });

    it('gatewayctl webhooks dlq list / requeue delivers again', async () => {
        const list = await gatewayctl('webhooks', 'dlq', 'list');
        assert.equal(list.code, 0, list.stderr);
        assert.ok(list.stdout.includes(ids.hang));
        rx.hang.setMode('200');
        const before = rx.hang.requests.length;
        const rq = await gatewayctl('webhooks', 'dlq', 'requeue', ids.hang);
        assert.equal(rq.code, 0, rq.stderr);
        assert.deepEqual(JSON.parse(rq.stdout), { requeued: 1 });
        await rx.hang.waitFor((rs) => rs.length > before, 5000);
        await sleep(300);
        const row = await logRow(ids.hang);
        assert.equal(row.status, 'success');
        assert.equal(row.attempts, 1);
        assert.equal(await dlqHas(ids.hang), false);
        const missing = await gatewayctl('webhooks', 'dlq', 'requeue', ids.hang);
        assert.equal(missing.code, 1, 'no entry left for that id');
        const usage = await gatewayctl('webhooks', 'dlq');
        assert.equal(usage.code, 2);
    });

    it('WEBHOOK_BLOCK_PRIVATE=true: loopback destinations fail without a request', async () => {
        await restartWorker('WEBHOOK_RETRY_INTERVALS_TEST=true', 'WEBHOOK_BLOCK_PRIVATE=true');
        rx.ok = await startReceiver({ mode: '200' });
        const byIp = await merchantWithHook('wrblk', '10.7.2.4', rx.ok.url);
        const byName = await merchantWithHook('wrblkn', '10.7.2.5', rx.ok.url.replace('127.0.0.1', 'localhost'));
        const blockedBefore = Number(await redis('HGET', 'stats:webhook_attempts', 'blocked')) || 0;
        const logIds = [];
        for (const m of [byIp, byName]) {
            const r = await m.client.post('/api/v1/merchant/webhook/test');
            assert.equal(r.status, 202, r.text);
            logIds.push(r.json.id);
        }
        const seens = await Promise.all(logIds.map((id) => follow(id, 4000)));
        for (const seen of seens) {
            assert.ok(seen.length >= 1, 'first attempt recorded');
            const row = seen[0];
            assert.equal(row.status, 'pending');
            assert.equal(row.response_code, null);
            assert.equal(row.response_body, 'Destination address not allowed');
            assert.ok(Math.abs(row.next_retry_at - row.last_attempt_at - 5000) < 1000, 'retry scheduled');
        }
        assert.equal(rx.ok.requests.length, 0, 'no request reached the loopback receiver');
        const blocked = Number(await redis('HGET', 'stats:webhook_attempts', 'blocked')) || 0;
        assert.ok(blocked >= blockedBefore + 2, 'attempts counted as blocked');
    });
});
