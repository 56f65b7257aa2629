/*
 * report.c - the writers a run asks for, added to its pipeline, and the
 * wiring of a whole run (see report.h).
 */
#include "report/report.h"

#include <stdio.h>
#include <stdlib.h>

#include "lib/handoff.h"
#include "report/writers.h"

struct report {
    struct text_writer *text;
    struct json_writer *json;
    struct cert_writer *certs;
    struct html_writer *html;
};

struct report *report_new(const struct report_opts *opts, FILE *out,
                          const struct cap_source *src, struct pipeline *p)
{
    struct report *r = calloc(1, sizeof(*r));
    struct pipeline_consumer c;
    bool several = src != NULL && cap_source_ninputs(src) > 1;

    if (r == NULL)
        return NULL;
    /* the session's line or block first, then its certificate files */
    if (opts->json) {
        if ((r->json = json_writer_new(out, p, opts->json_chains,
                                       opts->nworkers ? (int)opts->worker : -1,
                                       opts->json_shared)) == NULL)
            goto fail;
        c = json_writer_consumer(r->json);
    } else {
        if ((r->text = text_writer_new(out, opts, p, several)) == NULL)
            goto fail;
        c = text_writer_consumer(r->text);
    }
    if (pipeline_add(p, &c) < 0)
        goto fail;
    if (opts->certs_dir != NULL) {
        if ((r->certs = cert_writer_new(opts->certs_dir)) == NULL)
            goto fail;
        c = cert_writer_consumer(r->certs);
        if (pipeline_add(p, &c) < 0)
            goto fail;
    }
    if (opts->html != NULL) {
        if ((r->html = html_writer_new(opts->html, p, several)) == NULL)
            goto fail;
        c = html_writer_consumer(r->html);
        if (pipeline_add(p, &c) < 0)
            goto fail;
    }
    return r;
fail:
    report_free(r);
    return NULL;
}

unsigned report_errors(const struct report *r)
{
    return r->certs != NULL ? cert_writer_errors(r->certs) : 0;
}

void report_free(struct report *r)
{
    if (r == NULL)
        return;
    text_writer_free(r->text);
    json_writer_free(r->json);
    cert_writer_free(r->certs);
    html_writer_free(r->html);
    free(r);
}

/* The analysis thread (threads 2): the session layer keeps each finished
 * record and hands it over; the thread analyses it (and writes what the
 * writers write), the layer's thread frees it.  At the end of a run with
 * several capture points, the deliveries the packet side pairs go the same
 * way (copies: hops reuses its own), so that pairing and writing overlap. */
enum { TAG_SESSION = 0, TAG_NO_DIALOGUE = 1, TAG_DELIVERY = 2 };

struct kept_delivery {
    struct hop_delivery d;
    struct session_digest at[];      /* d.npoints; d.at[i] points here or is NULL */
};

static void run_record(void *ctx, void *item, unsigned tag)
{
    if (tag == TAG_DELIVERY)
        pipeline_delivery(ctx, &((struct kept_delivery *)item)->d);
    else if (tag == TAG_NO_DIALOGUE)
        pipeline_no_dialogue(ctx, item);
    else {
        session_finish(item);       /* the JA3 and JA4_r: here, off the packet thread */
        pipeline_session(ctx, item);
    }
}

static void release_record(void *ctx, void *item, unsigned tag)
{
    (void)ctx;
    if (tag == TAG_DELIVERY)
        free(item);
    else
        session_release_kept(item);
}

static void keep_record(void *ctx, struct session *s, bool no_dialogue)
{
    handoff_put(ctx, s, no_dialogue ? TAG_NO_DIALOGUE : TAG_SESSION);
}

/* put_delivery copies |d| for the analysis thread; when no memory is left
 * for the copy, the thread is caught up first and |d| analysed here. */
static void put_delivery(void *ctx, const struct hop_delivery *d)
{
    struct report_run *run = ctx;
    struct kept_delivery *k = malloc(sizeof(*k) + d->npoints * sizeof(k->at[0]));

    if (k == NULL) {
        handoff_sync(run->handoff);
        pipeline_delivery(run->pipeline, d);
        return;
    }
    k->d = *d;
    for (size_t i = 0; i < d->npoints; i++)
        if (d->at[i] != NULL) {
            k->at[i] = *d->at[i];
            k->d.at[i] = &k->at[i];
        }
    handoff_put(run->handoff, k, TAG_DELIVERY);
}

/* RUN_QUEUE sessions at most wait for the analysis thread: enough to ride
 * out a slow one (a new certificate verified), few enough that what they
 * hold is small beside --memcap, which still counts it.  Not more: a
 * certificate seen for the first time costs the analysis 0.3 to 1 ms
 * (OpenSSL 3.0 decodes its key through the provider decoders), so the
 * first sessions of a capture keep it some 20 ms, and the packet side
 * waits 6 to 15 ms of a 0.43 s run of the bench's mail corpus; 2048 slots
 * took most of that wait away, but a queue that fills whenever the
 * analysis thread is held up (a busy VM) made peak memory grow with the
 * length of the capture (42 MB for 300 MB of mail against 33 MB for 75 MB,
 * 1.28x, in one bench run; 1.01x and 1.08x with 256). */
#define RUN_QUEUE 256

int report_run_open(struct report_run *run, const struct pipeline_opts *po,
                    const struct report_opts *ro, const struct session_opts *so, FILE *out)
{
    struct session_sink sink;

    run->report = NULL;
    run->sessions = NULL;
    run->handoff = NULL;
    if ((run->pipeline = pipeline_new(po)) == NULL)
        return -1;
    sink = pipeline_sink(run->pipeline);
    if ((run->report = report_new(ro, out, po->src, run->pipeline)) == NULL) {
        report_run_close(run);
        return -1;
    }
    /* without the thread (none could be started) the same run, on this one:
     * the same output, later, and said */
    if (ro->threads > 1) {
        run->handoff = handoff_new(RUN_QUEUE, run_record, release_record, run->pipeline);
        if (run->handoff != NULL)
            sink = (struct session_sink){.keep = keep_record, .ctx = run->handoff};
        else
            fprintf(stderr, "mxwitness: warning: the analysis thread could not be started: "
                            "analysing on the capture's thread (as --threads 1)\n");
    }
    if ((run->sessions = session_layer_new(so, &sink)) == NULL) {
        report_run_close(run);
        return -1;
    }
    return 0;
}

void report_run_sync(struct report_run *run)
{
    if (run->handoff != NULL)
        handoff_sync(run->handoff);
}

void report_run_finish(struct report_run *run)
{
    report_run_sync(run);
    if (run->handoff != NULL) {
        pipeline_pair(run->pipeline, put_delivery, run);
        report_run_sync(run);
    }
    pipeline_finish(run->pipeline);
}

enum severity report_run_worst(struct report_run *run)
{
    report_run_sync(run);
    return pipeline_totals_get(run->pipeline)->worst;
}

void report_run_close(struct report_run *run)
{
    handoff_free(run->handoff);
    run->handoff = NULL;
    session_layer_free(run->sessions);
    report_free(run->report);
    pipeline_free(run->pipeline);
    run->sessions = NULL;
    run->report = NULL;
    run->pipeline = NULL;
}
