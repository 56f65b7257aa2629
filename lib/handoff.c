/*
 * handoff.c - items run in order on a second thread (see handoff.h).
 *
 * A ring of |cap| slots and three counters that only grow: |head| (items
 * put), |ran| (items the consumer has run) and |rel| (items released), with
 * rel <= ran <= head <= rel + cap.  The consumer takes every item between
 * ran and head at once, runs them without the lock and then moves ran; the
 * producer releases what lies between rel and ran, also without the lock
 * (neither thread touches those slots any more).
 *
 * Waking the consumer costs a system call on each side; a session takes
 * the consumer microseconds, so a wake-up per item would cost more than
 * the item.  The producer wakes it only when HANDOFF_BATCH items wait, or
 * when it sleeps deeply (see below); otherwise it looks again by itself
 * every HANDOFF_NAP_NS, so an item waits at most that long (a sensor's
 * line is written within milliseconds).  After HANDOFF_NAPS naps without
 * work it sleeps until woken (an idle sensor costs no wake-ups), and then
 * the next item wakes it at once.
 */
#include "lib/handoff.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#define HANDOFF_BATCH 8
#define HANDOFF_NAP_NS 10000000L       /* 10 ms */
#define HANDOFF_NAPS 10

struct slot {
    void *item;
    unsigned tag;
};

enum sleep_state { AWAKE = 0, NAPPING, DEEP };

struct handoff {
    pthread_mutex_t mu;
    pthread_cond_t work, room;
    pthread_t thread;
    handoff_fn run, release;
    void *ctx;
    struct slot *slots;
    size_t cap;
    uint64_t head, ran, rel;
    enum sleep_state consumer;
    bool producer_waiting;   /* for room, or in handoff_sync */
    bool stop;
    struct handoff_stats st;
};

static void nap_deadline(struct timespec *ts)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_nsec += HANDOFF_NAP_NS;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_nsec -= 1000000000L;
        ts->tv_sec++;
    }
}

static void *consumer(void *arg)
{
    struct handoff *h = arg;
    unsigned naps = 0;

    pthread_mutex_lock(&h->mu);
    for (;;) {
        uint64_t start, end;

        while (h->ran == h->head && !h->stop) {
            struct timespec ts;

            if (naps < HANDOFF_NAPS) {
                h->consumer = NAPPING;
                nap_deadline(&ts);
                if (pthread_cond_timedwait(&h->work, &h->mu, &ts) == ETIMEDOUT)
                    naps++;
            } else {
                h->consumer = DEEP;
                pthread_cond_wait(&h->work, &h->mu);
            }
            h->consumer = AWAKE;
        }
        if (h->ran == h->head)
            break;               /* stopped, and nothing left */
        naps = 0;
        start = h->ran;
        end = h->head;
        pthread_mutex_unlock(&h->mu);
        for (uint64_t i = start; i < end; i++) {
            const struct slot *s = &h->slots[i % h->cap];

            h->run(h->ctx, s->item, s->tag);
        }
        pthread_mutex_lock(&h->mu);
        h->ran = end;
        if (h->producer_waiting)
            pthread_cond_signal(&h->room);
    }
    pthread_mutex_unlock(&h->mu);
    return NULL;
}

/* cond_init_monotonic makes |cv| time its waits on CLOCK_MONOTONIC (a
 * sensor's wall clock may be stepped). */
static int cond_init_monotonic(pthread_cond_t *cv)
{
    pthread_condattr_t a;
    int rc;

    if (pthread_condattr_init(&a) != 0)
        return -1;
    rc = pthread_condattr_setclock(&a, CLOCK_MONOTONIC) == 0 && pthread_cond_init(cv, &a) == 0
             ? 0 : -1;
    pthread_condattr_destroy(&a);
    return rc;
}

struct handoff *handoff_new(size_t capacity, handoff_fn run, handoff_fn release, void *ctx)
{
    struct handoff *h;
    sigset_t all, old;
    int rc;

    if (capacity == 0 || (h = calloc(1, sizeof(*h))) == NULL)
        return NULL;
    h->cap = capacity;
    h->run = run;
    h->release = release;
    h->ctx = ctx;
    if ((h->slots = calloc(capacity, sizeof(*h->slots))) == NULL)
        goto no_slots;
    if (pthread_mutex_init(&h->mu, NULL) != 0)
        goto no_mutex;
    if (cond_init_monotonic(&h->work) < 0)
        goto no_work;
    if (pthread_cond_init(&h->room, NULL) != 0)
        goto no_room;
    /* the thread starts with every signal blocked, and keeps them so */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    rc = pthread_create(&h->thread, NULL, consumer, h);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc == 0)
        return h;
    pthread_cond_destroy(&h->room);
no_room:
    pthread_cond_destroy(&h->work);
no_work:
    pthread_mutex_destroy(&h->mu);
no_mutex:
    free(h->slots);
no_slots:
    free(h);
    return NULL;
}

/* wait_release waits until at most |ahead| items are unrun (waking the
 * consumer if it sleeps), then releases every item that has run; called
 * and returns without the lock.  The releases come before a new item goes
 * into the ring: its slot may be the oldest of them. */
static void wait_release(struct handoff *h, uint64_t ahead)
{
    uint64_t from, to;

    pthread_mutex_lock(&h->mu);
    while (h->head - h->ran > ahead) {
        if (ahead > 0)
            h->st.producer_waits++;
        h->producer_waiting = true;
        if (h->consumer != AWAKE)
            pthread_cond_signal(&h->work);
        pthread_cond_wait(&h->room, &h->mu);
        h->producer_waiting = false;
    }
    from = h->rel;
    to = h->ran;
    h->rel = to;
    pthread_mutex_unlock(&h->mu);
    for (uint64_t i = from; i < to; i++) {
        const struct slot *s = &h->slots[i % h->cap];

        h->release(h->ctx, s->item, s->tag);
    }
}

void handoff_put(struct handoff *h, void *item, unsigned tag)
{
    wait_release(h, h->cap - 1);
    pthread_mutex_lock(&h->mu);
    h->slots[h->head % h->cap] = (struct slot){.item = item, .tag = tag};
    h->head++;
    h->st.put++;
    if (h->consumer == DEEP || (h->consumer == NAPPING && h->head - h->ran >= HANDOFF_BATCH))
        pthread_cond_signal(&h->work);
    pthread_mutex_unlock(&h->mu);
}

void handoff_sync(struct handoff *h)
{
    wait_release(h, 0);
}

void handoff_free(struct handoff *h)
{
    if (h == NULL)
        return;
    handoff_sync(h);
    pthread_mutex_lock(&h->mu);
    h->stop = true;
    pthread_cond_signal(&h->work);
    pthread_mutex_unlock(&h->mu);
    pthread_join(h->thread, NULL);
    pthread_cond_destroy(&h->work);
    pthread_cond_destroy(&h->room);
    pthread_mutex_destroy(&h->mu);
    free(h->slots);
    free(h);
}

void handoff_stats(struct handoff *h, struct handoff_stats *st)
{
    clockid_t cid;
    struct timespec ts;

    pthread_mutex_lock(&h->mu);
    *st = h->st;
    pthread_mutex_unlock(&h->mu);
    /* the consumer's own CPU clock, read from here: which of the two
     * threads a run waits for */
    st->consumer_cpu_known = pthread_getcpuclockid(h->thread, &cid) == 0 &&
                             clock_gettime(cid, &ts) == 0;
    st->consumer_cpu_us = st->consumer_cpu_known
                              ? (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u
                              : 0;
}
