// Accessibility of the shopper's and the merchant's first pages (issue 14): a `main` landmark on
// the checkout, the 3-D Secure page and the login page, an h1 on the checkout, and WCAG AA
// contrast for muted text (>= 4.5:1) and for the keyboard focus indicator (>= 3:1, WCAG 1.4.11),
// computed from the styles the browser applied.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TEST_MERCHANT, env, launchBrowser, makeApi, newPage, sel } from './lib/gw.mjs';

const api = makeApi('10.77.14.1');
let browser;

before(async () => {
    browser = await launchBrowser();
});
after(async () => {
    await browser?.close();
});

/* In the page: the contrast ratio of a colour over the first opaque background behind an element. */
function contrastInPage([selector, prop]) {
    const rgb = (s) => (s.match(/[\d.]+/g) || []).map(Number);
    const lum = ([r, g, b]) => {
        const f = (c) => {
            const v = c / 255;
            return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
        };
        return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    const el = document.querySelector(selector);
    if (!el) return null;
    const fg = rgb(getComputedStyle(el)[prop]);
    let bg = [255, 255, 255];
    for (let n = el; n; n = n.parentElement) {
        const c = rgb(getComputedStyle(n).backgroundColor);
        if (c.length >= 3 && (c.length === 3 || c[3] > 0.9)) {
            bg = c;
            break;
        }
    }
    const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
    return (a + 0.05) / (b + 0.05);
}

describe('accessibility: landmarks, headings and contrast (issue 14)', { timeout: 120000 }, () => {
    it('checkout: one main landmark holding the container, an h1, muted text and focus ring in contrast', async () => {
        const order = await api.createOrder(TEST_MERCHANT, 50000);
        const { context, page } = await newPage(browser);
        try {
            await page.goto(`${env.checkout}/checkout?order_id=${order.id}`);
            await page.locator(sel('payment-methods')).waitFor({ state: 'visible' });
            assert.equal(await page.getByRole('main').count(), 1);
            assert.equal(await page.locator(`main ${sel('checkout-container')}`).count(), 1);
            assert.equal(await page.getByRole('heading', { level: 1 }).count(), 1);
            const label = await page.evaluate(contrastInPage, ['.summary-row .label', 'color']);
            assert.ok(label >= 4.5, `muted label contrast ${label?.toFixed(2)} >= 4.5`);
            await page.click(sel('method-upi'));
            await page.focus(sel('vpa-input'));
            const ring = await page.evaluate(contrastInPage, [`${sel('vpa-input')}`, 'outlineColor']);
            assert.ok(ring >= 3, `focus ring contrast ${ring?.toFixed(2)} >= 3`);
        } finally {
            await context.close();
        }
    });

    it('3-D Secure page: a main landmark', async () => {
        const { context, page } = await newPage(browser);
        try {
            await page.goto(`${env.checkout}/checkout/3ds?payment_id=pay_0000000000000000`);
            await page.locator(sel('threeds-container')).waitFor({ state: 'attached' });
            assert.equal(await page.getByRole('main').count(), 1);
        } finally {
            await context.close();
        }
    });

    it('dashboard login: a main landmark, an h1, muted text and focus ring in contrast', async () => {
        const { context, page } = await newPage(browser);
        try {
            await page.goto(`${env.dashboard}/login`);
            await page.locator(sel('login-form')).waitFor({ state: 'visible' });
            assert.equal(await page.getByRole('main').count(), 1);
            assert.equal(await page.locator(`main ${sel('login-form')}`).count(), 1);
            assert.equal(await page.getByRole('heading', { level: 1 }).count(), 1);
            const label = await page.evaluate(contrastInPage, ['label[for=email]', 'color']);
            assert.ok(label >= 4.5, `label contrast ${label?.toFixed(2)} >= 4.5`);
            await page.focus(sel('email-input'));
            const ring = await page.evaluate(contrastInPage, [`${sel('email-input')}`, 'outlineColor']);
            assert.ok(ring >= 3, `focus ring contrast ${ring?.toFixed(2)} >= 3`);
        } finally {
            await context.close();
        }
    });
});
