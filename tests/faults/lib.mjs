// lib.mjs: the fault suite's load generator, fault drivers and invariant checker (issue 13).
//
// A scenario creates a merchant with a recording webhook receiver, starts a Load (clients that
// create orders and payments through nginx and record every answer they were told, retrying a
// failed create with the same Idempotency-Key as a careful merchant would), injects its fault,
// and then calls checkInvariants(), which compares three records: what the clients were told,
// what PostgreSQL holds, and what the receiver got. Recovery time is asserted too: every payment
// final within the bank's maximum delay + 10 s after the fault ended.
//
// Scale: FAULTS_MODE=full (make test-faults) or short (make test); FAULTS_PAYMENTS overrides the
// number of payments per scenario.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { closeSync, openSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { BIN_DIR, Client, createMerchant, luhnNumber, sleep, utcMonth } from '../lib/api.mjs';
import { count, lit, rows, sql } from '../lib/db.mjs';
import { Webhook } from 'standardwebhooks';
import { startReceiver } from '../lib/receiver.mjs';
import { STATE_DIR, stack, waitHealthy } from '../lib/stack.mjs';

export const FULL = process.env.FAULTS_MODE === 'full';
export const DELAY_MAX_MS = Number(process.env.PROCESSING_DELAY_MAX || 10000);
/* Every payment final within its delay + 10 s after the fault ends (issue 13). */
export const RECOVERY_MS = DELAY_MAX_MS + 10000;

export function payments(fullN, shortN) {
    if (process.env.FAULTS_PAYMENTS) return Number(process.env.FAULTS_PAYMENTS);
    return FULL ? fullN : shortN;
}

/* Every answer a client received, in order: create-order and create-payment attempts. */
export class Record {
    constructor() {
        this.answers = []; /* {kind, key, status, json, text, ms, error} */
        this.payments = new Map(); /* idempotency key -> {orderId, paymentId, card} */
    }

    add(a) {
        this.answers.push(a);
    }
}

/*
 * n payments by `parallel` clients of merchant m: each creates its order, then the payment with
 * an Idempotency-Key; a 503, a 5xx or a transport error is retried with the same key (and the
 * same order) until it succeeds or `giveUpMs` passes. A quarter are card payments (their numbers
 * are kept to prove none was stored or logged).
 */
export class Load {
    constructor(m, { n, parallel = 24, giveUpMs = 120000, ipPrefix = '10.9.0' }) {
        this.m = m;
        this.n = n;
        this.parallel = parallel;
        this.giveUpMs = giveUpMs;
        this.rec = new Record();
        this.cards = new Set();
        this.clients = Array.from({ length: 64 }, (_, i) =>
            new Client({ ip: `${ipPrefix}.${i + 1}`, key: m.api_key, secret: m.api_secret }));
        this.started = 0;
        this.done = 0;
        this.finishedAt = 0;
    }

    async send(c, kind, key, p, body) {
        const end = Date.now() + this.giveUpMs;
        for (;;) {
            let r;
            try {
                r = await c.request('POST', p, { json: body, headers: key ? { 'Idempotency-Key': key } : {},
                    timeout: 15000 });
                this.rec.add({ kind, key, status: r.status, json: r.json, text: r.text, ms: r.ms,
                    contentType: r.headers.get('content-type') });
            } catch (e) {
                this.rec.add({ kind, key, status: 0, error: String(e) });
                r = { status: 0 };
            }
            if (r.status === 201 || r.status === 200) return r;
            if (r.status !== 0 && r.status < 500 && r.status !== 429) {
                throw new Error(`${kind}: ${r.status} ${r.text}`);
            }
            if (Date.now() > end) throw new Error(`${kind}: gave up after ${this.giveUpMs} ms (last ${r.status})`);
            await sleep(100 + Math.floor(Math.random() * 200));
        }
    }

    async one(i) {
        const c = this.clients[i % this.clients.length];
        const o = await this.send(c, 'order', `o-${i}-${randomBytes(6).toString('hex')}`, '/api/v1/orders',
            { amount: 10000 + (i % 5000), receipt: `f-${i}` });
        const key = `p-${i}-${randomBytes(6).toString('hex')}`;
        let body;
        let card = null;
        if (i % 4 === 3) {
            card = luhnNumber('4', 16);
            this.cards.add(card);
            const { year, month } = utcMonth(12);
            body = { order_id: o.json.id, method: 'card',
                card: { number: card, expiry_month: String(month).padStart(2, '0'), expiry_year: String(year),
                    cvv: '123', holder_name: 'Fault Test' } };
        } else {
            body = { order_id: o.json.id, method: 'upi', vpa: `user${i}@okbank` };
        }
        const p = await this.send(c, 'payment', key, '/api/v1/payments', body);
        this.rec.payments.set(key, { orderId: o.json.id, paymentId: p.json.id, card });
    }

    /* Resolves when every payment was created (or rejects on a client error). */
    run() {
        let next = 0;
        const lane = async () => {
            while (next < this.n) {
                const i = next++;
                this.started++;
                await this.one(i);
                this.done++;
            }
        };
        this.promise = Promise.all(Array.from({ length: Math.min(this.parallel, this.n) }, lane))
            .then(() => { this.finishedAt = Date.now(); });
        return this.promise;
    }

    /* Resolves once at least k payments were created. */
    async reached(k, timeoutMs = 120000) {
        const end = Date.now() + timeoutMs;
        while (this.done < k) {
            if (Date.now() > end) throw new Error(`load: ${this.done}/${k} payments after ${timeoutMs} ms`);
            await sleep(50);
        }
    }
}

/* A merchant whose webhook_url is a fresh recording receiver. */
export async function merchantWithReceiver(label) {
    const rx = await startReceiver({ mode: '200' });
    const m = await createMerchant(label);
    const c = new Client({ ip: '10.9.255.1', key: m.api_key, secret: m.api_secret });
    let r;
    for (let tries = 0; tries < 60; tries++) { /* a pool restarted by the previous scenario */
        r = await c.request('PUT', '/api/v1/merchant/webhook', { json: { webhook_url: rx.url } }).catch(() => ({}));
        if (r.status !== 503 && r.status !== undefined) break;
        await sleep(500);
    }
    assert.equal(r.status, 200, `set webhook url: ${r.status} ${r.text}`);
    const s = await rows(`SELECT webhook_secret FROM merchants WHERE id = ${lit(m.id)}`);
    return { m, rx, secret: s[0][0] };
}

/* Runs fn(ctx) with a fresh merchant and receiver; the receiver is closed whatever happens (an
 * open server would keep the test file's process alive after a failure). */
export async function withMerchant(label, fn) {
    const ctx = await merchantWithReceiver(label);
    try {
        return await fn(ctx);
    } finally {
        await ctx.rx.close();
        for (const e of ctx.endpoints || []) await e.rx.close();
    }
}

/* Does an endpoint subscribed to `patterns` get events of `type` (SPEC 21.2: a type, a
 * `prefix.*` or `*`)? */
export function subscribed(type, patterns) {
    return patterns.some((p) => p === '*' || p === type || (p.endsWith('.*') && type.startsWith(p.slice(0, -1))));
}

/*
 * Webhook endpoints (SPEC 21.2) for the merchant of ctx, one recording receiver on loopback each,
 * endpoint i subscribed to subs[i]: ctx.endpoints = [{ id, secret, events, rx }]. Each receiver
 * answers 200 and verifies every request on arrival with the official `standardwebhooks` package
 * and the endpoint's secret (req.verified: true, or the error's text), since the library refuses
 * a webhook-timestamp older than 5 minutes and a full scenario may outlast that.
 */
export async function addEndpoints(ctx, subs) {
    const c = new Client({ ip: '10.9.255.2', key: ctx.m.api_key, secret: ctx.m.api_secret });
    ctx.endpoints = [];
    for (const [i, events] of subs.entries()) {
        const ep = { events, id: null, secret: null, wh: null };
        ep.rx = await startReceiver({ path: `/ep${i}`, mode: (q) => {
            try {
                ep.wh.verify(q.text, q.headers);
                q.verified = true;
            } catch (e) {
                q.verified = String(e?.message || e);
            }
            return { status: 200, body: 'ok' };
        } });
        ctx.endpoints.push(ep);
        const r = await c.post('/api/v1/webhook_endpoints', { url: ep.rx.url, enabled_events: events,
            description: `fault endpoint ${i}` });
        assert.equal(r.status, 201, `create endpoint: ${r.status} ${r.text}`);
        Object.assign(ep, { id: r.json.id, secret: r.json.secret, wh: new Webhook(r.json.secret) });
    }
    return ctx.endpoints;
}

/* ---- fault drivers --------------------------------------------------------------------------- */

/* The stack's saved environment ($STATE_DIR/env: KEY=value lines quoted by bash's printf %q,
 * e.g. `REAL_IP_FROM=127.0.0.1/32\\ ::1/128`), read back by bash itself so that every quoting
 * form comes back exactly. */
function envFile() {
    const file = path.join(STATE_DIR, 'env');
    const out = execFileSync('bash', ['-c', 'set -a; . "$1" >/dev/null; ' +
        'for v in $(sed -n "s/^\\([A-Za-z_][A-Za-z0-9_]*\\)=.*/\\1/p" "$1"); do printf "%s=%s\\0" "$v" "${!v}"; done',
    'envfile', file], { encoding: 'utf8' });
    const env = {};
    for (const kv of out.split('\0')) {
        const k = kv.indexOf('=');
        if (k > 0) env[kv.slice(0, k)] = kv.slice(k + 1);
    }
    return env;
}

/*
 * A second worker beside the stack's supervised one (several workers side by side, SPEC 2):
 * the same binary and environment (plus `overrides`, e.g. { BANK_FAULT_RATE: '0.25' }); its log
 * goes to log/worker-extra.log beside the stack's (so the card and sanitizer checks read it too);
 * kill9() kills it and start() starts a new one.
 */
export class ExtraWorker {
    constructor(overrides = {}) {
        this.proc = null;
        this.env = { ...process.env, ...envFile(), ...overrides };
    }

    start() {
        const fd = openSync(path.join(STATE_DIR, 'log', 'worker-extra.log'), 'a');
        try {
            this.proc = spawn(path.join(BIN_DIR, 'gw-worker'), [], { env: this.env, stdio: ['ignore', fd, fd] });
        } finally {
            closeSync(fd);
        }
        const proc = this.proc;
        this.exited = new Promise((resolve) => proc.once('exit', (code, signal) => {
            if (!proc.ending) this.died = `pid ${proc.pid} exited by itself (${signal || code}): see log/worker-extra.log`;
            resolve();
        }));
    }

    /* Throws if a worker this object started ended without being told to (a worker that never ran
     * would make a scenario prove less than it says). */
    assertRan() {
        if (this.died) throw new Error(`extra worker: ${this.died}`);
    }

    async kill9() {
        this.assertRan();
        if (!this.proc) return;
        this.proc.ending = true;
        this.proc.kill('SIGKILL');
        await this.exited;
        this.proc = null;
    }

    async stop() {
        this.assertRan();
        if (!this.proc) return;
        this.proc.ending = true;
        this.proc.kill('SIGTERM');
        await Promise.race([this.exited, sleep(10000)]);
        if (this.proc) this.proc.kill('SIGKILL');
        this.proc = null;
    }
}

/* pids of the FastCGI children of the API pool (children of its master). */
export function fcgiChildren() {
    const master = Number(readFileSync(path.join(STATE_DIR, 'run', 'gw-fcgi.pid'), 'utf8').trim());
    const out = [];
    for (const d of readdirSync('/proc')) {
        if (!/^\d+$/.test(d)) continue;
        try {
            const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
            const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
            if (ppid === master) out.push(Number(d));
        } catch {
            /* gone */
        }
    }
    return out;
}

/* The stack's supervised worker restarted with VAR=value overrides (none: the stack's own
 * environment again); its supervisor keeps them across kill -9 restarts. */
export async function restartWorker(...overrides) {
    await stack('worker-stop');
    await stack('worker-start', ...overrides);
    await waitHealthy(30000, (h) => h?.json?.worker === 'running');
}

/* Size of a log file now (0 if absent): where this scenario's lines start. */
export function logSize(name) {
    try {
        return statSync(path.join(STATE_DIR, 'log', name)).size;
    } catch {
        return 0;
    }
}

/* The lines of log file `name` written since byte `from`. */
export function logSince(name, from) {
    try {
        return readFileSync(path.join(STATE_DIR, 'log', name)).subarray(from).toString('utf8').split('\n');
    } catch {
        return [];
    }
}

export { sleep, stack, waitHealthy };

/* ---- invariants ------------------------------------------------------------------------------ */

/* Polls until every payment of the merchant is final; returns ms from `since` to that moment. */
export async function waitAllFinal(mid, want, since, limitMs) {
    const end = since + limitMs + 30000; /* look past the limit to report by how much it was missed */
    for (;;) {
        let n = -1;
        try {
            n = await count(`SELECT count(*) FROM payments WHERE merchant_id = ${lit(mid)}
                AND status IN ('success', 'failed')`);
        } catch {
            /* PostgreSQL may be coming back */
        }
        if (n >= want) return Date.now() - since;
        if (Date.now() > end) return Infinity;
        await sleep(250);
    }
}

function legacySignatureOk(req, secret) {
    const hex = createHmac('sha256', Buffer.from(secret, 'utf8')).update(req.body).digest('hex');
    const got = Buffer.from(String(req.headers['x-webhook-signature'] || ''), 'utf8');
    return got.length === hex.length && timingSafeEqual(got, Buffer.from(hex, 'utf8'));
}

/*
 * The invariants of issue 13 for merchant m after load `load`, fault ended at `faultEnd`:
 * lost, doubled, stuck, one log row per (object, event), every event delivered with a valid
 * signature and a webhook-id that exists, no card number in the database or the logs, refunds
 * never above their payment, at most one successful payment per order, every API answer JSON
 * and never a 500. Returns the figures for the report.
 */
export async function checkInvariants({ m, rx, secret }, load, faultEnd, { refunds = 0, recoveryMs = RECOVERY_MS } = {}) {
    const mid = lit(m.id);
    const fig = { payments: load.rec.payments.size };

    /* Every API answer: JSON, never 500 (a 503 is the documented answer to an outage). */
    const bad = load.rec.answers.filter((a) => a.status !== 0 &&
        (a.status === 500 || !/^application\/json/.test(a.contentType || '')));
    assert.equal(bad.length, 0, `API answers that were 500 or not JSON: ${JSON.stringify(bad.slice(0, 3))}`);
    fig.answers = load.rec.answers.length;
    fig.answers503 = load.rec.answers.filter((a) => a.status === 503).length;
    fig.transportErrors = load.rec.answers.filter((a) => a.status === 0).length;

    /* Stuck: all final within the bank's delay + 10 s after the fault ended, counted from the
     * last create when the load outlasted the fault (a payment cannot settle before it exists). */
    const since = Math.max(faultEnd, load.finishedAt || 0);
    const ms = await waitAllFinal(m.id, load.rec.payments.size, since, recoveryMs);
    fig.finalAfterFaultMs = ms;
    fig.loadAfterFaultMs = Math.max(0, (load.finishedAt || 0) - faultEnd);
    assert.ok(ms <= recoveryMs,
        `every payment final within ${recoveryMs} ms after the fault and the last create (took ${ms})`);

    /* Lost and doubled: the payments PostgreSQL holds are exactly the ones clients were told of. */
    const told = new Set([...load.rec.payments.values()].map((p) => p.paymentId));
    const db = await rows(`SELECT id, order_id, status FROM payments WHERE merchant_id = ${mid}`);
    const inDb = new Set(db.map((r) => r[0]));
    const lost = [...told].filter((id) => !inDb.has(id));
    const phantom = [...inDb].filter((id) => !told.has(id));
    assert.equal(lost.length, 0, `payments told 201 but missing: ${lost.slice(0, 5)}`);
    assert.equal(phantom.length, 0, `payments no client was told of (a retried create doubled): ${phantom.slice(0, 5)}`);
    assert.equal(await count(`SELECT count(*) FROM (SELECT order_id FROM payments WHERE merchant_id = ${mid}
        AND status = 'success' GROUP BY 1 HAVING count(*) > 1) d`), 0, 'at most one successful payment per order');
    fig.success = db.filter((r) => r[2] === 'success').length;
    fig.failed = db.filter((r) => r[2] === 'failed').length;

    /* One log row per (object, event), every payment's three events, all delivered. */
    assert.equal(await count(`SELECT count(*) FROM (SELECT object_id, event FROM webhook_logs
        WHERE merchant_id = ${mid} GROUP BY 1, 2 HAVING count(*) > 1) d`), 0, 'one log row per (object, event)');
    const hasEvents = (await count(`SELECT count(*) FROM pg_tables WHERE tablename = 'events'`)) === 1;
    if (hasEvents) {
        assert.equal(await count(`SELECT count(*) FROM (SELECT object_id, type FROM events
            WHERE merchant_id = ${mid} GROUP BY 1, 2 HAVING count(*) > 1) d`), 0, 'one event per (object, type)');
    }
    const nPay = load.rec.payments.size;
    for (const ev of ['payment.created', 'payment.pending']) {
        assert.equal(await count(`SELECT count(*) FROM webhook_logs WHERE merchant_id = ${mid} AND event = '${ev}'`),
            nPay, `one ${ev} log per payment`);
    }
    assert.equal(await count(`SELECT count(*) FROM webhook_logs WHERE merchant_id = ${mid}
        AND event IN ('payment.success', 'payment.failed')`), nPay, 'one final event per payment');
    /* final exactly once: each payment's one final event is the one its status says, with it */
    assert.equal(await count(`SELECT count(*) FROM payments p WHERE p.merchant_id = ${mid} AND
        (SELECT count(*) FROM webhook_logs l WHERE l.object_id = p.id AND l.event = 'payment.' || p.status
         AND (l.payload::json #>> '{data,payment,status}') = p.status) <> 1`), 0,
    'each payment has the final event of its status, carrying that status');
    const nLogs = await count(`SELECT count(*) FROM webhook_logs WHERE merchant_id = ${mid}`);
    const end = Date.now() + 60000;
    let delivered = 0;
    while (Date.now() < end) {
        delivered = await count(`SELECT count(*) FROM webhook_logs WHERE merchant_id = ${mid} AND status = 'success'`);
        if (delivered >= nLogs) break;
        await sleep(250);
    }
    assert.equal(delivered, nLogs, 'every webhook log delivered');
    const ids = new Set((await rows(`SELECT id FROM webhook_logs WHERE merchant_id = ${mid}`)).map((r) => r[0]));
    const got = new Map();
    let badSig = 0;
    let unknownId = 0;
    for (const q of rx.requests) {
        const id = String(q.headers['webhook-id']);
        got.set(id, (got.get(id) || 0) + 1);
        if (!ids.has(id)) unknownId++;
        if (!legacySignatureOk(q, secret)) badSig++;
    }
    const missing = [...ids].filter((id) => !got.has(id));
    assert.equal(missing.length, 0, `events that never reached the receiver: ${missing.length}`);
    assert.equal(unknownId, 0, 'every webhook-id received is a log id (none sent with a new id)');
    assert.equal(badSig, 0, 'every delivery carries a valid signature');
    fig.logs = nLogs;
    fig.received = rx.requests.length;
    fig.duplicateDeliveries = rx.requests.length - got.size;

    /* Refunds never above their payment. */
    assert.equal(await count(`SELECT count(*) FROM payments p WHERE p.merchant_id = ${mid} AND p.amount <
        (SELECT coalesce(sum(r.amount), 0) FROM refunds r WHERE r.payment_id = p.id AND r.status <> 'failed')`), 0,
    'refunds never above their payment');
    if (refunds) fig.refunds = refunds;

    /* No card number anywhere: every text column of the merchant's rows, and every process log. */
    const cards = [...load.cards];
    if (cards.length) {
        const dump = await sql(`SELECT concat_ws(' ', (SELECT string_agg(t::text, ' ') FROM payments t
            WHERE t.merchant_id = ${mid}), (SELECT string_agg(w::text, ' ') FROM webhook_logs w
            WHERE w.merchant_id = ${mid}), (SELECT string_agg(k::text, ' ') FROM idempotency_keys k
            WHERE k.merchant_id = ${mid}))`);
        let logs = '';
        const dir = path.join(STATE_DIR, 'log');
        for (const f of readdirSync(dir)) logs += readFileSync(path.join(dir, f), 'latin1');
        const found = cards.filter((n) => dump.includes(n) || logs.includes(n));
        assert.equal(found.length, 0, `card numbers found in the database or the logs: ${found.length}`);
        fig.cards = cards.length;
    }
    return fig;
}

/* Polls until every payment of merchant mid is final, every event of it fanned out and none of
 * its endpoint deliveries pending; returns ms from `since` to that moment (Infinity if not within
 * limitMs + 30 s). Start it before other checks, so that their time is not counted. */
export async function waitEndpointsSettled(mid, nPayments, since, limitMs) {
    const end = since + limitMs + 30000; /* look past the limit to report by how much it was missed */
    for (;;) {
        let n = -1;
        try {
            n = await count(`SELECT (SELECT count(*) FROM endpoint_deliveries WHERE merchant_id = ${lit(mid)}
                AND status = 'pending') + (SELECT count(*) FROM events WHERE merchant_id = ${lit(mid)} AND fanout_pending)
                + ${nPayments} - (SELECT count(*) FROM payments WHERE merchant_id = ${lit(mid)}
                AND status IN ('success', 'failed'))`);
        } catch {
            /* PostgreSQL may be coming back */
        }
        if (n === 0) return Date.now() - since;
        if (Date.now() > end) return Infinity;
        await sleep(250);
    }
}

/*
 * The fan-out invariants (SPEC 21.2, 21.3, issue 11) for the merchant of ctx with ctx.endpoints
 * (addEndpoints), after checkInvariants: `since` as there (the later of the fault's end and the
 * last create), `boundMs` the recovery bound. Every event fanned out to exactly the endpoints
 * subscribed to its type, every (event, endpoint) pair delivered within the bound (none left
 * pending, none failed), every request a pair's stored bytes under the event id as webhook-id
 * (duplicates allowed, a new id never), every signature verified by `standardwebhooks`, and the
 * attempts list (GET /webhook_endpoints/{id}/attempts, every page) complete and consistent: each
 * pair's successful attempt recorded, its attempt numbers 1..n with n its delivery's count, no
 * more 200s recorded than requests the receiver got. Returns the figures.
 */
export async function checkEndpoints(ctx, nPayments, settled, boundMs) {
    const mid = lit(ctx.m.id);
    const eps = ctx.endpoints;
    const fig = { endpoints: eps.length };

    /* None pending: every event fanned out and every delivery settled within the bound. */
    const ms = await settled;
    fig.deliveredAfterFaultMs = ms;
    if (ms > boundMs) {
        const [[pending, success, total, attempts]] = await rows(`SELECT count(*) FILTER (WHERE status = 'pending'),
            count(*) FILTER (WHERE status = 'success'), count(*),
            (SELECT count(*) FROM webhook_attempts a JOIN endpoint_deliveries d ON d.id = a.delivery_id
             WHERE d.merchant_id = ${mid}) FROM endpoint_deliveries WHERE merchant_id = ${mid}`);
        assert.fail(`every (event, endpoint) pair settled within ${boundMs} ms (took ${ms}): at ${boundMs + 30000} ms ` +
            `${pending} of ${total} deliveries still pending, ${success} delivered, ${attempts} attempts made`);
    }

    /* Exactly the pairs the subscriptions call for, all delivered. */
    const events = new Map((await rows(`SELECT id, type, object_id, payload::text FROM events
        WHERE merchant_id = ${mid}`)).map(([id, type, obj, payload]) => [id, { id, type, obj, payload }]));
    assert.equal(events.size, 3 * nPayments, 'three events per payment');
    const byKey = new Map([...events.values()].map((e) => [`${e.obj} ${e.type}`, e]));
    const dl = new Map((await rows(`SELECT event_id, endpoint_id, status, attempts FROM endpoint_deliveries
        WHERE merchant_id = ${mid}`)).map(([e, ep, st, at]) => [`${e} ${ep}`, { status: st, attempts: Number(at) }]));
    const pairs = [];
    for (const e of events.values()) for (const ep of eps) if (subscribed(e.type, ep.events)) pairs.push(`${e.id} ${ep.id}`);
    const noRow = pairs.filter((k) => !dl.has(k));
    assert.equal(noRow.length, 0, `pairs never fanned out: ${noRow.slice(0, 3)}`);
    assert.equal(dl.size, pairs.length, 'no delivery to an endpoint not subscribed to the event');
    const notOk = pairs.filter((k) => dl.get(k).status !== 'success');
    assert.equal(notOk.length, 0, `pairs not delivered: ${notOk.slice(0, 3)}`);
    fig.pairs = pairs.length;

    /* What the receivers got: each request one pair's bytes, under the event id, verified. */
    const got = new Map();
    const bad = { body: 0, id: 0, sig: 0, unsubscribed: 0 };
    let received = 0;
    for (const ep of eps) {
        for (const q of ep.rx.requests) {
            received++;
            let p;
            try {
                p = JSON.parse(q.text);
            } catch {
                bad.body++;
                continue;
            }
            const e = byKey.get(`${p?.data?.payment?.id ?? p?.data?.refund?.id} ${p?.event}`);
            if (!e || e.payload !== q.text) {
                bad.body++;
                continue;
            }
            if (String(q.headers['webhook-id']) !== e.id) bad.id++;
            if (q.verified !== true) bad.sig++;
            if (!subscribed(e.type, ep.events)) bad.unsubscribed++;
            const k = `${e.id} ${ep.id}`;
            got.set(k, (got.get(k) || 0) + 1);
        }
    }
    assert.deepEqual(bad, { body: 0, id: 0, sig: 0, unsubscribed: 0 },
        'every request is the stored bytes of a subscribed event, its webhook-id the event id, its signature verified');
    const neverGot = pairs.filter((k) => !got.has(k));
    assert.equal(neverGot.length, 0, `pairs delivered per the database but never received: ${neverGot.slice(0, 3)}`);
    fig.received = received;
    fig.duplicateDeliveries = received - got.size;

    /* The attempts list, every page, against the deliveries and the receivers. */
    const c = new Client({ ip: '10.9.255.2', key: ctx.m.api_key, secret: ctx.m.api_secret });
    const att = new Map(); /* pair -> { nums: [], ok: n } */
    let nAtt = 0;
    let failedAtt = 0;
    for (const ep of eps) {
        let after = '';
        let n = 0;
        for (;;) {
            const r = await c.get(`/api/v1/webhook_endpoints/${ep.id}/attempts?limit=100${after}`);
            assert.equal(r.status, 200, `attempts list: ${r.status} ${r.text}`);
            for (const a of r.json.data) {
                const k = `${a.event_id} ${ep.id}`;
                assert.ok(dl.has(k), `attempt ${a.id} of a pair that has no delivery`);
                const x = att.get(k) || { nums: [], ok: 0 };
                x.nums.push(a.attempt);
                if (a.response_code === 200 && a.error === null) x.ok++;
                else failedAtt++;
                att.set(k, x);
            }
            n += r.json.data.length;
            if (!r.json.has_more) break;
            after = `&starting_after=${r.json.data[r.json.data.length - 1].id}`;
        }
        assert.equal(n, await count(`SELECT count(*) FROM webhook_attempts WHERE endpoint_id = ${lit(ep.id)}`),
            'the attempts list pages through every attempt');
        nAtt += n;
    }
    const problems = [];
    for (const k of pairs) {
        const x = att.get(k);
        const d = dl.get(k);
        if (!x || x.ok < 1) {
            problems.push(`${k}: no successful attempt listed`);
            continue;
        }
        const max = Math.max(...x.nums);
        const distinct = new Set(x.nums);
        if (max !== d.attempts || distinct.size !== max) problems.push(`${k}: attempts ${x.nums} vs ${d.attempts}`);
        if (x.ok > got.get(k)) problems.push(`${k}: ${x.ok} successful attempts, ${got.get(k)} received`);
    }
    assert.deepEqual(problems.slice(0, 5), [], 'the attempts list holds each pair\'s attempts');
    fig.attempts = nAtt;
    fig.failedAttempts = failedAtt;

    /* And the API agrees: no event with an undelivered delivery. */
    const r = await c.get('/api/v1/events?delivery_success=false&limit=100');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.data.length, 0, 'no event whose delivery failed');
    return fig;
}

/* One line per scenario for docs/RELIABILITY.md and the log. */
export function report(name, fig) {
    console.log(`FAULTS_RESULT ${name} ${JSON.stringify(fig)}`);
}
