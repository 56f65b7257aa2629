/*
 * objcache.h - freed objects of one size kept for reuse, by one thread.
 *
 * The packet side makes and frees a handful of fixed-size objects for every
 * connection: the connection, its first and its full session record, its
 * SMTP and TLS parser states.  Most are past a kilobyte, beyond glibc's
 * per-thread cache, so each calloc and free went through the arena's bins:
 * close to a tenth of the packet thread's instructions on a mail capture.
 * An objcache keeps up to OBJCACHE_MAX freed objects on a stack and hands
 * them out again zeroed, as calloc would.
 *
 * Not thread-safe: an objcache belongs to the table or layer that owns the
 * objects, and objects go back to the cache they came from, on its thread
 * (the records the analysis thread reads are released on the packet
 * thread; see lib/handoff.h).  Under AddressSanitizer nothing is kept, so
 * that a use after free is still caught where it happens.
 */
#ifndef MXW_OBJCACHE_H
#define MXW_OBJCACHE_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* OBJCACHE_MAX: enough for the records the analysis thread releases in one
 * batch (report.c's RUN_QUEUE); 256 session records are about 1 MB. */
#define OBJCACHE_MAX 256

#if defined(__SANITIZE_ADDRESS__)
#define OBJCACHE_KEEP 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define OBJCACHE_KEEP 0
#endif
#endif
#ifndef OBJCACHE_KEEP
#define OBJCACHE_KEEP OBJCACHE_MAX
#endif

struct objcache {
    size_t size;               /* of every object; 0 until objcache_init */
    size_t zero;               /* how many of its first bytes objcache_zalloc clears */
    unsigned n;                /* objects on the stack */
    void *slot[OBJCACHE_MAX];
};

/* objcache_init: objects of |size| bytes, of which objcache_zalloc
 * clears the first |zero| (an object whose tail is scratch space that is
 * written before it is read need not pay for clearing it). */
static inline void objcache_init(struct objcache *c, size_t size, size_t zero)
{
    c->size = size;
    c->zero = zero < size ? zero : size;
    c->n = 0;
}

/* objcache_zalloc: an object of the cache's size, its first |zero| bytes
 * zero (all of them when it is new), or NULL. */
static inline void *objcache_zalloc(struct objcache *c)
{
    if (c->n > 0) {
        void *p = c->slot[--c->n];

        memset(p, 0, c->zero);
        return p;
    }
    return calloc(1, c->size);
}

/* objcache_alloc: the same, not zeroed (for objects their init fills). */
static inline void *objcache_alloc(struct objcache *c)
{
    return c->n > 0 ? c->slot[--c->n] : malloc(c->size);
}

/* objcache_free keeps |p| (which came from |c|) or frees it; NULL is a no-op. */
static inline void objcache_free(struct objcache *c, void *p)
{
    if (p == NULL)
        return;
#if OBJCACHE_KEEP > 0
    if (c->n < OBJCACHE_KEEP) {
        c->slot[c->n++] = p;
        return;
    }
#else
    (void)c;
#endif
    free(p);
}

/* objcache_cleanup frees what |c| keeps. */
static inline void objcache_cleanup(struct objcache *c)
{
    while (c->n > 0)
        free(c->slot[--c->n]);
}

#endif
