/* fuzz_validate.c: the input rules of core/validate.h, each against an independent statement of
 * the same rule written here (differential), plus round trips where one exists (timestamps
 * formatted back, card numbers cleaned twice).
 *
 * The input is cut at NUL bytes: part 0 feeds every string rule, parts 1 and 2 the expiry
 * month and year. */
#include "fuzz.h"

#include "validate.h"

#include <stdbool.h>
#include <strings.h>
#include <time.h>

static bool
fuzz_in(unsigned char c, const char *set)
{
    return c != '\0' && strchr(set, c) != NULL;
}

#define FUZZ_ALNUM "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
#define FUZZ_HEX   "0123456789abcdefABCDEF"

/* Every byte of s[0..len) in set. */
static bool
fuzz_all_in(const char *s, size_t len, const char *set)
{
    size_t i;

    for (i = 0; i < len; i++) {
        if (!fuzz_in((unsigned char)s[i], set)) {
            return false;
        }
    }
    return true;
}

/* ^[a-zA-Z0-9._-]+@[a-zA-Z0-9]+$ */
static bool
fuzz_ref_vpa(const char *s, size_t len)
{
    const char *at = memchr(s, '@', len);
    size_t user;

    if (at == NULL) {
        return false;
    }
    user = (size_t)(at - s);
    return user > 0 && fuzz_all_in(s, user, FUZZ_ALNUM "._-") && len - user - 1 > 0
           && fuzz_all_in(at + 1, len - user - 1, FUZZ_ALNUM);
}

/* Strict UTF-8 (RFC 3629): returns the number of code points, or -1. */
static long
fuzz_ref_utf8(const unsigned char *s, size_t len)
{
    size_t i = 0;
    long n = 0;

    while (i < len) {
        unsigned c = s[i], cp, need, k;

        if (c < 0x80) {
            i++;
            n++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf) {
            need = 1;
            cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            need = 2;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            need = 3;
            cp = c & 0x07;
        } else {
            return -1;
        }
        if (len - i <= need) {
            return -1;
        }
        for (k = 1; k <= need; k++) {
            if ((s[i + k] & 0xc0) != 0x80) {
                return -1;
            }
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if ((need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000) || cp > 0x10ffff
            || (cp >= 0xd800 && cp <= 0xdfff)) {
            return -1;
        }
        i += need + 1;
        n++;
    }
    return n;
}

/* 8-4-4-4-12 hex digits. */
static bool
fuzz_ref_uuid(const char *s)
{
    size_t i;

    if (strlen(s) != 36) {
        return false;
    }
    for (i = 0; i < 36; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;

        if (dash ? s[i] != '-' : !fuzz_in((unsigned char)s[i], FUZZ_HEX)) {
            return false;
        }
    }
    return true;
}

static void
fuzz_card(const char *s, size_t len)
{
    char out[20], again[20];
    size_t n;
    const char *net;

    if (validate_card_clean(s, len, out) != 0) {
        return;
    }
    n = strlen(out);
    FUZZ_CHECK(n >= 13 && n <= 19 && strspn(out, "0123456789") == n);
    FUZZ_CHECK(validate_card_clean(out, n, again) == 0 && strcmp(out, again) == 0);
    (void)validate_luhn(out);
    net = validate_card_network(out);
    FUZZ_CHECK(strcmp(net, "visa") == 0 || strcmp(net, "mastercard") == 0
               || strcmp(net, "amex") == 0 || strcmp(net, "rupay") == 0
               || strcmp(net, "unknown") == 0);
}

/* A timestamp that parses formats back to the same text. */
static void
fuzz_timestamp(const char *s)
{
    int64_t t = -1;
    bool date_only = false;
    struct tm tm;
    time_t tt;
    char back[32];

    if (validate_parse_timestamp(s, &t, &date_only) != 0) {
        return;
    }
    tt = (time_t)t;
    FUZZ_CHECK(gmtime_r(&tt, &tm) != NULL);
    if (date_only) {
        (void)snprintf(back, sizeof(back), "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1,
                       tm.tm_mday);
    } else {
        (void)snprintf(back, sizeof(back), "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
                       tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    }
    FUZZ_CHECK(strcmp(back, s) == 0);
}

/* The rules that take a length, on the whole input (NULs included). */
static void
fuzz_validate_whole(const uint8_t *data, size_t size)
{
    const char *whole = (const char *)data;
    long chars;
    bool b;
    size_t i;

    FUZZ_CHECK(validate_vpa(whole, size) == fuzz_ref_vpa(whole, size));
    chars = fuzz_ref_utf8(data, size);
    FUZZ_CHECK(validate_utf8(whole, size) == (chars >= 0));
    if (chars >= 0) {
        FUZZ_CHECK(validate_utf8_chars(whole, size) == (size_t)chars);
    }
    FUZZ_CHECK(validate_cvv(whole, size)
               == (size >= 3 && size <= 4 && fuzz_all_in(whole, size, "0123456789")));
    FUZZ_CHECK(validate_currency(whole, size)
               == (size == 3 && fuzz_all_in(whole, size, "ABCDEFGHIJKLMNOPQRSTUVWXYZ")));
    b = size >= 1 && size <= 255;
    for (i = 0; b && i < size; i++) {
        b = data[i] >= 0x20 && data[i] <= 0x7e;
    }
    FUZZ_CHECK(validate_idempotency_key(whole, size) == b);
    FUZZ_CHECK(validate_request_id(whole, size)
               == (size >= 1 && size <= 128 && fuzz_all_in(whole, size, FUZZ_ALNUM "._-")));
    if (validate_webhook_url(whole, size)) {
        FUZZ_CHECK(size <= 2048 && memchr(whole, '#', size) == NULL
                   && memchr(whole, ' ', size) == NULL && memchr(whole, '\0', size) == NULL);
        FUZZ_CHECK(strncasecmp(whole, "http://", 7) == 0 || strncasecmp(whole, "https://", 8) == 0);
    }
    fuzz_card(whole, size);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_parts p;
    const char *s;
    size_t len;

    fuzz_validate_whole(data, size);
    /* NUL-terminated rules see part 0 */
    fuzz_parts_split(&p, data, size);
    s = fuzz_part(&p, 0);
    len = fuzz_part_len(&p, 0);
    FUZZ_CHECK(validate_uuid(s) == fuzz_ref_uuid(s));
    FUZZ_CHECK(validate_object_id("pay_", s)
               == (len == 20 && strncmp(s, "pay_", 4) == 0 && fuzz_all_in(s + 4, 16, FUZZ_ALNUM)));
    FUZZ_CHECK(
        validate_object_id("order_", s)
        == (len == 22 && strncmp(s, "order_", 6) == 0 && fuzz_all_in(s + 6, 16, FUZZ_ALNUM)));
    fuzz_timestamp(s);
    (void)validate_expiry(fuzz_part(&p, 1), fuzz_part_len(&p, 1), fuzz_part(&p, 2),
                          fuzz_part_len(&p, 2), 2026, 6);
    fuzz_parts_release(&p);
    return 0;
}
