/* validate.c: pure validation rules of SPEC section 7 and input formats; no I/O. */
#include "validate.h"

#include <string.h>
#include <strings.h>

#define WEBHOOK_URL_MAX 2048

static bool
is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static bool
is_alpha(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static bool
is_alnum(unsigned char c)
{
    return is_digit(c) || is_alpha(c);
}

static bool
is_hex(unsigned char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool
all_digits(const char *s, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++) {
        if (!is_digit((unsigned char)s[i])) {
            return false;
        }
    }
    return true;
}

/* Value of a short all-digit string; the caller checked the digits and the length. */
static int
digits_value(const char *s, size_t len)
{
    int v = 0;
    size_t i;

    for (i = 0; i < len; i++) {
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

bool
validate_vpa(const char *s, size_t len)
{
    size_t i = 0, at;

    while (i < len) {
        unsigned char c = (unsigned char)s[i];

        if (!(is_alnum(c) || c == '.' || c == '_' || c == '-')) {
            break;
        }
        i++;
    }
    if (i == 0 || i >= len || s[i] != '@') {
        return false;
    }
    at = i++;
    if (i >= len) {
        return false;
    }
    for (; i < len; i++) {
        if (!is_alnum((unsigned char)s[i])) {
            return false;
        }
    }
    return at > 0;
}

int
validate_card_clean(const char *in, size_t len, char out[20])
{
    size_t i, n = 0;

    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)in[i];

        if (c == ' ' || c == '-') {
            continue;
        }
        if (!is_digit(c) || n >= 19) {
            out[0] = '\0';
            return -1;
        }
        out[n++] = (char)c;
    }
    out[n] = '\0';
    if (n < 13) {
        out[0] = '\0';
        return -1;
    }
    return 0;
}

bool
validate_luhn(const char *digits)
{
    size_t len = strlen(digits), i;
    int sum = 0;

    if (len == 0) {
        return false;
    }
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)digits[len - 1 - i];
        int d;

        if (!is_digit(c)) {
            return false;
        }
        d = c - '0';
        if (i % 2 == 1) {
            d *= 2;
            if (d > 9) {
                d -= 9;
            }
        }
        sum += d;
    }
    return sum % 10 == 0;
}

const char *
validate_card_network(const char *digits)
{
    int two;

    if (digits[0] == '4') {
        return "visa";
    }
    if (!is_digit((unsigned char)digits[0]) || !is_digit((unsigned char)digits[1])) {
        return "unknown";
    }
    two = (digits[0] - '0') * 10 + (digits[1] - '0');
    if (two >= 51 && two <= 55) {
        return "mastercard";
    }
    if (two == 34 || two == 37) {
        return "amex";
    }
    if (two == 60 || two == 65 || (two >= 81 && two <= 89)) {
        return "rupay";
    }
    return "unknown";
}

bool
validate_expiry(const char *month, size_t mlen, const char *year, size_t ylen, int now_year,
                int now_month)
{
    int m, y;

    if (mlen < 1 || mlen > 2 || !all_digits(month, mlen)) {
        return false;
    }
    m = digits_value(month, mlen);
    if (m < 1 || m > 12) {
        return false;
    }
    if ((ylen != 2 && ylen != 4) || !all_digits(year, ylen)) {
        return false;
    }
    y = digits_value(year, ylen);
    if (ylen == 2) {
        y += 2000;
    }
    return y > now_year || (y == now_year && m >= now_month);
}

bool
validate_cvv(const char *s, size_t len)
{
    return (len == 3 || len == 4) && all_digits(s, len);
}

bool
validate_currency(const char *s, size_t len)
{
    size_t i;

    if (len != 3) {
        return false;
    }
    for (i = 0; i < len; i++) {
        if (s[i] < 'A' || s[i] > 'Z') {
            return false;
        }
    }
    return true;
}

/* Dotted quad, four parts of 1-3 digits valued 0-255 without leading zeros. */
static bool
url_ipv4(const char *s, size_t len)
{
    size_t i = 0;
    int part;

    for (part = 0; part < 4; part++) {
        size_t start = i;

        while (i < len && is_digit((unsigned char)s[i])) {
            i++;
        }
        if (i == start || i - start > 3 || (i - start > 1 && s[start] == '0')
            || digits_value(s + start, i - start) > 255) {
            return false;
        }
        if (part < 3) {
            if (i >= len || s[i] != '.') {
                return false;
            }
            i++;
        }
    }
    return i == len;
}

/* RFC 4291 text form: up to eight groups of 1-4 hex digits, one "::", optional trailing
 * dotted quad in place of the last two groups. No zone id. */
static bool
url_ipv6(const char *s, size_t len)
{
    size_t i = 0;
    int groups = 0;
    bool gap = false;

    if (len >= 2 && s[0] == ':' && s[1] == ':') {
        gap = true;
        i = 2;
        if (i == len) {
            return true;
        }
    } else if (len > 0 && s[0] == ':') {
        return false;
    }
    while (i < len) {
        size_t start = i;

        while (i < len && is_hex((unsigned char)s[i])) {
            i++;
        }
        if (i < len && s[i] == '.') {
            /* embedded IPv4 ends the address and counts as two groups */
            if (!url_ipv4(s + start, len - start)) {
                return false;
            }
            groups += 2;
            break;
        }
        if (i == start || i - start > 4) {
            return false;
        }
        groups++;
        if (i == len) {
            break;
        }
        if (s[i] != ':') {
            return false;
        }
        i++;
        if (i < len && s[i] == ':') {
            if (gap) {
                return false;
            }
            gap = true;
            i++;
            if (i == len) {
                break;
            }
        } else if (i == len) {
            return false; /* trailing single ':' */
        }
    }
    return gap ? groups <= 7 : groups == 8;
}

/* DNS name: dot-separated labels of [A-Za-z0-9_-], 1-63 characters, no '-' at either end of a
 * label, at most 253 characters; a name made only of digits and dots must be an IPv4 address. */
static bool
url_dns_name(const char *s, size_t len)
{
    size_t i, label = 0;
    bool numeric = true;

    if (len == 0 || len > 253) {
        return false;
    }
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c == '.') {
            if (label == 0 || s[i - 1] == '-') {
                return false;
            }
            label = 0;
            continue;
        }
        if (!(is_alnum(c) || c == '-' || c == '_')) {
            return false;
        }
        if (c == '-' && label == 0) {
            return false;
        }
        if (!is_digit(c)) {
            numeric = false;
        }
        if (++label > 63) {
            return false;
        }
    }
    if (label == 0 || s[len - 1] == '-') {
        return false;
    }
    return numeric ? url_ipv4(s, len) : true;
}

static bool
url_authority(const char *s, size_t len)
{
    size_t hostlen, i;

    if (len == 0) {
        return false;
    }
    if (s[0] == '[') {
        const char *end = memchr(s, ']', len);

        if (end == NULL) {
            return false;
        }
        hostlen = (size_t)(end - s) + 1;
        if (!url_ipv6(s + 1, hostlen - 2)) {
            return false;
        }
    } else {
        const char *colon = memchr(s, ':', len);

        hostlen = colon != NULL ? (size_t)(colon - s) : len;
        if (!url_dns_name(s, hostlen)) {
            return false;
        }
    }
    if (hostlen == len) {
        return true;
    }
    if (s[hostlen] != ':') {
        return false;
    }
    i = hostlen + 1;
    if (len - i < 1 || len - i > 5 || !all_digits(s + i, len - i)) {
        return false;
    }
    i = (size_t)digits_value(s + i, len - i);
    return i >= 1 && i <= 65535;
}

bool
validate_webhook_url(const char *s, size_t len)
{
    size_t i, auth_end;

    if (len == 0 || len > WEBHOOK_URL_MAX) {
        return false;
    }
    /* printable ASCII only: no whitespace, no control characters, no fragment */
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c <= 0x20 || c >= 0x7f || c == '#') {
            return false;
        }
    }
    if (len > 7 && strncasecmp(s, "http://", 7) == 0) {
        i = 7;
    } else if (len > 8 && strncasecmp(s, "https://", 8) == 0) {
        i = 8;
    } else {
        return false;
    }
    auth_end = i;
    while (auth_end < len && s[auth_end] != '/' && s[auth_end] != '?') {
        if (s[auth_end] == '@') {
            return false; /* userinfo */
        }
        auth_end++;
    }
    return url_authority(s + i, auth_end - i);
}

bool
validate_idempotency_key(const char *s, size_t len)
{
    size_t i;

    if (len < 1 || len > 255) {
        return false;
    }
    for (i = 0; i < len; i++) {
        if (s[i] < 0x20 || s[i] > 0x7e) {
            return false;
        }
    }
    return true;
}

bool
validate_request_id(const char *s, size_t len)
{
    size_t i;

    if (len < 1 || len > 128) {
        return false;
    }
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];

        if (!(is_alnum(c) || c == '.' || c == '_' || c == '-')) {
            return false;
        }
    }
    return true;
}

bool
validate_object_id(const char *prefix, const char *s)
{
    size_t plen = strlen(prefix), i;

    if (strncmp(s, prefix, plen) != 0) {
        return false;
    }
    s += plen;
    for (i = 0; i < 16; i++) {
        if (!is_alnum((unsigned char)s[i])) {
            return false;
        }
    }
    return s[16] == '\0';
}

bool
validate_uuid(const char *s)
{
    size_t i;

    for (i = 0; i < 36; i++) {
        unsigned char c = (unsigned char)s[i];

        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-') {
                return false;
            }
        } else if (!is_hex(c)) {
            return false;
        }
    }
    return s[36] == '\0';
}

/* Length of the UTF-8 sequence at s[0..len), 0 when invalid (Unicode Table 3-7). */
static size_t
utf8_seq(const unsigned char *s, size_t len, uint32_t *cp)
{
    unsigned char c = s[0];
    unsigned char lo = 0x80, hi = 0xbf;
    size_t n, i;
    uint32_t v;

    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
        v = c & 0x1fu;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        v = c & 0x0fu;
        if (c == 0xe0) {
            lo = 0xa0; /* no overlongs */
        } else if (c == 0xed) {
            hi = 0x9f; /* no surrogates */
        }
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        v = c & 0x07u;
        if (c == 0xf0) {
            lo = 0x90;
        } else if (c == 0xf4) {
            hi = 0x8f; /* <= U+10FFFF */
        }
    } else {
        return 0;
    }
    if (len < n) {
        return 0;
    }
    for (i = 1; i < n; i++) {
        unsigned char b = s[i];

        if (b < (i == 1 ? lo : 0x80) || b > (i == 1 ? hi : 0xbf)) {
            return 0;
        }
        v = (v << 6) | (b & 0x3fu);
    }
    *cp = v;
    return n;
}

bool
validate_utf8(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    uint32_t cp;

    while (i < len) {
        size_t n;

        if (p[i] < 0x80) {
            i++;
            continue;
        }
        n = utf8_seq(p + i, len - i, &cp);
        if (n == 0) {
            return false;
        }
        i += n;
    }
    return true;
}

size_t
validate_utf8_chars(const char *s, size_t len)
{
    size_t i, n = 0;

    for (i = 0; i < len; i++) {
        if (((unsigned char)s[i] & 0xc0) != 0x80) {
            n++;
        }
    }
    return n;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
    int64_t era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int
days_in_month(int y, int m)
{
    static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) {
        return 29;
    }
    return mdays[m - 1];
}

/* Checks that s[off..off+n) are digits and returns their value, or -1. */
static int
ts_field(const char *s, size_t off, size_t n)
{
    if (!all_digits(s + off, n)) {
        return -1;
    }
    return digits_value(s + off, n);
}

int
validate_parse_timestamp(const char *s, int64_t *out, bool *date_only)
{
    size_t len = strlen(s);
    int y, mo, d, h = 0, mi = 0, sec = 0;

    if (len != 10 && len != 20) {
        return -1;
    }
    if (s[4] != '-' || s[7] != '-') {
        return -1;
    }
    y = ts_field(s, 0, 4);
    mo = ts_field(s, 5, 2);
    d = ts_field(s, 8, 2);
    if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo)) {
        return -1;
    }
    if (len == 20) {
        if (s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19] != 'Z') {
            return -1;
        }
        h = ts_field(s, 11, 2);
        mi = ts_field(s, 14, 2);
        sec = ts_field(s, 17, 2);
        if (h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59) {
            return -1;
        }
    }
    *out = days_from_civil(y, mo, d) * 86400 + (int64_t)h * 3600 + (int64_t)mi * 60 + sec;
    if (date_only != NULL) {
        *date_only = len == 10;
    }
    return 0;
}
