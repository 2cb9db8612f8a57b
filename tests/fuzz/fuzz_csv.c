/* fuzz_csv.c: the CSV writer of GET /api/v1/payments/export.csv (payment_csv_field,
 * payment_csv_row), fed with payments whose text fields come from the input (parts split at NUL,
 * each cut to its column's size as the database row would be).
 *
 * Round trip: the written record, read back with an independent RFC 4180 reader, gives exactly
 * the 14 columns of the header, each equal to what was written (null as empty, a leading ' before
 * = + - @ as SPEC 6.3 wants, so that no cell starts a formula), CRLF-terminated; a record of
 * valid UTF-8 fields is valid UTF-8. */
#include "fuzz.h"

#include "buf.h"
#include "gw.h"
#include "model.h"
#include "payment.h"
#include "validate.h"

#include <inttypes.h>
#include <stdbool.h>

#define FUZZ_CSV_COLS 14

struct fuzz_csv_rec {
    char *f[FUZZ_CSV_COLS + 1];
    size_t len[FUZZ_CSV_COLS + 1];
    size_t n;
};

/* Reads one RFC 4180 record from s[0..len) ending in CRLF at the end of the input; fields are
 * new strings. False when the text is no such record (or has more columns than expected). */
static bool
fuzz_csv_read(const char *s, size_t len, struct fuzz_csv_rec *r)
{
    size_t i = 0;
    struct buf f;

    memset(r, 0, sizeof(*r));
    for (;;) {
        buf_init(&f, 0);
        if (i < len && s[i] == '"') {
            i++;
            for (;;) {
                if (i >= len) {
                    buf_release(&f);
                    return false;
                }
                if (s[i] == '"') {
                    if (i + 1 < len && s[i + 1] == '"') {
                        FUZZ_CHECK(buf_putc(&f, '"') == 0);
                        i += 2;
                        continue;
                    }
                    i++;
                    break;
                }
                FUZZ_CHECK(buf_putc(&f, s[i]) == 0);
                i++;
            }
        } else {
            while (i < len && s[i] != ',' && s[i] != '\r' && s[i] != '\n' && s[i] != '"') {
                FUZZ_CHECK(buf_putc(&f, s[i]) == 0);
                i++;
            }
        }
        if (r->n >= FUZZ_CSV_COLS) {
            buf_release(&f);
            return false;
        }
        r->len[r->n] = f.len;
        r->f[r->n] = buf_detach(&f, NULL);
        r->n++;
        if (i < len && s[i] == ',') {
            i++;
            continue;
        }
        return i + 2 == len && s[i] == '\r' && s[i + 1] == '\n';
    }
}

static void
fuzz_csv_rec_release(struct fuzz_csv_rec *r)
{
    size_t i;

    for (i = 0; i < r->n; i++) {
        free(r->f[i]);
    }
    memset(r, 0, sizeof(*r));
}

/* What a cell must read back as for the value s (NULL: empty). */
static void
fuzz_csv_expect(const struct fuzz_csv_rec *r, size_t col, const char *s)
{
    size_t len = s != NULL ? strlen(s) : 0, off = 0;

    FUZZ_CHECK(col < r->n);
    if (len > 0 && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@')) {
        FUZZ_CHECK(r->len[col] == len + 1 && r->f[col][0] == '\'');
        off = 1;
    } else {
        FUZZ_CHECK(r->len[col] == len);
    }
    FUZZ_CHECK(len == 0 || memcmp(r->f[col] + off, s, len) == 0);
}

/* Copies part i into dst (dstsz bytes) as a text column would hold it. */
static void
fuzz_csv_col(char *dst, size_t dstsz, const struct fuzz_parts *p, size_t i)
{
    gw_copy_str(dst, dstsz, fuzz_part(p, i));
}

/* A payment whose text columns are the input's parts 0-11, cut to their sizes; amount from
 * the first 8 bytes of part 12. */
static void
fuzz_csv_payment(const struct fuzz_parts *p, bool captured, struct payment *pay)
{
    size_t i;

    memset(pay, 0, sizeof(*pay));
    fuzz_csv_col(pay->id, sizeof(pay->id), p, 0);
    fuzz_csv_col(pay->order_id, sizeof(pay->order_id), p, 1);
    fuzz_csv_col(pay->currency, sizeof(pay->currency), p, 2);
    fuzz_csv_col(pay->method, sizeof(pay->method), p, 3);
    fuzz_csv_col(pay->vpa, sizeof(pay->vpa), p, 4);
    fuzz_csv_col(pay->card_network, sizeof(pay->card_network), p, 5);
    fuzz_csv_col(pay->card_last4, sizeof(pay->card_last4), p, 6);
    fuzz_csv_col(pay->status, sizeof(pay->status), p, 7);
    fuzz_csv_col(pay->error_code, sizeof(pay->error_code), p, 8);
    fuzz_csv_col(pay->error_description, sizeof(pay->error_description), p, 9);
    fuzz_csv_col(pay->created_at, sizeof(pay->created_at), p, 10);
    fuzz_csv_col(pay->updated_at, sizeof(pay->updated_at), p, 11);
    for (i = 0; i < fuzz_part_len(p, 12) && i < 8; i++) {
        pay->amount = (int64_t)(((uint64_t)pay->amount << 8) | (uint8_t)p->s[12][i]);
    }
    pay->captured = captured;
}

/* payment_csv_row, read back column by column. */
static void
fuzz_csv_row(const struct payment *pay)
{
    const char *cols[] = {
        pay->id,         pay->order_id,          pay->currency,   pay->method,
        pay->vpa,        pay->card_network,      pay->card_last4, pay->status,
        pay->error_code, pay->error_description, pay->created_at, pay->updated_at
    };
    struct buf b;
    struct fuzz_csv_rec r;
    char amount[24];
    bool card = strcmp(pay->method, "card") == 0, utf8 = true;
    size_t i;

    for (i = 0; i < sizeof(cols) / sizeof(cols[0]); i++) {
        utf8 = utf8 && validate_utf8(cols[i], strlen(cols[i]));
    }
    buf_init(&b, 0);
    FUZZ_CHECK(payment_csv_row(&b, pay) == 0);
    FUZZ_CHECK(fuzz_csv_read(b.data, b.len, &r));
    FUZZ_CHECK(r.n == FUZZ_CSV_COLS);
    (void)snprintf(amount, sizeof(amount), "%" PRId64, pay->amount);
    fuzz_csv_expect(&r, 0, pay->id);
    fuzz_csv_expect(&r, 1, pay->order_id);
    fuzz_csv_expect(&r, 2, amount);
    fuzz_csv_expect(&r, 3, pay->currency);
    fuzz_csv_expect(&r, 4, pay->method);
    fuzz_csv_expect(&r, 5, pay->status);
    fuzz_csv_expect(&r, 6, pay->captured ? "true" : "false");
    fuzz_csv_expect(&r, 7, card ? NULL : pay->vpa);
    fuzz_csv_expect(&r, 8, card ? pay->card_network : NULL);
    fuzz_csv_expect(&r, 9, card ? pay->card_last4 : NULL);
    fuzz_csv_expect(&r, 10, pay->error_code);
    fuzz_csv_expect(&r, 11, pay->error_description);
    fuzz_csv_expect(&r, 12, pay->created_at);
    fuzz_csv_expect(&r, 13, pay->updated_at);
    if (utf8) {
        FUZZ_CHECK(validate_utf8(b.data, b.len));
    }
    fuzz_csv_rec_release(&r);
    buf_release(&b);
}

/* One field holding the whole input, NULs included. */
static void
fuzz_csv_field(const uint8_t *data, size_t size)
{
    struct buf b;
    struct fuzz_csv_rec r;

    buf_init(&b, 0);
    FUZZ_CHECK(payment_csv_field(&b, (const char *)data, size) == 0);
    FUZZ_CHECK(buf_append(&b, "\r\n", 2) == 0);
    if (size > 0) {
        FUZZ_CHECK(fuzz_csv_read(b.data, b.len, &r) && r.n == 1);
        if (data[0] == '=' || data[0] == '+' || data[0] == '-' || data[0] == '@') {
            FUZZ_CHECK(r.len[0] == size + 1 && r.f[0][0] == '\''
                       && memcmp(r.f[0] + 1, data, size) == 0);
        } else {
            FUZZ_CHECK(r.len[0] == size && memcmp(r.f[0], data, size) == 0);
        }
        fuzz_csv_rec_release(&r);
    } else {
        FUZZ_CHECK(b.len == 2);
    }
    buf_release(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_parts p;
    struct payment pay;

    fuzz_parts_split(&p, data, size);
    fuzz_csv_payment(&p, size % 2 == 1, &pay);
    fuzz_csv_row(&pay);
    fuzz_csv_field(data, size);
    fuzz_parts_release(&p);
    return 0;
}
