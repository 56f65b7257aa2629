/*
 * outfile.h - where the reports go: standard output or a file (-w, --report),
 * behind a stdio FILE the writers use as any other.
 *
 * Lines are written whole: the bytes of a line reach write(2) in one call
 * (several lines may share it), never split across calls, so several
 * processes appending to one file (O_APPEND) or one pipe do not interleave
 * inside a line.  A write error is said once on standard error, naming the
 * file and the errno ("mxwitness: writing /dev/full: No space left on
 * device"), and the file is failed for good: the caller ends the run.  A
 * file opened with retries (-w) waits and tries again first, a bounded
 * number of times, each said and counted.  A file can be reopened (SIGHUP,
 * after logrotate moved it).
 */
#ifndef MXW_OUTFILE_H
#define MXW_OUTFILE_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct outfile;

enum outfile_mode {
    OUTFILE_APPEND,       /* -w: O_APPEND|O_CREAT, the file kept */
    OUTFILE_TRUNCATE,     /* --report: O_TRUNC|O_CREAT */
};

/* outfile_open opens |path| for writing (mode 0644 when created); |label|
 * names it in messages, "mxwitness: LABEL: ERROR" (e.g. "--report FILE";
 * NULL: "writing PATH").  NULL, with the reason in |err| ("LABEL: ERROR",
 * or "PATH: ERROR"), when it cannot be opened. */
struct outfile *outfile_open(const char *path, enum outfile_mode mode, const char *label,
                             char *err, size_t errlen);

/* outfile_fd writes to the descriptor |fd| (standard output), which
 * outfile_close leaves open; messages say "writing NAME". */
struct outfile *outfile_fd(int fd, const char *name);

/* outfile_stream returns the FILE to write to (owned by |o|).  |live|:
 * each line goes out as soon as it is complete (a sensor's log shipper
 * tails the file); otherwise lines are gathered up to 64 KiB a write. */
FILE *outfile_stream(struct outfile *o, bool live);

/* outfile_set_retries: a failed write is tried again up to |n| times, the
 * waits doubling from 100 ms to at most 5 s, before the file is failed;
 * |stop| (a signal flag, may be NULL) ends the waiting early. */
void outfile_set_retries(struct outfile *o, unsigned n, volatile sig_atomic_t *stop);

/* outfile_reopen flushes what is complete to the current file and opens
 * the path again (appending); on failure keeps writing the old one and
 * returns -1 with the reason in |err|.  Only for outfile_open'd files. */
int outfile_reopen(struct outfile *o, char *err, size_t errlen);

/* outfile_failed: a write failed for good (the message was printed). */
bool outfile_failed(const struct outfile *o);

/* outfile_retries returns how many writes were tried again. */
uint64_t outfile_retries(const struct outfile *o);

/* outfile_close flushes and closes |o| (not a descriptor of outfile_fd)
 * and frees it; returns 0, or the errno of the first failure (said once,
 * at the time).  NULL is a no-op returning 0. */
int outfile_close(struct outfile *o);

/* outfile_discard closes |o| without a word and removes its file (a run
 * that failed before writing anything). */
void outfile_discard(struct outfile *o);

#endif
