// Delivery to webhook endpoints (SPEC 21.3) against the real worker and loopback receivers:
// fan-out per subscription beside the legacy URL, Standard Webhooks signatures verified with
// the official `standardwebhooks` package (keys base64-decoded from whsec_), webhook-id = event
// id on every attempt, endpoint and resend, the test schedule with jitter, Retry-After, 410,
// disabling after WEBHOOK_DISABLE_AFTER_S with a webhook_endpoint.disabled event, rotation with
// both signatures, fifo, rate_limit, isolation, and the recovery of kill -9 / Redis restart.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { Client, createMerchant, sleep } from '../lib/api.mjs';
import { lit, rows, scalar } from '../lib/db.mjs';
import { startReceiver } from '../lib/receiver.mjs';
import { stack, waitFor, waitHealthy } from '../lib/stack.mjs';
import { restartWorker } from './worker_helpers.mjs';

const IP = '10.51.3.3';
let seq = 0;

async function merchant(label) {
    const m = await createMerchant(`${label}${seq++}`);
    return { m, c: new Client({ ip: IP, key: m.api_key, secret: m.api_secret }) };
}

async function endpoint(c, url, extra = {}) {
    const r = await c.post('/api/v1/webhook_endpoints', { url, enabled_events: ['*'], ...extra });
    assert.equal(r.status, 201, r.text);
    return r.json;
}

async function payment(c) {
    const o = await c.createOrder();
    return c.createPayment(o.id);
}

async function eventsOf(merchantId) {
    return (await rows(`SELECT id, type, payload::text FROM events WHERE merchant_id = ${lit(merchantId)}
        ORDER BY created_at, id`)).map(([id, type, payload]) => ({ id, type, payload }));
}

/* Verifies a received request with the official library; returns the parsed payload. */
function verify(secret, req) {
    return new Webhook(secret).verify(req.text, req.headers);
}

before(async () => {
    await restartWorker('WEBHOOK_RETRY_INTERVALS_TEST=true', 'WEBHOOK_DISABLE_AFTER_S=120');
});

after(async () => {
    await restartWorker();
});

describe('fan-out and signatures', () => {
    it('each subscribed endpoint gets each event once, verified by standardwebhooks', async () => {
        const { m, c } = await merchant('epd');
        const rxA = await startReceiver();
        const rxB = await startReceiver();
        const rxL = await startReceiver();
        try {
            assert.equal((await c.put('/api/v1/merchant/webhook', { webhook_url: rxL.url })).status, 200);
            const a = await endpoint(c, rxA.url, { enabled_events: ['payment.*'] });
            const b = await endpoint(c, rxB.url, { enabled_events: ['refund.created'] });
            const p = await payment(c);
            await rxA.waitFor((q) => q.length >= 3, 15000); // created, pending, success
            await sleep(500);
            const evs = (await eventsOf(m.id)).filter((e) => e.type.startsWith('payment.'));
            assert.equal(rxA.requests.length, evs.length, 'one delivery per event');
            for (const req of rxA.requests) {
                const ev = evs.find((e) => e.id === req.headers['webhook-id']);
                assert.ok(ev, `webhook-id ${req.headers['webhook-id']} is an event id`);
                assert.equal(req.text, ev.payload, 'the stored bytes');
                assert.deepEqual(verify(a.secret, req), JSON.parse(ev.payload));
                assert.equal(req.headers['x-webhook-signature'], undefined, 'no legacy signature');
                assert.equal(req.headers['content-type'], 'application/json');
                assert.match(String(req.headers['user-agent']), /^Gateway-Webhooks\/\d+\.\d+\.\d+$/);
                assert.ok(Math.abs(Number(req.headers['webhook-timestamp']) - req.at / 1000) < 5);
                assert.throws(() => verify(b.secret, req), /No matching signature/);
            }
            assert.equal(rxB.requests.length, 0, 'not subscribed to payment events');
            // the legacy endpoint still gets its logs with §11.3's headers
            await rxL.waitFor((q) => q.length >= 3, 15000);
            assert.ok(rxL.requests.every((q) => /^[0-9a-f]{64}$/.test(q.headers['x-webhook-signature'])));
            const r = await c.post(`/api/v1/payments/${p.id}/refunds`, { amount: 100 });
            assert.equal(r.status, 201);
            await rxB.waitFor((q) => q.length >= 1, 15000);
            assert.equal(JSON.parse(rxB.requests[0].text).data.refund.id, r.json.id);
            verify(b.secret, rxB.requests[0]);
            // every attempt is kept
            const at = (await c.get(`/api/v1/webhook_endpoints/${a.id}/attempts?limit=100`)).json.data;
            assert.equal(at.length, rxA.requests.length);
            assert.ok(at.every((x) => x.response_code === 200 && x.attempt === 1 && x.error === null
                && x.response_body === 'ok'));
            const ev1 = (await c.get(`/api/v1/events/${evs[0].id}`)).json;
            assert.equal(ev1.pending_webhooks, 0);
        } finally {
            await Promise.all([rxA.close(), rxB.close(), rxL.close()]);
        }
    });

    it('legacy endpoint: a regenerated 32-byte secret is decoded, so standardwebhooks verifies it too', async () => {
        const { c } = await merchant('epd-legacy');
        const rx = await startReceiver();
        try {
            const sec = (await c.post('/api/v1/merchant/webhook/secret', {})).json.webhook_secret;
            assert.equal((await c.put('/api/v1/merchant/webhook', { webhook_url: rx.url })).status, 200);
            const t = await c.post('/api/v1/merchant/webhook/test', {});
            assert.equal(t.status, 202);
            await rx.waitFor((q) => q.length >= 1, 15000);
            const req = rx.requests[0];
            assert.equal(req.headers['webhook-id'], t.json.id, 'the legacy webhook-id stays the log id');
            assert.equal(verify(sec, req).event, 'webhook.test');
            const hex = createHmac('sha256', Buffer.from(sec.slice(6), 'base64')).update(req.body).digest('hex');
            assert.equal(req.headers['x-webhook-signature'], hex);
        } finally {
            await rx.close();
        }
    });

    it('resend: a new cycle with the same webhook-id', async () => {
        const { m, c } = await merchant('epd-rs');
        const rx = await startReceiver();
        try {
            const a = await endpoint(c, rx.url, { enabled_events: ['payment.created'] });
            await payment(c);
            await rx.waitFor((q) => q.length >= 1, 15000);
            const ev = (await eventsOf(m.id)).find((e) => e.type === 'payment.created');
            const r = await c.post(`/api/v1/events/${ev.id}/resend`, {});
            assert.equal(r.status, 202);
            assert.equal(r.json.deliveries, 1);
            await rx.waitFor((q) => q.length >= 2, 15000);
            assert.equal(rx.requests[1].headers['webhook-id'], ev.id);
            assert.equal(rx.requests[1].text, rx.requests[0].text);
            verify(a.secret, rx.requests[1]);
        } finally {
            await rx.close();
        }
    });

    it('rotation: both signatures until the old secret expires, each verifies', async () => {
        const { c } = await merchant('epd-rot');
        const rx = await startReceiver();
        try {
            const a = await endpoint(c, rx.url, { enabled_events: ['payment.created'] });
            const rot = (await c.post(`/api/v1/webhook_endpoints/${a.id}/rotate_secret`,
                { expire_previous_after_hours: 1 })).json;
            await payment(c);
            await rx.waitFor((q) => q.length >= 1, 15000);
            const req = rx.requests[0];
            assert.equal(req.headers['webhook-signature'].split(' ').length, 2);
            verify(rot.secret, req);
            verify(a.secret, req);
            // expired at once: only the new one
            const rot2 = (await c.post(`/api/v1/webhook_endpoints/${a.id}/rotate_secret`,
                { expire_previous_after_hours: 0 })).json;
            await sleep(1100);
            await payment(c);
            await rx.waitFor((q) => q.length >= 2, 15000);
            assert.equal(rx.requests[1].headers['webhook-signature'].split(' ').length, 1);
            verify(rot2.secret, rx.requests[1]);
            assert.throws(() => verify(rot.secret, rx.requests[1]));
        } finally {
            await rx.close();
        }
    });
});

describe('retries', () => {
    it('failed attempts follow 1, 2, 3 … s (±10 %) in test mode; every attempt listed', async () => {
        const { c } = await merchant('epd-retry');
        let n = 0;
        const rx = await startReceiver({ mode: () => (++n <= 3 ? { status: 500, body: 'down' } : { status: 200 }) });
        try {
            const a = await endpoint(c, rx.url, { enabled_events: ['payment.created'] });
            await payment(c);
            await rx.waitFor((q) => q.length >= 4, 30000);
            const t = rx.requests.map((q) => q.at);
            for (let i = 1; i < 4; i++) {
                const gap = (t[i] - t[i - 1]) / 1000;
                assert.ok(gap >= i * 0.9 - 0.05 && gap <= i * 1.1 + 0.8, `gap ${i}: ${gap} s`);
            }
            assert.ok(new Set(rx.requests.map((q) => q.headers['webhook-id'])).size === 1, 'same webhook-id');
            await sleep(500);
            const at = (await c.get(`/api/v1/webhook_endpoints/${a.id}/attempts`)).json.data;
            assert.deepEqual(at.map((x) => x.attempt), [4, 3, 2, 1]);
            assert.deepEqual(at.map((x) => x.response_code), [200, 500, 500, 500]);
            assert.equal(at[1].response_body, 'down');
            assert.ok(at.every((x) => x.duration_ms >= 0 && x.duration_ms < 5000));
        } finally {
            await rx.close();
        }
    });

    it('8 failed attempts: failed for good; delivery_success=false; recover starts a new cycle', async () => {
        const { c } = await merchant('epd-8');
        const rx = await startReceiver({ mode: '500' });
        try {
            const a = await endpoint(c, rx.url, { enabled_events: ['payment.created'] });
            await payment(c);
            await rx.waitFor((q) => q.length >= 8, 45000);
            await waitFor(async () => (await scalar(`SELECT status FROM endpoint_deliveries
                WHERE endpoint_id = ${lit(a.id)}`)) === 'failed', 10000);
            await sleep(1500);
            assert.equal(rx.requests.length, 8, 'no ninth attempt');
            const failing = (await c.get('/api/v1/events?delivery_success=false')).json.data;
            assert.equal(failing.length, 1);
            assert.equal(failing[0].pending_webhooks, 0);
            rx.setMode('200');
            const r = await c.post(`/api/v1/webhook_endpoints/${a.id}/recover`,
                { since: Math.floor(Date.now() / 1000) - 3600 });
            assert.deepEqual(r.json, { id: a.id, deliveries: 1 });
            await rx.waitFor((q) => q.length >= 9, 15000);
            await waitFor(async () => (await scalar(`SELECT status FROM endpoint_deliveries
                WHERE endpoint_id = ${lit(a.id)}`)) === 'success', 10000);
        } finally {
            await rx.close();
        }
    });

    it('429 with Retry-After waits that long instead', async () => {
        const { c } = await merchant('epd-ra');
        let n = 0;
        const rx = await startReceiver({
            mode: () => (++n === 1 ? { status: 429, headers: { 'Retry-After': '4' } } : { status: 200 }),
        });
        try {
            await endpoint(c, rx.url, { enabled_events: ['payment.created'] });
            await payment(c);
            await rx.waitFor((q) => q.length >= 2, 20000);
            const gap = (rx.requests[1].at - rx.requests[0].at) / 1000;
            assert.ok(gap >= 3.9 && gap < 6, `gap ${gap} s`);
        } finally {
            await rx.close();
        }
    });
});

describe('disabling', () => {
    before(async () => {
        await restartWorker('WEBHOOK_RETRY_INTERVALS_TEST=true', 'WEBHOOK_DISABLE_AFTER_S=4');
    });

    after(async () => {
        await restartWorker('WEBHOOK_RETRY_INTERVALS_TEST=true', 'WEBHOOK_DISABLE_AFTER_S=120');
    });

    it('410 disables at once (gone) and records webhook_endpoint.disabled for the other endpoints', async () => {
        const { m, c } = await merchant('epd-410');
        const gone = await startReceiver({ mode: () => ({ status: 410 }) });
        const watch = await startReceiver();
        try {
            const g = await endpoint(c, gone.url, { enabled_events: ['payment.created'] });
            const w = await endpoint(c, watch.url, { enabled_events: ['webhook_endpoint.*'] });
            await payment(c);
            await gone.waitFor((q) => q.length >= 1, 15000);
            await waitFor(async () => (await c.get(`/api/v1/webhook_endpoints/${g.id}`)).json.status === 'disabled',
                10000);
            const j = (await c.get(`/api/v1/webhook_endpoints/${g.id}`)).json;
            assert.equal(j.disabled_reason, 'gone');
            await watch.waitFor((q) => q.length >= 1, 15000);
            const body = verify(w.secret, watch.requests[0]);
            assert.equal(body.event, 'webhook_endpoint.disabled');
            assert.deepEqual(Object.keys(body.data.webhook_endpoint), ['id', 'url', 'description', 'enabled_events',
                'status', 'disabled_reason', 'rate_limit', 'ordering', 'created_at', 'updated_at']);
            assert.equal(body.data.webhook_endpoint.id, g.id);
            assert.equal(body.data.webhook_endpoint.disabled_reason, 'gone');
            assert.equal(JSON.stringify(body), watch.requests[0].text, 'canonical bytes');
            const evs = await eventsOf(m.id);
            assert.equal(evs.filter((e) => e.type === 'webhook_endpoint.disabled').length, 1);
            await sleep(2500);
            assert.equal(gone.requests.length, 1, 'nothing more to a disabled endpoint');
        } finally {
            await Promise.all([gone.close(), watch.close()]);
        }
    });

    it('failing for longer than WEBHOOK_DISABLE_AFTER_S (4 s here) disables it (failing)', async () => {
        const { c } = await merchant('epd-fail');
        const rx = await startReceiver({ mode: '500' });
        try {
            const a = await endpoint(c, rx.url, { enabled_events: ['payment.created'] });
            await payment(c);
            await waitFor(async () => (await c.get(`/api/v1/webhook_endpoints/${a.id}`)).json.status === 'disabled',
                20000);
            const j = (await c.get(`/api/v1/webhook_endpoints/${a.id}`)).json;
            assert.equal(j.disabled_reason, 'failing');
            assert.ok(rx.requests.length >= 2 && rx.requests.length < 8, `${rx.requests.length} attempts`);
            // enabling again resumes the pending delivery
            rx.setMode('200');
            const n0 = rx.requests.length;
            assert.equal((await c.request('PATCH', `/api/v1/webhook_endpoints/${a.id}`,
                { json: { status: 'enabled' } })).json.disabled_reason, null);
            await rx.waitFor((q) => q.length > n0, 15000);
        } finally {
            await rx.close();
        }
    });
});

describe('per-endpoint rules and isolation', () => {
    it('fifo: the next delivery waits until the previous one succeeded', async () => {
        const { m, c } = await merchant('epd-fifo');
        let n = 0;
        const rx = await startReceiver({ mode: () => (++n <= 2 ? { status: 500 } : { status: 200 }) });
        try {
            await endpoint(c, rx.url, { enabled_events: ['payment.created', 'payment.pending'], ordering: 'fifo' });
            await payment(c);
            await payment(c);
            await rx.waitFor((q) => q.length >= 6, 30000);
            const order = (await eventsOf(m.id)).filter((e) => e.type !== 'payment.success').map((e) => e.id);
            const seen = rx.requests.map((q) => q.headers['webhook-id']);
            // the first event is attempted 3 times before anything else is sent, then in order
            assert.deepEqual(seen.slice(0, 3), [order[0], order[0], order[0]]);
            assert.deepEqual([...new Set(seen)], order);
        } finally {
            await rx.close();
        }
    });

    it('fifo: a retrying head behind 100 waiting deliveries is still claimed, then the rest in order', async () => {
        // The waiting deliveries are older by next_at than the head's retry: a turn that reads
        // due deliveries by next_at alone never reached the head again, and the endpoint stalled.
        const { m, c } = await merchant('epd-fifo-head');
        const rx = await startReceiver();
        try {
            const ep = await endpoint(c, rx.url, { ordering: 'fifo' });
            const N = 100;
            const mid = lit(m.id);
            await rows(`INSERT INTO events (id, merchant_id, type, object_id, payload, created_at)
                SELECT 'evt_fifohead' || lpad(g::text, 4, '0') || ${lit(String(seq))}, ${mid}, 'payment.created',
                       'pay_fifohead' || g || ${lit(String(seq))}, '{"event":"payment.created"}'::json,
                       now() - interval '1 hour' + g * interval '1 second'
                FROM generate_series(1, ${N}) g`);
            await rows(`INSERT INTO endpoint_deliveries (event_id, endpoint_id, merchant_id, attempts, next_at)
                SELECT e.id, ${lit(ep.id)}, ${mid},
                       CASE WHEN e.object_id LIKE 'pay_fifohead1' || ${lit(String(seq))} THEN 1 ELSE 0 END,
                       CASE WHEN e.object_id LIKE 'pay_fifohead1' || ${lit(String(seq))}
                            THEN now() + interval '2 seconds' ELSE now() - interval '1 minute' END
                FROM events e WHERE e.merchant_id = ${mid} AND e.object_id LIKE 'pay_fifohead%' ORDER BY e.created_at`);
            await rx.waitFor((q) => q.length >= N, 30000);
            const order = (await rows(`SELECT id FROM events WHERE merchant_id = ${mid}
                AND object_id LIKE 'pay_fifohead%' ORDER BY created_at, id`)).map(([id]) => id);
            assert.deepEqual(rx.requests.map((q) => q.headers['webhook-id']), order, 'once each, in event order');
        } finally {
            await rx.close();
        }
    });

    it('rate_limit: at most N deliveries a second', async () => {
        const { c } = await merchant('epd-rl');
        const rx = await startReceiver();
        try {
            await endpoint(c, rx.url, { enabled_events: ['payment.created', 'payment.pending'], rate_limit: 2 });
            for (let i = 0; i < 4; i++) await payment(c);
            await rx.waitFor((q) => q.length >= 8, 30000);
            const t = rx.requests.map((q) => q.at);
            assert.ok(t[7] - t[0] >= 2500, `8 deliveries in ${t[7] - t[0]} ms`);
            for (let i = 2; i < t.length; i++) {
                assert.ok(t[i] - t[i - 2] >= 700, `3 within ${t[i] - t[i - 2]} ms`);
            }
        } finally {
            await rx.close();
        }
    });

    it('a hanging endpoint delays neither the merchant\'s other endpoint nor another merchant', async () => {
        const A = await merchant('epd-hangA');
        const B = await merchant('epd-hangB');
        const hang = await startReceiver({ mode: 'hang' });
        const okA = await startReceiver();
        const okB = await startReceiver();
        try {
            await endpoint(A.c, hang.url);
            await endpoint(A.c, okA.url, { enabled_events: ['payment.created'] });
            await endpoint(B.c, okB.url, { enabled_events: ['payment.created'] });
            for (let i = 0; i < 12; i++) await payment(A.c);
            await hang.waitFor((q) => q.length >= 3, 15000);
            const t0 = Date.now();
            await payment(B.c);
            await okB.waitFor((q) => q.length >= 1, 5000);
            assert.ok(Date.now() - t0 < 3000, `B waited ${Date.now() - t0} ms`);
            await okA.waitFor((q) => q.length >= 12, 10000);
        } finally {
            await Promise.all([hang.close(), okA.close(), okB.close()]);
        }
    });
});

describe('/metrics: endpoint attempts by outcome', () => {
    const OUTCOMES = ['success', 'http_error', 'timeout', 'connection_error', 'not_configured', 'blocked'];
    const local = new Client(); // /metrics from loopback: no X-Forwarded-For

    async function counters() {
        const r = await local.get('/metrics', { xff: false, auth: false });
        assert.equal(r.status, 200, r.text.slice(0, 200));
        const fam = (name) => {
            const v = {};
            for (const o of OUTCOMES) {
                const m = r.text.match(new RegExp(`^${name}\\{outcome="${o}"\\} (\\d+)$`, 'm'));
                assert.ok(m, `${name}{outcome="${o}"}`);
                v[o] = Number(m[1]);
            }
            return v;
        };
        assert.match(r.text, /^# TYPE gateway_endpoint_attempts_total counter$/m);
        return { ep: fam('gateway_endpoint_attempts_total'), legacy: fam('gateway_webhook_attempts_total') };
    }

    /* Every attempt each path has recorded: webhook_attempts rows, the sum of webhook_logs.attempts. */
    async function recorded() {
        const [[ep, legacy]] = await rows(`SELECT (SELECT count(*) FROM webhook_attempts),
            (SELECT COALESCE(sum(attempts), 0) FROM webhook_logs)`);
        return { ep: Number(ep), legacy: Number(legacy) };
    }

    const outcomeOf = (a) => (a.response_code === 200 ? 'success'
        : a.response_code !== null ? 'http_error'
            : /^Timeout after/.test(a.error) ? 'timeout' : 'connection_error');
    const sum = (o) => Object.values(o).reduce((x, y) => x + y, 0);
    const delta = (a, b) => Object.fromEntries(OUTCOMES.map((o) => [o, b[o] - a[o]]));

    it('gateway_endpoint_attempts_total grows by the attempts made; the legacy counter counts only legacy ones', async () => {
        const { c } = await merchant('epd-metrics');
        const ok = await startReceiver();
        const bad = await startReceiver({ mode: '500' });
        const hang = await startReceiver({ mode: 'hang' });
        const closed = await startReceiver({ mode: 'closed' });
        const legacy = await startReceiver();
        const eps = [];
        try {
            // read the database before the counters, and the counters before the database at
            // the end: an attempt is written before it is counted, so neither side is missed
            const d0 = await recorded();
            const c0 = await counters();
            assert.equal((await c.put('/api/v1/merchant/webhook', { webhook_url: legacy.url })).status, 200);
            for (const rx of [ok, bad, hang, closed]) {
                eps.push(await endpoint(c, rx.url, { enabled_events: ['payment.created'] }));
            }
            for (let i = 0; i < 2; i++) await payment(c);
            await legacy.waitFor((q) => q.length >= 6, 20000); // created, pending, success × 2
            await ok.waitFor((q) => q.length >= 2, 20000);
            await bad.waitFor((q) => q.length >= 4, 30000); // 2 deliveries, retried after 1 s
            await hang.waitFor((q) => q.length >= 1, 20000);
            const made = Object.fromEntries(OUTCOMES.map((o) => [o, 0]));
            await waitFor(async () => {
                for (const o of OUTCOMES) made[o] = 0;
                for (const e of eps) {
                    const at = (await c.get(`/api/v1/webhook_endpoints/${e.id}/attempts?limit=100`)).json.data;
                    for (const a of at) made[outcomeOf(a)]++;
                }
                return made.timeout >= 1 && made.connection_error >= 4;
            }, 30000);
            assert.ok(made.success >= 2 && made.http_error >= 4, JSON.stringify(made));
            let c1;
            await waitFor(async () => {
                c1 = await counters();
                const g = delta(c0.ep, c1.ep);
                return OUTCOMES.every((o) => g[o] >= made[o])
                    && c1.legacy.success - c0.legacy.success >= legacy.requests.length;
            }, 15000);
            const d1 = await recorded();
            const gep = delta(c0.ep, c1.ep);
            const gleg = delta(c0.legacy, c1.legacy);
            for (const o of OUTCOMES) {
                assert.ok(gep[o] >= made[o], `endpoint ${o}: +${gep[o]} for ${made[o]} attempts`);
            }
            // each attempt counted once, by its own path (a small margin for another merchant's
            // attempt written just before the first reading and counted just after it)
            assert.ok(sum(gep) <= d1.ep - d0.ep + 3, `endpoint +${sum(gep)}, ${d1.ep - d0.ep} recorded`);
            assert.ok(sum(gleg) <= d1.legacy - d0.legacy + 3,
                `legacy +${sum(gleg)} for ${d1.legacy - d0.legacy} legacy attempts (endpoint ones: ${sum(gep)})`);
            assert.ok(gleg.success >= legacy.requests.length, `legacy success +${gleg.success}`);
        } finally {
            for (const e of eps) await c.request('DELETE', `/api/v1/webhook_endpoints/${e.id}`);
            await Promise.all([ok.close(), bad.close(), hang.close(), closed.close(), legacy.close()]);
        }
    });
});

describe('recovery', () => {
    it('kill -9 of the worker and a Redis restart during fan-out: nothing lost, same webhook-ids', async () => {
        const { m, c } = await merchant('epd-kill');
        const rx = await startReceiver();
        try {
            await endpoint(c, rx.url, { enabled_events: ['payment.created', 'payment.pending'] });
            const ps = [];
            for (let i = 0; i < 10; i++) ps.push(payment(c));
            await Promise.all(ps);
            await stack('worker-kill9');
            await stack('redis-stop');
            await stack('redis-start');
            await waitHealthy(30000, (h) => h?.json?.worker === 'running' && h?.json?.redis === 'connected');
            for (let i = 0; i < 5; i++) await payment(c);
            await rx.waitFor((q) => new Set(q.map((x) => x.headers['webhook-id'])).size >= 30, 60000);
            const ids = (await eventsOf(m.id)).filter((e) => e.type !== 'payment.success').map((e) => e.id).sort();
            const got = [...new Set(rx.requests.map((q) => q.headers['webhook-id']))].sort();
            assert.deepEqual(got, ids, 'every event, and only event ids');
            await waitFor(async () => Number(await scalar(`SELECT count(*) FROM endpoint_deliveries
                WHERE merchant_id = ${lit(m.id)} AND status <> 'success'`)) === 0, 40000);
        } finally {
            await rx.close();
        }
    });
});

describe('retention and deletion', () => {
    /* Counts of the merchant's events, deliveries and attempts, through each table's own key. */
    async function held(merchantId) {
        const [[ev, d, a]] = await rows(`SELECT
            (SELECT count(*) FROM events WHERE merchant_id = ${lit(merchantId)}),
            (SELECT count(*) FROM endpoint_deliveries WHERE merchant_id = ${lit(merchantId)}),
            (SELECT count(*) FROM webhook_attempts wa JOIN endpoint_deliveries d ON d.id = wa.delivery_id
              WHERE d.merchant_id = ${lit(merchantId)})`);
        return { ev: Number(ev), d: Number(d), a: Number(a) };
    }

    it('housekeeping removes events older than EVENT_RETENTION_DAYS with their deliveries and attempts', async () => {
        const { m, c } = await merchant('epd-retain');
        const rx = await startReceiver();
        try {
            await endpoint(c, rx.url);
            await endpoint(c, rx.url, { enabled_events: ['payment.created'] });
            await payment(c);
            await waitFor(async () => (await held(m.id)).a >= 4 && Number(await scalar(`SELECT count(*)
                FROM endpoint_deliveries WHERE merchant_id = ${lit(m.id)} AND status = 'pending'`)) === 0, 20000);
            const before = await held(m.id);
            const [old] = (await eventsOf(m.id)).filter((e) => e.type === 'payment.created');
            const [[od, oa]] = await rows(`SELECT count(DISTINCT d.id), count(wa.id) FROM endpoint_deliveries d
                LEFT JOIN webhook_attempts wa ON wa.delivery_id = d.id WHERE d.event_id = ${lit(old.id)}`);
            assert.equal(Number(od), 2, 'delivered to both endpoints');
            assert.ok(Number(oa) >= 2);
            // 31 days old under the default retention of 30; the worker's housekeeping runs at start
            await rows(`UPDATE events SET created_at = now() - interval '31 days' WHERE id = ${lit(old.id)}`);
            await restartWorker('WEBHOOK_RETRY_INTERVALS_TEST=true', 'WEBHOOK_DISABLE_AFTER_S=120');
            await waitFor(async () => Number(await scalar(`SELECT count(*) FROM events WHERE id = ${lit(old.id)}`)) === 0, 20000);
            assert.deepEqual(await rows(`SELECT count(*) FROM endpoint_deliveries WHERE event_id = ${lit(old.id)}`), [['0']]);
            assert.deepEqual(await rows(`SELECT count(*) FROM webhook_attempts WHERE event_id = ${lit(old.id)}`), [['0']]);
            assert.deepEqual(await held(m.id), { ev: before.ev - 1, d: before.d - Number(od), a: before.a - Number(oa) },
                'the younger events keep theirs');
        } finally {
            await rx.close();
        }
    });

    it('deleting an endpoint removes its deliveries and attempts, not the events or other endpoints\'', async () => {
        const { m, c } = await merchant('epd-del');
        const rx = await startReceiver();
        try {
            const a = await endpoint(c, rx.url);
            const b = await endpoint(c, rx.url);
            await payment(c);
            await waitFor(async () => Number(await scalar(`SELECT count(*) FROM webhook_attempts
                WHERE endpoint_id = ${lit(a.id)}`)) >= 1, 20000);
            const before = await held(m.id);
            const r = await c.request('DELETE', `/api/v1/webhook_endpoints/${a.id}`);
            assert.equal(r.status, 200, r.text);
            for (const t of ['endpoint_deliveries', 'webhook_attempts']) {
                assert.deepEqual(await rows(`SELECT count(*) FROM ${t} WHERE endpoint_id = ${lit(a.id)}`), [['0']], t);
            }
            const after = await held(m.id);
            assert.equal(after.ev, before.ev, 'events stay');
            assert.ok(after.d >= 1 && after.a >= 1, 'the other endpoint keeps its deliveries and attempts');
            assert.equal(Number(await scalar(`SELECT count(*) FROM endpoint_deliveries d
                WHERE d.merchant_id = ${lit(m.id)} AND d.endpoint_id <> ${lit(b.id)}`)), 0);
        } finally {
            await rx.close();
        }
    });
});
