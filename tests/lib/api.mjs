// api.mjs: HTTP client for the integration suites (through nginx on the API listener),
// plus the shared assertions of SPEC 4.3-4.5 (error envelope, common headers, key order).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { checkAnswer } from './openapi.mjs';

export const API_URL = (process.env.GW_API_URL || 'http://127.0.0.1:18000').replace(/\/$/, '');
export const DASHBOARD_URL = (process.env.GW_DASHBOARD_URL || 'http://127.0.0.1:13000').replace(/\/$/, '');
export const CHECKOUT_URL = (process.env.GW_CHECKOUT_URL || 'http://127.0.0.1:13001').replace(/\/$/, '');
export const TLS_URL = (process.env.GW_TLS_URL || 'https://127.0.0.1:18443').replace(/\/$/, '');
export const BIN_DIR = process.env.GW_BIN_DIR || path.resolve('build/debug');

export const TEST_MERCHANT_ID = '550e8400-e29b-41d4-a716-446655440000';
export const TEST_KEY = 'key_test_abc123';
export const TEST_SECRET = 'secret_test_xyz789';

export const CORS = {
    'access-control-allow-origin': '*',
    'access-control-allow-headers': 'Content-Type, X-Api-Key, X-Api-Secret, Idempotency-Key',
    'access-control-allow-methods': 'GET, POST, PUT, PATCH, OPTIONS',
    'access-control-expose-headers': 'X-Request-Id',
};

export const KEYS = {
    order: ['id', 'merchant_id', 'amount', 'currency', 'receipt', 'notes', 'status', 'created_at', 'updated_at'],
    publicOrder: ['id', 'amount', 'currency', 'status', 'merchant_name'],
    paymentUpi: ['id', 'order_id', 'amount', 'currency', 'method', 'vpa', 'status', 'captured', 'created_at',
        'updated_at'],
    paymentCard: ['id', 'order_id', 'amount', 'currency', 'method', 'card_network', 'card_last4', 'status',
        'captured', 'created_at', 'updated_at'],
    publicPayment: ['id', 'order_id', 'amount', 'currency', 'method', 'status'],
    refund: ['id', 'payment_id', 'amount', 'reason', 'status', 'created_at', 'processed_at'],
    webhookItem: ['id', 'event', 'status', 'attempts', 'created_at', 'last_attempt_at', 'next_retry_at',
        'response_code'],
    webhookDetail: ['id', 'event', 'status', 'attempts', 'created_at', 'last_attempt_at', 'next_retry_at',
        'response_code', 'response_body', 'payload'],
    merchant: ['id', 'name', 'email', 'api_key', 'webhook_url', 'webhook_secret', 'created_at'],
    list: ['data', 'total', 'limit', 'offset'],
    health: ['status', 'database', 'redis', 'worker', 'timestamp'],
    jobs: ['pending', 'processing', 'completed', 'failed', 'worker_status'],
};

export const RE = {
    order: /^order_[A-Za-z0-9]{16}$/,
    payment: /^pay_[A-Za-z0-9]{16}$/,
    refund: /^rfnd_[A-Za-z0-9]{16}$/,
    uuid: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    ts: /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/,
    reqId: /^[0-9a-f]{32}$/,
    whsec: /^whsec_[A-Za-z0-9]{24}$/,
};

export function sleep(ms) {
    return new Promise((resolve) => setTimeout(resolve, ms));
}

export function uniq(prefix = 'x') {
    return `${prefix}${Date.now().toString(36)}${randomBytes(4).toString('hex')}`;
}

/* A syntactically valid id of the given prefix that does not exist (random). */
export function missingId(prefix) {
    const alnum = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
    let s = '';
    for (const b of randomBytes(16)) s += alnum[b % 62];
    return `${prefix}_${s}`;
}

/* Next/previous UTC (year, month). */
export function utcMonth(offset = 0) {
    const d = new Date();
    const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + offset, 1));
    return { year: t.getUTCFullYear(), month: t.getUTCMonth() + 1 };
}

/**
 * A client bound to one X-Forwarded-For address and (optionally) one key pair.
 * request() returns {status, headers, text, json, buf, ms}.
 */
export class Client {
    constructor({ ip, key = TEST_KEY, secret = TEST_SECRET, base = API_URL } = {}) {
        this.ip = ip;
        this.key = key;
        this.secret = secret;
        this.base = base;
    }

    withCreds(key, secret) {
        return new Client({ ip: this.ip, key, secret, base: this.base });
    }

    async request(method, p, opts = {}) {
        const headers = {};
        if (this.ip && opts.xff !== false) headers['X-Forwarded-For'] = this.ip;
        if (opts.auth !== false && this.key !== undefined) {
            headers['X-Api-Key'] = this.key;
            headers['X-Api-Secret'] = this.secret;
        }
        let body;
        if (opts.json !== undefined) {
            body = JSON.stringify(opts.json);
            headers['Content-Type'] = 'application/json';
        } else if (opts.body !== undefined) {
            body = opts.body;
            if (opts.contentType !== null) headers['Content-Type'] = opts.contentType || 'application/json';
        }
        Object.assign(headers, opts.headers || {});
        for (const [k, v] of Object.entries(headers)) if (v === undefined || v === null) delete headers[k];
        const t0 = Date.now();
        const res = await fetch(this.base + p, {
            method,
            headers,
            body,
            redirect: 'manual',
            signal: AbortSignal.timeout(opts.timeout || 20000),
        });
        const buf = Buffer.from(await res.arrayBuffer());
        const text = buf.toString('utf8');
        let json;
        try {
            json = JSON.parse(text);
        } catch {
            json = undefined;
        }
        // Every answer of every suite against api/openapi.yaml (SPEC 20 v2; tests/lib/openapi.mjs):
        // API paths only (the dashboard and checkout pages are not API answers).
        const pathname = new URL(this.base + p).pathname;
        if (/^\/(api\/|health\/?$|metrics\/?$)/.test(pathname)) {
            const problem = checkAnswer(method, pathname, res.status, res.headers.get('content-type'), json);
            if (problem) assert.fail(`OpenAPI: ${problem}\n${text.slice(0, 500)}`);
        }
        return { status: res.status, headers: res.headers, text, json, buf, ms: Date.now() - t0 };
    }

    get(p, opts) {
        return this.request('GET', p, opts);
    }

    post(p, json, opts = {}) {
        return this.request('POST', p, json === undefined ? opts : { ...opts, json });
    }

    put(p, json, opts = {}) {
        return this.request('PUT', p, json === undefined ? opts : { ...opts, json });
    }

    /* Helpers that create objects and assert success. */
    async createOrder(fields = {}) {
        const r = await this.post('/api/v1/orders', { amount: 50000, currency: 'INR', ...fields });
        assert.equal(r.status, 201, `create order: ${r.status} ${r.text}`);
        return r.json;
    }

    async createPayment(orderId, extra = { method: 'upi', vpa: 'user@paytm' }, opts = {}) {
        const r = await this.post('/api/v1/payments', { order_id: orderId, ...extra }, opts);
        assert.equal(r.status, 201, `create payment: ${r.status} ${r.text}`);
        return r.json;
    }
}

/* Common headers of every API response (SPEC 4.5). */
export function assertCommonHeaders(res, { contentType = 'application/json', requestId } = {}) {
    for (const [k, v] of Object.entries(CORS)) assert.equal(res.headers.get(k), v, `header ${k}`);
    const rid = res.headers.get('x-request-id');
    if (requestId !== undefined) assert.equal(rid, requestId, 'X-Request-Id echo');
    else assert.match(rid || '', RE.reqId, 'X-Request-Id is 32 lowercase hex');
    if (contentType !== null) assert.equal(res.headers.get('content-type'), contentType, 'Content-Type');
    assert.equal(res.headers.get('cache-control'), 'no-store', 'Cache-Control');
}

/* The exact error envelope of SPEC 4.3, byte for byte, with the common headers. */
export function assertError(res, status, code, description, opts = {}) {
    const ctx = `${res.status} ${res.text.slice(0, 300)}`;
    assert.equal(res.status, status, `status (${ctx})`);
    assert.equal(res.text, JSON.stringify({ error: { code, description } }), `error body (${ctx})`);
    assertCommonHeaders(res, opts);
}

/* Any JSON error envelope, never a 5xx (hostile requests). */
export function assertJsonError(res, label = '') {
    const ctx = `${label}: ${res.status} ${String(res.text).slice(0, 300)}`;
    assert.ok(res.status >= 400 && res.status < 500, `4xx expected (${ctx})`);
    let j;
    assert.doesNotThrow(() => {
        j = JSON.parse(res.text);
    }, `JSON body (${ctx})`);
    assert.deepEqual(Object.keys(j), ['error'], `envelope (${ctx})`);
    assert.deepEqual(Object.keys(j.error), ['code', 'description'], `envelope members (${ctx})`);
    assert.equal(typeof j.error.code, 'string');
    assert.equal(typeof j.error.description, 'string');
    assert.equal(res.text, JSON.stringify(j), `compact body (${ctx})`);
}

/* Key order of an object, and the raw bytes equal JSON.stringify of the parsed value (SPEC 4.4). */
export function assertKeys(obj, keys, label = '') {
    assert.deepEqual(Object.keys(obj), keys, `key order ${label}`);
}

export function assertCanonical(res) {
    assert.equal(res.text, JSON.stringify(JSON.parse(res.text)), 'body bytes equal JSON.stringify(JSON.parse(body))');
}

export function assertOk(res, status, keys) {
    const ctx = `${res.status} ${res.text.slice(0, 300)}`;
    assert.equal(res.status, status, `status (${ctx})`);
    assertCommonHeaders(res);
    assertCanonical(res);
    if (keys) assertKeys(res.json, keys);
    return res.json;
}

function execFileP(cmd, args, opts, input) {
    return new Promise((resolve, reject) => {
        const child = execFile(cmd, args, { maxBuffer: 64 << 20, ...opts }, (err, stdout, stderr) => {
            if (err) {
                err.stdout = stdout;
                err.stderr = stderr;
                reject(err);
            } else resolve({ stdout, stderr });
        });
        if (input !== undefined) child.stdin.end(input);
    });
}

/* A new active merchant through the operator CLI (SPEC 16). */
export async function createMerchant(label = 'm') {
    const email = `${uniq(label)}@example.test`;
    const password = `pw-${randomBytes(6).toString('hex')}`;
    const name = `Merchant ${label}`;
    const { stdout } = await execFileP(path.join(BIN_DIR, 'gatewayctl'),
        ['merchant', 'create', '--name', name, '--email', email, '--password-stdin'], {}, `${password}\n`);
    const m = JSON.parse(stdout);
    return { ...m, password, name, email };
}

/* Runs gatewayctl; resolves {code, stdout, stderr} whatever the exit status. */
export async function gatewayctl(args, input) {
    try {
        const { stdout, stderr } = await execFileP(path.join(BIN_DIR, 'gatewayctl'), args, {}, input);
        return { code: 0, stdout, stderr };
    } catch (e) {
        if (typeof e.code !== 'number') throw e;
        return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
}

export async function rotateKeys(idOrEmail) {
    const { stdout } = await execFileP(path.join(BIN_DIR, 'gatewayctl'), ['merchant', 'rotate-keys', idOrEmail], {});
    return JSON.parse(stdout);
}

/* Luhn-valid card number with the given prefix and total length. */
export function luhnNumber(prefix, length = 16) {
    let s = prefix;
    const rnd = randomBytes(length);
    let i = 0;
    while (s.length < length - 1) s += String(rnd[i++] % 10);
    for (let d = 0; d < 10; d++) {
        if (luhnValid(s + d)) return s + d;
    }
    throw new Error('unreachable');
}

export function luhnValid(num) {
    let sum = 0;
    let dbl = false;
    for (let i = num.length - 1; i >= 0; i--) {
        let v = num.charCodeAt(i) - 48;
        if (dbl) {
            v *= 2;
            if (v > 9) v -= 9;
        }
        sum += v;
        dbl = !dbl;
    }
    return sum % 10 === 0;
}

export function validCard(overrides = {}) {
    const n = utcMonth(12);
    return {
        number: '4111111111111111',
        expiry_month: String(n.month).padStart(2, '0'),
        expiry_year: String(n.year),
        cvv: '123',
        holder_name: 'John Doe',
        ...overrides,
    };
}
