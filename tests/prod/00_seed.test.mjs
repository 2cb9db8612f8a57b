// Production defaults (TEST_MODE=false), part 1 (SPEC 3, 12.2, 13.1, 16, 17 v2): the seeded
// merchant's any-password login is a TEST_MODE convenience only, the startup warning while its
// published key pair is active, SEED_TEST_MERCHANT=false, `gatewayctl merchant set-password`,
// and the session cookie scope. Runs first in the prod suite (it deletes and re-seeds the test
// merchant before anything refers to it).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import {
    API_URL, Client, DASHBOARD_URL, KEYS, TEST_MERCHANT_ID, assertError, assertOk, gatewayctl, sleep,
} from '../lib/api.mjs';
import { count, lit, sql } from '../lib/db.mjs';
import { STATE_DIR, stack, waitFor, waitHealthy } from '../lib/stack.mjs';

const IP = '10.40.0.1';
const api = new Client({ ip: IP, base: API_URL });
const dash = new Client({ ip: IP, base: DASHBOARD_URL });
const LOGIN = '/api/v1/dashboard/login';
const WARN = /the test merchant is active with its published API key pair while TEST_MODE is off/;

let ipSeq = 0;
function loginFrom(body) {
    ipSeq += 1;
    return new Client({ ip: `10.41.${(ipSeq >> 8) & 255}.${ipSeq & 255}`, base: DASHBOARD_URL })
        .post(LOGIN, body, { auth: false });
}

async function apiLog() {
    return await readFile(path.join(STATE_DIR, 'log', 'api.log'), 'utf8');
}

function warnLines(text) {
    return text.split('\n').filter((l) => WARN.test(l)).map((l) => JSON.parse(l));
}

describe('TEST_MODE=false: the seeded test merchant', () => {
    it('the stack runs with TEST_MODE off, and the login page is told so', async () => {
        const r = await api.get('/api/v1/dashboard/config', { auth: false });
        assert.equal(r.status, 200, r.text);
        assert.equal(r.text, '{"test_mode":false}');
    });

    it('the API warned at startup that the published key pair is active', async () => {
        const lines = warnLines(await apiLog());
        assert.ok(lines.length >= 1, 'a warn line');
        assert.equal(lines[0].level, 'warn');
        assert.equal(lines[0].service, 'api');
        assert.equal(lines[0].merchant_id, TEST_MERCHANT_ID);
        // and the pair does work (it is the operator's job to rotate it)
        assertOk(await api.get('/api/v1/orders?limit=1'), 200, KEYS.list);
    });

    it('any password, the empty one included, does not sign in as the seeded merchant', async () => {
        for (const body of [{ email: 'test@example.com', password: 'whatever' }, { email: 'test@example.com' },
            { email: 'TEST@example.com', password: '' }]) {
            assertError(await loginFrom(body), 401, 'AUTHENTICATION_ERROR', 'Invalid email or password');
        }
        assert.equal(await count(`SELECT count(*) FROM dashboard_sessions WHERE merchant_id = ${lit(TEST_MERCHANT_ID)}`),
            0);
    });

    it('SEED_TEST_MERCHANT=false skips the seed (and the warning); the default seeds it again', async () => {
        await sql(`DELETE FROM merchants WHERE id = ${lit(TEST_MERCHANT_ID)}
            AND NOT EXISTS (SELECT 1 FROM orders WHERE merchant_id = ${lit(TEST_MERCHANT_ID)})`);
        assert.equal(await count(`SELECT count(*) FROM merchants WHERE id = ${lit(TEST_MERCHANT_ID)}`), 0,
            'nothing refers to the test merchant yet');
        const before = warnLines(await apiLog()).length;
        await stack('api-restart', 'SEED_TEST_MERCHANT=false');
        await waitHealthy(30000, (h) => h.status === 200 && h.json?.database === 'connected');
        // authenticated requests reach the database; none of them seeds anything
        assertError(await api.get('/api/v1/orders?limit=1'), 401, 'AUTHENTICATION_ERROR', 'Invalid API credentials');
        await sleep(500);
        assert.equal(await count(`SELECT count(*) FROM merchants WHERE id = ${lit(TEST_MERCHANT_ID)}`), 0);
        assert.equal(warnLines(await apiLog()).length, before, 'no warning without the merchant');

        await stack('api-restart');
        await waitHealthy(30000, (h) => h.status === 200 && h.json?.database === 'connected');
        assert.ok(await waitFor(async () => await count(
            `SELECT count(*) FROM merchants WHERE id = ${lit(TEST_MERCHANT_ID)} AND password_hash IS NULL`) === 1, 10000),
        'seeded again');
        assert.ok(await waitFor(async () => warnLines(await apiLog()).length > before, 10000), 'warned again');
    });

    it('gatewayctl merchant set-password lets it sign in with that password only', async () => {
        const r = await gatewayctl(['merchant', 'set-password', 'test@example.com', '--password-stdin'],
            'operator-chosen-pw\n');
        assert.equal(r.code, 0, r.stderr);
        assert.deepEqual(JSON.parse(r.stdout), { id: TEST_MERCHANT_ID, email: 'test@example.com', password_set: true });
        assertError(await loginFrom({ email: 'test@example.com', password: 'whatever' }), 401, 'AUTHENTICATION_ERROR',
            'Invalid email or password');
        const ok = await loginFrom({ email: 'test@example.com', password: 'operator-chosen-pw' });
        const j = assertOk(ok, 200, ['merchant', 'csrf_token']);
        assert.equal(j.merchant.id, TEST_MERCHANT_ID);
        const cookie = /^gw_session=([^;]+)/.exec(ok.headers.getSetCookie()[0])[0];
        // the cookie works where the dashboard runs, and nowhere else
        assertOk(await dash.get('/api/v1/orders?limit=1', { auth: false, headers: { Cookie: cookie } }), 200, KEYS.list);
        assertError(await api.get('/api/v1/orders?limit=1', { auth: false, headers: { Cookie: cookie } }), 401,
            'AUTHENTICATION_ERROR', 'Invalid API credentials');
    });
});
