/*
 * test_flow.c - the connection table: roles, closing, reuse, timeouts,
 * eviction and the memory cap, driven with hand-made segments.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "capture/tcp_flow.h"

#define SEC 1000000ull

struct rec {
    unsigned opened, closed;
    enum tcp_close_reason last_reason;
    struct cap_addr last_client;
    uint16_t last_cport, last_sport;
    char c2s[256], s2c[256];
    size_t c2s_len, s2c_len;
    unsigned gaps;
    bool decline;          /* on_open returns NULL */
    bool stop_after_data;  /* stop both directions once the server has spoken */
};

static void *r_open(void *ctx, struct tcp_flow *f)
{
    struct rec *r = ctx;

    (void)f;
    r->opened++;
    return r->decline ? NULL : r;
}

static size_t r_data(void *ctx, struct tcp_flow *f, enum tcp_dir dir, const uint8_t *p,
                     size_t n, uint64_t off)
{
    struct rec *r = ctx;
    char *buf = dir == TCP_TO_SERVER ? r->c2s : r->s2c;
    size_t *len = dir == TCP_TO_SERVER ? &r->c2s_len : &r->s2c_len;

    (void)off;
    if (r->stop_after_data && dir == TCP_TO_CLIENT) {
        tcp_flow_stop(f, TCP_TO_SERVER);
        tcp_flow_stop(f, TCP_TO_CLIENT);
    }
    if (*len + n < sizeof(r->c2s)) { /* keep what fits; the memcap test sends more */
        memcpy(buf + *len, p, n);
        *len += n;
        buf[*len] = '\0';
    }
    return n;
}

static void r_gap(void *ctx, struct tcp_flow *f, enum tcp_dir dir, uint64_t off, uint64_t len)
{
    struct rec *r = ctx;

    (void)f, (void)dir, (void)off, (void)len;
    r->gaps++;
}

static void r_close(void *ctx, struct tcp_flow *f)
{
    struct rec *r = ctx;

    r->closed++;
    r->last_reason = f->close_reason;
    r->last_client = f->client;
    r->last_cport = f->cport;
    r->last_sport = f->sport;
}

static const struct tcp_flow_cbs cbs = {r_open, NULL, r_data, r_gap, NULL, r_close};

static struct cap_tcp_seg mk(uint8_t a, uint16_t sp, uint8_t b, uint16_t dp, uint8_t flags,
                             uint32_t seq, uint32_t ack, const char *data)
{
    struct cap_tcp_seg s;

    memset(&s, 0, sizeof(s));
    s.src.family = s.dst.family = 4;
    s.src.b[0] = 192, s.src.b[1] = 0, s.src.b[2] = 2, s.src.b[3] = a;
    s.dst.b[0] = 192, s.dst.b[1] = 0, s.dst.b[2] = 2, s.dst.b[3] = b;
    s.sport = sp;
    s.dport = dp;
    s.flags = flags;
    s.seq = seq;
    s.ack = ack;
    s.ttl = 64;
    s.payload = (const uint8_t *)data;
    s.payload_len = data ? strlen(data) : 0;
    s.payload_wire_len = s.payload_len;
    return s;
}

#define SYN CAP_TH_SYN
#define ACK CAP_TH_ACK
#define FIN CAP_TH_FIN
#define RST CAP_TH_RST
#define PSH CAP_TH_PSH

static void pkt(struct tcp_flow_table *t, struct cap_tcp_seg s, uint64_t ts)
{
    tcp_flow_packet(t, &s, ts, 0, TCP_HINT_NONE);
}

/* A full SMTP-like exchange: 3-way handshake, data both ways, FIN/FIN. */
static void session(struct tcp_flow_table *t, uint16_t cport, uint64_t ts)
{
    pkt(t, mk(10, cport, 25, 25, SYN, 100, 0, NULL), ts);
    pkt(t, mk(25, 25, 10, cport, SYN | ACK, 900, 101, NULL), ts + 1);
    pkt(t, mk(10, cport, 25, 25, ACK, 101, 901, NULL), ts + 2);
    pkt(t, mk(25, 25, 10, cport, PSH | ACK, 901, 101, "220 hi\r\n"), ts + 3);
    pkt(t, mk(10, cport, 25, 25, PSH | ACK, 101, 909, "EHLO x\r\n"), ts + 4);
    pkt(t, mk(10, cport, 25, 25, FIN | ACK, 109, 909, NULL), ts + 5);
    pkt(t, mk(25, 25, 10, cport, FIN | ACK, 909, 110, NULL), ts + 6);
    pkt(t, mk(10, cport, 25, 25, ACK, 110, 910, NULL), ts + 7);
}

static void test_fin_close(void **state)
{
    struct rec r = {0};
    struct tcp_flow_table *t = tcp_flow_table_new(NULL, &cbs, &r);

    (void)state;
    session(t, 40000, 1 * SEC);
    assert_int_equal(r.opened, 1);
    assert_int_equal(r.closed, 1);
    assert_int_equal(r.last_reason, TCP_CLOSE_FIN);
    assert_int_equal(r.last_client.b[3], 10);
    assert_int_equal(r.last_sport, 25);
    assert_string_equal(r.s2c, "220 hi\r\n");
    assert_string_equal(r.c2s, "EHLO x\r\n");
    /* a retransmitted FIN after the close is absorbed, not a new connection */
    pkt(t, mk(25, 25, 10, 40000, FIN | ACK, 909, 110, NULL), 2 * SEC);
    assert_int_equal(r.opened, 1);
    assert_int_equal(tcp_flow_table_stats(t)->late_packets, 2); /* the last ACK, and this */
    tcp_flow_table_free(t);
    assert_int_equal(r.closed, 1);
}

/* tcp_flow_quiet: a consumer that has what it wants from single packets
 * gets no on_packet after it says so, and its bytes and close as before. */
static unsigned quiet_packets, quiet_after;

static void q_packet(void *ctx, struct tcp_flow *f, enum tcp_dir dir, const struct cap_tcp_seg *seg)
{
    (void)ctx, (void)dir, (void)seg;
    if (++quiet_packets == quiet_after)
        tcp_flow_quiet(f);
}

static void test_quiet(void **state)
{
    static const struct tcp_flow_cbs qcbs = {r_open, q_packet, r_data, r_gap, NULL, r_close};

    (void)state;
    for (quiet_after = 0; quiet_after <= 9; quiet_after += 3) {
        struct rec r = {0};
        struct tcp_flow_table *t = tcp_flow_table_new(NULL, &qcbs, &r);

        quiet_packets = 0;
        session(t, 40000, 1 * SEC);
        /* seven packets before the close (the eighth, the last ACK, comes
         * after it: late, never offered); quiet after the third: three;
         * after the sixth: six; never (0, or after a ninth): all seven */
        assert_int_equal(quiet_packets, quiet_after == 0 || quiet_after > 7 ? 7 : quiet_after);
        assert_int_equal(r.closed, 1);
        assert_int_equal(r.last_reason, TCP_CLOSE_FIN);
        assert_string_equal(r.s2c, "220 hi\r\n");
        assert_string_equal(r.c2s, "EHLO x\r\n");
        tcp_flow_table_free(t);
    }
}

static void test_role_from_synack_only(void **state)
{
    struct rec r = {0};
    struct tcp_flow_table *t = tcp_flow_table_new(NULL, &cbs, &r);

    (void)state;
    /* The capture starts at the SYN-ACK, sent from port 2525 to 3000:
     * the sender of the SYN-ACK is the server whatever the ports say. */
    pkt(t, mk(7, 3000, 8, 2525, SYN | ACK, 50, 11, NULL), SEC);
    pkt(t, mk(7, 3000, 8, 2525, PSH | ACK, 51, 11, "banner\r\n"), SEC);
    tcp_flow_finish(t);
    assert_int_equal(r.closed, 1);
    assert_int_equal(r.last_client.b[3], 8);
    assert_int_equal(r.last_sport, 3000);
    assert_string_equal(r.s2c, "banner\r\n");
    assert_int_equal(r.last_reason, TCP_CLOSE_END);
    tcp_flow_table_free(t);
}

static void test_role_from_hint_midstream(void **state)
{
    struct rec r = {0};
    struct tcp_flow_table *t = tcp_flow_table_new(NULL, &cbs, &r);
    struct cap_tcp_seg s;

    (void)state;
    /* No SYN: the service port decides.  The server's reply comes first in
     * the capture; the client's ACK anchors the server's stream so that the
     * reordered earlier server segment is not lost. */
    s = mk(1, 25, 2, 50000, PSH | ACK, 5005, 700, "world");
    tcp_flow_packet(t, &s, SEC, 0, TCP_HINT_SRC_SERVER);
    s = mk(2, 50000, 1, 25, ACK, 700, 5000, NULL);
    tcp_flow_packet(t, &s, SEC, 0, TCP_HINT_DST_SERVER);
    tcp_flow_finish(t);
    assert_int_equal(r.last_client.b[3], 2);
    assert_int_equal(r.last_cport, 50000);
    assert_string_equal(r.s2c, "world");
    tcp_flow_table_free(t);
}

static void test_rst_and_port_reuse(void **state)
{
    struct rec r = {0};
    struct tcp_flow_table *t = tcp_flow_table_new(NULL, &cbs, &r);

    (void)state;
    pkt(t, mk(10, 41000, 25, 25, SYN, 100, 0, NULL), SEC);
    pkt(t, mk(25, 25, 10, 41000, SYN | ACK, 900, 101, NULL), SEC);
    pkt(t, mk(25, 25, 10, 41000, PSH | ACK, 901, 101, "220\r\n"), SEC);
    pkt(t, mk(10, 41000, 25, 25, RST, 101, 0, NULL), SEC);
    /* a RST closes the connection once the linger passes with nothing after it */
    assert_int_equal(r.closed, 0);
    tcp_flow_expire(t, 7 * SEC);
    assert_int_equal(r.closed, 1);
    assert_int_equal(r.last_reason, TCP_CLOSE_RST);
    /* same ports, new SYN: a new connection */
    pkt(t, mk(10, 41000, 25, 25, SYN, 7777, 0, NULL), 8 * SEC);
    assert_int_equal(r.opened, 2);
    /* and a reuse without any close seen */
    pkt(t, mk(25, 25, 10, 41000, SYN | ACK, 100, 7778, NULL), 8 * SEC);
    pkt(t, mk(10, 41000, 25, 25, PSH | ACK, 7778, 101, "EHLO\r\n"), 8 * SEC);
    pkt(t, mk(10, 41000, 25, 25, SYN, 99999, 0, NULL), 9 * SEC);
    assert_int_equal(r.opened, 3);
    assert_int_equal(r.closed, 2);
    assert_int_equal(r.last_reason, TCP_CLOSE_REUSED);
    tcp_flow_table_free(t);
    assert_int_equal(r.closed, 3);
}

/* RFC 5961: a RST that does not fit the connection is not the endpoint's.
 * One answering a SYN must acknowledge it; a RST the peer ignores (it goes
 * on sending) was injected: the stream continues and the anomaly is kept. */
static void test_rst_injection(void **state)
{
    struct rec r = {0};
    struct tcp_flow_table *t = tcp_flow_table_new(NULL, &cbs, &r);

    (void)state;
    pkt(t, mk(2, 2527, 3, 25, SYN, 1000, 0, NULL), SEC);
    /* forged: acknowledges the ISN itself, not the SYN */
    pkt(t, mk(3, 25, 2, 2527, RST | ACK, 0, 1000, NULL), SEC);
    pkt(t, mk(3, 25, 2, 2527, SYN | ACK, 5000, 1001, NULL), SEC);
    pkt(t, mk(2, 2527, 3, 25, PSH | ACK, 1001, 5001, "EHLO a\r\n"), SEC);
    /* in-window RST from the server, then the client carries on */
    pkt(t, mk(3, 25, 2, 2527, RST | ACK, 5001, 1009, NULL), SEC);
    pkt(t, mk(2, 2527, 3, 25, PSH | ACK, 1009, 5001, "MAIL FROM:<a@b>\r\n"), 2 * SEC);
    assert_int_equal(r.closed, 0);
    tcp_flow_finish(t);
    assert_int_equal(r.closed, 1);
    assert_string_equal(r.c2s, "EHLO a\r\nMAIL FROM:<a@b>\r\n");
    assert_int_equal(r.last_reason, TCP_CLOSE_END);
    tcp_flow_table_free(t);
}

/* A consumer that has stopped both directions learns nothing from what may
 * follow a RST: it is told at the RST (its state is not held for the
 * linger), the connection alone lingers, and bytes after the RST are counted
 * as the injection evidence they are. */
static void test_rst_closes_at_once_when_stopped(void **state)
{
    struct rec r = {.stop_after_data = true};
    struct tcp_flow_table *t = tcp_flow_table_new(NULL, &cbs, &r);
    const struct tcp_flow_stats *st;

    (void)state;
    pkt(t, mk(2, 2600, 3, 25, SYN, 1000, 0, NULL), SEC);
    pkt(t, mk(3, 25, 2, 2600, SYN | ACK, 5000, 1001, NULL), SEC);
    pkt(t, mk(3, 25, 2, 2600, PSH | ACK, 5001, 1001, "220 hi\r\n"), SEC);
    assert_int_equal(r.closed, 0);
    pkt(t, mk(2, 2600, 3, 25, RST | ACK, 1001, 5009, NULL), 2 * SEC);
    assert_int_equal(r.closed, 1);
    assert_int_equal(r.last_reason, TCP_CLOSE_RST);
    assert_string_equal(r.s2c, "220 hi\r\n");
    /* the client goes on: counted, not a new connection */
    pkt(t, mk(2, 2600, 3, 25, PSH | ACK, 1001, 5009, "EHLO a\r\n"), 2 * SEC);
    pkt(t, mk(3, 25, 2, 2600, ACK, 5009, 1009, NULL), 2 * SEC);
    st = tcp_flow_table_stats(t);
    assert_int_equal(st->late_packets, 2);
    assert_int_equal(st->late_after_rst, 1);
    assert_int_equal(st->closed[TCP_CLOSE_RST], 1);
    assert_int_equal(r.opened, 1);
    /* a new SYN on the same ports after the linger is a new connection */
    pkt(t, mk(2, 2600, 3, 25, SYN, 7000, 0, NULL), 9 * SEC);
    assert_int_equal(r.opened, 2);
    tcp_flow_table_free(t);
    assert_int_equal(r.closed, 2);
}

static void test_idle_timeout(void **state)
{
    struct rec r = {0};
    struct tcp_flow_config cfg = {.idle_timeout_us = 10 * SEC};
    struct tcp_flow_table *t = tcp_flow_table_new(&cfg, &cbs, &r);

    (void)state;
    pkt(t, mk(10, 42000, 25, 25, SYN, 1, 0, NULL), 100 * SEC);
    pkt(t, mk(11, 42001, 25, 25, SYN, 1, 0, NULL), 105 * SEC);
    pkt(t, mk(12, 42002, 25, 25, SYN, 1, 0, NULL), 112 * SEC);
    assert_int_equal(r.closed, 1); /* the first, idle 12 s */
    assert_int_equal(r.last_reason, TCP_CLOSE_TIMEOUT);
    tcp_flow_expire(t, 200 * SEC);
    assert_int_equal(r.closed, 3);
    assert_int_equal(tcp_flow_table_stats(t)->active, 0);
    tcp_flow_table_free(t);
}

/* One packet ten years ahead, or back in 1970, among the others: the
 * connection clock stays, so no open connection times out; the lone jump
 * is counted.  Two in a row that agree (a real gap) do move it. */
static void test_clock_jump_bounded(void **state)
{
    struct rec r = {0};
    struct tcp_flow_config cfg = {.idle_timeout_us = 10 * SEC};
    struct tcp_flow_table *t = tcp_flow_table_new(&cfg, &cbs, &r);
    uint64_t later = 100 * SEC + 315360000ull * SEC;

    (void)state;
    pkt(t, mk(10, 42000, 25, 25, SYN, 1, 0, NULL), 100 * SEC);
    pkt(t, mk(11, 42001, 25, 25, SYN, 1, 0, NULL), 101 * SEC);
    pkt(t, mk(25, 25, 10, 42000, SYN | ACK, 900, 2, NULL), later);   /* bogus */
    pkt(t, mk(12, 42002, 25, 25, SYN, 1, 0, NULL), 102 * SEC);
    assert_int_equal(r.closed, 0);
    assert_int_equal(tcp_flow_table_stats(t)->clock_jumps, 1);
    pkt(t, mk(25, 25, 11, 42001, SYN | ACK, 900, 2, NULL), 1 * SEC); /* 1970 */
    pkt(t, mk(13, 42003, 25, 25, SYN, 1, 0, NULL), 103 * SEC);
    assert_int_equal(r.closed, 0);
    assert_int_equal(tcp_flow_table_stats(t)->clock_jumps, 2);
    /* a real gap: two packets a minute on, the idle ones time out */
    pkt(t, mk(14, 42004, 25, 25, SYN, 1, 0, NULL), 160 * SEC);
    pkt(t, mk(15, 42005, 25, 25, SYN, 1, 0, NULL), 161 * SEC);
    pkt(t, mk(16, 42006, 25, 25, SYN, 1, 0, NULL), 162 * SEC);
    assert_int_equal(r.closed, 4);
    assert_int_equal(r.last_reason, TCP_CLOSE_TIMEOUT);
    assert_int_equal(tcp_flow_table_stats(t)->clock_jumps, 2);
    tcp_flow_table_free(t);
}

static void test_eviction_bounded(void **state)
{
    struct rec r = {0};
    struct tcp_flow_config cfg = {.max_flows = 100};
    struct tcp_flow_table *t = tcp_flow_table_new(&cfg, &cbs, &r);
    const struct tcp_flow_stats *st;

    (void)state;
    /* A flood of 10000 connections through a table of 100. */
    for (unsigned i = 0; i < 10000; i++) {
        struct cap_tcp_seg s = mk((uint8_t)(i >> 8), (uint16_t)(1024 + i), 25, 25, SYN, i, 0, NULL);

        pkt(t, s, SEC + i);
    }
    st = tcp_flow_table_stats(t);
    assert_true(st->active <= 100);
    assert_int_equal(st->created, 10000);
    assert_int_equal(st->closed[TCP_CLOSE_EVICTED], 10000 - st->active);
    assert_int_equal(r.closed, st->closed[TCP_CLOSE_EVICTED]);
    tcp_flow_table_free(t);
    assert_int_equal(r.closed, 10000);
}

/* A SYN flood through a small table evicts the flood's own half-open
 * connections (and those a RST ended) first: two dialogues opened before it,
 * and one whose handshake completed in the middle of it, stay open and are
 * read to the end.  Every eviction is counted as one without a dialogue. */
static unsigned dialogue_closed;
static enum tcp_close_reason dialogue_reason[3];

static void d_close(void *ctx, struct tcp_flow *f)
{
    struct rec *r = ctx;

    r->closed++;
    if (f->flags & TCP_FLOW_DATA) {
        assert_true(dialogue_closed < 3);
        dialogue_reason[dialogue_closed++] = f->close_reason;
    }
}

static void test_flood_evicts_itself(void **state)
{
    static const struct tcp_flow_cbs dcbs = {r_open, NULL, r_data, r_gap, NULL, d_close};
    struct rec r = {0};
    struct tcp_flow_config cfg = {.max_flows = 64};
    struct tcp_flow_table *t = tcp_flow_table_new(&cfg, &dcbs, &r);
    const struct tcp_flow_stats *st;
    uint64_t ts = SEC;

    (void)state;
    dialogue_closed = 0;
    for (uint16_t c = 1000; c < 1002; c++) {   /* two dialogues, idle during the flood */
        pkt(t, mk(10, c, 25, 25, SYN, 100, 0, NULL), ts++);
        pkt(t, mk(25, 25, 10, c, SYN | ACK, 900, 101, NULL), ts++);
        pkt(t, mk(25, 25, 10, c, PSH | ACK, 901, 101, "220 hi\r\n"), ts++);
    }
    for (unsigned i = 0; i < 5000; i++) {
        struct cap_tcp_seg s = mk((uint8_t)(100 + i % 100), (uint16_t)(2000 + i), 25, 25, SYN,
                                  i, 0, NULL);

        pkt(t, s, ts++);
        if (i % 3 == 0)   /* answered by a RST */
            pkt(t, mk(25, 25, (uint8_t)(100 + i % 100), (uint16_t)(2000 + i), RST | ACK, 0, i + 1,
                      NULL), ts++);
        if (i == 2500) {  /* a real delivery starts in the middle of the flood */
            pkt(t, mk(10, 3000, 25, 25, SYN, 100, 0, NULL), ts++);
            pkt(t, mk(25, 25, 10, 3000, SYN | ACK, 900, 101, NULL), ts++);
            pkt(t, mk(10, 3000, 25, 25, ACK, 101, 901, NULL), ts++);
            pkt(t, mk(25, 25, 10, 3000, PSH | ACK, 901, 101, "220 hi\r\n"), ts++);
        }
    }
    st = tcp_flow_table_stats(t);
    assert_int_equal(dialogue_closed, 0);
    assert_true(st->closed[TCP_CLOSE_EVICTED] > 4900);
    assert_int_equal(st->evicted_no_dialogue, st->closed[TCP_CLOSE_EVICTED]);
    /* the dialogues go on and end normally */
    for (uint16_t c = 1000; c < 1002; c++) {
        pkt(t, mk(10, c, 25, 25, FIN | ACK, 101, 909, NULL), ts++);
        pkt(t, mk(25, 25, 10, c, FIN | ACK, 909, 102, NULL), ts++);
    }
    assert_int_equal(dialogue_closed, 2);
    assert_int_equal(dialogue_reason[0], TCP_CLOSE_FIN);
    assert_int_equal(dialogue_reason[1], TCP_CLOSE_FIN);
    tcp_flow_table_free(t);
    assert_int_equal(dialogue_closed, 3);
    assert_int_equal(dialogue_reason[2], TCP_CLOSE_END);
    assert_int_equal(r.closed, r.opened);
}

static void test_memcap_shared(void **state)
{
    struct rec r = {0};
    struct tcp_flow_config cfg = {.memcap = 16384};
    struct tcp_flow_table *t = tcp_flow_table_new(&cfg, &cbs, &r);
    char big[1001];

    (void)state;
    memset(big, 'z', 1000);
    big[1000] = '\0';
    /* Out-of-order data that has to be held: more connections than fit. */
    for (unsigned i = 0; i < 40; i++) {
        pkt(t, mk(10, (uint16_t)(2000 + i), 25, 25, SYN, 0, 0, NULL), SEC);
        pkt(t, mk(10, (uint16_t)(2000 + i), 25, 25, ACK, 5000, 0, big), SEC);
    }
    assert_true(tcp_flow_table_stats(t)->mem_peak <= 16384);
    assert_true(tcp_flow_table_stats(t)->mem_refusals > 0);
    tcp_flow_table_free(t);
    assert_int_equal(r.closed, 40);
}

static void test_declined_flow_costs_nothing(void **state)
{
    struct rec r = {.decline = true};
    struct tcp_flow_table *t = tcp_flow_table_new(NULL, &cbs, &r);

    (void)state;
    session(t, 43000, SEC);
    assert_int_equal(r.closed, 1);
    assert_int_equal(r.c2s_len + r.s2c_len, 0);
    assert_int_equal(tcp_flow_table_stats(t)->mem_peak, 0);
    tcp_flow_table_free(t);
}

static void test_stray_packets_ignored(void **state)
{
    struct rec r = {0};
    struct tcp_flow_table *t = tcp_flow_table_new(NULL, &cbs, &r);

    (void)state;
    pkt(t, mk(1, 5555, 2, 25, RST, 1, 0, NULL), SEC);
    pkt(t, mk(1, 5555, 2, 25, ACK, 1, 1, NULL), SEC);
    pkt(t, mk(1, 5555, 2, 25, FIN | ACK, 1, 1, NULL), SEC);
    assert_int_equal(r.opened, 0);
    assert_int_equal(tcp_flow_table_stats(t)->stray_packets, 3);
    tcp_flow_table_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fin_close),
        cmocka_unit_test(test_quiet),
        cmocka_unit_test(test_role_from_synack_only),
        cmocka_unit_test(test_role_from_hint_midstream),
        cmocka_unit_test(test_rst_and_port_reuse),
        cmocka_unit_test(test_rst_injection),
        cmocka_unit_test(test_rst_closes_at_once_when_stopped),
        cmocka_unit_test(test_idle_timeout),
        cmocka_unit_test(test_clock_jump_bounded),
        cmocka_unit_test(test_eviction_bounded),
        cmocka_unit_test(test_flood_evicts_itself),
        cmocka_unit_test(test_memcap_shared),
        cmocka_unit_test(test_declined_flow_costs_nothing),
        cmocka_unit_test(test_stray_packets_ignored),
    };

    return cmocka_run_group_tests_name("tcp_flow", tests, NULL, NULL);
}
