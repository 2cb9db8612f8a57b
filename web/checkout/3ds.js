// The sandbox bank's 3-D Secure challenge page (SPEC 22): /checkout/3ds?payment_id=<id>.
// Shown inside the hosted checkout (hosted mode) or the SDK modal (embedded mode); both keep
// polling the payment, so this page only sends the shopper's answer. Text via textContent only.

const $ = (id) => document.querySelector('[data-test-id="' + id + '"]');
const paymentId = new URLSearchParams(location.search).get('payment_id') || '';
const approve = $('threeds-approve');
const deny = $('threeds-deny');
const result = $('threeds-result');

function money(amount, currency) {
    if (typeof amount !== 'number') {
        return '';
    }
    const v = (amount / 100).toLocaleString('en-IN', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    return currency === 'INR' ? '\u20b9' + v : currency + ' ' + v;
}

function say(text) {
    result.textContent = text;
    result.hidden = false;
}

async function load() {
    $('threeds-payment-id').textContent = paymentId;
    try {
        const res = await fetch('/api/v1/payments/public/' + encodeURIComponent(paymentId), {
            headers: { Accept: 'application/json' },
            cache: 'no-store',
        });
        const p = await res.json().catch(() => null);
        if (res.ok && p) {
            $('threeds-amount').textContent = money(p.amount, p.currency);
            if (p.status !== 'requires_action') {
                say('This challenge is no longer pending');
            }
        } else {
            say('Payment not found');
        }
    } catch (e) {
        say('The bank could not be reached');
    }
}

async function answer(value) {
    approve.disabled = true;
    deny.disabled = true;
    let text = 'The bank could not be reached';
    try {
        const res = await fetch('/api/v1/payments/public/' + encodeURIComponent(paymentId) + '/3ds', {
            method: 'POST',
            headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
            body: JSON.stringify({ result: value }),
            cache: 'no-store',
        });
        const body = await res.json().catch(() => null);
        if (res.ok) {
            text = value === 'approve' ? 'Authentication approved' : 'Authentication denied';
        } else if (body && body.error && body.error.description) {
            text = body.error.description;
        }
    } catch (e) {
        // keep the network text
    }
    say(text);
}

approve.addEventListener('click', () => answer('approve'));
deny.addEventListener('click', () => answer('deny'));
load();
