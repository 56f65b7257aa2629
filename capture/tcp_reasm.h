/*
 * tcp_reasm.h - per-direction TCP stream reassembly.
 *
 * One struct tcp_half reassembles the bytes one endpoint sends.  Segments go
 * in with their sequence number in any order; the consumer gets the stream in
 * order through on_data and says how many bytes it consumed; the rest stays
 * buffered and is offered again, with more, next time (libnids' discard,
 * picohttpparser's "partial").  Overlaps: the copy that arrived first wins; a
 * later copy with different bytes is reported as TCP_AN_OVERLAP_CONFLICT,
 * which is what injected data looks like.  Holes that can no longer be filled
 * (the peer acknowledged past them, the out-of-order budget ran out, or the
 * stream ended) become gaps: on_gap says where and how many bytes, and the
 * stream goes on after them.
 *
 * Memory is bounded three ways: |max_pending| per half (bytes buffered and
 * not yet consumed), |max_ooo| per half (bytes waiting behind a hole), and a
 * global struct tcp_memcap shared by every half of every flow.
 */
#ifndef MXW_TCP_REASM_H
#define MXW_TCP_REASM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* tcp_dir names a direction by its SENDER. */
enum tcp_dir {
    TCP_TO_SERVER = 0,   /* sent by the client */
    TCP_TO_CLIENT = 1,   /* sent by the server */
};

/* tcp_anomaly is something odd about a stream that is recorded, not fatal. */
enum tcp_anomaly {
    TCP_AN_OVERLAP_CONFLICT = 0, /* a retransmission carried different bytes */
    TCP_AN_OUT_OF_WINDOW,        /* a segment far outside the expected window */
    TCP_AN_DEPTH,                /* more unconsumed data than max_pending */
    TCP_AN_OOO_LIMIT,            /* the out-of-order budget ran out: gap forced */
    TCP_AN_MEMCAP,               /* the global memory cap refused a buffer */
    TCP_AN_SYN_REANCHOR,         /* a new SYN/SYN-ACK moved the initial sequence number */
    TCP_AN_DATA_AFTER_FIN,       /* data past the FIN's sequence number */
    TCP_AN_MIDSTREAM,            /* no SYN seen: picked up in the middle */
    TCP_AN_SNAPPED,              /* a segment's payload was cut by the snap length */
    TCP_AN_IP_FRAGMENT,          /* a segment came in fragmented IP: its tail is missing */
    TCP_AN_BAD_RST,              /* a RST outside the window (ignored): forged or stale */
    TCP_AN_BAD_FLAGS,            /* SYN together with RST: not a real segment (ignored) */
    TCP_AN_DATA_AFTER_RST,       /* the peer went on after this side's RST: RST injected */
    TCP_AN_COUNT
};

/* tcp_anomaly_name returns a stable snake_case name ("overlap_conflict"). */
const char *tcp_anomaly_name(enum tcp_anomaly a);

/* tcp_half flags. */
#define TCP_HALF_ANCHORED  0x001u  /* the initial sequence number is known */
#define TCP_HALF_SYN       0x002u  /* anchored by a SYN (not picked up mid-stream) */
#define TCP_HALF_FIN       0x004u  /* a FIN was seen */
#define TCP_HALF_RST       0x008u  /* a RST was seen */
#define TCP_HALF_GAP       0x010u  /* at least one gap */
#define TCP_HALF_STOPPED   0x020u  /* the consumer wants no more data */
#define TCP_HALF_DEPTH     0x040u  /* stopped by max_pending */
#define TCP_HALF_MEMCAP    0x080u  /* stopped by the memory cap */
#define TCP_HALF_CLOSED    0x100u  /* everything up to the FIN was delivered, or flushed */
#define TCP_HALF_SOFT      0x200u  /* anchored by the peer's ACK, not by own data: the
                                      first own segment may still move the anchor */

/* tcp_memcap is the global budget for buffered stream bytes.  One per
 * process (or per test); halves draw from it and give back. */
#define TCP_POOL_CLASSES 2    /* 4 KiB and 8 KiB stream buffers are recycled */
#define TCP_POOL_MAX 64       /* ... at most this many of each (768 KiB in all) */

struct tcp_memcap {
    size_t limit;        /* bytes; 0 = unlimited */
    size_t used;
    size_t peak;
    uint64_t refusals;   /* times a reservation was refused */
    /* Spare stream buffers of the first two sizes: nearly every mail
     * session needs one or two, and allocating and freeing them was a tenth
     * of a run.  Pooled buffers are not counted in |used| (they hold no
     * stream); the pool is bounded by TCP_POOL_MAX. */
    void *pool[TCP_POOL_CLASSES][TCP_POOL_MAX];
    unsigned npool[TCP_POOL_CLASSES];
};

/* tcp_memcap_cleanup frees the spare buffers of |mc|. */
void tcp_memcap_cleanup(struct tcp_memcap *mc);

/* tcp_memcap_reserve draws |n| bytes from |mc| (true), or refuses and counts
 * the refusal (false) when the limit would be passed; tcp_memcap_release
 * gives |n| back.  |mc| NULL: always granted.  Besides the stream buffers,
 * the TLS layer draws on it for the handshake messages it collects and the
 * certificate chains a session keeps (dissect/tls.c, dissect/session.c), so
 * --memcap bounds those too. */
bool tcp_memcap_reserve(struct tcp_memcap *mc, size_t n);
void tcp_memcap_release(struct tcp_memcap *mc, size_t n);

/* tcp_reasm_cbs is how a half hands bytes to its consumer.  |user| is the
 * consumer's per-stream context, |dir| the half's direction. */
struct tcp_reasm_cbs {
    /* on_data offers the |n| in-order bytes at |p|, which start at stream
     * offset |off| (0 = first byte after the SYN).  It returns how many it
     * consumed (0..n); the rest is offered again with what follows.  |p| is
     * borrowed for the call only. */
    size_t (*on_data)(void *user, enum tcp_dir dir, const uint8_t *p, size_t n, uint64_t off);
    /* on_gap says |len| bytes at stream offset |off| will never come.  Bytes
     * that were offered and not consumed before the gap are dropped. */
    void (*on_gap)(void *user, enum tcp_dir dir, uint64_t off, uint64_t len);
    /* on_anomaly reports |a| at stream offset |off|.  May be NULL. */
    void (*on_anomaly)(void *user, enum tcp_dir dir, enum tcp_anomaly a, uint64_t off);
};

/* tcp_half_stats counts what happened to one direction. */
struct tcp_half_stats {
    uint64_t segments;        /* segments with payload */
    uint64_t bytes_seen;      /* payload bytes in those segments, duplicates included */
    uint64_t bytes_delivered; /* distinct bytes handed to on_data (first offer) */
    uint64_t bytes_consumed;  /* bytes the consumer said it consumed */
    uint64_t bytes_skipped;   /* bytes after the consumer stopped (or depth): counted, not kept */
    uint64_t gaps;            /* number of gaps */
    uint64_t gap_bytes;       /* bytes missing in them */
    uint64_t retransmitted;   /* bytes that duplicated earlier ones (identical) */
    uint64_t conflicts;       /* bytes that duplicated earlier ones with other content */
    uint64_t out_of_order;    /* segments that arrived ahead of a hole */
    uint64_t anomalies[TCP_AN_COUNT];
};

struct tcp_seg_node;

/* tcp_half is caller storage, set up with tcp_half_init and released with
 * tcp_half_cleanup.  The fields are read-only outside tcp_reasm.c. */
struct tcp_half {
    uint32_t isn;              /* sequence number of stream offset -1 (the SYN) */
    uint32_t next_seq;         /* sequence number of the next byte expected */
    uint64_t next_off;         /* stream offset of that byte */
    uint64_t fin_off;          /* stream offset of the FIN, if TCP_HALF_FIN */
    unsigned flags;            /* TCP_HALF_* */
    enum tcp_dir dir;

    /* In-order bytes: [buf_off, buf_off + len) of the stream.  The first
     * |hist| of them were consumed and are kept only to compare retransmitted
     * copies against; the rest are pending (offered, not consumed). */
    uint8_t *buf;
    size_t len, cap, hist;
    uint64_t buf_off;

    struct tcp_seg_node *ooo;  /* segments beyond a hole, sorted, disjoint */
    size_t ooo_bytes;

    size_t max_pending;        /* bound on pending bytes (stream depth) */
    size_t max_ooo;            /* bound on ooo_bytes */
    size_t max_hist;           /* consumed bytes kept for overlap checks */

    struct tcp_half_stats st;
};

/* tcp_half_init prepares |h| for direction |dir| with the given bounds
 * (0 = a sensible default: 256 KiB pending, 256 KiB out-of-order, 16 KiB
 * history). */
void tcp_half_init(struct tcp_half *h, enum tcp_dir dir, size_t max_pending,
                   size_t max_ooo, size_t max_hist);

/* tcp_half_cleanup frees every buffer of |h| and returns it to |mc|. */
void tcp_half_cleanup(struct tcp_half *h, struct tcp_memcap *mc);

/* tcp_half_syn records a SYN (or SYN-ACK) with sequence number |seq|.  A SYN
 * with another ISN before any data re-anchors the half (the last SYN-ACK
 * wins, as real stacks do). */
void tcp_half_syn(struct tcp_half *h, uint32_t seq, const struct tcp_reasm_cbs *cbs, void *user);

/* tcp_half_anchor anchors a half picked up mid-stream so that |seq| is
 * stream offset |off|. */
void tcp_half_anchor(struct tcp_half *h, uint32_t seq);

/* tcp_half_segment adds a segment: |n| payload bytes at |p| with sequence
 * number |seq|, and |fin| when it carries a FIN.  Delivers what became
 * contiguous.  |p| is borrowed for the call.  Returns false only when the
 * memory cap refused (the half is then stopped and flagged). */
bool tcp_half_segment(struct tcp_half *h, uint32_t seq, const uint8_t *p, size_t n,
                      bool fin, struct tcp_memcap *mc, const struct tcp_reasm_cbs *cbs,
                      void *user);

/* tcp_half_acked tells |h| that the peer acknowledged up to |ack|: a hole
 * below |ack| can no longer be filled by a capture that missed it, so it
 * becomes a gap and what lies behind it is delivered. */
void tcp_half_acked(struct tcp_half *h, uint32_t ack, struct tcp_memcap *mc,
                    const struct tcp_reasm_cbs *cbs, void *user);

/* tcp_half_flush ends the stream: every hole left becomes a gap, everything
 * buffered is offered one last time, and the half is closed. */
void tcp_half_flush(struct tcp_half *h, struct tcp_memcap *mc,
                    const struct tcp_reasm_cbs *cbs, void *user);

/* tcp_half_stop says the consumer wants nothing more from |h|: buffers are
 * freed and later bytes are only counted (bytes_skipped). */
void tcp_half_stop(struct tcp_half *h, struct tcp_memcap *mc);

/* tcp_half_redeliver offers the pending bytes of |h| to the consumer again
 * (see tcp_flow_redeliver). */
void tcp_half_redeliver(struct tcp_half *h, const struct tcp_reasm_cbs *cbs, void *user);

/* tcp_half_pending returns how many bytes are offered but not consumed. */
size_t tcp_half_pending(const struct tcp_half *h);

#endif
