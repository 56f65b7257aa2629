/*
 * test_evidence.c - one capture point's evidence of a box in front of the
 * server: the product patterns of analyze/products.txt against the values
 * their sources give, the names, the masked STARTTLS, and the network layer
 * (TTL and SYN-ACK options) within a connection and across the ports of one
 * address; KNOWN_INTERCEPTOR and TLS_TERMINATOR_SUSPECTED, and when neither
 * may be raised.
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
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "analyze/evidence.h"
#include "analyze/x509.h"
#include "tests/x509_take.h"
#include "tests/smtp_lines.h"

#define US 1000000ull
#define T0 1797292800ull

static EVP_PKEY *key;
static struct x509_cache *xc;

static int setup(void **state)
{
    (void)state;
    key = EVP_EC_gen("P-256");
    xc = x509_cache_new(0);
    return key != NULL && xc != NULL ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    EVP_PKEY_free(key);
    x509_cache_free(xc);
    return 0;
}

/* add_dn adds "K=V" pairs (NULL-terminated) to |nm|, in order. */
static void add_dn(X509_NAME *nm, const char *const *kv)
{
    for (size_t i = 0; kv[i] != NULL; i++) {
        char k[32];
        const char *eq = strchr(kv[i], '=');

        assert_non_null(eq);
        snprintf(k, sizeof(k), "%.*s", (int)(eq - kv[i]), kv[i]);
        assert_true(X509_NAME_add_entry_by_txt(nm, k, MBSTRING_UTF8,
                                               (const unsigned char *)eq + 1, -1, -1, 0));
    }
}

/* cert: a certificate with |subject| and |issuer| (NULL: self-issued) and a
 * DNS name |dns| (NULL: none), parsed through the cache. */
static const struct x509_info *cert(const char *const *subject, const char *const *issuer,
                                    const char *dns)
{
    X509 *x = X509_new();

    assert_non_null(x);
    assert_true(X509_set_version(x, X509_VERSION_3));
    assert_true(ASN1_INTEGER_set(X509_get_serialNumber(x), 7));
    assert_true(ASN1_TIME_set_string(X509_getm_notBefore(x), "20260101000000Z"));
    assert_true(ASN1_TIME_set_string(X509_getm_notAfter(x), "20280101000000Z"));
    assert_true(X509_set_pubkey(x, key));
    add_dn(X509_get_subject_name(x), subject);
    add_dn(X509_get_issuer_name(x), issuer != NULL ? issuer : subject);
    if (dns != NULL) {
        GENERAL_NAMES *g = sk_GENERAL_NAME_new_null();
        GENERAL_NAME *gn = a2i_GENERAL_NAME(NULL, NULL, NULL, GEN_DNS, dns, 0);

        assert_non_null(gn);
        assert_true(sk_GENERAL_NAME_push(g, gn) > 0);
        assert_true(X509_add1_ext_i2d(x, NID_subject_alt_name, g, 0, X509V3_ADD_APPEND) == 1);
        GENERAL_NAMES_free(g);
    }
    assert_true(X509_sign(x, key, EVP_sha256()) > 0);
    return x509_take(xc, x);
}

/* session: 192.0.2.10 -> 203.0.113.25:|port|, the SMTP dialogue |lines|
 * ("S:" server, "C:" client), TLS 1.2 with SNI |sni| when |tls|. */
static void session_init(struct session *s, uint16_t port, const char *const *lines, bool tls,
                         const char *sni)
{
    static const uint8_t srv[4] = {203, 0, 113, 25}, cli[4] = {192, 0, 2, 10};
    static uint64_t id;

    memset(s, 0, sizeof(*s));
    s->id = ++id;
    s->client.family = s->server.family = 4;
    memcpy(s->client.b, cli, 4);
    memcpy(s->server.b, srv, 4);
    s->cport = (uint16_t)(40000 + id);
    s->sport = port;
    s->first_us = (T0 + id) * US;
    s->last_us = s->first_us + US;
    s->tls = tls;
    s->sni = (char *)(uintptr_t)sni;
    if (lines == NULL)
        return;
    smtp_lines(s, lines);
}

/* net: the SYN-ACK at |synack_ttl| with Linux's options (or Windows' when
 * |windows|), the first reply at |data_ttl|. */
static void net(struct session *s, uint8_t synack_ttl, uint8_t data_ttl, bool windows)
{
    static const uint8_t linux_opts[] = {2, 4, 8, 1, 3}, win_opts[] = {2, 1, 3, 1, 1, 4};

    s->net.syn_us = s->first_us;
    s->net.synack_us = s->first_us + 50;
    s->net.ack_us = s->first_us + 100;
    s->net.syn_ttl = 64;
    s->net.synack_ttl = synack_ttl;
    s->net.data_ttl[TCP_TO_CLIENT] = data_ttl;
    s->net.data_us[TCP_TO_CLIENT] = s->first_us + 40000;
    s->net.synack_wscale = windows ? 8 : 7;
    s->net.nsynack_opts = windows ? sizeof(win_opts) : sizeof(linux_opts);
    memcpy(s->net.synack_opts, windows ? win_opts : linux_opts, s->net.nsynack_opts);
}

static void done(struct session *s)
{
    smtp_free(s->smtp);
    s->smtp = NULL;
}

/* run: the evidence of |s| with chain |c| (|n| entries) */
static void run(struct evidence_ctx *cx, struct session *s, const struct x509_info *const *c,
                size_t n, bool expected_leaf, struct evidence *ev, struct findings *fs)
{
    memset(fs, 0, sizeof(*fs));
    evidence_session(cx, s, c, n, NULL, expected_leaf, ev, fs);
}

static const struct evidence_item *find_kind(const struct evidence *ev, enum evidence_kind k)
{
    for (size_t i = 0; i < ev->n; i++)
        if (ev->v[i].kind == k)
            return &ev->v[i];
    return NULL;
}

static const struct finding *find_code(const struct findings *fs, enum finding_code c)
{
    for (size_t i = 0; i < fs->n; i++)
        if (fs->v[i].code == c)
            return &fs->v[i];
    return NULL;
}

/* need_kind and need_code fail the test when there is none */
static const struct evidence_item *need_kind(const struct evidence *ev, enum evidence_kind k)
{
    const struct evidence_item *it = find_kind(ev, k);

    if (it == NULL) {
        fail_msg("no %s item", evidence_kind_name(k));
        abort();
    }
    return it;
}

static const struct finding *need_code(const struct findings *fs, enum finding_code c)
{
    const struct finding *f = find_code(fs, c);

    if (f == NULL) {
        fail_msg("no %s finding", finding_code_name(c));
        abort();
    }
    return f;
}

static const char *const clean_dialogue[] = {
    "S:220 mail.example.test ESMTP Postfix", "C:EHLO sender.example.org",
    "S:250-mail.example.test", "S:250-PIPELINING", "S:250 STARTTLS",
    "C:STARTTLS", "S:220 2.0.0 Ready to start TLS", NULL,
};

static void test_table(void **state)
{
    struct evidence_ctx *cx = evidence_new();

    (void)state;
    /* the table compiled in reads whole: every entry has a role, a source
     * and a pattern (evidence_new fails otherwise) */
    assert_non_null(cx);
    assert_true(evidence_products(cx) >= 10);
    assert_string_equal(evidence_kind_name(EV_PRODUCT_BANNER), "product_banner");
    assert_string_equal(evidence_kind_name(EV_KIND_COUNT), "?");
    assert_string_equal(evidence_strength_name(EV_STRONG), "strong");
    evidence_free(cx);
    evidence_free(NULL);
}

/* banners as the sources give them (nmap-service-probes' matches) */
static void test_banners(void **state)
{
    static const struct {
        const char *banner, *product;
        enum evidence_strength st;
    } cases[] = {
        {"220 mx.example.com ESMTP (0123456789abcdef0123456789ABCDEF)", "Barracuda", EV_MEDIUM},
        {"220 ****************************************", "Cisco ASA", EV_STRONG},
        {"220 2**0*******2*0***0**00", "Cisco ASA", EV_STRONG},
        {"220 CheckPoint FireWall-1 secure ESMTP server", "Check Point", EV_MEDIUM},
        {"220 gw.example.com ESMTP Symantec Messaging Gateway", "Symantec", EV_MEDIUM},
        {"220 fm.example.com ESMTP Smtpd; Tue, 1 Dec 2026 10:00:00 +0100", "FortiMail",
         EV_MEDIUM},
        {"220-InterScan Version 3.6-Build_1123 $Date: 04/21/2026 Ready", "Trend Micro",
         EV_MEDIUM},
        {"220 imss.example.com Trend Micro InterScan Messaging Security Suite, Version: 9.1 ready",
         "Trend Micro", EV_MEDIUM},
        {"220 mail.example.test ESMTP Postfix", NULL, EV_WEAK},
        {"220 mx.example.com ESMTP (0123456789abcdef)", NULL, EV_WEAK},
        {"220 mx.example.com Microsoft ESMTP MAIL Service ready at Tue, 1 Dec 2026", NULL, EV_WEAK},
    };
    struct evidence_ctx *cx = evidence_new();

    (void)state;
    assert_non_null(cx);
    /* three rounds: the second and third find each banner's verdicts in
     * the context's memo, and must give the same items as the first */
    for (size_t r = 0; r < 3 * (sizeof(cases) / sizeof(cases[0])); r++) {
        size_t i = r % (sizeof(cases) / sizeof(cases[0]));
        const char *lines[] = {"S:x", NULL, NULL};
        char line[200];
        struct session s;
        struct evidence ev;
        struct findings fs;
        const struct evidence_item *it;
        const struct finding *f;

        snprintf(line, sizeof(line), "S:%s", cases[i].banner);
        lines[0] = line;
        /* a multi-line greeting ends with its last line */
        lines[1] = cases[i].banner[3] == '-' ? "S:220 imss.example.com ESMTP Postfix" : NULL;
        session_init(&s, 25, lines, false, NULL);
        run(cx, &s, NULL, 0, false, &ev, &fs);
        it = find_kind(&ev, EV_PRODUCT_BANNER);
        f = find_code(&fs, F_KNOWN_INTERCEPTOR);
        if (cases[i].product == NULL) {
            assert_null(it);
            assert_null(f);
            assert_int_equal(fs.n, 0);
        } else {
            if (it == NULL) {
                fail_msg("no banner item for %s", cases[i].banner);
                abort();
            }
            assert_non_null(strstr(it->product, cases[i].product));
            assert_int_equal(it->strength, cases[i].st);
            assert_non_null(it->source);
            assert_true(strlen(it->source) > 10);
            assert_non_null(strstr(it->seen, cases[i].banner));
            if (f == NULL || it == NULL)
                abort();
            assert_int_equal(f->sev, SEV_LOW);
            assert_non_null(strstr(f->msg, cases[i].product));
            assert_non_null(strstr(f->msg, "source: "));
            /* no TLS: nothing terminated here */
            assert_null(find_code(&fs, F_TLS_TERMINATOR_SUSPECTED));
        }
        done(&s);
    }
    evidence_free(cx);
}

/* Cisco ASA's inspection: the masked STARTTLS is the product's and proof
 * of a rewrite on the way */
static void test_masked_starttls(void **state)
{
    static const char *const lines[] = {
        "S:220 *****************************", "C:EHLO sender.example.org",
        "S:250-mail.example.test", "S:250-PIPELINING", "S:250 XXXXXXXA", NULL,
    };
    struct evidence_ctx *cx = evidence_new();
    struct session s;
    struct evidence ev;
    struct findings fs;
    const struct evidence_item *it;

    (void)state;
    session_init(&s, 25, lines, false, NULL);
    run(cx, &s, NULL, 0, false, &ev, &fs);
    it = need_kind(&ev, EV_STARTTLS_MASKED);
    assert_int_equal(it->strength, EV_STRONG);
    assert_non_null(strstr(it->seen, "XXXXXXXA"));
    it = find_kind(&ev, EV_PRODUCT_EHLO);
    assert_null(it);   /* one item per product: the banner is the stronger-or-equal first */
    it = need_kind(&ev, EV_PRODUCT_BANNER);
    assert_non_null(strstr(it->product, "Cisco ASA"));
    assert_non_null(find_code(&fs, F_KNOWN_INTERCEPTOR));
    assert_null(find_code(&fs, F_TLS_TERMINATOR_SUSPECTED));
    done(&s);
    evidence_free(cx);
}

/* inspection CAs: the issuer of any certificate of the chain */
static void test_certificates(void **state)
{
    static const char *const forti_ca[] = {
        "C=US", "L=Sunnyvale", "O=Fortinet", "CN=FGT60D4615012345",
        "emailAddress=support@fortinet.com", NULL};
    static const char *const forti_ssl[] = {"C=US", "O=Fortinet Ltd.", "CN=Fortinet_CA_SSL", NULL};
    static const char *const zs_inter[] = {
        "C=US", "O=Zscaler Inc.", "CN=Zscaler Intermediate Root CA (zscaler.net)", NULL};
    static const char *const zs_root[] = {"C=US", "O=Zscaler Inc.", "OU=Zscaler Inc.",
                                          "CN=Zscaler Root CA", NULL};
    static const char *const mitm[] = {"CN=mitmproxy", "O=mitmproxy", NULL};
    static const char *const leaf[] = {"CN=mail.example.test", NULL};
    static const char *const public_ca[] = {"C=US", "O=Let's Encrypt", "CN=R11", NULL};
    const struct x509_info *c[2];
    struct evidence_ctx *cx = evidence_new();
    struct session s;
    struct evidence ev;
    struct findings fs;
    const struct evidence_item *it;
    const struct finding *f;

    (void)state;
    /* FortiGate's per-device CA, as the sources print it */
    c[0] = cert(leaf, forti_ca, "mail.example.test");
    session_init(&s, 25, clean_dialogue, true, "mail.example.test");
    run(cx, &s, c, 1, false, &ev, &fs);
    it = need_kind(&ev, EV_PRODUCT_CERTIFICATE);
    assert_non_null(strstr(it->product, "FortiGate"));
    assert_int_equal(it->strength, EV_MEDIUM);
    f = need_code(&fs, F_KNOWN_INTERCEPTOR);
    assert_int_equal(f->sev, SEV_MEDIUM);
    /* the same, but it is the expected certificate: said, at info */
    run(cx, &s, c, 1, true, &ev, &fs);
    assert_int_equal(need_code(&fs, F_KNOWN_INTERCEPTOR)->sev, SEV_INFO);
    x509_cache_release(xc, c[0]);

    /* Fortinet_CA_SSL: strong */
    c[0] = cert(leaf, forti_ssl, "mail.example.test");
    run(cx, &s, c, 1, false, &ev, &fs);
    it = need_kind(&ev, EV_PRODUCT_CERTIFICATE);
    assert_int_equal(it->strength, EV_STRONG);
    x509_cache_release(xc, c[0]);

    /* Zscaler: the intermediate's issuer is the root (the leaf's issuer is
     * the intermediate: medium; the chain's second certificate: strong) */
    c[0] = cert(leaf, zs_inter, "mail.example.test");
    c[1] = cert(zs_inter, zs_root, NULL);
    run(cx, &s, c, 2, false, &ev, &fs);
    it = need_kind(&ev, EV_PRODUCT_CERTIFICATE);
    assert_non_null(strstr(it->product, "Zscaler"));
    assert_int_equal(it->strength, EV_STRONG);
    x509_cache_release(xc, c[0]);
    x509_cache_release(xc, c[1]);

    c[0] = cert(leaf, mitm, "mail.example.test");
    run(cx, &s, c, 1, false, &ev, &fs);
    it = need_kind(&ev, EV_PRODUCT_CERTIFICATE);
    assert_string_equal(it->product, "mitmproxy");
    x509_cache_release(xc, c[0]);

    /* a public CA's certificate for the right name: nothing at all */
    c[0] = cert(leaf, public_ca, "mail.example.test");
    run(cx, &s, c, 1, false, &ev, &fs);
    assert_int_equal(ev.n, 0);
    assert_int_equal(fs.n, 0);
    x509_cache_release(xc, c[0]);
    done(&s);
    evidence_free(cx);
}

/* the appliance case from one point: the box names itself, and the network
 * layer shows port 25 nearer than port 587 of the same address */
static void test_names_and_network(void **state)
{
    static const char *const appliance[] = {
        "S:220 barracuda.local ESMTP", "C:EHLO sender.example.org",
        "S:250-barracuda.local", "S:250 STARTTLS", "C:STARTTLS", "S:220 2.0.0 Ready", NULL,
    };
    static const char *const self[] = {"CN=barracuda.local", "O=appliance", NULL};
    static const char *const right[] = {"CN=mail.example.test", NULL};
    struct evidence_ctx *cx = evidence_new();
    const struct x509_info *bad = cert(self, NULL, "barracuda.local");
    const struct x509_info *good = cert(right, NULL, "mail.example.test");
    struct session s, t;
    struct evidence ev;
    struct findings fs;
    const struct evidence_item *it;
    const struct finding *f;

    (void)state;
    /* names alone: an item, not enough for a suspicion */
    session_init(&s, 25, appliance, true, "mail.example.test");
    net(&s, 63, 63, false);
    run(cx, &s, &bad, 1, false, &ev, &fs);
    it = need_kind(&ev, EV_NAMES);
    assert_int_equal(it->strength, EV_MEDIUM);
    assert_non_null(strstr(it->seen, "barracuda.local"));
    assert_non_null(strstr(it->expected, "mail.example.test"));
    assert_null(find_kind(&ev, EV_TTL));
    assert_null(find_code(&fs, F_TLS_TERMINATOR_SUSPECTED));
    done(&s);

    /* port 587 of the same address answers from one hop further, with
     * another TCP stack: the next port-25 session has both items */
    session_init(&t, 587, clean_dialogue, true, "mail.example.test");
    net(&t, 126, 126, true);
    run(cx, &t, &good, 1, false, &ev, &fs);
    assert_int_equal(ev.n, 0);   /* it names the right server, and the earlier 25 is nearer:
                                    the farther port is not the one answered for */
    assert_int_equal(fs.n, 0);
    done(&t);

    session_init(&s, 25, appliance, true, "mail.example.test");
    net(&s, 63, 63, false);
    run(cx, &s, &bad, 1, false, &ev, &fs);
    it = need_kind(&ev, EV_TTL);
    assert_int_equal(it->strength, EV_MEDIUM);
    assert_non_null(strstr(it->seen, "port 25 answers from 1 hop away (TTL 63)"));
    assert_non_null(strstr(it->seen, "port 587 of the same address from 2 hops away (TTL 126)"));
    it = need_kind(&ev, EV_TCP_FINGERPRINT);
    assert_non_null(strstr(it->seen, "mss,sok,ts,nop,ws"));
    f = need_code(&fs, F_TLS_TERMINATOR_SUSPECTED);
    assert_int_equal(f->sev, SEV_HIGH);
    assert_true(ev.suspected);
    assert_non_null(strstr(f->msg, "evidence, not proof"));
    assert_non_null(strstr(f->msg, "barracuda.local"));
    /* the expected certificate: no suspicion whatever the rest */
    run(cx, &s, &bad, 1, true, &ev, &fs);
    assert_null(find_code(&fs, F_TLS_TERMINATOR_SUSPECTED));
    done(&s);

    /* within one connection: the SYN-ACK from nearer than the data (a new
     * context: nothing known of the address's other ports) */
    evidence_free(cx);
    cx = evidence_new();
    session_init(&s, 2525, clean_dialogue, true, "mail.example.test");
    net(&s, 64, 61, false);
    run(cx, &s, &good, 1, false, &ev, &fs);
    it = need_kind(&ev, EV_TTL);
    assert_non_null(strstr(it->seen, "the SYN-ACK came from 0 hops away (TTL 64), the server's "
                                     "first reply from 3 hops away (TTL 61)"));
    assert_null(find_code(&fs, F_TLS_TERMINATOR_SUSPECTED));   /* one kind only */
    done(&s);

    x509_cache_release(xc, bad);
    x509_cache_release(xc, good);
    evidence_free(cx);
}

/* a direct server seen many times on one port, and the hop estimate */
static void test_no_false_alarm(void **state)
{
    static const char *const right[] = {"CN=mail.example.test", NULL};
    struct evidence_ctx *cx = evidence_new();
    const struct x509_info *good = cert(right, NULL, "mail.example.test");
    struct session s;
    struct evidence ev;
    struct findings fs;

    (void)state;
    for (int i = 0; i < 50; i++) {
        session_init(&s, i % 2 ? 25 : 587, clean_dialogue, true, "mail.example.test");
        net(&s, 57, 57, false);
        run(cx, &s, &good, 1, false, &ev, &fs);
        assert_int_equal(ev.n, 0);
        assert_int_equal(fs.n, 0);
        done(&s);
    }
    /* implicit TLS: no SMTP at all */
    session_init(&s, 465, NULL, true, "mail.example.test");
    s.implicit_tls = true;
    net(&s, 57, 57, false);
    run(cx, &s, &good, 1, false, &ev, &fs);
    assert_int_equal(ev.n, 0);
    assert_int_equal(fs.n, 0);
    /* no network facts: no network items (a capture that starts mid-stream) */
    memset(&s.net, 0, sizeof(s.net));
    run(cx, &s, &good, 1, false, &ev, &fs);
    assert_int_equal(ev.n, 0);
    assert_int_equal(session_net_hops(0), -1);
    assert_int_equal(session_net_hops(64), 0);
    assert_int_equal(session_net_hops(63), 1);
    assert_int_equal(session_net_hops(113), 15);
    assert_int_equal(session_net_hops(250), 5);
    assert_int_equal(session_net_hops(30), 2);
    x509_cache_release(xc, good);
    evidence_free(cx);
}

/* many addresses: the table keeps its size and still compares recent ones */
static void test_many_addresses(void **state)
{
    struct evidence_ctx *cx = evidence_new();
    struct session s;
    struct evidence ev;
    struct findings fs;

    (void)state;
    for (uint32_t i = 0; i < 100000; i++) {
        session_init(&s, (uint16_t)(i % 3 ? 25 : 587), NULL, false, NULL);
        s.server.b[1] = (uint8_t)(i >> 16);
        s.server.b[2] = (uint8_t)(i >> 8);
        s.server.b[3] = (uint8_t)i;
        net(&s, 60, 60, false);
        run(cx, &s, NULL, 0, false, &ev, &fs);
        assert_int_equal(ev.n, 0);
    }
    evidence_free(cx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_banners),
        cmocka_unit_test(test_masked_starttls),
        cmocka_unit_test(test_certificates),
        cmocka_unit_test(test_names_and_network),
        cmocka_unit_test(test_no_false_alarm),
        cmocka_unit_test(test_many_addresses),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
