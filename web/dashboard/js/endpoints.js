// Webhook endpoints and the event log on the webhooks page (SPEC 21.3): create, edit, disable /
// enable, rotate and delete endpoints (a secret is shown once, after create and rotate), the
// event log with its filters and cursor pages, each event's deliveries with their attempts, and
// Resend.

import { api } from './api.js';
import { clear, h, safeClass } from './dom.js';
import { formatTimestamp } from './format.js';

const EV_PAGE = 20;
const EVENT_TYPES = ['payment.*', 'payment.created', 'payment.pending', 'payment.success', 'payment.failed',
    'payment.requires_action', 'refund.*', 'refund.created', 'refund.processed', 'webhook.test',
    'webhook_endpoint.disabled'];

function msg(el, text, ok) {
    el.textContent = text;
    el.className = 'alert ' + (ok ? 'alert-ok' : 'alert-error');
    el.hidden = false;
}

async function run(btn, msgEl, alive, action, after) {
    btn.disabled = true;
    try {
        const text = await action();
        if (text) {
            msg(msgEl, text, true);
        }
    } catch (e) {
        if (e.status !== 401) {
            msg(msgEl, e.message, false);
        }
    } finally {
        btn.disabled = false;
    }
    if (alive() && after) {
        after();
    }
}

function unixToText(s) {
    return formatTimestamp(new Date(s * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'));
}

// ---- endpoints ----------------------------------------------------------------------------------

export function endpointsPanel(alive, onChange) {
    let editing = null; // the endpoint being edited, or null when the form creates
    const url = h('input', { id: 'we-url', type: 'url', testid: 'endpoint-url-input', placeholder: 'https://yoursite.com/hooks', autocomplete: 'off' });
    const events = h('input', { id: 'we-events', type: 'text', testid: 'endpoint-events-input', value: '*', placeholder: 'payment.*, refund.processed' });
    const desc = h('input', { id: 'we-desc', type: 'text', testid: 'endpoint-description-input', maxlength: '255' });
    const submit = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'endpoint-save-button' }, 'Add endpoint');
    const cancel = h('button', { type: 'button', class: 'btn', testid: 'endpoint-cancel-button', hidden: true }, 'Cancel');
    const m = h('div', { testid: 'endpoint-message', class: 'alert', role: 'status', 'aria-live': 'polite', hidden: true });
    const secretBox = h('div', { testid: 'endpoint-secret-once', class: 'alert alert-ok', hidden: true });
    const form = h('form', { testid: 'endpoint-form', class: 'webhook-form', novalidate: true },
        h('div', { class: 'field' }, h('label', { for: 'we-url', text: 'Endpoint URL' }), url),
        h('div', { class: 'field' }, h('label', { for: 'we-events', text: 'Events (comma-separated types, prefix.* or *)' }), events),
        h('div', { class: 'field' }, h('label', { for: 'we-desc', text: 'Description' }), desc),
        h('div', { class: 'form-actions' }, submit, cancel));
    const tbody = h('tbody');
    const table = h('table', { testid: 'endpoints-table', class: 'table' },
        h('thead', null, h('tr', null, ['URL', 'Events', 'Status', 'Description', 'Actions'].map((t) => h('th', { scope: 'col' }, t)))),
        tbody);
    const el = h('div', { testid: 'webhook-endpoints', class: 'card table-card' },
        h('div', { class: 'card-head' }, h('h2', { text: 'Endpoints' }),
            h('span', { class: 'muted small', text: 'Up to 16 receivers, each with its own secret (Standard Webhooks).' })),
        m, secretBox, form, h('div', { class: 'table-wrap' }, table));

    function showSecret(s) {
        clear(secretBox);
        secretBox.append(h('strong', { text: 'Signing secret (shown only now, copy it): ' }),
            h('span', { testid: 'endpoint-secret', class: 'mono secret', text: s }));
        secretBox.hidden = false;
    }

    function resetForm() {
        editing = null;
        url.value = '';
        events.value = '*';
        desc.value = '';
        submit.textContent = 'Add endpoint';
        cancel.hidden = true;
    }

    async function load() {
        try {
            const res = await api('GET', '/api/v1/webhook_endpoints?limit=100');
            if (!alive()) {
                return;
            }
            clear(tbody);
            for (const e of res.data) {
                tbody.append(row(e));
            }
            if (res.data.length === 0) {
                tbody.append(h('tr', { class: 'empty' }, h('td', { colspan: '5', class: 'muted', text: 'No endpoints yet.' })));
            }
            onChange(res.data);
        } catch (e) {
            if (alive() && e.status !== 401) {
                msg(m, e.message, false);
            }
        }
    }

    function button(text, testid, id) {
        return h('button', { type: 'button', class: 'btn btn-small', testid, 'data-endpoint-id': id }, text);
    }

    function row(e) {
        const edit = button('Edit', 'endpoint-edit-button', e.id);
        const toggle = button(e.status === 'enabled' ? 'Disable' : 'Enable', 'endpoint-toggle-button', e.id);
        const rotate = button('Rotate secret', 'endpoint-rotate-button', e.id);
        const del = button('Delete', 'endpoint-delete-button', e.id);
        edit.addEventListener('click', () => {
            editing = e;
            url.value = e.url;
            events.value = e.enabled_events.join(', ');
            desc.value = e.description || '';
            submit.textContent = 'Save changes';
            cancel.hidden = false;
            secretBox.hidden = true;
            url.focus();
        });
        toggle.addEventListener('click', () => run(toggle, m, alive, async () => {
            const r = await api('PATCH', '/api/v1/webhook_endpoints/' + e.id,
                { status: e.status === 'enabled' ? 'disabled' : 'enabled' });
            return r.status === 'enabled' ? 'Endpoint enabled' : 'Endpoint disabled';
        }, load));
        rotate.addEventListener('click', () => run(rotate, m, alive, async () => {
            const r = await api('POST', '/api/v1/webhook_endpoints/' + e.id + '/rotate_secret', {});
            showSecret(r.secret);
            return 'Secret rotated; the previous one keeps signing until ' + formatTimestamp(r.previous_secret_expires_at);
        }, load));
        del.addEventListener('click', () => {
            if (!window.confirm('Delete the endpoint ' + e.url + '?')) {
                return;
            }
            run(del, m, alive, async () => {
                await api('DELETE', '/api/v1/webhook_endpoints/' + e.id);
                return 'Endpoint deleted';
            }, load);
        });
        const status = e.status + (e.disabled_reason ? ' (' + e.disabled_reason + ')' : '');
        return h('tr', { testid: 'endpoint-item', 'data-endpoint-id': e.id },
            h('td', { testid: 'endpoint-url', class: 'mono', text: e.url }),
            h('td', { testid: 'endpoint-events', class: 'mono', text: e.enabled_events.join(', ') }),
            h('td', { testid: 'endpoint-status', class: 'status status-' + safeClass(e.status), text: status }),
            h('td', { testid: 'endpoint-description', text: e.description || '' }),
            h('td', { class: 'nowrap' }, edit, toggle, rotate, del));
    }

    form.addEventListener('submit', (ev) => {
        ev.preventDefault();
        const body = {
            url: url.value.trim(),
            enabled_events: events.value.split(',').map((s) => s.trim()).filter((s) => s !== ''),
            description: desc.value === '' ? null : desc.value,
        };
        run(submit, m, alive, async () => {
            if (editing) {
                await api('PATCH', '/api/v1/webhook_endpoints/' + editing.id, body);
                resetForm();
                return 'Endpoint saved';
            }
            const r = await api('POST', '/api/v1/webhook_endpoints', body);
            showSecret(r.secret);
            resetForm();
            return 'Endpoint added';
        }, load);
    });
    cancel.addEventListener('click', resetForm);
    return { el, load };
}

// ---- events -------------------------------------------------------------------------------------

export function eventsPanel(alive, endpoints) {
    let cursor = { after: null, before: null };
    let page = [];
    const type = h('select', { id: 'ev-type', testid: 'event-type-filter' },
        h('option', { value: '', text: 'All types' }), EVENT_TYPES.map((t) => h('option', { value: t, text: t })));
    const ds = h('select', { id: 'ev-ds', testid: 'event-delivery-filter' },
        h('option', { value: '', text: 'Any delivery' }), h('option', { value: 'false', text: 'Failing' }),
        h('option', { value: 'true', text: 'Delivered' }));
    const from = h('input', { id: 'ev-from', type: 'date', testid: 'event-from-filter' });
    const to = h('input', { id: 'ev-to', type: 'date', testid: 'event-to-filter' });
    const m = h('div', { testid: 'event-message', class: 'alert', role: 'status', 'aria-live': 'polite', hidden: true });
    const tbody = h('tbody');
    const table = h('table', { testid: 'events-table', class: 'table' },
        h('thead', null, h('tr', null, ['Type', 'Event', 'Created', 'Pending', 'Actions'].map((t) => h('th', { scope: 'col' }, t)))),
        tbody);
    const newer = h('button', { type: 'button', class: 'btn', testid: 'event-newer', disabled: true }, '← Newer');
    const older = h('button', { type: 'button', class: 'btn', testid: 'event-older', disabled: true }, 'Older →');
    const detail = h('aside', { testid: 'event-detail', class: 'card detail', hidden: true, 'aria-live': 'polite' });
    const el = h('div', { testid: 'event-log', class: 'card table-card' },
        h('div', { class: 'card-head' }, h('h2', { text: 'Event log' })),
        h('div', { class: 'filters' },
            h('label', { for: 'ev-type', text: 'Type' }), type,
            h('label', { for: 'ev-ds', text: 'Delivery' }), ds,
            h('label', { for: 'ev-from', text: 'From' }), from,
            h('label', { for: 'ev-to', text: 'To' }), to),
        m, h('div', { class: 'table-wrap' }, table), h('div', { class: 'pagination' }, newer, older), detail);

    function query() {
        const q = ['limit=' + EV_PAGE];
        if (type.value) {
            q.push('type=' + encodeURIComponent(type.value));
        }
        if (ds.value) {
            q.push('delivery_success=' + ds.value);
        }
        if (from.value) {
            q.push('created%5Bgte%5D=' + Math.floor(Date.parse(from.value + 'T00:00:00Z') / 1000));
        }
        if (to.value) {
            q.push('created%5Blte%5D=' + (Math.floor(Date.parse(to.value + 'T00:00:00Z') / 1000) + 86399));
        }
        if (cursor.after) {
            q.push('starting_after=' + encodeURIComponent(cursor.after));
        } else if (cursor.before) {
            q.push('ending_before=' + encodeURIComponent(cursor.before));
        }
        return '/api/v1/events?' + q.join('&');
    }

    async function load() {
        try {
            const res = await api('GET', query());
            if (!alive()) {
                return;
            }
            m.hidden = true;
            page = res.data;
            clear(tbody);
            for (const e of res.data) {
                tbody.append(row(e));
            }
            if (res.data.length === 0) {
                tbody.append(h('tr', { class: 'empty' }, h('td', { colspan: '5', class: 'muted', text: 'No events.' })));
            }
            const atTop = !cursor.after && !cursor.before;
            newer.disabled = atTop || (cursor.before && !res.has_more) || res.data.length === 0;
            older.disabled = cursor.before ? res.data.length === 0 : !res.has_more;
        } catch (e) {
            if (alive() && e.status !== 401) {
                msg(m, e.message, false);
            }
        }
    }

    function row(e) {
        const resend = h('button', { type: 'button', class: 'btn btn-small', testid: 'event-resend-button', 'data-event-id': e.id }, 'Resend');
        resend.addEventListener('click', (ev) => {
            ev.stopPropagation();
            run(resend, m, alive, async () => {
                const r = await api('POST', '/api/v1/events/' + e.id + '/resend', {});
                return r.message + ' (' + r.deliveries + ' endpoint' + (r.deliveries === 1 ? '' : 's') + ')';
            }, null);
        });
        const tr = h('tr', { testid: 'event-item', 'data-event-id': e.id, class: 'clickable', tabindex: '0' },
            h('td', { testid: 'event-type', class: 'mono', text: e.type }),
            h('td', { testid: 'event-id', class: 'mono', text: e.id }),
            h('td', { testid: 'event-created', class: 'nowrap', text: unixToText(e.created) }),
            h('td', { testid: 'event-pending', class: 'num', text: e.pending_webhooks }),
            h('td', null, resend));
        tr.addEventListener('click', () => show(e));
        return tr;
    }

    // The event's deliveries: the attempts of every endpoint for this event.
    async function show(e) {
        clear(detail);
        detail.append(h('p', { class: 'muted', text: 'Loading…' }));
        detail.hidden = false;
        const list = endpoints();
        const parts = [];
        for (const ep of list) {
            try {
                const r = await api('GET', '/api/v1/webhook_endpoints/' + ep.id + '/attempts?limit=100&event_id=' + e.id);
                if (r.data.length > 0) {
                    parts.push({ ep, attempts: r.data });
                }
            } catch (err) {
                if (err.status === 401) {
                    return;
                }
            }
        }
        if (!alive()) {
            return;
        }
        clear(detail);
        const close = h('button', { type: 'button', class: 'btn btn-small', testid: 'event-detail-close' }, 'Close');
        close.addEventListener('click', () => { detail.hidden = true; });
        detail.append(h('div', { class: 'card-head' }, h('h2', { text: e.type + ' ' + e.id }), close));
        if (parts.length === 0) {
            detail.append(h('p', { testid: 'event-no-deliveries', class: 'muted', text: 'No endpoint attempts for this event.' }));
        }
        for (const p of parts) {
            const tb = h('tbody');
            for (const a of p.attempts) {
                tb.append(h('tr', { testid: 'attempt-item', 'data-attempt-id': a.id },
                    h('td', { testid: 'attempt-number', class: 'num', text: a.attempt }),
                    h('td', { class: 'nowrap', text: formatTimestamp(a.started_at) }),
                    h('td', { testid: 'attempt-code', class: 'num', text: a.response_code === null ? '-' : a.response_code }),
                    h('td', { class: 'num', text: a.duration_ms + ' ms' }),
                    h('td', { class: 'mono', text: a.error || a.response_body || '' })));
            }
            detail.append(h('h3', { class: 'mono', text: p.ep.url }),
                h('table', { testid: 'event-delivery', 'data-endpoint-id': p.ep.id, class: 'table' },
                    h('thead', null, h('tr', null, ['#', 'Started', 'Code', 'Duration', 'Response / error'].map((t) => h('th', { scope: 'col' }, t)))),
                    tb));
        }
        detail.append(h('h3', { text: 'Payload data' }), h('pre', { class: 'code', testid: 'event-data' }, JSON.stringify(e.data, null, 2)));
    }

    for (const f of [type, ds, from, to]) {
        f.addEventListener('change', () => {
            cursor = { after: null, before: null };
            load();
        });
    }
    older.addEventListener('click', () => {
        if (page.length > 0) {
            cursor = { after: page[page.length - 1].id, before: null };
            load();
        }
    });
    newer.addEventListener('click', () => {
        if (page.length > 0) {
            cursor = { after: null, before: page[0].id };
            load();
        }
    });
    return { el, load };
}
