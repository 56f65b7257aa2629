/*
 * cap_ip.c - IPv4/IPv6 and TCP header decoding: an IP packet to a TCP segment.
 *
 * Two lengths are tracked for every layer, as tcpdump does: what was
 * captured (the cbs) and what the enclosing header declares (|wire|).  Bytes
 * missing from the capture give CAP_TRUNCATED, or CAP_SEG_SNAPPED once the
 * headers are complete; a header that cannot fit in what its enclosing layer
 * declares is CAP_MALFORMED.  Bytes captured past the declared length
 * (Ethernet padding to 60 bytes, trailers) are cut off, never payload.
 */
#include "cap_ip.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "lib/cbs.h"

#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86DD

/* IANA protocol numbers, also used as IPv6 next-header values. */
#define IPP_HOPOPTS   0
#define IPP_IPIP      4
#define IPP_TCP       6
#define IPP_IPV6      41
#define IPP_ROUTING   43
#define IPP_FRAGMENT  44
#define IPP_AH        51
#define IPP_DSTOPTS   60

#define IPV4_HDR_LEN  20
#define IPV6_HDR_LEN  40
#define TCP_HDR_LEN   20

#define MAX_TUNNEL    2   /* IP-in-IP encapsulations followed */
#define MAX_V6_EXT    16  /* extension headers walked before giving up */

/* WIRE_UNKNOWN: the outermost header has no enclosing length to check against. */
#define WIRE_UNKNOWN  SIZE_MAX

static size_t min_size(size_t a, size_t b)
{
    return a < b ? a : b;
}

/* need says whether |n| more bytes of header can be read at |c|: the
 * enclosing layer must declare them (else the header is malformed, or, in the
 * first fragment of a datagram, simply in a later fragment) and the capture
 * must hold them. */
static enum cap_status need(const struct cbs *c, size_t wire, size_t n,
                            const struct cap_tcp_seg *out)
{
    if (n > wire)
        return out->seg_flags & CAP_SEG_IP_FRAGMENT ? CAP_FRAGMENT : CAP_MALFORMED;
    return cbs_len(c) < n ? CAP_TRUNCATED : CAP_OK;
}

/* datagram_end bounds |c| (which starts after a header of |hlen| bytes, the
 * header itself starting |caplen| captured bytes before) to the |dgram| bytes
 * the header declares, checked against the |*wire| bytes the enclosing layer
 * declares; on return |*wire| is the declared payload length.  A declared
 * length of 0 is what TCP segmentation offload leaves in packets captured on
 * the sending host (Linux BIG TCP does it for IPv6 too), so 0 means "as long
 * as the enclosing layer or the capture", as Wireshark assumes (tcpdump too,
 * built with GUESS_TSO).  |ip_len| ends with the datagram, not the frame. */
static enum cap_status datagram_end(struct cbs *c, size_t *wire, size_t dgram, size_t hlen,
                                    size_t caplen, struct cap_tcp_seg *out)
{
    struct cbs body;

    if (dgram == 0)
        dgram = *wire != WIRE_UNKNOWN ? *wire : caplen;
    if (dgram < hlen)
        return CAP_MALFORMED;
    if (dgram > *wire) {
        /* A datagram inside the first fragment of another is cut by that
         * fragmentation, which is not an error. */
        if (!(out->seg_flags & CAP_SEG_IP_FRAGMENT))
            return CAP_MALFORMED;
        dgram = *wire;
    }
    *wire = dgram - hlen;
    if (cbs_len(c) > *wire) {
        (void)cbs_get_bytes(c, &body, *wire);
        *c = body;
    }
    out->ip_len = min_size(caplen, dgram);
    return CAP_OK;
}

static void addr_v4(struct cap_addr *a)
{
    a->family = 4;
    memset(a->b + 4, 0, sizeof a->b - 4);
}

/*
 * IPv4, RFC 791 §3.1:
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |Version|  IHL  |Type of Service|          Total Length         |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |         Identification        |Flags|      Fragment Offset    |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  Time to Live |    Protocol   |         Header Checksum       |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                       Source Address                          |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                    Destination Address                        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                    Options (IHL > 5)          |    Padding    |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Flags: reserved, DF, MF.  A fragment offset other than 0 means the TCP
 * header is in another fragment; offset 0 with MF is the first fragment, whose
 * TCP header is here but whose payload ends early.  Options are skipped (none
 * changes where TCP starts); the checksum is not verified because offload
 * makes it meaningless in captures taken on the sending host.
 */
static enum cap_status ipv4_header(struct cbs *c, size_t *wire, uint8_t *proto,
                                   struct cap_tcp_seg *out)
{
    const uint8_t *hdr = cbs_data(c);
    size_t caplen = cbs_len(c);
    uint8_t vihl, ttl;
    uint16_t tot, id, frag;
    size_t hlen;
    enum cap_status st;

    if ((st = need(c, *wire, IPV4_HDR_LEN, out)) != CAP_OK)
        return st;
    if (!cbs_get_u8(c, &vihl) || !cbs_skip(c, 1) || !cbs_get_u16(c, &tot) ||
        !cbs_get_u16(c, &id) || !cbs_get_u16(c, &frag) ||
        !cbs_get_u8(c, &ttl) || !cbs_get_u8(c, proto) || !cbs_skip(c, 2) ||
        !cbs_copy_bytes(c, out->src.b, 4) || !cbs_copy_bytes(c, out->dst.b, 4))
        return CAP_TRUNCATED;
    if (vihl >> 4 != 4 || (vihl & 0x0F) < 5)
        return CAP_MALFORMED;
    hlen = (size_t)(vihl & 0x0F) * 4;
    if (hlen > IPV4_HDR_LEN) {
        if ((st = need(c, *wire - IPV4_HDR_LEN, hlen - IPV4_HDR_LEN, out)) != CAP_OK)
            return st;
        (void)cbs_skip(c, hlen - IPV4_HDR_LEN);
        out->seg_flags |= CAP_SEG_IP_OPTIONS;
    }
    addr_v4(&out->src);
    addr_v4(&out->dst);
    out->ttl = ttl;
    out->ip_id = id;
    out->ip_hdr = hdr;
    if ((st = datagram_end(c, wire, tot, hlen, caplen, out)) != CAP_OK)
        return st;
    if (frag & 0x1FFF)
        return CAP_FRAGMENT;
    if (frag & 0x2000)
        out->seg_flags |= CAP_SEG_IP_FRAGMENT;
    return CAP_OK;
}

/*
 * IPv6 extension headers, RFC 8200 §4.  Hop-by-hop (§4.3), routing (§4.4)
 * and destination options (§4.6) share one shape, length in 8-octet units
 * not counting the first 8:
 *
 *   +-------------+-------------+-------------------------------
 *   | Next Header | Hdr Ext Len | options or routing data ...
 *   +-------------+-------------+-------------------------------
 *
 * AH, RFC 4302 §2.2, has the same first two octets but counts 4-octet units
 * minus 2.  The fragment header (§4.5) is always 8 octets:
 *
 *   +-------------+-------------+-------------------------+--+-+
 *   | Next Header |  Reserved   |     Fragment Offset     |Rs|M|
 *   +-------------+-------------+-------------------------+--+-+
 *   |                      Identification                      |
 *   +----------------------------------------------------------+
 *
 * Anything else (TCP, UDP, ESP, No Next Header 59, ...) ends the walk and
 * is returned in |*proto|.
 */
static enum cap_status ipv6_ext(struct cbs *c, size_t *wire, uint8_t *proto,
                                struct cap_tcp_seg *out)
{
    struct cbs h;
    uint8_t nh, hl;
    uint16_t offm;
    size_t len;
    enum cap_status st;

    for (unsigned n = 0;; n++) {
        /* §4.1: hop-by-hop may only follow the IPv6 header directly. */
        if (*proto == IPP_HOPOPTS && n != 0)
            return CAP_MALFORMED;
        switch (*proto) {
        case IPP_HOPOPTS:
        case IPP_ROUTING:
        case IPP_DSTOPTS:
        case IPP_AH:
            if ((st = need(c, *wire, 2, out)) != CAP_OK)
                return st;
            h = *c;
            if (!cbs_get_u8(&h, &nh) || !cbs_get_u8(&h, &hl))
                return CAP_TRUNCATED;
            len = *proto == IPP_AH ? ((size_t)hl + 2) * 4 : ((size_t)hl + 1) * 8;
            if ((st = need(c, *wire, len, out)) != CAP_OK)
                return st;
            break;
        case IPP_FRAGMENT:
            len = 8;
            if ((st = need(c, *wire, len, out)) != CAP_OK)
                return st;
            h = *c;
            if (!cbs_get_u8(&h, &nh) || !cbs_skip(&h, 1) || !cbs_get_u16(&h, &offm))
                return CAP_TRUNCATED;
            if (offm >> 3)
                return CAP_FRAGMENT;
            if (offm & 1)
                out->seg_flags |= CAP_SEG_IP_FRAGMENT;
            break;
        default:
            return CAP_OK;
        }
        if (n == MAX_V6_EXT)
            return CAP_MALFORMED;
        (void)cbs_skip(c, len);
        *wire -= len;
        *proto = nh;
        out->seg_flags |= CAP_SEG_IPV6_EXT;
    }
}

/*
 * IPv6, RFC 8200 §3:
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |Version| Traffic Class |           Flow Label                  |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |         Payload Length        |  Next Header  |   Hop Limit   |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                   Source Address (128 bits)                   |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                Destination Address (128 bits)                 |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * A payload length of 0 with a hop-by-hop header is a jumbogram (RFC 2675),
 * whose real length sits in a 32-bit option; no capture of mail has one, so
 * it is CAP_UNSUPPORTED rather than guessed at.
 */
static enum cap_status ipv6_header(struct cbs *c, size_t *wire, uint8_t *proto,
                                   struct cap_tcp_seg *out)
{
    const uint8_t *hdr = cbs_data(c);
    size_t caplen = cbs_len(c);
    uint32_t vtf;
    uint16_t plen;
    uint8_t hlim;
    enum cap_status st;

    if ((st = need(c, *wire, IPV6_HDR_LEN, out)) != CAP_OK)
        return st;
    if (!cbs_get_u32(c, &vtf) || !cbs_get_u16(c, &plen) || !cbs_get_u8(c, proto) ||
        !cbs_get_u8(c, &hlim) ||
        !cbs_copy_bytes(c, out->src.b, 16) || !cbs_copy_bytes(c, out->dst.b, 16))
        return CAP_TRUNCATED;
    if (vtf >> 28 != 6)
        return CAP_MALFORMED;
    if (plen == 0 && *proto == IPP_HOPOPTS)
        return CAP_UNSUPPORTED;
    out->src.family = 6;
    out->dst.family = 6;
    out->ttl = hlim;
    out->ip_id = 0;
    out->ip_hdr = hdr;
    if ((st = datagram_end(c, wire, plen ? (size_t)plen + IPV6_HDR_LEN : 0,
                           IPV6_HDR_LEN, caplen, out)) != CAP_OK)
        return st;
    return ipv6_ext(c, wire, proto, out);
}

/*
 * TCP, RFC 9293 §3.1:
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |          Source Port          |       Destination Port        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                        Sequence Number                        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                    Acknowledgment Number                      |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  Data |       |C|E|U|A|P|R|S|F|                               |
 *   | Offset| Rsrvd |W|C|R|C|S|S|Y|I|            Window             |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |           Checksum            |         Urgent Pointer        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                    Options (Data Offset > 5)                  |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * |wire| is the segment length the IP layer declares; the payload is what
 * follows the options up to that length, cut further by the snap length.
 */
static enum cap_status tcp_header(struct cbs *c, size_t wire, struct cap_tcp_seg *out)
{
    uint8_t doff, flags;
    size_t hlen;
    enum cap_status st;

    if ((st = need(c, wire, TCP_HDR_LEN, out)) != CAP_OK)
        return st;
    if (!cbs_get_u16(c, &out->sport) || !cbs_get_u16(c, &out->dport) ||
        !cbs_get_u32(c, &out->seq) || !cbs_get_u32(c, &out->ack) ||
        !cbs_get_u8(c, &doff) || !cbs_get_u8(c, &flags) ||
        !cbs_get_u16(c, &out->win) || !cbs_skip(c, 4))
        return CAP_TRUNCATED;
    if (doff >> 4 < 5)
        return CAP_MALFORMED;
    hlen = (size_t)(doff >> 4) * 4;
    if ((st = need(c, wire - TCP_HDR_LEN, hlen - TCP_HDR_LEN, out)) != CAP_OK)
        return st;
    out->tcp_opt = cbs_data(c);
    out->tcp_opt_len = hlen - TCP_HDR_LEN;
    (void)cbs_skip(c, hlen - TCP_HDR_LEN);
    out->flags = flags;
    out->payload = cbs_data(c);
    out->payload_len = cbs_len(c);
    out->payload_wire_len = wire - hlen;
    if (out->payload_len < out->payload_wire_len)
        out->seg_flags |= CAP_SEG_SNAPPED;
    return CAP_OK;
}

enum cap_status cap_ip_decode(const struct cap_l3 *l3, struct cap_tcp_seg *out)
{
    struct cbs c;
    size_t wire = WIRE_UNKNOWN;
    unsigned want;
    uint8_t vb, proto;
    enum cap_status st;

    out->seg_flags = 0;
    out->payload = NULL;
    out->payload_len = 0;
    out->payload_wire_len = 0;
    switch (l3->ethertype) {
    case ETHERTYPE_IPV4: want = 4; break;
    case ETHERTYPE_IPV6: want = 6; break;
    case 0:              want = 0; break;  /* not said: the version nibble decides */
    default:             return CAP_NOT_IP;
    }
    cbs_init(&c, l3->data, l3->len);
    for (unsigned depth = 0;; depth++) {
        if (!cbs_peek_u8(&c, &vb))
            return need(&c, wire, 1, out);
        if (want == 0)
            want = vb >> 4;
        if (want == 4)
            st = ipv4_header(&c, &wire, &proto, out);
        else if (want == 6)
            st = ipv6_header(&c, &wire, &proto, out);
        else
            return CAP_MALFORMED;
        if (st != CAP_OK)
            return st;
        switch (proto) {
        case IPP_TCP:  return tcp_header(&c, wire, out);
        case IPP_IPIP: want = 4; break;
        case IPP_IPV6: want = 6; break;
        default:       return CAP_NOT_TCP;
        }
        if (depth == MAX_TUNNEL)
            return CAP_UNSUPPORTED;
        out->seg_flags |= CAP_SEG_TUNNEL;
    }
}

/* format_v6 writes |b| as RFC 5952 text (lower-case hex, the first longest
 * run of two or more zero groups as "::"), as glibc's inet_ntop does but
 * without its sprintf per group; false for the forms with an IPv4 address
 * in the last 32 bits (::a.b.c.d, ::ffff:a.b.c.d), left to inet_ntop.
 * |out| has room for 46 bytes. */
static bool format_v6(const uint8_t b[16], char *out)
{
    static const char hex[] = "0123456789abcdef";
    unsigned w[8];
    int best = -1, best_len = 0;
    char *o = out;

    for (int i = 0; i < 8; i++)
        w[i] = (unsigned)b[2 * i] << 8 | b[2 * i + 1];
    for (int i = 0; i < 8;) {
        int j = i;

        while (j < 8 && w[j] == 0)
            j++;
        if (j - i > best_len) {
            best = i;
            best_len = j - i;
        }
        i = j > i ? j : i + 1;
    }
    if (best_len < 2)
        best = -1;
    if (best == 0 && (best_len == 6 || best_len == 7 || (best_len == 5 && w[5] == 0xffff)))
        return false;
    for (int i = 0; i < 8; i++) {
        if (i == best) {
            *o++ = ':';
            if (i + best_len == 8)
                *o++ = ':';
            i += best_len - 1;
            continue;
        }
        if (i)
            *o++ = ':';
        for (int sh = 12; sh >= 0; sh -= 4)
            if ((w[i] >> sh) != 0 || sh == 0)
                *o++ = hex[(w[i] >> sh) & 0xf];
    }
    *o = '\0';
    return true;
}

char *cap_addr_format(const struct cap_addr *a, char *buf, size_t size)
{
    int af = a->family == 4 ? AF_INET : a->family == 6 ? AF_INET6 : AF_UNSPEC;

    if (size == 0)
        return buf;
    /* IPv4 by hand: every session prints two addresses, and glibc's
     * inet_ntop formats each octet through sprintf */
    if (af == AF_INET && size >= 16) {
        char *o = buf;

        for (int i = 0; i < 4; i++) {
            unsigned v = a->b[i];

            if (i)
                *o++ = '.';
            if (v >= 100)
                *o++ = (char)('0' + v / 100);
            if (v >= 10)
                *o++ = (char)('0' + v / 10 % 10);
            *o++ = (char)('0' + v % 10);
        }
        *o = '\0';
        return buf;
    }
    if (af == AF_INET6 && size >= 46 && format_v6(a->b, buf))
        return buf;
    if (af == AF_UNSPEC || !inet_ntop(af, a->b, buf, (socklen_t)min_size(size, 64)))
        snprintf(buf, size, "?");
    return buf;
}

bool cap_addr_parse(const char *s, struct cap_addr *out)
{
    memset(out, 0, sizeof *out);
    if (!s)
        return false;
    if (inet_pton(AF_INET, s, out->b) == 1) {
        out->family = 4;
        return true;
    }
    if (inet_pton(AF_INET6, s, out->b) == 1) {
        out->family = 6;
        return true;
    }
    memset(out, 0, sizeof *out);
    return false;
}

char *cap_endpoint_format(const struct cap_addr *a, uint16_t port, char *buf, size_t size)
{
    char ab[64];

    cap_addr_format(a, ab, sizeof(ab));
    if (a->family == 6)
        snprintf(buf, size, "[%s]:%u", ab, port);
    else
        snprintf(buf, size, "%s:%u", ab, port);
    return buf;
}
