/*
 * handoff.h - hand items from one thread to a second one that runs them in
 * order, and give them back to the first to be released.
 *
 *   producer (the packet side)           consumer (its own thread)
 *   handoff_put(item) ----------------->  run(ctx, item), in put order
 *   release(ctx, item)  <---------------  (done)
 *
 * The packet side of mxwitness (reading, reassembly, SMTP and TLS parsing)
 * hands each finished session to the analysis (chains, judge, evidence,
 * output) this way, so that the two halves of a run use two cores while the
 * output stays exactly as one thread writes it: the sessions are analysed
 * one at a time, in the order they finished.
 *
 * Items are released on the producer's thread (in handoff_put and
 * handoff_sync), so that what allocated them frees them, and so that what
 * they hold stays counted against the producer's budgets until the
 * consumer is done with them.  At most |capacity| items are in flight:
 * handoff_put waits when the consumer is that far behind.
 *
 * handoff_sync waits until the consumer has run every item put and is
 * idle; until the next handoff_put the producer may then touch anything
 * the consumer touches (the mutex orders the two threads' memory).  Every
 * call into the consumer's side from the producer's thread goes after a
 * handoff_sync.
 *
 * The consumer thread blocks every signal, so that signals reach the
 * producer (whose loop checks their flags).
 */
#ifndef MXW_HANDOFF_H
#define MXW_HANDOFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct handoff;

/* handoff_fn: |tag| is what was passed with the item to handoff_put. */
typedef void (*handoff_fn)(void *ctx, void *item, unsigned tag);

/* handoff_new starts the consumer thread.  NULL when the thread or the
 * memory could not be had (the caller then runs items itself). */
struct handoff *handoff_new(size_t capacity, handoff_fn run, handoff_fn release, void *ctx);

/* handoff_put queues |item| for run(); first releases what has run. */
void handoff_put(struct handoff *h, void *item, unsigned tag);

/* handoff_sync waits until every item put has run, and releases them. */
void handoff_sync(struct handoff *h);

/* handoff_free syncs, stops the thread and frees |h|.  NULL is a no-op. */
void handoff_free(struct handoff *h);

/* handoff_stats: items put, how often the producer waited for room, and
 * the CPU time the consumer thread has used (|consumer_cpu_known| false
 * when the system cannot tell). */
struct handoff_stats {
    uint64_t put, producer_waits;
    uint64_t consumer_cpu_us;
    bool consumer_cpu_known;
};

void handoff_stats(struct handoff *h, struct handoff_stats *st);

#endif
