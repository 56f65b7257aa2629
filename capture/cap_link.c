/*
 * cap_link.c - link-layer decoding: a captured frame to the start of its IP header.
 *
 * Every byte is read through a struct cbs, so a frame cut short by the snap
 * length can only ever give CAP_TRUNCATED, never a read past |caplen|.
 * Nothing here allocates or clears more than the few fields of cap_l3: this
 * runs once per packet.
 */
#include "cap_link.h"

#include <stdio.h>

#include <pcap/pcap.h>

#include "lib/cbs.h"

#define ETHERTYPE_IPV4  0x0800
#define ETHERTYPE_IPV6  0x86DD
#define ETHERTYPE_8021Q 0x8100   /* IEEE 802.1Q customer tag */
#define ETHERTYPE_8021AD 0x88A8  /* IEEE 802.1ad service tag (QinQ) */
#define ETHERTYPE_QINQ_OLD 0x9100 /* pre-standard QinQ, still seen on switches */

#define ETHER_MAX_LEN_FIELD 1500  /* IEEE 802.3 §3.2.6: <= 1500 is a length */
#define ETHER_MIN_TYPE      0x0600 /* ... and >= 1536 is a type; between is invalid */

/* Linux if_arp.h hardware types whose SLL protocol field is not an ethertype. */
#define ARPHRD_NETLINK 824

/* Linux if_ether.h: SLL protocol values below 0x0600 name a framing. */
#define LINUX_SLL_P_802_2 0x0004  /* the payload starts with an 802.2 LLC header */

/* Address families as BSD loopback headers carry them (the value is the
 * capturing OS's AF_*, so every OS's IPv6 value has to be accepted). */
#define LOOP_AF_INET           2
#define LOOP_AF_INET6_LINUX    10
#define LOOP_AF_INET6_NETBSD   24  /* also OpenBSD, BSD/OS */
#define LOOP_AF_INET6_FREEBSD  28  /* also DragonFly */
#define LOOP_AF_INET6_DARWIN   30

/* Raw-IP link types that are not DLT_RAW on this platform: OpenBSD's
 * DLT_RAW is 14, and LINKTYPE_RAW (101) is what files store; libpcap maps it
 * to DLT_RAW, but a reader that bypasses that mapping hands 101 through. */
#define DLT_RAW_LINUX   12
#define DLT_RAW_OPENBSD 14
#define LINKTYPE_RAW    101

enum link_kind {
    LK_NONE,
    LK_EN10MB,
    LK_SLL,
    LK_SLL2,
    LK_RAW,
    LK_IPV4,
    LK_IPV6,
    LK_NULL,
    LK_LOOP,
};

static enum link_kind link_kind(int dlt)
{
    /* DLT_LOOP first: on OpenBSD it is 12, which is DLT_RAW elsewhere. */
    if (dlt == DLT_LOOP)
        return LK_LOOP;
    if (dlt == DLT_RAW || dlt == DLT_RAW_LINUX || dlt == LINKTYPE_RAW)
        return LK_RAW;
#if !defined(DLT_PPP_BSDOS) || DLT_PPP_BSDOS != DLT_RAW_OPENBSD
    /* Where 14 means BSD/OS PPP (FreeBSD, NetBSD) it is not raw IP. */
    if (dlt == DLT_RAW_OPENBSD)
        return LK_RAW;
#endif
    switch (dlt) {
    case DLT_EN10MB:     return LK_EN10MB;
    case DLT_LINUX_SLL:  return LK_SLL;
    case DLT_LINUX_SLL2: return LK_SLL2;
    case DLT_IPV4:       return LK_IPV4;
    case DLT_IPV6:       return LK_IPV6;
    case DLT_NULL:       return LK_NULL;
    default:             return LK_NONE;
    }
}

static const char *const status_names[CAP_STATUS_COUNT] = {
    [CAP_OK] = "ok",
    [CAP_NOT_IP] = "not_ip",
    [CAP_NOT_TCP] = "not_tcp",
    [CAP_FRAGMENT] = "fragment",
    [CAP_TRUNCATED] = "truncated",
    [CAP_MALFORMED] = "malformed",
    [CAP_UNSUPPORTED] = "unsupported",
};

const char *cap_status_name(enum cap_status s)
{
    if ((unsigned)s >= CAP_STATUS_COUNT)
        return "unknown";
    return status_names[s];
}

bool cap_link_supported(int dlt)
{
    return link_kind(dlt) != LK_NONE;
}

const char *cap_link_name(int dlt)
{
    static _Thread_local char buf[sizeof "DLT -2147483648"];
    const char *name;

    /* libpcap names only its own DLT_RAW value; the aliases are raw IP too. */
    if (link_kind(dlt) == LK_RAW)
        return "RAW";
    name = pcap_datalink_val_to_name(dlt);
    if (name)
        return name;
    snprintf(buf, sizeof buf, "DLT %d", dlt);
    return buf;
}

/* l3_at records that the network layer starts at |c| and carries |type|;
 * only IPv4 and IPv6 are CAP_OK, anything else is a well-formed non-IP frame
 * whose ethertype the caller may still want to count. */
static enum cap_status l3_at(const struct cbs *c, uint16_t type, struct cap_l3 *out)
{
    out->data = cbs_data(c);
    out->len = cbs_len(c);
    out->ethertype = type;
    return type == ETHERTYPE_IPV4 || type == ETHERTYPE_IPV6 ? CAP_OK : CAP_NOT_IP;
}

/*
 * IEEE 802.2 LLC with a SNAP header, RFC 1042 (IP over IEEE 802 networks):
 *
 *   +------+------+------+-------------+-----------+----------
 *   | DSAP | SSAP | ctrl |     OUI     | ethertype | IP ...
 *   | 0xAA | 0xAA | 0x03 |  00 00 00   |           |
 *   +------+------+------+-------------+-----------+----------
 *      1      1      1          3            2
 *
 * |len| is what the 802.3 length field says the LLC part holds (SIZE_MAX when
 * the framing has no length, as in Linux SLL); it lets Ethernet padding be cut
 * off here already.  Only the RFC 1042 form (OUI 0) is IP; STP, CDP, IPX and
 * the rest are CAP_NOT_IP.
 */
static enum cap_status llc_snap(struct cbs *c, size_t len, struct cap_l3 *out)
{
    uint8_t dsap, ssap, ctrl;
    uint32_t oui;
    uint16_t type;
    struct cbs body;

    if (len < 3)
        return CAP_MALFORMED;
    if (!cbs_get_u8(c, &dsap) || !cbs_get_u8(c, &ssap) || !cbs_get_u8(c, &ctrl))
        return CAP_TRUNCATED;
    if (dsap != 0xAA || ssap != 0xAA || ctrl != 0x03)
        return CAP_NOT_IP;
    if (len < 8)
        return CAP_MALFORMED;
    if (!cbs_get_u24(c, &oui) || !cbs_get_u16(c, &type))
        return CAP_TRUNCATED;
    if (oui != 0)
        return CAP_NOT_IP;
    len -= 8;
    if (cbs_len(c) > len) {
        (void)cbs_get_bytes(c, &body, len);
        *c = body;
    }
    return l3_at(c, type, out);
}

/*
 * IEEE 802.1Q / 802.1ad tags, stacked between the MAC addresses and the
 * ethertype; each is a TPID (already read as |type|) and a TCI:
 *
 *   +--------+----------------+-----------+
 *   |  TPID  | PCP|DEI|  VID  | ethertype |  (or the next tag's TPID)
 *   +--------+----------------+-----------+
 *       2      3b  1b   12b         2
 *
 * 0x88A8 is the standard service tag, 0x9100 its pre-standard predecessor;
 * all three are accepted in any order because switches mix them.  A type
 * field <= 1500 is an 802.3 length and an LLC header follows.
 */
static enum cap_status ether_type(struct cbs *c, uint16_t type, struct cap_l3 *out)
{
    uint16_t tci;

    while (type == ETHERTYPE_8021Q || type == ETHERTYPE_8021AD || type == ETHERTYPE_QINQ_OLD) {
        if (out->nvlan == CAP_MAX_VLAN)
            return CAP_MALFORMED;
        if (!cbs_get_u16(c, &tci) || !cbs_get_u16(c, &type))
            return CAP_TRUNCATED;
        out->vlan[out->nvlan++] = tci & 0x0FFF;
    }
    if (type <= ETHER_MAX_LEN_FIELD)
        return llc_snap(c, type, out);
    if (type < ETHER_MIN_TYPE)
        return CAP_MALFORMED;
    return l3_at(c, type, out);
}

/*
 * Ethernet II (DIX) and IEEE 802.3 frame, as captured (no preamble, no FCS):
 *
 *   0                 6                 12     14
 *   +-----------------+-----------------+------+---------
 *   | destination MAC |   source MAC    | type | payload (VLAN tags, LLC, IP)
 *   +-----------------+-----------------+------+---------
 */
static enum cap_status link_ether(struct cbs *c, struct cap_l3 *out)
{
    uint16_t type;

    if (!cbs_skip(c, 12) || !cbs_get_u16(c, &type))
        return CAP_TRUNCATED;
    /* untagged IP, most frames, needs none of ether_type's tests */
    if (type == ETHERTYPE_IPV4 || type == ETHERTYPE_IPV6)
        return l3_at(c, type, out);
    return ether_type(c, type, out);
}

/* sll_protocol interprets the protocol field of both cooked headers
 * (packet(7)): an ethertype for Ethernet-like devices and for GRE (ARPHRD_IPGRE
 * puts the GRE protocol type there, which is an ethertype too), a Linux
 * ETH_P_* pseudo value below 0x0600 for framings without one, and a netlink
 * family on netlink monitors.  VLAN tags the kernel did not strip (protocol
 * 0x8100) follow the cooked header like on Ethernet. */
static enum cap_status sll_protocol(struct cbs *c, uint16_t hatype, uint16_t proto,
                                    struct cap_l3 *out)
{
    if (hatype == ARPHRD_NETLINK)
        return CAP_NOT_IP;
    if (proto == LINUX_SLL_P_802_2)
        return llc_snap(c, SIZE_MAX, out);
    if (proto < ETHER_MIN_TYPE)
        return CAP_NOT_IP;
    return ether_type(c, proto, out);
}

/*
 * Linux cooked capture v1 (DLT_LINUX_SLL), https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL.html:
 *
 *   0          2          4          6                      14         16
 *   +----------+----------+----------+----------------------+----------+------
 *   | pkt type | ARPHRD   | addr len | link-layer address   | protocol | IP
 *   +----------+----------+----------+----------------------+----------+------
 *                                      (8 bytes, zero padded)
 */
static enum cap_status link_sll(struct cbs *c, struct cap_l3 *out)
{
    uint16_t pkttype, hatype, proto;

    if (!cbs_get_u16(c, &pkttype) || !cbs_get_u16(c, &hatype) ||
        !cbs_skip(c, 2 + 8) || !cbs_get_u16(c, &proto))
        return CAP_TRUNCATED;
    return sll_protocol(c, hatype, proto, out);
}

/*
 * Linux cooked capture v2 (DLT_LINUX_SLL2), https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL2.html:
 *
 *   0          2          4                8          10    11    12                20
 *   +----------+----------+----------------+----------+-----+-----+-----------------+----
 *   | protocol | reserved | interface index| ARPHRD   |type |alen | link-layer addr | IP
 *   +----------+----------+----------------+----------+-----+-----+-----------------+----
 */
static enum cap_status link_sll2(struct cbs *c, struct cap_l3 *out)
{
    uint16_t proto, hatype;

    if (!cbs_get_u16(c, &proto) || !cbs_skip(c, 2 + 4) ||
        !cbs_get_u16(c, &hatype) || !cbs_skip(c, 1 + 1 + 8))
        return CAP_TRUNCATED;
    return sll_protocol(c, hatype, proto, out);
}

/*
 * Raw IP (DLT_RAW): no link header at all; the version nibble of the first
 * byte tells IPv4 from IPv6 (RFC 791 §3.1, RFC 8200 §3).
 *
 *   +-------+-------+----
 *   |version|  ...  | rest of the IP header
 *   +-------+-------+----
 */
static enum cap_status link_raw(struct cbs *c, struct cap_l3 *out)
{
    uint8_t vb;

    if (!cbs_peek_u8(c, &vb))
        return CAP_TRUNCATED;
    switch (vb >> 4) {
    case 4: return l3_at(c, ETHERTYPE_IPV4, out);
    case 6: return l3_at(c, ETHERTYPE_IPV6, out);
    default:
        /* Raw-IP links carry nothing but IP, so another version is garbage. */
        out->data = cbs_data(c);
        out->len = cbs_len(c);
        return CAP_MALFORMED;
    }
}

/* DLT_IPV4 / DLT_IPV6: raw IP whose version the link type already names;
 * cap_ip_decode checks the nibble against it. */
static enum cap_status link_raw_fixed(struct cbs *c, uint16_t type, struct cap_l3 *out)
{
    if (cbs_len(c) == 0)
        return CAP_TRUNCATED;
    return l3_at(c, type, out);
}

/*
 * BSD loopback (DLT_NULL, DLT_LOOP): a 4-byte address family, then the packet.
 *
 *   0                    4
 *   +--------------------+-------
 *   |   address family   | IP ...
 *   +--------------------+-------
 *
 * DLT_LOOP stores it in network byte order; DLT_NULL in the byte order of the
 * machine that captured, which need not be ours.  Every AF value is below
 * 2^16, so of the two readings of the four bytes the smaller one is right.
 */
static enum cap_status link_loop(struct cbs *c, bool host_order, struct cap_l3 *out)
{
    struct cbs le = *c;
    uint32_t af, af_le;

    if (!cbs_get_u32(c, &af))
        return CAP_TRUNCATED;
    if (host_order && cbs_get_u32le(&le, &af_le) && af_le < af)
        af = af_le;
    switch (af) {
    case LOOP_AF_INET:
        return l3_at(c, ETHERTYPE_IPV4, out);
    case LOOP_AF_INET6_LINUX:
    case LOOP_AF_INET6_NETBSD:
    case LOOP_AF_INET6_FREEBSD:
    case LOOP_AF_INET6_DARWIN:
        return l3_at(c, ETHERTYPE_IPV6, out);
    default:
        (void)l3_at(c, 0, out);
        return CAP_NOT_IP;
    }
}

enum cap_status cap_link_decode(int dlt, const uint8_t *p, size_t caplen, struct cap_l3 *out)
{
    struct cbs c;

    cbs_init(&c, p, caplen);
    out->data = NULL;
    out->len = 0;
    out->ethertype = 0;
    out->nvlan = 0;
    /* Ethernet before the walk through link_kind: most captures are, and
     * DLT_EN10MB (1) is no other link type on any platform. */
    switch (dlt == DLT_EN10MB ? LK_EN10MB : link_kind(dlt)) {
    case LK_EN10MB: return link_ether(&c, out);
    case LK_SLL:    return link_sll(&c, out);
    case LK_SLL2:   return link_sll2(&c, out);
    case LK_RAW:    return link_raw(&c, out);
    case LK_IPV4:   return link_raw_fixed(&c, ETHERTYPE_IPV4, out);
    case LK_IPV6:   return link_raw_fixed(&c, ETHERTYPE_IPV6, out);
    case LK_NULL:   return link_loop(&c, true, out);
    case LK_LOOP:   return link_loop(&c, false, out);
    case LK_NONE:   break;
    }
    return CAP_UNSUPPORTED;
}
