// (v2) SPEC 22 in the browser: the sandbox bank's 3-D Secure challenge (card 4000000000003220) in
// the hosted checkout (the challenge page in an iframe of the checkout) and in the SDK modal (the
// SDK shows the challenge page over the checkout, which keeps polling); approve -> success,
// deny -> failed AUTHENTICATION_FAILED; the page itself on the TLS listener.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
    TEST_MERCHANT, env, launchBrowser, makeApi, newPage, screenshot, sel, startServer, waitUntil,
} from './lib/gw.mjs';

const api = makeApi('10.77.9.1');
const THREEDS = '4000000000003220';
let browser;
let merchantSite;

const merchantPage = (orderId) => `<!doctype html>
<html><head><meta charset="utf-8"><title>Merchant shop</title>
<script src="${env.checkout}/checkout.js"></script></head>
<body><button id="buy">Buy now</button>
<script>
  window.events = [];
  window.gateway = new PaymentGateway({
    key: ${JSON.stringify(TEST_MERCHANT.api_key)},
    orderId: ${JSON.stringify(orderId)},
    onSuccess: function (r) { window.events.push({ type: 'success', data: r }); },
    onFailure: function (e) { window.events.push({ type: 'failure', data: e }); },
    onRequiresAction: function (a) { window.events.push({ type: 'requires_action', data: a }); },
    onClose: function () { window.events.push({ type: 'close' }); }
  });
  document.getElementById('buy').addEventListener('click', function () { window.gateway.open(); });
</script></body></html>`;

function expiry() {
    const d = new Date();
    return `12/${String((d.getUTCFullYear() + 2) % 100).padStart(2, '0')}`;
}

async function payCard(scope, number) {
    await scope.locator(sel('method-card')).click();
    await scope.locator(sel('card-number-input')).fill(number);
    await scope.locator(sel('expiry-input')).fill(expiry());
    await scope.locator(sel('cvv-input')).fill('123');
    await scope.locator(sel('cardholder-name-input')).fill('Asha Rao');
    await scope.locator(`form${sel('card-form')} button${sel('pay-button')}[type=submit]`).click();
}

async function latestPayment(orderId) {
    const list = await api.ok('GET', '/api/v1/payments?limit=20', { creds: TEST_MERCHANT });
    return list.data.find((p) => p.order_id === orderId);
}

before(async () => {
    browser = await launchBrowser();
    merchantSite = await startServer((req, res) => {
        const u = new URL(req.url, 'http://x');
        res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
        res.end(merchantPage(u.searchParams.get('order') || ''));
    });
});
after(async () => {
    await browser?.close();
    await merchantSite?.close();
});

describe('sandbox bank: 3-D Secure in the browser (SPEC 22)', { timeout: 240000 }, () => {
    for (const result of ['approve', 'deny']) {
        it(`hosted checkout: the challenge shows in the page; ${result}`, async () => {
            const order = await api.createOrder(TEST_MERCHANT, 50000);
            const { context, page } = await newPage(browser);
            try {
                await page.goto(`${env.checkout}/checkout?order_id=${order.id}`);
                await payCard(page, THREEDS);
                const frameEl = page.locator(`${sel('processing-state')} iframe${sel('threeds-iframe')}`);
                await frameEl.waitFor();
                const src = new URL(await frameEl.getAttribute('src'));
                assert.equal(src.origin, env.checkout);
                assert.equal(src.pathname, '/checkout/3ds');
                const challenge = page.frameLocator(sel('threeds-iframe'));
                await challenge.locator(sel('threeds-approve')).waitFor();
                assert.equal((await challenge.locator(sel('threeds-amount')).textContent()).trim(), '₹500.00');
                assert.equal((await page.locator(sel('processing-message')).textContent()).trim(),
                    'Waiting for 3-D Secure authentication...');
                const pending = await latestPayment(order.id);
                assert.equal(pending.status, 'requires_action');
                if (result === 'approve') await screenshot(page, 'checkout-3ds-challenge.png');
                await challenge.locator(sel(`threeds-${result}`)).click();
                if (result === 'approve') {
                    await page.locator(sel('success-state')).waitFor({ timeout: 20000 });
                    assert.equal((await page.locator(sel('payment-id')).textContent()).trim(), pending.id);
                } else {
                    await page.locator(sel('error-state')).waitFor({ timeout: 20000 });
                    assert.equal((await page.locator(sel('error-message')).textContent()).trim(),
                        'Payment could not be processed');
                }
                assert.equal(await page.locator(sel('threeds-iframe')).count(), 0, 'challenge removed');
                const p = await api.ok('GET', `/api/v1/payments/${pending.id}`, { creds: TEST_MERCHANT });
                assert.equal(p.status, result === 'approve' ? 'success' : 'failed');
                if (result === 'deny') assert.equal(p.error_code, 'AUTHENTICATION_FAILED');
                assert.deepEqual(page.errors, []);
            } finally {
                await context.close();
            }
        });
    }

    for (const result of ['approve', 'deny']) {
        it(`SDK modal: the challenge shows over the checkout; ${result}`, async () => {
            const order = await api.createOrder(TEST_MERCHANT, 50000);
            const { context, page } = await newPage(browser);
            try {
                await page.goto(`${merchantSite.origin}/?order=${order.id}`);
                await page.waitForFunction(() => typeof window.PaymentGateway === 'function');
                await page.click('#buy');
                const checkout = page.frameLocator(sel('payment-iframe'));
                await payCard(checkout, THREEDS);
                const frameEl = page.locator(`${sel('payment-modal')} .modal-content > iframe${sel('threeds-iframe')}`);
                await frameEl.waitFor();
                const src = new URL(await frameEl.getAttribute('src'));
                assert.equal(src.origin, env.checkout);
                assert.equal(src.pathname, '/checkout/3ds');
                assert.equal(src.searchParams.get('embedded'), 'true');
                const challenge = page.frameLocator(sel('threeds-iframe'));
                await challenge.locator(sel(`threeds-${result}`)).waitFor();
                const ra = await page.evaluate(() => window.events);
                assert.equal(ra.length, 1);
                assert.equal(ra[0].type, 'requires_action');
                assert.equal(ra[0].data.status, 'requires_action');
                assert.equal(ra[0].data.orderId, order.id);
                assert.equal(ra[0].data.nextAction.url, src.href.replace(/&embedded=true$/, ''));
                const paymentId = ra[0].data.paymentId;
                if (result === 'approve') await screenshot(page, 'checkout-sdk-3ds.png');
                await challenge.locator(sel(`threeds-${result}`)).click();
                if (result === 'approve') {
                    const events = await waitUntil(async () => {
                        const ev = await page.evaluate(() => window.events);
                        return ev.some((e) => e.type === 'close') ? ev : null;
                    }, { timeout: 25000, what: 'onSuccess and onClose' });
                    assert.deepEqual(events.map((e) => e.type), ['requires_action', 'success', 'close']);
                    assert.deepEqual(events[1].data, {
                        paymentId, orderId: order.id, amount: 50000, currency: 'INR', status: 'success',
                    });
                    assert.equal(await page.locator('#payment-gateway-modal').count(), 0);
                } else {
                    const events = await waitUntil(async () => {
                        const ev = await page.evaluate(() => window.events);
                        return ev.some((e) => e.type === 'failure') ? ev : null;
                    }, { timeout: 25000, what: 'onFailure' });
                    assert.deepEqual(events.map((e) => e.type), ['requires_action', 'failure']);
                    assert.deepEqual(events[1].data, {
                        paymentId, orderId: order.id, status: 'failed', errorCode: 'AUTHENTICATION_FAILED',
                        errorDescription: '3-D Secure authentication failed',
                    });
                    assert.equal(await page.locator(sel('payment-modal')).count(), 1, 'the modal stays');
                    assert.equal(await page.locator(sel('threeds-iframe')).count(), 0, 'challenge removed');
                    await checkout.locator(sel('retry-button')).waitFor();
                }
                assert.deepEqual(page.errors, []);
            } finally {
                await context.close();
            }
        });
    }

    it('the challenge page is served on the TLS listener too', async () => {
        const order = await api.createOrder(TEST_MERCHANT, 12300);
        const p = await api.ok('POST', '/api/v1/payments', {
            creds: TEST_MERCHANT,
            body: { order_id: order.id, method: 'card', card: { number: THREEDS, expiry_month: '12', expiry_year: String(new Date().getUTCFullYear() + 2), cvv: '123', holder_name: 'A' } },
        });
        assert.equal(p.status, 'requires_action');
        const { context, page } = await newPage(browser, { ignoreHTTPSErrors: true });
        try {
            await page.goto(`${env.tls}${p.next_action.url}`);
            await page.locator(sel('threeds-approve')).waitFor();
            assert.equal((await page.locator(sel('threeds-amount')).textContent()).trim(), '₹123.00');
            await page.click(sel('threeds-approve'));
            await page.locator(`${sel('threeds-result')}:not([hidden])`).waitFor();
            assert.equal((await page.locator(sel('threeds-result')).textContent()).trim(), 'Authentication approved');
            await waitUntil(async () => (await api.ok('GET', `/api/v1/payments/${p.id}`, { creds: TEST_MERCHANT })).status === 'success',
                { timeout: 20000, what: 'success after approval' });
            await page.reload();
            await page.locator(`${sel('threeds-result')}:not([hidden])`).waitFor();
            assert.equal((await page.locator(sel('threeds-result')).textContent()).trim(), 'This challenge is no longer pending');
        } finally {
            await context.close();
        }
    });
});
