/*
 * report.h - what mxwitness prints about sessions: a text block per session
 * and a summary per server for people, JSON lines for machines, PEM files
 * for evidence, and the dialogue line by line with --transcript.
 */
#ifndef MXW_REPORT_H
#define MXW_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "analyze/severity.h"
#include "analyze/x509.h"
#include "capture/cap_source.h"
#include "dissect/session.h"

struct report_opts {
    bool json;             /* JSON lines instead of text */
    bool transcript;       /* the dialogue under each session */
    const char *certs_dir; /* write every presented certificate as DIR/<SHA256>.pem */
    bool color;            /* ANSI colour (only on a terminal) */
    bool quiet;            /* text: no session blocks; a server without findings
                              is one line */
    struct judge *judge;   /* findings per session; NULL: none are computed */
};

struct report;
struct judge;

/* report_new writes to |out|; |src| names capture points; |xc| parses the
 * certificates (shared).  NULL on allocation failure. */
struct report *report_new(const struct report_opts *opts, FILE *out,
                          const struct cap_source *src, struct x509_cache *xc);

/* report_session reports one finished session; use as the session sink. */
void report_session(void *report, const struct session *s);

/* report_finish prints the per-server summary (text) or the summary objects
 * (JSON). */
void report_finish(struct report *r);

/* report_worst returns the worst severity found in any session so far
 * (SEV_NONE if none): the exit status compares it with --fail-on. */
enum severity report_worst(const struct report *r);

/* report_errors returns how many certificate files could not be written. */
unsigned report_errors(const struct report *r);

/* report_free frees |r|.  NULL is a no-op. */
void report_free(struct report *r);

#endif
