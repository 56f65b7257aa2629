/*
 * test_weak.c - strength checks: every class and every boundary.
 *
 * Key and signature checks run on hand-built x509_info (the fields x509.c
 * fills) and on certificates built here with OpenSSL, where the signature's
 * hash comes from OpenSSL rather than from the algorithm's name (RSASSA-PSS
 * hides it in the parameters).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "analyze/names.h"
#include "analyze/weak.h"
#include "analyze/x509.h"
#include "tests/x509_take.h"
#include "dissect/tls.h"
#include "dissect/tls_suite.h"

static void assert_contains(const char *s, const char *sub)
{
    if (strstr(s, sub) == NULL)
        fail_msg("\"%s\" does not contain \"%s\"", s, sub);
}

/* ------------------------------------------------------------------ keys */

static char s_rsa[] = "RSA", s_dsa[] = "DSA", s_ec[] = "EC", s_ed25519[] = "ED25519",
            s_ed448[] = "ED448", s_dh[] = "DH", s_pss[] = "RSASSA-PSS", s_p192[] = "prime192v1";

static struct x509_info key_info(char *alg, int bits)
{
    struct x509_info xi;

    memset(&xi, 0, sizeof(xi));
    xi.parsed = true;
    xi.key_alg = alg;
    xi.key_bits = bits;
    xi.version = 3;
    return xi;
}

static enum severity key_sev(char *alg, int bits, char *reason, size_t len)
{
    struct x509_info xi = key_info(alg, bits);

    return weak_key(&xi, reason, len);
}

static void test_key_rsa_dsa_boundaries(void **state)
{
    char r[128];

    (void)state;
    assert_int_equal(key_sev(s_rsa, 512, r, sizeof(r)), SEV_HIGH);
    assert_int_equal(key_sev(s_rsa, 1023, r, sizeof(r)), SEV_HIGH);
    assert_string_equal(r, "RSA key of 1023 bits (below 1024)");
    assert_int_equal(key_sev(s_rsa, 1024, r, sizeof(r)), SEV_MEDIUM);
    assert_string_equal(r, "RSA key of 1024 bits (below 2048)");
    assert_int_equal(key_sev(s_rsa, 2047, r, sizeof(r)), SEV_MEDIUM);
    assert_int_equal(key_sev(s_rsa, 2048, r, sizeof(r)), SEV_NONE);
    assert_string_equal(r, "");
    assert_int_equal(key_sev(s_rsa, 4096, r, sizeof(r)), SEV_NONE);
    assert_int_equal(key_sev(s_pss, 1024, r, sizeof(r)), SEV_MEDIUM);
    assert_int_equal(key_sev(s_dsa, 1023, r, sizeof(r)), SEV_HIGH);
    assert_int_equal(key_sev(s_dsa, 1024, r, sizeof(r)), SEV_MEDIUM);
    assert_string_equal(r, "DSA key of 1024 bits (below 2048)");
    assert_int_equal(key_sev(s_dsa, 2048, r, sizeof(r)), SEV_NONE);
    assert_int_equal(key_sev(s_dh, 1536, r, sizeof(r)), SEV_MEDIUM);
}

static void test_key_ec_boundaries(void **state)
{
    char r[128];
    struct x509_info xi;

    (void)state;
    assert_int_equal(key_sev(s_ec, 112, r, sizeof(r)), SEV_HIGH);
    assert_int_equal(key_sev(s_ec, 159, r, sizeof(r)), SEV_HIGH);
    assert_int_equal(key_sev(s_ec, 160, r, sizeof(r)), SEV_MEDIUM);
    assert_int_equal(key_sev(s_ec, 223, r, sizeof(r)), SEV_MEDIUM);
    assert_string_equal(r, "EC key of 223 bits (below 224)");
    assert_int_equal(key_sev(s_ec, 224, r, sizeof(r)), SEV_NONE);
    assert_int_equal(key_sev(s_ec, 256, r, sizeof(r)), SEV_NONE);
    assert_int_equal(key_sev(s_ec, 521, r, sizeof(r)), SEV_NONE);
    xi = key_info(s_ec, 192);
    xi.key_curve = s_p192;
    assert_int_equal(weak_key(&xi, r, sizeof(r)), SEV_MEDIUM);
    assert_string_equal(r, "EC key of 192 bits on prime192v1 (below 224)");
}

static void test_key_other(void **state)
{
    char r[128];
    struct x509_info xi;

    (void)state;
    assert_int_equal(key_sev(s_ed25519, 253, r, sizeof(r)), SEV_NONE);
    assert_int_equal(key_sev(s_ed448, 456, r, sizeof(r)), SEV_NONE);
    assert_int_equal(key_sev(s_rsa, 0, r, sizeof(r)), SEV_NONE);   /* size unknown */
    assert_string_equal(r, "");
    xi = key_info(s_rsa, 512);
    xi.parsed = false;
    assert_int_equal(weak_key(&xi, r, sizeof(r)), SEV_NONE);
    xi = key_info(NULL, 512);
    assert_int_equal(weak_key(&xi, r, sizeof(r)), SEV_NONE);
    assert_int_equal(weak_key(NULL, r, sizeof(r)), SEV_NONE);
    /* no buffer, or a short one */
    assert_int_equal(key_sev(s_rsa, 512, NULL, 0), SEV_HIGH);
    assert_int_equal(key_sev(s_rsa, 512, r, 8), SEV_HIGH);
    assert_string_equal(r, "RSA key");
}

/* ------------------------------------------------------------ signatures */

static enum severity sig_sev(const char *alg, bool self_signed, bool is_ca, int version,
                             bool anchor, char *r, size_t len)
{
    char buf[64];
    struct x509_info xi;

    memset(&xi, 0, sizeof(xi));
    snprintf(buf, sizeof(buf), "%s", alg);
    xi.parsed = true;
    xi.sig_alg = buf;
    xi.self_signed = self_signed;
    xi.self_issued = self_signed;
    xi.is_ca = is_ca;
    xi.version = version;
    return weak_signature(&xi, anchor, r, len);
}

static void test_signature_by_name(void **state)
{
    char r[160];

    (void)state;
    assert_int_equal(sig_sev("md5WithRSAEncryption", false, false, 3, false, r, sizeof(r)), SEV_HIGH);
    assert_string_equal(r, "signed with MD5 (md5WithRSAEncryption)");
    assert_int_equal(sig_sev("md2WithRSAEncryption", false, true, 3, false, r, sizeof(r)), SEV_HIGH);
    assert_contains(r, "MD2");
    assert_int_equal(sig_sev("md4WithRSAEncryption", false, false, 3, false, r, sizeof(r)), SEV_HIGH);
    assert_int_equal(sig_sev("shaWithRSAEncryption", false, false, 3, false, r, sizeof(r)), SEV_HIGH);
    assert_contains(r, "SHA-0");
    assert_int_equal(sig_sev("sha1WithRSAEncryption", false, false, 3, false, r, sizeof(r)),
                     SEV_MEDIUM);
    assert_string_equal(r, "signed with SHA-1 (sha1WithRSAEncryption)");
    assert_int_equal(sig_sev("ecdsa-with-SHA1", false, false, 3, false, r, sizeof(r)), SEV_MEDIUM);
    assert_int_equal(sig_sev("dsaWithSHA1", false, true, 3, false, r, sizeof(r)), SEV_MEDIUM);
    assert_int_equal(sig_sev("sha256WithRSAEncryption", false, false, 3, false, r, sizeof(r)),
                     SEV_NONE);
    assert_string_equal(r, "");
    assert_int_equal(sig_sev("ecdsa-with-SHA384", false, false, 3, false, r, sizeof(r)), SEV_NONE);
    assert_int_equal(sig_sev("ED25519", false, false, 3, false, r, sizeof(r)), SEV_NONE);
    assert_int_equal(sig_sev("1.2.3.4.5", false, false, 3, false, r, sizeof(r)), SEV_NONE);
}

static void test_signature_on_roots(void **state)
{
    char r[160];

    (void)state;
    /* SHA-1 on a self-signed root: its signature is never checked */
    assert_int_equal(sig_sev("sha1WithRSAEncryption", true, true, 3, false, r, sizeof(r)), SEV_NONE);
    assert_string_equal(r, "");
    /* ... nor on an old v1 root, which cannot say CA:TRUE */
    assert_int_equal(sig_sev("md2WithRSAEncryption", true, false, 1, false, r, sizeof(r)), SEV_NONE);
    /* ... nor on any trust anchor (an intermediate in --ca-file) */
    assert_int_equal(sig_sev("sha1WithRSAEncryption", false, true, 3, true, r, sizeof(r)), SEV_NONE);
    assert_int_equal(sig_sev("md5WithRSAEncryption", false, false, 3, true, r, sizeof(r)), SEV_NONE);
    /* a self-signed leaf (v3, not a CA) is not a root */
    assert_int_equal(sig_sev("sha1WithRSAEncryption", true, false, 3, false, r, sizeof(r)),
                     SEV_MEDIUM);
    /* SHA-1 on an intermediate or a leaf */
    assert_int_equal(sig_sev("sha1WithRSAEncryption", false, true, 3, false, r, sizeof(r)),
                     SEV_MEDIUM);
    assert_int_equal(weak_signature(NULL, false, r, sizeof(r)), SEV_NONE);
}

/* real certificates: the hash comes from OpenSSL */

static const struct x509_info *cert_signed(struct x509_cache *xc, EVP_PKEY *key, const EVP_MD *md,
                                           bool pss, bool self_ca)
{
    X509 *x = X509_new();
    X509_NAME *nm;

    assert_non_null(x);
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
    nm = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC, (const unsigned char *)"weak.unit.test", -1,
                               -1, 0);
    if (self_ca) {
        X509V3_CTX v;
        X509_EXTENSION *e;

        X509V3_set_ctx(&v, x, x, NULL, NULL, 0);
        e = X509V3_EXT_conf_nid(NULL, &v, NID_basic_constraints, "critical,CA:TRUE");
        assert_non_null(e);
        X509_add_ext(x, e, -1);
        X509_EXTENSION_free(e);
        X509_set_issuer_name(x, nm);
    } else {
        X509_NAME *iss = X509_NAME_new();

        X509_NAME_add_entry_by_txt(iss, "CN", MBSTRING_ASC, (const unsigned char *)"Some CA", -1,
                                   -1, 0);
        X509_set_issuer_name(x, iss);
        X509_NAME_free(iss);
    }
    ASN1_TIME_set(X509_getm_notBefore(x), 1577836800);
    ASN1_TIME_set(X509_getm_notAfter(x), 1893456000);
    X509_set_pubkey(x, key);
    if (pss) {
        EVP_MD_CTX *mctx = EVP_MD_CTX_new();
        EVP_PKEY_CTX *pctx = NULL;

        assert_int_equal(EVP_DigestSignInit(mctx, &pctx, md, NULL, key), 1);
        assert_true(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) > 0);
        assert_true(X509_sign_ctx(x, mctx) > 0);
        EVP_MD_CTX_free(mctx);
    } else {
        assert_true(X509_sign(x, key, md) > 0);
    }
    return x509_take(xc, x);
}

static void test_signature_real(void **state)
{
    struct x509_cache *xc = x509_cache_new(0);
    EVP_PKEY *ec = EVP_EC_gen("P-256");
    EVP_PKEY *rsa = EVP_RSA_gen(1024);
    const struct x509_info *xi;
    char r[160];

    (void)state;
    assert_non_null(xc);
    assert_non_null(ec);
    assert_non_null(rsa);

    xi = cert_signed(xc, ec, EVP_sha1(), false, false);
    assert_string_equal(xi->sig_alg, "ecdsa-with-SHA1");
    assert_int_equal(weak_signature(xi, false, r, sizeof(r)), SEV_MEDIUM);
    assert_string_equal(r, "signed with SHA-1 (ecdsa-with-SHA1)");
    assert_int_equal(weak_key(xi, r, sizeof(r)), SEV_NONE);
    x509_cache_release(xc, xi);

    xi = cert_signed(xc, ec, EVP_sha1(), false, true);   /* a self-signed root */
    assert_true(xi->self_signed);
    assert_int_equal(weak_signature(xi, false, r, sizeof(r)), SEV_NONE);
    x509_cache_release(xc, xi);

    xi = cert_signed(xc, ec, EVP_sha256(), false, false);
    assert_int_equal(weak_signature(xi, false, r, sizeof(r)), SEV_NONE);
    x509_cache_release(xc, xi);

    /* RSASSA-PSS: the name says nothing of the hash, OpenSSL does */
    xi = cert_signed(xc, rsa, EVP_sha1(), true, false);
    assert_string_equal(xi->sig_alg, "rsassaPss");
    assert_int_equal(weak_signature(xi, false, r, sizeof(r)), SEV_MEDIUM);
    assert_contains(r, "SHA-1");
    assert_int_equal(weak_key(xi, r, sizeof(r)), SEV_MEDIUM);
    assert_string_equal(r, "RSA key of 1024 bits (below 2048)");
    x509_cache_release(xc, xi);

    xi = cert_signed(xc, rsa, EVP_md5(), false, false);
    assert_string_equal(xi->sig_alg, "md5WithRSAEncryption");
    assert_int_equal(weak_signature(xi, false, r, sizeof(r)), SEV_HIGH);
    assert_int_equal(weak_signature(xi, true, r, sizeof(r)), SEV_NONE);
    x509_cache_release(xc, xi);

    EVP_PKEY_free(ec);
    EVP_PKEY_free(rsa);
    x509_cache_free(xc);
}

/* ---------------------------------------------------------- key exchange */

static enum severity dh(int kind, uint16_t group, unsigned bits, char *r, size_t len)
{
    struct tls_key_exchange kx;

    memset(&kx, 0, sizeof(kx));
    kx.kind = kind;
    kx.group = group;
    kx.bits = bits;
    return weak_dh(&kx, r, len);
}

static void test_dh(void **state)
{
    char r[128];

    (void)state;
    assert_int_equal(dh(TLS_KX_DHE, 0, 512, r, sizeof(r)), SEV_HIGH);
    assert_int_equal(dh(TLS_KX_DHE, 0, 1023, r, sizeof(r)), SEV_HIGH);
    assert_string_equal(r, "DH group of 1023 bits (below 1024)");
    assert_int_equal(dh(TLS_KX_DHE, 0, 1024, r, sizeof(r)), SEV_MEDIUM);
    assert_string_equal(r, "DH group of 1024 bits (below 2048)");
    assert_int_equal(dh(TLS_KX_DHE, 0, 2047, r, sizeof(r)), SEV_MEDIUM);
    assert_int_equal(dh(TLS_KX_DHE, 0, 2048, r, sizeof(r)), SEV_NONE);
    assert_string_equal(r, "");
    assert_int_equal(dh(TLS_KX_DHE, 0, 4096, r, sizeof(r)), SEV_NONE);
    assert_int_equal(dh(TLS_KX_DHE, 0, 0, r, sizeof(r)), SEV_NONE);
}

static void test_ecdh(void **state)
{
    char r[128];

    (void)state;
    assert_int_equal(dh(TLS_KX_ECDHE, 16, 160, r, sizeof(r)), SEV_MEDIUM);   /* secp160r1 */
    assert_string_equal(r, "curve secp160r1 of 160 bits (below 224)");
    assert_int_equal(dh(TLS_KX_ECDHE, 1, 163, r, sizeof(r)), SEV_MEDIUM);    /* sect163k1 */
    assert_contains(r, "sect163k1");
    assert_int_equal(dh(TLS_KX_ECDHE, 19, 192, r, sizeof(r)), SEV_MEDIUM);   /* secp192r1 */
    assert_int_equal(dh(TLS_KX_ECDHE, 21, 224, r, sizeof(r)), SEV_NONE);     /* secp224r1 */
    assert_int_equal(dh(TLS_KX_ECDHE, 23, 256, r, sizeof(r)), SEV_NONE);     /* secp256r1 */
    assert_int_equal(dh(TLS_KX_ECDHE, 29, 256, r, sizeof(r)), SEV_NONE);     /* x25519 */
    assert_int_equal(dh(TLS_KX_ECDHE, 0x1234, 223, r, sizeof(r)), SEV_MEDIUM);
    assert_string_equal(r, "curve 0x1234 of 223 bits (below 224)");
    assert_int_equal(dh(TLS_KX_ECDHE, 0x1234, 159, r, sizeof(r)), SEV_HIGH);
    assert_int_equal(dh(TLS_KX_ECDHE, 0x1234, 0, r, sizeof(r)), SEV_NONE);   /* unknown curve */
    /* explicit parameters (group 0): deprecated, and judged by size */
    assert_int_equal(dh(TLS_KX_ECDHE, 0, 256, r, sizeof(r)), SEV_LOW);
    assert_contains(r, "explicit curve parameters");
    assert_int_equal(dh(TLS_KX_ECDHE, 0, 192, r, sizeof(r)), SEV_MEDIUM);
    assert_contains(r, "explicit curve of 192 bits");
    assert_int_equal(dh(TLS_KX_UNKNOWN, 0, 512, r, sizeof(r)), SEV_NONE);
    assert_int_equal(weak_dh(NULL, r, sizeof(r)), SEV_NONE);
}

/* --------------------------------------------------------------- protocol */

static void test_protocol(void **state)
{
    char r[128];

    (void)state;
    assert_int_equal(weak_protocol(0x0002, r, sizeof(r)), SEV_HIGH);
    assert_contains(r, "SSL 2.0");
    assert_int_equal(weak_protocol(0x0300, r, sizeof(r)), SEV_HIGH);
    assert_string_equal(r, "SSL 3.0 (prohibited by RFC 7568)");
    assert_int_equal(weak_protocol(0x0301, r, sizeof(r)), SEV_MEDIUM);
    assert_string_equal(r, "TLS 1.0 (deprecated by RFC 8996)");
    assert_int_equal(weak_protocol(0x0302, r, sizeof(r)), SEV_MEDIUM);
    assert_contains(r, "TLS 1.1");
    assert_int_equal(weak_protocol(0x0303, r, sizeof(r)), SEV_NONE);
    assert_string_equal(r, "");
    assert_int_equal(weak_protocol(0x0304, r, sizeof(r)), SEV_NONE);
    assert_int_equal(weak_protocol(0xFEFF, r, sizeof(r)), SEV_MEDIUM);
    assert_int_equal(weak_protocol(0xFEFD, r, sizeof(r)), SEV_NONE);
    assert_int_equal(weak_protocol(0x7F1C, r, sizeof(r)), SEV_NONE);   /* a TLS 1.3 draft */
    assert_int_equal(weak_protocol(0x0000, r, sizeof(r)), SEV_NONE);
}

/* A short buffer gets the reason cut as snprintf cuts it, and a check that
 * finds nothing empties a reason left by an earlier one. */
static void test_reason_buffer(void **state)
{
    char r[128], small[10], full[128];

    (void)state;
    assert_int_equal(weak_protocol(0x0300, small, 8), SEV_HIGH);
    assert_string_equal(small, "SSL 3.0");
    assert_int_equal(weak_protocol(0x0300, small, 1), SEV_HIGH);
    assert_string_equal(small, "");
    assert_int_equal(weak_protocol(0x0301, NULL, 0), SEV_MEDIUM);
    memset(small, 'x', sizeof(small));
    assert_int_equal(weak_protocol(0x0301, small, 0), SEV_MEDIUM);
    assert_int_equal(small[0], 'x');
    assert_int_equal(dh(TLS_KX_DHE, 0, 1023, small, sizeof(small)), SEV_HIGH);
    memcpy(full, "DH group of 1023 bits (below 1024)", sizeof(small) - 1);
    full[sizeof(small) - 1] = '\0';
    assert_string_equal(small, full);
    assert_int_equal(dh(TLS_KX_ECDHE, 16, 160, r, sizeof(r)), SEV_MEDIUM);
    assert_int_equal(dh(TLS_KX_ECDHE, 29, 256, r, sizeof(r)), SEV_NONE);
    assert_string_equal(r, "");
    assert_int_equal(dh(TLS_KX_DHE, 0, 1023, r, sizeof(r)), SEV_HIGH);
    assert_int_equal(dh(TLS_KX_DHE, 0, 3072, r, sizeof(r)), SEV_NONE);
    assert_string_equal(r, "");
    assert_int_equal(weak_protocol(0x0301, r, sizeof(r)), SEV_MEDIUM);
    assert_int_equal(weak_protocol(0x0303, r, sizeof(r)), SEV_NONE);
    assert_string_equal(r, "");
}

/* ---------------------------------------------------------------- ciphers */

static enum severity cs(uint16_t id, char *r)
{
    return weak_cipher(id, r, 200);
}

static void test_cipher_classes(void **state)
{
    char r[200];

    (void)state;
    /* high: no encryption, no authentication, export */
    assert_int_equal(cs(0x0000, r), SEV_HIGH);
    assert_string_equal(r, "no authentication, no encryption (NULL cipher)");
    assert_int_equal(cs(0x0001, r), SEV_HIGH);             /* RSA_WITH_NULL_MD5 */
    assert_string_equal(r, "no encryption (NULL cipher)");
    assert_int_equal(cs(0x003B, r), SEV_HIGH);             /* RSA_WITH_NULL_SHA256 */
    assert_int_equal(cs(0xC0B4, r), SEV_HIGH);             /* TLS_SHA256_SHA256 */
    assert_contains(r, "integrity-only");
    assert_int_equal(cs(0x0018, r), SEV_HIGH);             /* DH_anon_WITH_RC4_128_MD5 */
    assert_string_equal(r, "anonymous key exchange (server not authenticated), "
                           "RC4 (prohibited by RFC 7465)");
    assert_int_equal(cs(0x0034, r), SEV_HIGH);             /* DH_anon AES_128_CBC_SHA */
    assert_contains(r, "anonymous");
    assert_int_equal(cs(0xC018, r), SEV_HIGH);             /* ECDH_anon AES_128_CBC_SHA */
    assert_int_equal(cs(0x00A6, r), SEV_HIGH);             /* DH_anon AES_128_GCM */
    assert_string_equal(r, "anonymous key exchange (server not authenticated)");
    assert_int_equal(cs(0xC015, r), SEV_HIGH);             /* ECDH_anon_WITH_NULL_SHA */
    assert_int_equal(cs(0x0003, r), SEV_HIGH);             /* RSA_EXPORT_WITH_RC4_40_MD5 */
    assert_string_equal(r, "export-grade cryptography, RC4 (prohibited by RFC 7465)");
    assert_int_equal(cs(0x0006, r), SEV_HIGH);             /* export RC2 */
    assert_int_equal(cs(0x0014, r), SEV_HIGH);             /* DHE_RSA_EXPORT DES40 */
    assert_int_equal(cs(0x0064, r), SEV_HIGH);             /* RSA_EXPORT1024_WITH_RC4_56_SHA */
    assert_int_equal(cs(0x0026, r), SEV_HIGH);             /* KRB5_EXPORT */
    assert_string_equal(r, "export-grade cryptography, single DES (56-bit key or less)");
    assert_int_equal(cs(0x0017, r), SEV_HIGH);             /* DH_anon_EXPORT_WITH_RC4_40_MD5 */
    assert_string_equal(r, "anonymous key exchange (server not authenticated), "
                           "export-grade cryptography, RC4 (prohibited by RFC 7465)");

    /* medium: RC4, DES, 3DES, IDEA, RC2, 64-bit GOST */
    assert_int_equal(cs(0x0005, r), SEV_MEDIUM);
    assert_string_equal(r, "RC4 (prohibited by RFC 7465)");
    assert_int_equal(cs(0x0004, r), SEV_MEDIUM);
    assert_int_equal(cs(0xC011, r), SEV_MEDIUM);           /* ECDHE_RSA RC4 */
    assert_int_equal(cs(0x000A, r), SEV_MEDIUM);
    assert_string_equal(r, "3DES (64-bit block, Sweet32)");
    assert_int_equal(cs(0xC012, r), SEV_MEDIUM);
    assert_int_equal(cs(0x0009, r), SEV_MEDIUM);
    assert_contains(r, "single DES");
    assert_int_equal(cs(0x0007, r), SEV_MEDIUM);
    assert_contains(r, "IDEA");
    assert_int_equal(cs(0x001E, r), SEV_MEDIUM);           /* KRB5 DES */
    assert_int_equal(cs(0xC01A, r), SEV_MEDIUM);           /* SRP 3DES */
    assert_int_equal(cs(0xC102, r), SEV_MEDIUM);           /* GOST 28147 */
    assert_int_equal(cs(0xC104, r), SEV_MEDIUM);           /* Magma MGM */
    assert_string_equal(r, "GOST 64-bit block cipher (Sweet32)");
    assert_int_equal(cs(0xFEFF, r), SEV_MEDIUM);           /* SSL_RSA_FIPS_WITH_3DES */

    /* low: CBC with HMAC-SHA1 */
    assert_int_equal(cs(0x002F, r), SEV_LOW);
    assert_string_equal(r, "CBC mode with HMAC-SHA1 (no AEAD)");
    assert_int_equal(cs(0x0035, r), SEV_LOW);
    assert_int_equal(cs(0xC013, r), SEV_LOW);
    assert_int_equal(cs(0xC00A, r), SEV_LOW);
    assert_int_equal(cs(0x0041, r), SEV_LOW);              /* CAMELLIA_128_CBC_SHA */
    assert_int_equal(cs(0x0096, r), SEV_LOW);              /* SEED_CBC_SHA */
    assert_int_equal(cs(0x008C, r), SEV_LOW);              /* PSK AES CBC SHA */

    /* none: AEAD, CBC with SHA-2, TLS 1.3 */
    assert_int_equal(cs(0x009C, r), SEV_NONE);
    assert_string_equal(r, "");
    assert_int_equal(cs(0xC02F, r), SEV_NONE);
    assert_int_equal(cs(0xCCA8, r), SEV_NONE);
    assert_int_equal(cs(0x003C, r), SEV_NONE);             /* AES_128_CBC_SHA256 */
    assert_int_equal(cs(0xC028, r), SEV_NONE);             /* CBC_SHA384 */
    assert_int_equal(cs(0xC09C, r), SEV_NONE);             /* AES_128_CCM */
    assert_int_equal(cs(0xC0A0, r), SEV_NONE);             /* CCM_8 */
    assert_int_equal(cs(0x1301, r), SEV_NONE);
    assert_int_equal(cs(0x1302, r), SEV_NONE);
    assert_int_equal(cs(0x1303, r), SEV_NONE);
    assert_int_equal(cs(0x1304, r), SEV_NONE);
    assert_int_equal(cs(0x1305, r), SEV_NONE);
    assert_int_equal(cs(0x00C6, r), SEV_NONE);             /* TLS_SM4_GCM_SM3 */
    assert_int_equal(cs(0xC100, r), SEV_NONE);             /* Kuznyechik */
    assert_int_equal(cs(0xD001, r), SEV_NONE);

    /* unknown, GREASE and signalling values */
    assert_int_equal(cs(0x00FF, r), SEV_NONE);
    assert_string_equal(r, "");
    assert_int_equal(cs(0x5600, r), SEV_NONE);
    assert_int_equal(cs(0x0A0A, r), SEV_NONE);
    assert_int_equal(cs(0xFFFF, r), SEV_NONE);
    assert_int_equal(cs(0x1300, r), SEV_NONE);
    assert_string_equal(r, "");

    /* buffers */
    assert_int_equal(weak_cipher(0x0018, NULL, 0), SEV_HIGH);
    assert_int_equal(weak_cipher(0x0018, r, 12), SEV_HIGH);
    assert_string_equal(r, "anonymous k");
}

static void test_cipher_names(void **state)
{
    (void)state;
    /* names_cipher's table first, then the registry entries it lacks */
    assert_string_equal(weak_cipher_name(0x002F), names_cipher(0x002F));
    assert_string_equal(weak_cipher_name(0x001E), "TLS_KRB5_WITH_DES_CBC_SHA");
    assert_string_equal(weak_cipher_name(0x0096), "TLS_RSA_WITH_SEED_CBC_SHA");
    assert_string_equal(weak_cipher_name(0x1304), "TLS_AES_128_CCM_SHA256");
    assert_string_equal(weak_cipher_name(0xC03C), "TLS_RSA_WITH_ARIA_128_CBC_SHA256");
    assert_string_equal(weak_cipher_name(0xC093), "TLS_RSA_PSK_WITH_CAMELLIA_256_GCM_SHA384");
    assert_string_equal(weak_cipher_name(0xC0B5), "TLS_SHA384_SHA384");
    assert_string_equal(weak_cipher_name(0xD005), "TLS_ECDHE_PSK_WITH_AES_128_CCM_SHA256");
    assert_string_equal(weak_cipher_name(0xFEFE), "SSL_RSA_FIPS_WITH_DES_CBC_SHA");
    assert_null(weak_cipher_name(0x0A0A));
    assert_null(weak_cipher_name(0xD004));
    /* one table: the names weak_cipher judges are the report's */
    for (unsigned id = 0; id <= 0xFFFF; id++) {
        const char *a = weak_cipher_name((uint16_t)id), *b = names_cipher((uint16_t)id);

        if (a != b)
            fail_msg("0x%04X: weak_cipher_name %s, names_cipher %s", id, a ? a : "NULL",
                     b ? b : "NULL");
    }
}

/* Every row of the cipher suite table: the severity follows from its parts
 * (the rules of weak.h, said once more by field), so a row the generator
 * gets wrong shows up here as well as in the name sweep below. */
static void test_cipher_by_parts(void **state)
{
    char r[200];

    (void)state;
    for (size_t i = 0; i < tls_suite_count(); i++) {
        const struct tls_suite *t = tls_suite_at(i);
        enum severity want = SEV_NONE, got = weak_cipher(t->id, r, sizeof(r));
        bool block64 = t->cipher == TLS_SUITE_CIPHER_3DES || t->cipher == TLS_SUITE_CIPHER_IDEA ||
                       t->cipher == TLS_SUITE_CIPHER_RC2 || t->cipher == TLS_SUITE_CIPHER_MAGMA ||
                       t->cipher == TLS_SUITE_CIPHER_GOST28147;

        if (t->kx == TLS_SUITE_KX_SCSV)
            want = SEV_NONE;
        else if (t->au == TLS_SUITE_AU_NULL || t->export_grade ||
                 t->cipher == TLS_SUITE_CIPHER_NULL)
            want = SEV_HIGH;
        else if (block64 || t->cipher == TLS_SUITE_CIPHER_RC4 || t->cipher == TLS_SUITE_CIPHER_DES)
            want = SEV_MEDIUM;
        else if (t->mode == TLS_SUITE_MODE_CBC &&
                 (t->mac == TLS_SUITE_MAC_HMAC_SHA1 || t->mac == TLS_SUITE_MAC_HMAC_MD5))
            want = SEV_LOW;
        if (got != want)
            fail_msg("0x%04X %s: severity %d, want %d (%s)", t->id, t->name, got, want, r);
        if (t->aead && t->au != TLS_SUITE_AU_NULL && !block64 && got != SEV_NONE)
            fail_msg("0x%04X %s: an authenticated AEAD suite judged weak: %s", t->id, t->name, r);
    }
}

/* Every named suite: the classification agrees with the name's words, and
 * a reason is given exactly when something is wrong. */
static void test_cipher_sweep(void **state)
{
    unsigned id, named = 0, counts[SEV_CRITICAL + 1] = {0};
    char r[200];

    (void)state;
    for (id = 0; id <= 0xFFFF; id++) {
        const char *n = weak_cipher_name((uint16_t)id);
        enum severity sev = weak_cipher((uint16_t)id, r, sizeof(r));

        if (n == NULL) {
            assert_int_equal(sev, SEV_NONE);
            continue;
        }
        named++;
        counts[sev]++;
        if ((sev == SEV_NONE) != (r[0] == '\0'))
            fail_msg("%s: severity %d, reason \"%s\"", n, sev, r);
        if (strstr(n, "_anon_") || strstr(n, "EXPORT") || strstr(n, "WITH_NULL") ||
            strstr(n, "NULL_WITH"))
            assert_int_equal(sev, SEV_HIGH);
        else if (strstr(n, "RC4") || strstr(n, "3DES") || strstr(n, "_DES_") ||
                 strstr(n, "IDEA") || strstr(n, "RC2"))
            assert_int_equal(sev, SEV_MEDIUM);
        else if (strstr(n, "_CBC_SHA") && n[strlen(n) - 1] == 'A')   /* ends in _SHA */
            assert_int_equal(sev, SEV_LOW);
        else if (strstr(n, "GCM") || strstr(n, "CHACHA20") || strstr(n, "CCM"))
            if (!strstr(n, "MAGMA"))
                assert_int_equal(sev, SEV_NONE);
    }
    /* the whole registry: its 352 named suites (the table's rows from
     * OpenSSL and from IANA names) and the 9 reserved code points deployed
     * implementations used */
    assert_true(named >= 361);
    assert_true(named >= names_cipher_count());
    print_message("cipher suites: %u named: %u none, %u low, %u medium, %u high\n", named,
                  counts[SEV_NONE], counts[SEV_LOW], counts[SEV_MEDIUM], counts[SEV_HIGH]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_rsa_dsa_boundaries),
        cmocka_unit_test(test_key_ec_boundaries),
        cmocka_unit_test(test_key_other),
        cmocka_unit_test(test_signature_by_name),
        cmocka_unit_test(test_signature_on_roots),
        cmocka_unit_test(test_signature_real),
        cmocka_unit_test(test_dh),
        cmocka_unit_test(test_ecdh),
        cmocka_unit_test(test_protocol),
        cmocka_unit_test(test_reason_buffer),
        cmocka_unit_test(test_cipher_classes),
        cmocka_unit_test(test_cipher_names),
        cmocka_unit_test(test_cipher_by_parts),
        cmocka_unit_test(test_cipher_sweep),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
