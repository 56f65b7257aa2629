/*
 * report.h - what mxwitness prints about sessions: a text block per session
 * and a summary per server for people, JSON lines for machines, PEM files
 * for evidence, an HTML page to attach to a ticket (--report), and the
 * dialogue line by line with --transcript.
 *
 * The writers are consumers of the analysis pipeline (analyze/pipeline):
 * they print what the analysed record says and never call the judge.
 * report_run wires a whole run the same way for main.c and the
 * whole-pipeline fuzz target: the pipeline, its writers and the session
 * layer that feeds it.
 */
#ifndef MXW_REPORT_H
#define MXW_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "analyze/pipeline.h"
#include "analyze/severity.h"
#include "capture/cap_source.h"
#include "dissect/session.h"

struct seen_set;

/* json_shared: what the JSON writers of --workers share, made before the
 * workers are forked: the certificates and client fingerprints already
 * written (so each is written once per run, not once per worker) and the
 * key of the fingerprints' digests. */
struct json_shared {
    struct seen_set *certs, *prints;
    uint64_t seed;
};

/* json_shared_init: -1 when out of memory (then each worker keeps its own). */
int json_shared_init(struct json_shared *sh);
void json_shared_free(struct json_shared *sh);

struct report_opts {
    bool json;             /* JSON lines instead of text */
    bool json_chains;      /* --json-chains: every session line carries its PEM chain
                              (else each certificate's PEM is written once) */
    unsigned nworkers;     /* --workers N; 0: one process */
    unsigned worker;       /* with nworkers, this process's number (0..N-1), in every
                              JSON session and summary line */
    const struct json_shared *json_shared; /* with nworkers: the sets the workers
                              share; NULL: the writer's own */
    bool transcript;       /* the dialogue under each session */
    const char *certs_dir; /* write every presented certificate as DIR/<SHA256>.pem */
    bool color;            /* ANSI colour (only on a terminal) */
    bool quiet;            /* text: no session blocks; a server without findings
                              is one line */
    FILE *html;            /* --report: the HTML report, written at the end;
                              NULL: none (the caller opens and closes it) */
    bool answer_first;     /* text: the answer (per server) before the session
                              blocks, which wait in a temporary file until the
                              end; false for a live capture, which streams */
    unsigned threads;      /* 2: the analysis and the writers run on a thread of
                              their own, fed the finished sessions in order
                              (lib/handoff); 0 or 1: on the caller's thread */
};

struct report;

/* report_new adds the writers |opts| asks for to |p|, writing to |out|;
 * |src| names the capture points.  NULL on allocation failure. */
struct report *report_new(const struct report_opts *opts, FILE *out,
                          const struct cap_source *src, struct pipeline *p);

/* report_errors returns how many certificate files could not be written. */
unsigned report_errors(const struct report *r);

/* report_free frees |r|.  NULL is a no-op. */
void report_free(struct report *r);

/* report_run: one run's analysis and output, wired. */
struct report_run {
    struct pipeline *pipeline;
    struct report *report;
    struct session_layer *sessions;   /* the connection table's consumer */
    struct handoff *handoff;          /* threads 2: the analysis thread; else NULL */
};

/* report_run_open builds the pipeline (|po|), its writers (|ro|, to |out|)
 * and the session layer (|so|) that feeds it.  -1 on allocation failure
 * (what was built is freed). */
int report_run_open(struct report_run *run, const struct pipeline_opts *po,
                    const struct report_opts *ro, const struct session_opts *so, FILE *out);

/* report_run_sync waits until the analysis has caught up with every
 * session the session layer finished (threads 2; else it returns at once).
 * The caller's thread may then touch the pipeline, its writers and their
 * output (a stats line, a reload after SIGHUP) until it hands on the next
 * packet; and it must sync before it frees the connection table (the
 * records are given back to the session layer here).  The functions below
 * sync by themselves. */
void report_run_sync(struct report_run *run);

/* report_run_finish writes the servers still in the table and the totals
 * (after the connection table has closed every connection). */
void report_run_finish(struct report_run *run);

/* report_run_worst returns the worst severity of any session so far
 * (SEV_NONE if none): the exit status compares it with --fail-on. */
enum severity report_run_worst(struct report_run *run);

/* report_run_close frees what report_run_open built. */
void report_run_close(struct report_run *run);

#endif
