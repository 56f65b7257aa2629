/*
 * keylog.c - NSS key log lines by client random (see keylog.h).
 *
 *   line    = label SP client-random SP secret [CR] LF   /  "#" comment  /  empty
 *   client-random = 64 HEXDIG           (the ClientHello's random)
 *   secret        = 2*128 HEXDIG        (even; 96 for a master secret)
 *
 * The table is open-addressed by the client random, doubled at half full,
 * and bounded (KEYLOG_MAX_ENTRIES randoms); a key log is the user's own
 * file, yet a DSB inside a capture someone sent is not, so the bound holds
 * for both.
 */
#include "dissect/keylog.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/cbs.h"
#include "lib/hex.h"
#include "lib/keyhash.h"

#define LINE_MAX_LEN 1024

struct entry {
    bool used;
    uint8_t random[32];
    struct keylog_secrets s;
};

struct keylog {
    uint64_t seed;
    struct entry *v;
    size_t cap, n;
    struct keylog_stats st;
};

static const char *const kind_names[KEYLOG_KIND_COUNT] = {
    [KEYLOG_MASTER] = "CLIENT_RANDOM",
    [KEYLOG_CLIENT_HS] = "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
    [KEYLOG_SERVER_HS] = "SERVER_HANDSHAKE_TRAFFIC_SECRET",
    [KEYLOG_CLIENT_AP] = "CLIENT_TRAFFIC_SECRET_0",
    [KEYLOG_SERVER_AP] = "SERVER_TRAFFIC_SECRET_0",
};

/* known labels not kept: 0-RTT and exporters are not needed to read a
 * handshake or the SMTP dialogue; RSA pre-master secrets would need the
 * encrypted pre-master matched instead of the random */
static const char *const ignored_labels[] = {
    "EXPORTER_SECRET", "EARLY_EXPORTER_SECRET", "CLIENT_EARLY_TRAFFIC_SECRET", "RSA",
};

const char *keylog_kind_name(enum keylog_kind k)
{
    return (unsigned)k < KEYLOG_KIND_COUNT ? kind_names[k] : "?";
}

struct keylog *keylog_new(void)
{
    struct keylog *k = calloc(1, sizeof(*k));

    if (k != NULL && getentropy(&k->seed, sizeof(k->seed)) != 0)
        k->seed = 0x9E3779B97F4A7C15u;
    return k;
}

void keylog_free(struct keylog *k)
{
    if (k == NULL)
        return;
    free(k->v);
    free(k);
}

/* A client random is the client's choice, and a DSB comes inside a
 * capture someone sent: the slot is a keyed hash, so that no file can pile
 * its randoms onto one run of slots. */
static size_t slot_of(const struct keylog *k, const uint8_t random[32], size_t cap)
{
    return (size_t)keyhash(k->seed, random, 32) & (cap - 1);
}

static struct entry *lookup(const struct keylog *k, const uint8_t random[32])
{
    if (k->cap == 0)
        return NULL;
    for (size_t i = slot_of(k, random, k->cap);; i = (i + 1) & (k->cap - 1)) {
        if (!k->v[i].used)
            return NULL;
        if (memcmp(k->v[i].random, random, 32) == 0)
            return &k->v[i];
    }
}

static bool grow(struct keylog *k)
{
    size_t cap = k->cap ? k->cap * 2 : 256;
    struct entry *nv = calloc(cap, sizeof(*nv));

    if (nv == NULL)
        return false;
    for (size_t i = 0; i < k->cap; i++) {
        size_t j;

        if (!k->v[i].used)
            continue;
        for (j = slot_of(k, k->v[i].random, cap); nv[j].used; j = (j + 1) & (cap - 1))
            ;
        nv[j] = k->v[i];
    }
    free(k->v);
    k->v = nv;
    k->cap = cap;
    return true;
}

/* insert finds or adds the entry of |random|; NULL at the bound or out of
 * memory. */
static struct entry *insert(struct keylog *k, const uint8_t random[32])
{
    struct entry *e = lookup(k, random);
    size_t i;

    if (e != NULL)
        return e;
    if (k->n >= KEYLOG_MAX_ENTRIES || ((k->n + 1) * 2 > k->cap && !grow(k)))
        return NULL;
    for (i = slot_of(k, random, k->cap); k->v[i].used; i = (i + 1) & (k->cap - 1))
        ;
    e = &k->v[i];
    e->used = true;
    memcpy(e->random, random, 32);
    k->n++;
    k->st.randoms++;
    return e;
}

/* hex reads the hex digits of |c| (all of it) into |out| (|max| bytes);
 * false if it is not an even number of hex digits that fit. */
static bool hex(const struct cbs *c, uint8_t *out, size_t max, size_t *n)
{
    struct cbs x = *c;
    uint8_t a, b;

    if (cbs_len(&x) % 2 != 0 || cbs_len(&x) / 2 > max || cbs_len(&x) == 0)
        return false;
    *n = 0;
    while (cbs_get_u8(&x, &a) && cbs_get_u8(&x, &b)) {
        int hi = hex_digit(a), lo = hex_digit(b);

        if (hi < 0 || lo < 0)
            return false;
        out[(*n)++] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

static void skip_spaces(struct cbs *c)
{
    uint8_t b;

    while (cbs_peek_u8(c, &b) && (b == ' ' || b == '\t'))
        cbs_skip(c, 1);
}

struct warner {
    void (*fn)(void *ctx, const char *msg);
    void *ctx;
    const char *name;
    unsigned left;
    uint64_t silenced;
};

static void warn(struct warner *w, size_t lineno, const char *why)
{
    char msg[512];

    if (w->fn == NULL)
        return;
    if (w->left == 0) {
        w->silenced++;
        return;
    }
    w->left--;
    snprintf(msg, sizeof(msg), "%s:%zu: %s", w->name, lineno, why);
    w->fn(w->ctx, msg);
}

/* one_line reads one line; returns true when a secret was kept. */
static bool one_line(struct keylog *k, struct cbs line, size_t lineno, struct warner *w)
{
    struct cbs label, rnd, sec, rest;
    uint8_t random[32], secret[KEYLOG_SECRET_MAX];
    size_t rn, sn;
    int kind = -1;
    struct entry *e;

    skip_spaces(&line);
    if (cbs_len(&line) == 0 || cbs_data(&line)[0] == '#')
        return false;
    cbs_get_word(&line, &label);
    skip_spaces(&line);
    cbs_get_word(&line, &rnd);
    skip_spaces(&line);
    cbs_get_word(&line, &sec);
    rest = line;
    skip_spaces(&rest);
    for (int i = 0; i < KEYLOG_KIND_COUNT; i++)
        if (cbs_len(&label) == strlen(kind_names[i]) &&
            cbs_mem_eq(&label, kind_names[i], strlen(kind_names[i])))
            kind = i;
    if (kind < 0) {
        for (size_t i = 0; i < sizeof(ignored_labels) / sizeof(ignored_labels[0]); i++) {
            if (cbs_len(&label) == strlen(ignored_labels[i]) &&
                cbs_mem_eq(&label, ignored_labels[i], strlen(ignored_labels[i]))) {
                k->st.ignored++;
                return false;
            }
        }
        k->st.bad++;
        warn(w, lineno, "unknown label (not a key log line)");
        return false;
    }
    if (!hex(&rnd, random, sizeof(random), &rn) || rn != 32) {
        k->st.bad++;
        warn(w, lineno, "the client random is not 32 bytes in hex");
        return false;
    }
    if (!hex(&sec, secret, sizeof(secret), &sn) || cbs_len(&rest) != 0 ||
        (kind == KEYLOG_MASTER ? sn != 48 : sn != 32 && sn != 48)) {
        k->st.bad++;
        warn(w, lineno, kind == KEYLOG_MASTER ? "the master secret is not 48 bytes in hex" :
                        "the secret is not 32 or 48 bytes in hex");
        return false;
    }
    if ((e = insert(k, random)) == NULL) {
        k->st.full++;
        warn(w, lineno, "too many client randoms: secret not kept");
        return false;
    }
    if (e->s.len[kind] != 0) {
        k->st.duplicates++;
        return false;
    }
    e->s.len[kind] = (uint8_t)sn;
    memcpy(e->s.v[kind], secret, sn);
    k->st.kept++;
    return true;
}

size_t keylog_add_text(struct keylog *k, const char *name, const uint8_t *p, size_t len,
                       void (*warnfn)(void *ctx, const char *msg), void *ctx,
                       unsigned max_warnings)
{
    struct warner w = {warnfn, ctx, name, max_warnings, 0};
    struct cbs c, line;
    size_t lineno = 0, kept = 0;

    cbs_init(&c, p, len);
    while (cbs_len(&c) > 0) {
        bool too_long;

        lineno++;
        k->st.lines++;
        if (!cbs_get_line(&c, &line, LINE_MAX_LEN, &too_long)) {
            if (too_long) {
                /* skip to the next line feed, or the end */
                const uint8_t *lf = memchr(cbs_data(&c), '\n', cbs_len(&c));

                cbs_skip(&c, lf ? (size_t)(lf - cbs_data(&c)) + 1 : cbs_len(&c));
                k->st.bad++;
                warn(&w, lineno, "line too long");
                continue;
            }
            line = c;                /* the last line, without a line feed */
            cbs_skip(&c, cbs_len(&c));
        }
        kept += one_line(k, line, lineno, &w);
    }
    if (w.silenced > 0 && warnfn != NULL) {
        char msg[256];

        snprintf(msg, sizeof(msg), "%s: %llu more lines could not be used", name,
                 (unsigned long long)w.silenced);
        warnfn(ctx, msg);
    }
    return kept;
}

long keylog_add_file(struct keylog *k, const char *path,
                     void (*warnfn)(void *ctx, const char *msg), void *ctx, char *err,
                     size_t errlen)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0, kept;

    if (f == NULL) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    for (;;) {
        size_t got;

        if (len == cap) {
            uint8_t *nb;

            if (cap >= ((size_t)1 << 30)) {
                snprintf(err, errlen, "%s: larger than 1 GiB", path);
                fclose(f);
                free(buf);
                return -1;
            }
            cap = cap ? cap * 2 : 65536;
            if ((nb = realloc(buf, cap)) == NULL) {
                snprintf(err, errlen, "%s: out of memory", path);
                fclose(f);
                free(buf);
                return -1;
            }
            buf = nb;
        }
        got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        fclose(f);
        free(buf);
        return -1;
    }
    fclose(f);
    kept = keylog_add_text(k, path, buf, len, warnfn, ctx, 5);
    free(buf);
    return (long)kept;
}

const struct keylog_secrets *keylog_find(struct keylog *k, const uint8_t client_random[32])
{
    struct entry *e = lookup(k, client_random);

    k->st.looked_up++;
    if (e == NULL)
        return NULL;
    k->st.matched++;
    return &e->s;
}

void keylog_stats(const struct keylog *k, struct keylog_stats *st)
{
    *st = k->st;
}

bool keylog_empty(const struct keylog *k)
{
    return k->st.kept == 0;
}
