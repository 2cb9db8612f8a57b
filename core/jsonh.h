/* jsonh.h: JSON helpers over json-c (prefix avoids json-c's own json_*).
 *
 * Parsing: strict, UTF-8 validated, depth <= 16, exactly one value, no trailing bytes.
 * Writing: our own serializer, byte-identical to JavaScript's JSON.stringify for the same value
 * (SPEC section 4.4): compact, keys in insertion order, no "\/" escaping, non-ASCII written as is,
 * control characters as \b \f \n \r \t or \u00xx (lowercase hex), integers without ".0",
 * doubles in ECMAScript Number::toString form (shortest round-trip, "1e+21", "-0" -> "0"),
 * integers beyond +-2^53 written as the double JavaScript would hold. */
#ifndef GW_JSONH_H
#define GW_JSONH_H

#include "buf.h"
#include "gw.h"

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#define JSONH_MAX_DEPTH 16

/* Parses buf[0..len) into a new object (caller puts). Any failure, or a value that is not an
 * object, sets err BAD_REQUEST "Invalid JSON body" and returns NULL. */
struct json_object *jsonh_parse_object(const char *buf, size_t len, struct gw_err *err);
/* Same rules, any JSON value; NULL on failure (no err). */
struct json_object *jsonh_parse_value(const char *buf, size_t len);

/* Overwrites every string, integer and double value of the tree, then puts root: for request
 * bodies, which may hold card data (SPEC 17). Borrowed children die with it as usual. */
void jsonh_put_wiped(struct json_object *root);

/* Serialises any json-c value as JSON.stringify would; NULL is written as null. */
int jsonh_write_value(struct buf *b, struct json_object *v);
/* Writes a JSON string literal (quotes included) for s[0..len), escaping as JSON.stringify. */
int jsonh_write_string(struct buf *b, const char *s, size_t len);

/* Adds val under key, taking the reference on success and dropping it on failure;
 * a NULL val (failed constructor) is an error, not JSON null. */
int jsonh_add(struct json_object *obj, const char *key, struct json_object *val);

/* Classification of a numeric member as SPEC section 6.2 needs it. */
enum jsonh_int_class {
    JSONH_INT_OK = 0,      /* integer literal within int64; value in *out */
    JSONH_INT_TOO_SMALL,   /* integer literal below INT64_MIN (value unusable, sign known) */
    JSONH_INT_TOO_LARGE,   /* integer literal above INT64_MAX */
    JSONH_INT_NOT_INTEGER, /* fraction or exponent, or not a number at all */
};
/* Decides from the literal's text whether v is a JSON integer (json-c turns huge integers into
 * doubles but keeps their source text). */
enum jsonh_int_class jsonh_int_classify(struct json_object *v, int64_t *out);

/* Streaming writer for responses (no intermediate json-c tree). Keys are written as given.
 *     jw_obj_begin(b); jw_key(b, "id"); jw_str(b, id); … jw_obj_end(b);
 * Commas are inserted automatically; nesting up to JSONH_MAX_DEPTH * 2. */
struct jw {
    struct buf *b;
    int depth;
    bool need_comma[JSONH_MAX_DEPTH * 2 + 1];
    bool after_key;
    int failed; /* sticky: set when any append failed */
};
void jw_init(struct jw *w, struct buf *b);
void jw_obj_begin(struct jw *w);
void jw_obj_end(struct jw *w);
void jw_arr_begin(struct jw *w);
void jw_arr_end(struct jw *w);
void jw_key(struct jw *w, const char *key);
void jw_str(struct jw *w, const char *s); /* NULL writes null */
void jw_strn(struct jw *w, const char *s, size_t len);
void jw_int(struct jw *w, int64_t v);
void jw_bool(struct jw *w, bool v);
void jw_null(struct jw *w);
void jw_raw(struct jw *w, const char *json, size_t len); /* already-serialised JSON value */
void jw_value(struct jw *w, struct json_object *v);      /* jsonh_write_value */
/*
 * Holes: an answer rendered before the database has spoken. jw never writes a raw control byte
 * (strings escape them), so these bytes mark, unambiguously, where the database puts a value
 * only it knows, already JSON-encoded, in the statement that stores or returns the document
 * (SQL replace(); see payment.c). jw_hole writes one as a value.
 */
enum jw_hole {
    JW_HOLE_TIME = 1,     /* a timestamp string (SPEC 4.4) */
    JW_HOLE_AMOUNT = 2,   /* an integer */
    JW_HOLE_CURRENCY = 3, /* a string */
    JW_HOLE_MERCHANT = 4, /* a merchant id string */
};
/* SQL filling every hole of the text expression doc: ts is SPEC 4.4 timestamp text, amount an
 * integer, currency and merchant text (a hole the document lacks may get ''). */
#define JW_HOLES_FILL_SQL(doc, ts, amount, currency, merchant)               \
    "replace(replace(replace(replace(" doc ", E'\\x01', '\"' || " ts         \
    " || '\"'), E'\\x02', (" amount ")::text), E'\\x03', to_json((" currency \
    ")::text)::text), E'\\x04', "                                            \
    "to_json((" merchant ")::text)::text)"
void jw_hole(struct jw *w, enum jw_hole h);
void jw_str_or_hole(struct jw *w, const char *s, enum jw_hole h); /* "" writes the hole */
void jw_int_or_hole(struct jw *w, int64_t v, enum jw_hole h);     /* v < 0 writes the hole */
int jw_finish(struct jw *w);                                      /* 0, or -1 if anything failed */
/* The list envelope {"data":[items…],"total":…,"limit":…,"offset":…}: jw_list_begin writes
 * up to the opening '[', the caller writes the items, jw_list_end writes the rest. */
void jw_list_begin(struct jw *w);
void jw_list_end(struct jw *w, int64_t total, int64_t limit, int64_t offset);

#endif /* GW_JSONH_H */
