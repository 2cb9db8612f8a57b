// Events (SPEC 21.1): recorded in the creating transaction whether or not the merchant has a
// webhook_url, the event object, cursor lists with filters and their exact errors, get, resend.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Client, assertError, assertOk, createMerchant, missingId, sleep, validCard } from '../lib/api.mjs';
import { lit, rows, scalar, sql } from '../lib/db.mjs';
import { settled } from '../lib/fixtures.mjs';
import { startReceiver } from '../lib/receiver.mjs';
import { stack, waitFor, waitHealthy } from '../lib/stack.mjs';

const IP = '10.51.1.1';
const EVENT_KEYS = ['id', 'type', 'created', 'data', 'pending_webhooks'];
const LIST_KEYS = ['object', 'data', 'has_more'];
const RE_EVT = /^evt_[A-Za-z0-9]{16}$/;
const bad = (r, d) => assertError(r, 400, 'BAD_REQUEST_ERROR', d);
let m;
let mc;
let other;

/* Every event of the merchant, newest first, straight from the database. */
async function dbEvents(merchantId) {
    return (await rows(`SELECT id, type, object_id, payload::text,
        floor(extract(epoch FROM created_at))::bigint FROM events
        WHERE merchant_id = ${lit(merchantId)} ORDER BY created_at DESC, id DESC`))
        .map(([id, type, objectId, payload, created]) => ({ id, type, object_id: objectId, payload, created }));
}

before(async () => {
    m = await createMerchant('evt');
    mc = new Client({ ip: IP, key: m.api_key, secret: m.api_secret });
    const o = await createMerchant('evt-other');
    other = new Client({ ip: IP, key: o.api_key, secret: o.api_secret });
});

describe('events are recorded', () => {
    let pay;

    it('a payment records payment.created and payment.pending without any webhook_url', async () => {
        const order = await mc.createOrder();
        pay = await mc.createPayment(order.id);
        // (the worker may have settled it already: payment.success is the next test's)
        const ev = (await dbEvents(m.id)).filter((e) => e.object_id === pay.id && e.type !== 'payment.success');
        assert.deepEqual(ev.map((e) => e.type).sort(), ['payment.created', 'payment.pending']);
        for (const e of ev) {
            assert.match(e.id, RE_EVT);
            const p = JSON.parse(e.payload);
            assert.deepEqual(Object.keys(p), ['event', 'timestamp', 'data']);
            assert.equal(p.event, e.type);
            assert.equal(p.timestamp, Number(e.created), 'created is the payload timestamp');
            assert.equal(JSON.stringify(p), e.payload, 'payload bytes are JSON.stringify-canonical');
            assert.deepEqual(Object.keys(p.data.payment),
                ['id', 'order_id', 'amount', 'currency', 'method', 'vpa', 'status', 'created_at']);
            assert.equal(p.data.payment.id, pay.id);
            assert.equal(p.data.payment.amount, 50000);
            assert.equal(p.data.payment.created_at, pay.created_at);
        }
        assert.equal(Number(await scalar(`SELECT count(*) FROM webhook_logs WHERE object_id = ${lit(pay.id)}`)), 0,
            'no legacy log without a URL');
    });

    it('the worker records payment.success; refunds record refund.created and refund.processed', async () => {
        await settled(mc, pay.id, 'success');
        await waitFor(async () => (await dbEvents(m.id)).some((e) => e.type === 'payment.success'), 10000);
        const r = await mc.post(`/api/v1/payments/${pay.id}/refunds`, { amount: 100, reason: 'x' });
        assert.equal(r.status, 201, r.text);
        await waitFor(async () => (await dbEvents(m.id)).some((e) => e.type === 'refund.processed'), 15000);
        const ev = await dbEvents(m.id);
        const created = ev.find((e) => e.type === 'refund.created');
        assert.equal(created.object_id, r.json.id);
        assert.deepEqual(Object.keys(JSON.parse(created.payload).data.refund),
            ['id', 'payment_id', 'amount', 'reason', 'status', 'created_at', 'processed_at']);
    });

    it('with a webhook_url the event and the legacy log carry the same bytes', async () => {
        const m2 = await createMerchant('evt-url');
        const c2 = new Client({ ip: IP, key: m2.api_key, secret: m2.api_secret });
        assert.equal((await c2.put('/api/v1/merchant/webhook', { webhook_url: 'http://127.0.0.1:9/hook' })).status, 200);
        const order = await c2.createOrder();
        const p = await c2.createPayment(order.id, { method: 'card', card: validCard() });
        const pairs = await rows(`SELECT e.payload::text AS ep, w.payload::text AS wp, e.created_at = w.created_at AS same
            FROM events e JOIN webhook_logs w ON w.object_id = e.object_id AND w.event = e.type
            WHERE e.object_id = ${lit(p.id)}`);
        assert.equal(pairs.length, 2);
        for (const [ep, wp, same] of pairs) {
            assert.equal(ep, wp);
            assert.equal(same, 't');
        }
    });

    it('the test webhook records a webhook.test event', async () => {
        const m3 = await createMerchant('evt-test');
        const c3 = new Client({ ip: IP, key: m3.api_key, secret: m3.api_secret });
        assert.equal((await c3.put('/api/v1/merchant/webhook', { webhook_url: 'http://127.0.0.1:9/hook' })).status, 200);
        assert.equal((await c3.post('/api/v1/merchant/webhook/test', {})).status, 202);
        const ev = await dbEvents(m3.id);
        assert.equal(ev.length, 1);
        assert.equal(ev[0].type, 'webhook.test');
        assert.deepEqual(JSON.parse(ev[0].payload).data, { message: 'Test webhook', merchant_id: m3.id });
    });
});

describe('GET /api/v1/events', () => {
    it('lists the merchant\'s events newest first as event objects', async () => {
        const r = await mc.get('/api/v1/events?limit=100');
        const j = assertOk(r, 200, LIST_KEYS);
        assert.equal(j.object, 'list');
        assert.equal(j.has_more, false);
        const db = await dbEvents(m.id);
        assert.deepEqual(j.data.map((e) => e.id), db.map((e) => e.id));
        for (const [i, e] of j.data.entries()) {
            assert.deepEqual(Object.keys(e), EVENT_KEYS);
            assert.equal(e.created, Number(db[i].created));
            assert.deepEqual(e.data, JSON.parse(db[i].payload).data);
            assert.equal(e.pending_webhooks, 0);
        }
        // the data member is the stored payload's bytes
        const one = await mc.get(`/api/v1/events/${db[0].id}`);
        assert.ok(db[0].payload.includes(JSON.stringify(one.json.data)));
    });

    it('another merchant sees none of them', async () => {
        const j = assertOk(await other.get('/api/v1/events'), 200, LIST_KEYS);
        assert.deepEqual(j.data, []);
        assert.equal(j.has_more, false);
    });

    it('cursor pagination: starting_after walks older, ending_before walks newer', async () => {
        const all = (await dbEvents(m.id)).map((e) => e.id);
        assert.ok(all.length >= 5, `events: ${all.length}`);
        const p1 = (await mc.get('/api/v1/events?limit=2')).json;
        assert.deepEqual(p1.data.map((e) => e.id), all.slice(0, 2));
        assert.equal(p1.has_more, true);
        const p2 = (await mc.get(`/api/v1/events?limit=2&starting_after=${all[1]}`)).json;
        assert.deepEqual(p2.data.map((e) => e.id), all.slice(2, 4));
        assert.equal(p2.has_more, all.length > 4);
        const last = (await mc.get(`/api/v1/events?limit=100&starting_after=${all[all.length - 2]}`)).json;
        assert.deepEqual(last.data.map((e) => e.id), all.slice(-1));
        assert.equal(last.has_more, false);
        // just newer than all[4]: the closest page, still newest first
        const b = (await mc.get(`/api/v1/events?limit=2&ending_before=${all[4]}`)).json;
        assert.deepEqual(b.data.map((e) => e.id), all.slice(2, 4));
        assert.equal(b.has_more, true);
        const top = (await mc.get(`/api/v1/events?limit=10&ending_before=${all[2]}`)).json;
        assert.deepEqual(top.data.map((e) => e.id), all.slice(0, 2));
        assert.equal(top.has_more, false);
        const none = (await mc.get(`/api/v1/events?ending_before=${all[0]}`)).json;
        assert.deepEqual(none, { object: 'list', data: [], has_more: false });
    });

    it('filters: type exact and prefix, created range', async () => {
        const db = await dbEvents(m.id);
        const exact = (await mc.get('/api/v1/events?type=payment.created&limit=100')).json;
        assert.deepEqual(exact.data.map((e) => e.id), db.filter((e) => e.type === 'payment.created').map((e) => e.id));
        const pre = (await mc.get('/api/v1/events?type=refund.*&limit=100')).json;
        assert.deepEqual(pre.data.map((e) => e.id), db.filter((e) => e.type.startsWith('refund.')).map((e) => e.id));
        assert.ok(pre.data.length >= 2);
        const star = (await mc.get('/api/v1/events?type=*&limit=100')).json;
        assert.equal(star.data.length, db.length);
        const t = Number(db[db.length - 1].created);
        const gte = (await mc.get(`/api/v1/events?created%5Bgte%5D=${t + 3600}`)).json;
        assert.deepEqual(gte.data, []);
        const lte = (await mc.get(`/api/v1/events?created%5Blte%5D=${t}&limit=100`)).json;
        assert.deepEqual(lte.data.map((e) => e.id), db.filter((e) => Number(e.created) <= t).map((e) => e.id));
        const both = (await mc.get(`/api/v1/events?created[gte]=${t}&created[lte]=${t + 86400}&limit=100`)).json;
        assert.equal(both.data.length, db.length);
    });

    it('errors name the parameter', async () => {
        bad(await mc.get('/api/v1/events?limit=0'), 'limit must be an integer between 1 and 100');
        bad(await mc.get('/api/v1/events?limit=101'), 'limit must be an integer between 1 and 100');
        bad(await mc.get('/api/v1/events?limit=abc'), 'limit must be an integer between 1 and 100');
        const id = missingId('evt');
        bad(await mc.get(`/api/v1/events?starting_after=${id}&ending_before=${id}`),
            'starting_after and ending_before are exclusive');
        bad(await mc.get(`/api/v1/events?starting_after=${id}`), 'starting_after is not a known id');
        bad(await mc.get('/api/v1/events?ending_before=nonsense'), 'ending_before is not a known id');
        const theirs = (await dbEvents(m.id))[0].id;
        bad(await other.get(`/api/v1/events?starting_after=${theirs}`), 'starting_after is not a known id');
        bad(await mc.get('/api/v1/events?type=payment.bogus'), 'type must be a known event type or prefix');
        bad(await mc.get('/api/v1/events?type=bogus.*'), 'type must be a known event type or prefix');
        bad(await mc.get('/api/v1/events?type=payment'), 'type must be a known event type or prefix');
        bad(await mc.get('/api/v1/events?delivery_success=yes'), 'delivery_success must be true or false');
        bad(await mc.get('/api/v1/events?created%5Bgte%5D=-1'), 'created[gte] must be a Unix time');
        bad(await mc.get('/api/v1/events?created%5Blte%5D=1.5'), 'created[lte] must be a Unix time');
        assertError(await mc.get('/api/v1/events', { auth: false }), 401, 'AUTHENTICATION_ERROR',
            'Invalid API credentials');
    });

    it('delivery_success follows the deliveries (legacy endpoint included)', async () => {
        const mf = await createMerchant('evt-ds');
        const cf = new Client({ ip: IP, key: mf.api_key, secret: mf.api_secret });
        const rxOk = await startReceiver({ mode: '200' });
        const rxDead = await startReceiver({ mode: 'closed' });
        try {
            assert.equal((await cf.put('/api/v1/merchant/webhook', { webhook_url: rxOk.url })).status, 200);
            const o1 = await cf.createOrder();
            const p1 = await cf.createPayment(o1.id);
            // all three logs (created, pending, success) delivered before the URL changes: a
            // log's URL is read at attempt time
            await waitFor(async () => Number(await scalar(`SELECT count(*) FROM webhook_logs
                WHERE object_id = ${lit(p1.id)} AND status = 'success'`)) >= 3, 15000);
            assert.equal((await cf.put('/api/v1/merchant/webhook', { webhook_url: rxDead.url })).status, 200);
            const o2 = await cf.createOrder();
            const p2 = await cf.createPayment(o2.id);
            await waitFor(async () => Number(await scalar(`SELECT count(*) FROM webhook_logs
                WHERE object_id = ${lit(p2.id)} AND attempts > 0`)) >= 2, 15000);
            const failing = (await cf.get('/api/v1/events?delivery_success=false&limit=100')).json.data;
            assert.ok(failing.length >= 2);
            assert.ok(failing.every((e) => e.data.payment?.id === p2.id), 'only the failing payment\'s events');
            assert.ok(failing.every((e) => e.pending_webhooks === 1), 'still retrying: pending');
            const ok = (await cf.get('/api/v1/events?delivery_success=true&limit=100')).json.data;
            assert.ok(ok.some((e) => e.data.payment?.id === p1.id));
            assert.ok(!ok.some((e) => e.data.payment?.id === p2.id));
        } finally {
            await rxOk.close();
            await rxDead.close();
        }
    });
});

describe('GET /api/v1/events/{event_id}', () => {
    it('200 with the event; 404 for an unknown, malformed or other merchant\'s id', async () => {
        const e = (await dbEvents(m.id))[0];
        const j = assertOk(await mc.get(`/api/v1/events/${e.id}`), 200, EVENT_KEYS);
        assert.equal(j.id, e.id);
        assert.equal(j.type, e.type);
        const nf = (r) => assertError(r, 404, 'NOT_FOUND_ERROR', 'Event not found');
        nf(await other.get(`/api/v1/events/${e.id}`));
        nf(await mc.get(`/api/v1/events/${missingId('evt')}`));
        nf(await mc.get('/api/v1/events/evt_short'));
        nf(await mc.get('/api/v1/events/pay_AAAAAAAAAAAAAAAA'));
    });
});

describe('POST /api/v1/events/{event_id}/resend', () => {
    let ev;
    let we;
    let weOff;

    // without a worker, so that the deliveries stay as the resend leaves them
    before(async () => {
        await stack('worker-stop');
        ev = (await dbEvents(m.id)).find((e) => e.type === 'payment.created');
        const mk = async (events) => {
            const r = await mc.post('/api/v1/webhook_endpoints', { url: 'https://example.com/r', enabled_events: events });
            assert.equal(r.status, 201, r.text);
            return r.json;
        };
        we = await mk(['payment.*']);
        weOff = await mk(['refund.created']);
    });

    after(async () => {
        for (const x of [we, weOff]) await mc.request('DELETE', `/api/v1/webhook_endpoints/${x.id}`);
        await stack('worker-start');
        await waitHealthy(30000, (h) => h?.json?.worker === 'running');
    });

    it('{} schedules the event for every enabled endpoint subscribed to its type', async () => {
        const r = await mc.post(`/api/v1/events/${ev.id}/resend`, {});
        assert.equal(r.status, 202, r.text);
        assert.deepEqual(r.json, { id: ev.id, deliveries: 1, message: 'Event resend scheduled' });
        const d = await rows(`SELECT endpoint_id, status, attempts FROM endpoint_deliveries WHERE event_id = ${lit(ev.id)}`);
        assert.deepEqual(d, [[we.id, 'pending', '0']]);
        // an empty body counts as {}
        const e = await mc.request('POST', `/api/v1/events/${ev.id}/resend`);
        assert.equal(e.status, 202, e.text);
    });

    it('a new cycle: a failed delivery is pending at attempt 0 again', async () => {
        await sql(`UPDATE endpoint_deliveries SET status = 'failed', attempts = 8 WHERE event_id = ${lit(ev.id)}`);
        const r = await mc.post(`/api/v1/events/${ev.id}/resend`, { endpoint_id: we.id });
        assert.equal(r.status, 202);
        assert.equal(r.json.deliveries, 1);
        const d = await rows(`SELECT status, attempts FROM endpoint_deliveries WHERE event_id = ${lit(ev.id)}`);
        assert.deepEqual(d, [['pending', '0']]);
    });

    it('a named endpoint gets it even if not subscribed; disabled endpoints are skipped by {}', async () => {
        const r = await mc.post(`/api/v1/events/${ev.id}/resend`, { endpoint_id: weOff.id });
        assert.equal(r.json.deliveries, 1);
        await mc.request('PATCH', `/api/v1/webhook_endpoints/${we.id}`, { json: { status: 'disabled' } });
        const r2 = await mc.post(`/api/v1/events/${ev.id}/resend`, {});
        assert.equal(r2.json.deliveries, 0);
        await mc.request('PATCH', `/api/v1/webhook_endpoints/${we.id}`, { json: { status: 'enabled' } });
    });

    it('404s: unknown event, unknown or other merchant\'s endpoint; 400 for a non-string', async () => {
        assertError(await mc.post(`/api/v1/events/${missingId('evt')}/resend`, {}), 404, 'NOT_FOUND_ERROR',
            'Event not found');
        assertError(await other.post(`/api/v1/events/${ev.id}/resend`, {}), 404, 'NOT_FOUND_ERROR',
            'Event not found');
        const nf = (r) => assertError(r, 404, 'NOT_FOUND_ERROR', 'Webhook endpoint not found');
        nf(await mc.post(`/api/v1/events/${ev.id}/resend`, { endpoint_id: missingId('we') }));
        nf(await mc.post(`/api/v1/events/${ev.id}/resend`, { endpoint_id: 'we_bad' }));
        bad(await mc.post(`/api/v1/events/${ev.id}/resend`, { endpoint_id: 5 }), 'endpoint_id must be a string');
        assertError(await mc.post(`/api/v1/events/${ev.id}/resend`, undefined, { body: 'x', contentType: 'text/plain' }),
            415, 'BAD_REQUEST_ERROR', 'Content-Type must be application/json');
        await sleep(0);
    });
});
