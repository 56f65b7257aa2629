/*
 * gen.c - benchmark capture generator.
 *
 *   gen -o OUT [--size MB | --sessions N] [--mixed PERCENT] [--concurrency N]
 *       [--servers N] [--seed N] SEED...
 *
 * Reads the seed captures (pcap or pcapng, any link type cap_link_decode
 * knows), splits them into TCP sessions, and writes one Ethernet pcap that
 * replays every session over and over, each copy ("instance") with its own
 * addresses and client port, until the file holds about MB megabytes.
 * Instances start at jittered intervals chosen so that about N of them are
 * open at any time, like a busy MX, and the output is merged by time.
 *
 * What an instance keeps from its seed session: the IP and TCP headers apart
 * from addresses and client port, sequence numbers, payloads, and the time
 * between packets.  Addresses come from the instance number: clients
 * 10.0.0.0/8 and 2001:db8:c::/64, servers 172.16.0.1-64 and 2001:db8:25::1-64.
 * The IPv4 header checksum is recomputed and the TCP checksum updated
 * incrementally (RFC 1624), so a checksum that was right stays right.  A
 * session seen inside an IP tunnel is written without the tunnel.
 * --sessions N stops after N mail sessions instead of at MB megabytes.
 *
 * --servers N gives the mail sessions about N distinct servers instead of
 * 64: each seed session gets N / (seed sessions) of them (at least one),
 * and a server always replays the same seed session, so it presents the same
 * certificate and fingerprints every time, as a real server does.  Server
 * addresses are 172.16.0.0/12 and 2001:db8:25::/64 (the seed session's
 * family), and each server gets its own host name: the name of the seed's
 * banner and SNI is rewritten, wherever it occurs in the server's SMTP
 * replies and the client's ClientHello, to a name of the same length that
 * encodes the server's number in base 36 after its first character
 * (mail.example.test -> m0a7.example.test; a fourth digit goes into the next
 * label), so sequence numbers and every length stay as they were.
 * Certificates are not touched (their names no longer match: a
 * NAME_MISMATCH per session).
 * The order of the seed sessions and every byte apart from addresses and
 * names do not depend on N: two files with the same seeds, size and
 * concurrency but different --servers have the same sessions and bytes.
 *
 * --mixed P adds synthetic bulk connections to port 443 (a stream of TLS
 * application-data records) and port 80 (an HTTP response): handshake,
 * request, 1460-byte segments with an ACK every second one, FIN both ways.
 * They make up P percent of the file's bytes; addresses 192.168.0.0/16 and
 * 2001:db8:b::/64 to 198.18.0.0/22 and 2001:db8:ff::/112.
 *
 * --keylog-out FILE writes the key log of the output: every seed X.pcap (or
 * X.pcapng) with a key log X.keylog beside it (pcaps/record.sh writes them:
 * `openssl s_client -keylogfile`) has it copied into FILE.  An instance
 * keeps its seed's client random and every encrypted byte, so the seed's
 * secrets decrypt each copy (mxwitness --keylog FILE really decrypts the
 * whole file: TLS 1.3 handshake and traffic secrets, TLS 1.2 master
 * secrets); --servers renames names in the ClientHello, which the secrets
 * do not depend on.  Seeds without a key log stay encrypted.
 *
 * Deterministic: the same seeds and options give the same bytes.  A seed
 * that cannot be read is skipped with a warning; no TCP session at all in
 * the seeds is an error (exit 2).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "capture/cap_ip.h"
#include "capture/cap_link.h"
#include "lib/cbs.h"

#define ETH_HLEN      14
#define REC_HLEN      16            /* pcap per-record header */
#define BULK_MSS      1460
#define BULK_RTT_US   20000
#define BULK_GAP_US   120           /* between data segments: ~100 Mbit/s */
#define TLS_REC_BODY  16384
#define TLS_REC_LEN   (TLS_REC_BODY + 5)
#define MAX_GAP_US    (60u * 1000000u)   /* longer pauses inside a seed session are cut */
#define BASE_TS_US    UINT64_C(1700000000000000)
#define RAND_BUF      65536
#define SEED_NAME_MAX 253           /* a host name --servers rewrites */
#define MAX_SERVERS   1000000       /* --servers: 172.16.0.0/12 holds 2^20 - 2 */

/* ---------------------------------------------------------------- PRNG */

static uint64_t g_rng = UINT64_C(0x6d78772d62656e63);   /* "mxw-benc" */

/* splitmix64: tiny, deterministic, good enough for jitter and sizes. */
static uint64_t rnd(void)
{
    uint64_t z = (g_rng += UINT64_C(0x9e3779b97f4a7c15));

    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* rnd_below returns a number in [0, n). */
static uint64_t rnd_below(uint64_t n)
{
    return n ? rnd() % n : 0;
}

/* ---------------------------------------------------------------- bytes */

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

/* csum_add adds |n| bytes at |p| to a one's complement sum (|n| may be odd
 * only for the last call). */
static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
    size_t i;

    for (i = 0; i + 1 < n; i += 2)
        sum += (uint32_t)((p[i] << 8) | p[i + 1]);
    if (n & 1)
        sum += (uint32_t)(p[n - 1] << 8);
    return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

/* csum_replace updates the checksum at |field| for |n| (even) bytes changing
 * from |old| to |new_| (RFC 1624, eqn. 3: HC' = ~(~HC + ~m + m')). */
static void csum_replace(uint8_t *field, const uint8_t *old, const uint8_t *new_, size_t n)
{
    uint32_t sum = (uint16_t)~get16(field);

    for (size_t i = 0; i + 1 < n; i += 2) {
        sum += (uint16_t)~get16(old + i);
        sum += get16(new_ + i);
    }
    put16(field, csum_fold(sum));
}

static void ipv4_fix_checksum(uint8_t *ip)
{
    size_t ihl = (size_t)(ip[0] & 15) * 4;

    ip[10] = ip[11] = 0;
    put16(ip + 10, csum_fold(csum_add(0, ip, ihl)));
}

/* ---------------------------------------------------------------- seeds */

/* seed_pkt is one TCP packet of a seed session: its innermost IP packet. */
struct seed_pkt {
    size_t off;            /* IP bytes in the arena */
    uint32_t len;          /* captured IP bytes */
    uint32_t extra;        /* bytes on the wire beyond the capture */
    uint64_t rel_us;       /* since the session's first packet */
    uint32_t sess;
    uint16_t tcp_off;      /* TCP header offset in the IP bytes */
    bool tcp_full;         /* the whole 20-byte TCP header was captured */
    bool from_client;
    bool names;            /* an SMTP reply or a ClientHello: --servers renames in it */
    uint16_t pay_off;      /* payload offset in the IP bytes (tcp_full only) */
    uint64_t ts_us;        /* while loading: capture time */
    struct cap_addr src;   /* while loading */
    uint16_t sport;
    uint8_t flags;
};

struct seed_sess {
    struct cap_addr a, b;      /* endpoints in first-seen order (key) */
    uint16_t aport, bport;
    struct cap_addr client, server;
    uint16_t cport;
    bool v6;
    size_t first, n;           /* packets, in g_pkts after sorting */
    uint64_t dur_us;
    uint64_t out_bytes;        /* file bytes one instance adds */
    uint32_t hnext;            /* hash chain, index + 1 */
    char name[2][SEED_NAME_MAX + 1];   /* the server's banner name, its SNI (--servers) */
    size_t nname;
};

static uint8_t *g_arena;
static size_t g_arena_len, g_arena_cap;
static struct seed_pkt *g_pkts;
static size_t g_npkts, g_pkts_cap;
static struct seed_sess *g_sess;
static size_t g_nsess, g_sess_cap;
static uint32_t g_hash[4096];
static size_t g_max_ip_len = 2048;

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);

    if (!q) {
        fprintf(stderr, "gen: out of memory\n");
        exit(2);
    }
    return q;
}

static uint32_t sess_hash(const struct cap_tcp_seg *s)
{
    uint32_t h = 2166136261u, x = 0;

    /* symmetric: the same for both directions */
    for (int i = 0; i < 16; i++)
        x += (uint32_t)(s->src.b[i] ^ s->dst.b[i]) * (uint32_t)(i + 1) +
             (uint32_t)(s->src.b[i] + s->dst.b[i]);
    h = (h ^ x) * 16777619u;
    h = (h ^ (uint32_t)(s->sport ^ s->dport)) * 16777619u;
    h = (h ^ (uint32_t)(s->sport + s->dport)) * 16777619u;
    return h & 4095;
}

static bool addr_eq(const struct cap_addr *x, const struct cap_addr *y)
{
    return x->family == y->family && memcmp(x->b, y->b, 16) == 0;
}

static size_t sess_find(const struct cap_tcp_seg *s)
{
    uint32_t h = sess_hash(s);

    for (uint32_t i = g_hash[h]; i; i = g_sess[i - 1].hnext) {
        struct seed_sess *ss = &g_sess[i - 1];

        if ((addr_eq(&ss->a, &s->src) && ss->aport == s->sport &&
             addr_eq(&ss->b, &s->dst) && ss->bport == s->dport) ||
            (addr_eq(&ss->a, &s->dst) && ss->aport == s->dport &&
             addr_eq(&ss->b, &s->src) && ss->bport == s->sport))
            return i - 1;
    }
    if (g_nsess == g_sess_cap) {
        g_sess_cap = g_sess_cap ? 2 * g_sess_cap : 64;
        g_sess = xrealloc(g_sess, g_sess_cap * sizeof(*g_sess));
    }
    memset(&g_sess[g_nsess], 0, sizeof(g_sess[0]));
    g_sess[g_nsess].a = s->src;
    g_sess[g_nsess].b = s->dst;
    g_sess[g_nsess].aport = s->sport;
    g_sess[g_nsess].bport = s->dport;
    g_sess[g_nsess].hnext = g_hash[h];
    g_hash[h] = (uint32_t)(g_nsess + 1);
    return g_nsess++;
}

/* tcp_offset finds the TCP header in the IP packet at |ip| (the innermost
 * one, which cap_ip_decode already accepted): after the IPv4 header, or
 * after the IPv6 extension headers. */
static bool tcp_offset(const uint8_t *ip, size_t len, size_t *out)
{
    struct cbs c;
    uint8_t vhl, nh, hlen;

    cbs_init(&c, ip, len);
    if (!cbs_get_u8(&c, &vhl))
        return false;
    if ((vhl >> 4) == 4) {
        *out = (size_t)(vhl & 15) * 4;
        return true;
    }
    if ((vhl >> 4) != 6)
        return false;
    cbs_init(&c, ip, len);
    if (!cbs_skip(&c, 6) || !cbs_get_u8(&c, &nh) || !cbs_skip(&c, 33))
        return false;
    for (int i = 0; i < 8; i++) {
        size_t skip;
        uint8_t next;

        switch (nh) {
        case 6:
            *out = len - cbs_len(&c);
            return true;
        case 0: case 43: case 60:   /* hop-by-hop, routing, destination options */
        case 44:                    /* fragment */
        case 51:                    /* AH */
            if (!cbs_get_u8(&c, &next) || !cbs_get_u8(&c, &hlen))
                return false;
            if (nh == 44)
                skip = 8;
            else if (nh == 51)
                skip = ((size_t)hlen + 2) * 4;
            else
                skip = ((size_t)hlen + 1) * 8;
            if (!cbs_skip(&c, skip - 2))
                return false;
            nh = next;
            break;
        default:
            return false;
        }
    }
    return false;
}

struct load_stats {
    uint64_t packets, tcp, skipped;
};

static int load_seed(const char *path, struct load_stats *ls)
{
    char errbuf[PCAP_ERRBUF_SIZE];
    struct pcap_pkthdr *hdr;
    const u_char *data;
    pcap_t *p;
    int dlt, rc;

    p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_MICRO, errbuf);
    if (!p) {
        fprintf(stderr, "gen: %s\n", errbuf);
        return -1;
    }
    dlt = pcap_datalink(p);
    if (!cap_link_supported(dlt)) {
        fprintf(stderr, "gen: %s: link type %s not supported\n", path, cap_link_name(dlt));
        pcap_close(p);
        return -1;
    }
    while ((rc = pcap_next_ex(p, &hdr, &data)) == 1) {
        struct cap_l3 l3;
        struct cap_tcp_seg seg;
        struct seed_pkt *sp;
        size_t toff;

        ls->packets++;
        if (cap_link_decode(dlt, data, hdr->caplen, &l3) != CAP_OK ||
            cap_ip_decode(&l3, &seg) != CAP_OK ||
            !tcp_offset(seg.ip_hdr, seg.ip_len, &toff) || toff + 4 > seg.ip_len ||
            get16(seg.ip_hdr + toff) != seg.sport || toff > UINT16_MAX) {
            ls->skipped++;
            continue;
        }
        ls->tcp++;
        if (g_npkts == g_pkts_cap) {
            g_pkts_cap = g_pkts_cap ? 2 * g_pkts_cap : 1024;
            g_pkts = xrealloc(g_pkts, g_pkts_cap * sizeof(*g_pkts));
        }
        if (g_arena_len + seg.ip_len > g_arena_cap) {
            while (g_arena_len + seg.ip_len > g_arena_cap)
                g_arena_cap = g_arena_cap ? 2 * g_arena_cap : 1 << 20;
            g_arena = xrealloc(g_arena, g_arena_cap);
        }
        memcpy(g_arena + g_arena_len, seg.ip_hdr, seg.ip_len);
        sp = &g_pkts[g_npkts++];
        memset(sp, 0, sizeof(*sp));
        sp->off = g_arena_len;
        sp->len = (uint32_t)seg.ip_len;
        sp->extra = hdr->len > hdr->caplen ? hdr->len - hdr->caplen : 0;
        sp->tcp_off = (uint16_t)toff;
        sp->tcp_full = toff + 20 <= seg.ip_len;
        sp->ts_us = (uint64_t)hdr->ts.tv_sec * 1000000u + (uint64_t)hdr->ts.tv_usec;
        sp->src = seg.src;
        sp->sport = seg.sport;
        sp->flags = seg.flags;
        sp->sess = (uint32_t)sess_find(&seg);
        if (seg.src.family == 6)
            g_sess[sp->sess].v6 = true;
        g_arena_len += seg.ip_len;
        if (seg.ip_len > g_max_ip_len)
            g_max_ip_len = seg.ip_len;
    }
    if (rc == -1)
        fprintf(stderr, "gen: warning: %s: %s (using the packets before it)\n", path,
                pcap_geterr(p));
    pcap_close(p);
    return 0;
}

static bool is_mail_port(uint16_t port)
{
    return port == 25 || port == 465 || port == 587 || port == 2525;
}

/* host_name_len returns the length of the host name at the start of |p|
 * (letters, digits, '-' and '.', at least one dot, at most SEED_NAME_MAX),
 * 0 if there is none. */
static size_t host_name_len(const uint8_t *p, size_t n)
{
    size_t i = 0;
    bool dot = false;

    while (i < n && i <= SEED_NAME_MAX &&
           ((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' && p[i] <= 'Z') ||
            (p[i] >= '0' && p[i] <= '9') || p[i] == '-' || p[i] == '.')) {
        dot |= p[i] == '.';
        i++;
    }
    return dot && i <= SEED_NAME_MAX && p[0] != '.' && p[i - 1] != '.' ? i : 0;
}

static void add_name(struct seed_sess *ss, const uint8_t *p, size_t n)
{
    if (n == 0 || ss->nname == 2)
        return;
    for (size_t i = 0; i < ss->nname; i++)
        if (strlen(ss->name[i]) == n && memcmp(ss->name[i], p, n) == 0)
            return;
    memcpy(ss->name[ss->nname], p, n);
    ss->name[ss->nname++][n] = '\0';
}

/* is_smtp_reply: the payload starts like an SMTP reply ("250-", "220 "). */
static bool is_smtp_reply(const uint8_t *p, size_t n)
{
    return n >= 4 && p[0] >= '1' && p[0] <= '5' && p[1] >= '0' && p[1] <= '9' &&
           p[2] >= '0' && p[2] <= '9' && (p[3] == ' ' || p[3] == '-');
}

/* is_client_hello: the payload starts with a TLS handshake record holding a
 * ClientHello. */
static bool is_client_hello(const uint8_t *p, size_t n)
{
    return n >= 6 && p[0] == 0x16 && p[1] == 0x03 && p[5] == 0x01;
}

/* sni_name finds the server_name in the ClientHello at |p| (as far as this
 * segment holds it); false when there is none. */
static bool sni_name(const uint8_t *p, size_t n, struct cbs *name)
{
    struct cbs c, body, v, exts;
    uint8_t hs_type, name_type;
    uint32_t hs_len;

    cbs_init(&c, p, n);
    if (!cbs_skip(&c, 5) || !cbs_get_u8(&c, &hs_type) || hs_type != 1 ||
        !cbs_get_u24(&c, &hs_len) || !cbs_skip(&c, 2 + 32) ||
        !cbs_get_u8_prefixed(&c, &v) || !cbs_get_u16_prefixed(&c, &v) ||
        !cbs_get_u8_prefixed(&c, &v) || !cbs_get_u16_prefixed(&c, &exts))
        return false;
    while (cbs_len(&exts) >= 4) {
        uint16_t type;

        if (!cbs_get_u16(&exts, &type) || !cbs_get_u16_prefixed(&exts, &body))
            return false;
        if (type != 0)
            continue;
        return cbs_get_u16_prefixed(&body, &v) && cbs_get_u8(&v, &name_type) &&
               name_type == 0 && cbs_get_u16_prefixed(&v, name);
    }
    return false;
}

/* seed_names marks the packets --servers may rename in (the server's SMTP
 * replies, the client's ClientHello) and takes the names to rewrite from
 * them: the host name of the banner and the SNI. */
static void seed_names(struct seed_sess *ss)
{
    bool first_reply = true;

    ss->nname = 0;
    for (size_t i = 0; i < ss->n; i++) {
        struct seed_pkt *sp = &g_pkts[ss->first + i];
        const uint8_t *ip = g_arena + sp->off, *pay;
        size_t doff, plen;
        struct cbs sni;

        if (!sp->tcp_full)
            continue;
        doff = (size_t)(ip[sp->tcp_off + 12] >> 4) * 4;
        if (doff < 20 || sp->tcp_off + doff >= sp->len)
            continue;
        sp->pay_off = (uint16_t)(sp->tcp_off + doff);
        pay = ip + sp->pay_off;
        plen = sp->len - sp->pay_off;
        if (!sp->from_client && is_smtp_reply(pay, plen)) {
            sp->names = true;
            if (first_reply && memcmp(pay, "220", 3) == 0)
                add_name(ss, pay + 4, host_name_len(pay + 4, plen - 4));
            first_reply = false;
        } else if (!sp->from_client) {
            first_reply = false;
        } else if (is_client_hello(pay, plen)) {
            sp->names = true;
            if (sni_name(pay, plen, &sni) &&
                host_name_len(cbs_data(&sni), cbs_len(&sni)) == cbs_len(&sni))
                add_name(ss, cbs_data(&sni), cbs_len(&sni));
        }
    }
}

/* finish_seeds groups the packets by session (stable), decides each
 * session's client, and computes relative times and sizes. */
static void finish_seeds(void)
{
    struct seed_pkt *sorted = xrealloc(NULL, g_npkts * sizeof(*sorted));
    size_t *pos = xrealloc(NULL, (g_nsess + 1) * sizeof(*pos));

    memset(pos, 0, (g_nsess + 1) * sizeof(*pos));
    for (size_t i = 0; i < g_npkts; i++)
        pos[g_pkts[i].sess + 1]++;
    for (size_t s = 0; s < g_nsess; s++) {
        g_sess[s].first = pos[s];
        g_sess[s].n = pos[s + 1];
        pos[s + 1] += pos[s];
    }
    for (size_t i = 0; i < g_npkts; i++)
        sorted[pos[g_pkts[i].sess]++] = g_pkts[i];
    free(g_pkts);
    free(pos);
    g_pkts = sorted;

    for (size_t s = 0; s < g_nsess; s++) {
        struct seed_sess *ss = &g_sess[s];
        struct seed_pkt *pk = &g_pkts[ss->first];
        bool a_client = ss->aport > ss->bport;    /* no SYN: the higher port */
        uint64_t rel = 0, prev = pk[0].ts_us;

        if (is_mail_port(ss->aport) != is_mail_port(ss->bport))
            a_client = !is_mail_port(ss->aport);
        for (size_t i = 0; i < ss->n; i++) {
            if (pk[i].flags & CAP_TH_SYN) {
                bool from_a = addr_eq(&pk[i].src, &ss->a) && pk[i].sport == ss->aport;
                bool ack = pk[i].flags & CAP_TH_ACK;

                a_client = ack ? !from_a : from_a;
                break;
            }
        }
        ss->client = a_client ? ss->a : ss->b;
        ss->server = a_client ? ss->b : ss->a;
        ss->cport = a_client ? ss->aport : ss->bport;
        ss->out_bytes = 0;
        for (size_t i = 0; i < ss->n; i++) {
            uint64_t gap = pk[i].ts_us > prev ? pk[i].ts_us - prev : 0;

            if (pk[i].ts_us > prev)
                prev = pk[i].ts_us;
            rel += gap > MAX_GAP_US ? MAX_GAP_US : gap;
            pk[i].rel_us = rel;
            pk[i].from_client = addr_eq(&pk[i].src, &ss->client) && pk[i].sport == ss->cport;
            ss->out_bytes += REC_HLEN + ETH_HLEN + pk[i].len;
        }
        ss->dur_us = rel;
        seed_names(ss);
    }
}

/* ---------------------------------------------------------------- output */

static pcap_dumper_t *g_dump;
static uint8_t *g_frame;
static uint64_t g_out_bytes = 24, g_out_packets, g_last_ts;
static uint64_t g_mail_bytes, g_bulk_bytes;

static const uint8_t mac_client[6] = {0x02, 0x00, 0x5e, 0x10, 0x00, 0x01};
static const uint8_t mac_server[6] = {0x02, 0x00, 0x5e, 0x10, 0x00, 0x02};

/* emit writes the frame in g_frame: Ethernet + |iplen| bytes of IP. */
static void emit(uint64_t ts_us, bool from_client, bool v6, size_t iplen, uint32_t extra,
                 bool mail)
{
    struct pcap_pkthdr h;
    uint32_t caplen = (uint32_t)(ETH_HLEN + iplen);

    memcpy(g_frame, from_client ? mac_server : mac_client, 6);
    memcpy(g_frame + 6, from_client ? mac_client : mac_server, 6);
    put16(g_frame + 12, v6 ? 0x86dd : 0x0800);
    memset(&h, 0, sizeof(h));
    h.ts.tv_sec = (time_t)(ts_us / 1000000u);
    h.ts.tv_usec = (suseconds_t)(ts_us % 1000000u);
    h.caplen = caplen;
    h.len = caplen + extra;
    pcap_dump((u_char *)g_dump, &h, g_frame);
    g_out_packets++;
    g_out_bytes += REC_HLEN + caplen;
    if (mail)
        g_mail_bytes += REC_HLEN + caplen;
    else
        g_bulk_bytes += REC_HLEN + caplen;
    g_last_ts = ts_us;
}

/* ---------------------------------------------------------------- instances */

enum inst_kind { INST_MAIL, INST_BULK };

struct inst {
    enum inst_kind kind;
    uint64_t next_ts;
    uint64_t serial;           /* tie-break: older instance first */
    uint64_t base_us;
    uint32_t n;                /* instance number (addresses) */
    /* mail */
    uint32_t sess;
    size_t idx;
    uint8_t client[16], server[16];
    uint16_t cport;
    uint32_t srv;              /* --servers: the server's number */
    /* bulk */
    bool v6, http;
    int phase;
    uint32_t cseq, sseq;       /* next sequence numbers */
    uint64_t total, sent;      /* server stream bytes */
    unsigned unacked;
    char hdr[256];             /* HTTP response header / client request */
    size_t hdr_len, req_len;
};

static struct inst *g_inst;
static size_t g_ninst_cap;
static uint32_t *g_free;
static size_t g_nfree;
static uint32_t *g_heap;
static size_t g_nheap, g_peak_active;

static bool inst_before(uint32_t x, uint32_t y)
{
    const struct inst *a = &g_inst[x], *b = &g_inst[y];

    return a->next_ts != b->next_ts ? a->next_ts < b->next_ts : a->serial < b->serial;
}

static void heap_push(uint32_t i)
{
    size_t k = g_nheap++;

    while (k > 0) {
        size_t parent = (k - 1) / 2;

        if (!inst_before(i, g_heap[parent]))
            break;
        g_heap[k] = g_heap[parent];
        k = parent;
    }
    g_heap[k] = i;
    if (g_nheap > g_peak_active)
        g_peak_active = g_nheap;
}

static uint32_t heap_pop(void)
{
    uint32_t top = g_heap[0], last = g_heap[--g_nheap];
    size_t k = 0;

    for (;;) {
        size_t c = 2 * k + 1;

        if (c >= g_nheap)
            break;
        if (c + 1 < g_nheap && inst_before(g_heap[c + 1], g_heap[c]))
            c++;
        if (!inst_before(g_heap[c], last))
            break;
        g_heap[k] = g_heap[c];
        k = c;
    }
    if (g_nheap)
        g_heap[k] = last;
    return top;
}

static uint32_t inst_alloc(void)
{
    if (!g_nfree) {
        size_t old = g_ninst_cap;

        g_ninst_cap = old ? 2 * old : 1024;
        g_inst = xrealloc(g_inst, g_ninst_cap * sizeof(*g_inst));
        g_free = xrealloc(g_free, g_ninst_cap * sizeof(*g_free));
        g_heap = xrealloc(g_heap, g_ninst_cap * sizeof(*g_heap));
        for (size_t i = g_ninst_cap; i > old; i--)
            g_free[g_nfree++] = (uint32_t)(i - 1);
    }
    return g_free[--g_nfree];
}

/* --servers: the number of distinct servers asked for (0: the 64 fixed
 * addresses), servers per seed session, base-36 digits of a server number. */
static uint64_t g_servers, g_srv_per_seed;
static unsigned g_srv_digits;

/* Addresses of instance |n|: see the comment at the top. */
static void mail_addrs(struct inst *in, bool v6)
{
    uint32_t c = in->n + 1, s = g_servers ? in->srv + 1 : in->n % 64 + 1;

    memset(in->client, 0, 16);
    memset(in->server, 0, 16);
    if (!v6) {
        put32(in->client, 0x0a000000u | (c & 0xffffffu));
        put32(in->server, 0xac100000u | s);
    } else {
        put32(in->client, 0x20010db8u);
        put16(in->client + 4, 0x000c);
        put32(in->client + 12, c);
        put32(in->server, 0x20010db8u);
        put16(in->server + 4, 0x0025);
        put32(in->server + 12, s);
    }
    in->cport = (uint16_t)(1024 + ((in->n * 2654435761u) >> 8) % 64000);
}

/* tcp_patch writes the |n| bytes |new_| at offset |off| of the TCP segment
 * at |tcp| (|caplen| bytes captured, |whole| when that is all of it) and,
 * when |fix|, updates the checksum over the 16-bit words they touch. */
static void tcp_patch(uint8_t *tcp, size_t caplen, bool whole, bool fix, size_t off,
                      const uint8_t *new_, size_t n)
{
    uint8_t o[SEED_NAME_MAX + 3], w[SEED_NAME_MAX + 3];
    size_t a = off & ~(size_t)1, b = (off + n + 1) & ~(size_t)1;

    if (fix && (b <= caplen || whole)) {
        memset(o, 0, sizeof(o));
        memcpy(o, tcp + a, (b <= caplen ? b : caplen) - a);   /* odd end: padded with 0 */
        memcpy(w, o, b - a);
        memcpy(w + (off - a), new_, n);
        csum_replace(tcp + 16, o, w, b - a);
    }
    memcpy(tcp + off, new_, n);
}

/* name_variant writes |name| as server |srv| is called: the same length,
 * its first character and its last label kept, the characters between
 * (dots and hyphens skipped) overwritten with the server's number in base
 * 36, g_srv_digits of them, as many as fit. */
static void name_variant(const char *name, uint32_t srv, char *out)
{
    static const char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
    size_t len = strlen(name), last = (size_t)(strrchr(name, '.') - name), pos = 1;
    char d[16];

    for (unsigned i = g_srv_digits; i > 0; i--) {
        d[i - 1] = digits[srv % 36];
        srv /= 36;
    }
    memcpy(out, name, len + 1);
    for (unsigned i = 0; i < g_srv_digits; i++) {
        while (pos < last && (out[pos] == '.' || out[pos] == '-'))
            pos++;
        if (pos >= last)
            break;
        out[pos++] = d[i];
    }
}

/* name_room: how many characters name_variant may overwrite in |name|. */
static size_t name_room(const char *name)
{
    size_t last = (size_t)(strrchr(name, '.') - name), n = 0;

    for (size_t i = 1; i < last; i++)
        n += name[i] != '.' && name[i] != '-';
    return n;
}

/* rename_servers rewrites the seed session's names in the packet in
 * g_frame to instance |in|'s. */
static void rename_servers(const struct inst *in, const struct seed_sess *ss,
                           const struct seed_pkt *sp)
{
    uint8_t *ip = g_frame + ETH_HLEN, *tcp = ip + sp->tcp_off;
    size_t caplen = sp->len - sp->tcp_off, pay = sp->pay_off - sp->tcp_off;
    char v[SEED_NAME_MAX + 1];

    for (size_t k = 0; k < ss->nname; k++) {
        const char *name = ss->name[k];
        size_t len = strlen(name);

        name_variant(name, in->srv, v);
        for (size_t i = pay; i + len <= caplen; i++) {
            if (tcp[i] != (uint8_t)name[0] || memcmp(tcp + i, name, len) != 0)
                continue;
            tcp_patch(tcp, caplen, sp->extra == 0, sp->tcp_full, i, (const uint8_t *)v, len);
            i += len - 1;
        }
    }
}

/* mail_emit writes packet in->idx of the instance's seed session, rewritten. */
static void mail_emit(struct inst *in)
{
    const struct seed_sess *ss = &g_sess[in->sess];
    const struct seed_pkt *sp = &g_pkts[ss->first + in->idx];
    uint8_t *ip = g_frame + ETH_HLEN;
    uint8_t *tcp = ip + sp->tcp_off;
    const uint8_t *nsrc = sp->from_client ? in->client : in->server;
    const uint8_t *ndst = sp->from_client ? in->server : in->client;
    size_t alen = ss->v6 ? 16 : 4, soff = ss->v6 ? 8 : 12;
    uint8_t oldaddr[32], newaddr[32], port[2];

    memcpy(ip, g_arena + sp->off, sp->len);
    memcpy(oldaddr, ip + soff, 2 * alen);
    memcpy(newaddr, nsrc, alen);
    memcpy(newaddr + alen, ndst, alen);
    memcpy(ip + soff, newaddr, 2 * alen);
    put16(port, in->cport);
    if (sp->tcp_full) {
        /* the pseudo-header's addresses and the client port changed */
        csum_replace(tcp + 16, oldaddr, newaddr, 2 * alen);
        csum_replace(tcp + 16, tcp + (sp->from_client ? 0 : 2), port, 2);
    }
    memcpy(tcp + (sp->from_client ? 0 : 2), port, 2);
    if (g_servers && sp->names)
        rename_servers(in, ss, sp);
    if (!ss->v6)
        ipv4_fix_checksum(ip);
    emit(in->next_ts, sp->from_client, ss->v6, sp->len, sp->extra, true);
}

static uint8_t g_rand[RAND_BUF];

/* bulk_stream fills |n| bytes of the server's stream from offset |off|. */
static void bulk_stream(const struct inst *in, uint64_t off, uint8_t *dst, size_t n)
{
    while (n) {
        size_t chunk;

        if (in->http) {
            if (off < in->hdr_len) {
                chunk = in->hdr_len - (size_t)off;
                chunk = chunk < n ? chunk : n;
                memcpy(dst, in->hdr + off, chunk);
            } else {
                size_t r = (size_t)((off + in->n * 977u) % RAND_BUF);

                chunk = RAND_BUF - r < n ? RAND_BUF - r : n;
                memcpy(dst, g_rand + r, chunk);
            }
        } else {
            size_t pos = (size_t)(off % TLS_REC_LEN);

            if (pos < 5) {
                static const uint8_t rec[5] = {0x17, 0x03, 0x03, TLS_REC_BODY >> 8, 0};

                chunk = 5 - pos < n ? 5 - pos : n;
                memcpy(dst, rec + pos, chunk);
            } else {
                size_t r = (size_t)((off + in->n * 977u) % RAND_BUF);

                chunk = TLS_REC_LEN - pos;
                chunk = chunk < n ? chunk : n;
                chunk = RAND_BUF - r < chunk ? RAND_BUF - r : chunk;
                memcpy(dst, g_rand + r, chunk);
            }
        }
        dst += chunk;
        off += chunk;
        n -= chunk;
    }
}

static size_t bulk_iphdr(bool v6)
{
    return v6 ? 40 : 20;
}

/* bulk_packet builds one synthetic segment in g_frame and writes it. */
static void bulk_packet(struct inst *in, bool from_client, uint8_t flags, size_t paylen)
{
    uint8_t *ip = g_frame + ETH_HLEN;
    size_t ihl = bulk_iphdr(in->v6);
    uint8_t *tcp = ip + ihl;
    uint8_t caddr[16], saddr[16];
    uint32_t c = in->n + 1, s = in->n % 1024 + 1, sum;
    uint16_t cport = (uint16_t)(32768 + (in->n * 40503u) % 28000), sport = in->http ? 80 : 443;
    size_t alen = in->v6 ? 16 : 4;
    uint8_t pseudo[40];

    memset(caddr, 0, sizeof(caddr));
    memset(saddr, 0, sizeof(saddr));
    if (!in->v6) {
        put32(caddr, 0xc0a80000u | (c & 0xffffu));
        put32(saddr, 0xc6120000u | s);
        ip[0] = 0x45;
        ip[1] = 0;
        put16(ip + 2, (uint16_t)(20 + 20 + paylen));
        put16(ip + 4, (uint16_t)(in->n * 7 + (from_client ? in->cseq : in->sseq)));
        put16(ip + 6, 0x4000);
        ip[8] = 64;
        ip[9] = 6;
        memcpy(ip + 12, from_client ? caddr : saddr, 4);
        memcpy(ip + 16, from_client ? saddr : caddr, 4);
        ipv4_fix_checksum(ip);
    } else {
        put32(caddr, 0x20010db8u);
        put16(caddr + 4, 0x000b);
        put32(caddr + 12, c);
        put32(saddr, 0x20010db8u);
        put16(saddr + 4, 0x00ff);
        put32(saddr + 12, s);
        put32(ip, 0x60000000u);
        put16(ip + 4, (uint16_t)(20 + paylen));
        ip[6] = 6;
        ip[7] = 64;
        memcpy(ip + 8, from_client ? caddr : saddr, 16);
        memcpy(ip + 24, from_client ? saddr : caddr, 16);
    }
    put16(tcp, from_client ? cport : sport);
    put16(tcp + 2, from_client ? sport : cport);
    put32(tcp + 4, from_client ? in->cseq : in->sseq);
    put32(tcp + 8, (flags & CAP_TH_ACK) ? (from_client ? in->sseq : in->cseq) : 0);
    tcp[12] = 5 << 4;
    tcp[13] = flags;
    put16(tcp + 14, 65535);
    put32(tcp + 16, 0);   /* checksum and urgent pointer */
    if (paylen) {
        if (from_client)
            memcpy(tcp + 20, in->hdr + in->hdr_len, paylen);
        else
            bulk_stream(in, in->sent, tcp + 20, paylen);
    }
    memcpy(pseudo, from_client ? caddr : saddr, alen);
    memcpy(pseudo + alen, from_client ? saddr : caddr, alen);
    sum = csum_add(0, pseudo, 2 * alen);
    sum += 6 + (uint32_t)(20 + paylen);
    sum = csum_add(sum, tcp, 20 + paylen);
    put16(tcp + 16, csum_fold(sum));
    emit(in->next_ts, from_client, in->v6, ihl + 20 + paylen, 0, false);
}

static uint64_t bulk_file_bytes(const struct inst *in)
{
    uint64_t data = (in->total + BULK_MSS - 1) / BULK_MSS;
    uint64_t pkts = 7 + data + data / 2;

    return pkts * (REC_HLEN + ETH_HLEN + bulk_iphdr(in->v6) + 20) + in->total + in->req_len;
}

static void bulk_init(struct inst *in)
{
    in->v6 = rnd_below(4) == 0;
    in->http = rnd_below(10) < 3;
    in->cseq = (uint32_t)rnd();
    in->sseq = (uint32_t)rnd();
    in->phase = 0;
    in->sent = 0;
    in->unacked = 0;
    if (in->http) {
        uint64_t body = 16384 + rnd_below(1024 * 1024);
        int w = snprintf(in->hdr, sizeof(in->hdr),
                         "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                         "Content-Length: %" PRIu64 "\r\n\r\n", body);
        int r;

        in->hdr_len = (size_t)w;
        r = snprintf(in->hdr + in->hdr_len, sizeof(in->hdr) - in->hdr_len,
                     "GET /b/%u HTTP/1.1\r\nHost: cdn.example.net\r\n\r\n", in->n);
        in->req_len = (size_t)r;
        in->total = in->hdr_len + body;
    } else {
        in->hdr_len = 0;
        in->req_len = 96;
        in->hdr[0] = 0x17;
        in->hdr[1] = 0x03;
        in->hdr[2] = 0x03;
        in->hdr[3] = 0;
        in->hdr[4] = 91;
        memcpy(in->hdr + 5, g_rand + in->n % 1024, 91);
        in->total = (uint64_t)(1 + rnd_below(64)) * TLS_REC_LEN;
    }
}

/* bulk_step writes the instance's next packet and schedules the one after;
 * false when the connection is over.
 *   0 SYN  1 SYN-ACK  2 ACK  3 request  4 data (5 ACK every second one)
 *   6 server FIN  7 client FIN  8 last ACK */
static bool bulk_step(struct inst *in)
{
    size_t n;

    switch (in->phase) {
    case 0:
        bulk_packet(in, true, CAP_TH_SYN, 0);
        in->cseq++;
        in->phase = 1;
        in->next_ts += BULK_RTT_US;
        return true;
    case 1:
        bulk_packet(in, false, CAP_TH_SYN | CAP_TH_ACK, 0);
        in->sseq++;
        in->phase = 2;
        in->next_ts += 30;
        return true;
    case 2:
        bulk_packet(in, true, CAP_TH_ACK, 0);
        in->phase = 3;
        in->next_ts += 20;
        return true;
    case 3:
        bulk_packet(in, true, CAP_TH_ACK | CAP_TH_PSH, in->req_len);
        in->cseq += (uint32_t)in->req_len;
        in->phase = 4;
        in->next_ts += BULK_RTT_US;
        return true;
    case 4:
        n = in->total - in->sent < BULK_MSS ? (size_t)(in->total - in->sent) : BULK_MSS;
        bulk_packet(in, false, (uint8_t)(CAP_TH_ACK | (in->sent + n == in->total ? CAP_TH_PSH : 0)),
                    n);
        in->sent += n;
        in->sseq += (uint32_t)n;
        if (++in->unacked == 2) {
            in->unacked = 0;
            in->phase = 5;
            in->next_ts += 5;
        } else {
            in->phase = in->sent == in->total ? 6 : 4;
            in->next_ts += in->phase == 6 ? 50 : BULK_GAP_US;
        }
        return true;
    case 5:
        bulk_packet(in, true, CAP_TH_ACK, 0);
        in->phase = in->sent == in->total ? 6 : 4;
        in->next_ts += BULK_GAP_US;
        return true;
    case 6:
        bulk_packet(in, false, CAP_TH_FIN | CAP_TH_ACK, 0);
        in->sseq++;
        in->phase = 7;
        in->next_ts += BULK_RTT_US;
        return true;
    case 7:
        bulk_packet(in, true, CAP_TH_FIN | CAP_TH_ACK, 0);
        in->cseq++;
        in->phase = 8;
        in->next_ts += BULK_RTT_US / 2;
        return true;
    default:
        bulk_packet(in, false, CAP_TH_ACK, 0);
        return false;
    }
}

/* mail_step writes the next packet of a mail instance; false when done. */
static bool mail_step(struct inst *in)
{
    const struct seed_sess *ss = &g_sess[in->sess];

    mail_emit(in);
    if (++in->idx >= ss->n)
        return false;
    in->next_ts = in->base_us + g_pkts[ss->first + in->idx].rel_us;
    return true;
}

/* ---------------------------------------------------------------- main */

/* out_open opens the output capture (OUT, or "-" for standard output) as
 * g_dump, with a large stdio buffer set before the dumper writes its
 * header; -1 when it cannot (said). */
static int out_open(const char *out, pcap_t **dead, FILE **fp)
{
    *dead = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, 262144, PCAP_TSTAMP_PRECISION_MICRO);
    *fp = strcmp(out, "-") == 0 ? stdout : fopen(out, "wb");
    if (!*dead || !*fp) {
        fprintf(stderr, "gen: %s: %s\n", out, strerror(errno));
        return -1;
    }
    setvbuf(*fp, NULL, _IOFBF, 1 << 20);
    if ((g_dump = pcap_dump_fopen(*dead, *fp)) == NULL) {
        fprintf(stderr, "gen: %s: %s\n", out, pcap_geterr(*dead));
        return -1;
    }
    return 0;
}

/* out_close flushes and closes what out_open opened; -1 on a write error
 * (said). */
static int out_close(const char *out, FILE *fp, pcap_t *dead)
{
    if (pcap_dump_flush(g_dump) != 0 || ferror(fp)) {
        fprintf(stderr, "gen: %s: write error\n", out);
        return -1;
    }
    pcap_dump_close(g_dump);
    pcap_close(dead);
    return 0;
}

/* ---------------------------------------------------------------- SYN flood */

/* --syn-flood N: the seed capture as it is (each packet re-framed as
 * Ethernet), merged by time with N SYNs from random sources and ports to the
 * mail servers the seed's SYNs went to, spread evenly (with jitter) over the
 * seed's time span or --flood-span seconds from its first packet.  A quarter
 * of the SYNs are answered by a SYN-ACK, a quarter by a RST-ACK, the rest
 * not at all (half-open): connections without a dialogue, every kind.
 * Sources: 100.64.0.0/10 and 2001:db8:f100::/48, by the server's family. */
#define FLOOD_MAX_SERVERS 64
#define FLOOD_REPLY_US    50

struct flood_pkt {
    uint64_t ts_us;
    uint32_t ip_off, ip_len, extra;
};

struct flood_reply {
    uint64_t ts_us;
    uint32_t srv;
    uint8_t src[16];
    uint16_t sport;
    uint32_t seq;
    bool rst;
};

/* flood_tcp writes an IP+TCP packet without payload into g_frame + ETH_HLEN
 * and returns its length. */
static size_t flood_tcp(bool v6, const uint8_t *src, const uint8_t *dst, uint16_t sport,
                        uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags)
{
    uint8_t *ip = g_frame + ETH_HLEN, *tcp;
    size_t ihl = v6 ? 40 : 20, alen = v6 ? 16 : 4;
    uint32_t sum;

    memset(ip, 0, ihl + 20);
    if (v6) {
        ip[0] = 0x60;
        put16(ip + 4, 20);
        ip[6] = 6;
        ip[7] = 64;
        memcpy(ip + 8, src, 16);
        memcpy(ip + 24, dst, 16);
    } else {
        ip[0] = 0x45;
        put16(ip + 2, 40);
        put16(ip + 4, (uint16_t)rnd());
        ip[8] = 64;
        ip[9] = 6;
        memcpy(ip + 12, src, 4);
        memcpy(ip + 16, dst, 4);
        ipv4_fix_checksum(ip);
    }
    tcp = ip + ihl;
    put16(tcp, sport);
    put16(tcp + 2, dport);
    put32(tcp + 4, seq);
    put32(tcp + 8, ack);
    tcp[12] = 5 << 4;
    tcp[13] = flags;
    put16(tcp + 14, flags & 0x04 ? 0 : 64240);
    sum = csum_add(0, src, alen);
    sum = csum_add(sum, dst, alen);
    sum += 6 + 20;
    put16(tcp + 16, csum_fold(csum_add(sum, tcp, 20)));
    return ihl + 20;
}

static int flood_run(const char *seed, const char *out, uint64_t nsyn, uint64_t span_s,
                     bool quiet)
{
    char errbuf[PCAP_ERRBUF_SIZE];
    pcap_t *in = pcap_open_offline(seed, errbuf), *dead;
    struct pcap_pkthdr *h;
    const u_char *data;
    struct flood_pkt *pk = NULL;
    size_t npk = 0, pkcap = 0, nsrv = 0, rhead = 0, rtail = 0, rcap = 1024;
    struct cap_addr srv[FLOOD_MAX_SERVERS];
    uint16_t srv_port[FLOOD_MAX_SERVERS];
    struct flood_reply *rq;
    uint64_t t0 = 0, t1 = 0, step, sent = 0, nsynack = 0, nrst = 0, next_syn;
    FILE *fp;
    int dlt;

    if (!in) {
        fprintf(stderr, "gen: %s: %s\n", seed, errbuf);
        return 2;
    }
    dlt = pcap_datalink(in);
    while (pcap_next_ex(in, &h, &data) == 1) {
        struct cap_l3 l3;
        struct cap_tcp_seg seg;
        uint64_t ts = (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec;

        if (cap_link_decode(dlt, data, h->caplen, &l3) != CAP_OK || l3.len > 65535)
            continue;
        if (npk == pkcap)
            pk = xrealloc(pk, (pkcap = pkcap ? 2 * pkcap : 4096) * sizeof(*pk));
        if (g_arena_len + l3.len > g_arena_cap)
            g_arena = xrealloc(g_arena, g_arena_cap = 2 * (g_arena_cap + l3.len));
        memcpy(g_arena + g_arena_len, l3.data, l3.len);
        pk[npk].ts_us = ts;
        pk[npk].ip_off = (uint32_t)g_arena_len;
        pk[npk].ip_len = (uint32_t)l3.len;
        pk[npk].extra = h->len > h->caplen ? h->len - h->caplen : 0;
        g_arena_len += l3.len;
        if (npk == 0 || ts < t0)
            t0 = ts;
        if (ts > t1)
            t1 = ts;
        npk++;
        if (cap_ip_decode(&l3, &seg) == CAP_OK && (seg.flags & CAP_TH_SYN) &&
            !(seg.flags & CAP_TH_ACK) && is_mail_port(seg.dport)) {
            size_t k = 0;

            while (k < nsrv && !(addr_eq(&srv[k], &seg.dst) && srv_port[k] == seg.dport))
                k++;
            if (k == nsrv && nsrv < FLOOD_MAX_SERVERS) {
                srv[nsrv] = seg.dst;
                srv_port[nsrv++] = seg.dport;
            }
        }
    }
    pcap_close(in);
    if (nsrv == 0) {
        fprintf(stderr, "gen: %s: no SYN to a mail port: no server to flood\n", seed);
        free(pk);
        return 2;
    }
    if (span_s)
        t1 = t0 + span_s * 1000000u;
    step = (t1 - t0) / nsyn;
    g_frame = xrealloc(NULL, ETH_HLEN + 65535 + 64);
    rq = xrealloc(NULL, rcap * sizeof(*rq));
    if (out_open(out, &dead, &fp) < 0)
        return 2;
    next_syn = t0 + rnd_below(step + 1);
    for (size_t i = 0;;) {
        uint64_t ts_syn = sent < nsyn ? next_syn : UINT64_MAX;
        uint64_t ts_pk = i < npk ? pk[i].ts_us : UINT64_MAX;
        uint64_t ts_rp = rhead != rtail ? rq[rhead].ts_us : UINT64_MAX;

        if (ts_syn == UINT64_MAX && ts_pk == UINT64_MAX && ts_rp == UINT64_MAX)
            break;
        if (ts_pk <= ts_syn && ts_pk <= ts_rp) {
            uint8_t *ip = g_arena + pk[i].ip_off;

            memcpy(g_frame + ETH_HLEN, ip, pk[i].ip_len);
            emit(ts_pk, true, (ip[0] >> 4) == 6, pk[i].ip_len, pk[i].extra, true);
            i++;
        } else if (ts_rp <= ts_syn) {
            struct flood_reply *r = &rq[rhead];
            const struct cap_addr *d = &srv[r->srv];
            size_t len = flood_tcp(d->family == 6, d->b, r->src, srv_port[r->srv], r->sport,
                                   r->rst ? 0 : (uint32_t)rnd(), r->seq + 1,
                                   r->rst ? 0x14 : 0x12);

            emit(r->ts_us, false, d->family == 6, len, 0, true);
            rhead = (rhead + 1) % rcap;
        } else {
            uint32_t k = (uint32_t)rnd_below(nsrv);
            const struct cap_addr *d = &srv[k];
            uint8_t src[16] = {0};
            uint16_t sport = (uint16_t)(1024 + rnd_below(64512));
            uint32_t seq = (uint32_t)rnd();
            uint64_t x = rnd(), y = rnd();
            size_t len;
            unsigned kind = (unsigned)rnd_below(4);

            if (d->family == 6) {
                src[0] = 0x20, src[1] = 0x01, src[2] = 0x0d, src[3] = 0xb8, src[4] = 0xf1;
                memcpy(src + 8, &x, 8);
                src[6] = (uint8_t)y, src[7] = (uint8_t)(y >> 8);
            } else {
                src[0] = 100;
                src[1] = (uint8_t)(64 | (x & 63));
                src[2] = (uint8_t)(x >> 8);
                src[3] = (uint8_t)((x >> 16) | 1);
            }
            len = flood_tcp(d->family == 6, src, d->b, sport, srv_port[k], seq, 0, 0x02);
            emit(ts_syn, true, d->family == 6, len, 0, true);
            sent++;
            /* evenly spaced, jittered within the step: never before the last */
            next_syn = t0 + sent * step + rnd_below(step + 1);
            if (next_syn < ts_syn)
                next_syn = ts_syn;
            if (kind < 2) {
                struct flood_reply *r;

                if ((rtail + 1) % rcap == rhead) {   /* full: grow, unwrapping */
                    struct flood_reply *n = xrealloc(NULL, 2 * rcap * sizeof(*n));
                    size_t m = 0;

                    for (size_t j = rhead; j != rtail; j = (j + 1) % rcap)
                        n[m++] = rq[j];
                    free(rq);
                    rq = n, rhead = 0, rtail = m, rcap *= 2;
                }
                r = &rq[rtail];
                r->ts_us = ts_syn + FLOOD_REPLY_US;
                r->srv = k;
                memcpy(r->src, src, 16);
                r->sport = sport;
                r->seq = seq;
                r->rst = kind == 1;
                nsynack += kind == 0;
                nrst += kind == 1;
                rtail = (rtail + 1) % rcap;
            }
        }
    }
    if (out_close(out, fp, dead) < 0)
        return 2;
    if (!quiet)
        fprintf(stderr, "gen: wrote %s: %zu seed packets, %" PRIu64 " SYNs to %zu server(s) "
                "(%" PRIu64 " answered by a SYN-ACK, %" PRIu64 " by a RST), %" PRIu64
                " packets, %.1f s of capture time\n", out, npk, nsyn, nsrv, nsynack, nrst,
                g_out_packets, (double)(t1 - t0) / 1e6);
    free(rq);
    free(pk);
    free(g_frame);
    free(g_arena);
    return 0;
}

/* keylog_out copies the key log beside each seed (X.pcap -> X.keylog)
 * into |path|; returns the number of seeds that had one, -1 on an error. */
static int keylog_out(const char *path, char **seeds, int nseeds)
{
    FILE *out = fopen(path, "w");
    int found = 0;
    char buf[65536];

    if (!out) {
        fprintf(stderr, "gen: %s: %s\n", path, strerror(errno));
        return -1;
    }
    for (int i = 0; i < nseeds; i++) {
        size_t len = strlen(seeds[i]), stem = len, n;
        char *kl;
        FILE *in;

        if (len > 7 && strcmp(seeds[i] + len - 7, ".pcapng") == 0)
            stem = len - 7;
        else if (len > 5 && strcmp(seeds[i] + len - 5, ".pcap") == 0)
            stem = len - 5;
        if ((kl = malloc(stem + 8)) == NULL)
            break;
        memcpy(kl, seeds[i], stem);
        memcpy(kl + stem, ".keylog", 8);
        in = fopen(kl, "r");
        free(kl);
        if (!in)
            continue;
        found++;
        while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
            if (fwrite(buf, 1, n, out) != n)
                break;
        fclose(in);
    }
    if (fclose(out) != 0) {
        fprintf(stderr, "gen: %s: %s\n", path, strerror(errno));
        return -1;
    }
    return found;
}

static void usage(FILE *f)
{
    fputs("usage: gen -o OUT [--size MB | --sessions N] [--mixed PERCENT] [--concurrency N]\n"
          "           [--servers N] [--seed N] [-q] SEED.pcap...\n"
          "  --size MB         stop starting sessions at about MB megabytes (default 100)\n"
          "  --sessions N      stop after N mail sessions instead\n"
          "  --mixed P         P percent of the bytes are bulk non-mail TCP (0..99)\n"
          "  --concurrency N   mail sessions open at once, on average (default 1000)\n"
          "  --servers N       about N distinct mail servers, each with its own address\n"
          "                    and host name (default: 64 addresses, the seeds' names)\n"
          "  --seed N          PRNG seed (default fixed)\n"
          "  --keylog-out FILE the seeds' key logs (X.keylog beside X.pcap), which\n"
          "                    decrypt their sessions' copies in OUT\n"
          "       gen -o OUT --syn-flood N [--flood-span S] [--seed N] [-q] SEED.pcap\n"
          "  --syn-flood N     the seed as it is, with N SYNs from random sources to its\n"
          "                    mail servers mixed in (a quarter answered by a SYN-ACK, a\n"
          "                    quarter by a RST), over its time span or S seconds\n", f);
}

static bool parse_num(const char *s, uint64_t max, uint64_t *out)
{
    char *end;
    unsigned long long v;

    if (!s || !*s || *s == '-')
        return false;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno || *end || v > max)
        return false;
    *out = v;
    return true;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"size", required_argument, NULL, 's'},
        {"mixed", required_argument, NULL, 'm'},
        {"concurrency", required_argument, NULL, 'c'},
        {"sessions", required_argument, NULL, 'n'},
        {"servers", required_argument, NULL, 'v'},
        {"seed", required_argument, NULL, 'S'},
        {"syn-flood", required_argument, NULL, 'F'},
        {"flood-span", required_argument, NULL, 'T'},
        {"keylog-out", required_argument, NULL, 'K'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *out = NULL, *keylog_path = NULL;
    uint64_t size_mb = 100, mixed = 0, conc = 1000, max_sessions = 0, v;
    uint64_t flood = 0, flood_span = 0;
    bool quiet = false;
    struct load_stats ls = {0, 0, 0};
    uint64_t target, sched_mail = 0, sched_bulk = 0, next_start, interval, sum_dur = 0;
    uint64_t n_mail = 0, n_bulk = 0, serial = 0;
    size_t next_sess = 0, n_v6 = 0;
    pcap_t *dead;
    FILE *fp;
    int c;

    while ((c = getopt_long(argc, argv, "o:qh", longopts, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'q': quiet = true; break;
        case 's':
            if (!parse_num(optarg, 1u << 20, &size_mb) || !size_mb) {
                fprintf(stderr, "gen: --size: megabytes expected\n");
                return 2;
            }
            break;
        case 'm':
            if (!parse_num(optarg, 99, &mixed)) {
                fprintf(stderr, "gen: --mixed: percent 0..99 expected\n");
                return 2;
            }
            break;
        case 'c':
            if (!parse_num(optarg, 1u << 24, &conc) || !conc) {
                fprintf(stderr, "gen: --concurrency: a positive number expected\n");
                return 2;
            }
            break;
        case 'n':
            if (!parse_num(optarg, UINT32_MAX, &max_sessions) || !max_sessions) {
                fprintf(stderr, "gen: --sessions: a positive number expected\n");
                return 2;
            }
            break;
        case 'v':
            if (!parse_num(optarg, MAX_SERVERS, &g_servers) || !g_servers) {
                fprintf(stderr, "gen: --servers: a number 1..%d expected\n", MAX_SERVERS);
                return 2;
            }
            break;
        case 'S':
            if (!parse_num(optarg, UINT64_MAX, &v)) {
                fprintf(stderr, "gen: --seed: a number expected\n");
                return 2;
            }
            g_rng = v;
            break;
        case 'F':
            if (!parse_num(optarg, UINT32_MAX, &flood) || !flood) {
                fprintf(stderr, "gen: --syn-flood: a positive number expected\n");
                return 2;
            }
            break;
        case 'T':
            if (!parse_num(optarg, 86400u * 366u, &flood_span) || !flood_span) {
                fprintf(stderr, "gen: --flood-span: seconds expected\n");
                return 2;
            }
            break;
        case 'K': keylog_path = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (!out || optind >= argc || (flood && optind + 1 != argc)) {
        usage(stderr);
        return 2;
    }
    if (flood)
        return flood_run(argv[optind], out, flood, flood_span, quiet);
    for (int i = optind; i < argc; i++)
        if (load_seed(argv[i], &ls) < 0)
            fprintf(stderr, "gen: warning: seed %s skipped\n", argv[i]);
    finish_seeds();
    if (!g_nsess) {
        fprintf(stderr, "gen: no TCP sessions in the seeds\n");
        return 2;
    }
    if (keylog_path) {
        int k = keylog_out(keylog_path, argv + optind, argc - optind);

        if (k < 0)
            return 2;
        if (!quiet)
            fprintf(stderr, "gen: key log: %s from %d seed(s)\n", keylog_path, k);
    }
    for (size_t s = 0; s < g_nsess; s++) {
        sum_dur += g_sess[s].dur_us;
        n_v6 += g_sess[s].v6;
    }
    if (g_servers) {
        uint64_t last;

        g_srv_per_seed = g_servers / g_nsess ? g_servers / g_nsess : 1;
        last = g_srv_per_seed * g_nsess - 1;
        if (last >= MAX_SERVERS) {
            fprintf(stderr, "gen: --servers: more seed sessions (%zu) than servers fit\n",
                    g_nsess);
            return 2;
        }
        g_srv_digits = 1;
        for (uint64_t x = last; x >= 36; x /= 36)
            g_srv_digits++;
        for (size_t s = 0; s < g_nsess; s++)
            for (size_t k = 0; k < g_sess[s].nname; k++)
                if (name_room(g_sess[s].name[k]) < g_srv_digits && !quiet)
                    fprintf(stderr, "gen: warning: %s is too short for %u digits: some "
                            "servers share a name\n", g_sess[s].name[k], g_srv_digits);
    }
    /* Little's law: N open = arrival rate x mean duration. */
    interval = sum_dur / g_nsess / conc;
    if (interval < 1)
        interval = 1;
    for (size_t i = 0; i < RAND_BUF; i++)
        g_rand[i] = (uint8_t)(rnd() >> 56);
    g_frame = xrealloc(NULL, ETH_HLEN + (g_max_ip_len > 65535 ? g_max_ip_len : 65535) + 64);

    if (out_open(out, &dead, &fp) < 0)
        return 2;

    target = size_mb * 1000000u;
    next_start = BASE_TS_US;
    for (;;) {
        bool starting = max_sessions ? n_mail < max_sessions : sched_mail + sched_bulk < target;

        if (starting && (!g_nheap || next_start <= g_inst[g_heap[0]].next_ts)) {
            uint32_t i = inst_alloc();
            struct inst *in = &g_inst[i];    /* invalid after the next inst_alloc */
            uint64_t t = next_start;

            memset(in, 0, sizeof(*in));
            in->kind = INST_MAIL;
            in->serial = serial++;
            in->n = (uint32_t)n_mail++;
            in->sess = (uint32_t)next_sess;
            next_sess = (next_sess + 1) % g_nsess;
            /* instance n replays seed n % nsess; its server is the seed's
             * (n / nsess % per-seed)-th */
            if (g_servers)
                in->srv = (uint32_t)(in->sess + g_nsess * ((in->n / g_nsess) % g_srv_per_seed));
            in->base_us = t;
            in->next_ts = t;
            mail_addrs(in, g_sess[in->sess].v6);
            sched_mail += g_sess[in->sess].out_bytes;
            heap_push(i);
            /* bulk connections keep their share: P / (100 - P) of mail */
            while (mixed && sched_bulk * (100 - mixed) < sched_mail * mixed) {
                uint32_t j = inst_alloc();
                struct inst *b = &g_inst[j];

                memset(b, 0, sizeof(*b));
                b->kind = INST_BULK;
                b->serial = serial++;
                b->n = (uint32_t)n_bulk++;
                bulk_init(b);
                b->next_ts = t + rnd_below(2 * interval + 1);
                sched_bulk += bulk_file_bytes(b);
                heap_push(j);
            }
            next_start = t + 1 + rnd_below(2 * interval);
            continue;
        }
        if (!g_nheap)
            break;
        {
            uint32_t i = heap_pop();
            struct inst *in = &g_inst[i];
            bool more = in->kind == INST_MAIL ? mail_step(in) : bulk_step(in);

            if (more)
                heap_push(i);
            else
                g_free[g_nfree++] = i;
        }
    }
    if (out_close(out, fp, dead) < 0)
        return 2;
    if (!quiet)
        fprintf(stderr,
                "gen: %zu seed(s): %" PRIu64 " packets, %" PRIu64 " TCP in %zu sessions "
                "(%zu IPv6), %" PRIu64 " skipped; mean session %.3f s\n"
                "gen: wrote %s: %" PRIu64 " packets, %.1f MB, %" PRIu64 " mail sessions, %"
                PRIu64 " bulk connections, mail %.1f%% of bytes, %.1f s of capture time, "
                "peak %zu open\n",
                (size_t)(argc - optind), ls.packets, ls.tcp, g_nsess, n_v6, ls.skipped,
                (double)sum_dur / (double)g_nsess / 1e6, out, g_out_packets,
                (double)g_out_bytes / 1e6, n_mail, n_bulk,
                100.0 * (double)g_mail_bytes / (double)(g_mail_bytes + g_bulk_bytes),
                (double)(g_last_ts - BASE_TS_US) / 1e6, g_peak_active);
    if (!quiet && g_servers) {
        size_t named = 0;
        uint64_t used = g_srv_per_seed * g_nsess;

        for (size_t s = 0; s < g_nsess; s++)
            named += g_sess[s].nname > 0;
        fprintf(stderr, "gen: servers: %" PRIu64 " distinct (%" PRIu64 " per seed session), "
                "own host names for the servers of %zu of %zu seed sessions\n",
                n_mail < used ? n_mail : used, g_srv_per_seed, named, g_nsess);
    }
    free(g_frame);
    free(g_inst);
    free(g_free);
    free(g_heap);
    free(g_pkts);
    free(g_sess);
    free(g_arena);
    return 0;
}
