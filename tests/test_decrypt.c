/*
 * test_decrypt.c - TLS record decryption: RFC 8448 §3's traffic keys, IVs
 * and records (the server's encrypted flight, the client's Finished, the
 * NewSessionTicket, the application data both ways, an alert); the AEADs on
 * known answers of their own (the GCM specification's test cases 2 and 14,
 * RFC 8439 §2.8.2, NIST SP 800-38C examples); TLS 1.2 records sealed here
 * with OpenSSL for each record layout (GCM, CCM, ChaCha20-Poly1305, CBC
 * MAC-then-encrypt and encrypt-then-MAC, TLS 1.0's chained IV); a bad tag, a
 * cut record, a wrong sequence number, a forged length; KeyUpdate; and the
 * real captures with key logs of pcaps/ and ../shared/pcaps, every
 * encrypted record of their first session decrypted and its plaintext's
 * structure checked.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include "capture/cap_ip.h"
#include "capture/cap_link.h"
#include "capture/cap_source.h"
#include "dissect/decrypt.h"
#include "dissect/keylog.h"
#include "lib/cbs.h"
#include "lib/hex.h"
#include "tests/vectors/rfc8448.h"

/* unhex reads hex digits at |s|, skipping spaces, colons and line breaks,
 * into |out| (room for |cap|); returns the byte count. */
static size_t unhex(const char *s, uint8_t *out, size_t cap)
{
    size_t n = 0;
    int hi = -1;

    for (; *s; s++) {
        int v = hex_digit((unsigned char)*s);

        if (v < 0)
            continue;
        if (hi < 0) {
            hi = v;
            continue;
        }
        assert_true(n < cap);
        out[n++] = (uint8_t)(hi << 4 | v);
        hi = -1;
    }
    assert_int_equal(hi, -1);
    return n;
}

struct buf {
    uint8_t b[20000];
    size_t n;
};

static void from_hex(struct buf *b, const char *s)
{
    b->n = unhex(s, b->b, sizeof(b->b));
}

static struct decrypt *tls13(const char *secret_hex)
{
    struct buf s;
    enum decrypt_result why;
    struct decrypt *d;

    from_hex(&s, secret_hex);
    d = decrypt_new_tls13(0x1301, s.b, s.n, &why);
    assert_non_null(d);
    assert_int_equal(why, DECRYPT_OK);
    return d;
}

/* open_record decrypts the complete record |rec| (header included). */
static enum decrypt_result open_record(struct decrypt *d, const struct buf *rec, struct buf *pt,
                                       uint8_t *type)
{
    assert_true(rec->n >= 5);
    return decrypt_record(d, rec->b, rec->b + 5, rec->n - 5, pt->b, &pt->n, type);
}

/* ---- RFC 8448 ------------------------------------------------------------ */

static void check_keys(const char *secret, const char *key, const char *iv)
{
    struct buf s, k, i;
    uint8_t gk[32], gi[12];
    size_t kl = 0;

    from_hex(&s, secret);
    from_hex(&k, key);
    from_hex(&i, iv);
    assert_int_equal(decrypt_tls13_traffic_keys(0x1301, s.b, s.n, gk, &kl, gi), DECRYPT_OK);
    assert_int_equal(kl, k.n);
    assert_memory_equal(gk, k.b, k.n);
    assert_memory_equal(gi, i.b, 12);
}

static void test_rfc8448_keys(void **state)
{
    (void)state;
    check_keys(R8448_SERVER_HS_SECRET, R8448_SERVER_HS_KEY, R8448_SERVER_HS_IV);
    check_keys(R8448_CLIENT_HS_SECRET, R8448_CLIENT_HS_KEY, R8448_CLIENT_HS_IV);
    check_keys(R8448_SERVER_AP_SECRET, R8448_SERVER_AP_KEY, R8448_SERVER_AP_IV);
    check_keys(R8448_CLIENT_AP_SECRET, R8448_CLIENT_AP_KEY, R8448_CLIENT_AP_IV);
}

static void test_rfc8448_server_flight(void **state)
{
    struct decrypt *d = tls13(R8448_SERVER_HS_SECRET);
    static struct buf rec, pt, want, part;
    uint8_t type = 0, types[8];
    size_t nt = 0;
    struct cbs c;

    (void)state;
    from_hex(&rec, R8448_FLIGHT_RECORD);
    assert_int_equal(rec.n, 679);
    want.n = 0;
    from_hex(&part, R8448_EE);
    memcpy(want.b + want.n, part.b, part.n), want.n += part.n;
    from_hex(&part, R8448_CERTIFICATE);
    assert_int_equal(part.n, 445);
    memcpy(want.b + want.n, part.b, part.n), want.n += part.n;
    from_hex(&part, R8448_CERT_VERIFY);
    memcpy(want.b + want.n, part.b, part.n), want.n += part.n;
    from_hex(&part, R8448_SERVER_FINISHED);
    memcpy(want.b + want.n, part.b, part.n), want.n += part.n;
    assert_int_equal(want.n, 657);

    assert_int_equal(open_record(d, &rec, &pt, &type), DECRYPT_OK);
    assert_int_equal(type, 22);
    assert_int_equal(pt.n, 657);
    assert_memory_equal(pt.b, want.b, 657);
    assert_int_equal(decrypt_seq(d), 1);
    /* its messages: EncryptedExtensions, Certificate, CertificateVerify, Finished */
    cbs_init(&c, pt.b, pt.n);
    while (cbs_len(&c) > 0) {
        uint8_t t;
        struct cbs body;

        assert_true(cbs_get_u8(&c, &t) && cbs_get_u24_prefixed(&c, &body));
        types[nt++] = t;
    }
    assert_int_equal(nt, 4);
    assert_int_equal(types[0], 8);
    assert_int_equal(types[1], 11);
    assert_int_equal(types[2], 15);
    assert_int_equal(types[3], 20);
    decrypt_free(d);
}

static void test_rfc8448_client_finished(void **state)
{
    struct decrypt *d = tls13(R8448_CLIENT_HS_SECRET);
    static struct buf rec, pt, want;
    uint8_t type = 0;

    (void)state;
    from_hex(&rec, R8448_CLIENT_FINISHED_RECORD);
    from_hex(&want, R8448_CLIENT_FINISHED);
    assert_int_equal(open_record(d, &rec, &pt, &type), DECRYPT_OK);
    assert_int_equal(type, 22);
    assert_int_equal(pt.n, want.n);
    assert_memory_equal(pt.b, want.b, want.n);
    decrypt_free(d);
}

static void test_rfc8448_application_data(void **state)
{
    struct decrypt *s = tls13(R8448_SERVER_AP_SECRET), *c = tls13(R8448_CLIENT_AP_SECRET);
    static struct buf nst, sapp, capp, alert, pt;
    uint8_t type = 0, payload[50];

    (void)state;
    for (int i = 0; i < 50; i++)
        payload[i] = (uint8_t)i;
    from_hex(&nst, R8448_NST_RECORD);
    from_hex(&sapp, R8448_SERVER_APP_RECORD);
    from_hex(&capp, R8448_CLIENT_APP_RECORD);
    from_hex(&alert, R8448_CLIENT_ALERT_RECORD);

    /* the server's application keys: the NewSessionTicket (seq 0), then data (seq 1) */
    assert_int_equal(open_record(s, &nst, &pt, &type), DECRYPT_OK);
    assert_int_equal(type, 22);
    assert_int_equal(pt.b[0], 4);
    assert_int_equal(pt.n, 205);
    assert_int_equal(open_record(s, &sapp, &pt, &type), DECRYPT_OK);
    assert_int_equal(type, 23);
    assert_int_equal(pt.n, 50);
    assert_memory_equal(pt.b, payload, 50);

    assert_int_equal(open_record(c, &capp, &pt, &type), DECRYPT_OK);
    assert_int_equal(type, 23);
    assert_int_equal(pt.n, 50);
    assert_memory_equal(pt.b, payload, 50);
    assert_int_equal(open_record(c, &alert, &pt, &type), DECRYPT_OK);
    assert_int_equal(type, 21);
    assert_int_equal(pt.n, 2);
    assert_int_equal(pt.b[0], 1);    /* warning */
    assert_int_equal(pt.b[1], 0);    /* close_notify */
    decrypt_free(s);
    decrypt_free(c);
}

/* ---- what goes wrong --------------------------------------------------- */

static void test_bad_tag(void **state)
{
    struct decrypt *d = tls13(R8448_CLIENT_AP_SECRET);
    static struct buf rec, bad, pt;
    uint8_t type;

    (void)state;
    /* every byte, header (the additional data: a forged length too) or body */
    from_hex(&rec, R8448_CLIENT_APP_RECORD);
    for (size_t i = 0; i < rec.n; i++) {
        bad = rec;
        bad.b[i] ^= 0x01;
        assert_int_equal(open_record(d, &bad, &pt, &type), DECRYPT_BAD_TAG);
        assert_int_equal(pt.n, 0);
        assert_int_equal(decrypt_seq(d), 0);
    }
    /* nothing advanced: the real record still decrypts */
    assert_int_equal(open_record(d, &rec, &pt, &type), DECRYPT_OK);
    decrypt_free(d);
}

static void test_truncated(void **state)
{
    struct decrypt *d = tls13(R8448_SERVER_HS_SECRET);
    static struct buf rec, pt;
    uint8_t type;

    (void)state;
    from_hex(&rec, R8448_FLIGHT_RECORD);
    for (size_t n = 0; n < rec.n - 5; n++) {
        /* a fresh heap copy of exactly n bytes, so ASan sees any overread */
        uint8_t *cut = malloc(n ? n : 1);
        enum decrypt_result r;

        memcpy(cut, rec.b + 5, n);
        r = decrypt_record(d, rec.b, cut, n, pt.b, &pt.n, &type);
        assert_int_equal(r, n < 17 ? DECRYPT_TOO_SHORT : DECRYPT_BAD_TAG);
        free(cut);
    }
    assert_int_equal(decrypt_seq(d), 0);
    assert_int_equal(decrypt_record(d, rec.b, rec.b + 5, DECRYPT_MAX_RECORD + 1, pt.b, &pt.n,
                                    &type),
                     DECRYPT_TOO_LONG);
    decrypt_free(d);
}

static void test_wrong_sequence(void **state)
{
    struct decrypt *s = tls13(R8448_SERVER_AP_SECRET);
    static struct buf nst, app, pt;
    uint8_t type;

    (void)state;
    from_hex(&nst, R8448_NST_RECORD);
    from_hex(&app, R8448_SERVER_APP_RECORD);
    /* the data record was sealed with seq 1: at seq 0 it fails */
    assert_int_equal(open_record(s, &app, &pt, &type), DECRYPT_BAD_TAG);
    assert_int_equal(open_record(s, &nst, &pt, &type), DECRYPT_OK);
    assert_int_equal(open_record(s, &nst, &pt, &type), DECRYPT_BAD_TAG);  /* replayed */
    assert_int_equal(open_record(s, &app, &pt, &type), DECRYPT_OK);
    decrypt_free(s);
}

static void test_unsupported(void **state)
{
    uint8_t secret[48] = {0}, master[48] = {0}, cr[32] = {0}, sr[32] = {0};
    enum decrypt_result why = DECRYPT_OK;

    (void)state;
    assert_null(decrypt_new_tls13(0xC02F, secret, 32, &why));
    assert_int_equal(why, DECRYPT_UNSUPPORTED_CIPHER);
    assert_null(decrypt_new_tls13(0x1306, secret, 32, &why));
    assert_int_equal(why, DECRYPT_UNSUPPORTED_CIPHER);
    assert_null(decrypt_new_tls13(0x1301, secret, 48, &why));
    assert_int_equal(why, DECRYPT_BAD_SECRET);
    assert_null(decrypt_new_tls13(0x1302, secret, 32, &why));
    assert_int_equal(why, DECRYPT_BAD_SECRET);
    /* RC4, NULL, SSLv3, a TLS 1.3 suite in TLS 1.2 */
    assert_null(decrypt_new_tls12(0x0303, 0x0005, master, cr, sr, false, false, &why));
    assert_int_equal(why, DECRYPT_UNSUPPORTED_CIPHER);
    assert_null(decrypt_new_tls12(0x0303, 0x0002, master, cr, sr, false, false, &why));
    assert_int_equal(why, DECRYPT_UNSUPPORTED_CIPHER);
    assert_null(decrypt_new_tls12(0x0300, 0x002F, master, cr, sr, false, false, &why));
    assert_int_equal(why, DECRYPT_UNSUPPORTED_CIPHER);
    assert_null(decrypt_new_tls12(0x0303, 0x1301, master, cr, sr, false, false, &why));
    assert_int_equal(why, DECRYPT_UNSUPPORTED_CIPHER);
    assert_string_equal(decrypt_result_name(DECRYPT_BAD_TAG), "bad_tag");
    assert_string_equal(decrypt_result_name(DECRYPT_RESULT_COUNT), "?");
}

/* ---- AEAD known answers ------------------------------------------------ */

static void kat(const char *name, const char *key, const char *nonce, const char *aad,
                const char *pt, const char *ct_tag, size_t taglen)
{
    static struct buf k, n, a, p, c, out;

    from_hex(&k, key);
    from_hex(&n, nonce);
    from_hex(&a, aad);
    from_hex(&p, pt);
    from_hex(&c, ct_tag);
    assert_int_equal(c.n, p.n + taglen);
    assert_int_equal(decrypt_aead_open(name, k.b, n.b, n.n, a.b, a.n, c.b, c.n, taglen, out.b),
                     DECRYPT_OK);
    assert_memory_equal(out.b, p.b, p.n);
    c.b[c.n - 1] ^= 0x80;            /* the tag's last bit */
    assert_int_equal(decrypt_aead_open(name, k.b, n.b, n.n, a.b, a.n, c.b, c.n, taglen, out.b),
                     DECRYPT_BAD_TAG);
}

static void test_aead_known_answers(void **state)
{
    (void)state;
    /* The Galois/Counter Mode of Operation (McGrew, Viega), test case 2 */
    kat("AES-128-GCM", "00000000000000000000000000000000", "000000000000000000000000", "",
        "00000000000000000000000000000000",
        "0388dace60b6a392f328c2b971b2fe78 ab6e47d42cec13bdf53a67b21257bddf", 16);
    /* ... test case 14 */
    kat("AES-256-GCM", "0000000000000000000000000000000000000000000000000000000000000000",
        "000000000000000000000000", "", "00000000000000000000000000000000",
        "cea7403d4d606b6e074ec5d3baf39d18 d0d1c8a799996bf0265b98b5d48ab919", 16);
    /* RFC 8439 §2.8.2 */
    kat("ChaCha20-Poly1305",
        "80 81 82 83 84 85 86 87 88 89 8a 8b 8c 8d 8e 8f 90 91 92 93 94 95 96 97 98 99 9a 9b 9c"
        " 9d 9e 9f",
        "07 00 00 00 40 41 42 43 44 45 46 47", "50 51 52 53 c0 c1 c2 c3 c4 c5 c6 c7",
        /* "Ladies and Gentlemen of the class of '99: If I could offer you only
         * one tip for the future, sunscreen would be it." */
        "4c616469657320616e642047656e746c656d656e206f662074686520636c617373206f66202739393a"
        "204966204920636f756c64206f6666657220796f75206f6e6c79206f6e652074697020666f72207468"
        "65206675747572652c2073756e73637265656e20776f756c642062652069742e",
        "d3 1a 8d 34 64 8e 60 db 7b 86 af bc 53 ef 7e c2 a4 ad ed 51 29 6e 08 fe a9 e2 b5 a7 36"
        " ee 62 d6 3d be a4 5e 8c a9 67 12 82 fa fb 69 da 92 72 8b 1a 71 de 0a 9e 06 0b 29 05"
        " d6 a5 b6 7e cd 3b 36 92 dd bd 7f 2d 77 8b 8c 98 03 ae e3 28 09 1b 58 fa b3 24 e4 fa"
        " d6 75 94 55 85 80 8b 48 31 d7 bc 3f f4 de f0 8e 4b 7a 9d e5 76 d2 65 86 ce c6 4b 61"
        " 16 1a:e1:0b:59:4f:09:e2:6a:7e:90:2e:cb:d0:60:06:91",
        16);
    /* NIST SP 800-38C appendix C, examples 1, 2 and 3 (example 3: the
     * 12-byte nonce and 8-byte tag of CCM_8) */
    kat("AES-128-CCM", "404142434445464748494a4b4c4d4e4f", "10111213141516", "0001020304050607",
        "20212223", "7162015b 4dac255d", 4);
    kat("AES-128-CCM", "404142434445464748494a4b4c4d4e4f", "1011121314151617",
        "000102030405060708090a0b0c0d0e0f", "202122232425262728292a2b2c2d2e2f",
        "d2a1f0e051ea5f62081a7792073d593d 1fc64fbfaccd", 6);
    kat("AES-128-CCM", "404142434445464748494a4b4c4d4e4f", "101112131415161718191a1b",
        "000102030405060708090a0b0c0d0e0f10111213",
        "202122232425262728292a2b2c2d2e2f3031323334353637",
        "e3b201a9f5b71a7a9b1ceaeccd97e70b6176aad9a4428aa5 484392fbc1b09951", 8);
}

/* ---- records sealed here ---------------------------------------------- */

/* The sealing side, written independently of decrypt.c from the RFCs: the
 * key block through the TLS1-PRF of OpenSSL's KDF API, the record formats
 * by hand. */

struct sealer {
    uint16_t version;
    const char *cipher;              /* OpenSSL name */
    const char *mac;                 /* HMAC digest, NULL for an AEAD */
    const char *prf;
    size_t maclen, keylen, ivlen, taglen, block;
    bool etm;
    uint8_t mac_key[48], key[32], iv[16];
    uint64_t seq;
};

static const uint8_t master[48] = {
    0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x00,
    0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10,
    0x21, 0x32, 0x43, 0x54, 0x65, 0x76, 0x87, 0x98, 0xa9, 0xba, 0xcb, 0xdc, 0xed, 0xfe, 0x0f, 0x1e};
static const uint8_t client_rnd[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                                    17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
static const uint8_t server_rnd[32] = {0xf0, 0xe0, 0xd0, 0xc0, 0xb0, 0xa0, 0x90, 0x80,
                                    0x70, 0x60, 0x50, 0x40, 0x30, 0x20, 0x10, 0x00};

static void sealer_init(struct sealer *s, bool server)
{
    uint8_t kb[256], seed[77];
    size_t need = 2 * (s->maclen + s->keylen + s->ivlen);
    char digest[16];
    EVP_KDF *k = EVP_KDF_fetch(NULL, "TLS1-PRF", NULL);
    EVP_KDF_CTX *c = EVP_KDF_CTX_new(k);
    uint8_t secret[48];

    memcpy(secret, master, 48);
    snprintf(digest, sizeof(digest), "%s", s->prf);
    memcpy(seed, "key expansion", 13);
    memcpy(seed + 13, server_rnd, 32);
    memcpy(seed + 45, client_rnd, 32);
    OSSL_PARAM p[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SECRET, secret, 48),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, seed, sizeof(seed)),
        OSSL_PARAM_construct_end(),
    };
    assert_true(EVP_KDF_derive(c, kb, need, p) > 0);
    EVP_KDF_CTX_free(c);
    EVP_KDF_free(k);
    memcpy(s->mac_key, kb + (server ? s->maclen : 0), s->maclen);
    memcpy(s->key, kb + 2 * s->maclen + (server ? s->keylen : 0), s->keylen);
    memcpy(s->iv, kb + 2 * s->maclen + 2 * s->keylen + (server ? s->ivlen : 0), s->ivlen);
    s->seq = 0;
}

static void seq_bytes(uint8_t out[8], uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        out[i] = (uint8_t)v;
}

static void hmac(const struct sealer *s, const uint8_t *pre, const uint8_t *data, size_t n,
                 uint8_t *out)
{
    EVP_MAC *m = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *c = EVP_MAC_CTX_new(m);
    char digest[16];
    size_t l;

    snprintf(digest, sizeof(digest), "%s", s->mac);
    OSSL_PARAM p[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                      OSSL_PARAM_construct_end()};
    assert_true(EVP_MAC_init(c, s->mac_key, s->maclen, p));
    assert_true(EVP_MAC_update(c, pre, 13) && EVP_MAC_update(c, data, n));
    assert_true(EVP_MAC_final(c, out, &l, 64));
    EVP_MAC_CTX_free(c);
    EVP_MAC_free(m);
}

/* seal writes a TLS 1.0-1.2 record of |type| holding |pt| into |rec|. */
static void seal(struct sealer *s, uint8_t type, const uint8_t *pt, size_t n, struct buf *rec)
{
    EVP_CIPHER *ci = EVP_CIPHER_fetch(NULL, s->cipher, NULL);
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    uint8_t *h = rec->b, *body = rec->b + 5, pre[13], nonce[12];
    size_t len = 0;
    int l;

    assert_non_null(ci);
    h[0] = type;
    h[1] = (uint8_t)(s->version >> 8);
    h[2] = (uint8_t)s->version;
    seq_bytes(pre, s->seq);
    pre[8] = type;
    pre[9] = h[1];
    pre[10] = h[2];
    if (s->mac == NULL) {
        pre[11] = (uint8_t)(n >> 8);
        pre[12] = (uint8_t)n;
        if (s->ivlen == 4) {         /* explicit nonce: the sequence number, as many do */
            memcpy(nonce, s->iv, 4);
            seq_bytes(nonce + 4, s->seq);
            memcpy(body, nonce + 4, 8);
            len = 8;
        } else {
            memcpy(nonce, s->iv, 12);
            for (int i = 0; i < 8; i++)
                nonce[4 + i] ^= pre[i];
        }
        bool ccm = strstr(s->cipher, "CCM") != NULL;

        assert_true(EVP_EncryptInit_ex2(c, ci, NULL, NULL, NULL));
        assert_true(EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_IVLEN, 12, NULL));
        if (ccm)
            assert_true(EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, (int)s->taglen, NULL));
        assert_true(EVP_EncryptInit_ex2(c, NULL, s->key, nonce, NULL));
        if (ccm)
            assert_true(EVP_EncryptUpdate(c, NULL, &l, NULL, (int)n));
        assert_true(EVP_EncryptUpdate(c, NULL, &l, pre, 13));
        assert_true(EVP_EncryptUpdate(c, body + len, &l, pt, (int)n));
        len += (size_t)l;
        assert_true(EVP_EncryptFinal_ex(c, body + len, &l));
        len += (size_t)l;
        assert_true(EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, (int)s->taglen, body + len));
        len += s->taglen;
    } else {
        uint8_t plain[4096], iv[16];
        size_t pn = 0, pad, ivn = s->version >= 0x0302 ? s->block : 0;

        memcpy(plain, pt, n);
        pn = n;
        if (!s->etm) {
            pre[11] = (uint8_t)(n >> 8);
            pre[12] = (uint8_t)n;
            hmac(s, pre, pt, n, plain + pn);
            pn += s->maclen;
        }
        pad = s->block - (pn + 1) % s->block;
        if (pad + s->block < 256 && (s->seq & 1))
            pad += s->block;             /* a longer padding now and then */
        memset(plain + pn, (int)pad, pad + 1);
        pn += pad + 1;
        if (ivn) {
            for (size_t i = 0; i < ivn; i++)
                iv[i] = (uint8_t)(0x5a ^ i ^ s->seq);
            memcpy(body, iv, ivn);
        } else {
            memcpy(iv, s->iv, s->block);
        }
        assert_true(EVP_EncryptInit_ex2(c, ci, s->key, iv, NULL));
        EVP_CIPHER_CTX_set_padding(c, 0);
        assert_true(EVP_EncryptUpdate(c, body + ivn, &l, plain, (int)pn));
        assert_int_equal((size_t)l, pn);
        len = ivn + pn;
        if (!ivn)
            memcpy(s->iv, body + len - s->block, s->block);   /* TLS 1.0 chaining */
        if (s->etm) {
            pre[11] = (uint8_t)(len >> 8);
            pre[12] = (uint8_t)len;
            hmac(s, pre, body, len, body + len);
            len += s->maclen;
        }
    }
    h[3] = (uint8_t)(len >> 8);
    h[4] = (uint8_t)len;
    rec->n = 5 + len;
    s->seq++;
    EVP_CIPHER_CTX_free(c);
    EVP_CIPHER_free(ci);
}

struct case12 {
    uint16_t version, suite;
    struct sealer s;
};

static void test_tls12_records(void **state)
{
    static const struct case12 cases[] = {
        {0x0303, 0xC02F, {.cipher = "AES-128-GCM", .prf = "SHA256", .keylen = 16, .ivlen = 4, .taglen = 16}},
        {0x0303, 0xC030, {.cipher = "AES-256-GCM", .prf = "SHA384", .keylen = 32, .ivlen = 4, .taglen = 16}},
        {0x0303, 0xCCA8, {.cipher = "ChaCha20-Poly1305", .prf = "SHA256", .keylen = 32, .ivlen = 12, .taglen = 16}},
        {0x0303, 0xC0AC, {.cipher = "AES-128-CCM", .prf = "SHA256", .keylen = 16, .ivlen = 4, .taglen = 16}},
        {0x0303, 0xC0AE, {.cipher = "AES-128-CCM", .prf = "SHA256", .keylen = 16, .ivlen = 4, .taglen = 8}},
        {0x0303, 0xC013, {.cipher = "AES-128-CBC", .mac = "SHA1", .prf = "SHA256", .maclen = 20, .keylen = 16, .ivlen = 16, .block = 16}},
        {0x0303, 0xC013, {.cipher = "AES-128-CBC", .mac = "SHA1", .prf = "SHA256", .maclen = 20, .keylen = 16, .ivlen = 16, .block = 16, .etm = true}},
        {0x0303, 0xC027, {.cipher = "AES-128-CBC", .mac = "SHA256", .prf = "SHA256", .maclen = 32, .keylen = 16, .ivlen = 16, .block = 16}},
        {0x0303, 0xC028, {.cipher = "AES-256-CBC", .mac = "SHA384", .prf = "SHA384", .maclen = 48, .keylen = 32, .ivlen = 16, .block = 16, .etm = true}},
        {0x0302, 0x0035, {.cipher = "AES-256-CBC", .mac = "SHA1", .prf = "MD5-SHA1", .maclen = 20, .keylen = 32, .ivlen = 16, .block = 16}},
        {0x0301, 0x002F, {.cipher = "AES-128-CBC", .mac = "SHA1", .prf = "MD5-SHA1", .maclen = 20, .keylen = 16, .ivlen = 16, .block = 16}},
        {0x0301, 0x000A, {.cipher = "DES-EDE3-CBC", .mac = "SHA1", .prf = "MD5-SHA1", .maclen = 20, .keylen = 24, .ivlen = 8, .block = 8}},
    };
    static struct buf rec, pt, bad;
    const char *msgs[] = {"\x14\x00\x00\x0c" "0123456789ab", "250-mx.example.test\r\n250 STARTTLS\r\n",
                          "", "450 4.7.320 Certificate validation failed\r\n"};

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        for (int server = 0; server < 2; server++) {
            struct sealer s = cases[i].s;
            enum decrypt_result why;
            struct decrypt *d;
            uint8_t type;

            s.version = cases[i].version;
            sealer_init(&s, server);
            d = decrypt_new_tls12(cases[i].version, cases[i].suite, master, client_rnd, server_rnd,
                                  server, s.etm, &why);
            assert_non_null(d);
            for (size_t m = 0; m < 4; m++) {
                size_t n = strlen(msgs[m]);

                seal(&s, m == 0 ? 22 : 23, (const uint8_t *)msgs[m], n, &rec);
                /* a flipped bit anywhere fails and does not advance */
                for (size_t at = 5; at < rec.n; at += 7) {
                    bad = rec;
                    bad.b[at] ^= 0x10;
                    assert_int_not_equal(open_record(d, &bad, &pt, &type), DECRYPT_OK);
                }
                /* every cut fails cleanly */
                for (size_t cut = 0; cut < rec.n - 5; cut++)
                    assert_int_not_equal(decrypt_record(d, rec.b, rec.b + 5, cut, pt.b, &pt.n,
                                                        &type),
                                         DECRYPT_OK);
                /* (TLS 1.0 chains the IV: the failures above must not
                 * have moved it, or this fails) */
                assert_int_equal(open_record(d, &rec, &pt, &type), DECRYPT_OK);
                assert_int_equal(type, m == 0 ? 22 : 23);
                assert_int_equal(pt.n, n);
                assert_memory_equal(pt.b, msgs[m], n);
            }
            assert_int_equal(decrypt_seq(d), 4);
            assert_int_equal(decrypt_key_update(d), DECRYPT_UNSUPPORTED_CIPHER);
            decrypt_free(d);
        }
    }
}

/* ---- TLS 1.3 sealed here: KeyUpdate, padding, a zeros-only plaintext -- */

static void expand_label(const char *hash, const uint8_t *secret, size_t sl, const char *label,
                         uint8_t *out, size_t n)
{
    uint8_t info[64], key[48];
    size_t ll = strlen(label), i = 0;
    int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;
    char digest[16];
    EVP_KDF *k = EVP_KDF_fetch(NULL, "HKDF", NULL);
    EVP_KDF_CTX *c = EVP_KDF_CTX_new(k);

    info[i++] = 0;
    info[i++] = (uint8_t)n;
    info[i++] = (uint8_t)(6 + ll);
    memcpy(info + i, "tls13 ", 6);
    memcpy(info + i + 6, label, ll);
    i += 6 + ll;
    info[i++] = 0;
    memcpy(key, secret, sl);
    snprintf(digest, sizeof(digest), "%s", hash);
    OSSL_PARAM p[] = {
        OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode),
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, key, sl),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info, i),
        OSSL_PARAM_construct_end(),
    };
    assert_true(EVP_KDF_derive(c, out, n, p) > 0);
    EVP_KDF_CTX_free(c);
    EVP_KDF_free(k);
}

/* seal13 writes a TLS 1.3 record: |pt| then |type| then |pad| zeros. */
static void seal13(const char *cipher, const uint8_t *key, const uint8_t iv[12], uint64_t seq,
                   size_t taglen, const uint8_t *pt, size_t n, uint8_t type, size_t pad,
                   struct buf *rec)
{
    EVP_CIPHER *ci = EVP_CIPHER_fetch(NULL, cipher, NULL);
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    uint8_t inner[512], nonce[12], s[8];
    size_t in = n + 1 + pad, len;
    bool ccm = strstr(cipher, "CCM") != NULL;
    int l;

    memcpy(inner, pt, n);
    inner[n] = type;
    memset(inner + n + 1, 0, pad);
    memcpy(nonce, iv, 12);
    seq_bytes(s, seq);
    for (int i = 0; i < 8; i++)
        nonce[4 + i] ^= s[i];
    len = in + taglen;
    rec->b[0] = 23;
    rec->b[1] = 3;
    rec->b[2] = 3;
    rec->b[3] = (uint8_t)(len >> 8);
    rec->b[4] = (uint8_t)len;
    assert_true(EVP_EncryptInit_ex2(c, ci, NULL, NULL, NULL));
    assert_true(EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_IVLEN, 12, NULL));
    if (ccm)
        assert_true(EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, (int)taglen, NULL));
    assert_true(EVP_EncryptInit_ex2(c, NULL, key, nonce, NULL));
    if (ccm)
        assert_true(EVP_EncryptUpdate(c, NULL, &l, NULL, (int)in));
    assert_true(EVP_EncryptUpdate(c, NULL, &l, rec->b, 5));
    assert_true(EVP_EncryptUpdate(c, rec->b + 5, &l, inner, (int)in));
    assert_true(EVP_EncryptFinal_ex(c, rec->b + 5 + l, &l));
    assert_true(EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, (int)taglen, rec->b + 5 + in));
    rec->n = 5 + len;
    EVP_CIPHER_CTX_free(c);
    EVP_CIPHER_free(ci);
}

static void test_tls13_suites_and_key_update(void **state)
{
    static const struct {
        uint16_t suite;
        const char *cipher, *hash;
        size_t hl, kl, tl;
    } suites[] = {
        {0x1301, "AES-128-GCM", "SHA256", 32, 16, 16},
        {0x1302, "AES-256-GCM", "SHA384", 48, 32, 16},
        {0x1303, "ChaCha20-Poly1305", "SHA256", 32, 32, 16},
        {0x1304, "AES-128-CCM", "SHA256", 32, 16, 16},
        {0x1305, "AES-128-CCM", "SHA256", 32, 16, 8},
    };
    static struct buf rec, pt;
    const uint8_t msg[] = "221 2.0.0 Bye\r\n";

    (void)state;
    for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++) {
        uint8_t secret[48], key[32], iv[12], gk[32], gi[12];
        size_t gkl;
        uint64_t seq = 0;
        uint8_t type;
        struct decrypt *d;

        for (size_t j = 0; j < sizeof(secret); j++)
            secret[j] = (uint8_t)(j * 7 + i);
        expand_label(suites[i].hash, secret, suites[i].hl, "key", key, suites[i].kl);
        expand_label(suites[i].hash, secret, suites[i].hl, "iv", iv, 12);
        assert_int_equal(decrypt_tls13_traffic_keys(suites[i].suite, secret, suites[i].hl, gk,
                                                    &gkl, gi),
                         DECRYPT_OK);
        assert_int_equal(gkl, suites[i].kl);
        assert_memory_equal(gk, key, gkl);
        assert_memory_equal(gi, iv, 12);
        d = decrypt_new_tls13(suites[i].suite, secret, suites[i].hl, NULL);
        assert_non_null(d);
        /* padding of 0, 1 and 200 zeros stripped */
        for (size_t pad = 0; pad < 300; pad += pad < 2 ? 1 : 199) {
            seal13(suites[i].cipher, key, iv, seq++, suites[i].tl, msg, sizeof(msg) - 1, 23, pad,
                   &rec);
            assert_int_equal(open_record(d, &rec, &pt, &type), DECRYPT_OK);
            assert_int_equal(type, 23);
            assert_int_equal(pt.n, sizeof(msg) - 1);
            assert_memory_equal(pt.b, msg, pt.n);
        }
        /* a plaintext of zeros only has no content type */
        seal13(suites[i].cipher, key, iv, seq, suites[i].tl, msg, 0, 0, 5, &rec);
        assert_int_equal(open_record(d, &rec, &pt, &type), DECRYPT_BAD_INNER);
        /* KeyUpdate: the next secret, the sequence from 0 */
        {
            uint8_t next[48];

            expand_label(suites[i].hash, secret, suites[i].hl, "traffic upd", next, suites[i].hl);
            expand_label(suites[i].hash, next, suites[i].hl, "key", key, suites[i].kl);
            expand_label(suites[i].hash, next, suites[i].hl, "iv", iv, 12);
            assert_int_equal(decrypt_key_update(d), DECRYPT_OK);
            assert_int_equal(decrypt_seq(d), 0);
            seal13(suites[i].cipher, key, iv, 0, suites[i].tl, msg, sizeof(msg) - 1, 23, 0, &rec);
            assert_int_equal(open_record(d, &rec, &pt, &type), DECRYPT_OK);
            assert_memory_equal(pt.b, msg, sizeof(msg) - 1);
        }
        decrypt_free(d);
    }
}

/* ---- real captures --------------------------------------------------- */

struct stream {
    uint8_t *b;
    size_t n, cap;
    uint32_t next;
    bool synced;
};

struct conn {
    bool have;
    struct cap_addr caddr;
    uint16_t cport, sport;
    struct stream s[2];              /* 0: client to server */
};

static void stream_add(struct stream *st, uint32_t seq, const uint8_t *p, size_t n)
{
    int32_t off = (int32_t)(seq - st->next);

    if (!st->synced || n == 0)
        return;
    if (off > 0)
        return;                      /* a gap: not in these captures */
    if ((size_t)-off >= n)
        return;                      /* a retransmission */
    p += -off;
    n -= (size_t)-off;
    if (st->n + n > st->cap) {
        st->cap = (st->n + n) * 2;
        st->b = realloc(st->b, st->cap);
        assert_non_null(st->b);
    }
    memcpy(st->b + st->n, p, n);
    st->n += n;
    st->next += (uint32_t)n;
}

/* read_first_conn reassembles the first TCP connection of |path|, in order. */
static bool read_first_conn(const char *path, struct conn *c)
{
    struct cap_source *src = cap_source_new();
    char err[CAP_ERRBUF_SIZE];
    struct cap_packet pkt;

    memset(c, 0, sizeof(*c));
    if (cap_source_add_file(src, path, NULL, err) != 0) {
        cap_source_free(src);
        return false;
    }
    while (cap_source_next(src, &pkt) == CAP_NEXT_PACKET) {
        struct cap_l3 l3;
        struct cap_tcp_seg seg;
        int dir;

        if (cap_link_decode(pkt.dlt, pkt.data, pkt.caplen, &l3) != CAP_OK ||
            cap_ip_decode(&l3, &seg) != CAP_OK)
            continue;
        if (!c->have) {
            /* the first SYN, or without one the first data: the client's */
            if ((seg.flags & (CAP_TH_SYN | CAP_TH_ACK)) != CAP_TH_SYN && seg.payload_len == 0)
                continue;
            c->have = true;
            c->caddr = seg.src;
            c->cport = seg.sport;
            c->sport = seg.dport;
        }
        if (memcmp(&seg.src, &c->caddr, sizeof(seg.src)) == 0 && seg.sport == c->cport &&
            seg.dport == c->sport)
            dir = 0;
        else if (memcmp(&seg.dst, &c->caddr, sizeof(seg.dst)) == 0 && seg.dport == c->cport &&
                 seg.sport == c->sport)
            dir = 1;
        else
            continue;
        if (seg.flags & CAP_TH_SYN) {
            if (c->s[dir].synced && c->s[dir].n > 0)
                break;               /* the port is reused: a new connection */
            c->s[dir].next = seg.seq + 1;
            c->s[dir].synced = true;
            continue;
        }
        if (!c->s[dir].synced && seg.payload_len > 0) {
            c->s[dir].next = seg.seq;        /* a capture that starts without a SYN */
            c->s[dir].synced = true;
        }
        stream_add(&c->s[dir], seg.seq, seg.payload, seg.payload_len);
    }
    cap_source_free(src);
    return c->have;
}

/* tls_start finds the first record holding handshake message |hs_type|. */
static size_t tls_start(const struct stream *st, uint8_t hs_type)
{
    for (size_t i = 0; i + 6 <= st->n; i++)
        if (st->b[i] == 22 && st->b[i + 1] == 3 && st->b[i + 2] <= 3 && st->b[i + 5] == hs_type)
            return i;
    return SIZE_MAX;
}

struct hello {
    uint8_t random[32];
    uint16_t version, suite;
    bool etm;
};

static void parse_hello(const struct stream *st, size_t at, bool server, struct hello *h)
{
    /* Zeroed: cmocka's assert_true returns as far as the compiler knows, so
     * a failed getter would otherwise leave these unset on the next line. */
    struct cbs c, body = {0}, sid = {0}, ext = {0};
    uint16_t len, v;
    uint8_t t;
    uint32_t hl;

    memset(h, 0, sizeof(*h));
    cbs_init(&c, st->b + at, st->n - at);
    assert_true(cbs_skip(&c, 3) && cbs_get_u16(&c, &len) && cbs_get_u8(&c, &t) &&
                cbs_get_u24(&c, &hl) && cbs_get_bytes(&c, &body, hl));
    assert_true(cbs_get_u16(&body, &h->version) && cbs_copy_bytes(&body, h->random, 32) &&
                cbs_get_u8_prefixed(&body, &sid));
    if (!server)
        return;
    assert_true(cbs_get_u16(&body, &h->suite) && cbs_skip(&body, 1));
    if (!cbs_get_u16_prefixed(&body, &ext))
        return;
    while (cbs_len(&ext) >= 4) {
        uint16_t et = 0;
        struct cbs ed = {0};

        assert_true(cbs_get_u16(&ext, &et) && cbs_get_u16_prefixed(&ext, &ed));
        if (et == 22)
            h->etm = true;
        if (et == 43 && cbs_get_u16(&ed, &v))
            h->version = v;
    }
}

/* side: one direction's walk over its records. */
struct side {
    struct decrypt *hs, *ap, *cur;
    bool tls13, after_ccs, finished;
    uint8_t hs_types[32];
    size_t nhs;
    struct buf *app;                 /* application data plaintext */
    unsigned records;
};

static void walk(struct side *sd, const struct stream *st, size_t at)
{
    static struct buf pt;
    struct cbs c;

    cbs_init(&c, st->b + at, st->n - at);
    while (cbs_len(&c) >= 5) {
        struct cbs hdr, body;
        uint16_t len;
        uint8_t type, inner;

        assert_true(cbs_get_bytes(&c, &hdr, 5));
        type = cbs_data(&hdr)[0];
        len = (uint16_t)(cbs_data(&hdr)[3] << 8 | cbs_data(&hdr)[4]);
        if (!cbs_get_bytes(&c, &body, len))
            break;                   /* the capture ends inside a record */
        if (type == 20) {            /* ChangeCipherSpec, never encrypted */
            sd->after_ccs = true;
            continue;
        }
        if (sd->tls13 ? type != 23 : !sd->after_ccs)
            continue;                /* clear: the hellos */
        assert_non_null(sd->cur);
        assert_int_equal(decrypt_record(sd->cur, cbs_data(&hdr), cbs_data(&body), cbs_len(&body),
                                        pt.b, &pt.n, &inner),
                         DECRYPT_OK);
        sd->records++;
        if (inner == 22) {
            struct cbs m;

            cbs_init(&m, pt.b, pt.n);
            while (cbs_len(&m) >= 4) {
                uint8_t t;
                struct cbs mb;

                assert_true(cbs_get_u8(&m, &t) && cbs_get_u24_prefixed(&m, &mb));
                if (sd->nhs < 32)
                    sd->hs_types[sd->nhs++] = t;
                if (t == 20 && !sd->finished) {
                    sd->finished = true;
                    if (sd->tls13)
                        sd->cur = sd->ap;
                }
            }
        } else if (inner == 23) {
            assert_true(sd->app->n + pt.n <= sizeof(sd->app->b) || sd->app->n == sizeof(sd->app->b));
            size_t room = sizeof(sd->app->b) - sd->app->n;

            memcpy(sd->app->b + sd->app->n, pt.b, pt.n < room ? pt.n : room);
            sd->app->n += pt.n < room ? pt.n : room;
        }
    }
}

static bool contains(const struct buf *b, const char *s)
{
    size_t n = strlen(s);

    for (size_t i = 0; i + n <= b->n; i++)
        if (memcmp(b->b + i, s, n) == 0)
            return true;
    return false;
}

static void ignore_warning(void *ctx, const char *msg)
{
    (void)ctx;
    (void)msg;
}

/* one_capture decrypts the first session of |pcap| with |keys| and checks
 * that the client's and the server's application data hold |cneed| and
 * |sneed|; false (skipped) when a file is absent. */
static bool one_capture(const char *pcap, const char *keys, const char *cneed, const char *sneed)
{
    struct conn c;
    struct keylog *kl;
    const struct keylog_secrets *sec;
    struct hello ch, sh;
    size_t cat, sat;
    char err[256];
    static struct buf capp, sapp;
    struct side cs = {0}, ss = {0};

    if (access(pcap, R_OK) != 0 || access(keys, R_OK) != 0) {
        printf("skipped %s: not here\n", pcap);
        return false;
    }
    assert_true(read_first_conn(pcap, &c));
    cat = tls_start(&c.s[0], 1);
    sat = tls_start(&c.s[1], 2);
    assert_true(cat != SIZE_MAX && sat != SIZE_MAX);
    parse_hello(&c.s[0], cat, false, &ch);
    parse_hello(&c.s[1], sat, true, &sh);
    kl = keylog_new();
    assert_true(keylog_add_file(kl, keys, ignore_warning, NULL, err, sizeof(err)) > 0);
    sec = keylog_find(kl, ch.random);
    assert_non_null(sec);
    capp.n = sapp.n = 0;
    cs.app = &capp;
    ss.app = &sapp;
    if (sh.version == 0x0304) {
        cs.tls13 = ss.tls13 = true;
        cs.hs = decrypt_new_tls13(sh.suite, sec->v[KEYLOG_CLIENT_HS], sec->len[KEYLOG_CLIENT_HS], NULL);
        cs.ap = decrypt_new_tls13(sh.suite, sec->v[KEYLOG_CLIENT_AP], sec->len[KEYLOG_CLIENT_AP], NULL);
        ss.hs = decrypt_new_tls13(sh.suite, sec->v[KEYLOG_SERVER_HS], sec->len[KEYLOG_SERVER_HS], NULL);
        ss.ap = decrypt_new_tls13(sh.suite, sec->v[KEYLOG_SERVER_AP], sec->len[KEYLOG_SERVER_AP], NULL);
        assert_true(cs.hs && cs.ap && ss.hs && ss.ap);
        cs.cur = cs.hs;
        ss.cur = ss.hs;
    } else {
        assert_int_equal(sec->len[KEYLOG_MASTER], 48);
        cs.cur = cs.ap = decrypt_new_tls12(sh.version, sh.suite, sec->v[KEYLOG_MASTER], ch.random,
                                           sh.random, false, sh.etm, NULL);
        ss.cur = ss.ap = decrypt_new_tls12(sh.version, sh.suite, sec->v[KEYLOG_MASTER], ch.random,
                                           sh.random, true, sh.etm, NULL);
        assert_true(cs.cur && ss.cur);
    }
    walk(&ss, &c.s[1], sat);
    walk(&cs, &c.s[0], cat);
    printf("%s: TLS 0x%04x suite 0x%04x, %u + %u records decrypted, %zu + %zu bytes of data\n",
           pcap, sh.version, sh.suite, cs.records, ss.records, capp.n, sapp.n);
    assert_true(cs.finished && ss.finished);
    if (sh.version == 0x0304) {
        /* EncryptedExtensions, [CertificateRequest,] Certificate, CertificateVerify, Finished */
        assert_true(ss.nhs >= 4);
        assert_int_equal(ss.hs_types[0], 8);
        size_t k = ss.hs_types[1] == 13 ? 2 : 1;
        assert_int_equal(ss.hs_types[k], 11);
        assert_int_equal(ss.hs_types[k + 1], 15);
        assert_int_equal(ss.hs_types[k + 2], 20);
    } else {
        assert_int_equal(ss.hs_types[0], 20);   /* the encrypted Finished first */
        assert_int_equal(cs.hs_types[0], 20);
    }
    if (!contains(&capp, cneed))
        printf("client data: %.*s\n", (int)capp.n, (const char *)capp.b);
    assert_true(contains(&capp, cneed));
    assert_true(contains(&sapp, sneed));
    decrypt_free(cs.hs);
    decrypt_free(cs.ap);
    decrypt_free(ss.hs);
    decrypt_free(ss.ap);
    keylog_free(kl);
    for (int i = 0; i < 2; i++)
        free(c.s[i].b);
    return true;
}

static void test_captures(void **state)
{
    const char *sh = getenv("MXW_SHARED");
    char p[512], k[512];
    unsigned done = 0;

    (void)state;
    done += one_capture("pcaps/starttls-tls13.pcap", "pcaps/starttls-tls13.keylog", "EHLO", "250");
    done += one_capture("pcaps/reply-4-7-320.pcap", "pcaps/reply-4-7-320.keylog", "RCPT TO",
                        "450 4.7.320");
    assert_int_equal(done, 2);      /* the repository's own captures are always here */
    if (sh == NULL)
        sh = "../shared";
#define SHARED(pcap, keys, cneed, sneed)                                    \
    do {                                                                     \
        snprintf(p, sizeof(p), "%s/pcaps/%s", sh, pcap);                     \
        snprintf(k, sizeof(k), "%s/pcaps/%s", sh, keys);                     \
        done += one_capture(p, k, cneed, sneed);                             \
    } while (0)
    SHARED("wireshark/tls13-rfc8446.pcap", "wireshark/tls13-rfc8446.keys", "GET /first", "HTTP/1.");
    SHARED("wireshark/smtp-ssl.pcapng", "wireshark/smtp-ssl.keys", "EHLO", "250");
    SHARED("wireshark/tls12-dsb.pcapng", "wireshark/tls12-dsb-1.keys", "HEAD / HTTP/1.1", "HTTP/1.");
    SHARED("zeek/tls12-decryption.pcap", "zeek/tls12-decryption.keylog", "GET /", "HTTP/1.1 301");
#undef SHARED
    printf("%u captures decrypted\n", done);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc8448_keys),
        cmocka_unit_test(test_rfc8448_server_flight),
        cmocka_unit_test(test_rfc8448_client_finished),
        cmocka_unit_test(test_rfc8448_application_data),
        cmocka_unit_test(test_bad_tag),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_wrong_sequence),
        cmocka_unit_test(test_unsupported),
        cmocka_unit_test(test_aead_known_answers),
        cmocka_unit_test(test_tls12_records),
        cmocka_unit_test(test_tls13_suites_and_key_update),
        cmocka_unit_test(test_captures),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
