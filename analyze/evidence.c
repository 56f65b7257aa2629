/*
 * evidence.c - one capture point's evidence of a box in front of the server
 * (see evidence.h).
 *
 * The product table is analyze/products.txt, compiled in as one string
 * (products.inc, made by the Makefile) and read once at evidence_new into
 * entries with POSIX extended regular expressions.  A line it cannot read is
 * a bug of the repository, not of the input: evidence_new fails and
 * test_evidence reads the same text, so the suite catches it.
 */
#include "analyze/evidence.h"

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "analyze/hostname.h"
#include "lib/keyhash.h"
#include "lib/strbuf.h"

static const char products_txt[] =
#include "products.inc"
    ;

/* PF_NAME is no pattern's field: the memo's key for hostname_fqdn_like */
enum pfield { PF_SUBJECT, PF_ISSUER, PF_BANNER, PF_EHLO, PF_NAME };

struct pattern {
    enum pfield field;
    enum evidence_strength strength;
    unsigned bit;                   /* its number in the whole table */
    regex_t re;
    char *text;                     /* the expression, for the item's |expected| */
};

struct product {
    char *name, *role, *source;     /* source: the entry's sources, "; "-joined */
    struct pattern *pat;
    size_t npat;
};

/* What the network layer showed of a server address on its recent ports:
 * a direct-mapped table (a new address takes its slot's place), so its
 * size is fixed whatever the traffic. */
#define NET_SLOTS 8192
#define NET_PORTS 4

/* net_fp: the SYN-ACK's option kinds in order and its window scale (the
 * MSS and the window are left out: a router's MSS clamping and the
 * moment's buffers change them on one host). */
struct net_fp {
    uint8_t opts[SESSION_TCP_OPTS_MAX];
    uint8_t nopts;
    int16_t wscale;
};

struct net_port {
    uint16_t port;
    uint8_t ttl;                    /* the SYN-ACK's (else the first reply's) */
    struct net_fp fp;               /* the SYN-ACK's option layout and scale */
    bool fp_seen;
    uint64_t seen_us;
};

struct net_addr {
    bool used;
    unsigned input;
    struct cap_addr addr;
    struct net_port p[NET_PORTS];
    size_t np;
};

/* The patterns' verdicts on a string, remembered: a server's banner, EHLO
 * keywords and certificate names come back session after session, and
 * running every expression on them each time was a fifth of the time of
 * `--json` on a mail capture.  A direct-mapped table keyed by the field
 * and the whole string (compared, so a collision costs a miss, never a
 * wrong verdict); a string longer than MEMO_LEN is matched afresh.  Bit k
 * of |hits| is the verdict of the table's k-th pattern (pattern.bit). */
#define MEMO_SLOTS 1024
#define MEMO_LEN 240
#define MEMO_BITS 64

struct memo_slot {
    uint64_t hits;
    uint8_t field;                  /* enum pfield + 1; 0: empty */
    uint8_t len;
    char s[MEMO_LEN];
};

struct evidence_ctx {
    struct product *prod;
    size_t nprod;
    size_t npat;                    /* patterns in all entries */
    struct net_addr *net;           /* NET_SLOTS */
    struct memo_slot *memo;         /* MEMO_SLOTS, NULL when npat > MEMO_BITS */
    uint64_t seed;                  /* keys the slot of an address */
    bool seed_pending;              /* reproducible: set it from the first session */
};

static const char *const kind_names[EV_KIND_COUNT] = {
    [EV_PRODUCT_CERTIFICATE] = "product_certificate",
    [EV_PRODUCT_BANNER] = "product_banner",
    [EV_PRODUCT_EHLO] = "product_ehlo",
    [EV_NAMES] = "names",
    [EV_STARTTLS_MASKED] = "starttls_masked",
    [EV_SENDER_REPLY] = "sender_reply",
    [EV_TTL] = "ttl",
    [EV_TCP_FINGERPRINT] = "tcp_fingerprint",
    [EV_TIMING] = "timing",
};

const char *evidence_kind_name(enum evidence_kind k)
{
    return (unsigned)k < EV_KIND_COUNT ? kind_names[k] : "?";
}

const char *evidence_strength_name(enum evidence_strength s)
{
    switch (s) {
    case EV_WEAK: return "weak";
    case EV_MEDIUM: return "medium";
    case EV_STRONG: return "strong";
    }
    return "?";
}

/* ---- the product table ------------------------------------------------- */

/* word: the next blank-separated word of [*p, end), advancing *p. */
static size_t word(const char **p, const char *end, const char **w)
{
    const char *s = *p;

    while (s < end && (*s == ' ' || *s == '\t'))
        s++;
    *w = s;
    while (s < end && *s != ' ' && *s != '\t')
        s++;
    *p = s;
    return (size_t)(s - *w);
}

static bool is_word(const char *w, size_t n, const char *lit)
{
    return n == strlen(lit) && memcmp(w, lit, n) == 0;
}

static void product_free(struct product *pr)
{
    for (size_t i = 0; i < pr->npat; i++) {
        regfree(&pr->pat[i].re);
        free(pr->pat[i].text);
    }
    free(pr->pat);
    free(pr->name);
    free(pr->role);
    free(pr->source);
}

void evidence_free(struct evidence_ctx *cx)
{
    if (cx == NULL)
        return;
    for (size_t i = 0; i < cx->nprod; i++)
        product_free(&cx->prod[i]);
    free(cx->prod);
    free(cx->net);
    free(cx->memo);
    free(cx);
}

static bool add_source(struct product *pr, const char *s, size_t n)
{
    size_t old = pr->source != NULL ? strlen(pr->source) : 0;
    char *d = realloc(pr->source, old + n + 3);

    if (d == NULL)
        return false;
    if (old > 0)
        memcpy(d + old, "; ", 2), old += 2;
    memcpy(d + old, s, n);
    d[old + n] = '\0';
    pr->source = d;
    return true;
}

static bool add_pattern(struct evidence_ctx *cx, struct product *pr, enum pfield field,
                        const char *rest, const char *end)
{
    const char *w, *re;
    size_t n = word(&rest, end, &w);
    enum evidence_strength st;
    struct pattern *v, *pt;

    if (is_word(w, n, "weak"))
        st = EV_WEAK;
    else if (is_word(w, n, "medium"))
        st = EV_MEDIUM;
    else if (is_word(w, n, "strong"))
        st = EV_STRONG;
    else
        return false;
    while (rest < end && (*rest == ' ' || *rest == '\t'))
        rest++;
    re = rest;
    if (re == end)
        return false;
    v = realloc(pr->pat, (pr->npat + 1) * sizeof(*v));
    if (v == NULL)
        return false;
    pr->pat = v;
    pt = &v[pr->npat];
    memset(pt, 0, sizeof(*pt));
    pt->field = field;
    pt->strength = st;
    pt->bit = (unsigned)cx->npat;
    if ((pt->text = strndup(re, (size_t)(end - re))) == NULL)
        return false;
    if (regcomp(&pt->re, pt->text, REG_EXTENDED | REG_NOSUB) != 0) {
        free(pt->text);
        return false;
    }
    pr->npat++;
    cx->npat++;
    return true;
}

/* parse_line reads one line of products.txt into the table. */
static bool parse_line(struct evidence_ctx *cx, const char *line, const char *end)
{
    const char *p = line, *key, *val;
    size_t kn = word(&p, end, &key), vn;
    struct product *pr;

    if (kn == 0 || key[0] == '#')
        return true;
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    val = p;
    vn = (size_t)(end - p);
    while (vn > 0 && (val[vn - 1] == ' ' || val[vn - 1] == '\t'))
        vn--;
    if (is_word(key, kn, "product")) {
        struct product *v = realloc(cx->prod, (cx->nprod + 1) * sizeof(*v));

        if (v == NULL || vn == 0) {
            if (v != NULL)
                cx->prod = v;
            return false;
        }
        cx->prod = v;
        pr = &v[cx->nprod++];
        memset(pr, 0, sizeof(*pr));
        return (pr->name = strndup(val, vn)) != NULL;
    }
    if (cx->nprod == 0 || vn == 0)
        return false;
    pr = &cx->prod[cx->nprod - 1];
    if (is_word(key, kn, "role"))
        return pr->role == NULL && (pr->role = strndup(val, vn)) != NULL;
    if (is_word(key, kn, "source"))
        return add_source(pr, val, vn);
    if (is_word(key, kn, "subject"))
        return add_pattern(cx, pr, PF_SUBJECT, val, val + vn);
    if (is_word(key, kn, "issuer"))
        return add_pattern(cx, pr, PF_ISSUER, val, val + vn);
    if (is_word(key, kn, "banner"))
        return add_pattern(cx, pr, PF_BANNER, val, val + vn);
    if (is_word(key, kn, "ehlo"))
        return add_pattern(cx, pr, PF_EHLO, val, val + vn);
    return false;
}

struct evidence_ctx *evidence_new(bool reproducible)
{
    struct evidence_ctx *cx = calloc(1, sizeof(*cx));
    const char *p = products_txt, *end = products_txt + sizeof(products_txt) - 1;

    if (cx == NULL)
        return NULL;
    if ((cx->net = calloc(NET_SLOTS, sizeof(*cx->net))) == NULL) {
        free(cx);
        return NULL;
    }
    /* addresses come from the wire: a secret seed keeps a sender from
     * aiming many at one slot (from files, one the capture itself gives:
     * see net_items) */
    if (reproducible)
        cx->seed_pending = true;
    else if (getentropy(&cx->seed, sizeof(cx->seed)) != 0)
        cx->seed = 0x9E3779B97F4A7C15u;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl != NULL ? nl : end;

        if (!parse_line(cx, p, le)) {
            evidence_free(cx);
            return NULL;
        }
        p = nl != NULL ? nl + 1 : end;
    }
    /* every entry names its sources and has something to match */
    for (size_t i = 0; i < cx->nprod; i++)
        if (cx->prod[i].source == NULL || cx->prod[i].npat == 0 || cx->prod[i].role == NULL) {
            evidence_free(cx);
            return NULL;
        }
    if (cx->npat <= MEMO_BITS && (cx->memo = calloc(MEMO_SLOTS, sizeof(*cx->memo))) == NULL) {
        evidence_free(cx);
        return NULL;
    }
    return cx;
}

size_t evidence_products(const struct evidence_ctx *cx)
{
    return cx->nprod;
}

/* ---- items ------------------------------------------------------------- */

static struct evidence_item *item(struct evidence *ev, enum evidence_kind kind,
                                  enum evidence_strength st)
{
    struct evidence_item *it;

    if (ev->n >= EVIDENCE_MAX) {
        ev->dropped++;
        return NULL;
    }
    it = &ev->v[ev->n++];
    memset(it, 0, sizeof(*it));
    it->kind = kind;
    it->strength = st;
    return it;
}

static bool regex_matches(const struct pattern *pt, const char *s)
{
    return regexec(&pt->re, s, 0, NULL, 0) == 0;
}

/* field_hits: the verdicts of every pattern of |field| on |s| (bit
 * pattern.bit), from the memo or computed and remembered. */
static uint64_t field_hits(const struct evidence_ctx *cx, enum pfield field, const char *s)
{
    size_t n = strlen(s);
    struct memo_slot *m = NULL;
    uint64_t hits = 0;

    if (n <= MEMO_LEN) {
        uint64_t h = keyhash(cx->seed ^ (uint64_t)field, (const uint8_t *)s, n);

        m = &cx->memo[h % MEMO_SLOTS];
        if (m->field == field + 1 && m->len == n && memcmp(m->s, s, n) == 0)
            return m->hits;
    }
    if (field == PF_NAME)
        hits = hostname_fqdn_like(s);
    for (size_t i = 0; i < cx->nprod && field != PF_NAME; i++)
        for (size_t k = 0; k < cx->prod[i].npat; k++) {
            const struct pattern *pt = &cx->prod[i].pat[k];

            if (pt->field == field && regex_matches(pt, s))
                hits |= (uint64_t)1 << pt->bit;
        }
    if (m != NULL) {
        m->field = (uint8_t)(field + 1);
        m->len = (uint8_t)n;
        memcpy(m->s, s, n);
        m->hits = hits;
    }
    return hits;
}

static bool matches(const struct evidence_ctx *cx, const struct pattern *pt, const char *s)
{
    if (s == NULL)
        return false;
    if (cx->memo == NULL)
        return regex_matches(pt, s);
    return (field_hits(cx, pt->field, s) >> pt->bit) & 1;
}

/* product_items: each product whose pattern matches, its strongest match. */
static void product_items(const struct evidence_ctx *cx, const struct x509_info *const *chain,
                          size_t n, const struct smtp_facts *sf, struct evidence *ev)
{
    if (cx->memo != NULL) {
        /* most sessions match nothing: one memo look-up per string says so */
        uint64_t any = 0;

        if (n > 0 && chain[0] != NULL && chain[0]->parsed && chain[0]->subject != NULL)
            any |= field_hits(cx, PF_SUBJECT, chain[0]->subject);
        for (size_t c = 0; c < n; c++)
            if (chain[c] != NULL && chain[c]->parsed && chain[c]->issuer != NULL)
                any |= field_hits(cx, PF_ISSUER, chain[c]->issuer);
        if (sf != NULL && sf->banner != NULL)
            any |= field_hits(cx, PF_BANNER, sf->banner);
        for (size_t c = 0; sf != NULL && c < sf->ncaps; c++)
            if (sf->caps[c] != NULL)
                any |= field_hits(cx, PF_EHLO, sf->caps[c]);
        if (any == 0)
            return;
    }
    for (size_t i = 0; i < cx->nprod; i++) {
        const struct product *pr = &cx->prod[i];
        const struct pattern *best = NULL;
        const char *what = NULL;

        for (size_t k = 0; k < pr->npat; k++) {
            const struct pattern *pt = &pr->pat[k];
            const char *hit = NULL;

            switch (pt->field) {
            case PF_SUBJECT:
                if (n > 0 && chain[0] != NULL && chain[0]->parsed &&
                    matches(cx, pt, chain[0]->subject))
                    hit = chain[0]->subject;
                break;
            case PF_ISSUER:
                for (size_t c = 0; c < n && hit == NULL; c++)
                    if (chain[c] != NULL && chain[c]->parsed && matches(cx, pt, chain[c]->issuer))
                        hit = chain[c]->issuer;
                break;
            case PF_BANNER:
                if (sf != NULL && matches(cx, pt, sf->banner))
                    hit = sf->banner;
                break;
            case PF_EHLO:
                for (size_t c = 0; sf != NULL && c < sf->ncaps && hit == NULL; c++)
                    if (matches(cx, pt, sf->caps[c]))
                        hit = sf->caps[c];
                break;
            case PF_NAME: /* the memo's, no pattern's */
                break;
            }
            if (hit != NULL && (best == NULL || pt->strength > best->strength)) {
                best = pt;
                what = hit;
            }
        }
        if (best != NULL) {
            static const enum evidence_kind kinds[] = {
                [PF_SUBJECT] = EV_PRODUCT_CERTIFICATE, [PF_ISSUER] = EV_PRODUCT_CERTIFICATE,
                [PF_BANNER] = EV_PRODUCT_BANNER, [PF_EHLO] = EV_PRODUCT_EHLO,
            };
            static const char *const fields[] = {
                [PF_SUBJECT] = "certificate subject", [PF_ISSUER] = "certificate issuer",
                [PF_BANNER] = "banner", [PF_EHLO] = "EHLO keyword",
            };
            struct evidence_item *it = item(ev, kinds[best->field], best->strength);
            struct strbuf b;

            if (it == NULL)
                return;
            strbuf_init(&b, it->seen, sizeof(it->seen));
            strbuf_puts(&b, fields[best->field]);
            strbuf_lit(&b, " ");
            strbuf_puts(&b, what);
            strbuf_init(&b, it->expected, sizeof(it->expected));
            strbuf_puts(&b, pr->name);
            strbuf_lit(&b, " (");
            strbuf_puts(&b, pr->role);
            strbuf_lit(&b, ") matches ");
            strbuf_puts(&b, best->text);
            it->product = pr->name;
            it->source = pr->source;
        }
    }
}

/* fqdn_like: hostname_fqdn_like(|s|), remembered (a server's names come
 * back session after session). */
static bool fqdn_like(const struct evidence_ctx *cx, const char *s)
{
    if (s == NULL)
        return false;
    if (cx->memo == NULL)
        return hostname_fqdn_like(s);
    return field_hits(cx, PF_NAME, s) != 0;
}

/* same_name: |a| and |b| name the same host.  The callers pass names that
 * normalize (hostname_fqdn_like), and normalizing folds ASCII case only, so
 * two names equal but for ASCII case are the same without normalizing
 * (the common case: a server that names itself the same way twice). */
static bool same_name(const char *a, const char *b)
{
    char na[HOSTNAME_BUFSZ], nb[HOSTNAME_BUFSZ];

    if (a != NULL && b != NULL && strcasecmp(a, b) == 0)
        return true;
    return hostname_normalize(a, na, sizeof(na)) && hostname_normalize(b, nb, sizeof(nb)) &&
           strcmp(na, nb) == 0;
}

/* names_item: the box that answered names itself (banner or EHLO host, and
 * the certificate agrees with it) other than the server the sender asked
 * for (the expectation's name, else the SNI), and its certificate does not
 * name that server. */
static void names_item(const struct evidence_ctx *cx, const struct session *s,
                       const struct x509_info *leaf, const char *expected_name,
                       const struct smtp_facts *sf, struct evidence *ev)
{
    const char *want = fqdn_like(cx, expected_name) ? expected_name
                       : fqdn_like(cx, s->sni)      ? s->sni
                                                    : NULL;
    const char *self = NULL, *how = NULL;
    struct evidence_item *it;
    struct strbuf b;
    bool cert_self;

    if (want == NULL || sf == NULL || leaf == NULL || !leaf->parsed)
        return;
    if (fqdn_like(cx, sf->banner_host) && !same_name(sf->banner_host, want))
        self = sf->banner_host, how = "banner";
    else if (fqdn_like(cx, sf->ehlo_host) && !same_name(sf->ehlo_host, want))
        self = sf->ehlo_host, how = "EHLO reply";
    if (self == NULL || hostname_check(leaf, want, NULL, 0) != HOST_NO_MATCH)
        return;
    cert_self = hostname_check(leaf, self, NULL, 0) == HOST_MATCH;
    if ((it = item(ev, EV_NAMES, cert_self ? EV_MEDIUM : EV_WEAK)) == NULL)
        return;
    strbuf_init(&b, it->seen, sizeof(it->seen));
    strbuf_lit(&b, "the ");
    strbuf_puts(&b, how);
    strbuf_lit(&b, " names ");
    strbuf_puts(&b, self);
    strbuf_puts(&b, cert_self ? " and so does the certificate" : "; the certificate does not");
    strbuf_init(&b, it->expected, sizeof(it->expected));
    strbuf_puts(&b, want);
    strbuf_puts(&b, want == expected_name ? " (the expected server)" : " (the SNI)");
}

/* masked_item: STARTTLS overwritten in the EHLO reply by an inspecting
 * firewall ("XXXXXXXA": same length) proves a box on the way rewrote the
 * dialogue, from this one point. */
static void masked_item(const struct smtp_facts *sf, struct evidence *ev)
{
    const char *k = sf != NULL ? smtp_starttls_masked(sf) : NULL;
    struct evidence_item *it;

    if (k == NULL || (it = item(ev, EV_STARTTLS_MASKED, EV_STRONG)) == NULL)
        return;
    snprintf(it->seen, sizeof(it->seen), "EHLO keyword %s where STARTTLS stands", k);
    snprintf(it->expected, sizeof(it->expected), "STARTTLS");
}

/* sender_item: Office 365's own status codes for what it met at the
 * receiving side (mail-flow intelligence: 4.4.317 TLS required but not
 * offered, 4.4.318 connection closed abruptly), where the capture has them. */
static void sender_item(const struct smtp_facts *sf, struct evidence *ev)
{
    static const char *const codes[] = {"4.4.317", "4.4.318"};
    const char *lines[2];

    if (sf == NULL)
        return;
    lines[0] = sf->last_reply;
    lines[1] = sf->starttls_reply;
    for (size_t l = 0; l < 2; l++)
        for (size_t c = 0; c < 2; c++) {
            struct evidence_item *it;

            if (lines[l] == NULL || strstr(lines[l], codes[c]) == NULL)
                continue;
            if ((it = item(ev, EV_SENDER_REPLY, EV_MEDIUM)) == NULL)
                return;
            strbuf_copy(it->seen, sizeof(it->seen), lines[l]);
            strbuf_copy(it->expected, sizeof(it->expected),
                        c == 0 ? "STARTTLS offered by the receiving server"
                               : "a TLS session the receiving side does not cut");
            return;
        }
}

/* ---- the network layer --------------------------------------------------- */

static struct net_fp net_fp(const struct session_net *n)
{
    struct net_fp fp;

    memset(&fp, 0, sizeof(fp));
    memcpy(fp.opts, n->synack_opts, n->nsynack_opts);
    fp.nopts = n->nsynack_opts;
    fp.wscale = n->synack_wscale;
    return fp;
}

static bool net_fp_equal(const struct net_fp *a, const struct net_fp *b)
{
    return a->nopts == b->nopts && a->wscale == b->wscale &&
           memcmp(a->opts, b->opts, a->nopts) == 0;
}

/* "N hops away (TTL T)"; written piece by piece, not by snprintf: in a
 * capture through a box that answers for the server every session has
 * such an item, and the format strings were a twentieth of the analysis. */
static void hops_text(struct strbuf *b, uint8_t ttl)
{
    int h = session_net_hops(ttl);

    if (h < 0) {
        strbuf_putc(b, '-');
        h = -h;
    }
    strbuf_u64(b, (uint64_t)h);
    strbuf_puts(b, h == 1 ? " hop away (TTL " : " hops away (TTL ");
    strbuf_u64(b, ttl);
    strbuf_putc(b, ')');
}

/* net_items compares the server's network layer within the connection, and
 * with the same address's other ports and earlier sessions at this point,
 * then remembers this session's. */
static void net_items(struct evidence_ctx *cx, const struct session *s, struct evidence *ev)
{
    const struct session_net *n = &s->net;
    uint8_t ttl = n->synack_ttl != 0 ? n->synack_ttl : n->data_ttl[TCP_TO_CLIENT];
    uint64_t h = keyhash(cx->seed ^ s->input, s->server.b, sizeof(s->server.b));
    struct net_addr *a = &cx->net[(h ^ s->server.family) % NET_SLOTS];
    struct net_port *mine = NULL;
    struct strbuf b;
    struct net_fp fp = net_fp(n);
    bool fp_seen = n->synack_us != 0;
    bool ttl_said = false, fp_said = false;

    if (ttl == 0)
        return;
    if (cx->seed_pending) {
        /* the first such session's endpoints and time to the microsecond
         * (and its client random): the same for every run on the file */
        uint8_t k[16 + 16 + 2 + 2 + 8 + 32];

        memcpy(k, s->server.b, 16);
        memcpy(k + 16, s->client.b, 16);
        memcpy(k + 32, &s->sport, 2);
        memcpy(k + 34, &s->cport, 2);
        memcpy(k + 36, &s->first_us, 8);
        memcpy(k + 44, s->client_random, 32);
        cx->seed = keyhash(0x6d78772d6e657473u, k, sizeof(k));   /* "mxw-nets" */
        cx->seed_pending = false;
        h = keyhash(cx->seed ^ s->input, s->server.b, sizeof(s->server.b));
        a = &cx->net[(h ^ s->server.family) % NET_SLOTS];
    }
    /* within the connection: the SYN-ACK and the server's data from boxes
     * at different distances */
    if (n->synack_ttl != 0 && n->data_ttl[TCP_TO_CLIENT] != 0 &&
        session_net_hops(n->synack_ttl) != session_net_hops(n->data_ttl[TCP_TO_CLIENT])) {
        struct evidence_item *it = item(ev, EV_TTL, EV_MEDIUM);

        if (it != NULL) {
            strbuf_init(&b, it->seen, sizeof(it->seen));
            strbuf_lit(&b, "the SYN-ACK came from ");
            hops_text(&b, n->synack_ttl);
            strbuf_lit(&b, ", the server's first reply from ");
            hops_text(&b, n->data_ttl[TCP_TO_CLIENT]);
            strbuf_copy(it->expected, sizeof(it->expected), "one host: one distance");
            ttl_said = true;
        }
    }
    if (!a->used || a->input != s->input || memcmp(&a->addr, &s->server, sizeof(a->addr)) != 0) {
        memset(a, 0, sizeof(*a));
        a->used = true;
        a->input = s->input;
        a->addr = s->server;
    }
    for (size_t i = 0; i < a->np; i++) {
        const struct net_port *o = &a->p[i];
        bool other_port = o->port != s->sport;
        struct evidence_item *it;

        if (o->port == s->sport)
            mine = &a->p[i];
        /* across ports, the nearer side is the one a box in front answers
         * for: the farther one is told nothing */
        if (other_port && session_net_hops(ttl) > session_net_hops(o->ttl))
            continue;
        if (!ttl_said && session_net_hops(o->ttl) != session_net_hops(ttl) &&
            (it = item(ev, EV_TTL, other_port ? EV_MEDIUM : EV_WEAK)) != NULL) {
            strbuf_init(&b, it->seen, sizeof(it->seen));
            strbuf_lit(&b, "port ");
            strbuf_u64(&b, s->sport);
            strbuf_lit(&b, " answers from ");
            hops_text(&b, ttl);
            if (other_port) {
                strbuf_lit(&b, ", port ");
                strbuf_u64(&b, o->port);
                strbuf_lit(&b, " of the same address from ");
            } else {
                strbuf_lit(&b, ", its earlier sessions from ");
            }
            hops_text(&b, o->ttl);
            strbuf_copy(it->expected, sizeof(it->expected), "one host: one distance on every port");
            ttl_said = true;
        }
        if (!fp_said && fp_seen && o->fp_seen && !net_fp_equal(&o->fp, &fp) &&
            (it = item(ev, EV_TCP_FINGERPRINT, other_port ? EV_MEDIUM : EV_WEAK)) != NULL) {
            char opts[96];

            session_net_opts(n, opts, sizeof(opts));
            strbuf_init(&b, it->seen, sizeof(it->seen));
            strbuf_lit(&b, "port ");
            strbuf_u64(&b, s->sport);
            strbuf_lit(&b, "'s SYN-ACK has options ");
            strbuf_puts(&b, opts[0] ? opts : "none");
            strbuf_lit(&b, " (window scale ");
            if (n->synack_wscale < 0) {
                strbuf_putc(&b, '-');
                strbuf_u64(&b, (uint64_t)0 - (uint64_t)n->synack_wscale);
            } else {
                strbuf_u64(&b, (uint64_t)n->synack_wscale);
            }
            strbuf_lit(&b, "), unlike ");
            strbuf_puts(&b, other_port ? "another port of the same address" : "its earlier sessions");
            strbuf_copy(it->expected, sizeof(it->expected), "one TCP stack: one option layout");
            fp_said = true;
        }
    }
    if (mine == NULL && a->np < NET_PORTS) {
        mine = &a->p[a->np++];
    } else if (mine == NULL) {
        /* a full entry gives up its oldest port */
        mine = &a->p[0];
        for (size_t i = 1; i < NET_PORTS; i++)
            if (a->p[i].seen_us < mine->seen_us)
                mine = &a->p[i];
    }
    mine->port = s->sport;
    mine->ttl = ttl;
    mine->fp = fp;
    mine->fp_seen = fp_seen;
    mine->seen_us = s->first_us;
}

static unsigned weight(enum evidence_strength st)
{
    return st == EV_STRONG ? 3u : st == EV_MEDIUM ? 2u : 1u;
}

void evidence_session(struct evidence_ctx *cx, const struct session *s,
                      const struct x509_info *const *chain, size_t n,
                      const char *expected_name, bool expected_leaf, struct evidence *ev,
                      struct findings *fs)
{
    const struct smtp_facts *sf = s->smtp != NULL ? smtp_facts(s->smtp) : NULL;
    const struct x509_info *leaf = n > 0 ? chain[0] : NULL;
    const struct evidence_item *prod = NULL;
    unsigned score = 0, kinds = 0;

    memset(ev, 0, sizeof(*ev));
    if (cx == NULL)
        return;
    product_items(cx, chain, n, sf, ev);
    names_item(cx, s, leaf, expected_name, sf, ev);
    masked_item(sf, ev);
    sender_item(sf, ev);
    net_items(cx, s, ev);

    for (size_t i = 0; i < ev->n; i++) {
        const struct evidence_item *it = &ev->v[i];

        if (it->product != NULL && (prod == NULL || it->strength > prod->strength))
            prod = it;
        score += weight(it->strength);
        kinds |= 1u << it->kind;
    }
    if (prod != NULL) {
        enum severity sev = expected_leaf                         ? SEV_INFO
                            : prod->kind == EV_PRODUCT_CERTIFICATE ? SEV_MEDIUM
                                                                   : SEV_LOW;
        struct finding *f = findings_new(fs, F_KNOWN_INTERCEPTOR, sev);

        if (f != NULL) {
            struct strbuf b;

            strbuf_init(&b, f->msg, sizeof(f->msg));
            strbuf_lit(&b, "the ");
            strbuf_puts(&b, prod->seen);
            strbuf_lit(&b, " is that of ");
            strbuf_puts(&b, prod->product);
            strbuf_lit(&b, " (");
            strbuf_puts(&b, evidence_strength_name(prod->strength));
            strbuf_lit(&b, " evidence; source: ");
            strbuf_puts(&b, prod->source);
            strbuf_lit(&b, ")");
        }
    }
    /* suspected: TLS was spoken, the certificate is not the expected one,
     * and the items add up to more than one innocent cause explains: two
     * kinds of evidence at least, weighing 4 (strong 3, medium 2, weak 1).
     * Timing is no item: a direct postfix answers the SYN in 50 us and greets
     * 40 ms later (its client lookups), so a late banner proves nothing. */
    if (s->tls && !expected_leaf && score >= 4 && (kinds & (kinds - 1)) != 0) {
        struct finding *f = findings_new(fs, F_TLS_TERMINATOR_SUSPECTED, SEV_HIGH);

        ev->suspected = true;
        if (f != NULL) {
            struct strbuf b;

            strbuf_init(&b, f->msg, sizeof(f->msg));
            strbuf_lit(&b, "evidence of a box in front of the server that answers for it (");
            for (size_t i = 0; i < ev->n; i++) {
                if (i > 0)
                    strbuf_lit(&b, "; ");
                strbuf_puts(&b, evidence_strength_name(ev->v[i].strength));
                strbuf_lit(&b, ": ");
                strbuf_puts(&b, ev->v[i].seen);
            }
            strbuf_lit(&b, "): evidence, not proof");
        }
    }
}
