/*
 * test_hops.c - pairing the sessions of one delivery across capture points,
 * on digests built as the pipeline fills them: a NAT (same ClientHello,
 * other addresses) is paired by the random and never blamed; a relay is
 * paired by order and timing, and two deliveries in the same second are
 * paired in the order the relay forwards them, by the sizes they carry;
 * three points name the appliance's hop, not the NAT's; a balancer's
 * backend certificate is the same on both sides; STARTTLS removed and a
 * TLS 1.3 terminator found without the certificate; a session with no
 * partner is reported with why.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "analyze/hops.h"

#define S(x) ((uint64_t)(x) * 1000000u)

static struct session_digest mk(uint64_t first, uint64_t last, uint8_t client, uint8_t server,
                                uint8_t leaf, uint8_t random)
{
    struct session_digest d;

    memset(&d, 0, sizeof(d));
    d.first_us = first;
    d.last_us = last;
    d.client.family = 4;
    d.client.b[0] = 192, d.client.b[3] = client;
    d.server.family = 4;
    d.server.b[0] = 203, d.server.b[3] = server;
    d.cport = (uint16_t)(40000 + client);
    d.sport = 25;
    snprintf(d.banner_host, sizeof(d.banner_host), "mx%u.example.test", server);
    snprintf(d.ehlo_host, sizeof(d.ehlo_host), "mx%u.example.test", server);
    d.starttls_offered = d.starttls_requested = true;
    d.tls_state = SESSION_TLS_ESTABLISHED;
    d.server_hello = true;
    d.version = 0x0303;
    d.cipher = 0xC030;
    snprintf(d.sni, sizeof(d.sni), "mail.example.test");
    snprintf(d.hello_fp, sizeof(d.hello_fp), "771,49200,65281-11,29");
    if (random) {
        d.random_seen = true;
        memset(d.random, random, 32);
    }
    if (leaf) {
        d.nchain = 1;
        memset(d.chain[0], leaf, 32);
        snprintf(d.leaf_subject, sizeof(d.leaf_subject), "CN=leaf%u", leaf);
    }
    d.cbytes = 2000;
    return d;
}

#define MAX_SEEN 16

struct got {
    size_t n;
    struct {
        uint64_t first[HOPS_MAX_POINTS];   /* first_us of each point's session, 0 none */
        unsigned seen, confidence;
        struct hop_change cert, term, tls;
        bool inner_expected;
        char reason[HOPS_REASON_MAX];
        char codes[128];
    } d[MAX_SEEN];
};

static void collect(void *ctx, const struct hop_delivery *d)
{
    struct got *g = ctx;
    struct findings fs;

    if (g->n >= MAX_SEEN)
        return;
    for (size_t i = 0; i < d->npoints; i++)
        g->d[g->n].first[i] = d->at[i] ? d->at[i]->first_us : 0;
    g->d[g->n].seen = d->seen;
    g->d[g->n].confidence = d->confidence;
    g->d[g->n].cert = d->certificate;
    g->d[g->n].term = d->terminator;
    g->d[g->n].tls = d->starttls;
    g->d[g->n].inner_expected = d->inner_expected;
    snprintf(g->d[g->n].reason, sizeof(g->d[g->n].reason), "%s", d->reason);
    hops_findings(d, &fs);
    g->d[g->n].codes[0] = '\0';
    for (size_t i = 0; i < fs.n; i++) {
        strcat(g->d[g->n].codes, i ? "," : "");
        strcat(g->d[g->n].codes, finding_code_name(fs.v[i].code));
    }
    g->n++;
}

static struct hops *two(void)
{
    struct hops *h = hops_new(0);

    assert_non_null(h);
    assert_int_equal(hops_point(h, "outside"), 0);
    assert_int_equal(hops_point(h, "inside"), 1);
    assert_int_equal(hops_point(h, "outside"), 0);
    return h;
}

/* A NAT router: the same ClientHello on both sides, other addresses. */
static void test_nat_same_random(void **state)
{
    struct hops *h = two();
    struct got g = {0};
    struct session_digest a = mk(S(10), S(11), 1, 1, 0xAA, 0x11), b = a;

    (void)state;
    b.client.b[0] = 10;            /* translated */
    b.server.b[0] = 10;
    b.first_us += 300;
    hops_add(h, 0, &a);
    hops_add(h, 1, &b);
    hops_run(h, collect, &g);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.d[0].seen, 2);
    assert_int_equal(g.d[0].confidence, 100);
    assert_non_null(strstr(g.d[0].reason, "same ClientHello random"));
    assert_int_equal(g.d[0].cert.from, -1);
    assert_string_equal(g.d[0].codes, "");
    hops_free(h);
}

/* The appliance: its own certificate outside, the expected one inside;
 * the inner session begins after the outer one ended. */
static void test_appliance(void **state)
{
    struct hops *h = two();
    struct got g = {0};
    struct session_digest a = mk(S(10), S(11), 1, 1, 0xBA, 0x11);
    struct session_digest b = mk(S(11) + 15000, S(12), 2, 25, 0xEE, 0x22);

    (void)state;
    a.leaf_self_signed = true;
    b.expected = true;
    b.cbytes = 2200;
    hops_add(h, 0, &a);
    hops_add(h, 1, &b);
    hops_run(h, collect, &g);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.d[0].seen, 2);
    assert_int_equal(g.d[0].cert.from, 0);
    assert_int_equal(g.d[0].cert.to, 1);
    assert_true(g.d[0].inner_expected);
    assert_string_equal(g.d[0].codes, "CERT_REPLACED");
    assert_true(g.d[0].confidence >= 60 && g.d[0].confidence < 100);
    assert_non_null(strstr(g.d[0].reason, "same SNI"));
    hops_free(h);
}

/* Two deliveries in the same second through a relay: the second one ends
 * first and is forwarded first; the sizes tell them apart. */
static void test_same_second(void **state)
{
    struct hops *h = two();
    struct got g = {0};
    struct session_digest a1 = mk(S(10), S(10) + 900000, 1, 1, 0xBA, 0x11);
    struct session_digest a2 = mk(S(10) + 100000, S(10) + 400000, 2, 1, 0xBA, 0x12);
    struct session_digest b2 = mk(S(10) + 450000, S(11), 9, 25, 0xEE, 0x21);
    struct session_digest b1 = mk(S(10) + 950000, S(12), 9, 25, 0xEE, 0x22);

    (void)state;
    a1.cbytes = 2500;
    a2.cbytes = 9500;
    b1.cbytes = 2800;
    b2.cbytes = 9800;
    hops_add(h, 0, &a1);
    hops_add(h, 0, &a2);
    hops_add(h, 1, &b1);
    hops_add(h, 1, &b2);
    hops_run(h, collect, &g);
    assert_int_equal(g.n, 2);
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(g.d[i].seen, 2);
        if (g.d[i].first[0] == a1.first_us)
            assert_int_equal(g.d[i].first[1], b1.first_us);
        else
            assert_int_equal(g.d[i].first[1], b2.first_us);
    }
    hops_free(h);
}

/* sender | NAT | appliance | server: the change is the appliance's hop. */
static void test_three_points(void **state)
{
    struct hops *h = hops_new(0);
    struct got g = {0};
    struct session_digest a = mk(S(10), S(11), 1, 1, 0xBA, 0x11), b = a;
    struct session_digest c = mk(S(11) + 20000, S(12), 3, 25, 0xEE, 0x33);

    (void)state;
    hops_point(h, "sender");
    hops_point(h, "nat");
    hops_point(h, "inside");
    b.client.b[0] = 100;
    b.cport = 61000;
    b.first_us += 200;
    hops_add(h, 0, &a);
    hops_add(h, 1, &b);
    hops_add(h, 2, &c);
    hops_run(h, collect, &g);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.d[0].seen, 3);
    assert_int_equal(g.d[0].cert.from, 1);
    assert_int_equal(g.d[0].cert.to, 2);
    assert_false(g.d[0].inner_expected);
    assert_string_equal(g.d[0].codes, "CERT_REPLACED");
    assert_non_null(strstr(g.d[0].reason, "sender to nat: same ClientHello random"));
    assert_non_null(strstr(g.d[0].reason, "nat to inside: the next session inward"));
    hops_free(h);
}

/* A TCP balancer: each backend's certificate is seen on both sides. */
static void test_balancer(void **state)
{
    struct hops *h = two();
    struct got g = {0};

    (void)state;
    for (unsigned i = 0; i < 6; i++) {
        uint8_t leaf = i % 2 ? 0xB2 : 0xB1;
        struct session_digest a = mk(S(10 + i), S(10 + i) + 500000, (uint8_t)(1 + i), 1, leaf,
                                     (uint8_t)(0x40 + i));
        struct session_digest b = a;

        b.server.b[0] = 10;
        b.server.b[3] = (uint8_t)(11 + i % 2);   /* the backend */
        b.first_us += 1000;
        hops_add(h, 0, &a);
        hops_add(h, 1, &b);
    }
    hops_run(h, collect, &g);
    assert_int_equal(g.n, 6);
    for (size_t i = 0; i < g.n; i++) {
        assert_int_equal(g.d[i].seen, 2);
        assert_int_equal(g.d[i].confidence, 100);
        assert_int_equal(g.d[i].cert.from, -1);
        assert_string_equal(g.d[i].codes, "");
    }
    hops_free(h);
}

/* STARTTLS offered by the server, not on the sender's side. */
static void test_starttls_stripped(void **state)
{
    struct hops *h = two();
    struct got g = {0};
    struct session_digest a = mk(S(10), S(11), 1, 1, 0, 0);
    struct session_digest b = mk(S(11) + 5000, S(12), 2, 25, 0xEE, 0x22);

    (void)state;
    a.starttls_offered = a.starttls_requested = false;
    a.server_hello = false;
    a.tls_state = SESSION_TLS_NONE;
    a.sni[0] = '\0';
    hops_add(h, 0, &a);
    hops_add(h, 1, &b);
    hops_run(h, collect, &g);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.d[0].tls.from, 0);
    assert_int_equal(g.d[0].tls.to, 1);
    assert_string_equal(g.d[0].codes, "STARTTLS_STRIPPED");
    hops_free(h);
}

/* TLS 1.3 without keys: the ServerHello and the encrypted flight differ. */
static void test_terminator(void **state)
{
    struct hops *h = two();
    struct got g = {0};
    struct session_digest a = mk(S(10), S(11), 1, 1, 0, 0x11);
    struct session_digest b = mk(S(11) + 5000, S(12), 2, 25, 0, 0x22);

    (void)state;
    a.version = b.version = 0x0304;
    a.cipher = b.cipher = 0x1302;
    a.cert_hidden = b.cert_hidden = true;
    a.flight.enc_complete = b.flight.enc_complete = true;
    a.flight.enc_records = b.flight.enc_records = 4;
    a.flight.enc_bytes = 1100;
    b.flight.enc_bytes = 2950;
    hops_add(h, 0, &a);
    hops_add(h, 1, &b);
    hops_run(h, collect, &g);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.d[0].cert.from, -1);
    assert_int_equal(g.d[0].term.from, 0);
    assert_string_equal(g.d[0].codes, "TLS_TERMINATOR_CHANGED");
    hops_free(h);
}

/* A session with nothing at the other point within the window, and one
 * at the inner point with nothing leading to it: both listed, with why. */
static void test_unpaired(void **state)
{
    struct hops *h = two();
    struct got g = {0};
    struct session_digest a = mk(S(10), S(11), 1, 1, 0xBA, 0x11);
    struct session_digest b = mk(S(500), S(501), 2, 25, 0xEE, 0x22);

    (void)state;
    hops_add(h, 0, &a);
    hops_add(h, 1, &b);
    hops_run(h, collect, &g);
    assert_int_equal(g.n, 2);
    assert_int_equal(g.d[0].seen, 1);
    assert_int_equal(g.d[0].confidence, 0);
    assert_non_null(strstr(g.d[0].reason, "seen at outside only: no session at inside began"));
    assert_int_equal(g.d[1].seen, 1);
    assert_non_null(strstr(g.d[1].reason, "seen at inside only: no session at outside led to it"));
    assert_string_equal(g.d[0].codes, "");
    hops_free(h);
}

/* Copies of one ClientHello (a replayed capture, a client whose random
 * repeats): each session is paired with the one of that random that began
 * nearest to it, whatever order the points' sessions ended in. */
static void test_repeated_random(void **state)
{
    static const unsigned order[6] = {3, 0, 5, 1, 4, 2};
    struct hops *h = two();
    struct got g = {0};

    (void)state;
    for (unsigned i = 0; i < 6; i++) {
        struct session_digest a = mk(S(10 + 10 * order[i]), S(11 + 10 * order[i]), 1, 1, 0xAA, 0x11);
        struct session_digest b = mk(S(10 + 10 * order[5 - i]) + 300, S(11 + 10 * order[5 - i]), 1,
                                     1, 0xAA, 0x11);

        b.client.b[0] = 10;
        hops_add(h, 0, &a);
        hops_add(h, 1, &b);
    }
    hops_run(h, collect, &g);
    assert_int_equal(g.n, 6);
    for (size_t i = 0; i < g.n; i++) {
        assert_int_equal(g.d[i].seen, 2);
        assert_int_equal(g.d[i].confidence, 100);
        assert_true(g.d[i].first[1] == g.d[i].first[0] + 300);
    }
    hops_free(h);
}

struct twins {
    size_t n, paired, apart;
};

static void count_twins(void *ctx, const struct hop_delivery *d)
{
    struct twins *t = ctx;

    t->n++;
    if (d->seen == 2 && d->at[0] != NULL && d->at[1] != NULL) {
        t->paired++;
        if (d->at[1]->first_us != d->at[0]->first_us + 300)
            t->apart++;
    }
}

/* Many copies of one random, a session a second (the bench's generated
 * captures are made so): every one paired with its twin. */
static void test_many_copies(void **state)
{
    struct hops *h = two();
    struct twins t = {0};
    const size_t n = 20000;

    (void)state;
    for (size_t i = 0; i < n; i++) {
        struct session_digest a = mk(S(10 + i), S(12 + i), 1, 1, 0xAA, 0x11), b = a;

        b.client.b[0] = 10;
        b.first_us += 300;
        hops_add(h, 0, &a);
        hops_add(h, 1, &b);
    }
    hops_run(h, count_twins, &t);
    assert_int_equal(t.n, n);
    assert_int_equal(t.paired, n);
    assert_int_equal(t.apart, 0);
    hops_free(h);
}

static void test_points_bounded(void **state)
{
    struct hops *h = hops_new(0);
    char name[16];

    (void)state;
    for (int i = 0; i < HOPS_MAX_POINTS; i++) {
        snprintf(name, sizeof(name), "p%d", i);
        assert_int_equal(hops_point(h, name), i);
    }
    assert_int_equal(hops_point(h, "one-too-many"), -1);
    assert_int_equal(hops_npoints(h), HOPS_MAX_POINTS);
    hops_free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nat_same_random),
        cmocka_unit_test(test_appliance),
        cmocka_unit_test(test_same_second),
        cmocka_unit_test(test_three_points),
        cmocka_unit_test(test_balancer),
        cmocka_unit_test(test_starttls_stripped),
        cmocka_unit_test(test_terminator),
        cmocka_unit_test(test_unpaired),
        cmocka_unit_test(test_repeated_random),
        cmocka_unit_test(test_many_copies),
        cmocka_unit_test(test_points_bounded),
    };

    return cmocka_run_group_tests_name("hops", tests, NULL, NULL);
}
