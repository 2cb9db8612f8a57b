// Dashboard security (SPEC 13.1, 16, 17 v2): the public config, the session cookie only on the
// dashboard and TLS listeners, sessions ended by rotate-keys and set-password, the per-e-mail
// login throttle, and `gatewayctl merchant set-password`.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import {
    API_URL, CHECKOUT_URL, Client, DASHBOARD_URL, KEYS, TLS_URL, assertError, assertOk, createMerchant, gatewayctl,
    rotateKeys,
} from '../lib/api.mjs';
import { count, lit, sql } from '../lib/db.mjs';

const LOGIN = '/api/v1/dashboard/login';
const IP = '10.13.13.13';
const dash = new Client({ ip: IP, base: DASHBOARD_URL });
const api = new Client({ ip: IP, base: API_URL });
const checkout = new Client({ ip: IP, base: CHECKOUT_URL });
const unauth = (r) => assertError(r, 401, 'AUTHENTICATION_ERROR', 'Invalid API credentials');
const badLogin = (r) => assertError(r, 401, 'AUTHENTICATION_ERROR', 'Invalid email or password');

/* A distinct client address per login, so that nginx's per-address login limit stays out of the
 * way of the per-e-mail rule under test. */
let ipSeq = 0;
function loginFrom(body) {
    ipSeq += 1;
    const c = new Client({ ip: `10.14.${(ipSeq >> 8) & 255}.${ipSeq & 255}`, base: DASHBOARD_URL });
    return c.post(LOGIN, body, { auth: false });
}

async function signIn(email, password) {
    const r = await loginFrom({ email, password });
    const j = assertOk(r, 200, ['merchant', 'csrf_token']);
    const sc = r.headers.getSetCookie();
    const token = /^gw_session=([^;]+)/.exec(sc[0])[1];
    return { cookie: `gw_session=${token}`, csrf: j.csrf_token, body: j };
}

function tlsGet(path, headers) {
    const u = new URL(TLS_URL + path);
    return new Promise((resolve, reject) => {
        https.get({ hostname: u.hostname, port: u.port, path: u.pathname, rejectUnauthorized: false,
            headers: { 'X-Forwarded-For': IP, ...headers }, timeout: 10000 }, (r) => {
            const chunks = [];
            r.on('data', (d) => chunks.push(d));
            r.on('end', () => resolve({ status: r.statusCode, text: Buffer.concat(chunks).toString() }));
        }).on('error', reject);
    });
}

describe('GET /api/v1/dashboard/config', () => {
    it('is public and tells the login page whether TEST_MODE is on', async () => {
        for (const c of [api, dash]) {
            const r = await c.get('/api/v1/dashboard/config', { auth: false });
            assert.equal(r.status, 200, r.text);
            assert.equal(r.text, '{"test_mode":true}');
            assert.equal(r.headers.get('content-type'), 'application/json');
        }
    });
});

describe('session cookie scope (SPEC 17)', () => {
    let m;
    before(async () => {
        m = await createMerchant('scope');
    });

    it('authenticates on the dashboard and TLS listeners, is ignored on the API and checkout listeners', async () => {
        const s = await signIn(m.email, m.password);
        assertOk(await dash.get('/api/v1/orders', { auth: false, headers: { Cookie: s.cookie } }), 200, KEYS.list);
        const t = await tlsGet('/api/v1/dashboard/session', { Cookie: s.cookie });
        assert.equal(t.status, 200, t.text);
        for (const c of [api, checkout]) {
            unauth(await c.get('/api/v1/orders', { auth: false, headers: { Cookie: s.cookie } }));
            unauth(await c.get('/api/v1/dashboard/session', { auth: false, headers: { Cookie: s.cookie } }));
            // a state-changing call with the right CSRF token is refused as unauthenticated too
            unauth(await c.post('/api/v1/orders', { amount: 1000 }, { auth: false,
                headers: { Cookie: s.cookie, 'X-CSRF-Token': s.csrf } }));
        }
        // logout through the API listener does not see the cookie: the session survives
        const lo = await api.post('/api/v1/dashboard/logout', undefined, { auth: false, body: '',
            headers: { Cookie: s.cookie, 'X-CSRF-Token': s.csrf } });
        assert.equal(lo.status, 204);
        assertOk(await dash.get('/api/v1/dashboard/session', { auth: false, headers: { Cookie: s.cookie } }), 200,
            ['merchant', 'csrf_token']);
    });
});

describe('sessions end with rotate-keys and set-password (SPEC 17)', () => {
    it('merchant rotate-keys ends every session of that merchant only', async () => {
        const m = await createMerchant('rot');
        const other = await createMerchant('rot-other');
        const a = await signIn(m.email, m.password);
        const b = await signIn(m.email, m.password);
        const o = await signIn(other.email, other.password);
        await rotateKeys(m.email);
        for (const s of [a, b]) {
            unauth(await dash.get('/api/v1/dashboard/session', { auth: false, headers: { Cookie: s.cookie } }));
        }
        assert.equal(await count(`SELECT count(*) FROM dashboard_sessions WHERE merchant_id = ${lit(m.id)}`), 0);
        assertOk(await dash.get('/api/v1/dashboard/session', { auth: false, headers: { Cookie: o.cookie } }), 200,
            ['merchant', 'csrf_token']);
    });

    it('merchant set-password: rules, output, new password works, old one and old sessions do not', async () => {
        const m = await createMerchant('setpw');
        const s = await signIn(m.email, m.password);
        let r = await gatewayctl(['merchant', 'set-password', m.email, '--password-stdin'], 'short\n');
        assert.equal(r.code, 1, r.stderr);
        assert.match(r.stderr, /at least 8 characters/);
        r = await gatewayctl(['merchant', 'set-password', 'nobody@example.test', '--password-stdin'], 'long-enough-pw\n');
        assert.equal(r.code, 1);
        assert.match(r.stderr, /not found/);
        r = await gatewayctl(['merchant', 'set-password'], '');
        assert.equal(r.code, 2);
        r = await gatewayctl(['merchant', 'set-password', m.email, '--bogus'], '');
        assert.equal(r.code, 2);
        // still signed in: the failed attempts changed nothing
        assertOk(await dash.get('/api/v1/dashboard/session', { auth: false, headers: { Cookie: s.cookie } }), 200,
            ['merchant', 'csrf_token']);

        r = await gatewayctl(['merchant', 'set-password', m.email.toUpperCase(), '--password-stdin'],
            'a-brand-new-password\n');
        assert.equal(r.code, 0, r.stderr);
        assert.deepEqual(JSON.parse(r.stdout), { id: m.id, email: m.email, password_set: true });
        unauth(await dash.get('/api/v1/dashboard/session', { auth: false, headers: { Cookie: s.cookie } }));
        badLogin(await loginFrom({ email: m.email, password: m.password }));
        await signIn(m.email, 'a-brand-new-password');
        // by id as well; the stored value is a PBKDF2 string, never the password
        r = await gatewayctl(['merchant', 'set-password', m.id, '--password-stdin'], 'third-password-here\n');
        assert.equal(r.code, 0, r.stderr);
        const stored = await sql(`SELECT password_hash FROM merchants WHERE id = ${lit(m.id)}`);
        assert.match(stored.trim(), /^pbkdf2_sha256\$600000\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
        assert.ok(!stored.includes('third-password-here'));
        await signIn(m.email, 'third-password-here');
    });
});

describe('login throttle per e-mail (SPEC 17)', () => {
    const tooMany = (r) => {
        assertError(r, 429, 'RATE_LIMIT_ERROR', 'Too many requests');
        const ra = Number(r.headers.get('retry-after'));
        assert.ok(Number.isInteger(ra) && ra >= 1 && ra <= 900, `Retry-After ${r.headers.get('retry-after')}`);
        return ra;
    };

    it('10 failures within 15 minutes block the e-mail for 15 minutes, whatever the password', async () => {
        const m = await createMerchant('throttle');
        const other = await createMerchant('throttle-other');
        for (let i = 0; i < 10; i++) {
            badLogin(await loginFrom({ email: m.email, password: `wrong-${i}` }));
        }
        const ra = tooMany(await loginFrom({ email: m.email, password: m.password }));
        assert.ok(ra > 890, `a fresh block lasts ~900 s, Retry-After ${ra}`);
        tooMany(await loginFrom({ email: m.email.toUpperCase(), password: m.password }));
        tooMany(await loginFrom({ email: m.email, password: 'wrong-again' }));
        // another e-mail is not affected
        await signIn(other.email, other.password);
        // no attacker text is stored: keys are SHA-256 hex
        assert.equal(await count(`SELECT count(*) FROM login_failures WHERE email_hash !~ '^[0-9a-f]{64}$'`), 0);
        assert.equal(await count(`SELECT count(*) FROM login_failures
            WHERE email_hash = encode(sha256(convert_to(lower(${lit(m.email)}), 'UTF8')), 'hex')`), 10);

        // once the block and the window have passed, the right password signs in again
        await sql(`UPDATE login_blocks SET blocked_until = now() - interval '1 second'`
            + ` WHERE email_hash = encode(sha256(convert_to(lower(${lit(m.email)}), 'UTF8')), 'hex')`);
        await sql(`UPDATE login_failures SET failed_at = failed_at - interval '16 minutes'`
            + ` WHERE email_hash = encode(sha256(convert_to(lower(${lit(m.email)}), 'UTF8')), 'hex')`);
        await signIn(m.email, m.password);
    });

    it('failures older than 15 minutes do not count; nine recent ones do not block', async () => {
        const m = await createMerchant('window');
        const key = `encode(sha256(convert_to(lower(${lit(m.email)}), 'UTF8')), 'hex')`;
        await sql(`INSERT INTO login_failures (email_hash, failed_at)
            SELECT ${key}, now() - interval '16 minutes' FROM generate_series(1, 20)`);
        for (let i = 0; i < 9; i++) {
            badLogin(await loginFrom({ email: m.email, password: `nope-${i}` }));
        }
        await signIn(m.email, m.password);
        badLogin(await loginFrom({ email: m.email, password: 'tenth' }));
        tooMany(await loginFrom({ email: m.email, password: m.password }));
    });

    it('unknown e-mails are throttled the same way', async () => {
        const email = `ghost-${Date.now()}@example.test`;
        for (let i = 0; i < 10; i++) {
            badLogin(await loginFrom({ email, password: 'x' }));
        }
        tooMany(await loginFrom({ email, password: 'x' }));
    });
});
