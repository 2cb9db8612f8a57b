// Formatting helpers shared by the dashboard views (SPEC 13).

// Money is kept in the currency's minor unit (paise for INR, cents for USD, yen for JPY) and shown
// through Intl.NumberFormat with the payment's own currency: INR with Indian grouping (en-IN,
// "₹5,00,000"), any other currency in en-US ("$1,234.50"); a code Intl does not know is shown as
// "XYZ 12.30". Amounts of different currencies are never added together.
const formatters = new Map();

function formatter(currency, minFraction) {
    const key = currency + '/' + minFraction;
    let f = formatters.get(key);
    if (!f) {
        const locale = currency === 'INR' ? 'en-IN' : 'en-US';
        f = new Intl.NumberFormat(locale, { style: 'currency', currency, minimumFractionDigits: minFraction });
        formatters.set(key, f);
    }
    return f;
}

// Digits after the decimal point of a currency's minor unit (2 for INR/USD, 0 for JPY).
export function minorDigits(currency) {
    try {
        return formatter(currency, undefined).resolvedOptions().maximumFractionDigits;
    } catch (e) {
        return 2;
    }
}

// minor: integer amount in the minor unit; opts.trimZero drops an all-zero fraction ("₹5,00,000"
// rather than "₹5,00,000.00", as SPEC 13.2 writes the home page's total).
export function formatMoney(minor, currency = 'INR', opts = {}) {
    const n = Math.trunc(Number(minor) || 0);
    const code = /^[A-Z]{3}$/.test(String(currency)) ? String(currency) : 'INR';
    const digits = minorDigits(code);
    const scale = 10 ** digits;
    const minFraction = opts.trimZero && n % scale === 0 ? 0 : digits;
    try {
        return formatter(code, minFraction).format(n / scale);
    } catch (e) {
        return code + ' ' + (n / scale).toFixed(digits);
    }
}

// Paise to the home page's rupee amount (SPEC 13.2): "₹5,00,000", "₹1,234.50".
export function formatRupees(paise) {
    return formatMoney(Math.max(0, Math.trunc(Number(paise) || 0)), 'INR', { trimZero: true });
}

// round(successful * 100 / total) followed by "%", "0%" when total is 0.
export function formatRate(successful, total) {
    const t = Number(total) || 0;
    if (t <= 0) {
        return '0%';
    }
    return Math.round(((Number(successful) || 0) * 100) / t) + '%';
}

// "2024-01-15T10:31:00Z" -> "2024-01-15 10:31:00" (UTC); null -> "-".
export function formatTimestamp(ts) {
    if (ts === null || ts === undefined || ts === '') {
        return '-';
    }
    const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})/.exec(String(ts));
    if (m) {
        return m[1] + ' ' + m[2];
    }
    const d = new Date(ts);
    if (Number.isNaN(d.getTime())) {
        return String(ts);
    }
    return d.toISOString().slice(0, 19).replace('T', ' ');
}

// "1–100 of 250" (en dash); "0–0 of 0" for an empty list.
export function paginationText(offset, count, total) {
    if (!total || count === 0) {
        return '0–0 of ' + (total || 0);
    }
    return offset + 1 + '–' + (offset + count) + ' of ' + total;
}
