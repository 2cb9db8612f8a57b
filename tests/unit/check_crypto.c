/* check_crypto.c: digests, HMAC (RFC 4231), PBKDF2 (RFC 7914 section 11), base64 (RFC 4648),
 * random ids and password hashes. Expected values were cross-checked with node's crypto. */
#include "unit.h"

#include "crypto.h"
#include "gw.h"
#include "validate.h"

#include <stdlib.h>
#include <string.h>

static void
hex_of(const unsigned char *p, size_t n, char *out)
{
    crypto_hex(p, n, out);
}

START_TEST(test_sha256)
{
    char hex[CRYPTO_SHA256_HEXLEN + 1];

    crypto_sha256_hex("abc", 3, hex);
    ck_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    crypto_sha256_hex("", 0, hex);
    ck_assert_str_eq(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}
END_TEST

/* RFC 4231 test cases 1-4, 6 and 7 (HMAC-SHA-256). */
START_TEST(test_hmac_rfc4231)
{
    static const char data7[] = "This is a test using a larger than block-size key and a larger "
                                "than block-size data. The key needs to be hashed before being "
                                "used by the HMAC algorithm.";
    unsigned char key[131], msg[50], mac[CRYPTO_SHA256_LEN];
    char hex[CRYPTO_SHA256_HEXLEN + 1];
    size_t i;

    memset(key, 0x0b, 20);
    ASSERT_OK(crypto_hmac_sha256(key, 20, "Hi There", 8, mac));
    hex_of(mac, sizeof(mac), hex);
    ck_assert_str_eq(hex, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");

    ASSERT_OK(crypto_hmac_sha256("Jefe", 4, "what do ya want for nothing?", 28, mac));
    hex_of(mac, sizeof(mac), hex);
    ck_assert_str_eq(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");

    memset(key, 0xaa, 20);
    memset(msg, 0xdd, 50);
    ASSERT_OK(crypto_hmac_sha256(key, 20, msg, 50, mac));
    hex_of(mac, sizeof(mac), hex);
    ck_assert_str_eq(hex, "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");

    for (i = 0; i < 25; i++) {
        key[i] = (unsigned char)(i + 1);
    }
    memset(msg, 0xcd, 50);
    ASSERT_OK(crypto_hmac_sha256(key, 25, msg, 50, mac));
    hex_of(mac, sizeof(mac), hex);
    ck_assert_str_eq(hex, "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");

    memset(key, 0xaa, 131);
    ASSERT_OK(crypto_hmac_sha256(key, 131, "Test Using Larger Than Block-Size Key - Hash Key First",
                                 54, mac));
    hex_of(mac, sizeof(mac), hex);
    ck_assert_str_eq(hex, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");

    ASSERT_OK(crypto_hmac_sha256(key, 131, data7, sizeof(data7) - 1, mac));
    hex_of(mac, sizeof(mac), hex);
    ck_assert_str_eq(hex, "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");

    /* empty key and message are fine */
    ASSERT_OK(crypto_hmac_sha256("", 0, "", 0, mac));
    hex_of(mac, sizeof(mac), hex);
    ck_assert_str_eq(hex, "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}
END_TEST

/* RFC 7914 section 11: PBKDF2-HMAC-SHA256 */
START_TEST(test_pbkdf2_rfc7914)
{
    unsigned char dk[64];
    char hex[129];

    ASSERT_OK(
        crypto_pbkdf2_sha256("passwd", 6, (const unsigned char *)"salt", 4, 1, dk, sizeof(dk)));
    hex_of(dk, sizeof(dk), hex);
    ck_assert_str_eq(hex, "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
                          "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783");
    ASSERT_OK(crypto_pbkdf2_sha256("Password", 8, (const unsigned char *)"NaCl", 4, 80000, dk,
                                   sizeof(dk)));
    hex_of(dk, sizeof(dk), hex);
    ck_assert_str_eq(hex, "4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56"
                          "a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d");
    ASSERT_FAIL(crypto_pbkdf2_sha256("x", 1, (const unsigned char *)"s", 1, 0, dk, sizeof(dk)));
}
END_TEST

START_TEST(test_base64)
{
    static const char *const plain[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar" };
    static const char *const enc[] = { "",         "Zg==",     "Zm8=",    "Zm9v",
                                       "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy" };
    static const unsigned char bin[] = { 0xfb, 0xff, 0xfe };
    char out[16];
    unsigned char dec[16];
    size_t i, n;

    for (i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
        n = crypto_base64((const unsigned char *)plain[i], strlen(plain[i]), out);
        ck_assert_uint_eq(n, strlen(enc[i]));
        ck_assert_str_eq(out, enc[i]);
        ASSERT_OK(crypto_base64_decode(enc[i], strlen(enc[i]), dec, sizeof(dec), &n));
        ck_assert_uint_eq(n, strlen(plain[i]));
        ck_assert_int_eq(memcmp(dec, plain[i], n), 0);
    }
    n = crypto_base64url(bin, 3, out);
    ck_assert_str_eq(out, "-__-");
    ck_assert_uint_eq(n, 4);
    n = crypto_base64url(bin, 2, out);
    ck_assert_str_eq(out, "-_8");
    ck_assert_uint_eq(n, 3);

    /* malformed input */
    ASSERT_FAIL(crypto_base64_decode("Zg", 2, dec, sizeof(dec), &n)); /* padding required */
    ASSERT_FAIL(crypto_base64_decode("Zg=", 3, dec, sizeof(dec), &n));
    ASSERT_FAIL(crypto_base64_decode("Z===", 4, dec, sizeof(dec), &n));
    ASSERT_FAIL(crypto_base64_decode("====", 4, dec, sizeof(dec), &n));
    ASSERT_FAIL(crypto_base64_decode("Zg=a", 4, dec, sizeof(dec), &n));
    ASSERT_FAIL(crypto_base64_decode("Zm 9", 4, dec, sizeof(dec), &n));
    ASSERT_FAIL(crypto_base64_decode("Zm9\n", 4, dec, sizeof(dec), &n));
    ASSERT_FAIL(crypto_base64_decode("-_8=", 4, dec, sizeof(dec), &n)); /* url alphabet */
    ASSERT_FAIL(crypto_base64_decode("Zm9vYmFy", 8, dec, 5, &n));       /* too small */
    ASSERT_OK(crypto_base64_decode("Zm9vYmFy", 8, dec, 6, &n));
    ck_assert_uint_eq(n, 6);
}
END_TEST

START_TEST(test_random_ids)
{
    struct gw_err err = GW_ERR_INIT;
    char id[32], small[8];
    bool seen[256] = { false };
    size_t i, j, distinct = 0;

    for (i = 0; i < 10000; i++) {
        ASSERT_OK(crypto_new_id("pay_", id, sizeof(id), &err));
        ck_assert_uint_eq(strlen(id), 20);
        ASSERT_TRUE(validate_object_id("pay_", id));
        for (j = 4; j < 20; j++) {
            seen[(unsigned char)id[j]] = true;
        }
    }
    for (i = 0; i < 256; i++) {
        if (seen[i]) {
            ck_assert_msg((i >= 'A' && i <= 'Z') || (i >= 'a' && i <= 'z')
                              || (i >= '0' && i <= '9'),
                          "unexpected character %zu", i);
            distinct++;
        }
    }
    ck_assert_uint_eq(distinct, 62);

    ASSERT_OK(crypto_new_id("order_", id, sizeof(id), &err));
    ASSERT_TRUE(validate_object_id("order_", id));
    ASSERT_OK(crypto_new_id("rfnd_", id, sizeof(id), &err));
    ASSERT_TRUE(validate_object_id("rfnd_", id));
    ASSERT_FAIL(crypto_new_id("pay_", small, sizeof(small), &err));
    ck_assert_int_eq(err.code, GW_E_INTERNAL);

    gw_err_clear(&err);
    ASSERT_OK(crypto_random_alnum(id, 24, &err));
    ck_assert_uint_eq(strlen(id), 24);
    ASSERT_OK(crypto_random_alnum(id, 0, &err));
    ck_assert_str_eq(id, "");
}
END_TEST

START_TEST(test_ct_equal)
{
    ASSERT_TRUE(crypto_ct_equal("abc", 3, "abc", 3));
    ASSERT_FALSE(crypto_ct_equal("abc", 3, "abd", 3));
    ASSERT_FALSE(crypto_ct_equal("abc", 3, "abcd", 4));
    ASSERT_FALSE(crypto_ct_equal("abc", 3, "ab", 2));
    ASSERT_TRUE(crypto_ct_equal("", 0, "", 0));
}
END_TEST

START_TEST(test_password_round_trip)
{
    struct gw_err err = GW_ERR_INIT;
    char *h1 = crypto_password_hash("correct horse", &err);
    char *h2 = crypto_password_hash("correct horse", &err);

    ck_assert_ptr_nonnull(h1);
    ck_assert_ptr_nonnull(h2);
    ck_assert_int_eq(strncmp(h1, "pbkdf2_sha256$600000$", 21), 0);
    /* 16-byte salt -> 24 base64 characters, 32-byte key -> 44 */
    ck_assert_uint_eq(strlen(h1), 21 + 24 + 1 + 44);
    ck_assert_int_eq(h1[21 + 24], '$');
    ck_assert_str_ne(h1, h2); /* random salt */
    ASSERT_TRUE(crypto_password_verify("correct horse", h1));
    ASSERT_TRUE(crypto_password_verify("correct horse", h2));
    ASSERT_FALSE(crypto_password_verify("correct horsE", h1));
    ASSERT_FALSE(crypto_password_verify("", h1));
    free(h1);
    free(h2);
    crypto_password_dummy("whatever");
}
END_TEST

START_TEST(test_password_malformed)
{
    /* "pw" with salt "salt" (c2FsdA==), 1 iteration: pbkdf2 = base64 below (node) */
    static const char good[] = "pbkdf2_sha256$1$c2FsdA==$"
                               "b0rYx47DZcBg5kjraU7kDepYSEsDcfvWFxWsRBC3OAo=";
    static const char *const bad[] = {
        "",
        "pbkdf2_sha256",
        "pbkdf2_sha256$1$c2FsdA==",
        "pbkdf2_sha1$1$c2FsdA==$b0rYx47DZcBg5kjraU7kDepYSEsDcfvWFxWsRBC3OAo=",
        "pbkdf2_sha256$0$c2FsdA==$b0rYx47DZcBg5kjraU7kDepYSEsDcfvWFxWsRBC3OAo=",
        "pbkdf2_sha256$01$c2FsdA==$b0rYx47DZcBg5kjraU7kDepYSEsDcfvWFxWsRBC3OAo=",
        "pbkdf2_sha256$-1$c2FsdA==$b0rYx47DZcBg5kjraU7kDepYSEsDcfvWFxWsRBC3OAo=",
        "pbkdf2_sha256$10000001$c2FsdA==$b0rYx47DZcBg5kjraU7kDepYSEsDcfvWFxWsRBC3OAo=",
        "pbkdf2_sha256$99999999999$c2FsdA==$b0rYx47DZcBg5kjraU7kDepYSEsDcfvWFxWsRBC3OAo=",
        "pbkdf2_sha256$1x$c2FsdA==$b0rYx47DZcBg5kjraU7kDepYSEsDcfvWFxWsRBC3OAo=",
        "pbkdf2_sha256$$c2FsdA==$b0rYx47DZcBg5kjraU7kDepYSEsDcfvWFxWsRBC3OAo=",
        "pbkdf2_sha256$1$$b0rYx47DZcBg5kjraU7kDepYSEsDcfvWFxWsRBC3OAo=",
        "pbkdf2_sha256$1$c2FsdA$b0rYx47DZcBg5kjraU7kDepYSEsDcfvWFxWsRBC3OAo=",
        "pbkdf2_sha256$1$c2FsdA==$b0rYx47DZcBg5kjraU7kDepYSEsDcfvWFxWsRBC3OAo",
        "pbkdf2_sha256$1$c2FsdA==$Mj6Ld4/Yu5fgaLBfiUT0SpCjzuq8ztK8gy/zSyZO",
        "pbkdf2_sha256$1$c2FsdA==$b0rYx47DZcBg5kjraU7kDepYSEsDcfvWFxWsRBC3OAo=$",
        "pbkdf2_sha256$1$c2FsdA==$b0rYx47DZcBg5kjraU7kDepYSEsDcfvWFxWsRBC3OAo=$x",
        "pbkdf2_sha256$1$c2F!dA==$b0rYx47DZcBg5kjraU7kDepYSEsDcfvWFxWsRBC3OAo=",
        "PBKDF2_SHA256$1$c2FsdA==$b0rYx47DZcBg5kjraU7kDepYSEsDcfvWFxWsRBC3OAo=",
        "plaintext-password",
    };
    size_t i;

    ASSERT_TRUE(crypto_password_verify("pw", good));
    ASSERT_FALSE(crypto_password_verify("pw2", good));
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_msg(!crypto_password_verify("pw", bad[i]), "accepted %s", bad[i]);
    }
    ASSERT_FALSE(crypto_password_verify(NULL, good));
    ASSERT_FALSE(crypto_password_verify("pw", NULL));
}
END_TEST

Suite *
suite_crypto(void)
{
    Suite *s = suite_create("crypto");

    UNIT_TCASE(s, "primitives", 30, test_sha256, test_hmac_rfc4231, test_pbkdf2_rfc7914,
               test_base64, test_ct_equal);
    UNIT_TCASE(s, "ids", 0, test_random_ids);
    UNIT_TCASE(s, "password", 60, test_password_round_trip, test_password_malformed);
    return s;
}
