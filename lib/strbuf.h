/*
 * strbuf.h - the one bounded string builder: a text assembled from pieces
 * into the caller's buffer (findings' messages, the JA3 strings, verdict
 * lines).
 *
 * It is cut where snprintf would cut the same text: at byte cap - 1, inside
 * a UTF-8 sequence if need be, and it is always NUL-terminated (nothing is
 * written when cap is 0).  Once full it stays full, so a list walker can
 * stop early (strbuf_full): a ClientHello with 30000 cipher suites costs no
 * more than one that fills the buffer.  Most pieces are literals, whose copy
 * the compiler unrolls; that is why the common calls are inline.
 */
#ifndef MXW_STRBUF_H
#define MXW_STRBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct strbuf {
    char *p;
    size_t cap;                  /* bytes at p, NUL included */
    size_t len;                  /* bytes written, below cap (0 when cap is 0) */
};

/* strbuf_init starts an empty text in |buf| of |cap| bytes. */
static inline void strbuf_init(struct strbuf *b, char *buf, size_t cap)
{
    b->p = buf;
    b->cap = cap;
    b->len = 0;
    if (cap > 0)
        buf[0] = '\0';
}

/* strbuf_full is true when no further byte fits. */
static inline bool strbuf_full(const struct strbuf *b)
{
    return b->len + 1 >= b->cap;
}

/* strbuf_put appends |n| bytes of |s|, as many as fit. */
static inline void strbuf_put(struct strbuf *b, const char *s, size_t n)
{
    size_t room;

    if (b->cap == 0)
        return;
    room = b->cap - 1 - b->len;
    if (n > room)
        n = room;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

/* strbuf_puts appends the string |s|, as many bytes as fit. */
static inline void strbuf_puts(struct strbuf *b, const char *s)
{
    strbuf_put(b, s, strlen(s));
}

/* strbuf_putc appends one byte if it fits. */
static inline void strbuf_putc(struct strbuf *b, char c)
{
    if (strbuf_full(b))
        return;
    b->p[b->len++] = c;
    b->p[b->len] = '\0';
}

/* strbuf_copy writes the string |s| into |buf| of |cap| bytes, cut as
 * snprintf(buf, cap, "%s", s) cuts it, for a fraction of its cost; a NULL
 * |s| is the empty string. */
static inline void strbuf_copy(char *buf, size_t cap, const char *s)
{
    struct strbuf b;

    strbuf_init(&b, buf, cap);
    if (s != NULL)
        strbuf_puts(&b, s);
}

/* strbuf_lit appends the string literal |lit|. */
#define strbuf_lit(b, lit) strbuf_put((b), "" lit, sizeof(lit) - 1)

/* strbuf_u64 appends |v| in decimal, as "%llu" writes it. */
void strbuf_u64(struct strbuf *b, uint64_t v);

/* strbuf_printf appends a formatted text, cut as the rest is. */
void strbuf_printf(struct strbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
