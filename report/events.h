/*
 * events.h - what a run says about itself rather than about a session:
 * a capture point whose clock is in doubt (capture/cap_clock), on
 * standard error and, with --json, as a mxwitness.clock line.
 */
#ifndef MXW_EVENTS_H
#define MXW_EVENTS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "capture/cap_clock.h"

/* report_clock_event says |ev| of capture point |label| on standard error
 * and, when |json|, writes its mxwitness.clock line to |out|: the problem,
 * the packet's time and the time validity is judged at (|at| with
 * --at, else each session's capture time). */
void report_clock_event(FILE *out, bool json, const struct cap_clock_event *ev,
                        const char *label, bool at_set, int64_t at);

/* report_clock_jumps says, at the end of a run, that |n| packets were
 * further than the idle timeout (|idle_s|) from the connection clock and
 * did not move it (tcp_flow's clock_jumps); with |json| also as a
 * mxwitness.clock line. */
void report_clock_jumps(FILE *out, bool json, uint64_t n, uint64_t idle_s);

#endif
