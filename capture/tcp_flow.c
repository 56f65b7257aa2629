/*
 * tcp_flow.c - the TCP connection table (see tcp_flow.h).
 *
 * A chained hash table keyed by the unordered pair of endpoints, so both
 * directions find the same entry, plus two lists in order of last activity:
 * open connections (for the idle timeout and for eviction when the table is
 * full) and closed ones (kept for a short linger so that retransmitted FINs
 * and ACKs after the close do not look like a new connection picked up in the
 * middle).
 */
#include "tcp_flow.h"

#include "lib/objcache.h"

#include <stdlib.h>
#include <string.h>

#define DEFAULT_MAX_FLOWS  65536u
#define DEFAULT_MEMCAP     (256u * 1024u * 1024u)
#define DEFAULT_IDLE_US    (300ull * 1000000)
#define DEFAULT_LINGER_US  (5ull * 1000000)
#define EXPIRE_EVERY_US    1000000ull

struct flow_list {
    struct tcp_flow *head, *tail;  /* head = least recently active */
};

/* Which list a connection is on.  Open connections are on two lists: those
 * that carried a payload byte (a dialogue) and those that did not yet (a
 * SYN, a handshake, a scan): when the table is full the second kind goes
 * first, so a SYN flood evicts its own connections, not the mail. */
enum { L_OPEN = 0, L_SILENT, L_CLOSING, L_CLOSED, L_COUNT };

struct tcp_flow_table {
    struct tcp_flow_config cfg;
    const struct tcp_flow_cbs *cbs;
    void *ctx;
    struct tcp_flow **buckets;
    size_t nbuckets;               /* power of two */
    /* open: in activity order, for the idle timeout and eviction.
     * silent: the same for open connections without a payload byte yet.
     * closing: a RST was seen; closed after the linger unless more data
     * follows (a RST the endpoint ignored was not the endpoint's: injected).
     * closed: on_close done; absorbs late packets until the linger ends. */
    struct flow_list lists[L_COUNT];
    struct tcp_memcap mc;
    struct objcache flows;         /* freed connections, for the next ones */
    struct tcp_flow_stats st;
    uint64_t next_id;
    size_t nclosed;                /* entries on the closed list */
    uint64_t now_us, last_expire_us;
    bool clock_set;                /* now_us has a packet's time */
    bool jump_pending;             /* the last packet was far from now_us: jump_us */
    uint64_t jump_us;
};

static const char *const close_names[TCP_CLOSE_COUNT] = {
    [TCP_CLOSE_NONE] = "open",   [TCP_CLOSE_FIN] = "fin",
    [TCP_CLOSE_RST] = "rst",     [TCP_CLOSE_TIMEOUT] = "timeout",
    [TCP_CLOSE_EVICTED] = "evicted", [TCP_CLOSE_REUSED] = "reused",
    [TCP_CLOSE_END] = "end",
};

const char *tcp_close_reason_name(enum tcp_close_reason r)
{
    return (unsigned)r < TCP_CLOSE_COUNT ? close_names[r] : "unknown";
}

/* ---- lists ---------------------------------------------------------- */

static void list_unlink(struct flow_list *l, struct tcp_flow *f)
{
    if (f->lprev)
        f->lprev->lnext = f->lnext;
    else
        l->head = f->lnext;
    if (f->lnext)
        f->lnext->lprev = f->lprev;
    else
        l->tail = f->lprev;
    f->lprev = f->lnext = NULL;
}

static void list_append(struct flow_list *l, struct tcp_flow *f)
{
    f->lnext = NULL;
    f->lprev = l->tail;
    if (l->tail)
        l->tail->lnext = f;
    else
        l->head = f;
    l->tail = f;
}

/* Move |f| to the tail of list |to| (the most recently active end). */
static void move_to(struct tcp_flow_table *tab, struct tcp_flow *f, unsigned to)
{
    list_unlink(&tab->lists[f->list], f);
    list_append(&tab->lists[to], f);
    if (f->list == L_CLOSED)
        tab->nclosed--;
    if (to == L_CLOSED)
        tab->nclosed++;
    f->list = (uint8_t)to;
}

/* ---- hashing -------------------------------------------------------- */

/* One endpoint as a 64-bit value: the address folded to 8 bytes, the port
 * mixed in.  Word loads (memcpy keeps them aligned-safe) instead of a byte
 * loop: this runs for every packet on a followed port. */
static uint64_t endpoint_key(const struct cap_addr *a, uint16_t port)
{
    uint64_t lo, hi;

    memcpy(&lo, a->b, 8);
    memcpy(&hi, a->b + 8, 8);
    return (lo ^ (hi * 0x9E3779B97F4A7C15ull)) + ((uint64_t)port << 48) + a->family;
}

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    x ^= x >> 33;
    return x;
}

/* The hash of an unordered endpoint pair: the same both ways round (the
 * sum).  Each endpoint is mixed on its own, so that pairs of neighbouring
 * addresses and ports (a flood from a range, to a range) do not add up to
 * the same sums; the sum of two mixed keys needs no further mixing. */
static uint32_t pair_hash(const struct cap_addr *a, uint16_t pa, const struct cap_addr *b, uint16_t pb)
{
    uint64_t k = mix64(endpoint_key(a, pa)) + mix64(endpoint_key(b, pb));

    return (uint32_t)(k ^ (k >> 32));
}

static bool addr_eq(const struct cap_addr *a, const struct cap_addr *b)
{
    uint64_t x[2], y[2];

    memcpy(x, a->b, 16);
    memcpy(y, b->b, 16);
    return a->family == b->family && ((x[0] ^ y[0]) | (x[1] ^ y[1])) == 0;
}

/* Which direction |seg| travels in |f|, or -1 if it is not of |f|.  The
 * capture input is part of the key: the same connection seen at two capture
 * points (a transparent appliance keeps addresses and ports) is two records,
 * one per point, never one record with every packet twice. */
static int seg_dir(const struct tcp_flow *f, const struct cap_tcp_seg *seg, unsigned input)
{
    if (f->input != input)
        return -1;
    if (seg->sport == f->cport && seg->dport == f->sport &&
        addr_eq(&seg->src, &f->client) && addr_eq(&seg->dst, &f->server))
        return TCP_TO_SERVER;
    if (seg->sport == f->sport && seg->dport == f->cport &&
        addr_eq(&seg->src, &f->server) && addr_eq(&seg->dst, &f->client))
        return TCP_TO_CLIENT;
    return -1;
}

/* ---- reassembly callbacks: bridge (user = flow) to the consumer ------- */

static size_t bridge_data(void *user, enum tcp_dir dir, const uint8_t *p, size_t n, uint64_t off)
{
    struct tcp_flow *f = user;

    if (!f->tab->cbs->on_data)
        return n;
    return f->tab->cbs->on_data(f->tab->ctx, f, dir, p, n, off);
}

static void bridge_gap(void *user, enum tcp_dir dir, uint64_t off, uint64_t len)
{
    struct tcp_flow *f = user;

    if (f->tab->cbs->on_gap)
        f->tab->cbs->on_gap(f->tab->ctx, f, dir, off, len);
}

static void bridge_anomaly(void *user, enum tcp_dir dir, enum tcp_anomaly a, uint64_t off)
{
    struct tcp_flow *f = user;

    if (f->tab->cbs->on_anomaly)
        f->tab->cbs->on_anomaly(f->tab->ctx, f, dir, a, off);
}

static const struct tcp_reasm_cbs bridge = {
    .on_data = bridge_data,
    .on_gap = bridge_gap,
    .on_anomaly = bridge_anomaly,
};

/* A connection whose consumer declined it (on_open returned NULL) has its
 * halves stopped: nothing is buffered for it. */
static bool has_consumer(const struct tcp_flow *f)
{
    return f->user != NULL;
}

/* The list of an open connection: by whether it carried a payload byte. */
static unsigned open_list(const struct tcp_flow *f)
{
    return f->flags & TCP_FLOW_DATA ? L_OPEN : L_SILENT;
}

/* ---- table ---------------------------------------------------------- */

struct tcp_flow_table *tcp_flow_table_new(const struct tcp_flow_config *cfg,
                                          const struct tcp_flow_cbs *cbs, void *ctx)
{
    struct tcp_flow_table *tab = calloc(1, sizeof(*tab));

    if (!tab)
        return NULL;
    objcache_init(&tab->flows, sizeof(struct tcp_flow), sizeof(struct tcp_flow));
    if (cfg)
        tab->cfg = *cfg;
    if (!tab->cfg.max_flows)
        tab->cfg.max_flows = DEFAULT_MAX_FLOWS;
    if (!tab->cfg.memcap)
        tab->cfg.memcap = DEFAULT_MEMCAP;
    if (!tab->cfg.idle_timeout_us)
        tab->cfg.idle_timeout_us = DEFAULT_IDLE_US;
    if (!tab->cfg.linger_us)
        tab->cfg.linger_us = DEFAULT_LINGER_US;
    tab->nbuckets = 1024;
    while (tab->nbuckets < tab->cfg.max_flows && tab->nbuckets < (1u << 24))
        tab->nbuckets <<= 1;
    tab->buckets = calloc(tab->nbuckets, sizeof(*tab->buckets));
    if (!tab->buckets) {
        free(tab);
        return NULL;
    }
    tab->cbs = cbs;
    tab->ctx = ctx;
    tab->mc.limit = tab->cfg.memcap;
    return tab;
}

static void hash_unlink(struct tcp_flow_table *tab, struct tcp_flow *f)
{
    struct tcp_flow **pp = &tab->buckets[f->hash & (tab->nbuckets - 1)];

    while (*pp && *pp != f)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = f->hnext;
}

/* Flush both halves, tell the consumer, and move |f| to the closed list. */
static void close_flow(struct tcp_flow_table *tab, struct tcp_flow *f, enum tcp_close_reason why)
{
    if (f->flags & TCP_FLOW_CLOSED)
        return;
    f->flags |= TCP_FLOW_CLOSING;
    tcp_half_flush(&f->half[TCP_TO_SERVER], &tab->mc, &bridge, f);
    tcp_half_flush(&f->half[TCP_TO_CLIENT], &tab->mc, &bridge, f);
    f->close_reason = why;
    f->flags |= TCP_FLOW_CLOSED;
    if (tab->cbs->on_close)
        tab->cbs->on_close(tab->ctx, f);
    f->user = NULL;
    tab->st.closed[why]++;
    tab->st.active--;
    move_to(tab, f, L_CLOSED);
}

/* Forget a closed connection. */
static void remove_flow(struct tcp_flow_table *tab, struct tcp_flow *f)
{
    hash_unlink(tab, f);
    list_unlink(&tab->lists[f->list], f);
    if (f->list == L_CLOSED)
        tab->nclosed--;
    tcp_half_cleanup(&f->half[0], &tab->mc);
    tcp_half_cleanup(&f->half[1], &tab->mc);
    objcache_free(&tab->flows, f);
}

static int cmp_id(const void *a, const void *b)
{
    const struct tcp_flow *fa = *(struct tcp_flow *const *)a;
    const struct tcp_flow *fb = *(struct tcp_flow *const *)b;

    return fa->id < fb->id ? -1 : fa->id > fb->id;
}

static enum tcp_close_reason end_reason(const struct tcp_flow *f)
{
    return f->list == L_CLOSING ? TCP_CLOSE_RST : TCP_CLOSE_END;
}

void tcp_flow_finish(struct tcp_flow_table *tab)
{
    size_t n = 0, i = 0;
    struct tcp_flow **v;

    if (tab->jump_pending) {       /* the last packet was a lone jump */
        tab->st.clock_jumps++;
        tab->jump_pending = false;
    }

    for (unsigned l = L_OPEN; l <= L_CLOSING; l++)
        for (struct tcp_flow *f = tab->lists[l].head; f; f = f->lnext)
            n++;
    if (n == 0)
        return;
    v = malloc(n * sizeof(*v));
    if (!v) { /* still close everything, in activity order */
        for (unsigned l = L_OPEN; l <= L_CLOSING; l++)
            while (tab->lists[l].head)
                close_flow(tab, tab->lists[l].head, end_reason(tab->lists[l].head));
        return;
    }
    for (unsigned l = L_OPEN; l <= L_CLOSING; l++)
        for (struct tcp_flow *f = tab->lists[l].head; f; f = f->lnext)
            v[i++] = f;
    qsort(v, n, sizeof(*v), cmp_id);
    for (i = 0; i < n; i++)
        close_flow(tab, v[i], end_reason(v[i]));
    free(v);
}

void tcp_flow_table_free(struct tcp_flow_table *tab)
{
    if (!tab)
        return;
    tcp_flow_finish(tab);
    while (tab->lists[L_CLOSED].head)
        remove_flow(tab, tab->lists[L_CLOSED].head);
    tcp_memcap_cleanup(&tab->mc);
    objcache_cleanup(&tab->flows);
    free(tab->buckets);
    free(tab);
}

void tcp_flow_expire(struct tcp_flow_table *tab, uint64_t now_us)
{
    if (now_us > tab->now_us)
        tab->now_us = now_us;
    now_us = tab->now_us;
    tab->last_expire_us = now_us;
    for (unsigned l = L_OPEN; l <= L_SILENT; l++)
        while (tab->lists[l].head &&
               tab->lists[l].head->last_us + tab->cfg.idle_timeout_us < now_us)
            close_flow(tab, tab->lists[l].head, TCP_CLOSE_TIMEOUT);
    while (tab->lists[L_CLOSING].head &&
           tab->lists[L_CLOSING].head->last_us + tab->cfg.linger_us < now_us)
        close_flow(tab, tab->lists[L_CLOSING].head, TCP_CLOSE_RST);
    while (tab->lists[L_CLOSED].head &&
           tab->lists[L_CLOSED].head->last_us + tab->cfg.linger_us < now_us)
        remove_flow(tab, tab->lists[L_CLOSED].head);
}

const struct tcp_flow_stats *tcp_flow_table_stats(struct tcp_flow_table *tab)
{
    tab->st.mem_used = tab->mc.used;
    tab->st.mem_peak = tab->mc.peak;
    tab->st.mem_refusals = tab->mc.refusals;
    return &tab->st;
}

struct tcp_memcap *tcp_flow_memcap(struct tcp_flow *f)
{
    return f != NULL && f->tab != NULL ? &f->tab->mc : NULL;
}

void tcp_flow_quiet(struct tcp_flow *f)
{
    if (f != NULL)
        f->flags |= TCP_FLOW_QUIET;
}

void tcp_flow_stop(struct tcp_flow *f, enum tcp_dir dir)
{
    tcp_half_stop(&f->half[dir], &f->tab->mc);
}

void tcp_flow_redeliver(struct tcp_flow *f, enum tcp_dir dir)
{
    tcp_half_redeliver(&f->half[dir], &bridge, f);
}

static struct tcp_flow *lookup(struct tcp_flow_table *tab, const struct cap_tcp_seg *seg,
                               unsigned input, uint32_t h, int *dir)
{
    for (struct tcp_flow *f = tab->buckets[h & (tab->nbuckets - 1)]; f; f = f->hnext) {
        if (f->hash == h && (*dir = seg_dir(f, seg, input)) >= 0)
            return f;
    }
    return NULL;
}

static void set_endpoints(struct tcp_flow *f, const struct cap_tcp_seg *seg, bool src_is_client)
{
    if (src_is_client) {
        f->client = seg->src;
        f->cport = seg->sport;
        f->server = seg->dst;
        f->sport = seg->dport;
    } else {
        f->client = seg->dst;
        f->cport = seg->dport;
        f->server = seg->src;
        f->sport = seg->sport;
    }
}

static struct tcp_flow *create(struct tcp_flow_table *tab, const struct cap_tcp_seg *seg,
                               uint32_t h, uint64_t ts_us, unsigned input,
                               enum tcp_flow_hint hint, int *dir)
{
    struct tcp_flow *f;
    bool src_client;

    /* Make room: forget lingering closed connections first, then evict one
     * a RST ended (what lingers after a RST is rarely more than a repeated
     * RST), then the least recently active connection without a dialogue,
     * and only then an open dialogue.  Under a SYN flood the table churns
     * through the flood's own connections: a real delivery is silent only
     * until its banner, a round trip, and never evicted for the flood. */
    while (tab->st.active + tab->nclosed >= tab->cfg.max_flows) {
        struct tcp_flow *victim = NULL;

        if (tab->lists[L_CLOSED].head) {
            remove_flow(tab, tab->lists[L_CLOSED].head);
            continue;
        }
        victim = tab->lists[L_CLOSING].head;
        if (victim == NULL)
            victim = tab->lists[L_SILENT].head;
        if (victim == NULL)
            victim = tab->lists[L_OPEN].head;
        if (victim == NULL)
            break;
        if (!(victim->flags & TCP_FLOW_DATA))
            tab->st.evicted_no_dialogue++;
        close_flow(tab, victim, TCP_CLOSE_EVICTED);
        remove_flow(tab, victim);
    }
    f = objcache_zalloc(&tab->flows);
    if (!f)
        return NULL;
    if (seg->flags & CAP_TH_SYN)
        src_client = !(seg->flags & CAP_TH_ACK);
    else if (hint == TCP_HINT_DST_SERVER)
        src_client = true;
    else if (hint == TCP_HINT_SRC_SERVER)
        src_client = false;
    else
        src_client = seg->sport >= seg->dport;
    if (!(seg->flags & CAP_TH_SYN))
        f->flags |= TCP_FLOW_ROLE_GUESS;
    set_endpoints(f, seg, src_client);
    f->id = ++tab->next_id;
    f->input = input;
    f->first_us = f->last_us = ts_us;
    f->tab = tab;
    f->hash = h;
    f->ttl_min[0] = f->ttl_min[1] = 255;
    tcp_half_init(&f->half[TCP_TO_SERVER], TCP_TO_SERVER, tab->cfg.max_pending,
                  tab->cfg.max_ooo, tab->cfg.max_hist);
    tcp_half_init(&f->half[TCP_TO_CLIENT], TCP_TO_CLIENT, tab->cfg.max_pending,
                  tab->cfg.max_ooo, tab->cfg.max_hist);
    f->hnext = tab->buckets[h & (tab->nbuckets - 1)];
    tab->buckets[h & (tab->nbuckets - 1)] = f;
    list_append(&tab->lists[L_SILENT], f);
    f->list = L_SILENT;
    tab->st.created++;
    tab->st.active++;
    if (tab->st.active > tab->st.peak_active)
        tab->st.peak_active = tab->st.active;
    *dir = src_client ? TCP_TO_SERVER : TCP_TO_CLIENT;
    f->user = tab->cbs->on_open ? tab->cbs->on_open(tab->ctx, f) : NULL;
    if (!has_consumer(f)) {
        tcp_half_stop(&f->half[0], &tab->mc);
        tcp_half_stop(&f->half[1], &tab->mc);
    }
    return f;
}

/* RFC 793 §3.4 and RFC 5961 §3: a RST answering a SYN must acknowledge it;
 * any other RST must carry a sequence number in the sender's window.  A
 * passive monitor cannot know the window exactly, so "in the window" is
 * generous (from 64 KiB behind to 1 MiB ahead of what we expect next); what
 * it rules out is the blind injection that guesses wrong. */
static bool rst_acceptable(const struct tcp_flow *f, enum tcp_dir dir, const struct cap_tcp_seg *seg)
{
    const struct tcp_half *h = &f->half[dir];
    int32_t d;

    if (dir == TCP_TO_CLIENT && (f->flags & TCP_FLOW_SYN) && !(f->flags & TCP_FLOW_SYNACK) &&
        f->half[TCP_TO_SERVER].next_off == 0)
        return (seg->flags & CAP_TH_ACK) && seg->ack == f->half[TCP_TO_SERVER].isn + 1;
    if (!(h->flags & TCP_HALF_ANCHORED) || (h->flags & TCP_HALF_SOFT))
        return true;
    d = (int32_t)(seg->seq - h->next_seq);
    return d >= -65536 && d <= 1024 * 1024;
}

/* clock_step moves the connection clock to a packet's time.  A packet
 * further than the idle timeout from the clock, ahead or behind, does not
 * move it: one bogus timestamp (10 years ahead, or 1970) would otherwise
 * time out every open connection, and the packets after it would start
 * them again mid-stream.  A second packet in a row that agrees with it
 * (within the idle timeout) moves the clock there: a real gap in the
 * capture, or a clock that was itself wrong.  A lone one is counted in
 * clock_jumps. */
static void clock_step(struct tcp_flow_table *tab, uint64_t ts_us)
{
    uint64_t idle = tab->cfg.idle_timeout_us;

    if (!tab->clock_set) {
        tab->clock_set = true;
        tab->now_us = ts_us;
        return;
    }
    if (ts_us <= tab->now_us + idle && ts_us + idle >= tab->now_us) {
        if (tab->jump_pending) {
            tab->st.clock_jumps++;
            tab->jump_pending = false;
        }
        if (ts_us > tab->now_us)
            tab->now_us = ts_us;
        return;
    }
    if (tab->jump_pending && ts_us <= tab->jump_us + idle && ts_us + idle >= tab->jump_us) {
        tab->jump_pending = false;
        if (ts_us < tab->now_us)
            tab->last_expire_us = ts_us;   /* the sweep's schedule follows back */
        tab->now_us = ts_us;
        return;
    }
    if (tab->jump_pending)
        tab->st.clock_jumps++;
    tab->jump_pending = true;
    tab->jump_us = ts_us;
}

void tcp_flow_packet(struct tcp_flow_table *tab, const struct cap_tcp_seg *seg,
                     uint64_t ts_us, unsigned input, enum tcp_flow_hint hint)
{
    uint32_t h = pair_hash(&seg->src, seg->sport, &seg->dst, seg->dport) ^ (input * 0x9e3779b1u);
    struct tcp_flow *f;
    struct tcp_half *half;
    int dir = -1;
    bool syn = seg->flags & CAP_TH_SYN, fin = seg->flags & CAP_TH_FIN;

    if ((seg->flags & (CAP_TH_SYN | CAP_TH_RST)) == (CAP_TH_SYN | CAP_TH_RST)) {
        /* No stack sends SYN and RST together: fuzzed or crafted. */
        tab->st.bad_packets++;
        return;
    }
    f = lookup(tab, seg, input, h, &dir);
    clock_step(tab, ts_us);
    if (tab->now_us >= tab->last_expire_us + EXPIRE_EVERY_US) {
        /* The sweep must not take the connection this packet belongs to
         * (its own time may be the bogus one): hold it out of the lists. */
        if (f)
            list_unlink(&tab->lists[f->list], f);
        tcp_flow_expire(tab, tab->now_us);
        if (f)
            list_append(&tab->lists[f->list], f);
    }
    if (f && (f->flags & TCP_FLOW_CLOSED)) {
        /* A fresh SYN on a closed connection's endpoints starts a new one. */
        if (syn && !(seg->flags & CAP_TH_ACK) && (f->flags & TCP_FLOW_SYN) &&
            seg->seq != f->half[TCP_TO_SERVER].isn) {
            remove_flow(tab, f);
            f = NULL;
        } else {
            tab->st.late_packets++;
            if (f->close_reason == TCP_CLOSE_RST && (seg->payload_len > 0 || fin))
                tab->st.late_after_rst++;
            return;
        }
    } else if (f && syn && !(seg->flags & CAP_TH_ACK) && dir == TCP_TO_SERVER &&
               (f->flags & TCP_FLOW_SYN) && seg->seq != f->half[TCP_TO_SERVER].isn &&
               (f->half[0].next_off > 0 || f->half[1].next_off > 0)) {
        /* Port reuse without the old connection's close being seen. */
        close_flow(tab, f, TCP_CLOSE_REUSED);
        remove_flow(tab, f);
        f = NULL;
    }
    if (!f) {
        /* A RST, or a bare FIN/ACK without data, cannot start anything we
         * could follow. */
        if ((seg->flags & CAP_TH_RST) || (!syn && seg->payload_len == 0)) {
            tab->st.stray_packets++;
            return;
        }
        f = create(tab, seg, h, ts_us, input, hint, &dir);
        if (!f)
            return;
    }

    /* A connection idle longer than the timeout would have been closed: a
     * packet that far ahead of its own connection carries a bogus time. */
    if (ts_us > f->last_us && ts_us <= f->last_us + tab->cfg.idle_timeout_us)
        f->last_us = ts_us;
    if (seg->payload_len > 0)
        f->flags |= TCP_FLOW_DATA;
    if (f->list == L_CLOSING && (seg->payload_len > 0 || fin || syn)) {
        /* The connection goes on after a RST: the RST did not come from the
         * endpoint that seemed to send it. */
        f->half[!dir].st.anomalies[TCP_AN_DATA_AFTER_RST]++;
        bridge_anomaly(f, (enum tcp_dir)!dir, TCP_AN_DATA_AFTER_RST, f->half[!dir].next_off);
        f->half[!dir].flags &= ~TCP_HALF_RST;
        move_to(tab, f, open_list(f));
    } else if (f->list == L_OPEN || f->list == L_SILENT) {
        move_to(tab, f, open_list(f));
    }
    f->packets[dir]++;
    if (seg->ttl < f->ttl_min[dir])
        f->ttl_min[dir] = seg->ttl;
    if (seg->ttl > f->ttl_max[dir])
        f->ttl_max[dir] = seg->ttl;
    half = &f->half[dir];
    if (tab->cbs->on_packet && has_consumer(f) && !(f->flags & TCP_FLOW_QUIET))
        tab->cbs->on_packet(tab->ctx, f, (enum tcp_dir)dir, seg);

    if (syn) {
        f->flags |= dir == TCP_TO_SERVER ? TCP_FLOW_SYN : TCP_FLOW_SYNACK;
        tcp_half_syn(half, seg->seq, &bridge, f);
    }
    if (seg->seg_flags & CAP_SEG_IP_FRAGMENT) {
        f->flags |= TCP_FLOW_IP_FRAG;
        half->st.anomalies[TCP_AN_IP_FRAGMENT]++;
        bridge_anomaly(f, (enum tcp_dir)dir, TCP_AN_IP_FRAGMENT, half->next_off);
    }
    if (seg->seg_flags & CAP_SEG_SNAPPED) {
        f->flags |= TCP_FLOW_SNAPPED;
        half->st.anomalies[TCP_AN_SNAPPED]++;
        bridge_anomaly(f, (enum tcp_dir)dir, TCP_AN_SNAPPED, half->next_off);
    }
    if (seg->payload_len > 0 || fin) {
        /* Data on a SYN (TCP Fast Open) starts one after the SYN's number. */
        uint32_t seq = syn ? seg->seq + 1 : seg->seq;

        tcp_half_segment(half, seq, seg->payload, seg->payload_len, fin, &tab->mc, &bridge, f);
    }
    if ((seg->flags & CAP_TH_ACK) && !(f->flags & TCP_FLOW_CLOSED)) {
        struct tcp_half *peer = &f->half[!dir];

        /* A connection picked up mid-stream: the peer's first expected byte
         * is what this side acknowledges, which anchors the peer even before
         * its first segment shows up (and keeps a reordered first segment). */
        if (!(peer->flags & TCP_HALF_ANCHORED) && has_consumer(f)) {
            tcp_half_anchor(peer, seg->ack);
            peer->flags |= TCP_HALF_SOFT;
        }
        else
            tcp_half_acked(peer, seg->ack, &tab->mc, &bridge, f);
    }
    if (seg->flags & CAP_TH_RST) {
        if (!rst_acceptable(f, (enum tcp_dir)dir, seg)) {
            half->st.anomalies[TCP_AN_BAD_RST]++;
            bridge_anomaly(f, (enum tcp_dir)dir, TCP_AN_BAD_RST, half->next_off);
            return;
        }
        /* Closed once the linger passes with nothing more from either side.
         * Meanwhile nothing is held: what can be delivered is, and the
         * buffers go back (bytes after an ignored RST start new ones).  A
         * consumer that has stopped both directions can learn nothing from
         * what may follow: it is told now, and only the connection lingers
         * (late bytes are counted, see late_after_rst), so its state is not
         * held for the linger. */
        half->flags |= TCP_HALF_RST;
        if (f->list == L_OPEN || f->list == L_SILENT) {
            tcp_half_flush(&f->half[TCP_TO_SERVER], &tab->mc, &bridge, f);
            tcp_half_flush(&f->half[TCP_TO_CLIENT], &tab->mc, &bridge, f);
            if (has_consumer(f) && (f->half[0].flags & TCP_HALF_STOPPED) &&
                (f->half[1].flags & TCP_HALF_STOPPED))
                close_flow(tab, f, TCP_CLOSE_RST);
            else
                move_to(tab, f, L_CLOSING);
        }
        return;
    }
    if ((f->half[0].flags & TCP_HALF_FIN) && (f->half[1].flags & TCP_HALF_FIN) &&
        (f->half[0].flags & (TCP_HALF_CLOSED | TCP_HALF_STOPPED)) &&
        (f->half[1].flags & (TCP_HALF_CLOSED | TCP_HALF_STOPPED)))
        close_flow(tab, f, TCP_CLOSE_FIN);
}
