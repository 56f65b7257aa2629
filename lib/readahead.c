/*
 * readahead.c - a file read ahead on a thread (see readahead.h).
 *
 * RA_SLOTS chunks in a ring and two counters that only grow: |filled|
 * (chunks the thread has read) and |taken| (chunks readahead_next has
 * returned).  The reader holds the last two it took; the thread may fill
 * chunk i while i < taken + RA_SLOTS - 2, so it is at most two ahead and
 * never writes a chunk the reader holds.  Each chunk's memory is
 * |headroom| bytes and then |chunk| bytes of the file.
 */
#include "lib/readahead.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#define RA_SLOTS 4u

struct ra_slot {
    uint8_t *mem;                  /* headroom + chunk bytes */
    size_t len;                    /* bytes of the file read into it */
};

struct readahead {
    pthread_mutex_t mu;
    pthread_cond_t more, room;
    pthread_t thread;
    int fd;
    uint64_t start, end;
    size_t chunk, headroom;
    struct ra_slot slot[RA_SLOTS];
    uint64_t filled, taken;
    bool done;                     /* the thread read its last chunk (end or error) */
    bool stop;
    int err;
};

/* fill reads chunk |i| into its slot: the bytes read (fewer than asked
 * only at the end of the file or on an error, |*err|). */
static size_t fill(struct readahead *ra, uint64_t i, int *err)
{
    uint64_t off = ra->start + i * ra->chunk;
    size_t want = ra->end - off < ra->chunk ? (size_t)(ra->end - off) : ra->chunk;
    uint8_t *p = ra->slot[i % RA_SLOTS].mem + ra->headroom;
    size_t got = 0;

    while (got < want) {
        ssize_t r = pread(ra->fd, p + got, want - got, (off_t)(off + got));

        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            *err = r < 0 ? errno : 0;
            break;
        }
        got += (size_t)r;
    }
    return got;
}

static void *reader(void *arg)
{
    struct readahead *ra = arg;

    pthread_mutex_lock(&ra->mu);
    while (!ra->stop && !ra->done) {
        uint64_t i = ra->filled;
        int err = 0;
        size_t got;
        bool last;

        if (i >= ra->taken + RA_SLOTS - 2) {
            pthread_cond_wait(&ra->room, &ra->mu);
            continue;
        }
        pthread_mutex_unlock(&ra->mu);
        got = ra->start + i * ra->chunk < ra->end ? fill(ra, i, &err) : 0;
        last = got < ra->chunk || ra->start + (i + 1) * ra->chunk >= ra->end;
        pthread_mutex_lock(&ra->mu);
        ra->slot[i % RA_SLOTS].len = got;
        if (got > 0)
            ra->filled = i + 1;
        if (last || got == 0) {
            ra->done = true;
            ra->err = err;
        }
        pthread_cond_signal(&ra->more);
    }
    pthread_mutex_unlock(&ra->mu);
    return NULL;
}

static void free_slots(struct readahead *ra)
{
    for (unsigned i = 0; i < RA_SLOTS; i++)
        free(ra->slot[i].mem);
}

struct readahead *readahead_new(int fd, uint64_t off, uint64_t end, size_t chunk,
                                size_t headroom)
{
    struct readahead *ra;
    sigset_t all, old;
    int rc;

    if (chunk == 0 || off > end || (ra = calloc(1, sizeof(*ra))) == NULL)
        return NULL;
    ra->fd = fd;
    ra->start = off;
    ra->end = end;
    ra->chunk = chunk;
    ra->headroom = headroom;
    for (unsigned i = 0; i < RA_SLOTS; i++) {
        if ((ra->slot[i].mem = malloc(headroom + chunk)) == NULL) {
            free_slots(ra);
            free(ra);
            return NULL;
        }
    }
    if (pthread_mutex_init(&ra->mu, NULL) != 0)
        goto fail_mu;
    if (pthread_cond_init(&ra->more, NULL) != 0)
        goto fail_more;
    if (pthread_cond_init(&ra->room, NULL) != 0)
        goto fail_room;
    /* the thread blocks every signal: they stay the packet loop's */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    rc = pthread_create(&ra->thread, NULL, reader, ra);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc == 0)
        return ra;
    pthread_cond_destroy(&ra->room);
fail_room:
    pthread_cond_destroy(&ra->more);
fail_more:
    pthread_mutex_destroy(&ra->mu);
fail_mu:
    free_slots(ra);
    free(ra);
    return NULL;
}

size_t readahead_next(struct readahead *ra, uint8_t **data, uint64_t *off)
{
    uint64_t i;
    size_t len;

    pthread_mutex_lock(&ra->mu);
    while (ra->filled <= ra->taken && !ra->done)
        pthread_cond_wait(&ra->more, &ra->mu);
    if (ra->filled <= ra->taken) {
        pthread_mutex_unlock(&ra->mu);
        return 0;
    }
    i = ra->taken++;
    len = ra->slot[i % RA_SLOTS].len;
    pthread_cond_signal(&ra->room);   /* chunk i - 2 is free */
    pthread_mutex_unlock(&ra->mu);
    *data = ra->slot[i % RA_SLOTS].mem + ra->headroom;
    *off = ra->start + i * ra->chunk;
    return len;
}

int readahead_error(const struct readahead *ra)
{
    return ra->err;
}

void readahead_free(struct readahead *ra)
{
    if (ra == NULL)
        return;
    pthread_mutex_lock(&ra->mu);
    ra->stop = true;
    pthread_cond_signal(&ra->room);
    pthread_mutex_unlock(&ra->mu);
    pthread_join(ra->thread, NULL);
    pthread_cond_destroy(&ra->room);
    pthread_cond_destroy(&ra->more);
    pthread_mutex_destroy(&ra->mu);
    free_slots(ra);
    free(ra);
}
