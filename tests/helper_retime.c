/*
 * helper_retime.c - test helper: copy a capture, moving the timestamp of
 * packet N (1-based) by SECONDS (negative: back), or of every packet when
 * N is 0.  For the clock checks: one timestamp ten years ahead, a capture
 * whose clock says 1970.  A time that would fall before the epoch is 0.
 *
 *   helper_retime IN OUT N SECONDS
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    char err[PCAP_ERRBUF_SIZE];
    struct pcap_pkthdr *h;
    const u_char *data;
    pcap_t *in, *dead;
    pcap_dumper_t *out;
    unsigned long n, i = 0;
    long long delta;

    if (argc != 5) {
        fprintf(stderr, "usage: helper_retime IN OUT N SECONDS\n");
        return 2;
    }
    n = strtoul(argv[3], NULL, 10);
    delta = strtoll(argv[4], NULL, 10);
    if ((in = pcap_open_offline(argv[1], err)) == NULL) {
        fprintf(stderr, "%s\n", err);
        return 2;
    }
    dead = pcap_open_dead(pcap_datalink(in), 262144);
    if ((out = pcap_dump_open(dead, argv[2])) == NULL) {
        fprintf(stderr, "%s: %s\n", argv[2], pcap_geterr(dead));
        return 2;
    }
    while (pcap_next_ex(in, &h, &data) == 1) {
        struct pcap_pkthdr c = *h;

        i++;
        if (n == 0 || i == n) {
            long long t = (long long)c.ts.tv_sec + delta;

            c.ts.tv_sec = t < 0 ? 0 : (time_t)t;
        }
        pcap_dump((u_char *)out, &c, data);
    }
    pcap_dump_close(out);
    pcap_close(dead);
    pcap_close(in);
    return 0;
}
