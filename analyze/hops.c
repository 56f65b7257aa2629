/*
 * hops.c - pairing the sessions of one delivery across capture points (see
 * hops.h).
 *
 * Neighbouring points are paired in two passes.  The first takes what
 * identifies a TLS handshake or a TCP connection (the ClientHello random,
 * the addresses and ports, the session id) through hash tables of the
 * inner point's sessions.  The second pairs what is left the way a relay
 * behaves: the outer sessions in the order they ended, each with the best
 * inner session that began in its window, the earliest among equals, so
 * that two deliveries in the same second are paired in order rather than
 * crossed.
 */
#include "analyze/hops.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/keyhash.h"
#include "analyze/x509.h"
#include "lib/strbuf.h"

#define SKEW_US (2u * 1000000u)   /* clocks of two capture hosts, and the SYN's own delay */
#define WHY_MAX 160

#define POOL_CHUNK (1u << 16)
#define POOL_MAX ((size_t)256 << 20)   /* bytes of text kept in all */

/* A session as kept for the comparison: the digest's facts in a few
 * hundred bytes instead of its fixed text fields (a digest is some 3.5 KB),
 * the texts interned in the pool (most sessions share their names and
 * fingerprints), the leaf's hash only.  deliver() expands it back. */
struct hdig {
    uint64_t first_us, last_us, id, cbytes, sbytes;
    struct cap_addr client, server;
    uint16_t cport, sport, version, cipher;
    uint8_t tls_state, session_id_len, nfindings;
    bool server_hello, cert_hidden, starttls_offered, starttls_requested, implicit_tls;
    bool random_seen, leaf_seen, leaf_self_signed, expected;
    uint8_t random[32], session_id[32], leaf[32];
    struct tls_server_flight flight;
    const char *sni, *banner_host, *ehlo, *ehlo_host, *ja3s, *hello_fp, *leaf_subject;
    const struct digest_finding *findings;
};

struct rec {
    struct hdig d;
    bool paired_in;                /* a session of the point before leads here */
    long next;                     /* its session at the next point, -1 none */
    unsigned conf;                 /* the pairing with |next| */
    const char *why;               /* why, in the pool ("" none) */
};

/* The pool: texts kept once each (interned through a hash set), and
 * findings lists, in chunks freed together. */
struct pool_chunk {
    struct pool_chunk *next;
    size_t used;
    char data[POOL_CHUNK];
};

struct pool {
    struct pool_chunk *chunks;
    size_t bytes;
    const char **set;              /* interned texts, open addressing */
    uint64_t *hash;
    size_t nset, capset;
    uint64_t refused;              /* texts not kept: the pool was full */
};

struct point {
    char *label;
    struct rec *v;
    size_t n, cap;
};

struct hops {
    struct pool pool;
    struct session_digest scratch[HOPS_MAX_POINTS];   /* a delivery's sessions, expanded */
    struct point pts[HOPS_MAX_POINTS];
    const char *labels[HOPS_MAX_POINTS];
    size_t np;
    uint64_t window_us;
    uint64_t seed;
    struct hops_stats st;
};

struct hops *hops_new(uint64_t window_us)
{
    struct hops *h = calloc(1, sizeof(*h));

    if (h == NULL)
        return NULL;
    h->window_us = window_us ? window_us : HOPS_DEFAULT_WINDOW_US;
    if (getentropy(&h->seed, sizeof(h->seed)) != 0)
        h->seed = 0x9E3779B97F4A7C15u;
    return h;
}

static void pool_free(struct pool *p)
{
    for (struct pool_chunk *c = p->chunks, *nx; c != NULL; c = nx) {
        nx = c->next;
        free(c);
    }
    free(p->set);
    free(p->hash);
}

/* pool_alloc returns |n| bytes (n <= POOL_CHUNK, 8-aligned), NULL when the
 * pool is full or memory ran out. */
static void *pool_alloc(struct pool *p, size_t n)
{
    struct pool_chunk *c = p->chunks;
    void *r;

    n = (n + 7) & ~(size_t)7;
    if (n > POOL_CHUNK || p->bytes + n > POOL_MAX)
        return NULL;
    if (c == NULL || c->used + n > POOL_CHUNK) {
        if ((c = malloc(sizeof(*c))) == NULL)
            return NULL;
        c->next = p->chunks;
        c->used = 0;
        p->chunks = c;
    }
    r = c->data + c->used;
    c->used += n;
    p->bytes += n;
    return r;
}

static bool pool_grow(struct pool *p)
{
    size_t cap = p->capset ? p->capset * 2 : 1024;
    const char **set = calloc(cap, sizeof(*set));
    uint64_t *hash = calloc(cap, sizeof(*hash));

    if (set == NULL || hash == NULL) {
        free(set);
        free(hash);
        return false;
    }
    for (size_t i = 0; i < p->capset; i++) {
        size_t j;

        if (p->set[i] == NULL)
            continue;
        for (j = p->hash[i] & (cap - 1); set[j] != NULL; j = (j + 1) & (cap - 1))
            ;
        set[j] = p->set[i];
        hash[j] = p->hash[i];
    }
    free(p->set);
    free(p->hash);
    p->set = set;
    p->hash = hash;
    p->capset = cap;
    return true;
}

/* intern returns the pool's copy of |s| ("" for NULL or empty, and when
 * it cannot be kept: counted). */
static const char *intern(struct hops *h, const char *s)
{
    struct pool *p = &h->pool;
    size_t n = s != NULL ? strlen(s) : 0, j;
    uint64_t hv;
    char *copy;

    if (n == 0)
        return "";
    if (p->nset * 2 >= p->capset && !pool_grow(p)) {
        p->refused++;
        return "";
    }
    hv = keyhash(h->seed, (const uint8_t *)s, n);
    for (j = hv & (p->capset - 1); p->set[j] != NULL; j = (j + 1) & (p->capset - 1))
        if (p->hash[j] == hv && strcmp(p->set[j], s) == 0)
            return p->set[j];
    if ((copy = pool_alloc(p, n + 1)) == NULL) {
        p->refused++;
        return "";
    }
    memcpy(copy, s, n + 1);
    p->set[j] = copy;
    p->hash[j] = hv;
    p->nset++;
    return copy;
}

void hops_free(struct hops *h)
{
    if (h == NULL)
        return;
    pool_free(&h->pool);
    for (size_t i = 0; i < h->np; i++) {
        free(h->pts[i].label);
        free(h->pts[i].v);
    }
    free(h);
}

int hops_point(struct hops *h, const char *label)
{
    for (size_t i = 0; i < h->np; i++)
        if (strcmp(h->pts[i].label, label) == 0)
            return (int)i;
    if (h->np >= HOPS_MAX_POINTS || (h->pts[h->np].label = strdup(label)) == NULL)
        return -1;
    h->labels[h->np] = h->pts[h->np].label;
    return (int)h->np++;
}

size_t hops_npoints(const struct hops *h)
{
    return h->np;
}

/* shrink keeps |d| as |x| (texts interned). */
static void shrink(struct hops *h, struct hdig *x, const struct session_digest *d)
{
    memset(x, 0, sizeof(*x));
    x->first_us = d->first_us;
    x->last_us = d->last_us;
    x->id = d->id;
    x->cbytes = d->cbytes;
    x->sbytes = d->sbytes;
    x->client = d->client;
    x->server = d->server;
    x->cport = d->cport;
    x->sport = d->sport;
    x->version = d->version;
    x->cipher = d->cipher;
    x->tls_state = (uint8_t)d->tls_state;
    x->server_hello = d->server_hello;
    x->cert_hidden = d->cert_hidden;
    x->starttls_offered = d->starttls_offered;
    x->starttls_requested = d->starttls_requested;
    x->implicit_tls = d->implicit_tls;
    x->random_seen = d->random_seen;
    memcpy(x->random, d->random, 32);
    x->session_id_len = d->session_id_len;
    memcpy(x->session_id, d->session_id, d->session_id_len);
    x->leaf_seen = d->nchain > 0;
    if (x->leaf_seen)
        memcpy(x->leaf, d->chain[0], 32);
    x->leaf_self_signed = d->leaf_self_signed;
    x->expected = d->expected;
    x->flight = d->flight;
    x->sni = intern(h, d->sni);
    x->banner_host = intern(h, d->banner_host);
    x->ehlo = intern(h, d->ehlo);
    x->ehlo_host = intern(h, d->ehlo_host);
    x->ja3s = intern(h, d->ja3s);
    x->hello_fp = intern(h, d->hello_fp);
    x->leaf_subject = intern(h, d->leaf_subject);
    if (d->nfindings > 0) {
        struct digest_finding *f = pool_alloc(&h->pool, d->nfindings * sizeof(*f));

        if (f != NULL) {
            memcpy(f, d->findings, d->nfindings * sizeof(*f));
            x->findings = f;
            x->nfindings = (uint8_t)d->nfindings;
        } else {
            h->pool.refused++;
        }
    }
}

/* expand is shrink backwards, into a whole digest (the leaf's hash only). */
static void expand(const struct hops *h, size_t point, const struct hdig *x,
                   struct session_digest *d)
{
    memset(d, 0, sizeof(*d));
    strbuf_copy(d->point, sizeof(d->point), h->labels[point]);
    d->first_us = x->first_us;
    d->last_us = x->last_us;
    d->id = x->id;
    d->cbytes = x->cbytes;
    d->sbytes = x->sbytes;
    d->client = x->client;
    d->server = x->server;
    d->cport = x->cport;
    d->sport = x->sport;
    d->version = x->version;
    d->cipher = x->cipher;
    d->tls_state = (enum session_tls_state)x->tls_state;
    d->server_hello = x->server_hello;
    d->cert_hidden = x->cert_hidden;
    d->starttls_offered = x->starttls_offered;
    d->starttls_requested = x->starttls_requested;
    d->implicit_tls = x->implicit_tls;
    d->random_seen = x->random_seen;
    memcpy(d->random, x->random, 32);
    d->session_id_len = x->session_id_len;
    memcpy(d->session_id, x->session_id, x->session_id_len);
    if (x->leaf_seen) {
        d->nchain = 1;
        memcpy(d->chain[0], x->leaf, 32);
    }
    d->leaf_self_signed = x->leaf_self_signed;
    d->expected = x->expected;
    d->flight = x->flight;
    strbuf_copy(d->sni, sizeof(d->sni), x->sni);
    strbuf_copy(d->banner_host, sizeof(d->banner_host), x->banner_host);
    strbuf_copy(d->ehlo, sizeof(d->ehlo), x->ehlo);
    strbuf_copy(d->ehlo_host, sizeof(d->ehlo_host), x->ehlo_host);
    strbuf_copy(d->ja3s, sizeof(d->ja3s), x->ja3s);
    strbuf_copy(d->hello_fp, sizeof(d->hello_fp), x->hello_fp);
    strbuf_copy(d->leaf_subject, sizeof(d->leaf_subject), x->leaf_subject);
    d->nfindings = x->nfindings;
    if (x->nfindings > 0)
        memcpy(d->findings, x->findings, x->nfindings * sizeof(d->findings[0]));
}

void hops_add(struct hops *h, int point, const struct session_digest *d)
{
    struct point *p;
    struct rec *r;

    if (point < 0 || (size_t)point >= h->np)
        return;
    p = &h->pts[point];
    if (h->st.kept >= HOPS_MAX_DIGESTS) {
        h->st.dropped++;
        return;
    }
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 64;
        struct rec *nv = realloc(p->v, cap * sizeof(*nv));

        if (nv == NULL) {
            h->st.dropped++;
            return;
        }
        p->v = nv;
        p->cap = cap;
    }
    r = &p->v[p->n++];
    shrink(h, &r->d, d);
    r->paired_in = false;
    r->next = -1;
    r->conf = 0;
    r->why = "";
    h->st.kept++;
}

void hops_stats(const struct hops *h, struct hops_stats *st)
{
    *st = h->st;
    st->texts_dropped = h->pool.refused;
}

/* ---- pairing ------------------------------------------------------------ */

/* A session's place in an order: the keys, then its index. */
struct ord {
    uint64_t k1, k2;
    size_t i;
};

static int by_keys(const void *x, const void *y)
{
    const struct ord *a = x, *b = y;

    if (a->k1 != b->k1)
        return a->k1 < b->k1 ? -1 : 1;
    if (a->k2 != b->k2)
        return a->k2 < b->k2 ? -1 : 1;
    return a->i < b->i ? -1 : a->i > b->i;
}

/* order returns the indices of |p|'s sessions sorted by their last packet
 * (|by_end|) or their first, the first as the tie-break. */
static size_t *order(const struct point *p, bool by_end)
{
    struct ord *o = malloc((p->n ? p->n : 1) * sizeof(*o));
    size_t *ix = malloc((p->n ? p->n : 1) * sizeof(*ix));

    if (o == NULL || ix == NULL) {
        free(o);
        free(ix);
        return NULL;
    }
    for (size_t i = 0; i < p->n; i++) {
        o[i].k1 = by_end ? p->v[i].d.last_us : p->v[i].d.first_us;
        o[i].k2 = p->v[i].d.first_us;
        o[i].i = i;
    }
    qsort(o, p->n, sizeof(*o), by_keys);
    for (size_t i = 0; i < p->n; i++)
        ix[i] = o[i].i;
    free(o);
    return ix;
}

enum key_kind { KEY_RANDOM, KEY_ENDPOINTS, KEY_SESSION_ID };

/* key_of writes the key of |r| for |kind| into |k|; 0 when |r| has none. */
static size_t key_of(const struct rec *r, enum key_kind kind, uint8_t k[64])
{
    switch (kind) {
    case KEY_RANDOM:
        if (!r->d.random_seen)
            return 0;
        memcpy(k, r->d.random, 32);
        return 32;
    case KEY_ENDPOINTS:
        k[0] = r->d.client.family;
        memcpy(k + 1, r->d.client.b, 16);
        memcpy(k + 17, &r->d.cport, 2);
        memcpy(k + 19, &r->d.sport, 2);
        return 21;
    case KEY_SESSION_ID:
        if (r->d.session_id_len == 0)
            return 0;
        memcpy(k, r->d.session_id, r->d.session_id_len);
        return r->d.session_id_len;
    }
    return 0;
}

static bool in_window(const struct hops *h, const struct rec *a, const struct rec *b, bool close)
{
    uint64_t lo = a->d.first_us > SKEW_US ? a->d.first_us - SKEW_US : 0;
    uint64_t hi = a->d.last_us + (close ? SKEW_US : h->window_us);

    return b->d.first_us >= lo && b->d.first_us <= hi;
}

static void link_pair(struct hops *h, struct rec *a, struct rec *b, long bi, unsigned conf,
                      const char *why)
{
    a->next = bi;
    a->conf = conf;
    b->paired_in = true;
    a->why = intern(h, why);
}

/* The inner point's sessions that have a key, sorted by the key's hash,
 * the server port and the first packet: the sessions of one key (and
 * port) are one run, in time order. */
struct skey {
    uint64_t h, first_us;
    uint16_t sport;
    size_t i;
};

static int by_skey(const void *x, const void *y)
{
    const struct skey *a = x, *b = y;

    if (a->h != b->h)
        return a->h < b->h ? -1 : 1;
    if (a->sport != b->sport)
        return a->sport < b->sport ? -1 : 1;
    if (a->first_us != b->first_us)
        return a->first_us < b->first_us ? -1 : 1;
    return a->i < b->i ? -1 : a->i > b->i;
}

/* find: the first position at or after |p| (fwd) whose session is not
 * paired yet, through links that skip the paired ones (path halving); the
 * backward links use positions plus one, 0 being "none before". */
static size_t find(size_t *link, size_t p)
{
    while (link[p] != p) {
        link[p] = link[link[p]];
        p = link[p];
    }
    return p;
}

/* same_key: |b| has |a|'s key |k| (|kl| bytes) and port, and began close
 * enough in time. */
static bool same_key(const struct hops *h, const struct rec *a, const struct rec *b,
                     enum key_kind kind, const uint8_t *k, size_t kl)
{
    uint8_t kb[64];

    return key_of(b, kind, kb) == kl && memcmp(k, kb, kl) == 0 && b->d.sport == a->d.sport &&
           in_window(h, a, b, kind != KEY_SESSION_ID);
}

static uint64_t dist(uint64_t a, uint64_t b)
{
    return a > b ? a - b : b - a;
}

/* pair_strong pairs |A|'s sessions with |B|'s of the same key of |kind|
 * (and the same server port), close in time: of the unpaired sessions of
 * that key, the one that began nearest to it.  A key that many sessions
 * share (copies of one ClientHello, a client whose random repeats) costs a
 * binary search and a few skips per session, not a walk of all of them. */
static void pair_strong(struct hops *h, struct point *A, struct point *B, enum key_kind kind,
                        unsigned conf, const char *why)
{
    struct skey *v;
    size_t *fwd = NULL, *bwd = NULL, m = 0;
    uint8_t k[64];

    if (B->n == 0 || (v = malloc(B->n * sizeof(*v))) == NULL)
        return;
    for (size_t i = 0; i < B->n; i++) {
        size_t kl = key_of(&B->v[i], kind, k);

        if (kl == 0 || B->v[i].paired_in)
            continue;
        v[m++] = (struct skey){keyhash(h->seed, k, kl), B->v[i].d.first_us, B->v[i].d.sport, i};
    }
    if (m == 0 || (fwd = malloc((m + 1) * sizeof(*fwd))) == NULL ||
        (bwd = malloc((m + 1) * sizeof(*bwd))) == NULL)
        goto out;
    qsort(v, m, sizeof(*v), by_skey);
    for (size_t p = 0; p <= m; p++)
        fwd[p] = bwd[p] = p;
    for (size_t i = 0; i < A->n; i++) {
        struct rec *a = &A->v[i];
        size_t kl = key_of(a, kind, k), l = 0, r = m, pf, pb;
        struct skey want;
        long best = -1;
        size_t bp = 0;

        if (kl == 0 || a->next >= 0)
            continue;
        want = (struct skey){keyhash(h->seed, k, kl), a->d.first_us, a->d.sport, 0};
        while (l < r) {   /* the first of the key's run that began at |a| or later */
            size_t mid = l + (r - l) / 2;

            if (by_skey(&v[mid], &want) < 0)
                l = mid + 1;
            else
                r = mid;
        }
        pf = find(fwd, l);
        pb = find(bwd, l);   /* the last unpaired one before l, plus one */
        if (pf < m && v[pf].h == want.h && v[pf].sport == want.sport &&
            same_key(h, a, &B->v[v[pf].i], kind, k, kl)) {
            best = (long)v[pf].i;
            bp = pf;
        }
        if (pb > 0 && v[pb - 1].h == want.h && v[pb - 1].sport == want.sport &&
            same_key(h, a, &B->v[v[pb - 1].i], kind, k, kl) &&
            (best < 0 || dist(v[pb - 1].first_us, a->d.first_us) <
                             dist(v[pf].first_us, a->d.first_us))) {
            best = (long)v[pb - 1].i;
            bp = pb - 1;
        }
        if (best < 0)
            continue;
        link_pair(h, a, &B->v[best], best, conf, why);
        fwd[bp] = bp + 1;
        bwd[bp + 1] = bp;
    }
out:
    free(fwd);
    free(bwd);
    free(v);
}

/* sizes_fit: what the inner session's client sent is the outer one's
 * message with a little added or taken (headers, TLS framing). */
static bool sizes_fit(const struct rec *a, const struct rec *b)
{
    uint64_t x = a->d.cbytes, y = b->d.cbytes;

    if (x < 256 || y < 256)
        return false;
    return y + 1024 + x / 8 >= x && y <= x + 16384 + x / 4;
}

static bool same_text(const char *x, const char *y)
{
    return x[0] != '\0' && strcmp(x, y) == 0;
}

/* pair_relay pairs what is left as a relay forwards: outer sessions in the
 * order they ended, each with the inner session that began in its window
 * and scores best, the earliest among equals. */
static void pair_relay(struct hops *h, struct point *A, struct point *B)
{
    size_t *oa = order(A, true), *ob = order(B, false);

    if (oa == NULL || ob == NULL) {
        free(oa);
        free(ob);
        return;
    }
    for (size_t i = 0; i < A->n; i++) {
        struct rec *a = &A->v[oa[i]];
        uint64_t lo = a->d.first_us > SKEW_US ? a->d.first_us - SKEW_US : 0;
        size_t l = 0, r = B->n;
        long best = -1;
        int best_score = -1;
        bool best_sni = false, best_size = false;

        if (a->next >= 0)
            continue;
        while (l < r) {   /* the first inner session that began at |lo| or later */
            size_t m = l + (r - l) / 2;

            if (B->v[ob[m]].d.first_us < lo)
                l = m + 1;
            else
                r = m;
        }
        for (size_t k = l; k < B->n; k++) {
            struct rec *b = &B->v[ob[k]];
            bool sni, size;
            int score;

            if (!in_window(h, a, b, false))
                break;
            if (b->paired_in)
                continue;
            /* a relay's session to another server port is another service */
            if (b->d.sport != a->d.sport && !(a->d.sport == 465 || b->d.sport == 465))
                continue;
            sni = same_text(a->d.sni, b->d.sni);
            size = sizes_fit(a, b);
            score = (sni ? 2 : 0) + (size ? 2 : 0) + (b->d.first_us + SKEW_US >= a->d.last_us);
            if (score > best_score) {
                best_score = score;
                best = (long)ob[k];
                best_sni = sni;
                best_size = size;
            }
        }
        if (best >= 0) {
            struct rec *b = &B->v[best];
            char why[WHY_MAX];
            double gap = ((double)b->d.first_us - (double)a->d.last_us) / 1e6;
            unsigned conf = 40 + (best_sni ? 20 : 0) + (best_size ? 20 : 0);
            struct strbuf sb;

            strbuf_init(&sb, why, sizeof(why));
            if (gap >= 0)
                strbuf_printf(&sb, "the next session inward, %.3f s after it ended", gap);
            else
                strbuf_printf(&sb, "the next session inward, %.3f s after it began",
                              ((double)b->d.first_us - (double)a->d.first_us) / 1e6);
            if (best_sni)
                strbuf_printf(&sb, ", same SNI %s", b->d.sni);
            if (best_size)
                strbuf_printf(&sb, ", %llu bytes sent to it, %llu to the outer one",
                              (unsigned long long)b->d.cbytes, (unsigned long long)a->d.cbytes);
            link_pair(h, a, b, best, conf, why);
        }
    }
    free(oa);
    free(ob);
}

/* ---- what changed along a delivery ---------------------------------------- */

static bool leaf_visible(const struct session_digest *d)
{
    return !d->cert_hidden && d->nchain > 0;
}

static bool has_finding(const struct session_digest *d, enum finding_code c)
{
    for (size_t i = 0; i < d->nfindings; i++)
        if (d->findings[i].code == c)
            return true;
    return false;
}

static bool smtp_seen(const struct session_digest *d)
{
    return !d->implicit_tls && (d->banner_host[0] != '\0' || d->ehlo_host[0] != '\0' ||
                                d->starttls_offered);
}

/* flights_differ: the encrypted flights of two TLS 1.3 sessions, both seen
 * whole, differ by more than a signature's length jitter (an ECDSA
 * signature varies by a few bytes): another certificate chain. */
static bool flights_differ(const struct session_digest *x, const struct session_digest *y)
{
    uint32_t a = x->flight.enc_bytes, b = y->flight.enc_bytes;

    if (!x->flight.enc_complete || !y->flight.enc_complete || x->version != 0x0304 ||
        y->version != 0x0304)
        return false;
    return (a > b ? a - b : b - a) > 16;
}

static void set_change(struct hop_change *c, int from, int to)
{
    if (c->from < 0) {
        c->from = from;
        c->to = to;
    }
}

static void compare(struct hop_delivery *dl)
{
    int prev = -1;

    dl->certificate.from = dl->certificate.to = -1;
    dl->terminator = dl->starttls = dl->banner = dl->ehlo = dl->certificate;
    for (int i = 0; i < (int)dl->npoints; i++) {
        const struct session_digest *a, *b;

        if (dl->at[i] == NULL)
            continue;
        if (prev < 0) {
            prev = i;
            continue;
        }
        a = dl->at[prev];
        b = dl->at[i];
        if (leaf_visible(a) && leaf_visible(b)) {
            if (memcmp(a->chain[0], b->chain[0], 32) != 0 && dl->certificate.from < 0) {
                set_change(&dl->certificate, prev, i);
                dl->inner_expected = b->expected && !has_finding(b, F_CERT_MISMATCH);
            }
        } else if (a->server_hello && b->server_hello &&
                   (strcmp(a->hello_fp, b->hello_fp) != 0 || strcmp(a->ja3s, b->ja3s) != 0 ||
                    flights_differ(a, b))) {
            set_change(&dl->terminator, prev, i);
        }
        if (smtp_seen(a) && smtp_seen(b) && b->starttls_offered &&
            (!a->starttls_offered || has_finding(a, F_STARTTLS_STRIPPED)))
            set_change(&dl->starttls, prev, i);
        if (a->banner_host[0] && b->banner_host[0] && strcmp(a->banner_host, b->banner_host))
            set_change(&dl->banner, prev, i);
        if (a->ehlo_host[0] && b->ehlo_host[0] && strcmp(a->ehlo_host, b->ehlo_host))
            set_change(&dl->ehlo, prev, i);
        prev = i;
    }
}

/* deliver builds the delivery that starts at session |ri| of point |pi| and
 * hands it to |fn|. */
static void deliver(struct hops *h, size_t pi, size_t ri,
                    void (*fn)(void *ctx, const struct hop_delivery *d), void *ctx)
{
    struct hop_delivery dl;
    struct strbuf sb;
    long r = (long)ri;
    size_t p = pi;

    memset(&dl, 0, sizeof(dl));
    dl.npoints = h->np;
    dl.points = h->labels;
    dl.confidence = 100;
    strbuf_init(&sb, dl.reason, sizeof(dl.reason));
    for (; p < h->np && r >= 0; p++) {
        struct rec *x = &h->pts[p].v[r];

        expand(h, p, &x->d, &h->scratch[p]);
        dl.at[p] = &h->scratch[p];
        dl.seen++;
        if (x->next >= 0 && p + 1 < h->np) {
            if (x->conf < dl.confidence)
                dl.confidence = x->conf;
            strbuf_printf(&sb, "%s%s to %s: %s", sb.len ? "; " : "", h->labels[p],
                          h->labels[p + 1], x->why);
        }
        r = x->next;
    }
    if (dl.seen < 2) {
        dl.confidence = 0;
        strbuf_printf(&sb, "seen at %s only:", h->labels[pi]);
        if (pi > 0)
            strbuf_printf(&sb, " no session at %s led to it", h->labels[pi - 1]);
        if (pi + 1 < h->np)
            strbuf_printf(&sb, "%s no session at %s began between its start and %.0f s after "
                          "its end", pi > 0 ? ", and" : "", h->labels[pi + 1],
                          (double)h->window_us / 1e6);
        h->st.unpaired++;
    } else {
        h->st.paired++;
    }
    compare(&dl);
    h->st.deliveries++;
    h->st.certificate_changed += dl.certificate.from >= 0;
    h->st.terminator_changed += dl.terminator.from >= 0;
    h->st.starttls_stripped += dl.starttls.from >= 0;
    fn(ctx, &dl);
}

struct start {
    size_t point, rec;
    uint64_t first_us;
};

static int by_start(const void *x, const void *y)
{
    const struct start *a = x, *b = y;

    if (a->first_us != b->first_us)
        return a->first_us < b->first_us ? -1 : 1;
    if (a->point != b->point)
        return a->point < b->point ? -1 : 1;
    return a->rec < b->rec ? -1 : a->rec > b->rec;
}

void hops_run(struct hops *h, void (*fn)(void *ctx, const struct hop_delivery *d), void *ctx)
{
    struct start *v;
    size_t n = 0, total = 0;

    for (size_t p = 0; p + 1 < h->np; p++) {
        struct point *A = &h->pts[p], *B = &h->pts[p + 1];

        pair_strong(h, A, B, KEY_RANDOM, 100, "same ClientHello random");
        pair_strong(h, A, B, KEY_ENDPOINTS, 95, "same addresses and ports");
        pair_strong(h, A, B, KEY_SESSION_ID, 85, "same TLS session id");
        pair_relay(h, A, B);
    }
    /* a delivery starts at a session no session of the point before leads to */
    for (size_t p = 0; p < h->np; p++)
        total += h->pts[p].n;
    if ((v = malloc((total ? total : 1) * sizeof(*v))) == NULL)
        return;
    for (size_t p = 0; p < h->np; p++) {
        for (size_t i = 0; i < h->pts[p].n; i++) {
            if (h->pts[p].v[i].paired_in)
                continue;
            v[n].point = p;
            v[n].rec = i;
            v[n].first_us = h->pts[p].v[i].d.first_us;
            n++;
        }
    }
    qsort(v, n, sizeof(*v), by_start);
    for (size_t i = 0; i < n; i++)
        deliver(h, v[i].point, v[i].rec, fn, ctx);
    free(v);
}

/* ---- the findings of a delivery --------------------------------------------- */

static void cert_text(struct strbuf *b, const struct session_digest *d)
{
    char hx[65];

    x509_hex(d->chain[0], 32, hx);
    strbuf_puts(b, d->leaf_subject[0] ? d->leaf_subject : "(no subject)");
    if (d->leaf_self_signed)
        strbuf_lit(b, ", self-signed");
    strbuf_lit(b, " (sha256 ");
    strbuf_puts(b, hx);
    strbuf_lit(b, ")");
}

void hops_findings(const struct hop_delivery *d, struct findings *out)
{
    struct finding *x;
    struct strbuf b;

    out->n = 0;
    out->dropped = 0;
    if (d->certificate.from >= 0) {
        const struct session_digest *a = d->at[d->certificate.from], *z = d->at[d->certificate.to];
        const char *pa = d->points[d->certificate.from], *pz = d->points[d->certificate.to];

        x = findings_new(out, F_CERT_REPLACED, d->inner_expected ? SEV_CRITICAL : SEV_HIGH);
        if (x != NULL) {
            strbuf_init(&b, x->msg, sizeof(x->msg));
            strbuf_printf(&b, "certificate replaced between %s and %s: %s sees ", pa, pz, pa);
            cert_text(&b, a);
            strbuf_printf(&b, "; %s sees %s", pz, d->inner_expected ? "the expected " : "");
            cert_text(&b, z);
        }
    }
    if (d->terminator.from >= 0) {
        const struct session_digest *a = d->at[d->terminator.from], *z = d->at[d->terminator.to];
        const char *pa = d->points[d->terminator.from], *pz = d->points[d->terminator.to];

        x = findings_new(out, F_TLS_TERMINATOR_CHANGED, SEV_MEDIUM);
        if (x != NULL) {
            strbuf_init(&b, x->msg, sizeof(x->msg));
            strbuf_printf(&b, "another box may terminate TLS between %s and %s: ", pa, pz);
            if (strcmp(a->hello_fp, z->hello_fp) != 0 || strcmp(a->ja3s, z->ja3s) != 0)
                strbuf_printf(&b, "the ServerHello differs (%s: %s; %s: %s)", pa, a->hello_fp,
                              pz, z->hello_fp);
            else
                strbuf_printf(&b, "the server's encrypted handshake flight is %u bytes at %s "
                              "and %u at %s", a->flight.enc_bytes, pa, z->flight.enc_bytes, pz);
            strbuf_lit(&b, " (evidence, not proof: the certificate is hidden by TLS 1.3)");
        }
    }
    if (d->starttls.from >= 0) {
        const struct session_digest *a = d->at[d->starttls.from];
        const char *pa = d->points[d->starttls.from], *pz = d->points[d->starttls.to];

        x = findings_new(out, F_STARTTLS_STRIPPED, SEV_HIGH);
        if (x != NULL) {
            strbuf_init(&b, x->msg, sizeof(x->msg));
            strbuf_printf(&b, "STARTTLS removed between %s and %s: the server's side (%s) "
                          "offers it, the sender's side (%s) %s", pa, pz, pz, pa,
                          has_finding(a, F_STARTTLS_STRIPPED) ? "sees it masked" :
                          "is not offered it");
        }
    }
    findings_sort(out);
}
