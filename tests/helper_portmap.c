/*
 * helper_portmap.c - test helper: copy a capture, moving every TCP port
 * FROM to TO (both directions), so that a session recorded on port 25 can be
 * replayed as if on another port.  Only for the project's own captures:
 * plain IPv4/IPv6 headers (no IPv6 extension headers), checksums left as
 * they are (mxwitness does not verify them).
 *
 *   helper_portmap IN OUT FROM TO
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/cap_ip.h"
#include "capture/cap_link.h"

int main(int argc, char **argv)
{
    char err[PCAP_ERRBUF_SIZE];
    struct pcap_pkthdr *h;
    const u_char *data;
    pcap_t *in, *dead;
    pcap_dumper_t *out;
    unsigned long from, to;
    static uint8_t buf[262144];

    if (argc != 5) {
        fprintf(stderr, "usage: helper_portmap IN OUT FROM TO\n");
        return 2;
    }
    from = strtoul(argv[3], NULL, 10);
    to = strtoul(argv[4], NULL, 10);
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
        }
        pcap_dump((u_char *)out, h, buf);
    }
    pcap_dump_close(out);
    pcap_close(dead);
    pcap_close(in);
    return 0;
}
