// (v2) SPEC 22 in the dashboard: the docs page lists the sandbox bank's test values; the
// transactions page shows each failed payment's error_code (beside its status, the cell text
// staying the status of SPEC 13.3) with its description as the tooltip.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createMerchant, env, launchBrowser, login, makeApi, newPage, screenshot, sel } from './lib/gw.mjs';

const api = makeApi('10.77.9.2');
let browser;
let merchant;

function cardBody(orderId, number) {
    return {
        order_id: orderId, method: 'card',
        card: { number, expiry_month: '12', expiry_year: String(new Date().getUTCFullYear() + 2), cvv: '123', holder_name: 'A' },
    };
}

before(async () => {
    browser = await launchBrowser();
    merchant = await createMerchant('bankdash');
});
after(async () => {
    await browser?.close();
});

describe('sandbox bank in the dashboard (SPEC 22)', { timeout: 120000 }, () => {
    it('the docs page lists every test value', async () => {
        const { context, page } = await newPage(browser);
        try {
            await login(page, merchant.email, merchant.password);
            await page.goto(env.dashboard + '/dashboard/docs');
            const section = page.locator(`section${sel('section-test-values')}`);
            await section.waitFor();
            const text = await section.textContent();
            for (const v of ['4242424242424242', '5555555555554444', 'success@upi', '4000000000000002', 'failure@upi',
                '4000000000009995', '4000000000000069', '4000000000000127', '4000000000000119', '4000000000003220',
                '4000000000000259', 'timeout@upi', '4000000000000267', 'CARD_DECLINED', 'UPI_DECLINED',
                'INSUFFICIENT_FUNDS', 'EXPIRED_CARD', 'INCORRECT_CVC', 'PROCESSING_ERROR', 'AUTHENTICATION_FAILED',
                'requires_action']) {
                assert.ok(text.includes(v), `docs list ${v}`);
            }
            assert.equal(await section.locator(sel('test-value-row')).count(), 10);
        } finally {
            await context.close();
        }
    });

    it('the transactions page shows error_code', async () => {
        const declined = await api.createOrder(merchant, 50000);
        const funds = await api.createOrder(merchant, 20000);
        const ok = await api.createOrder(merchant, 30000);
        const p1 = await api.ok('POST', '/api/v1/payments', { creds: merchant, body: cardBody(declined.id, '4000000000000002') });
        const p2 = await api.ok('POST', '/api/v1/payments', { creds: merchant, body: cardBody(funds.id, '4000000000009995') });
        const p3 = await api.ok('POST', '/api/v1/payments', { creds: merchant, body: cardBody(ok.id, '4242424242424242') });
        for (const p of [p1, p2, p3]) await api.waitFinal(merchant, p.id);
        const { context, page } = await newPage(browser);
        try {
            await login(page, merchant.email, merchant.password);
            await page.goto(env.dashboard + '/dashboard/transactions');
            await page.locator(`${sel('transaction-row')}[data-payment-id="${p1.id}"]`).waitFor();
            for (const [p, status, code, description] of [
                [p1, 'failed', 'CARD_DECLINED', 'Declined by the bank'],
                [p2, 'failed', 'INSUFFICIENT_FUNDS', 'Insufficient funds'],
                [p3, 'success', null, null]]) {
                const cell = page.locator(`${sel('transaction-row')}[data-payment-id="${p.id}"] td${sel('status')}`);
                assert.equal((await cell.textContent()).trim(), status, 'the cell text is the status');
                assert.equal(await cell.getAttribute('data-error-code'), code);
                assert.equal(await cell.getAttribute('title'), description);
                const shown = await cell.evaluate((el) => getComputedStyle(el, '::after').content);
                if (code) assert.ok(shown.includes(code), `${code} is shown (${shown})`);
                else assert.ok(shown === 'none' || shown === 'normal', `nothing shown beside success (${shown})`);
            }
            await screenshot(page, 'dashboard-transactions-error-code.png');
            assert.deepEqual(page.errors, []);
        } finally {
            await context.close();
        }
    });
});
