/*
 * dyn.h - a growable text for the tests that build a record of what a
 * parser reported (test_smtp, test_tls, test_session) and compare it whole
 * across the ways the input is fed.
 */
#ifndef MXW_TESTS_DYN_H
#define MXW_TESTS_DYN_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct dyn {
    char *p;
    size_t len, cap;
};

/* dyn_add appends |n| bytes (always NUL-terminated after them). */
static inline void dyn_add(struct dyn *d, const void *p, size_t n)
{
    if (d->len + n + 1 > d->cap) {
        size_t cap = d->cap ? d->cap : 256;

        while (d->len + n + 1 > cap)
            cap *= 2;
        d->p = realloc(d->p, cap);
        assert_non_null(d->p);
        d->cap = cap;
    }
    if (n)
        memcpy(d->p + d->len, p, n);
    d->len += n;
    d->p[d->len] = '\0';
}

static inline void dyn_printf(struct dyn *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* dyn_printf appends a formatted text of less than 4 KB. */
static inline void dyn_printf(struct dyn *d, const char *fmt, ...)
{
    char buf[4096];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    assert_true(n >= 0 && (size_t)n < sizeof(buf));
    dyn_add(d, buf, (size_t)n);
}

static inline void dyn_free(struct dyn *d)
{
    free(d->p);
    d->p = NULL;
    d->len = d->cap = 0;
}

#endif
