// Dashboard money and the payment view (issue 14): amounts through Intl.NumberFormat in the
// payment's own currency, per-currency totals net of refunds (a USD payment is never added to the
// rupee total), the payment view from a transactions row (fields, refunds, webhook deliveries,
// Refund and Capture, X-Request-Id), search by payment or order id, the masked API secret with
// reveal and copy, and a loading state that is not the empty state.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
    createMerchant, env, launchBrowser, login, makeApi, newPage, psql, screenshot, sel, startServer, text, waitUntil,
} from './lib/gw.mjs';

const api = makeApi('10.77.6.1');
let browser;
let receiver;
let m;
let inr; // a successful INR payment (₹1,234.50), captured and refunded through the UI
let usd; // a successful USD payment inserted directly ($1,234,567.89)

before(async () => {
    browser = await launchBrowser();
    receiver = await startServer((req, res) => {
        req.resume();
        req.on('end', () => res.end('ok'));
    });
    m = await createMerchant('money');
    await api.ok('PUT', '/api/v1/merchant/webhook', { creds: m, body: { webhook_url: receiver.origin + '/hook' } });
    const order = await api.createOrder(m, 123450);
    inr = await api.waitFinal(m, (await api.createPayment(m, order.id, 'upi')).id);
    assert.equal(inr.status, 'success');
    // A second INR payment, refunded in part through the API (processed refunds count in "net").
    const o2 = await api.createOrder(m, 100000);
    const p2 = await api.waitFinal(m, (await api.createPayment(m, o2.id, 'card')).id);
    assert.equal(p2.status, 'success');
    const rf = await api.ok('POST', `/api/v1/payments/${p2.id}/refunds`, { creds: m, body: { amount: 25000 } });
    await waitUntil(async () => (await api.ok('GET', `/api/v1/refunds/${rf.id}`, { creds: m })).status === 'processed',
        { what: 'refund processed' });
    // The API only creates INR orders in tests; a USD payment is inserted as another
    // integration would have created it.
    const oid = 'order_' + 'U'.repeat(6) + m.id.replace(/-/g, '').slice(0, 10);
    const pid = 'pay_' + 'U'.repeat(6) + m.id.replace(/-/g, '').slice(0, 10);
    await psql(`INSERT INTO orders (id, merchant_id, amount, currency, status) VALUES ('${oid}', '${m.id}', 123456789, 'USD', 'paid')`);
    await psql(`INSERT INTO payments (id, order_id, merchant_id, amount, currency, method, status, vpa, captured,
        created_at, updated_at) VALUES ('${pid}', '${oid}', '${m.id}', 123456789, 'USD', 'upi', 'success', 'us@bank',
        false, now() AT TIME ZONE 'UTC' - interval '1 hour', now() AT TIME ZONE 'UTC' - interval '1 hour')`);
    usd = await api.ok('GET', `/api/v1/payments/${pid}`, { creds: m });
});
after(async () => {
    await browser?.close();
    await receiver?.close();
});

describe('dashboard money and payment view', { timeout: 240000 }, () => {
    it('per-currency totals net of refunds; the rupee total has INR only; a plain count', async () => {
        const per = await api.ok('GET', '/api/v1/payments/stats/currencies', { creds: m });
        assert.deepEqual(per.data, [
            { currency: 'INR', count: 2, success_count: 2, amount: 223450, refunded: 25000, net: 198450 },
            { currency: 'USD', count: 1, success_count: 1, amount: 123456789, refunded: 0, net: 123456789 },
        ]);
        const { context, page } = await newPage(browser);
        try {
            await login(page, m.email, m.password);
            assert.equal(await text(page, 'total-transactions'), '3');
            assert.equal(await text(page, 'total-amount'), '₹2,234.50');
            const row = (c) => page.locator(`tr${sel('currency-row')}[data-currency="${c}"]`);
            await row('INR').waitFor();
            const cells = async (c) => (await row(c).locator('td').allTextContents()).map((s) => s.trim());
            assert.deepEqual(await cells('INR'), ['INR', '2', '2', '₹2,234.50', '₹250.00', '₹1,984.50']);
            assert.deepEqual(await cells('USD'), ['USD', '1', '1', '$1,234,567.89', '$0.00', '$1,234,567.89']);
            assert.deepEqual(page.errors, []);
            await screenshot(page, 'dashboard-home-currencies.png');
        } finally {
            await context.close();
        }
    });

    it('masks the API secret until Reveal and copies it', async () => {
        const { context, page } = await newPage(browser);
        try {
            await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: env.dashboard });
            await login(page, m.email, m.password);
            const secret = page.locator(sel('api-secret'));
            assert.equal(await text(page, 'api-secret'), m.api_secret);
            const security = () => secret.evaluate((el) => getComputedStyle(el).webkitTextSecurity);
            assert.equal(await security(), 'disc');
            await page.click(sel('reveal-secret-button'));
            assert.equal(await security(), 'none');
            await page.click(sel('reveal-secret-button'));
            assert.equal(await security(), 'disc');
            await page.click(sel('copy-secret-button'));
            await page.locator(`${sel('copy-secret-message')}:text-is("Copied")`).waitFor();
            assert.equal(await page.evaluate(() => navigator.clipboard.readText()), m.api_secret);
        } finally {
            await context.close();
        }
    });

    it('shows money as money in the table, keeping the raw minor units SPEC reads', async () => {
        const { context, page } = await newPage(browser);
        try {
            await login(page, m.email, m.password);
            await page.goto(env.dashboard + '/dashboard/transactions');
            const cell = (id) => page.locator(`tr${sel('transaction-row')}[data-payment-id="${id}"] td${sel('amount')}`);
            await cell(inr.id).waitFor();
            for (const [p, shown] of [[inr, '₹1,234.50'], [usd, '$1,234,567.89']]) {
                assert.equal(await cell(p.id).textContent(), String(p.amount));
                assert.equal(await cell(p.id).getAttribute('data-currency'), p.currency);
                assert.equal(await cell(p.id).evaluate((el) => getComputedStyle(el, '::before').content), JSON.stringify(shown));
                // the raw digits are not drawn (zero-size text), the money is
                assert.equal(await cell(p.id).evaluate((el) => getComputedStyle(el).fontSize), '0px');
                assert.notEqual(await cell(p.id).evaluate((el) => getComputedStyle(el, '::before').fontSize), '0px');
            }
        } finally {
            await context.close();
        }
    });

    it('a loading state that is not the empty state', async () => {
        const { context, page } = await newPage(browser);
        try {
            await login(page, m.email, m.password);
            let release;
            const held = new Promise((resolve) => {
                release = resolve;
            });
            // Hold the list answer of the real stack until the loading row was seen.
            await page.route((u) => new URL(u).pathname === '/api/v1/payments', async (route) => {
                await held;
                await route.continue();
            });
            await page.goto(env.dashboard + '/dashboard/transactions');
            await page.locator(sel('transactions-loading')).waitFor();
            assert.equal(await page.locator(sel('transactions-empty')).count(), 0);
            assert.equal(await page.locator(sel('transaction-row')).count(), 0);
            release();
            await page.locator(sel('transaction-row')).first().waitFor();
            assert.equal(await page.locator(sel('transactions-loading')).count(), 0);
            await page.unroute((u) => new URL(u).pathname === '/api/v1/payments');
            // a filter that matches nothing shows the empty state
            await page.selectOption(sel('filter-method'), 'card');
            await page.selectOption(sel('filter-status'), 'failed');
            await page.click(sel('apply-filters-button'));
            await page.locator(sel('transactions-empty')).waitFor();
        } finally {
            await context.close();
        }
    });

    it('searches by order id and by payment id', async () => {
        const { context, page } = await newPage(browser);
        try {
            await login(page, m.email, m.password);
            await page.goto(env.dashboard + '/dashboard/transactions');
            await page.locator(sel('transaction-row')).first().waitFor();
            assert.equal(await page.locator(sel('transaction-row')).count(), 3);
            await page.fill(sel('search-input'), inr.order_id);
            await page.click(sel('search-button'));
            await waitUntil(async () => (await page.locator(sel('transaction-row')).count()) === 1, { what: 'one row' });
            assert.equal(await page.locator(sel('transaction-row')).getAttribute('data-payment-id'), inr.id);
            await page.fill(sel('search-input'), 'nonsense');
            await page.click(sel('search-button'));
            await page.locator(`${sel('transactions-message')}:visible`).waitFor();
            await page.fill(sel('search-input'), usd.id);
            await page.click(sel('search-button'));
            await page.waitForURL((u) => new URL(u).pathname === `/dashboard/transactions/${usd.id}`);
            assert.equal(await text(page, 'payment-amount'), '$1,234,567.89');
            // unknown payment: the API's message
            await page.goto(env.dashboard + '/dashboard/transactions/pay_0000000000000000');
            await page.locator(sel('payment-error')).waitFor();
            assert.match(await text(page, 'payment-error'), /^Payment not found \(request id [0-9a-f]{32}\)$/);
            assert.deepEqual(page.errors, []);
        } finally {
            await context.close();
        }
    });

    it('opens a payment from its row: fields, webhook deliveries, Capture and Refund, request id', async () => {
        const { context, page } = await newPage(browser);
        try {
            await login(page, m.email, m.password);
            await page.goto(env.dashboard + '/dashboard/transactions');
            await page.locator(`tr${sel('transaction-row')}[data-payment-id="${inr.id}"] td${sel('method')}`).click();
            await page.waitForURL((u) => new URL(u).pathname === `/dashboard/transactions/${inr.id}`);
            await page.locator(sel('payment-id')).waitFor();
            assert.equal(await text(page, 'payment-id'), inr.id);
            assert.equal(await text(page, 'payment-order-id'), inr.order_id);
            assert.equal(await text(page, 'payment-amount'), '₹1,234.50');
            assert.equal(await page.locator(sel('payment-amount')).getAttribute('data-amount'), '123450');
            assert.equal(await text(page, 'payment-status'), 'success');
            assert.equal(await text(page, 'payment-captured'), 'no');
            assert.match(await text(page, 'payment-request-id'), /^[0-9a-f]{32}$/);
            // the deliveries of this payment only: created, pending, success
            const events = await page.locator(`tr${sel('payment-webhook-row')} td:first-child`).allTextContents();
            assert.deepEqual(events.sort(), ['payment.created', 'payment.pending', 'payment.success']);
            const logs = await api.ok('GET', `/api/v1/webhooks?payment_id=${inr.id}&limit=100`, { creds: m });
            assert.deepEqual(logs.data.map((w) => w.event).sort(), events.sort());
            await page.locator(sel('payment-webhook-row')).first().click();
            await page.locator(sel('detail-payload')).waitFor();
            assert.match(await text(page, 'detail-request-id'), /^[0-9a-f]{32}$/);
            assert.match(await text(page, 'detail-payload'), new RegExp(inr.id));

            // Capture
            await page.click(sel('capture-button'));
            await page.locator(`${sel('payment-captured')}:text-is("yes")`).waitFor();
            assert.match(await text(page, 'payment-message'), /^Payment captured \(request id [0-9a-f]{32}\)$/);
            assert.equal((await api.ok('GET', `/api/v1/payments/${inr.id}`, { creds: m })).captured, true);

            // Refund ₹200.50 with a reason, then the rest is offered
            await page.fill(sel('refund-amount-input'), '200.50');
            await page.fill(sel('refund-reason-input'), 'damaged');
            await page.click(sel('refund-button'));
            await page.locator(sel('refund-row')).waitFor();
            const refunds = await api.ok('GET', `/api/v1/payments/${inr.id}/refunds`, { creds: m });
            assert.equal(refunds.data.length, 1);
            assert.equal(refunds.data[0].amount, 20050);
            assert.equal(refunds.data[0].reason, 'damaged');
            assert.match(await text(page, 'payment-message'), new RegExp(`^Refund ${refunds.data[0].id} of ₹200.50 created`));
            assert.equal(await page.locator(sel('refund-amount-input')).inputValue(), '1034.00');
            // more than is left: the API's message
            await page.fill(sel('refund-amount-input'), '5000');
            await page.click(sel('refund-button'));
            await page.locator(`${sel('payment-message')}.alert-error`).waitFor();
            assert.match(await text(page, 'payment-message'), /^Refund amount exceeds available amount \(request id [0-9a-f]{32}\)$/);
            assert.deepEqual(page.errors, []);
            await screenshot(page, 'dashboard-payment.png');
        } finally {
            await context.close();
        }
    });
});
