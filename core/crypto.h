/* crypto.h: the only OpenSSL user. OpenSSL 3 non-deprecated APIs only. */
#ifndef GW_CRYPTO_H
#define GW_CRYPTO_H

#include "gw.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CRYPTO_SHA256_LEN    32
#define CRYPTO_SHA256_HEXLEN 64
#define CRYPTO_PBKDF2_ITER   600000

/* RAND_bytes; -1 with err INTERNAL when it does not return 1. */
int crypto_random_bytes(unsigned char *out, size_t n, struct gw_err *err);
/* n characters of [A-Za-z0-9] by rejection sampling (byte >= 248 discarded, else byte % 62
 * indexes "ABC…Zabc…z0123456789"), then a NUL: out must hold n + 1 bytes. */
int crypto_random_alnum(char *out, size_t n, struct gw_err *err);
/* prefix + GW_ID_LEN alphanumerics, e.g. "pay_" -> "pay_AbC…"; out holds >= 32 bytes. */
int crypto_new_id(const char *prefix, char *out, size_t outsz, struct gw_err *err);

void crypto_sha256(const void *data, size_t len, unsigned char out[CRYPTO_SHA256_LEN]);
/* Lowercase hex digest, out holds 65 bytes. */
void crypto_sha256_hex(const void *data, size_t len, char out[CRYPTO_SHA256_HEXLEN + 1]);
int crypto_hmac_sha256(const void *key, size_t klen, const void *msg, size_t mlen,
                       unsigned char out[CRYPTO_SHA256_LEN]);
void crypto_hex(const unsigned char *in, size_t n, char *out); /* out holds 2n + 1 */
/* Standard padded base64; out holds 4 * ceil(n / 3) + 1. Returns length written. */
size_t crypto_base64(const unsigned char *in, size_t n, char *out);
/* Unpadded base64url; out holds 4 * ceil(n / 3) + 1. */
size_t crypto_base64url(const unsigned char *in, size_t n, char *out);
/* Decodes standard base64 (padding required); -1 on bad input or overflow of outsz. */
int crypto_base64_decode(const char *in, size_t len, unsigned char *out, size_t outsz,
                         size_t *outlen);

int crypto_pbkdf2_sha256(const char *pass, size_t plen, const unsigned char *salt, size_t slen,
                         unsigned iterations, unsigned char *out, size_t outlen);
/* "pbkdf2_sha256$600000$<salt b64>$<hash b64>" with a 16-byte random salt; caller frees. */
char *crypto_password_hash(const char *password, struct gw_err *err);
/* Constant-time verification against the stored string; a malformed string never matches. */
bool crypto_password_verify(const char *password, const char *stored);
/* Runs one full derivation and discards it (unknown e-mail at login). */
void crypto_password_dummy(const char *password);

/* Equal lengths checked first, then CRYPTO_memcmp. */
bool crypto_ct_equal(const void *a, size_t alen, const void *b, size_t blen);
/* OPENSSL_cleanse */
void crypto_wipe(void *p, size_t n);

#endif /* GW_CRYPTO_H */
