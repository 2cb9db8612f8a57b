// The gateway with TEST_MODE=false (the production setting): health, orders and the real
// (random, delayed) bank simulation, with the seeded test merchant's keys.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Client, RE, sleep } from '../lib/api.mjs';
import { health, isHealthy } from '../lib/stack.mjs';

const c = new Client({ ip: '10.77.0.1' });

describe('TEST_MODE=false basics', () => {
    it('/health is healthy', async () => {
        const h = await health('10.77.0.1');
        assert.ok(isHealthy(h), h.text);
    });

    it('an order is created and a payment reaches a final state through the worker', async () => {
        const o = await c.post('/api/v1/orders', { amount: 50000, currency: 'INR', receipt: 'prod-basic' });
        assert.equal(o.status, 201, o.text);
        assert.match(o.json.id, RE.order);
        assert.equal(o.json.status, 'created');
        const p = await c.post('/api/v1/payments', { order_id: o.json.id, method: 'upi', vpa: 'user@okbank' });
        assert.equal(p.status, 201, p.text);
        assert.equal(p.json.status, 'pending');
        let status = p.json.status;
        for (let i = 0; i < 100 && status === 'pending'; i++) {
            await sleep(100);
            const g = await c.get(`/api/v1/payments/${p.json.id}`);
            assert.equal(g.status, 200, g.text);
            status = g.json.status;
        }
        // PROCESSING_DELAY_MIN/MAX 300/600 ms; success with probability UPI_SUCCESS_RATE
        assert.ok(['success', 'failed'].includes(status), `final status, got ${status}`);
    });
});
