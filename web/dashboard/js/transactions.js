// The transactions page (SPEC 13.3): search by payment or order id, filters, the paged table
// (a row opens the payment, payment.js) and the CSV export.

import { api } from './api.js';
import { clear, field, h, safeClass } from './dom.js';
import { formatMoney, formatTimestamp, paginationText } from './format.js';
import { navigate } from './router.js';

const TX_PAGE_SIZE = 100;

export function renderTransactions(main, alive) {
    const filters = { status: '', method: '', created_from: '', created_to: '', order_id: '' };
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
    const searchInput = h('input', {
        id: 'f-search',
        type: 'search',
        testid: 'search-input',
        placeholder: 'pay_… or order_…',
        autocomplete: 'off',
        spellcheck: 'false',
    });
    const searchBtn = h('button', { type: 'submit', class: 'btn', testid: 'search-button' }, 'Search');
    const searchForm = h('form', { class: 'search', testid: 'search-form', role: 'search' },
        field('Payment or order id', 'f-search', searchInput), searchBtn);

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
            searchForm,
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
        clear(tbody);
        tbody.append(h('tr', { class: 'loading-row', testid: 'transactions-loading' },
            h('td', { colspan: '6', text: 'Loading…' })));
        try {
            const res = await api('GET', '/api/v1/payments?' + query(true));
            if (!alive() || mySeq !== loadSeq) {
                return;
            }
            msg.hidden = true;
            clear(tbody);
            for (const p of res.data) {
                tbody.append(paymentRow(p));
            }
            if (res.data.length === 0) {
                tbody.append(h('tr', { class: 'empty', testid: 'transactions-empty' },
                    h('td', { colspan: '6', class: 'muted', text: 'No payments match.' })));
            }
            lastTotal = res.total;
            info.textContent = paginationText(offset, res.data.length, res.total);
            prevBtn.disabled = offset === 0;
            nextBtn.disabled = offset + res.data.length >= res.total;
        } catch (e) {
            if (alive() && mySeq === loadSeq && e.status !== 401) {
                clear(tbody);
                msg.textContent = e.message;
                msg.hidden = false;
            }
        } finally {
            table.removeAttribute('aria-busy');
        }
    }

    searchForm.addEventListener('submit', (ev) => {
        ev.preventDefault();
        const q = searchInput.value.trim();
        if (/^pay_[A-Za-z0-9]{16}$/.test(q)) {
            navigate('/dashboard/transactions/' + encodeURIComponent(q));
            return;
        }
        if (q !== '' && !/^order_[A-Za-z0-9]{16}$/.test(q)) {
            msg.textContent = 'Enter a payment id (pay_…) or an order id (order_…)';
            msg.hidden = false;
            return;
        }
        filters.order_id = q;
        offset = 0;
        load();
    });
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

// One row (SPEC 13.3 cells). The amount cell's text is the raw minor units SPEC asks for; the
// stylesheet draws data-display (the money in the payment's currency) in its place. A click or
// Enter opens the payment.
function paymentRow(p) {
    const money = formatMoney(p.amount, p.currency);
    // SPEC 22: a failed payment shows its error_code beside the status, drawn by CSS from
    // data-error-code (the cell's text stays the status of SPEC 13.3); the description is the tooltip.
    const status = h('td', {
        testid: 'status',
        class: 'status status-' + safeClass(p.status),
        'data-error-code': p.error_code || null,
        text: p.status,
    });
    if (p.error_code) {
        status.title = p.error_description || p.error_code;
    }
    const href = '/dashboard/transactions/' + encodeURIComponent(p.id);
    const tr = h('tr', { testid: 'transaction-row', 'data-payment-id': p.id, class: 'clickable', tabindex: '0' },
        h('td', { testid: 'payment-id', class: 'mono', text: p.id }),
        h('td', { testid: 'order-id', class: 'mono', text: p.order_id }),
        h('td', {
            testid: 'amount',
            class: 'num money',
            'data-amount': p.amount,
            'data-currency': p.currency,
            'data-display': money,
            'aria-label': money,
            text: p.amount,
        }),
        h('td', { testid: 'method', text: p.method }),
        status,
        h('td', { testid: 'created-at', class: 'nowrap', text: formatTimestamp(p.created_at) }));
    tr.addEventListener('click', (ev) => {
        if (!window.getSelection || String(window.getSelection()) === '') {
            ev.preventDefault();
            navigate(href);
        }
    });
    tr.addEventListener('keydown', (ev) => {
        if (ev.key === 'Enter' && ev.target === tr) {
            navigate(href);
        }
    });
    return tr;
}
