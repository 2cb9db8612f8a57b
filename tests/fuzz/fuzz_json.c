/* fuzz_json.c: the JSON parser and both JSON writers.
 *
 * Properties: jsonh_parse_value never crashes; whatever it accepts writes (jsonh_write_value) to
 * valid UTF-8 that parses again and writes to the same bytes (parse -> write -> parse -> write
 * is stable); jsonh_parse_object accepts exactly the accepted values that are objects and
 * otherwise reports a 400; jsonh_int_classify agrees with the tree; the streaming writer (jw_*)
 * turns any valid UTF-8 string into JSON that parses back to the same bytes. */
#include "fuzz.h"

#include "buf.h"
#include "gw.h"
#include "jsonh.h"
#include "validate.h"

#include <json-c/json.h>

static void
fuzz_json_classify(struct json_object *v, int depth) /* NOLINT(misc-no-recursion) */
{
    int64_t n = 0;
    enum jsonh_int_class c;

    if (depth > JSONH_MAX_DEPTH + 1) {
        return;
    }
    switch (json_object_get_type(v)) {
    case json_type_int:
        c = jsonh_int_classify(v, &n);
        FUZZ_CHECK(c == JSONH_INT_OK || c == JSONH_INT_TOO_SMALL || c == JSONH_INT_TOO_LARGE);
        break;
    case json_type_double:
        (void)jsonh_int_classify(v, &n);
        break;
    case json_type_object: {
        json_object_object_foreach(v, key, child)
        {
            FUZZ_CHECK(key != NULL);
            fuzz_json_classify(child, depth + 1);
        }
        break;
    }
    case json_type_array: {
        size_t i, len = json_object_array_length(v);

        for (i = 0; i < len; i++) {
            fuzz_json_classify(json_object_array_get_idx(v, i), depth + 1);
        }
        break;
    }
    case json_type_null:
    case json_type_boolean:
    case json_type_string:
        break;
    }
}

/* parse -> write -> parse -> write: the two writes are identical valid UTF-8. */
static void
fuzz_json_round_trip(struct json_object *v)
{
    struct buf w1, w2;
    struct json_object *again;

    buf_init(&w1, 0);
    buf_init(&w2, 0);
    FUZZ_CHECK(jsonh_write_value(&w1, v) == 0);
    FUZZ_CHECK(validate_utf8(w1.data, w1.len));
    if (strcmp(w1.data, "null") == 0) {
        /* a top-level double beyond the double range (1e400) writes null as JSON.stringify
         * does, and json-c represents null as NULL, which jsonh_parse_value also returns for
         * failures */
        buf_release(&w1);
        buf_release(&w2);
        return;
    }
    again = jsonh_parse_value(w1.data, w1.len);
    FUZZ_CHECK(again != NULL);
    FUZZ_CHECK(json_object_get_type(again) == json_object_get_type(v)
               || json_object_is_type(again, json_type_null)
               || json_object_is_type(again, json_type_int)
               || json_object_is_type(again, json_type_double));
    FUZZ_CHECK(jsonh_write_value(&w2, again) == 0);
    FUZZ_CHECK(w1.len == w2.len && memcmp(w1.data, w2.data, w1.len) == 0);
    json_object_put(again);
    buf_release(&w1);
    buf_release(&w2);
}

/* jw with the input as a string value and a key: parses back to the same bytes. */
static void
fuzz_json_jw(const char *s, size_t len)
{
    struct buf b;
    struct jw w;
    struct json_object *o, *v = NULL;

    buf_init(&b, 0);
    jw_init(&w, &b);
    jw_obj_begin(&w);
    jw_key(&w, "s");
    jw_strn(&w, s, len);
    jw_key(&w, "a");
    jw_arr_begin(&w);
    jw_int(&w, (int64_t)len);
    jw_int(&w, -(int64_t)len);
    jw_bool(&w, len % 2 == 0);
    jw_null(&w);
    jw_str(&w, NULL);
    jw_arr_end(&w);
    jw_obj_end(&w);
    FUZZ_CHECK(jw_finish(&w) == 0);
    FUZZ_CHECK(validate_utf8(b.data, b.len));
    o = jsonh_parse_value(b.data, b.len);
    FUZZ_CHECK(o != NULL && json_object_is_type(o, json_type_object));
    FUZZ_CHECK(json_object_object_get_ex(o, "s", &v) && json_object_is_type(v, json_type_string));
    FUZZ_CHECK((size_t)json_object_get_string_len(v) == len);
    FUZZ_CHECK(len == 0 || memcmp(json_object_get_string(v), s, len) == 0);
    json_object_put(o);
    buf_release(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    struct json_object *v, *o;
    struct gw_err err = GW_ERR_INIT;

    v = jsonh_parse_value(s, size);
    o = jsonh_parse_object(s, size, &err);
    if (v != NULL) {
        FUZZ_CHECK(validate_utf8(s, size));
        fuzz_json_classify(v, 1);
        fuzz_json_round_trip(v);
        FUZZ_CHECK((o != NULL) == json_object_is_type(v, json_type_object));
    } else {
        FUZZ_CHECK(o == NULL);
    }
    if (o == NULL) {
        FUZZ_CHECK(gw_err_status(err.code) == 400);
    } else {
        FUZZ_CHECK(!gw_err_is_set(&err));
    }
    json_object_put(v);
    jsonh_put_wiped(o);
    if (validate_utf8(s, size)) {
        fuzz_json_jw(s, size);
    }
    return 0;
}
