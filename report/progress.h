/*
 * progress.h - a progress line on standard error while files are read
 * (when it is a terminal): every second
 *   mxwitness: 41% of capture.pcap (1.2 GB), 12,345 sessions, 3.1 s
 * written over itself with \r, and cleared at the end; of standard input,
 * whose size is unknown, the bytes read.  Nothing during the first second:
 * a short file shows no line at all.
 */
#ifndef MXW_PROGRESS_H
#define MXW_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "capture/cap_source.h"

struct progress;

/* progress_new: a line on |err| about |what| (a file name, or "3 files");
 * NULL on allocation failure. */
struct progress *progress_new(FILE *err, const char *what);

/* progress_due is called for every packet; true when the line is to be
 * drawn again (a clock look every 4096 packets, a line every second). */
bool progress_due(struct progress *p);

/* progress_draw writes the line: how far |src| has been read, |sessions|. */
void progress_draw(struct progress *p, const struct cap_source *src, uint64_t sessions);

/* progress_free clears the line (if one was drawn) and frees |p|; NULL is
 * a no-op. */
void progress_free(struct progress *p);

/* progress_format writes the line without the clock and the terminal
 * (the tests): |done| of |total| bytes (0: unknown), after |elapsed_us|. */
void progress_format(char *buf, size_t size, const char *what, uint64_t done, uint64_t total,
                     uint64_t sessions, uint64_t elapsed_us);

#endif
