/*
 * test_verify.c - chain verification at the capture time, the verdict cache
 * and the trust-store loading.
 *
 * Every certificate is built here with OpenSSL (P-256 keys, fixed validity
 * dates), so nothing depends on today's date:
 *
 *   Unit Root CA            2019-01-01 .. 2040-01-01  self-signed
 *   Unit Intermediate CA    2019-01-01 .. 2040-01-01  by the root
 *   mail.unit.test          2020-01-01 .. 2030-01-01  by the intermediate
 *   old.unit.test           2020-01-01 .. 2021-01-01  by the intermediate (expired)
 *   Unit Old Intermediate   2019-01-01 .. 2022-01-01  by the root (expired)
 *   legacy.unit.test        2020-01-01 .. 2030-01-01  by the old intermediate
 *   client.unit.test        EKU clientAuth only
 *   self.unit.test          self-signed leaf
 *   Other Root / Other Intermediate / mail.other.test   an unrelated hierarchy
 *
 * The last test uses the captures' certificates in pcaps/certs (run from
 * the top of the tree).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "analyze/verify.h"
#include "analyze/x509.h"
#include "tests/pem_der.h"

#define T2019 INT64_C(1546300800)   /* 2019-01-01T00:00:00Z */
#define T2020 INT64_C(1577836800)
#define T2021 INT64_C(1609459200)
#define T2022 INT64_C(1640995200)
#define T2028 INT64_C(1830297600)
#define T2029 INT64_C(1861920000)
#define T2030 INT64_C(1893456000)
#define T2031 INT64_C(1924992000)
#define T2040 INT64_C(2208988800)
#define NOW   INT64_C(1748736000)   /* 2025-06-01, the "capture time" */

/* ------------------------------------------------------------- fixtures */

struct fx {
    struct x509_cache *xc;
    char dir[64];                  /* temporary directory for CA files */
    EVP_PKEY *k_root, *k_inter, *k_leaf, *k_other;
    X509 *root, *inter, *leaf, *leaf_expired, *inter_old, *leaf_legacy, *leaf_client,
        *self_leaf, *root2, *inter2, *leaf2, *root_short, *inter_s, *leaf_s, *inter_cross;
    const struct x509_info *held[2048];
    size_t nheld;
};

static struct fx F;
static long next_serial = 1;

static void add_ext(X509 *x, X509V3_CTX *v, int nid, const char *value)
{
    X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, v, nid, value);

    assert_non_null(e);
    assert_int_equal(X509_add_ext(x, e, -1), 1);
    X509_EXTENSION_free(e);
}

enum kind { CA, LEAF, SELF_LEAF };

/* make_cert builds a v3 certificate "CN=|cn|,O=mxwitness unit" for |key|,
 * signed by |issuer|/|ikey| (NULL: self-signed). */
static X509 *make_cert(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *ikey, int64_t nb,
                       int64_t na, enum kind kind, const char *eku)
{
    X509 *x = X509_new();
    X509_NAME *nm;
    X509V3_CTX v;
    char san[128];

    assert_non_null(x);
    assert_int_equal(X509_set_version(x, 2), 1);
    assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), next_serial++), 1);
    nm = X509_get_subject_name(x);
    assert_int_equal(X509_NAME_add_entry_by_txt(nm, "O", MBSTRING_ASC,
                                                (const unsigned char *)"mxwitness unit", -1, -1, 0), 1);
    assert_int_equal(X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC,
                                                (const unsigned char *)cn, -1, -1, 0), 1);
    assert_int_equal(X509_set_issuer_name(x, issuer != NULL ? X509_get_subject_name(issuer) : nm), 1);
    assert_non_null(ASN1_TIME_set(X509_getm_notBefore(x), (time_t)nb));
    assert_non_null(ASN1_TIME_set(X509_getm_notAfter(x), (time_t)na));
    assert_int_equal(X509_set_pubkey(x, key), 1);
    X509V3_set_ctx(&v, issuer != NULL ? issuer : x, x, NULL, NULL, 0);
    if (kind == CA) {
        add_ext(x, &v, NID_basic_constraints, "critical,CA:TRUE");
        add_ext(x, &v, NID_key_usage, "critical,keyCertSign,cRLSign");
    } else {
        add_ext(x, &v, NID_basic_constraints, "critical,CA:FALSE");
        add_ext(x, &v, NID_key_usage, "critical,digitalSignature");
        snprintf(san, sizeof(san), "DNS:%s", cn);
        add_ext(x, &v, NID_subject_alt_name, san);
        if (eku != NULL)
            add_ext(x, &v, NID_ext_key_usage, eku);
    }
    add_ext(x, &v, NID_subject_key_identifier, "hash");
    if (kind != SELF_LEAF)
        add_ext(x, &v, NID_authority_key_identifier, "keyid:always");
    assert_true(X509_sign(x, ikey != NULL ? ikey : key, EVP_sha256()) > 0);
    return x;
}

/* info_der returns the shared x509_info of |len| bytes of DER, held until
 * the group teardown. */
static const struct x509_info *info_der(const uint8_t *der, size_t len)
{
    const struct x509_info *xi = x509_cache_get(F.xc, der, len);

    assert_non_null(xi);
    assert_true(F.nheld < sizeof(F.held) / sizeof(F.held[0]));
    F.held[F.nheld++] = xi;
    return xi;
}

static const struct x509_info *info(X509 *x)
{
    unsigned char *der = NULL;
    int n = i2d_X509(x, &der);
    const struct x509_info *xi;

    assert_true(n > 0);
    xi = info_der(der, (size_t)n);
    OPENSSL_free(der);
    assert_true(xi->parsed);
    return xi;
}

/* write_pem writes the certificates (NULL-terminated) to DIR/name and
 * returns the path (static buffer). */
static const char *write_pem(const char *name, X509 *a, X509 *b)
{
    static char path[128];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", F.dir, name);
    f = fopen(path, "w");
    assert_non_null(f);
    if (a != NULL)
        assert_int_equal(PEM_write_X509(f, a), 1);
    if (b != NULL)
        assert_int_equal(PEM_write_X509(f, b), 1);
    assert_int_equal(fclose(f), 0);
    return path;
}

static struct verify_store *store_with(X509 *a, X509 *b)
{
    char err[512];
    struct verify_store *s = verify_store_new(write_pem("anchors.pem", a, b), NULL, err, sizeof(err));

    if (s == NULL)
        fail_msg("verify_store_new: %s", err);
    return s;
}

static int group_setup(void **state)
{
    (void)state;
    memset(&F, 0, sizeof(F));
    F.xc = x509_cache_new(0);
    snprintf(F.dir, sizeof(F.dir), "/tmp/mxw-verify-XXXXXX");
    if (F.xc == NULL || mkdtemp(F.dir) == NULL)
        return -1;
    F.k_root = EVP_EC_gen("P-256");
    F.k_inter = EVP_EC_gen("P-256");
    F.k_leaf = EVP_EC_gen("P-256");
    F.k_other = EVP_EC_gen("P-256");
    if (!F.k_root || !F.k_inter || !F.k_leaf || !F.k_other)
        return -1;
    F.root = make_cert("Unit Root CA", F.k_root, NULL, NULL, T2019, T2040, CA, NULL);
    F.inter = make_cert("Unit Intermediate CA", F.k_inter, F.root, F.k_root, T2019, T2040, CA, NULL);
    F.leaf = make_cert("mail.unit.test", F.k_leaf, F.inter, F.k_inter, T2020, T2030, LEAF,
                       "serverAuth,clientAuth");
    F.leaf_expired = make_cert("old.unit.test", F.k_leaf, F.inter, F.k_inter, T2020, T2021, LEAF,
                               "serverAuth");
    F.inter_old = make_cert("Unit Old Intermediate CA", F.k_inter, F.root, F.k_root, T2019, T2022,
                            CA, NULL);
    F.leaf_legacy = make_cert("legacy.unit.test", F.k_leaf, F.inter_old, F.k_inter, T2020, T2030,
                              LEAF, "serverAuth");
    F.leaf_client = make_cert("client.unit.test", F.k_leaf, F.inter, F.k_inter, T2020, T2030, LEAF,
                              "clientAuth");
    F.self_leaf = make_cert("self.unit.test", F.k_leaf, NULL, NULL, T2020, T2030, SELF_LEAF,
                            "serverAuth");
    F.root2 = make_cert("Other Root CA", F.k_other, NULL, NULL, T2019, T2040, CA, NULL);
    F.inter2 = make_cert("Other Intermediate CA", F.k_inter, F.root2, F.k_other, T2019, T2040, CA,
                         NULL);
    F.leaf2 = make_cert("mail.other.test", F.k_leaf, F.inter2, F.k_inter, T2020, T2030, LEAF,
                        "serverAuth");
    F.inter_cross = make_cert("Unit Intermediate CA", F.k_inter, F.root2, F.k_other, T2019, T2040,
                              CA, NULL);
    /* an anchor that expires before the certificates it vouches for */
    F.root_short = make_cert("Short Root CA", F.k_other, NULL, NULL, T2019, T2028, CA, NULL);
    F.inter_s = make_cert("Short Intermediate CA", F.k_inter, F.root_short, F.k_other, T2019,
                          T2040, CA, NULL);
    F.leaf_s = make_cert("mail.short.test", F.k_leaf, F.inter_s, F.k_inter, T2020, T2030, LEAF,
                         "serverAuth");
    return 0;
}

static int group_teardown(void **state)
{
    X509 **all[] = {&F.root, &F.inter, &F.leaf, &F.leaf_expired, &F.inter_old, &F.leaf_legacy,
                    &F.leaf_client, &F.self_leaf, &F.root2, &F.inter2, &F.leaf2,
                    &F.root_short, &F.inter_s, &F.leaf_s, &F.inter_cross};
    char cmd[128];
    size_t i;

    (void)state;
    for (i = 0; i < F.nheld; i++)
        x509_cache_release(F.xc, F.held[i]);
    x509_cache_free(F.xc);
    for (i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        X509_free(*all[i]);
    EVP_PKEY_free(F.k_root);
    EVP_PKEY_free(F.k_inter);
    EVP_PKEY_free(F.k_leaf);
    EVP_PKEY_free(F.k_other);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", F.dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", F.dir);
    return 0;
}

/* ------------------------------------------------------------- helpers */

static void dump(const struct verify_result *r);

static void run(struct verify_store *s, int64_t t, struct verify_result *r, size_t n, ...)
{
    const struct x509_info *chain[16];
    va_list ap;
    size_t i;

    assert_true(n <= 16);
    va_start(ap, n);
    for (i = 0; i < n; i++)
        chain[i] = va_arg(ap, const struct x509_info *);
    va_end(ap);
    assert_int_equal(verify_chain(s, chain, n, t, r), 0);
    if (getenv("MXW_VERIFY_DUMP") != NULL) {   /* to read the messages */
        print_message("verified %d depth %d anchor \"%s\" cache %d\n", r->verified, r->depth,
                      r->anchor, r->from_cache);
        dump(r);
    }
}

static const struct verify_problem *problem(const struct verify_result *r, enum verify_kind k)
{
    size_t i;

    for (i = 0; i < r->nproblems; i++)
        if (r->problems[i].kind == k)
            return &r->problems[i];
    static const struct verify_problem none;

    fail_msg("no problem of kind %s", verify_kind_name(k));
    return &none;    /* not reached: fail_msg jumps out */
}

static void dump(const struct verify_result *r)
{
    size_t i;

    for (i = 0; i < r->nproblems; i++)
        print_message("  %s depth %d index %d: %s\n", verify_kind_name(r->problems[i].kind),
                      r->problems[i].depth, r->problems[i].index, r->problems[i].message);
}

#define assert_kinds(r, mask) do { \
        if ((r)->kinds != (unsigned)(mask)) { dump(r); } \
        assert_int_equal((r)->kinds, (unsigned)(mask)); \
    } while (0)
#define BIT(k) (1u << (k))

static void assert_contains(const char *s, const char *sub)
{
    if (strstr(s, sub) == NULL)
        fail_msg("\"%s\" does not contain \"%s\"", s, sub);
}

/* ---------------------------------------------------------------- trust */

static void test_good_chain(void **state)
{
    struct verify_store *s = store_with(F.root, NULL);
    struct verify_result r;

    (void)state;
    run(s, NOW, &r, 2, info(F.leaf), info(F.inter));
    assert_true(r.verified);
    assert_false(r.unverifiable);
    assert_false(r.from_cache);
    assert_kinds(&r, 0);
    assert_int_equal(r.nproblems, 0);
    assert_int_equal(r.depth, 2);
    assert_string_equal(r.anchor, "CN=Unit Root CA,O=mxwitness unit");

    /* the root sent too: fine */
    run(s, NOW, &r, 3, info(F.leaf), info(F.inter), info(F.root));
    assert_true(r.verified);
    assert_kinds(&r, 0);
    assert_int_equal(r.depth, 2);
    verify_store_free(s);
}

static void test_missing_intermediate(void **state)
{
    struct verify_store *s = store_with(F.root, NULL);
    struct verify_result r;
    const struct verify_problem *p;

    (void)state;
    run(s, NOW, &r, 1, info(F.leaf));
    assert_false(r.verified);
    assert_kinds(&r, BIT(VERIFY_UNTRUSTED));
    p = problem(&r, VERIFY_UNTRUSTED);
    assert_int_equal(p->depth, 0);
    assert_int_equal(p->index, 0);
    assert_contains(p->message, "unable to get local issuer certificate: no certificate for "
                                "issuer CN=Unit Intermediate CA,O=mxwitness unit");
    assert_contains(p->message, "leaf (CN=mail.unit.test,O=mxwitness unit)");
    assert_string_equal(verify_kind_finding(p->kind), "UNTRUSTED_CHAIN");
    assert_int_equal(r.depth, -1);
    assert_string_equal(r.anchor, "");
    verify_store_free(s);
}

static void test_self_signed_leaf(void **state)
{
    struct verify_store *s = store_with(F.root, NULL);
    struct verify_result r;
    const struct verify_problem *p;

    (void)state;
    run(s, NOW, &r, 1, info(F.self_leaf));
    assert_false(r.verified);
    assert_kinds(&r, BIT(VERIFY_SELF_SIGNED_LEAF));
    p = problem(&r, VERIFY_SELF_SIGNED_LEAF);
    assert_int_equal(p->depth, 0);
    assert_contains(p->message, "self-signed");
    assert_contains(p->message, "leaf (CN=self.unit.test");
    assert_string_equal(verify_kind_finding(p->kind), "SELF_SIGNED");

    /* the same certificate as an anchor (a pin in --ca-file): verifies */
    verify_store_free(s);
    s = store_with(F.self_leaf, NULL);
    run(s, NOW, &r, 1, info(F.self_leaf));
    assert_true(r.verified);
    assert_int_equal(r.depth, 0);
    verify_store_free(s);
}

static void test_unknown_root(void **state)
{
    struct verify_store *s = store_with(F.root, NULL);
    struct verify_result r;
    const struct verify_problem *p;

    (void)state;
    /* root not sent: its name is the missing issuer */
    run(s, NOW, &r, 2, info(F.leaf2), info(F.inter2));
    assert_kinds(&r, BIT(VERIFY_UNTRUSTED));
    p = problem(&r, VERIFY_UNTRUSTED);
    assert_int_equal(p->depth, 1);
    assert_int_equal(p->index, 1);
    assert_contains(p->message, "no certificate for issuer CN=Other Root CA,O=mxwitness unit");
    assert_contains(p->message, "intermediate at depth 1 (CN=Other Intermediate CA");

    /* root sent: a self-signed root that is not an anchor */
    run(s, NOW, &r, 3, info(F.leaf2), info(F.inter2), info(F.root2));
    assert_kinds(&r, BIT(VERIFY_SELF_SIGNED_ROOT));
    p = problem(&r, VERIFY_SELF_SIGNED_ROOT);
    assert_int_equal(p->depth, 2);
    assert_int_equal(p->index, 2);
    assert_contains(p->message, "self-signed certificate in certificate chain");
    assert_contains(p->message, "root at depth 2 (CN=Other Root CA");
    assert_string_equal(verify_kind_finding(p->kind), "SELF_SIGNED");
    verify_store_free(s);
}

static void test_partial_chain(void **state)
{
    struct verify_store *s = store_with(F.inter, NULL);
    struct verify_result r;

    (void)state;
    run(s, NOW, &r, 1, info(F.leaf));
    assert_true(r.verified);
    assert_kinds(&r, 0);
    assert_int_equal(r.depth, 1);
    assert_string_equal(r.anchor, "CN=Unit Intermediate CA,O=mxwitness unit");

    run(s, NOW, &r, 2, info(F.leaf), info(F.inter));
    assert_true(r.verified);
    assert_int_equal(r.depth, 1);
    verify_store_free(s);
}

static void test_purpose(void **state)
{
    struct verify_store *s = store_with(F.root, NULL);
    struct verify_result r;
    const struct verify_problem *p;

    (void)state;
    run(s, NOW, &r, 2, info(F.leaf_client), info(F.inter));
    assert_false(r.verified);
    assert_kinds(&r, BIT(VERIFY_PURPOSE));
    p = problem(&r, VERIFY_PURPOSE);
    assert_int_equal(p->depth, 0);
    assert_contains(p->message, "not valid for TLS server authentication");
    verify_store_free(s);
}

/* ----------------------------------------------------------------- time */

static void test_expired_leaf(void **state)
{
    struct verify_store *s = store_with(F.root, NULL);
    struct verify_result r;
    const struct verify_problem *p;

    (void)state;
    run(s, NOW, &r, 2, info(F.leaf_expired), info(F.inter));
    assert_false(r.verified);
    assert_kinds(&r, BIT(VERIFY_EXPIRED));   /* not also untrusted */
    p = problem(&r, VERIFY_EXPIRED);
    assert_int_equal(p->depth, 0);
    assert_int_equal(p->index, 0);
    assert_int_equal(p->when, T2021);
    assert_contains(p->message, "certificate has expired: leaf (CN=old.unit.test");
    assert_contains(p->message, "valid until 2021-01-01T00:00:00Z");
    assert_string_equal(verify_kind_finding(p->kind), "EXPIRED");

    /* a good chain judged after its leaf expired */
    run(s, T2031, &r, 2, info(F.leaf), info(F.inter));
    assert_kinds(&r, BIT(VERIFY_EXPIRED));
    assert_int_equal(problem(&r, VERIFY_EXPIRED)->when, T2030);

    /* the moment of expiry: OpenSSL's notAfter comparison is "<=" */
    run(s, T2030 - 1, &r, 2, info(F.leaf), info(F.inter));
    assert_true(r.verified);
    run(s, T2030, &r, 2, info(F.leaf), info(F.inter));
    assert_kinds(&r, BIT(VERIFY_EXPIRED));
    verify_store_free(s);
}

static void test_not_yet_valid(void **state)
{
    struct verify_store *s = store_with(F.root, NULL);
    struct verify_result r;
    const struct verify_problem *p;

    (void)state;
    run(s, T2020 - 86400, &r, 2, info(F.leaf), info(F.inter));
    assert_kinds(&r, BIT(VERIFY_NOT_YET_VALID));
    p = problem(&r, VERIFY_NOT_YET_VALID);
    assert_int_equal(p->depth, 0);
    assert_int_equal(p->when, T2020);
    assert_contains(p->message, "valid from 2020-01-01T00:00:00Z");
    assert_string_equal(verify_kind_finding(p->kind), "NOT_YET_VALID");

    run(s, T2020, &r, 2, info(F.leaf), info(F.inter));
    assert_true(r.verified);
    verify_store_free(s);
}

static void test_expired_intermediate(void **state)
{
    struct verify_store *s = store_with(F.root, NULL);
    struct verify_result r;
    const struct verify_problem *p;

    (void)state;
    run(s, NOW, &r, 2, info(F.leaf_legacy), info(F.inter_old));
    assert_kinds(&r, BIT(VERIFY_EXPIRED));
    p = problem(&r, VERIFY_EXPIRED);
    assert_int_equal(p->depth, 1);
    assert_int_equal(p->index, 1);
    assert_int_equal(p->when, T2022);
    assert_contains(p->message, "intermediate at depth 1 (CN=Unit Old Intermediate CA");
    verify_store_free(s);
}

static void test_expired_anchor(void **state)
{
    struct verify_store *s = store_with(F.root_short, NULL);
    struct verify_result r;
    const struct verify_problem *p;

    (void)state;
    run(s, NOW, &r, 2, info(F.leaf_s), info(F.inter_s));
    assert_true(r.verified);
    assert_string_equal(r.anchor, "CN=Short Root CA,O=mxwitness unit");
    run(s, T2029, &r, 2, info(F.leaf_s), info(F.inter_s));
    assert_kinds(&r, BIT(VERIFY_EXPIRED));
    p = problem(&r, VERIFY_EXPIRED);
    assert_int_equal(p->depth, 2);
    assert_int_equal(p->index, -1);      /* from the store, not sent */
    assert_int_equal(p->when, T2028);
    assert_contains(p->message, "trust anchor at depth 2 (CN=Short Root CA");
    verify_store_free(s);
}

/* one run reports every problem: expired and no issuer */
static void test_several_problems(void **state)
{
    struct verify_store *s = store_with(F.root, NULL);
    struct verify_result r;

    (void)state;
    run(s, NOW, &r, 1, info(F.leaf_expired));
    assert_kinds(&r, BIT(VERIFY_UNTRUSTED) | BIT(VERIFY_EXPIRED));
    assert_true(verify_result_has(&r, VERIFY_UNTRUSTED));
    assert_true(verify_result_has(&r, VERIFY_EXPIRED));
    assert_false(verify_result_has(&r, VERIFY_SELF_SIGNED_LEAF));
    verify_store_free(s);
}

/* --------------------------------------------------------- signatures */

static void test_bad_signature(void **state)
{
    struct verify_store *s = store_with(F.root, NULL);
    struct verify_result r;
    const struct verify_problem *p;
    unsigned char *der = NULL;
    int n = i2d_X509(F.leaf, &der);
    const struct x509_info *bad;

    (void)state;
    assert_true(n > 10);
    der[n - 1] ^= 0x01;          /* last byte of the ECDSA s value */
    bad = info_der(der, (size_t)n);
    OPENSSL_free(der);
    assert_true(bad->parsed);
    run(s, NOW, &r, 2, bad, info(F.inter));
    assert_false(r.verified);
    assert_kinds(&r, BIT(VERIFY_BAD_SIGNATURE));
    p = problem(&r, VERIFY_BAD_SIGNATURE);
    assert_int_equal(p->depth, 0);
    assert_contains(p->message, "certificate signature failure");
    assert_contains(p->message, "CN=Unit Intermediate CA");
    assert_string_equal(verify_kind_finding(p->kind), "UNTRUSTED_CHAIN");
    verify_store_free(s);
}

static void test_unparsed(void **state)
{
    static const uint8_t junk[] = {0x30, 0x03, 0x02, 0x01, 0x05};
    struct verify_store *s = store_with(F.root, NULL);
    struct verify_result r;
    const struct verify_problem *p;
    struct verify_stats st;

    (void)state;
    run(s, NOW, &r, 2, info(F.leaf), info_der(junk, sizeof(junk)));
    assert_false(r.verified);
    assert_true(r.unverifiable);
    assert_kinds(&r, BIT(VERIFY_UNPARSED));
    p = problem(&r, VERIFY_UNPARSED);
    assert_int_equal(p->index, 1);
    assert_contains(p->message, "certificate 1 did not parse, so the chain cannot be verified: ");
    assert_true(strlen(p->message) > strlen("certificate 1 did not parse, so the chain cannot be verified: "));

    assert_int_equal(verify_chain(s, NULL, 0, NOW, &r), 0);
    assert_true(r.unverifiable);
    assert_contains(r.problems[0].message, "no certificate");

    verify_store_stats(s, &st);
    assert_int_equal(st.verifications, 0);
    assert_int_equal(verify_chain(NULL, NULL, 0, NOW, &r), -1);
    assert_int_equal(verify_chain(s, NULL, 0, NOW, NULL), -1);
    verify_store_free(s);
}

/* ------------------------------------------------------- presentation */

static void test_out_of_order(void **state)
{
    struct verify_store *s = store_with(F.root, NULL);
    struct verify_result r;
    const struct verify_problem *p;

    (void)state;
    /* OpenSSL finds the path anyway; the order is still reported */
    run(s, NOW, &r, 3, info(F.leaf), info(F.root), info(F.inter));
    assert_true(r.verified);
    assert_kinds(&r, BIT(VERIFY_OUT_OF_ORDER));
    p = problem(&r, VERIFY_OUT_OF_ORDER);
    assert_int_equal(p->index, 2);
    assert_contains(p->message, "the issuer of certificate 0 (CN=mail.unit.test,O=mxwitness unit) "
                                "is certificate 2");
    assert_null(verify_kind_finding(p->kind));

    /* reversed: the server's own certificate is not first */
    run(s, NOW, &r, 3, info(F.root), info(F.inter), info(F.leaf));
    assert_true(verify_result_has(&r, VERIFY_OUT_OF_ORDER));
    assert_false(verify_result_has(&r, VERIFY_UNRELATED));
    assert_contains(problem(&r, VERIFY_OUT_OF_ORDER)->message, "must come first");
    verify_store_free(s);
}

static void test_unrelated(void **state)
{
    struct verify_store *s = store_with(F.root, NULL);
    struct verify_result r;
    const struct verify_problem *p;

    (void)state;
    run(s, NOW, &r, 3, info(F.leaf), info(F.inter), info(F.inter2));
    assert_true(r.verified);
    assert_kinds(&r, BIT(VERIFY_UNRELATED));
    p = problem(&r, VERIFY_UNRELATED);
    assert_int_equal(p->index, 2);
    assert_contains(p->message, "certificate 2 (CN=Other Intermediate CA");

    /* unrelated in the middle: also out of order */
    run(s, NOW, &r, 3, info(F.leaf), info(F.leaf2), info(F.inter));
    assert_true(r.verified);
    assert_kinds(&r, BIT(VERIFY_UNRELATED) | BIT(VERIFY_OUT_OF_ORDER));
    assert_int_equal(problem(&r, VERIFY_UNRELATED)->index, 1);

    /* another intermediate of the same root, issuing nothing sent */
    run(s, NOW, &r, 3, info(F.leaf), info(F.inter), info(F.inter_old));
    assert_kinds(&r, BIT(VERIFY_UNRELATED));

    /* the same intermediate cross-signed by another root (same name and
     * key): another issuer of the leaf, sent for older clients, not
     * unrelated */
    run(s, NOW, &r, 3, info(F.leaf), info(F.inter), info(F.inter_cross));
    assert_true(r.verified);
    assert_kinds(&r, 0);
    verify_store_free(s);
}

static void test_duplicate(void **state)
{
    struct verify_store *s = store_with(F.root, NULL);
    struct verify_result r;
    const struct verify_problem *p;
    const struct x509_info *chain[80];
    size_t i;

    (void)state;
    run(s, NOW, &r, 3, info(F.leaf), info(F.inter), info(F.inter));
    assert_true(r.verified);
    assert_kinds(&r, BIT(VERIFY_DUPLICATE));
    p = problem(&r, VERIFY_DUPLICATE);
    assert_int_equal(p->index, 2);
    assert_contains(p->message, "certificate 2 (CN=Unit Intermediate CA,O=mxwitness unit) was "
                                "already sent as certificate 1");

    /* many: the array keeps 16, the rest are counted; beyond 64 the chain is cut */
    chain[0] = info(F.leaf);
    for (i = 1; i < 80; i++)
        chain[i] = info(F.inter);
    assert_int_equal(verify_chain(s, chain, 80, NOW, &r), 0);
    assert_true(r.verified);
    assert_int_equal(r.nproblems, VERIFY_MAX_PROBLEMS);
    assert_int_equal(r.nproblems + r.nomitted, 62 + 1);   /* 62 duplicates in the first 64, the cut */
    assert_true(verify_result_has(&r, VERIFY_INVALID));
    verify_store_free(s);
}

/* ---------------------------------------------------------------- cache */

static void same_result(const struct verify_result *a, const struct verify_result *b)
{
    size_t i;

    assert_int_equal(a->verified, b->verified);
    assert_int_equal(a->unverifiable, b->unverifiable);
    assert_int_equal(a->depth, b->depth);
    assert_string_equal(a->anchor, b->anchor);
    assert_int_equal(a->kinds, b->kinds);
    assert_int_equal(a->nproblems, b->nproblems);
    assert_int_equal(a->nomitted, b->nomitted);
    for (i = 0; i < a->nproblems; i++) {
        assert_int_equal(a->problems[i].kind, b->problems[i].kind);
        assert_int_equal(a->problems[i].depth, b->problems[i].depth);
        assert_int_equal(a->problems[i].index, b->problems[i].index);
        assert_int_equal(a->problems[i].ossl_error, b->problems[i].ossl_error);
        assert_int_equal(a->problems[i].when, b->problems[i].when);
        assert_string_equal(a->problems[i].message, b->problems[i].message);
    }
}

static void test_cache(void **state)
{
    struct verify_store *s = store_with(F.root, NULL);
    struct verify_store *fresh = store_with(F.root, NULL);
    struct verify_result r, r2;
    struct verify_stats st;
    const struct x509_info *leaf = info(F.leaf), *inter = info(F.inter);
    static const int64_t times[] = {NOW, NOW + 1, T2029, T2020 + 1, T2031, T2031 + 100,
                                    T2030 - 1, T2020, T2020 - 1, T2040 + 5, NOW};
    static const bool hit[] = {false, true, true, true, false, true, true, false, false, false,
                               true};
    size_t i;

    (void)state;
    verify_store_set_cache_max(fresh, 0);
    for (i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
        run(s, times[i], &r, 2, leaf, inter);
        run(fresh, times[i], &r2, 2, leaf, inter);
        if (r.from_cache != hit[i])
            fail_msg("time %zu (%lld): from_cache %d, expected %d", i, (long long)times[i],
                     r.from_cache, hit[i]);
        assert_false(r2.from_cache);
        same_result(&r, &r2);   /* a cached verdict is the verdict */
    }
    verify_store_stats(s, &st);
    assert_int_equal(st.lookups, 11);
    assert_int_equal(st.hits, 6);
    assert_int_equal(st.verifications, 5);
    verify_store_stats(fresh, &st);
    assert_int_equal(st.hits, 0);
    assert_int_equal(st.entries, 0);

    /* order is part of the key */
    run(s, NOW, &r, 2, inter, leaf);
    assert_false(r.from_cache);
    verify_store_free(s);
    verify_store_free(fresh);
}

/* the anchor's dates bound a verdict too, though it was not sent */
static void test_cache_anchor_interval(void **state)
{
    struct verify_store *s = store_with(F.root_short, NULL);
    struct verify_result r;

    (void)state;
    run(s, NOW, &r, 2, info(F.leaf_s), info(F.inter_s));
    assert_true(r.verified);
    run(s, T2028 - 10, &r, 2, info(F.leaf_s), info(F.inter_s));
    assert_true(r.from_cache);
    assert_true(r.verified);
    run(s, T2029, &r, 2, info(F.leaf_s), info(F.inter_s));
    assert_false(r.from_cache);
    assert_true(verify_result_has(&r, VERIFY_EXPIRED));
    verify_store_free(s);
}

static void test_cache_eviction(void **state)
{
    struct verify_store *s = store_with(F.root, NULL);
    struct verify_result r;
    struct verify_stats st;

    (void)state;
    verify_store_set_cache_max(s, 2);
    run(s, NOW, &r, 2, info(F.leaf), info(F.inter));           /* A */
    run(s, NOW, &r, 1, info(F.leaf));                          /* B */
    run(s, NOW, &r, 2, info(F.leaf), info(F.inter));           /* A again: hit, now newest */
    assert_true(r.from_cache);
    run(s, NOW, &r, 2, info(F.leaf_expired), info(F.inter));   /* C evicts B */
    verify_store_stats(s, &st);
    assert_int_equal(st.entries, 2);
    assert_int_equal(st.evictions, 1);
    run(s, NOW, &r, 2, info(F.leaf), info(F.inter));           /* A survived */
    assert_true(r.from_cache);
    run(s, NOW, &r, 1, info(F.leaf));                          /* B was evicted */
    assert_false(r.from_cache);
    assert_kinds(&r, BIT(VERIFY_UNTRUSTED));
    verify_store_set_cache_max(s, 0);
    verify_store_stats(s, &st);
    assert_int_equal(st.entries, 0);
    assert_int_equal(st.evictions, 4);
    verify_store_free(s);
}

/* ---------------------------------------------------------- trust store */

static void expect_error(const char *file, const char *path, const char *want)
{
    char err[512];
    struct verify_store *s = verify_store_new(file, path, err, sizeof(err));

    if (s != NULL)
        fail_msg("verify_store_new(%s, %s) succeeded", file ? file : "NULL", path ? path : "NULL");
    assert_contains(err, want);
}

static void test_ca_file_errors(void **state)
{
    char p[160], err[512];
    FILE *f;
    struct verify_store *s;
    unsigned char *der = NULL;
    int n;

    (void)state;
    snprintf(p, sizeof(p), "%s/nonexistent.pem", F.dir);
    expect_error(p, NULL, "cannot read CA file");
    expect_error(p, NULL, strerror(ENOENT));
    expect_error(p, NULL, "nonexistent.pem");
    expect_error(F.dir, NULL, "is a directory");

    snprintf(p, sizeof(p), "%s/empty.pem", F.dir);
    f = fopen(p, "w");
    assert_non_null(f);
    fclose(f);
    expect_error(p, NULL, "no certificate in CA file");

    snprintf(p, sizeof(p), "%s/text.pem", F.dir);
    f = fopen(p, "w");
    assert_non_null(f);
    fputs("not a certificate\n-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", f);
    fclose(f);
    expect_error(p, NULL, "no certificate in CA file");

    snprintf(p, sizeof(p), "%s/broken.pem", F.dir);
    f = fopen(p, "w");
    assert_non_null(f);
    assert_int_equal(PEM_write_X509(f, F.root), 1);
    fputs("-----BEGIN CERTIFICATE-----\nMIIBzzCCAXWgAwIBAgIBATAKBggqhkjOPQQDAjA2\n"
          "-----END CERTIFICATE-----\n", f);
    fclose(f);
    expect_error(p, NULL, "certificate 2 does not parse");

    if (geteuid() != 0) {
        snprintf(p, sizeof(p), "%s/unreadable.pem", F.dir);
        write_pem("unreadable.pem", F.root, NULL);
        assert_int_equal(chmod(p, 0), 0);
        expect_error(p, NULL, strerror(EACCES));
    }

    /* DER works too */
    snprintf(p, sizeof(p), "%s/root.der", F.dir);
    n = i2d_X509(F.root, &der);
    f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(der, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    OPENSSL_free(der);
    s = verify_store_new(p, NULL, err, sizeof(err));
    assert_non_null(s);
    verify_store_free(s);

    /* no buffer for the message: still NULL, no crash */
    assert_null(verify_store_new("/nonexistent/ca.pem", NULL, NULL, 0));
}

static void test_ca_path(void **state)
{
    char d[160], p[200], err[512];
    struct verify_store *s;
    struct verify_result r;
    FILE *f;

    (void)state;
    snprintf(d, sizeof(d), "%s/nonexistent-dir", F.dir);
    expect_error(NULL, d, "cannot read CA directory");
    snprintf(p, sizeof(p), "%s/anchors.pem", F.dir);
    write_pem("anchors.pem", F.root, NULL);
    expect_error(NULL, p, "is not a directory");

    snprintf(d, sizeof(d), "%s/cadir", F.dir);
    assert_int_equal(mkdir(d, 0700), 0);
    snprintf(p, sizeof(p), "%s/root.pem", d);
    f = fopen(p, "w");
    assert_non_null(f);
    assert_int_equal(PEM_write_X509(f, F.root), 1);
    fclose(f);
    expect_error(NULL, d, "openssl rehash");

    /* the name `openssl rehash` would give it */
    snprintf(p, sizeof(p), "%s/%08lx.0", d, X509_NAME_hash_ex(X509_get_subject_name(F.root), NULL,
                                                              NULL, NULL));
    f = fopen(p, "w");
    assert_non_null(f);
    assert_int_equal(PEM_write_X509(f, F.root), 1);
    fclose(f);
    s = verify_store_new(NULL, d, err, sizeof(err));
    if (s == NULL)
        fail_msg("%s", err);
    run(s, NOW, &r, 2, info(F.leaf), info(F.inter));
    assert_true(r.verified);
    assert_string_equal(r.anchor, "CN=Unit Root CA,O=mxwitness unit");
    verify_store_free(s);

    /* both: the file's anchors and the directory's */
    s = verify_store_new(write_pem("other.pem", F.root2, NULL), d, err, sizeof(err));
    assert_non_null(s);
    run(s, NOW, &r, 2, info(F.leaf), info(F.inter));
    assert_true(r.verified);
    run(s, NOW, &r, 2, info(F.leaf2), info(F.inter2));
    assert_true(r.verified);
    verify_store_free(s);
}

static void test_system_store(void **state)
{
    char err[512];
    struct verify_store *s = verify_store_new(NULL, NULL, err, sizeof(err));
    struct verify_result r;

    (void)state;
    if (s == NULL)
        fail_msg("%s", err);
    /* our test root is in no system store; no partial chains there */
    run(s, NOW, &r, 2, info(F.leaf), info(F.inter));
    assert_false(r.verified);
    assert_kinds(&r, BIT(VERIFY_UNTRUSTED));
    assert_contains(problem(&r, VERIFY_UNTRUSTED)->message, "CN=Unit Root CA");
    verify_store_free(s);
}

/* ------------------------------------------------------- real captures */

static const struct x509_info *load_pem_file(const char *path)
{
    size_t len;
    uint8_t *der = pem_der(path, NULL, &len);
    const struct x509_info *xi = info_der(der, len);

    free(der);
    assert_true(xi->parsed);
    return xi;
}

static void test_capture_certs(void **state)
{
    char err[512];
    struct verify_store *s = verify_store_new("pcaps/certs/test-root-ca.pem", NULL, err,
                                              sizeof(err));
    const struct x509_info *leaf = load_pem_file("pcaps/certs/clean-tls12.pem");
    const struct x509_info *inter = load_pem_file("pcaps/certs/test-intermediate-ca.pem");
    const struct x509_info *root = load_pem_file("pcaps/certs/test-root-ca.pem");
    struct verify_result r;
    int64_t t;

    (void)state;
    if (s == NULL)
        fail_msg("%s", err);
    /* these three were issued a day apart: the root's notBefore is later
     * than the leaf's, so at the leaf's own notBefore the root is not yet
     * valid; judge an hour after the latest notBefore */
    t = leaf->not_before;
    if (inter->not_before > t)
        t = inter->not_before;
    if (root->not_before > t)
        t = root->not_before;
    t += 3600;
    assert_true(t < leaf->not_after && t < inter->not_after && t < root->not_after);
    run(s, t, &r, 2, leaf, inter);
    if (!r.verified)
        dump(&r);
    assert_true(r.verified);
    assert_kinds(&r, 0);
    assert_int_equal(r.depth, 2);
    assert_string_equal(r.anchor, root->subject);

    /* at the leaf's own notBefore the root is not yet valid */
    if (root->not_before > leaf->not_before) {
        run(s, leaf->not_before, &r, 2, leaf, inter);
        assert_kinds(&r, BIT(VERIFY_NOT_YET_VALID));
        assert_int_equal(problem(&r, VERIFY_NOT_YET_VALID)->depth, 2);
    }
    /* without the intermediate the leaf does not verify */
    run(s, t, &r, 1, leaf);
    assert_kinds(&r, BIT(VERIFY_UNTRUSTED));
    assert_contains(problem(&r, VERIFY_UNTRUSTED)->message,
                    "no certificate for issuer CN=mxwitness Test Intermediate CA,O=mxwitness test");
    verify_store_free(s);
}

/* --------------------------------------------------------------- names */

static void test_kind_names(void **state)
{
    struct verify_result r;
    int k;

    (void)state;
    for (k = 0; k < VERIFY_KIND_COUNT; k++)
        assert_string_not_equal(verify_kind_name((enum verify_kind)k), "?");
    assert_string_equal(verify_kind_name(VERIFY_KIND_COUNT), "?");
    assert_string_equal(verify_kind_name(VERIFY_UNTRUSTED), "UNTRUSTED");
    assert_null(verify_kind_finding(VERIFY_UNRELATED));
    assert_null(verify_kind_finding(VERIFY_DUPLICATE));
    assert_string_equal(verify_kind_finding(VERIFY_PURPOSE), "UNTRUSTED_CHAIN");
    memset(&r, 0, sizeof(r));
    assert_false(verify_result_has(&r, VERIFY_EXPIRED));
    assert_false(verify_result_has(NULL, VERIFY_EXPIRED));
    assert_false(verify_result_has(&r, VERIFY_KIND_COUNT));
    verify_store_free(NULL);
    verify_store_set_cache_max(NULL, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_chain),
        cmocka_unit_test(test_missing_intermediate),
        cmocka_unit_test(test_self_signed_leaf),
        cmocka_unit_test(test_unknown_root),
        cmocka_unit_test(test_partial_chain),
        cmocka_unit_test(test_purpose),
        cmocka_unit_test(test_expired_leaf),
        cmocka_unit_test(test_not_yet_valid),
        cmocka_unit_test(test_expired_intermediate),
        cmocka_unit_test(test_expired_anchor),
        cmocka_unit_test(test_several_problems),
        cmocka_unit_test(test_bad_signature),
        cmocka_unit_test(test_unparsed),
        cmocka_unit_test(test_out_of_order),
        cmocka_unit_test(test_unrelated),
        cmocka_unit_test(test_duplicate),
        cmocka_unit_test(test_cache),
        cmocka_unit_test(test_cache_anchor_interval),
        cmocka_unit_test(test_cache_eviction),
        cmocka_unit_test(test_ca_file_errors),
        cmocka_unit_test(test_ca_path),
        cmocka_unit_test(test_system_store),
        cmocka_unit_test(test_capture_certs),
        cmocka_unit_test(test_kind_names),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
