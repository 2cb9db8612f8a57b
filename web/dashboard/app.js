// Merchant dashboard: a small single-page app (SPEC 13). No build step, no
// inline scripts (the CSP forbids them); all API data is rendered with
// textContent. The session lives in an HttpOnly cookie; the CSRF token and the
// merchant are kept in memory only.

import {
    formatRate,
    formatRupees,
    formatTimestamp,
    indianGroup,
    paginationText,
} from './format.js';

const TX_PAGE_SIZE = 100;
const WH_PAGE_SIZE = 50;
const WH_RELOAD_MS = 5000;

const ROUTES = {
    '/dashboard': { title: 'Overview', render: renderHome },
    '/dashboard/transactions': { title: 'Transactions', render: renderTransactions },
    '/dashboard/webhooks': { title: 'Webhooks', render: renderWebhooks },
    '/dashboard/docs': { title: 'Integration Guide', render: renderDocs },
};

const NAV = [
    ['/dashboard', 'Overview'],
    ['/dashboard/transactions', 'Transactions'],
    ['/dashboard/webhooks', 'Webhooks'],
    ['/dashboard/docs', 'Docs'],
];

const state = {
    session: null, // { merchant, csrf_token }
    cleanups: [], // per-view teardown (timers, charts)
    renderSeq: 0,
};

const appRoot = document.getElementById('app');

// ---- DOM helpers ----------------------------------------------------------------------------

function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    if (attrs) {
        for (const [k, v] of Object.entries(attrs)) {
            if (v === undefined || v === null || v === false) {
                continue;
            }
            if (k === 'text') {
                el.textContent = String(v);
            } else if (k === 'class') {
                el.className = v;
            } else if (k === 'testid') {
                el.setAttribute('data-test-id', v);
            } else if (k.startsWith('on') && typeof v === 'function') {
                el.addEventListener(k.slice(2), v);
            } else if (v === true) {
                el.setAttribute(k, '');
            } else {
                el.setAttribute(k, String(v));
            }
        }
    }
    appendChildren(el, children);
    return el;
}

function appendChildren(el, children) {
    for (const c of children.flat()) {
        if (c === null || c === undefined || c === false) {
            continue;
        }
        el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
}

function clear(el) {
    while (el.firstChild) {
        el.removeChild(el.firstChild);
    }
}

// ---- API --------------------------------------------------------------------------------------

class ApiError extends Error {
    constructor(status, code, description) {
        super(description);
        this.status = status;
        this.code = code;
    }
}

async function api(method, path, body, opts = {}) {
    const headers = { Accept: 'application/json' };
    if (body !== undefined) {
        headers['Content-Type'] = 'application/json';
    }
    if (method !== 'GET' && state.session) {
        headers['X-CSRF-Token'] = state.session.csrf_token;
    }
    let res;
    try {
        res = await fetch(path, {
            method,
            headers,
            body: body === undefined ? undefined : JSON.stringify(body),
            credentials: 'same-origin',
            cache: 'no-store',
        });
    } catch (e) {
        throw new ApiError(0, 'NETWORK_ERROR', 'Network error: the API could not be reached');
    }
    if (res.status === 401 && !opts.allow401) {
        state.session = null;
        goToLogin(true);
        throw new ApiError(401, 'AUTHENTICATION_ERROR', 'Session expired');
    }
    if (opts.raw) {
        if (!res.ok) {
            throw await errorFrom(res);
        }
        return res;
    }
    if (res.status === 204) {
        return null;
    }
    if (!res.ok) {
        throw await errorFrom(res);
    }
    return res.json();
}

async function errorFrom(res) {
    let code = 'HTTP_' + res.status;
    let description = 'Request failed (HTTP ' + res.status + ')';
    try {
        const j = await res.json();
        if (j && j.error) {
            code = j.error.code || code;
            description = j.error.description || description;
        }
    } catch (e) {
        // not JSON: keep the generic text
    }
    return new ApiError(res.status, code, description);
}

// ---- routing ----------------------------------------------------------------------------------

function currentPath() {
    let p = location.pathname;
    if (p.length > 1 && p.endsWith('/')) {
        p = p.slice(0, -1);
    }
    return p;
}

function navigate(url, replace = false) {
    if (replace) {
        history.replaceState(null, '', url);
    } else {
        history.pushState(null, '', url);
    }
    route();
}

function goToLogin(withNext) {
    const p = currentPath();
    let url = '/login';
    if (withNext && isDashboardPath(p)) {
        url += '?next=' + encodeURIComponent(p + location.search);
    }
    navigate(url, true);
}

function isDashboardPath(p) {
    return p === '/dashboard' || p.startsWith('/dashboard/');
}

// Only a same-origin path under /dashboard is an acceptable redirect target.
function safeNext(next) {
    if (typeof next !== 'string' || !next.startsWith('/') || next.startsWith('//')) {
        return '/dashboard';
    }
    if (/[\\\s]/.test(next)) {
        return '/dashboard';
    }
    let u;
    try {
        u = new URL(next, location.origin);
    } catch (e) {
        return '/dashboard';
    }
    if (u.origin !== location.origin || !isDashboardPath(u.pathname)) {
        return '/dashboard';
    }
    return u.pathname + u.search;
}

function teardown() {
    for (const fn of state.cleanups.splice(0)) {
        try {
            fn();
        } catch (e) {
            // ignore
        }
    }
}

function route() {
    teardown();
    const seq = ++state.renderSeq;
    const p = currentPath();
    if (p === '/' || p === '') {
        navigate('/login', true);
        return;
    }
    if (p === '/login') {
        document.title = 'Sign in · Gateway Dashboard';
        renderLogin();
        return;
    }
    if (!state.session) {
        goToLogin(true);
        return;
    }
    const r = ROUTES[p];
    if (!r) {
        renderShell('Not found', (main) => {
            main.append(
                h('div', { class: 'card' },
                    h('h1', { text: 'Page not found' }),
                    h('p', null, 'Go back to the ', navLink('/dashboard', 'overview'), '.'))
            );
        });
        return;
    }
    document.title = r.title + ' · Gateway Dashboard';
    renderShell(r.title, (main) => r.render(main, () => seq === state.renderSeq));
}

function navLink(href, label, attrs = {}) {
    return h('a', {
        href,
        ...attrs,
        onclick: (ev) => {
            if (ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) {
                return;
            }
            ev.preventDefault();
            navigate(href);
        },
    }, label);
}

function renderShell(title, fill) {
    clear(appRoot);
    const p = currentPath();
    const merchant = state.session ? state.session.merchant : null;
    const nav = h('nav', { class: 'nav', 'aria-label': 'Main' },
        NAV.map(([href, label]) =>
            navLink(href, label, {
                class: p === href ? 'active' : '',
                'aria-current': p === href ? 'page' : null,
            })));
    const header = h('header', { class: 'topbar' },
        h('div', { class: 'brand' }, h('span', { class: 'logo', 'aria-hidden': 'true' }, '₹'), 'Gateway'),
        nav,
        h('div', { class: 'account' },
            h('span', { class: 'merchant-name', text: merchant ? merchant.name : '' }),
            h('button', {
                type: 'button',
                class: 'btn btn-ghost',
                testid: 'logout-button',
                onclick: logout,
            }, 'Logout')));
    const main = h('main', { class: 'main' });
    appRoot.append(header, main);
    fill(main);
}

async function logout() {
    try {
        await api('POST', '/api/v1/dashboard/logout', undefined, { allow401: true });
    } catch (e) {
        // the session is dropped locally either way
    }
    state.session = null;
    navigate('/login', true);
}

// ---- login ------------------------------------------------------------------------------------

function renderLogin() {
    clear(appRoot);
    const params = new URLSearchParams(location.search);
    const next = params.get('next');
    const err = h('div', { class: 'alert alert-error', testid: 'login-error', role: 'alert', hidden: true });
    const email = h('input', {
        id: 'email',
        type: 'email',
        name: 'email',
        testid: 'email-input',
        autocomplete: 'username',
        placeholder: 'you@example.com',
        required: true,
    });
    const password = h('input', {
        id: 'password',
        type: 'password',
        name: 'password',
        testid: 'password-input',
        autocomplete: 'current-password',
        placeholder: 'Password',
    });
    const button = h('button', { type: 'submit', class: 'btn btn-primary btn-block', testid: 'login-button' }, 'Login');
    const hint = h('p', { class: 'hint', testid: 'login-hint', hidden: true },
        'Test mode: the test merchant ', h('code', null, 'test@example.com'),
        ' signs in with any password. Merchants created by an operator always need their password.');
    const form = h('form', { testid: 'login-form', class: 'login-form', novalidate: true },
        h('label', { for: 'email' }, 'Email'), email,
        h('label', { for: 'password' }, 'Password'), password,
        err, button);
    form.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        err.hidden = true;
        button.disabled = true;
        try {
            const body = await api('POST', '/api/v1/dashboard/login',
                { email: email.value, password: password.value }, { allow401: true });
            state.session = { merchant: body.merchant, csrf_token: body.csrf_token };
            navigate(safeNext(next), true);
        } catch (e) {
            err.textContent = e.message || 'Login failed';
            err.hidden = false;
            button.disabled = false;
        }
    });
    appRoot.append(
        h('div', { class: 'login-page' },
            h('div', { class: 'card login-card' },
                h('div', { class: 'brand brand-lg' }, h('span', { class: 'logo', 'aria-hidden': 'true' }, '₹'), 'Gateway'),
                h('h1', { text: 'Sign in to your dashboard' }),
                form,
                hint))
    );
    email.focus();
    // The any-password hint is true only in TEST_MODE: ask the gateway (SPEC 13.1).
    api('GET', '/api/v1/dashboard/config', undefined, { allow401: true }).then((cfg) => {
        hint.hidden = !(cfg && cfg.test_mode === true);
    }).catch(() => {});
}

// ---- home -------------------------------------------------------------------------------------

function renderHome(main, alive) {
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

// ---- transactions -------------------------------------------------------------------------------

function renderTransactions(main, alive) {
    const filters = { status: '', method: '', created_from: '', created_to: '' };
    let offset = 0;
    let lastTotal = 0;

    const statusSel = h('select', { id: 'f-status', testid: 'filter-status' },
        h('option', { value: '' }, 'All'),
        ['pending', 'success', 'failed'].map((s) => h('option', { value: s }, s)));
    const methodSel = h('select', { id: 'f-method', testid: 'filter-method' },
        h('option', { value: '' }, 'All'),
        ['upi', 'card'].map((s) => h('option', { value: s }, s)));
    const fromInput = h('input', { id: 'f-from', type: 'date', testid: 'filter-created-from' });
    const toInput = h('input', { id: 'f-to', type: 'date', testid: 'filter-created-to' });
    const applyBtn = h('button', { type: 'button', class: 'btn btn-primary', testid: 'apply-filters-button' }, 'Apply');
    const exportBtn = h('button', { type: 'button', class: 'btn', testid: 'export-csv-button' }, 'Export CSV');
    const msg = h('div', { class: 'alert alert-error', role: 'alert', testid: 'transactions-message', hidden: true });

    const tbody = h('tbody');
    const table = h('table', { testid: 'transactions-table', class: 'table' },
        h('thead', null, h('tr', null,
            ['Payment ID', 'Order ID', 'Amount', 'Method', 'Status', 'Created'].map((t) => h('th', { scope: 'col' }, t)))),
        tbody);
    const prevBtn = h('button', { type: 'button', class: 'btn', testid: 'pagination-prev', disabled: true }, '← Prev');
    const nextBtn = h('button', { type: 'button', class: 'btn', testid: 'pagination-next', disabled: true }, 'Next →');
    const info = h('span', { testid: 'pagination-info', class: 'muted' }, '0–0 of 0');

    main.append(
        h('h1', { class: 'page-title', text: 'Transactions' }),
        h('div', { class: 'card filters' },
            field('Status', 'f-status', statusSel),
            field('Method', 'f-method', methodSel),
            field('Created from', 'f-from', fromInput),
            field('Created to', 'f-to', toInput),
            h('div', { class: 'filter-actions' }, applyBtn, exportBtn)),
        msg,
        h('div', { class: 'card table-card' }, h('div', { class: 'table-wrap' }, table)),
        h('div', { class: 'pagination' }, prevBtn, info, nextBtn));

    function query(withPage) {
        const q = new URLSearchParams();
        for (const [k, v] of Object.entries(filters)) {
            if (v) {
                q.set(k, v);
            }
        }
        if (withPage) {
            q.set('limit', String(TX_PAGE_SIZE));
            q.set('offset', String(offset));
        }
        return q.toString();
    }

    let loadSeq = 0;
    async function load() {
        const mySeq = ++loadSeq;
        table.setAttribute('aria-busy', 'true');
        try {
            const res = await api('GET', '/api/v1/payments?' + query(true));
            if (!alive() || mySeq !== loadSeq) {
                return;
            }
            msg.hidden = true;
            clear(tbody);
            for (const p of res.data) {
                tbody.append(h('tr', { testid: 'transaction-row', 'data-payment-id': p.id },
                    h('td', { testid: 'payment-id', class: 'mono', text: p.id }),
                    h('td', { testid: 'order-id', class: 'mono', text: p.order_id }),
                    h('td', { testid: 'amount', class: 'num', text: p.amount }),
                    h('td', { testid: 'method', text: p.method }),
                    h('td', { testid: 'status', class: 'status status-' + safeClass(p.status), text: p.status }),
                    h('td', { testid: 'created-at', class: 'nowrap', text: formatTimestamp(p.created_at) })));
            }
            if (res.data.length === 0) {
                tbody.append(h('tr', { class: 'empty' }, h('td', { colspan: '6', class: 'muted', text: 'No payments match.' })));
            }
            lastTotal = res.total;
            info.textContent = paginationText(offset, res.data.length, res.total);
            prevBtn.disabled = offset === 0;
            nextBtn.disabled = offset + res.data.length >= res.total;
        } catch (e) {
            if (alive() && e.status !== 401) {
                msg.textContent = e.message;
                msg.hidden = false;
            }
        } finally {
            table.removeAttribute('aria-busy');
        }
    }

    applyBtn.addEventListener('click', () => {
        filters.status = statusSel.value;
        filters.method = methodSel.value;
        filters.created_from = fromInput.value;
        filters.created_to = toInput.value;
        offset = 0;
        load();
    });
    prevBtn.addEventListener('click', () => {
        offset = Math.max(0, offset - TX_PAGE_SIZE);
        load();
    });
    nextBtn.addEventListener('click', () => {
        if (offset + TX_PAGE_SIZE < lastTotal) {
            offset += TX_PAGE_SIZE;
            load();
        }
    });
    exportBtn.addEventListener('click', async () => {
        exportBtn.disabled = true;
        try {
            const res = await api('GET', '/api/v1/payments/export.csv?' + query(false), undefined, { raw: true });
            const blob = await res.blob();
            const url = URL.createObjectURL(blob);
            const a = h('a', { href: url, download: 'export.csv', hidden: true });
            document.body.append(a);
            a.click();
            a.remove();
            setTimeout(() => URL.revokeObjectURL(url), 10000);
        } catch (e) {
            if (e.status !== 401) {
                msg.textContent = e.message;
                msg.hidden = false;
            }
        } finally {
            exportBtn.disabled = false;
        }
    });
    load();
}

function field(label, id, control) {
    return h('div', { class: 'field' }, h('label', { for: id, text: label }), control);
}

function safeClass(s) {
    return String(s).replace(/[^a-z0-9_-]/gi, '');
}

// ---- webhooks -----------------------------------------------------------------------------------

function renderWebhooks(main, alive) {
    let offset = 0;
    let lastTotal = 0;
    let lastJson = '';
    let selectedId = null;

    const urlInput = h('input', {
        id: 'wh-url',
        type: 'url',
        testid: 'webhook-url-input',
        placeholder: 'https://yoursite.com/webhook',
        autocomplete: 'off',
    });
    const secret = h('span', { testid: 'webhook-secret', class: 'mono secret' }, '');
    const regenBtn = h('button', { type: 'button', class: 'btn', testid: 'regenerate-secret-button' }, 'Regenerate');
    const saveBtn = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'save-webhook-button' }, 'Save Configuration');
    const testBtn = h('button', { type: 'button', class: 'btn', testid: 'test-webhook-button' }, 'Send Test Webhook');
    const configMsg = h('div', { testid: 'webhook-config-message', class: 'alert', role: 'status', 'aria-live': 'polite', hidden: true });
    const form = h('form', { testid: 'webhook-config-form', class: 'webhook-form', novalidate: true },
        h('div', { class: 'field' }, h('label', { for: 'wh-url', text: 'Webhook URL' }), urlInput),
        h('div', { class: 'field' },
            h('span', { class: 'field-label', text: 'Webhook Secret' }),
            h('div', { class: 'secret-row' }, secret, regenBtn)),
        h('div', { class: 'form-actions' }, saveBtn, testBtn));

    const tbody = h('tbody');
    const table = h('table', { testid: 'webhook-logs-table', class: 'table' },
        h('thead', null, h('tr', null,
            ['Event', 'Status', 'Attempts', 'Last Attempt', 'Response Code', 'Actions'].map((t) => h('th', { scope: 'col' }, t)))),
        tbody);
    const logsMsg = h('div', { testid: 'webhook-logs-message', class: 'alert', role: 'status', 'aria-live': 'polite', hidden: true });
    const prevBtn = h('button', { type: 'button', class: 'btn', testid: 'webhook-pagination-prev', disabled: true }, '← Prev');
    const nextBtn = h('button', { type: 'button', class: 'btn', testid: 'webhook-pagination-next', disabled: true }, 'Next →');
    const info = h('span', { testid: 'webhook-pagination-info', class: 'muted' }, '0–0 of 0');
    const detail = h('aside', { testid: 'webhook-log-detail', class: 'card detail', hidden: true, 'aria-live': 'polite' });

    main.append(
        h('h1', { class: 'page-title', text: 'Webhooks' }),
        h('div', { testid: 'webhook-config', class: 'card' },
            h('h2', { text: 'Configuration' }),
            form,
            configMsg),
        h('div', { class: 'card table-card' },
            h('div', { class: 'card-head' },
                h('h2', { text: 'Delivery log' }),
                h('span', { class: 'muted small', text: 'Refreshes every 5 seconds. Click a row for details.' })),
            logsMsg,
            h('div', { class: 'table-wrap' }, table),
            h('div', { class: 'pagination' }, prevBtn, info, nextBtn)),
        detail);

    function showMsg(el, text, ok) {
        el.textContent = text;
        el.className = 'alert ' + (ok ? 'alert-ok' : 'alert-error');
        el.hidden = false;
    }

    async function loadConfig() {
        try {
            const m = await api('GET', '/api/v1/merchant');
            if (!alive()) {
                return;
            }
            urlInput.value = m.webhook_url || '';
            secret.textContent = m.webhook_secret || '';
        } catch (e) {
            if (alive() && e.status !== 401) {
                showMsg(configMsg, e.message, false);
            }
        }
    }

    let loadSeq = 0;
    async function loadLogs() {
        const mySeq = ++loadSeq;
        try {
            const res = await api('GET', '/api/v1/webhooks?limit=' + WH_PAGE_SIZE + '&offset=' + offset);
            if (!alive() || mySeq !== loadSeq) {
                return;
            }
            lastTotal = res.total;
            info.textContent = paginationText(offset, res.data.length, res.total);
            prevBtn.disabled = offset === 0;
            nextBtn.disabled = offset + res.data.length >= res.total;
            const json = JSON.stringify(res.data);
            if (json !== lastJson) {
                lastJson = json;
                drawRows(res.data);
            }
            if (selectedId && res.data.some((w) => w.id === selectedId)) {
                loadDetail(selectedId, false);
            }
        } catch (e) {
            if (alive() && e.status !== 401) {
                showMsg(logsMsg, e.message, false);
            }
        }
    }

    function drawRows(rows) {
        clear(tbody);
        for (const w of rows) {
            const retry = h('button', {
                type: 'button',
                class: 'btn btn-small',
                testid: 'retry-webhook-button',
                'data-webhook-id': w.id,
            }, 'Retry');
            retry.addEventListener('click', (ev) => {
                ev.stopPropagation();
                retryLog(w.id, retry);
            });
            const tr = h('tr', {
                testid: 'webhook-log-item',
                'data-webhook-id': w.id,
                class: 'clickable' + (w.id === selectedId ? ' selected' : ''),
                tabindex: '0',
            },
            h('td', { testid: 'webhook-event', class: 'mono', text: w.event }),
            h('td', { testid: 'webhook-status', class: 'status status-' + safeClass(w.status), text: w.status }),
            h('td', { testid: 'webhook-attempts', class: 'num', text: w.attempts }),
            h('td', { testid: 'webhook-last-attempt', class: 'nowrap', text: formatTimestamp(w.last_attempt_at) }),
            h('td', { testid: 'webhook-response-code', class: 'num', text: w.response_code === null || w.response_code === undefined ? '-' : w.response_code }),
            h('td', null, retry));
            tr.addEventListener('click', () => selectRow(w.id));
            tr.addEventListener('keydown', (ev) => {
                if (ev.key === 'Enter' && ev.target === tr) {
                    selectRow(w.id);
                }
            });
            tbody.append(tr);
        }
        if (rows.length === 0) {
            tbody.append(h('tr', { class: 'empty' }, h('td', { colspan: '6', class: 'muted', text: 'No webhook deliveries yet.' })));
        }
    }

    function selectRow(id) {
        selectedId = id;
        for (const tr of tbody.querySelectorAll('tr[data-webhook-id]')) {
            tr.classList.toggle('selected', tr.getAttribute('data-webhook-id') === id);
        }
        loadDetail(id, true);
    }

    let detailSeq = 0;
    async function loadDetail(id, showLoading) {
        const mySeq = ++detailSeq;
        if (showLoading) {
            clear(detail);
            detail.append(h('p', { class: 'muted', text: 'Loading…' }));
            detail.hidden = false;
        }
        try {
            const d = await api('GET', '/api/v1/webhooks/' + encodeURIComponent(id));
            if (!alive() || mySeq !== detailSeq || selectedId !== id) {
                return;
            }
            clear(detail);
            const closeBtn = h('button', { type: 'button', class: 'btn btn-small', testid: 'webhook-detail-close' }, 'Close');
            closeBtn.addEventListener('click', () => {
                selectedId = null;
                detail.hidden = true;
                for (const tr of tbody.querySelectorAll('tr.selected')) {
                    tr.classList.remove('selected');
                }
            });
            const dl = h('dl', { class: 'kv' });
            const rows = [
                ['ID', d.id, 'detail-id'],
                ['Event', d.event, 'detail-event'],
                ['Status', d.status, 'detail-status'],
                ['Attempts', d.attempts, 'detail-attempts'],
                ['Created', formatTimestamp(d.created_at), 'detail-created-at'],
                ['Last attempt', formatTimestamp(d.last_attempt_at), 'detail-last-attempt-at'],
                ['Next retry', formatTimestamp(d.next_retry_at), 'detail-next-retry-at'],
                ['Response code', d.response_code === null || d.response_code === undefined ? '-' : d.response_code, 'detail-response-code'],
            ];
            for (const [k, v, t] of rows) {
                dl.append(h('dt', { text: k }), h('dd', { testid: t, class: 'mono', text: v }));
            }
            let pretty;
            try {
                pretty = JSON.stringify(d.payload, null, 2);
            } catch (e) {
                pretty = String(d.payload);
            }
            detail.append(
                h('div', { class: 'card-head' }, h('h2', { text: 'Webhook delivery' }), closeBtn),
                dl,
                h('h3', { text: 'Response body' }),
                h('pre', { testid: 'detail-response-body', class: 'code' },
                    d.response_body === null || d.response_body === undefined || d.response_body === '' ? '-' : String(d.response_body)),
                h('h3', { text: 'Payload' }),
                h('pre', { testid: 'detail-payload', class: 'code' }, pretty));
            detail.hidden = false;
        } catch (e) {
            if (alive() && mySeq === detailSeq && e.status !== 401) {
                clear(detail);
                detail.append(h('div', { class: 'alert alert-error', text: e.message }));
                detail.hidden = false;
            }
        }
    }

    async function retryLog(id, btn) {
        btn.disabled = true;
        try {
            const r = await api('POST', '/api/v1/webhooks/' + encodeURIComponent(id) + '/retry', {});
            showMsg(logsMsg, r.message || 'Webhook retry scheduled', true);
        } catch (e) {
            if (e.status !== 401) {
                showMsg(logsMsg, e.message, false);
            }
        } finally {
            btn.disabled = false;
        }
        if (alive()) {
            await loadLogs();
        }
    }

    form.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        saveBtn.disabled = true;
        try {
            const m = await api('PUT', '/api/v1/merchant/webhook', { webhook_url: urlInput.value.trim() });
            urlInput.value = m.webhook_url || '';
            secret.textContent = m.webhook_secret || secret.textContent;
            showMsg(configMsg, m.webhook_url ? 'Webhook configuration saved' : 'Webhook URL cleared', true);
        } catch (e) {
            if (e.status !== 401) {
                showMsg(configMsg, e.message, false);
            }
        } finally {
            saveBtn.disabled = false;
        }
        if (alive()) {
            loadLogs();
        }
    });
    regenBtn.addEventListener('click', async () => {
        regenBtn.disabled = true;
        try {
            const r = await api('POST', '/api/v1/merchant/webhook/secret', {});
            secret.textContent = r.webhook_secret;
            showMsg(configMsg, 'Webhook secret regenerated', true);
        } catch (e) {
            if (e.status !== 401) {
                showMsg(configMsg, e.message, false);
            }
        } finally {
            regenBtn.disabled = false;
        }
        if (alive()) {
            loadLogs();
        }
    });
    testBtn.addEventListener('click', async () => {
        testBtn.disabled = true;
        try {
            const r = await api('POST', '/api/v1/merchant/webhook/test', {});
            showMsg(configMsg, r.message || 'Test webhook scheduled', true);
        } catch (e) {
            if (e.status !== 401) {
                showMsg(configMsg, e.message, false);
            }
        } finally {
            testBtn.disabled = false;
        }
        if (alive()) {
            loadLogs();
        }
    });
    prevBtn.addEventListener('click', () => {
        offset = Math.max(0, offset - WH_PAGE_SIZE);
        loadLogs();
    });
    nextBtn.addEventListener('click', () => {
        if (offset + WH_PAGE_SIZE < lastTotal) {
            offset += WH_PAGE_SIZE;
            loadLogs();
        }
    });

    const timer = setInterval(() => {
        if (alive()) {
            loadLogs();
        }
    }, WH_RELOAD_MS);
    state.cleanups.push(() => clearInterval(timer));
    loadConfig();
    loadLogs();
}

// ---- docs ---------------------------------------------------------------------------------------

function renderDocs(main) {
    const m = state.session.merchant;
    const key = m.api_key;
    const secretValue = m.api_secret;
    const createOrder = [
        'curl -X POST http://localhost:8000/api/v1/orders \\',
        '  -H "X-Api-Key: ' + key + '" \\',
        '  -H "X-Api-Secret: ' + secretValue + '" \\',
        '  -H "Content-Type: application/json" \\',
        '  -d \'{"amount": 50000, "currency": "INR", "receipt": "receipt_123", "notes": {"customer_name": "John Doe"}}\'',
    ].join('\n');
    const sdk = [
        '<script src="http://localhost:3001/checkout.js"></script>',
        '<script>',
        '  new PaymentGateway({',
        "    key: '" + key + "',",
        "    orderId: 'order_xyz',",
        '    onSuccess(response) {',
        "      console.log('Payment ID:', response.paymentId);",
        '    },',
        '    onFailure(error) {',
        "      console.log('Payment failed:', error.errorDescription);",
        '    },',
        '    onClose() {',
        "      console.log('Checkout closed');",
        '    },',
        '  }).open();',
        '</script>',
    ].join('\n');
    const webhook = [
        "const crypto = require('crypto');",
        '',
        '// rawBody: the exact bytes of the request body (a Buffer), before any JSON parsing.',
        'function verifyWebhook(rawBody, signatureHeader, webhookSecret) {',
        '  const expected = crypto',
        "    .createHmac('sha256', webhookSecret)",
        '    .update(rawBody)',
        "    .digest('hex');",
        "  const received = Buffer.from(String(signatureHeader || ''), 'utf8');",
        "  const wanted = Buffer.from(expected, 'utf8');",
        '  return received.length === wanted.length && crypto.timingSafeEqual(received, wanted);',
        '}',
        '',
        '// Express example',
        "app.post('/webhook', express.raw({ type: 'application/json' }), (req, res) => {",
        "  if (!verifyWebhook(req.body, req.get('X-Webhook-Signature'), process.env.WEBHOOK_SECRET)) {",
        '    return res.status(401).end();',
        '  }',
        '  const event = JSON.parse(req.body);',
        "  console.log('Received', event.event);",
        '  res.status(200).end();',
        '});',
    ].join('\n');
    main.append(
        h('div', { testid: 'api-docs', class: 'docs' },
            h('h1', { class: 'page-title', text: 'Integration Guide' }),
            h('p', { class: 'muted' },
                'Signed in as ', h('strong', { text: m.email }), '. The snippets use your API key ',
                h('code', { text: key }), '.'),
            h('section', { testid: 'section-create-order', class: 'card' },
                h('h2', { text: '1. Create an order' }),
                h('p', { text: 'Create an order from your server with your API key and secret. Amounts are in paise.' }),
                h('pre', { testid: 'code-snippet-create-order', class: 'code' }, h('code', { text: createOrder }))),
            h('section', { testid: 'section-sdk-integration', class: 'card' },
                h('h2', { text: '2. Open the checkout with the SDK' }),
                h('p', { text: 'Load checkout.js on your page and open the payment modal for the order.' }),
                h('pre', { testid: 'code-snippet-sdk', class: 'code' }, h('code', { text: sdk }))),
            h('section', { testid: 'section-webhook-verification', class: 'card' },
                h('h2', { text: '3. Verify webhook signatures' }),
                h('p', null, 'Every webhook carries ', h('code', { text: 'X-Webhook-Signature' }),
                    ': the hex HMAC-SHA256 of the raw body, keyed with your webhook secret.'),
                h('pre', { testid: 'code-snippet-webhook', class: 'code' }, h('code', { text: webhook })))));
}

// ---- boot ---------------------------------------------------------------------------------------

async function boot() {
    try {
        const s = await api('GET', '/api/v1/dashboard/session', undefined, { allow401: true });
        state.session = { merchant: s.merchant, csrf_token: s.csrf_token };
    } catch (e) {
        state.session = null;
    }
    window.addEventListener('popstate', route);
    route();
}

boot();
