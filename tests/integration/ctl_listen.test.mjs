// gatewayctl listen (SPEC 21.4): only the HTTP API, a session secret printed at start, new
// events forwarded with Standard Webhooks signatures (verified with the official package),
// one line per event, --events filter, a receiver that is down reported and not fatal, Ctrl-C.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { Webhook } from 'standardwebhooks';
import { API_URL, BIN_DIR, Client, createMerchant, sleep } from '../lib/api.mjs';
import { lit, rows } from '../lib/db.mjs';
import { settled } from '../lib/fixtures.mjs';
import { startReceiver } from '../lib/receiver.mjs';

const IP = '10.51.4.4';

function listen(m, args) {
    // no DATABASE_URL or REDIS_URL: it must not need them
    const env = { PATH: process.env.PATH, GATEWAY_API_KEY: m.api_key, GATEWAY_API_SECRET: m.api_secret };
    const child = spawn(path.join(BIN_DIR, 'gatewayctl'), ['listen', '--api', API_URL, ...args], { env });
    const out = { text: '', err: '' };
    child.stdout.on('data', (d) => { out.text += d; });
    child.stderr.on('data', (d) => { out.err += d; });
    const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    return { child, out, exited };
}

async function until(pred, ms = 15000) {
    const end = Date.now() + ms;
    while (Date.now() < end) {
        if (pred()) return;
        await sleep(100);
    }
    throw new Error('condition not met');
}

describe('gatewayctl listen', () => {
    it('forwards new events signed with the printed secret; filter; receiver down is not fatal', async () => {
        const m = await createMerchant('listen');
        const c = new Client({ ip: IP, key: m.api_key, secret: m.api_secret });
        const o0 = await c.createOrder();
        await c.createPayment(o0.id); // events before the start are not forwarded
        const rx = await startReceiver();
        const l = listen(m, ['--forward-to', rx.url, '--events', 'payment.created,refund.*']);
        try {
            await until(() => /Signing secret: whsec_/.test(l.out.text));
            const secret = l.out.text.match(/Signing secret: (whsec_[A-Za-z0-9+/=]+)/)[1];
            assert.equal(Buffer.from(secret.slice(6), 'base64').length, 32);
            const o = await c.createOrder();
            const p = await c.createPayment(o.id);
            await rx.waitFor((q) => q.length >= 1, 15000);
            await sleep(2500);
            assert.equal(rx.requests.length, 1, 'only payment.created passes the filter');
            const [[evId, payload]] = await rows(`SELECT id, payload::text FROM events
                WHERE object_id = ${lit(p.id)} AND type = 'payment.created'`);
            const req = rx.requests[0];
            assert.equal(req.headers['webhook-id'], evId);
            assert.equal(req.text, payload, 'the stored bytes');
            assert.deepEqual(new Webhook(secret).verify(req.text, req.headers), JSON.parse(payload));
            await until(() => l.out.text.includes(evId));
            const line = l.out.text.split('\n').find((x) => x.includes(evId));
            assert.match(line, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\s+payment\.created\s+evt_\w{16}\s+\[200\]\s+\d+ ms$/);
            // the receiver goes away: reported, and listen keeps running
            await rx.close();
            await settled(c, p.id, 'success');
            const r = await c.post(`/api/v1/payments/${p.id}/refunds`, { amount: 100 });
            assert.equal(r.status, 201, r.text);
            await until(() => /refund\.created\s+evt_\w{16}\s+\[error: /.test(l.out.text), 20000);
            assert.equal(l.child.exitCode, null, 'still running');
        } finally {
            l.child.kill('SIGINT');
            const { code } = await l.exited;
            assert.equal(code, 0, l.out.err);
        }
    });

    it('wrong credentials fail; missing --forward-to is a usage error', async () => {
        const bad = listen({ api_key: 'key_nope', api_secret: 'nope' }, ['--forward-to', 'http://127.0.0.1:9/']);
        assert.equal((await bad.exited).code, 1);
        assert.match(bad.out.err, /HTTP 401/);
        const u = listen({ api_key: 'k', api_secret: 's' }, []);
        assert.equal((await u.exited).code, 2);
    });
});
