/*
 * test_hostname.c - reference identities (hostname_normalize, the Punycode
 * encoder) and RFC 6125 checks against certificates (hostname_check).
 *
 * The certificates are built here with OpenSSL's API (a fresh P-256 key,
 * self-signed, with the CN and SANs each case needs) and read back through
 * x509_cache_get, as a presented certificate would be.  The Punycode vectors
 * are RFC 3492 §7.1's; the other A-labels were checked with Python's
 * independent "punycode" codec.
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
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "analyze/hostname.h"
#include "analyze/x509.h"
#include "tests/x509_take.h"

/* ------------------------------------------------------------- helpers */

static struct x509_cache *cache;
static EVP_PKEY *key;
static long serial = 1;

static int setup(void **state)
{
    (void)state;
    cache = x509_cache_new(0);
    key = EVP_EC_gen("P-256");
    return cache != NULL && key != NULL ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    x509_cache_free(cache);
    EVP_PKEY_free(key);
    return 0;
}

/* cert returns a certificate with subject CN |cn| (none when NULL) and the
 * subjectAltName |san| in OpenSSL's config syntax ("DNS:a.example,IP:192.0.2.1";
 * none when NULL), as x509_cache_get reads it.  Release with done(). */
static const struct x509_info *cert(const char *cn, const char *san)
{
    X509 *x = X509_new();
    X509_NAME *nm;

    assert_non_null(x);
    assert_int_equal(X509_set_version(x, 2), 1);
    assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), serial++), 1);
    assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), 0));
    assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), 86400));
    nm = X509_get_subject_name(x);
    /* O= first, so that a subject without a CN is still not empty */
    assert_int_equal(X509_NAME_add_entry_by_txt(nm, "O", MBSTRING_UTF8,
                                                (const unsigned char *)"mxwitness test", -1, -1, 0), 1);
    if (cn != NULL)
        assert_int_equal(X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_UTF8,
                                                    (const unsigned char *)cn, -1, -1, 0), 1);
    assert_int_equal(X509_set_issuer_name(x, nm), 1);
    assert_int_equal(X509_set_pubkey(x, key), 1);
    if (san != NULL) {
        X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, san);

        assert_non_null(ext);
        assert_int_equal(X509_add_ext(x, ext, -1), 1);
        X509_EXTENSION_free(ext);
    }
    assert_true(X509_sign(x, key, EVP_sha256()) > 0);
    return x509_take(cache, x);
}

static void done(const struct x509_info *xi)
{
    x509_cache_release(cache, xi);
}

/* norm returns hostname_normalize's output, or NULL when it refuses. */
static const char *norm(const char *in)
{
    static char buf[HOSTNAME_BUFSZ];

    if (!hostname_normalize(in, buf, sizeof(buf))) {
        assert_string_equal(buf, "");
        return NULL;
    }
    return buf;
}

static char *repeat(char *dst, const char *unit, size_t times)
{
    dst[0] = '\0';
    for (size_t i = 0; i < times; i++)
        strcat(dst, unit);
    return dst;
}

/* ------------------------------------------------------------- normalize */

static void test_normalize_ascii(void **state)
{
    (void)state;
    assert_string_equal(norm("mail.contoso.com"), "mail.contoso.com");
    assert_string_equal(norm("Mail.CONTOSO.com"), "mail.contoso.com");
    assert_string_equal(norm("mail.contoso.com."), "mail.contoso.com");   /* one dot removed */
    assert_string_equal(norm("localhost"), "localhost");
    assert_string_equal(norm("a-b.x1.example"), "a-b.x1.example");
    assert_string_equal(norm("123.example"), "123.example");             /* digits are fine first */
    assert_string_equal(norm("XN--BCHER-KVA.example"), "xn--bcher-kva.example");
}

static void test_normalize_idn(void **state)
{
    (void)state;
    assert_string_equal(norm("bücher.example"), "xn--bcher-kva.example");
    assert_string_equal(norm("Bücher.Example."), "xn--bcher-kva.example");
    assert_string_equal(norm("mail.münchen.de"), "mail.xn--mnchen-3ya.de");
    assert_string_equal(norm("他们为什么不说中文.example"), "xn--ihqwcrb4cv8a8dqg056pqjye.example");
    assert_string_equal(norm("なぜみんな日本語を話してくれないのか.jp"),
                        "xn--n8jok5ay5dzabd5bym9f0cm5685rrjetr6pdxa.jp");
    /* an IDN top-level label, and a name made of U-labels only */
    assert_string_equal(norm("ü.ü"), "xn--tda.xn--tda");
}

static void test_normalize_lengths(void **state)
{
    char in[1300], want[1000], a[300];

    (void)state;
    /* 63 octets is the longest label, 253 the longest name */
    repeat(a, "a", 63);
    snprintf(in, sizeof(in), "%s.example", a);
    assert_string_equal(norm(in), in);
    repeat(a, "a", 64);
    snprintf(in, sizeof(in), "%s.example", a);
    assert_null(norm(in));

    /* 4 labels of 63 + 3 dots = 255; 61 + 3 * 63 + 3 = 253 */
    repeat(a, "a", 63);
    snprintf(in, sizeof(in), "%s.%s.%s.%s", a, a, a, a);
    assert_null(norm(in));
    snprintf(want, sizeof(want), "%.61s.%s.%s.%s", a, a, a, a);
    assert_int_equal(strlen(want), 253);
    assert_string_equal(norm(want), want);
    snprintf(in, sizeof(in), "%s.", want);   /* the trailing dot does not count */
    assert_string_equal(norm(in), want);
    snprintf(in, sizeof(in), "%.62s.%s.%s.%s", a, a, a, a);
    assert_null(norm(in));

    /* the limit applies to the A-label: 51 x 'a' + 5 x 'ü' is 63 octets, one
     * more 'a' is 64 (Python: xn--aaa...a-ykfaaaa) */
    repeat(a, "a", 51);
    strcat(a, "üüüüü");
    snprintf(in, sizeof(in), "%s.example", a);
    assert_non_null(norm(in));
    assert_int_equal(strcspn(norm(in), "."), 63);
    assert_string_equal(norm(in) + 4 + 51, "-ykfaaaa.example");
    repeat(a, "a", 52);
    strcat(a, "üüüüü");
    snprintf(in, sizeof(in), "%s.example", a);
    assert_null(norm(in));
    /* many non-ASCII characters: refused without overflowing anything */
    repeat(a, "ü", 100);
    assert_null(norm(a));
    repeat(in, "日本", 200);
    assert_null(norm(in));
}

static void test_normalize_bad(void **state)
{
    static const char *const bad[] = {
        "", ".", "..", "a..b", ".a", "a..", "a.b..",
        "a b.example", "a_b.example", "*.example", "mail.*", "a!.example",
        "-a.example", "a-.example", "a.-", "xn--.example",
        "192.0.2.1", "example.123", "[192.0.2.1]", "2001:db8::1",
        "mail.example\t", " mail.example",
        "ü!.example",                 /* a basic code point that is not LDH */
        "\xC3", "a\xC3.example",      /* truncated sequence */
        "\xC0\xAF.example",           /* overlong '/' */
        "\xE0\x80\xAF.example",       /* overlong, 3 bytes */
        "\xED\xA0\x80.example",       /* a surrogate */
        "\xF4\x90\x80\x80.example",   /* above U+10FFFF */
        "\xFF.example", "\x80.example", ("b\xFC" "cher.example"),   /* Latin-1, not UTF-8 */
    };
    char out[HOSTNAME_BUFSZ];

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (norm(bad[i]) != NULL)
            fail_msg("accepted bad name #%zu \"%s\"", i, bad[i]);
    }
    assert_false(hostname_normalize(NULL, out, sizeof(out)));
    assert_false(hostname_normalize("a.example", NULL, 10));
    /* the output must fit, NUL included */
    assert_false(hostname_normalize("a.example", out, 9));
    assert_string_equal(out, "");
    assert_true(hostname_normalize("a.example", out, 10));
    assert_string_equal(out, "a.example");
    assert_false(hostname_normalize("a.example", out, 0));
}

/* ------------------------------------------------------------- Punycode */

struct pc_vector {
    const char *what;
    uint32_t cp[24];
    size_t n;
    const char *puny;
};

/* RFC 3492 §7.1 */
static const struct pc_vector rfc3492[] = {
    { "(A) Arabic (Egyptian)",
      { 0x0644, 0x064A, 0x0647, 0x0645, 0x0627, 0x0628, 0x062A, 0x0643, 0x0644, 0x0645,
        0x0648, 0x0634, 0x0639, 0x0631, 0x0628, 0x064A, 0x061F }, 17,
      "egbpdaj6bu4bxfgehfvwxn" },
    { "(B) Chinese (simplified)",
      { 0x4ED6, 0x4EEC, 0x4E3A, 0x4EC0, 0x4E48, 0x4E0D, 0x8BF4, 0x4E2D, 0x6587 }, 9,
      "ihqwcrb4cv8a8dqg056pqjye" },
    { "(C) Chinese (traditional)",
      { 0x4ED6, 0x5011, 0x7232, 0x4EC0, 0x9EBD, 0x4E0D, 0x8AAA, 0x4E2D, 0x6587 }, 9,
      "ihqwctvzc91f659drss3x8bo0yb" },
    { "(G) Japanese (kanji and hiragana)",
      { 0x306A, 0x305C, 0x307F, 0x3093, 0x306A, 0x65E5, 0x672C, 0x8A9E, 0x3092, 0x8A71,
        0x3057, 0x3066, 0x304F, 0x308C, 0x306A, 0x3044, 0x306E, 0x304B }, 18,
      "n8jok5ay5dzabd5bym9f0cm5685rrjetr6pdxa" },
    { "(L) 3<nen>B<gumi><kinpachi><sensei>",
      { 0x0033, 0x5E74, 0x0042, 0x7D44, 0x91D1, 0x516B, 0x5148, 0x751F }, 8,
      "3B-ww4c5e180e575a65lsy2b" },
    { "(O) <pafii>de<runba>",
      { 0x30D1, 0x30D5, 0x30A3, 0x30FC, 0x0064, 0x0065, 0x30EB, 0x30F3, 0x30D0 }, 9,
      "de-jg4avhby1noc0d" },
    { "(R) <sono><supiido><de>",
      { 0x305D, 0x306E, 0x30B9, 0x30D4, 0x30FC, 0x30C9, 0x3067 }, 7,
      "d9juau41awczczp" },
};

static void test_punycode_rfc3492(void **state)
{
    char out[128];

    (void)state;
    for (size_t i = 0; i < sizeof(rfc3492) / sizeof(rfc3492[0]); i++) {
        const struct pc_vector *v = &rfc3492[i];
        int r = hostname_punycode_encode(v->cp, v->n, out, sizeof(out));

        if (r < 0 || strcmp(out, v->puny) != 0)
            fail_msg("%s: got \"%s\" (%d), want \"%s\"", v->what, r < 0 ? "" : out, r, v->puny);
        assert_int_equal(r, (int)strlen(v->puny));
        /* exactly enough room, then one byte short */
        assert_int_equal(hostname_punycode_encode(v->cp, v->n, out, strlen(v->puny) + 1), r);
        assert_int_equal(hostname_punycode_encode(v->cp, v->n, out, strlen(v->puny)), -1);
    }
}

static void test_punycode_edges(void **state)
{
    static const uint32_t ascii[] = { 'a', 'b', 'c' };
    static const uint32_t umlaut[] = { 'b', 0xFC, 'c', 'h', 'e', 'r' };
    static const uint32_t top[] = { 0x10FFFF };
    static const uint32_t beyond[] = { 0x110000 };
    char out[64];

    (void)state;
    assert_int_equal(hostname_punycode_encode(NULL, 0, out, sizeof(out)), 0);
    assert_string_equal(out, "");
    /* all basic: the delimiter still follows them (RFC 3492 §6.3) */
    assert_int_equal(hostname_punycode_encode(ascii, 3, out, sizeof(out)), 4);
    assert_string_equal(out, "abc-");
    assert_int_equal(hostname_punycode_encode(umlaut, 6, out, sizeof(out)), 9);
    assert_string_equal(out, "bcher-kva");
    assert_true(hostname_punycode_encode(top, 1, out, sizeof(out)) > 0);
    assert_int_equal(hostname_punycode_encode(beyond, 1, out, sizeof(out)), -1);
    assert_int_equal(hostname_punycode_encode(umlaut, 6, NULL, 10), -1);
    assert_int_equal(hostname_punycode_encode(umlaut, 6, out, 0), -1);
    assert_int_equal(hostname_punycode_encode(NULL, 3, out, sizeof(out)), -1);
}

static void test_is_ip(void **state)
{
    (void)state;
    assert_true(hostname_is_ip("192.0.2.1"));
    assert_true(hostname_is_ip("2001:db8::1"));
    assert_true(hostname_is_ip("::ffff:192.0.2.1"));
    assert_false(hostname_is_ip("192.0.2"));
    assert_false(hostname_is_ip("[2001:db8::1]"));
    assert_false(hostname_is_ip("mail.example"));
    assert_false(hostname_is_ip(NULL));
}

/* ------------------------------------------------------------- RFC 6125 */

static void test_check_exact(void **state)
{
    const struct x509_info *xi = cert("mail.contoso.com", "DNS:mail.contoso.com");
    char m[HOSTNAME_BUFSZ];

    (void)state;
    assert_int_equal(hostname_check(xi, "mail.contoso.com", m, sizeof(m)), HOST_MATCH);
    assert_string_equal(m, "mail.contoso.com");
    assert_int_equal(hostname_check(xi, "MAIL.Contoso.COM", m, sizeof(m)), HOST_MATCH);
    assert_int_equal(hostname_check(xi, "mail.contoso.com.", m, sizeof(m)), HOST_MATCH);
    assert_int_equal(hostname_check(xi, "mail.contoso.com", NULL, 0), HOST_MATCH);
    assert_int_equal(hostname_check(xi, "other.contoso.com", m, sizeof(m)), HOST_NO_MATCH);
    assert_string_equal(m, "");
    assert_int_equal(hostname_check(xi, "contoso.com", m, sizeof(m)), HOST_NO_MATCH);
    assert_int_equal(hostname_check(xi, "x.mail.contoso.com", m, sizeof(m)), HOST_NO_MATCH);
    assert_int_equal(hostname_check(xi, "mail.contoso.co", m, sizeof(m)), HOST_NO_MATCH);
    /* the matched identifier is cut to the caller's buffer */
    assert_int_equal(hostname_check(xi, "mail.contoso.com", m, 5), HOST_MATCH);
    assert_string_equal(m, "mail");
    done(xi);

    /* a SAN in upper case matches too (the comparison is OpenSSL's) */
    xi = cert(NULL, "DNS:MAIL.Contoso.com");
    assert_int_equal(hostname_check(xi, "mail.contoso.com", m, sizeof(m)), HOST_MATCH);
    done(xi);
}

static void test_check_wildcard(void **state)
{
    const struct x509_info *xi = cert("*.contoso.com", "DNS:*.contoso.com");
    char m[HOSTNAME_BUFSZ];

    (void)state;
    assert_int_equal(hostname_check(xi, "mail.contoso.com", m, sizeof(m)), HOST_MATCH);
    assert_string_equal(m, "*.contoso.com");
    assert_int_equal(hostname_check(xi, "MX1.CONTOSO.COM", m, sizeof(m)), HOST_MATCH);
    /* one label, never two, never none */
    assert_int_equal(hostname_check(xi, "a.b.contoso.com", m, sizeof(m)), HOST_NO_MATCH);
    assert_int_equal(hostname_check(xi, "contoso.com", m, sizeof(m)), HOST_NO_MATCH);
    assert_int_equal(hostname_check(xi, "mail.contoso.org", m, sizeof(m)), HOST_NO_MATCH);
    /* a '*' in the reference identity is no host name */
    assert_int_equal(hostname_check(xi, "*.contoso.com", m, sizeof(m)), HOST_BAD_NAME);
    done(xi);

    /* a wildcard that is not the left-most label matches nothing */
    xi = cert(NULL, "DNS:mail.*.com");
    assert_int_equal(hostname_check(xi, "mail.contoso.com", m, sizeof(m)), HOST_NO_MATCH);
    done(xi);
}

static void test_check_partial_wildcard(void **state)
{
    const struct x509_info *xi = cert(NULL, "DNS:f*.contoso.com,DNS:*oo.contoso.com,DNS:b*r.contoso.com");
    char m[HOSTNAME_BUFSZ];

    (void)state;
    assert_int_equal(hostname_check(xi, "foo.contoso.com", m, sizeof(m)), HOST_NO_MATCH);
    assert_int_equal(hostname_check(xi, "bar.contoso.com", m, sizeof(m)), HOST_NO_MATCH);
    assert_int_equal(hostname_check(xi, "f.contoso.com", m, sizeof(m)), HOST_NO_MATCH);
    done(xi);
    /* the same names against a whole-label wildcard, for contrast */
    xi = cert(NULL, "DNS:f*.contoso.com,DNS:*.contoso.com");
    assert_int_equal(hostname_check(xi, "foo.contoso.com", m, sizeof(m)), HOST_MATCH);
    assert_string_equal(m, "*.contoso.com");
    done(xi);
}

static void test_check_cn(void **state)
{
    char m[HOSTNAME_BUFSZ];
    const struct x509_info *xi;

    (void)state;
    /* a dNSName SAN exists: the CN is not looked at (RFC 6125 §6.4.4) */
    xi = cert("mail.contoso.com", "DNS:other.contoso.com");
    assert_int_equal(hostname_check(xi, "mail.contoso.com", m, sizeof(m)), HOST_NO_MATCH);
    assert_int_equal(hostname_check(xi, "other.contoso.com", m, sizeof(m)), HOST_MATCH);
    done(xi);

    /* no SAN at all: the CN is used */
    xi = cert("mail.contoso.com", NULL);
    assert_int_equal(hostname_check(xi, "Mail.Contoso.com", m, sizeof(m)), HOST_MATCH);
    assert_string_equal(m, "mail.contoso.com");
    assert_int_equal(hostname_check(xi, "other.contoso.com", m, sizeof(m)), HOST_NO_MATCH);
    done(xi);

    /* SANs, but no dNSName among them: the CN is still used */
    xi = cert("mail.contoso.com", "IP:192.0.2.25");
    assert_int_equal(hostname_check(xi, "mail.contoso.com", m, sizeof(m)), HOST_MATCH);
    done(xi);

    /* a wildcard CN follows the same rules */
    xi = cert("*.contoso.com", NULL);
    assert_int_equal(hostname_check(xi, "mail.contoso.com", m, sizeof(m)), HOST_MATCH);
    assert_int_equal(hostname_check(xi, "a.b.contoso.com", m, sizeof(m)), HOST_NO_MATCH);
    done(xi);

    /* neither SAN nor CN */
    xi = cert(NULL, NULL);
    assert_int_equal(hostname_check(xi, "mail.contoso.com", m, sizeof(m)), HOST_NO_MATCH);
    done(xi);
}

static void test_check_ip(void **state)
{
    const struct x509_info *xi = cert("mail.contoso.com",
                                      "DNS:mail.contoso.com,IP:192.0.2.25,IP:2001:db8::25");
    char m[HOSTNAME_BUFSZ];

    (void)state;
    assert_int_equal(hostname_check(xi, "192.0.2.25", m, sizeof(m)), HOST_MATCH);
    assert_string_equal(m, "192.0.2.25");
    assert_int_equal(hostname_check(xi, "2001:DB8:0:0::25", m, sizeof(m)), HOST_MATCH);
    assert_string_equal(m, "2001:db8::25");
    assert_int_equal(hostname_check(xi, "192.0.2.26", m, sizeof(m)), HOST_NO_MATCH);
    assert_string_equal(m, "");
    assert_int_equal(hostname_check(xi, "2001:db8::26", m, sizeof(m)), HOST_NO_MATCH);
    done(xi);

    /* an address never matches a dNSName or a CN that spells it */
    xi = cert("192.0.2.25", "DNS:192.0.2.25");
    assert_int_equal(hostname_check(xi, "192.0.2.25", m, sizeof(m)), HOST_NO_MATCH);
    done(xi);
    xi = cert("192.0.2.25", NULL);
    assert_int_equal(hostname_check(xi, "192.0.2.25", m, sizeof(m)), HOST_NO_MATCH);
    done(xi);
}

static void test_check_idn(void **state)
{
    const struct x509_info *xi = cert(NULL, "DNS:xn--bcher-kva.example");
    char m[HOSTNAME_BUFSZ];

    (void)state;
    assert_int_equal(hostname_check(xi, "bücher.example", m, sizeof(m)), HOST_MATCH);
    assert_string_equal(m, "xn--bcher-kva.example");
    assert_int_equal(hostname_check(xi, "Bücher.example.", m, sizeof(m)), HOST_MATCH);
    assert_int_equal(hostname_check(xi, "xn--bcher-kva.example", m, sizeof(m)), HOST_MATCH);
    assert_int_equal(hostname_check(xi, "bucher.example", m, sizeof(m)), HOST_NO_MATCH);
    done(xi);

    /* a whole-label wildcard covers an A-label like any other label */
    xi = cert(NULL, "DNS:*.contoso.com");
    assert_int_equal(hostname_check(xi, "bücher.contoso.com", m, sizeof(m)), HOST_MATCH);
    assert_string_equal(m, "*.contoso.com");
    done(xi);

    /* ... but a wildcard never matches part of one (RFC 6125 §7.2) */
    xi = cert(NULL, "DNS:xn--*.contoso.com,DNS:xn--bcher-*.contoso.com,"
                    "DNS:*-kva.contoso.com,DNS:x*.contoso.com");
    assert_int_equal(hostname_check(xi, "bücher.contoso.com", m, sizeof(m)), HOST_NO_MATCH);
    assert_int_equal(hostname_check(xi, "xn--bcher-kva.contoso.com", m, sizeof(m)), HOST_NO_MATCH);
    done(xi);

    /* OpenSSL wants two labels after the '*': "*.example" is no wildcard */
    xi = cert(NULL, "DNS:*.example");
    assert_int_equal(hostname_check(xi, "bücher.example", m, sizeof(m)), HOST_NO_MATCH);
    assert_int_equal(hostname_check(xi, "mail.example", m, sizeof(m)), HOST_NO_MATCH);
    done(xi);

    /* the CN as an A-label */
    xi = cert("xn--mnchen-3ya.de", NULL);
    assert_int_equal(hostname_check(xi, "münchen.de", m, sizeof(m)), HOST_MATCH);
    done(xi);
}

static void test_check_bad_and_unparsed(void **state)
{
    const struct x509_info *xi = cert(NULL, "DNS:mail.contoso.com");
    static const uint8_t junk[] = { 0x30, 0x03, 0x02, 0x01, 0x00 };
    const struct x509_info *bad;
    char m[16] = "x";

    (void)state;
    assert_int_equal(hostname_check(xi, "", m, sizeof(m)), HOST_BAD_NAME);
    assert_string_equal(m, "");
    assert_int_equal(hostname_check(xi, NULL, m, sizeof(m)), HOST_BAD_NAME);
    assert_int_equal(hostname_check(xi, "mail..contoso.com", m, sizeof(m)), HOST_BAD_NAME);
    assert_int_equal(hostname_check(xi, "mail_1.contoso.com", m, sizeof(m)), HOST_BAD_NAME);
    assert_int_equal(hostname_check(xi, "[192.0.2.1]", m, sizeof(m)), HOST_BAD_NAME);
    assert_int_equal(hostname_check(xi, "b\xFC" "cher.example", m, sizeof(m)), HOST_BAD_NAME);
    assert_int_equal(hostname_check(xi, "mail.contoso.com\n", m, sizeof(m)), HOST_BAD_NAME);
    done(xi);

    /* the name is judged before the certificate */
    assert_int_equal(hostname_check(NULL, "a..b", m, sizeof(m)), HOST_BAD_NAME);
    assert_int_equal(hostname_check(NULL, "mail.contoso.com", m, sizeof(m)), HOST_UNPARSED);
    assert_int_equal(hostname_check(NULL, "192.0.2.1", m, sizeof(m)), HOST_UNPARSED);

    bad = x509_cache_get(cache, junk, sizeof(junk));
    assert_non_null(bad);
    assert_false(bad->parsed);
    assert_int_equal(hostname_check(bad, "mail.contoso.com", m, sizeof(m)), HOST_UNPARSED);
    assert_int_equal(hostname_check(bad, "2001:db8::1", m, sizeof(m)), HOST_UNPARSED);
    assert_int_equal(hostname_check(bad, "-bad-", m, sizeof(m)), HOST_BAD_NAME);
    done(bad);
}

/* A certificate from the captures: a real wildcard leaf made by openssl. */
static void test_check_capture_certs(void **state)
{
    static const struct { const char *file, *name; enum hostname_result want; } cases[] = {
        { "pcaps/certs/wildcard-mismatch.pem", "mail.example.test", HOST_MATCH },
        { "pcaps/certs/wildcard-mismatch.pem", "mx.mail.example.test", HOST_NO_MATCH },
        { "pcaps/certs/wildcard-mismatch.pem", "example.test", HOST_NO_MATCH },
        { "pcaps/certs/wrong-hostname.pem", "mail.example.test", HOST_NO_MATCH },
        { "pcaps/certs/wrong-hostname.pem", "other.example.test", HOST_MATCH },
        { "pcaps/certs/clean-tls12.pem", "MAIL.example.test.", HOST_MATCH },
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        FILE *f = fopen(cases[i].file, "r");
        X509 *x;
        unsigned char *der = NULL;
        int len;
        const struct x509_info *xi;

        if (f == NULL)
            fail_msg("cannot open %s (run from the top of the tree)", cases[i].file);
        x = PEM_read_X509(f, NULL, NULL, NULL);
        fclose(f);
        assert_non_null(x);
        len = i2d_X509(x, &der);
        assert_true(len > 0);
        xi = x509_cache_get(cache, der, (size_t)len);
        assert_non_null(xi);
        if (hostname_check(xi, cases[i].name, NULL, 0) != cases[i].want)
            fail_msg("%s vs %s: got %s", cases[i].file, cases[i].name,
                     hostname_result_name(hostname_check(xi, cases[i].name, NULL, 0)));
        done(xi);
        OPENSSL_free(der);
        X509_free(x);
    }
}

static void test_result_names(void **state)
{
    (void)state;
    assert_string_equal(hostname_result_name(HOST_MATCH), "match");
    assert_string_equal(hostname_result_name(HOST_NO_MATCH), "no_match");
    assert_string_equal(hostname_result_name(HOST_BAD_NAME), "bad_name");
    assert_string_equal(hostname_result_name(HOST_UNPARSED), "unparsed");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normalize_ascii),
        cmocka_unit_test(test_normalize_idn),
        cmocka_unit_test(test_normalize_lengths),
        cmocka_unit_test(test_normalize_bad),
        cmocka_unit_test(test_punycode_rfc3492),
        cmocka_unit_test(test_punycode_edges),
        cmocka_unit_test(test_is_ip),
        cmocka_unit_test(test_check_exact),
        cmocka_unit_test(test_check_wildcard),
        cmocka_unit_test(test_check_partial_wildcard),
        cmocka_unit_test(test_check_cn),
        cmocka_unit_test(test_check_ip),
        cmocka_unit_test(test_check_idn),
        cmocka_unit_test(test_check_bad_and_unparsed),
        cmocka_unit_test(test_check_capture_certs),
        cmocka_unit_test(test_result_names),
    };

    return cmocka_run_group_tests_name("hostname", tests, setup, teardown);
}
