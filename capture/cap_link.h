/*
 * cap_link.h - link-layer decoding: a captured frame to the start of its IP header.
 */
#ifndef MXW_CAP_LINK_H
#define MXW_CAP_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* cap_status is the outcome of decoding one layer of one packet.  Truncated
 * (the capture cut the packet short) and malformed (the bytes contradict
 * themselves) stay separate, as in tcpdump. */
enum cap_status {
    CAP_OK = 0,
    CAP_NOT_IP,       /* a well-formed frame that carries something other than IP */
    CAP_NOT_TCP,      /* IP that carries something other than TCP */
    CAP_FRAGMENT,     /* an IP fragment without the TCP header (not the first) */
    CAP_TRUNCATED,    /* the capture ends inside a header */
    CAP_MALFORMED,    /* header fields that cannot be right */
    CAP_UNSUPPORTED,  /* link type, or a feature we do not decode */
    CAP_STATUS_COUNT
};

/* cap_status_name returns a stable lower-case name for |s| ("truncated"). */
const char *cap_status_name(enum cap_status s);

#define CAP_MAX_VLAN 4

/* cap_l3 is where the network layer starts inside a frame.  |data| borrows
 * from the frame. */
struct cap_l3 {
    const uint8_t *data;     /* first byte of the IP header */
    size_t len;              /* captured bytes from |data| to the end of the frame */
    uint16_t ethertype;      /* 0x0800 IPv4, 0x86DD IPv6, or what else was found */
    uint8_t nvlan;           /* 802.1Q/802.1ad tags seen, outermost first */
    uint16_t vlan[CAP_MAX_VLAN]; /* VLAN IDs (12 bits) */
};

/* cap_link_supported is true when cap_link_decode understands |dlt|
 * (a libpcap DLT_ value as returned by pcap_datalink()). */
bool cap_link_supported(int dlt);

/* cap_link_name returns a printable name for |dlt| ("EN10MB", "LINUX_SLL2",
 * or "DLT 147" for one libpcap does not name).  The string is static or
 * thread-local scratch valid until the next call. */
const char *cap_link_name(int dlt);

/* cap_link_decode finds the IP header in the |caplen| captured bytes at |p|
 * of a frame of link type |dlt|: Ethernet II with up to CAP_MAX_VLAN
 * 802.1Q/802.1ad (QinQ) tags, Linux cooked SLL and SLL2, raw IP (DLT_RAW,
 * DLT_IPV4, DLT_IPV6), BSD loopback (DLT_NULL, DLT_LOOP).  On CAP_OK |*out|
 * is filled; CAP_NOT_IP for ARP and the like; CAP_TRUNCATED when the frame
 * ends inside a link header; CAP_UNSUPPORTED for an unknown |dlt|; more
 * VLAN tags than CAP_MAX_VLAN is CAP_MALFORMED. */
enum cap_status cap_link_decode(int dlt, const uint8_t *p, size_t caplen, struct cap_l3 *out);

#endif
