// Webhook endpoints (SPEC 21.2): create with its checks and exact errors, the secret shown only
// at create and rotate, the limit of 16 (also under concurrency), cursor list, GET, PATCH,
// DELETE, rotate_secret, recover, the attempts list; WEBHOOK_BLOCK_PRIVATE on literal hosts.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Client, assertError, assertOk, createMerchant, missingId } from '../lib/api.mjs';
import { lit, rows, scalar, sql } from '../lib/db.mjs';
import { stack, waitHealthy } from '../lib/stack.mjs';

const IP = '10.51.2.2';
const KEYS = ['id', 'url', 'description', 'enabled_events', 'status', 'disabled_reason', 'rate_limit', 'ordering',
    'created_at', 'updated_at'];
const RE_WE = /^we_[A-Za-z0-9]{16}$/;
const RE_SECRET = /^whsec_[A-Za-z0-9+/]{43}=$/;
const RE_TS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const bad = (r, d) => assertError(r, 400, 'BAD_REQUEST_ERROR', d);
const nf = (r) => assertError(r, 404, 'NOT_FOUND_ERROR', 'Webhook endpoint not found');
const BASE = { url: 'https://example.com/hooks/a?x=1', enabled_events: ['payment.success'] };
let m;
let mc;
let other;

const patch = (c, id, json, opts = {}) => c.request('PATCH', `/api/v1/webhook_endpoints/${id}`, { json, ...opts });
const del = (c, id) => c.request('DELETE', `/api/v1/webhook_endpoints/${id}`);

before(async () => {
    m = await createMerchant('we');
    mc = new Client({ ip: IP, key: m.api_key, secret: m.api_secret });
    const o = await createMerchant('we-other');
    other = new Client({ ip: IP, key: o.api_key, secret: o.api_secret });
});

describe('POST /api/v1/webhook_endpoints', () => {
    it('201 with the endpoint and its secret (32 random bytes, base64)', async () => {
        const r = await mc.post('/api/v1/webhook_endpoints', {
            url: 'https://example.com/hooks/a', enabled_events: ['payment.*', 'refund.processed', '*'],
            description: 'fulfilment', rate_limit: 25, ordering: 'fifo', unknown: 1,
        });
        const j = assertOk(r, 201, [...KEYS, 'secret']);
        assert.match(j.id, RE_WE);
        assert.equal(j.url, 'https://example.com/hooks/a');
        assert.equal(j.description, 'fulfilment');
        assert.deepEqual(j.enabled_events, ['payment.*', 'refund.processed', '*']);
        assert.equal(j.status, 'enabled');
        assert.equal(j.disabled_reason, null);
        assert.equal(j.rate_limit, 25);
        assert.equal(j.ordering, 'fifo');
        assert.match(j.created_at, RE_TS);
        assert.equal(j.updated_at, j.created_at);
        assert.match(j.secret, RE_SECRET);
        assert.equal(Buffer.from(j.secret.slice(6), 'base64').length, 32);
        // defaults
        const d = assertOk(await mc.post('/api/v1/webhook_endpoints', BASE), 201, [...KEYS, 'secret']);
        assert.equal(d.description, null);
        assert.equal(d.rate_limit, null);
        assert.equal(d.ordering, 'unordered');
        assert.notEqual(d.secret, j.secret);
        // the secret is never shown again
        for (const p of [`/api/v1/webhook_endpoints/${j.id}`, '/api/v1/webhook_endpoints']) {
            const g = await mc.get(p);
            assert.equal(g.status, 200);
            assert.ok(!g.text.includes(j.secret.slice(6)), `${p} shows no secret`);
            assert.ok(!g.text.includes('"secret"'));
        }
        await del(mc, j.id);
        await del(mc, d.id);
    });

    it('checks each member with the SPEC 21.2 texts', async () => {
        const post = (b) => mc.post('/api/v1/webhook_endpoints', b);
        bad(await post({ enabled_events: ['*'] }), 'url is required');
        for (const url of [null, '', 5, 'ftp://x.example/', 'http://user@x.example/', 'http://x.example/#f', 'nope']) {
            bad(await post({ ...BASE, url }), 'url must be a valid http or https URL');
        }
        const ev = 'enabled_events must list known event types';
        bad(await post({ url: BASE.url }), ev);
        for (const e of [null, [], 'payment.success', ['payment.bogus'], ['bogus.*'], [5], ['payment'], ['payment.*x']]) {
            bad(await post({ ...BASE, enabled_events: e }), ev);
        }
        for (const description of [5, 'x'.repeat(256), ['a']]) {
            bad(await post({ ...BASE, description }), 'description must be a string of at most 255 characters');
        }
        for (const rate_limit of [0, 1001, 1.5, '5', true]) {
            bad(await post({ ...BASE, rate_limit }), 'rate_limit must be an integer between 1 and 1000 or null');
        }
        for (const ordering of [null, 'FIFO', 'ordered', 1]) {
            bad(await post({ ...BASE, ordering }), 'ordering must be one of unordered, fifo');
        }
        // §4.1 before the members
        assertError(await mc.post('/api/v1/webhook_endpoints', undefined, { body: '{', contentType: 'application/json' }),
            400, 'BAD_REQUEST_ERROR', 'Invalid JSON body');
        assertError(await mc.post('/api/v1/webhook_endpoints', undefined, { body: 'x', contentType: 'text/plain' }),
            415, 'BAD_REQUEST_ERROR', 'Content-Type must be application/json');
        assertError(await mc.post('/api/v1/webhook_endpoints', BASE, { auth: false }), 401, 'AUTHENTICATION_ERROR',
            'Invalid API credentials');
        // the edges that are accepted
        const ok = await post({ ...BASE, description: 'é'.repeat(255), rate_limit: 1000, ordering: 'unordered' });
        assert.equal(ok.status, 201, ok.text);
        assert.equal(ok.json.description, 'é'.repeat(255));
        await del(mc, ok.json.id);
        assert.equal(Number(await scalar(`SELECT count(*) FROM webhook_endpoints WHERE merchant_id = ${lit(m.id)}`)), 0);
    });

    it('at most 16 per merchant, also when the creates race', async () => {
        const mm = await createMerchant('we-limit');
        const c = new Client({ ip: IP, key: mm.api_key, secret: mm.api_secret });
        const rs = await Promise.all(Array.from({ length: 24 }, () => c.post('/api/v1/webhook_endpoints', BASE)));
        assert.equal(rs.filter((r) => r.status === 201).length, 16);
        for (const r of rs.filter((x) => x.status !== 201)) bad(r, 'Endpoint limit reached');
        bad(await c.post('/api/v1/webhook_endpoints', BASE), 'Endpoint limit reached');
        // another merchant is not affected; a delete frees a place
        assert.equal((await other.post('/api/v1/webhook_endpoints', BASE)).status, 201);
        const one = rs.find((r) => r.status === 201).json.id;
        assert.equal((await del(c, one)).status, 200);
        assert.equal((await c.post('/api/v1/webhook_endpoints', BASE)).status, 201);
    });
});

describe('list, get, patch, delete', () => {
    let ids = [];

    before(async () => {
        for (let i = 0; i < 5; i++) {
            const r = await mc.post('/api/v1/webhook_endpoints', { ...BASE, description: `n${i}` });
            assert.equal(r.status, 201);
            ids.unshift(r.json.id); // newest first
        }
    });

    after(async () => {
        for (const id of ids) await del(mc, id);
        ids = [];
    });

    it('cursor list, newest first, only the merchant\'s', async () => {
        const all = assertOk(await mc.get('/api/v1/webhook_endpoints?limit=100'), 200, ['object', 'data', 'has_more']);
        assert.deepEqual(all.data.map((e) => e.id), ids);
        for (const e of all.data) assert.deepEqual(Object.keys(e), KEYS);
        const p1 = (await mc.get('/api/v1/webhook_endpoints?limit=2')).json;
        assert.deepEqual(p1.data.map((e) => e.id), ids.slice(0, 2));
        assert.equal(p1.has_more, true);
        const p2 = (await mc.get(`/api/v1/webhook_endpoints?limit=2&starting_after=${ids[1]}`)).json;
        assert.deepEqual(p2.data.map((e) => e.id), ids.slice(2, 4));
        const b = (await mc.get(`/api/v1/webhook_endpoints?limit=2&ending_before=${ids[4]}`)).json;
        assert.deepEqual(b.data.map((e) => e.id), ids.slice(2, 4));
        assert.equal(b.has_more, true);
        bad(await mc.get(`/api/v1/webhook_endpoints?starting_after=${missingId('we')}`), 'starting_after is not a known id');
        bad(await other.get(`/api/v1/webhook_endpoints?ending_before=${ids[0]}`), 'ending_before is not a known id');
        bad(await mc.get(`/api/v1/webhook_endpoints?starting_after=${ids[0]}&ending_before=${ids[1]}`),
            'starting_after and ending_before are exclusive');
        bad(await mc.get('/api/v1/webhook_endpoints?limit=0'), 'limit must be an integer between 1 and 100');
        const theirs = (await other.get('/api/v1/webhook_endpoints?limit=100')).json.data.map((e) => e.id);
        assert.ok(!theirs.some((id) => ids.includes(id)));
    });

    it('GET one; 404 for unknown, malformed and other merchant\'s ids', async () => {
        const j = assertOk(await mc.get(`/api/v1/webhook_endpoints/${ids[0]}`), 200, KEYS);
        assert.equal(j.id, ids[0]);
        nf(await other.get(`/api/v1/webhook_endpoints/${ids[0]}`));
        nf(await mc.get(`/api/v1/webhook_endpoints/${missingId('we')}`));
        nf(await mc.get('/api/v1/webhook_endpoints/we_1'));
        nf(await patch(other, ids[0], { description: 'x' }));
        nf(await del(other, ids[0]));
        nf(await other.post(`/api/v1/webhook_endpoints/${ids[0]}/rotate_secret`, {}));
        nf(await other.post(`/api/v1/webhook_endpoints/${ids[0]}/recover`, { since: Math.floor(Date.now() / 1000) }));
        nf(await other.get(`/api/v1/webhook_endpoints/${ids[0]}/attempts`));
    });

    it('PATCH changes what is sent and nothing else', async () => {
        const id = ids[0];
        const before0 = (await mc.get(`/api/v1/webhook_endpoints/${id}`)).json;
        const r = await patch(mc, id, { url: 'http://example.org:8080/h', enabled_events: ['refund.*'], rate_limit: 7 });
        const j = assertOk(r, 200, KEYS);
        assert.equal(j.url, 'http://example.org:8080/h');
        assert.deepEqual(j.enabled_events, ['refund.*']);
        assert.equal(j.rate_limit, 7);
        assert.equal(j.description, before0.description);
        assert.equal(j.ordering, 'unordered');
        const j2 = (await patch(mc, id, { description: null, rate_limit: null, ordering: 'fifo' })).json;
        assert.equal(j2.description, null);
        assert.equal(j2.rate_limit, null);
        assert.equal(j2.ordering, 'fifo');
        assert.equal(j2.url, 'http://example.org:8080/h');
        const off = (await patch(mc, id, { status: 'disabled' })).json;
        assert.equal(off.status, 'disabled');
        assert.equal(off.disabled_reason, 'manual');
        const on = (await patch(mc, id, { status: 'enabled' })).json;
        assert.equal(on.status, 'enabled');
        assert.equal(on.disabled_reason, null);
        // a failing endpoint keeps its reason when disabled again by hand
        await sql(`UPDATE webhook_endpoints SET status = 'disabled', disabled_reason = 'failing' WHERE id = ${lit(id)}`);
        assert.equal((await patch(mc, id, { status: 'disabled' })).json.disabled_reason, 'failing');
        assert.equal((await patch(mc, id, { status: 'enabled' })).json.disabled_reason, null);
    });

    it('PATCH errors', async () => {
        const id = ids[1];
        bad(await patch(mc, id, { url: '' }), 'url must be a valid http or https URL');
        bad(await patch(mc, id, { url: null }), 'url must be a valid http or https URL');
        bad(await patch(mc, id, { enabled_events: [] }), 'enabled_events must list known event types');
        bad(await patch(mc, id, { description: 1 }), 'description must be a string of at most 255 characters');
        bad(await patch(mc, id, { rate_limit: 0 }), 'rate_limit must be an integer between 1 and 1000 or null');
        bad(await patch(mc, id, { ordering: 'x' }), 'ordering must be one of unordered, fifo');
        bad(await patch(mc, id, { status: 'paused' }), 'status must be one of enabled, disabled');
        bad(await patch(mc, id, { status: null }), 'status must be one of enabled, disabled');
        assertError(await mc.request('PATCH', `/api/v1/webhook_endpoints/${id}`, { body: 'a=b', contentType: 'text/plain' }),
            415, 'BAD_REQUEST_ERROR', 'Content-Type must be application/json');
        assertError(await mc.request('PATCH', `/api/v1/webhook_endpoints/${id}`, { body: '[]' }), 400,
            'BAD_REQUEST_ERROR', 'Invalid JSON body');
        assertError(await mc.request('PATCH', `/api/v1/webhook_endpoints/${id}`), 400, 'BAD_REQUEST_ERROR',
            'Invalid JSON body');
        const r = await mc.request('PUT', `/api/v1/webhook_endpoints/${id}`, { json: {} });
        assert.equal(r.status, 405);
        assert.equal(r.headers.get('allow'), 'GET, PATCH, DELETE');
    });

    it('DELETE answers {"id","deleted":true}; the endpoint and its deliveries are gone', async () => {
        const id = ids.pop();
        const r = await del(mc, id);
        assert.equal(r.status, 200);
        assert.equal(r.text, JSON.stringify({ id, deleted: true }));
        nf(await mc.get(`/api/v1/webhook_endpoints/${id}`));
        nf(await del(mc, id));
    });
});

describe('rotate_secret', () => {
    it('a new secret; the previous one expires after H hours (default 24)', async () => {
        const c = (await mc.post('/api/v1/webhook_endpoints', BASE)).json;
        const r = await mc.post(`/api/v1/webhook_endpoints/${c.id}/rotate_secret`, { expire_previous_after_hours: 2 });
        const j = assertOk(r, 200, [...KEYS, 'secret', 'previous_secret_expires_at']);
        assert.match(j.secret, RE_SECRET);
        assert.notEqual(j.secret, c.secret);
        const exp = Date.parse(j.previous_secret_expires_at);
        assert.ok(Math.abs(exp - Date.now() - 2 * 3600e3) < 120e3, j.previous_secret_expires_at);
        const [[cur, prev]] = await rows(`SELECT secret, previous_secret FROM webhook_endpoints WHERE id = ${lit(c.id)}`);
        assert.equal(cur, j.secret);
        assert.equal(prev, c.secret);
        const d = (await mc.request('POST', `/api/v1/webhook_endpoints/${c.id}/rotate_secret`)).json;
        assert.ok(Math.abs(Date.parse(d.previous_secret_expires_at) - Date.now() - 24 * 3600e3) < 120e3);
        const z = (await mc.post(`/api/v1/webhook_endpoints/${c.id}/rotate_secret`, { expire_previous_after_hours: 0 })).json;
        assert.ok(Math.abs(Date.parse(z.previous_secret_expires_at) - Date.now()) < 120e3);
        for (const h of [-1, 169, 1.5, '2', null]) {
            bad(await mc.post(`/api/v1/webhook_endpoints/${c.id}/rotate_secret`, { expire_previous_after_hours: h }),
                'expire_previous_after_hours must be an integer between 0 and 168');
        }
        nf(await mc.post(`/api/v1/webhook_endpoints/${missingId('we')}/rotate_secret`, {}));
        await del(mc, c.id);
    });
});

describe('recover and attempts', () => {
    let we;
    let evs;

    // without a worker: the deliveries are fixtures in known states
    before(async () => {
        await stack('worker-stop');
        we = (await mc.post('/api/v1/webhook_endpoints', { ...BASE, enabled_events: ['*'] })).json;
        // three events of this merchant, with deliveries in known states (fixtures)
        for (let i = 0; i < 3; i++) {
            const o = await mc.createOrder();
            await mc.createPayment(o.id);
        }
        evs = (await rows(`SELECT id FROM events WHERE merchant_id = ${lit(m.id)} AND type = 'payment.created'
            ORDER BY created_at`)).map((r) => r[0]);
        await sql(`INSERT INTO endpoint_deliveries (event_id, endpoint_id, merchant_id, status, attempts)
            VALUES (${lit(evs[0])}, ${lit(we.id)}, ${lit(m.id)}, 'failed', 8),
                   (${lit(evs[1])}, ${lit(we.id)}, ${lit(m.id)}, 'failed', 8),
                   (${lit(evs[2])}, ${lit(we.id)}, ${lit(m.id)}, 'success', 1)
            ON CONFLICT (event_id, endpoint_id) DO UPDATE SET status = excluded.status, attempts = excluded.attempts`);
        await sql(`UPDATE events SET created_at = now() - interval '40 days' WHERE id = ${lit(evs[0])}`);
        await sql(`INSERT INTO webhook_attempts (id, delivery_id, endpoint_id, event_id, attempt, started_at,
            duration_ms, response_code, response_body, error, created_at)
            SELECT 'wa_' || lpad(g::text, 16, '0'), d.id, d.endpoint_id, d.event_id, g, now(), 12 * g,
                   CASE WHEN g = 3 THEN NULL ELSE 500 END, CASE WHEN g = 3 THEN NULL ELSE 'nope' END,
                   CASE WHEN g = 3 THEN 'Timeout after 5000 ms' END,
                   now() - (10 - g) * interval '1 second'
            FROM endpoint_deliveries d, generate_series(1, 4) g
            WHERE d.event_id = ${lit(evs[1])} AND d.endpoint_id = ${lit(we.id)}`);
    });

    after(async () => {
        await del(mc, we.id);
        await stack('worker-start');
        await waitHealthy(30000, (h) => h?.json?.worker === 'running');
    });

    it('recover: a new cycle for every delivery failed for good since then', async () => {
        const now = Math.floor(Date.now() / 1000);
        const r = await mc.post(`/api/v1/webhook_endpoints/${we.id}/recover`, { since: now - 29 * 86400 });
        assert.equal(r.status, 202, r.text);
        assert.deepEqual(r.json, { id: we.id, deliveries: 1 }, 'the 40-day-old event and the success are left');
        const st = await rows(`SELECT event_id, status, attempts FROM endpoint_deliveries WHERE endpoint_id = ${lit(we.id)}
            ORDER BY event_id`);
        const by = Object.fromEntries(st.map(([e, s, a]) => [e, [s, a]]));
        assert.deepEqual(by[evs[1]], ['pending', '0']);
        assert.deepEqual(by[evs[0]], ['failed', '8']);
        assert.deepEqual(by[evs[2]], ['success', '1']);
        assert.deepEqual((await mc.post(`/api/v1/webhook_endpoints/${we.id}/recover`, { since: now - 60 })).json,
            { id: we.id, deliveries: 0 });
        const msg = 'since must be a Unix time within the last 30 days';
        for (const since of [now - 31 * 86400, now + 3600, 'x', null, 1.5]) {
            bad(await mc.post(`/api/v1/webhook_endpoints/${we.id}/recover`, { since }), msg);
        }
        bad(await mc.post(`/api/v1/webhook_endpoints/${we.id}/recover`, {}), msg);
        assertError(await mc.request('POST', `/api/v1/webhook_endpoints/${we.id}/recover`), 400, 'BAD_REQUEST_ERROR',
            'Invalid JSON body');
    });

    it('attempts: one item per HTTP attempt, newest first, event_id filter, cursors', async () => {
        const r = await mc.get(`/api/v1/webhook_endpoints/${we.id}/attempts?limit=100`);
        const j = assertOk(r, 200, ['object', 'data', 'has_more']);
        assert.equal(j.data.length, 4);
        assert.deepEqual(j.data.map((a) => a.attempt), [4, 3, 2, 1]);
        for (const a of j.data) {
            assert.deepEqual(Object.keys(a), ['id', 'event_id', 'attempt', 'started_at', 'duration_ms', 'response_code',
                'response_body', 'error']);
            assert.equal(a.event_id, evs[1]);
            assert.match(a.started_at, RE_TS);
        }
        assert.deepEqual(j.data[1], { ...j.data[1], response_code: null, response_body: null,
            error: 'Timeout after 5000 ms' });
        assert.equal(j.data[0].response_code, 500);
        assert.equal(j.data[0].duration_ms, 48);
        const p = (await mc.get(`/api/v1/webhook_endpoints/${we.id}/attempts?limit=1&starting_after=${j.data[1].id}`)).json;
        assert.deepEqual(p.data.map((a) => a.attempt), [2]);
        assert.equal(p.has_more, true);
        const f = (await mc.get(`/api/v1/webhook_endpoints/${we.id}/attempts?event_id=${evs[2]}`)).json;
        assert.deepEqual(f, { object: 'list', data: [], has_more: false });
        bad(await mc.get(`/api/v1/webhook_endpoints/${we.id}/attempts?event_id=nope`), 'event_id must be an event id');
        bad(await mc.get(`/api/v1/webhook_endpoints/${we.id}/attempts?starting_after=${missingId('wa')}`),
            'starting_after is not a known id');
        nf(await mc.get(`/api/v1/webhook_endpoints/${missingId('we')}/attempts`));
    });
});

describe('WEBHOOK_BLOCK_PRIVATE=true', () => {
    before(async () => {
        await stack('api-restart', 'WEBHOOK_BLOCK_PRIVATE=true');
        await waitHealthy();
    });

    after(async () => {
        await stack('api-restart');
        await waitHealthy();
    });

    it('a literal loopback, private or link-local host is refused; names are accepted', async () => {
        for (const url of ['http://127.0.0.1:8080/h', 'http://10.1.2.3/h', 'https://192.168.0.1/', 'http://[::1]/h',
            'http://169.254.169.254/latest', 'http://[fe80::1]:81/', 'http://0.0.0.0/']) {
            bad(await mc.post('/api/v1/webhook_endpoints', { ...BASE, url }), 'url must not point to a private address');
        }
        const r = await mc.post('/api/v1/webhook_endpoints', { ...BASE, url: 'https://8.8.8.8/h' });
        assert.equal(r.status, 201, r.text);
        bad(await patch(mc, r.json.id, { url: 'http://127.0.0.1/' }), 'url must not point to a private address');
        const n = await mc.post('/api/v1/webhook_endpoints', { ...BASE, url: 'https://hooks.example.com/h' });
        assert.equal(n.status, 201);
        await del(mc, r.json.id);
        await del(mc, n.json.id);
    });
});
