/*
 * readloop.c - the floor: a bare libpcap read loop.
 *
 *   readloop FILE...
 *
 * Opens each capture, reads every packet with pcap_next_ex, counts packets
 * and captured bytes and folds one byte of each packet into a checksum so
 * the reads cannot be optimised away.  Nothing mxwitness does can be faster
 * than this; bench/run.sh compares against it.
 *
 * Output (standard output, one line): packets=N bytes=N sum=N
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>

#include <pcap/pcap.h>

int main(int argc, char **argv)
{
    uint64_t packets = 0, bytes = 0;
    unsigned sum = 0;

    if (argc < 2) {
        fputs("usage: readloop FILE...\n", stderr);
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        char errbuf[PCAP_ERRBUF_SIZE];
        struct pcap_pkthdr *hdr;
        const u_char *data;
        pcap_t *p;
        int rc;

        p = pcap_open_offline_with_tstamp_precision(argv[i], PCAP_TSTAMP_PRECISION_MICRO, errbuf);
        if (!p) {
            fprintf(stderr, "readloop: %s\n", errbuf);
            return 2;
        }
        while ((rc = pcap_next_ex(p, &hdr, &data)) == 1) {
            packets++;
            bytes += hdr->caplen;
            if (hdr->caplen)
                sum += data[hdr->caplen / 2];
        }
        if (rc == PCAP_ERROR)
            fprintf(stderr, "readloop: %s: %s\n", argv[i], pcap_geterr(p));
        pcap_close(p);
    }
    printf("packets=%" PRIu64 " bytes=%" PRIu64 " sum=%u\n", packets, bytes, sum);
    return 0;
}
