// METRICS_ALLOW (issue 14): GET /metrics answers the clients of these CIDRs on the API listener
// (default 127.0.0.1/32, SPEC 18); anyone else gets 404 Route not found. The client address is
// nginx's REMOTE_ADDR, so X-Forwarded-For from the trusted loopback peer (REAL_IP_FROM) decides.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Client, assertError } from '../lib/api.mjs';
import { stack, waitHealthy } from '../lib/stack.mjs';

after(async () => {
    await stack('api-restart');
    await waitHealthy();
});

describe('METRICS_ALLOW', () => {
    it('default: loopback only', async () => {
        const local = await new Client().get('/metrics', { auth: false });
        assert.equal(local.status, 200);
        assert.match(local.text, /gateway_worker_up/);
        assertError(await new Client({ ip: '10.99.1.1' }).get('/metrics', { auth: false }), 404, 'NOT_FOUND_ERROR', 'Route not found');
    });

    it('a CIDR list lets those clients in and nobody else', async () => {
        await stack('api-restart', 'METRICS_ALLOW=127.0.0.1/32 10.99.0.0/16');
        await waitHealthy();
        assert.equal((await new Client({ ip: '10.99.1.1' }).get('/metrics', { auth: false })).status, 200);
        assert.equal((await new Client().get('/metrics', { auth: false })).status, 200);
        assertError(await new Client({ ip: '10.98.1.1' }).get('/metrics', { auth: false }), 404, 'NOT_FOUND_ERROR', 'Route not found');
    });
});
