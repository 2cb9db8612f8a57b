// The webhooks page (SPEC 13.4): the configuration form, the delivery log (refreshed every five
// seconds) and the detail of one delivery.

import { api } from './api.js';
import { clear, h, safeClass } from './dom.js';
import { endpointsPanel, eventsPanel } from './endpoints.js';
import { formatTimestamp, paginationText } from './format.js';
import { state } from './state.js';

const WH_PAGE_SIZE = 50;
const WH_RELOAD_MS = 5000;

export function renderWebhooks(main, alive) {
    const logs = logsPanel(alive);
    const config = configPanel(alive, () => logs.reload());
    let endpointList = [];
    const events = eventsPanel(alive, () => endpointList);
    const endpoints = endpointsPanel(alive, (list) => {
        endpointList = list;
    });
    main.append(h('h1', { class: 'page-title', text: 'Webhooks' }), config.el, logs.el, logs.detail.el,
        endpoints.el, events.el);
    endpoints.load();
    events.load();
    const timer = setInterval(() => {
        if (alive()) {
            logs.reload();
        }
    }, WH_RELOAD_MS);
    state.cleanups.push(() => clearInterval(timer));
    config.load();
    logs.reload();
}

export function showMsg(el, text, ok) {
    el.textContent = text;
    el.className = 'alert ' + (ok ? 'alert-ok' : 'alert-error');
    el.hidden = false;
}

// Runs an action behind a button: disabled while it runs, its answer or error in msgEl, then
// after() when the view is still shown.
async function buttonAction(btn, msgEl, alive, action, after) {
    btn.disabled = true;
    try {
        const text = await action();
        if (text) {
            showMsg(msgEl, text, true);
        }
    } catch (e) {
        if (e.status !== 401) {
            showMsg(msgEl, e.message + requestIdNote(e.requestId), false);
        }
    } finally {
        btn.disabled = false;
    }
    if (alive() && after) {
        after();
    }
}

// ---- configuration ------------------------------------------------------------------------------

function configPanel(alive, onChange) {
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
    const el = h('div', { testid: 'webhook-config', class: 'card' },
        h('h2', { text: 'Configuration' }),
        form,
        configMsg);

    async function load() {
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

    form.addEventListener('submit', (ev) => {
        ev.preventDefault();
        buttonAction(saveBtn, configMsg, alive, async () => {
            const m = await api('PUT', '/api/v1/merchant/webhook', { webhook_url: urlInput.value.trim() });
            urlInput.value = m.webhook_url || '';
            secret.textContent = m.webhook_secret || secret.textContent;
            return m.webhook_url ? 'Webhook configuration saved' : 'Webhook URL cleared';
        }, onChange);
    });
    regenBtn.addEventListener('click', () => {
        buttonAction(regenBtn, configMsg, alive, async () => {
            const r = await api('POST', '/api/v1/merchant/webhook/secret', {});
            secret.textContent = r.webhook_secret;
            return 'Webhook secret regenerated';
        }, onChange);
    });
    testBtn.addEventListener('click', () => {
        buttonAction(testBtn, configMsg, alive, async () => {
            const r = await api('POST', '/api/v1/merchant/webhook/test', {});
            return r.message || 'Test webhook scheduled';
        }, onChange);
    });
    return { el, load };
}

// ---- delivery log -------------------------------------------------------------------------------

function logsPanel(alive) {
    let offset = 0;
    let lastTotal = 0;
    let lastJson = '';
    let selectedId = null;

    const tbody = h('tbody');
    const table = h('table', { testid: 'webhook-logs-table', class: 'table' },
        h('thead', null, h('tr', null,
            ['Event', 'Status', 'Attempts', 'Last Attempt', 'Response Code', 'Actions'].map((t) => h('th', { scope: 'col' }, t)))),
        tbody);
    const logsMsg = h('div', { testid: 'webhook-logs-message', class: 'alert', role: 'status', 'aria-live': 'polite', hidden: true });
    const prevBtn = h('button', { type: 'button', class: 'btn', testid: 'webhook-pagination-prev', disabled: true }, '← Prev');
    const nextBtn = h('button', { type: 'button', class: 'btn', testid: 'webhook-pagination-next', disabled: true }, 'Next →');
    const info = h('span', { testid: 'webhook-pagination-info', class: 'muted' }, '0–0 of 0');
    const el = h('div', { class: 'card table-card' },
        h('div', { class: 'card-head' },
            h('h2', { text: 'Delivery log' }),
            h('span', { class: 'muted small', text: 'Refreshes every 5 seconds. Click a row for details.' })),
        logsMsg,
        h('div', { class: 'table-wrap' }, table),
        h('div', { class: 'pagination' }, prevBtn, info, nextBtn));
    const detail = webhookDetail(alive, () => {
        selectedId = null;
        for (const tr of tbody.querySelectorAll('tr.selected')) {
            tr.classList.remove('selected');
        }
    });

    let loadSeq = 0;
    async function reload() {
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
                detail.show(selectedId, false);
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
            tbody.append(logRow(w));
        }
        if (rows.length === 0) {
            tbody.append(h('tr', { class: 'empty' }, h('td', { colspan: '6', class: 'muted', text: 'No webhook deliveries yet.' })));
        }
    }

    function logRow(w) {
        const retry = h('button', {
            type: 'button',
            class: 'btn btn-small',
            testid: 'retry-webhook-button',
            'data-webhook-id': w.id,
        }, 'Retry');
        retry.addEventListener('click', (ev) => {
            ev.stopPropagation();
            buttonAction(retry, logsMsg, alive, async () => {
                const r = await api('POST', '/api/v1/webhooks/' + encodeURIComponent(w.id) + '/retry', {});
                return r.message || 'Webhook retry scheduled';
            }, reload);
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
        return tr;
    }

    function selectRow(id) {
        selectedId = id;
        for (const tr of tbody.querySelectorAll('tr[data-webhook-id]')) {
            tr.classList.toggle('selected', tr.getAttribute('data-webhook-id') === id);
        }
        detail.show(id, true);
    }

    prevBtn.addEventListener('click', () => {
        offset = Math.max(0, offset - WH_PAGE_SIZE);
        reload();
    });
    nextBtn.addEventListener('click', () => {
        if (offset + WH_PAGE_SIZE < lastTotal) {
            offset += WH_PAGE_SIZE;
            reload();
        }
    });
    return { el, detail, reload, selected: () => selectedId };
}

// ---- one delivery -------------------------------------------------------------------------------

export function webhookDetail(alive, onClose) {
    const el = h('aside', { testid: 'webhook-log-detail', class: 'card detail', hidden: true, 'aria-live': 'polite' });
    let shownId = null;
    let detailSeq = 0;

    async function show(id, showLoading) {
        const mySeq = ++detailSeq;
        shownId = id;
        if (showLoading) {
            clear(el);
            el.append(h('p', { class: 'muted', text: 'Loading…' }));
            el.hidden = false;
        }
        try {
            const { data: d, requestId } = await api('GET', '/api/v1/webhooks/' + encodeURIComponent(id), undefined, { meta: true });
            if (!alive() || mySeq !== detailSeq || shownId !== id) {
                return;
            }
            clear(el);
            const closeBtn = h('button', { type: 'button', class: 'btn btn-small', testid: 'webhook-detail-close' }, 'Close');
            closeBtn.addEventListener('click', () => {
                shownId = null;
                el.hidden = true;
                onClose();
            });
            el.append(h('div', { class: 'card-head' }, h('h2', { text: 'Webhook delivery' }), closeBtn), ...webhookDetailBody(d, requestId));
            el.hidden = false;
        } catch (e) {
            if (alive() && mySeq === detailSeq && e.status !== 401) {
                clear(el);
                el.append(h('div', { class: 'alert alert-error', text: e.message + requestIdNote(e.requestId) }));
                el.hidden = false;
            }
        }
    }
    return { el, show };
}

// " (request id …)" for error messages, so that an operator can find the request in the logs.
export function requestIdNote(id) {
    return id ? ' (request id ' + id + ')' : '';
}

// requestId: the X-Request-Id of the answer that loaded the view (README: finding a request).
function webhookDetailBody(d, requestId) {
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
        ['Request id', requestId || '-', 'detail-request-id'],
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
    return [
        dl,
        h('h3', { text: 'Response body' }),
        h('pre', { testid: 'detail-response-body', class: 'code' },
            d.response_body === null || d.response_body === undefined || d.response_body === '' ? '-' : String(d.response_body)),
        h('h3', { text: 'Payload' }),
        h('pre', { testid: 'detail-payload', class: 'code' }, pretty),
    ];
}
