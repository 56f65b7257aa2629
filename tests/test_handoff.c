/*
 * test_handoff.c - lib/handoff: items run in the order they were put, on
 * the consumer thread, each exactly once; each is released exactly once,
 * on the producer's thread and only after it ran, also when the ring wraps
 * round many times and the producer has to wait for room; handoff_sync
 * leaves nothing unrun or unreleased.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "lib/handoff.h"

#define N 20000

struct item {
    unsigned n;
    atomic_int ran, released;
    bool released_after_run;
    bool ran_elsewhere, released_here;
};

struct ctx {
    pthread_t producer;
    atomic_uint next;         /* the consumer: the number it expects next */
    atomic_bool out_of_order;
    unsigned slow_every;      /* the consumer dawdles on every Nth item */
};

static void run(void *c, void *it, unsigned tag)
{
    struct ctx *x = c;
    struct item *i = it;

    if (tag != i->n % 7 || i->n != atomic_load(&x->next))
        atomic_store(&x->out_of_order, true);
    atomic_store(&x->next, i->n + 1);
    i->ran_elsewhere = !pthread_equal(pthread_self(), x->producer);
    if (x->slow_every && i->n % x->slow_every == 0) {
        struct timespec ts = {0, 200000};   /* 0.2 ms: the ring fills */

        nanosleep(&ts, NULL);
    }
    atomic_fetch_add(&i->ran, 1);
}

static void release(void *c, void *it, unsigned tag)
{
    struct ctx *x = c;
    struct item *i = it;

    (void)tag;
    i->released_after_run = atomic_load(&i->ran) == 1;
    i->released_here = pthread_equal(pthread_self(), x->producer);
    atomic_fetch_add(&i->released, 1);
}

static void run_many(size_t capacity, unsigned slow_every, bool sync_midway)
{
    struct item *v = calloc(N, sizeof(*v));
    struct ctx x = {.slow_every = slow_every};
    struct handoff *h;
    struct handoff_stats st;

    assert_non_null(v);
    x.producer = pthread_self();
    h = handoff_new(capacity, run, release, &x);
    assert_non_null(h);
    for (unsigned k = 0; k < N; k++) {
        v[k].n = k;
        handoff_put(h, &v[k], k % 7);
        if (sync_midway && k == N / 2) {
            handoff_sync(h);
            for (unsigned j = 0; j <= k; j++) {
                assert_int_equal(atomic_load(&v[j].ran), 1);
                assert_int_equal(atomic_load(&v[j].released), 1);
            }
        }
    }
    handoff_sync(h);
    handoff_stats(h, &st);
    assert_int_equal(st.put, N);
    if (slow_every)
        assert_true(st.producer_waits > 0);   /* the ring was full, and wrapped */
    /* the consumer's CPU clock is read from the producer, and only grows */
    assert_true(st.consumer_cpu_known);
    {
        struct handoff_stats later;

        handoff_stats(h, &later);
        assert_true(later.consumer_cpu_known);
        assert_true(later.consumer_cpu_us >= st.consumer_cpu_us);
    }
    handoff_free(h);
    assert_false(atomic_load(&x.out_of_order));
    for (unsigned k = 0; k < N; k++) {
        assert_int_equal(atomic_load(&v[k].ran), 1);
        assert_int_equal(atomic_load(&v[k].released), 1);
        assert_true(v[k].released_after_run);
        assert_true(v[k].ran_elsewhere);
        assert_true(v[k].released_here);
    }
    free(v);
}

/* A small ring wrapped thousands of times by a slow consumer: the producer
 * waits, every item runs and is released once, after running (a slot is
 * released before it is reused, not the new item in it). */
static void test_wraps_slow_consumer(void **state)
{
    (void)state;
    run_many(4, 50, false);
}

/* A fast consumer (it naps and is woken in batches) and a larger ring. */
static void test_fast_consumer(void **state)
{
    (void)state;
    run_many(256, 0, false);
}

/* A sync in the middle: everything put so far has run and been released. */
static void test_sync_midway(void **state)
{
    (void)state;
    run_many(16, 1000, true);
}

/* One item and a consumer asleep: the sync wakes it, without waiting for
 * its nap to end more than once. */
static void test_single_item(void **state)
{
    struct item it = {.n = 0};
    struct ctx x = {0};
    struct handoff *h;

    (void)state;
    x.producer = pthread_self();
    h = handoff_new(8, run, release, &x);
    assert_non_null(h);
    handoff_put(h, &it, 0);
    handoff_sync(h);
    assert_int_equal(atomic_load(&it.ran), 1);
    assert_int_equal(atomic_load(&it.released), 1);
    handoff_free(h);
    assert_null(handoff_new(0, run, release, &x));
    handoff_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wraps_slow_consumer),
        cmocka_unit_test(test_fast_consumer),
        cmocka_unit_test(test_sync_midway),
        cmocka_unit_test(test_single_item),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
