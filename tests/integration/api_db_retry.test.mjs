// db_ensure / db_exec retry rules (SPEC 4.1, 19): a statement is re-run on a new connection only
// when it certainly did not reach the server (connection found closed before sending) or is
// read-only; an auto-committed INSERT whose answer was lost gets 503, never a second INSERT.
// The API is restarted to reach PostgreSQL through a TCP proxy (tests/lib/pgproxy.mjs) that cuts the
// connection right after the server answered a write (it has committed by then): an INSERT's
// command tag, or, for a create that runs as one statement in one round trip (its answer comes
// with the server's ReadyForQuery, after COMMIT), the bytes of its answer.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Client, assertError, createMerchant } from '../lib/api.mjs';
import { count, lit, sql } from '../lib/db.mjs';
import { proxyApiDatabase } from '../lib/pgproxy.mjs';

const IP = '10.41.2.2';
const INSERT_DONE = Buffer.from('INSERT 0 1\0');
let proxy;
let armed = null; // the bytes after which the next server answer is cut
let cuts = 0;
let m;
let mc;

const ordersOf = () => count(`SELECT count(*) FROM orders WHERE merchant_id = ${lit(m.id)}`);

before(async () => {
    m = await createMerchant('dbretry');
    mc = new Client({ ip: IP, key: m.api_key, secret: m.api_secret });
    proxy = await proxyApiDatabase({
        server: (d) => {
            if (armed && d.includes(armed)) {
                // the server has run (and, outside a transaction, committed) the write:
                // the client never hears of it
                armed = null;
                cuts++;
                return true;
            }
            return false;
        },
    });
});

after(async () => {
    await proxy.stop();
});

describe('retry after a lost connection', () => {
    it('an INSERT whose answer was lost is not run twice: 503 and exactly one order', async () => {
        assert.equal((await mc.get('/api/v1/orders')).status, 200); // warm connection
        const before = await ordersOf();
        armed = Buffer.from('"amount":4242,');
        const r = await mc.post('/api/v1/orders', { amount: 4242 });
        assert.equal(cuts, 1, 'the proxy cut the connection after the INSERT');
        assertError(r, 503, 'SERVICE_UNAVAILABLE', 'Service temporarily unavailable');
        assert.equal(await ordersOf(), before + 1, 'the INSERT committed once and was not repeated');
        // the next request reconnects
        const next = await mc.post('/api/v1/orders', { amount: 4243 });
        assert.equal(next.status, 201, next.text);
        assert.equal(await ordersOf(), before + 2);
    });

    it('the test webhook log is not duplicated either', async () => {
        await sql(`UPDATE merchants SET webhook_url = 'http://127.0.0.1:9/none' WHERE id = ${lit(m.id)}`);
        const logs = () => count(`SELECT count(*) FROM webhook_logs WHERE merchant_id = ${lit(m.id)}`);
        assert.equal((await mc.get('/api/v1/orders')).status, 200);
        const before = await logs();
        armed = INSERT_DONE;
        const r = await mc.post('/api/v1/merchant/webhook/test', {});
        assert.equal(cuts, 2);
        assert.equal(r.status, 503, r.text);
        assert.equal(await logs(), before + 1);
    });

    it('a connection closed while idle is replaced before sending: the write runs once, 201', async () => {
        assert.equal((await mc.get('/api/v1/orders')).status, 200);
        const before = await ordersOf();
        // the server side goes away between two requests (like pg_terminate_backend)
        await sql(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
            WHERE application_name = 'gw-fcgi' AND pid <> pg_backend_pid()`);
        await new Promise((res) => setTimeout(res, 200));
        const r = await mc.post('/api/v1/orders', { amount: 4244 });
        assert.equal(r.status, 201, r.text);
        assert.equal(await ordersOf(), before + 1);
        // and a read-only first statement after a cut is simply retried
        proxy.dropAll();
        await new Promise((res) => setTimeout(res, 200));
        const g = await mc.get(`/api/v1/orders/${r.json.id}`);
        assert.equal(g.status, 200, g.text);
    });
});
