/*
 * writers.h - the report writers, each a consumer of the analysis pipeline
 * (analyze/pipeline): text, JSON lines, certificate files and the HTML
 * report.  Internal to
 * report/; report.h wires them.
 *
 * Each writer has _new, _consumer (the struct pipeline_consumer to add to
 * the pipeline, whose ctx is the writer) and _free.
 */
#ifndef MXW_REPORT_WRITERS_H
#define MXW_REPORT_WRITERS_H

#include <stdbool.h>
#include <stdio.h>

#include "analyze/pipeline.h"
#include "report/report.h"

struct text_writer;
struct json_writer;
struct cert_writer;
struct html_writer;

/* text_writer_new writes to |out|; |several_points| names each session's
 * capture point. */
struct text_writer *text_writer_new(FILE *out, const struct report_opts *o,
                                    const struct pipeline *pl, bool several_points);
struct pipeline_consumer text_writer_consumer(struct text_writer *w);
void text_writer_free(struct text_writer *w);

/* json_writer_new: |shared| (--workers) the sets every worker's writer
 * asks, else NULL (its own). */
struct json_writer *json_writer_new(FILE *out, const struct pipeline *pl, bool chains,
                                    int worker, const struct json_shared *shared);
struct pipeline_consumer json_writer_consumer(struct json_writer *w);
void json_writer_free(struct json_writer *w);

/* cert_writer_new writes into the directory |dir| (it must exist). */
struct cert_writer *cert_writer_new(const char *dir);
struct pipeline_consumer cert_writer_consumer(struct cert_writer *w);
/* cert_writer_errors returns how many files could not be written. */
unsigned cert_writer_errors(const struct cert_writer *w);
void cert_writer_free(struct cert_writer *w);

/* html_writer_new writes the HTML report to |out| at the end of the run
 * (on_finish); |several_points| names each session's capture point. */
struct html_writer *html_writer_new(FILE *out, const struct pipeline *pl, bool several_points);
struct pipeline_consumer html_writer_consumer(struct html_writer *w);
void html_writer_free(struct html_writer *w);

#endif
