/* crypto.c: the only OpenSSL user (OpenSSL 3, no deprecated API). */
#include "crypto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PW_ALGO     "pbkdf2_sha256"
#define PW_SALT_LEN 16
#define PW_KEY_LEN  32
#define PW_ITER_MAX 10000000UL
#define PW_SALT_MAX 64

static const char crypto_alnum[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

int
crypto_random_bytes(unsigned char *out, size_t n, struct gw_err *err)
{
    while (n > 0) {
        int chunk = n > 4096 ? 4096 : (int)n;

        if (RAND_bytes(out, chunk) != 1) {
            return GW_ERR(err, INTERNAL, "RAND_bytes failed");
        }
        out += chunk;
        n -= (size_t)chunk;
    }
    return 0;
}

int
crypto_random_alnum(char *out, size_t n, struct gw_err *err)
{
    unsigned char pool[64];
    size_t have = 0, used = 0, i = 0;

    while (i < n) {
        unsigned char c;

        if (used == have) {
            if (crypto_random_bytes(pool, sizeof(pool), err) != 0) {
                crypto_wipe(pool, sizeof(pool));
                return -1;
            }
            have = sizeof(pool);
            used = 0;
        }
        c = pool[used++];
        if (c >= 248) {
            continue; /* 248 = 4 * 62: keeps every character equally likely */
        }
        out[i++] = crypto_alnum[c % 62];
    }
    out[n] = '\0';
    crypto_wipe(pool, sizeof(pool));
    return 0;
}

int
crypto_new_id(const char *prefix, char *out, size_t outsz, struct gw_err *err)
{
    size_t plen = strlen(prefix);

    if (outsz < plen + GW_ID_LEN + 1) {
        return GW_ERR(err, INTERNAL, "id buffer too small");
    }
    (void)snprintf(out, outsz, "%s", prefix);
    return crypto_random_alnum(out + plen, GW_ID_LEN, err);
}

void
crypto_sha256(const void *data, size_t len, unsigned char out[CRYPTO_SHA256_LEN])
{
    unsigned int olen = 0;

    if (EVP_Digest(data, len, out, &olen, EVP_sha256(), NULL) != 1) {
        /* only fails on allocation failure inside OpenSSL */
        (void)fprintf(stderr, "{\"level\":\"error\",\"msg\":\"EVP_Digest failed\"}\n");
        abort();
    }
}

void
crypto_hex(const unsigned char *in, size_t n, char *out)
{
    static const char hex[] = "0123456789abcdef";
    size_t i;

    for (i = 0; i < n; i++) {
        out[2 * i] = hex[in[i] >> 4];
        out[2 * i + 1] = hex[in[i] & 0x0f];
    }
    out[2 * n] = '\0';
}

void
crypto_sha256_hex(const void *data, size_t len, char out[CRYPTO_SHA256_HEXLEN + 1])
{
    unsigned char md[CRYPTO_SHA256_LEN];

    crypto_sha256(data, len, md);
    crypto_hex(md, sizeof(md), out);
}

int
crypto_hmac_sha256(const void *key, size_t klen, const void *msg, size_t mlen,
                   unsigned char out[CRYPTO_SHA256_LEN])
{
    unsigned int olen = 0;
    static const unsigned char empty[1] = { 0 };

    if (klen > INT32_MAX) {
        return -1;
    }
    /* HMAC() treats a NULL key as "reuse the previous key": never pass NULL */
    if (HMAC(EVP_sha256(), klen > 0 ? key : empty, (int)klen, msg != NULL ? msg : empty, mlen, out,
             &olen)
            == NULL
        || olen != CRYPTO_SHA256_LEN) {
        return -1;
    }
    return 0;
}

size_t
crypto_base64(const unsigned char *in, size_t n, char *out)
{
    int len;

    if (n == 0) {
        out[0] = '\0';
        return 0;
    }
    len = EVP_EncodeBlock((unsigned char *)out, in, (int)n);
    return len < 0 ? 0 : (size_t)len;
}

size_t
crypto_base64url(const unsigned char *in, size_t n, char *out)
{
    size_t len = crypto_base64(in, n, out), i;

    while (len > 0 && out[len - 1] == '=') {
        len--;
    }
    out[len] = '\0';
    for (i = 0; i < len; i++) {
        if (out[i] == '+') {
            out[i] = '-';
        } else if (out[i] == '/') {
            out[i] = '_';
        }
    }
    return len;
}

static bool
b64_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+'
           || c == '/';
}

int
crypto_base64_decode(const char *in, size_t len, unsigned char *out, size_t outsz, size_t *outlen)
{
    unsigned char *tmp = NULL;
    size_t pad = 0, i, n;
    int rc = -1, got;

    *outlen = 0;
    if (len == 0) {
        return 0;
    }
    /* EVP_DecodeBlock skips whitespace and ignores what padding means: check the form here */
    if (len % 4 != 0 || len > INT32_MAX) {
        return -1;
    }
    if (in[len - 1] == '=') {
        pad = in[len - 2] == '=' ? 2 : 1;
    }
    for (i = 0; i < len - pad; i++) {
        if (!b64_char(in[i])) {
            return -1;
        }
    }
    n = len / 4 * 3 - pad;
    if (n > outsz) {
        return -1;
    }
    tmp = xmalloc(len / 4 * 3);
    got = EVP_DecodeBlock(tmp, (const unsigned char *)in, (int)len);
    if (got < 0 || (size_t)got != len / 4 * 3) {
        goto out;
    }
    memcpy(out, tmp, n);
    *outlen = n;
    rc = 0;
out:
    crypto_wipe(tmp, len / 4 * 3);
    free(tmp);
    return rc;
}

int
crypto_pbkdf2_sha256(const char *pass, size_t plen, const unsigned char *salt, size_t slen,
                     unsigned iterations, unsigned char *out, size_t outlen)
{
    if (plen > INT32_MAX || slen > INT32_MAX || outlen > INT32_MAX || iterations == 0
        || iterations > INT32_MAX) {
        return -1;
    }
    if (PKCS5_PBKDF2_HMAC(pass != NULL ? pass : "", (int)plen, salt, (int)slen, (int)iterations,
                          EVP_sha256(), (int)outlen, out)
        != 1) {
        return -1;
    }
    return 0;
}

char *
crypto_password_hash(const char *password, struct gw_err *err)
{
    unsigned char salt[PW_SALT_LEN], key[PW_KEY_LEN];
    char salt64[4 * ((PW_SALT_LEN + 2) / 3) + 1], key64[4 * ((PW_KEY_LEN + 2) / 3) + 1];
    char out[sizeof(PW_ALGO) + 12 + sizeof(salt64) + sizeof(key64)];
    char *ret = NULL;

    if (crypto_random_bytes(salt, sizeof(salt), err) != 0) {
        goto out;
    }
    if (crypto_pbkdf2_sha256(password, strlen(password), salt, sizeof(salt), CRYPTO_PBKDF2_ITER,
                             key, sizeof(key))
        != 0) {
        (void)GW_ERR(err, INTERNAL, "PBKDF2 failed");
        goto out;
    }
    (void)crypto_base64(salt, sizeof(salt), salt64);
    (void)crypto_base64(key, sizeof(key), key64);
    (void)snprintf(out, sizeof(out), PW_ALGO "$%d$%s$%s", CRYPTO_PBKDF2_ITER, salt64, key64);
    ret = xstrdup(out);
out:
    crypto_wipe(key, sizeof(key));
    crypto_wipe(key64, sizeof(key64));
    crypto_wipe(out, sizeof(out));
    return ret;
}

/* Splits "pbkdf2_sha256$<iter>$<salt>$<hash>"; false when malformed. */
static bool
pw_parse(const char *stored, unsigned *iter, unsigned char *salt, size_t *slen, unsigned char *hash,
         size_t *hlen)
{
    const char *p, *d1, *d2;
    unsigned long it = 0;

    if (strncmp(stored, PW_ALGO "$", sizeof(PW_ALGO)) != 0) {
        return false;
    }
    p = stored + sizeof(PW_ALGO);
    d1 = strchr(p, '$');
    if (d1 == NULL || d1 == p || d1 - p > 8 || *p == '0') {
        return false;
    }
    for (; p < d1; p++) {
        if (*p < '0' || *p > '9') {
            return false;
        }
        it = it * 10 + (unsigned long)(*p - '0');
    }
    if (it < 1 || it > PW_ITER_MAX) {
        return false;
    }
    d2 = strchr(d1 + 1, '$');
    if (d2 == NULL || d2 == d1 + 1 || strchr(d2 + 1, '$') != NULL) {
        return false;
    }
    if (crypto_base64_decode(d1 + 1, (size_t)(d2 - d1 - 1), salt, PW_SALT_MAX, slen) != 0
        || *slen == 0) {
        return false;
    }
    if (crypto_base64_decode(d2 + 1, strlen(d2 + 1), hash, PW_KEY_LEN, hlen) != 0
        || *hlen != PW_KEY_LEN) {
        return false;
    }
    *iter = (unsigned)it;
    return true;
}

bool
crypto_password_verify(const char *password, const char *stored)
{
    unsigned char salt[PW_SALT_MAX], want[PW_KEY_LEN], got[PW_KEY_LEN];
    size_t slen = 0, hlen = 0;
    unsigned iter = 0;
    bool ok = false;

    if (password == NULL || stored == NULL || !pw_parse(stored, &iter, salt, &slen, want, &hlen)) {
        goto out;
    }
    if (crypto_pbkdf2_sha256(password, strlen(password), salt, slen, iter, got, sizeof(got)) != 0) {
        goto out;
    }
    ok = crypto_ct_equal(got, sizeof(got), want, hlen);
out:
    crypto_wipe(got, sizeof(got));
    crypto_wipe(want, sizeof(want));
    return ok;
}

void
crypto_password_dummy(const char *password)
{
    static const unsigned char salt[PW_SALT_LEN] = { 0 };
    unsigned char key[PW_KEY_LEN];

    (void)crypto_pbkdf2_sha256(password != NULL ? password : "",
                               password != NULL ? strlen(password) : 0, salt, sizeof(salt),
                               CRYPTO_PBKDF2_ITER, key, sizeof(key));
    crypto_wipe(key, sizeof(key));
}

bool
crypto_ct_equal(const void *a, size_t alen, const void *b, size_t blen)
{
    if (alen != blen) {
        return false;
    }
    if (alen == 0) {
        return true;
    }
    return CRYPTO_memcmp(a, b, alen) == 0;
}

void
crypto_wipe(void *p, size_t n)
{
    if (p != NULL && n > 0) {
        OPENSSL_cleanse(p, n);
    }
}
