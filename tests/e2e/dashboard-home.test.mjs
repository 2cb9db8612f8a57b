// Dashboard home: credentials, stats equal to the API's, both charts (SPEC 13.2).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
    createMerchant, launchBrowser, login, makeApi, newPage, screenshot, sel, text, withWorker,
} from './lib/gw.mjs';

const api = makeApi('10.77.2.1');
let browser;

before(async () => {
    browser = await launchBrowser();
});
after(async () => {
    await browser?.close();
});

function rupees(paise) {
    const r = String(Math.floor(paise / 100));
    const p = paise % 100;
    let grouped = r;
    if (r.length > 3) {
        grouped = r.slice(0, -3).replace(/\B(?=(\d{2})+(?!\d))/g, ',') + ',' + r.slice(-3);
    }
    return '₹' + grouped + (p ? '.' + String(p).padStart(2, '0') : '');
}

describe('dashboard home', { timeout: 180000 }, () => {
    it('a merchant without payments sees zeros', async () => {
        const m = await createMerchant('home-empty');
        const { context, page } = await newPage(browser);
        try {
            await login(page, m.email, m.password);
            assert.equal(await text(page, 'total-transactions'), '0');
            assert.equal(await text(page, 'total-amount'), '₹0');
            assert.equal(await text(page, 'success-rate'), '0%');
        } finally {
            await context.close();
        }
    });

    it('shows credentials, the stats the API reports for a known mix, and both charts', async () => {
        const m = await createMerchant('home');
        // three successful payments, then one failed one
        const ok = [[12345678, 'upi'], [50000, 'card'], [100000, 'upi']];
        const created = [];
        for (const [amount, method] of ok) {
            const order = await api.createOrder(m, amount);
            created.push(await api.createPayment(m, order.id, method));
        }
        for (const p of created) {
            assert.equal((await api.waitFinal(m, p.id)).status, 'success');
        }
        await withWorker(['TEST_PAYMENT_SUCCESS=false'], async () => {
            const order = await api.createOrder(m, 70000);
            const p = await api.createPayment(m, order.id, 'card');
            assert.equal((await api.waitFinal(m, p.id)).status, 'failed');
        });

        const stats = await api.stats(m);
        assert.equal(stats.total_transactions, 4);
        assert.equal(stats.successful_transactions, 3);
        assert.equal(stats.total_amount, 12495678);

        const { context, page } = await newPage(browser);
        try {
            await login(page, m.email, m.password);
            const root = page.locator(`div${sel('dashboard')}`);
            await root.locator(`div${sel('api-credentials')} span${sel('api-key')}`).waitFor();
            assert.equal(await text(page, 'api-key'), m.api_key);
            assert.equal(await text(page, 'api-secret'), m.api_secret);
            const statsBox = root.locator(`div${sel('stats-container')}`);
            assert.equal((await statsBox.locator(`div${sel('total-transactions')}`).textContent()).trim(),
                String(stats.total_transactions));
            assert.equal((await statsBox.locator(`div${sel('total-amount')}`).textContent()).trim(), rupees(stats.total_amount));
            assert.equal(await text(page, 'total-amount'), '₹1,24,956.78');
            assert.equal((await statsBox.locator(`div${sel('success-rate')}`).textContent()).trim(),
                Math.round((stats.successful_transactions * 100) / stats.total_transactions) + '%');
            assert.equal(await text(page, 'success-rate'), '75%');

            // both Chart.js charts exist, have a size and carry the API's numbers
            await page.locator(`canvas${sel('volume-chart')}[data-chart-ready]`).waitFor();
            await page.locator(`canvas${sel('method-breakdown')}[data-chart-ready]`).waitFor();
            const charts = await page.evaluate(() => {
                const get = (id) => window.Chart.getChart(document.querySelector(`[data-test-id="${id}"]`));
                const v = get('volume-chart');
                const d = get('method-breakdown');
                const c = document.querySelector('[data-test-id="volume-chart"]');
                return {
                    volumeTypes: v.data.datasets.map((s) => s.type),
                    volumeCounts: v.data.datasets[0].data,
                    rate: v.data.datasets[1].data,
                    axes: Object.keys(v.options.scales),
                    methodType: d.config.type,
                    methodData: d.data.datasets[0].data,
                    width: c.width,
                    height: c.height,
                };
            });
            assert.deepEqual(charts.volumeTypes, ['bar', 'line']);
            assert.equal(charts.volumeCounts.length, 30);
            assert.deepEqual(charts.volumeCounts, stats.daily.map((d) => d.count));
            assert.equal(charts.volumeCounts.at(-1), 4);
            assert.equal(charts.rate.at(-1), 75);
            assert.ok(charts.axes.includes('y1'));
            assert.equal(charts.methodType, 'doughnut');
            assert.deepEqual(charts.methodData, stats.methods.map((x) => x.count));
            assert.ok(charts.width > 100 && charts.height > 100);
            assert.deepEqual(page.errors, []);
            await screenshot(page, 'dashboard-home.png');
        } finally {
            await context.close();
        }
    });
});
