/*
 * servers.c - the per-server table (see servers.h).
 *
 * Chained buckets, doubled when the entries outnumber them, so a chain
 * stays short whatever the number of servers; the hash is keyed with a
 * secret seed, since the keys hold names from the wire.  Each kind keeps a
 * doubly linked list from the least to the most recently seen entry: a
 * lookup moves its entry to the end, an eviction takes the head.
 */
#include "analyze/servers.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/keyhash.h"
#include "analyze/x509.h"

#define KEY_MAX 300              /* kind, input, then at most 253 bytes of name or 2 addresses */
#define MIN_BUCKETS 1024

struct lru {
    struct server *oldest, *newest;
    size_t n, max;
};

struct servers {
    struct server **buckets;
    size_t nbuckets, n;
    uint64_t seed;
    struct lru lru[SERVER_KIND_COUNT];
    void (*on_evict)(void *ctx, struct server *sv);
    void *evict_ctx;
    struct servers_stats st;
};

const char *server_kind_name(enum server_kind k)
{
    switch (k) {
    case SERVER_BY_ADDR: return "server";
    case SERVER_BY_NAME: return "name";
    case SERVER_PAIR: return "pair";
    default: return "?";
    }
}

struct servers *servers_new(size_t max)
{
    struct servers *t = calloc(1, sizeof(*t));

    if (t == NULL)
        return NULL;
    if (max == 0)
        max = SERVERS_DEFAULT_MAX;
    t->nbuckets = MIN_BUCKETS;
    t->buckets = calloc(t->nbuckets, sizeof(*t->buckets));
    if (t->buckets == NULL) {
        free(t);
        return NULL;
    }
    t->lru[SERVER_BY_ADDR].max = max;
    t->lru[SERVER_BY_NAME].max = max;
    t->lru[SERVER_PAIR].max = max / 4 > 1024 ? max / 4 : 1024;
    /* keys hold names from the wire: a secret seed keeps a sender from
     * filling one bucket */
    if (getentropy(&t->seed, sizeof(t->seed)) != 0)
        t->seed = 0x9E3779B97F4A7C15u;
    return t;
}

void servers_on_evict(struct servers *t, void (*fn)(void *ctx, struct server *sv), void *ctx)
{
    t->on_evict = fn;
    t->evict_ctx = ctx;
}

static void server_free(struct server *sv)
{
    for (size_t i = 0; i < sv->ncerts; i++) {
        free(sv->certs[i].subject);
        free(sv->certs[i].issuer);
    }
    free(sv->certs);
    free(sv->ja3s);
    free(sv->who);
    if (sv->sum != NULL) {
        free(sv->sum->name);
        free(sv->sum->expected);
        free(sv->sum->conclusion);
        free(sv->sum);
    }
    free(sv);
}

void servers_free(struct servers *t)
{
    if (t == NULL)
        return;
    for (size_t b = 0; b < t->nbuckets; b++) {
        for (struct server *sv = t->buckets[b], *nx; sv != NULL; sv = nx) {
            nx = sv->hnext;
            server_free(sv);
        }
    }
    free(t->buckets);
    free(t);
}

/* ---- the least-recently-seen lists ------------------------------------ */

static void lru_unlink(struct lru *l, struct server *sv)
{
    if (sv->older != NULL)
        sv->older->newer = sv->newer;
    else
        l->oldest = sv->newer;
    if (sv->newer != NULL)
        sv->newer->older = sv->older;
    else
        l->newest = sv->older;
    sv->older = sv->newer = NULL;
    l->n--;
}

static void lru_append(struct lru *l, struct server *sv)
{
    sv->older = l->newest;
    sv->newer = NULL;
    if (l->newest != NULL)
        l->newest->newer = sv;
    else
        l->oldest = sv;
    l->newest = sv;
    l->n++;
}

static void lru_touch(struct lru *l, struct server *sv)
{
    if (l->newest == sv)
        return;
    lru_unlink(l, sv);
    lru_append(l, sv);
}

/* ---- the hash table ----------------------------------------------------- */

static struct server **bucket(const struct servers *t, uint64_t h)
{
    return &t->buckets[h & (t->nbuckets - 1)];
}

/* grow doubles the buckets; on allocation failure the table keeps its
 * size (longer chains, still right). */
static void grow(struct servers *t)
{
    size_t nb = t->nbuckets * 2;
    struct server **nv = calloc(nb, sizeof(*nv));

    if (nv == NULL)
        return;
    for (size_t b = 0; b < t->nbuckets; b++) {
        for (struct server *sv = t->buckets[b], *nx; sv != NULL; sv = nx) {
            nx = sv->hnext;
            sv->hnext = nv[sv->hash & (nb - 1)];
            nv[sv->hash & (nb - 1)] = sv;
        }
    }
    free(t->buckets);
    t->buckets = nv;
    t->nbuckets = nb;
}

static void unhash(struct servers *t, struct server *sv)
{
    struct server **pp = bucket(t, sv->hash);

    while (*pp != sv)
        pp = &(*pp)->hnext;
    *pp = sv->hnext;
    t->n--;
}

static void evict_oldest(struct servers *t, enum server_kind k)
{
    struct lru *l = &t->lru[k];
    struct server *sv = l->oldest;

    if (sv == NULL)
        return;
    if (t->on_evict != NULL)
        t->on_evict(t->evict_ctx, sv);
    lru_unlink(l, sv);
    unhash(t, sv);
    t->st.evicted[k]++;
    server_free(sv);
}

/* lookup finds the entry |key| of kind |k| or, with |create|, adds it
 * (*fresh set then). */
static struct server *lookup(struct servers *t, enum server_kind k, const uint8_t *key,
                             size_t klen, bool create, bool *fresh)
{
    uint64_t h;
    struct lru *l = &t->lru[k];
    struct server *sv;

    *fresh = false;
    if (l->n == 0 && !create)
        return NULL;          /* none of this kind (pairs, mostly): no hashing */
    h = keyhash(t->seed, key, klen);
    for (sv = *bucket(t, h); sv != NULL; sv = sv->hnext) {
        if (sv->hash == h && sv->klen == klen && memcmp(sv->key, key, klen) == 0) {
            lru_touch(l, sv);
            return sv;
        }
    }
    if (!create)
        return NULL;
    if (l->n >= l->max)
        evict_oldest(t, k);
    if ((sv = calloc(1, sizeof(*sv) + klen + 1)) == NULL ||
        (k == SERVER_BY_ADDR && (sv->sum = calloc(1, sizeof(*sv->sum))) == NULL)) {
        free(sv);
        t->st.refused[k]++;
        return NULL;
    }
    memcpy(sv->key, key, klen);
    sv->key[klen] = '\0';        /* a name's key ends in the name as a string */
    sv->klen = klen;
    sv->hash = h;
    sv->kind = k;
    if (t->n >= t->nbuckets)
        grow(t);
    sv->hnext = *bucket(t, h);
    *bucket(t, h) = sv;
    t->n++;
    lru_append(l, sv);
    t->st.created[k]++;
    *fresh = true;
    if (l->n > t->st.peak[k])
        t->st.peak[k] = l->n;
    return sv;
}

/* Keys: kind, input, then the address and port, the name, or the client,
 * the server and the port. */
static size_t key_start(uint8_t *k, enum server_kind kind, unsigned input)
{
    k[0] = (uint8_t)kind;
    memcpy(k + 1, &input, sizeof(input));
    return 1 + sizeof(input);
}

static size_t key_addr(uint8_t *k, size_t n, const struct cap_addr *a)
{
    k[n++] = a->family;
    memcpy(k + n, a->b, 16);
    return n + 16;
}

struct server *servers_addr(struct servers *t, unsigned input, const struct cap_addr *addr,
                            uint16_t port, bool create)
{
    uint8_t k[KEY_MAX];
    size_t n = key_addr(k, key_start(k, SERVER_BY_ADDR, input), addr);
    struct server *sv;
    bool fresh;

    memcpy(k + n, &port, sizeof(port));
    n += sizeof(port);
    sv = lookup(t, SERVER_BY_ADDR, k, n, create, &fresh);
    if (fresh) {
        sv->input = input;
        sv->addr = *addr;
        sv->port = port;
    }
    return sv;
}

struct server *servers_name(struct servers *t, unsigned input, const char *name, bool create)
{
    uint8_t k[KEY_MAX];
    size_t n = key_start(k, SERVER_BY_NAME, input), l = strlen(name);
    struct server *sv;
    bool fresh;

    if (l > sizeof(k) - n)
        l = sizeof(k) - n;
    memcpy(k + n, name, l);
    n += l;
    sv = lookup(t, SERVER_BY_NAME, k, n, create, &fresh);
    if (fresh) {
        sv->input = input;
        sv->name = (const char *)sv->key + (n - l);
    }
    return sv;
}

struct server *servers_pair(struct servers *t, unsigned input, const struct cap_addr *client,
                            const struct cap_addr *server, uint16_t port, bool create)
{
    uint8_t k[KEY_MAX];
    size_t n = key_addr(k, key_addr(k, key_start(k, SERVER_PAIR, input), client), server);
    struct server *sv;
    bool fresh;

    memcpy(k + n, &port, sizeof(port));
    n += sizeof(port);
    sv = lookup(t, SERVER_PAIR, k, n, create, &fresh);
    if (fresh) {
        sv->input = input;
        sv->addr = *client;
        sv->peer = *server;
        sv->port = port;
    }
    return sv;
}

void servers_touch(struct servers *t, struct server *sv)
{
    lru_touch(&t->lru[sv->kind], sv);
}

struct server **servers_list(const struct servers *t, enum server_kind k, size_t *n)
{
    const struct lru *l = &t->lru[k];
    struct server **v;
    size_t i = 0;

    *n = 0;
    if (l->n == 0 || (v = malloc(l->n * sizeof(*v))) == NULL)
        return NULL;
    for (struct server *sv = l->oldest; sv != NULL; sv = sv->newer)
        v[i++] = sv;
    *n = i;
    return v;
}

void servers_stats(const struct servers *t, struct servers_stats *st)
{
    *st = t->st;
    for (unsigned k = 0; k < SERVER_KIND_COUNT; k++)
        st->active[k] = t->lru[k].n;
    st->buckets = t->nbuckets;
}

/* ---- certificate history ---------------------------------------------- */

struct server_cert *server_cert_find(struct server *sv, const uint8_t sha256[32])
{
    for (size_t i = 0; i < sv->ncerts; i++)
        if (memcmp(sv->certs[i].sha256, sha256, 32) == 0)
            return &sv->certs[i];
    return NULL;
}

struct server_cert *server_cert_add(struct server *sv, const uint8_t sha256[32],
                                    const char *subject, const char *issuer, bool parsed,
                                    bool self_signed, uint64_t us)
{
    struct server_cert *c;

    if (sv->ncerts >= SERVER_MAX_CERTS) {
        sv->certs_dropped++;
        return NULL;
    }
    if (sv->ncerts == sv->certs_cap) {
        /* most servers present one certificate: room for one, then four */
        size_t cap = sv->certs_cap == 0 ? 1 : sv->certs_cap < 4 ? 4 : SERVER_MAX_CERTS;
        struct server_cert *nv = realloc(sv->certs, cap * sizeof(*nv));

        if (nv == NULL) {
            sv->certs_dropped++;
            return NULL;
        }
        sv->certs = nv;
        sv->certs_cap = cap;
    }
    c = &sv->certs[sv->ncerts++];
    memset(c, 0, sizeof(*c));
    memcpy(c->sha256, sha256, 32);
    x509_hex(sha256, 32, c->sha256_hex);
    c->subject = subject != NULL ? strdup(subject) : NULL;
    c->issuer = issuer != NULL ? strdup(issuer) : NULL;
    c->parsed = parsed;
    c->self_signed = self_signed;
    c->count = 1;
    c->first_us = c->last_us = us;
    c->last_seq = sv->seq;
    return c;
}

void server_cert_seen(struct server *sv, struct server_cert *c, uint64_t us)
{
    c->count++;
    if (us < c->first_us)
        c->first_us = us;
    if (us > c->last_us)
        c->last_us = us;
    c->last_seq = sv->seq;
    c->retired = false;
}

void server_certs_age(struct server *sv, const struct server_cert *keep)
{
    for (size_t i = 0; i < sv->ncerts; i++) {
        struct server_cert *c = &sv->certs[i];

        if (c != keep && !c->retired && sv->seq - c->last_seq > SERVER_CERT_RETIRE)
            c->retired = true;
    }
}
