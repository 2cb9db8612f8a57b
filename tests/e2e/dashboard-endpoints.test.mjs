// Dashboard webhook endpoints and event log (SPEC 21.3): create (secret shown once), edit,
// disable / enable, rotate (new secret shown once), delete; the event log with a type filter,
// an event's deliveries with their attempts to a real local receiver, and Resend.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
    createMerchant, env, launchBrowser, login, makeApi, newPage, readBody, sel, startServer, waitUntil,
} from './lib/gw.mjs';

const api = makeApi('10.77.5.1');
let browser;
let receiver;
const received = [];

before(async () => {
    browser = await launchBrowser();
    receiver = await startServer(async (req, res) => {
        const body = await readBody(req);
        received.push({ headers: req.headers, body: body.toString('utf8') });
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        res.end('received');
    });
});
after(async () => {
    await browser?.close();
    await receiver?.close();
});

const epRow = (page, id) => page.locator(`tr${sel('endpoint-item')}[data-endpoint-id="${id}"]`);

describe('dashboard endpoints and events', { timeout: 180000 }, () => {
    it('manages endpoints, shows the event log, attempts and resends', async () => {
        const m = await createMerchant('endpoints');
        const { context, page } = await newPage(browser);
        page.on('dialog', (d) => d.accept());
        try {
            await login(page, m.email, m.password);
            await page.goto(env.dashboard + '/dashboard/webhooks');
            await page.locator(sel('webhook-endpoints')).waitFor();
            await page.locator(`${sel('endpoints-table')} td:text("No endpoints yet.")`).waitFor();

            // create: the secret is shown once
            await page.fill(sel('endpoint-url-input'), receiver.origin + '/hooks');
            await page.fill(sel('endpoint-events-input'), 'payment.created, refund.*');
            await page.fill(sel('endpoint-description-input'), 'fulfilment');
            await page.click(sel('endpoint-save-button'));
            const secret = (await page.locator(sel('endpoint-secret')).textContent()).trim();
            assert.match(secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
            const list = await api.ok('GET', '/api/v1/webhook_endpoints', { creds: m });
            assert.equal(list.data.length, 1);
            const ep = list.data[0];
            assert.deepEqual(ep.enabled_events, ['payment.created', 'refund.*']);
            await epRow(page, ep.id).waitFor();
            assert.equal((await epRow(page, ep.id).locator(sel('endpoint-description')).textContent()).trim(), 'fulfilment');
            await page.reload();
            await epRow(page, ep.id).waitFor();
            assert.equal(await page.locator(sel('endpoint-secret')).count(), 0, 'not shown again');
            assert.ok(!(await page.content()).includes(secret));

            // edit
            await epRow(page, ep.id).locator(sel('endpoint-edit-button')).click();
            assert.equal(await page.inputValue(sel('endpoint-url-input')), receiver.origin + '/hooks');
            await page.fill(sel('endpoint-description-input'), 'accounting');
            await page.click(sel('endpoint-save-button'));
            await epRow(page, ep.id).locator(`${sel('endpoint-description')}:text-is("accounting")`).waitFor();

            // disable, enable
            await epRow(page, ep.id).locator(sel('endpoint-toggle-button')).click();
            await epRow(page, ep.id).locator(`${sel('endpoint-status')}:text-is("disabled (manual)")`).waitFor();
            await epRow(page, ep.id).locator(sel('endpoint-toggle-button')).click();
            await epRow(page, ep.id).locator(`${sel('endpoint-status')}:text-is("enabled")`).waitFor();

            // rotate: a new secret, shown once
            await epRow(page, ep.id).locator(sel('endpoint-rotate-button')).click();
            await waitUntil(async () => {
                const s = (await page.locator(sel('endpoint-secret')).textContent()).trim();
                return s !== secret && /^whsec_/.test(s) ? s : null;
            }, { what: 'rotated secret' });

            // the event log: a payment's events; filter; the delivery's attempts; resend
            const order = await api.createOrder(m, 50000);
            const pay = await api.createPayment(m, order.id);
            await waitUntil(() => received.some((r) => r.body.includes(pay.id)), { timeout: 20000, what: 'delivery' });
            await page.reload();
            await page.locator(sel('event-log')).waitFor();
            const evs = await api.ok('GET', '/api/v1/events?type=payment.created', { creds: m });
            const evId = evs.data[0].id;
            await page.locator(`tr${sel('event-item')}[data-event-id="${evId}"]`).waitFor();
            await page.selectOption(sel('event-type-filter'), 'payment.pending');
            await waitUntil(async () => (await page.locator(`tr${sel('event-item')}[data-event-id="${evId}"]`).count()) === 0,
                { what: 'filtered out' });
            const types = await page.locator(`${sel('events-table')} ${sel('event-type')}`).allTextContents();
            assert.ok(types.length > 0 && types.every((t) => t.trim() === 'payment.pending'), types.join());
            await page.selectOption(sel('event-type-filter'), '');
            const row = page.locator(`tr${sel('event-item')}[data-event-id="${evId}"]`);
            await row.waitFor();
            await row.locator(sel('event-type')).click();
            const attempt = page.locator(`${sel('event-delivery')}[data-endpoint-id="${ep.id}"] ${sel('attempt-item')}`);
            await attempt.first().waitFor();
            assert.equal((await attempt.first().locator(sel('attempt-code')).textContent()).trim(), '200');
            const n = received.length;
            await row.locator(sel('event-resend-button')).click();
            await page.locator(`${sel('event-message')}:text("Event resend scheduled (1 endpoint)")`).waitFor();
            await waitUntil(() => received.length > n, { timeout: 20000, what: 'resent delivery' });
            assert.equal(received[received.length - 1].headers['webhook-id'], evId);

            // delete
            await epRow(page, ep.id).locator(sel('endpoint-delete-button')).click();
            await waitUntil(async () => (await epRow(page, ep.id).count()) === 0, { what: 'deleted row' });
            assert.equal((await api.ok('GET', '/api/v1/webhook_endpoints', { creds: m })).data.length, 0);
            assert.deepEqual(page.errors, []);
        } finally {
            await context.close();
        }
    });
});
