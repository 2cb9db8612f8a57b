// The overview page (SPEC 13.2): credentials, stats and the two Chart.js charts.

import { api } from './api.js';
import { clear, h } from './dom.js';
import { formatRate, formatRupees } from './format.js';
import { state } from './state.js';

export function renderHome(main, alive) {
    main.append(h('h1', { class: 'page-title', text: 'Overview' }), h('p', { class: 'muted', text: 'Loading…' }));
    api('GET', '/api/v1/payments/stats').then((stats) => {
        if (!alive()) {
            return;
        }
        clear(main);
        const m = state.session.merchant;
        const total = stats.total_transactions;
        const dash = h('div', { testid: 'dashboard', class: 'dashboard' },
            h('h1', { class: 'page-title', text: 'Overview' }),
            h('div', { testid: 'api-credentials', class: 'card credentials' },
                h('h2', { text: 'API credentials' }),
                h('div', { class: 'cred-row' },
                    h('span', { class: 'cred-label', text: 'API Key' }),
                    h('span', { testid: 'api-key', class: 'mono', text: m.api_key })),
                h('div', { class: 'cred-row' },
                    h('span', { class: 'cred-label', text: 'API Secret' }),
                    h('span', { testid: 'api-secret', class: 'mono', text: m.api_secret }))),
            h('div', { testid: 'stats-container', class: 'stats' },
                statCard('Total Transactions', 'total-transactions', String(total)),
                statCard('Total Amount', 'total-amount', formatRupees(stats.total_amount)),
                statCard('Success Rate', 'success-rate', formatRate(stats.successful_transactions, total))),
            h('div', { class: 'charts' },
                h('div', { class: 'card chart-card chart-wide' },
                    h('h2', { text: 'Last 30 days' }),
                    h('div', { class: 'chart-box' },
                        h('canvas', { testid: 'volume-chart', 'aria-label': 'Payments per day and daily success rate', role: 'img' }))),
                h('div', { class: 'card chart-card' },
                    h('h2', { text: 'Payment methods' }),
                    h('div', { class: 'chart-box' },
                        h('canvas', { testid: 'method-breakdown', 'aria-label': 'Payments by method', role: 'img' })))));
        main.append(dash);
        drawCharts(stats, alive);
    }).catch((e) => {
        if (alive() && e.status !== 401) {
            clear(main);
            main.append(h('h1', { class: 'page-title', text: 'Overview' }),
                h('div', { class: 'alert alert-error', role: 'alert', text: e.message }));
        }
    });
}

function statCard(label, testid, value) {
    return h('div', { class: 'card stat' },
        h('div', { class: 'stat-label', text: label }),
        h('div', { testid, class: 'stat-value', text: value }));
}

function loadChartJs() {
    if (window.Chart) {
        return Promise.resolve(window.Chart);
    }
    return new Promise((resolve, reject) => {
        const existing = document.querySelector('script[src$="/vendor/chart.umd.js"]');
        const s = existing || h('script', { src: '/static/dashboard/vendor/chart.umd.js' });
        s.addEventListener('load', () => (window.Chart ? resolve(window.Chart) : reject(new Error('Chart.js missing'))));
        s.addEventListener('error', () => reject(new Error('Chart.js failed to load')));
        if (!existing) {
            document.head.append(s);
        }
        if (existing && window.Chart) {
            resolve(window.Chart);
        }
    });
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

// "2024-01-15" -> "15 Jan" (the API's UTC day, no time-zone conversion).
function shortDate(date) {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(date));
    return m ? `${Number(m[3])} ${MONTHS[Number(m[2]) - 1]}` : String(date);
}

function drawCharts(stats, alive) {
    loadChartJs().then((Chart) => {
        if (!alive()) {
            return;
        }
        const daily = Array.isArray(stats.daily) ? stats.daily : [];
        const methods = Array.isArray(stats.methods) ? stats.methods : [];
        const volumeCanvas = document.querySelector('[data-test-id="volume-chart"]');
        const methodCanvas = document.querySelector('[data-test-id="method-breakdown"]');
        if (!volumeCanvas || !methodCanvas) {
            return;
        }
        const volume = new Chart(volumeCanvas, {
            data: {
                labels: daily.map((d) => shortDate(d.date)),
                datasets: [
                    {
                        type: 'bar',
                        label: 'Payments',
                        data: daily.map((d) => d.count),
                        backgroundColor: 'rgba(79, 70, 229, 0.75)',
                        borderRadius: 3,
                        yAxisID: 'y',
                        order: 2,
                    },
                    {
                        type: 'line',
                        label: 'Success rate (%)',
                        data: daily.map((d) => (d.count > 0 ? Math.round((d.success_count * 100) / d.count) : null)),
                        borderColor: 'rgb(16, 185, 129)',
                        backgroundColor: 'rgb(16, 185, 129)',
                        spanGaps: true,
                        tension: 0.25,
                        pointRadius: 3,
                        yAxisID: 'y1',
                        order: 1,
                    },
                ],
            },
            options: {
                responsive: true,
                maintainAspectRatio: false,
                animation: false,
                interaction: { mode: 'index', intersect: false },
                plugins: {
                    legend: {
                        position: 'top',
                        align: 'end',
                        labels: { usePointStyle: true, boxWidth: 8, boxHeight: 8, sort: (a, b) => a.datasetIndex - b.datasetIndex },
                    },
                    tooltip: { itemSort: (a, b) => a.datasetIndex - b.datasetIndex },
                },
                scales: {
                    x: { grid: { display: false }, ticks: { maxRotation: 0, autoSkip: true, maxTicksLimit: 8 } },
                    y: { beginAtZero: true, position: 'left', ticks: { precision: 0 }, title: { display: true, text: 'Payments' } },
                    y1: {
                        beginAtZero: true,
                        min: 0,
                        max: 100,
                        position: 'right',
                        grid: { drawOnChartArea: false },
                        title: { display: true, text: 'Success %' },
                    },
                },
            },
        });
        const byMethod = new Chart(methodCanvas, {
            type: 'doughnut',
            data: {
                labels: methods.map((m) => (m.method === 'upi' ? 'UPI' : m.method === 'card' ? 'Card' : String(m.method))),
                datasets: [{
                    label: 'Payments',
                    data: methods.map((m) => m.count),
                    backgroundColor: ['rgb(79, 70, 229)', 'rgb(245, 158, 11)', 'rgb(16, 185, 129)'],
                }],
            },
            options: {
                responsive: true,
                maintainAspectRatio: false,
                animation: false,
                cutout: '62%',
                plugins: { legend: { position: 'bottom', labels: { usePointStyle: true, boxWidth: 8, boxHeight: 8, padding: 16 } } },
            },
        });
        volumeCanvas.setAttribute('data-chart-ready', 'true');
        methodCanvas.setAttribute('data-chart-ready', 'true');
        state.cleanups.push(() => volume.destroy(), () => byMethod.destroy());
    }).catch((e) => {
        console.error(e);
    });
}
