/*
 * cap_ip.h - IPv4/IPv6 and TCP header decoding: an IP packet to a TCP segment.
 */
#ifndef MXW_CAP_IP_H
#define MXW_CAP_IP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cap_link.h"

/* cap_addr is an IPv4 or IPv6 address; IPv4 uses the first 4 bytes of |b|
 * and the remaining bytes are zero, so addresses compare with memcmp. */
struct cap_addr {
    uint8_t family;   /* 4 or 6 */
    uint8_t b[16];
};

/* TCP header flag bits as on the wire. */
#define CAP_TH_FIN 0x01
#define CAP_TH_SYN 0x02
#define CAP_TH_RST 0x04
#define CAP_TH_PSH 0x08
#define CAP_TH_ACK 0x10
#define CAP_TH_URG 0x20

/* cap_tcp_seg flags describing what the IP layer did or saw. */
#define CAP_SEG_IP_OPTIONS   0x01u  /* IPv4 options present (skipped) */
#define CAP_SEG_IP_FRAGMENT  0x02u  /* first fragment of a fragmented datagram: payload incomplete */
#define CAP_SEG_IPV6_EXT     0x04u  /* IPv6 extension headers were walked */
#define CAP_SEG_TUNNEL       0x08u  /* the TCP/IP was inside IPv4/IPv6 (proto 4 or 41) */
#define CAP_SEG_SNAPPED      0x10u  /* the capture cut the payload short (see payload_wire_len) */
#define CAP_SEG_BAD_CHECKSUM 0x20u  /* reserved: checksums are not verified (offload makes them meaningless) */

/* cap_tcp_seg is one decoded TCP segment.  Pointers borrow from the packet. */
struct cap_tcp_seg {
    struct cap_addr src, dst;
    uint16_t sport, dport;
    uint32_t seq, ack;
    uint16_t win;
    uint8_t flags;            /* CAP_TH_* */
    uint8_t ttl;              /* IPv4 TTL / IPv6 hop limit of the innermost header */
    uint16_t ip_id;           /* IPv4 identification (0 for IPv6) */
    unsigned seg_flags;       /* CAP_SEG_* */
    const uint8_t *tcp_opt;   /* the TCP options as captured (the responder's
                                 fingerprint), |tcp_opt_len| bytes */
    size_t tcp_opt_len;
    const uint8_t *payload;   /* captured TCP payload */
    size_t payload_len;       /* bytes at |payload| */
    size_t payload_wire_len;  /* payload length the IP header declares (>= payload_len) */
    const uint8_t *ip_hdr;    /* innermost IP header (for classifiers that want it) */
    size_t ip_len;            /* captured bytes from |ip_hdr| */
};

/* cap_ip_decode decodes the IP packet that |l3| points at, follows IPv6
 * extension headers (hop-by-hop, routing, destination options, fragment, AH)
 * and IP-in-IP tunnels (protocol 4 and 41, at most two levels), and fills
 * |*out| for a TCP segment.  IPv4 options are skipped.  Returns CAP_OK, or
 * CAP_NOT_TCP (UDP, ICMP, ...), CAP_FRAGMENT (a non-first fragment: no TCP
 * header to attribute it with), CAP_TRUNCATED (captured bytes end inside the
 * IP or TCP header), CAP_MALFORMED (bad version, header length, total length
 * smaller than the header, TCP data offset < 5, ...). A payload cut short by
 * the snap length is CAP_OK with CAP_SEG_SNAPPED set. */
enum cap_status cap_ip_decode(const struct cap_l3 *l3, struct cap_tcp_seg *out);

/* cap_addr_format writes |a| in its usual text form (IPv6 compressed, RFC
 * 5952) into |buf| of |size| bytes (46 is enough) and returns |buf|. */
char *cap_addr_format(const struct cap_addr *a, char *buf, size_t size);

/* cap_endpoint_format writes "192.0.2.1:25" or "[2001:db8::1]:25" into
 * |buf| (at least 56 bytes); returns buf. */
char *cap_endpoint_format(const struct cap_addr *a, uint16_t port, char *buf, size_t size);

/* cap_addr_parse parses a dotted IPv4 or textual IPv6 address; false if it
 * is neither. */
bool cap_addr_parse(const char *s, struct cap_addr *out);

#endif
