/*
 * seen.c - a bounded set of 32-byte digests, private or shared by the
 * processes forked after it was made (see seen.h).
 */
#include "lib/seen.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* The shared part: in one mapping with the slots that follow it. */
struct seen_tab {
    pthread_mutex_t mu;              /* shared sets only */
    size_t n;                        /* slots in use */
    uint64_t gen;                    /* times emptied */
    uint8_t k[][32];                 /* an all-zero slot is empty */
};

struct seen_set {
    struct seen_tab *t;              /* private: NULL until the first digest */
    size_t slots;
    size_t map_len;                  /* shared: the mapping; 0 for a private set */
};

static size_t tab_bytes(size_t slots)
{
    return sizeof(struct seen_tab) + slots * sizeof(((struct seen_tab *)0)->k[0]);
}

struct seen_set *seen_new(size_t slots, bool shared)
{
    struct seen_set *s = calloc(1, sizeof(*s));
    pthread_mutexattr_t a;
    void *m;

    if (s == NULL)
        return NULL;
    s->slots = slots;
    if (!shared)
        return s;
    s->map_len = tab_bytes(slots);
    m = mmap(NULL, s->map_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) {
        free(s);
        return NULL;
    }
    s->t = m;                        /* zero-filled: empty, generation 0 */
    if (pthread_mutexattr_init(&a) != 0)
        goto fail;
    if (pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED) != 0 ||
        pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST) != 0 ||
        pthread_mutex_init(&s->t->mu, &a) != 0) {
        pthread_mutexattr_destroy(&a);
        goto fail;
    }
    pthread_mutexattr_destroy(&a);
    return s;
fail:
    munmap(m, s->map_len);
    free(s);
    return NULL;
}

/* lock: a shared set's mutex; a worker that died holding it left the
 * table as it was between two whole operations or in the middle of one
 * slot's copy: at worst one digest is wrong, which says one line again. */
static bool lock(struct seen_set *s)
{
    int rc;

    if (s->map_len == 0)
        return true;
    rc = pthread_mutex_lock(&s->t->mu);
    if (rc == EOWNERDEAD)
        rc = pthread_mutex_consistent(&s->t->mu);
    return rc == 0;
}

static void unlock(struct seen_set *s)
{
    if (s->map_len != 0)
        pthread_mutex_unlock(&s->t->mu);
}

bool seen_add(struct seen_set *s, const uint8_t key[32])
{
    static const uint8_t zero[32];
    struct seen_tab *t;
    uint64_t h;
    size_t slot, mask = s->slots - 1;
    bool found = false;

    if (memcmp(key, zero, 32) == 0)  /* never a real digest; it would look empty */
        return true;
    if (s->t == NULL && (s->t = calloc(1, tab_bytes(s->slots))) == NULL)
        return true;                 /* asked again at the next digest */
    if (!lock(s))
        return true;
    t = s->t;
    if (t->n >= s->slots / 4 * 3) {
        memset(t->k, 0, s->slots * sizeof(t->k[0]));
        t->n = 0;
        t->gen++;
    }
    memcpy(&h, key + 8, sizeof(h));  /* a digest: its bytes are as good as any hash */
    for (slot = (size_t)h & mask;; slot = (slot + 1) & mask) {
        if (memcmp(t->k[slot], key, 32) == 0) {
            found = true;
            break;
        }
        if (memcmp(t->k[slot], zero, 32) == 0)
            break;
    }
    if (!found) {
        memcpy(t->k[slot], key, 32);
        t->n++;
    }
    unlock(s);
    return found;
}

uint64_t seen_gen(struct seen_set *s)
{
    uint64_t g;

    if (s->t == NULL || !lock(s))
        return 0;
    g = s->t->gen;
    unlock(s);
    return g;
}

void seen_free(struct seen_set *s)
{
    if (s == NULL)
        return;
    if (s->map_len != 0)
        munmap(s->t, s->map_len);
    else
        free(s->t);
    free(s);
}
