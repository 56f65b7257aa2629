/*
 * stats.h - the periodic counters of a run (--stats-interval): one
 * mxwitness.stats JSON line per interval (or one line on standard error in
 * text mode), and, in JSON, the summaries of the servers that changed.
 *
 * The clock is the caller's: capture time for files, the wall clock for a
 * live capture (which calls stats_tick when no packet comes too, so an idle
 * interface still reports).  Intervals are aligned on the first time seen:
 * [t0, t0+S), [t0+S, t0+2S), ...; a stretch without packets longer than an
 * interval is one line that covers it whole, never a line per empty
 * interval.  A time more than an interval behind the open interval means
 * the clock had been pushed ahead by a bogus time: the intervals follow the
 * packets again from there (one odd line, not a run without lines).  Each line carries what happened in its interval and the
 * totals since the start, so that the intervals of a run add up to its last
 * line's totals; a final line at the end covers the rest.
 */
#ifndef MXW_STATS_H
#define MXW_STATS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "capture/cap_pipe.h"
#include "capture/cap_source.h"
#include "capture/tcp_flow.h"
#include "report/report.h"

/* stats_counts: the counters a stats line reports. */
struct stats_counts {
    uint64_t packets, bytes;
    uint64_t kernel_received, kernel_dropped, interface_dropped;
    uint64_t connections, evicted, evicted_no_dialogue, no_dialogue;
    uint64_t memcap_refusals, servers_evicted, sessions;
};

/* stats_opts: what the ticker reads.  |run| and its parts may be NULL
 * (--flows has no pipeline). */
struct stats_opts {
    uint64_t interval_us;              /* > 0 */
    bool json;                         /* a JSON line on |out|; else text on |err| */
    FILE *out, *err;
    const struct cap_counters *ctr;
    struct tcp_flow_table *tab;
    struct cap_source *src;
    struct report_run *run;
    unsigned worker, nworkers;         /* --workers: this one (0..) of how many; 0: none */
};

struct stats_ticker;

/* stats_ticker_new returns a ticker (NULL on allocation failure). */
struct stats_ticker *stats_ticker_new(const struct stats_opts *o);

/* stats_tick tells the ticker the time is |now_us|; it writes a line (and
 * the changed summaries) when an interval has passed. */
void stats_tick(struct stats_ticker *t, uint64_t now_us);

/* stats_ticker_finish writes the final line, covering the time since the
 * last one up to |now_us| (0: the latest time seen; none when no time was
 * ever seen). */
void stats_ticker_finish(struct stats_ticker *t, uint64_t now_us);

/* stats_ticker_lines returns the stats lines written so far. */
uint64_t stats_ticker_lines(const struct stats_ticker *t);

/* stats_ticker_free frees |t|.  NULL is a no-op. */
void stats_ticker_free(struct stats_ticker *t);

/* stats_collect reads the counters of |o| into |c| (totals since the
 * start); the kernel's only when |*live|, set when the source is live. */
void stats_collect(const struct stats_opts *o, struct stats_counts *c, bool *live);

#endif
