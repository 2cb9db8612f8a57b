// Production defaults (TEST_MODE=false), the login page in headless Chromium (SPEC 13.1 v2): the
// test merchant's any-password hint is not shown, and the seeded merchant cannot sign in.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { env, launchBrowser, loginUi, newPage, sel } from '../e2e/lib/gw.mjs';

let browser;
before(async () => {
    browser = await launchBrowser();
});
after(async () => {
    await browser?.close();
});

describe('TEST_MODE=false: login page', { timeout: 60000 }, () => {
    it('hides the any-password hint and refuses the seeded merchant with any password', async () => {
        const { context, page } = await newPage(browser);
        try {
            const config = page.waitForResponse((r) => r.url().endsWith('/api/v1/dashboard/config'));
            await page.goto(env.dashboard + '/login');
            const res = await config;
            assert.deepEqual(await res.json(), { test_mode: false });
            await page.locator(`form${sel('login-form')}`).waitFor();
            assert.equal(await page.locator(sel('login-hint')).isVisible(), false);
            await loginUi(page, 'test@example.com', 'any-password-at-all');
            const err = page.locator(sel('login-error'));
            await err.waitFor({ state: 'visible' });
            assert.equal((await err.textContent()).trim(), 'Invalid email or password');
            assert.equal(new URL(page.url()).pathname, '/login');
            assert.deepEqual(page.errors.filter((e) => !/401/.test(e)), []);
        } finally {
            await context.close();
        }
    });
});
