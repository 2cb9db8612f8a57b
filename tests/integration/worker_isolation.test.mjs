// Worker: one merchant's hanging endpoint never delays another merchant's webhooks (SPEC 11.3:
// at most max(1, WORKER_CONCURRENCY/4) attempts per merchant).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startReceiver } from '../lib/receiver.mjs';
import { merchantWithHook, pool } from './worker_helpers.mjs';

let slow;
let fast;
let a;
let b;

before(async () => {
    slow = await startReceiver({ mode: 'hang' });
    fast = await startReceiver({ mode: '200' });
    a = await merchantWithHook('wisoa', '10.7.3.1', slow.url);
    b = await merchantWithHook('wisob', '10.7.3.2', fast.url);
});

after(async () => {
    await slow.close();
    await fast.close();
});

describe('isolation', () => {
    it('events of merchant B arrive without delay while merchant A hangs', async () => {
        /* More hanging attempts than the whole default concurrency (64). */
        await pool(80, 16, async () => {
            const r = await a.client.post('/api/v1/merchant/webhook/test');
            assert.equal(r.status, 202, r.text);
        });
        await slow.waitFor((rs) => rs.length >= 10, 5000);
        const sent = new Map();
        for (let i = 0; i < 20; i++) {
            const t = Date.now();
            const r = await b.client.post('/api/v1/merchant/webhook/test');
            assert.equal(r.status, 202, r.text);
            sent.set(r.json.id, t);
        }
        await fast.waitFor((rs) => [...sent.keys()].every((id) => rs.some((q) => q.headers['webhook-id'] === id)),
            10000);
        let worst = 0;
        for (const [id, t] of sent) {
            const q = fast.requests.find((x) => x.headers['webhook-id'] === id);
            worst = Math.max(worst, q.at - t);
        }
        console.log(`isolation: slowest merchant B delivery ${worst} ms after creation`);
        assert.ok(worst < 1500, `merchant B delivered within 1.5 s (worst ${worst} ms)`);
        const first = slow.requests[0].at;
        const early = slow.requests.filter((q) => q.at - first < 4000).length;
        assert.ok(early <= 16, `merchant A capped at 16 concurrent attempts (${early} in its first 4 s)`);
    });
});
