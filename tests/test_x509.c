/*
 * test_x509.c - certificates read with OpenSSL, the shared cache, digests.
 *
 * The certificates in tests/vectors/x509_*.pem come from make-x509.sh; the
 * names, SANs, serials, dates and key sizes below are the ones that script
 * fixes, and x509_expected.h holds the SHA-256 values it computed with
 * sha256sum.  Hostile certificates (NUL in a CN, bad UTF-8, 10000 SANs, bad
 * times) are built here with OpenSSL, since its command line will not write
 * them.  Run from the top of the tree (the paths are relative to it).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "analyze/x509.h"
#include "tests/vectors/x509_expected.h"
#include "tests/pem_der.h"

#define TEXT_MAX 4096   /* X509_TEXT_MAX in x509.c */
#define REPLACEMENT "\xEF\xBF\xBD"

/* ------------------------------------------------------------- helpers */

struct der {
    uint8_t *p;
    size_t n;
};

/* load reads tests/vectors/x509_NAME.pem and returns its DER (the bytes
 * inside the PEM, not re-encoded). */
static struct der load(const char *name)
{
    char path[256];
    struct der d;

    snprintf(path, sizeof(path), "tests/vectors/x509_%s.pem", name);
    d.p = pem_der(path, "CERTIFICATE", &d.n);
    return d;
}

static char *slurp(const char *name)
{
    char path[256];
    FILE *f;
    long n;
    char *s;

    snprintf(path, sizeof(path), "tests/vectors/x509_%s.pem", name);
    f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    assert_true(n > 0);
    rewind(f);
    s = malloc((size_t)n + 1);
    assert_non_null(s);
    assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
    s[n] = '\0';
    fclose(f);
    return s;
}

/* utf8_ok: valid UTF-8 with no NUL (an independent check, written here) */
static int utf8_ok(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;

    while (*p) {
        unsigned long v;
        int n;

        if (*p < 0x80) {
            p++;
            continue;
        }
        if ((*p & 0xE0) == 0xC0) n = 1, v = *p & 0x1F;
        else if ((*p & 0xF0) == 0xE0) n = 2, v = *p & 0x0F;
        else if ((*p & 0xF8) == 0xF0) n = 3, v = *p & 0x07;
        else return 0;
        p++;
        for (int i = 0; i < n; i++, p++) {
            if ((*p & 0xC0) != 0x80)
                return 0;
            v = (v << 6) | (*p & 0x3F);
        }
        if ((n == 1 && v < 0x80) || (n == 2 && v < 0x800) || (n == 3 && v < 0x10000) ||
            v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
            return 0;
    }
    return 1;
}

/* check_strings: every string of |xi| is NUL-terminated valid UTF-8 of
 * bounded length (what hostile certificates must never break). */
static void check_strings(const struct x509_info *xi)
{
    const char *one[] = {xi->parse_error, xi->subject, xi->issuer, xi->serial_hex,
                         xi->key_alg, xi->key_curve, xi->sig_alg};

    for (size_t i = 0; i < sizeof(one) / sizeof(one[0]); i++) {
        if (one[i] == NULL)
            continue;
        assert_true(utf8_ok(one[i]));
        assert_true(strlen(one[i]) <= TEXT_MAX + 3);
    }
    assert_true(xi->nsubject_cn <= X509_MAX_NAMES);
    assert_true(xi->nissuer_cn <= X509_MAX_NAMES);
    assert_true(xi->nsan <= X509_MAX_NAMES);
    assert_true(xi->nsan <= xi->total_san);
    for (size_t i = 0; i < xi->nsubject_cn; i++)
        assert_true(utf8_ok(xi->subject_cn[i]) && strlen(xi->subject_cn[i]) <= TEXT_MAX + 3);
    for (size_t i = 0; i < xi->nissuer_cn; i++)
        assert_true(utf8_ok(xi->issuer_cn[i]) && strlen(xi->issuer_cn[i]) <= TEXT_MAX + 3);
    for (size_t i = 0; i < xi->nsan; i++)
        assert_true(utf8_ok(xi->san[i]) && strlen(xi->san[i]) <= TEXT_MAX + 3);
    assert_int_equal(strlen(xi->sha256_hex), 64);
    if (xi->parsed) {
        assert_non_null(xi->subject);
        assert_non_null(xi->issuer);
        assert_non_null(xi->x509);
        assert_non_null(xi->pem);
        assert_int_equal(strlen(xi->spki_hex), 64);
    } else {
        assert_non_null(xi->parse_error);
        assert_null(xi->subject);
        assert_null(xi->x509);
        assert_null(xi->pem);
        assert_string_equal(xi->spki_hex, "");
    }
}

/* get_vector parses vector |name| in a fresh cache and checks what every
 * vector has: parsed, no notes, hashes as make-x509.sh computed them. */
struct loaded {
    struct x509_cache *c;
    struct der d;
    const struct x509_info *xi;
};

static struct loaded get_vector(const char *name, const char *sha, const char *spki)
{
    struct loaded l;
    char hex[65];

    l.c = x509_cache_new(0);
    assert_non_null(l.c);
    l.d = load(name);
    l.xi = x509_cache_get(l.c, l.d.p, l.d.n);
    assert_non_null(l.xi);
    assert_true(l.xi->parsed);
    assert_null(l.xi->parse_error);
    assert_string_equal(l.xi->sha256_hex, sha);
    assert_string_equal(l.xi->spki_hex, spki);
    assert_int_equal(l.xi->der_len, l.d.n);
    /* the byte forms agree with the hex forms */
    for (size_t i = 0; i < 32; i++) {
        snprintf(hex, 3, "%02X", l.xi->sha256[i]);
        assert_memory_equal(hex, l.xi->sha256_hex + 2 * i, 2);
        snprintf(hex, 3, "%02X", l.xi->spki_sha256[i]);
        assert_memory_equal(hex, l.xi->spki_hex + 2 * i, 2);
    }
    check_strings(l.xi);
    return l;
}

static void put_vector(struct loaded *l)
{
    x509_cache_release(l->c, l->xi);
    x509_cache_free(l->c);
    free(l->d.p);
}

static void assert_strv(char *const *v, size_t n, const char *const *want, size_t nwant)
{
    assert_int_equal(n, nwant);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(v[i], want[i]);
}

/* parse_once: |der| through a fresh cache; the caller calls done(). */
static const struct x509_info *parse_once(struct x509_cache **c, const uint8_t *der, size_t n)
{
    const struct x509_info *xi;

    *c = x509_cache_new(4);
    assert_non_null(*c);
    xi = x509_cache_get(*c, der, n);
    assert_non_null(xi);
    check_strings(xi);
    return xi;
}

static void done(struct x509_cache *c, const struct x509_info *xi)
{
    x509_cache_release(c, xi);
    x509_cache_free(c);
}

/* ------------------------------------------------ built certificates */

static EVP_PKEY *key;   /* P-256, made once by the group setup */

static int group_setup(void **state)
{
    (void)state;
    key = EVP_EC_gen("P-256");
    return key != NULL ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    EVP_PKEY_free(key);
    return 0;
}

/* new_cert: v3, serial 1, 2024-01-01 .. 2025-01-01, empty names, |key|. */
static X509 *new_cert(void)
{
    X509 *x = X509_new();

    assert_non_null(x);
    assert_true(X509_set_version(x, X509_VERSION_3));
    assert_true(ASN1_INTEGER_set(X509_get_serialNumber(x), 1));
    assert_true(ASN1_TIME_set_string(X509_getm_notBefore(x), "20240101000000Z"));
    assert_true(ASN1_TIME_set_string(X509_getm_notAfter(x), "20250101000000Z"));
    assert_true(X509_set_pubkey(x, key));
    return x;
}

/* add_raw adds an attribute whose value is |n| raw bytes of ASN.1 |type|
 * (no conversion or checking: that is the point). */
static void add_raw(X509_NAME *nm, int nid, int type, const char *bytes, size_t n)
{
    assert_true(X509_NAME_add_entry_by_NID(nm, nid, type, (const unsigned char *)bytes,
                                           (int)n, -1, 0));
}

/* finish signs |x| with |key| (self-issued when |same_issuer|) and returns
 * its DER. */
static struct der finish(X509 *x, int same_issuer)
{
    unsigned char *p = NULL;
    int n;
    struct der d;

    if (same_issuer)
        assert_true(X509_set_issuer_name(x, X509_get_subject_name(x)));
    assert_true(X509_sign(x, key, EVP_sha256()) > 0);
    n = i2d_X509(x, &p);
    assert_true(n > 0);
    d.n = (size_t)n;
    d.p = malloc(d.n);
    assert_non_null(d.p);
    memcpy(d.p, p, d.n);
    OPENSSL_free(p);
    X509_free(x);
    ERR_clear_error();
    return d;
}

static void add_sans(X509 *x, GENERAL_NAMES *g)
{
    assert_true(X509_add1_ext_i2d(x, NID_subject_alt_name, g, 0, X509V3_ADD_APPEND) == 1);
}

static void push_name(GENERAL_NAMES *g, int type, const char *value)
{
    GENERAL_NAME *gn = a2i_GENERAL_NAME(NULL, NULL, NULL, type, value, 0);

    assert_non_null(gn);
    assert_true(sk_GENERAL_NAME_push(g, gn) > 0);
}

/* ------------------------------------------------------- the vectors */

static void test_root(void **state)
{
    struct loaded l = get_vector("root", X509_ROOT_SHA256, X509_ROOT_SPKI);
    const struct x509_info *xi = l.xi;
    static const char *const cn[] = {"MXW Test Root CA"};

    (void)state;
    assert_string_equal(xi->subject, "CN=MXW Test Root CA,O=mxwitness tests,C=DE");
    assert_string_equal(xi->issuer, "CN=MXW Test Root CA,O=mxwitness tests,C=DE");
    assert_strv(xi->subject_cn, xi->nsubject_cn, cn, 1);
    assert_strv(xi->issuer_cn, xi->nissuer_cn, cn, 1);
    assert_int_equal(xi->nsan, 0);
    assert_int_equal(xi->total_san, 0);
    assert_null(xi->san);
    assert_string_equal(xi->serial_hex, "1001");
    assert_int_equal(xi->not_before, 1577836800);   /* 2020-01-01, UTCTime */
    assert_int_equal(xi->not_after, 2840140800);    /* 2060-01-01, GeneralizedTime */
    assert_string_equal(xi->key_alg, "RSA");
    assert_int_equal(xi->key_bits, 2048);
    assert_null(xi->key_curve);
    assert_string_equal(xi->sig_alg, "sha256WithRSAEncryption");
    assert_true(xi->self_issued);
    assert_true(xi->self_signed);
    assert_true(xi->is_ca);
    assert_int_equal(xi->version, 3);
    assert_int_equal(xi->refs, 1);
    put_vector(&l);
}

static void test_intermediate(void **state)
{
    struct loaded l = get_vector("inter", X509_INTER_SHA256, X509_INTER_SPKI);
    const struct x509_info *xi = l.xi;
    static const char *const cn[] = {"MXW Test Intermediate"};
    static const char *const icn[] = {"MXW Test Root CA"};

    (void)state;
    assert_string_equal(xi->subject, "CN=MXW Test Intermediate,O=mxwitness tests,C=DE");
    assert_string_equal(xi->issuer, "CN=MXW Test Root CA,O=mxwitness tests,C=DE");
    assert_strv(xi->subject_cn, xi->nsubject_cn, cn, 1);
    assert_strv(xi->issuer_cn, xi->nissuer_cn, icn, 1);
    assert_string_equal(xi->serial_hex, "1002");
    assert_int_equal(xi->not_before, 1590969600);   /* 2020-06-01 */
    assert_int_equal(xi->not_after, 2222121600);    /* 2040-06-01, UTCTime beyond 2038 */
    assert_string_equal(xi->key_alg, "EC");
    assert_int_equal(xi->key_bits, 384);
    assert_string_equal(xi->key_curve, "secp384r1");
    assert_string_equal(xi->sig_alg, "sha384WithRSAEncryption");
    assert_false(xi->self_issued);
    assert_false(xi->self_signed);
    assert_true(xi->is_ca);
    assert_int_equal(xi->version, 3);
    put_vector(&l);
}

static void test_leaf_rsa(void **state)
{
    struct loaded l = get_vector("leaf_rsa", X509_LEAF_RSA_SHA256, X509_LEAF_RSA_SPKI);
    const struct x509_info *xi = l.xi;
    static const char *const cn[] = {"mail.example.test"};
    static const char *const icn[] = {"MXW Test Intermediate"};
    /* email and URI are counted in total_san, not kept */
    static const char *const san[] = {"mail.example.test", "mx1.example.test", "192.0.2.25",
                                      "2001:db8::25"};

    (void)state;
    assert_string_equal(xi->subject, "CN=mail.example.test,O=Example Mail,C=DE");
    assert_string_equal(xi->issuer, "CN=MXW Test Intermediate,O=mxwitness tests,C=DE");
    assert_strv(xi->subject_cn, xi->nsubject_cn, cn, 1);
    assert_strv(xi->issuer_cn, xi->nissuer_cn, icn, 1);
    assert_strv(xi->san, xi->nsan, san, 4);
    assert_int_equal(xi->total_san, 6);
    assert_string_equal(xi->serial_hex, "1003");
    assert_int_equal(xi->not_before, 1704067200);   /* 2024-01-01 */
    assert_int_equal(xi->not_after, 1767225600);    /* 2026-01-01 */
    assert_string_equal(xi->key_alg, "RSA");
    assert_int_equal(xi->key_bits, 2048);
    assert_null(xi->key_curve);
    assert_string_equal(xi->sig_alg, "ecdsa-with-SHA256");
    assert_false(xi->self_issued);
    assert_false(xi->self_signed);
    assert_false(xi->is_ca);
    assert_int_equal(xi->version, 3);
    put_vector(&l);
}

static void test_leaf_ec_two_cns(void **state)
{
    struct loaded l = get_vector("leaf_ec", X509_LEAF_EC_SHA256, X509_LEAF_EC_SPKI);
    const struct x509_info *xi = l.xi;
    /* certificate order, while RFC 2253 text is reversed */
    static const char *const cn[] = {"ec.example.test", "alt.example.test"};
    static const char *const san[] = {"ec.example.test", "alt.example.test"};

    (void)state;
    assert_string_equal(xi->subject, "CN=alt.example.test,CN=ec.example.test,O=Example");
    assert_strv(xi->subject_cn, xi->nsubject_cn, cn, 2);
    assert_strv(xi->san, xi->nsan, san, 2);
    assert_int_equal(xi->total_san, 2);
    assert_string_equal(xi->serial_hex, "1004");
    assert_int_equal(xi->not_before, 1709294400);   /* 2024-03-01 12:00 */
    assert_int_equal(xi->not_after, 1740830400);    /* 2025-03-01 12:00 */
    assert_string_equal(xi->key_alg, "EC");
    assert_int_equal(xi->key_bits, 256);
    assert_string_equal(xi->key_curve, "prime256v1");
    assert_string_equal(xi->sig_alg, "ecdsa-with-SHA256");
    assert_false(xi->is_ca);
    put_vector(&l);
}

static void test_self_signed(void **state)
{
    struct loaded l = get_vector("self", X509_SELF_SHA256, X509_SELF_SPKI);
    const struct x509_info *xi = l.xi;
    static const char *const cn[] = {"self.example.test"};

    (void)state;
    assert_string_equal(xi->subject, "CN=self.example.test");
    assert_string_equal(xi->issuer, "CN=self.example.test");
    assert_strv(xi->subject_cn, xi->nsubject_cn, cn, 1);
    assert_strv(xi->issuer_cn, xi->nissuer_cn, cn, 1);
    assert_strv(xi->san, xi->nsan, cn, 1);
    assert_string_equal(xi->serial_hex, "1005");
    assert_int_equal(xi->not_before, 1672531200);   /* 2023-01-01 */
    assert_int_equal(xi->not_after, 1988150400);    /* 2033-01-01 */
    assert_string_equal(xi->key_curve, "prime256v1");
    assert_true(xi->self_issued);
    assert_true(xi->self_signed);
    assert_false(xi->is_ca);
    put_vector(&l);
}

static void test_expired(void **state)
{
    struct loaded l = get_vector("expired", X509_EXPIRED_SHA256, X509_EXPIRED_SPKI);
    const struct x509_info *xi = l.xi;

    (void)state;
    assert_string_equal(xi->subject, "CN=expired.example.test,O=Example Mail,C=DE");
    assert_string_equal(xi->serial_hex, "1006");
    assert_int_equal(xi->not_before, 1425168000);   /* 2015-03-01, UTCTime "15..." */
    assert_int_equal(xi->not_after, 1456790400);    /* 2016-03-01 */
    assert_string_equal(xi->key_alg, "RSA");
    assert_int_equal(xi->key_bits, 2048);
    put_vector(&l);
}

static void test_weak_rsa1024(void **state)
{
    struct loaded l = get_vector("weak", X509_WEAK_SHA256, X509_WEAK_SPKI);
    const struct x509_info *xi = l.xi;
    static const char *const san[] = {"old.example.test"};

    (void)state;
    assert_string_equal(xi->subject, "CN=weak.example.test");
    assert_string_equal(xi->issuer, "CN=MXW Test Root CA,O=mxwitness tests,C=DE");
    assert_strv(xi->san, xi->nsan, san, 1);
    assert_string_equal(xi->serial_hex, "1007");
    assert_int_equal(xi->not_before, 1704067200);
    assert_int_equal(xi->not_after, 1735689600);    /* 2025-01-01 */
    assert_string_equal(xi->key_alg, "RSA");
    assert_int_equal(xi->key_bits, 1024);
    assert_string_equal(xi->sig_alg, "sha256WithRSAEncryption");
    put_vector(&l);
}

static void test_sha1_signature(void **state)
{
    struct loaded l = get_vector("sha1", X509_SHA1_SHA256, X509_SHA1_SPKI);
    const struct x509_info *xi = l.xi;

    (void)state;
    assert_string_equal(xi->subject, "CN=sha1.example.test");
    assert_string_equal(xi->serial_hex, "1008");
    assert_string_equal(xi->sig_alg, "sha1WithRSAEncryption");
    assert_int_equal(xi->key_bits, 2048);
    put_vector(&l);
}

static void test_utf8_and_escape(void **state)
{
    struct loaded l = get_vector("utf8", X509_UTF8_SHA256, X509_UTF8_SPKI);
    const struct x509_info *xi = l.xi;
    static const char *const cn[] = {"\xC3\xBCmlaut.example.test"};

    (void)state;
    /* UTF-8 stays UTF-8; the ESC is an RFC 2253 hex escape in the DN text */
    assert_string_equal(xi->subject, "CN=\xC3\xBCmlaut.example.test,OU=esc\\1B[31mred,"
                                     "O=Gr\xC3\xBC\xC3\x9F" "e GmbH,C=DE");
    assert_string_equal(xi->issuer, xi->subject);
    assert_strv(xi->subject_cn, xi->nsubject_cn, cn, 1);
    assert_strv(xi->issuer_cn, xi->nissuer_cn, cn, 1);
    assert_string_equal(xi->serial_hex, "1009");
    assert_true(xi->self_signed);
    put_vector(&l);
}

static void test_v1_and_self_issued(void **state)
{
    struct loaded v1 = get_vector("v1", X509_V1_SHA256, X509_V1_SPKI);
    struct loaded si = get_vector("selfissued", X509_SELFISSUED_SHA256, X509_SELFISSUED_SPKI);
    static const char *const cn[] = {"Same Name"};

    (void)state;
    assert_int_equal(v1.xi->version, 1);
    assert_string_equal(v1.xi->serial_hex, "100A");
    assert_true(v1.xi->self_issued);
    assert_true(v1.xi->self_signed);
    assert_false(v1.xi->is_ca);
    assert_int_equal(v1.xi->total_san, 0);

    /* same name, another key, signed by v1's key: self-issued only */
    assert_int_equal(si.xi->version, 1);
    assert_string_equal(si.xi->serial_hex, "100B");
    assert_string_equal(si.xi->subject, "CN=Same Name");
    assert_strv(si.xi->issuer_cn, si.xi->nissuer_cn, cn, 1);
    assert_true(si.xi->self_issued);
    assert_false(si.xi->self_signed);
    assert_false(si.xi->is_ca);
    assert_string_not_equal(si.xi->spki_hex, v1.xi->spki_hex);
    put_vector(&v1);
    put_vector(&si);
}

static void test_pem_and_x509_kept(void **state)
{
    struct loaded leaf = get_vector("leaf_rsa", X509_LEAF_RSA_SHA256, X509_LEAF_RSA_SPKI);
    struct loaded inter = get_vector("inter", X509_INTER_SHA256, X509_INTER_SPKI);
    char *file = slurp("leaf_rsa");
    EVP_PKEY *ipk;

    (void)state;
    /* openssl ca -notext wrote the PEM exactly as PEM_write_bio does */
    assert_string_equal(leaf.xi->pem, file);
    free(file);
    /* ->x509 is a live X509 for chain checks: the leaf verifies with the
     * intermediate's key, not with its own */
    ipk = X509_get0_pubkey(inter.xi->x509);
    assert_non_null(ipk);
    assert_int_equal(X509_verify(leaf.xi->x509, ipk), 1);
    assert_true(X509_verify(leaf.xi->x509, X509_get0_pubkey(leaf.xi->x509)) <= 0);
    ERR_clear_error();
    put_vector(&leaf);
    put_vector(&inter);
}

/* ------------------------------------------------------- not parsed */

static void expect_unparsed(const uint8_t *p, size_t n, const char *reason_part)
{
    struct x509_cache *c;
    const struct x509_info *xi = parse_once(&c, p, n);
    char hex[65];

    assert_false(xi->parsed);
    assert_non_null(xi->parse_error);
    if (strstr(xi->parse_error, reason_part) == NULL)
        fail_msg("parse_error \"%s\" lacks \"%s\"", xi->parse_error, reason_part);
    x509_sha256_hex(p, n, hex);
    assert_string_equal(xi->sha256_hex, hex);
    assert_int_equal(xi->der_len, n);
    assert_null(xi->issuer);
    assert_null(xi->serial_hex);
    assert_null(xi->key_alg);
    assert_int_equal(xi->nsan, 0);
    assert_int_equal(xi->not_after, 0);
    done(c, xi);
}

static void test_garbage_not_parsed(void **state)
{
    struct der d = load("leaf_rsa");
    uint8_t *buf = malloc(d.n + 16);
    uint32_t r = 12345;

    (void)state;
    assert_non_null(buf);
    /* random bytes: OpenSSL's reason, e.g. "error:0680007B:...:header too long" */
    for (size_t i = 0; i < 300; i++) {
        r = r * 1103515245u + 12345u;
        buf[i] = (uint8_t)(r >> 16);
    }
    expect_unparsed(buf, 300, "error:");
    /* truncated by one byte and by half */
    expect_unparsed(d.p, d.n - 1, "error:");
    expect_unparsed(d.p, d.n / 2, "error:");
    /* one and sixteen bytes after a complete certificate */
    memcpy(buf, d.p, d.n);
    buf[d.n] = 0;
    expect_unparsed(buf, d.n + 1, "trailing data after the certificate (1 bytes)");
    memset(buf + d.n, 0x30, 16);
    expect_unparsed(buf, d.n + 16, "trailing data after the certificate (16 bytes)");
    /* nothing at all */
    expect_unparsed(NULL, 0, "empty certificate");
    expect_unparsed(buf, 0, "empty certificate");
    /* and OpenSSL's error queue is left empty */
    assert_int_equal(ERR_peek_error(), 0);
    free(buf);
    free(d.p);
}

/* Every one-byte change and every prefix of a real certificate: no crash,
 * and whatever parses still gives clean strings (check_strings). */
static void test_mutations(void **state)
{
    struct der d = load("leaf_ec");
    struct x509_cache *c = x509_cache_new(8);
    uint8_t *buf = malloc(d.n);
    uint64_t parsed = 0, hits = 0;

    (void)state;
    assert_non_null(c);
    assert_non_null(buf);
    for (size_t i = 0; i < d.n; i++) {
        const struct x509_info *xi;

        memcpy(buf, d.p, d.n);
        buf[i] ^= 0x80;
        xi = x509_cache_get(c, buf, d.n);
        assert_non_null(xi);
        check_strings(xi);
        x509_cache_release(c, xi);
        xi = x509_cache_get(c, d.p, i);
        assert_non_null(xi);
        assert_false(xi->parsed);
        check_strings(xi);
        x509_cache_release(c, xi);
    }
    x509_cache_stats(c, &parsed, &hits);
    assert_int_equal(parsed, 2 * d.n);
    assert_int_equal(hits, 0);
    x509_cache_free(c);
    free(buf);
    free(d.p);
}

/* ------------------------------------------------------- hostile */

static void test_nul_in_cn(void **state)
{
    X509 *x = new_cert();
    static const char cn[] = "www.example.test\0.evil.test";
    struct x509_cache *c;
    const struct x509_info *xi;
    struct der d;

    (void)state;
    add_raw(X509_get_subject_name(x), NID_commonName, V_ASN1_UTF8STRING, cn, sizeof(cn) - 1);
    d = finish(x, 1);
    xi = parse_once(&c, d.p, d.n);
    assert_true(xi->parsed);
    /* the DN text escapes it; the CN value shows it as U+FFFD: never cut short */
    assert_string_equal(xi->subject, "CN=www.example.test\\00.evil.test");
    assert_int_equal(xi->nsubject_cn, 1);
    assert_string_equal(xi->subject_cn[0], "www.example.test" REPLACEMENT ".evil.test");
    assert_string_equal(xi->issuer_cn[0], xi->subject_cn[0]);
    assert_non_null(xi->parse_error);
    assert_non_null(strstr(xi->parse_error, "subject CN: not valid text"));
    assert_true(xi->self_signed);
    done(c, xi);
    free(d.p);
}

static void test_invalid_utf8(void **state)
{
    X509 *x = new_cert();
    struct der d;
    size_t patched = 0;

    (void)state;
    /* OpenSSL will not build such a name, so write "QQ" and patch the DER */
    add_raw(X509_get_subject_name(x), NID_commonName, V_ASN1_UTF8STRING, "okQQ", 4);
    d = finish(x, 1);
    for (size_t i = 0; i + 1 < d.n; i++) {
        if (d.p[i] == 'Q' && d.p[i + 1] == 'Q') {
            d.p[i] = 0xFF, d.p[i + 1] = 0xFE;
            patched++;
        }
    }
    assert_int_equal(patched, 2);
    /* OpenSSL 3.0 canonicalises names while decoding and rejects the whole
     * certificate: no client accepts it either */
    expect_unparsed(d.p, d.n, "invalid utf8string");
    free(d.p);
}

static void test_undecodable_string_type(void **state)
{
    X509 *x = new_cert();
    struct x509_cache *c;
    const struct x509_info *xi;
    struct der d;

    (void)state;
    /* a CN that is a SEQUENCE (allowed by OpenSSL's DirectoryString), which
     * ASN1_STRING_to_UTF8 does not convert: the value is the whole TLV */
    add_raw(X509_get_subject_name(x), NID_commonName, V_ASN1_SEQUENCE, "\x30\x03\x0C\x01\xE9", 5);
    d = finish(x, 1);
    xi = parse_once(&c, d.p, d.n);
    assert_true(xi->parsed);
    /* the DN text dumps it as DER hex (RFC 2253 §2.4); the CN value shows
     * its bytes, with U+FFFD for what is not UTF-8 */
    assert_string_equal(xi->subject, "CN=#30030C01E9");
    assert_string_equal(xi->subject_cn[0], "0\x03\x0C\x01" REPLACEMENT);
    assert_non_null(strstr(xi->parse_error, "subject CN: not valid text"));
    done(c, xi);
    free(d.p);
}

static void test_other_string_types(void **state)
{
    X509 *x = new_cert();
    struct x509_cache *c;
    const struct x509_info *xi;
    struct der d;

    (void)state;
    /* BMPString "h\u00e9" with a U+0000 inside; T61String 0xE9 (Latin-1) */
    add_raw(X509_get_subject_name(x), NID_commonName, V_ASN1_BMPSTRING, "\0h\0\xE9\0\0\0!", 8);
    add_raw(X509_get_subject_name(x), NID_commonName, V_ASN1_T61STRING, "caf\xE9", 4);
    d = finish(x, 1);
    xi = parse_once(&c, d.p, d.n);
    assert_true(xi->parsed);
    assert_int_equal(xi->nsubject_cn, 2);
    assert_string_equal(xi->subject_cn[0], "h\xC3\xA9" REPLACEMENT "!");
    assert_string_equal(xi->subject_cn[1], "caf\xC3\xA9");
    assert_string_equal(xi->subject, "CN=caf\xC3\xA9,CN=h\xC3\xA9\\00!");
    done(c, xi);
    free(d.p);
}

static void test_control_chars(void **state)
{
    X509 *x = new_cert();
    struct x509_cache *c;
    const struct x509_info *xi;
    struct der d;

    (void)state;
    add_raw(X509_get_subject_name(x), NID_commonName, V_ASN1_UTF8STRING, "a\x1B[2Jb\x07\r\n\x7F", 10);
    d = finish(x, 1);
    xi = parse_once(&c, d.p, d.n);
    assert_true(xi->parsed);
    /* DN text: RFC 2253 hex escapes; CN value: as is (valid UTF-8), for the
     * caller to escape on output */
    assert_string_equal(xi->subject, "CN=a\\1B[2Jb\\07\\0D\\0A\\7F");
    assert_string_equal(xi->subject_cn[0], "a\x1B[2Jb\x07\r\n\x7F");
    assert_null(xi->parse_error);
    done(c, xi);
    free(d.p);
}

static void test_long_names(void **state)
{
    X509 *x = new_cert();
    size_t n = 100000;
    char *big = malloc(n);
    struct x509_cache *c;
    const struct x509_info *xi;
    struct der d;
    size_t len;

    (void)state;
    assert_non_null(big);
    memset(big, 'a', n);
    big[1] = '\xC3', big[2] = '\xA9';        /* é, so cutting must respect characters */
    for (size_t i = 3; i + 1 < n; i += 2)
        big[i] = '\xC3', big[i + 1] = '\xA9';
    add_raw(X509_get_subject_name(x), NID_commonName, V_ASN1_UTF8STRING, big, n);
    d = finish(x, 1);
    xi = parse_once(&c, d.p, d.n);
    assert_true(xi->parsed);
    len = strlen(xi->subject_cn[0]);
    assert_true(len <= TEXT_MAX + 3 && len >= TEXT_MAX - 3);
    assert_string_equal(xi->subject_cn[0] + len - 3, "...");
    assert_true(strlen(xi->subject) <= TEXT_MAX + 3);
    assert_string_equal(xi->subject + strlen(xi->subject) - 3, "...");
    assert_non_null(strstr(xi->parse_error, "cut"));
    done(c, xi);
    free(d.p);
    free(big);
}

static void test_many_cns(void **state)
{
    X509 *x = new_cert();
    char cn[32];
    struct x509_cache *c;
    const struct x509_info *xi;
    struct der d;

    (void)state;
    for (int i = 0; i < 100; i++) {
        snprintf(cn, sizeof(cn), "cn%d", i);
        add_raw(X509_get_subject_name(x), NID_commonName, V_ASN1_UTF8STRING, cn, strlen(cn));
    }
    d = finish(x, 1);
    xi = parse_once(&c, d.p, d.n);
    assert_true(xi->parsed);
    assert_int_equal(xi->nsubject_cn, X509_MAX_NAMES);
    assert_string_equal(xi->subject_cn[0], "cn0");
    assert_string_equal(xi->subject_cn[X509_MAX_NAMES - 1], "cn63");
    assert_non_null(strstr(xi->parse_error, "subject CN: 100 CNs, first 64 kept"));
    done(c, xi);
    free(d.p);
}

static void test_many_sans(void **state)
{
    X509 *x = new_cert();
    GENERAL_NAMES *g = GENERAL_NAMES_new();
    char name[48];
    struct x509_cache *c;
    const struct x509_info *xi;
    struct der d;

    (void)state;
    assert_non_null(g);
    push_name(g, GEN_EMAIL, "postmaster@example.test");     /* counted, not kept */
    push_name(g, GEN_IPADD, "198.51.100.7");
    for (int i = 0; i < 10000; i++) {
        snprintf(name, sizeof(name), "h%d.example.test", i);
        push_name(g, GEN_DNS, name);
    }
    add_sans(x, g);
    GENERAL_NAMES_free(g);
    add_raw(X509_get_subject_name(x), NID_commonName, V_ASN1_UTF8STRING, "many", 4);
    d = finish(x, 1);
    xi = parse_once(&c, d.p, d.n);
    assert_true(xi->parsed);
    assert_int_equal(xi->total_san, 10002);
    assert_int_equal(xi->nsan, X509_MAX_NAMES);
    assert_string_equal(xi->san[0], "198.51.100.7");
    assert_string_equal(xi->san[1], "h0.example.test");
    assert_string_equal(xi->san[X509_MAX_NAMES - 1], "h62.example.test");
    done(c, xi);
    free(d.p);
}

static void test_odd_sans(void **state)
{
    X509 *x = new_cert();
    GENERAL_NAMES *g = GENERAL_NAMES_new();
    GENERAL_NAME *gn = GENERAL_NAME_new();
    ASN1_OCTET_STRING *ip = ASN1_OCTET_STRING_new();
    ASN1_IA5STRING *dns = ASN1_IA5STRING_new();
    struct x509_cache *c;
    const struct x509_info *xi;
    struct der d;

    (void)state;
    /* an iPAddress of 5 bytes and a dNSName with a NUL and a byte >= 0x80 */
    assert_true(ASN1_OCTET_STRING_set(ip, (const unsigned char *)"\1\2\3\4\5", 5));
    GENERAL_NAME_set0_value(gn, GEN_IPADD, ip);
    assert_true(sk_GENERAL_NAME_push(g, gn) > 0);
    gn = GENERAL_NAME_new();
    assert_true(ASN1_STRING_set(dns, "a.test\0.evil\xE9", 13));
    GENERAL_NAME_set0_value(gn, GEN_DNS, dns);
    assert_true(sk_GENERAL_NAME_push(g, gn) > 0);
    push_name(g, GEN_IPADD, "2001:db8::1");
    add_sans(x, g);
    GENERAL_NAMES_free(g);
    d = finish(x, 1);
    xi = parse_once(&c, d.p, d.n);
    assert_true(xi->parsed);
    assert_int_equal(xi->total_san, 3);
    assert_int_equal(xi->nsan, 2);
    /* IA5String is read as Latin-1 by ASN1_STRING_to_UTF8 */
    assert_string_equal(xi->san[0], "a.test" REPLACEMENT ".evil\xC3\xA9");
    assert_string_equal(xi->san[1], "2001:db8::1");
    assert_non_null(strstr(xi->parse_error, "iPAddress of 5 bytes"));
    assert_string_equal(xi->subject, "");
    assert_int_equal(xi->nsubject_cn, 0);
    assert_null(xi->subject_cn);
    done(c, xi);
    free(d.p);
}

static void test_repeated_san_extension(void **state)
{
    X509 *x = new_cert();
    GENERAL_NAMES *g = GENERAL_NAMES_new();
    struct x509_cache *c;
    const struct x509_info *xi;
    struct der d;

    (void)state;
    push_name(g, GEN_DNS, "a.example.test");
    add_sans(x, g);
    add_sans(x, g);
    GENERAL_NAMES_free(g);
    d = finish(x, 1);
    xi = parse_once(&c, d.p, d.n);
    assert_true(xi->parsed);
    assert_int_equal(xi->nsan, 0);
    assert_non_null(strstr(xi->parse_error, "subjectAltName: more than one extension"));
    assert_non_null(strstr(xi->parse_error, "extensions: OpenSSL marks them invalid"));
    done(c, xi);
    free(d.p);
}

static void set_time(X509 *x, int after, int type, const char *text)
{
    ASN1_STRING *t = ASN1_STRING_type_new(type);

    assert_non_null(t);
    assert_true(ASN1_STRING_set(t, text, (int)strlen(text)));
    assert_true(after ? X509_set1_notAfter(x, t) : X509_set1_notBefore(x, t));
    ASN1_STRING_free(t);
}

static void test_times(void **state)
{
    struct x509_cache *c;
    const struct x509_info *xi;
    struct der d;
    X509 *x;

    (void)state;
    /* UTCTime 50 is 1950; GeneralizedTime 9999 */
    x = new_cert();
    set_time(x, 0, V_ASN1_UTCTIME, "500101000000Z");
    set_time(x, 1, V_ASN1_GENERALIZEDTIME, "99991231235959Z");
    d = finish(x, 1);
    xi = parse_once(&c, d.p, d.n);
    assert_true(xi->parsed);
    assert_int_equal(xi->not_before, -631152000);
    assert_int_equal(xi->not_after, 253402300799);
    assert_null(xi->parse_error);
    done(c, xi);
    free(d.p);

    /* UTCTime 49 is 2049; an invalid notAfter stays 0 with a note */
    x = new_cert();
    set_time(x, 0, V_ASN1_UTCTIME, "491231235959Z");
    set_time(x, 1, V_ASN1_UTCTIME, "XX0101000000Z");
    d = finish(x, 1);
    xi = parse_once(&c, d.p, d.n);
    assert_true(xi->parsed);
    assert_int_equal(xi->not_before, 2524607999);
    assert_int_equal(xi->not_after, 0);
    assert_string_equal(xi->parse_error, "notAfter: not a valid time");
    done(c, xi);
    free(d.p);

    /* a 13 month, and a GeneralizedTime with an empty body */
    x = new_cert();
    set_time(x, 0, V_ASN1_GENERALIZEDTIME, "20241301000000Z");
    set_time(x, 1, V_ASN1_GENERALIZEDTIME, "");
    d = finish(x, 1);
    xi = parse_once(&c, d.p, d.n);
    assert_true(xi->parsed);
    assert_int_equal(xi->not_before, 0);
    assert_int_equal(xi->not_after, 0);
    assert_string_equal(xi->parse_error, "notBefore: not a valid time; notAfter: not a valid time");
    done(c, xi);
    free(d.p);
}

static void test_serials(void **state)
{
    static const struct {
        long v;
        const char *hex;
    } cases[] = {{0, "00"}, {-1, "-01"}, {0xABCDEF, "ABCDEF"}, {0x80, "80"}};
    struct x509_cache *c;
    const struct x509_info *xi;

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        X509 *x = new_cert();
        struct der d;

        assert_true(ASN1_INTEGER_set(X509_get_serialNumber(x), cases[i].v));
        d = finish(x, 1);
        xi = parse_once(&c, d.p, d.n);
        assert_true(xi->parsed);
        assert_string_equal(xi->serial_hex, cases[i].hex);
        done(c, xi);
        free(d.p);
    }
}

/* find the last occurrence of |pat| in |d| */
static size_t find_last(const struct der *d, const uint8_t *pat, size_t n)
{
    for (size_t i = d->n - n + 1; i-- > 0;)
        if (memcmp(d->p + i, pat, n) == 0)
            return i;
    fail_msg("pattern not found");
    return 0;
}

static void test_unknown_algorithms(void **state)
{
    /* ecdsa-with-SHA256 1.2.840.10045.4.3.2, id-ecPublicKey 1.2.840.10045.2.1 */
    static const uint8_t sig_oid[] = {0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x02};
    static const uint8_t key_oid[] = {0x06, 0x07, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01};
    struct der d = load("leaf_ec");
    struct x509_cache *c;
    const struct x509_info *xi;

    (void)state;
    /* the outer signatureAlgorithm (the last one) becomes ...4.3.127 */
    d.p[find_last(&d, sig_oid, sizeof(sig_oid)) + sizeof(sig_oid) - 1] = 0x7F;
    /* the key's algorithm becomes ...2.127: OpenSSL keeps no key for it */
    d.p[find_last(&d, key_oid, sizeof(key_oid)) + sizeof(key_oid) - 1] = 0x7F;
    xi = parse_once(&c, d.p, d.n);
    assert_true(xi->parsed);
    assert_string_equal(xi->sig_alg, "1.2.840.10045.4.3.127");
    assert_string_equal(xi->key_alg, "1.2.840.10045.2.127");
    assert_int_equal(xi->key_bits, 0);
    assert_null(xi->key_curve);
    /* the SPKI is still hashed (as it is on the wire) */
    assert_string_not_equal(xi->spki_hex, X509_LEAF_EC_SPKI);
    assert_non_null(strstr(xi->parse_error, "public key: OpenSSL cannot decode it"));
    assert_string_equal(xi->subject, "CN=alt.example.test,CN=ec.example.test,O=Example");
    assert_false(xi->self_signed);
    done(c, xi);
    free(d.p);
}

/* ------------------------------------------------------- the cache */

static void test_cache_shared(void **state)
{
    struct der d = load("leaf_rsa");
    struct x509_cache *c = x509_cache_new(0);
    const struct x509_info *a, *b, *e;
    uint64_t parsed, hits;

    (void)state;
    assert_non_null(c);
    a = x509_cache_get(c, d.p, d.n);
    b = x509_cache_get(c, d.p, d.n);
    assert_non_null(a);
    assert_ptr_equal(a, b);
    assert_int_equal(a->refs, 2);
    x509_cache_stats(c, &parsed, &hits);
    assert_int_equal(parsed, 1);
    assert_int_equal(hits, 1);

    x509_cache_release(c, a);
    assert_int_equal(b->refs, 1);
    x509_cache_release(c, b);
    /* unused, still cached: the next session's lookup is a hit */
    a = x509_cache_get(c, d.p, d.n);
    assert_ptr_equal(a, b);
    assert_int_equal(a->refs, 1);
    x509_cache_stats(c, &parsed, &hits);
    assert_int_equal(parsed, 1);
    assert_int_equal(hits, 2);

    /* a different DER (the same certificate plus a byte) is another entry */
    d.p = realloc(d.p, d.n + 1);
    assert_non_null(d.p);
    d.p[d.n] = 0;
    e = x509_cache_get(c, d.p, d.n + 1);
    assert_ptr_not_equal(e, a);
    assert_false(e->parsed);
    x509_cache_release(c, e);
    x509_cache_release(c, a);

    /* releasing too often or a pointer from elsewhere changes nothing */
    x509_cache_release(c, a);
    x509_cache_release(c, NULL);
    x509_cache_release(NULL, a);
    x509_cache_stats(c, &parsed, &hits);
    assert_int_equal(parsed, 2);
    assert_int_equal(hits, 2);
    x509_cache_free(c);
    free(d.p);
}

static const struct x509_info *get_byte(struct x509_cache *c, uint8_t v)
{
    uint8_t buf[3] = {0x30, 0x01, v};   /* never a certificate */
    const struct x509_info *xi = x509_cache_get(c, buf, sizeof(buf));

    assert_non_null(xi);
    return xi;
}

static void use(struct x509_cache *c, uint8_t v)
{
    x509_cache_release(c, get_byte(c, v));
}

static void expect_stats(const struct x509_cache *c, uint64_t want_parsed, uint64_t want_hits)
{
    uint64_t parsed, hits;

    x509_cache_stats(c, &parsed, &hits);
    assert_int_equal(parsed, want_parsed);
    assert_int_equal(hits, want_hits);
}

static void test_cache_lru_eviction(void **state)
{
    struct x509_cache *c = x509_cache_new(2);

    (void)state;
    assert_non_null(c);
    use(c, 'A');
    use(c, 'B');
    use(c, 'A');                 /* A is now the most recently used */
    expect_stats(c, 2, 1);
    use(c, 'C');                 /* three unused, two kept: B goes */
    expect_stats(c, 3, 1);
    use(c, 'A');
    use(c, 'C');
    expect_stats(c, 3, 3);
    use(c, 'B');                 /* parsed again; evicts A (C was used after A) */
    expect_stats(c, 4, 3);
    use(c, 'C');
    expect_stats(c, 4, 4);
    use(c, 'A');
    expect_stats(c, 5, 4);
    x509_cache_free(c);
}

static void test_cache_in_use_kept(void **state)
{
    struct x509_cache *c = x509_cache_new(1);
    const struct x509_info *held[5];

    (void)state;
    assert_non_null(c);
    /* five in use at once: max_unused does not touch them */
    for (int i = 0; i < 5; i++)
        held[i] = get_byte(c, (uint8_t)i);
    for (int i = 0; i < 5; i++)
        assert_ptr_equal(get_byte(c, (uint8_t)i), held[i]);
    expect_stats(c, 5, 5);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(held[i]->refs, 2);
        x509_cache_release(c, held[i]);
    }
    /* once all are released only the last one (most recent) is kept */
    for (int i = 0; i < 5; i++)
        x509_cache_release(c, held[i]);
    use(c, 4);
    expect_stats(c, 5, 6);
    use(c, 0);
    expect_stats(c, 6, 6);
    x509_cache_free(c);
}

static void test_cache_many(void **state)
{
    enum { N = 5000 };
    struct x509_cache *c = x509_cache_new(0);   /* 4096 unused kept */
    const struct x509_info **held = calloc(N, sizeof(*held));
    uint8_t buf[4] = {0x30, 0x02};

    (void)state;
    assert_non_null(c);
    assert_non_null(held);
    /* enough entries for the table to grow several times */
    for (int i = 0; i < N; i++) {
        buf[2] = (uint8_t)(i >> 8), buf[3] = (uint8_t)i;
        held[i] = x509_cache_get(c, buf, sizeof(buf));
        assert_non_null(held[i]);
    }
    for (int i = 0; i < N; i++) {
        buf[2] = (uint8_t)(i >> 8), buf[3] = (uint8_t)i;
        assert_ptr_equal(x509_cache_get(c, buf, sizeof(buf)), held[i]);
        assert_int_equal(held[i]->der_len, 4);
    }
    expect_stats(c, N, N);
    for (int i = 0; i < N; i++) {
        x509_cache_release(c, held[i]);
        x509_cache_release(c, held[i]);
    }
    /* the first N - 4096 released were evicted, the rest are hits */
    for (int i = N - 1; i >= 0; i--) {
        buf[2] = (uint8_t)(i >> 8), buf[3] = (uint8_t)i;
        x509_cache_release(c, x509_cache_get(c, buf, sizeof(buf)));
        if (i == N - 4096)
            expect_stats(c, N, N + 4096);
    }
    expect_stats(c, N + (N - 4096), N + 4096);
    x509_cache_free(c);
    free(held);
}

static void test_cache_free_with_refs(void **state)
{
    struct der d = load("root");
    struct x509_cache *c = x509_cache_new(0);

    (void)state;
    /* a caller that forgot to release: still no leak (ASan checks) */
    assert_non_null(x509_cache_get(c, d.p, d.n));
    assert_non_null(get_byte(c, 1));
    x509_cache_free(c);
    x509_cache_free(NULL);
    x509_cache_stats(NULL, NULL, NULL);
    assert_null(x509_cache_get(NULL, d.p, d.n));
    free(d.p);
}

/* ------------------------------------------------------- the rest */

static void test_dn_text(void **state)
{
    struct der d = load("utf8");
    const unsigned char *p = d.p;
    X509 *x = d2i_X509(NULL, &p, (long)d.n);
    unsigned char *dn = NULL;
    int n;
    char *s;
    uint8_t *more;

    (void)state;
    assert_non_null(x);
    n = i2d_X509_NAME(X509_get_subject_name(x), &dn);
    assert_true(n > 0);
    s = x509_dn_text(dn, (size_t)n);
    assert_string_equal(s, "CN=\xC3\xBCmlaut.example.test,OU=esc\\1B[31mred,"
                           "O=Gr\xC3\xBC\xC3\x9F" "e GmbH,C=DE");
    free(s);
    /* truncated, trailing bytes, garbage, nothing */
    assert_null(x509_dn_text(dn, (size_t)n - 1));
    more = malloc((size_t)n + 1);
    assert_non_null(more);
    memcpy(more, dn, (size_t)n);
    more[n] = 0;
    assert_null(x509_dn_text(more, (size_t)n + 1));
    assert_null(x509_dn_text((const uint8_t *)"\x04\x02hi", 4));
    assert_null(x509_dn_text(NULL, 0));
    assert_null(x509_dn_text(dn, 0));
    /* the empty DN (SEQUENCE {}) is "" */
    s = x509_dn_text((const uint8_t *)"\x30\x00", 2);
    assert_string_equal(s, "");
    free(s);
    assert_int_equal(ERR_peek_error(), 0);
    free(more);
    OPENSSL_free(dn);
    X509_free(x);
    free(d.p);
}

/* JA4 from its raw form, with the worked example of FoxIO's JA4.md: the
 * sorted cipher list hashes to 8daaf6152771, the extension list with the
 * signature algorithms to e5627efa2ab1 and without them to 6d807ffa2a79;
 * an empty list is twelve zeros. */
static void test_ja4(void **state)
{
    char out[X509_JA4_LEN + 1];
    const char *ex = "t13d1516h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,"
                     "c030,cca8,cca9_0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,"
                     "0033,4469,ff01";

    (void)state;
    for (int round = 0; round < 2; round++) {   /* the second from the memo */
        char raw[512];

        snprintf(raw, sizeof(raw), "%s_0403,0804,0401,0503,0805,0501,0806,0601", ex);
        assert_true(x509_ja4(raw, out));
        assert_string_equal(out, "t13d1516h2_8daaf6152771_e5627efa2ab1");
        assert_true(x509_ja4(ex, out));
        assert_string_equal(out, "t13d1516h2_8daaf6152771_6d807ffa2a79");
    }
    assert_true(x509_ja4("ts3i010000_002f_", out));   /* printf 002f | sha256sum */
    assert_string_equal(out + 10, "_ba72b8082249_000000000000");
    assert_true(x509_ja4("t12i000000__", out));
    assert_string_equal(out, "t12i000000_000000000000_000000000000");
    assert_false(x509_ja4("", out));
    assert_string_equal(out, "");
    assert_false(x509_ja4("t13d1516h2", out));
    assert_false(x509_ja4("t13d1516h2_002f", out));
    assert_false(x509_ja4("t13d1516h_002f_", out));
}

static void test_digests(void **state)
{
    char h[65], m[33];
    static const char ja3[] = "769,47-53-5-10-49161-49162-49171-49172-50-56-19-4,0-10-11,23-24-25,0";

    (void)state;
    x509_sha256_hex((const uint8_t *)"", 0, h);
    assert_string_equal(h, "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855");
    x509_sha256_hex(NULL, 0, h);
    assert_string_equal(h, "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855");
    x509_sha256_hex((const uint8_t *)"abc", 3, h);
    assert_string_equal(h, "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD");
    x509_md5_hex((const uint8_t *)"", 0, m);
    assert_string_equal(m, "d41d8cd98f00b204e9800998ecf8427e");
    x509_md5_hex((const uint8_t *)"abc", 3, m);
    assert_string_equal(m, "900150983cd24fb0d6963f7d28e17f72");
    /* the example in the JA3 README */
    x509_md5_hex((const uint8_t *)ja3, sizeof(ja3) - 1, m);
    assert_string_equal(m, "ada70206e40642a3e4461f35503241d5");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_root),
        cmocka_unit_test(test_intermediate),
        cmocka_unit_test(test_leaf_rsa),
        cmocka_unit_test(test_leaf_ec_two_cns),
        cmocka_unit_test(test_self_signed),
        cmocka_unit_test(test_expired),
        cmocka_unit_test(test_weak_rsa1024),
        cmocka_unit_test(test_sha1_signature),
        cmocka_unit_test(test_utf8_and_escape),
        cmocka_unit_test(test_v1_and_self_issued),
        cmocka_unit_test(test_pem_and_x509_kept),
        cmocka_unit_test(test_garbage_not_parsed),
        cmocka_unit_test(test_mutations),
        cmocka_unit_test(test_nul_in_cn),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_undecodable_string_type),
        cmocka_unit_test(test_other_string_types),
        cmocka_unit_test(test_control_chars),
        cmocka_unit_test(test_long_names),
        cmocka_unit_test(test_many_cns),
        cmocka_unit_test(test_many_sans),
        cmocka_unit_test(test_odd_sans),
        cmocka_unit_test(test_repeated_san_extension),
        cmocka_unit_test(test_times),
        cmocka_unit_test(test_serials),
        cmocka_unit_test(test_unknown_algorithms),
        cmocka_unit_test(test_cache_shared),
        cmocka_unit_test(test_cache_lru_eviction),
        cmocka_unit_test(test_cache_in_use_kept),
        cmocka_unit_test(test_cache_many),
        cmocka_unit_test(test_cache_free_with_refs),
        cmocka_unit_test(test_dn_text),
        cmocka_unit_test(test_digests),
        cmocka_unit_test(test_ja4),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
