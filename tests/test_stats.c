/*
 * test_stats.c - the periodic counters: libpcap's 32-bit counters carried
 * into 64 bits across wraps, and the stats lines of --stats-interval (when
 * they come, the windows they cover, what they count), read back with the
 * project's JSON reader.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/cap_source.h"
#include "lib/jsonr.h"
#include "report/stats.h"

#define SEC 1000000ull
#define T0 (1700000000ull * SEC)

static void test_counter_wraps(void **state)
{
    uint64_t total = 0;
    uint32_t last = 0;

    (void)state;
    cap_counter_add(&total, &last, 0xfffffff0u);
    assert_int_equal(total, 0xfffffff0u);
    cap_counter_add(&total, &last, 0x10u);           /* wrapped: 0x20 more */
    assert_int_equal(total, 0x100000010ull);
    cap_counter_add(&total, &last, 0x10u);           /* unchanged: nothing more */
    assert_int_equal(total, 0x100000010ull);
    /* three more wraps, a quarter of 2^32 at a time */
    for (unsigned i = 1; i <= 12; i++)
        cap_counter_add(&total, &last, 0x10u + i * 0x40000000u);
    assert_int_equal(total, 0x100000010ull + 3 * 0x100000000ull);
    assert_int_equal(last, 0x10u);
}

/* What one stats line says: the fields the test reads. */
struct line {
    uint64_t ipackets, tpackets, isessions, open;
    char start[40], end[40];
    bool final, final_seen, kernel;
};

static bool take(void *ctx, const char *path, long index, const struct jsonr_value *v)
{
    struct line *l = ctx;

    (void)index;
    if (strcmp(path, "mxwitness.interval.packets") == 0)
        l->ipackets = v->u64;
    else if (strcmp(path, "mxwitness.total.packets") == 0)
        l->tpackets = v->u64;
    else if (strcmp(path, "mxwitness.interval.sessions_written") == 0)
        l->isessions = v->u64;
    else if (strcmp(path, "mxwitness.connections_open") == 0)
        l->open = v->u64;
    else if (strcmp(path, "mxwitness.window.start") == 0)
        snprintf(l->start, sizeof(l->start), "%s", v->str);
    else if (strcmp(path, "mxwitness.window.end") == 0)
        snprintf(l->end, sizeof(l->end), "%s", v->str);
    else if (strcmp(path, "mxwitness.final") == 0)
        l->final = v->b, l->final_seen = true;
    else if (strncmp(path, "mxwitness.interval.kernel_", 26) == 0)
        l->kernel = true;
    return true;
}

/* read_lines parses every line of |f| into |v| (at most |max|). */
static size_t read_lines(FILE *f, struct line *v, size_t max)
{
    char buf[4096], err[128];
    size_t n = 0;

    rewind(f);
    while (n < max && fgets(buf, sizeof(buf), f) != NULL) {
        memset(&v[n], 0, sizeof(v[n]));
        assert_int_equal(jsonr_walk(buf, strlen(buf), take, &v[n], err, sizeof(err)), 0);
        n++;
    }
    return n;
}

static const struct tcp_flow_cbs no_cbs = {NULL, NULL, NULL, NULL, NULL, NULL};

static void test_intervals(void **state)
{
    FILE *out = tmpfile();
    struct cap_counters ctr = {0};
    struct tcp_flow_table *tab = tcp_flow_table_new(NULL, &no_cbs, NULL);
    struct stats_opts o = {
        .interval_us = 10 * SEC, .json = true, .out = out, .err = stderr, .ctr = &ctr, .tab = tab,
    };
    struct stats_ticker *t;
    struct line l[8];

    (void)state;
    assert_non_null(out);
    assert_non_null(tab);
    t = stats_ticker_new(&o);
    assert_non_null(t);
    stats_tick(t, T0);                      /* the start */
    ctr.packets = 5;
    stats_tick(t, T0 + 5 * SEC);
    ctr.packets = 7;
    stats_tick(t, T0 + 9 * SEC);
    assert_int_equal(stats_ticker_lines(t), 0);
    stats_tick(t, T0 + 10 * SEC);           /* [T0, T0+10) */
    assert_int_equal(stats_ticker_lines(t), 1);
    ctr.packets = 9;
    stats_tick(t, T0 + 11 * SEC);
    ctr.packets = 20;
    stats_tick(t, T0 + 47 * SEC);           /* 37 s without a tick: one line, [T0+10, T0+40) */
    assert_int_equal(stats_ticker_lines(t), 2);
    stats_tick(t, T0 + 45 * SEC);           /* back in time: nothing */
    ctr.packets = 21;
    stats_ticker_finish(t, 0);              /* [T0+40, T0+47]: the latest time seen */
    assert_int_equal(stats_ticker_lines(t), 3);
    stats_ticker_free(t);

    assert_int_equal(read_lines(out, l, 8), 3);
    assert_string_equal(l[0].start, "2023-11-14T22:13:20.000000Z");
    assert_string_equal(l[0].end, "2023-11-14T22:13:30.000000Z");
    assert_string_equal(l[1].start, l[0].end);
    assert_string_equal(l[1].end, "2023-11-14T22:14:00.000000Z");
    assert_string_equal(l[2].start, l[1].end);
    assert_string_equal(l[2].end, "2023-11-14T22:14:07.000000Z");
    /* the line is written when the boundary is passed: the packets up to
     * then count in the interval, and the intervals add up to the total */
    assert_int_equal(l[0].ipackets, 7);
    assert_int_equal(l[1].ipackets, 13);
    assert_int_equal(l[2].ipackets, 1);
    assert_int_equal(l[2].tpackets, 21);
    assert_int_equal(l[0].ipackets + l[1].ipackets + l[2].ipackets, l[2].tpackets);
    assert_true(l[0].final_seen && !l[0].final && !l[1].final && l[2].final);
    assert_false(l[0].kernel);              /* no live source: no kernel counters */
    assert_int_equal(l[2].isessions, 0);
    assert_int_equal(l[2].open, 0);
    tcp_flow_table_free(tab);
    fclose(out);
}

/* A ticker that never saw a time writes its final line at the time given,
 * and none without one. */
static void test_finish_only(void **state)
{
    FILE *out = tmpfile();
    struct cap_counters ctr = {.packets = 3};
    struct tcp_flow_table *tab = tcp_flow_table_new(NULL, &no_cbs, NULL);
    struct stats_opts o = {
        .interval_us = SEC, .json = true, .out = out, .err = stderr, .ctr = &ctr, .tab = tab,
    };
    struct stats_ticker *t = stats_ticker_new(&o);
    struct line l[2];

    (void)state;
    assert_non_null(t);
    {   /* no packet, no clock: nothing to say when */
        struct stats_ticker *e = stats_ticker_new(&o);

        assert_non_null(e);
        stats_ticker_finish(e, 0);
        assert_int_equal(stats_ticker_lines(e), 0);
        stats_ticker_free(e);
    }
    stats_ticker_finish(t, T0);
    stats_ticker_free(t);
    assert_int_equal(read_lines(out, l, 2), 1);
    assert_string_equal(l[0].start, l[0].end);
    assert_int_equal(l[0].ipackets, 3);
    assert_true(l[0].final);
    tcp_flow_table_free(tab);
    fclose(out);
}

/* One packet ten years ahead: one line up to it, then the intervals follow
 * the packets again, and the final line ends at the last real time. */
static void test_bogus_jump(void **state)
{
    FILE *out = tmpfile();
    struct cap_counters ctr = {0};
    struct tcp_flow_table *tab = tcp_flow_table_new(NULL, &no_cbs, NULL);
    struct stats_opts o = {
        .interval_us = 10 * SEC, .json = true, .out = out, .err = stderr, .ctr = &ctr, .tab = tab,
    };
    struct stats_ticker *t = stats_ticker_new(&o);
    struct line l[8];

    (void)state;
    assert_non_null(t);
    stats_tick(t, T0);
    stats_tick(t, T0 + 3 * SEC);
    stats_tick(t, T0 + 10ull * 365 * 86400 * SEC);   /* the bogus one */
    assert_int_equal(stats_ticker_lines(t), 1);
    stats_tick(t, T0 + 4 * SEC);                      /* back: followed again */
    stats_tick(t, T0 + 13 * SEC);
    assert_int_equal(stats_ticker_lines(t), 1);
    stats_tick(t, T0 + 14 * SEC);                     /* [T0+4, T0+14) */
    assert_int_equal(stats_ticker_lines(t), 2);
    stats_ticker_finish(t, 0);
    stats_ticker_free(t);
    assert_int_equal(read_lines(out, l, 8), 3);
    assert_string_equal(l[1].start, "2023-11-14T22:13:24.000000Z");
    assert_string_equal(l[1].end, "2023-11-14T22:13:34.000000Z");
    assert_string_equal(l[2].start, l[1].end);
    assert_string_equal(l[2].end, l[1].end);          /* the latest real time */
    tcp_flow_table_free(tab);
    fclose(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counter_wraps),
        cmocka_unit_test(test_intervals),
        cmocka_unit_test(test_finish_only),
        cmocka_unit_test(test_bogus_jump),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
