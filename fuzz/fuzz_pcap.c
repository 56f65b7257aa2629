/*
 * fuzz_pcap.c - the whole packet path on a capture file: libpcap's reader,
 * link, IP, TCP, the connection table, reassembly and the --flows report.
 *
 * The input is a pcap/pcapng file.  Every TCP port is followed, so each
 * segment reaches reassembly, and the table is small so eviction and the
 * memory cap are exercised too.  Built with libFuzzer (make fuzz) or with
 * fuzz/replay.c for any compiler (make test replays the corpus).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyze/flows_report.h"
#include "capture/cap_pipe.h"
#include "capture/cap_source.h"
#include "capture/tcp_flow.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[] = "/tmp/mxw-fuzz-XXXXXX";
    char errbuf[CAP_ERRBUF_SIZE];
    struct cap_ports ports;
    struct cap_counters ctr = {0};
    struct tcp_flow_config fc = {.max_flows = 16, .memcap = 64 * 1024,
                                 .max_pending = 4096, .max_ooo = 4096};
    struct flows_report fr = {0};
    struct cap_source *src;
    struct tcp_flow_table *tab;
    struct cap_packet pkt;
    int fd = mkstemp(path);

    if (fd < 0)
        return 0;
    /* libpcap reads files by name; a temporary file keeps the target honest
     * about what a user's capture goes through. */
    if (write(fd, data, size) != (ssize_t)size) {
        close(fd);
        unlink(path);
        return 0;
    }
    close(fd);
    src = cap_source_new();
    if (!src || cap_source_add_file(src, path, NULL, errbuf) < 0) {
        cap_source_free(src);
        unlink(path);
        return 0;
    }
    cap_ports_init(&ports);
    ports.any = true;
    fr.out = fopen("/dev/null", "w");
    fr.json = size & 1;
    fr.src = src;
    tab = tcp_flow_table_new(&fc, flows_report_cbs(), &fr);
    if (tab && fr.out) {
        while (cap_source_next(src, &pkt) == CAP_NEXT_PACKET)
            cap_pipe_packet(&ports, tab, &pkt, &ctr);
    }
    tcp_flow_table_free(tab);
    if (fr.out)
        fclose(fr.out);
    cap_source_free(src);
    unlink(path);
    return 0;
}
