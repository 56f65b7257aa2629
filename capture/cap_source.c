/*
 * cap_source.c - capture files and live interfaces through libpcap.
 *
 * Merging: each input holds at most one packet it has read but not yet
 * returned.  cap_source_next first refills the input whose packet it returned
 * last time (libpcap's buffer for that input is only valid until its next
 * read, and it is no longer needed), then returns the earliest pending packet
 * (ties go to the input given first).  That is a k-way merge in O(inputs)
 * per packet, which for the handful of capture points a user gives is
 * cheaper than a heap.
 *
 * Reading: libpcap reads a file with fread, so every packet is copied twice
 * (kernel to stdio buffer, stdio buffer to libpcap's); on a 300 MB capture
 * that was most of the bare read loop's time.  A classic pcap file in this
 * machine's byte order and with microsecond stamps is therefore read here
 * with large reads into one buffer of our own (READ_BUFFER bytes, reused,
 * so resident memory does not grow with the file and no page is faulted in
 * twice), record by record exactly as libpcap's reader takes them.  (A
 * sliding mmap window was tried first: populating and unmapping the pages
 * cost more system time than the copy it saved.)  The first record that is
 * anything but plain (a captured length over the snapshot length, a
 * truncated record, a read error) hands the file back to libpcap at that
 * record's offset, and libpcap reports or repairs it as it always does: the
 * fast path only ever covers records whose reading is not in question.
 */
#include "cap_source.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cap_link.h"
#include "lib/cbs.h"

#define FILE_BUFFER (1u << 16)
#define READ_BUFFER (1u << 20)     /* > any snapshot length libpcap accepts (256 KiB) + a header */
#define PCAP_MAGIC_USEC 0xa1b2c3d4u
#define PCAP_FILE_HDR 24u
#define PCAP_REC_HDR 16u

/* A capture file read through our own buffer (see the top comment). */
struct blockread {
    bool on;
    FILE *f;                       /* libpcap's stream, for the hand-back */
    int fd;
    uint64_t size, off;            /* file size, offset of the next record */
    uint32_t snap;                 /* libpcap's snapshot length for the file */
    uint8_t *buf;                  /* READ_BUFFER bytes */
    size_t len, pos;               /* bytes read into buf; where the next record starts */
    uint64_t boff;                 /* file offset of buf[0] */
    struct pcap_pkthdr hdr;
};

struct input {
    struct cap_input pub;
    pcap_t *pcap;
    char *iobuf;                   /* stdio buffer of a capture file */
    bool have;                     /* |hdr|/|data| hold an unreturned packet */
    struct pcap_pkthdr *hdr;
    const u_char *data;
    struct blockread m;            /* the block reader (see the top comment) */
};

struct cap_source {
    struct input in[CAP_MAX_INPUTS];
    size_t n;
    ssize_t last;                  /* input returned last time, -1 none */
    volatile sig_atomic_t stop;
    char err[CAP_ERRBUF_SIZE];
};

struct cap_source *cap_source_new(void)
{
    struct cap_source *src = calloc(1, sizeof(*src));

    if (src)
        src->last = -1;
    return src;
}

static void blk_drop(struct blockread *m)
{
    free(m->buf);
    m->buf = NULL;
    m->len = m->pos = 0;
}

/* Stop reading through our buffer: libpcap goes on at the next record. */
static void blk_hand_back(struct blockread *m)
{
    if (!m->on)
        return;
    blk_drop(m);
    m->on = false;
    if (fseeko(m->f, (off_t)m->off, SEEK_SET) != 0)
        clearerr(m->f);
}

/* blk_setup turns the fast path on for |f| when it is a regular file that
 * libpcap opened as a classic, native-order, microsecond pcap and has read
 * exactly the file header of. */
static void blk_setup(struct blockread *m, pcap_t *p, FILE *f)
{
    struct stat st;
    uint8_t mb[4];
    uint32_t magic;
    struct cbs c;
    int fd = fileno(f);

    memset(m, 0, sizeof(*m));
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
        (uint64_t)st.st_size < PCAP_FILE_HDR || pcap_is_swapped(p) || pcap_snapshot(p) <= 0 ||
        ftello(f) != (off_t)PCAP_FILE_HDR || pread(fd, mb, sizeof(mb), 0) != (ssize_t)sizeof(mb))
        return;
    /* libpcap said the file is in this machine's order (not swapped), so
     * the magic, and every record header after it, is read as it lies;
     * any other magic (nanosecond stamps) is not ours */
    cbs_init(&c, mb, sizeof(mb));
    if (!cbs_copy_bytes(&c, (uint8_t *)&magic, sizeof(magic)) || magic != PCAP_MAGIC_USEC)
        return;
    m->on = true;
    m->f = f;
    m->fd = fd;
    m->size = (uint64_t)st.st_size;
    m->off = PCAP_FILE_HDR;
    m->boff = PCAP_FILE_HDR;
    m->snap = (uint32_t)pcap_snapshot(p);
}

/* blk_fill is blk_cover when the bytes are not all in buf: it moves what is
 * left to the front and reads more; false if the file or a read cannot give
 * them. */
static bool blk_fill(struct blockread *m, size_t n)
{
    if (n > READ_BUFFER || m->off + n > m->size)
        return false;
    if (m->buf == NULL && (m->buf = malloc(READ_BUFFER)) == NULL)
        return false;
    /* keep only the unread tail: the caller has no pointer into the rest */
    if (m->pos < m->len)
        memmove(m->buf, m->buf + m->pos, m->len - m->pos);
    m->len = m->pos < m->len ? m->len - m->pos : 0;
    m->boff += m->pos;
    m->pos = 0;
    while (n > m->len) {
        ssize_t r = pread(m->fd, m->buf + m->len, READ_BUFFER - m->len,
                          (off_t)(m->boff + m->len));

        if (r <= 0)
            return false;
        m->len += (size_t)r;
    }
    return true;
}

/* blk_cover makes the next |n| bytes of the file (the next record, at file
 * offset m->off) present at buf[pos..]; false if the file or a read cannot
 * give them.  It runs twice per packet, and all but once per READ_BUFFER
 * they are there already. */
static inline bool blk_cover(struct blockread *m, size_t n)
{
    return m->len - m->pos >= n || blk_fill(m, n);
}

/* The next record through our buffer: 1 a packet, 0 the clean end of the
 * file, -1 hand the file back to libpcap (from this record on).  The packet
 * stays valid until the next call for this input, as with libpcap. */
static int blk_next(struct blockread *m, struct pcap_pkthdr **hdr, const u_char **data)
{
    uint32_t h[4];
    const uint8_t *rec;
    struct cbs c;
    size_t n;

    if (m->off == m->size)
        return 0;
    if (m->size - m->off < PCAP_REC_HDR || !blk_cover(m, PCAP_REC_HDR))
        return -1;
    /* h: ts_sec, ts_usec (both signed 32-bit in the file format, as libpcap
     * reads them), caplen, len; in this machine's order (see blk_setup) */
    cbs_init(&c, m->buf + m->pos, PCAP_REC_HDR);
    if (!cbs_copy_bytes(&c, (uint8_t *)h, sizeof(h)))
        return -1;
    n = PCAP_REC_HDR + (size_t)h[2];
    if (h[2] > m->snap || m->size - m->off < n || !blk_cover(m, n))
        return -1;
    rec = m->buf + m->pos;
    m->hdr.ts.tv_sec = (int32_t)h[0];
    m->hdr.ts.tv_usec = (int32_t)h[1];
    m->hdr.caplen = h[2];
    m->hdr.len = h[3];
    *hdr = &m->hdr;
    *data = rec + PCAP_REC_HDR;
    m->off += n;
    m->pos += n;
    return 1;
}

void cap_source_free(struct cap_source *src)
{
    if (!src)
        return;
    for (size_t i = 0; i < src->n; i++) {
        blk_drop(&src->in[i].m);
        if (src->in[i].pcap)
            pcap_close(src->in[i].pcap);
        free(src->in[i].iobuf);
        free(src->in[i].pub.path);
        free(src->in[i].pub.label);
    }
    free(src);
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');

    return s ? s + 1 : path;
}

static int add_input(struct cap_source *src, pcap_t *p, const char *path, const char *label,
                     bool live, char *errbuf)
{
    struct input *in;
    int dlt = pcap_datalink(p);

    if (!cap_link_supported(dlt)) {
        snprintf(errbuf, CAP_ERRBUF_SIZE,
                 "%s: link type %s (%d) is not supported (Ethernet, 802.1Q, Linux SLL/SLL2, "
                 "raw IP and BSD loopback are)", path, cap_link_name(dlt), dlt);
        pcap_close(p);
        return -1;
    }
    in = &src->in[src->n];
    memset(in, 0, sizeof(*in));
    in->pub.path = strdup(path);
    in->pub.label = strdup(label ? label : base_name(path));
    if (!in->pub.path || !in->pub.label) {
        free(in->pub.path);
        free(in->pub.label);
        snprintf(errbuf, CAP_ERRBUF_SIZE, "%s: out of memory", path);
        pcap_close(p);
        return -1;
    }
    in->pcap = p;
    in->pub.live = live;
    in->pub.dlt = dlt;
    src->n++;
    return 0;
}

int cap_source_add_file(struct cap_source *src, const char *path, const char *label,
                        char *errbuf)
{
    char pe[PCAP_ERRBUF_SIZE] = "";
    char *iobuf;
    pcap_t *p;
    FILE *f;

    if (src->n >= CAP_MAX_INPUTS) {
        snprintf(errbuf, CAP_ERRBUF_SIZE, "%s: too many inputs (at most %d)", path, CAP_MAX_INPUTS);
        return -1;
    }
    if (src->n > 0 && src->in[0].pub.live) {
        snprintf(errbuf, CAP_ERRBUF_SIZE, "%s: a live capture cannot be mixed with files", path);
        return -1;
    }
    /* The file is opened here rather than by libpcap so that it reads
     * through a 64 KiB buffer instead of stdio's 4 KiB: 16 times fewer
     * read() calls.  Larger is slower (measured: 1 MiB costs 40% more
     * than 64 KiB on a 300 MB file): the buffer no longer stays in the L2
     * cache between the kernel's copy and libpcap's. */
    f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f) {
        snprintf(errbuf, CAP_ERRBUF_SIZE, "%s: %s", path, strerror(errno));
        return -1;
    }
    iobuf = malloc(FILE_BUFFER);
    if (iobuf)
        setvbuf(f, iobuf, _IOFBF, FILE_BUFFER);
    p = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_MICRO, pe);
    if (!p) {
        snprintf(errbuf, CAP_ERRBUF_SIZE, "%s: %s", path, pe);
        if (f != stdin)
            fclose(f);
        free(iobuf);
        return -1;
    }
    if (add_input(src, p, path, label, false, errbuf) < 0) {
        free(iobuf);
        return -1;
    }
    src->in[src->n - 1].iobuf = iobuf;
    if (f != stdin)
        blk_setup(&src->in[src->n - 1].m, p, f);
    return 0;
}

int cap_source_add_live(struct cap_source *src, const char *iface,
                        const struct cap_live_opts *opts, char *errbuf)
{
    char pe[PCAP_ERRBUF_SIZE] = "";
    struct cap_live_opts o = {0};
    pcap_t *p;
    int rc;

    if (src->n > 0) {
        snprintf(errbuf, CAP_ERRBUF_SIZE, "%s: a live capture cannot be mixed with other inputs", iface);
        return -1;
    }
    if (opts)
        o = *opts;
    p = pcap_create(iface, pe);
    if (!p) {
        snprintf(errbuf, CAP_ERRBUF_SIZE, "%s: %s", iface, pe);
        return -1;
    }
    pcap_set_snaplen(p, o.snaplen > 0 ? o.snaplen : 262144);
    pcap_set_promisc(p, o.promisc);
    pcap_set_timeout(p, o.timeout_ms > 0 ? o.timeout_ms : 200);
    if (o.buffer_size > 0)
        pcap_set_buffer_size(p, o.buffer_size);
    pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_MICRO);
    rc = pcap_activate(p);
    if (rc < 0) {
        snprintf(errbuf, CAP_ERRBUF_SIZE, "%s: %s%s%s", iface, pcap_statustostr(rc),
                 *pcap_geterr(p) ? ": " : "", pcap_geterr(p));
        pcap_close(p);
        return -1;
    }
    return add_input(src, p, iface, NULL, true, errbuf);
}

int cap_source_set_filter(struct cap_source *src, const char *bpf, char *errbuf)
{
    for (size_t i = 0; i < src->n; i++) {
        struct bpf_program prog;
        pcap_t *p = src->in[i].pcap;

        /* libpcap applies the filter as it reads: let it read */
        blk_hand_back(&src->in[i].m);
        if (pcap_compile(p, &prog, bpf, 1, PCAP_NETMASK_UNKNOWN) < 0) {
            snprintf(errbuf, CAP_ERRBUF_SIZE, "filter \"%s\": %s", bpf, pcap_geterr(p));
            return -1;
        }
        if (pcap_setfilter(p, &prog) < 0) {
            snprintf(errbuf, CAP_ERRBUF_SIZE, "%s: filter: %s", src->in[i].pub.path, pcap_geterr(p));
            pcap_freecode(&prog);
            return -1;
        }
        pcap_freecode(&prog);
    }
    return 0;
}

/* Read the next packet of one input.  1 packet, 0 nothing yet (live
 * timeout), -1 ended (EOF, error, or break). */
static int refill(struct cap_source *src, struct input *in)
{
    for (;;) {
        int rc;

        if (in->pub.ended)
            return -1;
        if (src->stop) {
            in->pub.ended = true;
            return -1;
        }
        if (in->m.on) {
            rc = blk_next(&in->m, &in->hdr, &in->data);
            if (rc == 1) {
                in->have = true;
                return 1;
            }
            if (rc == 0) {
                blk_drop(&in->m);
                in->pub.ended = true;
                return -1;
            }
            blk_hand_back(&in->m);
        }
        rc = pcap_next_ex(in->pcap, &in->hdr, &in->data);
        if (rc == 1) {
            in->have = true;
            return 1;
        }
        if (rc == 0)
            return 0;
        if (rc == PCAP_ERROR) {
            snprintf(in->pub.error, sizeof(in->pub.error), "%s", pcap_geterr(in->pcap));
            if (in->pub.live)
                snprintf(src->err, sizeof(src->err), "%s: %s", in->pub.path, in->pub.error);
        }
        in->pub.ended = true;
        return rc == PCAP_ERROR && in->pub.live ? -2 : -1;
    }
}

enum cap_next_result cap_source_next(struct cap_source *src, struct cap_packet *out)
{
    ssize_t best = -1;
    uint64_t best_ts = 0;

    if (src->last >= 0) {
        src->in[src->last].have = false;
        src->last = -1;
    }
    for (size_t i = 0; i < src->n; i++) {
        struct input *in = &src->in[i];
        uint64_t ts;

        if (!in->have && !in->pub.ended) {
            int rc = refill(src, in);

            if (rc == 0)
                return CAP_NEXT_IDLE; /* only a live input times out */
            if (rc == -2)
                return CAP_NEXT_ERROR;
        }
        if (!in->have)
            continue;
        ts = (uint64_t)in->hdr->ts.tv_sec * 1000000u + (uint64_t)in->hdr->ts.tv_usec;
        if (best < 0 || ts < best_ts) {
            best = (ssize_t)i;
            best_ts = ts;
        }
    }
    if (best < 0)
        return CAP_NEXT_END;
    {
        struct input *in = &src->in[best];

        out->ts_us = best_ts;
        out->data = in->data;
        out->caplen = in->hdr->caplen;
        out->wirelen = in->hdr->len;
        out->dlt = in->pub.dlt;
        out->input = (unsigned)best;
        in->pub.packets++;
        in->pub.bytes += in->hdr->caplen;
        if (in->pub.packets == 1)
            in->pub.first_us = best_ts;
        in->pub.last_us = best_ts;
        src->last = best;
    }
    return CAP_NEXT_PACKET;
}

void cap_source_break(struct cap_source *src)
{
    src->stop = 1;
    for (size_t i = 0; i < src->n; i++)
        if (src->in[i].pcap)
            pcap_breakloop(src->in[i].pcap);
}

size_t cap_source_ninputs(const struct cap_source *src)
{
    return src->n;
}

const struct cap_input *cap_source_input(const struct cap_source *src, size_t i)
{
    return i < src->n ? &src->in[i].pub : NULL;
}

bool cap_source_live_stats(struct cap_source *src, struct cap_live_stats *out)
{
    struct pcap_stat ps;

    if (src->n != 1 || !src->in[0].pub.live || pcap_stats(src->in[0].pcap, &ps) < 0)
        return false;
    out->received = ps.ps_recv;
    out->dropped = ps.ps_drop;
    out->if_dropped = ps.ps_ifdrop;
    return true;
}

const char *cap_source_error(const struct cap_source *src)
{
    return src->err;
}
