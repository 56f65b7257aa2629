/*
 * helper_replay.c - test helper: send the packets FIRST..LAST (1-based,
 * default all) of a capture out of an interface, 2 ms apart, for the live
 * checks (tests/e2e_live.sh): a session made by helper_starttls seen on a
 * veth pair as if it had crossed a span port.  Needs root (a packet socket).
 *
 *   helper_replay IFACE PCAP [FIRST [LAST]]
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv)
{
    char err[PCAP_ERRBUF_SIZE];
    struct pcap_pkthdr *h;
    const u_char *data;
    pcap_t *in, *out;
    unsigned long first = 1, last = (unsigned long)-1, i = 0;
    const struct timespec gap = {.tv_sec = 0, .tv_nsec = 2000000L};

    if (argc < 3 || argc > 5) {
        fprintf(stderr, "usage: helper_replay IFACE PCAP [FIRST [LAST]]\n");
        return 2;
    }
    if (argc > 3)
        first = strtoul(argv[3], NULL, 10);
    if (argc > 4)
        last = strtoul(argv[4], NULL, 10);
    if ((in = pcap_open_offline(argv[2], err)) == NULL ||
        (out = pcap_open_live(argv[1], 65535, 0, 100, err)) == NULL) {
        fprintf(stderr, "helper_replay: %s\n", err);
        return 2;
    }
    while (pcap_next_ex(in, &h, &data) == 1) {
        if (++i < first)
            continue;
        if (i > last)
            break;
        if (pcap_inject(out, data, h->caplen) != (int)h->caplen) {
            fprintf(stderr, "helper_replay: %s: %s\n", argv[1], pcap_geterr(out));
            return 2;
        }
        nanosleep(&gap, NULL);
    }
    pcap_close(out);
    pcap_close(in);
    return 0;
}
