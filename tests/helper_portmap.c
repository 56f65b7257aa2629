/*
 * helper_portmap.c - test helper: copy a capture, moving every TCP port
 * FROM to TO (both directions), so that a session recorded on port 25 can be
 * replayed as if on another port.  Only for the project's own captures:
 * plain IPv4/IPv6 headers (no IPv6 extension headers), checksums left as
 * they are (mxwitness does not verify them).
 *
 *   helper_portmap IN OUT FROM TO [PRELUDE]
 *
 * With PRELUDE (C escapes \r \n \\ \xHH decoded), the client's stream gets
 * those bytes in front of its first payload, in a segment of their own sent
 * just before it (a proxy-protocol line, a custom greeting): the client's
 * later sequence numbers and the server's acknowledgements move by its
 * length, and IPv4 header checksums are made right again.
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/cap_ip.h"
#include "capture/cap_link.h"

static void put16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, v >> 16);
    put16(p + 2, v & 0xffff);
}

/* unescape decodes |s| into |out| (at most |cap| bytes); returns the length. */
static size_t unescape(const char *s, uint8_t *out, size_t cap)
{
    size_t n = 0;

    while (*s && n < cap) {
        if (s[0] == '\\' && s[1] == 'r')
            out[n++] = '\r', s += 2;
        else if (s[0] == '\\' && s[1] == 'n')
            out[n++] = '\n', s += 2;
        else if (s[0] == '\\' && s[1] == '\\')
            out[n++] = '\\', s += 2;
        else if (s[0] == '\\' && s[1] == 'x' && s[2] && s[3]) {
            char hex[3] = {s[2], s[3], 0};

            out[n++] = (uint8_t)strtoul(hex, NULL, 16);
            s += 4;
        } else
            out[n++] = (uint8_t)*s++;
    }
    return n;
}

/* ip_fix sets the IP length field of the packet at |ip| (header |iphl|
 * bytes) for |payload| TCP payload bytes after a TCP header of |thl|, and
 * the IPv4 header checksum. */
static void ip_fix(uint8_t *ip, size_t iphl, size_t thl, size_t payload)
{
    uint32_t sum = 0;

    if ((ip[0] >> 4) == 6) {
        put16(ip + 4, (unsigned)(thl + payload));
        return;
    }
    put16(ip + 2, (unsigned)(iphl + thl + payload));
    put16(ip + 10, 0);
    for (size_t i = 0; i < iphl; i += 2)
        sum += (uint32_t)(ip[i] << 8 | ip[i + 1]);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    put16(ip + 10, ~sum & 0xffff);
}

int main(int argc, char **argv)
{
    char err[PCAP_ERRBUF_SIZE];
    struct pcap_pkthdr *h;
    const u_char *data;
    pcap_t *in, *dead;
    pcap_dumper_t *out;
    unsigned long from, to;
    static uint8_t buf[262144], pre[4096], pkt[262144 + 4096];
    size_t npre = 0;
    int shifted = 0;   /* the prelude went out: the client's stream is longer */

    if (argc != 5 && argc != 6) {
        fprintf(stderr, "usage: helper_portmap IN OUT FROM TO [PRELUDE]\n");
        return 2;
    }
    from = strtoul(argv[3], NULL, 10);
    to = strtoul(argv[4], NULL, 10);
    if (argc == 6)
        npre = unescape(argv[5], pre, sizeof(pre));
    in = pcap_open_offline(argv[1], err);
    if (!in) {
        fprintf(stderr, "%s\n", err);
        return 2;
    }
    dead = pcap_open_dead(pcap_datalink(in), 262144);
    out = pcap_dump_open(dead, argv[2]);
    if (!out) {
        fprintf(stderr, "%s\n", pcap_geterr(dead));
        return 2;
    }
    while (pcap_next_ex(in, &h, &data) == 1) {
        struct cap_l3 l3;
        struct cap_tcp_seg seg;
        size_t len = h->caplen < sizeof(buf) ? h->caplen : sizeof(buf);

        memcpy(buf, data, len);
        if (cap_link_decode(pcap_datalink(in), buf, len, &l3) == CAP_OK &&
            cap_ip_decode(&l3, &seg) == CAP_OK) {
            size_t iphl = seg.src.family == 4 ? (size_t)(seg.ip_hdr[0] & 0x0f) * 4 : 40;
            uint8_t *tcp = buf + (seg.ip_hdr - buf) + iphl;

            size_t thl = tcp + 13 <= buf + len ? (size_t)(tcp[12] >> 4) * 4 : 0;

            if (tcp + 4 <= buf + len) {
                if (seg.sport == from) {
                    tcp[0] = (uint8_t)(to >> 8);
                    tcp[1] = (uint8_t)to;
                }
                if (seg.dport == from) {
                    tcp[2] = (uint8_t)(to >> 8);
                    tcp[3] = (uint8_t)to;
                }
            }
            if (npre > 0 && thl > 0 && seg.dport == from && seg.payload_len > 0 && !shifted) {
                /* the prelude's own segment: this one's headers, its bytes,
                 * a microsecond earlier */
                size_t hl = (size_t)(seg.payload - buf);
                struct pcap_pkthdr ph = *h;

                memcpy(pkt, buf, hl);
                memcpy(pkt + hl, pre, npre);
                ip_fix(pkt + (seg.ip_hdr - buf), iphl, thl, npre);
                ph.caplen = ph.len = (unsigned)(hl + npre);
                if (ph.ts.tv_usec > 0)
                    ph.ts.tv_usec--;
                pcap_dump((u_char *)out, &ph, pkt);
                shifted = 1;
            }
            if (shifted && thl > 0 && seg.dport == from)
                put32(tcp + 4, seg.seq + (uint32_t)npre);
            if (shifted && thl > 0 && seg.sport == from && (seg.flags & 0x10))
                put32(tcp + 8, seg.ack + (uint32_t)npre);
        }
        pcap_dump((u_char *)out, h, buf);
    }
    pcap_dump_close(out);
    pcap_close(dead);
    pcap_close(in);
    return 0;
}
