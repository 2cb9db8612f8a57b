// The transactions page (SPEC 13.3): filters, the paged table and the CSV export.

import { api } from './api.js';
import { clear, field, h, safeClass } from './dom.js';
import { formatTimestamp, paginationText } from './format.js';

const TX_PAGE_SIZE = 100;

export function renderTransactions(main, alive) {
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
