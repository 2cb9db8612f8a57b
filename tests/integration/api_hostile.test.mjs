// Hostile requests: each gets a JSON error envelope (never a 5xx), /health stays healthy; nginx's own
// errors (400/413/429) are JSON with the common headers; the per-address rate limit answers 429.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Client, assertError, assertJsonError, validCard, RE } from '../lib/api.mjs';
import { raw, rawRequest } from '../lib/raw.mjs';
import { health, isHealthy } from '../lib/stack.mjs';

const IP = '10.19.19.19';
const c = new Client({ ip: IP });
const XFF = `X-Forwarded-For: ${IP}`;
const AUTH = ['X-Api-Key: key_test_abc123', 'X-Api-Secret: secret_test_xyz789'];
const JSONCT = 'Content-Type: application/json';
let order;

const ord = (body) => c.post('/api/v1/orders', undefined, { body });
const pay = (obj) => c.post('/api/v1/payments', obj);
const card = (o) => ({ order_id: order.id, method: 'card', card: validCard(o) });
const post = (p, body, extra = []) => raw('POST', p, [XFF, ...AUTH, JSONCT, `Content-Length: ${Buffer.byteLength(body)}`,
    ...extra], body);
const badRequest = (r) => assertError(r, 400, 'BAD_REQUEST_ERROR', 'Bad request');

const hostile = [
    // size and nesting
    ['oversized body 70 KB', () => ord(`{"amount":50000,"x":"${'a'.repeat(70000)}"}`)],
    ['oversized body 2 MB', () => ord('{"a":"' + 'b'.repeat(2 << 20) + '"}')],
    ['deep nesting 1000 arrays', () => ord(`{"amount":${'['.repeat(1000)}${']'.repeat(1000)}}`)],
    ['deep nesting 30000 objects (unclosed)', () => ord('{"a":'.repeat(12000))],
    ['60000 open brackets', () => ord('['.repeat(60000))],
    ['many keys', () => ord(`{${Array.from({ length: 4000 }, (_, i) => `"k${i}":${i}`).join(',')}}`)],
    ['huge key', () => ord(`{"${'k'.repeat(60000)}":1}`)],
    // wrong types everywhere
    ['amount object', () => ord('{"amount":{"$gt":0}}')],
    ['amount array', () => ord('{"amount":[50000]}')],
    ['amount string', () => ord('{"amount":"50000"}')],
    ['amount 1e400', () => ord('{"amount":1e400}')],
    ['amount -1e400', () => ord('{"amount":-1e400}')],
    ['amount 1e-400', () => ord('{"amount":1e-400}')],
    ['amount 400 digits', () => ord(`{"amount":${'9'.repeat(400)}}`)],
    ['amount -400 digits', () => ord(`{"amount":-${'9'.repeat(400)}}`)],
    ['amount NaN string', () => ord('{"amount":"NaN"}')],
    ['amount Infinity', () => ord('{"amount":Infinity}')],
    ['amount hex', () => ord('{"amount":0x10}')],
    ['amount leading zero', () => ord('{"amount":0100}')],
    ['amount plus sign', () => ord('{"amount":+100}')],
    ['currency object', () => ord('{"amount":100,"currency":{"a":1}}')],
    ['notes string', () => ord('{"amount":100,"notes":"{}"}')],
    ['order_id object', () => pay({ order_id: { $ne: null }, method: 'upi', vpa: 'a@b' })],
    ['order_id huge number', () => c.post('/api/v1/payments', undefined,
        { body: '{"order_id":1e999,"method":"upi","vpa":"a@b"}' })],
    ['method array', () => pay({ order_id: order.id, method: ['upi'], vpa: 'a@b' })],
    ['vpa object', () => pay({ order_id: order.id, method: 'upi', vpa: { toString: 'x' } })],
    ['vpa lone surrogate', () => c.post('/api/v1/payments', undefined,
        { body: `{"order_id":"${order.id}","method":"upi","vpa":"\\ud800@bank"}` })],
    ['card array', () => pay({ order_id: order.id, method: 'card', card: ['4111111111111111'] })],
    ['card number object', () => pay(card({ number: { n: 1 } }))],
    ['card number 1e30', () => c.post('/api/v1/payments', undefined,
        { body: `{"order_id":"${order.id}","method":"card","card":{"number":1e30,"expiry_month":"12","expiry_year":"2099","cvv":"123","holder_name":"x"}}` })],
    ['card number 400 digits', () => c.post('/api/v1/payments', undefined,
        { body: `{"order_id":"${order.id}","method":"card","card":{"number":${'4'.repeat(400)},"expiry_month":"12","expiry_year":"2099","cvv":"123","holder_name":"x"}}` })],
    ['expiry_month -1', () => pay(card({ expiry_month: -1 }))],
    ['expiry_year 1e10', () => pay(card({ expiry_year: 1e10 }))],
    ['cvv float', () => pay(card({ cvv: 12.5 }))],
    ['refund amount object', () => c.post('/api/v1/payments/pay_AAAAAAAAAAAAAAAA/refunds', { amount: { a: 1 } })],
    ['webhook_url object', () => c.put('/api/v1/merchant/webhook', { webhook_url: { href: 'http://x' } })],
    ['login email array', () => c.post('/api/v1/dashboard/login', { email: ['test@example.com'] }, { auth: false })],
    // NUL and invalid UTF-8
    ['\\u0000 in receipt', () => ord('{"amount":100,"receipt":"a\\u0000b"}')],
    ['\\u0000 in vpa', () => pay({ order_id: order.id, method: 'upi', vpa: 'a\u0000@b' })],
    ['\\u0000 in order_id', () => pay({ order_id: `${order.id}\u0000`, method: 'upi', vpa: 'a@b' })],
    ['\\u0000 in holder_name', () => pay(card({ holder_name: '\u0000' }))],
    ['raw NUL in body', () => ord(Buffer.from('{"amount":100,"receipt":"a\x00b"}', 'latin1'))],
    ['raw NUL after body', () => ord(Buffer.from('{"amount":100}\x00', 'latin1'))],
    ['invalid UTF-8 in body', () => ord(Buffer.from([0x7b, 0x22, 0xfe, 0xff, 0x22, 0x3a, 0x31, 0x7d]))],
    ['UTF-16 body', () => ord(Buffer.from('{"amount":"x"}', 'utf16le'))],
    ['BOM prefix', () => ord(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"amount":"x"}')]))],
    ['raw NUL in path', () => raw('GET', '/api/v1/orders/order_\x00AAAAAAAAAAAAAAA', [XFF, ...AUTH])],
    ['raw NUL in header', () => raw('GET', '/api/v1/orders', [XFF, 'X-Api-Key: key\x00test', 'X-Api-Secret: s'])],
    ['invalid UTF-8 in path', () => raw('GET', '/api/v1/orders/order_\xff\xfeAAAAAAAAAAAAAA', [XFF, ...AUTH])],
    // injection strings
    ['SQL injection in path id', () => c.get(`/api/v1/orders/${encodeURIComponent("order_' OR '1'='1")}`)],
    ['SQL injection in payment id', () => c.get(`/api/v1/payments/${encodeURIComponent('pay_1;DROP TABLE payments')}`)],
    ['SQL injection in order_id', () => pay({ order_id: "order_AAAAAAAAAAAAAAAA' OR 1=1 --", method: 'upi', vpa: 'a@b' })],
    ['SQL injection in vpa', () => pay({ order_id: order.id, method: 'upi', vpa: "x'; DROP TABLE payments;--@bank" })],
    ['SQL injection in status filter', () => c.get(`/api/v1/payments?status=${encodeURIComponent("success' OR '1'='1")}`)],
    ['SQL injection in created_from', () => c.get(`/api/v1/payments?created_from=${encodeURIComponent("2024-01-01'; --")}`)],
    ['SQL injection in limit', () => c.get(`/api/v1/payments?limit=${encodeURIComponent('10; DELETE FROM payments')}`)],
    ['SQL injection in webhook id', () => c.get(`/api/v1/webhooks/${encodeURIComponent("' OR 1=1 --")}`)],
    ['Redis command in vpa', () => pay({ order_id: order.id, method: 'upi', vpa: '*1\r\n$8\r\nFLUSHALL\r\n@x' })],
    // path tricks
    ['path traversal', () => raw('GET', '/api/v1/../../etc/passwd', [XFF, ...AUTH])],
    ['encoded traversal', () => c.get('/api/v1/orders/..%2F..%2F..%2Fetc%2Fpasswd')],
    ['encoded slash in id', () => c.post('/api/v1/payments/pay_AAAAAAAAAAAAAAAA%2Fcapture', {})],
    ['double slashes', () => c.get('/api/v1//orders//x', { auth: false })],
    ['double-encoded', () => c.get('/api/v1/orders/%252e%252e%252f')],
    ['backslashes', () => raw('GET', '/api/v1\\orders\\..\\..\\', [XFF, ...AUTH])],
    ['dot segments to a route', () => raw('GET', '/api/v1/payments/./../orders/../nope', [XFF, ...AUTH])],
    ['very long URL (20 KB)', () => c.get(`/api/v1/orders/${'a'.repeat(20000)}`)],
    ['long query string', () => c.get(`/api/v1/payments?status=${'x'.repeat(7000)}`)],
    ['absolute-form URI', () => raw('GET', 'http://evil.example/api/v1/nope', [XFF, ...AUTH])],
    // unicode in ids
    ['unicode order id', () => c.get(`/api/v1/orders/${encodeURIComponent('order_ÄÖÜäöüßÄÖÜäöüßÄ')}`)],
    ['emoji payment id', () => c.get(`/api/v1/payments/${encodeURIComponent('pay_😀😀😀😀😀😀😀😀')}`)],
    ['unicode webhook id', () => c.get(`/api/v1/webhooks/${encodeURIComponent('ünïcödé-0000-0000-0000-000000000000')}`)],
    ['fullwidth refund id', () => c.get(`/api/v1/refunds/${encodeURIComponent('rfnd_ＡＡＡＡＡＡＡＡＡＡＡＡＡＡＡＡ')}`)],
    // bad headers and framing
    ['bad Content-Length', () => raw('POST', '/api/v1/orders', [XFF, ...AUTH, JSONCT, 'Content-Length: abc'], '{}')],
    ['negative Content-Length', () => raw('POST', '/api/v1/orders', [XFF, ...AUTH, JSONCT, 'Content-Length: -1'], '{}')],
    ['conflicting Content-Length', () => raw('POST', '/api/v1/orders', [XFF, ...AUTH, JSONCT, 'Content-Length: 2',
        'Content-Length: 5'], '{}')],
    ['Content-Length and chunked', () => raw('POST', '/api/v1/orders', [XFF, ...AUTH, JSONCT, 'Content-Length: 2',
        'Transfer-Encoding: chunked'], '2\r\n{}\r\n0\r\n\r\n')],
    ['chunked garbage', () => raw('POST', '/api/v1/orders', [XFF, ...AUTH, JSONCT, 'Transfer-Encoding: chunked'],
        'zz\r\nnot hex\r\n0\r\n\r\n')],
    ['chunked huge size', () => raw('POST', '/api/v1/orders', [XFF, ...AUTH, JSONCT, 'Transfer-Encoding: chunked'],
        'ffffffffffffffffff\r\nx\r\n0\r\n\r\n')],
    ['chunked over 64 KiB', () => raw('POST', '/api/v1/orders', [XFF, ...AUTH, JSONCT, 'Transfer-Encoding: chunked'],
        `11000\r\n${'a'.repeat(0x11000)}\r\n0\r\n\r\n`)],
    ['unknown transfer-encoding', () => raw('POST', '/api/v1/orders', [XFF, ...AUTH, JSONCT, 'Transfer-Encoding: gzip'],
        '{}')],
    ['oversized header', () => raw('GET', '/api/v1/orders', [XFF, ...AUTH, `X-Big: ${'h'.repeat(40000)}`])],
    ['header without colon', () => raw('GET', '/api/v1/orders', [XFF, 'NoColonHere'])],
    ['bare CR in header', () => raw('GET', '/api/v1/orders', [XFF, 'X-Api-Key: key_test_abc123\rX-Evil: 1',
        'X-Api-Secret: secret_test_xyz789'])],
    ['header injection via X-Request-Id', () => raw('GET', '/api/v1/nope', [XFF, 'X-Request-Id: a\rSet-Cookie: x=1'])],
    ['missing Host (HTTP/1.1)', () => rawRequest('GET /api/v1/orders HTTP/1.1\r\nConnection: close\r\n\r\n')],
    ['lowercase method', () => raw('get', '/api/v1/orders', [XFF, ...AUTH])],
    ['unknown method', () => raw('BREW', '/api/v1/orders', [XFF, ...AUTH])],
    ['bad HTTP version', () => rawRequest(`GET /api/v1/orders HTTP/9.9\r\nHost: x\r\n${XFF}\r\nConnection: close\r\n\r\n`)],
    ['space in request target', () => rawRequest(`GET /api/v1/or ders HTTP/1.1\r\nHost: x\r\n${XFF}\r\nConnection: close\r\n\r\n`)],
    ['wrong Content-Type', () => raw('POST', '/api/v1/orders', [XFF, ...AUTH, 'Content-Type: text/html',
        'Content-Length: 15'], '<b>amount</b>!!')],
    ['Content-Type with bogus parameter only', () => raw('POST', '/api/v1/orders', [XFF, ...AUTH,
        'Content-Type: ;charset=utf-8', 'Content-Length: 2'], '{}')],
    ['garbage API key bytes', () => raw('GET', '/api/v1/orders', [XFF, 'X-Api-Key: \xff\xfe\xfd', 'X-Api-Secret: \x01'])],
    ['garbage session cookie', () => c.get('/api/v1/orders', { auth: false,
        headers: { Cookie: `gw_session=${'A'.repeat(5000)}; gw_session=x` } })],
    ['Idempotency-Key 10 KB', () => c.post('/api/v1/orders', { amount: 100 }, { headers: { 'Idempotency-Key': 'i'.repeat(10000) } })],
    ['CSRF token without cookie on capture', () => c.post('/api/v1/payments/pay_AAAAAAAAAAAAAAAA/capture', {},
        { auth: false, headers: { 'X-CSRF-Token': 'x' } })],
    ['pipelined garbage after request', () => rawRequest(
        `GET /api/v1/nope HTTP/1.1\r\nHost: x\r\n${XFF}\r\n\r\n\x00\x01\x02GARBAGE\r\n\r\n`)],
];

describe('hostile requests', () => {
    it('setup', async () => {
        order = await c.createOrder({ amount: 50000 });
    });

    for (const [name, fn] of hostile) {
        it(name, async () => {
            const r = await fn();
            assertJsonError(r, name);
            const rid = r.headers.get('x-request-id');
            assert.match(rid || '', /^[A-Za-z0-9._-]{1,128}$/, `${name}: X-Request-Id`);
            assert.equal(r.headers.get('access-control-allow-origin'), '*', `${name}: CORS`);
        });
    }

    it('at least 40 hostile requests', () => {
        assert.ok(hostile.length >= 40, String(hostile.length));
    });

    it('nginx-rejected HTTP answers exactly 400 Bad request', async () => {
        badRequest(await raw('POST', '/api/v1/orders', [XFF, ...AUTH, JSONCT, 'Content-Length: abc'], '{}'));
        badRequest(await raw('POST', '/api/v1/orders', [XFF, ...AUTH, JSONCT, 'Transfer-Encoding: chunked'],
            'zz\r\nnot hex\r\n0\r\n\r\n'));
        badRequest(await raw('GET', '/api/v1/orders', [XFF, ...AUTH, `X-Big: ${'h'.repeat(40000)}`]));
        badRequest(await c.get(`/api/v1/orders/${'a'.repeat(20000)}`));
        badRequest(await rawRequest('GET /api/v1/orders HTTP/1.1\r\nConnection: close\r\n\r\n'));
    });

    it('hostile-but-valid input is stored and echoed, never a 5xx', async () => {
        const cases = [
            '{"amount":100,"notes":{"\\u0000":"\\u0000"}}',
            '{"amount":100,"notes":{"k":"\\ud83d\\ude00 \\ud800"}}',
            '{"amount":100,"receipt":"\'; DROP TABLE orders; --"}',
            '{"amount":100,"receipt":"<script>alert(1)</script>"}',
            '{"amount":100,"notes":{"a":"%s%n%x%d"}}',
            '{"amount":100,"receipt":"\\u2028\\u2029\\u00ad"}',
            `{"amount":100,"notes":{"deep":${'['.repeat(13)}${']'.repeat(13)}}}`,
        ];
        for (const body of cases) {
            const r = await ord(body);
            assert.ok(r.status < 500, `${body}: ${r.status} ${r.text}`);
            assert.doesNotThrow(() => JSON.parse(r.text), body);
            if (r.status === 201) assert.equal(r.text, JSON.stringify(JSON.parse(r.text)), body);
            else assertJsonError(r, body);
        }
    });

    it('a key containing \\u0000 is 400 Invalid JSON body (SPEC 17 v2), not cut at the NUL', async () => {
        const invalid = (r) => assertError(r, 400, 'BAD_REQUEST_ERROR', 'Invalid JSON body');
        invalid(await ord('{"amount\\u0000":50000}'));
        invalid(await ord('{"amount":50000,"notes":{"a\\u0000b":1}}'));
        invalid(await ord('{"amount":50000,"x":[{"\\u0000":1}]}'));
        const body = JSON.stringify(card()).replace('"cvv"', '"cvv\\u0000"');
        invalid(await c.post('/api/v1/payments', undefined, { body }));
        // the same characters inside a value are the endpoint's business
        const ok = await ord('{"amount":50000,"notes":{"k":"a\\u0000b"}}');
        assert.equal(ok.status, 201, ok.text);
    });

    it('/health stays healthy', async () => {
        const h = await health(IP);
        assert.ok(isHealthy(h), JSON.stringify(h.json));
    });
});

describe('rate limit', () => {
    it('a burst from one address gets 429s with the exact body and Retry-After: 1', async () => {
        const ip = `10.99.${randomBytes(1)[0]}.${1 + (randomBytes(1)[0] % 250)}`;
        const rc = new Client({ ip });
        const rs = await Promise.all(Array.from({ length: 450 }, () =>
            rc.get('/api/v1/test/merchant').catch((e) => ({ status: -1, text: String(e), headers: new Headers() }))));
        const st = rs.map((r) => r.status);
        const limited = rs.filter((r) => r.status === 429);
        assert.ok(limited.length > 0, `some 429s: ${JSON.stringify(st.reduce((a, s) => ({ ...a, [s]: (a[s] || 0) + 1 }), {}))}`);
        assert.ok(st.filter((s) => s === 200).length >= 200, 'the burst is allowed');
        assert.ok(st.every((s) => s === 200 || s === 429), 'only 200 and 429');
        for (const r of limited.slice(0, 20)) {
            assertError(r, 429, 'RATE_LIMIT_ERROR', 'Too many requests');
            assert.equal(r.headers.get('retry-after'), '1');
        }
        // another address is unaffected; /health and /api/v1/health are never limited
        assert.equal((await c.get('/api/v1/test/merchant')).status, 200);
        assert.equal((await rc.get('/health')).status, 200);
        assert.equal((await rc.get('/api/v1/health')).status, 200);
        const ids = new Set(limited.map((r) => r.headers.get('x-request-id')));
        assert.equal(ids.size, limited.length, 'every 429 has its own request id');
        for (const id of ids) assert.match(id, RE.reqId);
    });
});
