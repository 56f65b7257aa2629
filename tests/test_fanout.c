/*
 * test_fanout.c - capture/cap_fanout: the program that picks a worker by
 * the server's address, run by libpcap's bpf_filter() on crafted frames
 * (its return value is the worker): IPv4 and IPv6, untagged, VLAN and
 * QinQ; both directions of a connection go to one worker; the server is
 * on the side of the followed port, else the lower one; different servers
 * spread over the workers; what is not TCP goes to worker 0.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdint.h>
#include <string.h>

#include <pcap/pcap.h>

#include "capture/cap_fanout.h"

struct frame {
    uint8_t b[128];
    size_t len;
};

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)(v >> 16));
    put16(p + 2, (uint16_t)v);
}

/* link: the Ethernet header with |tags| VLAN tags (the outer 802.1ad when
 * two), ending with |type|; returns the L3 offset */
static size_t link(struct frame *f, unsigned tags, uint16_t type)
{
    size_t o = 12;

    memset(f, 0, sizeof(*f));
    memset(f->b, 0x02, 12);
    for (unsigned t = 0; t < tags; t++, o += 4) {
        put16(f->b + o, t == 0 && tags == 2 ? 0x88a8 : 0x8100);
        put16(f->b + o + 2, (uint16_t)(100 + t));
    }
    put16(f->b + o, type);
    return o + 2;
}

/* an IPv4 TCP segment src:sport > dst:dport, |ihl| words of IP header */
static void v4(struct frame *f, unsigned tags, uint32_t src, uint16_t sport, uint32_t dst,
               uint16_t dport, unsigned ihl)
{
    size_t l3 = link(f, tags, 0x0800);

    f->b[l3] = (uint8_t)(0x40 | ihl);
    f->b[l3 + 9] = 6;
    put32(f->b + l3 + 12, src);
    put32(f->b + l3 + 16, dst);
    put16(f->b + l3 + 4 * ihl, sport);
    put16(f->b + l3 + 4 * ihl + 2, dport);
    f->len = l3 + 4 * ihl + 20;
}

/* an IPv6 TCP segment; the addresses are 2001:db8::|src| and ::|dst| */
static void v6(struct frame *f, unsigned tags, uint32_t src, uint16_t sport, uint32_t dst,
               uint16_t dport)
{
    size_t l3 = link(f, tags, 0x86dd);

    f->b[l3] = 0x60;
    f->b[l3 + 6] = 6;
    put16(f->b + l3 + 8, 0x2001);
    put16(f->b + l3 + 10, 0x0db8);
    put32(f->b + l3 + 20, src);
    put16(f->b + l3 + 24, 0x2001);
    put16(f->b + l3 + 26, 0x0db8);
    put32(f->b + l3 + 36, dst);
    put16(f->b + l3 + 40, sport);
    put16(f->b + l3 + 42, dport);
    f->len = l3 + 60;
}

struct prog {
    struct bpf_insn insn[CAP_FANOUT_MAX_INSNS];
    size_t n;
};

static void make(struct prog *p, const struct cap_ports *ports, unsigned nworkers)
{
    p->n = cap_fanout_program(ports, nworkers, 0, p->insn);
    assert_true(p->n > 0);
    assert_true(p->n <= CAP_FANOUT_MAX_INSNS);
}

static unsigned run(const struct prog *p, const struct frame *f)
{
    return bpf_filter(p->insn, f->b, (u_int)f->len, (u_int)f->len);
}

static void mail_ports(struct cap_ports *ports)
{
    cap_ports_init(ports);
    cap_ports_add_mail(ports);
}

/* every encapsulation gives the worker of the server's address, the
 * same both ways */
static void test_server_both_ways(void **state)
{
    struct cap_ports ports;
    struct prog p;
    struct frame f;
    const uint32_t server = 0xc6336419, client = 0xc000020a;   /* 198.51.100.25, 192.0.2.10 */

    (void)state;
    mail_ports(&ports);
    for (unsigned n = 1; n <= 7; n++) {
        make(&p, &ports, n);
        for (unsigned tags = 0; tags <= 2; tags++) {
            unsigned want = cap_fanout_server_worker(server, n);

            v4(&f, tags, client, 33560, server, 25, 5);
            assert_int_equal(run(&p, &f), want);
            v4(&f, tags, server, 25, client, 33560, 5);
            assert_int_equal(run(&p, &f), want);
            v4(&f, tags, client, 40001, server, 25, 15);         /* IP options */
            assert_int_equal(run(&p, &f), want);
            want = cap_fanout_server_worker(0x25, n);
            v6(&f, tags, 0x10, 33560, 0x25, 587);
            assert_int_equal(run(&p, &f), want);
            v6(&f, tags, 0x25, 587, 0x10, 33560);
            assert_int_equal(run(&p, &f), want);
        }
    }
}

/* the followed port wins over the lower one; neither or both: the lower;
 * equal ports: the same worker both ways */
static void test_which_side(void **state)
{
    struct cap_ports ports;
    struct prog p;
    struct frame f;
    const unsigned n = 16;
    uint32_t a = 0x0a000001, b = 0x0a000002;

    (void)state;
    mail_ports(&ports);
    cap_ports_add(&ports, 60025);
    make(&p, &ports, n);
    assert_int_not_equal(cap_fanout_server_worker(a, n), cap_fanout_server_worker(b, n));
    /* a:1024 > b:60025 (--port 60025): b, although its port is higher */
    v4(&f, 0, a, 1024, b, 60025, 5);
    assert_int_equal(run(&p, &f), cap_fanout_server_worker(b, n));
    v4(&f, 0, b, 60025, a, 1024, 5);
    assert_int_equal(run(&p, &f), cap_fanout_server_worker(b, n));
    /* neither followed: the lower port's side */
    v4(&f, 0, a, 8080, b, 50000, 5);
    assert_int_equal(run(&p, &f), cap_fanout_server_worker(a, n));
    v4(&f, 0, b, 50000, a, 8080, 5);
    assert_int_equal(run(&p, &f), cap_fanout_server_worker(a, n));
    /* both followed (a relay from 587 to 25): the lower, both ways */
    v4(&f, 0, a, 587, b, 25, 5);
    assert_int_equal(run(&p, &f), cap_fanout_server_worker(b, n));
    v4(&f, 0, b, 25, a, 587, 5);
    assert_int_equal(run(&p, &f), cap_fanout_server_worker(b, n));
    /* equal ports: both addresses, so both ways alike */
    v4(&f, 0, a, 25, b, 25, 5);
    assert_int_equal(run(&p, &f), cap_fanout_server_worker(a ^ b, n));
    v4(&f, 0, b, 25, a, 25, 5);
    assert_int_equal(run(&p, &f), cap_fanout_server_worker(a ^ b, n));
    /* --any-port: every port followed, the lower decides */
    ports.any = true;
    make(&p, &ports, n);
    v4(&f, 0, a, 1024, b, 60025, 5);
    assert_int_equal(run(&p, &f), cap_fanout_server_worker(a, n));
}

/* servers of one subnet spread over two workers; all of them are seen */
static void test_spread(void **state)
{
    struct cap_ports ports;
    struct prog p;
    struct frame f;
    unsigned count[2] = {0, 0};

    (void)state;
    mail_ports(&ports);
    make(&p, &ports, 2);
    /* 198.51.100.0/24, every other address (an even-only subnet would all
     * go to one worker without the fold) */
    for (uint32_t h = 0; h < 256; h += 2) {
        unsigned w;

        v4(&f, 1, 0xc0000201, 40000, 0xc6336400 | h, 25, 5);
        w = run(&p, &f);
        assert_true(w < 2);
        count[w]++;
    }
    assert_true(count[0] > 32 && count[1] > 32);
    /* pcaps/many-sessions.pcap: its two servers are in different workers */
    assert_int_not_equal(cap_fanout_server_worker(0xc6336419, 2),
                         cap_fanout_server_worker(0x25, 2));
}

/* not IP, not TCP, a later fragment, a truncated frame: worker 0 */
static void test_others(void **state)
{
    struct cap_ports ports;
    struct prog p;
    struct frame f;
    uint32_t server = 0x0a000003;

    (void)state;
    mail_ports(&ports);
    make(&p, &ports, 4);
    assert_int_not_equal(cap_fanout_server_worker(server, 4), 0);
    link(&f, 0, 0x0806);                 /* ARP */
    f.len = 60;
    assert_int_equal(run(&p, &f), 0);
    v4(&f, 0, 0x0a000001, 40000, server, 25, 5);
    f.b[14 + 9] = 17;                    /* UDP */
    assert_int_equal(run(&p, &f), 0);
    v4(&f, 0, 0x0a000001, 40000, server, 25, 5);
    put16(f.b + 14 + 6, 0x00b9);         /* fragment offset 185 */
    assert_int_equal(run(&p, &f), 0);
    v4(&f, 2, 0x0a000001, 40000, server, 25, 5);
    f.len = 14 + 8 + 20;                 /* no TCP header */
    assert_int_equal(run(&p, &f), 0);
    v6(&f, 0, 0x10, 40000, 0x25, 25);
    f.b[14 + 6] = 0;                     /* a hop-by-hop header first */
    assert_int_equal(run(&p, &f), 0);
    /* three tags: not looked into */
    v4(&f, 2, 0x0a000001, 40000, server, 25, 5);
    put16(f.b + 20, 0x8100);
    assert_int_equal(run(&p, &f), 0);
}

/* 64 followed ports fit the jumps; more: the lower port decides */
static void test_many_ports(void **state)
{
    struct cap_ports ports;
    struct prog p;
    struct frame f;
    const unsigned n = 16;

    (void)state;
    mail_ports(&ports);
    for (uint16_t port = 30000; port < 30060; port++)
        cap_ports_add(&ports, port);
    make(&p, &ports, n);
    v4(&f, 0, 0x0a000001, 1024, 0x0a000002, 30059, 5);
    assert_int_equal(run(&p, &f), cap_fanout_server_worker(0x0a000002, n));
    for (uint16_t port = 30060; port < 31000; port++)
        cap_ports_add(&ports, port);
    make(&p, &ports, n);
    assert_int_equal(run(&p, &f), cap_fanout_server_worker(0x0a000001, n));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_server_both_ways),
        cmocka_unit_test(test_which_side),
        cmocka_unit_test(test_spread),
        cmocka_unit_test(test_others),
        cmocka_unit_test(test_many_ports),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
