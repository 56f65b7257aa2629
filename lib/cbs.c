/*
 * cbs.c - bounds-checked byte cursor; the only code that indexes raw bytes.
 */
#include "lib/cbs.h"

#include <stdlib.h>
#include <string.h>

#include "lib/word8.h"

/* take_line sets |*out| to the |n| bytes before the line feed at
 * c->data[n], without a CR before it, and advances past the line feed. */
static bool take_line(struct cbs *c, struct cbs *out, size_t n)
{
    cbs_init(out, c->data, n > 0 && c->data[n - 1] == '\r' ? n - 1 : n);
    c->data += n + 1;
    c->len -= n + 1;
    return true;
}

bool cbs_get_line(struct cbs *c, struct cbs *out, size_t max, bool *too_long)
{
    size_t lim = c->len < max ? c->len : max;
    const uint8_t *lf = lim ? memchr(c->data, '\n', lim) : NULL;

    if (too_long)
        *too_long = false;
    if (!lf) {
        if (too_long && c->len >= max)
            *too_long = true;
        return false;
    }
    return take_line(c, out, (size_t)(lf - c->data));
}

/* cbs_get_text_line looks at 8 bytes at a time where it can, and at single
 * bytes only in a word that holds one of the bytes it stops at. */
static bool word_has_ctl(uint64_t w)
{
    return (w8_below(w, 0x20) | w8_has(w, 0x7f)) != 0;
}

bool cbs_get_text_line(struct cbs *c, struct cbs *out, size_t max, bool *too_long,
                       bool *binary)
{
    size_t lim = c->len < max ? c->len : max, i = 0;

    if (too_long)
        *too_long = false;
    if (binary)
        *binary = false;
    while (i < lim) {
        size_t end = lim;

        if (lim - i >= 8) {
            if (!word_has_ctl(w8_load(c->data + i))) {
                i += 8;
                continue;
            }
            end = i + 8;
        }
        for (; i < end; i++) {
            uint8_t b = c->data[i];

            if (b == '\n')
                goto found;
            if ((b < 0x20 && b != '\t' && b != '\r') || b == 0x7f) {
                if (binary)
                    *binary = true;
                return false;
            }
        }
    }
    if (too_long && c->len >= max)
        *too_long = true;
    return false;
found:
    return take_line(c, out, i);
}

bool cbs_mem_eq(const struct cbs *c, const void *p, size_t n)
{
    return c->len == n && (n == 0 || memcmp(c->data, p, n) == 0);
}

char *cbs_strdup(const struct cbs *c)
{
    char *s = malloc(c->len + 1);

    if (!s)
        return NULL;
    if (c->len)
        memcpy(s, c->data, c->len);
    s[c->len] = '\0';
    return s;
}
