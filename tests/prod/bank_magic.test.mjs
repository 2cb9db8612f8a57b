// The sandbox bank's magic values with TEST_MODE=false (SPEC 22): they win over the success
// rates, which the worker is restarted with at 0 and then at 1 so that an ordinary value proves
// the rate is in force; a 3-D Secure card asks for the challenge; a bank that does not answer is
// settled by the reconciler (BANK_REQUERY_S lowered so that the suite does not wait 30 s).
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Client, validCard } from '../lib/api.mjs';
import { stack, waitFor, waitHealthy } from '../lib/stack.mjs';

const c = new Client({ ip: '10.77.22.1' });
const PAY = '/api/v1/payments';

async function restartWorker(...overrides) {
    await stack('worker-stop');
    await stack('worker-start', ...overrides);
    await waitHealthy(30000, (h) => h?.json?.worker === 'running');
}

async function pay(value) {
    const o = await c.post('/api/v1/orders', { amount: 50000 });
    assert.equal(o.status, 201, o.text);
    const b = value.includes('@')
        ? { order_id: o.json.id, method: 'upi', vpa: value }
        : { order_id: o.json.id, method: 'card', card: validCard({ number: value }) };
    const p = await c.post(PAY, b);
    assert.equal(p.status, 201, `${value}: ${p.status} ${p.text}`);
    return p.json;
}

async function final(id, timeoutMs = 20000) {
    const p = await waitFor(async () => {
        const r = await c.get(`${PAY}/${id}`);
        return r.status === 200 && !['pending', 'requires_action'].includes(r.json.status) ? r.json : null;
    }, timeoutMs, 300);
    assert.ok(p, `payment ${id} final within ${timeoutMs} ms`);
    return p;
}

/* Pays every value, waits for all, and checks each outcome: [value, status, error_code]. */
async function expectOutcomes(cases) {
    const made = [];
    for (const [value] of cases) made.push(await pay(value));
    for (let i = 0; i < cases.length; i++) {
        const [value, status, code] = cases[i];
        const p = await final(made[i].id);
        assert.equal(p.status, status, `${value}: ${JSON.stringify(p)}`);
        assert.equal(p.error_code ?? null, code, `${value}: error_code`);
    }
}

describe('sandbox bank with TEST_MODE=false (SPEC 22)', { timeout: 180000 }, () => {
    after(async () => {
        await restartWorker();
    });

    it('success rates 0: magic successes still succeed, an ordinary VPA and card fail', async () => {
        await restartWorker('UPI_SUCCESS_RATE=0', 'CARD_SUCCESS_RATE=0');
        await expectOutcomes([
            ['success@upi', 'success', null],
            ['4242424242424242', 'success', null],
            ['5555555555554444', 'success', null],
            ['shopper@okbank', 'failed', 'PAYMENT_FAILED'],
            ['4111111111111111', 'failed', 'PAYMENT_FAILED'],
        ]);
    });

    it('success rates 1: magic failures still fail with their codes, ordinary values succeed', async () => {
        await restartWorker('UPI_SUCCESS_RATE=1', 'CARD_SUCCESS_RATE=1');
        await expectOutcomes([
            ['failure@upi', 'failed', 'UPI_DECLINED'],
            ['4000000000000002', 'failed', 'CARD_DECLINED'],
            ['4000000000009995', 'failed', 'INSUFFICIENT_FUNDS'],
            ['4000000000000069', 'failed', 'EXPIRED_CARD'],
            ['4000000000000127', 'failed', 'INCORRECT_CVC'],
            ['4000000000000119', 'failed', 'PROCESSING_ERROR'],
            ['shopper@okbank', 'success', null],
            ['4111111111111111', 'success', null],
        ]);
    });

    it('3-D Secure: requires_action with next_action; approval settles it', async () => {
        const p = await pay('4000000000003220');
        assert.equal(p.status, 'requires_action');
        assert.deepEqual(p.next_action, { type: 'redirect', url: `/checkout/3ds?payment_id=${p.id}` });
        assert.deepEqual(Object.keys(p).slice(Object.keys(p).indexOf('status'), Object.keys(p).indexOf('status') + 2),
            ['status', 'next_action']);
        const a = await new Client({ ip: '10.77.22.2', key: undefined })
            .post(`${PAY}/public/${p.id}/3ds`, { result: 'approve' }, { auth: false });
        assert.equal(a.status, 200, a.text);
        assert.equal(a.json.status, 'pending');
        assert.equal((await final(p.id)).status, 'success');
    });

    it('a bank that does not answer: pending until the reconciler re-queries, then success', async () => {
        await restartWorker('UPI_SUCCESS_RATE=0', 'CARD_SUCCESS_RATE=0', 'BANK_REQUERY_S=2');
        const made = [await pay('timeout@upi'), await pay('4000000000000259'), await pay('4000000000000267')];
        const p = await final(made[0].id, 30000);
        assert.equal(p.status, 'success', JSON.stringify(p));
        assert.equal((await final(made[1].id, 30000)).status, 'success');
        const q = await final(made[2].id, 30000);
        assert.equal(q.status, 'failed');
        assert.equal(q.error_code, 'PROCESSING_ERROR');
    });
});
