// Orders: create (every row of the SPEC 6.2 table), get, public, list with limit/offset errors.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import {
    Client, KEYS, RE, TEST_MERCHANT_ID, assertError, assertOk, assertKeys, createMerchant, missingId,
} from '../lib/api.mjs';

const IP = '10.13.13.13';
const c = new Client({ ip: IP });
const ORD = '/api/v1/orders';
const bad = (r, d) => assertError(r, 400, 'BAD_REQUEST_ERROR', d);

describe('POST /api/v1/orders', () => {
    it('201 with the order, exact key order and bytes', async () => {
        const body = { amount: 50000, currency: 'INR', receipt: 'receipt_123', notes: { customer_name: 'John Doe' } };
        const r = await c.post(ORD, body);
        const o = assertOk(r, 201, KEYS.order);
        assert.match(o.id, RE.order);
        assert.equal(o.merchant_id, TEST_MERCHANT_ID);
        assert.equal(o.amount, 50000);
        assert.equal(o.currency, 'INR');
        assert.equal(o.receipt, 'receipt_123');
        assert.deepEqual(o.notes, { customer_name: 'John Doe' });
        assert.equal(o.status, 'created');
        assert.match(o.created_at, RE.ts);
        assert.match(o.updated_at, RE.ts);
        assert.ok(Math.abs(Date.parse(o.created_at) - Date.now()) < 60000);
    });

    it('defaults: currency INR, receipt null, notes {}', async () => {
        const o = assertOk(await c.post(ORD, { amount: 100 }), 201, KEYS.order);
        assert.equal(o.currency, 'INR');
        assert.equal(o.receipt, null);
        assert.deepEqual(o.notes, {});
        const n = assertOk(await c.post(ORD, { amount: 100, currency: null, receipt: null, notes: null }), 201);
        assert.equal(n.currency, 'INR');
        assert.equal(n.receipt, null);
        assert.deepEqual(n.notes, {});
    });

    it('receipt and notes echoed exactly (key order kept, unicode as is)', async () => {
        const notesText = '{"z":1,"a":{"y":[1,2,{"q":null}],"b":"é€😀"},"m":"line\\nbreak \\"q\\" \\\\ /","k":true}';
        const body = `{"amount":12345,"currency":"USD","receipt":"rcpt ₹ 😀 \\"x\\"","notes":${notesText}}`;
        const r = await c.post(ORD, undefined, { body });
        const o = assertOk(r, 201, KEYS.order);
        assert.equal(o.currency, 'USD');
        assert.equal(o.receipt, 'rcpt ₹ 😀 "x"');
        assert.ok(r.text.includes(`"notes":${JSON.stringify(JSON.parse(notesText))}`), r.text);
        assert.ok(r.text.includes('😀'), 'non-ASCII written as is');
        const g = await c.get(`${ORD}/${o.id}`);
        assert.equal(g.text, r.text, 'GET returns the same bytes');
    });

    it('control characters are escaped like JSON.stringify', async () => {
        const receipt = 'a\u0001b\u001fc\td\n\u007f';
        const r = await c.post(ORD, { amount: 100, receipt });
        const o = assertOk(r, 201, KEYS.order);
        assert.equal(o.receipt, receipt);
        assert.ok(r.text.includes(JSON.stringify(receipt)), r.text);
    });

    it('boundaries: 100, 2147483647, receipt of 255 characters (multi-byte), 255 ASCII', async () => {
        assert.equal(assertOk(await c.post(ORD, { amount: 100 }), 201).amount, 100);
        assert.equal(assertOk(await c.post(ORD, { amount: 2147483647 }), 201).amount, 2147483647);
        assert.equal(assertOk(await c.post(ORD, { amount: 100, receipt: 'é'.repeat(255) }), 201).receipt,
            'é'.repeat(255));
        assert.equal(assertOk(await c.post(ORD, { amount: 100, receipt: 'r'.repeat(255) }), 201).receipt.length, 255);
        assert.equal(assertOk(await c.post(ORD, { amount: 100, receipt: '' }), 201).receipt, '');
    });

    describe('SPEC 6.2 rows', () => {
        const cases = [
            ['{}', 'amount is required'],
            ['{"amount":null}', 'amount is required'],
            ['{"currency":"INR"}', 'amount is required'],
            ['{"amount":1.0}', 'amount must be an integer'],
            ['{"amount":50000.5}', 'amount must be an integer'],
            ['{"amount":1e3}', 'amount must be an integer'],
            ['{"amount":1E3}', 'amount must be an integer'],
            ['{"amount":5000e0}', 'amount must be an integer'],
            ['{"amount":"100"}', 'amount must be an integer'],
            ['{"amount":true}', 'amount must be an integer'],
            ['{"amount":false}', 'amount must be an integer'],
            ['{"amount":[100]}', 'amount must be an integer'],
            ['{"amount":{"v":100}}', 'amount must be an integer'],
            ['{"amount":-1.5}', 'amount must be an integer'],
            ['{"amount":99}', 'amount must be at least 100'],
            ['{"amount":0}', 'amount must be at least 100'],
            ['{"amount":-0}', 'amount must be at least 100'],
            ['{"amount":-100}', 'amount must be at least 100'],
            ['{"amount":-2147483649}', 'amount must be at least 100'],
            ['{"amount":-9223372036854775809}', 'amount must be at least 100'],
            ['{"amount":-99999999999999999999999999999999999999}', 'amount must be at least 100'],
            ['{"amount":2147483648}', 'amount must be at most 2147483647'],
            ['{"amount":4294967396}', 'amount must be at most 2147483647'],
            ['{"amount":9223372036854775807}', 'amount must be at most 2147483647'],
            ['{"amount":9223372036854775808}', 'amount must be at most 2147483647'],
            ['{"amount":18446744073709551716}', 'amount must be at most 2147483647'],
            ['{"amount":99999999999999999999999999999999999999}', 'amount must be at most 2147483647'],
            ['{"amount":50000,"currency":"inr"}', 'currency must be a 3-letter uppercase code'],
            ['{"amount":50000,"currency":"US"}', 'currency must be a 3-letter uppercase code'],
            ['{"amount":50000,"currency":"USDD"}', 'currency must be a 3-letter uppercase code'],
            ['{"amount":50000,"currency":""}', 'currency must be a 3-letter uppercase code'],
            ['{"amount":50000,"currency":"U1D"}', 'currency must be a 3-letter uppercase code'],
            ['{"amount":50000,"currency":"ÄBC"}', 'currency must be a 3-letter uppercase code'],
            ['{"amount":50000,"currency":123}', 'currency must be a 3-letter uppercase code'],
            ['{"amount":50000,"currency":["INR"]}', 'currency must be a 3-letter uppercase code'],
            ['{"amount":50000,"currency":"IN\\u0000"}', 'currency must be a 3-letter uppercase code'],
            [`{"amount":50000,"receipt":"${'r'.repeat(256)}"}`, 'receipt must be a string of at most 255 characters'],
            [`{"amount":50000,"receipt":"${'é'.repeat(256)}"}`, 'receipt must be a string of at most 255 characters'],
            ['{"amount":50000,"receipt":"a\\u0000b"}', 'receipt must be a string of at most 255 characters'],
            ['{"amount":50000,"receipt":12}', 'receipt must be a string of at most 255 characters'],
            ['{"amount":50000,"receipt":true}', 'receipt must be a string of at most 255 characters'],
            ['{"amount":50000,"receipt":{}}', 'receipt must be a string of at most 255 characters'],
            ['{"amount":50000,"notes":[]}', 'notes must be a JSON object'],
            ['{"amount":50000,"notes":"x"}', 'notes must be a JSON object'],
            ['{"amount":50000,"notes":1}', 'notes must be a JSON object'],
            ['{"amount":50000,"notes":false}', 'notes must be a JSON object'],
            // order of checks: amount before currency before receipt before notes
            ['{"amount":"x","currency":"bad","receipt":1,"notes":[]}', 'amount must be an integer'],
            ['{"amount":50,"currency":"bad"}', 'amount must be at least 100'],
            ['{"amount":500,"currency":"bad","receipt":1,"notes":[]}', 'currency must be a 3-letter uppercase code'],
            ['{"amount":500,"receipt":1,"notes":[]}', 'receipt must be a string of at most 255 characters'],
        ];
        for (const [body, d] of cases) {
            it(`400 ${d}: ${body.length > 80 ? `${body.slice(0, 60)}…` : body}`, async () => {
                bad(await c.post(ORD, undefined, { body }), d);
            });
        }
    });
});

describe('GET /api/v1/orders/{order_id} and /public', () => {
    let order;
    before(async () => {
        order = await c.createOrder({ amount: 77700, receipt: 'r-get', notes: { k: 'v' } });
    });

    it('200 order', async () => {
        const o = assertOk(await c.get(`${ORD}/${order.id}`), 200, KEYS.order);
        assert.deepEqual(o, order);
        const s = assertOk(await c.get(`${ORD}/${order.id}/`), 200, KEYS.order);
        assert.deepEqual(s, order);
    });

    it('404 Order not found', async () => {
        assertError(await c.get(`${ORD}/${missingId('order')}`), 404, 'NOT_FOUND_ERROR', 'Order not found');
    });

    it('public: 200 id, amount, currency, status, then merchant_name; no credentials needed', async () => {
        const r = await c.get(`${ORD}/${order.id}/public`, { auth: false });
        assertOk(r, 200, KEYS.publicOrder);
        assert.equal(r.text, JSON.stringify({ id: order.id, amount: 77700, currency: 'INR', status: 'created',
            merchant_name: 'Test Merchant' }));
        assert.ok(!/key_|secret|merchant_id|550e8400/.test(r.text), 'no credential, no merchant id');
    });

    it('public: merchant_name is the merchant\'s own name, escaped as JSON, and follows a rename', async () => {
        const m = await createMerchant('pubname');
        const mc = new Client({ ip: IP, key: m.api_key, secret: m.api_secret });
        const o = await mc.createOrder();
        const pub = assertOk(await c.get(`${ORD}/${o.id}/public`, { auth: false }), 200, KEYS.publicOrder);
        assert.equal(pub.merchant_name, m.name);
        const { sql, lit } = await import('../lib/db.mjs');
        await sql(`UPDATE merchants SET name = ${lit('Chai & Co. — Bengaluru')} WHERE id = ${lit(m.id)}`);
        const again = assertOk(await c.get(`${ORD}/${o.id}/public`, { auth: false }), 200, KEYS.publicOrder);
        assert.equal(again.merchant_name, 'Chai & Co. — Bengaluru');
        assert.ok(!again.merchant_name.includes(m.api_key));
    });

    it('public: 404 Order not found', async () => {
        assertError(await c.get(`${ORD}/${missingId('order')}/public`, { auth: false }), 404, 'NOT_FOUND_ERROR',
            'Order not found');
    });

    it('public: 404 when the merchant is inactive', async () => {
        const m = await createMerchant('inact');
        const mc = new Client({ ip: IP, key: m.api_key, secret: m.api_secret });
        const o = await mc.createOrder();
        assert.equal((await c.get(`${ORD}/${o.id}/public`, { auth: false })).status, 200);
        const { sql, lit } = await import('../lib/db.mjs');
        await sql(`UPDATE merchants SET is_active = false WHERE id = ${lit(m.id)}`);
        assertError(await c.get(`${ORD}/${o.id}/public`, { auth: false }), 404, 'NOT_FOUND_ERROR', 'Order not found');
        assertError(await mc.get(`${ORD}/${o.id}`), 401, 'AUTHENTICATION_ERROR', 'Invalid API credentials');
    });
});

describe('GET /api/v1/orders (list)', () => {
    let mc;
    const ids = [];
    before(async () => {
        const m = await createMerchant('olist');
        mc = new Client({ ip: IP, key: m.api_key, secret: m.api_secret });
        for (let i = 0; i < 5; i++) ids.push((await mc.createOrder({ amount: 1000 + i })).id);
    });

    it('defaults limit 10 offset 0, newest first, total counts all', async () => {
        const r = await mc.get(ORD);
        const l = assertOk(r, 200, KEYS.list);
        assert.equal(l.total, 5);
        assert.equal(l.limit, 10);
        assert.equal(l.offset, 0);
        assert.deepEqual(l.data.map((o) => o.id), [...ids].reverse());
        for (const o of l.data) assertKeys(o, KEYS.order);
    });

    it('limit and offset paginate', async () => {
        const l = assertOk(await mc.get(`${ORD}?limit=2&offset=1`), 200, KEYS.list);
        assert.equal(l.total, 5);
        assert.equal(l.limit, 2);
        assert.equal(l.offset, 1);
        assert.deepEqual(l.data.map((o) => o.id), [ids[3], ids[2]]);
        const e = assertOk(await mc.get(`${ORD}?limit=100&offset=5`), 200, KEYS.list);
        assert.deepEqual(e.data, []);
        assert.equal(e.total, 5);
        assert.equal(assertOk(await mc.get(`${ORD}?limit=1`), 200).data.length, 1);
    });

    for (const q of ['limit=0', 'limit=101', 'limit=-1', 'limit=abc', 'limit=1.5', 'limit=1e1', 'limit=10x',
        'limit=99999999999999999999']) {
        it(`400 limit: ?${q}`, async () => {
            bad(await mc.get(`${ORD}?${q}`), 'limit must be an integer between 1 and 100');
        });
    }
    for (const q of ['offset=-1', 'offset=abc', 'offset=1.5', 'offset=0x10', 'offset=-0.5']) {
        it(`400 offset: ?${q}`, async () => {
            bad(await mc.get(`${ORD}?${q}`), 'offset must be a non-negative integer');
        });
    }
});
