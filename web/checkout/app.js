// Hosted checkout page (SPEC 14). Every state lives in index.html and is shown
// or hidden in place. API data is rendered with textContent only.

const POLL_MS = 2000;

const $ = (id) => document.querySelector('[data-test-id="' + id + '"]');

const el = {
    summary: $('order-summary'),
    amount: $('order-amount'),
    orderId: $('order-id'),
    merchantRow: document.getElementById('merchant-row'),
    merchantName: $('merchant-name'),
    loading: document.getElementById('loading-state'),
    methods: $('payment-methods'),
    methodUpi: $('method-upi'),
    methodCard: $('method-card'),
    upiForm: $('upi-form'),
    cardForm: $('card-form'),
    vpa: $('vpa-input'),
    cardNumber: $('card-number-input'),
    expiry: $('expiry-input'),
    cvv: $('cvv-input'),
    holder: $('cardholder-name-input'),
    alreadyPaid: $('already-paid'),
    processing: $('processing-state'),
    processingMessage: $('processing-message'),
    success: $('success-state'),
    paymentId: $('payment-id'),
    error: $('error-state'),
    errorMessage: $('error-message'),
    retry: $('retry-button'),
};

const params = new URLSearchParams(location.search);
const orderIdParam = params.get('order_id') || '';
const embedded = params.get('embedded') === 'true';
const parentOrigin = embedded ? validOrigin(params.get('origin')) : null;

let order = null;
let attempt = 0; // bumps on every submit/retry so stale polls stop

// ---- formatting ---------------------------------------------------------------------------------

function indianGroup(digits) {
    const s = String(digits);
    if (s.length <= 3) {
        return s;
    }
    let rest = s.slice(0, -3);
    const groups = [];
    while (rest.length > 2) {
        groups.unshift(rest.slice(-2));
        rest = rest.slice(0, -2);
    }
    if (rest) {
        groups.unshift(rest);
    }
    return groups.join(',') + ',' + s.slice(-3);
}

function currencyPrefix(currency) {
    return currency === 'INR' ? '₹' : String(currency) + ' ';
}

// 50000 INR -> "₹500.00"; with dropZeroPaise -> "₹500".
function formatAmount(paise, currency, dropZeroPaise) {
    const n = Math.max(0, Math.trunc(Number(paise) || 0));
    const rupees = Math.floor(n / 100);
    const rem = n % 100;
    let out = currencyPrefix(currency) + indianGroup(rupees);
    if (!(dropZeroPaise && rem === 0)) {
        out += '.' + String(rem).padStart(2, '0');
    }
    return out;
}

// ---- parent messaging -----------------------------------------------------------------------------

// scheme://host[:port] with http or https, nothing else (no path, no userinfo).
function validOrigin(value) {
    if (typeof value !== 'string') {
        return null;
    }
    const m = /^(https?):\/\/([A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])(?::([0-9]{1,5}))?$/.exec(value);
    if (!m) {
        return null;
    }
    if (m[3] !== undefined) {
        const port = Number(m[3]);
        if (port < 1 || port > 65535) {
            return null;
        }
    }
    try {
        const u = new URL(value);
        return u.origin === 'null' ? null : value;
    } catch (e) {
        return null;
    }
}

function notifyParent(type, data) {
    if (!embedded || !parentOrigin || window.parent === window) {
        return;
    }
    try {
        window.parent.postMessage({ type, data }, parentOrigin);
    } catch (e) {
        // never let messaging break the page
    }
}

// ---- states ---------------------------------------------------------------------------------------

function show(node, visible) {
    node.hidden = !visible;
}

function showOnly(which) {
    show(el.loading, which === 'loading');
    show(el.methods, which === 'methods' || which === 'upi' || which === 'card');
    show(el.upiForm, which === 'upi');
    show(el.cardForm, which === 'card');
    show(el.alreadyPaid, which === 'paid');
    show(el.processing, which === 'processing');
    show(el.success, which === 'success');
    show(el.error, which === 'error');
    el.methodUpi.classList.toggle('selected', which === 'upi');
    el.methodCard.classList.toggle('selected', which === 'card');
    el.methodUpi.setAttribute('aria-pressed', String(which === 'upi'));
    el.methodCard.setAttribute('aria-pressed', String(which === 'card'));
}

function showError(message, allowRetry) {
    el.errorMessage.textContent = message || 'Payment could not be processed';
    show(el.retry, allowRetry);
    showOnly('error');
}

function resetForms() {
    el.upiForm.reset();
    el.cardForm.reset();
}

// ---- order ----------------------------------------------------------------------------------------

async function loadOrder() {
    showOnly('loading');
    if (!/^order_[A-Za-z0-9]{16}$/.test(orderIdParam)) {
        orderNotFound();
        return;
    }
    let res;
    try {
        res = await fetch('/api/v1/orders/' + encodeURIComponent(orderIdParam) + '/public', {
            headers: { Accept: 'application/json' },
            cache: 'no-store',
        });
    } catch (e) {
        showError('Could not load the order. Please check your connection and reload.', false);
        show(el.summary, false);
        return;
    }
    if (res.status === 404) {
        orderNotFound();
        return;
    }
    if (!res.ok) {
        showError('Could not load the order. Please try again later.', false);
        return;
    }
    order = await res.json();
    el.amount.textContent = formatAmount(order.amount, order.currency, false);
    el.orderId.textContent = order.id;
    // (issue 14) Who the shopper pays: the public order's trailing merchant_name.
    const name = typeof order.merchant_name === 'string' ? order.merchant_name.trim() : '';
    el.merchantName.textContent = name;
    show(el.merchantRow, name !== '');
    const payText = 'Pay ' + formatAmount(order.amount, order.currency, true);
    for (const b of document.querySelectorAll('[data-test-id="pay-button"]')) {
        b.textContent = payText;
    }
    show(el.summary, true);
    if (order.status === 'paid') {
        // (v2) An order is paid at most once: no methods, no forms (a reload after success lands here).
        showOnly('paid');
        return;
    }
    showOnly('methods');
}

function orderNotFound() {
    show(el.summary, false);
    showError('Order not found', false);
}

// ---- payment --------------------------------------------------------------------------------------

async function submitPayment(body) {
    const my = ++attempt;
    showOnly('processing');
    let res;
    let payload = null;
    try {
        res = await fetch('/api/v1/payments/public', {
            method: 'POST',
            headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
            body: JSON.stringify(body),
            cache: 'no-store',
        });
        payload = await res.json().catch(() => null);
    } catch (e) {
        res = null;
    }
    if (my !== attempt) {
        return;
    }
    if (!res || !res.ok || !payload || typeof payload.id !== 'string') {
        const err = payload && payload.error ? payload.error : null;
        const description = err && err.description ? err.description : 'Payment could not be processed';
        showError(description, true);
        notifyParent('payment_failed', {
            paymentId: null,
            orderId: order.id,
            status: 'failed',
            errorCode: err && err.code ? err.code : null,
            errorDescription: description,
        });
        return;
    }
    challenge(payload);
    poll(payload.id, my);
}

function poll(paymentId, my) {
    setTimeout(async () => {
        if (my !== attempt) {
            return;
        }
        let p = null;
        try {
            const res = await fetch('/api/v1/payments/' + encodeURIComponent(paymentId) + '/public', {
                headers: { Accept: 'application/json' },
                cache: 'no-store',
            });
            if (res.ok) {
                p = await res.json();
            }
        } catch (e) {
            p = null;
        }
        if (my !== attempt) {
            return;
        }
        if (p) {
            challenge(p);
        }
        if (p && p.status === 'success') {
            el.paymentId.textContent = p.id;
            showOnly('success');
            notifyParent('payment_success', {
                paymentId: p.id,
                orderId: p.order_id,
                amount: p.amount,
                currency: p.currency,
                status: p.status,
            });
            return;
        }
        if (p && p.status === 'failed') {
            showError('Payment could not be processed', true);
            notifyParent('payment_failed', {
                paymentId: p.id,
                orderId: p.order_id,
                status: p.status,
                errorCode: p.error_code === undefined ? null : p.error_code,
                errorDescription: p.error_description === undefined ? null : p.error_description,
            });
            return;
        }
        poll(paymentId, my); // pending, or a transient error: keep polling
    }, POLL_MS);
}

// ---- 3-D Secure (SPEC 22) --------------------------------------------------------------------------

const PROCESSING_TEXT = 'Processing payment...';
let challengeFor = null; // the payment whose challenge is shown

// A payment that is requires_action shows the sandbox bank's challenge: inside this page when it is
// hosted, in the SDK modal when embedded (the parent gets payment_requires_action). Polling goes on
// either way, and the challenge goes away once the payment left requires_action.
function challenge(p) {
    const na = p && p.status === 'requires_action' ? p.next_action : null;
    if (!na || typeof na.url !== 'string' || !na.url.startsWith('/checkout/3ds?')) {
        endChallenge();
        return;
    }
    if (challengeFor === p.id) {
        return;
    }
    endChallenge();
    challengeFor = p.id;
    const url = location.origin + na.url;
    if (embedded) {
        notifyParent('payment_requires_action', {
            paymentId: p.id,
            orderId: p.order_id,
            status: p.status,
            nextAction: { type: na.type, url },
        });
        return;
    }
    const frame = document.createElement('iframe');
    frame.setAttribute('data-test-id', 'threeds-iframe');
    frame.className = 'threeds-frame';
    frame.title = '3-D Secure authentication';
    frame.src = url;
    el.processing.appendChild(frame);
    el.processingMessage.textContent = 'Waiting for 3-D Secure authentication...';
}

function endChallenge() {
    const frame = el.processing.querySelector('iframe[data-test-id="threeds-iframe"]');
    if (frame) {
        frame.remove();
    }
    if (challengeFor !== null) {
        // only when a challenge was shown: the status region is not re-announced on every poll
        challengeFor = null;
        el.processingMessage.textContent = PROCESSING_TEXT;
    }
}

// ---- wiring ---------------------------------------------------------------------------------------

el.methodUpi.addEventListener('click', () => {
    showOnly('upi');
    el.vpa.focus();
});
el.methodCard.addEventListener('click', () => {
    showOnly('card');
    el.cardNumber.focus();
});

el.upiForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (!order) {
        return;
    }
    submitPayment({ order_id: order.id, method: 'upi', vpa: el.vpa.value });
});

el.cardForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (!order) {
        return;
    }
    const expiry = el.expiry.value.trim();
    const slash = expiry.indexOf('/');
    const month = slash >= 0 ? expiry.slice(0, slash).trim() : expiry;
    const year = slash >= 0 ? expiry.slice(slash + 1).trim() : '';
    submitPayment({
        order_id: order.id,
        method: 'card',
        card: {
            number: el.cardNumber.value,
            expiry_month: month,
            expiry_year: year,
            cvv: el.cvv.value,
            holder_name: el.holder.value,
        },
    });
});

// Typing "1225" in the expiry field becomes "12/25".
el.expiry.addEventListener('input', (ev) => {
    const v = el.expiry.value;
    if (ev.inputType && ev.inputType.startsWith('delete')) {
        return;
    }
    if (/^\d{2}\/\/$/.test(v)) {
        el.expiry.value = v.slice(0, 3);
    } else if (/^\d{2}$/.test(v)) {
        el.expiry.value = v + '/';
    } else if (/^\d{3,4}$/.test(v)) {
        el.expiry.value = v.slice(0, 2) + '/' + v.slice(2);
    }
});

el.retry.addEventListener('click', () => {
    attempt++;
    endChallenge();
    resetForms();
    showOnly('methods');
    el.methodUpi.focus();
});

document.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape' || ev.key === 'Esc') {
        notifyParent('close_modal', null);
    }
});

if (embedded) {
    document.documentElement.classList.add('embedded');
}

loadOrder();
