// Health, test endpoints, routing (404/405), OPTIONS/CORS, X-Request-Id, common headers,
// body checks (413/415/400) and the order of checks of SPEC 4.1, /metrics.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
    Client, API_URL, DASHBOARD_URL, CORS, KEYS, RE, TEST_MERCHANT_ID, assertError, assertOk, assertCommonHeaders,
    assertKeys, missingId,
} from '../lib/api.mjs';
import { raw } from '../lib/raw.mjs';

const IP = '10.11.11.11';
const c = new Client({ ip: IP });
const XFF = `X-Forwarded-For: ${IP}`;
const AUTH = ['X-Api-Key: key_test_abc123', 'X-Api-Secret: secret_test_xyz789'];

describe('health and test endpoints', () => {
    for (const p of ['/health', '/api/v1/health', '/health/']) {
        it(`GET ${p}`, async () => {
            const r = await c.get(p, { auth: false });
            const j = assertOk(r, 200, KEYS.health);
            assert.ok(['healthy', 'degraded'].includes(j.status));
            assert.equal(j.database, 'connected');
            assert.equal(j.redis, 'connected');
            assert.ok(['running', 'stopped'].includes(j.worker));
            assert.equal(j.status, j.worker === 'running' ? 'healthy' : 'degraded');
            assert.match(j.timestamp, RE.ts);
            assert.ok(Math.abs(Date.parse(j.timestamp) - Date.now()) < 10000, 'timestamp is now');
            assert.ok(r.ms < 3000, 'answered within 3 s');
        });
    }

    it('GET /api/v1/test/merchant', async () => {
        const r = await c.get('/api/v1/test/merchant', { auth: false });
        assertOk(r, 200);
        assert.equal(r.text, JSON.stringify({
            id: TEST_MERCHANT_ID, email: 'test@example.com', api_key: 'key_test_abc123', seeded: true,
        }));
    });

    it('GET /api/v1/test/jobs/status', async () => {
        const r = await c.get('/api/v1/test/jobs/status', { auth: false });
        const j = assertOk(r, 200, KEYS.jobs);
        for (const k of ['pending', 'processing', 'completed', 'failed']) {
            assert.ok(Number.isInteger(j[k]) && j[k] >= 0, k);
        }
        assert.ok(['running', 'stopped'].includes(j.worker_status));
    });

    it('public routes need no credentials; a wrong pair is ignored there', async () => {
        const r = await c.withCreds('nope', 'nope').get('/api/v1/test/merchant');
        assert.equal(r.status, 200);
    });
});

describe('routing', () => {
    for (const p of ['/api/v1/unknown', '/api/v2/orders', '/', '/api', '/api/v1', '/api/v1/orders/x/y/z',
        '/api/v1/payments/pay_AAAAAAAAAAAAAAAA/capture/extra', '/favicon.ico', '/api/v1/merchant/webhooks']) {
        it(`404 Route not found: GET ${p}`, async () => {
            assertError(await c.get(p), 404, 'NOT_FOUND_ERROR', 'Route not found');
        });
    }

    it('404 Route not found without credentials too', async () => {
        assertError(await c.get('/api/v1/nothing', { auth: false }), 404, 'NOT_FOUND_ERROR', 'Route not found');
    });

    const cases = [
        ['DELETE', '/api/v1/orders', ['GET', 'POST']],
        ['PUT', '/api/v1/orders/order_AAAAAAAAAAAAAAAA', ['GET']],
        ['POST', '/api/v1/health', ['GET']],
        ['POST', '/health', ['GET']],
        ['PATCH', '/api/v1/merchant/webhook', ['PUT']],
        ['GET', '/api/v1/merchant/webhook/secret', ['POST']],
        ['GET', '/api/v1/payments/public', ['POST']],
        ['GET', '/api/v1/payments/pay_AAAAAAAAAAAAAAAA/capture', ['POST']],
        ['DELETE', '/api/v1/webhooks/00000000-0000-0000-0000-000000000000', ['GET']],
        ['PUT', '/api/v1/payments/stats', ['GET']],
        ['GET', '/api/v1/dashboard/login', ['POST']],
    ];
    for (const [m, p, allow] of cases) {
        it(`405 ${m} ${p} with Allow`, async () => {
            const r = await c.request(m, p, { auth: false });
            assertError(r, 405, 'BAD_REQUEST_ERROR', 'Method not allowed');
            const got = (r.headers.get('allow') || '').split(',').map((s) => s.trim()).filter(Boolean);
            for (const a of allow) assert.ok(got.includes(a), `Allow ${r.headers.get('allow')} has ${a}`);
            for (const g of got) assert.ok([...allow, 'OPTIONS', 'HEAD'].includes(g), `Allow has no extra ${g}`);
            assert.ok(!got.includes(m), 'Allow does not list the refused method');
        });
    }

    it('a single trailing slash is ignored', async () => {
        const r = await c.get('/api/v1/orders/?limit=1');
        assertOk(r, 200, KEYS.list);
        assert.equal(r.json.limit, 1);
    });

    it('literal segments win over ids (list, stats, export.csv, public)', async () => {
        assertOk(await c.get('/api/v1/payments/list'), 200, KEYS.list);
        const s = await c.get('/api/v1/payments/stats');
        assertOk(s, 200, ['total_transactions', 'successful_transactions', 'total_amount', 'daily', 'methods']);
        const e = await c.get('/api/v1/payments/export.csv');
        assert.equal(e.status, 200);
        assert.equal(e.headers.get('content-type'), 'text/csv; charset=utf-8');
    });
});

describe('OPTIONS preflight and CORS', () => {
    for (const p of ['/api/v1/payments', '/api/v1/orders/order_AAAAAAAAAAAAAAAA', '/api/v1/nothing/at/all',
        '/health']) {
        it(`OPTIONS ${p} -> 204 with CORS and Max-Age, no auth`, async () => {
            const r = await c.request('OPTIONS', p, {
                auth: false,
                headers: { Origin: 'https://shop.example', 'Access-Control-Request-Method': 'POST' },
            });
            assert.equal(r.status, 204);
            assert.equal(r.text, '');
            for (const [k, v] of Object.entries(CORS)) assert.equal(r.headers.get(k), v, k);
            assert.equal(r.headers.get('access-control-max-age'), '600');
            assert.match(r.headers.get('x-request-id'), RE.reqId);
        });
    }

    it('CORS headers on errors (401, 404, 405, 400)', async () => {
        assertError(await c.get('/api/v1/orders', { auth: false }), 401, 'AUTHENTICATION_ERROR',
            'Invalid API credentials');
        assertError(await c.get(`/api/v1/orders/${missingId('order')}`), 404, 'NOT_FOUND_ERROR', 'Order not found');
        assertError(await c.request('DELETE', '/api/v1/payments'), 405, 'BAD_REQUEST_ERROR', 'Method not allowed');
        assertError(await c.post('/api/v1/orders', undefined, { body: '[' }), 400, 'BAD_REQUEST_ERROR',
            'Invalid JSON body');
    });
});

describe('X-Request-Id', () => {
    it('echoes a valid incoming id', async () => {
        for (const id of ['abc', 'A.b_c-9', 'x'.repeat(128)]) {
            const r = await c.get('/api/v1/test/merchant', { headers: { 'X-Request-Id': id } });
            assertCommonHeaders(r, { requestId: id });
        }
    });

    it('replaces an invalid incoming id with 32 lowercase hex', async () => {
        for (const id of ['has space', 'x'.repeat(129), 'semi;colon', 'slash/x', 'é']) {
            const r = await c.get('/api/v1/test/merchant', { headers: { 'X-Request-Id': id } })
                .catch(() => null);
            if (!r) continue; // fetch refuses some header bytes
            assert.match(r.headers.get('x-request-id'), RE.reqId, id);
        }
    });

    it('a new id per request when none is sent', async () => {
        const a = await c.get('/api/v1/test/merchant');
        const b = await c.get('/api/v1/test/merchant');
        assert.match(a.headers.get('x-request-id'), RE.reqId);
        assert.notEqual(a.headers.get('x-request-id'), b.headers.get('x-request-id'));
    });

    const once = async (req, status, echo) => {
        const r = await req;
        assert.equal(r.status, status, r.text);
        const ids = r.headers['x-request-id'] || [];
        assert.equal(ids.length, 1, `exactly one X-Request-Id: ${JSON.stringify(ids)}`);
        if (echo) assert.equal(ids[0], echo);
        else assert.match(ids[0], RE.reqId);
        assert.equal((r.headers['content-type'] || []).length, 1);
        assert.equal((r.headers['cache-control'] || []).length, 1);
        assert.equal((r.headers['access-control-allow-origin'] || []).length, 1);
        return r;
    };

    it('exactly once on success, API errors, and nginx errors (raw socket)', async () => {
        await once(raw('GET', '/api/v1/test/merchant', [XFF]), 200);
        await once(raw('GET', '/api/v1/test/merchant', [XFF, 'X-Request-Id: keep-me.1']), 200, 'keep-me.1');
        await once(raw('GET', '/api/v1/nope', [XFF]), 404);
        await once(raw('GET', '/api/v1/nope', [XFF, 'X-Request-Id: bad id']), 404);
        await once(raw('GET', '/api/v1/orders', [XFF]), 401);
        const big = 'x'.repeat(70000);
        const r = await once(raw('POST', '/api/v1/orders', [XFF, ...AUTH, 'Content-Type: application/json',
            `Content-Length: ${big.length}`, 'X-Request-Id: big-body-1'], big), 413, 'big-body-1');
        assert.equal(r.text, '{"error":{"code":"BAD_REQUEST_ERROR","description":"Request body too large"}}');
    });
});

describe('request body checks (SPEC 4.1 step 6)', () => {
    const ord = '/api/v1/orders';

    it('413 body over 65536 bytes (nginx), with the common headers', async () => {
        const body = JSON.stringify({ amount: 50000, pad: 'x'.repeat(65537) });
        assertError(await c.post(ord, undefined, { body }), 413, 'BAD_REQUEST_ERROR', 'Request body too large');
    });

    it('a body of exactly 65536 bytes is accepted', async () => {
        const base = JSON.stringify({ amount: 50000, pad: '' });
        const body = JSON.stringify({ amount: 50000, pad: 'y'.repeat(65536 - base.length) });
        assert.equal(Buffer.byteLength(body), 65536);
        const r = await c.post(ord, undefined, { body });
        assertOk(r, 201, KEYS.order);
    });

    for (const ct of ['text/plain', 'application/x-www-form-urlencoded', 'application/jsonx',
        'multipart/form-data; boundary=x', 'application/xml']) {
        it(`415 Content-Type ${ct}`, async () => {
            const r = await c.post(ord, undefined, { body: '{"amount":50000}', contentType: ct });
            assertError(r, 415, 'BAD_REQUEST_ERROR', 'Content-Type must be application/json');
        });
    }

    it('415 non-empty body without Content-Type', async () => {
        const r = await raw('POST', ord, [XFF, ...AUTH, 'Content-Length: 16'], '{"amount":50000}');
        assertError(r, 415, 'BAD_REQUEST_ERROR', 'Content-Type must be application/json');
    });

    for (const ct of ['application/json; charset=utf-8', 'Application/JSON', 'APPLICATION/JSON; Charset=UTF-8']) {
        it(`Content-Type "${ct}" is accepted`, async () => {
            const r = await c.post(ord, undefined, { body: '{"amount":50000}', contentType: ct });
            assertOk(r, 201, KEYS.order);
        });
    }

    const nest = (n) => (n === 1 ? {} : { a: nest(n - 1) });
    const invalid = {
        malformed: '{"amount":',
        'unquoted key': '{amount:50000}',
        'single quotes': "{'amount':50000}",
        array: '[{"amount":50000}]',
        number: '50000',
        string: '"x"',
        null: 'null',
        true: 'true',
        'trailing bytes': '{"amount":50000}x',
        'two values': '{"amount":50000}{"amount":50000}',
        'trailing comma': '{"amount":50000,}',
        'whitespace only': '   ',
        'NaN literal': '{"amount":NaN}',
        '17 levels': JSON.stringify({ amount: 50000, notes: nest(16) }),
        'deep arrays': `{"amount":50000,"x":${'['.repeat(40)}${']'.repeat(40)}}`,
        'raw control char in string': '{"amount":50000,"receipt":"a\u0001b"}',
    };
    for (const [name, body] of Object.entries(invalid)) {
        it(`400 Invalid JSON body: ${name}`, async () => {
            assertError(await c.post(ord, undefined, { body }), 400, 'BAD_REQUEST_ERROR', 'Invalid JSON body');
        });
    }

    it('16 levels of nesting is accepted', async () => {
        const r = await c.post(ord, { amount: 50000, notes: nest(15) });
        assertOk(r, 201, KEYS.order);
        assert.deepEqual(r.json.notes, nest(15));
    });

    for (const [name, bytes] of [
        ['0xff byte', Buffer.from([0x7b, 0x22, 0x61, 0x6d, 0x6f, 0x75, 0x6e, 0x74, 0x22, 0x3a, 0x35, 0x30, 0x30,
            0x30, 0x30, 0x2c, 0x22, 0x72, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d])],
        ['overlong encoding', Buffer.concat([Buffer.from('{"amount":50000,"receipt":"'), Buffer.from([0xc0, 0xaf]),
            Buffer.from('"}')])],
        ['encoded surrogate', Buffer.concat([Buffer.from('{"amount":50000,"receipt":"'),
            Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}')])],
        ['truncated sequence', Buffer.concat([Buffer.from('{"amount":50000,"receipt":"'), Buffer.from([0xe2, 0x82]),
            Buffer.from('"}')])],
    ]) {
        it(`400 Invalid JSON body: invalid UTF-8 (${name})`, async () => {
            assertError(await c.post(ord, undefined, { body: bytes }), 400, 'BAD_REQUEST_ERROR', 'Invalid JSON body');
        });
    }

    for (const p of ['/api/v1/orders', '/api/v1/payments', '/api/v1/payments/public', '/api/v1/dashboard/login']) {
        it(`400 Invalid JSON body: empty body on POST ${p}`, async () => {
            const r = await c.post(p, undefined, { body: '' });
            assertError(r, 400, 'BAD_REQUEST_ERROR', 'Invalid JSON body');
        });
    }

    it('400 Invalid JSON body: empty body on PUT /api/v1/merchant/webhook', async () => {
        assertError(await c.put('/api/v1/merchant/webhook', undefined, { body: '' }), 400, 'BAD_REQUEST_ERROR',
            'Invalid JSON body');
    });

    it('empty body counts as {} on the optional-body routes', async () => {
        // capture on a missing-but-valid id: the body is accepted, the 404 comes from the endpoint check
        const pid = missingId('pay');
        assertError(await c.post(`/api/v1/payments/${pid}/capture`, undefined, { body: '' }), 404,
            'NOT_FOUND_ERROR', 'Payment not found');
        assertError(await c.post(`/api/v1/webhooks/${'00000000-0000-4000-8000-000000000000'}/retry`, undefined,
            { body: '' }), 404, 'NOT_FOUND_ERROR', 'Webhook log not found');
        const lo = await c.post('/api/v1/dashboard/logout', undefined, { body: '', auth: false });
        assert.equal(lo.status, 204);
    });

    it('an empty body with a non-JSON Content-Type is not a 415', async () => {
        const r = await c.post(ord, undefined, { body: '', contentType: 'text/plain' });
        assertError(r, 400, 'BAD_REQUEST_ERROR', 'Invalid JSON body');
    });
});

describe('order of checks (SPEC 4.1)', () => {
    it('405 before authentication', async () => {
        assertError(await c.request('DELETE', '/api/v1/orders', { auth: false }), 405, 'BAD_REQUEST_ERROR',
            'Method not allowed');
    });

    it('401 before path id format', async () => {
        assertError(await c.get('/api/v1/orders/bad', { auth: false }), 401, 'AUTHENTICATION_ERROR',
            'Invalid API credentials');
    });

    it('401 before 415 and 400', async () => {
        assertError(await c.post('/api/v1/orders', undefined, { auth: false, body: 'x', contentType: 'text/plain' }),
            401, 'AUTHENTICATION_ERROR', 'Invalid API credentials');
        assertError(await c.post('/api/v1/orders', undefined, { auth: false, body: '[' }), 401,
            'AUTHENTICATION_ERROR', 'Invalid API credentials');
    });

    const idCases = [
        ['GET', '/api/v1/orders/bad', 'Order not found'],
        ['GET', '/api/v1/orders/order_short', 'Order not found'],
        ['GET', '/api/v1/orders/order_AAAAAAAAAAAAAAAAA', 'Order not found'],
        ['GET', '/api/v1/orders/ORDER_AAAAAAAAAAAAAAAA', 'Order not found'],
        ['GET', '/api/v1/orders/bad/public', 'Order not found'],
        ['GET', '/api/v1/payments/bad', 'Payment not found'],
        ['GET', '/api/v1/payments/pay_AAAAAAAAAAAAAAA!', 'Payment not found'],
        ['GET', '/api/v1/payments/order_AAAAAAAAAAAAAAAA', 'Payment not found'],
        ['GET', '/api/v1/payments/bad/public', 'Payment not found'],
        ['GET', '/api/v1/payments/public/bad', 'Payment not found'],
        ['GET', '/api/v1/payments/bad/refunds', 'Payment not found'],
        ['POST', '/api/v1/payments/bad/capture', 'Payment not found'],
        ['POST', '/api/v1/payments/bad/refunds', 'Payment not found'],
        ['GET', '/api/v1/refunds/bad', 'Refund not found'],
        ['GET', '/api/v1/refunds/rfnd_AAAAAAAAAAAAAAA', 'Refund not found'],
        ['GET', '/api/v1/webhooks/not-a-uuid', 'Webhook log not found'],
        ['GET', '/api/v1/webhooks/00000000-0000-0000-0000-00000000000g', 'Webhook log not found'],
        ['POST', '/api/v1/webhooks/not-a-uuid/retry', 'Webhook log not found'],
    ];
    for (const [m, p, d] of idCases) {
        it(`404 path id format: ${m} ${p}`, async () => {
            assertError(await c.request(m, p), 404, 'NOT_FOUND_ERROR', d);
        });
    }

    it('path id 404 before 415 and before invalid JSON', async () => {
        assertError(await c.post('/api/v1/payments/bad/capture', undefined, { body: 'zz', contentType: 'text/plain' }),
            404, 'NOT_FOUND_ERROR', 'Payment not found');
        assertError(await c.post('/api/v1/payments/bad/refunds', undefined, { body: '[' }), 404, 'NOT_FOUND_ERROR',
            'Payment not found');
    });

    it('415 before 400 Invalid JSON body', async () => {
        assertError(await c.post('/api/v1/orders', undefined, { body: '[', contentType: 'text/plain' }), 415,
            'BAD_REQUEST_ERROR', 'Content-Type must be application/json');
    });

    it('400 Invalid JSON body before Idempotency-Key and endpoint checks', async () => {
        assertError(await c.post('/api/v1/orders', undefined, { body: '[', headers: { 'Idempotency-Key': '' } }), 400,
            'BAD_REQUEST_ERROR', 'Invalid JSON body');
    });

    it('Invalid Idempotency-Key header before endpoint checks', async () => {
        assertError(await c.post('/api/v1/orders', { amount: 1 }, { headers: { 'Idempotency-Key': '' } }), 400,
            'BAD_REQUEST_ERROR', 'Invalid Idempotency-Key header');
    });

    it('unknown body fields are ignored', async () => {
        assertOk(await c.post('/api/v1/orders', { amount: 50000, foo: [1, { bar: null }], status: 'paid' }), 201,
            KEYS.order);
    });
});

describe('/metrics (light)', () => {
    it('served to 127.0.0.1 on the API listener in Prometheus text', async () => {
        const r = await c.get('/metrics', { xff: false, auth: false });
        assert.equal(r.status, 200, r.text.slice(0, 200));
        assert.match(r.headers.get('content-type') || '', /^text\/plain/);
        for (const fam of ['gateway_http_requests_total', 'gateway_http_request_duration_seconds',
            'gateway_payments', 'gateway_queue_depth', 'gateway_webhook_attempts_total', 'gateway_worker_up']) {
            assert.match(r.text, new RegExp(`^# TYPE ${fam} `, 'm'), fam);
        }
        assert.match(r.text, /^# TYPE gateway_http_requests_total counter$/m);
        assert.match(r.text, /^# TYPE gateway_http_request_duration_seconds histogram$/m);
        assert.match(r.text, /gateway_http_request_duration_seconds_bucket\{[^}]*le="0\.005"[^}]*\}/);
        assert.match(r.text, /gateway_http_requests_total\{[^}]*route="\/api\/v1\/test\/merchant"[^}]*\}/);
    });

    it('404 Route not found for a (forwarded) non-loopback client', async () => {
        assertError(await c.get('/metrics', { auth: false }), 404, 'NOT_FOUND_ERROR', 'Route not found');
    });

    it('not the API metrics on the dashboard listener; /api/ is forwarded there', async () => {
        const r = await fetch(`${DASHBOARD_URL}/metrics`, { signal: AbortSignal.timeout(10000) });
        const t = await r.text();
        assert.ok(!/gateway_http_requests_total/.test(t), 'no metrics on the dashboard listener');
        const f = await fetch(`${DASHBOARD_URL}/api/v1/test/merchant`, {
            headers: { 'X-Forwarded-For': IP }, signal: AbortSignal.timeout(10000),
        });
        assert.equal(f.status, 200);
        assertKeys(await f.json(), ['id', 'email', 'api_key', 'seeded']);
        const m = await fetch(`${DASHBOARD_URL}/api/v1/metrics`, { signal: AbortSignal.timeout(10000) });
        assert.equal(m.status, 404);
    });
});

void API_URL;
