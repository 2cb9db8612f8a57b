// fixtures.mjs: objects in a given state, shared by several suites.
import assert from 'node:assert/strict';
import { sleep } from './api.mjs';
import { forceStatus } from './db.mjs';
import { health } from './stack.mjs';

let workerRunning;

async function workerIsRunning() {
    if (workerRunning === undefined) {
        try {
            workerRunning = (await health()).json?.worker === 'running';
        } catch {
            workerRunning = false;
        }
    }
    return workerRunning;
}

/* Waits for the worker to settle a payment (TEST_MODE: ~1 s); without a worker, or if it
 * does not within 6 s, writes the status with SQL as a test fixture. */
export async function settled(client, paymentId, status = 'success') {
    if (status === 'success' && (await workerIsRunning())) {
        const end = Date.now() + 6000;
        while (Date.now() < end) {
            const r = await client.get(`/api/v1/payments/${paymentId}`);
            if (r.json?.status === 'success') return r.json;
            await sleep(200);
        }
    }
    await forceStatus(paymentId, status);
    const r = await client.get(`/api/v1/payments/${paymentId}`);
    assert.equal(r.status, 200);
    assert.equal(r.json.status, status);
    return r.json;
}

/* An order and a successful upi payment of `amount`. */
export async function successPayment(client, amount = 50000) {
    const order = await client.createOrder({ amount });
    const p = await client.createPayment(order.id);
    return settled(client, p.id, 'success');
}
