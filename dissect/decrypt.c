/*
 * decrypt.c - TLS record decryption with OpenSSL 3.0's EVP (see decrypt.h).
 *
 * TLS 1.3 record protection, RFC 8446 §5.2:
 *
 *   TLSCiphertext: opaque_type(23) | legacy_record_version(0x0303) | length(2)
 *                  | encrypted_record[length]
 *   encrypted_record = AEAD(key, nonce, additional_data = the 5 header bytes,
 *                           TLSInnerPlaintext = content | type(1) | zeros)
 *   nonce = iv XOR (the 64-bit sequence number, left-padded to iv's length)
 *
 * TLS 1.2 AEAD, RFC 5246 §6.2.3.3 with RFC 5288 §3 (GCM) / RFC 6655 (CCM):
 *
 *   GenericAEADCipher: nonce_explicit[8] | aead-ciphered content+tag
 *   nonce = client/server_write_IV[4] | nonce_explicit
 *   additional_data = seq_num(8) | type(1) | version(2) | length(2, of the plaintext)
 *
 * ChaCha20-Poly1305 in TLS 1.2, RFC 7905 §2: no explicit nonce, the 12-byte
 * IV XOR the sequence number, as in TLS 1.3; the same additional data as GCM.
 *
 * CBC, RFC 5246 §6.2.3.2: IV[block] (TLS >= 1.1) | E(content | MAC | padding
 * | padding_length); MAC = HMAC(seq_num | type | version | length | content).
 * Encrypt-then-MAC, RFC 7366 §3: IV | E(content | padding | padding_length) |
 * MAC, the MAC over seq_num | type | version | length(IV + ciphertext) | IV
 * | ciphertext.  TLS 1.0 (RFC 2246 §6.2.3.2) has no explicit IV: each record
 * starts from the last ciphertext block of the one before, the first from
 * the key block.
 */
#include "dissect/decrypt.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "dissect/tls_suite.h"
#include "lib/cbs.h"

enum kind {
    KIND_TLS13,        /* AEAD, nonce iv ^ seq, header as additional data */
    KIND_EXPLICIT,     /* TLS 1.2 GCM/CCM: 4-byte salt + explicit 8 bytes */
    KIND_XOR12,        /* TLS 1.2 ChaCha20-Poly1305 */
    KIND_CBC,          /* TLS <= 1.2 CBC + HMAC */
};

struct decrypt {
    enum kind kind;
    uint16_t version;
    bool ccm, etm;
    char hash[16];                   /* TLS 1.3: HKDF's digest */
    EVP_CIPHER *cipher;
    EVP_CIPHER_CTX *ctx;
    EVP_MAC *mac;
    EVP_MAC_CTX *mac_ctx;
    size_t taglen, keylen, ivlen, mac_len, block;
    uint8_t key[32];
    uint8_t iv[16];
    uint8_t mac_key[48];
    uint8_t secret[DECRYPT_MAX_SECRET];
    size_t secret_len;
    uint64_t seq;
};

static const char *const result_names[DECRYPT_RESULT_COUNT] = {
    [DECRYPT_OK] = "ok",
    [DECRYPT_BAD_TAG] = "bad_tag",
    [DECRYPT_UNSUPPORTED_CIPHER] = "unsupported_cipher",
    [DECRYPT_TOO_SHORT] = "too_short",
    [DECRYPT_TOO_LONG] = "too_long",
    [DECRYPT_BAD_INNER] = "bad_inner",
    [DECRYPT_BAD_SECRET] = "bad_secret",
    [DECRYPT_CRYPTO_ERROR] = "crypto_error",
};

const char *decrypt_result_name(enum decrypt_result r)
{
    return (unsigned)r < DECRYPT_RESULT_COUNT ? result_names[r] : "?";
}

/* ---- what a suite is made of ----------------------------------------- */

/* aead_name returns the OpenSSL name of a suite's AEAD or CBC cipher and
 * sets *|taglen| (AEAD) and *|ccm|, or NULL when we cannot decrypt it. */
static const char *cipher_name(const struct tls_suite *s, size_t *taglen, bool *ccm)
{
    bool k128 = s->key_bits == 128, k256 = s->key_bits == 256;

    *taglen = 16;
    *ccm = false;
    switch (s->cipher) {
    case TLS_SUITE_CIPHER_AES:
        switch (s->mode) {
        case TLS_SUITE_MODE_GCM:
            return k128 ? "AES-128-GCM" : k256 ? "AES-256-GCM" : NULL;
        case TLS_SUITE_MODE_CCM:
        case TLS_SUITE_MODE_CCM_8:
            *ccm = true;
            *taglen = s->mode == TLS_SUITE_MODE_CCM ? 16 : 8;
            return k128 ? "AES-128-CCM" : k256 ? "AES-256-CCM" : NULL;
        case TLS_SUITE_MODE_CBC:
            *taglen = 0;
            return k128 ? "AES-128-CBC" : k256 ? "AES-256-CBC" : NULL;
        default:
            return NULL;
        }
    case TLS_SUITE_CIPHER_CHACHA20:
        return s->mode == TLS_SUITE_MODE_POLY1305 ? "ChaCha20-Poly1305" : NULL;
    case TLS_SUITE_CIPHER_ARIA:
        if (s->mode == TLS_SUITE_MODE_GCM)
            return k128 ? "ARIA-128-GCM" : k256 ? "ARIA-256-GCM" : NULL;
        *taglen = 0;
        return s->mode == TLS_SUITE_MODE_CBC ? (k128 ? "ARIA-128-CBC" : k256 ? "ARIA-256-CBC" : NULL)
                                             : NULL;
    case TLS_SUITE_CIPHER_CAMELLIA:
        *taglen = 0;
        return s->mode == TLS_SUITE_MODE_CBC
                   ? (k128 ? "CAMELLIA-128-CBC" : k256 ? "CAMELLIA-256-CBC" : NULL)
                   : NULL;
    case TLS_SUITE_CIPHER_3DES:
        *taglen = 0;
        return s->mode == TLS_SUITE_MODE_CBC ? "DES-EDE3-CBC" : NULL;
    default:
        return NULL;
    }
}

static const char *hash_name(enum tls_suite_hash h, size_t *len)
{
    switch (h) {
    case TLS_SUITE_HASH_SHA256:
        *len = 32;
        return "SHA256";
    case TLS_SUITE_HASH_SHA384:
        *len = 48;
        return "SHA384";
    default:
        return NULL;
    }
}

static const char *mac_name(enum tls_suite_mac m, size_t *len)
{
    switch (m) {
    case TLS_SUITE_MAC_HMAC_MD5:
        *len = 16;
        return "MD5";
    case TLS_SUITE_MAC_HMAC_SHA1:
        *len = 20;
        return "SHA1";
    case TLS_SUITE_MAC_HMAC_SHA256:
        *len = 32;
        return "SHA256";
    case TLS_SUITE_MAC_HMAC_SHA384:
        *len = 48;
        return "SHA384";
    default:
        return NULL;
    }
}

/* ---- key derivation ----------------------------------------------------- */

/* kdf runs EVP_KDF |name| with |params|, |n| bytes into |out|. */
static bool kdf(const char *name, OSSL_PARAM *params, uint8_t *out, size_t n)
{
    EVP_KDF *k = EVP_KDF_fetch(NULL, name, NULL);
    EVP_KDF_CTX *c = k != NULL ? EVP_KDF_CTX_new(k) : NULL;
    bool ok = c != NULL && EVP_KDF_derive(c, out, n, params) > 0;

    EVP_KDF_CTX_free(c);
    EVP_KDF_free(k);
    return ok;
}

/* hkdf_expand_label is HKDF-Expand-Label(secret, label, "", n), RFC 8446
 * §7.1, with digest |hash|:
 *   struct { uint16 length; opaque label<7..255> = "tls13 " + label;
 *            opaque context<0..255>; } HkdfLabel; */
static bool hkdf_expand_label(const char *hash, const uint8_t *secret, size_t slen,
                              const char *label, uint8_t *out, size_t n)
{
    uint8_t info[2 + 1 + 6 + 32 + 1], key[DECRYPT_MAX_SECRET];
    char digest[16];
    size_t ll = strlen(label), i = 0;
    int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;

    if (ll > 32 || slen > sizeof(key) || strlen(hash) >= sizeof(digest))
        return false;
    info[i++] = (uint8_t)(n >> 8);
    info[i++] = (uint8_t)n;
    info[i++] = (uint8_t)(6 + ll);
    memcpy(info + i, "tls13 ", 6);
    memcpy(info + i + 6, label, ll);
    i += 6 + ll;
    info[i++] = 0;                   /* empty context */
    memcpy(key, secret, slen);
    memcpy(digest, hash, strlen(hash) + 1);

    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode),
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, key, slen),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info, i),
        OSSL_PARAM_construct_end(),
    };
    bool ok = kdf("HKDF", params, out, n);

    OPENSSL_cleanse(key, sizeof(key));
    return ok;
}

/* tls13_suite looks up a TLS 1.3 suite: cipher name, tag, key length, hash. */
static enum decrypt_result tls13_suite(uint16_t suite, const char **cipher, size_t *taglen,
                                       bool *ccm, size_t *keylen, const char **hash,
                                       size_t *hashlen)
{
    const struct tls_suite *s = tls_suite_find(suite);

    if (s == NULL || s->kx != TLS_SUITE_KX_ANY || !s->aead ||
        (*cipher = cipher_name(s, taglen, ccm)) == NULL ||
        (*hash = hash_name(s->prf, hashlen)) == NULL)
        return DECRYPT_UNSUPPORTED_CIPHER;
    *keylen = s->key_bits / 8;
    return DECRYPT_OK;
}

enum decrypt_result decrypt_tls13_traffic_keys(uint16_t suite, const uint8_t *secret, size_t len,
                                               uint8_t key[32], size_t *keylen, uint8_t iv[12])
{
    const char *cipher, *hash;
    size_t taglen, hashlen;
    bool ccm;
    enum decrypt_result r = tls13_suite(suite, &cipher, &taglen, &ccm, keylen, &hash, &hashlen);

    if (r != DECRYPT_OK)
        return r;
    if (len != hashlen)
        return DECRYPT_BAD_SECRET;
    if (!hkdf_expand_label(hash, secret, len, "key", key, *keylen) ||
        !hkdf_expand_label(hash, secret, len, "iv", iv, 12))
        return DECRYPT_CRYPTO_ERROR;
    return DECRYPT_OK;
}

enum decrypt_result decrypt_tls12_key_block(uint16_t version, uint16_t suite,
                                            const uint8_t master[DECRYPT_MASTER_LEN],
                                            const uint8_t client_random[32],
                                            const uint8_t server_random[32], uint8_t *out,
                                            size_t n)
{
    const struct tls_suite *s = tls_suite_find(suite);
    const char *hash;
    size_t hlen;
    char digest[16];
    uint8_t seed[13 + 64], secret[DECRYPT_MASTER_LEN];

    if (s == NULL || version < 0x0301 || version > 0x0303)
        return DECRYPT_UNSUPPORTED_CIPHER;
    /* RFC 2246 §5, RFC 4346 §5: MD5 and SHA-1 together before TLS 1.2 */
    if (version < 0x0303)
        hash = "MD5-SHA1";
    else if ((hash = hash_name(s->prf, &hlen)) == NULL)
        return DECRYPT_UNSUPPORTED_CIPHER;
    memcpy(digest, hash, strlen(hash) + 1);
    memcpy(seed, "key expansion", 13);
    memcpy(seed + 13, server_random, 32);
    memcpy(seed + 45, client_random, 32);
    memcpy(secret, master, sizeof(secret));

    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SECRET, secret, sizeof(secret)),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, seed, sizeof(seed)),
        OSSL_PARAM_construct_end(),
    };
    bool ok = kdf("TLS1-PRF", params, out, n);

    OPENSSL_cleanse(secret, sizeof(secret));
    return ok ? DECRYPT_OK : DECRYPT_CRYPTO_ERROR;
}

/* ---- construction --------------------------------------------------------- */

static struct decrypt *alloc_with(const char *cipher, enum decrypt_result *why)
{
    struct decrypt *d = calloc(1, sizeof(*d));

    if (d == NULL || (d->ctx = EVP_CIPHER_CTX_new()) == NULL) {
        decrypt_free(d);
        *why = DECRYPT_CRYPTO_ERROR;
        return NULL;
    }
    if ((d->cipher = EVP_CIPHER_fetch(NULL, cipher, NULL)) == NULL) {
        decrypt_free(d);
        *why = DECRYPT_UNSUPPORTED_CIPHER;  /* not in this OpenSSL build */
        return NULL;
    }
    return d;
}

struct decrypt *decrypt_new_tls13(uint16_t suite, const uint8_t *secret, size_t len,
                                  enum decrypt_result *why)
{
    enum decrypt_result dummy, r;
    const char *cipher, *hash;
    size_t taglen, keylen, hashlen;
    bool ccm;
    struct decrypt *d;

    if (why == NULL)
        why = &dummy;
    if ((r = tls13_suite(suite, &cipher, &taglen, &ccm, &keylen, &hash, &hashlen)) != DECRYPT_OK) {
        *why = r;
        return NULL;
    }
    if (len != hashlen) {
        *why = DECRYPT_BAD_SECRET;
        return NULL;
    }
    if ((d = alloc_with(cipher, why)) == NULL)
        return NULL;
    d->kind = KIND_TLS13;
    d->version = 0x0304;
    d->ccm = ccm;
    d->taglen = taglen;
    d->ivlen = 12;
    memcpy(d->hash, hash, strlen(hash) + 1);
    memcpy(d->secret, secret, len);
    d->secret_len = len;
    if ((r = decrypt_tls13_traffic_keys(suite, secret, len, d->key, &d->keylen, d->iv)) !=
        DECRYPT_OK) {
        decrypt_free(d);
        *why = r;
        return NULL;
    }
    *why = DECRYPT_OK;
    return d;
}

struct decrypt *decrypt_new_tls12(uint16_t version, uint16_t suite,
                                  const uint8_t master[DECRYPT_MASTER_LEN],
                                  const uint8_t client_random[32],
                                  const uint8_t server_random[32], bool from_server, bool etm,
                                  enum decrypt_result *why)
{
    enum decrypt_result dummy, r;
    const struct tls_suite *s = tls_suite_find(suite);
    const char *cipher, *mac = NULL;
    size_t taglen = 0, maclen = 0, keylen, ivlen, total;
    bool ccm;
    uint8_t kb[2 * 48 + 2 * 32 + 2 * 16];
    struct decrypt *d;
    enum kind kind;

    if (why == NULL)
        why = &dummy;
    if (s == NULL || version < 0x0301 || version > 0x0303 || s->kx == TLS_SUITE_KX_ANY ||
        (cipher = cipher_name(s, &taglen, &ccm)) == NULL) {
        *why = DECRYPT_UNSUPPORTED_CIPHER;
        return NULL;
    }
    keylen = s->key_bits == 168 ? 24 : s->key_bits / 8;
    if (s->mode == TLS_SUITE_MODE_CBC) {
        if ((mac = mac_name(s->mac, &maclen)) == NULL) {
            *why = DECRYPT_UNSUPPORTED_CIPHER;
            return NULL;
        }
        kind = KIND_CBC;
        ivlen = s->cipher == TLS_SUITE_CIPHER_3DES ? 8 : 16;
    } else if (s->mode == TLS_SUITE_MODE_POLY1305) {
        kind = KIND_XOR12;
        ivlen = 12;
    } else {
        kind = KIND_EXPLICIT;
        ivlen = 4;
    }
    total = 2 * (maclen + keylen + ivlen);
    if (total > sizeof(kb)) {
        *why = DECRYPT_UNSUPPORTED_CIPHER;
        return NULL;
    }
    if ((r = decrypt_tls12_key_block(version, suite, master, client_random, server_random, kb,
                                     total)) != DECRYPT_OK) {
        *why = r;
        return NULL;
    }
    if ((d = alloc_with(cipher, why)) == NULL) {
        OPENSSL_cleanse(kb, sizeof(kb));
        return NULL;
    }
    d->kind = kind;
    d->version = version;
    d->ccm = ccm;
    d->etm = etm && kind == KIND_CBC;
    d->taglen = taglen;
    d->keylen = keylen;
    d->ivlen = ivlen;
    d->mac_len = maclen;
    d->block = kind == KIND_CBC ? ivlen : 0;
    /* client MAC, server MAC, client key, server key, client IV, server IV */
    memcpy(d->mac_key, kb + (from_server ? maclen : 0), maclen);
    memcpy(d->key, kb + 2 * maclen + (from_server ? keylen : 0), keylen);
    memcpy(d->iv, kb + 2 * maclen + 2 * keylen + (from_server ? ivlen : 0), ivlen);
    OPENSSL_cleanse(kb, sizeof(kb));
    if (mac != NULL) {
        char digest[16];

        memcpy(digest, mac, strlen(mac) + 1);
        OSSL_PARAM params[] = {
            OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
            OSSL_PARAM_construct_end(),
        };
        if ((d->mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL ||
            (d->mac_ctx = EVP_MAC_CTX_new(d->mac)) == NULL ||
            !EVP_MAC_CTX_set_params(d->mac_ctx, params)) {
            decrypt_free(d);
            *why = DECRYPT_CRYPTO_ERROR;
            return NULL;
        }
    }
    *why = DECRYPT_OK;
    return d;
}

void decrypt_free(struct decrypt *d)
{
    if (d == NULL)
        return;
    EVP_CIPHER_CTX_free(d->ctx);
    EVP_CIPHER_free(d->cipher);
    EVP_MAC_CTX_free(d->mac_ctx);
    EVP_MAC_free(d->mac);
    OPENSSL_cleanse(d, sizeof(*d));
    free(d);
}

uint64_t decrypt_seq(const struct decrypt *d)
{
    return d->seq;
}

enum decrypt_result decrypt_key_update(struct decrypt *d)
{
    uint8_t next[DECRYPT_MAX_SECRET];
    size_t ivlen = 12;

    if (d->kind != KIND_TLS13)
        return DECRYPT_UNSUPPORTED_CIPHER;
    if (!hkdf_expand_label(d->hash, d->secret, d->secret_len, "traffic upd", next,
                           d->secret_len) ||
        !hkdf_expand_label(d->hash, next, d->secret_len, "key", d->key, d->keylen) ||
        !hkdf_expand_label(d->hash, next, d->secret_len, "iv", d->iv, ivlen))
        return DECRYPT_CRYPTO_ERROR;
    memcpy(d->secret, next, d->secret_len);
    OPENSSL_cleanse(next, sizeof(next));
    d->seq = 0;
    return DECRYPT_OK;
}

/* ---- records -------------------------------------------------------------- */

/* aead_open decrypts |ctlen| bytes with |c|'s cipher and checks |tag|. */
static enum decrypt_result aead_open(EVP_CIPHER_CTX *c, const EVP_CIPHER *cipher, bool ccm,
                                     const uint8_t *key, const uint8_t *nonce, size_t noncelen,
                                     const uint8_t *aad, size_t aadlen, const uint8_t *ct,
                                     size_t ctlen, const uint8_t *tag, size_t taglen,
                                     uint8_t *out)
{
    uint8_t t[16];
    int l = 0;

    if (taglen > sizeof(t) || ctlen > DECRYPT_MAX_RECORD)
        return DECRYPT_TOO_LONG;
    memcpy(t, tag, taglen);
    if (!EVP_DecryptInit_ex2(c, cipher, NULL, NULL, NULL) ||
        !EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_IVLEN, (int)noncelen, NULL) ||
        (ccm && !EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, (int)taglen, t)) ||
        !EVP_DecryptInit_ex2(c, NULL, key, nonce, NULL))
        return DECRYPT_CRYPTO_ERROR;
    if (ccm && !EVP_DecryptUpdate(c, NULL, &l, NULL, (int)ctlen))
        return DECRYPT_CRYPTO_ERROR;
    if (aadlen > 0 && !EVP_DecryptUpdate(c, NULL, &l, aad, (int)aadlen))
        return DECRYPT_CRYPTO_ERROR;
    if (ccm)  /* CCM checks the tag in its one update */
        return EVP_DecryptUpdate(c, out, &l, ct, (int)ctlen) > 0 ? DECRYPT_OK : DECRYPT_BAD_TAG;
    if (ctlen > 0 && !EVP_DecryptUpdate(c, out, &l, ct, (int)ctlen))
        return DECRYPT_CRYPTO_ERROR;
    if (!EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, (int)taglen, t))
        return DECRYPT_CRYPTO_ERROR;
    return EVP_DecryptFinal_ex(c, out + l, &l) > 0 ? DECRYPT_OK : DECRYPT_BAD_TAG;
}

enum decrypt_result decrypt_aead_open(const char *name, const uint8_t *key, const uint8_t *nonce,
                                      size_t noncelen, const uint8_t *aad, size_t aadlen,
                                      const uint8_t *in, size_t len, size_t taglen,
                                      uint8_t *out)
{
    EVP_CIPHER *cipher = EVP_CIPHER_fetch(NULL, name, NULL);
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    bool ccm = strstr(name, "CCM") != NULL;
    enum decrypt_result r;

    if (cipher == NULL || c == NULL)
        r = cipher == NULL ? DECRYPT_UNSUPPORTED_CIPHER : DECRYPT_CRYPTO_ERROR;
    else if (len < taglen)
        r = DECRYPT_TOO_SHORT;
    else
        r = aead_open(c, cipher, ccm, key, nonce, noncelen, aad, aadlen, in, len - taglen,
                      in + len - taglen, taglen, out);
    EVP_CIPHER_CTX_free(c);
    EVP_CIPHER_free(cipher);
    return r;
}

static void put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}

/* xor_nonce: |iv| (12 bytes) XOR the sequence number, RFC 8446 §5.3. */
static void xor_nonce(uint8_t nonce[12], const uint8_t iv[12], uint64_t seq)
{
    uint8_t s[8];

    put_u64(s, seq);
    memcpy(nonce, iv, 12);
    for (int i = 0; i < 8; i++)
        nonce[4 + i] ^= s[i];
}

/* tls12_aad: seq_num | type | version | length, RFC 5246 §6.2.3.3. */
static void tls12_aad(uint8_t aad[13], uint64_t seq, const uint8_t hdr5[5], size_t len)
{
    put_u64(aad, seq);
    aad[8] = hdr5[0];
    aad[9] = hdr5[1];
    aad[10] = hdr5[2];
    aad[11] = (uint8_t)(len >> 8);
    aad[12] = (uint8_t)len;
}

static enum decrypt_result record_tls13(struct decrypt *d, const uint8_t hdr5[5], struct cbs *body,
                                        uint8_t *out, size_t *outlen, uint8_t *inner_type)
{
    struct cbs ct, tag;
    uint8_t nonce[12];
    enum decrypt_result r;
    size_t n;

    if (cbs_len(body) < d->taglen + 1)
        return DECRYPT_TOO_SHORT;
    if (!cbs_get_bytes(body, &ct, cbs_len(body) - d->taglen) ||
        !cbs_get_bytes(body, &tag, d->taglen))
        return DECRYPT_TOO_SHORT;
    xor_nonce(nonce, d->iv, d->seq);
    r = aead_open(d->ctx, d->cipher, d->ccm, d->key, nonce, 12, hdr5, 5, cbs_data(&ct),
                  cbs_len(&ct), cbs_data(&tag), cbs_len(&tag), out);
    if (r != DECRYPT_OK)
        return r;
    /* TLSInnerPlaintext: content | type | zeros; the type is the last non-zero byte */
    n = cbs_len(&ct);
    while (n > 0 && out[n - 1] == 0)
        n--;
    if (n == 0)
        return DECRYPT_BAD_INNER;
    *inner_type = out[n - 1];
    *outlen = n - 1;
    return DECRYPT_OK;
}

static enum decrypt_result record_aead12(struct decrypt *d, const uint8_t hdr5[5], struct cbs *body,
                                         uint8_t *out, size_t *outlen)
{
    struct cbs explicit_nonce, ct, tag;
    uint8_t nonce[12], aad[13];
    enum decrypt_result r;

    if (d->kind == KIND_EXPLICIT) {
        if (!cbs_get_bytes(body, &explicit_nonce, 8))
            return DECRYPT_TOO_SHORT;
        memcpy(nonce, d->iv, 4);
        memcpy(nonce + 4, cbs_data(&explicit_nonce), 8);
    } else {
        xor_nonce(nonce, d->iv, d->seq);
    }
    if (cbs_len(body) < d->taglen || !cbs_get_bytes(body, &ct, cbs_len(body) - d->taglen) ||
        !cbs_get_bytes(body, &tag, d->taglen))
        return DECRYPT_TOO_SHORT;
    tls12_aad(aad, d->seq, hdr5, cbs_len(&ct));
    r = aead_open(d->ctx, d->cipher, d->ccm, d->key, nonce, 12, aad, sizeof(aad), cbs_data(&ct),
                  cbs_len(&ct), cbs_data(&tag), cbs_len(&tag), out);
    if (r == DECRYPT_OK)
        *outlen = cbs_len(&ct);
    return r;
}

/* hmac computes the record MAC: seq | type | version | length | data. */
static bool hmac(struct decrypt *d, const uint8_t hdr5[5], const uint8_t *data, size_t len,
                 uint8_t *mac)
{
    uint8_t pre[13];
    size_t l = 0;

    tls12_aad(pre, d->seq, hdr5, len);
    return EVP_MAC_init(d->mac_ctx, d->mac_key, d->mac_len, NULL) &&
           EVP_MAC_update(d->mac_ctx, pre, sizeof(pre)) &&
           (len == 0 || EVP_MAC_update(d->mac_ctx, data, len)) &&
           EVP_MAC_final(d->mac_ctx, mac, &l, 64) && l == d->mac_len;
}

/* cbc_decrypt decrypts the |n| bytes at |in| (a multiple of the block) with
 * IV |iv| into |out|, without padding removal. */
static bool cbc_decrypt(struct decrypt *d, const uint8_t *iv, const uint8_t *in, size_t n,
                        uint8_t *out)
{
    int l1 = 0, l2 = 0;

    return EVP_DecryptInit_ex2(d->ctx, d->cipher, d->key, iv, NULL) &&
           EVP_CIPHER_CTX_set_padding(d->ctx, 0) &&
           EVP_DecryptUpdate(d->ctx, out, &l1, in, (int)n) &&
           EVP_DecryptFinal_ex(d->ctx, out + l1, &l2) && (size_t)(l1 + l2) == n;
}

/* padding_bad checks padding_length and its copies at the end of |p| (|n|
 * bytes, n >= 1) without a data-dependent branch over the bytes; returns
 * non-zero when bad, the padding's length (with its length byte) in *|padn|. */
static unsigned padding_bad(const uint8_t *p, size_t n, size_t reserve, size_t *padn)
{
    size_t pad = p[n - 1];
    unsigned bad = 0;
    size_t check = n - 1 < 255 ? n - 1 : 255;

    bad |= pad + 1 + reserve > n;
    for (size_t i = 0; i < check; i++) {
        unsigned in_pad = i < pad;

        bad |= in_pad & (p[n - 2 - i] != pad);
    }
    *padn = bad ? 1 : pad + 1;
    return bad;
}

static enum decrypt_result record_cbc(struct decrypt *d, const uint8_t hdr5[5], struct cbs *body,
                                      uint8_t *out, size_t *outlen)
{
    struct cbs ivc, enc, mac = {NULL, 0};
    uint8_t iv[16], want[64], last[16];
    size_t b = d->block, m = d->mac_len, padn, clen;
    unsigned bad;

    /* the whole record, for the encrypt-then-MAC MAC, before the IV is cut */
    struct cbs whole = *body;

    if (d->etm) {
        if (cbs_len(body) < m || !cbs_get_bytes(body, &enc, cbs_len(body) - m) ||
            !cbs_get_bytes(body, &mac, m))
            return DECRYPT_TOO_SHORT;
        whole = enc;
        *body = enc;
    }
    if (d->version >= 0x0302) {
        if (!cbs_get_bytes(body, &ivc, b))
            return DECRYPT_TOO_SHORT;
        memcpy(iv, cbs_data(&ivc), b);
    } else {
        memcpy(iv, d->iv, b);
    }
    enc = *body;
    if (cbs_len(&enc) == 0 || cbs_len(&enc) % b != 0)
        return DECRYPT_TOO_SHORT;
    if (!d->etm && cbs_len(&enc) < m + 1)
        return DECRYPT_TOO_SHORT;
    if (d->etm) {
        if (!hmac(d, hdr5, cbs_data(&whole), cbs_len(&whole), want))
            return DECRYPT_CRYPTO_ERROR;
        if (CRYPTO_memcmp(want, cbs_data(&mac), m) != 0)
            return DECRYPT_BAD_TAG;
    }
    memcpy(last, cbs_data(&enc) + cbs_len(&enc) - b, b);
    if (!cbc_decrypt(d, iv, cbs_data(&enc), cbs_len(&enc), out))
        return DECRYPT_CRYPTO_ERROR;
    bad = padding_bad(out, cbs_len(&enc), d->etm ? 0 : m, &padn);
    clen = cbs_len(&enc) - padn;
    if (!d->etm) {
        /* MAC-then-encrypt: the MAC is computed whether or not the padding
         * was good, over what the padding leaves, so a bad padding takes the
         * same work as a bad MAC */
        clen = clen >= m ? clen - m : 0;
        if (!hmac(d, hdr5, out, clen, want))
            return DECRYPT_CRYPTO_ERROR;
        bad |= CRYPTO_memcmp(want, out + clen, m) != 0;
    }
    if (bad)
        return DECRYPT_BAD_TAG;
    if (d->version < 0x0302)
        memcpy(d->iv, last, b);      /* TLS 1.0: the next record's IV */
    *outlen = clen;
    return DECRYPT_OK;
}

enum decrypt_result decrypt_record(struct decrypt *d, const uint8_t hdr5[5], const uint8_t *body,
                                   size_t len, uint8_t *out, size_t *outlen,
                                   uint8_t *inner_type)
{
    struct cbs c;
    enum decrypt_result r;

    *outlen = 0;
    *inner_type = hdr5[0];
    if (len > DECRYPT_MAX_RECORD)
        return DECRYPT_TOO_LONG;
    if (d->seq == UINT64_MAX)        /* RFC 8446 §5.3: never wraps */
        return DECRYPT_TOO_LONG;
    cbs_init(&c, body, len);
    switch (d->kind) {
    case KIND_TLS13:
        r = record_tls13(d, hdr5, &c, out, outlen, inner_type);
        break;
    case KIND_EXPLICIT:
    case KIND_XOR12:
        r = record_aead12(d, hdr5, &c, out, outlen);
        break;
    case KIND_CBC:
        r = record_cbc(d, hdr5, &c, out, outlen);
        break;
    default:
        r = DECRYPT_UNSUPPORTED_CIPHER;
        break;
    }
    if (r == DECRYPT_OK)
        d->seq++;
    else
        *outlen = 0;
    return r;
}
