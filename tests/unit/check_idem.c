/* check_idem.c: the idempotency fingerprint (SPEC 9 v2), against vectors computed
 * independently with Python's hmac module:
 *     hmac.new(key, b"POST\n/api/v1/payments\n" + body, hashlib.sha256).hexdigest() */
#include "unit.h"

#include "idem.h"

#include <string.h>

START_TEST(test_fingerprint_hmac_vector)
{
    static const char body[] = "{\"order_id\":\"order_x\",\"cvv\":\"123\"}";
    unsigned char key[IDEM_KEY_LEN];
    char fp[65];
    size_t i;

    for (i = 0; i < sizeof(key); i++) {
        key[i] = (unsigned char)i; /* 00 01 02 … 1f */
    }
    ASSERT_OK(idem_fingerprint(key, "POST", "/api/v1/payments", body, sizeof(body) - 1, fp));
    ck_assert_str_eq(fp, "66f1d04b70b3237499da7d46a8ffa96c51e80487aaf0088a8a5b62abd1904530");
    /* not the v1 fingerprint, the plain SHA-256 of the same bytes */
    ck_assert_str_ne(fp, "676dcadf37d75e5efb87fee05fb6bd9560edfb16144c81c8f8662049808fa904");

    memset(key, 0xaa, sizeof(key));
    ASSERT_OK(idem_fingerprint(key, "GET", "/", NULL, 0, fp));
    ck_assert_str_eq(fp, "ae58cebd1a204ea90a798831b2d3091aa6bd567d57c65fc60c745dee9d3966f4");
}
END_TEST

START_TEST(test_fingerprint_separates_fields)
{
    unsigned char key[IDEM_KEY_LEN];
    char a[65], b[65];

    memset(key, 7, sizeof(key));
    ASSERT_OK(idem_fingerprint(key, "POST", "/a", "b", 1, a));
    ASSERT_OK(idem_fingerprint(key, "POST", "/a\nb", "", 0, b)); /* "POST\n/a\nb\n" */
    ck_assert_str_ne(a, b);
    ASSERT_OK(idem_fingerprint(key, "POST", "/a", "c", 1, b));
    ck_assert_str_ne(a, b);
    key[31] ^= 1;
    ASSERT_OK(idem_fingerprint(key, "POST", "/a", "b", 1, b));
    ck_assert_str_ne(a, b);
    ck_assert_uint_eq(strlen(a), 64);
    ck_assert_uint_eq(strspn(a, "0123456789abcdef"), 64);
}
END_TEST

Suite *
suite_idem(void)
{
    Suite *s = suite_create("idem");

    UNIT_TCASE(s, "fingerprint", 0, test_fingerprint_hmac_vector,
               test_fingerprint_separates_fields);
    return s;
}
