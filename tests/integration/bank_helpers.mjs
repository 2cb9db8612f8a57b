// bank_helpers.mjs: shared helpers of the sandbox bank suites (bank_*.test.mjs, SPEC 22).
import assert from 'node:assert/strict';
import { Client, validCard } from '../lib/api.mjs';
import { lit, rows } from '../lib/db.mjs';
import { waitFor } from '../lib/stack.mjs';
import { merchantWithHook } from './worker_helpers.mjs';

export const PAY = '/api/v1/payments';

/* A merchant with a webhook URL (so every event is recorded) and its client. */
export async function bankMerchant(label, ip, url) {
    return await merchantWithHook(label, ip, url);
}

export async function newOrder(client, amount = 50000) {
    const r = await client.post('/api/v1/orders', { amount });
    assert.equal(r.status, 201, `order: ${r.status} ${r.text}`);
    return r.json;
}

/* The body of a payment with a magic value: a card number or a VPA. */
export function body(orderId, value) {
    if (value.includes('@')) return { order_id: orderId, method: 'upi', vpa: value };
    return { order_id: orderId, method: 'card', card: validCard({ number: value }) };
}

export async function pay(client, orderId, value, path = PAY) {
    const r = await client.post(path, body(orderId, value), path === PAY ? {} : { auth: false });
    assert.equal(r.status, 201, `payment ${value}: ${r.status} ${r.text}`);
    return r.json;
}

/* Waits until the payment is final (neither pending nor requires_action). */
export async function final(client, id, timeoutMs = 20000) {
    const p = await waitFor(async () => {
        const r = await client.get(`${PAY}/${id}`);
        return r.status === 200 && r.json.status !== 'pending' && r.json.status !== 'requires_action'
            ? r.json : null;
    }, timeoutMs, 200);
    assert.ok(p, `payment ${id} final within ${timeoutMs} ms`);
    return p;
}

/* The events recorded for an object, oldest first. */
export async function events(objectId) {
    return (await rows(`SELECT event FROM webhook_logs WHERE object_id = ${lit(objectId)}
        ORDER BY created_at, event`)).map((r) => r[0]);
}

export async function bankRow(id) {
    const r = await rows(`SELECT COALESCE(bank_scenario, '(none)'), bank_requeries, bank_requery_at IS NOT NULL, COALESCE(bank_outcome, '(none)')
        FROM payments WHERE id = ${lit(id)}`);
    assert.equal(r.length, 1);
    const [scenario, requeries, unknown, outcome] = r[0];
    return { scenario, requeries: Number(requeries), unknown: unknown === 't', outcome };
}

export function publicClient(ip) {
    return new Client({ ip, key: undefined });
}
