/*
 * test_pcapng.c - the pcapng reader on files built here: both byte orders
 * (the same packets from each), several sections with their own
 * interfaces, link types, snapshot lengths and time stamp resolutions
 * (10^-9, 2^-20, 10^-3, if_tsoffset), Simple and obsolete Packet Blocks,
 * Decryption Secrets Blocks, blocks of unknown types, options; every
 * prefix of a small file and every byte of it changed (no crash, and a
 * message naming the block's offset, the packets before the damage
 * unchanged); each kind of bad length by name; cap_source on top (a point
 * per interface, labels, a filter program per link type, the secrets); and
 * every pcapng of pcaps/ and ../shared/pcaps read by both this reader and
 * libpcap: the same packets, bytes and time stamps; and a file of several
 * megabytes, blocks across the edges of the reader's window and larger
 * than it, read whole and cut inside its blocks, as a file and a stream.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture/cap_source.h"
#include "capture/pcapng.h"
#include "tests/dyn.h"

/* ---- a pcapng writer for the tests ---- */

struct ng {
    uint8_t b[1 << 16];
    size_t n;
    bool be;
    size_t blk;   /* start of the open block */
};

static void w8(struct ng *g, uint8_t v)
{
    assert_true(g->n < sizeof(g->b));
    g->b[g->n++] = v;
}

static void w16(struct ng *g, uint16_t v)
{
    if (g->be) {
        w8(g, (uint8_t)(v >> 8));
        w8(g, (uint8_t)v);
    } else {
        w8(g, (uint8_t)v);
        w8(g, (uint8_t)(v >> 8));
    }
}

static void w32(struct ng *g, uint32_t v)
{
    if (g->be) {
        w16(g, (uint16_t)(v >> 16));
        w16(g, (uint16_t)v);
    } else {
        w16(g, (uint16_t)v);
        w16(g, (uint16_t)(v >> 16));
    }
}

static void w64(struct ng *g, uint64_t v)
{
    if (g->be) {
        w32(g, (uint32_t)(v >> 32));
        w32(g, (uint32_t)v);
    } else {
        w32(g, (uint32_t)v);
        w32(g, (uint32_t)(v >> 32));
    }
}

static void wbytes(struct ng *g, const void *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        w8(g, ((const uint8_t *)p)[i]);
    while (g->n % 4)
        w8(g, 0);
}

static void put32_at(struct ng *g, size_t at, uint32_t v)
{
    size_t n = g->n;

    g->n = at;
    w32(g, v);
    g->n = n;
}

static void begin(struct ng *g, uint32_t type)
{
    g->blk = g->n;
    w32(g, type);
    w32(g, 0);
}

static void end(struct ng *g)
{
    uint32_t len = (uint32_t)(g->n - g->blk + 4);

    put32_at(g, g->blk + 4, len);
    w32(g, len);
}

static void opt(struct ng *g, uint16_t code, const void *v, uint16_t len)
{
    w16(g, code);
    w16(g, len);
    wbytes(g, v, len);
}

static void opt_end(struct ng *g)
{
    w32(g, 0);
}

static void shb(struct ng *g, bool be)
{
    g->be = be;
    begin(g, 0x0a0d0d0a);
    w32(g, 0x1a2b3c4d);
    w16(g, 1);
    w16(g, 0);
    w64(g, UINT64_MAX);
    opt(g, 4, "test_pcapng", 11);   /* shb_userappl */
    opt_end(g);
    end(g);
}

/* idb: |tsresol| < 0 for none; |tsoffset| written when |has_off| */
static void idb(struct ng *g, uint16_t lt, uint32_t snap, const char *name, const char *desc,
                int tsresol, bool has_off, int64_t tsoffset)
{
    begin(g, 1);
    w16(g, lt);
    w16(g, 0);
    w32(g, snap);
    if (name)
        opt(g, 2, name, (uint16_t)strlen(name));
    if (desc)
        opt(g, 3, desc, (uint16_t)strlen(desc));
    if (tsresol >= 0) {
        uint8_t v = (uint8_t)tsresol;

        opt(g, 9, &v, 1);
    }
    if (has_off) {
        w16(g, 14);
        w16(g, 8);
        w64(g, (uint64_t)tsoffset);
    }
    opt(g, 12, "Linux", 5);   /* if_os: read and not kept */
    opt_end(g);
    end(g);
}

static void epb(struct ng *g, uint32_t ifc, uint64_t ts, const void *p, uint32_t caplen,
                uint32_t wirelen)
{
    begin(g, 6);
    w32(g, ifc);
    w32(g, (uint32_t)(ts >> 32));
    w32(g, (uint32_t)ts);
    w32(g, caplen);
    w32(g, wirelen);
    wbytes(g, p, caplen);
    opt(g, 1, "a comment", 9);
    opt_end(g);
    end(g);
}

static void pb(struct ng *g, uint16_t ifc, uint64_t ts, const void *p, uint32_t caplen)
{
    begin(g, 2);
    w16(g, ifc);
    w16(g, 0);
    w32(g, (uint32_t)(ts >> 32));
    w32(g, (uint32_t)ts);
    w32(g, caplen);
    w32(g, caplen);
    wbytes(g, p, caplen);
    end(g);
}

static void spb(struct ng *g, const void *p, uint32_t len)
{
    begin(g, 3);
    w32(g, len);
    wbytes(g, p, len);
    end(g);
}

static void dsb(struct ng *g, uint32_t type, const char *s)
{
    begin(g, 10);
    w32(g, type);
    w32(g, (uint32_t)strlen(s));
    wbytes(g, s, strlen(s));
    end(g);
}

static void other(struct ng *g, uint32_t type, size_t n)
{
    begin(g, type);
    for (size_t i = 0; i < n; i++)
        w8(g, (uint8_t)(i * 7));
    while (g->n % 4)
        w8(g, 0);
    end(g);
}

/* ---- reading ---- */

/* open_bytes: a stream of |n| bytes, a real file (its size known to the
 * reader) or a memory stream (no size, as for a pipe) */
static FILE *open_bytes(const uint8_t *p, size_t n, bool file)
{
    FILE *f;

    if (file || n == 0) {
        f = tmpfile();
        assert_non_null(f);
        assert_int_equal(fwrite(p, 1, n, f), n);
        rewind(f);
        return f;
    }
    f = fmemopen((void *)(uintptr_t)p, n, "r");
    assert_non_null(f);
    return f;
}

/* read_all describes every interface, packet and secret, then how the file
 * ended: the text the byte orders and the prefixes are compared by.
 * Returns pcapng_next's last result (0 clean end, -1 error), or -2 when the
 * file did not open. */
static int read_all(const uint8_t *p, size_t n, bool file, struct dyn *d, char *err)
{
    FILE *f = open_bytes(p, n, file);
    struct pcapng *r = pcapng_open(f, err);
    struct pcapng_packet pkt;
    size_t shown = 0;
    int rc;

    if (r == NULL) {
        fclose(f);
        dyn_printf(d, "open failed\n");
        return -2;
    }
    while ((rc = pcapng_next(r, &pkt)) == 1) {
        for (; shown < pcapng_niface(r); shown++) {
            const struct pcapng_iface *i = pcapng_iface(r, shown);

            dyn_printf(d, "if %zu: section %u type %u snap %u res %llu off %lld name %s desc %s\n",
                       shown, i->section, i->linktype, i->snaplen,
                       (unsigned long long)i->tsresol, (long long)i->tsoffset,
                       i->name ? i->name : "-", i->description ? i->description : "-");
        }
        dyn_printf(d, "pkt if %zu ts %llu cap %u wire %u:", pkt.iface,
                   (unsigned long long)pkt.ts_us, pkt.caplen, pkt.wirelen);
        for (uint32_t k = 0; k < pkt.caplen; k++)
            dyn_printf(d, "%02x", pkt.data[k]);
        dyn_printf(d, "\n");
    }
    /* after the end, the same end again */
    assert_int_equal(pcapng_next(r, &pkt), rc);
    for (size_t i = 0; i < pcapng_nsecrets(r); i++) {
        const struct pcapng_secret *s = pcapng_secret(r, i);

        dyn_printf(d, "secret %08x %zu\n", (unsigned)s->type, s->len);
    }
    snprintf(err, PCAPNG_ERRBUF_SIZE, "%s", pcapng_error(r));
    if (rc < 0)
        assert_true(err[0] != '\0');
    else
        assert_string_equal(err, "");
    pcapng_free(r);
    fclose(f);
    return rc;
}

static const uint8_t frame_a[] = "0123456789abcdefghij";  /* 20 bytes + NUL */
static const uint8_t frame_b[] = {0x45, 0, 0, 20, 1, 2, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2};

/* build_mixed: two sections (the second in the other byte order) with
 * three interfaces, every packet block, secrets and foreign blocks. */
static void build_mixed(struct ng *g, bool be)
{
    memset(g, 0, sizeof(*g));
    shb(g, be);
    dsb(g, PCAPNG_SECRETS_TLS, "CLIENT_RANDOM 00 11\n");
    idb(g, 1, 65535, "outside", NULL, 9, false, 0);           /* ns */
    idb(g, 101, 1500, NULL, "the inner side", 0x94, true, 1000); /* 2^-20 s, +1000 s */
    other(g, 4, 12);                /* name resolution */
    epb(g, 0, 1700000000123456789ull, frame_a, 20, 60);
    epb(g, 1, ((uint64_t)1700000000 << 20) | (1u << 19), frame_b, sizeof(frame_b), 20);
    spb(g, frame_a, 17);
    other(g, 0x80000001u, 5);       /* a local-use block */
    other(g, 5, 20);                /* interface statistics */
    pb(g, 1, (uint64_t)1700000001 << 20, frame_b, 12);
    shb(g, !be);
    idb(g, 228, 0, "v4", NULL, 3, true, -100);                 /* ms, -100 s */
    epb(g, 0, 1700000002345ull, frame_b, sizeof(frame_b), sizeof(frame_b));
    other(g, 0x00000bad, 0);
    dsb(g, 0x57474b4c, "wireguard");
}

static void test_mixed(void **state)
{
    static const char *const want =
        "if 0: section 0 type 1 snap 65535 res 1000000000 off 0 name outside desc -\n"
        "if 1: section 0 type 101 snap 1500 res 1048576 off 1000 name - desc the inner side\n"
        "pkt if 0 ts 1700000000123456 cap 20 wire 60:303132333435363738396162636465666768696a\n"
        "pkt if 1 ts 1700001000500000 cap 20 wire 20:4500001401020000400600000a0000010a000002\n"
        "pkt if 0 ts 0 cap 17 wire 17:3031323334353637383961626364656667\n"
        "pkt if 1 ts 1700001001000000 cap 12 wire 12:450000140102000040060000\n"
        "if 2: section 1 type 228 snap 0 res 1000 off -100 name v4 desc -\n"
        "pkt if 2 ts 1699999902345000 cap 20 wire 20:4500001401020000400600000a0000010a000002\n"
        "secret 544c534b 20\n"
        "secret 57474b4c 9\n";
    static struct ng g;
    char err[PCAPNG_ERRBUF_SIZE];

    (void)state;
    for (int be = 0; be < 2; be++) {
        for (int file = 0; file < 2; file++) {
            struct dyn d = {0};

            build_mixed(&g, be);
            if (read_all(g.b, g.n, file, &d, err) != 0)
                fail_msg("byte order %s, %s: %s", be ? "big" : "little", file ? "file" : "stream",
                         err);
            assert_string_equal(d.p, want);
            dyn_free(&d);
        }
    }
}

/* every prefix: the packets of the whole blocks in it, then an error
 * naming the truncated block's offset (or the empty file) */
static void test_every_prefix(void **state)
{
    static struct ng g;
    char err[PCAPNG_ERRBUF_SIZE], whole_err[PCAPNG_ERRBUF_SIZE];
    struct dyn whole = {0};

    (void)state;
    build_mixed(&g, false);
    assert_int_equal(read_all(g.b, g.n, true, &whole, whole_err), 0);
    *strstr(whole.p, "secret ") = '\0';   /* the packets and interfaces only */
    for (size_t n = 0; n < g.n; n++) {
        for (int file = 0; file < 2; file++) {
            struct dyn d = {0};
            int rc = read_all(g.b, n, file, &d, err);
            char *sec = d.p ? strstr(d.p, "secret ") : NULL;

            if (n < 28) /* no whole Section Header Block: the file does not open */
                assert_int_equal(rc, -2);
            if (rc == -2)
                assert_true(strstr(err, "truncated") || strstr(err, "empty file"));
            else if (rc == -1)
                assert_non_null(strstr(err, "truncated"));
            if (rc != 0)
                assert_non_null(strstr(err, "block at offset "));
            /* what was read is the start of what the whole file gives */
            if (sec)
                *sec = '\0';
            if (rc != -2 && d.p)
                assert_memory_equal(d.p, whole.p, strlen(d.p));
            dyn_free(&d);
        }
    }
    dyn_free(&whole);
}

/* every byte changed three ways: the reader ends, and never reads past
 * the file (the sanitizers watch); an error names an offset */
static void test_every_byte(void **state)
{
    static struct ng g, m;
    char err[PCAPNG_ERRBUF_SIZE];

    (void)state;
    build_mixed(&g, true);
    for (size_t i = 0; i < g.n; i++) {
        static const uint8_t vals[] = {0x00, 0xff, 0x7f};

        for (size_t v = 0; v < sizeof(vals) + 1; v++) {
            struct dyn d = {0};
            int rc;

            m = g;
            m.b[i] = v < sizeof(vals) ? vals[v] : (uint8_t)(g.b[i] + 1);
            rc = read_all(m.b, m.n, i % 2 == 0, &d, err);
            if (rc != 0)
                assert_non_null(strstr(err, "block at offset "));
            dyn_free(&d);
        }
    }
}

/* expect_error: |g| fails (at open or after some packets) with |what| at |off| */
static void expect_error(const struct ng *g, bool file, uint64_t off, const char *what)
{
    char err[PCAPNG_ERRBUF_SIZE], want[64];
    struct dyn d = {0};
    int rc = read_all(g->b, g->n, file, &d, err);

    snprintf(want, sizeof(want), "block at offset %llu: ", (unsigned long long)off);
    if (rc >= 0 || strstr(err, want) == NULL || strstr(err, what) == NULL)
        fail_msg("want an error \"%s...%s\", got %d \"%s\"", want, what, rc, err);
    dyn_free(&d);
}

static void test_bad_lengths(void **state)
{
    static struct ng g;
    size_t at;

    (void)state;
    /* misaligned, too small, absurd, past the end, disagreeing trailer */
    static const struct {
        uint32_t len;
        const char *what;
    } cases[] = {
        {13, "not a multiple of 4"},
        {8, "too small"},
        {0, "too small"},
        {0x7ffffff0u, "over the limit"},
        {0xfffffffcu, "over the limit"},
        {1024, "truncated"},
    };
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        for (int file = 0; file < 2; file++) {
            memset(&g, 0, sizeof(g));
            shb(&g, false);
            idb(&g, 1, 0, NULL, NULL, -1, false, 0);
            epb(&g, 0, 1, frame_a, 20, 20);
            at = g.n;
            epb(&g, 0, 2, frame_a, 20, 20);
            put32_at(&g, at + 4, cases[c].len);
            expect_error(&g, file, at, cases[c].what);
        }
    }
    /* the trailing length differs */
    memset(&g, 0, sizeof(g));
    shb(&g, true);
    idb(&g, 1, 0, NULL, NULL, -1, false, 0);
    at = g.n;
    epb(&g, 0, 2, frame_a, 20, 20);
    put32_at(&g, g.n - 4, 44);
    expect_error(&g, true, at, "trailing length 44 differs");
    /* garbage after the Section Header Block: the file does not open */
    memset(&g, 0, sizeof(g));
    shb(&g, false);
    at = g.n;
    memcpy(g.b + g.n, "garbage!", 8);
    g.n += 8;
    expect_error(&g, false, at, "not a multiple of 4");
    expect_error(&g, true, at, "not a multiple of 4");
    /* not a pcapng at all, and a bad byte-order magic */
    memset(&g, 0, sizeof(g));
    shb(&g, false);
    g.b[0] = 0x0b;
    expect_error(&g, true, 0, "not a pcapng file");
    memset(&g, 0, sizeof(g));
    shb(&g, false);
    g.b[8] = 0x11;
    expect_error(&g, true, 0, "byte-order magic");
}

static void test_bad_blocks(void **state)
{
    static struct ng g;
    size_t at;
    char err[PCAPNG_ERRBUF_SIZE];
    struct dyn d = {0};

    (void)state;
    /* a packet of an interface the section does not describe */
    memset(&g, 0, sizeof(g));
    shb(&g, false);
    idb(&g, 1, 0, NULL, NULL, -1, false, 0);
    epb(&g, 0, 1, frame_a, 20, 20);
    at = g.n;
    epb(&g, 1, 2, frame_a, 20, 20);
    expect_error(&g, true, at, "packet of interface 1, but the section describes 1");
    /* a new section forgets the interfaces of the last one */
    memset(&g, 0, sizeof(g));
    shb(&g, false);
    idb(&g, 1, 0, NULL, NULL, -1, false, 0);
    shb(&g, false);
    at = g.n;
    spb(&g, frame_a, 20);
    expect_error(&g, true, at, "packet of interface 0, but the section describes 0");
    /* a captured length past the block */
    memset(&g, 0, sizeof(g));
    shb(&g, false);
    idb(&g, 1, 0, NULL, NULL, -1, false, 0);
    at = g.n;
    epb(&g, 0, 1, frame_a, 20, 20);
    put32_at(&g, at + 20, 200);
    expect_error(&g, true, at, "captured length 200 runs past the block");
    /* if_tsresol too fine, and an option past its block */
    memset(&g, 0, sizeof(g));
    shb(&g, false);
    at = g.n;
    idb(&g, 1, 0, NULL, NULL, 0xc0, false, 0);
    expect_error(&g, true, at, "if_tsresol 2^-64");
    memset(&g, 0, sizeof(g));
    shb(&g, false);
    at = g.n;
    idb(&g, 1, 0, NULL, NULL, 20, false, 0);
    expect_error(&g, true, at, "if_tsresol 10^-20");
    memset(&g, 0, sizeof(g));
    shb(&g, false);
    at = g.n;
    idb(&g, 1, 0, "eth0", NULL, -1, false, 0);
    g.b[at + 18] = 0xff;   /* if_name's length: past the block */
    expect_error(&g, true, at, "an option runs past the block");
    /* version 2 is not read */
    memset(&g, 0, sizeof(g));
    shb(&g, false);
    g.b[12] = 2;
    expect_error(&g, true, 0, "version 2.0");
    /* SPB: no more than the snapshot length, nor than the block holds */
    memset(&g, 0, sizeof(g));
    shb(&g, false);
    idb(&g, 1, 8, NULL, NULL, -1, false, 0);
    spb(&g, frame_a, 20);
    assert_int_equal(read_all(g.b, g.n, true, &d, err), 0);
    assert_non_null(strstr(d.p, "pkt if 0 ts 0 cap 8 wire 20:3031323334353637\n"));
    dyn_free(&d);
    /* a file with no packets opens, and ends */
    memset(&g, 0, sizeof(g));
    shb(&g, false);
    assert_int_equal(read_all(g.b, g.n, false, &d, err), 0);
    assert_int_equal(d.len, 0);
    dyn_free(&d);
}

/* ---- cap_source on pcapng ---- */

static void write_file(const char *path, const struct ng *g)
{
    FILE *f = fopen(path, "wb");

    assert_non_null(f);
    assert_int_equal(fwrite(g->b, 1, g->n, f), g->n);
    fclose(f);
}

/* an Ethernet frame of IPv4/TCP to port |dport| */
static size_t tcp_frame(uint8_t *p, uint16_t dport)
{
    static const uint8_t hdr[] = {
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00,
        0x45, 0, 0, 40, 0, 1, 0, 0, 64, 6, 0, 0, 192, 0, 2, 1, 192, 0, 2, 2,
        0x30, 0x39, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0x10, 0, 0, 0, 0, 0,
    };

    memcpy(p, hdr, sizeof(hdr));
    p[36] = (uint8_t)(dport >> 8);
    p[37] = (uint8_t)dport;
    return sizeof(hdr);
}

static void test_cap_source(void **state)
{
    static struct ng g;
    char path[] = "/tmp/mxw-test-pcapng-XXXXXX", errbuf[CAP_ERRBUF_SIZE];
    uint8_t f25[64], f80[64];
    size_t n25 = tcp_frame(f25, 25), n80 = tcp_frame(f80, 80);
    struct cap_source *src;
    struct cap_packet pkt;
    struct cap_secret sec;
    unsigned seen[4] = {0};
    int fd = mkstemp(path);

    (void)state;
    assert_true(fd >= 0);
    close(fd);
    memset(&g, 0, sizeof(g));
    shb(&g, false);
    dsb(&g, PCAPNG_SECRETS_TLS, "CLIENT_RANDOM aa bb\n");
    idb(&g, 1, 262144, "outside", NULL, 9, false, 0);
    idb(&g, 1, 65535, NULL, "inside port", -1, false, 0);
    idb(&g, 1, 1500, NULL, NULL, -1, false, 0);
    idb(&g, 1, 1500, NULL, NULL, -1, false, 0);
    epb(&g, 0, 3000000000ull, f25, (uint32_t)n25, (uint32_t)n25);   /* 3 s */
    epb(&g, 1, 1000000, f25, (uint32_t)n25, (uint32_t)n25);         /* 1 s */
    epb(&g, 1, 2000000, f80, (uint32_t)n80, (uint32_t)n80);
    epb(&g, 2, 4000000, f25, (uint32_t)n25, (uint32_t)n25);
    epb(&g, 3, 5000000, f25, (uint32_t)n25, (uint32_t)n25);
    write_file(path, &g);

    src = cap_source_new();
    assert_int_equal(cap_source_add_file(src, path, "file", errbuf), 0);
    assert_int_equal(cap_source_ninputs(src), 4);
    assert_string_equal(cap_source_input(src, 0)->label, "outside");
    assert_string_equal(cap_source_input(src, 1)->label, "inside port");
    assert_string_equal(cap_source_input(src, 2)->label, "file");
    assert_string_equal(cap_source_input(src, 3)->label, "file#3");
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(cap_source_input(src, i)->file, 0);
        assert_int_equal(cap_source_input(src, i)->dlt, DLT_EN10MB);
    }
    assert_int_equal(cap_source_nsecrets(src), 1);
    assert_true(cap_source_secret(src, 0, &sec));
    assert_int_equal(sec.type, 0x544c534b);
    assert_int_equal(sec.len, 20);
    assert_memory_equal(sec.data, "CLIENT_RANDOM aa bb\n", 20);
    assert_false(cap_source_secret(src, 1, &sec));
    assert_int_equal(cap_source_set_filter(src, "tcp dst port 25", errbuf), 0);
    while (cap_source_next(src, &pkt) == CAP_NEXT_PACKET) {
        assert_true(pkt.input < 4);
        assert_int_equal(pkt.caplen, n25);
        seen[pkt.input]++;
    }
    /* the port-80 packet filtered out; the rest, each at its point */
    assert_int_equal(seen[0], 1);
    assert_int_equal(seen[1], 1);
    assert_int_equal(seen[2], 1);
    assert_int_equal(seen[3], 1);
    assert_int_equal(cap_source_input(src, 1)->packets, 1);
    assert_int_equal(cap_source_input(src, 0)->first_us, 3000000);
    assert_string_equal(cap_source_input(src, 0)->error, "");
    cap_source_free(src);

    /* one interface: the file's label; a truncated last block: the packets
     * before it, then the reason on the file's input */
    memset(&g, 0, sizeof(g));
    shb(&g, true);
    idb(&g, 1, 0, "eth0", NULL, -1, false, 0);
    epb(&g, 0, 1, f25, (uint32_t)n25, (uint32_t)n25);
    epb(&g, 0, 2, f25, (uint32_t)n25, (uint32_t)n25);
    g.n -= 10;
    write_file(path, &g);
    src = cap_source_new();
    assert_int_equal(cap_source_add_file(src, path, NULL, errbuf), 0);
    assert_int_equal(cap_source_ninputs(src), 1);
    assert_string_equal(cap_source_input(src, 0)->label, strrchr(path, '/') + 1);
    assert_int_equal(cap_source_next(src, &pkt), CAP_NEXT_PACKET);
    assert_int_equal(cap_source_next(src, &pkt), CAP_NEXT_END);
    assert_non_null(strstr(cap_source_input(src, 0)->error, "truncated block"));
    assert_true(cap_source_input(src, 0)->ended);
    cap_source_free(src);

    /* damaged before the first packet: the file does not open */
    memset(&g, 0, sizeof(g));
    shb(&g, false);
    memcpy(g.b + g.n, "garbage!", 8);
    g.n += 8;
    write_file(path, &g);
    src = cap_source_new();
    assert_int_equal(cap_source_add_file(src, path, NULL, errbuf), -1);
    assert_non_null(strstr(errbuf, path));
    assert_non_null(strstr(errbuf, "block at offset 48"));
    assert_int_equal(cap_source_ninputs(src), 0);
    cap_source_free(src);
    unlink(path);
}

/* ---- against libpcap ---- */

/* compare_file reads |path| with both readers: the same packets, bytes
 * and time stamps, as far as libpcap reads; 1 compared, 0 not a pcapng or
 * not one libpcap opens. */
static int compare_file(const char *path, unsigned long *npackets)
{
    char pe[PCAP_ERRBUF_SIZE], err[PCAPNG_ERRBUF_SIZE];
    uint8_t magic[4] = {0};
    FILE *f = fopen(path, "rb");
    struct pcapng_packet pkt;
    struct pcap_pkthdr *h;
    const u_char *data;
    struct pcapng *r;
    pcap_t *p;
    int rc, prc;
    unsigned long n = 0;

    if (f == NULL)
        return 0;
    if (fread(magic, 1, 4, f) != 4 || !pcapng_is_magic(magic, 4) ||
        (p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_MICRO, pe)) ==
            NULL) {
        fclose(f);
        return 0;
    }
    rewind(f);
    r = pcapng_open(f, err);
    if (r == NULL)
        fail_msg("%s: libpcap opens it, we do not: %s", path, err);
    while ((prc = pcap_next_ex(p, &h, &data)) == 1) {
        rc = pcapng_next(r, &pkt);
        if (rc != 1)
            fail_msg("%s: packet %lu: libpcap reads one, we end (%s)", path, n + 1,
                     pcapng_error(r));
        if (pkt.caplen != h->caplen || pkt.wirelen != h->len ||
            memcmp(pkt.data, data, h->caplen) != 0 ||
            pkt.ts_us != (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec)
            fail_msg("%s: packet %lu differs: caplen %u/%u len %u/%u ts %llu/%lld.%06ld", path,
                     n + 1, pkt.caplen, h->caplen, pkt.wirelen, h->len,
                     (unsigned long long)pkt.ts_us, (long long)h->ts.tv_sec,
                     (long)h->ts.tv_usec);
        n++;
    }
    /* where libpcap read to the end, so did we */
    if (prc == PCAP_ERROR_BREAK && (rc = pcapng_next(r, &pkt)) != 0)
        fail_msg("%s: libpcap ends after %lu packets, we go on (%d, %s)", path, n, rc,
                 pcapng_error(r));
    pcapng_free(r);
    pcap_close(p);
    fclose(f);
    *npackets += n;
    return 1;
}

static unsigned compare_dir(const char *dir, unsigned long *npackets)
{
    DIR *dp = opendir(dir);
    struct dirent *de;
    unsigned files = 0;

    if (dp == NULL)
        return 0;
    while ((de = readdir(dp)) != NULL) {
        char path[4096];

        if (de->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        files += (unsigned)compare_file(path, npackets);
    }
    closedir(dp);
    return files;
}

static void test_against_libpcap(void **state)
{
    static const char *const dirs[] = {"pcaps", "../shared/pcaps/ndpi",
                                       "../shared/pcaps/wireshark", "../shared/pcaps/zeek"};
    static struct ng g;
    char path[] = "/tmp/mxw-test-pcapng-XXXXXX";
    unsigned long npackets = 0;
    unsigned files = 0;
    int fd = mkstemp(path);
    DIR *shared = opendir("../shared/pcaps");

    (void)state;
    /* our own files of one interface, which libpcap reads too */
    assert_true(fd >= 0);
    close(fd);
    for (int be = 0; be < 2; be++) {
        memset(&g, 0, sizeof(g));
        shb(&g, be);
        idb(&g, 1, 262144, "eth0", NULL, 0x94, true, 7);
        epb(&g, 0, ((uint64_t)1700000000 << 20) | 12345, frame_a, 20, 60);
        pb(&g, 0, ((uint64_t)1700000001 << 20) | 999999, frame_b, 12);
        spb(&g, frame_a, 20);
        shb(&g, be);
        idb(&g, 1, 262144, "eth1", NULL, 9, false, 0);
        epb(&g, 0, 1700000002999999999ull, frame_b, 20, 20);
        write_file(path, &g);
        assert_int_equal(compare_file(path, &npackets), 1);
    }
    unlink(path);
    assert_int_equal(npackets, 8);
    for (size_t d = 0; d < sizeof(dirs) / sizeof(dirs[0]); d++)
        files += compare_dir(dirs[d], &npackets);
    if (shared == NULL) {
        print_message("../shared/pcaps not found: the third-party pcapng files are not compared\n");
        skip();
    }
    closedir(shared);
    print_message("%u pcapng files, %lu packets the same as libpcap's\n", files, npackets - 8);
    assert_true(files >= 5);
}

/* ---- a file larger than the reader's window ---- */

static void le32(struct dyn *d, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};

    dyn_add(d, b, 4);
}

/* big_caplen: packet |i|'s length; a spread of sizes so that blocks start
 * and end at every kind of place across the window's edges, and two that
 * are larger than the window itself (256 KiB), the second larger still. */
static uint32_t big_caplen(unsigned i)
{
    if (i == 100)
        return 300000;
    if (i == 400)
        return 1200001;
    return (uint32_t)((i * 7919u) % 9000u + 1);
}

static uint8_t big_byte(unsigned i, uint32_t k)
{
    return (uint8_t)(i * 31u + k * 7u);
}

#define BIG_PACKETS 700u

/* build_big: a little-endian section, one Ethernet interface of no
 * snapshot limit, BIG_PACKETS Enhanced Packet Blocks; |starts| gets each
 * block's offset. */
static void build_big(struct dyn *d, uint64_t *starts)
{
    static const uint8_t zero[4] = {0};

    memset(d, 0, sizeof(*d));
    le32(d, 0x0a0d0d0a);           /* SHB: 28 bytes, no options */
    le32(d, 28);
    le32(d, 0x1a2b3c4d);
    le32(d, 1);                    /* major 1, minor 0 */
    le32(d, 0xffffffffu);          /* section length: not given */
    le32(d, 0xffffffffu);
    le32(d, 28);
    le32(d, 1);                    /* IDB: linktype 1, snaplen 0 */
    le32(d, 20);
    le32(d, 1);
    le32(d, 0);
    le32(d, 20);
    for (unsigned i = 0; i < BIG_PACKETS; i++) {
        uint32_t cap = big_caplen(i), pad = (4 - cap % 4) % 4, len = 32 + cap + pad;
        uint64_t ts = 1700000000000000ull + i;

        starts[i] = d->len;
        le32(d, 6);
        le32(d, len);
        le32(d, 0);
        le32(d, (uint32_t)(ts >> 32));
        le32(d, (uint32_t)ts);
        le32(d, cap);
        le32(d, cap + 14);
        for (uint32_t k = 0; k < cap; k++) {
            uint8_t b = big_byte(i, k);

            dyn_add(d, &b, 1);
        }
        dyn_add(d, zero, pad);
        le32(d, len);
    }
}

/* read_big reads the first |n| bytes of the file as a file or a stream:
 * every packet checked byte by byte; returns the packets read and sets
 * |*rc| to the end pcapng_next gave. */
static unsigned read_big(const struct dyn *d, size_t n, bool file, int *rc, char *err)
{
    FILE *f = open_bytes((const uint8_t *)d->p, n, file);
    struct pcapng *r = pcapng_open(f, err);
    struct pcapng_packet pkt;
    unsigned got = 0;

    assert_non_null(r);
    while ((*rc = pcapng_next(r, &pkt)) == 1) {
        assert_int_equal(pkt.caplen, big_caplen(got));
        assert_int_equal(pkt.wirelen, big_caplen(got) + 14);
        assert_int_equal(pkt.ts_us, 1700000000000000ull + got);
        for (uint32_t k = 0; k < pkt.caplen; k++)
            if (pkt.data[k] != big_byte(got, k))
                fail_msg("%s: packet %u byte %u differs", file ? "file" : "stream", got, k);
        got++;
    }
    snprintf(err, PCAPNG_ERRBUF_SIZE, "%s", pcapng_error(r));
    if (*rc == 0)
        assert_int_equal(pcapng_offset(r), n);
    pcapng_free(r);
    fclose(f);
    return got;
}

static void test_window(void **state)
{
    static uint64_t starts[BIG_PACKETS];
    char err[PCAPNG_ERRBUF_SIZE], want[64];
    struct dyn d;
    int rc;

    (void)state;
    build_big(&d, starts);
    assert_true(d.len > (4u << 20));
    for (int file = 0; file < 2; file++) {
        assert_int_equal(read_big(&d, d.len, file, &rc, err), BIG_PACKETS);
        assert_int_equal(rc, 0);
        assert_string_equal(err, "");
    }
    /* cut inside the large blocks and in blocks past several windows: the
     * packets before are whole, and the error names the cut block */
    for (unsigned i = 99; i < BIG_PACKETS; i += 150) {
        for (uint64_t into = 0; into < 3; into++) {
            uint64_t cut = starts[i] + (into == 0 ? 1 : into == 1 ? 8 : big_caplen(i) / 2 + 20);

            for (int file = 0; file < 2; file++) {
                assert_int_equal(read_big(&d, (size_t)cut, file, &rc, err), i);
                assert_int_equal(rc, -1);
                snprintf(want, sizeof(want), "block at offset %llu: ",
                         (unsigned long long)starts[i]);
                if (strstr(err, want) == NULL || strstr(err, "truncated") == NULL)
                    fail_msg("cut at %llu (%s): \"%s\"", (unsigned long long)cut,
                             file ? "file" : "stream", err);
            }
        }
    }
    dyn_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mixed),
        cmocka_unit_test(test_every_prefix),
        cmocka_unit_test(test_every_byte),
        cmocka_unit_test(test_bad_lengths),
        cmocka_unit_test(test_bad_blocks),
        cmocka_unit_test(test_cap_source),
        cmocka_unit_test(test_against_libpcap),
        cmocka_unit_test(test_window),
    };

    return cmocka_run_group_tests_name("pcapng", tests, NULL, NULL);
}
