/*
 * pipeline.c - one finished session analysed once (see pipeline.h).
 */
#include "analyze/pipeline.h"

#include <stdlib.h>
#include <string.h>

struct pipeline {
    struct pipeline_opts o;
    struct x509_cache *xc;
    struct servers *servers;
    struct judge *judge;
    struct evidence_ctx *evidence;
    struct evidence ev;
    struct pipeline_consumer c[PIPELINE_MAX_CONSUMERS];
    size_t nc;
    struct pipeline_totals t;
    /* the current session's record and its parts (a few KB: not on the stack) */
    struct analysed a;
    struct findings fs;
    char expected[PIPELINE_EXPECTED_MAX];
    struct session_digest digest;
    struct hops *hops;               /* opts.hops */
    bool paired;                     /* its deliveries were handed on */
    struct findings hfs;             /* a delivery's findings */
    uint64_t now_us;                 /* the clock (pipeline_clock) */
};

/* on_evict: a server leaves the table.  The judge forgets it first (its
 * memos point at entries), then the consumers write its summary. */
static void on_evict(void *ctx, struct server *sv)
{
    struct pipeline *p = ctx;

    judge_forget(p->judge, sv);
    if (sv->kind != SERVER_BY_ADDR)
        return;
    for (size_t i = 0; i < p->nc; i++)
        if (p->c[i].on_evicted != NULL)
            p->c[i].on_evicted(p->c[i].ctx, sv);
}

/* pipeline_live says whether |src| has a live input (else its output must
 * be the same on every run). */
static bool pipeline_live(const struct cap_source *src)
{
    size_t n = src != NULL ? cap_source_ninputs(src) : 0;

    for (size_t i = 0; i < n; i++)
        if (cap_source_input(src, i)->live)
            return true;
    return false;
}

struct pipeline *pipeline_new(const struct pipeline_opts *o)
{
    struct pipeline *p = calloc(1, sizeof(*p));
    struct judge_opts jo = {0};

    if (p == NULL)
        return NULL;
    p->o = *o;
    p->xc = x509_cache_new(o->x509_cache);
    p->servers = servers_new(o->max_servers);
    jo.expect = o->expect;
    jo.store = o->store;
    jo.at_set = o->at_set;
    jo.at = o->at;
    jo.servers = p->servers;
    p->judge = p->xc != NULL && p->servers != NULL ? judge_new(&jo) : NULL;
    p->evidence = evidence_new(!pipeline_live(o->src));
    if (p->judge == NULL || p->evidence == NULL) {
        pipeline_free(p);
        return NULL;
    }
    servers_on_evict(p->servers, on_evict, p);
    if (o->hops && (p->hops = hops_new(o->hop_window_us)) == NULL) {
        pipeline_free(p);
        return NULL;
    }
    return p;
}

int pipeline_add(struct pipeline *p, const struct pipeline_consumer *c)
{
    if (p->nc >= PIPELINE_MAX_CONSUMERS)
        return -1;
    p->c[p->nc++] = *c;
    return 0;
}

struct session_sink pipeline_sink(struct pipeline *p)
{
    struct session_sink sink = {
        .on_session = pipeline_session, .ctx = p, .on_no_dialogue = pipeline_no_dialogue,
    };

    return sink;
}

const char *pipeline_point(const struct pipeline *p, unsigned input)
{
    const struct cap_input *in = p->o.src != NULL ? cap_source_input(p->o.src, input) : NULL;

    return in != NULL ? in->label : "?";
}

struct x509_cache *pipeline_x509(const struct pipeline *p)
{
    return p->xc;
}

struct judge *pipeline_judge(const struct pipeline *p)
{
    return p->judge;
}

/* chain_get looks each certificate of |c| up in the cache (parsed once per
 * distinct DER); an entry that could not be had is left out. */
static size_t chain_get(struct pipeline *p, const struct session_chain *c,
                        const struct x509_info **v)
{
    size_t n = 0;

    for (size_t i = 0; i < c->n; i++) {
        const struct x509_info *xi = x509_cache_get(p->xc, c->certs[i].der, c->certs[i].len);

        if (xi != NULL)
            v[n++] = xi;
    }
    return n;
}

static void chain_put(struct pipeline *p, const struct x509_info **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        x509_cache_release(p->xc, v[i]);
}

/* count_findings adds one session's (or delivery's) findings to a
 * server's summary: each code once, with its worst severity.  A delivery's
 * code that its sender-side session |had| already (a masked STARTTLS is
 * found in the session and again at the hop) is not a session more. */
static void count_findings(struct server_summary *u, const struct findings *fs,
                           const struct session_digest *had)
{
    bool seen[F_CODE_COUNT] = {false};

    for (size_t i = 0; had != NULL && i < had->nfindings; i++)
        seen[had->findings[i].code] = true;
    for (size_t i = 0; i < fs->n; i++) {
        const struct finding *x = &fs->v[i];

        if (!seen[x->code]) {
            seen[x->code] = true;
            u->code_sessions[x->code]++;
        }
        if (x->sev > u->code_sev[x->code])
            u->code_sev[x->code] = x->sev;
        if (x->sev > u->worst)
            u->worst = x->sev;
    }
}

/* count adds session |a| to its server's summary. */
static void count(const struct analysed *a, struct server *sv)
{
    const struct session *s = a->s;
    struct server_summary *u = sv->sum;
    const struct smtp_facts *sf = s->smtp ? smtp_facts(s->smtp) : NULL;

    if (u->sessions == 0 || s->first_us < u->first_us)
        u->first_us = s->first_us;
    if (s->last_us > u->last_us)
        u->last_us = s->last_us;
    u->sessions++;
    u->dirty = true;
    for (unsigned k = 0; k < STEP_COUNT; k++)
        u->steps[k][a->steps[k] & 3]++;
    count_findings(u, a->fs, NULL);
    if (u->expected == NULL && a->expected[0] != '\0')
        u->expected = strdup(a->expected);
    if (u->name == NULL) {
        if (sf != NULL && sf->banner_host != NULL)
            u->name = strdup(sf->banner_host);
        else if (s->sni != NULL)
            u->name = strdup(s->sni);
    }
    if (sf != NULL && sf->starttls_offered)
        u->starttls_offered++;
    if (!s->tls)
        u->plain++;
    else if (s->cert_hidden)
        u->tls_sessions++, u->hidden++;
    else if (a->nserver == 0)
        u->tls_sessions++, u->no_cert++;
    else
        u->tls_sessions++;
}

void pipeline_session(void *pipeline, const struct session *s)
{
    struct pipeline *p = pipeline;
    struct analysed *a = &p->a;
    const struct x509_info *sc[TLS_MAX_CERTS], *cc[TLS_MAX_CERTS];
    struct server *sv;
    size_t nfs;

    memset(a, 0, sizeof(*a));
    a->s = s;
    a->point = pipeline_point(p, s->input);
    a->nserver = chain_get(p, &s->server_chain, sc);
    a->nclient = chain_get(p, &s->client_chain, cc);
    memcpy(a->server_chain, sc, a->nserver * sizeof(sc[0]));
    memcpy(a->client_chain, cc, a->nclient * sizeof(cc[0]));
    judge_session(p->judge, s, a->server_chain, a->nserver, &p->fs, p->expected,
                  sizeof(p->expected));
    nfs = p->fs.n;
    evidence_session(p->evidence, s, a->server_chain, a->nserver, NULL,
                     a->nserver > 0 && p->expected[0] != '\0' &&
                         !findings_has(&p->fs, F_CERT_MISMATCH),
                     &p->ev, &p->fs);
    if (p->fs.n != nfs)
        findings_sort(&p->fs);   /* the judge's are sorted: only the evidence's to place */
    judge_steps(s, &p->fs, a->steps);
    a->fs = &p->fs;
    a->ev = &p->ev;
    a->expected = p->expected;

    pipeline_clock(p, s->last_us);
    p->t.sessions++;
    for (size_t i = 0; i < p->fs.n; i++) {
        p->t.by_sev[p->fs.v[i].sev]++;
        if (p->fs.v[i].sev > p->t.worst)
            p->t.worst = p->fs.v[i].sev;
    }
    if (p->fs.n)
        p->t.sessions_with_findings++;
    /* the judge found (or made) the server's entry; a retry only if it could not */
    if ((sv = judge_server(p->judge)) == NULL)
        sv = servers_addr(p->servers, s->input, &s->server, s->sport, true);
    if (sv != NULL)
        count(a, sv);
    else
        p->t.unsummarised++;
    a->server = sv;
    digest_fill(&p->digest, a);
    a->digest = &p->digest;
    if (p->hops != NULL)
        hops_add(p->hops, hops_point(p->hops, a->point), a->digest);

    for (size_t i = 0; i < p->nc; i++)
        if (p->c[i].on_session != NULL)
            p->c[i].on_session(p->c[i].ctx, a);
    chain_put(p, sc, a->nserver);
    chain_put(p, cc, a->nclient);
}

void pipeline_no_dialogue(void *pipeline, const struct session *s)
{
    struct pipeline *p = pipeline;
    struct server *sv = servers_addr(p->servers, s->input, &s->server, s->sport, false);

    pipeline_clock(p, s->last_us);
    p->t.no_dialogue++;
    if (sv != NULL && sv->sum != NULL) {
        sv->sum->no_dialogue++;
        sv->sum->dirty = true;
        p->t.no_dialogue_counted++;
    }
}

void pipeline_clock(struct pipeline *p, uint64_t now_us)
{
    if (now_us > p->now_us)
        p->now_us = now_us;
}

uint64_t pipeline_now(const struct pipeline *p)
{
    return p->now_us;
}

int pipeline_cmp_server(const void *x, const void *y)
{
    const struct server *a = *(struct server *const *)x, *b = *(struct server *const *)y;
    int c = memcmp(a->addr.b, b->addr.b, 16);

    if (a->input != b->input)
        return a->input < b->input ? -1 : 1;
    if (a->addr.family != b->addr.family)
        return a->addr.family < b->addr.family ? -1 : 1;
    if (c)
        return c;
    return a->port < b->port ? -1 : a->port > b->port;
}

const struct pipeline_totals *pipeline_totals_get(struct pipeline *p)
{
    servers_stats(p->servers, &p->t.st);
    p->t.servers = p->t.st.created[SERVER_BY_ADDR];
    return &p->t;
}

struct hops *pipeline_hops(const struct pipeline *p)
{
    return p->hops;
}

void pipeline_digest(struct pipeline *p, const char *label, const struct session_digest *d)
{
    /* the findings the line was judged with count for the exit status, as
     * they would have where it was written */
    for (size_t i = 0; i < d->nfindings; i++)
        if (d->findings[i].sev > p->t.worst)
            p->t.worst = d->findings[i].sev;
    if (p->hops != NULL)
        hops_add(p->hops, hops_point(p->hops, label), d);
}

/* input_of returns the capture input labelled |label|, -1 when none (a
 * point read from JSON lines). */
static long input_of(const struct pipeline *p, const char *label)
{
    size_t n = p->o.src != NULL ? cap_source_ninputs(p->o.src) : 0;

    for (size_t i = 0; i < n; i++)
        if (strcmp(cap_source_input(p->o.src, i)->label, label) == 0)
            return (long)i;
    return -1;
}

/* pipeline_delivery: the findings of one delivery's hops, counted in the totals
 * and in the summary of the server the sender reached, then handed on. */
void pipeline_delivery(void *ctx, const struct hop_delivery *d)
{
    struct pipeline *p = ctx;
    const struct session_digest *first = NULL;
    size_t fi = 0;

    for (size_t i = 0; i < d->npoints && first == NULL; i++)
        if (d->at[i] != NULL)
            first = d->at[i], fi = i;
    hops_findings(d, &p->hfs);
    p->t.deliveries++;
    for (size_t i = 0; i < p->hfs.n; i++) {
        p->t.by_sev[p->hfs.v[i].sev]++;
        if (p->hfs.v[i].sev > p->t.worst)
            p->t.worst = p->hfs.v[i].sev;
    }
    if (first != NULL && p->hfs.n > 0) {
        long in = input_of(p, d->points[fi]);
        struct server *sv = in >= 0 ? servers_addr(p->servers, (unsigned)in, &first->server,
                                                   first->sport, false) : NULL;

        if (sv != NULL) {
            struct server_summary *u = sv->sum;

            count_findings(u, &p->hfs, first);
            if (u->conclusion == NULL)
                u->conclusion = strdup(p->hfs.v[0].msg);
        }
    }
    for (size_t i = 0; i < p->nc; i++)
        if (p->c[i].on_delivery != NULL)
            p->c[i].on_delivery(p->c[i].ctx, d, &p->hfs);
}

void pipeline_periodic(struct pipeline *p, uint64_t now_us)
{
    size_t n, k = 0;
    struct server **v;

    pipeline_clock(p, now_us);
    v = servers_list(p->servers, SERVER_BY_ADDR, &n);
    if (v == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        if (v[i]->sum != NULL && v[i]->sum->dirty)
            v[k++] = v[i];
    qsort(v, k, sizeof(*v), pipeline_cmp_server);
    if (k > 0)
        for (size_t i = 0; i < p->nc; i++)
            if (p->c[i].on_periodic != NULL)
                p->c[i].on_periodic(p->c[i].ctx, v, k);
    for (size_t i = 0; i < k; i++)
        v[i]->sum->dirty = false;
    free(v);
}

void pipeline_pair(struct pipeline *p, void (*put)(void *ctx, const struct hop_delivery *d),
                   void *ctx)
{
    if (!p->paired && p->hops != NULL && hops_npoints(p->hops) > 1)
        hops_run(p->hops, put, ctx);
    p->paired = true;
}

void pipeline_finish(struct pipeline *p)
{
    size_t n;
    struct server **v;
    const struct pipeline_totals *t;

    pipeline_pair(p, pipeline_delivery, p);
    v = servers_list(p->servers, SERVER_BY_ADDR, &n);
    t = pipeline_totals_get(p);

    if (v != NULL)
        qsort(v, n, sizeof(*v), pipeline_cmp_server);
    for (size_t i = 0; i < p->nc; i++)
        if (p->c[i].on_finish != NULL)
            p->c[i].on_finish(p->c[i].ctx, v, n, t);
    free(v);
}

void pipeline_free(struct pipeline *p)
{
    if (p == NULL)
        return;
    hops_free(p->hops);
    judge_free(p->judge);
    evidence_free(p->evidence);
    servers_free(p->servers);
    x509_cache_free(p->xc);
    free(p);
}
