/* check_jsonh.c: strict parsing (json-c behaviour checked case by case), integer
 * classification, and byte equality with JavaScript's JSON.stringify. Every expected output
 * below was produced with node 20: JSON.stringify(JSON.parse(input)). */
#include "unit.h"

#include "buf.h"
#include "gw.h"
#include "jsonh.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define S(lit) (lit), (sizeof(lit) - 1)

static bool
parses(const char *s, size_t len)
{
    struct json_object *o = jsonh_parse_value(s, len);

    if (o == NULL) {
        return false;
    }
    json_object_put(o);
    return true;
}

/* Nested objects {"a":{"a":…1…}} with n levels. */
static char *
nested_objects(int n, size_t *len)
{
    struct buf b;
    int i;

    buf_init(&b, 0);
    for (i = 0; i < n; i++) {
        (void)buf_puts(&b, "{\"a\":");
    }
    (void)buf_putc(&b, '1');
    for (i = 0; i < n; i++) {
        (void)buf_putc(&b, '}');
    }
    return buf_detach(&b, len);
}

static char *
nested_arrays(int n, size_t *len)
{
    struct buf b;
    int i;

    buf_init(&b, 0);
    (void)buf_putc(&b, '{');
    (void)buf_puts(&b, "\"x\":");
    for (i = 1; i < n; i++) {
        (void)buf_putc(&b, '[');
    }
    for (i = 1; i < n; i++) {
        (void)buf_putc(&b, ']');
    }
    (void)buf_putc(&b, '}');
    return buf_detach(&b, len);
}

START_TEST(test_parse_accepts)
{
    static const char *const ok[] = {
        "{}",
        " {}",
        "{} ",
        " \t\r\n{ \"a\" : [ 1 , 2 ] }\n",
        "{\"a\":\"\\u0000\"}",
        "{\"a\":\"\\ud83d\\ude00\\/\\b\\f\\n\\r\\t\\\"\\\\\"}",
        "{\"a\":-0}",
        "{\"a\":0.5e-3}",
        "{\"a\":1E+2}",
        "{\"a\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"}",
        "{\"\":null}",
        "[]",
        "1",
        "-1.5",
        "\"s\"",
        "true",
        "false",
        "{\"a\":99999999999999999999999999}",
    };
    size_t i;

    for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        ck_assert_msg(parses(ok[i], strlen(ok[i])), "rejected %s", ok[i]);
    }
}
END_TEST

START_TEST(test_parse_rejects)
{
    /* each of these was checked against json-c 0.16 with STRICT|VALIDATE_UTF8: the ones marked
     * (json-c) are accepted by json-c alone and rejected by our own scan */
    static const char *const bad[] = {
        "",     /* empty */
        "   ",  /* whitespace only */
        "{}x",  /* trailing bytes */
        "{}{}", /* two values */
        "{} {}",
        "{\"a\":1,}", /* trailing comma */
        "[1,]",
        "{,}",
        "{'a':1}",           /* single quotes (json-c) */
        "{\"a\":'b'}",       /* (json-c) */
        "NaN",               /* (json-c) */
        "{\"a\":NaN}",       /* (json-c) */
        "{\"a\":Infinity}",  /* (json-c) */
        "{\"a\":-Infinity}", /* (json-c) */
        "{\"a\":nan}",
        "/*c*/{}", /* comments */
        "{}//c",
        "{\"a\":1/*c*/}",
        "\xef\xbb\xbf{}",               /* BOM */
        "{\"a\":\"\xff\"}",             /* invalid UTF-8 */
        "{\"a\":\"\xc0\xaf\"}",         /* overlong (json-c) */
        "{\"a\":\"\xed\xa0\x80\"}",     /* surrogate (json-c) */
        "{\"a\":\"\xf4\x90\x80\x80\"}", /* above U+10FFFF (json-c) */
        "{\"a\":\"\xe2\x82\"}",         /* truncated sequence */
        "{\"a\":\"tab\there\"}",        /* raw control character (json-c) */
        "{\"a\":\"nl\nhere\"}",         /* (json-c) */
        "{\"a\":\"\x01\"}",             /* (json-c) */
        "{\"a\":\"\\x41\"}",            /* bad escapes */
        "{\"a\":\"\\u12\"}",
        "{\"a\":\"\\U0041\"}",
        "{\"a\":\"\\'\"}",
        "{\"a\":01}",   /* leading zero */
        "{\"a\":-01}",  /* (json-c) */
        "{\"a\":1.}",   /* (json-c) */
        "{\"a\":1.e3}", /* (json-c) */
        "{\"a\":.5}",
        "{\"a\":+1}",
        "{\"a\":0x10}",
        "{\"a\":1e}",
        "{\"a\":-}",
        "{\"a\":TRUE}",
        "{\"a\":tru}",
        "{\"a\":truex}",
        "{a:1}", /* unquoted key */
        "{\"a\" 1}",
        "{\"a\":}",
        "{\"a\":1}}",
        "]",
        "\"unterminated",
        "{\"a\":[1 2]}",
        "\x0c{}", /* form feed is not JSON whitespace */
    };
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_msg(!parses(bad[i], strlen(bad[i])), "accepted case %zu: %s", i, bad[i]);
    }
}
END_TEST

START_TEST(test_parse_nul_bytes)
{
    ASSERT_FALSE(parses(S("{}\0")));
    ASSERT_FALSE(parses(S("\0{}")));
    ASSERT_FALSE(parses(S("{\"a\":1}\0 ")));
    ASSERT_FALSE(parses(S("{\"a\":\"x\0y\"}")));
    ASSERT_FALSE(parses(S("{\"a\0\":1}")));
    ASSERT_FALSE(parses(S("100\0")));
    ASSERT_TRUE(parses(S("{\"a\":\"x\\u0000y\"}"))); /* escaped NUL is a valid string */
}
END_TEST

START_TEST(test_parse_depth)
{
    char *s;
    size_t len;

    s = nested_objects(16, &len);
    ASSERT_TRUE(parses(s, len));
    free(s);
    s = nested_objects(17, &len);
    ASSERT_FALSE(parses(s, len));
    free(s);
    s = nested_arrays(16, &len);
    ASSERT_TRUE(parses(s, len));
    free(s);
    s = nested_arrays(17, &len);
    ASSERT_FALSE(parses(s, len));
    free(s);
    s = nested_objects(1000, &len);
    ASSERT_FALSE(parses(s, len));
    free(s);
}
END_TEST

START_TEST(test_parse_object)
{
    struct gw_err err = GW_ERR_INIT;
    struct json_object *o;

    o = jsonh_parse_object(S("{\"amount\":50000}"), &err);
    ck_assert_ptr_nonnull(o);
    ASSERT_FALSE(gw_err_is_set(&err));
    ASSERT_PUT_LAST(o);
    o = jsonh_parse_object(S("[1]"), &err);
    ck_assert_ptr_null(o);
    ck_assert_int_eq(err.code, GW_E_BAD_REQUEST);
    ck_assert_str_eq(err.msg, "Invalid JSON body");
    gw_err_clear(&err);
    ck_assert_ptr_null(jsonh_parse_object(S("null"), &err));
    ck_assert_int_eq(err.code, GW_E_BAD_REQUEST);
    gw_err_clear(&err);
    ck_assert_ptr_null(jsonh_parse_object(S("\"{}\""), &err));
    gw_err_clear(&err);
    ck_assert_ptr_null(jsonh_parse_object(S("{"), &err));
    ck_assert_str_eq(err.msg, "Invalid JSON body");
}
END_TEST

START_TEST(test_parse_nul_in_key)
{
    struct gw_err err = GW_ERR_INIT;
    struct json_object *o;

    /* json-c keys are C strings: "amount\u0000" would be read as "amount" */
    ck_assert_ptr_null(jsonh_parse_object(S("{\"amount\\u0000\":1}"), &err));
    ck_assert_int_eq(err.code, GW_E_BAD_REQUEST);
    ck_assert_str_eq(err.msg, "Invalid JSON body");
    ASSERT_FALSE(parses(S("{\"a\":{\"\\u0000\":1}}")));
    ASSERT_FALSE(parses(S("[{\"x\\u0000y\":1}]")));
    /* a NUL in a value stays the endpoint's business (e.g. holder_name) */
    ASSERT_TRUE(parses(S("{\"a\":\"x\\u0000\"}")));
    ASSERT_TRUE(parses(S("{\"\\u0001\\u00000\":1}")) == false);
    ASSERT_TRUE(parses(S("{\"\\u0100\":1}")));
    o = jsonh_parse_object(S("{\"amount\":1}"), &err);
    ck_assert_ptr_nonnull(o);
    json_object_put(o);
}
END_TEST

static bool
all_zero(const char *p, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (p[i] != '\0') {
            return false;
        }
    }
    return true;
}

START_TEST(test_put_wiped)
{
    static const char body[] = "{\"card\":{\"number\":\"4111111111111111\",\"cvv\":123,"
                               "\"big\":41111111111111111111111,\"list\":[\"secret\"]}}";
    struct json_object *o, *card = NULL, *num = NULL, *cvv = NULL, *big = NULL, *list = NULL;
    struct json_object *item;
    const char *text;

    o = jsonh_parse_value(S(body));
    ck_assert_ptr_nonnull(o);
    ASSERT_TRUE(json_object_object_get_ex(o, "card", &card));
    ASSERT_TRUE(json_object_object_get_ex(card, "number", &num));
    ASSERT_TRUE(json_object_object_get_ex(card, "cvv", &cvv));
    ASSERT_TRUE(json_object_object_get_ex(card, "big", &big));
    ASSERT_TRUE(json_object_object_get_ex(card, "list", &list));
    item = json_object_array_get_idx(list, 0);
    /* keep the values alive past the put to look at their bytes */
    (void)json_object_get(num);
    (void)json_object_get(cvv);
    (void)json_object_get(big);
    (void)json_object_get(item);
    ck_assert_str_eq(json_object_to_json_string_ext(cvv, JSON_C_TO_STRING_PLAIN), "123");
    ck_assert_str_eq(json_object_get_string(big), "41111111111111111111111");
    jsonh_put_wiped(o);
    ck_assert_int_eq(json_object_get_string_len(num), 16);
    ASSERT_TRUE(all_zero(json_object_get_string(num), 16));
    ASSERT_TRUE(all_zero(json_object_get_string(item), 6));
    ck_assert_int_eq(json_object_get_int64(cvv), 0);
    text = json_object_to_json_string_ext(cvv, JSON_C_TO_STRING_PLAIN);
    ck_assert_str_eq(text, "000");
    ASSERT_TRUE(json_object_get_double(big) == 0.0);
    ck_assert_str_eq(json_object_to_json_string_ext(big, JSON_C_TO_STRING_PLAIN),
                     "00000000000000000000000");
    json_object_put(num);
    json_object_put(cvv);
    json_object_put(big);
    json_object_put(item);
    jsonh_put_wiped(NULL);
}
END_TEST

static enum jsonh_int_class
classify(const char *member_value, int64_t *v)
{
    struct buf b;
    struct json_object *o, *m = NULL;
    enum jsonh_int_class c;

    buf_init(&b, 0);
    (void)buf_printf(&b, "{\"v\":%s}", member_value);
    o = jsonh_parse_value(b.data, b.len);
    buf_release(&b);
    ck_assert_msg(o != NULL, "did not parse %s", member_value);
    ASSERT_TRUE(json_object_object_get_ex(o, "v", &m));
    c = jsonh_int_classify(m, v);
    json_object_put(o);
    return c;
}

/* Holes (jsonh.h): a hole is the only raw control byte the writer ever emits; the same byte in
 * user text (a string or a parsed value) is escaped, so it can never be taken for a hole. */
START_TEST(test_holes)
{
    static const char in[] = "{\"n\":\"\\u0001\\u0004\"}";
    struct json_object *v = jsonh_parse_value(in, sizeof(in) - 1);
    struct buf b;
    struct jw w;
    size_t i, raw = 0;

    ck_assert_ptr_nonnull(v);
    buf_init(&b, 0);
    jw_init(&w, &b);
    jw_obj_begin(&w);
    jw_key(&w, "t");
    jw_str_or_hole(&w, "", JW_HOLE_TIME);
    jw_key(&w, "a");
    jw_int_or_hole(&w, -1, JW_HOLE_AMOUNT);
    jw_key(&w, "s");
    jw_str(&w, "\x01\x02\x03\x04");
    jw_key(&w, "v");
    jw_value(&w, v);
    jw_key(&w, "k");
    jw_str_or_hole(&w, "INR", JW_HOLE_CURRENCY);
    jw_key(&w, "m");
    jw_int_or_hole(&w, 5, JW_HOLE_AMOUNT);
    jw_obj_end(&w);
    ck_assert_int_eq(jw_finish(&w), 0);
    ck_assert_str_eq(b.data, "{\"t\":\x01,\"a\":\x02,\"s\":\"\\u0001\\u0002\\u0003\\u0004\","
                             "\"v\":{\"n\":\"\\u0001\\u0004\"},\"k\":\"INR\",\"m\":5}");
    for (i = 0; i < b.len; i++) {
        raw += (unsigned char)b.data[i] < 0x20;
    }
    ck_assert_uint_eq(raw, 2);
    buf_release(&b);
    json_object_put(v);
}
END_TEST

START_TEST(test_int_classify)
{
    int64_t v = 0;

    ck_assert_int_eq(classify("100", &v), JSONH_INT_OK);
    ck_assert_int_eq(v, 100);
    ck_assert_int_eq(classify("-5", &v), JSONH_INT_OK);
    ck_assert_int_eq(v, -5);
    ck_assert_int_eq(classify("2147483648", &v), JSONH_INT_OK);
    ck_assert_int_eq(v, INT64_C(2147483648));
    ck_assert_int_eq(classify("-0", &v), JSONH_INT_OK);
    ck_assert_int_eq(v, 0);
    ck_assert_int_eq(classify("9223372036854775807", &v), JSONH_INT_OK);
    ck_assert_int_eq(v, INT64_MAX);
    ck_assert_int_eq(classify("-9223372036854775808", &v), JSONH_INT_OK);
    ck_assert_int_eq(v, INT64_MIN);
    ck_assert_int_eq(classify("9223372036854775808", &v), JSONH_INT_TOO_LARGE);
    ck_assert_int_eq(classify("18446744073709551615", &v), JSONH_INT_TOO_LARGE);
    ck_assert_int_eq(classify("18446744073709551616", &v), JSONH_INT_TOO_LARGE);
    ck_assert_int_eq(classify("99999999999999999999999999", &v), JSONH_INT_TOO_LARGE);
    ck_assert_int_eq(classify("-9223372036854775809", &v), JSONH_INT_TOO_SMALL);
    ck_assert_int_eq(classify("-99999999999999999999999", &v), JSONH_INT_TOO_SMALL);
    ck_assert_int_eq(classify("1.0", &v), JSONH_INT_NOT_INTEGER);
    ck_assert_int_eq(classify("1e3", &v), JSONH_INT_NOT_INTEGER);
    ck_assert_int_eq(classify("1E2", &v), JSONH_INT_NOT_INTEGER);
    ck_assert_int_eq(classify("12.5", &v), JSONH_INT_NOT_INTEGER);
    ck_assert_int_eq(classify("-0.0", &v), JSONH_INT_NOT_INTEGER);
    ck_assert_int_eq(classify("1e400", &v), JSONH_INT_NOT_INTEGER);
    ck_assert_int_eq(classify("\"100\"", &v), JSONH_INT_NOT_INTEGER);
    ck_assert_int_eq(classify("true", &v), JSONH_INT_NOT_INTEGER);
    ck_assert_int_eq(classify("null", &v), JSONH_INT_NOT_INTEGER);
    ck_assert_int_eq(classify("[100]", &v), JSONH_INT_NOT_INTEGER);
    ck_assert_int_eq(classify("{\"a\":1}", &v), JSONH_INT_NOT_INTEGER);
    ck_assert_int_eq(jsonh_int_classify(NULL, &v), JSONH_INT_NOT_INTEGER);
}
END_TEST

/* JSON.stringify(JSON.parse(in)) == out, as node 20 prints it. */
static void
assert_restringify(const char *in, size_t inlen, const char *want)
{
    struct json_object *o = jsonh_parse_value(in, inlen);
    struct buf b;

    ck_assert_msg(o != NULL, "did not parse %s", in);
    buf_init(&b, 0);
    ASSERT_OK(jsonh_write_value(&b, o));
    ck_assert_str_eq(b.data, want);
    ck_assert_uint_eq(b.len, strlen(want));
    buf_release(&b);
    ASSERT_PUT_LAST(o);
}

START_TEST(test_stringify_structure)
{
    assert_restringify(S("{\"a\":1,\"b\":[true,false,null],\"c\":{\"d\":\"e\"}}"),
                       "{\"a\":1,\"b\":[true,false,null],\"c\":{\"d\":\"e\"}}");
    /* key order is kept */
    assert_restringify(S("{\"z\":1,\"a\":2,\"m\":3}"), "{\"z\":1,\"a\":2,\"m\":3}");
    /* duplicate keys: last value, first position (JSON.parse semantics) */
    assert_restringify(S("{\"a\":1,\"b\":2,\"a\":3}"), "{\"a\":3,\"b\":2}");
    assert_restringify(S(" [ 1 , 2 ] "), "[1,2]");
    assert_restringify(
        S("{\"k\\\"ey\":\"v\\u000bw\",\"\xc3\xbc\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\","
          "\"nested\":{\"a\":[{\"b\":[[]]},{}],\"e\":\"\"}}"),
        "{\"k\\\"ey\":\"v\\u000bw\",\"\xc3\xbc\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\","
        "\"nested\":{\"a\":[{\"b\":[[]]},{}],\"e\":\"\"}}");
}
END_TEST

START_TEST(test_stringify_strings)
{
    /* escapes: \" \\ \b \f \n \r \t, other controls \u00xx lowercase, DEL and '/' as is,
     * U+0080, U+2028, U+2029 and astral characters as raw UTF-8 */
    assert_restringify(
        S("\"\\u0000\\u0001\\u001f\\b\\f\\n\\r\\t\\\"\\\\\\/\\u007f\\u0080\\u2028\\u2029"
          "\\ud83d\\ude00\""),
        "\"\\u0000\\u0001\\u001f\\b\\f\\n\\r\\t\\\"\\\\/\x7f\xc2\x80\xe2\x80\xa8\xe2\x80\xa9"
        "\xf0\x9f\x98\x80\"");
}
END_TEST

START_TEST(test_stringify_all_ascii)
{
    /* JSON.stringify of the string of code points 0..127 */
    static const char want[] =
        "\"\\u0000\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007\\b\\t\\n\\u000b\\f\\r"
        "\\u000e\\u000f\\u0010\\u0011\\u0012\\u0013\\u0014\\u0015\\u0016\\u0017\\u0018\\u0019"
        "\\u001a\\u001b\\u001c\\u001d\\u001e\\u001f !\\\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHI"
        "JKLMNOPQRSTUVWXYZ[\\\\]^_`abcdefghijklmnopqrstuvwxyz{|}~\x7f\"";
    char all[128];
    struct buf b;
    int i;

    for (i = 0; i < 128; i++) {
        all[i] = (char)i;
    }
    buf_init(&b, 0);
    ASSERT_OK(jsonh_write_string(&b, all, sizeof(all)));
    ck_assert_uint_eq(b.len, sizeof(want) - 1);
    ck_assert_int_eq(memcmp(b.data, want, b.len), 0);
    buf_release(&b);
}
END_TEST

START_TEST(test_stringify_numbers)
{
    assert_restringify(S("[0.1,1.5,-0.0,1e21,1e-7,123456789.123,5e-324,1.7976931348623157e308]"),
                       "[0.1,1.5,0,1e+21,1e-7,123456789.123,5e-324,1.7976931348623157e+308]");
    assert_restringify(
        S("[12345678901234567890,-9223372036854775808,9007199254740993,9007199254740992,"
          "-9007199254740993,18446744073709551615,18446744073709551616,"
          "99999999999999999999999999,-99999999999999999999999]"),
        "[12345678901234567000,-9223372036854776000,9007199254740992,9007199254740992,"
        "-9007199254740992,18446744073709552000,18446744073709552000,1e+26,-1e+23]");
    assert_restringify(S("[100,-5,2147483648,1.0,1e3,1E2,12.5,-0,0,1e400,-1e400,1e-400]"),
                       "[100,-5,2147483648,1,1000,100,12.5,0,0,null,null,0]");
    assert_restringify(
        S("[1e20,1e21,123e-20,0.000001,0.0000001,1.23e-7,-1.5e300,4.35,0.3,2.5e-5,"
          "100000000000000000000,1234567890123456789012]"),
        "[100000000000000000000,1e+21,1.23e-18,0.000001,1e-7,1.23e-7,-1.5e+300,4.35,0.3,"
        "0.000025,100000000000000000000,1.2345678901234568e+21]");
}
END_TEST

START_TEST(test_write_built_values)
{
    struct json_object *o = json_object_new_object();
    struct buf b;

    ASSERT_OK(jsonh_add(o, "i", json_object_new_int64(INT64_C(9007199254740993))));
    ASSERT_OK(jsonh_add(o, "d", json_object_new_double(0.1 + 0.2)));
    ASSERT_OK(jsonh_add(o, "nan", json_object_new_double(NAN)));
    ASSERT_OK(json_object_object_add(o, "n", NULL)); /* JSON null */
    ASSERT_OK(jsonh_add(o, "s", json_object_new_string_len("a\0b", 3)));
    ASSERT_FAIL(jsonh_add(o, "bad", NULL)); /* failed constructor is not JSON null */
    ASSERT_FAIL(jsonh_add(NULL, "x", json_object_new_int(1))); /* reference dropped */
    buf_init(&b, 0);
    ASSERT_OK(jsonh_write_value(&b, o));
    ck_assert_str_eq(b.data, "{\"i\":9007199254740992,\"d\":0.30000000000000004,\"nan\":null,"
                             "\"n\":null,\"s\":\"a\\u0000b\"}");
    buf_reset(&b);
    ASSERT_OK(jsonh_write_value(&b, NULL));
    ck_assert_str_eq(b.data, "null");
    buf_release(&b);
    ASSERT_PUT_LAST(o);
}
END_TEST

START_TEST(test_write_capped)
{
    struct buf b;
    struct json_object *o = json_object_new_string("0123456789");

    buf_init(&b, 8);
    ASSERT_FAIL(jsonh_write_value(&b, o));
    ASSERT_FAIL(jsonh_write_string(&b, "0123456789", 10));
    buf_release(&b);
    json_object_put(o);
}
END_TEST

START_TEST(test_jw_writer)
{
    struct buf b;
    struct jw w;
    struct json_object *notes = jsonh_parse_value(S("{\"x\":[1,\"y\"]}"));

    buf_init(&b, 0);
    jw_init(&w, &b);
    jw_obj_begin(&w);
    jw_key(&w, "id");
    jw_str(&w, "pay_1");
    jw_key(&w, "amount");
    jw_int(&w, 50000);
    jw_key(&w, "big");
    jw_int(&w, INT64_MAX);
    jw_key(&w, "captured");
    jw_bool(&w, false);
    jw_key(&w, "reason");
    jw_str(&w, NULL);
    jw_key(&w, "n");
    jw_null(&w);
    jw_key(&w, "notes");
    jw_value(&w, notes);
    jw_key(&w, "raw");
    jw_raw(&w, "{\"r\":1}", 7);
    jw_key(&w, "list");
    jw_arr_begin(&w);
    jw_obj_begin(&w);
    jw_key(&w, "k\n");
    jw_strn(&w, "a\"b", 3);
    jw_obj_end(&w);
    jw_obj_begin(&w);
    jw_obj_end(&w);
    jw_arr_begin(&w);
    jw_arr_end(&w);
    jw_int(&w, -1);
    jw_arr_end(&w);
    jw_key(&w, "t");
    jw_bool(&w, true);
    jw_obj_end(&w);
    ASSERT_OK(jw_finish(&w));
    ck_assert_str_eq(b.data, "{\"id\":\"pay_1\",\"amount\":50000,\"big\":9223372036854776000,"
                             "\"captured\":false,\"reason\":null,\"n\":null,"
                             "\"notes\":{\"x\":[1,\"y\"]},\"raw\":{\"r\":1},"
                             "\"list\":[{\"k\\n\":\"a\\\"b\"},{},[],-1],\"t\":true}");
    buf_release(&b);
    json_object_put(notes);
}
END_TEST

START_TEST(test_jw_errors)
{
    struct buf b;
    struct jw w;
    int i;

    buf_init(&b, 0);
    jw_init(&w, &b); /* unbalanced */
    jw_obj_begin(&w);
    ASSERT_FAIL(jw_finish(&w));

    buf_reset(&b);
    jw_init(&w, &b); /* key without value */
    jw_obj_begin(&w);
    jw_key(&w, "a");
    jw_obj_end(&w);
    ASSERT_FAIL(jw_finish(&w));

    buf_reset(&b);
    jw_init(&w, &b); /* close without open */
    jw_arr_end(&w);
    ASSERT_FAIL(jw_finish(&w));

    buf_reset(&b);
    jw_init(&w, &b); /* too deep */
    for (i = 0; i < JSONH_MAX_DEPTH * 2 + 1; i++) {
        jw_arr_begin(&w);
    }
    ASSERT_FAIL(jw_finish(&w));

    buf_release(&b);
    buf_init(&b, 10); /* buffer ceiling */
    jw_init(&w, &b);
    jw_obj_begin(&w);
    jw_key(&w, "long key");
    jw_str(&w, "long value");
    jw_obj_end(&w);
    ASSERT_FAIL(jw_finish(&w));
    buf_release(&b);
}
END_TEST

Suite *
suite_jsonh(void)
{
    Suite *s = suite_create("jsonh");

    UNIT_TCASE(s, "parse", 0, test_parse_accepts, test_parse_rejects, test_parse_nul_bytes,
               test_parse_depth, test_parse_object, test_parse_nul_in_key, test_int_classify,
               test_put_wiped);
    UNIT_TCASE(s, "stringify", 0, test_stringify_structure, test_stringify_strings,
               test_stringify_all_ascii, test_stringify_numbers, test_write_built_values,
               test_write_capped);
    UNIT_TCASE(s, "jw", 0, test_jw_writer, test_jw_errors, test_holes);
    return s;
}
