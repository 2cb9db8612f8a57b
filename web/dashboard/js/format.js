// Formatting helpers shared by the dashboard views (SPEC 13).

// Indian digit grouping of a non-negative integer given as a number or a
// string of digits: the last three digits, then groups of two.
export function indianGroup(value) {
    const digits = String(value);
    if (digits.length <= 3) {
        return digits;
    }
    const last3 = digits.slice(-3);
    let rest = digits.slice(0, -3);
    const groups = [];
    while (rest.length > 2) {
        groups.unshift(rest.slice(-2));
        rest = rest.slice(0, -2);
    }
    if (rest.length > 0) {
        groups.unshift(rest);
    }
    return groups.join(',') + ',' + last3;
}

// Paise to the home page's rupee amount: "₹5,00,000", "₹1,234.50".
export function formatRupees(paise) {
    const n = Math.max(0, Math.trunc(Number(paise) || 0));
    const rupees = Math.floor(n / 100);
    const rem = n % 100;
    let out = '₹' + indianGroup(rupees);
    if (rem !== 0) {
        out += '.' + String(rem).padStart(2, '0');
    }
    return out;
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
