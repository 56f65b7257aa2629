/*
 * html.c - the HTML report (--report FILE.html): one self-contained page
 * to attach to a ticket, for people who will not run a command line.
 *
 *   1. the answer: per server its verdict and conclusion and, where several
 *      capture points saw its deliveries, the hop diagram (inline SVG:
 *      sender -> each point -> server, the certificate seen at each point,
 *      the hop where it changed marked), worst servers first
 *   2. the findings with their messages, each linked to the sessions or
 *      deliveries behind it, and the evidence of a box in front of the
 *      server (analyze/evidence: kind, strength, seen, expected, product
 *      and source) under the finding it gave
 *   3. each distinct certificate once: subject, issuer, names, validity,
 *      key, signature, SHA-256 of the DER and of the key, the PEM folded
 *   4. the sessions behind the claims, per server, with their times, each
 *      row linking to its certificate and its findings
 *
 * No external resource, no script (a Content-Security-Policy forbids both,
 * in case an escaping bug ever let markup through), print CSS.  Everything
 * from the wire goes through out_html_escaped: a certificate subject with
 * markup shows as text.
 *
 * The page is written at the end (on_finish); until then the writer keeps
 * only what it prints, each part bounded: a small row per session (at most
 * HTML_ROWS_PER_SERVER per server and HTML_MAX_ROWS in all, the rest
 * counted), HTML_MAX_SERVERS servers, HTML_MAX_CERTS certificates,
 * HTML_MAX_FINDINGS distinct findings and HTML_MAX_SHAPES distinct
 * delivery diagrams (deliveries alike are drawn once, with their count).
 *
 * Those counts bound the memory; the size of the page is bounded apart,
 * by bytes: it is what gets attached to a ticket, and mail systems refuse
 * big attachments.  The page is composed in memory, and each part may
 * grow up to a share of HTML_MAX_BYTES, counted from the top of the page,
 * so that what one part leaves unused the next one may take: the answer
 * to HTML_BUDGET_ANSWER, the findings to _FINDINGS, the certificates to
 * _CERTS (their PEM blocks to _PEM), the sessions to _SESSIONS.  An item
 * is started only below its part's mark, and no item is larger than
 * HTML_ITEM_MAX, so the page ends below HTML_MAX_BYTES; what did not fit
 * is counted where it would have been ("not listed: the report is kept
 * under 1 MB").
 */
#include "report/writers.h"

#include <stdlib.h>
#include <string.h>

#include "analyze/findings.h"
#include "analyze/x509.h"
#include "lib/keyhash.h"
#include "lib/out.h"
#include "report/common.h"

#define HTML_MAX_SERVERS 256
#define HTML_ROWS_PER_SERVER 200
#define HTML_MAX_ROWS 2000
#define HTML_MAX_CERTS 128
#define HTML_CERT_SLOTS 256          /* open addressing, twice the certificates */
#define HTML_MAX_FINDINGS 256
#define HTML_FINDING_SLOTS 512
#define HTML_FINDING_REFS 20         /* sessions or deliveries linked per finding */
#define HTML_MAX_SHAPES 32
#define HTML_SHAPE_FINDINGS 8
#define HTML_SVG_TEXT 30             /* bytes of a subject drawn in a diagram box */
#define HTML_MAX_BYTES 1000000       /* the page stays below this (under 1 MiB with room) */
#define HTML_ITEM_MAX 24000          /* no server block, finding, certificate or row is bigger */
#define HTML_BUDGET_ANSWER (HTML_MAX_BYTES * 30 / 100)
#define HTML_BUDGET_FINDINGS (HTML_MAX_BYTES * 50 / 100)
#define HTML_BUDGET_PEM (HTML_MAX_BYTES * 65 / 100)
#define HTML_BUDGET_CERTS (HTML_MAX_BYTES * 75 / 100)
#define HTML_BUDGET_SESSIONS (HTML_MAX_BYTES - HTML_ITEM_MAX - 4000)

/* a row keeps its finding codes as bits of a uint32_t */
_Static_assert(F_CODE_COUNT <= 32, "html_row.codes holds a bit per finding code");

/* html_row: what the sessions table says of one session. */
struct html_row {
    uint64_t id, first_us, last_us;
    struct cap_addr client;
    uint16_t cport, version;
    unsigned input;
    int cert;                        /* index into certs, -1: none or not kept */
    bool tls, server_hello, cert_hidden, implicit_tls;
    enum severity worst;
    uint32_t codes;                  /* bit per enum finding_code */
    int finding[4];                  /* the first findings' indices (links), -1 */
};

/* html_server: a server entry's summary (copied when it leaves the table or
 * at the end) and its rows. */
struct html_server {
    const struct server *sv;         /* the live entry; NULL once summarised */
    unsigned input;
    struct cap_addr addr;
    uint16_t port;
    struct html_row *rows;
    size_t nrows, rows_cap;
    uint64_t unlisted;               /* sessions counted, not listed */

    bool summarised;
    char *name, *verdict, *conclusion;
    enum severity worst;
    uint64_t sessions, tls_sessions, plain, hidden, first_us, last_us;
    uint64_t no_dialogue;            /* connections without a payload byte: not sessions */
    uint64_t code_sessions[F_CODE_COUNT];
    enum severity code_sev[F_CODE_COUNT];
    uint64_t steps[STEP_COUNT][4];
};

struct html_cert {
    uint8_t sha256[32];
    char sha256_hex[65], spki_hex[65];
    bool parsed, self_signed, is_ca;
    char *subject, *issuer, *serial, *key_alg, *key_curve, *sig_alg, *pem, *parse_error;
    char **san;
    size_t nsan, total_san;
    int64_t not_before, not_after;
    int key_bits;
    uint64_t sessions, first_us, last_us;
    bool listed;                     /* its block made it into the page */
};

/* html_ev: one item of the evidence behind a finding (analyze/evidence). */
struct html_ev {
    enum evidence_kind kind;
    enum evidence_strength strength;
    char *seen, *expected, *product, *source;
};

/* html_finding: one distinct finding (code, severity, message), with the
 * evidence of the first session that had it. */
struct html_finding {
    struct html_ev *ev;
    size_t nev;
    enum finding_code code;
    enum severity sev;
    char *msg;
    uint64_t hash, count;
    bool delivery;                   /* refs are delivery diagrams, else sessions */
    bool listed;                     /* its block made it into the page */
    size_t nrefs;
    struct { unsigned input; uint64_t id; } refs[HTML_FINDING_REFS];
};

/* html_point: what one capture point saw of a delivery. */
struct html_point {
    bool seen, server_hello, cert_hidden, leaf, self_signed, implicit_tls, starttls_offered;
    struct cap_addr client, server;
    uint16_t cport, sport, version;
    uint8_t sha256[32];
    char subject[DIGEST_NAME_MAX];
    char banner[DIGEST_NAME_MAX];
};

/* html_shape: deliveries that look alike along the points, drawn once. */
struct html_shape {
    size_t npoints;
    char *labels[HOPS_MAX_POINTS];
    struct html_point pt[HOPS_MAX_POINTS];
    struct hop_change certificate, terminator, starttls, banner;
    unsigned confidence;
    char reason[HOPS_REASON_MAX];
    uint64_t count, first_us;
    struct { enum finding_code code; enum severity sev; int index; } f[HTML_SHAPE_FINDINGS];
    size_t nf;
    bool drawn;
};

struct html_writer {
    FILE *out;                       /* what put() and esc() write to: the page or an item */
    FILE *dest;                      /* the --report file */
    FILE *page;                      /* the page being composed (a memory stream) */
    char *page_buf, *item_buf;
    size_t page_len, item_len;
    uint64_t cut[4];                 /* items left out for size: servers, findings, certs, rows */
    uint64_t pem_cut;                /* certificates listed without their PEM, for size */
    const struct pipeline *pl;
    bool several_points;
    uint64_t key;                    /* keyhash key of the findings table */

    struct html_server *servers[HTML_MAX_SERVERS];
    size_t nservers, last;           /* last: the entry the last session went to */
    uint64_t servers_unlisted, servers_unlisted_sessions;
    enum severity servers_unlisted_worst;
    size_t rows;                     /* rows kept in all */
    uint64_t rows_unlisted;          /* sessions beyond HTML_MAX_ROWS or without a server */

    struct html_cert *certs[HTML_MAX_CERTS];
    size_t ncerts;
    int cert_slot[HTML_CERT_SLOTS];  /* index + 1; 0 empty */
    uint64_t certs_unlisted;

    struct html_finding *findings[HTML_MAX_FINDINGS];
    size_t nfindings;
    int finding_slot[HTML_FINDING_SLOTS];
    uint64_t findings_unlisted;

    struct html_shape *shapes[HTML_MAX_SHAPES];
    size_t nshapes;
    uint64_t deliveries, shapes_unlisted;
    bool findings_written, certs_written;   /* sections 2 and 3 are on the page */
};

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* ------------------------------------------------------------ keeping */

static int cert_keep(struct html_writer *w, const struct x509_info *xi, uint64_t us)
{
    size_t slot = ((size_t)xi->sha256[0] | (size_t)xi->sha256[1] << 8) % HTML_CERT_SLOTS;
    struct html_cert *c;

    for (size_t probe = 0; probe < HTML_CERT_SLOTS; probe++, slot = (slot + 1) % HTML_CERT_SLOTS) {
        int i = w->cert_slot[slot] - 1;

        if (i < 0)
            break;
        c = w->certs[i];
        if (memcmp(c->sha256, xi->sha256, 32) == 0) {
            c->sessions++;
            if (us < c->first_us)
                c->first_us = us;
            if (us > c->last_us)
                c->last_us = us;
            return i;
        }
    }
    if (w->ncerts == HTML_MAX_CERTS || (c = calloc(1, sizeof(*c))) == NULL) {
        w->certs_unlisted++;
        return -1;
    }
    memcpy(c->sha256, xi->sha256, 32);
    memcpy(c->sha256_hex, xi->sha256_hex, sizeof(c->sha256_hex));
    memcpy(c->spki_hex, xi->spki_hex, sizeof(c->spki_hex));
    c->parsed = xi->parsed;
    c->self_signed = xi->self_signed;
    c->is_ca = xi->is_ca;
    c->subject = dup_or_null(xi->subject);
    c->issuer = dup_or_null(xi->issuer);
    c->serial = dup_or_null(xi->serial_hex);
    c->key_alg = dup_or_null(xi->key_alg);
    c->key_curve = dup_or_null(xi->key_curve);
    c->sig_alg = dup_or_null(xi->sig_alg);
    c->pem = dup_or_null(xi->pem);
    c->parse_error = dup_or_null(xi->parse_error);
    c->not_before = xi->not_before;
    c->not_after = xi->not_after;
    c->key_bits = xi->key_bits;
    c->total_san = xi->total_san;
    if (xi->nsan && (c->san = calloc(xi->nsan, sizeof(*c->san))) != NULL) {
        for (size_t k = 0; k < xi->nsan; k++)
            if ((c->san[c->nsan] = dup_or_null(xi->san[k])) != NULL)
                c->nsan++;
    }
    c->sessions = 1;
    c->first_us = c->last_us = us;
    w->certs[w->ncerts] = c;
    w->cert_slot[slot] = (int)++w->ncerts;
    return (int)w->ncerts - 1;
}

static int cert_find(const struct html_writer *w, const uint8_t sha256[32])
{
    size_t slot = ((size_t)sha256[0] | (size_t)sha256[1] << 8) % HTML_CERT_SLOTS;

    for (size_t probe = 0; probe < HTML_CERT_SLOTS; probe++, slot = (slot + 1) % HTML_CERT_SLOTS) {
        int i = w->cert_slot[slot] - 1;

        if (i < 0)
            return -1;
        if (memcmp(w->certs[i]->sha256, sha256, 32) == 0)
            return i;
    }
    return -1;
}

/* finding_keep counts one finding and links it to session (|input|, |id|)
 * or delivery |id|; returns its index, -1 when not kept. */
static int finding_keep(struct html_writer *w, const struct finding *x, bool delivery,
                        unsigned input, uint64_t id)
{
    size_t len = strlen(x->msg);
    uint64_t h = keyhash(w->key, (const uint8_t *)x->msg, len) ^
                 ((uint64_t)x->code << 8 | (uint64_t)x->sev) ^ (delivery ? 1u << 20 : 0);
    size_t slot = (size_t)(h % HTML_FINDING_SLOTS);
    struct html_finding *f = NULL;
    int i;

    for (size_t probe = 0; probe < HTML_FINDING_SLOTS; probe++, slot = (slot + 1) % HTML_FINDING_SLOTS) {
        i = w->finding_slot[slot] - 1;
        if (i < 0)
            break;
        f = w->findings[i];
        if (f->hash == h && f->code == x->code && f->sev == x->sev && f->delivery == delivery &&
            strcmp(f->msg, x->msg) == 0)
            goto found;
    }
    f = NULL;   /* the loop left it on the last finding probed: not ours to free */
    if (w->nfindings == HTML_MAX_FINDINGS || (f = calloc(1, sizeof(*f))) == NULL ||
        (f->msg = strdup(x->msg)) == NULL) {
        free(f);
        w->findings_unlisted++;
        return -1;
    }
    f->code = x->code;
    f->sev = x->sev;
    f->hash = h;
    f->delivery = delivery;
    i = (int)w->nfindings;
    w->findings[w->nfindings++] = f;
    w->finding_slot[slot] = i + 1;
found:
    f->count++;
    for (size_t k = 0; delivery && k < f->nrefs; k++)
        if (f->refs[k].id == id)
            return i;   /* a diagram is linked once */
    if (f->nrefs < HTML_FINDING_REFS) {
        f->refs[f->nrefs].input = input;
        f->refs[f->nrefs].id = id;
        f->nrefs++;
    }
    return i;
}

/* finding_evidence keeps the items of |ev| under finding |k| (the first
 * session's only: the others of the same message say the same). */
static void finding_evidence(struct html_writer *w, int k, const struct evidence *ev)
{
    struct html_finding *f = w->findings[k];

    if (f->ev != NULL || ev->n == 0 || (f->ev = calloc(ev->n, sizeof(*f->ev))) == NULL)
        return;
    for (size_t i = 0; i < ev->n; i++) {
        const struct evidence_item *it = &ev->v[i];
        struct html_ev *e = &f->ev[f->nev++];

        e->kind = it->kind;
        e->strength = it->strength;
        e->seen = strdup(it->seen);
        e->expected = it->expected[0] ? strdup(it->expected) : NULL;
        e->product = dup_or_null(it->product);
        e->source = dup_or_null(it->source);
    }
}

static struct html_server *server_keep(struct html_writer *w, const struct server *sv)
{
    struct html_server *e;

    if (w->last < w->nservers && w->servers[w->last]->sv == sv)
        return w->servers[w->last];
    for (size_t i = 0; i < w->nservers; i++)
        if (w->servers[i]->sv == sv) {
            w->last = i;
            return w->servers[i];
        }
    if (w->nservers == HTML_MAX_SERVERS || (e = calloc(1, sizeof(*e))) == NULL)
        return NULL;
    e->sv = sv;
    e->input = sv->input;
    e->addr = sv->addr;
    e->port = sv->port;
    w->last = w->nservers;
    w->servers[w->nservers++] = e;
    return e;
}

static void row_add(struct html_writer *w, struct html_server *e, const struct html_row *r)
{
    if (e->nrows == HTML_ROWS_PER_SERVER || w->rows == HTML_MAX_ROWS) {
        e->unlisted++;
        return;
    }
    if (e->nrows == e->rows_cap) {
        size_t cap = e->rows_cap ? e->rows_cap * 2 : 8;
        struct html_row *n;

        if (cap > HTML_ROWS_PER_SERVER)
            cap = HTML_ROWS_PER_SERVER;
        if ((n = realloc(e->rows, cap * sizeof(*n))) == NULL) {
            e->unlisted++;
            return;
        }
        e->rows = n;
        e->rows_cap = cap;
    }
    e->rows[e->nrows++] = *r;
    w->rows++;
}

static void html_session(void *ctx, const struct analysed *a)
{
    struct html_writer *w = ctx;
    const struct session *s = a->s;
    struct html_row r = {
        .id = s->id, .first_us = s->first_us, .last_us = s->last_us, .client = s->client,
        .cport = s->cport, .version = s->version, .input = s->input, .cert = -1,
        .tls = s->tls, .server_hello = s->server_hello, .cert_hidden = s->cert_hidden,
        .implicit_tls = s->implicit_tls, .worst = SEV_NONE, .finding = {-1, -1, -1, -1},
    };
    struct html_server *e;
    size_t nf = 0;
    int ev_at = -1, first = -1;

    for (size_t i = 0; i < a->nserver; i++) {
        int k = cert_keep(w, a->server_chain[i], s->first_us);

        if (i == 0)
            r.cert = k;
    }
    for (size_t i = 0; i < a->nclient; i++)
        cert_keep(w, a->client_chain[i], s->first_us);
    for (size_t i = 0; i < a->fs->n; i++) {
        const struct finding *x = &a->fs->v[i];
        int k = finding_keep(w, x, false, s->input, s->id);

        if (k >= 0 && first < 0)
            first = k;
        if (k >= 0 && ev_at < 0 &&
            (x->code == F_KNOWN_INTERCEPTOR || x->code == F_TLS_TERMINATOR_SUSPECTED))
            ev_at = k;
        r.codes |= 1u << x->code;
        if (x->sev > r.worst)
            r.worst = x->sev;
        if (k >= 0 && nf < 4)
            r.finding[nf++] = k;
    }
    /* the evidence goes under the finding it gave, else the session's first */
    if (a->ev != NULL && a->ev->n > 0 && (ev_at >= 0 || first >= 0))
        finding_evidence(w, ev_at >= 0 ? ev_at : first, a->ev);
    if (a->server == NULL || (e = server_keep(w, a->server)) == NULL) {
        w->rows_unlisted++;
        return;
    }
    row_add(w, e, &r);
}

/* server_summarise copies what the answer says of |sv| into |e|. */
static void server_summarise(struct html_server *e, const struct server *sv)
{
    const struct server_summary *u = sv->sum;
    char vb[3072];

    e->summarised = true;
    e->sv = NULL;
    if (u == NULL)
        return;
    report_verdict(sv, vb, sizeof(vb));
    e->verdict = strdup(vb);
    e->name = dup_or_null(u->name);
    e->conclusion = dup_or_null(u->conclusion);
    e->worst = u->worst;
    e->sessions = u->sessions;
    e->tls_sessions = u->tls_sessions;
    e->plain = u->plain;
    e->hidden = u->hidden;
    e->no_dialogue = u->no_dialogue;
    e->first_us = u->first_us;
    e->last_us = u->last_us;
    memcpy(e->code_sessions, u->code_sessions, sizeof(e->code_sessions));
    memcpy(e->code_sev, u->code_sev, sizeof(e->code_sev));
    memcpy(e->steps, u->steps, sizeof(e->steps));
}

/* server_leaves: |sv| is evicted or the run ends; summarise its entry, or
 * count it when it has none. */
static void server_leaves(struct html_writer *w, const struct server *sv)
{
    struct html_server *e = NULL;

    for (size_t i = 0; i < w->nservers; i++)
        if (w->servers[i]->sv == sv) {
            e = w->servers[i];
            break;
        }
    if (e == NULL && sv->sum != NULL)
        e = server_keep(w, sv);
    if (e == NULL) {
        if (sv->sum != NULL) {
            w->servers_unlisted++;
            w->servers_unlisted_sessions += sv->sum->sessions;
            if (sv->sum->worst > w->servers_unlisted_worst)
                w->servers_unlisted_worst = sv->sum->worst;
        }
        return;
    }
    server_summarise(e, sv);
}

static void html_evicted(void *ctx, const struct server *sv)
{
    server_leaves(ctx, sv);
}

static void point_fill(struct html_point *p, const struct session_digest *d)
{
    memset(p, 0, sizeof(*p));
    if (d == NULL)
        return;
    p->seen = true;
    p->server_hello = d->server_hello;
    p->cert_hidden = d->cert_hidden;
    p->leaf = d->nchain > 0 && !d->cert_hidden;
    p->self_signed = d->leaf_self_signed;
    p->implicit_tls = d->implicit_tls;
    p->starttls_offered = d->starttls_offered;
    p->client = d->client;
    p->server = d->server;
    p->cport = d->cport;
    p->sport = d->sport;
    p->version = d->version;
    if (p->leaf)
        memcpy(p->sha256, d->chain[0], 32);
    memcpy(p->subject, d->leaf_subject, sizeof(p->subject));
    memcpy(p->banner, d->banner_host, sizeof(p->banner));
}

/* point_alike: the same server seen the same way (the sender may differ). */
static bool point_alike(const struct html_point *a, const struct html_point *b)
{
    return a->seen == b->seen && a->leaf == b->leaf && a->cert_hidden == b->cert_hidden &&
           a->server_hello == b->server_hello && a->sport == b->sport &&
           memcmp(&a->server, &b->server, sizeof(a->server)) == 0 &&
           memcmp(a->sha256, b->sha256, 32) == 0 && strcmp(a->banner, b->banner) == 0;
}

static bool change_eq(struct hop_change a, struct hop_change b)
{
    return a.from == b.from && a.to == b.to;
}

static void html_delivery(void *ctx, const struct hop_delivery *d, const struct findings *fs)
{
    struct html_writer *w = ctx;
    struct html_point pt[HOPS_MAX_POINTS];
    struct html_shape *sh = NULL;
    size_t idx = 0;
    size_t np = d->npoints < HOPS_MAX_POINTS ? d->npoints : HOPS_MAX_POINTS;
    uint64_t first_us = 0;
    bool any = false;

    for (size_t i = 0; i < np; i++) {
        point_fill(&pt[i], d->at[i]);
        if (d->at[i] != NULL && !any) {
            first_us = d->at[i]->first_us;
            any = true;
        }
    }
    if (!any)
        return;
    w->deliveries++;
    for (size_t k = 0; k < w->nshapes && sh == NULL; k++) {
        struct html_shape *c = w->shapes[k];
        bool same = c->npoints == np && change_eq(c->certificate, d->certificate) &&
                    change_eq(c->terminator, d->terminator) &&
                    change_eq(c->starttls, d->starttls) && change_eq(c->banner, d->banner) &&
                    (c->confidence == 0) == (d->confidence == 0);

        for (size_t i = 0; same && i < np; i++)
            same = point_alike(&c->pt[i], &pt[i]);
        if (same) {
            sh = c;
            idx = k;
        }
    }
    if (sh == NULL) {
        if (w->nshapes == HTML_MAX_SHAPES || (sh = calloc(1, sizeof(*sh))) == NULL) {
            w->shapes_unlisted++;
            return;
        }
        sh->npoints = np;
        for (size_t i = 0; i < np; i++) {
            sh->labels[i] = strdup(d->points[i] ? d->points[i] : "?");
            sh->pt[i] = pt[i];
        }
        sh->certificate = d->certificate;
        sh->terminator = d->terminator;
        sh->starttls = d->starttls;
        sh->banner = d->banner;
        sh->confidence = d->confidence;
        memcpy(sh->reason, d->reason, sizeof(sh->reason));
        sh->first_us = first_us;
        idx = w->nshapes;
        w->shapes[w->nshapes++] = sh;
    }
    sh->count++;
    for (size_t i = 0; i < fs->n; i++) {
        int k = finding_keep(w, &fs->v[i], true, 0, idx);
        bool have = false;

        for (size_t j = 0; j < sh->nf; j++)
            if (sh->f[j].code == fs->v[i].code && sh->f[j].index == k)
                have = true;
        if (!have && sh->nf < HTML_SHAPE_FINDINGS) {
            sh->f[sh->nf].code = fs->v[i].code;
            sh->f[sh->nf].sev = fs->v[i].sev;
            sh->f[sh->nf].index = k;
            sh->nf++;
        }
    }
}

/* ------------------------------------------------------------ writing */

static void put(struct html_writer *w, const char *s)
{
    fputs(s, w->out);
}

/* page_size is how many bytes the page has so far. */
static uint64_t page_size(struct html_writer *w)
{
    off_t at = ftello(w->page);

    return at < 0 ? 0 : (uint64_t)at;
}

/* item_open has what is written next composed apart, for item_close to
 * add to the page or leave out.  Without memory for it, the item goes to
 * the page directly (the page then only risks being larger). */
static void item_open(struct html_writer *w)
{
    FILE *f = open_memstream(&w->item_buf, &w->item_len);

    w->out = f != NULL ? f : w->page;
}

/* cut_note says how many |what|s (a plural in s) the size bound left out
 * of a part, and where to find them all. */
static void cut_note(struct html_writer *w, uint64_t n, const char *what, const char *where)
{
    if (n)
        fprintf(w->out, "<p class=\"muted\">%llu more %s%s not listed here: the report is kept "
                "under %d bytes (%s).</p>\n", (unsigned long long)n, what, n == 1 ? "" : "s",
                HTML_MAX_BYTES, where);
}

/* item_close adds the item to the page when the page stays within |mark|
 * bytes with it; false when it was left out. */
static bool item_close(struct html_writer *w, uint64_t mark)
{
    bool fits;

    if (w->out == w->page)
        return true;
    fits = fclose(w->out) == 0 && page_size(w) + w->item_len <= mark;
    if (fits)
        fwrite(w->item_buf, 1, w->item_len, w->page);
    free(w->item_buf);
    w->item_buf = NULL;
    w->item_len = 0;
    w->out = w->page;
    return fits;
}

static void esc(struct html_writer *w, const char *s)
{
    out_html_cstr(w->out, s);
}

/* esc_cut writes |s| escaped, cut to about |max| bytes on a character
 * boundary with an ellipsis. */
static void esc_cut(struct html_writer *w, const char *s, size_t max)
{
    size_t n = strlen(s);

    if (n <= max) {
        esc(w, s);
        return;
    }
    while (max > 0 && ((uint8_t)s[max] & 0xC0) == 0x80)
        max--;
    out_html_escaped(w->out, (const uint8_t *)s, max);
    put(w, "\xe2\x80\xa6");
}

static const char *sev_word(enum severity s)
{
    return s == SEV_NONE ? "none" : severity_name(s);
}

static void sev_badge(struct html_writer *w, enum severity s)
{
    fprintf(w->out, "<span class=\"sev sev-%s\">%s</span>", sev_word(s), sev_word(s));
}

static void time_text(struct html_writer *w, uint64_t us)
{
    char t[40];

    put(w, out_time_rfc3339(us, t, sizeof(t)));
}

static const char *point_label(const struct html_writer *w, unsigned input)
{
    return pipeline_point(w->pl, input);
}

static void server_title(struct html_writer *w, const struct html_server *e)
{
    char se[80];

    put(w, cap_endpoint_format(&e->addr, e->port, se, sizeof(se)));
    if (w->several_points) {
        put(w, " at ");
        esc(w, point_label(w, e->input));
    }
    if (e->name) {
        put(w, " (");
        esc(w, e->name);
        put(w, ")");
    }
}

static void cert_link(struct html_writer *w, int i, bool subject)
{
    const struct html_cert *c = w->certs[i];
    bool link = c->listed || !w->certs_written;   /* not known before section 3 is written */

    if (link)
        fprintf(w->out, "<a href=\"#c-%s\">", c->sha256_hex);
    if (subject) {
        esc_cut(w, c->subject ? c->subject : "(no subject)", 80);
        put(w, link ? "</a> " : " ");
    }
    fprintf(w->out, "<code>%.16s</code>%s", c->sha256_hex, subject || !link ? "" : "</a>");
}

static void finding_anchor(struct html_writer *w, int k)
{
    const struct html_finding *f = w->findings[k];

    if (f->listed || !w->findings_written)
        fprintf(w->out, "<a href=\"#f-%d\">%s</a>", k, finding_code_name(f->code));
    else
        put(w, finding_code_name(f->code));
}

/* svg_node draws a box of the hop diagram with its title and a second
 * line (NULL: none), both escaped. */
static void svg_node(struct html_writer *w, int x, const char *cls, const char *title,
                     const char *title2)
{
    fprintf(w->out, "<rect x=\"%d\" y=\"30\" width=\"220\" height=\"120\" rx=\"8\" class=\"%s\"/>"
            "<text x=\"%d\" y=\"52\" class=\"t\">", x, cls, x + 110);
    esc(w, title);
    put(w, "</text>");
    if (title2) {
        fprintf(w->out, "<text x=\"%d\" y=\"70\">", x + 110);
        esc(w, title2);
        put(w, "</text>");
    }
}

static void svg_line(struct html_writer *w, int x, int y, const char *cls)
{
    fprintf(w->out, "<text x=\"%d\" y=\"%d\"%s%s%s>", x + 110, y, cls ? " class=\"" : "",
            cls ? cls : "", cls ? "\"" : "");
}

/* shape_svg draws sender -> each point -> server, the certificate seen at
 * each point, and the hops where something changed. */
static void shape_svg(struct html_writer *w, size_t idx, const struct html_shape *sh)
{
    size_t first = 0, last = 0, nodes = sh->npoints + 2;
    int width = (int)nodes * 280 - 60;
    char ep[80];

    for (size_t i = 0; i < sh->npoints; i++)
        if (sh->pt[i].seen) {
            last = i;
            if (!sh->pt[first].seen)
                first = i;
        }
    fprintf(w->out, "<svg class=\"hops\" role=\"img\" viewBox=\"0 0 %d 190\" width=\"%d\" "
            "xmlns=\"http://www.w3.org/2000/svg\"><title>the path of the delivery</title>",
            width, width);
    fprintf(w->out, "<defs><marker id=\"ah-%zu\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"10\" "
           "markerHeight=\"10\" markerUnits=\"userSpaceOnUse\" orient=\"auto\"><path d=\"M0,0L10,5L0,10z\"/></marker></defs>", idx);
    svg_node(w, 0, "node", "sender",
             cap_endpoint_format(&sh->pt[first].client, sh->pt[first].cport, ep, sizeof(ep)));
    for (size_t i = 0; i < sh->npoints; i++) {
        const struct html_point *p = &sh->pt[i];
        int x = (int)(i + 1) * 280;

        svg_node(w, x, "node", sh->labels[i],
                 p->seen ? cap_endpoint_format(&p->server, p->sport, ep, sizeof(ep)) : "not seen");
        if (!p->seen)
            continue;
        if (p->leaf) {
            svg_line(w, x, 92, "cn");
            esc_cut(w, p->subject[0] ? p->subject : "(no subject)", HTML_SVG_TEXT);
            put(w, "</text>");
            {
                char hx[65];

                x509_hex(p->sha256, 32, hx);
                svg_line(w, x, 110, NULL);
                fprintf(w->out, "sha256 %.16s\xe2\x80\xa6</text>", hx);
            }
            svg_line(w, x, 128, p->self_signed ? "bad" : NULL);
            put(w, p->self_signed ? "self-signed" : "not self-signed");
            put(w, "</text>");
        } else {
            svg_line(w, x, 100, NULL);
            put(w, p->cert_hidden ? "certificate hidden (TLS 1.3)" :
                   p->server_hello ? "no certificate seen" : "no TLS");
            put(w, "</text>");
        }
    }
    svg_node(w, (int)(nodes - 1) * 280, "node", "server",
             cap_endpoint_format(&sh->pt[last].server, sh->pt[last].sport, ep, sizeof(ep)));
    if (sh->pt[last].banner[0]) {
        svg_line(w, (int)(nodes - 1) * 280, 92, NULL);
        esc_cut(w, sh->pt[last].banner, HTML_SVG_TEXT);
        put(w, "</text>");
    }
    for (size_t k = 0; k + 1 < nodes; k++) {
        int x1 = (int)k * 280 + 220, x2 = x1 + 58;
        /* the arrow into point k (k >= 1 points index k - 1) */
        bool cert = k >= 1 && sh->certificate.to == (int)k && sh->certificate.from == (int)k - 1;
        bool term = k >= 1 && sh->terminator.to == (int)k && sh->terminator.from == (int)k - 1;
        bool strip = k >= 1 && sh->starttls.to == (int)k && sh->starttls.from == (int)k - 1;

        fprintf(w->out, "<line x1=\"%d\" y1=\"90\" x2=\"%d\" y2=\"90\" class=\"%s\" "
                "marker-end=\"url(#ah-%zu)\"/>", x1 + 2, x2, cert || term || strip ? "hop bad" : "hop",
                idx);
        if (cert || term || strip)
            fprintf(w->out, "<text x=\"%d\" y=\"172\" class=\"bad\">%s changes on this hop</text>",
                    (x1 + x2) / 2, cert ? "the certificate" : term ? "the TLS terminator" :
                    "STARTTLS");
    }
    put(w, "</svg>\n");
}

/* shape_table: the same facts as the diagram, in full, as text. */
static void shape_table(struct html_writer *w, const struct html_shape *sh)
{
    char ep[80], ep2[80], hx[65];

    fprintf(w->out, "<table class=\"points\"><thead><tr><th>point</th><th>client &rarr; server</th>"
            "<th>banner</th><th>certificate</th><th>SHA-256</th></tr></thead><tbody>\n");
    for (size_t i = 0; i < sh->npoints; i++) {
        const struct html_point *p = &sh->pt[i];
        fprintf(w->out, "<tr><td>");
        esc(w, sh->labels[i]);
        put(w, "</td>");
        if (!p->seen) {
            put(w, "<td colspan=\"4\">not seen</td></tr>\n");
            continue;
        }
        fprintf(w->out, "<td>%s &rarr; %s</td><td>",
                cap_endpoint_format(&p->client, p->cport, ep, sizeof(ep)),
                cap_endpoint_format(&p->server, p->sport, ep2, sizeof(ep2)));
        esc(w, p->banner[0] ? p->banner : "-");
        put(w, "</td><td>");
        if (p->leaf) {
            int c = cert_find(w, p->sha256);

            x509_hex(p->sha256, 32, hx);
            if (c >= 0)
                fprintf(w->out, "<a href=\"#c-%s\">", hx);
            esc(w, p->subject[0] ? p->subject : "(no subject)");
            if (c >= 0)
                put(w, "</a>");
            put(w, p->self_signed ? " <span class=\"bad\">(self-signed)</span>" : "");
            fprintf(w->out, "</td><td><code>%s</code></td></tr>\n", hx);
        } else {
            put(w, p->cert_hidden ? "hidden (TLS 1.3)" : p->server_hello ? "none seen" : "no TLS");
            put(w, "</td><td>-</td></tr>\n");
        }
    }
    put(w, "</tbody></table>\n");
}

static void shape_write(struct html_writer *w, size_t idx)
{
    struct html_shape *sh = w->shapes[idx];

    sh->drawn = true;
    fprintf(w->out, "<div class=\"delivery\" id=\"d-%zu\"><h4>", idx);
    if (sh->count > 1)
        fprintf(w->out, "%llu deliveries alike, the first at ", (unsigned long long)sh->count);
    else
        put(w, "delivery at ");
    time_text(w, sh->first_us);
    put(w, "</h4>\n<p class=\"pairing\">");
    if (sh->confidence > 0)
        fprintf(w->out, "paired along the capture points (confidence %u): ", sh->confidence);
    else
        put(w, "not paired: ");
    esc(w, sh->reason);
    put(w, "</p>\n");
    shape_svg(w, idx, sh);
    shape_table(w, sh);
    if (sh->nf == 0 && sh->confidence > 0)
        put(w, "<p>Nothing changed between the capture points.</p>\n");
    for (size_t i = 0; i < sh->nf; i++) {
        put(w, "<p class=\"hopfinding\">");
        sev_badge(w, sh->f[i].sev);
        put(w, " ");
        if (sh->f[i].index >= 0) {
            finding_anchor(w, sh->f[i].index);
            put(w, " ");
            esc(w, w->findings[sh->f[i].index]->msg);
        } else {
            put(w, finding_code_name(sh->f[i].code));
        }
        put(w, "</p>\n");
    }
    put(w, "</div>\n");
}

/* shape_for_server: the server a delivery was addressed to, at the first point
 * that saw it. */
static bool shape_for_server(const struct html_writer *w, const struct html_shape *sh,
                             const struct html_server *e)
{
    for (size_t i = 0; i < sh->npoints; i++)
        if (sh->pt[i].seen)
            return sh->pt[i].sport == e->port &&
                   memcmp(&sh->pt[i].server, &e->addr, sizeof(e->addr)) == 0 &&
                   strcmp(sh->labels[i], point_label(w, e->input)) == 0;
    return false;
}

static const char css[] =
    "body{font:15px/1.45 system-ui,sans-serif;color:#1b1b1b;max-width:1100px;margin:1.5em auto;"
    "padding:0 1em}\n"
    "h1{font-size:1.6em;margin:.2em 0}h2{border-bottom:2px solid #ccc;margin-top:1.8em}"
    "h3{margin:.3em 0}h4{margin:.8em 0 .2em}\n"
    "code,pre{font-family:ui-monospace,monospace;font-size:.9em;word-break:break-all}\n"
    "pre{white-space:pre-wrap;background:#f5f5f5;padding:.5em}\n"
    ".server,.cert,.finding,.delivery{border:1px solid #ccc;border-radius:6px;padding:.6em 1em;"
    "margin:.8em 0;break-inside:avoid}\n"
    ".server.worst-critical,.server.worst-high{border-left:6px solid #b00020}\n"
    ".server.worst-medium{border-left:6px solid #c77800}\n"
    ".server.worst-none,.server.worst-info,.server.worst-low{border-left:6px solid #2e7d32}\n"
    ".sev{display:inline-block;min-width:4.5em;text-align:center;border-radius:3px;"
    "font-size:.8em;font-weight:600;text-transform:uppercase;padding:0 .3em;border:1px solid}\n"
    ".sev-critical{background:#b00020;color:#fff}.sev-high{background:#e53935;color:#fff}"
    ".sev-medium{background:#ffb300}.sev-low{background:#e3f2fd}.sev-info,.sev-none{background:#eee}\n"
    ".verdict{font-weight:600}.conclusion{font-weight:600;color:#b00020}\n"
    "table{border-collapse:collapse;width:100%;margin:.4em 0}"
    "th,td{border:1px solid #ddd;padding:.2em .4em;text-align:left;vertical-align:top;"
    "font-size:.9em}th{background:#f0f0f0}\n"

    "dl{display:grid;grid-template-columns:max-content 1fr;gap:.1em 1em;margin:.4em 0}"
    "dt{font-weight:600}dd{margin:0;word-break:break-word}\n"
    "svg.hops{max-width:100%;height:auto;display:block;margin:.5em 0}\n"
    "svg.hops rect.node{fill:#f7f9fc;stroke:#607d8b;stroke-width:1.5}\n"
    "svg.hops text{font:13px system-ui,sans-serif;text-anchor:middle;fill:#1b1b1b}"
    "svg.hops text.t{font-weight:700}svg.hops text.cn{font-family:ui-monospace,monospace;"
    "font-size:11px}svg.hops text.bad{fill:#b00020;font-weight:700}\n"
    "svg.hops line.hop{stroke:#607d8b;stroke-width:2}svg.hops line.bad{stroke:#b00020;"
    "stroke-width:4}\n"
    ".bad{color:#b00020}.muted{color:#666}.ev-strong{font-weight:700;color:#b00020}"
    ".ev-medium{font-weight:600}\n"
    "@media print{body{max-width:none;margin:0;font-size:11pt}a{color:inherit;"
    "text-decoration:none}details{display:none}.server,.cert,.finding,.delivery{"
    "border-color:#999}h2{break-after:avoid}tr{break-inside:avoid}}\n";

static void write_answer(struct html_writer *w, const struct pipeline_totals *t)
{
    put(w, "<section id=\"answer\"><h2>1. The answer</h2>\n");
    fprintf(w->out, "<p>%llu server%s, %llu session%s (%llu with findings); findings: "
            "%llu critical, %llu high, %llu medium, %llu low, %llu info",
            (unsigned long long)t->servers, t->servers == 1 ? "" : "s",
            (unsigned long long)t->sessions, t->sessions == 1 ? "" : "s",
            (unsigned long long)t->sessions_with_findings,
            (unsigned long long)t->by_sev[SEV_CRITICAL], (unsigned long long)t->by_sev[SEV_HIGH],
            (unsigned long long)t->by_sev[SEV_MEDIUM], (unsigned long long)t->by_sev[SEV_LOW],
            (unsigned long long)t->by_sev[SEV_INFO]);
    if (t->deliveries)
        fprintf(w->out, "; %llu deliver%s compared along the capture points",
                (unsigned long long)t->deliveries, t->deliveries == 1 ? "y" : "ies");
    put(w, ".</p>\n");
    if (t->servers == 0 && w->deliveries == 0)
        put(w, "<p>No mail sessions found.</p>\n");
    for (size_t i = 0; i < w->nservers; i++) {
        const struct html_server *e = w->servers[i];

        if (!e->summarised)
            continue;
        if (w->cut[0]) {
            w->cut[0]++;
            continue;
        }
        item_open(w);
        fprintf(w->out, "<div class=\"server worst-%s\" id=\"srv-%zu\"><h3>", sev_word(e->worst), i);
        sev_badge(w, e->worst);
        put(w, " ");
        server_title(w, e);
        put(w, "</h3>\n<p class=\"verdict\">");
        esc(w, e->verdict ? e->verdict : "?");
        put(w, "</p>\n");
        if (e->conclusion) {
            put(w, "<p class=\"conclusion\">");
            esc(w, e->conclusion);
            put(w, "</p>\n");
        }
        fprintf(w->out, "<p>%llu session%s, %llu with TLS", (unsigned long long)e->sessions,
                e->sessions == 1 ? "" : "s", (unsigned long long)e->tls_sessions);
        if (e->plain)
            fprintf(w->out, ", %llu without", (unsigned long long)e->plain);
        if (e->hidden)
            fprintf(w->out, ", %llu with the certificate hidden by TLS 1.3",
                    (unsigned long long)e->hidden);
        if (e->no_dialogue)
            fprintf(w->out, " (and %llu connection%s without a dialogue, not sessions)",
                    (unsigned long long)e->no_dialogue, e->no_dialogue == 1 ? "" : "s");
        if (e->sessions) {
            put(w, "; ");
            time_text(w, e->first_us);
            put(w, " .. ");
            time_text(w, e->last_us);
        }
        fprintf(w->out, " &middot; <a href=\"#sessions-%zu\">the sessions</a></p>\n<p>checks:", i);
        for (unsigned k = 0; k < STEP_COUNT; k++) {
            uint64_t pass = e->steps[k][STEP_PASS], fail = e->steps[k][STEP_FAIL];

            fprintf(w->out, " %s <b%s>%s</b>", judge_step_name((enum judge_step)k),
                    fail ? " class=\"bad\"" : "",
                    fail ? "FAIL" : pass ? "pass" : e->steps[k][STEP_NA] ? "n/a" : "not seen");
        }
        put(w, "</p>\n");
        for (unsigned k = 0; k < F_CODE_COUNT; k++)
            if (e->code_sessions[k]) {
                put(w, "<p>");
                sev_badge(w, e->code_sev[k]);
                fprintf(w->out, " %s in %llu of %llu session%s</p>\n",
                        finding_code_name((enum finding_code)k),
                        (unsigned long long)e->code_sessions[k], (unsigned long long)e->sessions,
                        e->sessions == 1 ? "" : "s");
            }
        for (size_t k = 0; k < w->nshapes; k++)
            if (!w->shapes[k]->drawn && shape_for_server(w, w->shapes[k], e))
                shape_write(w, k);
        put(w, "</div>\n");
        if (!item_close(w, HTML_BUDGET_ANSWER))
            w->cut[0]++;
    }
    cut_note(w, w->cut[0], "server", "the text and JSON outputs have every one");
    if (w->servers_unlisted)
        fprintf(w->out, "<p class=\"muted\">%llu more server%s (%llu sessions, worst %s) not listed: "
                "the report lists %d.</p>\n", (unsigned long long)w->servers_unlisted,
                w->servers_unlisted == 1 ? "" : "s",
                (unsigned long long)w->servers_unlisted_sessions,
                sev_word(w->servers_unlisted_worst), HTML_MAX_SERVERS);
    for (size_t k = 0, hdr = 0; k < w->nshapes; k++)
        if (!w->shapes[k]->drawn) {
            if (hdr++ == 0)
                put(w, "<h3>Deliveries along the capture points</h3>\n");
            item_open(w);
            shape_write(w, k);
            if (!item_close(w, HTML_BUDGET_ANSWER))
                w->shapes_unlisted++;
        }
    if (w->shapes_unlisted)
        fprintf(w->out, "<p class=\"muted\">%llu more deliveries of other kinds not drawn.</p>\n",
                (unsigned long long)w->shapes_unlisted);
    put(w, "</section>\n");
}

static void write_findings(struct html_writer *w)
{
    put(w, "<section id=\"findings\"><h2>2. Findings</h2>\n");
    if (w->nfindings == 0)
        put(w, "<p>None.</p>\n");
    for (int sev = SEV_CRITICAL; sev >= SEV_NONE; sev--)
        for (size_t i = 0; i < w->nfindings; i++) {
            const struct html_finding *f = w->findings[i];

            if ((int)f->sev != sev)
                continue;
            if (w->cut[1]) {
                w->cut[1]++;
                continue;
            }
            item_open(w);
            fprintf(w->out, "<div class=\"finding\" id=\"f-%zu\"><h3>", i);
            sev_badge(w, f->sev);
            fprintf(w->out, " %s</h3>\n<p class=\"msg\">", finding_code_name(f->code));
            esc(w, f->msg);
            fprintf(w->out, "</p>\n<p>in %llu %s%s:", (unsigned long long)f->count,
                    f->delivery ? "deliver" : "session", f->delivery ? (f->count == 1 ? "y" : "ies") :
                    (f->count == 1 ? "" : "s"));
            for (size_t k = 0; k < f->nrefs; k++) {
                if (f->delivery)
                    fprintf(w->out, " <a href=\"#d-%llu\">diagram</a>",
                            (unsigned long long)f->refs[k].id);
                else
                    fprintf(w->out, " <a href=\"#s-%u-%llu\">%llu</a>", f->refs[k].input,
                            (unsigned long long)f->refs[k].id, (unsigned long long)f->refs[k].id);
            }
            if (!f->delivery && f->count > f->nrefs)
                fprintf(w->out, " and %llu more", (unsigned long long)(f->count - f->nrefs));
            put(w, "</p>\n");
            if (f->nev) {
                put(w, "<table class=\"evidence\"><thead><tr><th>evidence</th><th>strength</th>"
                       "<th>seen</th><th>expected</th><th>product (source)</th></tr></thead><tbody>\n");
                for (size_t k = 0; k < f->nev; k++) {
                    const struct html_ev *e = &f->ev[k];

                    fprintf(w->out, "<tr><td>%s</td><td class=\"ev-%s\">%s</td><td>",
                            evidence_kind_name(e->kind), evidence_strength_name(e->strength),
                            evidence_strength_name(e->strength));
                    esc(w, e->seen);
                    put(w, "</td><td>");
                    esc(w, e->expected);
                    put(w, "</td><td>");
                    if (e->product) {
                        esc(w, e->product);
                        put(w, " (");
                        esc(w, e->source);
                        put(w, ")");
                    } else {
                        put(w, "-");
                    }
                    put(w, "</td></tr>\n");
                }
                put(w, "</tbody></table>\n<p class=\"muted\">Evidence, not proof: each item "
                       "with its strength, from the session first listed.</p>\n");
            }
            put(w, "</div>\n");
            if (item_close(w, HTML_BUDGET_FINDINGS))
                w->findings[i]->listed = true;
            else
                w->cut[1]++;
        }
    w->findings_written = true;
    cut_note(w, w->cut[1], "finding", "the text and JSON outputs have every one");
    if (w->findings_unlisted)
        fprintf(w->out, "<p class=\"muted\">%llu more findings with other messages not listed "
                "(the report lists %d distinct ones).</p>\n",
                (unsigned long long)w->findings_unlisted, HTML_MAX_FINDINGS);
    put(w, "</section>\n");
}

static void write_certs(struct html_writer *w)
{
    char a[40], b[40];

    put(w, "<section id=\"certificates\"><h2>3. Certificates</h2>\n");
    if (w->ncerts == 0)
        put(w, "<p>None seen.</p>\n");
    for (size_t i = 0; i < w->ncerts; i++) {
        struct html_cert *c = w->certs[i];

        if (w->cut[2]) {
            w->cut[2]++;
            continue;
        }
        item_open(w);
        fprintf(w->out, "<div class=\"cert\" id=\"c-%s\"><h3>", c->sha256_hex);
        esc(w, c->parsed ? (c->subject ? c->subject : "(no subject)") : "unparseable certificate");
        put(w, "</h3>\n<dl>");
        if (!c->parsed) {
            put(w, "<dt>error</dt><dd>");
            esc(w, c->parse_error ? c->parse_error : "OpenSSL could not read it");
            put(w, "</dd>");
        } else {
            put(w, "<dt>subject</dt><dd>");
            esc(w, c->subject);
            put(w, "</dd><dt>issuer</dt><dd>");
            esc(w, c->issuer);
            if (c->self_signed)
                put(w, " <span class=\"bad\">(self-signed)</span>");
            if (c->is_ca)
                put(w, " (a CA certificate)");
            put(w, "</dd><dt>names</dt><dd>");
            for (size_t k = 0; k < c->nsan; k++) {
                if (k)
                    put(w, ", ");
                esc(w, c->san[k]);
            }
            if (c->nsan == 0)
                put(w, "none");
            if (c->total_san > c->nsan)
                fprintf(w->out, " (+%zu more)", c->total_san - c->nsan);
            fprintf(w->out, "</dd><dt>valid</dt><dd>%s .. %s</dd><dt>key</dt><dd>",
                    report_cert_time(c->not_before, a, sizeof(a)),
                    report_cert_time(c->not_after, b, sizeof(b)));
            esc(w, c->key_alg ? c->key_alg : "?");
            fprintf(w->out, " %d", c->key_bits);
            if (c->key_curve) {
                put(w, " ");
                esc(w, c->key_curve);
            }
            put(w, "</dd><dt>signature</dt><dd>");
            esc(w, c->sig_alg ? c->sig_alg : "?");
            put(w, "</dd><dt>serial</dt><dd><code>");
            esc(w, c->serial);
            put(w, "</code></dd>");
        }
        fprintf(w->out, "<dt>SHA-256</dt><dd><code>%s</code></dd>"
                "<dt>SPKI SHA-256</dt><dd><code>%s</code></dd>"
                "<dt>seen</dt><dd>in %llu session%s, ", c->sha256_hex, c->spki_hex,
                (unsigned long long)c->sessions, c->sessions == 1 ? "" : "s");
        time_text(w, c->first_us);
        put(w, " .. ");
        time_text(w, c->last_us);
        put(w, "</dd></dl>\n");
        if (c->pem) {
            off_t at = ftello(w->out);

            if (at >= 0 && page_size(w) + (uint64_t)at + strlen(c->pem) < HTML_BUDGET_PEM) {
                put(w, "<details><summary>PEM</summary><pre>");
                esc(w, c->pem);
                put(w, "</pre></details>\n");
            } else {
                put(w, "<p class=\"muted\">PEM left out to keep the report small: "
                       "<code>--certs DIR</code> writes it.</p>\n");
                w->pem_cut++;
            }
        }
        put(w, "</div>\n");
        if (item_close(w, HTML_BUDGET_CERTS))
            c->listed = true;
        else
            w->cut[2]++;
    }
    w->certs_written = true;
    cut_note(w, w->cut[2], "certificate", "<code>--certs DIR</code> writes every one");
    if (w->certs_unlisted)
        fprintf(w->out, "<p class=\"muted\">%llu presentations of further certificates not "
                "listed (the report lists %d).</p>\n", (unsigned long long)w->certs_unlisted,
                HTML_MAX_CERTS);
    put(w, "</section>\n");
}

static void write_sessions(struct html_writer *w)
{
    char ce[80];

    put(w, "<section id=\"sessions\"><h2>4. Sessions</h2>\n");
    for (size_t i = 0; i < w->nservers; i++) {
        const struct html_server *e = w->servers[i];
        size_t rows = 0;

        if (w->cut[3]) {
            w->cut[3] += e->nrows;
            continue;
        }
        item_open(w);
        fprintf(w->out, "<h3 id=\"sessions-%zu\">", i);
        server_title(w, e);
        put(w, "</h3>\n");
        if (e->nrows) {
            put(w, "<table><thead><tr><th>session</th>");
            if (w->several_points)
                put(w, "<th>point</th>");
            put(w, "<th>start</th><th>duration</th><th>client</th><th>TLS</th>"
                   "<th>certificate</th><th>findings</th></tr></thead><tbody>\n");
        }
        if (!item_close(w, HTML_BUDGET_SESSIONS)) {
            w->cut[3] += e->nrows + (e->nrows == 0);
            continue;
        }
        for (size_t k = 0; k < e->nrows && !w->cut[3]; k++, rows++) {
            const struct html_row *r = &e->rows[k];

            item_open(w);
            fprintf(w->out, "<tr id=\"s-%u-%llu\"><td>%llu</td>", r->input,
                    (unsigned long long)r->id, (unsigned long long)r->id);
            if (w->several_points) {
                put(w, "<td>");
                esc(w, point_label(w, r->input));
                put(w, "</td>");
            }
            put(w, "<td>");
            time_text(w, r->first_us);
            fprintf(w->out, "</td><td>%.3f s</td><td>%s</td><td>",
                    (double)(r->last_us - r->first_us) / 1e6,
                    cap_endpoint_format(&r->client, r->cport, ce, sizeof(ce)));
            if (!r->tls)
                put(w, "none");
            else if (r->server_hello)
                fprintf(w->out, "%s%s", tls_version_name(r->version),
                        r->implicit_tls ? " (implicit)" : "");
            else
                put(w, "no ServerHello");
            put(w, "</td><td>");
            if (r->cert >= 0)
                cert_link(w, r->cert, false);
            else
                put(w, r->cert_hidden ? "hidden" : "-");
            put(w, "</td><td>");
            if (r->codes == 0)
                put(w, "none");
            else {
                bool first = true;

                sev_badge(w, r->worst);
                for (size_t j = 0; j < 4 && r->finding[j] >= 0; j++) {
                    put(w, first ? " " : ", ");
                    finding_anchor(w, r->finding[j]);
                    first = false;
                }
                for (unsigned c = 0; c < F_CODE_COUNT; c++) {
                    bool linked = false;

                    if (!(r->codes & (1u << c)))
                        continue;
                    for (size_t j = 0; j < 4 && r->finding[j] >= 0; j++)
                        if (w->findings[r->finding[j]]->code == (enum finding_code)c)
                            linked = true;
                    if (!linked) {
                        fprintf(w->out, "%s%s", first ? " " : ", ",
                                finding_code_name((enum finding_code)c));
                        first = false;
                    }
                }
            }
            put(w, "</td></tr>\n");
            if (!item_close(w, HTML_BUDGET_SESSIONS))
                w->cut[3] += e->nrows - k;
        }
        if (e->nrows)
            put(w, "</tbody></table>\n");
        if (e->unlisted)
            fprintf(w->out, "<p class=\"muted\">%llu more session%s not listed (the report lists "
                    "at most %d per server and %d in all).</p>\n",
                    (unsigned long long)e->unlisted, e->unlisted == 1 ? "" : "s",
                    HTML_ROWS_PER_SERVER, HTML_MAX_ROWS);
    }
    cut_note(w, w->cut[3], "session", "the text and JSON outputs have every one");
    if (w->rows_unlisted)
        fprintf(w->out, "<p class=\"muted\">%llu session%s to servers not listed.</p>\n",
                (unsigned long long)w->rows_unlisted, w->rows_unlisted == 1 ? "" : "s");
    put(w, "</section>\n");
}

static int server_cmp(const void *a, const void *b)
{
    const struct html_server *x = *(const struct html_server *const *)a;
    const struct html_server *y = *(const struct html_server *const *)b;

    return (int)y->worst - (int)x->worst;
}

static void html_finish(void *ctx, struct server *const *v, size_t n,
                        const struct pipeline_totals *t)
{
    struct html_writer *w = ctx;
    size_t keep = 0;

    for (size_t i = 0; i < n; i++)
        server_leaves(w, v[i]);
    /* entries that never got a summary (their server went without one) */
    for (size_t i = 0; i < w->nservers; i++) {
        if (w->servers[i]->summarised || w->servers[i]->nrows) {
            w->servers[keep++] = w->servers[i];
        } else {
            free(w->servers[i]->rows);
            free(w->servers[i]);
        }
    }
    w->nservers = keep;
    /* worst first; a stable order among equals (insertion sort: at most
     * HTML_MAX_SERVERS) */
    for (size_t i = 1; i < w->nservers; i++)
        for (size_t j = i; j > 0 && server_cmp(&w->servers[j - 1], &w->servers[j]) > 0; j--) {
            struct html_server *tmp = w->servers[j];

            w->servers[j] = w->servers[j - 1];
            w->servers[j - 1] = tmp;
        }
    /* composed in memory (to bound its size), then written out */
    w->page = open_memstream(&w->page_buf, &w->page_len);
    w->out = w->page != NULL ? w->page : w->dest;
    put(w, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
           "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
           "style-src 'unsafe-inline'\">\n"
           "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
           "<title>mxwitness report</title>\n<style>\n");
    put(w, css);
    put(w, "</style></head><body>\n<header><h1>mxwitness report</h1>\n<p class=\"muted\">What the "
           "mail servers presented in the captured SMTP TLS handshakes: the answer first, then the "
           "findings, the certificates and the sessions behind them. Text from the network is "
           "shown as it was sent; bytes that cannot be shown are written \\xHH.</p>\n"
           "<nav><a href=\"#answer\">answer</a> &middot; <a href=\"#findings\">findings</a> "
           "&middot; <a href=\"#certificates\">certificates</a> &middot; "
           "<a href=\"#sessions\">sessions</a></nav></header>\n");
    write_answer(w, t);
    write_findings(w);
    write_certs(w);
    write_sessions(w);
    put(w, "</body></html>\n");
    if (w->page != NULL) {
        if (fclose(w->page) == 0)
            fwrite(w->page_buf, 1, w->page_len, w->dest);
        else
            fputs("mxwitness: --report: out of memory composing the page\n", stderr);
        free(w->page_buf);
        w->page = NULL;
        w->page_buf = NULL;
    }
    w->out = w->dest;
    fflush(w->dest);
}

struct html_writer *html_writer_new(FILE *out, const struct pipeline *pl, bool several_points)
{
    struct html_writer *w = calloc(1, sizeof(*w));

    if (w == NULL)
        return NULL;
    w->out = w->dest = out;
    w->pl = pl;
    w->several_points = several_points;
    w->key = (uint64_t)(uintptr_t)w ^ 0x6d78772d68746d6cu;   /* "mxw-html" */
    return w;
}

struct pipeline_consumer html_writer_consumer(struct html_writer *w)
{
    struct pipeline_consumer c = {
        .on_session = html_session,
        .on_evicted = html_evicted,
        .on_delivery = html_delivery,
        .on_finish = html_finish,
        .ctx = w,
    };

    return c;
}

void html_writer_free(struct html_writer *w)
{
    if (w == NULL)
        return;
    for (size_t i = 0; i < w->nservers; i++) {
        struct html_server *e = w->servers[i];

        free(e->rows);
        free(e->name);
        free(e->verdict);
        free(e->conclusion);
        free(e);
    }
    for (size_t i = 0; i < w->ncerts; i++) {
        struct html_cert *c = w->certs[i];

        for (size_t k = 0; k < c->nsan; k++)
            free(c->san[k]);
        free(c->san);
        free(c->subject);
        free(c->issuer);
        free(c->serial);
        free(c->key_alg);
        free(c->key_curve);
        free(c->sig_alg);
        free(c->pem);
        free(c->parse_error);
        free(c);
    }
    for (size_t i = 0; i < w->nfindings; i++) {
        for (size_t k = 0; k < w->findings[i]->nev; k++) {
            free(w->findings[i]->ev[k].seen);
            free(w->findings[i]->ev[k].expected);
            free(w->findings[i]->ev[k].product);
            free(w->findings[i]->ev[k].source);
        }
        free(w->findings[i]->ev);
        free(w->findings[i]->msg);
        free(w->findings[i]);
    }
    for (size_t i = 0; i < w->nshapes; i++) {
        for (size_t k = 0; k < w->shapes[i]->npoints; k++)
            free(w->shapes[i]->labels[k]);
        free(w->shapes[i]);
    }
    free(w);
}
