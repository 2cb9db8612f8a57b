#!/usr/bin/env node
// bench/login-storm.mjs: does a login storm starve the API? (SPEC 17: while 20 logins per second
// are attempted, GET /health and POST /api/v1/orders keep a p99 under twice their idle value.)
//
// Against a running stack (make BUILD=release; scripts/stack.sh start), from this machine:
//   node bench/login-storm.mjs [--url http://127.0.0.1:8000] [--seconds 15] [--rate 20]
//        [--probe-rate 20] [--addresses 200]
// Phase 1 (idle): GET /health and POST /api/v1/orders (seeded merchant key_test_abc123 /
// secret_test_xyz789), each at --probe-rate per second for --seconds, from 127.0.0.1.
// Phase 2 (storm): the same probes while --rate failed logins per second (unknown emails: one
// PBKDF2 derivation each) are sent from --addresses source addresses 127.0.1.x/127.0.2.x, each
// address at most rate/addresses per second (below nginx's 10 a minute per address), so that
// every attempt reaches a derivation instead of a 429. Probes and logins use fresh connections.
// Prints p50/p99 per endpoint and phase, the storm/idle p99 ratio, and the logins' outcomes.
// Exit status 1 when a ratio is 2 or more.
import http from 'node:http';
import { parseArgs } from 'node:util';

const { values: o } = parseArgs({
    options: {
        url: { type: 'string', default: process.env.GW_API_URL || 'http://127.0.0.1:8000' },
        seconds: { type: 'string', default: '15' },
        rate: { type: 'string', default: '20' },
        'probe-rate': { type: 'string', default: '20' },
        addresses: { type: 'string', default: '200' },
        warmup: { type: 'string', default: '3' },
    },
});
const BASE = new URL(o.url);
const SECONDS = Number(o.seconds);
const RATE = Number(o.rate);
const PROBE_RATE = Number(o['probe-rate']);
const ADDRS = Number(o.addresses);
const WARMUP = Number(o.warmup);
const AUTH = { 'X-Api-Key': 'key_test_abc123', 'X-Api-Secret': 'secret_test_xyz789' };

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const inflight = new Set();

function request(method, path, { from, headers = {}, json, timeout = 120000 } = {}) {
    const body = json === undefined ? undefined : JSON.stringify(json);
    const h = { ...headers };
    if (body !== undefined) {
        h['Content-Type'] = 'application/json';
        h['Content-Length'] = Buffer.byteLength(body);
    }
    const t0 = process.hrtime.bigint();
    return new Promise((resolve) => {
        const req = http.request({
            host: BASE.hostname, port: BASE.port, path, method, headers: h, localAddress: from, agent: false, timeout,
        }, (res) => {
            res.resume();
            res.on('end', () => {
                inflight.delete(req);
                resolve({ status: res.statusCode, ms: Number(process.hrtime.bigint() - t0) / 1e6 });
            });
        });
        inflight.add(req);
        req.on('timeout', () => req.destroy(new Error('timeout')));
        req.on('error', () => {
            inflight.delete(req);
            resolve({ status: 0, ms: Number(process.hrtime.bigint() - t0) / 1e6 });
        });
        if (body !== undefined) req.write(body);
        req.end();
    });
}

function pct(xs, p) {
    const s = [...xs].sort((a, b) => a - b);
    return s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] : NaN;
}

// Fires fn() at `rate` per second for `seconds` (open loop: a slow answer does not delay the next).
async function atRate(rate, seconds, fn, stop = () => false) {
    const jobs = [];
    const start = Date.now();
    for (let i = 0; !stop() && (seconds === Infinity || i < rate * seconds); i++) {
        const due = start + (i * 1000) / rate;
        const wait = due - Date.now();
        if (wait > 0) await sleep(wait);
        if (stop()) break;
        jobs.push(fn(i));
    }
    return Promise.all(jobs);
}

async function probes(label) {
    const [health, orders] = await Promise.all([
        atRate(PROBE_RATE, SECONDS, () => request('GET', '/health', { from: '127.0.0.1' })),
        atRate(PROBE_RATE, SECONDS, (i) => request('POST', '/api/v1/orders', {
            from: '127.0.0.1', headers: AUTH, json: { amount: 100 + i, currency: 'INR', receipt: `storm-${label}-${i}` },
        })),
    ]);
    const summary = (rs, ok) => {
        const bad = rs.filter((r) => r.status !== ok).length;
        const ms = rs.map((r) => r.ms);
        return { n: rs.length, bad, p50: pct(ms, 50), p99: pct(ms, 99) };
    };
    return { health: summary(health, 200), orders: summary(orders, 201) };
}

function addr(i) {
    const k = i % ADDRS;
    return `127.0.${1 + (k >> 8)}.${k & 255}`;
}

async function main() {
    const h = await request('GET', '/health');
    if (h.status !== 200) throw new Error(`no healthy stack at ${BASE.href} (GET /health: ${h.status})`);
    console.log(`login-storm: ${BASE.href}, ${SECONDS}s per phase, probes ${PROBE_RATE}/s per endpoint, ` +
        `logins ${RATE}/s from ${ADDRS} addresses`);

    const idle = await probes('idle');

    let stopStorm = false;
    const logins = atRate(RATE, Infinity, (i) => request('POST', '/api/v1/dashboard/login', {
        from: addr(i), json: { email: `storm-${process.pid}-${i}@example.test`, password: 'wrong' },
    }), () => stopStorm);
    await sleep(WARMUP * 1000);
    const storm = await probes('storm');
    stopStorm = true;
    // Logins still queued behind the login pool are abandoned (their connections closed).
    await sleep(200);
    for (const req of inflight) req.destroy();
    const lr = await logins;
    const by = {};
    for (const r of lr) by[r.status || 'aborted'] = (by[r.status || 'aborted'] || 0) + 1;

    const f = (x) => x.toFixed(1).padStart(8);
    console.log('\nendpoint              phase   n    errors   p50 ms   p99 ms');
    let fail = false;
    for (const ep of ['health', 'orders']) {
        const name = ep === 'health' ? 'GET /health' : 'POST /api/v1/orders';
        for (const [phase, r] of [['idle', idle[ep]], ['storm', storm[ep]]]) {
            console.log(`${name.padEnd(21)} ${phase.padEnd(6)} ${String(r.n).padStart(4)} ${String(r.bad).padStart(6)}` +
                ` ${f(r.p50)} ${f(r.p99)}`);
        }
        const ratio = storm[ep].p99 / idle[ep].p99;
        if (!(ratio < 2)) fail = true;
        console.log(`${name.padEnd(21)} p99 storm/idle = ${ratio.toFixed(2)} (target < 2)`);
    }
    console.log(`\nlogin attempts: ${lr.length} (${JSON.stringify(by)}; 401 = a derivation ran, 429 = nginx ` +
        'throttle, aborted = still queued for the login pool at the end)');
    process.exit(fail ? 1 : 0);
}

main().catch((e) => {
    console.error(`login-storm: ${e.message}`);
    process.exit(2);
});
