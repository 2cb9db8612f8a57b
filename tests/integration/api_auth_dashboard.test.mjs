// Authentication (SPEC 4.2): every 401 variant incl. repeated headers over a raw socket, inactive
// merchants, rotated keys; dashboard login/session/logout, cookie attributes and CSRF (SPEC 13.1).
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import {
    Client, DASHBOARD_URL, KEYS, RE, TEST_MERCHANT_ID, TLS_URL, assertError, assertOk, createMerchant, rotateKeys,
} from '../lib/api.mjs';
import { raw } from '../lib/raw.mjs';
import { count, lit, sql } from '../lib/db.mjs';

const IP = '10.12.12.12';
const XFF = `X-Forwarded-For: ${IP}`;
const c = new Client({ ip: IP });
// The session cookie authenticates only on the dashboard and TLS listeners (SPEC 17, v2).
const dash = new Client({ ip: IP, base: DASHBOARD_URL });
const unauth = (r) => assertError(r, 401, 'AUTHENTICATION_ERROR', 'Invalid API credentials');

describe('API key authentication', () => {
    const variants = [
        ['no headers', {}],
        ['key only', { 'X-Api-Key': 'key_test_abc123' }],
        ['secret only', { 'X-Api-Secret': 'secret_test_xyz789' }],
        ['empty key', { 'X-Api-Key': '', 'X-Api-Secret': 'secret_test_xyz789' }],
        ['empty secret', { 'X-Api-Key': 'key_test_abc123', 'X-Api-Secret': '' }],
        ['both empty', { 'X-Api-Key': '', 'X-Api-Secret': '' }],
        ['wrong key', { 'X-Api-Key': 'key_test_abc124', 'X-Api-Secret': 'secret_test_xyz789' }],
        ['wrong secret', { 'X-Api-Key': 'key_test_abc123', 'X-Api-Secret': 'secret_test_xyz788' }],
        ['secret prefix', { 'X-Api-Key': 'key_test_abc123', 'X-Api-Secret': 'secret_test_xyz78' }],
        ['secret longer', { 'X-Api-Key': 'key_test_abc123', 'X-Api-Secret': 'secret_test_xyz7890' }],
        ['key case', { 'X-Api-Key': 'KEY_TEST_ABC123', 'X-Api-Secret': 'secret_test_xyz789' }],
        ['secret case', { 'X-Api-Key': 'key_test_abc123', 'X-Api-Secret': 'SECRET_TEST_XYZ789' }],
        ['swapped', { 'X-Api-Key': 'secret_test_xyz789', 'X-Api-Secret': 'key_test_abc123' }],
        ['key with spaces', { 'X-Api-Key': ' key_test_abc123x', 'X-Api-Secret': 'secret_test_xyz789' }],
        ['SQL in key', { 'X-Api-Key': "' OR '1'='1", 'X-Api-Secret': "' OR '1'='1" }],
        ['long key', { 'X-Api-Key': 'k'.repeat(4000), 'X-Api-Secret': 's'.repeat(4000) }],
    ];
    for (const [name, headers] of variants) {
        it(`401 ${name}`, async () => {
            unauth(await c.get('/api/v1/orders', { auth: false, headers }));
        });
    }

    it('200 with the right pair; header names are case-insensitive', async () => {
        assertOk(await c.get('/api/v1/orders?limit=1'), 200, KEYS.list);
        const r = await raw('GET', '/api/v1/orders?limit=1', [XFF, 'x-api-key: key_test_abc123',
            'X-API-SECRET: secret_test_xyz789']);
        assert.equal(r.status, 200, r.text);
    });

    for (const [name, lines] of [
        ['repeated key (same value)', ['X-Api-Key: key_test_abc123', 'X-Api-Key: key_test_abc123',
            'X-Api-Secret: secret_test_xyz789']],
        ['repeated secret (same value)', ['X-Api-Key: key_test_abc123', 'X-Api-Secret: secret_test_xyz789',
            'X-Api-Secret: secret_test_xyz789']],
        ['repeated key (different case names)', ['X-Api-Key: key_test_abc123', 'x-api-key: key_test_abc123',
            'X-Api-Secret: secret_test_xyz789']],
        ['repeated key (wrong then right)', ['X-Api-Key: nope', 'X-Api-Key: key_test_abc123',
            'X-Api-Secret: secret_test_xyz789']],
        ['repeated secret (right then wrong)', ['X-Api-Key: key_test_abc123', 'X-Api-Secret: secret_test_xyz789',
            'X-Api-Secret: nope']],
    ]) {
        it(`401 ${name} (raw socket)`, async () => {
            const r = await raw('GET', '/api/v1/orders', [XFF, ...lines]);
            unauth(r);
            assert.equal(r.headers['x-request-id'].length, 1);
        });
    }

    it('401 on every kind of merchant route', async () => {
        for (const [m, p] of [['GET', '/api/v1/payments'], ['POST', '/api/v1/payments'], ['POST', '/api/v1/orders'],
            ['GET', '/api/v1/payments/stats'], ['GET', '/api/v1/payments/export.csv'], ['GET', '/api/v1/webhooks'],
            ['GET', '/api/v1/merchant'], ['PUT', '/api/v1/merchant/webhook'], ['POST', '/api/v1/merchant/webhook/test'],
            ['GET', '/api/v1/refunds/rfnd_AAAAAAAAAAAAAAAA'], ['GET', '/api/v1/dashboard/session']]) {
            unauth(await c.request(m, p, m === 'GET' ? { auth: false } : { auth: false, body: '{}' }));
        }
    });

    it('inactive merchant: 401', async () => {
        const m = await createMerchant('inactive');
        const mc = new Client({ ip: IP, key: m.api_key, secret: m.api_secret });
        assertOk(await mc.get('/api/v1/merchant'), 200, KEYS.merchant);
        await sql(`UPDATE merchants SET is_active = false WHERE id = ${lit(m.id)}`);
        unauth(await mc.get('/api/v1/merchant'));
    });

    it('rotated keys: the old pair stops at once, the new one works', async () => {
        const m = await createMerchant('rotate');
        const old = new Client({ ip: IP, key: m.api_key, secret: m.api_secret });
        assertOk(await old.get('/api/v1/merchant'), 200);
        const n = await rotateKeys(m.id);
        assert.deepEqual(Object.keys(n), ['id', 'api_key', 'api_secret']);
        assert.match(n.api_key, /^key_[A-Za-z0-9]{20}$/);
        assert.match(n.api_secret, /^secret_[A-Za-z0-9]{32}$/);
        unauth(await old.get('/api/v1/merchant'));
        unauth(await old.withCreds(n.api_key, m.api_secret).get('/api/v1/merchant'));
        assertOk(await old.withCreds(n.api_key, n.api_secret).get('/api/v1/merchant'), 200);
    });
});

function cookieOf(r) {
    const sc = r.headers.getSetCookie ? r.headers.getSetCookie() : [r.headers.get('set-cookie')];
    assert.equal(sc.length, 1, `one Set-Cookie: ${JSON.stringify(sc)}`);
    return sc[0];
}

describe('dashboard login, session, logout', () => {
    let m;
    before(async () => {
        m = await createMerchant('dash');
    });

    const LOGIN = '/api/v1/dashboard/login';

    it('test merchant: any password, cookie attributes, body', async () => {
        for (const body of [{ email: 'test@example.com', password: 'whatever' }, { email: 'TEST@Example.com' },
            { email: 'test@example.com', password: '' }]) {
            const r = await dash.post(LOGIN, body, { auth: false });
            const j = assertOk(r, 200, ['merchant', 'csrf_token']);
            assert.deepEqual(Object.keys(j.merchant), ['id', 'name', 'email', 'api_key', 'api_secret']);
            assert.equal(j.merchant.id, TEST_MERCHANT_ID);
            assert.equal(j.merchant.name, 'Test Merchant');
            assert.equal(j.merchant.email, 'test@example.com');
            assert.equal(j.merchant.api_key, 'key_test_abc123');
            assert.equal(j.merchant.api_secret, 'secret_test_xyz789');
            assert.match(j.csrf_token, /^[A-Za-z0-9]{32}$/);
            assert.match(cookieOf(r),
                /^gw_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=43200$/);
        }
    });

    it('login errors', async () => {
        const e = (r, st, code, d) => assertError(r, st, code, d);
        e(await dash.post(LOGIN, {}, { auth: false }), 400, 'BAD_REQUEST_ERROR', 'email is required');
        e(await dash.post(LOGIN, { email: 5 }, { auth: false }), 400, 'BAD_REQUEST_ERROR', 'email is required');
        e(await dash.post(LOGIN, { email: null, password: 'x' }, { auth: false }), 400, 'BAD_REQUEST_ERROR',
            'email is required');
        e(await dash.post(LOGIN, { email: 'test@example.com', password: 5 }, { auth: false }), 400, 'BAD_REQUEST_ERROR',
            'password must be a string');
        e(await dash.post(LOGIN, { email: 'test@example.com', password: ['x'] }, { auth: false }), 400,
            'BAD_REQUEST_ERROR', 'password must be a string');
        e(await dash.post(LOGIN, undefined, { auth: false, body: '' }), 400, 'BAD_REQUEST_ERROR', 'Invalid JSON body');
        e(await dash.post(LOGIN, { email: m.email, password: 'wrong-password' }, { auth: false }), 401,
            'AUTHENTICATION_ERROR', 'Invalid email or password');
        e(await dash.post(LOGIN, { email: m.email }, { auth: false }), 401, 'AUTHENTICATION_ERROR',
            'Invalid email or password');
        e(await dash.post(LOGIN, { email: 'nobody-here@example.test', password: 'x' }, { auth: false }), 401,
            'AUTHENTICATION_ERROR', 'Invalid email or password');
        e(await dash.post(LOGIN, { email: "' OR '1'='1", password: "' OR '1'='1" }, { auth: false }), 401,
            'AUTHENTICATION_ERROR', 'Invalid email or password');
    });

    it('operator-created merchant: right password (email case-insensitive), session, CSRF, logout', async () => {
        const r = await dash.post(LOGIN, { email: m.email.toUpperCase(), password: m.password }, { auth: false });
        const j = assertOk(r, 200, ['merchant', 'csrf_token']);
        assert.equal(j.merchant.id, m.id);
        assert.equal(j.merchant.api_secret, m.api_secret);
        const setc = cookieOf(r);
        const token = /^gw_session=([^;]+)/.exec(setc)[1];
        const cookie = `gw_session=${token}`;
        const { createHash } = await import('node:crypto');
        const hash = createHash('sha256').update(token).digest('hex');
        assert.equal(await count(`SELECT count(*) FROM dashboard_sessions WHERE token_hash = ${lit(hash)}`), 1,
            'only the SHA-256 of the token is stored');
        assert.equal(await count(`SELECT count(*) FROM dashboard_sessions WHERE token_hash = ${lit(token)}`), 0);
        assert.equal(await count(`SELECT count(*) FROM dashboard_sessions WHERE token_hash = ${lit(hash)}
            AND expires_at BETWEEN now() + interval '11 hours 55 minutes' AND now() + interval '12 hours 5 minutes'`), 1);

        const s = await dash.get('/api/v1/dashboard/session', { auth: false, headers: { Cookie: cookie } });
        assertOk(s, 200, ['merchant', 'csrf_token']);
        assert.equal(s.text, r.text, 'session answers the login body');

        // cookie auth on merchant routes
        const l = await dash.get('/api/v1/orders', { auth: false, headers: { Cookie: cookie } });
        assertOk(l, 200, KEYS.list);
        // state-changing call without / with a wrong CSRF token
        const csrf = j.csrf_token;
        const forb = (x) => assertError(x, 403, 'AUTHENTICATION_ERROR', 'Invalid CSRF token');
        forb(await dash.post('/api/v1/orders', { amount: 1000 }, { auth: false, headers: { Cookie: cookie } }));
        forb(await dash.post('/api/v1/orders', { amount: 1000 }, { auth: false,
            headers: { Cookie: cookie, 'X-CSRF-Token': 'x'.repeat(32) } }));
        forb(await dash.post('/api/v1/orders', { amount: 1000 }, { auth: false,
            headers: { Cookie: cookie, 'X-CSRF-Token': csrf.slice(0, 31) } }));
        forb(await dash.put('/api/v1/merchant/webhook', { webhook_url: null }, { auth: false,
            headers: { Cookie: cookie, 'X-CSRF-Token': '' } }));
        const ok = await dash.post('/api/v1/orders', { amount: 1000 }, { auth: false,
            headers: { Cookie: cookie, 'X-CSRF-Token': csrf } });
        const o = assertOk(ok, 201, KEYS.order);
        assert.equal(o.merchant_id, m.id);
        // API key headers take precedence: a wrong pair with a valid cookie is a 401
        unauth(await dash.get('/api/v1/orders', { auth: false,
            headers: { Cookie: cookie, 'X-Api-Key': 'nope', 'X-Api-Secret': 'nope' } }));
        // a garbage cookie is a 401
        unauth(await dash.get('/api/v1/orders', { auth: false, headers: { Cookie: 'gw_session=garbage' } }));

        // logout needs the CSRF token while the cookie is valid
        forb(await dash.post('/api/v1/dashboard/logout', undefined, { auth: false, body: '', headers: { Cookie: cookie } }));
        const lo = await dash.post('/api/v1/dashboard/logout', undefined, { auth: false, body: '',
            headers: { Cookie: cookie, 'X-CSRF-Token': csrf } });
        assert.equal(lo.status, 204);
        assert.equal(lo.text, '');
        assert.match(cookieOf(lo), /^gw_session=[^;]*;.*Max-Age=0/);
        assert.match(lo.headers.get('x-request-id'), RE.reqId);
        assert.equal(await count(`SELECT count(*) FROM dashboard_sessions WHERE token_hash = ${lit(hash)}`), 0);
        unauth(await dash.get('/api/v1/dashboard/session', { auth: false, headers: { Cookie: cookie } }));
        unauth(await dash.get('/api/v1/orders', { auth: false, headers: { Cookie: cookie } }));
        // logout without a (valid) cookie: 204
        assert.equal((await dash.post('/api/v1/dashboard/logout', {}, { auth: false, headers: { Cookie: cookie } })).status,
            204);
    });

    it('session without cookie: 401 Invalid API credentials', async () => {
        unauth(await dash.get('/api/v1/dashboard/session', { auth: false }));
    });

    it('session cookie over HTTPS carries Secure', { skip: !TLS_URL }, async () => {
        const u = new URL(`${TLS_URL}/api/v1/dashboard/login`);
        const body = JSON.stringify({ email: 'test@example.com', password: 'x' });
        const res = await new Promise((resolve, reject) => {
            const req = https.request({ hostname: u.hostname, port: u.port, path: u.pathname, method: 'POST',
                rejectUnauthorized: false, headers: { 'Content-Type': 'application/json', 'X-Forwarded-For': IP,
                    'Content-Length': Buffer.byteLength(body) }, timeout: 10000 }, (r) => {
                const chunks = [];
                r.on('data', (d) => chunks.push(d));
                r.on('end', () => resolve({ status: r.statusCode, headers: r.headers, text: Buffer.concat(chunks).toString() }));
            });
            req.on('error', reject);
            req.end(body);
        });
        assert.equal(res.status, 200, res.text);
        const sc = res.headers['set-cookie'];
        assert.equal(sc.length, 1);
        assert.match(sc[0], /^gw_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=43200; Secure$/);
    });
});
