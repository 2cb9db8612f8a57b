// The nginx edge with TEST_MODE=false (SPEC 2.2, 17, 18): X-Forwarded-For is trusted only from
// REAL_IP_FROM (default 127.0.0.1/32 ::1/128), POST /api/v1/dashboard/login has its own throttle
// (10 a minute per client address, burst 10, 429 with Retry-After and the JSON envelope) on
// every listener that forwards /api/, and logins are served by the separate login pool.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { API_URL, CHECKOUT_URL, CORS, DASHBOARD_URL, TLS_URL, uniq } from '../lib/api.mjs';
import { countBy, pool, request } from './prod_helpers.mjs';

const LOGIN = '/api/v1/dashboard/login';
const LIMITED = { error: { code: 'RATE_LIMIT_ERROR', description: 'Too many requests' } };

function assertNginx429(r, retryAfter, what) {
    assert.equal(r.status, 429, what);
    assert.deepEqual(r.json, LIMITED, `${what}: body`);
    assert.equal(r.headers['content-type'], 'application/json', `${what}: Content-Type`);
    assert.equal(r.headers['retry-after'], retryAfter, `${what}: Retry-After`);
    assert.match(r.headers['x-request-id'] || '', /^[0-9a-f]{32}$/, `${what}: X-Request-Id`);
    assert.equal(r.headers['cache-control'], 'no-store', `${what}: Cache-Control`);
    assert.equal(r.headers['x-content-type-options'], 'nosniff', `${what}: nosniff`);
    for (const [k, v] of Object.entries(CORS)) assert.equal(r.headers[k], v, `${what}: ${k}`);
}

describe('X-Forwarded-For is trusted only from REAL_IP_FROM', () => {
    it('/metrics: 200 to a 127.0.0.1 client, 404 to 127.0.0.9 claiming X-Forwarded-For: 127.0.0.1', async () => {
        const own = await request(`${API_URL}/metrics`, { from: '127.0.0.1' });
        assert.equal(own.status, 200);
        assert.match(own.text, /^# (HELP|TYPE) gateway_/m);
        for (const xff of ['127.0.0.1', '10.0.0.1, 127.0.0.1', '127.0.0.1, 127.0.0.1']) {
            const r = await request(`${API_URL}/metrics`, { from: '127.0.0.9', headers: { 'X-Forwarded-For': xff } });
            assert.equal(r.status, 404, `X-Forwarded-For: ${xff}`);
            assert.deepEqual(r.json, { error: { code: 'NOT_FOUND_ERROR', description: 'Route not found' } });
        }
    });

    it('rotating X-Forwarded-For from an untrusted peer does not escape the API rate limit', async () => {
        // RATE_LIMIT_RPS/BURST are 50/50 on the prod stack: 200 quick requests from one address
        // must see 429s whatever X-Forwarded-For they claim, on the API and forwarding listeners.
        for (const [base, from] of [[API_URL, '127.0.0.21'], [DASHBOARD_URL, '127.0.0.22'], [CHECKOUT_URL, '127.0.0.23']]) {
            const rs = await pool(200, 20, (i) => request(`${base}/api/v1/prod-rate-probe`, {
                from, headers: { 'X-Forwarded-For': `10.${i >> 8}.${i & 255}.7` },
            }));
            const limited = rs.filter((r) => r.status === 429);
            assert.ok(limited.length >= 50, `${base}: ${limited.length} of 200 limited`);
            assertNginx429(limited[0], '1', `${base} rate limit`);
            assert.equal(countBy(rs, 429) + countBy(rs, 404), 200, `${base}: only 404 and 429`);
        }
    });

    it('X-Forwarded-For from a trusted peer (127.0.0.1) is still honoured: one bucket per client', async () => {
        const rs = await pool(200, 20, (i) => request(`${API_URL}/api/v1/prod-rate-probe`, {
            from: '127.0.0.1', headers: { 'X-Forwarded-For': `10.200.${i}.9` },
        }));
        assert.equal(countBy(rs, 404), 200, `statuses: ${[...new Set(rs.map((r) => r.status))]}`);
    });
});

describe('login throttle (SPEC 17)', () => {
    // Distinct unknown emails: every answer is the API's 401 (one derivation each, and the
    // per-email throttle never trips), so the only 429s are nginx's per-address ones.
    async function storm(base, from, n = 15) {
        return Promise.all(Array.from({ length: n }, () => request(`${base}${LOGIN}`, {
            method: 'POST', from, json: { email: `${uniq('storm')}@example.test`, password: 'wrong' }, timeout: 60000,
        })));
    }

    for (const [name, base, from, other] of [
        ['API', () => API_URL, '127.0.0.31', '127.0.0.32'],
        ['dashboard', () => DASHBOARD_URL, '127.0.0.33', '127.0.0.34'],
        ['checkout', () => CHECKOUT_URL, '127.0.0.35', '127.0.0.36'],
        ['TLS', () => TLS_URL, '127.0.0.37', '127.0.0.38'],
    ]) {
        it(`${name} listener: 15 quick logins from one address: at most 11 reach the API, the rest 429`, async () => {
            const rs = await storm(base(), from);
            const ok = countBy(rs, 401);
            const limited = rs.filter((r) => r.status === 429);
            assert.ok(ok >= 10 && ok <= 12, `${ok} answered 401`);
            assert.equal(ok + limited.length, 15, `statuses: ${rs.map((r) => r.status)}`);
            for (const r of limited) assertNginx429(r, '6', `${name} login 429`);
            if (name === 'dashboard') assert.equal(limited[0].headers['x-frame-options'], 'DENY');
            // another address still gets its 401; the same address's preflight is not counted
            const r = await request(`${base()}${LOGIN}`, {
                method: 'POST', from: other, json: { email: `${uniq('other')}@example.test`, password: 'x' },
            });
            assert.equal(r.status, 401);
            assert.equal(r.json.error.code, 'AUTHENTICATION_ERROR');
            const pre = await request(`${base()}${LOGIN}`, { method: 'OPTIONS', from });
            assert.equal(pre.status, 204);
        });
    }

    it('other API routes of a throttled address are not affected', async () => {
        const r = await request(`${API_URL}/health`, { from: '127.0.0.31' });
        assert.equal(r.status, 200);
        const o = await request(`${API_URL}/api/v1/orders?limit=1`, {
            from: '127.0.0.31', headers: { 'X-Api-Key': 'key_test_abc123', 'X-Api-Secret': 'secret_test_xyz789' },
        });
        assert.equal(o.status, 200);
    });
});

describe('login pool', () => {
    it('logins are served by the login pool, other routes by the main pool (nginx access log)', async () => {
        const id = uniq('lp');
        await request(`${API_URL}${LOGIN}`, {
            method: 'POST', from: '127.0.0.41', headers: { 'X-Request-Id': `${id}-login` },
            json: { email: `${id}@example.test`, password: 'x' },
        });
        await request(`${API_URL}/api/v1/orders?limit=1`, {
            from: '127.0.0.41', headers: { 'X-Request-Id': `${id}-orders`, 'X-Api-Key': 'key_test_abc123', 'X-Api-Secret': 'secret_test_xyz789' },
        });
        const file = path.join(process.env.GW_STATE_DIR || 'var/test-prod', 'log', 'nginx-access.log');
        let lines = [];
        for (let i = 0; i < 20; i++) {
            lines = readFileSync(file, 'utf8').split('\n').filter((l) => l.includes(id)).map((l) => JSON.parse(l));
            if (lines.length >= 2) break;
            await new Promise((r) => setTimeout(r, 100));
        }
        const login = lines.find((l) => l.request_id === `${id}-login`);
        const orders = lines.find((l) => l.request_id === `${id}-orders`);
        assert.ok(login && orders, `access log lines for ${id}`);
        assert.match(login.upstream_addr, /gw-fcgi-login\.sock$/);
        assert.match(orders.upstream_addr, /gw-fcgi\.sock$/);
    });
});
