/*
 * tcp_reasm.c - per-direction TCP stream reassembly (see tcp_reasm.h).
 *
 * Sequence numbers are 32-bit and wrap; everything inside a half is kept as
 * 64-bit stream offsets (offset 0 = the byte after the SYN), and a sequence
 * number is turned into an offset by its signed 32-bit distance from the
 * next expected one (RFC 793 §3.3 arithmetic), so wrap-around never shows.
 *
 *   buf_off                buf_off+hist           next_off
 *   |-- consumed history --|------ pending --------|  hole  [ooo] [ooo] ...
 *
 * Stream bytes are copied once, into |buf| (in order) or into an out-of-order
 * node; the consumer reads them from there.  Consumed bytes are kept as
 * history up to max_hist so a retransmission can be compared with what was
 * delivered; older ones are dropped.
 */
#include "tcp_reasm.h"

#include <stdlib.h>
#include <string.h>

#define DEFAULT_MAX_PENDING (256u * 1024u)
#define DEFAULT_MAX_OOO     (256u * 1024u)
#define DEFAULT_MAX_HIST    (16u * 1024u)
/* A segment further ahead than this is not part of this stream's window
 * (RFC 7323 caps windows at 1 GiB; real mail streams are far below this). */
#define MAX_AHEAD           (64ull * 1024 * 1024)

struct tcp_seg_node {
    struct tcp_seg_node *next;
    uint64_t off;
    size_t len;
    uint8_t data[];
};

static const char *const anomaly_names[TCP_AN_COUNT] = {
    [TCP_AN_OVERLAP_CONFLICT] = "overlap_conflict",
    [TCP_AN_OUT_OF_WINDOW] = "out_of_window",
    [TCP_AN_DEPTH] = "depth",
    [TCP_AN_OOO_LIMIT] = "ooo_limit",
    [TCP_AN_MEMCAP] = "memcap",
    [TCP_AN_SYN_REANCHOR] = "syn_reanchor",
    [TCP_AN_DATA_AFTER_FIN] = "data_after_fin",
    [TCP_AN_MIDSTREAM] = "midstream",
    [TCP_AN_SNAPPED] = "snapped",
    [TCP_AN_IP_FRAGMENT] = "ip_fragment",
    [TCP_AN_BAD_RST] = "bad_rst",
    [TCP_AN_BAD_FLAGS] = "bad_flags",
    [TCP_AN_DATA_AFTER_RST] = "data_after_rst",
};

const char *tcp_anomaly_name(enum tcp_anomaly a)
{
    return (unsigned)a < TCP_AN_COUNT ? anomaly_names[a] : "unknown";
}

bool tcp_memcap_reserve(struct tcp_memcap *mc, size_t n)
{
    if (!mc)
        return true;
    if (mc->limit && (mc->used > mc->limit || n > mc->limit - mc->used)) {
        mc->refusals++;
        return false;
    }
    mc->used += n;
    if (mc->used > mc->peak)
        mc->peak = mc->used;
    return true;
}

void tcp_memcap_release(struct tcp_memcap *mc, size_t n)
{
    if (mc)
        mc->used = n > mc->used ? 0 : mc->used - n;
}

static void anomaly(struct tcp_half *h, enum tcp_anomaly a, uint64_t off,
                    const struct tcp_reasm_cbs *cbs, void *user)
{
    h->st.anomalies[a]++;
    if (cbs && cbs->on_anomaly)
        cbs->on_anomaly(user, h->dir, a, off);
}

void tcp_half_init(struct tcp_half *h, enum tcp_dir dir, size_t max_pending,
                   size_t max_ooo, size_t max_hist)
{
    memset(h, 0, sizeof(*h));
    h->dir = dir;
    h->max_pending = max_pending ? max_pending : DEFAULT_MAX_PENDING;
    h->max_ooo = max_ooo ? max_ooo : DEFAULT_MAX_OOO;
    h->max_hist = max_hist ? max_hist : DEFAULT_MAX_HIST;
}

/* Buffer sizes start at FIRST_BUF and double; the first classes are pooled. */
#define FIRST_BUF 4096u

static int pool_class(size_t cap)
{
    for (int c = 0; c < TCP_POOL_CLASSES; c++)
        if (cap == (size_t)FIRST_BUF << c)
            return c;
    return -1;
}

static void *pool_get(struct tcp_memcap *mc, size_t cap)
{
    int c = pool_class(cap);

    if (c < 0 || mc->npool[c] == 0)
        return NULL;
    return mc->pool[c][--mc->npool[c]];
}

/* pool_put keeps |p| (|cap| bytes) for reuse, or frees it. */
static void pool_put(struct tcp_memcap *mc, void *p, size_t cap)
{
    int c = pool_class(cap);

    if (p == NULL)
        return;
    if (c >= 0 && mc->npool[c] < TCP_POOL_MAX)
        mc->pool[c][mc->npool[c]++] = p;
    else
        free(p);
}

void tcp_memcap_cleanup(struct tcp_memcap *mc)
{
    for (int c = 0; c < TCP_POOL_CLASSES; c++) {
        while (mc->npool[c] > 0)
            free(mc->pool[c][--mc->npool[c]]);
    }
}

static void free_buffers(struct tcp_half *h, struct tcp_memcap *mc)
{
    struct tcp_seg_node *n = h->ooo;

    while (n) {
        struct tcp_seg_node *next = n->next;

        tcp_memcap_release(mc, sizeof(*n) + n->len);
        free(n);
        n = next;
    }
    h->ooo = NULL;
    h->ooo_bytes = 0;
    tcp_memcap_release(mc, h->cap);
    pool_put(mc, h->buf, h->cap);
    h->buf = NULL;
    h->len = h->cap = h->hist = 0;
}

void tcp_half_cleanup(struct tcp_half *h, struct tcp_memcap *mc)
{
    free_buffers(h, mc);
}

size_t tcp_half_pending(const struct tcp_half *h)
{
    return h->len - h->hist;
}

void tcp_half_stop(struct tcp_half *h, struct tcp_memcap *mc)
{
    free_buffers(h, mc);
    h->buf_off = h->next_off;
    h->flags |= TCP_HALF_STOPPED;
}

static void stop_with(struct tcp_half *h, unsigned flag, enum tcp_anomaly a,
                      struct tcp_memcap *mc, const struct tcp_reasm_cbs *cbs, void *user)
{
    uint64_t off = h->next_off;

    tcp_half_stop(h, mc);
    h->flags |= flag;
    anomaly(h, a, off, cbs, user);
}

void tcp_half_anchor(struct tcp_half *h, uint32_t seq)
{
    h->isn = seq - 1;
    h->next_seq = seq;
    h->next_off = 0;
    h->buf_off = 0;
    h->flags |= TCP_HALF_ANCHORED;
}

void tcp_half_syn(struct tcp_half *h, uint32_t seq, const struct tcp_reasm_cbs *cbs, void *user)
{
    if ((h->flags & TCP_HALF_SYN) && h->isn == seq)
        return; /* a retransmitted SYN */
    if (h->flags & TCP_HALF_ANCHORED) {
        /* Only before any byte was taken: afterwards a new ISN means a new
         * connection, which the flow table handles. */
        if (h->next_off != 0 || h->len != 0 || h->ooo)
            return;
        if (h->flags & TCP_HALF_SYN)
            anomaly(h, TCP_AN_SYN_REANCHOR, 0, cbs, user);
    }
    tcp_half_anchor(h, seq + 1);
    h->flags |= TCP_HALF_SYN;
}

/* Make room for |n| more bytes at the end of buf, dropping old history first.
 * False when the pending bound or the memory cap says no. */
static bool buf_room(struct tcp_half *h, size_t n, struct tcp_memcap *mc,
                     const struct tcp_reasm_cbs *cbs, void *user)
{
    size_t want, newcap;
    uint8_t *nb;

    if (tcp_half_pending(h) + n > h->max_pending) {
        stop_with(h, TCP_HALF_DEPTH, TCP_AN_DEPTH, mc, cbs, user);
        return false;
    }
    if (h->len + n <= h->cap)
        return true;
    if (h->hist > h->max_hist) {
        /* Keep half the history allowance, so the move happens once per
         * max_hist/2 bytes of stream, not once per segment. */
        size_t drop = h->hist - h->max_hist / 2;

        memmove(h->buf, h->buf + drop, h->len - drop);
        h->len -= drop;
        h->hist -= drop;
        h->buf_off += drop;
    }
    want = h->len + n;
    if (want <= h->cap)
        return true;
    newcap = h->cap ? h->cap : FIRST_BUF;
    while (newcap < want)
        newcap *= 2;
    if (!tcp_memcap_reserve(mc, newcap - h->cap)) {
        stop_with(h, TCP_HALF_MEMCAP, TCP_AN_MEMCAP, mc, cbs, user);
        return false;
    }
    if ((nb = pool_get(mc, newcap)) != NULL) {
        if (h->len)
            memcpy(nb, h->buf, h->len);
        pool_put(mc, h->buf, h->cap);
    } else {
        nb = realloc(h->buf, newcap);
    }
    if (!nb) {
        tcp_memcap_release(mc, newcap - h->cap);
        stop_with(h, TCP_HALF_MEMCAP, TCP_AN_MEMCAP, mc, cbs, user);
        return false;
    }
    h->buf = nb;
    h->cap = newcap;
    return true;
}

/* Append in-order bytes at next_off. */
static bool append(struct tcp_half *h, const uint8_t *p, size_t n, struct tcp_memcap *mc,
                   const struct tcp_reasm_cbs *cbs, void *user)
{
    if (n == 0)
        return true;
    if (!buf_room(h, n, mc, cbs, user))
        return false;
    memcpy(h->buf + h->len, p, n);
    h->len += n;
    h->next_off += n;
    h->next_seq += (uint32_t)n;
    h->st.bytes_delivered += n;
    return true;
}

/* Offer pending bytes until the consumer stops taking any. */
static void deliver(struct tcp_half *h, const struct tcp_reasm_cbs *cbs, void *user)
{
    while (!(h->flags & TCP_HALF_STOPPED) && tcp_half_pending(h) > 0) {
        size_t pending = tcp_half_pending(h);
        size_t c = cbs->on_data(user, h->dir, h->buf + h->hist, pending, h->buf_off + h->hist);

        if (h->flags & TCP_HALF_STOPPED) /* the consumer stopped us inside the call */
            return;
        if (c > pending)
            c = pending;
        h->hist += c;
        h->st.bytes_consumed += c;
        if (c == 0 || c == pending)
            return;
    }
}

void tcp_half_redeliver(struct tcp_half *h, const struct tcp_reasm_cbs *cbs, void *user)
{
    deliver(h, cbs, user);
}

/* Move out-of-order nodes that now start at next_off into buf. */
static void drain(struct tcp_half *h, struct tcp_memcap *mc,
                  const struct tcp_reasm_cbs *cbs, void *user)
{
    while (h->ooo && !(h->flags & TCP_HALF_STOPPED) && h->ooo->off <= h->next_off) {
        struct tcp_seg_node *n = h->ooo;
        uint64_t skip = h->next_off - n->off;

        h->ooo = n->next;
        h->ooo_bytes -= n->len;
        if (skip < n->len)
            append(h, n->data + skip, n->len - (size_t)skip, mc, cbs, user);
        tcp_memcap_release(mc, sizeof(*n) + n->len);
        free(n);
    }
}

/* Declare [next_off, target) lost and carry on from |target|. */
static void gap_to(struct tcp_half *h, uint64_t target, struct tcp_memcap *mc,
                   const struct tcp_reasm_cbs *cbs, void *user)
{
    uint64_t start = h->next_off, glen = target - start;

    if (target <= start)
        return;
    /* Pending bytes can never be completed now: drop them with the history. */
    h->len = h->hist = 0;
    h->buf_off = target;
    h->next_off = target;
    h->next_seq += (uint32_t)glen;
    h->st.gaps++;
    h->st.gap_bytes += glen;
    h->flags |= TCP_HALF_GAP;
    if (cbs->on_gap)
        cbs->on_gap(user, h->dir, start, glen);
    drain(h, mc, cbs, user);
}

/* Compare a retransmitted copy with the bytes kept for [off, off+n). */
static void compare_old(struct tcp_half *h, uint64_t off, const uint8_t *p, size_t n,
                        const struct tcp_reasm_cbs *cbs, void *user)
{
    uint64_t end = off + n, lo = off > h->buf_off ? off : h->buf_off;
    uint64_t hi = end < h->buf_off + h->len ? end : h->buf_off + h->len;

    if (lo < hi && memcmp(h->buf + (lo - h->buf_off), p + (lo - off), (size_t)(hi - lo)) != 0) {
        h->st.conflicts += n;
        anomaly(h, TCP_AN_OVERLAP_CONFLICT, lo, cbs, user);
        return;
    }
    h->st.retransmitted += n;
}

static struct tcp_seg_node *node_new(uint64_t off, const uint8_t *p, size_t n,
                                     struct tcp_memcap *mc)
{
    struct tcp_seg_node *node;

    if (!tcp_memcap_reserve(mc, sizeof(*node) + n))
        return NULL;
    node = malloc(sizeof(*node) + n);
    if (!node) {
        tcp_memcap_release(mc, sizeof(*node) + n);
        return NULL;
    }
    node->next = NULL;
    node->off = off;
    node->len = n;
    memcpy(node->data, p, n);
    return node;
}

/* Insert [off, off+n) into the out-of-order list; where it overlaps a node
 * already there, the node (the first copy) wins and the bytes are compared. */
static bool ooo_insert(struct tcp_half *h, uint64_t off, const uint8_t *p, size_t n,
                       struct tcp_memcap *mc, const struct tcp_reasm_cbs *cbs, void *user)
{
    struct tcp_seg_node **link = &h->ooo;
    uint64_t cur = off, end = off + n;
    bool conflict = false;

    while (cur < end) {
        struct tcp_seg_node *node;

        while (*link && (*link)->off + (*link)->len <= cur)
            link = &(*link)->next;
        node = *link;
        if (!node || node->off > cur) {
            uint64_t piece_end = node && node->off < end ? node->off : end;
            struct tcp_seg_node *nn = node_new(cur, p + (cur - off), (size_t)(piece_end - cur), mc);

            if (!nn) {
                stop_with(h, TCP_HALF_MEMCAP, TCP_AN_MEMCAP, mc, cbs, user);
                return false;
            }
            nn->next = node;
            *link = nn;
            link = &nn->next;
            h->ooo_bytes += nn->len;
            cur = piece_end;
            continue;
        }
        /* node->off <= cur < node end: already have these bytes. */
        {
            uint64_t ov_end = node->off + node->len < end ? node->off + node->len : end;
            size_t ovn = (size_t)(ov_end - cur);

            if (memcmp(node->data + (cur - node->off), p + (cur - off), ovn) != 0) {
                h->st.conflicts += ovn;
                conflict = true;
            } else {
                h->st.retransmitted += ovn;
            }
            cur = ov_end;
        }
    }
    if (conflict)
        anomaly(h, TCP_AN_OVERLAP_CONFLICT, off, cbs, user);
    return true;
}

bool tcp_half_segment(struct tcp_half *h, uint32_t seq, const uint8_t *p, size_t n,
                      bool fin, struct tcp_memcap *mc, const struct tcp_reasm_cbs *cbs,
                      void *user)
{
    int64_t s_off, e_off;

    if (n > 0) {
        h->st.segments++;
        h->st.bytes_seen += n;
    }
    if (!(h->flags & TCP_HALF_ANCHORED)) {
        if (n == 0 && !fin)
            return true;
        tcp_half_anchor(h, seq);
        anomaly(h, TCP_AN_MIDSTREAM, 0, cbs, user);
    }
    s_off = (int64_t)h->next_off + (int32_t)(seq - h->next_seq);
    if ((h->flags & TCP_HALF_SOFT) && (n > 0 || fin)) {
        /* The anchor came from the peer's ACK.  Our own first segment agrees
         * with it (or lies a little ahead, reordered), or the ACK was wrong:
         * then, nothing having been taken yet, the segment decides. */
        h->flags &= ~TCP_HALF_SOFT;
        if ((s_off < 0 || s_off > (int64_t)MAX_AHEAD) && h->next_off == 0 && h->len == 0 &&
            !h->ooo) {
            tcp_half_anchor(h, seq);
            s_off = 0;
        }
    }
    e_off = s_off + (int64_t)n;
    if (fin && !(h->flags & TCP_HALF_FIN) && e_off >= 0 &&
        e_off <= (int64_t)(h->next_off + MAX_AHEAD)) {
        h->flags |= TCP_HALF_FIN;
        h->fin_off = (uint64_t)e_off;
    }
    if (h->flags & TCP_HALF_STOPPED) {
        h->st.bytes_skipped += n;
        return true;
    }
    if (n == 0)
        goto out;
    if (s_off > (int64_t)(h->next_off + MAX_AHEAD)) {
        anomaly(h, TCP_AN_OUT_OF_WINDOW, (uint64_t)s_off, cbs, user);
        return true;
    }
    if ((h->flags & TCP_HALF_FIN) && e_off > (int64_t)h->fin_off && !fin)
        anomaly(h, TCP_AN_DATA_AFTER_FIN, h->fin_off, cbs, user);
    if (s_off < 0) { /* bytes before the SYN: not part of this stream */
        if (e_off <= 0) {
            anomaly(h, TCP_AN_OUT_OF_WINDOW, 0, cbs, user);
            return true;
        }
        p += (size_t)-s_off;
        n -= (size_t)-s_off;
        s_off = 0;
    }
    /* The part we already have in order. */
    if (s_off < (int64_t)h->next_off) {
        size_t old = (size_t)((e_off < (int64_t)h->next_off ? e_off : (int64_t)h->next_off) - s_off);

        compare_old(h, (uint64_t)s_off, p, old, cbs, user);
        p += old;
        n -= old;
        s_off += (int64_t)old;
    }
    if (n == 0)
        goto out;
    if ((uint64_t)s_off > h->next_off)
        h->st.out_of_order++;
    /* Fast path: in order and nothing waiting behind a hole. */
    if ((uint64_t)s_off == h->next_off && !h->ooo) {
        if (!append(h, p, n, mc, cbs, user))
            return !(h->flags & TCP_HALF_MEMCAP);
    } else {
        /* Keep the out-of-order budget: give up on the oldest hole first. */
        while (h->ooo_bytes + n > h->max_ooo && !(h->flags & TCP_HALF_STOPPED)) {
            uint64_t target = h->ooo && h->ooo->off < (uint64_t)s_off ? h->ooo->off : (uint64_t)s_off;

            anomaly(h, TCP_AN_OOO_LIMIT, h->next_off, cbs, user);
            if (target <= h->next_off)
                break;
            gap_to(h, target, mc, cbs, user);
            if ((uint64_t)s_off <= h->next_off)
                break;
        }
        if (h->flags & TCP_HALF_STOPPED)
            return !(h->flags & TCP_HALF_MEMCAP);
        if ((uint64_t)s_off < h->next_off) { /* the gap carried us into it */
            size_t old = (size_t)(h->next_off - (uint64_t)s_off);

            if (old >= n)
                goto out;
            p += old;
            n -= old;
            s_off = (int64_t)h->next_off;
        }
        if (!ooo_insert(h, (uint64_t)s_off, p, n, mc, cbs, user))
            return false;
        drain(h, mc, cbs, user);
    }
out:
    if (!(h->flags & TCP_HALF_STOPPED))
        deliver(h, cbs, user);
    if ((h->flags & TCP_HALF_FIN) && h->next_off >= h->fin_off && !h->ooo)
        h->flags |= TCP_HALF_CLOSED;
    return !(h->flags & TCP_HALF_MEMCAP);
}

void tcp_half_acked(struct tcp_half *h, uint32_t ack, struct tcp_memcap *mc,
                    const struct tcp_reasm_cbs *cbs, void *user)
{
    int32_t d;
    uint64_t ack_off;

    if (!(h->flags & TCP_HALF_ANCHORED) || (h->flags & TCP_HALF_STOPPED) || !h->ooo)
        return;
    d = (int32_t)(ack - h->next_seq);
    if (d <= 0 || (uint64_t)d > MAX_AHEAD)
        return;
    ack_off = h->next_off + (uint64_t)d;
    /* The peer has bytes we never saw; what lies behind the hole up to the
     * acknowledged point can be delivered now. */
    while (h->ooo && h->ooo->off <= ack_off && !(h->flags & TCP_HALF_STOPPED))
        gap_to(h, h->ooo->off, mc, cbs, user);
    deliver(h, cbs, user);
}

void tcp_half_flush(struct tcp_half *h, struct tcp_memcap *mc,
                    const struct tcp_reasm_cbs *cbs, void *user)
{
    if (!(h->flags & TCP_HALF_STOPPED)) {
        while (h->ooo && !(h->flags & TCP_HALF_STOPPED))
            gap_to(h, h->ooo->off, mc, cbs, user);
        deliver(h, cbs, user);
        /* A FIN whose sequence number lies beyond what arrived means the
         * last bytes were lost. */
        if ((h->flags & TCP_HALF_FIN) && h->fin_off > h->next_off &&
            !(h->flags & TCP_HALF_STOPPED)) {
            uint64_t start = h->next_off, glen = h->fin_off - start;

            h->st.gaps++;
            h->st.gap_bytes += glen;
            h->flags |= TCP_HALF_GAP;
            if (cbs->on_gap)
                cbs->on_gap(user, h->dir, start, glen);
        }
    }
    free_buffers(h, mc);
    h->flags |= TCP_HALF_CLOSED;
}
