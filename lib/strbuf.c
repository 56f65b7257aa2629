/*
 * strbuf.c - the parts of the string builder that are not inline.
 */
#include "lib/strbuf.h"

#include <stdarg.h>
#include <stdio.h>

#include "lib/out.h"

void strbuf_u64(struct strbuf *b, uint64_t v)
{
    char d[OUT_U64_MAX], *s = out_u64(d, v);

    strbuf_put(b, s, (size_t)(d + sizeof(d) - s));
}

void strbuf_printf(struct strbuf *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (strbuf_full(b))
        return;
    va_start(ap, fmt);
    n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->p[b->len] = '\0';
        return;
    }
    b->len += (size_t)n < b->cap - b->len ? (size_t)n : b->cap - 1 - b->len;
}
