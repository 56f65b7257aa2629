/*
 * pipeline.h - a finished session analysed once, into one record that every
 * consumer of the run reads.
 *
 *   session layer --(finished session)--> pipeline_session:
 *       the chains looked up in the certificate cache (analyze/x509),
 *       the judge's findings and steps (analyze/judge),
 *       the one-point evidence of a box in front (analyze/evidence),
 *       the server's entry counted (analyze/servers),
 *       the session digest (analyze/digest)
 *   --> struct analysed --> each consumer's on_session, in the order added
 *
 * The consumers (report/: text, JSON lines, certificate files; later the
 * hop correlation and the HTML report) never call the judge: what they
 * print is what the record says.  A server's summary reaches them when its
 * entry is evicted from the server table (on_evicted) and, for the servers
 * still in the table, at the end (on_finish), sorted by capture point,
 * address and port.
 */
#ifndef MXW_PIPELINE_H
#define MXW_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analyze/digest.h"
#include "analyze/evidence.h"
#include "analyze/findings.h"
#include "analyze/hops.h"
#include "analyze/judge.h"
#include "analyze/servers.h"
#include "analyze/x509.h"
#include "capture/cap_source.h"
#include "dissect/session.h"

#define PIPELINE_MAX_CONSUMERS 8
#define PIPELINE_EXPECTED_MAX 2048

/* analysed: one session and what the analysis concluded.  Valid only
 * during the consumer's callback. */
struct analysed {
    const struct session *s;
    const char *point;                          /* capture point label */
    const struct x509_info *server_chain[TLS_MAX_CERTS];   /* parsed, leaf first */
    size_t nserver;
    const struct x509_info *client_chain[TLS_MAX_CERTS];
    size_t nclient;
    const struct findings *fs;                  /* worst first */
    const char *expected;                       /* the expectation that applied, "" if none */
    enum step_state steps[STEP_COUNT];
    const struct server *server;                /* its server's entry, this session counted;
                                                   NULL when none could be had */
    const struct session_digest *digest;
    const struct evidence *ev;                  /* one-point evidence of a box in front */
};

/* pipeline_totals: the run so far. */
struct pipeline_totals {
    uint64_t sessions, sessions_with_findings;
    uint64_t by_sev[SEV_CRITICAL + 1];          /* findings by severity */
    enum severity worst;
    uint64_t servers;                           /* distinct server entries made */
    uint64_t unsummarised;                      /* sessions whose server entry could not be had */
    uint64_t deliveries;                        /* several points: deliveries compared */
    uint64_t no_dialogue;                       /* mail connections without a payload byte:
                                                   not sessions (pipeline_no_dialogue) */
    uint64_t no_dialogue_counted;               /* of those, counted on their server's entry */
    struct servers_stats st;                    /* the server table's counters */
};

struct pipeline_consumer {
    void (*on_session)(void *ctx, const struct analysed *a);
    /* a server leaves the table (more than --max-servers): its summary */
    void (*on_evicted)(void *ctx, const struct server *sv);
    /* several capture points: one delivery along them, with the findings
     * of its hops (before on_finish) */
    void (*on_delivery)(void *ctx, const struct hop_delivery *d, const struct findings *fs);
    /* periodically (pipeline_periodic): the servers whose summary changed
     * since the last call, sorted as at the end; may be NULL */
    void (*on_periodic)(void *ctx, struct server *const *v, size_t n);
    /* the end: the servers still in the table, sorted, and the totals */
    void (*on_finish)(void *ctx, struct server *const *v, size_t n,
                      const struct pipeline_totals *t);
    void *ctx;
};

struct pipeline_opts {
    const struct expect_set *expect;   /* NULL: no expectations */
    struct verify_store *store;        /* trust anchors; NULL: no chain verification */
    bool at_set;                       /* judge validity at |at| instead of the capture time */
    int64_t at;                        /* seconds since the epoch */
    size_t max_servers;                /* server table budget (0: SERVERS_DEFAULT_MAX) */
    size_t x509_cache;                 /* certificate cache entries (0: its default) */
    const struct cap_source *src;      /* names the capture points; NULL: "?" */
    bool hops;                         /* compare the capture points (analyze/hops) */
    uint64_t hop_window_us;            /* the relay window (0: HOPS_DEFAULT_WINDOW_US) */
};

struct pipeline;

/* pipeline_new returns a pipeline (NULL on allocation failure); the set,
 * store and source |o| points to must outlive it. */
struct pipeline *pipeline_new(const struct pipeline_opts *o);

/* pipeline_add adds a consumer (copied); -1 when PIPELINE_MAX_CONSUMERS
 * are there already. */
int pipeline_add(struct pipeline *p, const struct pipeline_consumer *c);

/* pipeline_sink returns the session layer's sink that feeds |p|. */
struct session_sink pipeline_sink(struct pipeline *p);

/* pipeline_session analyses one finished session and hands it on (the
 * session sink's function). */
void pipeline_session(void *pipeline, const struct session *s);

/* pipeline_cmp_server orders two struct server * (qsort) as the summaries
 * come: by capture point, address family, address and port. */
int pipeline_cmp_server(const void *x, const void *y);

/* pipeline_no_dialogue counts a mail connection that carried no payload
 * byte (the session sink's on_no_dialogue): in the totals, and on its
 * server's entry when the server has one already (a scan of a network makes
 * no entries, so it cannot push real servers out of the table). */
void pipeline_no_dialogue(void *pipeline, const struct session *s);

/* pipeline_clock moves the pipeline's clock to |now_us| (it never goes
 * back): capture time for files, the wall clock for a live capture.  The
 * clock is also the end of each session handed in.  A summary's @timestamp
 * is this clock when it is written. */
void pipeline_clock(struct pipeline *p, uint64_t now_us);

/* pipeline_now returns the pipeline's clock (0 before anything happened). */
uint64_t pipeline_now(const struct pipeline *p);

/* pipeline_periodic moves the clock to |now_us| and hands the servers whose
 * summary changed since the last call to the consumers' on_periodic. */
void pipeline_periodic(struct pipeline *p, uint64_t now_us);

/* pipeline_hops returns the comparison of capture points (NULL unless
 * opts.hops): add the points in path order before the first session. */
struct hops *pipeline_hops(const struct pipeline *p);

/* pipeline_digest adds a session known only by its digest (a JSON line of
 * an earlier run) at the capture point |label| to the comparison of points
 * (unless opts.hops, only its findings count: for the worst severity). */
void pipeline_digest(struct pipeline *p, const char *label, const struct session_digest *d);

/* pipeline_finish hands the remaining servers and the totals to the
 * consumers.  Call once, after the last session.  With several capture
 * points it first pairs the sessions and hands each delivery on, unless
 * pipeline_pair did. */
void pipeline_finish(struct pipeline *p);

/* The pairing of pipeline_finish, for a run in two threads (report.c):
 * pipeline_pair pairs the sessions and gives each delivery to |put| (valid
 * only during the call: |put| copies it), in order; another thread runs
 * pipeline_delivery on each copy, in the same order (its findings, the
 * totals, the consumers); pipeline_finish afterwards does the rest.  So
 * the packet side pairs while the analysis thread writes, instead of one
 * thread doing both at the end of a run.  Nothing else may touch |p| on
 * the pairing thread meanwhile. */
void pipeline_pair(struct pipeline *p, void (*put)(void *ctx, const struct hop_delivery *d),
                   void *ctx);
void pipeline_delivery(void *pipeline, const struct hop_delivery *d);

/* pipeline_totals_get returns the totals so far. */
const struct pipeline_totals *pipeline_totals_get(struct pipeline *p);

/* pipeline_x509 returns the certificate cache; pipeline_judge the judge. */
struct x509_cache *pipeline_x509(const struct pipeline *p);
struct judge *pipeline_judge(const struct pipeline *p);

/* pipeline_point returns the label of capture point |input|. */
const char *pipeline_point(const struct pipeline *p, unsigned input);

/* pipeline_free frees |p| (its cache, judge and server table).  NULL is a
 * no-op. */
void pipeline_free(struct pipeline *p);

#endif
