/*
 * workers.h - --workers N: the process forks N workers, each of which runs
 * the whole pipeline on its share of the interface (capture/cap_fanout),
 * and the parent stays to supervise them.
 *
 * The parent forwards SIGTERM, SIGINT and SIGHUP to every worker and waits
 * for them; its exit status is 0 when they all stopped normally, 2 when
 * one failed (said, naming it: "worker 1 (pid 4242) failed: killed by
 * signal 11").  A worker that ends before it is asked to ends the run: the
 * others are stopped (their sessions and summaries written) and the
 * service manager starts the whole again (Restart=on-failure).  A worker
 * is not restarted alone: with -Z it could no longer open the interface,
 * and its connections and servers would be started again mid-stream
 * anyway.
 */
#ifndef MXW_WORKERS_H
#define MXW_WORKERS_H

#include "lib/privs.h"

#define WORKERS_MAX 64

/* workers_run forks |n| workers.  In a worker it returns its index
 * (0..n-1), with SIGTERM, SIGINT and SIGHUP blocked until workers_ready
 * (so that one sent before its handlers are set is not lost).  In the
 * parent it returns -1 once every worker has ended, with the exit status
 * in |*status|; the parent drops to |u| (-Z) once they are forked (NULL:
 * it keeps its privileges). */
int workers_run(unsigned n, const struct privs_user *u, int *status);

/* workers_ready unblocks the signals in a worker, its handlers set. */
void workers_ready(void);

#endif
