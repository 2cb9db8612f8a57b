// Dashboard transactions: rows and cells, filters, pagination, CSV export (SPEC 13.3).
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import {
    createMerchant, env, launchBrowser, login, makeApi, newPage, psql, screenshot, sel, text,
} from './lib/gw.mjs';

const api = makeApi('10.77.3.1');
let browser;
let merchant;
let real = [];

function fmt(ts) {
    return ts.replace('T', ' ').replace('Z', '');
}

before(async () => {
    browser = await launchBrowser();
    merchant = await createMerchant('tx');
    // three real payments through the API (newest last)
    for (const [amount, method] of [[50000, 'upi'], [12345, 'card'], [99900, 'upi']]) {
        const order = await api.createOrder(merchant, amount);
        const p = await api.createPayment(merchant, order.id, method);
        real.push(p);
    }
    real = await Promise.all(real.map((p) => api.waitFinal(merchant, p.id)));
    // 247 older settled payments inserted directly (so the list has 250 rows
    // without queueing 250 bank simulations); ids follow the API's format.
    // One order each: an order has at most one successful payment (SPEC 6.2 v2).
    await psql(`INSERT INTO orders (id, merchant_id, amount, currency)
      SELECT 'order_' || substr(md5('${merchant.id}/o' || g::text), 1, 16), '${merchant.id}', 1000 + g, 'INR'
      FROM generate_series(1, 247) AS g`);
    await psql(`INSERT INTO payments (id, order_id, merchant_id, amount, currency, method, status, vpa,
        card_network, card_last4, captured, created_at, updated_at)
      SELECT 'pay_' || substr(md5('${merchant.id}/' || g::text), 1, 16),
             'order_' || substr(md5('${merchant.id}/o' || g::text), 1, 16), '${merchant.id}', 1000 + g, 'INR',
             CASE WHEN g % 3 = 0 THEN 'card' ELSE 'upi' END,
             CASE WHEN g % 5 = 0 THEN 'failed' ELSE 'success' END,
             CASE WHEN g % 3 = 0 THEN NULL ELSE 'bulk@okbank' END,
             CASE WHEN g % 3 = 0 THEN 'visa' ELSE NULL END,
             CASE WHEN g % 3 = 0 THEN '1111' ELSE NULL END,
             false, now() AT TIME ZONE 'UTC' - make_interval(days => 2, mins => g),
             now() AT TIME ZONE 'UTC' - make_interval(days => 2, mins => g)
      FROM generate_series(1, 247) AS g`);
});
after(async () => {
    await browser?.close();
});

describe('dashboard transactions', { timeout: 180000 }, () => {
    it('renders one row per payment with the exact cells, newest first', async () => {
        const list = await api.ok('GET', '/api/v1/payments?limit=100', { creds: merchant });
        assert.equal(list.total, 250);
        const { context, page } = await newPage(browser);
        try {
            await login(page, merchant.email, merchant.password);
            await page.goto(env.dashboard + '/dashboard/transactions');
            const table = page.locator(`table${sel('transactions-table')}`);
            await table.locator(`tr${sel('transaction-row')}`).first().waitFor();
            assert.deepEqual((await table.locator('th').allTextContents()).map((s) => s.trim()),
                ['Payment ID', 'Order ID', 'Amount', 'Method', 'Status', 'Created']);
            const rows = table.locator(`tr${sel('transaction-row')}`);
            assert.equal(await rows.count(), 100);
            assert.equal(await text(page, 'pagination-info'), '1–100 of 250');
            const cells = await rows.evaluateAll((trs) => trs.map((tr) => ({
                id: tr.getAttribute('data-payment-id'),
                cells: ['payment-id', 'order-id', 'amount', 'method', 'status', 'created-at'].map(
                    (c) => tr.querySelector(`td[data-test-id="${c}"]`).textContent),
            })));
            cells.forEach((row, i) => {
                const p = list.data[i];
                assert.equal(row.id, p.id);
                assert.deepEqual(row.cells, [p.id, p.order_id, String(p.amount), p.method, p.status, fmt(p.created_at)]);
            });
            // the three API payments are the newest
            assert.deepEqual(cells.slice(0, 3).map((r) => r.id), real.map((p) => p.id).reverse());
            assert.match(cells[0].cells[5], /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
            await screenshot(page, 'dashboard-transactions.png');

            // pagination
            await page.click(sel('pagination-next'));
            await page.locator(`${sel('pagination-info')}:text-is("101–200 of 250")`).waitFor();
            assert.equal(await rows.first().getAttribute('data-payment-id'), (await api.ok('GET',
                '/api/v1/payments?limit=1&offset=100', { creds: merchant })).data[0].id);
            await page.click(sel('pagination-next'));
            await page.locator(`${sel('pagination-info')}:text-is("201–250 of 250")`).waitFor();
            assert.equal(await rows.count(), 50);
            assert.ok(await page.locator(sel('pagination-next')).isDisabled());
            await page.click(sel('pagination-prev'));
            await page.locator(`${sel('pagination-info')}:text-is("101–200 of 250")`).waitFor();
            await page.click(sel('pagination-prev'));
            await page.locator(`${sel('pagination-info')}:text-is("1–100 of 250")`).waitFor();
            assert.ok(await page.locator(sel('pagination-prev')).isDisabled());
        } finally {
            await context.close();
        }
    });

    it('filters by status, method and dates and exports the filtered CSV', async () => {
        const { context, page } = await newPage(browser);
        try {
            await login(page, merchant.email, merchant.password);
            await page.goto(env.dashboard + '/dashboard/transactions');
            await page.locator(sel('transaction-row')).first().waitFor();
            assert.deepEqual(await page.locator(`select${sel('filter-status')} option`).allTextContents(),
                ['All', 'pending', 'success', 'failed']);
            assert.deepEqual(await page.locator(`select${sel('filter-method')} option`).allTextContents(),
                ['All', 'upi', 'card']);
            assert.equal(await page.locator(`input${sel('filter-created-from')}[type=date]`).count(), 1);
            assert.equal(await page.locator(`input${sel('filter-created-to')}[type=date]`).count(), 1);

            await page.selectOption(sel('filter-status'), 'failed');
            await page.selectOption(sel('filter-method'), 'card');
            await page.click(sel('apply-filters-button'));
            const expected = await api.ok('GET', '/api/v1/payments?status=failed&method=card&limit=100', { creds: merchant });
            assert.ok(expected.total > 0);
            await page.locator(`${sel('pagination-info')}:text-is("1–${expected.total} of ${expected.total}")`).waitFor();
            const statuses = await page.locator(`${sel('transaction-row')} td${sel('status')}`).allTextContents();
            const methods = await page.locator(`${sel('transaction-row')} td${sel('method')}`).allTextContents();
            assert.equal(statuses.length, expected.total);
            assert.ok(statuses.every((s) => s === 'failed'));
            assert.ok(methods.every((s) => s === 'card'));

            // CSV of the current filters
            const [download] = await Promise.all([page.waitForEvent('download'), page.click(sel('export-csv-button'))]);
            assert.equal(download.suggestedFilename(), 'export.csv');
            const csv = await readFile(await download.path(), 'utf8');
            const lines = csv.split('\r\n').filter((l) => l !== '');
            assert.equal(lines[0],
                'id,order_id,amount,currency,method,status,captured,vpa,card_network,card_last4,error_code,error_description,created_at,updated_at');
            assert.equal(lines.length, 1 + expected.total);
            assert.deepEqual(lines.slice(1).map((l) => l.split(',')[0]), expected.data.map((p) => p.id));

            // dates: today only -> the three API payments; a future day -> nothing
            const today = new Date().toISOString().slice(0, 10);
            await page.selectOption(sel('filter-status'), '');
            await page.selectOption(sel('filter-method'), '');
            await page.fill(sel('filter-created-from'), today);
            await page.fill(sel('filter-created-to'), today);
            await page.click(sel('apply-filters-button'));
            await page.locator(`${sel('pagination-info')}:text-is("1–3 of 3")`).waitFor();
            assert.deepEqual(await page.locator(sel('transaction-row')).evaluateAll(
                (trs) => trs.map((tr) => tr.getAttribute('data-payment-id'))), real.map((p) => p.id).reverse());
            await page.fill(sel('filter-created-from'), '2099-01-01');
            await page.fill(sel('filter-created-to'), '');
            await page.click(sel('apply-filters-button'));
            await page.locator(`${sel('pagination-info')}:text-is("0–0 of 0")`).waitFor();
            assert.equal(await page.locator(sel('transaction-row')).count(), 0);
            assert.equal(await page.locator(`table${sel('transactions-table')} th`).count(), 6);
            assert.deepEqual(page.errors, []);
        } finally {
            await context.close();
        }
    });
});
