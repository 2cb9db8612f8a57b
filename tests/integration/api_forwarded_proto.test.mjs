// API: X-Forwarded-Proto is trusted only from a TCP peer in REAL_IP_FROM (SPEC 2.2, 3). The test
// client is on loopback (in the default 127.0.0.1/32 ::1/128); restarting the pool with
// REAL_IP_FROM=10.0.0.0/8 makes the same request untrusted. Observed through the Secure flag of
// the dashboard session cookie, which follows the request's https-ness.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { API_URL } from '../lib/api.mjs';
import { stack, waitHealthy } from '../lib/stack.mjs';

const IP = '10.7.9.200';

async function login(proto) {
    const headers = { 'Content-Type': 'application/json', 'X-Forwarded-For': IP };
    if (proto) headers['X-Forwarded-Proto'] = proto;
    const res = await fetch(`${API_URL}/api/v1/dashboard/login`, {
        method: 'POST', headers, body: JSON.stringify({ email: 'test@example.com', password: 'x' }),
        signal: AbortSignal.timeout(10000),
    });
    const text = await res.text();
    assert.equal(res.status, 200, text);
    const sc = res.headers.getSetCookie();
    assert.equal(sc.length, 1, 'one Set-Cookie');
    return sc[0];
}

after(async () => {
    await stack('api-restart');
    await waitHealthy();
});

describe('X-Forwarded-Proto trust', () => {
    it('from a loopback peer (default REAL_IP_FROM) https makes the cookie Secure', async () => {
        assert.match(await login('https'), /; Secure$/);
        assert.doesNotMatch(await login('http'), /Secure/);
        assert.doesNotMatch(await login(null), /Secure/);
    });

    it('from a peer outside REAL_IP_FROM it is ignored, whatever X-Forwarded-For claims', async () => {
        await stack('api-restart', 'REAL_IP_FROM=10.0.0.0/8 fd00::/8');
        await waitHealthy();
        assert.doesNotMatch(await login('https'), /Secure/);
    });
});
