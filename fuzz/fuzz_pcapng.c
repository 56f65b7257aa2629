/*
 * fuzz_pcapng.c - the pcapng reader on its own: the input is the file, read
 * as a stream of unknown size (as standard input is) and as a regular file
 * (whose size bounds every block), every packet and secret touched, so a
 * read past a block or a length taken on trust shows under the sanitizers.
 * Then, for one input in four, the same bytes through cap_source with a
 * filter, which gives each interface its own program.  Built with
 * libFuzzer (make fuzz) or with fuzz/replay.c (make test replays the
 * corpus).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz/fuzz_file.h"
#include "capture/cap_source.h"
#include "capture/pcapng.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile uint8_t sink;

static void read_stream(FILE *f)
{
    char err[PCAPNG_ERRBUF_SIZE];
    struct pcapng *r = pcapng_open(f, err);
    struct pcapng_packet pkt;
    uint8_t x = 0;

    if (r == NULL)
        return;
    while (pcapng_next(r, &pkt) == 1) {
        const struct pcapng_iface *ifc = pcapng_iface(r, pkt.iface);

        for (uint32_t i = 0; i < pkt.caplen; i++)
            x ^= pkt.data[i];
        x ^= (uint8_t)(ifc->name ? strlen(ifc->name) : 0);
    }
    for (size_t i = 0; i < pcapng_nsecrets(r); i++) {
        const struct pcapng_secret *s = pcapng_secret(r, i);

        for (size_t k = 0; k < s->len; k++)
            x ^= s->data[k];
    }
    sink = x;
    pcapng_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[] = "/tmp/mxw-fuzz-pcapng-XXXXXX", errbuf[CAP_ERRBUF_SIZE];
    FILE *f = size ? fmemopen((void *)(uintptr_t)data, size, "r") : NULL;
    struct cap_source *src;
    struct cap_packet pkt;

    if (f != NULL) {
        read_stream(f);
        fclose(f);
    }
    if (fuzz_file(path, data, size) < 0)
        return 0;
    if ((f = fopen(path, "rb")) != NULL) {
        read_stream(f);
        fclose(f);
    }
    if (size % 4 == 1 && (src = cap_source_new()) != NULL) {
        if (cap_source_add_file(src, path, "fuzz", errbuf) == 0 &&
            cap_source_set_filter(src, "tcp port 25", errbuf) == 0) {
            while (cap_source_next(src, &pkt) == CAP_NEXT_PACKET)
                sink ^= pkt.caplen ? pkt.data[0] : 0;
        }
        cap_source_free(src);
    }
    unlink(path);
    return 0;
}
