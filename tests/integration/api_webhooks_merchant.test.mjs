// Webhook logs (SPEC 6.6) and merchant/webhook configuration (SPEC 6.7).
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { Client, KEYS, RE, assertError, assertOk, assertKeys, createMerchant, validCard } from '../lib/api.mjs';
import { count, lit, rows } from '../lib/db.mjs';

const IP = '10.16.16.16';
const HOOK = 'http://127.0.0.1:9/hook';
const bad = (r, d) => assertError(r, 400, 'BAD_REQUEST_ERROR', d);
let m;
let mc;

before(async () => {
    m = await createMerchant('whm');
    mc = new Client({ ip: IP, key: m.api_key, secret: m.api_secret });
});

describe('merchant', () => {
    it('GET /api/v1/merchant', async () => {
        const r = await mc.get('/api/v1/merchant');
        const j = assertOk(r, 200, KEYS.merchant);
        assert.equal(j.id, m.id);
        assert.equal(j.name, m.name);
        assert.equal(j.email, m.email);
        assert.equal(j.api_key, m.api_key);
        assert.equal(j.webhook_url, null);
        assert.equal(j.webhook_secret, m.webhook_secret);
        assert.match(j.webhook_secret, RE.whsec);
        assert.match(j.created_at, RE.ts);
        assert.ok(!r.text.includes(m.api_secret), 'no api_secret');
    });

    it('GET /api/v1/merchant for the test merchant', async () => {
        const j = assertOk(await new Client({ ip: IP }).get('/api/v1/merchant'), 200, KEYS.merchant);
        assert.equal(j.id, '550e8400-e29b-41d4-a716-446655440000');
        assert.equal(j.email, 'test@example.com');
        assert.equal(j.api_key, 'key_test_abc123');
    });

    it('GET /api/v1/merchant without credentials: 401', async () => {
        assertError(await mc.get('/api/v1/merchant', { auth: false }), 401, 'AUTHENTICATION_ERROR',
            'Invalid API credentials');
    });

    it('PUT /api/v1/merchant/webhook: missing key', async () => {
        bad(await mc.put('/api/v1/merchant/webhook', {}), 'webhook_url is required');
        bad(await mc.put('/api/v1/merchant/webhook', { url: 'https://x.example' }), 'webhook_url is required');
    });

    const invalid = ['ftp://example.com/x', 'example.com/hook', 'http://', 'https://', 'http:///path',
        'http://user:pw@example.com/', 'http://user@example.com/', 'http://example.com/#frag', 'http://exa mple.com/',
        'http://example.com/a b', ' http://example.com/', 'http://example.com/\n', 'http://example.com:0/',
        'http://example.com:65536/', 'http://example.com:99999/', 'http://example.com:abc/', 'javascript:alert(1)',
        'http://[::1/', 'mailto:a@b.c', `https://example.com/${'a'.repeat(2030)}`, 'http://exa\u0000mple.com/',
        'http://example.com/\t'];
    for (const url of invalid) {
        it(`PUT webhook invalid: ${JSON.stringify(url).slice(0, 50)}`, async () => {
            bad(await mc.put('/api/v1/merchant/webhook', { webhook_url: url }),
                'webhook_url must be a valid http or https URL');
        });
    }
    for (const v of [123, true, ['http://a.b'], { u: 1 }]) {
        it(`PUT webhook non-string ${JSON.stringify(v)}`, async () => {
            bad(await mc.put('/api/v1/merchant/webhook', { webhook_url: v }),
                'webhook_url must be a valid http or https URL');
        });
    }

    const valid = ['https://example.com/webhook', 'HTTPS://Example.COM:8443/p/a/t/h?q=1&r=2', 'http://10.0.0.1/hook',
        'http://[::1]:8080/x', 'http://localhost', 'http://a-b.example.org:65535/',
        `https://example.com/${'a'.repeat(2048 - 'https://example.com/'.length)}`];
    for (const url of valid) {
        it(`PUT webhook valid: ${url.slice(0, 60)}`, async () => {
            const before = (await mc.get('/api/v1/merchant')).json;
            const r = await mc.put('/api/v1/merchant/webhook', { webhook_url: url });
            const j = assertOk(r, 200, KEYS.merchant);
            assert.equal(j.webhook_url, url);
            assert.equal(j.webhook_secret, before.webhook_secret, 'secret unchanged');
            assert.equal(assertOk(await mc.get('/api/v1/merchant'), 200).webhook_url, url);
        });
    }

    it('PUT webhook null and "" clear it', async () => {
        for (const v of [null, '']) {
            await mc.put('/api/v1/merchant/webhook', { webhook_url: 'https://example.com/h' });
            const j = assertOk(await mc.put('/api/v1/merchant/webhook', { webhook_url: v }), 200, KEYS.merchant);
            assert.equal(j.webhook_url, null);
        }
    });

    it('POST /api/v1/merchant/webhook/secret: new secret, used afterwards', async () => {
        const r = await mc.post('/api/v1/merchant/webhook/secret', undefined, { body: '' });
        assertOk(r, 200, ['webhook_secret']);
        // SPEC 21.3 (v2): whsec_ + standard base64 of 32 random bytes
        assert.match(r.json.webhook_secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
        assert.equal(Buffer.from(r.json.webhook_secret.slice(6), 'base64').length, 32);
        assert.notEqual(r.json.webhook_secret, m.webhook_secret);
        assert.equal(assertOk(await mc.get('/api/v1/merchant'), 200).webhook_secret, r.json.webhook_secret);
        const r2 = assertOk(await mc.post('/api/v1/merchant/webhook/secret', {}), 200, ['webhook_secret']);
        assert.notEqual(r2.webhook_secret, r.json.webhook_secret);
    });

    it('POST /api/v1/merchant/webhook/test: 400 without URL, 202 with one', async () => {
        await mc.put('/api/v1/merchant/webhook', { webhook_url: null });
        bad(await mc.post('/api/v1/merchant/webhook/test', undefined, { body: '' }), 'Webhook URL not configured');
        await mc.put('/api/v1/merchant/webhook', { webhook_url: HOOK });
        const r = await mc.post('/api/v1/merchant/webhook/test', {});
        assertOk(r, 202, ['id', 'event', 'status', 'message']);
        assert.match(r.json.id, RE.uuid);
        assert.equal(r.text, JSON.stringify({ id: r.json.id, event: 'webhook.test', status: 'pending',
            message: 'Test webhook scheduled' }));
        const d = assertOk(await mc.get(`/api/v1/webhooks/${r.json.id}`), 200, KEYS.webhookDetail);
        assert.equal(d.event, 'webhook.test');
        assertKeys(d.payload, ['event', 'timestamp', 'data']);
        assert.equal(d.payload.event, 'webhook.test');
        assert.deepEqual(d.payload.data, { message: 'Test webhook', merchant_id: m.id });
        assert.ok(Number.isInteger(d.payload.timestamp));
    });
});

describe('webhook logs', () => {
    let pay;
    let refund;
    before(async () => {
        await mc.put('/api/v1/merchant/webhook', { webhook_url: HOOK });
        const o = await mc.createOrder({ amount: 50000 });
        pay = await mc.createPayment(o.id, { method: 'card', card: validCard() });
    });

    it('a payment creates payment.created and payment.pending logs at once', async () => {
        const r = await rows(`SELECT event, status, object_id FROM webhook_logs WHERE object_id = ${lit(pay.id)} ORDER BY event`);
        assert.deepEqual(r.map((x) => x[0]).filter((e) => e === 'payment.created' || e === 'payment.pending'),
            ['payment.created', 'payment.pending']);
        const l = assertOk(await mc.get('/api/v1/webhooks'), 200, KEYS.list);
        assert.equal(l.limit, 10);
        assert.equal(l.offset, 0);
        const events = l.data.map((x) => x.event);
        assert.ok(events.includes('payment.created') && events.includes('payment.pending'), events.join(','));
        for (const x of l.data) {
            assertKeys(x, KEYS.webhookItem);
            assert.match(x.id, RE.uuid);
            assert.ok(['pending', 'success', 'failed'].includes(x.status));
            assert.ok(Number.isInteger(x.attempts));
            assert.match(x.created_at, RE.ts);
        }
        assert.equal(l.total, await count(`SELECT count(*) FROM webhook_logs WHERE merchant_id = ${lit(m.id)}`));
    });

    it('list pagination and errors', async () => {
        const l = assertOk(await mc.get('/api/v1/webhooks?limit=1&offset=1'), 200, KEYS.list);
        assert.equal(l.data.length, 1);
        assert.equal(l.limit, 1);
        assert.equal(l.offset, 1);
        bad(await mc.get('/api/v1/webhooks?limit=101'), 'limit must be an integer between 1 and 100');
        bad(await mc.get('/api/v1/webhooks?offset=-3'), 'offset must be a non-negative integer');
    });

    it('detail: item keys then response_body and payload object', async () => {
        const id = (await rows(`SELECT id FROM webhook_logs WHERE object_id = ${lit(pay.id)} AND event = 'payment.created'`))[0][0];
        const r = await mc.get(`/api/v1/webhooks/${id}`);
        const d = assertOk(r, 200, KEYS.webhookDetail);
        assert.equal(d.id, id);
        assert.equal(d.event, 'payment.created');
        assertKeys(d.payload, ['event', 'timestamp', 'data']);
        assert.equal(d.payload.event, 'payment.created');
        assertKeys(d.payload.data, ['payment']);
        assertKeys(d.payload.data.payment, ['id', 'order_id', 'amount', 'currency', 'method', 'card_network',
            'card_last4', 'status', 'created_at']);
        assert.equal(d.payload.data.payment.id, pay.id);
        assert.equal(d.payload.data.payment.status, 'pending');
        const stored = (await rows(`SELECT payload::text FROM webhook_logs WHERE id = ${lit(id)}`))[0][0];
        assert.equal(stored, JSON.stringify(JSON.parse(stored)), 'stored payload is canonical');
        assert.ok(r.text.includes(`"payload":${stored}}`), 'payload served verbatim');
    });

    it('refund.created log on refund', async () => {
        const { successPayment } = await import('../lib/fixtures.mjs');
        const p = await successPayment(mc, 10000);
        refund = assertOk(await mc.post(`/api/v1/payments/${p.id}/refunds`, { amount: 500 }), 201);
        const r = await rows(`SELECT id FROM webhook_logs WHERE object_id = ${lit(refund.id)} AND event = 'refund.created'`);
        assert.equal(r.length, 1);
        const d = assertOk(await mc.get(`/api/v1/webhooks/${r[0][0]}`), 200, KEYS.webhookDetail);
        assertKeys(d.payload.data.refund, ['id', 'payment_id', 'amount', 'reason', 'status', 'created_at',
            'processed_at']);
    });

    it('retry: 200 exact body; the row is reset', async () => {
        const id = (await rows(`SELECT id FROM webhook_logs WHERE object_id = ${lit(pay.id)} AND event = 'payment.pending'`))[0][0];
        const { sql } = await import('../lib/db.mjs');
        await sql(`UPDATE webhook_logs SET status = 'failed', attempts = 5, next_retry_at = NULL WHERE id = ${lit(id)}`);
        const r = await mc.post(`/api/v1/webhooks/${id}/retry`, undefined, { body: '' });
        assertOk(r, 200, ['id', 'status', 'message']);
        assert.equal(r.text, JSON.stringify({ id, status: 'pending', message: 'Webhook retry scheduled' }));
        const row = (await rows(`SELECT status, attempts FROM webhook_logs WHERE id = ${lit(id)}`))[0];
        assert.ok(row[0] === 'pending' || Number(row[1]) <= 1, `reset: ${row}`);
        assert.ok(Number(row[1]) <= 1);
        const r2 = await mc.post(`/api/v1/webhooks/${id}/retry`, {});
        assert.equal(r2.status, 200);
    });

    it('404 Webhook log not found: unknown uuid, non-uuid, uppercase variants', async () => {
        const u = '3f1c2d4e-0000-4000-8000-000000000001';
        for (const p of [`/api/v1/webhooks/${u}`, '/api/v1/webhooks/123', '/api/v1/webhooks/not-a-uuid']) {
            assertError(await mc.get(p), 404, 'NOT_FOUND_ERROR', 'Webhook log not found');
            assertError(await mc.post(`${p}/retry`, {}), 404, 'NOT_FOUND_ERROR', 'Webhook log not found');
        }
    });

    it('clearing the webhook_url: new events create no log', async () => {
        await mc.put('/api/v1/merchant/webhook', { webhook_url: '' });
        const o = await mc.createOrder({ amount: 1000 });
        const p = await mc.createPayment(o.id);
        assert.equal(await count(`SELECT count(*) FROM webhook_logs WHERE object_id = ${lit(p.id)}`), 0);
        await mc.put('/api/v1/merchant/webhook', { webhook_url: HOOK });
    });
});
