/*
 * test_reasm.c - TCP reassembly as step tables (Suricata style).
 *
 * Each step feeds one segment (sequence number relative to the ISN, so the
 * first byte after the SYN is 1), an acknowledgement from the peer, or the end
 * of the stream, and states the whole stream the consumer has received so
 * far.  Bytes lost in a gap show as '_' in that view, so every overlap, hole
 * and gap shape reads off the table.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/tcp_reasm.h"

enum op { SEG, FIN, ACK, FLUSH, END };

struct step {
    enum op op;
    uint32_t rel;        /* SEG/FIN: sequence number - ISN; ACK: ack - ISN */
    const char *data;    /* SEG/FIN payload */
    const char *view;    /* everything received so far, '_' for gap bytes */
};

struct sink {
    char view[4096];
    size_t len;
    size_t consume_max;  /* consume at most this much per call (0 = all) */
    unsigned gaps, conflicts;
    uint64_t expect_off; /* offsets must be contiguous across data and gaps */
};

static size_t sink_data(void *user, enum tcp_dir dir, const uint8_t *p, size_t n, uint64_t off)
{
    struct sink *s = user;
    size_t take = n;

    (void)dir;
    assert_int_equal(off, s->expect_off);
    if (s->consume_max && take > s->consume_max)
        take = s->consume_max;
    assert_true(s->len + take < sizeof(s->view));
    memcpy(s->view + s->len, p, take);
    s->len += take;
    s->view[s->len] = '\0';
    s->expect_off += take;
    return take;
}

static void sink_gap(void *user, enum tcp_dir dir, uint64_t off, uint64_t len)
{
    struct sink *s = user;

    (void)dir;
    /* Bytes offered but not consumed before a gap are dropped: the view
     * shows them as lost too. */
    assert_true(off >= s->expect_off);
    len += off - s->expect_off;
    assert_true(s->len + len < sizeof(s->view));
    memset(s->view + s->len, '_', (size_t)len);
    s->len += (size_t)len;
    s->view[s->len] = '\0';
    s->expect_off += len;
    s->gaps++;
}

static void sink_anomaly(void *user, enum tcp_dir dir, enum tcp_anomaly a, uint64_t off)
{
    struct sink *s = user;

    (void)dir, (void)off;
    if (a == TCP_AN_OVERLAP_CONFLICT)
        s->conflicts++;
}

static const struct tcp_reasm_cbs cbs = {sink_data, sink_gap, sink_anomaly};

/* Run |steps| with initial sequence number |isn|; bounds as given. */
static void run_steps(const struct step *steps, uint32_t isn, size_t max_ooo,
                      struct sink *s, struct tcp_half *h, struct tcp_memcap *mc)
{
    tcp_half_init(h, TCP_TO_CLIENT, 0, max_ooo, 0);
    tcp_half_syn(h, isn, &cbs, s);
    for (size_t i = 0; steps[i].op != END; i++) {
        const struct step *st = &steps[i];

        switch (st->op) {
        case SEG:
        case FIN:
            tcp_half_segment(h, isn + st->rel, (const uint8_t *)st->data, strlen(st->data),
                             st->op == FIN, mc, &cbs, s);
            break;
        case ACK:
            tcp_half_acked(h, isn + st->rel, mc, &cbs, s);
            break;
        case FLUSH:
            tcp_half_flush(h, mc, &cbs, s);
            break;
        case END:
            break;
        }
        if (strcmp(s->view, st->view) != 0)
            fail_msg("step %zu: view \"%s\", expected \"%s\"", i, s->view, st->view);
    }
}

static void check(const struct step *steps, uint32_t isn, unsigned gaps, unsigned conflicts)
{
    struct sink s = {0};
    struct tcp_half h;
    struct tcp_memcap mc = {0};

    run_steps(steps, isn, 0, &s, &h, &mc);
    assert_int_equal(s.gaps, gaps);
    assert_int_equal(s.conflicts, conflicts);
    tcp_half_cleanup(&h, &mc);
    tcp_memcap_cleanup(&mc);
    assert_int_equal(mc.used, 0);
}

static void test_in_order(void **state)
{
    static const struct step t[] = {
        {SEG, 1, "AAAAA", "AAAAA"},
        {SEG, 6, "BBBBB", "AAAAABBBBB"},
        {SEG, 11, "CC", "AAAAABBBBBCC"},
        {END, 0, NULL, NULL},
    };
    (void)state;
    check(t, 1000, 0, 0);
}

static void test_out_of_order(void **state)
{
    static const struct step t[] = {
        {SEG, 11, "CCCCC", ""},
        {SEG, 6, "BBBBB", ""},
        {SEG, 1, "AAAAA", "AAAAABBBBBCCCCC"},
        {END, 0, NULL, NULL},
    };
    (void)state;
    check(t, 1000, 0, 0);
}

/* The shapes of overlap, after Suricata's tables: the first copy wins. */
static void test_overlaps_first_wins(void **state)
{
    static const struct step t[] = {
        {SEG, 2, "AAAAA", ""},                       /* hole at 1 */
        {SEG, 10, "CCCCC", ""},
        {SEG, 2, "EEEEEEEEEEEEE", ""},               /* covers both and the hole between */
        {SEG, 1, "X", "XAAAAAEEECCCCC"},
        {END, 0, NULL, NULL},
    };
    (void)state;
    check(t, 5000, 0, 1);
}

static void test_overlap_shapes(void **state)
{
    /* new segment starts before, inside, and ends after existing ones */
    static const struct step t[] = {
        {SEG, 5, "bbbb", ""},          /* 5..8 */
        {SEG, 3, "xxXX", ""},          /* 3..6: 3,4 new; 5,6 overlap (different) */
        {SEG, 7, "bbcc", ""},          /* 7..10: 7,8 same; 9,10 new */
        {SEG, 6, "bbbcc", ""},         /* entirely inside, same bytes */
        {SEG, 1, "aa", "aaxxbbbbcc"},
        {SEG, 4, "x", "aaxxbbbbcc"},   /* already delivered, same */
        {SEG, 2, "aZ", "aaxxbbbbcc"},  /* already delivered, different */
        {END, 0, NULL, NULL},
    };
    (void)state;
    check(t, 77, 0, 2);
}

static void test_retransmit_identical(void **state)
{
    static const struct step t[] = {
        {SEG, 1, "hello ", "hello "},
        {SEG, 1, "hello ", "hello "},
        {SEG, 7, "world", "hello world"},
        {SEG, 4, "lo wor", "hello world"},
        {END, 0, NULL, NULL},
    };
    struct sink s = {0};
    struct tcp_half h;
    struct tcp_memcap mc = {0};

    (void)state;
    run_steps(t, 1, 0, &s, &h, &mc);
    assert_int_equal(s.conflicts, 0);
    assert_int_equal(h.st.retransmitted, 12);
    assert_int_equal(h.st.bytes_delivered, 11);
    assert_int_equal(h.st.bytes_seen, 23);
    tcp_half_cleanup(&h, &mc);
    tcp_memcap_cleanup(&mc);
}

static void test_wraparound(void **state)
{
    /* The ISN sits just below 2^32: the stream crosses zero. */
    static const struct step t[] = {
        {SEG, 1, "abc", "abc"},
        {SEG, 7, "ghij", "abc"},
        {SEG, 4, "def", "abcdefghij"},
        {SEG, 11, "klm", "abcdefghijklm"},
        {END, 0, NULL, NULL},
    };
    (void)state;
    check(t, 0xFFFFFFFAu, 0, 0);
}

static void test_gap_on_flush(void **state)
{
    static const struct step t[] = {
        {SEG, 1, "AAAA", "AAAA"},
        {SEG, 9, "CCCC", "AAAA"},
        {FLUSH, 0, NULL, "AAAA____CCCC"},
        {END, 0, NULL, NULL},
    };
    (void)state;
    check(t, 42, 1, 0);
}

static void test_gap_on_ack(void **state)
{
    /* The peer acknowledged past the hole: the bytes were sent, the capture
     * missed them.  Data behind the hole is delivered at once. */
    static const struct step t[] = {
        {SEG, 1, "AAAA", "AAAA"},
        {SEG, 9, "CCCC", "AAAA"},
        {ACK, 5, NULL, "AAAA"},            /* ack up to the hole: nothing lost yet */
        {ACK, 13, NULL, "AAAA____CCCC"},
        {SEG, 5, "BBBB", "AAAA____CCCC"},  /* too late: not delivered again */
        {SEG, 13, "DD", "AAAA____CCCCDD"},
        {END, 0, NULL, NULL},
    };
    (void)state;
    check(t, 9, 1, 0);
}

static void test_fin_with_missing_tail(void **state)
{
    static const struct step t[] = {
        {SEG, 1, "AAAA", "AAAA"},
        {FIN, 9, "", "AAAA"},              /* FIN at 9: bytes 5..8 never came */
        {FLUSH, 0, NULL, "AAAA____"},
        {END, 0, NULL, NULL},
    };
    (void)state;
    check(t, 100, 1, 0);
}

static void test_ooo_budget_forces_gap(void **state)
{
    static const struct step t[] = {
        {SEG, 1, "AA", "AA"},
        {SEG, 5, "CCCC", "AA"},
        {SEG, 9, "DDDD", "AA"},            /* 8 bytes waiting: at the budget */
        {SEG, 13, "EE", "AA__CCCCDDDDEE"}, /* over it: give up on the hole */
        {END, 0, NULL, NULL},
    };
    struct sink s = {0};
    struct tcp_half h;
    struct tcp_memcap mc = {0};

    (void)state;
    run_steps(t, 7, 8, &s, &h, &mc);
    assert_int_equal(s.gaps, 1);
    assert_int_equal(h.st.anomalies[TCP_AN_OOO_LIMIT], 1);
    tcp_half_cleanup(&h, &mc);
    tcp_memcap_cleanup(&mc);
}

static void test_partial_consumer(void **state)
{
    /* The consumer takes 3 bytes a call; the rest is offered again, the
     * offsets stay contiguous, and nothing is lost or repeated. */
    static const struct step t[] = {
        {SEG, 1, "abcdefgh", "abcdefgh"},
        {SEG, 9, "ij", "abcdefghij"},
        {END, 0, NULL, NULL},
    };
    struct sink s = {.consume_max = 3};
    struct tcp_half h;
    struct tcp_memcap mc = {0};

    (void)state;
    run_steps(t, 1, 0, &s, &h, &mc);
    tcp_half_cleanup(&h, &mc);
    tcp_memcap_cleanup(&mc);
}

static size_t take_none(void *user, enum tcp_dir dir, const uint8_t *p, size_t n, uint64_t off)
{
    (void)user, (void)dir, (void)p, (void)n, (void)off;
    return 0;
}

static void test_pending_kept_then_depth(void **state)
{
    struct tcp_reasm_cbs none = {take_none, NULL, NULL};
    struct tcp_half h;
    struct tcp_memcap mc = {0};
    uint8_t buf[100];

    (void)state;
    memset(buf, 'x', sizeof(buf));
    tcp_half_init(&h, TCP_TO_SERVER, 250, 0, 0);
    tcp_half_syn(&h, 0, &none, NULL);
    tcp_half_segment(&h, 1, buf, 100, false, &mc, &none, NULL);
    tcp_half_segment(&h, 101, buf, 100, false, &mc, &none, NULL);
    assert_int_equal(tcp_half_pending(&h), 200);
    assert_false(h.flags & TCP_HALF_STOPPED);
    tcp_half_segment(&h, 201, buf, 100, false, &mc, &none, NULL);
    assert_true(h.flags & TCP_HALF_DEPTH);
    assert_true(h.flags & TCP_HALF_STOPPED);
    assert_int_equal(h.st.anomalies[TCP_AN_DEPTH], 1);
    assert_int_equal(mc.used, 0); /* buffers were released */
    tcp_half_segment(&h, 301, buf, 100, false, &mc, &none, NULL);
    assert_int_equal(h.st.bytes_skipped, 100);
    tcp_half_cleanup(&h, &mc);
    tcp_memcap_cleanup(&mc);
}

static void test_memcap_refusal(void **state)
{
    struct sink s = {0};
    struct tcp_half h;
    struct tcp_memcap mc = {.limit = 64};
    uint8_t buf[200];

    (void)state;
    memset(buf, 'y', sizeof(buf));
    tcp_half_init(&h, TCP_TO_SERVER, 0, 0, 0);
    tcp_half_syn(&h, 10, &cbs, &s);
    /* out of order, so it must be buffered: more than the cap allows */
    assert_false(tcp_half_segment(&h, 100, buf, 200, false, &mc, &cbs, &s));
    assert_true(h.flags & TCP_HALF_MEMCAP);
    assert_int_equal(mc.refusals, 1);
    assert_int_equal(mc.used, 0);
    tcp_half_cleanup(&h, &mc);
    tcp_memcap_cleanup(&mc);
}

static void test_syn_reanchor(void **state)
{
    /* Several SYN-ACKs with different ISNs: the data follows the last. */
    struct sink s = {0};
    struct tcp_half h;
    struct tcp_memcap mc = {0};

    (void)state;
    tcp_half_init(&h, TCP_TO_CLIENT, 0, 0, 0);
    tcp_half_syn(&h, 1000, &cbs, &s);
    tcp_half_syn(&h, 5000, &cbs, &s);
    tcp_half_syn(&h, 9000, &cbs, &s);
    tcp_half_segment(&h, 9001, (const uint8_t *)"data", 4, false, &mc, &cbs, &s);
    assert_string_equal(s.view, "data");
    assert_int_equal(h.st.anomalies[TCP_AN_SYN_REANCHOR], 2);
    tcp_half_cleanup(&h, &mc);
    tcp_memcap_cleanup(&mc);
}

static void test_midstream_anchor(void **state)
{
    struct sink s = {0};
    struct tcp_half h;
    struct tcp_memcap mc = {0};

    (void)state;
    tcp_half_init(&h, TCP_TO_SERVER, 0, 0, 0);
    tcp_half_segment(&h, 123456, (const uint8_t *)"MAIL", 4, false, &mc, &cbs, &s);
    tcp_half_segment(&h, 123460, (const uint8_t *)" FROM", 5, false, &mc, &cbs, &s);
    assert_string_equal(s.view, "MAIL FROM");
    assert_int_equal(h.st.anomalies[TCP_AN_MIDSTREAM], 1);
    assert_false(h.flags & TCP_HALF_SYN);
    tcp_half_cleanup(&h, &mc);
    tcp_memcap_cleanup(&mc);
}

static void test_before_isn_and_far_ahead(void **state)
{
    static const struct step t[] = {
        {SEG, (uint32_t)-3, "zzzzab", "ab"},  /* starts before the SYN: trimmed */
        {SEG, 200000000u, "far", "ab"},       /* out of any window: ignored */
        {SEG, 3, "c", "abc"},
        {FLUSH, 0, NULL, "abc"},
        {END, 0, NULL, NULL},
    };
    (void)state;
    check(t, 1u << 31, 0, 0);
}

static void test_stop(void **state)
{
    struct sink s = {0};
    struct tcp_half h;
    struct tcp_memcap mc = {0};

    (void)state;
    tcp_half_init(&h, TCP_TO_SERVER, 0, 0, 0);
    tcp_half_syn(&h, 0, &cbs, &s);
    tcp_half_segment(&h, 5, (const uint8_t *)"later", 5, false, &mc, &cbs, &s);
    assert_true(mc.used > 0);
    tcp_half_stop(&h, &mc);
    assert_int_equal(mc.used, 0);
    tcp_half_segment(&h, 1, (const uint8_t *)"abcd", 4, false, &mc, &cbs, &s);
    assert_string_equal(s.view, "");
    assert_int_equal(h.st.bytes_skipped, 4);
    tcp_half_cleanup(&h, &mc);
    tcp_memcap_cleanup(&mc);
}

/* Stream buffers of the first two sizes are recycled: the memory cap counts
 * only what streams hold, a recycled buffer is the same memory, and the pool
 * stays bounded. */
static void test_buffer_pool(void **state)
{
    static struct tcp_half h[TCP_POOL_MAX + 4];
    const struct tcp_reasm_cbs none = {take_none, NULL, NULL};
    struct tcp_memcap mc = {0};
    uint8_t big[6000];
    const uint8_t *first;

    (void)state;
    memset(big, 'x', sizeof(big));
    tcp_half_init(&h[0], TCP_TO_SERVER, 0, 0, 0);
    tcp_half_syn(&h[0], 0, &none, NULL);
    tcp_half_segment(&h[0], 1, (const uint8_t *)"abc", 3, false, &mc, &none, NULL);
    first = h[0].buf;
    assert_int_equal(mc.used, 4096);
    tcp_half_cleanup(&h[0], &mc);
    assert_int_equal(mc.used, 0);
    assert_int_equal(mc.npool[0], 1);

    /* the next stream gets that buffer, then grows past it */
    tcp_half_init(&h[1], TCP_TO_SERVER, 0, 0, 0);
    tcp_half_syn(&h[1], 0, &none, NULL);
    tcp_half_segment(&h[1], 1, (const uint8_t *)"def", 3, false, &mc, &none, NULL);
    assert_ptr_equal(h[1].buf, first);
    assert_int_equal(mc.npool[0], 0);
    tcp_half_segment(&h[1], 4, big, sizeof(big), false, &mc, &none, NULL);
    assert_int_equal(h[1].cap, 8192);
    assert_int_equal(mc.used, 8192);
    assert_memory_equal(h[1].buf, "def", 3);
    assert_memory_equal(h[1].buf + 3, big, sizeof(big));
    tcp_half_cleanup(&h[1], &mc);
    assert_int_equal(mc.used, 0);
    assert_int_equal(mc.npool[1], 1);

    /* more streams end than the pool keeps: the rest are freed */
    for (size_t i = 0; i < TCP_POOL_MAX + 4; i++) {
        tcp_half_init(&h[i], TCP_TO_SERVER, 0, 0, 0);
        tcp_half_syn(&h[i], 0, &none, NULL);
        tcp_half_segment(&h[i], 1, (const uint8_t *)"ghi", 3, false, &mc, &none, NULL);
    }
    assert_int_equal(mc.used, (TCP_POOL_MAX + 4) * 4096);
    for (size_t i = 0; i < TCP_POOL_MAX + 4; i++)
        tcp_half_cleanup(&h[i], &mc);
    assert_int_equal(mc.used, 0);
    assert_int_equal(mc.npool[0], TCP_POOL_MAX);
    tcp_memcap_cleanup(&mc);
    assert_int_equal(mc.npool[0], 0);
    assert_int_equal(mc.npool[1], 0);
}

/* Every permutation-like order of 8 segments must give the same stream. */
static void test_all_rotations_and_reversal(void **state)
{
    const char *stream = "The quick brown fox jumps over the lazy dog!!!!!";
    size_t seglen = 6, nseg = strlen(stream) / seglen;

    (void)state;
    for (size_t rot = 0; rot < 2 * nseg; rot++) {
        struct sink s = {0};
        struct tcp_half h;
        struct tcp_memcap mc = {0};

        tcp_half_init(&h, TCP_TO_SERVER, 0, 0, 0);
        tcp_half_syn(&h, 0xFFFFFFF0u, &cbs, &s);
        for (size_t k = 0; k < nseg; k++) {
            size_t i = rot < nseg ? (k + rot) % nseg : nseg - 1 - ((k + rot) % nseg);

            tcp_half_segment(&h, 0xFFFFFFF1u + (uint32_t)(i * seglen),
                             (const uint8_t *)stream + i * seglen, seglen, false, &mc, &cbs, &s);
        }
        tcp_half_flush(&h, &mc, &cbs, &s);
        assert_string_equal(s.view, stream);
        assert_int_equal(s.gaps, 0);
        tcp_half_cleanup(&h, &mc);
        tcp_memcap_cleanup(&mc);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_in_order),
        cmocka_unit_test(test_out_of_order),
        cmocka_unit_test(test_overlaps_first_wins),
        cmocka_unit_test(test_overlap_shapes),
        cmocka_unit_test(test_retransmit_identical),
        cmocka_unit_test(test_wraparound),
        cmocka_unit_test(test_gap_on_flush),
        cmocka_unit_test(test_gap_on_ack),
        cmocka_unit_test(test_fin_with_missing_tail),
        cmocka_unit_test(test_ooo_budget_forces_gap),
        cmocka_unit_test(test_partial_consumer),
        cmocka_unit_test(test_pending_kept_then_depth),
        cmocka_unit_test(test_memcap_refusal),
        cmocka_unit_test(test_syn_reanchor),
        cmocka_unit_test(test_midstream_anchor),
        cmocka_unit_test(test_before_isn_and_far_ahead),
        cmocka_unit_test(test_stop),
        cmocka_unit_test(test_buffer_pool),
        cmocka_unit_test(test_all_rotations_and_reversal),
    };

    return cmocka_run_group_tests_name("tcp_reasm", tests, NULL, NULL);
}
