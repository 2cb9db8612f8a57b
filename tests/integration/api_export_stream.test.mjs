// GET /api/v1/payments/export.csv streams (SPEC 6.3, 17 v2): thousands of payments (inserted with
// SQL) come out complete, newest first across the 1000-row keyset batches (ties on created_at
// included), byte-identical to the RFC 4180 rules, with the headers first and no Content-Length.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Client, createMerchant } from '../lib/api.mjs';
import { lit, sql } from '../lib/db.mjs';

const IP = '10.41.4.4';
const N = 3500;
let m;
let mc;

const HEADER = 'id,order_id,amount,currency,method,status,captured,vpa,card_network,card_last4,error_code,' +
    'error_description,created_at,updated_at\r\n';

function field(v) {
    if (v === null || v === undefined) return '';
    let s = String(v);
    const prefix = /^[=+\-@]/.test(s);
    if (/[,"\r\n]/.test(s)) return `"${prefix ? "'" : ''}${s.replace(/"/g, '""')}"`;
    return prefix ? `'${s}` : s;
}

/* The expected document, computed from the stored rows. */
async function expected(where) {
    const out = await sql(`SELECT COALESCE(json_agg(t ORDER BY t.ts DESC, t.id DESC), '[]') FROM (
        SELECT id, order_id, amount, currency, method, status, captured, vpa, card_network, card_last4,
            error_code, error_description, created_at AS ts,
            to_char(created_at, 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS c,
            to_char(updated_at, 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS u
        FROM payments WHERE merchant_id = ${lit(m.id)} ${where}) t`);
    const rowsJ = JSON.parse(out);
    let doc = HEADER;
    for (const r of rowsJ) {
        const card = r.method === 'card';
        doc += [r.id, r.order_id, r.amount, r.currency, r.method, r.status, r.captured ? 'true' : 'false',
            card ? null : r.vpa, card ? r.card_network : null, card ? r.card_last4 : null,
            r.error_code, r.error_description, r.c, r.u].map(field).join(',') + '\r\n';
    }
    return { doc, n: rowsJ.length };
}

before(async () => {
    m = await createMerchant('export');
    mc = new Client({ ip: IP, key: m.api_key, secret: m.api_secret });
    const tag = randomBytes(4).toString('hex').replace(/[^a-z0-9]/g, 'x').slice(0, 5).toUpperCase();
    // groups of three share one created_at exactly (ties fall to id DESC, also across batches);
    // some fields need quoting or the formula prefix
    // One order per payment: an order has at most one successful payment (SPEC 6.2 v2).
    await sql(`INSERT INTO orders (id, merchant_id, amount, currency)
        SELECT 'order_' || ${lit(tag)} || lpad(i::text, 11, '0'), ${lit(m.id)}, 100 + i, 'INR'
        FROM generate_series(1, ${N}) AS g(i)`);
    await sql(`INSERT INTO payments (id, order_id, merchant_id, amount, currency, method, vpa, card_network,
            card_last4, status, captured, error_code, error_description, created_at, updated_at, enqueued_at)
        SELECT 'pay_' || ${lit(tag)} || lpad(i::text, 11, '0'), 'order_' || ${lit(tag)} || lpad(i::text, 11, '0'),
            ${lit(m.id)}, 100 + i, 'INR',
            CASE WHEN i % 2 = 0 THEN 'upi' ELSE 'card' END,
            CASE WHEN i % 2 = 0 THEN (CASE WHEN i % 10 = 0 THEN '=cmd@bank' ELSE 'u' || i || '@bank' END) END,
            CASE WHEN i % 2 = 1 THEN 'visa' END, CASE WHEN i % 2 = 1 THEN '1111' END,
            CASE WHEN i % 3 = 0 THEN 'failed' ELSE 'success' END, i % 5 = 0,
            CASE WHEN i % 3 = 0 THEN 'PAYMENT_FAILED' END,
            CASE WHEN i % 3 = 0 THEN (CASE WHEN i % 9 = 0 THEN 'a "quoted", multi' || chr(13) || chr(10) || 'line'
                ELSE '-neg, comma' END) END,
            timestamp '2030-01-01 00:00:00' - (i / 3) * interval '1 millisecond',
            timestamp '2030-01-01 00:00:00', timestamp '2030-01-01 00:00:00'
        FROM generate_series(1, ${N}) AS g(i)`);
});

describe('export.csv streams in batches', () => {
    it(`${N} payments: complete, ordered, byte-identical; headers first, no Content-Length`, async () => {
        const r = await mc.get('/api/v1/payments/export.csv', { timeout: 60000 });
        assert.equal(r.status, 200);
        assert.equal(r.headers.get('content-type'), 'text/csv; charset=utf-8');
        assert.equal(r.headers.get('content-disposition'), 'attachment; filename="payments.csv"');
        assert.equal(r.headers.get('cache-control'), 'no-store');
        assert.equal(r.headers.get('access-control-allow-origin'), '*');
        assert.equal(r.headers.get('content-length'), null, 'streamed, so no Content-Length');
        const { doc, n } = await expected('');
        assert.equal(n, N);
        assert.equal(r.text.length, doc.length);
        assert.ok(r.text === doc, 'byte-identical to the expected document');
    });

    it('filters apply to every batch', async () => {
        const r = await mc.get('/api/v1/payments/export.csv?status=failed&method=upi', { timeout: 60000 });
        assert.equal(r.status, 200);
        const { doc, n } = await expected(`AND status = 'failed' AND method = 'upi'`);
        assert.ok(n > 500, String(n));
        assert.ok(r.text === doc);
        const none = await mc.get('/api/v1/payments/export.csv?created_to=2001-01-01');
        assert.equal(none.status, 200);
        assert.equal(none.text, HEADER);
    });
});
