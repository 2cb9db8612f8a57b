/* validate.h: pure validation rules of SPEC section 7 and input formats; no I/O. */
#ifndef GW_VALIDATE_H
#define GW_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* ^[a-zA-Z0-9._-]+@[a-zA-Z0-9]+$ on s[0..len) (NUL bytes never match). */
bool validate_vpa(const char *s, size_t len);
/* Removes spaces and '-' from a card number; returns -1 unless the rest is 13-19 ASCII digits.
 * out holds 20 bytes. */
int validate_card_clean(const char *in, size_t len, char out[20]);
bool validate_luhn(const char *digits);
/* "visa", "mastercard", "amex", "rupay" or "unknown" for a cleaned number. */
const char *validate_card_network(const char *digits);
/* Month 1-2 digits valued 1-12; year 2 digits (20YY) or 4 digits; valid when (year, month) >=
 * (now_year, now_month). */
bool validate_expiry(const char *month, size_t mlen, const char *year, size_t ylen, int now_year,
                     int now_month);
bool validate_cvv(const char *s, size_t len);      /* ^[0-9]{3,4}$ */
bool validate_currency(const char *s, size_t len); /* ^[A-Z]{3}$ */
/* SPEC section 6.7 webhook_url rules (length, scheme, host, port, no userinfo/fragment/space). */
bool validate_webhook_url(const char *s, size_t len);
/* 1-255 printable ASCII (0x20-0x7E). */
bool validate_idempotency_key(const char *s, size_t len);
/* ^[A-Za-z0-9._-]{1,128}$ */
bool validate_request_id(const char *s, size_t len);
/* prefix followed by exactly 16 of [A-Za-z0-9], e.g. ("pay_", s). */
bool validate_object_id(const char *prefix, const char *s);
/* Canonical UUID text, 8-4-4-4-12 hex digits (either case). */
bool validate_uuid(const char *s);
/* True when s[0..len) is valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF). */
bool validate_utf8(const char *s, size_t len);
/* Counts characters (code points) of valid UTF-8. */
size_t validate_utf8_chars(const char *s, size_t len);
/* "YYYY-MM-DD" (date_only = true) or "YYYY-MM-DDTHH:MM:SSZ" into Unix seconds (UTC), with real
 * calendar checks; -1 when invalid. */
int validate_parse_timestamp(const char *s, int64_t *out, bool *date_only);

#endif /* GW_VALIDATE_H */
