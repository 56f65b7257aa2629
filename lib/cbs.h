/*
 * cbs.h - bounds-checked byte cursor.
 *
 * Every byte mxwitness reads from the wire goes through a struct cbs: packet
 * headers in capture/, SMTP lines and TLS messages in dissect/.  A cbs never
 * owns its bytes; it is a (pointer, length) view into a buffer that someone
 * else keeps alive.  Every getter either succeeds and advances the cursor, or
 * fails, returns false and leaves the cursor exactly as it was, so parsers
 * chain getters with || and report one failure for a whole structure.
 *
 * It lives in lib/ with the other byte utilities every layer uses (the
 * string builder, the escaping, the word-at-a-time scans, the JSON reader):
 * lib/ depends on nothing, so no layer includes another against the flow.
 */
#ifndef MXW_CBS_H
#define MXW_CBS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct cbs {
    const uint8_t *data;
    size_t len;
};

/* cbs_init sets |c| to view |len| bytes at |data|. */
static inline void cbs_init(struct cbs *c, const uint8_t *data, size_t len)
{
    c->data = data;
    c->len = len;
}

/* cbs_len returns the number of bytes left in |c|. */
static inline size_t cbs_len(const struct cbs *c) { return c->len; }

/* cbs_data returns a pointer to the first byte left in |c| (borrowed). */
static inline const uint8_t *cbs_data(const struct cbs *c) { return c->data; }

/* The getters below are inline: they run several times per packet on the
 * capture path, and a call per field costs more than the field read.  Inline,
 * a run of reads from a cursor the caller has already measured also loses
 * its bounds checks to the compiler, which a call hides from it. */

/* cbs_skip advances |c| by |n| bytes; false (and |c| unchanged) if fewer are left. */
static inline bool cbs_skip(struct cbs *c, size_t n)
{
    if (c->len < n)
        return false;
    c->data += n;
    c->len -= n;
    return true;
}

/* cbs_get_u8/u16/u24/u32 read a big-endian integer into |*out|. */
static inline bool cbs_get_u8(struct cbs *c, uint8_t *out)
{
    if (c->len < 1)
        return false;
    *out = c->data[0];
    c->data++;
    c->len--;
    return true;
}

static inline bool cbs_get_u16(struct cbs *c, uint16_t *out)
{
    if (c->len < 2)
        return false;
    *out = (uint16_t)(c->data[0] << 8 | c->data[1]);
    c->data += 2;
    c->len -= 2;
    return true;
}

static inline bool cbs_get_u24(struct cbs *c, uint32_t *out)
{
    if (c->len < 3)
        return false;
    *out = (uint32_t)c->data[0] << 16 | (uint32_t)c->data[1] << 8 | c->data[2];
    c->data += 3;
    c->len -= 3;
    return true;
}

static inline bool cbs_get_u32(struct cbs *c, uint32_t *out)
{
    if (c->len < 4)
        return false;
    *out = (uint32_t)c->data[0] << 24 | (uint32_t)c->data[1] << 16 |
           (uint32_t)c->data[2] << 8 | c->data[3];
    c->data += 4;
    c->len -= 4;
    return true;
}

/* cbs_get_u16le/u32le read a little-endian integer (BSD loopback, pcapng). */
static inline bool cbs_get_u16le(struct cbs *c, uint16_t *out)
{
    if (c->len < 2)
        return false;
    *out = (uint16_t)(c->data[0] | (c->data[1] << 8));
    c->data += 2;
    c->len -= 2;
    return true;
}

static inline bool cbs_get_u32le(struct cbs *c, uint32_t *out)
{
    if (c->len < 4)
        return false;
    *out = (uint32_t)c->data[0] | (uint32_t)c->data[1] << 8 |
           (uint32_t)c->data[2] << 16 | (uint32_t)c->data[3] << 24;
    c->data += 4;
    c->len -= 4;
    return true;
}

/* cbs_peek_u8/u16 read without advancing. */
static inline bool cbs_peek_u8(const struct cbs *c, uint8_t *out)
{
    if (c->len < 1)
        return false;
    *out = c->data[0];
    return true;
}

static inline bool cbs_peek_u16(const struct cbs *c, uint16_t *out)
{
    if (c->len < 2)
        return false;
    *out = (uint16_t)(c->data[0] << 8 | c->data[1]);
    return true;
}

/* cbs_get_bytes sets |*out| to the next |n| bytes of |c| and advances past them. */
static inline bool cbs_get_bytes(struct cbs *c, struct cbs *out, size_t n)
{
    if (c->len < n)
        return false;
    out->data = c->data;
    out->len = n;
    c->data += n;
    c->len -= n;
    return true;
}

/* cbs_copy_bytes copies the next |n| bytes into |out| and advances. */
static inline bool cbs_copy_bytes(struct cbs *c, uint8_t *out, size_t n)
{
    if (c->len < n)
        return false;
    if (n)
        memcpy(out, c->data, n);
    c->data += n;
    c->len -= n;
    return true;
}

/* cbs_get_u8/u16/u24_prefixed read a length of that width, then that many
 * bytes into |*out|; false if the length runs past the end of |c|, which
 * is then left as it was.  Inline: a ClientHello's extensions take dozens
 * of them, and the calls were 3% of the packet thread's instructions. */
static inline bool cbs_get_u8_prefixed(struct cbs *c, struct cbs *out)
{
    struct cbs tmp = *c;
    uint8_t n;

    if (!cbs_get_u8(&tmp, &n) || !cbs_get_bytes(&tmp, out, n))
        return false;
    *c = tmp;
    return true;
}

static inline bool cbs_get_u16_prefixed(struct cbs *c, struct cbs *out)
{
    struct cbs tmp = *c;
    uint16_t n;

    if (!cbs_get_u16(&tmp, &n) || !cbs_get_bytes(&tmp, out, n))
        return false;
    *c = tmp;
    return true;
}

static inline bool cbs_get_u24_prefixed(struct cbs *c, struct cbs *out)
{
    struct cbs tmp = *c;
    uint32_t n;

    if (!cbs_get_u24(&tmp, &n) || !cbs_get_bytes(&tmp, out, n))
        return false;
    *c = tmp;
    return true;
}

/* cbs_get_line reads one line terminated by LF (a preceding CR is stripped
 * from |*out|).  The terminator must occur within the first |max| bytes
 * (terminator included); otherwise it returns false and sets *|too_long| when
 * |too_long| is not NULL and at least |max| bytes are available, so a caller
 * can tell "need more data" from "line longer than allowed". */
bool cbs_get_line(struct cbs *c, struct cbs *out, size_t max, bool *too_long);

/* cbs_get_text_line is cbs_get_line for lines that must be text (RFC 5321
 * §2.4): it also fails, setting *|binary| when |binary| is not NULL, if a
 * control character other than TAB and CR, or DEL, comes before the line
 * feed within the first |max| bytes.  *|too_long| is set as by cbs_get_line,
 * but only when *|binary| is not.  One pass over the bytes, most of them a
 * word at a time, where a search for LF and a text check would take two. */
bool cbs_get_text_line(struct cbs *c, struct cbs *out, size_t max, bool *too_long,
                       bool *binary);

/* cbs_get_word sets |*out| to the bytes of |c| up to the first space or tab
 * (or to all of them) and advances past them, not past the space.  False
 * when that is nothing: |c| is empty or starts with a space or tab.  Inline
 * and a byte at a time: SMTP's words (verbs, keywords, host names) are
 * shorter than a call and a word-at-a-time setup would cost. */
static inline bool cbs_get_word(struct cbs *c, struct cbs *out)
{
    size_t n = 0;

    while (n < c->len && c->data[n] != ' ' && c->data[n] != '\t')
        n++;
    out->data = c->data;
    out->len = n;
    c->data += n;
    c->len -= n;
    return n > 0;
}

/* cbs_starts_nocase is true when |c| begins with |lit| ignoring ASCII case.
 * Inline, like cbs_eq_nocase: the SMTP parser compares every line's verb
 * or keyword with literals, whose length the compiler then knows. */
static inline bool cbs_starts_nocase(const struct cbs *c, const char *lit)
{
    size_t n = strlen(lit);

    if (c->len < n)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned a = c->data[i], b = (unsigned char)lit[i];

        if (a - 'A' < 26)
            a += 'a' - 'A';
        if (b - 'A' < 26)
            b += 'a' - 'A';
        if (a != b)
            return false;
    }
    return true;
}

/* cbs_eq_nocase is true when |c| equals the ASCII string |lit| ignoring case. */
static inline bool cbs_eq_nocase(const struct cbs *c, const char *lit)
{
    return c->len == strlen(lit) && cbs_starts_nocase(c, lit);
}

/* cbs_mem_eq is true when |c| holds exactly the |n| bytes at |p|. */
bool cbs_mem_eq(const struct cbs *c, const void *p, size_t n);

/* cbs_strdup returns a NUL-terminated heap copy of |c| (NULL on allocation
 * failure).  NUL bytes inside |c| are copied as they are; callers that print
 * the string escape it.  The caller frees it with free(). */
char *cbs_strdup(const struct cbs *c);

#endif
