// checkout.js SDK on a merchant page of another origin (SPEC 15, 14 embedded mode).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
    TEST_MERCHANT, env, launchBrowser, makeApi, newPage, screenshot, sel, startServer, waitUntil,
} from './lib/gw.mjs';

const api = makeApi('10.77.6.1');
let browser;
let merchantSite;
let foreignSite;

const merchantPage = (orderId) => `<!doctype html>
<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Merchant shop</title>
<style>
  body { margin: 0; font: 16px/1.5 system-ui, sans-serif; color: #1f2430; background: #f7f7fb; }
  header { padding: 1rem 2rem; background: #fff; border-bottom: 1px solid #e5e7eb; font-weight: 700; font-size: 1.2rem; }
  main { max-width: 720px; margin: 3rem auto; padding: 0 1.5rem; display: flex; gap: 2rem; align-items: center; flex-wrap: wrap; }
  .product { width: 220px; height: 220px; border-radius: 16px; background: linear-gradient(135deg, #fde68a, #f59e0b); }
  .info { flex: 1; min-width: 220px; }
  h1 { margin: 0 0 .5rem; font-size: 1.6rem; }
  .price { font-size: 1.4rem; font-weight: 700; margin: 0 0 1rem; }
  #buy { font: inherit; font-weight: 600; padding: .75rem 1.5rem; border: 0; border-radius: 10px; background: #111827; color: #fff; cursor: pointer; }
</style>
<script src="${env.checkout}/checkout.js"></script></head>
<body><header>Merchant shop</header>
<main><div class="product"></div><div class="info"><h1>Sunrise Ceramic Mug</h1><p class="price">₹500</p>
<p>Hand-glazed stoneware, 350 ml.</p><button id="buy">Buy now</button></div></main>
<script>
  window.events = [];
  window.gateway = new PaymentGateway({
    key: ${JSON.stringify(TEST_MERCHANT.api_key)},
    orderId: ${JSON.stringify(orderId)},
    onSuccess: function (response) { window.events.push({ type: 'success', data: response }); },
    onFailure: function (error) { window.events.push({ type: 'failure', data: error }); },
    onClose: function () { window.events.push({ type: 'close' }); }
  });
  document.getElementById('buy').addEventListener('click', function () { window.gateway.open(); });
</script></body></html>`;

before(async () => {
    browser = await launchBrowser();
    merchantSite = await startServer((req, res) => {
        const u = new URL(req.url, 'http://x');
        res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
        res.end(merchantPage(u.searchParams.get('order') || ''));
    });
    // a third origin that tries to forge SDK messages to its parent
    foreignSite = await startServer((req, res) => {
        res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
        res.end('<!doctype html><title>foreign</title><p>foreign frame</p>');
    });
});
after(async () => {
    await browser?.close();
    await merchantSite?.close();
    await foreignSite?.close();
});

async function shop(orderId, viewport) {
    const { context, page } = await newPage(browser, viewport ? { viewport } : {});
    await page.goto(`${merchantSite.origin}/?order=${orderId}`);
    await page.waitForFunction(() => typeof window.PaymentGateway === 'function');
    return { context, page };
}

describe('checkout.js SDK', { timeout: 180000 }, () => {
    it('is served as JavaScript and validates its options', async () => {
        const res = await fetch(`${env.checkout}/checkout.js`);
        assert.equal(res.status, 200);
        assert.match(res.headers.get('content-type'), /^application\/javascript/);
        assert.equal(res.headers.get('access-control-allow-origin'), '*');
        const { context, page } = await shop('order_x');
        try {
            const errors = await page.evaluate(() => {
                const out = [];
                for (const opts of [{}, { key: 'k' }, { orderId: 'o' }, undefined]) {
                    try {
                        new window.PaymentGateway(opts);
                        out.push('no error');
                    } catch (e) {
                        out.push(e instanceof Error ? 'Error' : 'other');
                    }
                }
                return out;
            });
            assert.deepEqual(errors, ['Error', 'Error', 'Error', 'Error']);
        } finally {
            await context.close();
        }
    });

    it('opens the modal, pays inside the iframe, calls onSuccess with paymentId and closes', async () => {
        const order = await api.createOrder(TEST_MERCHANT, 50000);
        const { context, page } = await shop(order.id);
        try {
            await page.click('#buy');
            const modal = page.locator(`div#payment-gateway-modal${sel('payment-modal')}`);
            await modal.waitFor();
            const iframe = modal.locator(`div.modal-overlay > div.modal-content > iframe${sel('payment-iframe')}`);
            const src = new URL(await iframe.getAttribute('src'));
            assert.equal(src.origin, env.checkout);
            assert.equal(src.pathname, '/checkout');
            assert.equal(src.searchParams.get('order_id'), order.id);
            assert.equal(src.searchParams.get('embedded'), 'true');
            assert.equal(src.searchParams.get('origin'), merchantSite.origin);
            assert.ok((await iframe.getAttribute('src')).includes('origin=' + encodeURIComponent(merchantSite.origin)));
            assert.equal(await modal.locator(`button${sel('close-modal-button')}.close-button`).textContent(), '×');
            // open() while open is a no-op
            await page.evaluate(() => window.gateway.open());
            assert.equal(await page.locator('#payment-gateway-modal').count(), 1);

            const frame = page.frameLocator(sel('payment-iframe'));
            await frame.locator(sel('method-upi')).waitFor();
            assert.equal((await frame.locator(sel('order-amount')).textContent()).trim(), '₹500.00');
            await screenshot(page, 'checkout-sdk-modal.png');
            await frame.locator(sel('method-upi')).click();
            await frame.locator(sel('vpa-input')).fill('user@paytm');
            await frame.locator(`form${sel('upi-form')} ${sel('pay-button')}`).click();
            const events = await waitUntil(async () => {
                const ev = await page.evaluate(() => window.events);
                return ev.some((e) => e.type === 'close') ? ev : null;
            }, { timeout: 25000, what: 'onSuccess and onClose' });
            assert.equal(events[0].type, 'success');
            assert.match(events[0].data.paymentId, /^pay_[A-Za-z0-9]{16}$/);
            assert.deepEqual(events[0].data, {
                paymentId: events[0].data.paymentId,
                orderId: order.id,
                amount: 50000,
                currency: 'INR',
                status: 'success',
            });
            assert.deepEqual(events.map((e) => e.type), ['success', 'close']);
            assert.equal(await page.locator('#payment-gateway-modal').count(), 0);
            const p = await api.ok('GET', `/api/v1/payments/${events[0].data.paymentId}`, { creds: TEST_MERCHANT });
            assert.equal(p.status, 'success');
            assert.deepEqual(page.errors, []);
        } finally {
            await context.close();
        }
    });

    it('a rejected payment calls onFailure and keeps the modal open', async () => {
        const order = await api.createOrder(TEST_MERCHANT, 50000);
        const { context, page } = await shop(order.id);
        try {
            await page.click('#buy');
            const frame = page.frameLocator(sel('payment-iframe'));
            await frame.locator(sel('method-upi')).click();
            await frame.locator(sel('vpa-input')).fill('bad vpa');
            await frame.locator(`form${sel('upi-form')} ${sel('pay-button')}`).click();
            const events = await waitUntil(async () => {
                const ev = await page.evaluate(() => window.events);
                return ev.length ? ev : null;
            }, { what: 'onFailure' });
            assert.deepEqual(events, [{
                type: 'failure',
                data: { paymentId: null, orderId: order.id, status: 'failed', errorCode: 'INVALID_VPA', errorDescription: 'VPA format invalid' },
            }]);
            assert.equal(await page.locator(sel('payment-modal')).count(), 1);
        } finally {
            await context.close();
        }
    });

    it('the modal is an accessible modal dialog: named parts, inert background, focus in and back, Escape on the page', async () => {
        const order = await api.createOrder(TEST_MERCHANT, 50000);
        const { context, page } = await shop(order.id);
        try {
            await page.focus('#buy');
            await page.click('#buy');
            await page.frameLocator(sel('payment-iframe')).locator(sel('method-upi')).waitFor();
            const dialog = page.getByRole('dialog', { name: 'Payment' });
            assert.equal(await dialog.count(), 1);
            assert.equal(await dialog.getAttribute('aria-modal'), 'true');
            assert.equal(await page.locator(sel('payment-iframe')).getAttribute('title'), 'Payment checkout');
            assert.equal(await page.getByRole('button', { name: 'Close payment' }).count(), 1);
            // the merchant's page behind is inert: not focusable, not clickable, hidden from AT
            assert.deepEqual(await page.evaluate(() => [document.querySelector('header').inert,
                document.querySelector('main').inert, document.getElementById('payment-gateway-modal').inert]),
            [true, true, false]);
            assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-test-id')), 'payment-iframe');
            // Escape with the focus on the merchant's page (not in the iframe) closes it too
            await page.evaluate(() => document.getElementById('payment-gateway-modal').querySelector('button').focus());
            await page.keyboard.press('Escape');
            await page.locator(sel('payment-modal')).waitFor({ state: 'detached' });
            assert.deepEqual(await page.evaluate(() => window.events), [{ type: 'close' }]);
            assert.deepEqual(await page.evaluate(() => [document.querySelector('main').inert, document.activeElement?.id]),
                [false, 'buy']);
        } finally {
            await context.close();
        }
    });

    it('the close button and Escape in the checkout close the modal and call onClose', async () => {
        const order = await api.createOrder(TEST_MERCHANT, 50000);
        const { context, page } = await shop(order.id);
        try {
            await page.click('#buy');
            await page.frameLocator(sel('payment-iframe')).locator(sel('method-upi')).waitFor();
            await page.click(sel('close-modal-button'));
            assert.equal(await page.locator(sel('payment-modal')).count(), 0);
            assert.deepEqual(await page.evaluate(() => window.events), [{ type: 'close' }]);

            await page.click('#buy');
            const frame = page.frameLocator(sel('payment-iframe'));
            await frame.locator(sel('method-upi')).click();
            await page.keyboard.press('Escape');
            await page.locator(sel('payment-modal')).waitFor({ state: 'detached' });
            assert.deepEqual(await page.evaluate(() => window.events), [{ type: 'close' }, { type: 'close' }]);
        } finally {
            await context.close();
        }
    });

    it('ignores messages from foreign origins and from other windows of the checkout origin', async () => {
        const order = await api.createOrder(TEST_MERCHANT, 50000);
        const { context, page } = await shop(order.id);
        try {
            await page.click('#buy');
            await page.frameLocator(sel('payment-iframe')).locator(sel('method-upi')).waitFor();
            const forged = { type: 'payment_success', data: { paymentId: 'pay_FORGEDFORGEDFORG', orderId: order.id, amount: 1, currency: 'INR', status: 'success' } };
            // 1. the merchant page itself (wrong origin)
            await page.evaluate((msg) => window.postMessage(msg, '*'), forged);
            // 2. a frame of a third origin
            // 3. another frame of the checkout origin that is not the SDK's iframe
            await page.evaluate(({ foreign, checkout }) => {
                for (const [name, src] of [['foreign', foreign], ['sibling', checkout]]) {
                    const f = document.createElement('iframe');
                    f.name = name;
                    f.src = src;
                    document.body.appendChild(f);
                }
            }, { foreign: foreignSite.origin + '/', checkout: env.checkout + '/' });
            for (const name of ['foreign', 'sibling']) {
                const f = await waitUntil(() => {
                    const fr = page.frame({ name });
                    return fr && fr.url() !== 'about:blank' ? fr : null;
                }, { what: `${name} frame` });
                await f.waitForLoadState('load');
                await f.evaluate((msg) => {
                    window.parent.postMessage(msg, '*');
                    window.parent.postMessage({ type: 'close_modal', data: null }, '*');
                }, forged);
            }
            await page.evaluate(() => window.postMessage({ type: 'close_modal', data: null }, '*'));
            await page.waitForTimeout(1000);
            assert.deepEqual(await page.evaluate(() => window.events), []);
            assert.equal(await page.locator(sel('payment-modal')).count(), 1);
        } finally {
            await context.close();
        }
    });

    it('is full-screen below 600 px', async () => {
        const order = await api.createOrder(TEST_MERCHANT, 50000);
        const { context, page } = await shop(order.id, { width: 375, height: 700 });
        try {
            await page.click('#buy');
            const box = await page.locator('#payment-gateway-modal .modal-content').boundingBox();
            assert.deepEqual([Math.round(box.x), Math.round(box.y), Math.round(box.width), Math.round(box.height)], [0, 0, 375, 700]);
            await page.frameLocator(sel('payment-iframe')).locator(sel('method-upi')).waitFor();
        } finally {
            await context.close();
        }
    });
});
