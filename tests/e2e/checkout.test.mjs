// Hosted checkout (SPEC 14): UPI and card success, failure and Try Again,
// validation errors, unknown order, 320 px layout, the merchant's name (issue 14).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TEST_MERCHANT, env, launchBrowser, makeApi, newPage, sel, text, withWorker } from './lib/gw.mjs';

const api = makeApi('10.77.5.1');
let browser;

before(async () => {
    browser = await launchBrowser();
});
after(async () => {
    await browser?.close();
});

async function openCheckout(amount = 50000, viewport) {
    const order = await api.createOrder(TEST_MERCHANT, amount);
    const { context, page } = await newPage(browser, viewport ? { viewport } : {});
    await page.goto(`${env.checkout}/checkout?order_id=${order.id}`);
    await page.locator(sel('payment-methods')).waitFor({ state: 'visible' });
    return { order, context, page };
}


async function payUpi(page, vpa) {
    await page.click(sel('method-upi'));
    await page.fill(sel('vpa-input'), vpa);
    await page.locator(`form${sel('upi-form')} button${sel('pay-button')}[type=submit]`).click();
}

async function payCard(page, { number = '4111111111111111', expiry = '12/30', cvv = '123', name = 'E2E Tester' } = {}) {
    await page.click(sel('method-card'));
    await page.fill(sel('card-number-input'), number);
    await page.fill(sel('expiry-input'), expiry);
    await page.fill(sel('cvv-input'), cvv);
    await page.fill(sel('cardholder-name-input'), name);
    await page.locator(`form${sel('card-form')} button${sel('pay-button')}[type=submit]`).click();
}

describe('hosted checkout', { timeout: 180000 }, () => {
    it('loads the order summary with the methods and hidden forms', async () => {
        const { order, context, page } = await openCheckout(12345678);
        try {
            const c = page.locator(`div${sel('checkout-container')}`);
            assert.equal((await c.locator(`div${sel('order-summary')} h2`).textContent()).trim(), 'Complete Payment');
            assert.equal(await text(page, 'order-amount'), '₹1,23,456.78');
            assert.equal(await text(page, 'order-id'), order.id);
            // (issue 14) The shopper sees whom they pay: the public order's merchant_name.
            assert.equal(await text(page, 'merchant-name'), 'Test Merchant');
            assert.equal(await page.locator(sel('merchant-name')).isVisible(), true);
            assert.equal(await page.locator(`button${sel('method-upi')}[data-method=upi]`).textContent(), 'UPI');
            assert.equal(await page.locator(`button${sel('method-card')}[data-method=card]`).textContent(), 'Card');
            assert.equal(await page.locator(sel('upi-form')).isVisible(), false);
            assert.equal(await page.locator(sel('card-form')).isVisible(), false);
            await page.click(sel('method-card'));
            assert.equal(await page.locator(sel('card-form')).isVisible(), true);
            assert.equal(await page.locator(sel('upi-form')).isVisible(), false);
            for (const [id, ph] of [['card-number-input', 'Card Number'], ['expiry-input', 'MM/YY'], ['cvv-input', 'CVV'], ['cardholder-name-input', 'Name on Card']]) {
                assert.equal(await page.locator(sel(id)).getAttribute('placeholder'), ph);
            }
            assert.equal((await page.locator(`form${sel('card-form')} ${sel('pay-button')}`).textContent()).trim(), 'Pay ₹1,23,456.78');
            await page.click(sel('method-upi'));
            assert.equal(await page.locator(sel('upi-form')).isVisible(), true);
            assert.equal(await page.locator(sel('card-form')).isVisible(), false);
            assert.equal(await page.locator(sel('vpa-input')).getAttribute('placeholder'), 'username@bank');
        } finally {
            await context.close();
        }
    });

    it('a UPI payment reaches the success state', async () => {
        const { order, context, page } = await openCheckout(50000);
        try {
            assert.equal((await page.locator(`form${sel('upi-form')} ${sel('pay-button')}`).textContent()).trim(), 'Pay ₹500');
            await payUpi(page, 'user@paytm');
            await page.locator(sel('processing-state')).waitFor({ state: 'visible' });
            assert.equal(await text(page, 'processing-message'), 'Processing payment...');
            assert.equal(await page.locator(`${sel('processing-state')} div.spinner`).count(), 1);
            await page.locator(sel('success-state')).waitFor({ state: 'visible', timeout: 20000 });
            assert.equal((await page.locator(`${sel('success-state')} h2`).textContent()).trim(), 'Payment Successful!');
            assert.equal(await text(page, 'success-message'), 'Your payment has been processed successfully');
            const paymentId = await text(page, 'payment-id');
            assert.match(paymentId, /^pay_[A-Za-z0-9]{16}$/);
            const p = await api.ok('GET', `/api/v1/payments/${paymentId}`, { creds: TEST_MERCHANT });
            assert.equal(p.status, 'success');
            assert.equal(p.order_id, order.id);
            assert.equal(p.vpa, 'user@paytm');
            assert.equal(await page.locator(sel('processing-state')).isVisible(), false);
            assert.deepEqual(page.errors, []);
        } finally {
            await context.close();
        }
    });

    it('a card payment reaches the success state (MM/YY split, number as typed)', async () => {
        const { context, page } = await openCheckout(75050);
        try {
            assert.equal((await page.locator(`form${sel('card-form')} ${sel('pay-button')}`).textContent()).trim(), 'Pay ₹750.50');
            await payCard(page, { number: '4111 1111 1111 1111', expiry: '12/30' });
            await page.locator(sel('success-state')).waitFor({ state: 'visible', timeout: 20000 });
            const p = await api.ok('GET', `/api/v1/payments/${await text(page, 'payment-id')}`, { creds: TEST_MERCHANT });
            assert.equal(p.method, 'card');
            assert.equal(p.card_network, 'visa');
            assert.equal(p.card_last4, '1111');
            assert.equal(p.status, 'success');
        } finally {
            await context.close();
        }
    });

    it('(v2) a reload after success shows already-paid and no method buttons or forms', async () => {
        const { order, context, page } = await openCheckout(50000);
        try {
            await payUpi(page, 'user@paytm');
            await page.locator(sel('success-state')).waitFor({ state: 'visible', timeout: 20000 });
            const paymentId = await text(page, 'payment-id');
            await page.reload();
            const paid = page.locator(`div${sel('already-paid')}`);
            await paid.waitFor({ state: 'visible' });
            assert.equal((await paid.textContent()).trim(), 'This order has already been paid');
            assert.equal(await text(page, 'order-id'), order.id);
            for (const id of ['payment-methods', 'method-upi', 'method-card', 'upi-form', 'card-form', 'pay-button',
                'processing-state', 'success-state', 'error-state']) {
                assert.equal(await page.locator(sel(id)).first().isVisible(), false, `${id} hidden`);
            }
            assert.equal(await page.locator('button:visible, form:visible, input:visible').count(), 0,
                'no visible button, form or input');
            assert.deepEqual(page.errors, []);
            const o = await api.ok('GET', `/api/v1/orders/${order.id}`, { creds: TEST_MERCHANT });
            assert.equal(o.status, 'paid');
            const all = await api.ok('GET', `/api/v1/payments?limit=100`, { creds: TEST_MERCHANT });
            assert.deepEqual(all.data.filter((p) => p.order_id === order.id).map((p) => p.id), [paymentId],
                'one payment on the order');
        } finally {
            await context.close();
        }
    });

    it('invalid VPA and invalid card show their errors; Try Again returns to the methods with cleared forms', async () => {
        const { context, page } = await openCheckout(50000);
        try {
            await payUpi(page, 'user @paytm');
            await page.locator(sel('error-state')).waitFor({ state: 'visible' });
            assert.equal((await page.locator(`${sel('error-state')} h2`).textContent()).trim(), 'Payment Failed');
            assert.equal(await text(page, 'error-message'), 'VPA format invalid');
            assert.equal(await page.locator(sel('retry-button')).textContent(), 'Try Again');
            await page.click(sel('retry-button'));
            await page.locator(sel('payment-methods')).waitFor({ state: 'visible' });
            assert.equal(await page.locator(sel('error-state')).isVisible(), false);
            assert.equal(await page.locator(sel('upi-form')).isVisible(), false);
            assert.equal(await page.locator(sel('card-form')).isVisible(), false);
            await page.click(sel('method-upi'));
            assert.equal(await page.locator(sel('vpa-input')).inputValue(), '');

            await payCard(page, { number: '4111111111111112' });
            await page.locator(sel('error-state')).waitFor({ state: 'visible' });
            assert.equal(await text(page, 'error-message'), 'Card validation failed');
            await page.click(sel('retry-button'));
            await page.click(sel('method-card'));
            assert.equal(await page.locator(sel('card-number-input')).inputValue(), '');
            assert.equal(await page.locator(sel('cvv-input')).inputValue(), '');

            await payCard(page, { expiry: '01/20' });
            await page.locator(sel('error-state')).waitFor({ state: 'visible' });
            assert.equal(await text(page, 'error-message'), 'Card expiry date invalid');
        } finally {
            await context.close();
        }
    });

    it('an unknown or missing order shows Order not found without a retry button', async () => {
        const { context, page } = await newPage(browser);
        try {
            for (const q of ['?order_id=order_DoesNotExist0000', '?order_id=nope', '']) {
                await page.goto(`${env.checkout}/checkout${q}`);
                await page.locator(sel('error-state')).waitFor({ state: 'visible' });
                assert.equal(await text(page, 'error-message'), 'Order not found');
                assert.equal(await page.locator(sel('retry-button')).isVisible(), false);
                assert.equal(await page.locator(sel('payment-methods')).isVisible(), false);
            }
        } finally {
            await context.close();
        }
    });

    it('is usable at 320 px wide', async () => {
        const { context, page } = await openCheckout(12345678, { width: 320, height: 640 });
        try {
            const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
            assert.ok((await overflow()) <= 0, 'no horizontal scroll with the methods');
            await page.click(sel('method-card'));
            assert.ok((await overflow()) <= 0, 'no horizontal scroll with the card form');
            for (const id of ['card-number-input', 'expiry-input', 'cvv-input', 'cardholder-name-input']) {
                const box = await page.locator(sel(id)).boundingBox();
                assert.ok(box.x >= 0 && box.x + box.width <= 320 && box.width >= 80, `${id} fits: ${JSON.stringify(box)}`);
            }
            await payCard(page);
            await page.locator(sel('success-state')).waitFor({ state: 'visible', timeout: 20000 });
            const box = await page.locator(sel('payment-id')).boundingBox();
            assert.ok(box.x + box.width <= 320);
        } finally {
            await context.close();
        }
    });

    it('with TEST_PAYMENT_SUCCESS=false the payment reaches the error state and Try Again returns to the methods', async () => {
        await withWorker(['TEST_PAYMENT_SUCCESS=false'], async () => {
            const { context, page } = await openCheckout(50000);
            try {
                await payUpi(page, 'user@paytm');
                await page.locator(sel('processing-state')).waitFor({ state: 'visible' });
                await page.locator(sel('error-state')).waitFor({ state: 'visible', timeout: 20000 });
                assert.equal(await text(page, 'error-message'), 'Payment could not be processed');
                await page.click(sel('retry-button'));
                await page.locator(sel('method-upi')).waitFor({ state: 'visible' });
                assert.equal(await page.locator(sel('error-state')).isVisible(), false);
                assert.equal(await page.locator(sel('upi-form')).isVisible(), false);
            } finally {
                await context.close();
            }
        });
    });
});
