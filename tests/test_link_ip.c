/*
 * test_link_ip.c - cap_link and cap_ip on frames built byte by byte here.
 *
 * Every frame is assembled by small builders (Ethernet, VLAN tag, IPv4,
 * IPv6, extension headers, TCP) so each test says exactly what is on the
 * wire.  Prefix tests copy each cut of a frame into a heap block of exactly
 * that size, so AddressSanitizer catches any read past the captured length.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <pcap/pcap.h>

#include "capture/cap_ip.h"
#include "capture/cap_pipe.h"
#include "capture/cap_link.h"

/* ---- frame builders ---------------------------------------------------- */

struct frame {
    uint8_t b[2048];
    size_t n;
};

static const uint8_t V4_SRC[4] = {192, 0, 2, 1};
static const uint8_t V4_DST[4] = {198, 51, 100, 25};
static const uint8_t V6_SRC[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01};
static const uint8_t V6_DST[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x25};
static const uint8_t V4_OUT_SRC[4] = {203, 0, 113, 7};
static const uint8_t V4_OUT_DST[4] = {203, 0, 113, 8};

#define SPORT   49152
#define DPORT   25
#define SEQ     0x01020304u
#define ACK     0xA0B0C0D0u
#define WIN     502
#define TTL     61
#define IPID    0x1234
#define TFLAGS  (CAP_TH_PSH | CAP_TH_ACK)
#define BANNER  "220 mx.example.com ESMTP ready\r\n"
#define BANNER_LEN (sizeof BANNER - 1)

#define IPPROTO_V_TCP 6
#define IPPROTO_V_UDP 17

static void put8(struct frame *f, unsigned v)
{
    assert_true(f->n < sizeof f->b);
    f->b[f->n++] = (uint8_t)v;
}

static void put16(struct frame *f, unsigned v)
{
    put8(f, (v >> 8) & 0xFF);
    put8(f, v & 0xFF);
}

static void put32(struct frame *f, uint32_t v)
{
    put16(f, v >> 16);
    put16(f, v & 0xFFFF);
}

static void put32le(struct frame *f, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        put8(f, (v >> (8 * i)) & 0xFF);
}

static void put_bytes(struct frame *f, const void *p, size_t n)
{
    assert_true(f->n + n <= sizeof f->b);
    memcpy(f->b + f->n, p, n);
    f->n += n;
}

static void put_zeros(struct frame *f, size_t n)
{
    while (n--)
        put8(f, 0);
}

static void set16(struct frame *f, size_t at, unsigned v)
{
    f->b[at] = (uint8_t)(v >> 8);
    f->b[at + 1] = (uint8_t)v;
}

/* Ethernet II header: two MACs and |type| (a TPID when a tag follows). */
static void eth(struct frame *f, unsigned type)
{
    static const uint8_t dst[6] = {0x02, 0, 0, 0, 0, 0x01};
    static const uint8_t src[6] = {0x02, 0, 0, 0, 0, 0x02};

    put_bytes(f, dst, 6);
    put_bytes(f, src, 6);
    put16(f, type);
}

/* One 802.1Q/802.1ad tag body: TCI, then the next type. */
static void vlan(struct frame *f, unsigned tci, unsigned next)
{
    put16(f, tci);
    put16(f, next);
}

/* Linux cooked v1 header (ARPHRD |hatype|, protocol |proto|). */
static void sll(struct frame *f, unsigned hatype, unsigned proto)
{
    static const uint8_t mac[8] = {0x02, 0, 0, 0, 0, 0x02, 0, 0};

    put16(f, 0);       /* to us */
    put16(f, hatype);
    put16(f, 6);
    put_bytes(f, mac, 8);
    put16(f, proto);
}

/* Linux cooked v2 header. */
static void sll2(struct frame *f, unsigned hatype, unsigned proto)
{
    static const uint8_t mac[8] = {0x02, 0, 0, 0, 0, 0x02, 0, 0};

    put16(f, proto);
    put16(f, 0);
    put32(f, 3);       /* ifindex */
    put16(f, hatype);
    put8(f, 4);        /* outgoing */
    put8(f, 6);
    put_bytes(f, mac, 8);
}

/* IPv4 header with |optwords| 32-bit option words (a Router Alert, then
 * NOPs); total length is patched by ip4_end.  Returns the header offset. */
static size_t ip4_addrs(struct frame *f, unsigned proto, unsigned frag, unsigned optwords,
                        const uint8_t *src, const uint8_t *dst)
{
    size_t at = f->n;

    put8(f, 0x40 | (5 + optwords));
    put8(f, 0);
    put16(f, 0);
    put16(f, IPID);
    put16(f, frag);
    put8(f, TTL);
    put8(f, proto);
    put16(f, 0);
    put_bytes(f, src, 4);
    put_bytes(f, dst, 4);
    for (unsigned i = 0; i < optwords; i++) {
        if (i == 0)
            put32(f, 0x94040000);   /* Router Alert, RFC 2113 */
        else
            put32(f, 0x01010101);   /* NOP x4 */
    }
    return at;
}

static size_t ip4(struct frame *f, unsigned proto, unsigned frag, unsigned optwords)
{
    return ip4_addrs(f, proto, frag, optwords, V4_SRC, V4_DST);
}

static void ip4_end(struct frame *f, size_t at)
{
    set16(f, at + 2, (unsigned)(f->n - at));
}

/* IPv6 header; payload length is patched by ip6_end. */
static size_t ip6(struct frame *f, unsigned nh, unsigned hlim)
{
    size_t at = f->n;

    put32(f, 0x60012345);   /* version 6, flow label 0x12345 */
    put16(f, 0);
    put8(f, nh);
    put8(f, hlim);
    put_bytes(f, V6_SRC, 16);
    put_bytes(f, V6_DST, 16);
    return at;
}

static void ip6_end(struct frame *f, size_t at)
{
    set16(f, at + 4, (unsigned)(f->n - at - 40));
}

/* Hop-by-hop / routing / destination options header of (units+1)*8 bytes,
 * the body filled with one PadN option. */
static void ext6(struct frame *f, unsigned nh, unsigned units)
{
    size_t body = (units + 1) * 8 - 2;

    put8(f, nh);
    put8(f, units);
    put8(f, 1);                 /* PadN */
    put8(f, (unsigned)(body - 2));
    put_zeros(f, body - 2);
}

/* Authentication header, RFC 4302, with a 12-byte ICV: (4 + 2) * 4 = 24 bytes. */
static void ah6(struct frame *f, unsigned nh)
{
    put8(f, nh);
    put8(f, 4);
    put16(f, 0);
    put32(f, 0x1000);           /* SPI */
    put32(f, 1);                /* sequence */
    put_zeros(f, 12);
}

static void frag6(struct frame *f, unsigned nh, unsigned off8, unsigned more, uint32_t id)
{
    put8(f, nh);
    put8(f, 0);
    put16(f, (off8 << 3) | (more ? 1 : 0));
    put32(f, id);
}

/* TCP header with |optwords| option words (MSS, then NOPs). */
static void tcp_opts(struct frame *f, unsigned optwords)
{
    put16(f, SPORT);
    put16(f, DPORT);
    put32(f, SEQ);
    put32(f, ACK);
    put8(f, (5 + optwords) << 4);
    put8(f, TFLAGS);
    put16(f, WIN);
    put16(f, 0);
    put16(f, 0);
    for (unsigned i = 0; i < optwords; i++)
        put32(f, i == 0 ? 0x020405B4 : 0x01010101);
}

static void tcp(struct frame *f)
{
    tcp_opts(f, 0);
}

static void banner(struct frame *f)
{
    put_bytes(f, BANNER, BANNER_LEN);
}

/* A plain Ethernet/IPv4/TCP frame carrying the banner. */
static void std_v4(struct frame *f)
{
    size_t ip;

    f->n = 0;
    eth(f, 0x0800);
    ip = ip4(f, IPPROTO_V_TCP, 0x4000, 0);
    tcp(f);
    banner(f);
    ip4_end(f, ip);
}

/* IPv4 + TCP + banner without link header (for the raw and cooked links). */
static void body_v4(struct frame *f)
{
    size_t ip = ip4(f, IPPROTO_V_TCP, 0, 0);

    tcp(f);
    banner(f);
    ip4_end(f, ip);
}

static void body_v6(struct frame *f)
{
    size_t ip = ip6(f, IPPROTO_V_TCP, TTL);

    tcp(f);
    banner(f);
    ip6_end(f, ip);
}

/* ---- decoding helpers -------------------------------------------------- */

static enum cap_status decode(int dlt, const uint8_t *p, size_t len, struct cap_l3 *l3,
                              struct cap_tcp_seg *seg)
{
    enum cap_status st = cap_link_decode(dlt, p, len, l3);

    if (st != CAP_OK)
        return st;
    return cap_ip_decode(l3, seg);
}

static void assert_addr(const struct cap_addr *a, int family, const uint8_t *b)
{
    static const uint8_t zero[16];

    assert_int_equal(a->family, family);
    assert_memory_equal(a->b, b, family == 4 ? 4 : 16);
    if (family == 4)
        assert_memory_equal(a->b + 4, zero, 12);
}

/* assert_std_seg checks the TCP fields every builder writes, the banner as
 * payload, and where the IP header sits. */
static void assert_std_seg(const struct cap_tcp_seg *seg, int family, const uint8_t *frame,
                           size_t ip_off, size_t ip_len)
{
    if (family == 4) {
        assert_addr(&seg->src, 4, V4_SRC);
        assert_addr(&seg->dst, 4, V4_DST);
    } else {
        assert_addr(&seg->src, 6, V6_SRC);
        assert_addr(&seg->dst, 6, V6_DST);
    }
    assert_int_equal(seg->sport, SPORT);
    assert_int_equal(seg->dport, DPORT);
    assert_int_equal(seg->seq, SEQ);
    assert_int_equal(seg->ack, ACK);
    assert_int_equal(seg->win, WIN);
    assert_int_equal(seg->flags, TFLAGS);
    assert_int_equal(seg->ttl, TTL);
    assert_int_equal(seg->ip_id, family == 4 ? IPID : 0);
    assert_int_equal(seg->payload_len, BANNER_LEN);
    assert_int_equal(seg->payload_wire_len, BANNER_LEN);
    assert_memory_equal(seg->payload, BANNER, BANNER_LEN);
    assert_ptr_equal(seg->ip_hdr, frame + ip_off);
    assert_int_equal(seg->ip_len, ip_len);
}

/* ---- names ------------------------------------------------------------- */

static void test_status_names(void **state)
{
    (void)state;
    assert_string_equal(cap_status_name(CAP_OK), "ok");
    assert_string_equal(cap_status_name(CAP_TRUNCATED), "truncated");
    assert_string_equal(cap_status_name(CAP_MALFORMED), "malformed");
    assert_string_equal(cap_status_name(CAP_UNSUPPORTED), "unsupported");
    for (int s = 0; s < CAP_STATUS_COUNT; s++)
        assert_non_null(cap_status_name((enum cap_status)s));
    assert_string_equal(cap_status_name(CAP_STATUS_COUNT), "unknown");
}

static void test_link_names(void **state)
{
    (void)state;
    assert_string_equal(cap_link_name(DLT_EN10MB), "EN10MB");
    assert_string_equal(cap_link_name(DLT_LINUX_SLL), "LINUX_SLL");
    assert_string_equal(cap_link_name(DLT_LINUX_SLL2), "LINUX_SLL2");
    assert_string_equal(cap_link_name(DLT_NULL), "NULL");
    assert_string_equal(cap_link_name(DLT_IPV6), "IPV6");
    assert_string_equal(cap_link_name(12), "RAW");
    assert_string_equal(cap_link_name(14), "RAW");
    assert_string_equal(cap_link_name(101), "RAW");
    assert_string_equal(cap_link_name(147), "DLT 147");
    assert_string_equal(cap_link_name(-1), "DLT -1");

    assert_true(cap_link_supported(DLT_EN10MB));
    assert_true(cap_link_supported(DLT_LINUX_SLL));
    assert_true(cap_link_supported(DLT_LINUX_SLL2));
    assert_true(cap_link_supported(DLT_RAW));
    assert_true(cap_link_supported(12));
    assert_true(cap_link_supported(14));
    assert_true(cap_link_supported(101));
    assert_true(cap_link_supported(DLT_IPV4));
    assert_true(cap_link_supported(DLT_IPV6));
    assert_true(cap_link_supported(DLT_NULL));
    assert_true(cap_link_supported(DLT_LOOP));
    assert_false(cap_link_supported(147));
    assert_false(cap_link_supported(DLT_IEEE802_11));
}

/* ---- link layers ------------------------------------------------------- */

static void test_en10mb_v4(void **state)
{
    struct frame f;
    struct cap_l3 l3;
    struct cap_tcp_seg seg;

    (void)state;
    std_v4(&f);
    assert_int_equal(decode(DLT_EN10MB, f.b, f.n, &l3, &seg), CAP_OK);
    assert_int_equal(l3.ethertype, 0x0800);
    assert_int_equal(l3.nvlan, 0);
    assert_ptr_equal(l3.data, f.b + 14);
    assert_int_equal(l3.len, f.n - 14);
    assert_std_seg(&seg, 4, f.b, 14, f.n - 14);
    assert_int_equal(seg.seg_flags, 0);
}

static void test_en10mb_v6(void **state)
{
    struct frame f = {.n = 0};
    struct cap_l3 l3;
    struct cap_tcp_seg seg;

    (void)state;
    eth(&f, 0x86DD);
    body_v6(&f);
    assert_int_equal(decode(DLT_EN10MB, f.b, f.n, &l3, &seg), CAP_OK);
    assert_int_equal(l3.ethertype, 0x86DD);
    assert_std_seg(&seg, 6, f.b, 14, f.n - 14);
    assert_int_equal(seg.seg_flags, 0);
}

static void test_vlan_single(void **state)
{
    struct frame f = {.n = 0};
    struct cap_l3 l3;
    struct cap_tcp_seg seg;

    (void)state;
    eth(&f, 0x8100);
    vlan(&f, 0xA000 | 100, 0x0800);   /* PCP 5 must not leak into the ID */
    body_v4(&f);
    assert_int_equal(decode(DLT_EN10MB, f.b, f.n, &l3, &seg), CAP_OK);
    assert_int_equal(l3.nvlan, 1);
    assert_int_equal(l3.vlan[0], 100);
    assert_int_equal(l3.ethertype, 0x0800);
    assert_std_seg(&seg, 4, f.b, 18, f.n - 18);
}

static void test_vlan_qinq(void **state)
{
    struct frame f = {.n = 0};
    struct cap_l3 l3;
    struct cap_tcp_seg seg;

    (void)state;
    eth(&f, 0x88A8);
    vlan(&f, 10, 0x8100);
    vlan(&f, 0x1000 | 4094, 0x86DD);  /* DEI set */
    body_v6(&f);
    assert_int_equal(decode(DLT_EN10MB, f.b, f.n, &l3, &seg), CAP_OK);
    assert_int_equal(l3.nvlan, 2);
    assert_int_equal(l3.vlan[0], 10);
    assert_int_equal(l3.vlan[1], 4094);
    assert_int_equal(l3.ethertype, 0x86DD);
    assert_std_seg(&seg, 6, f.b, 22, f.n - 22);

    /* The pre-standard 0x9100 outer tag. */
    f.n = 0;
    eth(&f, 0x9100);
    vlan(&f, 7, 0x8100);
    vlan(&f, 8, 0x0800);
    body_v4(&f);
    assert_int_equal(decode(DLT_EN10MB, f.b, f.n, &l3, &seg), CAP_OK);
    assert_int_equal(l3.nvlan, 2);
    assert_int_equal(l3.vlan[0], 7);
    assert_int_equal(l3.vlan[1], 8);
    assert_std_seg(&seg, 4, f.b, 22, f.n - 22);
}

static void test_vlan_too_many(void **state)
{
    struct frame f = {.n = 0};
    struct cap_l3 l3;
    struct cap_tcp_seg seg;

    (void)state;
    /* CAP_MAX_VLAN tags decode ... */
    eth(&f, 0x88A8);
    for (unsigned i = 1; i < CAP_MAX_VLAN; i++)
        vlan(&f, i, 0x8100);
    vlan(&f, CAP_MAX_VLAN, 0x0800);
    body_v4(&f);
    assert_int_equal(decode(DLT_EN10MB, f.b, f.n, &l3, &seg), CAP_OK);
    assert_int_equal(l3.nvlan, CAP_MAX_VLAN);
    for (unsigned i = 0; i < CAP_MAX_VLAN; i++)
        assert_int_equal(l3.vlan[i], i + 1);
    assert_std_seg(&seg, 4, f.b, 14 + 4 * CAP_MAX_VLAN, f.n - 14 - 4 * CAP_MAX_VLAN);

    /* ... one more is malformed. */
    f.n = 0;
    eth(&f, 0x8100);
    for (unsigned i = 0; i < CAP_MAX_VLAN; i++)
        vlan(&f, i + 1, 0x8100);
    vlan(&f, 99, 0x0800);
    body_v4(&f);
    assert_int_equal(cap_link_decode(DLT_EN10MB, f.b, f.n, &l3), CAP_MALFORMED);
}

static void test_arp_not_ip(void **state)
{
    struct frame f = {.n = 0};
    struct cap_l3 l3;

    (void)state;
    eth(&f, 0x0806);
    put16(&f, 1);
    put16(&f, 0x0800);
    put8(&f, 6);
    put8(&f, 4);
    put16(&f, 1);
    put_zeros(&f, 20);
    assert_int_equal(cap_link_decode(DLT_EN10MB, f.b, f.n, &l3), CAP_NOT_IP);
    assert_int_equal(l3.ethertype, 0x0806);
    assert_ptr_equal(l3.data, f.b + 14);

    /* A tagged ARP is still ARP, and the tag is recorded. */
    f.n = 0;
    eth(&f, 0x8100);
    vlan(&f, 42, 0x0806);
    put_zeros(&f, 28);
    assert_int_equal(cap_link_decode(DLT_EN10MB, f.b, f.n, &l3), CAP_NOT_IP);
    assert_int_equal(l3.nvlan, 1);
    assert_int_equal(l3.vlan[0], 42);
    assert_int_equal(l3.ethertype, 0x0806);

    /* Type values between 1500 and 1536 are neither length nor type. */
    f.n = 0;
    eth(&f, 1501);
    put_zeros(&f, 46);
    assert_int_equal(cap_link_decode(DLT_EN10MB, f.b, f.n, &l3), CAP_MALFORMED);
}

static void test_8023_llc_snap(void **state)
{
    struct frame f = {.n = 0};
    struct cap_l3 l3;
    struct cap_tcp_seg seg;
    size_t len_at, n;

    (void)state;
    eth(&f, 0);
    len_at = f.n - 2;
    put8(&f, 0xAA);
    put8(&f, 0xAA);
    put8(&f, 0x03);
    put8(&f, 0);
    put8(&f, 0);
    put8(&f, 0);
    put16(&f, 0x0800);
    body_v4(&f);
    set16(&f, len_at, (unsigned)(f.n - 14));
    n = f.n;
    put_zeros(&f, 6);   /* trailer beyond the 802.3 length */
    assert_int_equal(decode(DLT_EN10MB, f.b, f.n, &l3, &seg), CAP_OK);
    assert_int_equal(l3.ethertype, 0x0800);
    assert_ptr_equal(l3.data, f.b + 22);
    assert_int_equal(l3.len, n - 22);   /* the length field cut the trailer */
    assert_std_seg(&seg, 4, f.b, 22, n - 22);

    /* Spanning tree: LLC 0x42 0x42 0x03 is not IP. */
    f.n = 0;
    eth(&f, 38);
    put8(&f, 0x42);
    put8(&f, 0x42);
    put8(&f, 0x03);
    put_zeros(&f, 35);
    assert_int_equal(cap_link_decode(DLT_EN10MB, f.b, f.n, &l3), CAP_NOT_IP);

    /* SNAP with a vendor OUI (Cisco CDP) is not IP either. */
    f.n = 0;
    eth(&f, 40);
    put8(&f, 0xAA);
    put8(&f, 0xAA);
    put8(&f, 0x03);
    put8(&f, 0x00);
    put8(&f, 0x00);
    put8(&f, 0x0C);
    put16(&f, 0x2000);
    put_zeros(&f, 32);
    assert_int_equal(cap_link_decode(DLT_EN10MB, f.b, f.n, &l3), CAP_NOT_IP);

    /* A length too small to hold LLC + SNAP cannot be right. */
    f.n = 0;
    eth(&f, 5);
    put8(&f, 0xAA);
    put8(&f, 0xAA);
    put8(&f, 0x03);
    put_zeros(&f, 43);
    assert_int_equal(cap_link_decode(DLT_EN10MB, f.b, f.n, &l3), CAP_MALFORMED);
}

static void test_sll(void **state)
{
    struct frame f = {.n = 0};
    struct cap_l3 l3;
    struct cap_tcp_seg seg;

    (void)state;
    sll(&f, 1, 0x0800);
    body_v4(&f);
    assert_int_equal(decode(DLT_LINUX_SLL, f.b, f.n, &l3, &seg), CAP_OK);
    assert_int_equal(l3.ethertype, 0x0800);
    assert_int_equal(l3.nvlan, 0);
    assert_std_seg(&seg, 4, f.b, 16, f.n - 16);

    /* An untouched 802.1Q tag after the cooked header. */
    f.n = 0;
    sll(&f, 1, 0x8100);
    vlan(&f, 300, 0x86DD);
    body_v6(&f);
    assert_int_equal(decode(DLT_LINUX_SLL, f.b, f.n, &l3, &seg), CAP_OK);
    assert_int_equal(l3.nvlan, 1);
    assert_int_equal(l3.vlan[0], 300);
    assert_int_equal(l3.ethertype, 0x86DD);
    assert_std_seg(&seg, 6, f.b, 20, f.n - 20);

    /* GRE device: the protocol field is the GRE protocol type. */
    f.n = 0;
    sll(&f, 778, 0x0800);
    body_v4(&f);
    assert_int_equal(decode(DLT_LINUX_SLL, f.b, f.n, &l3, &seg), CAP_OK);
    assert_std_seg(&seg, 4, f.b, 16, f.n - 16);

    /* 802.2 LLC/SNAP framing (ETH_P_802_2). */
    f.n = 0;
    sll(&f, 1, 0x0004);
    put8(&f, 0xAA);
    put8(&f, 0xAA);
    put8(&f, 0x03);
    put_zeros(&f, 3);
    put16(&f, 0x0800);
    body_v4(&f);
    assert_int_equal(decode(DLT_LINUX_SLL, f.b, f.n, &l3, &seg), CAP_OK);
    assert_std_seg(&seg, 4, f.b, 24, f.n - 24);

    /* Netlink monitor: the protocol is a netlink family, whatever its value. */
    f.n = 0;
    sll(&f, 824, 0x0800);
    put_zeros(&f, 40);
    assert_int_equal(cap_link_decode(DLT_LINUX_SLL, f.b, f.n, &l3), CAP_NOT_IP);

    /* Novell raw 802.3 (ETH_P_802_3). */
    f.n = 0;
    sll(&f, 1, 0x0001);
    put_zeros(&f, 40);
    assert_int_equal(cap_link_decode(DLT_LINUX_SLL, f.b, f.n, &l3), CAP_NOT_IP);

    assert_int_equal(cap_link_decode(DLT_LINUX_SLL, f.b, 15, &l3), CAP_TRUNCATED);
}

static void test_sll2(void **state)
{
    struct frame f = {.n = 0};
    struct cap_l3 l3;
    struct cap_tcp_seg seg;

    (void)state;
    sll2(&f, 1, 0x86DD);
    body_v6(&f);
    assert_int_equal(decode(DLT_LINUX_SLL2, f.b, f.n, &l3, &seg), CAP_OK);
    assert_int_equal(l3.ethertype, 0x86DD);
    assert_std_seg(&seg, 6, f.b, 20, f.n - 20);

    f.n = 0;
    sll2(&f, 1, 0x0800);
    body_v4(&f);
    assert_int_equal(decode(DLT_LINUX_SLL2, f.b, f.n, &l3, &seg), CAP_OK);
    assert_std_seg(&seg, 4, f.b, 20, f.n - 20);

    f.n = 0;
    sll2(&f, 1, 0x0806);
    put_zeros(&f, 28);
    assert_int_equal(cap_link_decode(DLT_LINUX_SLL2, f.b, f.n, &l3), CAP_NOT_IP);
    assert_int_equal(l3.ethertype, 0x0806);
    assert_int_equal(cap_link_decode(DLT_LINUX_SLL2, f.b, 19, &l3), CAP_TRUNCATED);
}

static void test_raw(void **state)
{
    static const int raw_dlts[] = {DLT_RAW, 12, 14, 101};
    struct frame f4 = {.n = 0}, f6 = {.n = 0};
    struct cap_l3 l3;
    struct cap_tcp_seg seg;
    uint8_t junk[40] = {0x50};

    (void)state;
    body_v4(&f4);
    body_v6(&f6);
    for (size_t i = 0; i < sizeof raw_dlts / sizeof raw_dlts[0]; i++) {
        assert_int_equal(decode(raw_dlts[i], f4.b, f4.n, &l3, &seg), CAP_OK);
        assert_int_equal(l3.ethertype, 0x0800);
        assert_std_seg(&seg, 4, f4.b, 0, f4.n);
        assert_int_equal(decode(raw_dlts[i], f6.b, f6.n, &l3, &seg), CAP_OK);
        assert_int_equal(l3.ethertype, 0x86DD);
        assert_std_seg(&seg, 6, f6.b, 0, f6.n);
        assert_int_equal(cap_link_decode(raw_dlts[i], junk, sizeof junk, &l3), CAP_MALFORMED);
        assert_int_equal(cap_link_decode(raw_dlts[i], junk, 0, &l3), CAP_TRUNCATED);
    }

    assert_int_equal(decode(DLT_IPV4, f4.b, f4.n, &l3, &seg), CAP_OK);
    assert_int_equal(l3.ethertype, 0x0800);
    assert_std_seg(&seg, 4, f4.b, 0, f4.n);
    assert_int_equal(decode(DLT_IPV6, f6.b, f6.n, &l3, &seg), CAP_OK);
    assert_int_equal(l3.ethertype, 0x86DD);
    assert_std_seg(&seg, 6, f6.b, 0, f6.n);
    /* The link type names the version; an IPv6 packet on DLT_IPV4 is wrong. */
    assert_int_equal(decode(DLT_IPV4, f6.b, f6.n, &l3, &seg), CAP_MALFORMED);
    assert_int_equal(decode(DLT_IPV6, f4.b, f4.n, &l3, &seg), CAP_MALFORMED);
    assert_int_equal(cap_link_decode(DLT_IPV4, f4.b, 0, &l3), CAP_TRUNCATED);
}

static void test_null_loop(void **state)
{
    struct frame f = {.n = 0};
    struct cap_l3 l3;
    struct cap_tcp_seg seg;
    static const uint32_t v6_afs[] = {10, 24, 28, 30};

    (void)state;
    /* DLT_NULL, little-endian capturer. */
    put32le(&f, 2);
    body_v4(&f);
    assert_int_equal(decode(DLT_NULL, f.b, f.n, &l3, &seg), CAP_OK);
    assert_int_equal(l3.ethertype, 0x0800);
    assert_std_seg(&seg, 4, f.b, 4, f.n - 4);

    /* DLT_NULL, big-endian capturer. */
    f.n = 0;
    put32(&f, 2);
    body_v4(&f);
    assert_int_equal(decode(DLT_NULL, f.b, f.n, &l3, &seg), CAP_OK);
    assert_std_seg(&seg, 4, f.b, 4, f.n - 4);

    for (size_t i = 0; i < sizeof v6_afs / sizeof v6_afs[0]; i++) {
        f.n = 0;
        put32le(&f, v6_afs[i]);
        body_v6(&f);
        assert_int_equal(decode(DLT_NULL, f.b, f.n, &l3, &seg), CAP_OK);
        assert_int_equal(l3.ethertype, 0x86DD);
        assert_std_seg(&seg, 6, f.b, 4, f.n - 4);
        f.n = 0;
        put32(&f, v6_afs[i]);
        body_v6(&f);
        assert_int_equal(decode(DLT_NULL, f.b, f.n, &l3, &seg), CAP_OK);
        assert_std_seg(&seg, 6, f.b, 4, f.n - 4);
        assert_int_equal(decode(DLT_LOOP, f.b, f.n, &l3, &seg), CAP_OK);
        assert_std_seg(&seg, 6, f.b, 4, f.n - 4);
    }

    /* DLT_LOOP is network order only. */
    f.n = 0;
    put32(&f, 2);
    body_v4(&f);
    assert_int_equal(decode(DLT_LOOP, f.b, f.n, &l3, &seg), CAP_OK);
    assert_int_equal(l3.ethertype, 0x0800);
    assert_std_seg(&seg, 4, f.b, 4, f.n - 4);
    f.n = 0;
    put32le(&f, 2);
    body_v4(&f);
    assert_int_equal(cap_link_decode(DLT_LOOP, f.b, f.n, &l3), CAP_NOT_IP);

    /* AF_APPLETALK-ish and short headers. */
    f.n = 0;
    put32(&f, 16);
    put_zeros(&f, 20);
    assert_int_equal(cap_link_decode(DLT_NULL, f.b, f.n, &l3), CAP_NOT_IP);
    assert_int_equal(cap_link_decode(DLT_NULL, f.b, 3, &l3), CAP_TRUNCATED);
}

static void test_unknown_dlt(void **state)
{
    struct frame f;
    struct cap_l3 l3;

    (void)state;
    std_v4(&f);
    assert_int_equal(cap_link_decode(147, f.b, f.n, &l3), CAP_UNSUPPORTED);
    assert_int_equal(cap_link_decode(DLT_IEEE802_11_RADIO, f.b, f.n, &l3), CAP_UNSUPPORTED);
    assert_string_equal(cap_link_name(147), "DLT 147");
}

/* ---- IPv4 -------------------------------------------------------------- */

static void test_ipv4_options(void **state)
{
    struct frame f = {.n = 0};
    struct cap_l3 l3;
    struct cap_tcp_seg seg;
    size_t ip;

    (void)state;
    eth(&f, 0x0800);
    ip = ip4(&f, IPPROTO_V_TCP, 0, 3);
    tcp_opts(&f, 3);
    banner(&f);
    ip4_end(&f, ip);
    assert_int_equal(decode(DLT_EN10MB, f.b, f.n, &l3, &seg), CAP_OK);
    assert_std_seg(&seg, 4, f.b, 14, f.n - 14);
    assert_int_equal(seg.seg_flags, CAP_SEG_IP_OPTIONS);
    assert_ptr_equal(seg.payload, f.b + 14 + 32 + 32);

    /* Largest IHL (60 bytes) and data offset (60 bytes). */
    f.n = 0;
    eth(&f, 0x0800);
    ip = ip4(&f, IPPROTO_V_TCP, 0, 10);
    tcp_opts(&f, 10);
    banner(&f);
    ip4_end(&f, ip);
    assert_int_equal(decode(DLT_EN10MB, f.b, f.n, &l3, &seg), CAP_OK);
    assert_std_seg(&seg, 4, f.b, 14, f.n - 14);
    assert_ptr_equal(seg.payload, f.b + 14 + 60 + 60);
}

static void test_ipv4_fragments(void **state)
{
    struct frame f = {.n = 0};
    struct cap_l3 l3;
    struct cap_tcp_seg seg;
    size_t ip;

    (void)state;
    /* First fragment: MF, offset 0. TCP is here, the payload goes on. */
    eth(&f, 0x0800);
    ip = ip4(&f, IPPROTO_V_TCP, 0x2000, 0);
    tcp(&f);
    banner(&f);
    ip4_end(&f, ip);
    assert_int_equal(decode(DLT_EN10MB, f.b, f.n, &l3, &seg), CAP_OK);
    assert_std_seg(&seg, 4, f.b, 14, f.n - 14);
    assert_int_equal(seg.seg_flags, CAP_SEG_IP_FRAGMENT);

    /* Non-first fragment (offset 5 * 8 bytes, MF). */
    set16(&f, ip + 6, 0x2000 | 5);
    assert_int_equal(decode(DLT_EN10MB, f.b, f.n, &l3, &seg), CAP_FRAGMENT);
    assert_addr(&seg.src, 4, V4_SRC);
    assert_int_equal(seg.ip_id, IPID);

    /* Last fragment (offset, no MF). */
    set16(&f, ip + 6, 185);
    assert_int_equal(decode(DLT_EN10MB, f.b, f.n, &l3, &seg), CAP_FRAGMENT);
    /* The offset's top bit alone (65528 bytes in). */
    set16(&f, ip + 6, 0x1000);
    assert_int_equal(decode(DLT_EN10MB, f.b, f.n, &l3, &seg), CAP_FRAGMENT);

    /* A first fragment too small to hold the TCP header (RFC 1858). */
    f.n = 0;
    eth(&f, 0x0800);
    ip = ip4(&f, IPPROTO_V_TCP, 0x2000, 0);
    put16(&f, SPORT);
    put16(&f, DPORT);
    put32(&f, SEQ);
    ip4_end(&f, ip);
    assert_int_equal(decode(DLT_EN10MB, f.b, f.n, &l3, &seg), CAP_FRAGMENT);

    /* The DF bit alone is no fragment. */
    std_v4(&f);
    assert_int_equal(decode(DLT_EN10MB, f.b, f.n, &l3, &seg), CAP_OK);
    assert_int_equal(seg.seg_flags, 0);
}

static void test_ipv4_malformed(void **state)
{
    struct frame f;
    struct cap_l3 l3;
    struct cap_tcp_seg seg;

    (void)state;
    /* IHL 4 */
    std_v4(&f);
    f.b[14] = 0x44;
    assert_int_equal(decode(DLT_EN10MB, f.b, f.n, &l3, &seg), CAP_MALFORMED);
    /* Version 5 behind an IPv4 ethertype */
    std_v4(&f);
    f.b[14] = 0x55;
    assert_int_equal(decode(DLT_EN10MB, f.b, f.n, &l3, &seg), CAP_MALFORMED);
    /* Version 6 behind an IPv4 ethertype */
    std_v4(&f);
    f.b[14] = 0x65;
    assert_int_equal(decode(DLT_EN10MB, f.b, f.n, &l3, &seg), CAP_MALFORMED);
    /* Total length 19 < IHL (20) */
    std_v4(&f);
    set16(&f, 14 + 2, 19);
    assert_int_equal(decode(DLT_EN10MB, f.b, f.n, &l3, &seg), CAP_MALFORMED);
    /* Total length 24 < IHL 6 (24 is fine) ... 23 is not */
    std_v4(&f);
    f.b[14] = 0x46;
    set16(&f, 14 + 2, 23);
    assert_int_equal(decode(DLT_EN10MB, f.b, f.n, &l3, &seg), CAP_MALFORMED);
    /* TCP data offset 4 */
    std_v4(&f);
    f.b[14 + 20 + 12] = 0x40;
    assert_int_equal(decode(DLT_EN10MB, f.b, f.n, &l3, &seg), CAP_MALFORMED);
    /* TCP data offset 15 (60 bytes) beyond the IP payload (52 bytes) */
    std_v4(&f);
    f.b[14 + 20 + 12] = 0xF0;
    assert_int_equal(decode(DLT_EN10MB, f.b, f.n, &l3, &seg), CAP_MALFORMED);
    /* IP payload shorter than a TCP header */
    std_v4(&f);
    set16(&f, 14 + 2, 20 + 19);
    assert_int_equal(decode(DLT_EN10MB, f.b, f.n, &l3, &seg), CAP_MALFORMED);
}

static void test_ipv4_tso_zero_length(void **state)
{
    struct frame f;
    struct cap_l3 l3;
    struct cap_tcp_seg seg;

    (void)state;
    /* Captured on a sender with segmentation offload: total length 0. */
    std_v4(&f);
    set16(&f, 14 + 2, 0);
    assert_int_equal(decode(DLT_EN10MB, f.b, f.n, &l3, &seg), CAP_OK);
    assert_std_seg(&seg, 4, f.b, 14, f.n - 14);
    assert_int_equal(seg.seg_flags, 0);
}

static void test_ethernet_padding(void **state)
{
    struct frame f = {.n = 0};
    struct cap_l3 l3;
    struct cap_tcp_seg seg;
    size_t ip;

    (void)state;
    /* A bare ACK: 54 bytes, padded to the 60-byte minimum. */
    eth(&f, 0x0800);
    ip = ip4(&f, IPPROTO_V_TCP, 0, 0);
    tcp(&f);
    ip4_end(&f, ip);
    put_bytes(&f, "\xde\xad\xbe\xef\xde\xad", 6);
    assert_int_equal(f.n, 60);
    assert_int_equal(decode(DLT_EN10MB, f.b, f.n, &l3, &seg), CAP_OK);
    assert_int_equal(seg.payload_len, 0);
    assert_int_equal(seg.payload_wire_len, 0);
    assert_int_equal(seg.ip_len, 40);
    assert_int_equal(seg.seg_flags, 0);

    /* Two bytes of payload, then four bytes of padding. */
    f.n = 0;
    eth(&f, 0x0800);
    ip = ip4(&f, IPPROTO_V_TCP, 0, 0);
    tcp(&f);
    put_bytes(&f, "Q\n", 2);
    ip4_end(&f, ip);
    put_zeros(&f, 4);
    assert_int_equal(decode(DLT_EN10MB, f.b, f.n, &l3, &seg), CAP_OK);
    assert_int_equal(seg.payload_len, 2);
    assert_int_equal(seg.payload_wire_len, 2);
    assert_memory_equal(seg.payload, "Q\n", 2);
    assert_int_equal(seg.ip_len, 42);

    /* IPv6 likewise: payload length, not the frame, bounds the segment. */
    f.n = 0;
    eth(&f, 0x86DD);
    ip = ip6(&f, IPPROTO_V_TCP, TTL);
    tcp(&f);
    put8(&f, 'x');
    ip6_end(&f, ip);
    put_zeros(&f, 5);
    assert_int_equal(decode(DLT_EN10MB, f.b, f.n, &l3, &seg), CAP_OK);
    assert_int_equal(seg.payload_len, 1);
    assert_int_equal(seg.payload_wire_len, 1);
    assert_int_equal(seg.ip_len, 61);
}

static void test_snapped_payload(void **state)
{
    struct frame f;
    struct cap_l3 l3;
    struct cap_tcp_seg seg;
    size_t cut = 14 + 20 + 20 + 10;

    (void)state;
    std_v4(&f);
    assert_int_equal(decode(DLT_EN10MB, f.b, cut, &l3, &seg), CAP_OK);
    assert_true(seg.seg_flags & CAP_SEG_SNAPPED);
    assert_int_equal(seg.payload_len, 10);
    assert_int_equal(seg.payload_wire_len, BANNER_LEN);
    assert_memory_equal(seg.payload, BANNER, 10);
    assert_int_equal(seg.ip_len, cut - 14);
    assert_int_equal(seg.seq, SEQ);

    /* Cut exactly after the TCP header: OK, nothing captured, all declared. */
    assert_int_equal(decode(DLT_EN10MB, f.b, 14 + 40, &l3, &seg), CAP_OK);
    assert_int_equal(seg.payload_len, 0);
    assert_int_equal(seg.payload_wire_len, BANNER_LEN);
    assert_int_equal(seg.seg_flags, CAP_SEG_SNAPPED);

    /* Cut inside the TCP header. */
    assert_int_equal(decode(DLT_EN10MB, f.b, 14 + 39, &l3, &seg), CAP_TRUNCATED);
}

static void test_not_tcp(void **state)
{
    struct frame f = {.n = 0};
    struct cap_l3 l3;
    struct cap_tcp_seg seg;
    size_t ip;

    (void)state;
    eth(&f, 0x0800);
    ip = ip4(&f, IPPROTO_V_UDP, 0, 0);
    put16(&f, 53);
    put16(&f, 53);
    put16(&f, 8);
    put16(&f, 0);
    ip4_end(&f, ip);
    assert_int_equal(decode(DLT_EN10MB, f.b, f.n, &l3, &seg), CAP_NOT_TCP);

    /* ICMPv6 */
    f.n = 0;
    eth(&f, 0x86DD);
    ip = ip6(&f, 58, 255);
    put_zeros(&f, 8);
    ip6_end(&f, ip);
    assert_int_equal(decode(DLT_EN10MB, f.b, f.n, &l3, &seg), CAP_NOT_TCP);

    /* cap_ip_decode on something the link layer called ARP */
    l3.data = f.b;
    l3.len = f.n;
    l3.ethertype = 0x0806;
    l3.nvlan = 0;
    assert_int_equal(cap_ip_decode(&l3, &seg), CAP_NOT_IP);
}

static void test_ethertype_zero(void **state)
{
    struct frame f = {.n = 0};
    struct cap_l3 l3 = {.ethertype = 0};
    struct cap_tcp_seg seg;

    (void)state;
    /* A hand-made cap_l3 without ethertype: the version nibble decides. */
    body_v6(&f);
    l3.data = f.b;
    l3.len = f.n;
    assert_int_equal(cap_ip_decode(&l3, &seg), CAP_OK);
    assert_std_seg(&seg, 6, f.b, 0, f.n);
    l3.len = 0;
    assert_int_equal(cap_ip_decode(&l3, &seg), CAP_TRUNCATED);
}

/* ---- IPv6 -------------------------------------------------------------- */

static void test_ipv6_ext_headers(void **state)
{
    struct frame f = {.n = 0};
    struct cap_l3 l3;
    struct cap_tcp_seg seg;
    size_t ip, hdrs;

    (void)state;
    /* hop-by-hop, destination options (16 bytes), routing, AH, TCP */
    eth(&f, 0x86DD);
    ip = ip6(&f, 0, TTL);
    ext6(&f, 60, 0);
    ext6(&f, 43, 1);
    ext6(&f, 51, 0);
    ah6(&f, IPPROTO_V_TCP);
    hdrs = f.n;
    tcp(&f);
    banner(&f);
    ip6_end(&f, ip);
    assert_int_equal(decode(DLT_EN10MB, f.b, f.n, &l3, &seg), CAP_OK);
    assert_std_seg(&seg, 6, f.b, 14, f.n - 14);
    assert_int_equal(seg.seg_flags, CAP_SEG_IPV6_EXT);
    assert_ptr_equal(seg.payload, f.b + hdrs + 20);

    /* hop-by-hop, destination options, fragment (first, M=1), TCP */
    f.n = 0;
    eth(&f, 0x86DD);
    ip = ip6(&f, 0, TTL);
    ext6(&f, 60, 0);
    ext6(&f, 44, 0);
    hdrs = f.n;
    frag6(&f, IPPROTO_V_TCP, 0, 1, 0xCAFE);
    tcp(&f);
    banner(&f);
    ip6_end(&f, ip);
    assert_int_equal(decode(DLT_EN10MB, f.b, f.n, &l3, &seg), CAP_OK);
    assert_std_seg(&seg, 6, f.b, 14, f.n - 14);
    assert_int_equal(seg.seg_flags, CAP_SEG_IPV6_EXT | CAP_SEG_IP_FRAGMENT);

    /* Same datagram, non-first fragment (offset 1). */
    set16(&f, hdrs + 2, (1 << 3) | 1);
    assert_int_equal(decode(DLT_EN10MB, f.b, f.n, &l3, &seg), CAP_FRAGMENT);
    assert_addr(&seg.src, 6, V6_SRC);

    /* Atomic fragment (offset 0, M=0; RFC 6946): an ordinary packet. */
    set16(&f, hdrs + 2, 0);
    assert_int_equal(decode(DLT_EN10MB, f.b, f.n, &l3, &seg), CAP_OK);
    assert_int_equal(seg.seg_flags, CAP_SEG_IPV6_EXT);

    /* No next header. */
    f.n = 0;
    eth(&f, 0x86DD);
    ip = ip6(&f, 60, TTL);
    ext6(&f, 59, 0);
    ip6_end(&f, ip);
    assert_int_equal(decode(DLT_EN10MB, f.b, f.n, &l3, &seg), CAP_NOT_TCP);
}

static void test_ipv6_ext_limits(void **state)
{
    struct frame f = {.n = 0};
    struct cap_l3 l3;
    struct cap_tcp_seg seg;
    size_t ip;

    (void)state;
    /* 16 destination-options headers are walked ... */
    eth(&f, 0x86DD);
    ip = ip6(&f, 60, TTL);
    for (int i = 0; i < 15; i++)
        ext6(&f, 60, 0);
    ext6(&f, IPPROTO_V_TCP, 0);
    tcp(&f);
    banner(&f);
    ip6_end(&f, ip);
    assert_int_equal(decode(DLT_EN10MB, f.b, f.n, &l3, &seg), CAP_OK);
    assert_std_seg(&seg, 6, f.b, 14, f.n - 14);

    /* ... 17 are too many. */
    f.n = 0;
    eth(&f, 0x86DD);
    ip = ip6(&f, 60, TTL);
    for (int i = 0; i < 16; i++)
        ext6(&f, 60, 0);
    ext6(&f, IPPROTO_V_TCP, 0);
    tcp(&f);
    ip6_end(&f, ip);
    assert_int_equal(decode(DLT_EN10MB, f.b, f.n, &l3, &seg), CAP_MALFORMED);

    /* Hop-by-hop anywhere but first. */
    f.n = 0;
    eth(&f, 0x86DD);
    ip = ip6(&f, 60, TTL);
    ext6(&f, 0, 0);
    ext6(&f, IPPROTO_V_TCP, 0);
    tcp(&f);
    ip6_end(&f, ip);
    assert_int_equal(decode(DLT_EN10MB, f.b, f.n, &l3, &seg), CAP_MALFORMED);

    /* An extension header longer than the payload length. */
    f.n = 0;
    eth(&f, 0x86DD);
    ip = ip6(&f, 60, TTL);
    ext6(&f, IPPROTO_V_TCP, 0);
    tcp(&f);
    ip6_end(&f, ip);
    f.b[14 + 40 + 1] = 10;   /* 88 bytes, 28 declared */
    assert_int_equal(decode(DLT_EN10MB, f.b, f.n, &l3, &seg), CAP_MALFORMED);

    /* Jumbogram: payload length 0 and hop-by-hop. */
    f.n = 0;
    eth(&f, 0x86DD);
    ip = ip6(&f, 0, TTL);
    put8(&f, IPPROTO_V_TCP);
    put8(&f, 0);
    put8(&f, 0xC2);
    put8(&f, 4);
    put32(&f, 70000);
    tcp(&f);
    banner(&f);
    assert_int_equal(decode(DLT_EN10MB, f.b, f.n, &l3, &seg), CAP_UNSUPPORTED);

    /* Payload length 0 without hop-by-hop: offload (BIG TCP), use the capture. */
    f.n = 0;
    eth(&f, 0x86DD);
    ip6(&f, IPPROTO_V_TCP, TTL);
    tcp(&f);
    banner(&f);
    assert_int_equal(decode(DLT_EN10MB, f.b, f.n, &l3, &seg), CAP_OK);
    assert_std_seg(&seg, 6, f.b, 14, f.n - 14);

    /* Payload length beyond the capture: snapped. */
    f.n = 0;
    eth(&f, 0x86DD);
    ip = ip6(&f, IPPROTO_V_TCP, TTL);
    tcp(&f);
    banner(&f);
    ip6_end(&f, ip);
    set16(&f, 14 + 4, 20 + BANNER_LEN + 100);
    assert_int_equal(decode(DLT_EN10MB, f.b, f.n, &l3, &seg), CAP_OK);
    assert_int_equal(seg.payload_len, BANNER_LEN);
    assert_int_equal(seg.payload_wire_len, BANNER_LEN + 100);
    assert_int_equal(seg.seg_flags, CAP_SEG_SNAPPED);
}

/* ---- tunnels ----------------------------------------------------------- */

/* 6in4: outer IPv4 (protocol 41) carrying IPv6/TCP. */
static void build_6in4(struct frame *f)
{
    size_t outer;

    f->n = 0;
    eth(f, 0x0800);
    outer = ip4_addrs(f, 41, 0, 0, V4_OUT_SRC, V4_OUT_DST);
    f->b[outer + 8] = 200;   /* outer TTL differs from the inner hop limit */
    body_v6(f);
    ip4_end(f, outer);
}

static void test_tunnel_6in4(void **state)
{
    struct frame f;
    struct cap_l3 l3;
    struct cap_tcp_seg seg;

    (void)state;
    build_6in4(&f);
    put_zeros(&f, 4);   /* trailer after the outer datagram */
    assert_int_equal(decode(DLT_EN10MB, f.b, f.n, &l3, &seg), CAP_OK);
    assert_std_seg(&seg, 6, f.b, 34, f.n - 4 - 34);
    assert_int_equal(seg.seg_flags, CAP_SEG_TUNNEL);

    /* The inner header claims more than the outer one carries. */
    build_6in4(&f);
    set16(&f, 34 + 4, 20 + BANNER_LEN + 1);
    assert_int_equal(decode(DLT_EN10MB, f.b, f.n, &l3, &seg), CAP_MALFORMED);

    /* Protocol 41 but an IPv4 header inside. */
    f.n = 0;
    eth(&f, 0x0800);
    {
        size_t outer = ip4(&f, 41, 0, 0);

        body_v4(&f);
        ip4_end(&f, outer);
    }
    assert_int_equal(decode(DLT_EN10MB, f.b, f.n, &l3, &seg), CAP_MALFORMED);
}

static void test_tunnel_4in6_and_depth(void **state)
{
    struct frame f = {.n = 0};
    struct cap_l3 l3;
    struct cap_tcp_seg seg;
    size_t o1, o2, o3;

    (void)state;
    /* 4in6 */
    eth(&f, 0x86DD);
    o1 = ip6(&f, 4, 9);
    body_v4(&f);
    ip6_end(&f, o1);
    assert_int_equal(decode(DLT_EN10MB, f.b, f.n, &l3, &seg), CAP_OK);
    assert_std_seg(&seg, 4, f.b, 54, f.n - 54);
    assert_int_equal(seg.seg_flags, CAP_SEG_TUNNEL);

    /* Two levels: IPv4 in IPv4 in IPv6. */
    f.n = 0;
    eth(&f, 0x86DD);
    o1 = ip6(&f, 4, 9);
    o2 = ip4_addrs(&f, 4, 0, 0, V4_OUT_SRC, V4_OUT_DST);
    body_v4(&f);
    ip4_end(&f, o2);
    ip6_end(&f, o1);
    assert_int_equal(decode(DLT_EN10MB, f.b, f.n, &l3, &seg), CAP_OK);
    assert_std_seg(&seg, 4, f.b, 74, f.n - 74);
    assert_int_equal(seg.seg_flags, CAP_SEG_TUNNEL);

    /* Three levels is more than we follow. */
    f.n = 0;
    eth(&f, 0x0800);
    o1 = ip4_addrs(&f, 4, 0, 0, V4_OUT_SRC, V4_OUT_DST);
    o2 = ip4_addrs(&f, 4, 0, 0, V4_OUT_SRC, V4_OUT_DST);
    o3 = ip4_addrs(&f, 41, 0, 0, V4_OUT_SRC, V4_OUT_DST);
    body_v6(&f);
    ip4_end(&f, o3);
    ip4_end(&f, o2);
    ip4_end(&f, o1);
    assert_int_equal(decode(DLT_EN10MB, f.b, f.n, &l3, &seg), CAP_UNSUPPORTED);

    /* The outer datagram is a first fragment: the inner one is cut by it. */
    f.n = 0;
    eth(&f, 0x0800);
    o1 = ip4_addrs(&f, 41, 0x2000, 0, V4_OUT_SRC, V4_OUT_DST);
    o2 = ip6(&f, IPPROTO_V_TCP, TTL);
    tcp(&f);
    banner(&f);
    ip6_end(&f, o2);
    set16(&f, o2 + 4, 20 + BANNER_LEN + 1000);
    ip4_end(&f, o1);
    assert_int_equal(decode(DLT_EN10MB, f.b, f.n, &l3, &seg), CAP_OK);
    assert_int_equal(seg.seg_flags, CAP_SEG_TUNNEL | CAP_SEG_IP_FRAGMENT);
    assert_int_equal(seg.payload_len, BANNER_LEN);
    assert_int_equal(seg.payload_wire_len, BANNER_LEN);
}

/* ---- every prefix ------------------------------------------------------ */

/* check_prefixes decodes every cut 0..f->n of |f| from a heap block of exactly
 * that size: before |hdr| bytes (all headers) it must be CAP_TRUNCATED, after
 * it CAP_OK with the payload captured so far and SNAPPED until complete. */
static void check_prefixes(int dlt, const struct frame *f, size_t hdr, size_t plen,
                           unsigned base_flags)
{
    for (size_t len = 0; len <= f->n; len++) {
        uint8_t *copy = malloc(len ? len : 1);
        struct cap_l3 l3;
        struct cap_tcp_seg seg;
        enum cap_status st;

        assert_non_null(copy);
        memcpy(copy, f->b, len);
        st = decode(dlt, copy, len, &l3, &seg);
        if (len < hdr) {
            if (st != CAP_TRUNCATED)
                fail_msg("dlt %d len %zu: %s, want truncated", dlt, len, cap_status_name(st));
        } else {
            if (st != CAP_OK)
                fail_msg("dlt %d len %zu: %s, want ok", dlt, len, cap_status_name(st));
            assert_int_equal(seg.sport, SPORT);
            assert_int_equal(seg.seq, SEQ);
            assert_ptr_equal(seg.payload, copy + hdr);
            assert_int_equal(seg.payload_len, len - hdr < plen ? len - hdr : plen);
            assert_int_equal(seg.payload_wire_len, plen);
            assert_memory_equal(seg.payload, f->b + hdr, seg.payload_len);
            assert_int_equal(seg.seg_flags,
                             base_flags | (len - hdr < plen ? CAP_SEG_SNAPPED : 0));
        }
        free(copy);
    }
}

static void test_prefixes(void **state)
{
    struct frame f = {.n = 0};
    size_t ip, hdr;

    (void)state;
    std_v4(&f);
    check_prefixes(DLT_EN10MB, &f, 54, BANNER_LEN, 0);

    /* VLAN + IPv4 options + TCP options, padded */
    f.n = 0;
    eth(&f, 0x88A8);
    vlan(&f, 5, 0x8100);
    vlan(&f, 6, 0x0800);
    ip = ip4(&f, IPPROTO_V_TCP, 0, 2);
    tcp_opts(&f, 3);
    put_bytes(&f, "250 OK\r\n", 8);
    ip4_end(&f, ip);
    hdr = f.n - 8;
    put_zeros(&f, 10);
    check_prefixes(DLT_EN10MB, &f, hdr, 8, CAP_SEG_IP_OPTIONS);

    /* IPv6 with hop-by-hop, destination options and a first fragment */
    f.n = 0;
    eth(&f, 0x86DD);
    ip = ip6(&f, 0, TTL);
    ext6(&f, 60, 1);
    ext6(&f, 44, 2);
    frag6(&f, IPPROTO_V_TCP, 0, 1, 77);
    tcp(&f);
    hdr = f.n;
    banner(&f);
    ip6_end(&f, ip);
    check_prefixes(DLT_EN10MB, &f, hdr, BANNER_LEN, CAP_SEG_IPV6_EXT | CAP_SEG_IP_FRAGMENT);

    /* 6in4 */
    build_6in4(&f);
    check_prefixes(DLT_EN10MB, &f, 14 + 20 + 40 + 20, BANNER_LEN, CAP_SEG_TUNNEL);

    /* Cooked and loopback links */
    f.n = 0;
    sll(&f, 1, 0x8100);
    vlan(&f, 1, 0x0800);
    body_v4(&f);
    check_prefixes(DLT_LINUX_SLL, &f, 20 + 40, BANNER_LEN, 0);
    f.n = 0;
    sll2(&f, 1, 0x86DD);
    body_v6(&f);
    check_prefixes(DLT_LINUX_SLL2, &f, 20 + 60, BANNER_LEN, 0);
    f.n = 0;
    put32le(&f, 30);
    body_v6(&f);
    check_prefixes(DLT_NULL, &f, 4 + 60, BANNER_LEN, 0);
    f.n = 0;
    body_v4(&f);
    check_prefixes(DLT_RAW, &f, 40, BANNER_LEN, 0);
    check_prefixes(DLT_IPV4, &f, 40, BANNER_LEN, 0);
}

/* ---- random damage ----------------------------------------------------- */

static uint32_t rng_state = 0x2545F491u;

static uint32_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

/* test_mutations flips random bytes of good frames and cuts them at random
 * lengths; whatever the status, nothing may point outside the capture. */
static void test_mutations(void **state)
{
    struct frame frames[4];
    static const int dlts[4] = {DLT_EN10MB, DLT_EN10MB, DLT_LINUX_SLL2, DLT_NULL};
    size_t ip;

    (void)state;
    std_v4(&frames[0]);
    build_6in4(&frames[1]);
    frames[2].n = 0;
    sll2(&frames[2], 1, 0x86DD);
    ip = ip6(&frames[2], 0, TTL);
    ext6(&frames[2], 44, 0);
    frag6(&frames[2], IPPROTO_V_TCP, 0, 1, 1);
    tcp_opts(&frames[2], 2);
    banner(&frames[2]);
    ip6_end(&frames[2], ip);
    frames[3].n = 0;
    put32le(&frames[3], 2);
    ip = ip4(&frames[3], 4, 0, 1);
    body_v4(&frames[3]);
    ip4_end(&frames[3], ip);

    for (int iter = 0; iter < 40000; iter++) {
        const struct frame *base = &frames[iter % 4];
        size_t len = rng() % (base->n + 1);
        uint8_t *copy = malloc(len ? len : 1);
        struct cap_l3 l3;
        struct cap_tcp_seg seg;
        unsigned flips = 1 + rng() % 4;

        assert_non_null(copy);
        memcpy(copy, base->b, len);
        for (unsigned k = 0; k < flips && len; k++)
            copy[rng() % len] = (uint8_t)rng();
        if (decode(dlts[iter % 4], copy, len, &l3, &seg) == CAP_OK) {
            assert_true(seg.payload >= copy);
            assert_true(seg.payload + seg.payload_len <= copy + len);
            assert_true(seg.payload_len <= seg.payload_wire_len);
            assert_true(seg.ip_hdr >= copy && seg.ip_hdr + seg.ip_len <= copy + len);
            assert_true(seg.payload >= seg.ip_hdr);
            assert_true(seg.src.family == 4 || seg.src.family == 6);
        }
        free(copy);
    }
}

/* ---- addresses --------------------------------------------------------- */

static void test_addr_roundtrip(void **state)
{
    static const char *const good[] = {
        "192.0.2.1", "0.0.0.0", "255.255.255.255", "10.100.0.9", "99.1.10.200",
        "2001:db8::1", "::", "::1", "fe80::1:2:3:4", "::ffff:192.0.2.1",
        "2001:db8:1:2:3:4:5:6",
    };
    static const char *const bad[] = {
        "", "1.2.3", "1.2.3.4.5", "256.1.1.1", "2001:db8:::1", "mx.example.com", "1.2.3.4 ",
    };
    static const uint8_t zero[16];
    struct cap_addr a;
    char buf[46];

    (void)state;
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        assert_true(cap_addr_parse(good[i], &a));
        assert_string_equal(cap_addr_format(&a, buf, sizeof buf), good[i]);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        a.family = 99;
        assert_false(cap_addr_parse(bad[i], &a));
        assert_int_equal(a.family, 0);
    }

    assert_true(cap_addr_parse("198.51.100.25", &a));
    assert_int_equal(a.family, 4);
    assert_memory_equal(a.b, V4_DST, 4);
    assert_memory_equal(a.b + 4, zero, 12);
    assert_true(cap_addr_parse("2001:DB8:0:0::25", &a));
    assert_int_equal(a.family, 6);
    assert_memory_equal(a.b, V6_DST, 16);
    assert_string_equal(cap_addr_format(&a, buf, sizeof buf), "2001:db8::25");

    /* Formatting what the decoder produced. */
    {
        struct frame f;
        struct cap_l3 l3;
        struct cap_tcp_seg seg;

        std_v4(&f);
        assert_int_equal(decode(DLT_EN10MB, f.b, f.n, &l3, &seg), CAP_OK);
        assert_string_equal(cap_addr_format(&seg.src, buf, sizeof buf), "192.0.2.1");
        assert_string_equal(cap_addr_format(&seg.dst, buf, sizeof buf), "198.51.100.25");
    }

    /* Bad family and a buffer too small give a marker, never an overflow. */
    a.family = 0;
    assert_string_equal(cap_addr_format(&a, buf, sizeof buf), "?");
    assert_true(cap_addr_parse("2001:db8::1", &a));
    assert_string_equal(cap_addr_format(&a, buf, 4), "?");
    buf[0] = 'z';
    assert_ptr_equal(cap_addr_format(&a, buf, 0), buf);
    assert_int_equal(buf[0], 'z');
}

/* IPv6 text is RFC 5952 exactly as the C library's inet_ntop writes it:
 * every pattern of zero groups (where "::" goes, ties, runs of one), with
 * groups of every width, and the IPv4-in-IPv6 forms. */
static void test_addr_v6_like_inet_ntop(void **state)
{
    static const unsigned vals[] = {0x1, 0xa, 0xab, 0xabc, 0xabcd, 0xffff, 0x100, 0x1000};
    struct cap_addr a;
    char mine[64], libc[64];
    unsigned seed = 12345;

    (void)state;
    memset(&a, 0, sizeof(a));
    a.family = 6;
    for (unsigned mask = 0; mask < 256; mask++) {
        for (size_t v = 0; v < sizeof vals / sizeof vals[0]; v++) {
            for (int i = 0; i < 8; i++) {
                unsigned w = (mask >> i) & 1 ? vals[(v + (size_t)i) % 8] : 0;

                a.b[2 * i] = (uint8_t)(w >> 8);
                a.b[2 * i + 1] = (uint8_t)w;
            }
            assert_non_null(inet_ntop(AF_INET6, a.b, libc, sizeof libc));
            assert_string_equal(cap_addr_format(&a, mine, sizeof mine), libc);
        }
    }
    for (int n = 0; n < 20000; n++) {
        for (int i = 0; i < 16; i++) {
            seed = seed * 1103515245u + 12345u;
            /* mostly zero bytes, so that zero groups and runs are common */
            a.b[i] = (seed >> 16) % 4 ? 0 : (uint8_t)(seed >> 8);
        }
        assert_non_null(inet_ntop(AF_INET6, a.b, libc, sizeof libc));
        assert_string_equal(cap_addr_format(&a, mine, sizeof mine), libc);
    }
    assert_true(cap_addr_parse("::ffff:192.0.2.1", &a));
    assert_string_equal(cap_addr_format(&a, mine, sizeof mine), "::ffff:192.0.2.1");
    assert_true(cap_addr_parse("::192.0.2.1", &a));
    assert_non_null(inet_ntop(AF_INET6, a.b, libc, sizeof libc));
    assert_string_equal(cap_addr_format(&a, mine, sizeof mine), libc);
    assert_true(cap_addr_parse("1:0:0:2:0:0:0:3", &a));
    assert_string_equal(cap_addr_format(&a, mine, sizeof mine), "1:0:0:2::3");
    assert_true(cap_addr_parse("1:0:0:2:3:0:0:4", &a));
    assert_string_equal(cap_addr_format(&a, mine, sizeof mine), "1::2:3:0:0:4");
}

/* ---------------------------------------------------------------------
 * The live default filter (cap_ports_bpf), compiled by libpcap and run on
 * frames made here: what cap_link and cap_ip decode must pass it. */

/* filter_frame builds an Ethernet frame: |tags| VLAN tags (two: an 802.1ad
 * outer one), then IPv4 (or IPv6 when |v6|), inside another IPv4 header
 * when |tunnel| (protocol 4, or 41 for IPv6), then a TCP SYN to |dport|. */
static size_t filter_frame(uint8_t *b, int tags, bool tunnel, bool v6, uint16_t dport)
{
    size_t n = 12;

    memset(b, 0, 256);
    for (int i = 0; i < tags; i++) {
        bool outer = i == 0 && tags == 2;

        b[n++] = outer ? 0x88 : 0x81;
        b[n++] = outer ? 0xa8 : 0x00;
        b[n++] = 0;
        b[n++] = (uint8_t)(10 + i);
    }
    if (tunnel || !v6) {
        b[n++] = 0x08, b[n++] = 0x00;
    } else {
        b[n++] = 0x86, b[n++] = 0xdd;
    }
    if (tunnel) {
        b[n] = 0x45, b[n + 3] = v6 ? 80 : 60, b[n + 8] = 64, b[n + 9] = v6 ? 41 : 4;
        n += 20;
    }
    if (v6) {
        b[n] = 0x60, b[n + 5] = 20, b[n + 6] = 6, b[n + 7] = 64;
        n += 40;
    } else {
        b[n] = 0x45, b[n + 3] = 40, b[n + 8] = 64, b[n + 9] = 6;
        n += 20;
    }
    b[n] = 0x9c, b[n + 1] = 0x40, b[n + 2] = (uint8_t)(dport >> 8), b[n + 3] = (uint8_t)dport;
    b[n + 12] = 0x50, b[n + 13] = 0x02;
    return n + 20;
}

static void test_default_filter(void **state)
{
    struct cap_ports ports = {0};
    char f[16384];
    pcap_t *p = pcap_open_dead(DLT_EN10MB, 65535);
    struct bpf_program prog;
    struct pcap_pkthdr h = {0};
    uint8_t b[256];

    (void)state;
    assert_non_null(p);
    cap_ports_add_mail(&ports);
    assert_true(cap_ports_bpf(&ports, f, sizeof(f)));
    assert_int_equal(pcap_compile(p, &prog, f, 1, PCAP_NETMASK_UNKNOWN), 0);
    for (int tags = 0; tags <= 2; tags++)
        for (int tunnel = 0; tunnel <= 1; tunnel++)
            for (int v6 = 0; v6 <= 1; v6++)
                for (int mail = 0; mail <= 1; mail++) {
                    struct cap_l3 l3;
                    struct cap_tcp_seg seg;
                    int match;

                    h.caplen = h.len = (bpf_u_int32)filter_frame(b, tags, tunnel, v6,
                                                                mail ? 587 : 443);
                    match = pcap_offline_filter(&prog, &h, b);
                    /* what the filter passes, the decoder reads as it was made */
                    assert_int_equal(cap_link_decode(DLT_EN10MB, b, h.caplen, &l3), CAP_OK);
                    assert_int_equal(cap_ip_decode(&l3, &seg), CAP_OK);
                    assert_int_equal(seg.dport, mail ? 587 : 443);
                    /* a mail port passes at every depth; a tunnel passes
                     * whatever it carries (the filter cannot look inside:
                     * cap_pipe's port check drops the rest) */
                    if (mail || tunnel)
                        assert_int_not_equal(match, 0);
                    else
                        assert_int_equal(match, 0);
                }
    pcap_freecode(&prog);
    /* --any-port: every TCP frame, tagged or not */
    ports.any = true;
    assert_true(cap_ports_bpf(&ports, f, sizeof(f)));
    assert_int_equal(pcap_compile(p, &prog, f, 1, PCAP_NETMASK_UNKNOWN), 0);
    h.caplen = h.len = (bpf_u_int32)filter_frame(b, 2, false, true, 443);
    assert_int_not_equal(pcap_offline_filter(&prog, &h, b), 0);
    pcap_freecode(&prog);
    pcap_close(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_names),
        cmocka_unit_test(test_default_filter),
        cmocka_unit_test(test_link_names),
        cmocka_unit_test(test_en10mb_v4),
        cmocka_unit_test(test_en10mb_v6),
        cmocka_unit_test(test_vlan_single),
        cmocka_unit_test(test_vlan_qinq),
        cmocka_unit_test(test_vlan_too_many),
        cmocka_unit_test(test_arp_not_ip),
        cmocka_unit_test(test_8023_llc_snap),
        cmocka_unit_test(test_sll),
        cmocka_unit_test(test_sll2),
        cmocka_unit_test(test_raw),
        cmocka_unit_test(test_null_loop),
        cmocka_unit_test(test_unknown_dlt),
        cmocka_unit_test(test_ipv4_options),
        cmocka_unit_test(test_ipv4_fragments),
        cmocka_unit_test(test_ipv4_malformed),
        cmocka_unit_test(test_ipv4_tso_zero_length),
        cmocka_unit_test(test_ethernet_padding),
        cmocka_unit_test(test_snapped_payload),
        cmocka_unit_test(test_not_tcp),
        cmocka_unit_test(test_ethertype_zero),
        cmocka_unit_test(test_ipv6_ext_headers),
        cmocka_unit_test(test_ipv6_ext_limits),
        cmocka_unit_test(test_tunnel_6in4),
        cmocka_unit_test(test_tunnel_4in6_and_depth),
        cmocka_unit_test(test_prefixes),
        cmocka_unit_test(test_mutations),
        cmocka_unit_test(test_addr_roundtrip),
        cmocka_unit_test(test_addr_v6_like_inet_ntop),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
