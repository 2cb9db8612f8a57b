// Dashboard login, session, deep links, logout, docs and framing (SPEC 2.2, 13.1, 13.5).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
    TEST_MERCHANT, createMerchant, env, launchBrowser, login, loginUi, makeApi, newPage, psql, sel, startServer, text,
    waitUntil,
} from './lib/gw.mjs';

const api = makeApi('10.77.1.1');
let browser;

before(async () => {
    browser = await launchBrowser();
});
after(async () => {
    await browser?.close();
});

describe('dashboard login and session', { timeout: 120000 }, () => {
    it('/ goes to /login, which shows the form and the test-merchant hint', async () => {
        const { context, page } = await newPage(browser);
        try {
            await page.goto(env.dashboard + '/');
            await page.waitForURL((u) => new URL(u).pathname === '/login');
            const form = page.locator(`form${sel('login-form')}`);
            await form.waitFor();
            assert.equal(await form.locator(`input${sel('email-input')}[type=email]`).count(), 1);
            assert.equal(await form.locator(`input${sel('password-input')}[type=password]`).count(), 1);
            assert.equal((await form.locator(`button${sel('login-button')}`).textContent()).trim(), 'Login');
            // TEST_MODE=true here: the page asks GET /api/v1/dashboard/config and shows the hint
            const hint = page.locator(sel('login-hint'));
            await hint.waitFor({ state: 'visible' });
            assert.match(await hint.textContent(), /test@example\.com.*any password/);
            assert.deepEqual(page.errors, []);
        } finally {
            await context.close();
        }
    });

    it('an operator-created merchant needs its password; the test merchant takes any password', async () => {
        const m = await createMerchant('auth');
        const { context, page } = await newPage(browser);
        try {
            await loginUi(page, m.email, 'definitely-wrong-password');
            const err = page.locator(sel('login-error'));
            await err.waitFor({ state: 'visible' });
            assert.equal((await err.textContent()).trim(), 'Invalid email or password');
            assert.equal(new URL(page.url()).pathname, '/login');

            await page.fill(sel('password-input'), m.password);
            await page.click(sel('login-button'));
            await page.waitForURL((u) => new URL(u).pathname === '/dashboard');
            await page.locator(sel('api-key')).waitFor();
            assert.equal(await text(page, 'api-key'), m.api_key);
            assert.equal(await text(page, 'api-secret'), m.api_secret);
        } finally {
            await context.close();
        }

        const second = await newPage(browser);
        try {
            await login(second.page, TEST_MERCHANT.email, 'any-password-at-all');
            assert.equal(await text(second.page, 'api-key'), TEST_MERCHANT.api_key);
            assert.equal(await text(second.page, 'api-secret'), TEST_MERCHANT.api_secret);
            // nothing of the session is kept in web storage
            const storage = await second.page.evaluate(() => localStorage.length + sessionStorage.length);
            assert.equal(storage, 0);
            assert.deepEqual(second.page.errors, []);
        } finally {
            await second.context.close();
        }
    });

    it('a deep link to /dashboard/webhooks goes to login and back after signing in', async () => {
        const { context, page } = await newPage(browser);
        try {
            await page.goto(env.dashboard + '/dashboard/webhooks');
            await page.waitForURL((u) => new URL(u).pathname === '/login');
            assert.equal(new URL(page.url()).searchParams.get('next'), '/dashboard/webhooks');
            await page.fill(sel('email-input'), TEST_MERCHANT.email);
            await page.fill(sel('password-input'), 'x');
            await page.click(sel('login-button'));
            await page.waitForURL((u) => new URL(u).pathname === '/dashboard/webhooks');
            await page.locator(sel('webhook-config')).waitFor();
        } finally {
            await context.close();
        }
    });

    it('next outside /dashboard is ignored', async () => {
        const { context, page } = await newPage(browser);
        try {
            await loginUi(page, TEST_MERCHANT.email, 'x', { next: '//evil.example/dashboard' });
            await page.waitForURL((u) => new URL(u).pathname === '/dashboard');
            assert.equal(new URL(page.url()).origin, env.dashboard);
        } finally {
            await context.close();
        }
    });

    it('a 401 from any call (session revoked on the server) returns the user to /login', async () => {
        const m = await createMerchant('revoked');
        const { context, page } = await newPage(browser);
        try {
            await login(page, m.email, m.password);
            await page.goto(env.dashboard + '/dashboard/transactions');
            await page.locator(sel('apply-filters-button')).waitFor();
            await psql(`DELETE FROM dashboard_sessions WHERE merchant_id = '${m.id}'`);
            await page.click(sel('apply-filters-button'));
            await page.waitForURL((u) => new URL(u).pathname === '/login');
            assert.equal(new URL(page.url()).searchParams.get('next'), '/dashboard/transactions');
            await page.locator(sel('login-form')).waitFor();
            assert.deepEqual(page.errors, []);
        } finally {
            await context.close();
        }
    });

    it('every page has the navigation and logout; logout ends the session', async () => {
        const { context, page } = await newPage(browser);
        try {
            await login(page, TEST_MERCHANT.email, 'x');
            for (const p of ['/dashboard', '/dashboard/transactions', '/dashboard/webhooks', '/dashboard/docs']) {
                await page.goto(env.dashboard + p);
                await page.locator(sel('logout-button')).waitFor();
                for (const link of ['/dashboard', '/dashboard/transactions', '/dashboard/webhooks', '/dashboard/docs']) {
                    assert.equal(await page.locator(`nav a[href="${link}"]`).count(), 1, `${p} links to ${link}`);
                }
            }
            await page.click(sel('logout-button'));
            await page.waitForURL((u) => new URL(u).pathname === '/login');
            const status = await page.evaluate(async () => (await fetch('/api/v1/dashboard/session')).status);
            assert.equal(status, 401);
            await page.goto(env.dashboard + '/dashboard/transactions');
            await page.waitForURL((u) => new URL(u).pathname === '/login');
            assert.equal(new URL(page.url()).searchParams.get('next'), '/dashboard/transactions');
        } finally {
            await context.close();
        }
    });
});

describe('dashboard docs', { timeout: 60000 }, () => {
    it('shows the three snippets with the signed-in merchant key', async () => {
        const { context, page } = await newPage(browser);
        try {
            await login(page, TEST_MERCHANT.email, 'x');
            await page.goto(env.dashboard + '/dashboard/docs');
            const docs = page.locator(`div${sel('api-docs')}`);
            await docs.waitFor();
            assert.match(await docs.textContent(), /Integration Guide/);
            const order = await page.locator(`section${sel('section-create-order')} pre${sel('code-snippet-create-order')}`).textContent();
            assert.match(order, /curl/);
            assert.match(order, /POST/);
            assert.match(order, /\/api\/v1\/orders/);
            assert.match(order, new RegExp(`X-Api-Key: ${TEST_MERCHANT.api_key}`));
            assert.match(order, /X-Api-Secret/);
            assert.match(order, /"amount"/);
            const sdk = await page.locator(`section${sel('section-sdk-integration')} pre${sel('code-snippet-sdk')}`).textContent();
            assert.ok(sdk.includes('<script src="http://localhost:3001/checkout.js"></script>'), sdk);
            assert.match(sdk, /new PaymentGateway\(\{/);
            assert.ok(sdk.includes(TEST_MERCHANT.api_key));
            assert.match(sdk, /orderId/);
            assert.match(sdk, /onSuccess\(response\)/);
            assert.match(sdk, /response\.paymentId/);
            assert.match(sdk, /\.open\(\)/);
            const hook = await page.locator(`section${sel('section-webhook-verification')} pre${sel('code-snippet-webhook')}`).textContent();
            assert.match(hook, /require\('crypto'\)/);
            assert.match(hook, /createHmac\('sha256'/);
            assert.match(hook, /digest\('hex'\)/);
            assert.match(hook, /X-Webhook-Signature/);
            assert.match(hook, /crypto\.timingSafeEqual/);
        } finally {
            await context.close();
        }
    });
});

describe('unified TLS origin', { timeout: 60000 }, () => {
    it('serves the dashboard with a Secure session cookie and the checkout on one https origin', async () => {
        const { context, page } = await newPage(browser, { ignoreHTTPSErrors: true });
        try {
            await page.goto(env.tls + '/dashboard/webhooks');
            await page.waitForURL((u) => new URL(u).pathname === '/login');
            await page.fill(sel('email-input'), TEST_MERCHANT.email);
            await page.fill(sel('password-input'), 'x');
            await page.click(sel('login-button'));
            await page.waitForURL((u) => new URL(u).pathname === '/dashboard/webhooks');
            await page.locator(sel('webhook-config')).waitFor();
            const cookie = (await context.cookies(env.tls)).find((c) => c.name === 'gw_session');
            assert.ok(cookie, 'gw_session cookie set');
            assert.equal(cookie.secure, true);
            assert.equal(cookie.httpOnly, true);
            assert.equal(cookie.sameSite, 'Strict');

            const order = await api.createOrder(TEST_MERCHANT, 50000);
            await page.goto(`${env.tls}/checkout?order_id=${order.id}`);
            await page.locator(sel('method-upi')).waitFor();
            assert.equal(await text(page, 'order-amount'), '₹500.00');
            assert.deepEqual(page.errors, []);
        } finally {
            await context.close();
        }
    });
});

describe('framing', { timeout: 60000 }, () => {
    it('the dashboard refuses to be framed and the checkout can be framed', async () => {
        const dash = await fetch(env.dashboard + '/login');
        assert.equal(dash.status, 200);
        assert.equal(dash.headers.get('x-frame-options'), 'DENY');
        assert.equal(dash.headers.get('content-security-policy'),
            "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'");
        assert.equal(dash.headers.get('x-content-type-options'), 'nosniff');

        const order = await api.createOrder(TEST_MERCHANT, 50000);
        const co = await fetch(`${env.checkout}/checkout?order_id=${order.id}`);
        assert.equal(co.status, 200);
        assert.equal(co.headers.get('x-frame-options'), null);
        assert.doesNotMatch(co.headers.get('content-security-policy') || '', /frame-ancestors/);

        const site = await startServer((req, res) => {
            res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
            res.end(`<!doctype html><title>framer</title>
<iframe id="dash" name="dash" src="${env.dashboard}/login" width="600" height="400"></iframe>
<iframe id="co" name="co" src="${env.checkout}/checkout?order_id=${order.id}" width="600" height="600"></iframe>`);
        });
        const { context, page } = await newPage(browser);
        try {
            await page.goto(site.origin + '/');
            const co = page.frameLocator('#co');
            await co.locator(sel('order-amount')).waitFor();
            assert.equal((await co.locator(sel('order-amount')).textContent()).trim(), '₹500.00');
            // The dashboard frame never renders the login form.
            await page.waitForTimeout(1500);
            const dashFrame = page.frame({ name: 'dash' });
            const rendered = dashFrame
                ? await dashFrame.locator(sel('login-form')).count().catch(() => 0)
                : 0;
            assert.equal(rendered, 0);
            await waitUntil(async () => {
                const f = page.frame({ name: 'dash' });
                return !f || !f.url().startsWith(env.dashboard) || (await f.locator('body *').count().catch(() => 0)) === 0;
            }, { timeout: 5000, what: 'the dashboard frame to be blocked' });
        } finally {
            await context.close();
            await site.close();
        }
    });
});
