// Payments: create (upi, card, reference cards and networks, every row of SPEC 6.3), get, list,
// filters, stats, CSV export, public create and status.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
    Client, KEYS, RE, assertError, assertOk, assertKeys, createMerchant, missingId, utcMonth, validCard, luhnNumber,
} from '../lib/api.mjs';
import { forceStatus, sql, lit } from '../lib/db.mjs';
import { stack } from '../lib/stack.mjs';
import { restartWorker } from './worker_helpers.mjs';

const IP = '10.14.14.14';
const c = new Client({ ip: IP });
const PAY = '/api/v1/payments';
const bad = (r, d, code = 'BAD_REQUEST_ERROR') => assertError(r, 400, code, d);

let order;
before(async () => {
    /* (v2) The suite puts many payments on one order: without a worker none of them settles, so
     * the order never becomes paid (check 2b is covered by order_paid.test.mjs). */
    await stack('worker-stop');
    order = await c.createOrder({ amount: 50000 });
});

after(async () => {
    await restartWorker();
});

describe('POST /api/v1/payments', () => {
    it('upi: 201 pending payment with exact keys', async () => {
        const r = await c.post(PAY, { order_id: order.id, method: 'upi', vpa: 'user@paytm' });
        const p = assertOk(r, 201, KEYS.paymentUpi);
        assert.match(p.id, RE.payment);
        assert.equal(p.order_id, order.id);
        assert.equal(p.amount, 50000);
        assert.equal(p.currency, 'INR');
        assert.equal(p.method, 'upi');
        assert.equal(p.vpa, 'user@paytm');
        assert.equal(p.status, 'pending');
        assert.equal(p.captured, false);
        assert.match(p.created_at, RE.ts);
        assert.match(p.updated_at, RE.ts);
    });

    for (const vpa of ['john.doe@okhdfcbank', 'user_123@phonepe', 'a-b.c_d@x1', 'A@B']) {
        it(`upi: valid VPA ${vpa}`, async () => {
            assert.equal(assertOk(await c.post(PAY, { order_id: order.id, method: 'upi', vpa }), 201).vpa, vpa);
        });
    }

    const cards = [
        ['4111111111111111', 'visa', '1111'],
        ['5555555555554444', 'mastercard', '4444'],
        ['378282246310005', 'amex', '0005'],
        ['6011111111111117', 'rupay', '1117'],
        ['3530111333300000', 'unknown', '0000'],
    ];
    for (const [number, network, last4] of cards) {
        it(`card ${network}: 201 with card_network and card_last4, no number or cvv`, async () => {
            const r = await c.post(PAY, { order_id: order.id, method: 'card', card: validCard({ number, cvv: '987' }) });
            const p = assertOk(r, 201, KEYS.paymentCard);
            assert.equal(p.method, 'card');
            assert.equal(p.card_network, network);
            assert.equal(p.card_last4, last4);
            assert.equal(p.status, 'pending');
            assert.equal(p.captured, false);
            assert.ok(!r.text.includes(number), 'no full number in the response');
            assert.ok(!r.text.includes('987'), 'no cvv in the response');
        });
    }

    for (const [label, n] of [['51', luhnNumber('51')], ['53', luhnNumber('53')], ['34', luhnNumber('34', 15)],
        ['37', luhnNumber('37', 15)], ['60', luhnNumber('60')], ['65', luhnNumber('65')], ['81', luhnNumber('81')],
        ['89', luhnNumber('89')], ['50', luhnNumber('50')], ['56', luhnNumber('56')], ['80', luhnNumber('80')],
        ['13 digits', luhnNumber('4', 13)], ['19 digits', luhnNumber('4', 19)]]) {
        it(`card network by prefix ${label}`, async () => {
            const expect = { 51: 'mastercard', 53: 'mastercard', 34: 'amex', 37: 'amex', 60: 'rupay', 65: 'rupay',
                81: 'rupay', 89: 'rupay', 50: 'unknown', 56: 'unknown', 80: 'unknown' }[label] || 'visa';
            const p = assertOk(await c.post(PAY, { order_id: order.id, method: 'card', card: validCard({ number: n }) }),
                201, KEYS.paymentCard);
            assert.equal(p.card_network, expect);
            assert.equal(p.card_last4, n.slice(-4));
        });
    }

    it('card: spaces and dashes removed; integers accepted for number, month, year, cvv', async () => {
        const n = utcMonth(1);
        let p = assertOk(await c.post(PAY, { order_id: order.id, method: 'card',
            card: validCard({ number: '4111 1111 1111 1111' }) }), 201, KEYS.paymentCard);
        assert.equal(p.card_network, 'visa');
        p = assertOk(await c.post(PAY, { order_id: order.id, method: 'card',
            card: validCard({ number: '5555-5555-5555-4444' }) }), 201, KEYS.paymentCard);
        assert.equal(p.card_network, 'mastercard');
        p = assertOk(await c.post(PAY, { order_id: order.id, method: 'card', card: {
            number: 4111111111111111, expiry_month: n.month, expiry_year: n.year, cvv: 123, holder_name: 'J D' } }),
        201, KEYS.paymentCard);
        assert.equal(p.card_last4, '1111');
    });

    it('card expiry: current month valid, 2-digit year, 1-digit month, 4-digit cvv', async () => {
        const cur = utcMonth(0);
        for (const card of [
            validCard({ expiry_month: String(cur.month), expiry_year: String(cur.year) }),
            validCard({ expiry_month: String(cur.month).padStart(2, '0'), expiry_year: String(cur.year % 100) }),
            validCard({ expiry_month: String(utcMonth(5).month), expiry_year: String(utcMonth(5).year % 100), cvv: '1234' }),
        ]) {
            assertOk(await c.post(PAY, { order_id: order.id, method: 'card', card }), 201, KEYS.paymentCard);
        }
    });

    it('payment takes the order amount and currency', async () => {
        const o = await c.createOrder({ amount: 123456, currency: 'USD' });
        const p = assertOk(await c.post(PAY, { order_id: o.id, method: 'upi', vpa: 'x@y' }), 201);
        assert.equal(p.amount, 123456);
        assert.equal(p.currency, 'USD');
    });

    it('an order may have any number of payments', async () => {
        const o = await c.createOrder({ amount: 1000 });
        for (let i = 0; i < 3; i++) await c.createPayment(o.id);
        assert.equal(Number(await (await import('../lib/db.mjs')).scalar(
            `SELECT count(*) FROM payments WHERE order_id = ${lit(o.id)}`)), 3);
    });

    describe('SPEC 6.3 rows', () => {
        const OID = '__ORDER_ID__';
        const prev = utcMonth(-1);
        const body = (o) => ({ order_id: OID, method: 'card', card: validCard(), ...o });
        const card = (o) => body({ card: validCard(o) });
        const cases = () => [
            // row 1
            ['1 missing order_id', { method: 'upi', vpa: 'user@paytm' }, 400, 'BAD_REQUEST_ERROR', 'order_id is required'],
            ['1 order_id number', { order_id: 123, method: 'upi', vpa: 'u@p' }, 400, 'BAD_REQUEST_ERROR', 'order_id is required'],
            ['1 order_id null', { order_id: null, method: 'upi', vpa: 'u@p' }, 400, 'BAD_REQUEST_ERROR', 'order_id is required'],
            ['1 order_id array', { order_id: [OID], method: 'upi', vpa: 'u@p' }, 400, 'BAD_REQUEST_ERROR', 'order_id is required'],
            ['1 before 3', { method: 'bank' }, 400, 'BAD_REQUEST_ERROR', 'order_id is required'],
            // row 2
            ['2 unknown order', { order_id: missingId('order'), method: 'upi', vpa: 'u@p' }, 404, 'NOT_FOUND_ERROR', 'Order not found'],
            ['2 malformed order id', { order_id: 'nope', method: 'upi', vpa: 'u@p' }, 404, 'NOT_FOUND_ERROR', 'Order not found'],
            ['2 empty order id', { order_id: '', method: 'upi', vpa: 'u@p' }, 404, 'NOT_FOUND_ERROR', 'Order not found'],
            ['2 before 3', { order_id: missingId('order'), method: 'cash' }, 404, 'NOT_FOUND_ERROR', 'Order not found'],
            // row 3
            ['3 missing method', { order_id: OID, vpa: 'u@p' }, 400, 'BAD_REQUEST_ERROR', 'Invalid payment method'],
            ['3 UPI uppercase', { order_id: OID, method: 'UPI', vpa: 'u@p' }, 400, 'BAD_REQUEST_ERROR', 'Invalid payment method'],
            ['3 netbanking', { order_id: OID, method: 'netbanking' }, 400, 'BAD_REQUEST_ERROR', 'Invalid payment method'],
            ['3 method number', { order_id: OID, method: 1 }, 400, 'BAD_REQUEST_ERROR', 'Invalid payment method'],
            ['3 method " upi"', { order_id: OID, method: ' upi', vpa: 'u@p' }, 400, 'BAD_REQUEST_ERROR', 'Invalid payment method'],
            // row 4
            ...['user @paytm', '@paytm', 'user@@bank', 'user@', '', 'user', 'user@pay.tm', 'user@pay_tm', ' user@paytm',
                'user@paytm ', 'us\u0000er@paytm', 'ü@bank', `${'a'.repeat(250)}@bank1`].map((vpa) =>
                [`4 vpa ${JSON.stringify(vpa).slice(0, 30)}`, { order_id: OID, method: 'upi', vpa }, 400, 'INVALID_VPA', 'VPA format invalid']),
            ['4 vpa missing', { order_id: OID, method: 'upi' }, 400, 'INVALID_VPA', 'VPA format invalid'],
            ['4 vpa null', { order_id: OID, method: 'upi', vpa: null }, 400, 'INVALID_VPA', 'VPA format invalid'],
            ['4 vpa number', { order_id: OID, method: 'upi', vpa: 5 }, 400, 'INVALID_VPA', 'VPA format invalid'],
            ['4 vpa object', { order_id: OID, method: 'upi', vpa: { a: 1 } }, 400, 'INVALID_VPA', 'VPA format invalid'],
            // row 5
            ['5 card missing', { order_id: OID, method: 'card' }, 400, 'BAD_REQUEST_ERROR', 'Missing card details'],
            ['5 card null', { order_id: OID, method: 'card', card: null }, 400, 'BAD_REQUEST_ERROR', 'Missing card details'],
            ['5 card string', { order_id: OID, method: 'card', card: '4111111111111111' }, 400, 'BAD_REQUEST_ERROR', 'Missing card details'],
            ['5 card array', { order_id: OID, method: 'card', card: [] }, 400, 'BAD_REQUEST_ERROR', 'Missing card details'],
            ...['number', 'expiry_month', 'expiry_year', 'cvv', 'holder_name'].flatMap((f) => {
                const missing = validCard();
                delete missing[f];
                return [
                    [`5 ${f} missing`, body({ card: missing }), 400, 'BAD_REQUEST_ERROR', 'Missing card details'],
                    [`5 ${f} null`, card({ [f]: null }), 400, 'BAD_REQUEST_ERROR', 'Missing card details'],
                    [`5 ${f} boolean`, card({ [f]: true }), 400, 'BAD_REQUEST_ERROR', 'Missing card details'],
                    [`5 ${f} array`, card({ [f]: ['1'] }), 400, 'BAD_REQUEST_ERROR', 'Missing card details'],
                    [`5 ${f} object`, card({ [f]: {} }), 400, 'BAD_REQUEST_ERROR', 'Missing card details'],
                ];
            }),
            ['5 holder_name number', card({ holder_name: 42 }), 400, 'BAD_REQUEST_ERROR', 'Missing card details'],
            ['5 holder_name empty', card({ holder_name: '' }), 400, 'BAD_REQUEST_ERROR', 'Missing card details'],
            ['5 holder_name 256', card({ holder_name: 'h'.repeat(256) }), 400, 'BAD_REQUEST_ERROR', 'Missing card details'],
            ['5 holder_name NUL', card({ holder_name: 'Jo\u0000hn' }), 400, 'BAD_REQUEST_ERROR', 'Missing card details'],
            ['5 before 6', card({ number: '4111111111111112', holder_name: '' }), 400, 'BAD_REQUEST_ERROR', 'Missing card details'],
            // row 6
            ['6 luhn', card({ number: '4111111111111112' }), 400, 'INVALID_CARD', 'Card validation failed'],
            ['6 12 digits', card({ number: luhnNumber('4', 12) }), 400, 'INVALID_CARD', 'Card validation failed'],
            ['6 20 digits', card({ number: luhnNumber('4', 20) }), 400, 'INVALID_CARD', 'Card validation failed'],
            ['6 letters', card({ number: '4111a11111111111' }), 400, 'INVALID_CARD', 'Card validation failed'],
            ['6 empty', card({ number: '' }), 400, 'INVALID_CARD', 'Card validation failed'],
            ['6 non-ASCII digits', card({ number: '４１１１１１１１１１１１１１１１' }), 400, 'INVALID_CARD', 'Card validation failed'],
            ['6 dots', card({ number: '4111.1111.1111.1111' }), 400, 'INVALID_CARD', 'Card validation failed'],
            ['6 before 7', card({ number: '4111111111111112', expiry_year: '2001' }), 400, 'INVALID_CARD', 'Card validation failed'],
            // row 7
            ['7 last month', card({ expiry_month: String(prev.month), expiry_year: String(prev.year) }), 400, 'EXPIRED_CARD', 'Card expiry date invalid'],
            ['7 month 13', card({ expiry_month: '13' }), 400, 'EXPIRED_CARD', 'Card expiry date invalid'],
            ['7 month 0', card({ expiry_month: '0' }), 400, 'EXPIRED_CARD', 'Card expiry date invalid'],
            ['7 month 00', card({ expiry_month: '00' }), 400, 'EXPIRED_CARD', 'Card expiry date invalid'],
            ['7 month 3 digits', card({ expiry_month: '012' }), 400, 'EXPIRED_CARD', 'Card expiry date invalid'],
            ['7 month letters', card({ expiry_month: 'ab' }), 400, 'EXPIRED_CARD', 'Card expiry date invalid'],
            ['7 year 3 digits', card({ expiry_year: '203' }), 400, 'EXPIRED_CARD', 'Card expiry date invalid'],
            ['7 year 1 digit', card({ expiry_year: '9' }), 400, 'EXPIRED_CARD', 'Card expiry date invalid'],
            ['7 year 5 digits', card({ expiry_year: '20300' }), 400, 'EXPIRED_CARD', 'Card expiry date invalid'],
            ['7 year 2020', card({ expiry_year: '2020' }), 400, 'EXPIRED_CARD', 'Card expiry date invalid'],
            ['7 year 20', card({ expiry_year: '20' }), 400, 'EXPIRED_CARD', 'Card expiry date invalid'],
            ['7 year empty', card({ expiry_year: '' }), 400, 'EXPIRED_CARD', 'Card expiry date invalid'],
            ['7 before 8', card({ expiry_year: '2001', cvv: '1' }), 400, 'EXPIRED_CARD', 'Card expiry date invalid'],
            // row 8
            ...['12', '12345', 'abc', '', '12a', ' 123', '1 23'].map((cvv) =>
                [`8 cvv ${JSON.stringify(cvv)}`, card({ cvv }), 400, 'INVALID_CARD', 'Card validation failed']),
            ['8 cvv integer 12', card({ cvv: 12 }), 400, 'INVALID_CARD', 'Card validation failed'],
        ];
        for (const [name, b, st, code, d] of cases()) {
            it(`${st} ${code} ${d}: row ${name}`, async () => {
                const body = JSON.stringify(b).replaceAll(OID, order.id);
                assertError(await c.post(PAY, undefined, { body }), st, code, d);
            });
        }
    });
});

describe('GET /api/v1/payments/{id}, public status, public create', () => {
    let upi;
    let cardP;
    before(async () => {
        upi = await c.createPayment(order.id);
        cardP = await c.createPayment(order.id, { method: 'card', card: validCard() });
    });

    it('200 payment (upi and card), same bytes as the create answer', async () => {
        const a = assertOk(await c.get(`${PAY}/${upi.id}`), 200);
        assert.equal(a.id, upi.id);
        assertKeys(a, a.status === 'failed'
            ? [...KEYS.paymentUpi.slice(0, 8), 'error_code', 'error_description', 'created_at', 'updated_at']
            : KEYS.paymentUpi);
        const b = assertOk(await c.get(`${PAY}/${cardP.id}`), 200);
        assert.equal(b.card_last4, '1111');
    });

    it('404 Payment not found', async () => {
        assertError(await c.get(`${PAY}/${missingId('pay')}`), 404, 'NOT_FOUND_ERROR', 'Payment not found');
    });

    it('failed payment carries error_code and error_description in the right place', async () => {
        const p = await c.createPayment(order.id);
        await forceStatus(p.id, 'failed');
        const r = assertOk(await c.get(`${PAY}/${p.id}`), 200,
            [...KEYS.paymentUpi.slice(0, 8), 'error_code', 'error_description', 'created_at', 'updated_at']);
        assert.equal(r.error_code, 'PAYMENT_FAILED');
        assert.equal(r.error_description, 'Payment processing failed');
        for (const path of [`${PAY}/${p.id}/public`, `${PAY}/public/${p.id}`]) {
            const q = assertOk(await c.get(path, { auth: false }), 200,
                [...KEYS.publicPayment, 'error_code', 'error_description']);
            assert.equal(q.status, 'failed');
        }
    });

    for (const form of ['{id}/public', 'public/{id}']) {
        it(`public status ${form}: 200 public payment, no credentials`, async () => {
            const r = await c.get(`${PAY}/${form.replace('{id}', cardP.id)}`, { auth: false });
            const p = assertOk(r, 200);
            if (p.status !== 'failed') assertKeys(p, KEYS.publicPayment);
            assert.equal(p.id, cardP.id);
            assert.equal(p.order_id, order.id);
            assert.equal(p.method, 'card');
            assert.ok(!('card_last4' in p));
        });
        it(`public status ${form}: 404 Payment not found`, async () => {
            assertError(await c.get(`${PAY}/${form.replace('{id}', missingId('pay'))}`, { auth: false }), 404,
                'NOT_FOUND_ERROR', 'Payment not found');
        });
    }

    it('both public paths answer identically', async () => {
        const a = await c.get(`${PAY}/${upi.id}/public`, { auth: false });
        const b = await c.get(`${PAY}/public/${upi.id}`, { auth: false });
        const ja = a.json;
        const jb = b.json;
        if (ja.status === jb.status) assert.equal(a.text, b.text);
    });

    it('POST /api/v1/payments/public: 201 without credentials, merchant is the order\'s', async () => {
        const m = await createMerchant('pubpay');
        const mc = new Client({ ip: IP, key: m.api_key, secret: m.api_secret });
        const o = await mc.createOrder({ amount: 4242 });
        const r = await c.post(`${PAY}/public`, { order_id: o.id, method: 'upi', vpa: 'pub@bank' }, { auth: false });
        const p = assertOk(r, 201, KEYS.paymentUpi);
        assert.equal(p.amount, 4242);
        assertOk(await mc.get(`${PAY}/${p.id}`), 200);
        assertError(await c.get(`${PAY}/${p.id}`), 404, 'NOT_FOUND_ERROR', 'Payment not found');
        const cr = await c.post(`${PAY}/public`, { order_id: o.id, method: 'card', card: validCard() }, { auth: false });
        assertOk(cr, 201, KEYS.paymentCard);
    });

    it('POST /api/v1/payments/public: same checks as the merchant endpoint', async () => {
        const P = `${PAY}/public`;
        assertError(await c.post(P, { method: 'upi' }, { auth: false }), 400, 'BAD_REQUEST_ERROR', 'order_id is required');
        assertError(await c.post(P, { order_id: missingId('order'), method: 'upi', vpa: 'a@b' }, { auth: false }), 404,
            'NOT_FOUND_ERROR', 'Order not found');
        assertError(await c.post(P, { order_id: order.id, method: 'x' }, { auth: false }), 400, 'BAD_REQUEST_ERROR',
            'Invalid payment method');
        assertError(await c.post(P, { order_id: order.id, method: 'upi', vpa: 'bad' }, { auth: false }), 400,
            'INVALID_VPA', 'VPA format invalid');
        assertError(await c.post(P, { order_id: order.id, method: 'card' }, { auth: false }), 400,
            'BAD_REQUEST_ERROR', 'Missing card details');
        assertError(await c.post(P, { order_id: order.id, method: 'card', card: validCard({ number: '4111111111111112' }) },
            { auth: false }), 400, 'INVALID_CARD', 'Card validation failed');
        assertError(await c.post(P, { order_id: order.id, method: 'card', card: validCard({ expiry_month: '13' }) },
            { auth: false }), 400, 'EXPIRED_CARD', 'Card expiry date invalid');
        assertError(await c.post(P, { order_id: order.id, method: 'card', card: validCard({ cvv: '1' }) },
            { auth: false }), 400, 'INVALID_CARD', 'Card validation failed');
    });

    it('POST /api/v1/payments/public: inactive merchant -> 404 Order not found', async () => {
        const m = await createMerchant('pubinact');
        const mc = new Client({ ip: IP, key: m.api_key, secret: m.api_secret });
        const o = await mc.createOrder();
        await sql(`UPDATE merchants SET is_active = false WHERE id = ${lit(m.id)}`);
        assertError(await c.post(`${PAY}/public`, { order_id: o.id, method: 'upi', vpa: 'a@b' }, { auth: false }), 404,
            'NOT_FOUND_ERROR', 'Order not found');
    });

    it('POST /api/v1/payments/public ignores Idempotency-Key (even an invalid one)', async () => {
        const h = { headers: { 'Idempotency-Key': 'x'.repeat(300) }, auth: false };
        const a = await c.post(`${PAY}/public`, { order_id: order.id, method: 'upi', vpa: 'a@b' }, h);
        const b = await c.post(`${PAY}/public`, { order_id: order.id, method: 'upi', vpa: 'a@b' }, h);
        assertOk(a, 201);
        assertOk(b, 201);
        assert.notEqual(a.json.id, b.json.id);
        assert.equal(b.headers.get('idempotent-replayed'), null);
    });
});

describe('list, filters, stats, export (fresh merchant)', () => {
    let mc;
    const made = [];
    before(async () => {
        const m = await createMerchant('plist');
        mc = new Client({ ip: IP, key: m.api_key, secret: m.api_secret });
        const o1 = await mc.createOrder({ amount: 10000 });
        const o2 = await mc.createOrder({ amount: 20000 });
        made.push(await mc.createPayment(o1.id, { method: 'upi', vpa: '-lead@bank' })); // pending
        made.push(await mc.createPayment(o1.id, { method: 'card', card: validCard({ number: '5555555555554444' }) }));
        made.push(await mc.createPayment(o2.id, { method: 'upi', vpa: 'ok@bank' }));
        made.push(await mc.createPayment(o2.id, { method: 'card', card: validCard() }));
        await forceStatus(made[1].id, 'success');
        await forceStatus(made[2].id, 'failed');
        await forceStatus(made[3].id, 'success');
        await sql(`UPDATE payments SET status = 'pending' WHERE id = ${lit(made[0].id)}`);
    });

    it('GET /api/v1/payments and /list: newest first, totals', async () => {
        for (const p of [PAY, `${PAY}/list`]) {
            const l = assertOk(await mc.get(p), 200, KEYS.list);
            assert.equal(l.total, 4);
            assert.equal(l.limit, 10);
            assert.equal(l.offset, 0);
            assert.deepEqual(l.data.map((x) => x.id), made.map((x) => x.id).reverse());
            for (const x of l.data) {
                const base = x.method === 'upi' ? KEYS.paymentUpi : KEYS.paymentCard;
                if (x.status === 'failed') {
                    const i = base.indexOf('captured') + 1;
                    assertKeys(x, [...base.slice(0, i), 'error_code', 'error_description', ...base.slice(i)]);
                } else assertKeys(x, base);
            }
        }
        const pg = assertOk(await mc.get(`${PAY}?limit=1&offset=2`), 200, KEYS.list);
        assert.deepEqual(pg.data.map((x) => x.id), [made[1].id]);
    });

    const today = new Date().toISOString().slice(0, 10);
    const yesterday = new Date(Date.now() - 86400000).toISOString().slice(0, 10);
    const tomorrow = new Date(Date.now() + 86400000).toISOString().slice(0, 10);
    const filters = [
        ['status=success', 2], ['status=failed', 1], ['status=pending', 1], ['method=upi', 2], ['method=card', 2],
        ['status=success&method=card', 2], ['status=failed&method=card', 0], [`created_from=${today}`, 4],
        [`created_to=${today}`, 4], [`created_to=${yesterday}`, 0], [`created_from=${tomorrow}`, 0],
        [`created_from=${yesterday}T00:00:00Z&created_to=${today}`, 4],
        [`created_from=${today}T00:00:00Z&created_to=${today}T23:59:59Z`, 4],
        ['created_from=2000-01-01T00:00:00Z&created_to=2000-01-02T00:00:00Z', 0],
    ];
    for (const [q, n] of filters) {
        it(`filter ?${q} -> ${n}`, async () => {
            const l = assertOk(await mc.get(`${PAY}?${q}`), 200, KEYS.list);
            assert.equal(l.total, n);
            assert.equal(l.data.length, n);
        });
    }

    const ferr = [
        ['status=done', 'status must be one of pending, success, failed'],
        ['status=SUCCESS', 'status must be one of pending, success, failed'],
        ['status=', 'status must be one of pending, success, failed'],
        ['method=netbanking', 'method must be one of upi, card'],
        ['method=UPI', 'method must be one of upi, card'],
        ['created_from=yesterday', 'created_from must be YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ'],
        ['created_from=2024/01/01', 'created_from must be YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ'],
        ['created_from=2024-01-01T10:00:00', 'created_from must be YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ'],
        ['created_from=2024-1-1', 'created_from must be YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ'],
        ['created_to=2024-01-01 10:00:00', 'created_to must be YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ'],
        ['created_to=tomorrow', 'created_to must be YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ'],
        ['created_to=2024-01-01T10:00:00+05:30', 'created_to must be YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ'],
        ['limit=0', 'limit must be an integer between 1 and 100'],
        ['limit=101', 'limit must be an integer between 1 and 100'],
        ['offset=-1', 'offset must be a non-negative integer'],
    ];
    for (const [q, d] of ferr) {
        it(`400 ${d}: ?${q}`, async () => {
            assertError(await mc.get(`${PAY}?${encodeURI(q)}`), 400, 'BAD_REQUEST_ERROR', d);
        });
    }

    it('stats', async () => {
        const s = assertOk(await mc.get(`${PAY}/stats`), 200,
            ['total_transactions', 'successful_transactions', 'total_amount', 'daily', 'methods']);
        assert.equal(s.total_transactions, 4);
        assert.equal(s.successful_transactions, 2);
        assert.equal(s.total_amount, 30000);
        assert.equal(s.daily.length, 30);
        for (const d of s.daily) assertKeys(d, ['date', 'count', 'success_count', 'amount']);
        assert.equal(s.daily[29].date, today);
        assert.equal(s.daily[0].date, new Date(Date.now() - 29 * 86400000).toISOString().slice(0, 10));
        assert.deepEqual(s.daily[29], { date: today, count: 4, success_count: 2, amount: 30000 });
        assert.equal(s.daily.slice(0, 29).reduce((a, d) => a + d.count, 0), 0);
        assert.equal(s.methods.length, 2);
        for (const m of s.methods) assertKeys(m, ['method', 'count', 'success_count', 'amount']);
        assert.deepEqual(s.methods[0], { method: 'upi', count: 2, success_count: 0, amount: 0 });
        assert.deepEqual(s.methods[1], { method: 'card', count: 2, success_count: 2, amount: 30000 });
    });

    it('stats of a merchant without payments', async () => {
        const m = await createMerchant('pstats0');
        const s = assertOk(await new Client({ ip: IP, key: m.api_key, secret: m.api_secret }).get(`${PAY}/stats`), 200);
        assert.equal(s.total_transactions, 0);
        assert.equal(s.successful_transactions, 0);
        assert.equal(s.total_amount, 0);
        assert.equal(s.daily.length, 30);
        assert.deepEqual(s.methods, [{ method: 'upi', count: 0, success_count: 0, amount: 0 },
            { method: 'card', count: 0, success_count: 0, amount: 0 }]);
    });

    it('export.csv', async () => {
        const r = await mc.get(`${PAY}/export.csv?limit=1&offset=3`);
        assert.equal(r.status, 200);
        assert.equal(r.headers.get('content-type'), 'text/csv; charset=utf-8');
        assert.equal(r.headers.get('content-disposition'), 'attachment; filename="payments.csv"');
        assert.equal(r.headers.get('cache-control'), 'no-store');
        assert.equal(r.headers.get('access-control-allow-origin'), '*');
        assert.match(r.headers.get('x-request-id'), RE.reqId);
        const lines = r.text.split('\r\n');
        assert.equal(lines[0], 'id,order_id,amount,currency,method,status,captured,vpa,card_network,card_last4,' +
            'error_code,error_description,created_at,updated_at');
        assert.equal(lines[lines.length - 1], '', 'ends with CRLF');
        assert.ok(!/[^\r]\n/.test(r.text), 'CRLF only');
        const dataLines = lines.slice(1, -1);
        assert.equal(dataLines.length, 4, 'limit and offset ignored');
        assert.deepEqual(dataLines.map((l) => l.split(',')[0]), made.map((x) => x.id).reverse());
        const byId = Object.fromEntries(dataLines.map((l) => [l.split(',')[0], l.split(',')]));
        const lead = byId[made[0].id];
        assert.equal(lead[7], "'-lead@bank", 'formula prefix neutralised');
        assert.equal(lead[6], 'false');
        assert.equal(lead[8], '');
        const failed = byId[made[2].id];
        assert.equal(failed[5], 'failed');
        assert.equal(failed[10], 'PAYMENT_FAILED');
        assert.equal(failed[11], 'Payment processing failed');
        const card = byId[made[1].id];
        assert.deepEqual(card.slice(2, 10), ['10000', 'INR', 'card', 'success', 'false', '', 'mastercard', '4444']);
        assert.match(card[12], RE.ts);
    });

    it('export.csv with filters; and errors as JSON', async () => {
        const r = await mc.get(`${PAY}/export.csv?status=success&method=card`);
        assert.equal(r.status, 200);
        assert.equal(r.text.split('\r\n').length - 2, 2);
        assertError(await mc.get(`${PAY}/export.csv?status=nope`), 400, 'BAD_REQUEST_ERROR',
            'status must be one of pending, success, failed');
        assertError(await mc.get(`${PAY}/export.csv`, { auth: false }), 401, 'AUTHENTICATION_ERROR',
            'Invalid API credentials');
    });
});
