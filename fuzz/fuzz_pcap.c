/*
 * fuzz_pcap.c - the whole packet path on a capture file: libpcap's reader,
 * link, IP, TCP, the connection table, reassembly, the session layer (SMTP,
 * STARTTLS, TLS), certificates through OpenSSL, the verdicts (expectations,
 * chain verification against the system store, names, strength), the
 * server table, and the reports (text or JSON, with the transcript), wired
 * by report_run_open as main.c wires them; or the --flows report for one
 * input in four.
 *
 * The input is a pcap/pcapng file.  Every TCP port counts as a mail port, so
 * each segment reaches the dissectors, and the table is small so eviction
 * and the memory cap are exercised too.  Built with libFuzzer (make fuzz) or
 * with fuzz/replay.c for any compiler (make test replays the corpus).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz/fuzz_file.h"
#include "analyze/expect.h"
#include "analyze/pipeline.h"
#include "analyze/verify.h"
#include "capture/cap_pipe.h"
#include "capture/cap_source.h"
#include "capture/tcp_flow.h"
#include "dissect/session.h"
#include "report/flows_report.h"
#include "report/report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The trust store and the expectations are made once: loading the system
 * store for every input would be most of the run.  Both are read-only for
 * the judge apart from the store's verdict cache, which is bounded. */
static struct verify_store *g_store;
static struct expect_set *g_expect;

static void setup_once(void)
{
    char err[256];

    if (g_store != NULL)
        return;
    g_store = verify_store_new(NULL, NULL, err, sizeof(err));
    g_expect = expect_new();
    if (g_expect != NULL) {
        expect_add(g_expect, "mail.example.test=name:mail.example.test", "fuzz", err, sizeof(err));
        expect_add(g_expect, "192.0.2.1:25=issuer:Example", "fuzz", err, sizeof(err));
        expect_add(g_expect, "sha256:4AC5504FE2FE082D23F5D178B375510A852F59E2CB263F7FF2D0FF74A4DED0C1",
                   "fuzz", err, sizeof(err));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[] = "/tmp/mxw-fuzz-XXXXXX";
    char errbuf[CAP_ERRBUF_SIZE];
    struct cap_ports ports;
    struct cap_counters ctr = {0};
    struct tcp_flow_config fc = {.max_flows = 16, .memcap = 64 * 1024,
                                 .max_pending = 4096, .max_ooo = 4096};
    struct flows_report fr = {0};
    struct report_run run = {0};
    bool running = false;
    struct tcp_flow_table *tab = NULL;
    struct cap_source *src;
    struct cap_packet pkt;

    /* libpcap reads files by name; a temporary file keeps the target honest
     * about what a user's capture goes through. */
    if (fuzz_file(path, data, size) < 0)
        return 0;
    src = cap_source_new();
    if (!src || cap_source_add_file(src, path, NULL, errbuf) < 0) {
        cap_source_free(src);
        unlink(path);
        return 0;
    }
    cap_ports_init(&ports);
    for (unsigned p = 1; p < 65536; p++)
        cap_ports_add(&ports, (uint16_t)p);
    fr.out = fopen("/dev/null", "w");
    fr.json = size & 1;
    fr.src = src;
    if (fr.out && size % 4 == 3) {
        tab = tcp_flow_table_new(&fc, flows_report_cbs(), &fr);
    } else if (fr.out) {
        struct report_opts ro = {.json = size & 1, .transcript = size & 2};
        struct session_opts so = {.transcript = size & 2, .redact = size & 4, .ports = &ports};
        struct pipeline_opts po = {.expect = g_expect, .store = g_store, .x509_cache = 8,
                                   .src = src};

        setup_once();
        po.expect = g_expect;
        po.store = g_store;
        /* one input in eight is judged as of another time; one in sixteen
         * with a server table of two, so that evictions happen */
        po.at_set = size % 8 == 5;
        po.at = 1400000000;
        po.max_servers = size % 16 == 9 ? 2 : 0;
        if (report_run_open(&run, &po, &ro, &so, fr.out) == 0) {
            running = true;
            tab = tcp_flow_table_new(&fc, session_layer_cbs(), run.sessions);
        }
    }
    if (tab) {
        while (cap_source_next(src, &pkt) == CAP_NEXT_PACKET)
            cap_pipe_packet(&ports, tab, &pkt, &ctr);
        tcp_flow_finish(tab);
        if (running)
            report_run_finish(&run);
    }
    tcp_flow_table_free(tab);
    if (running)
        report_run_close(&run);
    if (fr.out)
        fclose(fr.out);
    cap_source_free(src);
    unlink(path);
    return 0;
}
