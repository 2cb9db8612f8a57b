/* jsonh.c: JSON helpers over json-c: strict parsing and a JSON.stringify-exact serializer.
 *
 * Parsing runs two independent checks. json-c 0.16's JSON_TOKENER_STRICT still accepts single
 * quoted strings, NaN and Infinity inside containers, "1." and raw control characters inside
 * strings, and JSON_TOKENER_VALIDATE_UTF8 lets overlongs, surrogates and code points above
 * U+10FFFF through (all checked empirically, see tests/unit/check_jsonh.c). So the body is
 * first checked against the RFC 8259 grammar and strict UTF-8 here (jsonh_scan_*), and only then
 * handed to json-c, which builds the tree and must also accept it.
 *
 * Depth: json-c counts a scalar inside the innermost container as one more level, so
 * json_tokener_new_ex(JSONH_MAX_DEPTH) would reject 16 nested objects holding a number. Our own
 * scan counts containers (the root object is level 1, at most JSONH_MAX_DEPTH) and json-c gets
 * one extra level for the leaf.
 *
 * Huge integers: json-c clamps integer literals beyond its int64/uint64 range to INT64_MIN or
 * UINT64_MAX and forgets the text. The scan records such literals and a '.' is appended to each
 * in a private copy before json-c sees it; json-c then makes a double that keeps the literal text
 * ("1." is a form that a valid body can never contain), and the '.' is removed from that text
 * afterwards. jsonh_int_classify() reads the text, the serializer the double value.
 *
 * Duplicate keys: json-c replaces the value and keeps the key's first position, which is what
 * JSON.parse does (checked with node 20: JSON.parse('{"a":1,"b":2,"a":3}') -> {"a":3,"b":2}). */
#include "jsonh.h"

#include "crypto.h"
#include "gw.h"
#include "validate.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct jsonh_scan {
    const unsigned char *p;
    size_t len;
    size_t pos;
    size_t *fix; /* end offsets of integer literals json-c would clamp */
    size_t nfix;
    size_t capfix;
};

static void
jsonh_scan_ws(struct jsonh_scan *s)
{
    while (s->pos < s->len) {
        unsigned char c = s->p[s->pos];

        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
            return;
        }
        s->pos++;
    }
}

static int
jsonh_scan_lit(struct jsonh_scan *s, const char *word)
{
    size_t n = strlen(word);

    if (s->len - s->pos < n || memcmp(s->p + s->pos, word, n) != 0) {
        return -1;
    }
    s->pos += n;
    return 0;
}

static bool
jsonh_is_hex(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* A string token; in an object key (is_key) the escape \u0000 is refused too, because json-c
 * keys are C strings and would be cut at the NUL ("amount\u0000" read as "amount"). */
static int
jsonh_scan_string(struct jsonh_scan *s, bool is_key)
{
    s->pos++; /* opening quote */
    while (s->pos < s->len) {
        unsigned char c = s->p[s->pos++];

        if (c == '"') {
            return 0;
        }
        if (c < 0x20) {
            return -1; /* raw control characters (and NUL) are not allowed in strings */
        }
        if (c != '\\') {
            continue;
        }
        if (s->pos >= s->len) {
            return -1;
        }
        c = s->p[s->pos++];
        if (c == 'u') {
            size_t i;

            if (s->len - s->pos < 4) {
                return -1;
            }
            for (i = 0; i < 4; i++) {
                if (!jsonh_is_hex(s->p[s->pos + i])) {
                    return -1;
                }
            }
            if (is_key && memcmp(s->p + s->pos, "0000", 4) == 0) {
                return -1;
            }
            s->pos += 4;
        } else if (strchr("\"\\/bfnrt", c) == NULL || c == '\0') {
            return -1;
        }
    }
    return -1;
}

/* True when the decimal digits d[0..n) (no leading zeros) exceed the decimal string lim. */
static bool
jsonh_digits_exceed(const unsigned char *d, size_t n, const char *lim)
{
    size_t ln = strlen(lim);

    if (n != ln) {
        return n > ln;
    }
    return memcmp(d, lim, n) > 0;
}

static int
jsonh_scan_number(struct jsonh_scan *s)
{
    size_t dstart;
    bool neg = false, integer = true;

    if (s->p[s->pos] == '-') {
        neg = true;
        s->pos++;
    }
    dstart = s->pos;
    if (s->pos >= s->len || s->p[s->pos] < '0' || s->p[s->pos] > '9') {
        return -1;
    }
    if (s->p[s->pos] == '0') {
        s->pos++;
    } else {
        while (s->pos < s->len && s->p[s->pos] >= '0' && s->p[s->pos] <= '9') {
            s->pos++;
        }
    }
    if (s->pos < s->len && s->p[s->pos] == '.') {
        integer = false;
        s->pos++;
        if (s->pos >= s->len || s->p[s->pos] < '0' || s->p[s->pos] > '9') {
            return -1;
        }
        while (s->pos < s->len && s->p[s->pos] >= '0' && s->p[s->pos] <= '9') {
            s->pos++;
        }
    }
    if (s->pos < s->len && (s->p[s->pos] == 'e' || s->p[s->pos] == 'E')) {
        integer = false;
        s->pos++;
        if (s->pos < s->len && (s->p[s->pos] == '+' || s->p[s->pos] == '-')) {
            s->pos++;
        }
        if (s->pos >= s->len || s->p[s->pos] < '0' || s->p[s->pos] > '9') {
            return -1;
        }
        while (s->pos < s->len && s->p[s->pos] >= '0' && s->p[s->pos] <= '9') {
            s->pos++;
        }
    }
    if (integer
        && jsonh_digits_exceed(s->p + dstart, s->pos - dstart,
                               neg ? "9223372036854775808" : "18446744073709551615")) {
        if (s->nfix == s->capfix) {
            s->capfix = s->capfix == 0 ? 8 : s->capfix * 2;
            s->fix = xrealloc(s->fix, s->capfix * sizeof(*s->fix));
        }
        s->fix[s->nfix++] = s->pos;
    }
    return 0;
}

static int jsonh_scan_value(struct jsonh_scan *s, int depth);

static int
jsonh_scan_container(struct jsonh_scan *s, int depth) /* NOLINT(misc-no-recursion) */
{
    bool obj = s->p[s->pos] == '{';
    unsigned char close = obj ? '}' : ']';

    if (depth > JSONH_MAX_DEPTH) {
        return -1;
    }
    s->pos++;
    jsonh_scan_ws(s);
    if (s->pos < s->len && s->p[s->pos] == close) {
        s->pos++;
        return 0;
    }
    for (;;) {
        if (obj) {
            if (s->pos >= s->len || s->p[s->pos] != '"' || jsonh_scan_string(s, true) != 0) {
                return -1;
            }
            jsonh_scan_ws(s);
            if (s->pos >= s->len || s->p[s->pos] != ':') {
                return -1;
            }
            s->pos++;
            jsonh_scan_ws(s);
        }
        if (jsonh_scan_value(s, depth) != 0) {
            return -1;
        }
        jsonh_scan_ws(s);
        if (s->pos >= s->len) {
            return -1;
        }
        if (s->p[s->pos] == close) {
            s->pos++;
            return 0;
        }
        if (s->p[s->pos] != ',') {
            return -1;
        }
        s->pos++;
        jsonh_scan_ws(s);
    }
}

static int
jsonh_scan_value(struct jsonh_scan *s, int depth) /* NOLINT(misc-no-recursion) */
{
    if (s->pos >= s->len) {
        return -1;
    }
    switch (s->p[s->pos]) {
    case '{':
    case '[':
        return jsonh_scan_container(s, depth + 1);
    case '"':
        return jsonh_scan_string(s, false);
    case 't':
        return jsonh_scan_lit(s, "true");
    case 'f':
        return jsonh_scan_lit(s, "false");
    case 'n':
        return jsonh_scan_lit(s, "null");
    default:
        if (s->p[s->pos] == '-' || (s->p[s->pos] >= '0' && s->p[s->pos] <= '9')) {
            return jsonh_scan_number(s);
        }
        return -1;
    }
}

/* Drops the '.' that jsonh_parse_value() appended to clamped integer literals. */
static void
jsonh_fix_doubles(struct json_object *v) /* NOLINT(misc-no-recursion) */
{
    size_t i, n;

    switch (json_object_get_type(v)) {
    case json_type_object: {
        json_object_object_foreach(v, key, child)
        {
            UNUSED(key);
            jsonh_fix_doubles(child);
        }
        break;
    }
    case json_type_array:
        n = json_object_array_length(v);
        for (i = 0; i < n; i++) {
            jsonh_fix_doubles(json_object_array_get_idx(v, i));
        }
        break;
    case json_type_double: {
        const char *t = json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
        size_t tl = strlen(t);

        if (tl > 1 && t[tl - 1] == '.') {
            json_object_set_serializer(v, json_object_userdata_to_json_string, xmemdup0(t, tl - 1),
                                       json_object_free_userdata);
        }
        break;
    }
    default:
        break;
    }
}

struct json_object *
jsonh_parse_value(const char *buf, size_t len)
{
    struct jsonh_scan s = { (const unsigned char *)buf, len, 0, NULL, 0, 0 };
    struct json_tokener *tok = NULL;
    struct json_object *root = NULL;
    char *copy = NULL;
    size_t clen = 0, i, from, to;

    if (len > INT32_MAX - 64 || !validate_utf8(buf, len)) {
        goto out;
    }
    jsonh_scan_ws(&s);
    if (jsonh_scan_value(&s, 0) != 0) {
        goto out;
    }
    jsonh_scan_ws(&s);
    if (s.pos != len) {
        goto out;
    }
    /* private NUL-terminated copy: json-c needs the terminator to finish a top-level number */
    clen = len + s.nfix;
    copy = xmalloc(clen + 1);
    for (i = 0, from = 0, to = 0; i < s.nfix; i++) {
        memcpy(copy + to, buf + from, s.fix[i] - from);
        to += s.fix[i] - from;
        from = s.fix[i];
        copy[to++] = '.';
    }
    memcpy(copy + to, buf + from, len - from);
    copy[clen] = '\0';

    tok = json_tokener_new_ex(JSONH_MAX_DEPTH + 1);
    if (tok == NULL) {
        goto out;
    }
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    root = json_tokener_parse_ex(tok, copy, (int)clen + 1);
    if (json_tokener_get_error(tok) != json_tokener_success
        || json_tokener_get_parse_end(tok) != clen) {
        json_object_put(root);
        root = NULL;
        goto out;
    }
    if (s.nfix > 0) {
        jsonh_fix_doubles(root);
    }
out:
    if (tok != NULL) {
        /* json-c collects each string and number token in its print buffer; the body may hold
         * card data, so the buffer is wiped before json-c frees it. */
        if (tok->pb != NULL && tok->pb->buf != NULL && tok->pb->size > 0) {
            crypto_wipe(tok->pb->buf, (size_t)tok->pb->size);
        }
        json_tokener_free(tok); /* does not accept NULL */
    }
    if (copy != NULL) {
        crypto_wipe(copy, clen + 1);
    }
    free(copy);
    free(s.fix);
    return root;
}

/* Serializer that writes as many '0' as its userdata says: used once to overwrite the text that
 * json-c may have cached for a value (its private print buffer is reused, never shrunk). */
static int
jsonh_zero_serializer(struct json_object *v, struct printbuf *pb, int level, int flags)
{
    static const char zeros[64] = "000000000000000000000000000000000000000000000000000000000000000";
    size_t n = (size_t)(uintptr_t)json_object_get_userdata(v), chunk;

    UNUSED(level);
    UNUSED(flags);
    while (n > 0) {
        chunk = n < sizeof(zeros) ? n : sizeof(zeros);
        if (printbuf_memappend(pb, zeros, (int)chunk) < 0) {
            return -1;
        }
        n -= chunk;
    }
    return 0;
}

/* Overwrites a scalar: its serialized text (json-c's cached copy), the number text kept as
 * userdata for huge integers (jsonh_fix_doubles) and doubles, and the value itself. */
static void
jsonh_wipe_scalar(struct json_object *v)
{
    enum json_type t = json_object_get_type(v);
    const char *text = json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
    size_t n = text != NULL ? strlen(text) : 0;
    char *p;

    if (t == json_type_double) {
        p = json_object_get_userdata(v);
        if (p != NULL) {
            crypto_wipe(p, strlen(p));
        }
    }
    json_object_set_serializer(v, jsonh_zero_serializer, (void *)(uintptr_t)n, NULL);
    (void)json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
    switch (t) {
    case json_type_string:
        p = (char *)(uintptr_t)json_object_get_string(v);
        if (p != NULL && json_object_get_string_len(v) > 0) {
            crypto_wipe(p, (size_t)json_object_get_string_len(v));
        }
        break;
    case json_type_int:
        (void)json_object_set_int64(v, 0);
        break;
    case json_type_double:
        (void)json_object_set_double(v, 0.0);
        break;
    default:
        break;
    }
}

/* Overwrites the values of v and of everything below it (depth <= JSONH_MAX_DEPTH + 1). */
static void
jsonh_wipe_tree(struct json_object *v) /* NOLINT(misc-no-recursion) */
{
    size_t i, n;

    switch (json_object_get_type(v)) {
    case json_type_object: {
        json_object_object_foreach(v, key, child)
        {
            UNUSED(key);
            jsonh_wipe_tree(child);
        }
        break;
    }
    case json_type_array:
        n = json_object_array_length(v);
        for (i = 0; i < n; i++) {
            jsonh_wipe_tree(json_object_array_get_idx(v, i));
        }
        break;
    case json_type_string:
    case json_type_int:
    case json_type_double:
        jsonh_wipe_scalar(v);
        break;
    default:
        break;
    }
}

void
jsonh_put_wiped(struct json_object *root)
{
    if (root == NULL) {
        return;
    }
    jsonh_wipe_tree(root);
    json_object_put(root);
}

struct json_object *
jsonh_parse_object(const char *buf, size_t len, struct gw_err *err)
{
    struct json_object *root = jsonh_parse_value(buf, len);

    if (root == NULL || !json_object_is_type(root, json_type_object)) {
        json_object_put(root);
        (void)GW_ERR(err, BAD_REQUEST, "Invalid JSON body");
        return NULL;
    }
    return root;
}

int
jsonh_add(struct json_object *obj, const char *key, struct json_object *val)
{
    if (val == NULL) {
        return -1;
    }
    if (obj == NULL || json_object_object_add(obj, key, val) != 0) {
        json_object_put(val);
        return -1;
    }
    return 0;
}

/* ---- classification ------------------------------------------------------------------------ */

enum jsonh_int_class
jsonh_int_classify(struct json_object *v, int64_t *out)
{
    const char *t, *p;
    long long ll;
    char *end = NULL;

    if (json_object_is_type(v, json_type_int)) {
        int64_t i = json_object_get_int64(v);

        if (i == INT64_MAX && json_object_get_uint64(v) > (uint64_t)INT64_MAX) {
            return JSONH_INT_TOO_LARGE;
        }
        *out = i;
        return JSONH_INT_OK;
    }
    if (!json_object_is_type(v, json_type_double)) {
        return JSONH_INT_NOT_INTEGER;
    }
    /* a parsed double keeps its literal: an integer literal here was beyond int64/uint64 */
    t = json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
    p = t[0] == '-' ? t + 1 : t;
    if (*p < '0' || *p > '9' || p[strspn(p, "0123456789")] != '\0') {
        return JSONH_INT_NOT_INTEGER;
    }
    errno = 0;
    ll = strtoll(t, &end, 10);
    if (errno == ERANGE) {
        return t[0] == '-' ? JSONH_INT_TOO_SMALL : JSONH_INT_TOO_LARGE;
    }
    if (errno != 0 || end == t || *end != '\0') {
        return JSONH_INT_NOT_INTEGER;
    }
    *out = (int64_t)ll;
    return JSONH_INT_OK;
}

/* ---- serializer ---------------------------------------------------------------------------- */

/* ECMAScript Number::toString(x) for a finite x (ES2023 6.1.6.1.20), "-0" -> "0". */
static void
jsonh_fmt_double(double d, char *out, size_t outsz)
{
    char tmp[40], digits[24];
    char *e;
    int p, k, n, i, exp10;
    size_t o = 0;
    bool neg = d < 0;
    double a = fabs(d);

    if (d == 0) {
        (void)snprintf(out, outsz, "0");
        return;
    }
    for (p = 1; p <= 17; p++) {
        (void)snprintf(tmp, sizeof(tmp), "%.*e", p - 1, a);
        if (strtod(tmp, NULL) == a) {
            break;
        }
    }
    /* tmp is "d[.ddd]e[+-]xx": collect the significant digits and the exponent */
    k = 0;
    for (i = 0; tmp[i] != 'e' && tmp[i] != '\0'; i++) {
        if (tmp[i] >= '0' && tmp[i] <= '9') {
            digits[k++] = tmp[i];
        }
    }
    e = strchr(tmp, 'e');
    exp10 = e != NULL ? (int)strtol(e + 1, NULL, 10) : 0;
    while (k > 1 && digits[k - 1] == '0') {
        k--;
    }
    digits[k] = '\0';
    n = exp10 + 1; /* value = 0.digits * 10^n */

    if (neg) {
        out[o++] = '-';
    }
    if (k <= n && n <= 21) {
        memcpy(out + o, digits, (size_t)k);
        o += (size_t)k;
        for (i = 0; i < n - k; i++) {
            out[o++] = '0';
        }
    } else if (0 < n && n <= 21) {
        memcpy(out + o, digits, (size_t)n);
        o += (size_t)n;
        out[o++] = '.';
        memcpy(out + o, digits + n, (size_t)(k - n));
        o += (size_t)(k - n);
    } else if (-6 < n && n <= 0) {
        out[o++] = '0';
        out[o++] = '.';
        for (i = 0; i < -n; i++) {
            out[o++] = '0';
        }
        memcpy(out + o, digits, (size_t)k);
        o += (size_t)k;
    } else {
        out[o++] = digits[0];
        if (k > 1) {
            out[o++] = '.';
            memcpy(out + o, digits + 1, (size_t)(k - 1));
            o += (size_t)(k - 1);
        }
        o += (size_t)snprintf(out + o, outsz - o, "e%c%d", n - 1 >= 0 ? '+' : '-', abs(n - 1));
    }
    out[o] = '\0';
}

static int
jsonh_write_double(struct buf *b, double d)
{
    char num[48];

    if (!isfinite(d)) {
        return buf_puts(b, "null"); /* JSON.stringify(Infinity) */
    }
    jsonh_fmt_double(d, num, sizeof(num));
    return buf_puts(b, num);
}

/* Integers beyond +-2^53 are written as the double JavaScript would hold. */
static int
jsonh_write_int(struct buf *b, int64_t v)
{
    if (v > (INT64_C(1) << 53) || v < -(INT64_C(1) << 53)) {
        return jsonh_write_double(b, (double)v);
    }
    return buf_printf(b, "%lld", (long long)v);
}

int
jsonh_write_string(struct buf *b, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    size_t i, run = 0;
    char esc[7];

    if (buf_putc(b, '"') != 0) {
        return -1;
    }
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *rep = NULL;
        size_t rlen = 2;

        switch (c) {
        case '"':
            rep = "\\\"";
            break;
        case '\\':
            rep = "\\\\";
            break;
        case '\b':
            rep = "\\b";
            break;
        case '\f':
            rep = "\\f";
            break;
        case '\n':
            rep = "\\n";
            break;
        case '\r':
            rep = "\\r";
            break;
        case '\t':
            rep = "\\t";
            break;
        default:
            if (c < 0x20) {
                esc[0] = '\\';
                esc[1] = 'u';
                esc[2] = '0';
                esc[3] = '0';
                esc[4] = hex[c >> 4];
                esc[5] = hex[c & 0x0f];
                esc[6] = '\0';
                rep = esc;
                rlen = 6;
            }
            break;
        }
        if (rep == NULL) {
            run++;
            continue;
        }
        if ((run > 0 && buf_append(b, s + i - run, run) != 0) || buf_append(b, rep, rlen) != 0) {
            return -1;
        }
        run = 0;
    }
    if (run > 0 && buf_append(b, s + len - run, run) != 0) {
        return -1;
    }
    return buf_putc(b, '"');
}

int
jsonh_write_value(struct buf *b, struct json_object *v) /* NOLINT(misc-no-recursion) */
{
    size_t i, n;
    int64_t iv;
    bool first = true;

    switch (json_object_get_type(v)) {
    case json_type_null:
        return buf_puts(b, "null");
    case json_type_boolean:
        return buf_puts(b, json_object_get_boolean(v) ? "true" : "false");
    case json_type_int:
        iv = json_object_get_int64(v);
        if (iv == INT64_MAX && json_object_get_uint64(v) > (uint64_t)INT64_MAX) {
            return jsonh_write_double(b, (double)json_object_get_uint64(v));
        }
        return jsonh_write_int(b, iv);
    case json_type_double:
        return jsonh_write_double(b, json_object_get_double(v));
    case json_type_string:
        return jsonh_write_string(b, json_object_get_string(v),
                                  (size_t)json_object_get_string_len(v));
    case json_type_object: {
        if (buf_putc(b, '{') != 0) {
            return -1;
        }
        json_object_object_foreach(v, key, child)
        {
            if ((!first && buf_putc(b, ',') != 0) || jsonh_write_string(b, key, strlen(key)) != 0
                || buf_putc(b, ':') != 0 || jsonh_write_value(b, child) != 0) {
                return -1;
            }
            first = false;
        }
        return buf_putc(b, '}');
    }
    case json_type_array:
        if (buf_putc(b, '[') != 0) {
            return -1;
        }
        n = json_object_array_length(v);
        for (i = 0; i < n; i++) {
            if ((i > 0 && buf_putc(b, ',') != 0)
                || jsonh_write_value(b, json_object_array_get_idx(v, i)) != 0) {
                return -1;
            }
        }
        return buf_putc(b, ']');
    }
    return -1;
}

/* ---- streaming writer ---------------------------------------------------------------------- */

#define JW_MAX_DEPTH (JSONH_MAX_DEPTH * 2)

void
jw_init(struct jw *w, struct buf *b)
{
    memset(w, 0, sizeof(*w));
    w->b = b;
}

/* Separator before a value: none after a key, else a comma after a sibling. */
static bool
jw_pre(struct jw *w)
{
    if (w->failed) {
        return false;
    }
    if (w->after_key) {
        w->after_key = false;
    } else if (w->need_comma[w->depth] && buf_putc(w->b, ',') != 0) {
        w->failed = 1;
        return false;
    }
    w->need_comma[w->depth] = true;
    return true;
}

static void
jw_check(struct jw *w, int rc)
{
    if (rc != 0) {
        w->failed = 1;
    }
}

static void
jw_open(struct jw *w, char c)
{
    if (!jw_pre(w)) {
        return;
    }
    if (w->depth >= JW_MAX_DEPTH) {
        w->failed = 1;
        return;
    }
    jw_check(w, buf_putc(w->b, c));
    w->depth++;
    w->need_comma[w->depth] = false;
}

static void
jw_close(struct jw *w, char c)
{
    if (w->failed) {
        return;
    }
    if (w->depth <= 0 || w->after_key) {
        w->failed = 1;
        return;
    }
    jw_check(w, buf_putc(w->b, c));
    w->depth--;
}

void
jw_obj_begin(struct jw *w)
{
    jw_open(w, '{');
}

void
jw_obj_end(struct jw *w)
{
    jw_close(w, '}');
}

void
jw_arr_begin(struct jw *w)
{
    jw_open(w, '[');
}

void
jw_arr_end(struct jw *w)
{
    jw_close(w, ']');
}

void
jw_key(struct jw *w, const char *key)
{
    if (w->failed) {
        return;
    }
    if (w->after_key || w->depth == 0) {
        w->failed = 1;
        return;
    }
    if (w->need_comma[w->depth] && buf_putc(w->b, ',') != 0) {
        w->failed = 1;
        return;
    }
    jw_check(w, jsonh_write_string(w->b, key, strlen(key)));
    jw_check(w, buf_putc(w->b, ':'));
    w->need_comma[w->depth] = true;
    w->after_key = true;
}

void
jw_str(struct jw *w, const char *s)
{
    if (s == NULL) {
        jw_null(w);
        return;
    }
    jw_strn(w, s, strlen(s));
}

void
jw_strn(struct jw *w, const char *s, size_t len)
{
    if (jw_pre(w)) {
        jw_check(w, jsonh_write_string(w->b, s, len));
    }
}

void
jw_int(struct jw *w, int64_t v)
{
    if (jw_pre(w)) {
        jw_check(w, jsonh_write_int(w->b, v));
    }
}

void
jw_bool(struct jw *w, bool v)
{
    if (jw_pre(w)) {
        jw_check(w, buf_puts(w->b, v ? "true" : "false"));
    }
}

void
jw_null(struct jw *w)
{
    if (jw_pre(w)) {
        jw_check(w, buf_puts(w->b, "null"));
    }
}

void
jw_raw(struct jw *w, const char *json, size_t len)
{
    if (jw_pre(w)) {
        jw_check(w, buf_append(w->b, json, len));
    }
}

void
jw_hole(struct jw *w, enum jw_hole h)
{
    if (jw_pre(w)) {
        jw_check(w, buf_putc(w->b, (char)h));
    }
}

void
jw_str_or_hole(struct jw *w, const char *s, enum jw_hole h)
{
    if (s != NULL && s[0] == '\0') {
        jw_hole(w, h);
    } else {
        jw_str(w, s);
    }
}

void
jw_int_or_hole(struct jw *w, int64_t v, enum jw_hole h)
{
    if (v < 0) {
        jw_hole(w, h);
    } else {
        jw_int(w, v);
    }
}

void
jw_value(struct jw *w, struct json_object *v)
{
    if (jw_pre(w)) {
        jw_check(w, jsonh_write_value(w->b, v));
    }
}

void
jw_list_begin(struct jw *w)
{
    jw_obj_begin(w);
    jw_key(w, "data");
    jw_arr_begin(w);
}

void
jw_list_end(struct jw *w, int64_t total, int64_t limit, int64_t offset)
{
    jw_arr_end(w);
    jw_key(w, "total");
    jw_int(w, total);
    jw_key(w, "limit");
    jw_int(w, limit);
    jw_key(w, "offset");
    jw_int(w, offset);
    jw_obj_end(w);
}

int
jw_finish(struct jw *w)
{
    return w->failed || w->depth != 0 || w->after_key ? -1 : 0;
}
