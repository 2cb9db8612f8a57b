// One round trip (issue "One money path", point 5): each hot request reaches PostgreSQL in a
// single round trip, authentication and idempotency included. The API is restarted (one child)
// to reach PostgreSQL through a TCP proxy (tests/lib/pgproxy.mjs) that parses what the client sends and
// counts its round trips: every Sync (extended protocol, one per PQexecPrepared or per pipeline)
// and every simple Query. Each request is made once to warm up (a statement is prepared on its
// first use: one more round trip, once per connection), then counted.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Client, createMerchant, uniq } from '../lib/api.mjs';
import { forceStatus } from '../lib/db.mjs';
import { proxyApiDatabase } from '../lib/pgproxy.mjs';

const IP = '10.41.3.3';
const SSL_REQUEST = 80877103;
const GSS_REQUEST = 80877104;
let proxy;
let trips = 0;
let mc;

// Counts the client's Sync ('S') and Query ('Q') messages on one connection.
function counter() {
    let buf = Buffer.alloc(0);
    let started = false;
    return (d) => {
        buf = Buffer.concat([buf, d]);
        for (;;) {
            if (!started) {
                if (buf.length < 8) return;
                const len = buf.readInt32BE(0);
                if (buf.length < len) return;
                const code = buf.readInt32BE(4);
                if (code !== SSL_REQUEST && code !== GSS_REQUEST) started = true;
                buf = buf.subarray(len);
                continue;
            }
            if (buf.length < 5) return;
            const len = buf.readInt32BE(1);
            if (buf.length < 1 + len) return;
            const type = String.fromCharCode(buf[0]);
            if (type === 'S' || type === 'Q') trips++;
            buf = buf.subarray(1 + len);
        }
    };
}

// Runs fn twice (warm-up, then counted) and returns the round trips of the second run and its
// answer.
async function counted(fn) {
    await fn();
    const before = trips;
    const r = await fn();
    return { trips: trips - before, r };
}

before(async () => {
    const m = await createMerchant('trips');
    mc = new Client({ ip: IP, key: m.api_key, secret: m.api_secret });
    // one parser per connection: a connection's messages may span chunks
    const counters = new WeakMap();
    proxy = await proxyApiDatabase({
        client: (d, conn) => {
            if (!counters.has(conn)) counters.set(conn, counter());
            counters.get(conn)(d);
            return false;
        },
    });
});

after(async () => {
    await proxy.stop();
});

describe('hot requests reach PostgreSQL in one round trip', () => {
    it('POST /api/v1/orders, with and without Idempotency-Key, and its replay', async () => {
        let c = await counted(() => mc.post('/api/v1/orders', { amount: 5000 }));
        assert.equal(c.r.status, 201, c.r.text);
        assert.equal(c.trips, 1);
        const key = uniq('k');
        c = await counted(() => mc.post('/api/v1/orders', { amount: 5001 }, { headers: { 'Idempotency-Key': key } }));
        assert.equal(c.r.status, 201, c.r.text);
        assert.equal(c.r.headers.get('idempotent-replayed'), 'true', 'the counted run is the replay');
        assert.equal(c.trips, 1);
        c = await counted(() => mc.post('/api/v1/orders', { amount: 5002 }, { headers: { 'Idempotency-Key': uniq('k') } }));
        assert.equal(c.trips, 1, 'a new key');
    });

    it('POST /api/v1/payments (merchant and public), GET /api/v1/payments/{id} and its public twin', async () => {
        const order = (await mc.post('/api/v1/orders', { amount: 50000 })).json;
        let c = await counted(() => mc.post('/api/v1/payments', { order_id: order.id, method: 'upi', vpa: 'a@okhdfc' }));
        assert.equal(c.r.status, 201, c.r.text);
        assert.equal(c.trips, 1);
        c = await counted(() => mc.post('/api/v1/payments', { order_id: order.id, method: 'upi', vpa: 'b@okhdfc' },
            { headers: { 'Idempotency-Key': uniq('k') } }));
        assert.equal(c.r.status, 201, c.r.text);
        assert.equal(c.trips, 1);
        const pub = new Client({ ip: IP });
        pub.key = undefined; // no API key headers: the public routes
        c = await counted(() => pub.post('/api/v1/payments/public', { order_id: order.id, method: 'upi', vpa: 'c@okhdfc' }));
        assert.equal(c.r.status, 201, c.r.text);
        assert.equal(c.trips, 1);
        const id = c.r.json.id;
        c = await counted(() => mc.get(`/api/v1/payments/${id}`));
        assert.equal(c.r.status, 200, c.r.text);
        assert.equal(c.trips, 1);
        c = await counted(() => pub.get(`/api/v1/payments/${id}/public`));
        assert.equal(c.r.status, 200, c.r.text);
        assert.equal(c.trips, 1);
        // errors too: wrong secret, unknown order
        const bad = new Client({ ip: IP, key: mc.key, secret: 'secret_wrong' });
        c = await counted(() => bad.post('/api/v1/payments', { order_id: order.id, method: 'upi', vpa: 'a@okhdfc' }));
        assert.equal(c.r.status, 401, c.r.text);
        assert.equal(c.trips, 1);
        c = await counted(() => mc.post('/api/v1/payments', { order_id: 'order_0000000000000000', method: 'upi', vpa: 'a@okhdfc' }));
        assert.equal(c.r.status, 404, c.r.text);
        assert.equal(c.trips, 1);
    });

    it('POST /api/v1/payments/{id}/refunds', async () => {
        const order = (await mc.post('/api/v1/orders', { amount: 50000 })).json;
        const p = (await mc.post('/api/v1/payments', { order_id: order.id, method: 'upi', vpa: 'a@okhdfc' })).json;
        await forceStatus(p.id, 'success');
        const c = await counted(() => mc.post(`/api/v1/payments/${p.id}/refunds`, { amount: 100 }));
        assert.equal(c.r.status, 201, c.r.text);
        assert.equal(c.trips, 1);
    });
});
