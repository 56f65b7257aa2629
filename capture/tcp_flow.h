/*
 * tcp_flow.h - the TCP connection table.
 *
 * Segments go in (tcp_flow_packet); the table finds or creates the
 * connection, decides who is client and who is server, feeds the two
 * reassembly halves, and closes connections on FIN, RST, idle timeout,
 * eviction or the end of the capture.  A consumer (the SMTP/TLS dissector, or
 * the --flows report) is attached per connection through struct tcp_flow_cbs.
 *
 * Bounded: at most max_flows connections (to make room, one a RST ended is
 * evicted first, then the least recently active connection without a
 * payload byte, then the least recently active dialogue), and every
 * reassembly byte is drawn from one memcap.
 * Everything evicted, refused or ignored is counted in struct tcp_flow_stats.
 */
#ifndef MXW_TCP_FLOW_H
#define MXW_TCP_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cap_ip.h"
#include "tcp_reasm.h"

enum tcp_close_reason {
    TCP_CLOSE_NONE = 0,   /* still open */
    TCP_CLOSE_FIN,        /* both sides sent FIN and every byte up to them arrived */
    TCP_CLOSE_RST,        /* a RST, with nothing after it for the linger time (or,
                             when the consumer had stopped both directions, at once) */
    TCP_CLOSE_TIMEOUT,    /* idle longer than the idle timeout */
    TCP_CLOSE_EVICTED,    /* the table was full */
    TCP_CLOSE_REUSED,     /* a new SYN on the same addresses and ports */
    TCP_CLOSE_END,        /* the capture ended with the connection open */
    TCP_CLOSE_COUNT
};

/* tcp_close_reason_name returns "fin", "rst", "timeout", "evicted", "reused",
 * "end" or "open". */
const char *tcp_close_reason_name(enum tcp_close_reason r);

/* tcp_flow flags. */
#define TCP_FLOW_SYN        0x01u  /* the client's SYN was seen */
#define TCP_FLOW_SYNACK     0x02u  /* the server's SYN-ACK was seen */
#define TCP_FLOW_ROLE_GUESS 0x04u  /* client/server decided by port, not by a SYN */
#define TCP_FLOW_CLOSED     0x08u  /* on_close was called; lingering for late packets */
#define TCP_FLOW_IP_FRAG    0x10u  /* a segment came in fragmented IP */
#define TCP_FLOW_SNAPPED    0x20u  /* a segment was cut by the snap length */
#define TCP_FLOW_DATA       0x40u  /* a segment with payload was seen (either way): a
                                      connection without it had no dialogue (a SYN
                                      flood, a scan, a half-open or RST-only one) */
#define TCP_FLOW_CLOSING    0x80u  /* being closed: the bytes offered now are the last */
#define TCP_FLOW_QUIET      0x100u /* the consumer wants no more on_packet (tcp_flow_quiet) */

struct tcp_flow_table;

/* tcp_flow is one TCP connection.  Fields are read-only for consumers. */
struct tcp_flow {
    /* private, first: the hash lookup touches only this cache line */
    struct tcp_flow *hnext;
    uint32_t hash;
    uint8_t list;

    uint64_t id;                 /* 1, 2, ... in order of creation */
    struct cap_addr client, server;
    uint16_t cport, sport;
    unsigned input;              /* capture input that saw the first packet */
    uint64_t first_us, last_us;  /* capture time of first and last packet */
    unsigned flags;              /* TCP_FLOW_* */
    enum tcp_close_reason close_reason;
    struct tcp_half half[2];     /* indexed by enum tcp_dir */
    uint64_t packets[2];
    uint8_t ttl_min[2], ttl_max[2]; /* IP TTL / hop limit seen per direction */
    void *user;                  /* the consumer's per-connection state */
    uint8_t user_kind;           /* the consumer's own (what |user| points at); 0 at
                                    creation, never read here */

    /* private */
    struct tcp_flow_table *tab;
    struct tcp_flow *lprev, *lnext;
};

/* tcp_flow_cbs connects a consumer.  |ctx| is the pointer given to
 * tcp_flow_table_new. */
struct tcp_flow_cbs {
    /* on_open is called for a new connection before its first byte; it
     * returns the consumer's per-connection state (stored in f->user), or
     * NULL to take no bytes from it (it is still tracked and closed). */
    void *(*on_open)(void *ctx, struct tcp_flow *f);
    /* on_packet sees every segment of a connection with a consumer, before
     * reassembly (for classifiers that want packets, not streams).  May be
     * NULL. */
    void (*on_packet)(void *ctx, struct tcp_flow *f, enum tcp_dir dir,
                      const struct cap_tcp_seg *seg);
    /* on_data: in-order bytes of direction |dir|; returns bytes consumed.
     * See struct tcp_reasm_cbs. */
    size_t (*on_data)(void *ctx, struct tcp_flow *f, enum tcp_dir dir,
                      const uint8_t *p, size_t n, uint64_t off);
    void (*on_gap)(void *ctx, struct tcp_flow *f, enum tcp_dir dir, uint64_t off, uint64_t len);
    void (*on_anomaly)(void *ctx, struct tcp_flow *f, enum tcp_dir dir,
                       enum tcp_anomaly a, uint64_t off);
    /* on_close: the connection ended (f->close_reason says how); the
     * consumer releases f->user here.  Called exactly once per connection. */
    void (*on_close)(void *ctx, struct tcp_flow *f);
};

struct tcp_flow_config {
    size_t max_flows;            /* open connections; 0 = 65536 */
    size_t memcap;               /* reassembly bytes, all flows; 0 = 256 MiB */
    uint64_t idle_timeout_us;    /* 0 = 300 s */
    uint64_t linger_us;          /* how long a closed connection absorbs late packets; 0 = 5 s */
    size_t max_pending, max_ooo, max_hist; /* per direction; 0 = tcp_reasm defaults */
};

struct tcp_flow_stats {
    uint64_t created;
    uint64_t active, peak_active;
    uint64_t closed[TCP_CLOSE_COUNT];
    uint64_t evicted_no_dialogue; /* of closed[TCP_CLOSE_EVICTED], those without a
                                    payload byte (TCP_FLOW_DATA unset) */
    uint64_t late_packets;       /* packets for a connection already closed */
    uint64_t late_after_rst;     /* of those, data or a FIN after the RST that closed it:
                                    the RST was not the endpoint's (the consumer had
                                    stopped both directions, so it was told at the RST) */
    uint64_t stray_packets;      /* RST/FIN/bare ACK for no known connection: not tracked */
    uint64_t bad_packets;        /* impossible flag combinations (SYN+RST): ignored */
    uint64_t clock_jumps;        /* lone packets further than the idle timeout from the
                                    connection clock, which they did not move */
    size_t mem_used, mem_peak;   /* reassembly bytes, and what the TLS layer draws from
                                    the same budget (tcp_memcap_reserve) */
    uint64_t mem_refusals;
};

/* tcp_flow_table_new returns an empty table, or NULL on allocation failure.
 * |cfg| may be NULL for defaults; |cbs| must stay valid for the table's life. */
struct tcp_flow_table *tcp_flow_table_new(const struct tcp_flow_config *cfg,
                                          const struct tcp_flow_cbs *cbs, void *ctx);

/* tcp_flow_table_free closes every connection still open (reason "end",
 * so on_close runs) and frees the table.  NULL is a no-op. */
void tcp_flow_table_free(struct tcp_flow_table *tab);

/* tcp_flow_server_hint tells tcp_flow_packet who is the server when no SYN
 * decides it. */
enum tcp_flow_hint {
    TCP_HINT_NONE = 0,     /* lower port is the server */
    TCP_HINT_DST_SERVER,   /* the packet goes to the service port */
    TCP_HINT_SRC_SERVER,   /* the packet comes from the service port */
};

/* tcp_flow_packet processes one segment captured at |ts_us| on input
 * |input|.  Callbacks run from inside this call. */
void tcp_flow_packet(struct tcp_flow_table *tab, const struct cap_tcp_seg *seg,
                     uint64_t ts_us, unsigned input, enum tcp_flow_hint hint);

/* tcp_flow_expire closes connections idle since before |now_us| minus the
 * idle timeout and forgets closed ones past their linger.  tcp_flow_packet
 * calls it as capture time advances; a live capture also calls it when no
 * packet arrives. */
void tcp_flow_expire(struct tcp_flow_table *tab, uint64_t now_us);

/* tcp_flow_finish closes every open connection (reason "end") in the order
 * they were created.  The table stays usable. */
void tcp_flow_finish(struct tcp_flow_table *tab);

/* tcp_flow_memcap returns the memory budget |f|'s table draws its
 * reassembly bytes from (--memcap), for a consumer that holds bytes of its
 * own on the connection's behalf (tcp_memcap_reserve). */
struct tcp_memcap *tcp_flow_memcap(struct tcp_flow *f);

/* tcp_flow_quiet tells the table that the consumer of |f| has learnt all
 * it can from single packets: on_packet is not called for it again. */
void tcp_flow_quiet(struct tcp_flow *f);

/* tcp_flow_stop tells the table that the consumer of |f| wants no more bytes
 * in direction |dir|; the buffers are freed and later bytes only counted. */
void tcp_flow_stop(struct tcp_flow *f, enum tcp_dir dir);

/* tcp_flow_redeliver offers the pending (unconsumed) bytes of direction
 * |dir| again.  A consumer that declined bytes until the other direction
 * decided what they are (the client's bytes after STARTTLS, before the
 * server's reply) calls it once the other direction has spoken.  Must not be
 * called from inside on_data for the same direction. */
void tcp_flow_redeliver(struct tcp_flow *f, enum tcp_dir dir);

/* tcp_flow_table_stats returns the table's counters (valid until the next
 * call into the table). */
const struct tcp_flow_stats *tcp_flow_table_stats(struct tcp_flow_table *tab);

#endif
