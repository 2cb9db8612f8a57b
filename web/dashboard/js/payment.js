// One payment (/dashboard/transactions/<payment_id>, extension of SPEC 13.3): its fields, its
// refunds, the webhook deliveries of the payment and of its refunds, and the Capture and Refund
// actions. The X-Request-Id of the answer that loaded the view (and of every action) is shown, so
// that a merchant can quote it and an operator can find the request in the logs (README).

import { api } from './api.js';
import { clear, field, h, safeClass } from './dom.js';
import { formatMoney, formatTimestamp, minorDigits } from './format.js';
import { navLink } from './router.js';
import { requestIdNote, showMsg, webhookDetail } from './webhooks.js';

export function renderPayment(main, alive, params) {
    const id = params.id;
    const title = h('h1', { class: 'page-title' }, 'Payment ', h('span', { class: 'mono', text: id }));
    const msg = h('div', { class: 'alert', role: 'status', 'aria-live': 'polite', testid: 'payment-message', hidden: true });
    const body = h('div', { testid: 'payment-detail', 'data-payment-id': id },
        h('p', { class: 'muted', testid: 'loading', role: 'status', text: 'Loading…' }));
    main.append(h('p', null, navLink('/dashboard/transactions', '← Transactions', { testid: 'back-to-transactions' })),
        title, msg, body);

    let seq = 0;
    async function load() {
        const mySeq = ++seq;
        try {
            const enc = encodeURIComponent(id);
            const [pay, refunds, logs] = await Promise.all([
                api('GET', '/api/v1/payments/' + enc, undefined, { meta: true }),
                api('GET', '/api/v1/payments/' + enc + '/refunds?limit=100'),
                api('GET', '/api/v1/webhooks?limit=100&payment_id=' + enc),
            ]);
            if (!alive() || mySeq !== seq) {
                return;
            }
            clear(body);
            body.append(...paymentView(pay.data, pay.requestId, refunds.data, logs.data));
        } catch (e) {
            if (alive() && mySeq === seq && e.status !== 401) {
                clear(body);
                body.append(h('div', { class: 'alert alert-error', role: 'alert', testid: 'payment-error',
                    text: e.message + requestIdNote(e.requestId) }));
            }
        }
    }

    function paymentView(p, requestId, refunds, logs) {
        return [
            fieldsCard(p, requestId),
            actionsCard(p, refunds),
            refundsCard(p, refunds),
            webhooksCard(logs),
        ];
    }

    function fieldsCard(p, requestId) {
        const dl = h('dl', { class: 'kv' });
        const rows = [
            ['ID', p.id, 'id'],
            ['Order', p.order_id, 'order-id'],
            ['Amount', formatMoney(p.amount, p.currency), 'amount'],
            ['Currency', p.currency, 'currency'],
            ['Method', p.method, 'method'],
            p.method === 'upi' ? ['VPA', p.vpa, 'vpa'] : ['Card', (p.card_network || '') + ' •••• ' + (p.card_last4 || ''), 'card'],
            ['Status', p.status, 'status'],
            ['Captured', p.captured ? 'yes' : 'no', 'captured'],
            p.error_code ? ['Error', p.error_code + (p.error_description ? ': ' + p.error_description : ''), 'error'] : null,
            ['Created', formatTimestamp(p.created_at), 'created-at'],
            ['Updated', formatTimestamp(p.updated_at), 'updated-at'],
            ['Request id', requestId || '-', 'request-id'],
        ];
        for (const row of rows) {
            if (row) {
                const [k, v, t] = row;
                dl.append(h('dt', { text: k }), h('dd', { testid: 'payment-' + t, class: 'mono', text: v }));
            }
        }
        dl.querySelector('[data-test-id="payment-amount"]').setAttribute('data-amount', String(p.amount));
        dl.querySelector('[data-test-id="payment-status"]').className = 'mono status status-' + safeClass(p.status);
        return h('div', { class: 'card' }, h('h2', { text: 'Details' }), dl);
    }

    // Capture (success, not captured) and Refund (success, something left to refund).
    function actionsCard(p, refunds) {
        const refunded = refunds.filter((r) => r.status === 'pending' || r.status === 'processed')
            .reduce((a, r) => a + r.amount, 0);
        const left = p.amount - refunded;
        const digits = minorDigits(p.currency);
        const captureBtn = h('button', { type: 'button', class: 'btn', testid: 'capture-button',
            disabled: !(p.status === 'success' && !p.captured) }, p.captured ? 'Captured' : 'Capture');
        const amount = h('input', { id: 'refund-amount', type: 'number', min: '0', step: digits ? String(10 ** -digits) : '1',
            testid: 'refund-amount-input', value: left > 0 ? (left / 10 ** digits).toFixed(digits) : '' });
        const reason = h('input', { id: 'refund-reason', type: 'text', maxlength: '1000', testid: 'refund-reason-input',
            placeholder: 'Customer requested refund' });
        const refundBtn = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'refund-button',
            disabled: !(p.status === 'success' && left > 0) }, 'Refund');
        const form = h('form', { class: 'detail-actions', testid: 'refund-form', novalidate: true },
            field('Refund amount (' + p.currency + ')', 'refund-amount', amount),
            field('Reason', 'refund-reason', reason),
            refundBtn, captureBtn);

        captureBtn.addEventListener('click', () => act(captureBtn, async () => {
            const r = await api('POST', '/api/v1/payments/' + encodeURIComponent(p.id) + '/capture', {}, { meta: true });
            return 'Payment captured' + requestIdNote(r.requestId);
        }));
        form.addEventListener('submit', (ev) => {
            ev.preventDefault();
            const minor = Math.round(Number(amount.value) * 10 ** digits);
            if (!Number.isFinite(minor) || minor < 1) {
                showMsg(msg, 'Enter an amount to refund', false);
                return;
            }
            const payload = { amount: minor };
            if (reason.value.trim() !== '') {
                payload.reason = reason.value.trim();
            }
            act(refundBtn, async () => {
                const r = await api('POST', '/api/v1/payments/' + encodeURIComponent(p.id) + '/refunds', payload, { meta: true });
                return 'Refund ' + r.data.id + ' of ' + formatMoney(r.data.amount, p.currency) + ' created' + requestIdNote(r.requestId);
            });
        });
        return h('div', { class: 'card', testid: 'payment-actions' },
            h('h2', { text: 'Actions' }),
            h('p', { class: 'muted small', text: 'Refundable: ' + formatMoney(Math.max(0, left), p.currency) }),
            form);
    }

    async function act(btn, action) {
        btn.disabled = true;
        try {
            showMsg(msg, await action(), true);
        } catch (e) {
            if (e.status !== 401) {
                showMsg(msg, e.message + requestIdNote(e.requestId), false);
            }
        }
        if (alive()) {
            await load();
        }
    }

    function refundsCard(p, refunds) {
        const tbody = h('tbody', null, refunds.map((r) => h('tr', { testid: 'refund-row', 'data-refund-id': r.id },
            h('td', { class: 'mono', text: r.id }),
            h('td', { class: 'num', text: formatMoney(r.amount, p.currency) }),
            h('td', { class: 'status status-' + safeClass(r.status), text: r.status }),
            h('td', { text: r.reason === null ? '-' : r.reason }),
            h('td', { class: 'nowrap', text: formatTimestamp(r.created_at) }),
            h('td', { class: 'nowrap', text: formatTimestamp(r.processed_at) }))));
        if (refunds.length === 0) {
            tbody.append(h('tr', { class: 'empty' }, h('td', { colspan: '6', class: 'muted', text: 'No refunds.' })));
        }
        return h('div', { class: 'card table-card' }, h('h2', { text: 'Refunds' }),
            h('div', { class: 'table-wrap' }, h('table', { class: 'table', testid: 'payment-refunds' },
                h('thead', null, h('tr', null, ['Refund ID', 'Amount', 'Status', 'Reason', 'Created', 'Processed']
                    .map((t) => h('th', { scope: 'col' }, t)))),
                tbody)));
    }

    function webhooksCard(logs) {
        const detail = webhookDetail(alive, () => {});
        const tbody = h('tbody', null, logs.map((w) => {
            const tr = h('tr', { testid: 'payment-webhook-row', 'data-webhook-id': w.id, class: 'clickable', tabindex: '0' },
                h('td', { class: 'mono', text: w.event }),
                h('td', { class: 'status status-' + safeClass(w.status), text: w.status }),
                h('td', { class: 'num', text: w.attempts }),
                h('td', { class: 'nowrap', text: formatTimestamp(w.last_attempt_at) }),
                h('td', { class: 'num', text: w.response_code === null ? '-' : w.response_code }));
            tr.addEventListener('click', () => detail.show(w.id, true));
            tr.addEventListener('keydown', (ev) => {
                if (ev.key === 'Enter') {
                    detail.show(w.id, true);
                }
            });
            return tr;
        }));
        if (logs.length === 0) {
            tbody.append(h('tr', { class: 'empty' }, h('td', { colspan: '5', class: 'muted', text: 'No webhook deliveries for this payment.' })));
        }
        return h('div', null,
            h('div', { class: 'card table-card' }, h('h2', { text: 'Webhook deliveries' }),
                h('div', { class: 'table-wrap' }, h('table', { class: 'table', testid: 'payment-webhooks' },
                    h('thead', null, h('tr', null, ['Event', 'Status', 'Attempts', 'Last Attempt', 'Response Code']
                        .map((t) => h('th', { scope: 'col' }, t)))),
                    tbody))),
            detail.el);
    }

    load();
}
