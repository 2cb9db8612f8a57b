// Dashboard docs page (SPEC 13.5, 20 v2): the integration guide uses the page's own origin and
// covers payments, refunds, idempotency and webhook verification; the API reference renders
// api/openapi.yaml (served at /api/v1/openapi.json) with swagger-ui-dist from node_modules, within
// the dashboard's CSP.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TEST_MERCHANT, env, launchBrowser, login, newPage, screenshot, sel, text } from './lib/gw.mjs';

let browser;
before(async () => {
    browser = await launchBrowser();
});
after(async () => {
    await browser?.close();
});

describe('dashboard docs: guide and API reference', { timeout: 120000 }, () => {
    it('uses this origin, covers the topics and renders the OpenAPI document', async () => {
        const { context, page } = await newPage(browser);
        const csp = [];
        page.on('console', (msg) => {
            if (/Content Security Policy|Refused to/i.test(msg.text())) csp.push(msg.text());
        });
        try {
            await login(page, TEST_MERCHANT.email, 'x');
            await page.goto(env.dashboard + '/dashboard/docs');
            await page.locator(sel('api-docs')).waitFor();
            assert.equal(await text(page, 'docs-origin'), env.dashboard);
            const order = await text(page, 'code-snippet-create-order');
            assert.ok(order.includes(`curl -X POST ${env.dashboard}/api/v1/orders`), order);
            assert.ok(!order.includes('localhost:8000'));
            assert.ok(!(await page.locator(sel('api-docs')).textContent()).includes(TEST_MERCHANT.api_secret),
                'the secret is not printed in the snippets');
            for (const [id, re] of [
                ['code-snippet-payments', /\/api\/v1\/payments[\s\S]*\/capture/],
                ['code-snippet-refunds', /\/api\/v1\/payments\/pay_xyz\/refunds[\s\S]*\/api\/v1\/refunds\//],
                ['code-snippet-idempotency', /Idempotency-Key: /],
                ['code-snippet-webhook', /timingSafeEqual/],
                ['code-snippet-standard-webhooks', /standardwebhooks[\s\S]*wh\.verify/],
            ]) {
                const t = await text(page, id);
                assert.match(t, re, id);
                if (id !== 'code-snippet-webhook' && id !== 'code-snippet-standard-webhooks') {
                    assert.ok(t.includes(env.dashboard), `${id} uses the page origin`);
                }
            }
            assert.match(await page.locator(sel('section-test-values')).textContent(), /4000000000003220/);
            // the reference: swagger-ui from our own origin, every tag of the document
            const ref = page.locator(`${sel('api-reference')}[data-ready="true"]`);
            await ref.waitFor({ timeout: 30000 });
            const scripts = await page.evaluate(() => [...document.scripts].map((s) => s.src).filter(Boolean));
            assert.ok(scripts.every((s) => s.startsWith(env.dashboard)), scripts.join());
            const doc = await (await fetch(env.api + '/api/v1/openapi.json')).json();
            await page.locator('.swagger-ui .opblock-tag').first().waitFor();
            const tags = await page.locator('.swagger-ui .opblock-tag[data-tag]').evaluateAll((els) => els.map((e) => e.getAttribute('data-tag')));
            for (const t of doc.tags.map((x) => x.name)) assert.ok(tags.includes(t), `tag ${t} in ${tags}`);
            assert.match(await page.locator('.swagger-ui .info .title').textContent(), /Gateway API/);
            // open the payments tag: the payment paths are listed
            await page.locator('.swagger-ui .opblock-tag[data-tag="payments"]').click();
            await page.locator('.swagger-ui .opblock-summary-path', { hasText: '/api/v1/payments/{payment_id}/capture' }).first().waitFor();
            assert.deepEqual(page.errors, []);
            assert.deepEqual(csp, []);
            await page.locator(sel('section-api-reference')).scrollIntoViewIfNeeded();
            await screenshot(page, 'dashboard-docs.png');
        } finally {
            await context.close();
        }
    });

    it('nginx serves swagger-ui-dist with the dashboard headers, nothing else of node_modules', async () => {
        for (const f of ['swagger-ui-bundle.js', 'swagger-ui.css']) {
            const r = await fetch(`${env.dashboard}/static/dashboard/vendor/swagger-ui/${f}`);
            assert.equal(r.status, 200, f);
            assert.match(r.headers.get('content-security-policy') || '', /default-src 'self'/);
            assert.ok((await r.arrayBuffer()).byteLength > 10000);
        }
        for (const f of ['package.json', 'index.html', '../chart.umd.js/../../../../package.json']) {
            const r = await fetch(`${env.dashboard}/static/dashboard/vendor/swagger-ui/${f}`);
            assert.notEqual(r.status, 200, f);
        }
    });
});
