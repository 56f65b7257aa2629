/*
 * test_servers.c - the one per-server table: lookups by address, name and
 * pair stay apart; the buckets grow with the entries; at the budget the
 * least recently seen entry of the same kind is evicted, through the
 * callback, and counted; certificates retire after SERVER_CERT_RETIRE
 * sessions without them and come back when presented again.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "analyze/servers.h"

static struct cap_addr v4(unsigned a, unsigned b, unsigned c, unsigned d)
{
    struct cap_addr x = {.family = 4, .b = {(uint8_t)a, (uint8_t)b, (uint8_t)c, (uint8_t)d}};

    return x;
}

static struct cap_addr v6n(uint32_t n)
{
    struct cap_addr x = {.family = 6, .b = {0x20, 0x01, 0x0d, 0xb8}};

    memcpy(x.b + 12, &n, sizeof(n));
    return x;
}

static void test_kinds_apart(void **state)
{
    struct servers *t = servers_new(0);
    struct cap_addr a = v4(192, 0, 2, 1), c = v4(198, 51, 100, 7);
    struct server *sa, *sn, *sp;

    (void)state;
    assert_non_null(t);
    sa = servers_addr(t, 0, &a, 25, true);
    sn = servers_name(t, 0, "mail.example.test", true);
    sp = servers_pair(t, 0, &c, &a, 25, true);
    assert_non_null(sa);
    assert_non_null(sn);
    assert_non_null(sp);
    assert_ptr_not_equal(sa, sp);
    assert_int_equal(sa->kind, SERVER_BY_ADDR);
    assert_int_equal(sn->kind, SERVER_BY_NAME);
    assert_int_equal(sp->kind, SERVER_PAIR);
    assert_non_null(sa->sum);
    assert_null(sn->sum);
    assert_null(sp->sum);
    assert_string_equal(sn->name, "mail.example.test");
    assert_int_equal(sa->port, 25);
    assert_memory_equal(&sp->peer, &a, sizeof(a));
    /* found again, not made again; another port or capture point is another server */
    assert_ptr_equal(servers_addr(t, 0, &a, 25, false), sa);
    assert_null(servers_addr(t, 0, &a, 587, false));
    assert_null(servers_addr(t, 1, &a, 25, false));
    assert_null(servers_name(t, 1, "mail.example.test", false));
    assert_ptr_equal(servers_name(t, 0, "mail.example.test", true), sn);
    servers_free(t);
}

/* A million servers: every one is found, and the buckets kept up. */
static void test_growth(void **state)
{
    enum { N = 1000000 };
    struct servers *t = servers_new(N);
    struct servers_stats st;

    (void)state;
    assert_non_null(t);
    for (uint32_t i = 0; i < N; i++) {
        struct cap_addr a = v6n(i);

        assert_non_null(servers_addr(t, 0, &a, 25, true));
    }
    for (uint32_t i = 0; i < N; i += 997) {
        struct cap_addr a = v6n(i);
        struct server *sv = servers_addr(t, 0, &a, 25, false);

        assert_non_null(sv);
        assert_memory_equal(&sv->addr, &a, sizeof(a));
    }
    servers_stats(t, &st);
    assert_int_equal(st.active[SERVER_BY_ADDR], N);
    assert_int_equal(st.evicted[SERVER_BY_ADDR], 0);
    assert_true(st.buckets >= N);
    servers_free(t);
}

struct evictions {
    struct cap_addr seen[8];
    size_t n;
};

static void on_evict(void *ctx, struct server *sv)
{
    struct evictions *e = ctx;

    if (sv->kind == SERVER_BY_ADDR && e->n < 8)
        e->seen[e->n++] = sv->addr;
}

static void test_least_recently_seen_goes(void **state)
{
    struct servers *t = servers_new(3);
    struct evictions e = {.n = 0};
    struct cap_addr a = v4(10, 0, 0, 1), b = v4(10, 0, 0, 2), c = v4(10, 0, 0, 3),
                    d = v4(10, 0, 0, 4);
    struct servers_stats st;

    (void)state;
    servers_on_evict(t, on_evict, &e);
    servers_addr(t, 0, &a, 25, true);
    servers_addr(t, 0, &b, 25, true);
    servers_addr(t, 0, &c, 25, true);
    /* a is seen again: b is now the least recently seen */
    assert_non_null(servers_addr(t, 0, &a, 25, false));
    /* names have their own budget: they evict no server */
    for (int i = 0; i < 10; i++) {
        char name[32];

        snprintf(name, sizeof(name), "mx%d.example.test", i);
        assert_non_null(servers_name(t, 0, name, true));
    }
    assert_int_equal(e.n, 0);
    assert_non_null(servers_addr(t, 0, &d, 25, true));
    assert_int_equal(e.n, 1);
    assert_memory_equal(&e.seen[0], &b, sizeof(b));
    assert_null(servers_addr(t, 0, &b, 25, false));
    assert_non_null(servers_addr(t, 0, &a, 25, false));
    assert_non_null(servers_addr(t, 0, &c, 25, false));
    /* the evicted server comes back as a new entry */
    assert_non_null(servers_addr(t, 0, &b, 25, true));
    assert_int_equal(e.n, 2);
    assert_memory_equal(&e.seen[1], &d, sizeof(d));
    servers_stats(t, &st);
    assert_int_equal(st.evicted[SERVER_BY_ADDR], 2);
    assert_int_equal(st.created[SERVER_BY_ADDR], 5);
    assert_int_equal(st.active[SERVER_BY_ADDR], 3);
    assert_int_equal(st.peak[SERVER_BY_ADDR], 3);
    assert_int_equal(st.evicted[SERVER_BY_NAME], 7);
    assert_int_equal(st.active[SERVER_BY_NAME], 3);
    servers_free(t);
}

/* A flood of pairs keeps within its own budget. */
static void test_pairs_bounded(void **state)
{
    struct servers *t = servers_new(8);
    struct cap_addr srv = v4(192, 0, 2, 25);
    struct servers_stats st;

    (void)state;
    for (uint32_t i = 0; i < 5000; i++) {
        struct cap_addr cl = v6n(i);

        assert_non_null(servers_pair(t, 0, &cl, &srv, 25, true));
    }
    servers_stats(t, &st);
    assert_int_equal(st.active[SERVER_BY_ADDR], 0);
    assert_int_equal(st.active[SERVER_PAIR], 1024);
    assert_int_equal(st.evicted[SERVER_PAIR], 5000 - 1024);
    servers_free(t);
}

static void sha(uint8_t out[32], uint8_t v)
{
    memset(out, v, 32);
}

/* Sessions with certificate |h| at the server |sv|, as the judge counts them. */
static struct server_cert *present(struct server *sv, uint8_t v, uint64_t us)
{
    uint8_t h[32];
    struct server_cert *c;

    sha(h, v);
    sv->seq++;
    c = server_cert_find(sv, h);
    server_certs_age(sv, c);
    if (c != NULL)
        server_cert_seen(sv, c, us);
    else
        c = server_cert_add(sv, h, "CN=x", "CN=ca", true, false, us);
    return c;
}

static size_t active_others(struct server *sv, const struct server_cert *c)
{
    size_t n = 0;

    for (size_t i = 0; i < sv->ncerts; i++)
        if (&sv->certs[i] != c && !sv->certs[i].retired)
            n++;
    return n;
}

static void test_certificates_retire(void **state)
{
    struct servers *t = servers_new(0);
    struct cap_addr a = v4(192, 0, 2, 1);
    struct server *sv = servers_addr(t, 0, &a, 25, true);
    struct server_cert *c;

    (void)state;
    for (int i = 0; i < 3; i++)
        assert_int_equal(active_others(sv, present(sv, 0xAA, 100 + i)), 0);
    /* renewed: the old one still counts for SERVER_CERT_RETIRE sessions */
    for (int i = 0; i < SERVER_CERT_RETIRE; i++) {
        c = present(sv, 0xBB, 200 + i);
        assert_int_equal(active_others(sv, c), 1);
    }
    c = present(sv, 0xBB, 300);
    assert_int_equal(active_others(sv, c), 0);
    assert_true(sv->certs[0].retired);
    assert_int_equal(sv->certs[0].count, 3);
    assert_int_equal(sv->certs[1].count, SERVER_CERT_RETIRE + 1);
    assert_int_equal(sv->certs[1].first_us, 200);
    assert_int_equal(sv->certs[1].last_us, 300);
    /* the old one again: it is back, and the new one is the other now */
    c = present(sv, 0xAA, 400);
    assert_false(c->retired);
    assert_int_equal(active_others(sv, c), 1);
    assert_int_equal(c->count, 4);
    servers_free(t);
}

static void test_certificate_limit(void **state)
{
    struct servers *t = servers_new(0);
    struct cap_addr a = v4(192, 0, 2, 1);
    struct server *sv = servers_addr(t, 0, &a, 25, true);

    (void)state;
    for (int i = 0; i < SERVER_MAX_CERTS + 3; i++)
        present(sv, (uint8_t)i, (uint64_t)i);
    assert_int_equal(sv->ncerts, SERVER_MAX_CERTS);
    assert_int_equal(sv->certs_dropped, 3);
    assert_string_equal(sv->certs[1].sha256_hex,
                        "0101010101010101010101010101010101010101010101010101010101010101");
    servers_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kinds_apart),
        cmocka_unit_test(test_growth),
        cmocka_unit_test(test_least_recently_seen_goes),
        cmocka_unit_test(test_pairs_bounded),
        cmocka_unit_test(test_certificates_retire),
        cmocka_unit_test(test_certificate_limit),
    };

    return cmocka_run_group_tests_name("servers", tests, NULL, NULL);
}
