/*
 * test_judge.c - the checks of one session and the memory across sessions.
 *
 * Sessions are built here as the session layer would leave them: a real
 * SMTP parser fed a dialogue, the TLS facts set by hand, and the captures'
 * certificates (pcaps/certs, issued under pcaps/certs/test-root-ca.pem)
 * through the shared certificate cache.  The capture time is 2026-12-15,
 * inside every one of their validity periods.  Run from the top of the tree.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/expect.h"
#include "analyze/judge.h"
#include "analyze/servers.h"
#include "analyze/verify.h"
#include "analyze/x509.h"
#include "tests/pem_der.h"
#include "tests/smtp_lines.h"

#define T0 1797292800ull            /* 2026-12-15T00:00:00Z */
#define US 1000000ull

struct fx {
    struct x509_cache *xc;
    struct verify_store *store;
    struct expect_set *expect;
    struct judge *j;
    const struct x509_info *clean, *inter, *barracuda, *other, *expired;
};

static struct fx *fx_new(const char *expect_spec, bool at_set, int64_t at)
{
    struct fx *f = calloc(1, sizeof(*f));
    char err[256];
    struct judge_opts jo = {0};

    assert_non_null(f);
    f->xc = x509_cache_new(0);
    f->store = verify_store_new("pcaps/certs/test-root-ca.pem", NULL, err, sizeof(err));
    assert_non_null(f->store);
    if (expect_spec) {
        f->expect = expect_new();
        assert_int_equal(expect_add(f->expect, expect_spec, "test", err, sizeof(err)), 0);
    }
    jo.expect = f->expect;
    jo.store = f->store;
    jo.at_set = at_set;
    jo.at = at;
    f->j = judge_new(&jo);
    assert_non_null(f->j);
    f->clean = pem_cert(f->xc, "clean-tls12");
    f->inter = pem_cert(f->xc, "test-intermediate-ca");
    f->barracuda = pem_cert(f->xc, "appliance-outside");
    f->other = pem_cert(f->xc, "wrong-hostname");
    f->expired = pem_cert(f->xc, "expired-cert");
    return f;
}

static void fx_free(struct fx *f)
{
    x509_cache_release(f->xc, f->clean);
    x509_cache_release(f->xc, f->inter);
    x509_cache_release(f->xc, f->barracuda);
    x509_cache_release(f->xc, f->other);
    x509_cache_release(f->xc, f->expired);
    judge_free(f->j);
    expect_free(f->expect);
    verify_store_free(f->store);
    x509_cache_free(f->xc);
    free(f);
}

/* session: 192.0.2.10 -> 198.51.100.25:25 at T0 + |at_s|, with the SMTP
 * dialogue |lines| ("S:..." from the server, "C:..." from the client). */
static void session_init(struct session *s, uint64_t id, unsigned at_s, const char *const *lines)
{
    static const uint8_t srv[4] = {198, 51, 100, 25}, cli[4] = {192, 0, 2, 10};

    memset(s, 0, sizeof(*s));
    s->id = id;
    s->client.family = s->server.family = 4;
    memcpy(s->client.b, cli, 4);
    memcpy(s->server.b, srv, 4);
    s->cport = (uint16_t)(40000 + id);
    s->sport = 25;
    s->first_us = (T0 + at_s) * US;
    s->last_us = s->first_us + US;
    s->end = TCP_CLOSE_FIN;
    if (lines == NULL)
        return;
    smtp_lines(s, lines);
}

/* tls12: an established TLS 1.2 handshake (ECDHE-RSA-AES256-GCM-SHA384). */
static void tls12(struct session *s, const char *sni)
{
    s->tls = s->client_hello = s->server_hello = true;
    s->version = 0x0303;
    s->cipher = 0xC030;
    s->sni = (char *)(uintptr_t)sni;
    s->tls_state = SESSION_TLS_ESTABLISHED;
    s->server_chain.seen = true;
    s->server_chain.n = s->server_chain.total = 2;
}

static void session_done(struct session *s)
{
    smtp_free(s->smtp);
    s->smtp = NULL;
    free(s->ja3s);
    s->ja3s = NULL;
}

static const char *const starttls_ok[] = {
    "S:220 mail.example.test ESMTP", "C:EHLO sender.example.org",
    "S:250-mail.example.test", "S:250-PIPELINING", "S:250 STARTTLS",
    "C:STARTTLS", "S:220 2.0.0 Ready to start TLS", NULL,
};

/* codes: the finding codes of |f| in order, comma-separated */
static const char *codes(const struct findings *f)
{
    static char buf[512];

    buf[0] = '\0';
    for (size_t i = 0; i < f->n; i++) {
        if (i)
            strcat(buf, ",");
        strcat(buf, finding_code_name(f->v[i].code));
    }
    return buf;
}

static const struct finding *find(const struct findings *f, enum finding_code c)
{
    for (size_t i = 0; i < f->n; i++)
        if (f->v[i].code == c)
            return &f->v[i];
    fail_msg("no %s in [%s]", finding_code_name(c), codes(f));
    return NULL;
}

/* ---------------------------------------------------------------- tests */

static void test_clean(void **state)
{
    struct fx *f = fx_new(NULL, false, 0);
    struct session s;
    struct findings out;
    const struct x509_info *chain[2] = {f->clean, f->inter};
    enum step_state st[STEP_COUNT];
    char expected[256];

    (void)state;
    session_init(&s, 1, 0, starttls_ok);
    tls12(&s, "mail.example.test");
    judge_session(f->j, &s, chain, 2, &out, expected, sizeof(expected));
    assert_string_equal(codes(&out), "");
    assert_string_equal(expected, "");
    judge_steps(&s, &out, st);
    for (unsigned k = 0; k < STEP_COUNT; k++)
        assert_int_equal(st[k], STEP_PASS);
    session_done(&s);
    fx_free(f);
}

static void test_appliance(void **state)
{
    struct fx *f = fx_new("mail.example.test=sha256:620F591FD4086425ED1F501395985BE1295BF9BEE548E278209D60E16F9554A8",
                          false, 0);
    struct session s;
    struct findings out;
    const struct x509_info *chain[1] = {f->barracuda};
    enum step_state st[STEP_COUNT];
    char expected[512];
    const struct finding *m;

    (void)state;
    session_init(&s, 1, 0, starttls_ok);
    tls12(&s, "mail.example.test");
    s.server_chain.n = s.server_chain.total = 1;
    judge_session(f->j, &s, chain, 1, &out, expected, sizeof(expected));
    /* worst first, the rest in the order the checks ran */
    assert_string_equal(codes(&out), "CERT_MISMATCH,SELF_SIGNED,NAME_MISMATCH");
    m = find(&out, F_CERT_MISMATCH);
    assert_int_equal(m->sev, SEV_CRITICAL);
    assert_non_null(strstr(m->msg, f->barracuda->sha256_hex));
    assert_non_null(strstr(m->msg, "620F591FD4086425ED1F501395985BE1295BF9BEE548E278209D60E16F9554A8"));
    assert_non_null(strstr(m->msg, "CN=barracuda.local"));
    assert_non_null(strstr(expected, "620F591F"));
    assert_int_equal(find(&out, F_SELF_SIGNED)->sev, SEV_HIGH);
    assert_non_null(strstr(find(&out, F_NAME_MISMATCH)->msg, "mail.example.test (the SNI)"));
    judge_steps(&s, &out, st);
    assert_int_equal(st[STEP_CERTIFICATE], STEP_FAIL);
    assert_int_equal(st[STEP_TLS], STEP_PASS);
    assert_int_equal(st[STEP_STRENGTH], STEP_PASS);
    session_done(&s);
    fx_free(f);
}

/* The certificate hidden by TLS 1.3 is not a mismatch: nothing to compare. */
static void test_hidden_not_mismatch(void **state)
{
    struct fx *f = fx_new("sha256:620F591FD4086425ED1F501395985BE1295BF9BEE548E278209D60E16F9554A8",
                          false, 0);
    struct session s;
    struct findings out;
    enum step_state st[STEP_COUNT];

    (void)state;
    session_init(&s, 1, 0, starttls_ok);
    tls12(&s, "mail.example.test");
    s.version = 0x0304;
    s.cipher = 0x1302;
    s.cert_hidden = true;
    s.server_chain.seen = false;
    s.server_chain.n = 0;
    judge_session(f->j, &s, NULL, 0, &out, NULL, 0);
    assert_string_equal(codes(&out), "CERT_HIDDEN");
    assert_int_equal(out.v[0].sev, SEV_INFO);
    judge_steps(&s, &out, st);
    assert_int_equal(st[STEP_CERTIFICATE], STEP_NOT_SEEN);
    session_done(&s);
    fx_free(f);
}

/* --at moves the judgement; without it the capture time counts. */
static void test_time(void **state)
{
    struct fx *f = fx_new(NULL, true, 2208988800);   /* 2040-01-01 */
    struct fx *g = fx_new(NULL, false, 0);
    struct session s;
    struct findings out;
    const struct x509_info *chain[2];

    (void)state;
    session_init(&s, 1, 0, starttls_ok);
    tls12(&s, "mail.example.test");
    chain[0] = f->clean;
    chain[1] = f->inter;
    judge_session(f->j, &s, chain, 2, &out, NULL, 0);
    assert_string_equal(codes(&out), "EXPIRED");
    /* the expired certificate, at the capture time: EXPIRED, never also untrusted */
    chain[0] = g->expired;
    chain[1] = g->inter;
    judge_session(g->j, &s, chain, 2, &out, NULL, 0);
    assert_string_equal(codes(&out), "EXPIRED");
    assert_non_null(strstr(out.v[0].msg, "valid until"));
    session_done(&s);
    fx_free(f);
    fx_free(g);
}

static void test_smtp_side(void **state)
{
    static const char *const not_offered[] = {
        "S:220 mail.example.test ESMTP", "C:EHLO sender.example.org",
        "S:250-mail.example.test", "S:250 PIPELINING",
        "C:MAIL FROM:<a@example.org>", "S:250 2.1.0 Ok", NULL,
    };
    static const char *const refused[] = {
        "S:220 mail.example.test ESMTP", "C:EHLO sender.example.org",
        "S:250-mail.example.test", "S:250 STARTTLS", "C:STARTTLS",
        "S:454 4.7.0 TLS not available due to local problem",
        "C:MAIL FROM:<a@example.org>", "S:250 2.1.0 Ok", NULL,
    };
    static const char *const rejected[] = {
        "S:220 mail.example.test ESMTP", "C:EHLO sender.example.org",
        "S:250-mail.example.test", "S:250 STARTTLS",
        "C:MAIL FROM:<a@example.org>", "S:250 2.1.0 Ok", "C:RCPT TO:<b@example.test>",
        "S:450 4.7.320 Certificate validation failed", NULL,
    };
    static const char *const stripped[] = {
        "S:220 mail.example.test ESMTP", "C:EHLO sender.example.org",
        "S:250-mail.example.test", "S:250-XXXXXXXA", "S:250 PIPELINING",
        "C:MAIL FROM:<a@example.org>", "S:250 2.1.0 Ok", NULL,
    };
    static const char *const helo[] = {
        "S:220 mail.example.test ESMTP", "C:HELO sender.example.org",
        "S:250 mail.example.test", "C:MAIL FROM:<a@example.org>", "S:250 2.1.0 Ok", NULL,
    };
    struct fx *f = fx_new(NULL, false, 0);
    struct session s;
    struct findings out;
    enum step_state st[STEP_COUNT];

    (void)state;
    session_init(&s, 1, 0, not_offered);
    judge_session(f->j, &s, NULL, 0, &out, NULL, 0);
    assert_string_equal(codes(&out), "STARTTLS_NOT_OFFERED,MAIL_IN_CLEAR");
    assert_int_equal(out.v[0].sev, SEV_MEDIUM);
    assert_non_null(strstr(find(&out, F_MAIL_IN_CLEAR)->msg, "STARTTLS was not offered"));
    judge_steps(&s, &out, st);
    assert_int_equal(st[STEP_STARTTLS], STEP_FAIL);
    assert_int_equal(st[STEP_TLS], STEP_NOT_SEEN);
    session_done(&s);

    /* the refusal is quoted once, as STARTTLS_REFUSED (not again as a 4.7.x error) */
    session_init(&s, 2, 10, refused);
    judge_session(f->j, &s, NULL, 0, &out, NULL, 0);
    assert_string_equal(codes(&out), "STARTTLS_REFUSED,MAIL_IN_CLEAR");
    assert_non_null(strstr(out.v[0].msg, "454 4.7.0 TLS not available"));
    assert_non_null(strstr(out.v[1].msg, "refused"));
    session_done(&s);

    session_init(&s, 3, 20, rejected);
    judge_session(f->j, &s, NULL, 0, &out, NULL, 0);
    assert_string_equal(codes(&out), "SMTP_TLS_ERROR,MAIL_IN_CLEAR");
    assert_int_equal(out.v[0].sev, SEV_HIGH);
    assert_non_null(strstr(out.v[0].msg, "'450 4.7.320 Certificate validation failed'"));
    assert_non_null(strstr(out.v[1].msg, "offered but the client did not use it"));
    session_done(&s);

    /* a middlebox masked the offer: stripped, not merely not offered */
    session_init(&s, 5, 40, stripped);
    judge_session(f->j, &s, NULL, 0, &out, NULL, 0);
    assert_string_equal(codes(&out), "STARTTLS_STRIPPED,MAIL_IN_CLEAR");
    assert_int_equal(out.v[0].sev, SEV_HIGH);
    assert_non_null(strstr(out.v[0].msg, "'XXXXXXXA'"));
    assert_non_null(strstr(out.v[1].msg, "removed on the way"));
    session_done(&s);

    session_init(&s, 4, 30, helo);
    judge_session(f->j, &s, NULL, 0, &out, NULL, 0);
    assert_string_equal(codes(&out), "MAIL_IN_CLEAR");
    assert_non_null(strstr(out.v[0].msg, "HELO"));
    session_done(&s);
    fx_free(f);
}

/* A failed handshake, then the same client in clear: MAIL_IN_CLEAR says so;
 * a handshake that works in between makes the failure history. */
static void test_retry_in_clear(void **state)
{
    static const char *const plain[] = {
        "S:220 mail.example.test ESMTP", "C:EHLO sender.example.org",
        "S:250-mail.example.test", "S:250 STARTTLS",
        "C:MAIL FROM:<a@example.org>", "S:250 2.1.0 Ok", NULL,
    };
    struct fx *f = fx_new(NULL, false, 0);
    struct session s;
    struct findings out;
    const struct x509_info *chain[2] = {f->clean, f->inter};

    (void)state;
    session_init(&s, 7, 0, starttls_ok);
    tls12(&s, "mail.example.test");
    s.tls_state = SESSION_TLS_CERTIFICATE;
    s.end = TCP_CLOSE_RST;
    s.nalerts = 1;
    s.alerts[0] = (struct session_alert){.from = TCP_TO_SERVER, .level = 2, .desc = 48,
                                         .after_type = 14, .after_from = TCP_TO_CLIENT,
                                         .after_certificate = true, .ts_us = s.first_us};
    judge_session(f->j, &s, chain, 2, &out, NULL, 0);
    assert_string_equal(codes(&out), "TLS_ALERT");
    assert_int_equal(out.v[0].sev, SEV_HIGH);
    assert_non_null(strstr(out.v[0].msg, "rejected the server's certificate: fatal unknown_ca"));
    session_done(&s);

    session_init(&s, 8, 30, plain);
    judge_session(f->j, &s, NULL, 0, &out, NULL, 0);
    assert_string_equal(codes(&out), "MAIL_IN_CLEAR");
    assert_non_null(strstr(out.v[0].msg, "session 7"));
    session_done(&s);

    session_init(&s, 9, 60, starttls_ok);
    tls12(&s, "mail.example.test");
    judge_session(f->j, &s, chain, 2, &out, NULL, 0);
    assert_string_equal(codes(&out), "");
    session_done(&s);
    session_init(&s, 10, 90, plain);
    judge_session(f->j, &s, NULL, 0, &out, NULL, 0);
    assert_non_null(strstr(out.v[0].msg, "did not use it"));
    session_done(&s);
    fx_free(f);
}

static void test_alerts(void **state)
{
    struct fx *f = fx_new(NULL, false, 0);
    struct session s;
    struct findings out;

    (void)state;
    session_init(&s, 1, 0, starttls_ok);
    s.tls = s.client_hello = true;
    s.tls_state = SESSION_TLS_CLIENT_HELLO;
    s.nalerts = 2;
    s.alerts[0] = (struct session_alert){.from = TCP_TO_CLIENT, .level = 2, .desc = 40,
                                         .after_type = 1, .after_from = TCP_TO_SERVER};
    s.alerts[1] = (struct session_alert){.from = TCP_TO_SERVER, .level = 1, .desc = 0};
    judge_session(f->j, &s, NULL, 0, &out, NULL, 0);
    assert_string_equal(codes(&out), "TLS_ALERT");
    assert_int_equal(out.v[0].sev, SEV_MEDIUM);
    assert_non_null(strstr(out.v[0].msg, "server sent fatal handshake_failure after the client's client_hello"));
    assert_null(strstr(out.v[0].msg, "close_notify"));

    /* a level RFC 5246 does not define is named by its number, as in the
     * report (tls_alert_level_name) */
    s.alerts[0].level = 7;
    judge_session(f->j, &s, NULL, 0, &out, NULL, 0);
    assert_int_equal(out.v[0].sev, SEV_LOW);
    assert_non_null(strstr(out.v[0].msg, "server sent level-7 handshake_failure after"));
    session_done(&s);
    fx_free(f);
}

static void test_strength(void **state)
{
    struct fx *f = fx_new(NULL, false, 0);
    struct session s;
    struct findings out;
    const struct x509_info *chain[2] = {f->clean, f->inter};
    enum step_state st[STEP_COUNT];

    (void)state;
    session_init(&s, 1, 0, starttls_ok);
    tls12(&s, "mail.example.test");
    s.version = 0x0301;
    s.cipher = 0x002F;   /* TLS_RSA_WITH_AES_128_CBC_SHA */
    s.kx_seen = true;
    s.kx.kind = TLS_KX_DHE;
    s.kx.bits = 1024;
    judge_session(f->j, &s, chain, 2, &out, NULL, 0);
    assert_string_equal(codes(&out), "WEAK_PROTOCOL,WEAK_KEY,WEAK_CIPHER");
    assert_int_equal(find(&out, F_WEAK_PROTOCOL)->sev, SEV_MEDIUM);
    assert_int_equal(find(&out, F_WEAK_CIPHER)->sev, SEV_LOW);
    assert_non_null(strstr(find(&out, F_WEAK_KEY)->msg, "1024"));
    judge_steps(&s, &out, st);
    assert_int_equal(st[STEP_STRENGTH], STEP_FAIL);
    assert_int_equal(st[STEP_CERTIFICATE], STEP_PASS);
    session_done(&s);
    fx_free(f);
}

/* The same server with another certificate: said on the session where it
 * differs, naming both, per capture point. */
static void test_cert_changed(void **state)
{
    struct fx *f = fx_new(NULL, false, 0);
    struct session s;
    struct findings out;
    const struct x509_info *a[2] = {f->clean, f->inter}, *b[2] = {f->other, f->inter};
    const struct finding *c;

    (void)state;
    for (unsigned i = 0; i < 3; i++) {
        session_init(&s, i + 1, i * 10, starttls_ok);
        tls12(&s, "mail.example.test");
        judge_session(f->j, &s, a, 2, &out, NULL, 0);
        assert_string_equal(codes(&out), "");
        session_done(&s);
    }
    session_init(&s, 4, 40, starttls_ok);
    tls12(&s, "other.example.test");
    judge_session(f->j, &s, b, 2, &out, NULL, 0);
    assert_string_equal(codes(&out), "CERT_CHANGED");
    c = &out.v[0];
    assert_int_equal(c->sev, SEV_MEDIUM);
    assert_non_null(strstr(c->msg, "198.51.100.25:25"));
    assert_non_null(strstr(c->msg, f->other->sha256_hex));
    assert_non_null(strstr(c->msg, f->clean->sha256_hex));
    assert_non_null(strstr(c->msg, "in 3 earlier sessions"));
    session_done(&s);
    /* the whole message, as it was formatted with snprintf */
    {
        char want[FINDING_MSG_MAX];

        snprintf(want, sizeof(want), "198.51.100.25:25 presented sha256:%s (%s) here, but "
                 "sha256:%s (%s) in 3 earlier sessions (2026-12-15T00:00:00.000000Z .. "
                 "2026-12-15T00:00:20.000000Z)", f->other->sha256_hex, f->other->subject,
                 f->clean->sha256_hex, f->clean->subject);
        assert_string_equal(c->msg, want);
    }
    session_done(&s);
    /* again: the same words (the earlier certificate's sessions are the same) */
    session_init(&s, 6, 45, starttls_ok);
    tls12(&s, "other.example.test");
    judge_session(f->j, &s, b, 2, &out, NULL, 0);
    assert_string_equal(codes(&out), "CERT_CHANGED");
    assert_non_null(strstr(out.v[0].msg, "in 3 earlier sessions (2026-12-15T00:00:00.000000Z .. "
                                          "2026-12-15T00:00:20.000000Z)"));
    session_done(&s);
    /* the first certificate once more: it names the second, which was seen
     * twice; then the second names the first with its new count and dates */
    session_init(&s, 7, 47, starttls_ok);
    tls12(&s, "mail.example.test");
    judge_session(f->j, &s, a, 2, &out, NULL, 0);
    assert_string_equal(codes(&out), "CERT_CHANGED");
    assert_non_null(strstr(out.v[0].msg, "in 2 earlier sessions (2026-12-15T00:00:40.000000Z .. "
                                          "2026-12-15T00:00:45.000000Z)"));
    session_done(&s);
    session_init(&s, 8, 48, starttls_ok);
    tls12(&s, "other.example.test");
    judge_session(f->j, &s, b, 2, &out, NULL, 0);
    assert_non_null(strstr(out.v[0].msg, "in 4 earlier sessions (2026-12-15T00:00:00.000000Z .. "
                                          "2026-12-15T00:00:47.000000Z)"));
    session_done(&s);
    /* another address with the first name, spelled otherwise: the name's
     * identity speaks, in its normalized form */
    session_init(&s, 9, 49, starttls_ok);
    s.server.b[3] = 26;
    tls12(&s, "MAIL.Example.Test.");
    judge_session(f->j, &s, b, 2, &out, NULL, 0);
    assert_string_equal(codes(&out), "NAME_MISMATCH,CERT_CHANGED");
    c = find(&out, F_CERT_CHANGED);
    assert_true(strncmp(c->msg, "mail.example.test presented sha256:", 35) == 0);
    assert_non_null(strstr(c->msg, "in 4 earlier sessions (2026-12-15T00:00:00.000000Z .. "
                                   "2026-12-15T00:00:47.000000Z)"));
    session_done(&s);
    /* the same server seen at another capture point is another identity */
    session_init(&s, 10, 50, starttls_ok);
    s.input = 1;
    tls12(&s, "other.example.test");
    judge_session(f->j, &s, b, 2, &out, NULL, 0);
    assert_string_equal(codes(&out), "");
    session_done(&s);
    fx_free(f);
}

/* After a renewal the change is reported, then the new certificate is
 * what the server is compared with: the old one retires after
 * SERVER_CERT_RETIRE sessions without it.  A balancer whose backends
 * alternate keeps being reported. */
static void test_cert_renewal(void **state)
{
    struct fx *f = fx_new(NULL, false, 0);
    struct session s;
    struct findings out;
    const struct x509_info *a[2] = {f->clean, f->inter}, *b[2] = {f->other, f->inter};
    unsigned id = 1, changed = 0;

    (void)state;
    for (unsigned i = 0; i < 5; i++, id++) {
        session_init(&s, id, id * 10, starttls_ok);
        tls12(&s, "mail.example.test");
        judge_session(f->j, &s, a, 2, &out, NULL, 0);
        assert_false(findings_has(&out, F_CERT_CHANGED));
        session_done(&s);
    }
    for (unsigned i = 0; i < 20; i++, id++) {
        session_init(&s, id, id * 10, starttls_ok);
        tls12(&s, "other.example.test");
        judge_session(f->j, &s, b, 2, &out, NULL, 0);
        if (findings_has(&out, F_CERT_CHANGED)) {
            assert_true(i < SERVER_CERT_RETIRE);   /* only right after the change */
            changed++;
        }
        session_done(&s);
    }
    assert_int_equal(changed, SERVER_CERT_RETIRE);
    /* the old certificate again: a change once more */
    session_init(&s, id, id * 10, starttls_ok);
    tls12(&s, "mail.example.test");
    judge_session(f->j, &s, a, 2, &out, NULL, 0);
    assert_true(findings_has(&out, F_CERT_CHANGED));
    session_done(&s);
    id++;
    /* alternating backends: every session is reported */
    for (unsigned i = 0; i < 12; i++, id++) {
        session_init(&s, id, id * 10, starttls_ok);
        tls12(&s, i % 2 ? "mail.example.test" : "other.example.test");
        judge_session(f->j, &s, i % 2 ? a : b, 2, &out, NULL, 0);
        assert_true(findings_has(&out, F_CERT_CHANGED));
        session_done(&s);
    }
    fx_free(f);
}

static void test_terminator_changed(void **state)
{
    struct fx *f = fx_new(NULL, false, 0);
    struct session s;
    struct findings out;

    (void)state;
    session_init(&s, 1, 0, starttls_ok);
    tls12(&s, "mail.example.test");
    s.version = 0x0304;
    s.cert_hidden = true;
    s.ja3s = (char *)(uintptr_t)"771,4866,43-51";
    judge_session(f->j, &s, NULL, 0, &out, NULL, 0);
    assert_string_equal(codes(&out), "CERT_HIDDEN");
    s.ja3s = (char *)(uintptr_t)"771,4865,51-43";
    judge_session(f->j, &s, NULL, 0, &out, NULL, 0);
    assert_string_equal(codes(&out), "TLS_TERMINATOR_CHANGED,CERT_HIDDEN");
    s.ja3s = NULL;   /* not ours to free */
    session_done(&s);
    fx_free(f);
}

/* tls13_hidden: |s| becomes a TLS 1.3 session (TLS_AES_256_GCM_SHA384)
 * whose certificate is encrypted and whose server flight took |bytes| in
 * |records|, answered by the client (|complete|). */
static void tls13_hidden(struct session *s, uint32_t bytes, uint32_t records, bool complete)
{
    tls12(s, "mail.example.test");
    s->version = 0x0304;
    s->cipher = 0x1302;
    s->cert_hidden = true;
    s->server_chain.seen = false;
    s->server_chain.n = s->server_chain.total = 0;
    s->server_flight.clear_msgs = 1;
    s->server_flight.clear_complete = true;
    s->server_flight.enc_bytes = bytes;
    s->server_flight.enc_records = records;
    s->server_flight.enc_complete = complete;
}

/* hidden_codes judges a hidden TLS 1.3 session with a flight of |bytes|
 * (and ServerHello fingerprint |ja3s|, or none) against |f|'s expectations and returns its codes (static buffer of
 * codes()); the TLS_TERMINATOR_CHANGED message, if any, in |msg|. */
static const char *hidden_codes(struct fx *f, const char *ja3s, uint32_t bytes, bool complete,
                                char *msg, size_t msglen)
{
    static uint64_t id;
    struct session s;
    static struct findings out;

    session_init(&s, ++id, 0, starttls_ok);
    tls13_hidden(&s, bytes, 4, complete);
    if (ja3s != NULL)
        s.ja3s = strdup(ja3s);
    judge_session(f->j, &s, NULL, 0, &out, NULL, 0);
    msg[0] = '\0';
    for (size_t i = 0; i < out.n; i++)
        if (out.v[i].code == F_TLS_TERMINATOR_CHANGED)
            snprintf(msg, msglen, "%s", out.v[i].msg);
    session_done(&s);
    return codes(&out);
}

/* TLS 1.3 without a key log or an expectation: a server's flight against
 * its first one (judge.c, flight_usual), and its ServerHello fingerprint
 * against its first one */
static void test_flight_usual(void **state)
{
    struct fx *f = fx_new(NULL, false, 0);
    char msg[FINDING_MSG_MAX];

    (void)state;
    /* the first whole flight sets the usual one; one still being counted
     * neither sets nor is judged */
    assert_string_equal(hidden_codes(f, "772,4866,43-51", 1313, false, msg, sizeof(msg)),
                        "CERT_HIDDEN");
    assert_string_equal(hidden_codes(f, "772,4866,43-51", 2238, true, msg, sizeof(msg)),
                        "CERT_HIDDEN");
    /* what one server varies by: within 256 bytes */
    assert_string_equal(hidden_codes(f, "772,4866,43-51", 2238 + 256, true, msg, sizeof(msg)),
                        "CERT_HIDDEN");
    assert_string_equal(hidden_codes(f, "772,4866,43-51", 2238 - 256, true, msg, sizeof(msg)),
                        "CERT_HIDDEN");
    /* the appliance's one self-signed certificate, same TLS stack */
    assert_string_equal(hidden_codes(f, "772,4866,43-51", 1313, true, msg, sizeof(msg)),
                        "TLS_TERMINATOR_CHANGED,CERT_HIDDEN");
    assert_non_null(strstr(msg, "sent an encrypted TLS 1.3 flight of 1313 bytes, where its "
                                "earlier sessions (3) sent 2238"));
    assert_non_null(strstr(msg, "evidence, not proof"));
    assert_string_equal(hidden_codes(f, "772,4866,43-51", 2238 + 257, true, msg, sizeof(msg)),
                        "TLS_TERMINATOR_CHANGED,CERT_HIDDEN");
    /* another ServerHello fingerprint says it first, once */
    assert_string_equal(hidden_codes(f, "772,4865,43-51", 1313, true, msg, sizeof(msg)),
                        "TLS_TERMINATOR_CHANGED,CERT_HIDDEN");
    assert_non_null(strstr(msg, "ServerHello fingerprint (JA3S string) 772,4865,43-51"));
    fx_free(f);
}

/* TLS 1.3 without a key log: the encrypted flight's size against the
 * chain a pem: expectation predicts (judge.c, check_flight).  The numbers
 * are those of pcaps/appliance-tls13-*.pcap: the appliance's self-signed
 * 910-byte certificate makes 1313 bytes, the real server's 935-byte leaf
 * (the pem holds it alone) with its intermediate 2238. */
static void test_flight_size(void **state)
{
    struct fx *f = fx_new("mail.example.test=pem:pcaps/certs/appliance-tls13-inside.pem", false, 0);
    char msg[FINDING_MSG_MAX], err[256];

    (void)state;
    /* the appliance's flight against the real server's leaf, whose issuer
     * (an intermediate, not an anchor) must come too: at least 1793 */
    assert_string_equal(hidden_codes(f, NULL, 1313, true, msg, sizeof(msg)),
                        "TLS_TERMINATOR_CHANGED,CERT_HIDDEN");
    assert_non_null(strstr(msg, "took 1313 bytes in 4 records, less than the 1793"));
    assert_non_null(strstr(msg, "expected pem:pcaps/certs/appliance-tls13-inside.pem: 1 "
                                "certificate, 935 bytes of DER, and its issuer, not in the "
                                "file: at least 501 bytes"));
    assert_non_null(strstr(msg, "or the server left out the issuer it must send"));
    assert_non_null(strstr(msg, "evidence, not proof"));
    /* the real server's flight; the least itself; a flight still being
     * counted (a lower bound) says nothing */
    assert_string_equal(hidden_codes(f, NULL, 2238, true, msg, sizeof(msg)), "CERT_HIDDEN");
    assert_string_equal(hidden_codes(f, NULL, 1793, true, msg, sizeof(msg)), "CERT_HIDDEN");
    assert_string_equal(hidden_codes(f, NULL, 1792, true, msg, sizeof(msg)),
                        "TLS_TERMINATOR_CHANGED,CERT_HIDDEN");
    assert_string_equal(hidden_codes(f, NULL, 1313, false, msg, sizeof(msg)), "CERT_HIDDEN");
    /* a second expectation that predicts nothing (a bare sha256): no check */
    assert_int_equal(expect_add(f->expect, "mail.example.test=sha256:"
                                "06ABE6076393D64CA1E97352A43C040AF0221CE9A877889F083ED590874452F6",
                                "test", err, sizeof(err)), 0);
    assert_string_equal(hidden_codes(f, NULL, 1313, true, msg, sizeof(msg)), "CERT_HIDDEN");
    fx_free(f);

    /* a self-signed certificate is the whole chain: exact 1313 fits, and a
     * flight far above it does not */
    f = fx_new("mail.example.test=pem:pcaps/certs/appliance-tls13-outside.pem", false, 0);
    assert_string_equal(hidden_codes(f, NULL, 1313, true, msg, sizeof(msg)), "CERT_HIDDEN");
    assert_string_equal(hidden_codes(f, NULL, 2238, true, msg, sizeof(msg)), "CERT_HIDDEN");
    assert_string_equal(hidden_codes(f, NULL, 1200, true, msg, sizeof(msg)),
                        "TLS_TERMINATOR_CHANGED,CERT_HIDDEN");
    assert_string_equal(hidden_codes(f, NULL, 6000, true, msg, sizeof(msg)),
                        "TLS_TERMINATOR_CHANGED,CERT_HIDDEN");
    assert_non_null(strstr(msg, "took 6000 bytes in 4 records, more than the"));
    fx_free(f);

    /* a certificate whose issuer is a trust anchor of the verifier: the
     * server need not send the issuer, so none is added */
    f = fx_new("mail.example.test=pem:pcaps/certs/test-intermediate-ca.pem", false, 0);
    assert_string_equal(hidden_codes(f, NULL, 1000, true, msg, sizeof(msg)),
                        "TLS_TERMINATOR_CHANGED,CERT_HIDDEN");
    assert_null(strstr(msg, "not in the file"));
    fx_free(f);

    /* two pem: rules are alternatives: fitting one is enough */
    f = fx_new("mail.example.test=pem:pcaps/certs/appliance-tls13-inside.pem", false, 0);
    assert_int_equal(expect_add(f->expect, "mail.example.test=pem:pcaps/certs/"
                                "appliance-tls13-outside.pem", "test", err, sizeof(err)), 0);
    assert_string_equal(hidden_codes(f, NULL, 1313, true, msg, sizeof(msg)), "CERT_HIDDEN");
    assert_string_equal(hidden_codes(f, NULL, 1000, true, msg, sizeof(msg)),
                        "TLS_TERMINATOR_CHANGED,CERT_HIDDEN");
    assert_non_null(strstr(msg, ", nor does it fit the other expected chains"));
    fx_free(f);
}

static void test_tables(void **state)
{
    enum severity sv;
    enum finding_code c;

    (void)state;
    assert_true(severity_parse("HIGH", &sv));
    assert_int_equal(sv, SEV_HIGH);
    assert_false(severity_parse("none", &sv));
    assert_false(severity_parse("severe", &sv));
    assert_string_equal(severity_name(SEV_CRITICAL), "critical");
    for (unsigned i = 0; i < F_CODE_COUNT; i++) {
        assert_true(finding_code_parse(finding_code_name((enum finding_code)i), &c));
        assert_int_equal(c, i);
    }
    /* the DESIGN.md codes, spelled as there: stable strings */
    assert_string_equal(finding_code_name(F_CERT_MISMATCH), "CERT_MISMATCH");
    assert_string_equal(finding_code_name(F_STARTTLS_STRIPPED), "STARTTLS_STRIPPED");
    assert_string_equal(finding_code_name(F_TLS_TERMINATOR_CHANGED), "TLS_TERMINATOR_CHANGED");
    for (unsigned i = 0; i < STEP_COUNT; i++)
        assert_string_not_equal(judge_step_name((enum judge_step)i), "?");
}

static void test_findings_list(void **state)
{
    struct findings f;

    (void)state;
    memset(&f, 0, sizeof(f));
    findings_add(&f, F_INCOMPLETE, SEV_INFO, "a");
    findings_add(&f, F_WEAK_CIPHER, SEV_LOW, "b");
    findings_add(&f, F_EXPIRED, SEV_HIGH, "c");
    findings_add(&f, F_WEAK_PROTOCOL, SEV_LOW, "d");
    findings_add(&f, F_EXPIRED, SEV_NONE, "ignored");
    findings_sort(&f);
    assert_string_equal(codes(&f), "EXPIRED,WEAK_CIPHER,WEAK_PROTOCOL,INCOMPLETE");
    assert_int_equal(findings_max(&f), SEV_HIGH);
    for (unsigned i = 0; i < 2 * FINDINGS_MAX; i++)
        findings_add(&f, F_CHAIN_ORDER, SEV_LOW, "%u %s", i, "x");
    assert_int_equal(f.n, FINDINGS_MAX);
    assert_int_equal(f.dropped, 2 * FINDINGS_MAX - (FINDINGS_MAX - 4));
}

/* The one list of certificate findings: a session with any of them, and
 * only those, fails the certificate step; each has its verdict word. */
static void test_certificate_codes(void **state)
{
    struct session s;
    struct findings f;
    enum step_state st[STEP_COUNT];
    unsigned n = 0;

    (void)state;
    for (unsigned k = 0; k < F_CODE_COUNT; k++) {
        session_init(&s, 1, 0, starttls_ok);
        tls12(&s, "mail.example.test");
        memset(&f, 0, sizeof(f));
        findings_add(&f, (enum finding_code)k, SEV_HIGH, "x");
        judge_steps(&s, &f, st);
        if (finding_concerns_certificate((enum finding_code)k)) {
            n++;
            assert_int_equal(st[STEP_CERTIFICATE], STEP_FAIL);
            assert_non_null(finding_certificate_word((enum finding_code)k));
        } else {
            assert_int_equal(st[STEP_CERTIFICATE], STEP_PASS);
            assert_null(finding_certificate_word((enum finding_code)k));
        }
        session_done(&s);
    }
    assert_int_equal(n, 6);   /* CERT_MISMATCH SELF_SIGNED UNTRUSTED_CHAIN NAME_MISMATCH EXPIRED NOT_YET_VALID */
}

/* msgbuf cuts where snprintf cuts: at every buffer size, with a piece
 * whose UTF-8 sequences the cut may split. */
static void test_msgbuf(void **state)
{
    static const char *const piece[] = {"mail.example.test", " (", "CN=\xc3\xa9t\xc3\xa9,O=x",
                                        ") in ", ""};
    static const uint64_t num[] = {0, 7, 10, 18446744073709551615ull};
    char want[128], got[130];

    (void)state;
    for (size_t cap = 0; cap < 100; cap++) {
        for (size_t v = 0; v < sizeof(num) / sizeof(num[0]); v++) {
            struct strbuf b;
            int n;

            memset(want, '#', sizeof(want));
            memset(got, '#', sizeof(got));
            n = snprintf(want, cap, "%s%s%s%s%llu%s earlier", piece[0], piece[1], piece[2],
                         piece[3], (unsigned long long)num[v], piece[4]);
            strbuf_init(&b, got, cap);
            for (size_t i = 0; i < 4; i++)
                strbuf_puts(&b, piece[i]);
            strbuf_u64(&b, num[v]);
            strbuf_put(&b, piece[4], 0);
            strbuf_lit(&b, " earlier");
            assert_memory_equal(got, want, sizeof(want));
            assert_int_equal(b.len, cap == 0 ? 0 : (size_t)n < cap ? (size_t)n : cap - 1);
        }
        /* strbuf_copy is snprintf(buf, cap, "%s", s), bytes past the cut untouched */
        for (size_t i = 0; i < 4; i++) {
            memset(want, '#', sizeof(want));
            memset(got, '#', sizeof(got));
            snprintf(want, cap, "%s", piece[i]);
            strbuf_copy(got, cap, piece[i]);
            assert_memory_equal(got, want, sizeof(want));
        }
        /* NULL is the empty string */
        memset(got, '#', sizeof(got));
        strbuf_copy(got, cap, NULL);
        if (cap > 0)
            assert_int_equal(got[0], '\0');
        assert_int_equal(got[cap > 0 ? 1 : 0], '#');
    }
}

/* findings_add_str is findings_add with "%s", cut at FINDING_MSG_MAX; and
 * findings_new hands out entries until the list is full. */
static void test_findings_str(void **state)
{
    struct findings f;
    char big[FINDING_MSG_MAX + 100];
    struct finding *x;

    (void)state;
    memset(&f, 0, sizeof(f));
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    big[FINDING_MSG_MAX - 2] = '\xc3';   /* the cut falls inside this character */
    big[FINDING_MSG_MAX - 1] = '\xa9';
    findings_add(&f, F_TLS_ALERT, SEV_LOW, "%s", big);
    findings_add_str(&f, F_TLS_ALERT, SEV_LOW, big);
    findings_add_str(&f, F_TLS_ALERT, SEV_NONE, big);
    assert_int_equal(f.n, 2);
    assert_memory_equal(f.v[0].msg, f.v[1].msg, FINDING_MSG_MAX);
    assert_int_equal(strlen(f.v[1].msg), FINDING_MSG_MAX - 1);
    findings_add_str(&f, F_EXPIRED, SEV_HIGH, "");
    assert_string_equal(f.v[2].msg, "");
    assert_int_equal(f.v[2].code, F_EXPIRED);
    assert_int_equal(f.v[2].sev, SEV_HIGH);
    assert_null(findings_new(&f, F_EXPIRED, SEV_NONE));
    while (f.n < FINDINGS_MAX) {
        x = findings_new(&f, F_CHAIN_ORDER, SEV_LOW);
        assert_non_null(x);
        assert_string_equal(x->msg, "");
    }
    assert_null(findings_new(&f, F_CHAIN_ORDER, SEV_LOW));
    findings_add_str(&f, F_CHAIN_ORDER, SEV_LOW, "x");
    assert_int_equal(f.n, FINDINGS_MAX);
    assert_int_equal(f.dropped, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clean),
        cmocka_unit_test(test_appliance),
        cmocka_unit_test(test_hidden_not_mismatch),
        cmocka_unit_test(test_time),
        cmocka_unit_test(test_smtp_side),
        cmocka_unit_test(test_retry_in_clear),
        cmocka_unit_test(test_alerts),
        cmocka_unit_test(test_strength),
        cmocka_unit_test(test_cert_changed),
        cmocka_unit_test(test_cert_renewal),
        cmocka_unit_test(test_terminator_changed),
        cmocka_unit_test(test_flight_size),
        cmocka_unit_test(test_flight_usual),
        cmocka_unit_test(test_tables),
        cmocka_unit_test(test_findings_list),
        cmocka_unit_test(test_certificate_codes),
        cmocka_unit_test(test_msgbuf),
        cmocka_unit_test(test_findings_str),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
