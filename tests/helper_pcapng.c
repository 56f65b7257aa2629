/*
 * helper_pcapng.c - test helper: copy a pcapng, giving its Interface
 * Description Blocks the names (if_name) given, in file order, as a
 * capture by dumpcap on named interfaces would have them (mergecap keeps
 * the names of its inputs but makes none for a classic pcap).  Either byte
 * order, every section; other blocks are copied as they are.
 *
 *   helper_pcapng name IN OUT NAME...
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cbs.h"

static uint8_t in_buf[1 << 24], out_buf[(1 << 24) + 65536];
static size_t on;
static bool be;

static void put32(uint32_t v)
{
    for (int i = 0; i < 4; i++)
        out_buf[on++] = (uint8_t)(be ? v >> (24 - 8 * i) : v >> (8 * i));
}

static void put16(uint16_t v)
{
    out_buf[on++] = (uint8_t)(be ? v >> 8 : v);
    out_buf[on++] = (uint8_t)(be ? v : v >> 8);
}

static bool get32(struct cbs *c, uint32_t *v)
{
    return be ? cbs_get_u32(c, v) : cbs_get_u32le(c, v);
}

static bool get16(struct cbs *c, uint16_t *v)
{
    return be ? cbs_get_u16(c, v) : cbs_get_u16le(c, v);
}

int main(int argc, char **argv)
{
    FILE *f;
    size_t n;
    int next = 4;
    struct cbs file;

    if (argc < 5 || strcmp(argv[1], "name") != 0) {
        fprintf(stderr, "usage: helper_pcapng name IN OUT NAME...\n");
        return 2;
    }
    if ((f = fopen(argv[2], "rb")) == NULL) {
        perror(argv[2]);
        return 2;
    }
    n = fread(in_buf, 1, sizeof(in_buf), f);
    fclose(f);
    cbs_init(&file, in_buf, n);
    while (cbs_len(&file) > 0) {
        uint32_t type, len, len2, bom;
        struct cbs blk, body, peek;
        uint16_t lt, res;
        uint32_t snap;
        size_t start;

        peek = file;
        if (!get32(&peek, &type) || !cbs_skip(&peek, 4))
            goto bad;
        if (type == 0x0a0d0d0a) {
            if (!cbs_get_u32(&peek, &bom))
                goto bad;
            be = bom == 0x1a2b3c4d;
        }
        peek = file;
        if (!cbs_skip(&peek, 4) || !get32(&peek, &len) || len < 12 ||
            !cbs_get_bytes(&file, &blk, len))
            goto bad;
        if (type != 1 || next >= argc) {
            memcpy(out_buf + on, cbs_data(&blk), len);
            on += len;
            continue;
        }
        /* IDB: LinkType, Reserved, SnapLen, our if_name, the other options */
        cbs_init(&body, cbs_data(&blk) + 8, len - 12);
        if (!get16(&body, &lt) || !get16(&body, &res) || !get32(&body, &snap))
            goto bad;
        start = on;
        put32(1);
        put32(0);
        put16(lt);
        put16(res);
        put32(snap);
        put16(2);
        put16((uint16_t)strlen(argv[next]));
        memcpy(out_buf + on, argv[next], strlen(argv[next]));
        on += strlen(argv[next]);
        while (on % 4)
            out_buf[on++] = 0;
        next++;
        while (cbs_len(&body) >= 4) {
            uint16_t code, olen;
            struct cbs val;

            if (!get16(&body, &code) || !get16(&body, &olen) || code == 0 ||
                !cbs_get_bytes(&body, &val, olen))
                break;
            cbs_skip(&body, (4u - olen % 4u) % 4u);
            if (code == 2)
                continue;
            put16(code);
            put16(olen);
            memcpy(out_buf + on, cbs_data(&val), olen);
            on += olen;
            while (on % 4)
                out_buf[on++] = 0;
        }
        put32(0);
        len2 = (uint32_t)(on - start + 4);
        put32(len2);
        {
            size_t end = on;

            on = start + 4;
            put32(len2);
            on = end;
        }
    }
    if ((f = fopen(argv[3], "wb")) == NULL || fwrite(out_buf, 1, on, f) != on) {
        perror(argv[3]);
        return 2;
    }
    fclose(f);
    return 0;
bad:
    fprintf(stderr, "helper_pcapng: %s: not a pcapng this helper copies\n", argv[2]);
    return 2;
}
