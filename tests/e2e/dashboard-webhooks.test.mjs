// Dashboard webhooks: configuration, secret, test webhook to a real local
// receiver, failing delivery with growing attempts, Retry, detail (SPEC 13.4).
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
    createMerchant, env, launchBrowser, login, makeApi, newPage, readBody, screenshot, sel, startServer, text,
    waitUntil, withWorker,
} from './lib/gw.mjs';

const api = makeApi('10.77.4.1');
let browser;
let receiver;
const received = [];
let failing = true;

before(async () => {
    browser = await launchBrowser();
    receiver = await startServer(async (req, res) => {
        const body = await readBody(req);
        const path = new URL(req.url, 'http://x').pathname;
        const ok = path === '/ok' || !failing;
        received.push({ path, headers: req.headers, body: body.toString('utf8'), answered: ok ? 200 : 500 });
        res.writeHead(ok ? 200 : 500, { 'Content-Type': 'text/plain' });
        res.end(ok ? 'received' : 'failing on purpose');
    });
});
after(async () => {
    await browser?.close();
    await receiver?.close();
});

function row(page, id) {
    return page.locator(`tr${sel('webhook-log-item')}[data-webhook-id="${id}"]`);
}

async function cell(page, id, name) {
    return (await row(page, id).locator(`td${sel(name)}`).textContent()).trim();
}

describe('dashboard webhooks', { timeout: 240000 }, () => {
    it('saves the URL, regenerates the secret, delivers a test webhook, retries a failing one', async () => {
        const m = await createMerchant('webhooks');
        await withWorker(['WEBHOOK_RETRY_INTERVALS_TEST=true'], async () => {
            const { context, page } = await newPage(browser);
            try {
                await login(page, m.email, m.password);
                await page.goto(env.dashboard + '/dashboard/webhooks');
                const form = page.locator(`div${sel('webhook-config')} form${sel('webhook-config-form')}`);
                await form.waitFor();
                const input = form.locator(`input${sel('webhook-url-input')}[type=url]`);
                assert.equal(await input.getAttribute('placeholder'), 'https://yoursite.com/webhook');
                assert.equal((await form.locator(`button${sel('regenerate-secret-button')}`).textContent()).trim(), 'Regenerate');
                assert.equal((await form.locator(`button${sel('save-webhook-button')}[type=submit]`).textContent()).trim(), 'Save Configuration');
                assert.equal((await form.locator(`button${sel('test-webhook-button')}[type=button]`).textContent()).trim(), 'Send Test Webhook');
                await page.locator(`${sel('webhook-secret')}:text-is("${m.webhook_secret}")`).waitFor();
                assert.deepEqual((await page.locator(`table${sel('webhook-logs-table')} th`).allTextContents()).map((s) => s.trim()),
                    ['Event', 'Status', 'Attempts', 'Last Attempt', 'Response Code', 'Actions']);

                // save
                const okUrl = receiver.origin + '/ok';
                await input.fill(okUrl);
                await page.click(sel('save-webhook-button'));
                await page.locator(sel('webhook-config-message')).waitFor({ state: 'visible' });
                await waitUntil(async () => (await api.merchant(m)).webhook_url === okUrl, { what: 'webhook_url saved' });
                await page.reload();
                await page.locator(`${sel('webhook-url-input')}`).waitFor();
                await waitUntil(async () => (await input.inputValue()) === okUrl, { what: 'URL pre-filled' });

                // regenerate
                await page.click(sel('regenerate-secret-button'));
                const secret = await waitUntil(async () => {
                    const s = await text(page, 'webhook-secret');
                    // SPEC 21.3 (v2): whsec_ + standard base64 of 32 random bytes
                    return s !== m.webhook_secret && /^whsec_[A-Za-z0-9+/]{43}=$/.test(s) ? s : null;
                }, { what: 'a new secret' });
                assert.equal((await api.merchant(m)).webhook_secret, secret);

                // test webhook reaches the receiver, signed with the new secret
                await page.click(sel('test-webhook-button'));
                const got = await waitUntil(() => received.find((r) => r.path === '/ok'), { timeout: 20000, what: 'test webhook' });
                const payload = JSON.parse(got.body);
                assert.equal(payload.event, 'webhook.test');
                assert.deepEqual(payload.data, { message: 'Test webhook', merchant_id: m.id });
                // SPEC 21.3: such a secret signs with its base64-decoded bytes
                const sig = crypto.createHmac('sha256', Buffer.from(secret.slice(6), 'base64')).update(got.body).digest('hex');
                assert.equal(got.headers['x-webhook-signature'], sig);
                const okId = got.headers['webhook-id'];
                await row(page, okId).waitFor({ timeout: 15000 });
                await waitUntil(async () => (await cell(page, okId, 'webhook-status')) === 'success', { timeout: 15000, what: 'success row' });
                assert.equal(await cell(page, okId, 'webhook-event'), 'webhook.test');
                assert.equal(await cell(page, okId, 'webhook-attempts'), '1');
                assert.equal(await cell(page, okId, 'webhook-response-code'), '200');
                assert.match(await cell(page, okId, 'webhook-last-attempt'), /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
                assert.equal((await row(page, okId).locator(`button${sel('retry-webhook-button')}[data-webhook-id="${okId}"]`).textContent()).trim(), 'Retry');

                // detail panel
                await row(page, okId).locator(sel('webhook-event')).click();
                const detail = page.locator(sel('webhook-log-detail'));
                await detail.waitFor({ state: 'visible' });
                await detail.locator(`:text("received")`).first().waitFor();
                const detailText = await detail.textContent();
                assert.match(detailText, /"event": "webhook\.test"/);
                assert.match(detailText, /Next retry/);

                // failing delivery: attempts grow on the test schedule (0, 5, 10 s)
                await input.fill(receiver.origin + '/fail');
                await page.click(sel('save-webhook-button'));
                await waitUntil(async () => (await api.merchant(m)).webhook_url === receiver.origin + '/fail', { what: 'fail URL saved' });
                await page.click(sel('test-webhook-button'));
                const first = await waitUntil(() => received.find((r) => r.path === '/fail'), { timeout: 20000, what: 'failing attempt' });
                const failId = first.headers['webhook-id'];
                await row(page, failId).waitFor({ timeout: 15000 });
                await waitUntil(async () => Number(await cell(page, failId, 'webhook-attempts')) >= 2,
                    { timeout: 30000, what: 'attempts to reach 2' });
                assert.equal(await cell(page, failId, 'webhook-status'), 'pending');
                assert.equal(await cell(page, failId, 'webhook-response-code'), '500');
                await row(page, failId).locator(sel('webhook-status')).click();
                await detail.locator(':text("failing on purpose")').first().waitFor();
                await screenshot(page, 'dashboard-webhooks.png');

                // Retry re-delivers the same log, now successfully
                failing = false;
                const seen = received.length;
                await row(page, failId).locator(sel('retry-webhook-button')).click();
                await waitUntil(() => received.slice(seen).find((r) => r.headers['webhook-id'] === failId && r.answered === 200),
                    { timeout: 20000, what: 'retried delivery' });
                await waitUntil(async () => (await cell(page, failId, 'webhook-status')) === 'success',
                    { timeout: 20000, what: 'retried row success' });
                assert.equal(await cell(page, failId, 'webhook-response-code'), '200');
                // the retry started a fresh cycle: its successful attempt is attempt 1
                assert.equal(await cell(page, failId, 'webhook-attempts'), '1');
                assert.deepEqual(page.errors, []);
            } finally {
                await context.close();
            }
        });
    });
});
