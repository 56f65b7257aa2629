/*
 * jsonr.c - the JSON reader (see jsonr.h).
 *
 * RFC 8259 §2-§7, recursive descent:
 *   value  = object / array / string / number / true / false / null
 *   object = '{' [ string ':' value *( ',' string ':' value ) ] '}'
 *   array  = '[' [ value *( ',' value ) ] ']'
 *   number = [ '-' ] ( '0' / 1-9 *DIGIT ) [ '.' 1*DIGIT ] [ ( 'e' / 'E' ) [ '+' / '-' ] 1*DIGIT ]
 *   string = '"' *( unescaped / '\' ( '"' / '\' / '/' / 'b' / 'f' / 'n' / 'r' / 't' / 'u' 4HEXDIG ) ) '"'
 * The depth is capped, so the recursion is too.
 */
#include "lib/jsonr.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "lib/cbs.h"

struct walker {
    struct cbs c;
    size_t total;
    jsonr_fn *fn;
    void *ctx;
    int depth;
    bool stopped;
    char *err;
    size_t errlen;
    char path[JSONR_PATH_MAX];
    size_t plen;
    char str[JSONR_STR_MAX + 1];
};

static bool fail(struct walker *w, const char *why)
{
    if (w->err != NULL && w->errlen > 0 && w->err[0] == '\0')
        snprintf(w->err, w->errlen, "%s at byte %zu", why, w->total - cbs_len(&w->c));
    return false;
}

static void skip_ws(struct walker *w)
{
    uint8_t b;

    while (cbs_peek_u8(&w->c, &b) && (b == ' ' || b == '\t' || b == '\r' || b == '\n'))
        cbs_skip(&w->c, 1);
}

static bool expect(struct walker *w, uint8_t want, const char *why)
{
    uint8_t b;

    skip_ws(w);
    if (!cbs_get_u8(&w->c, &b) || b != want)
        return fail(w, why);
    return true;
}

static bool hex4(struct walker *w, unsigned *out)
{
    unsigned v = 0;

    for (int i = 0; i < 4; i++) {
        uint8_t b;

        if (!cbs_get_u8(&w->c, &b))
            return fail(w, "cut \\u escape");
        if (b >= '0' && b <= '9')
            v = v * 16 + (unsigned)(b - '0');
        else if (b >= 'a' && b <= 'f')
            v = v * 16 + (unsigned)(b - 'a' + 10);
        else if (b >= 'A' && b <= 'F')
            v = v * 16 + (unsigned)(b - 'A' + 10);
        else
            return fail(w, "bad \\u escape");
    }
    *out = v;
    return true;
}

/* put appends byte |b| to the string being decoded, if it fits. */
static void put(char *out, size_t cap, size_t *len, bool *cut, uint8_t b)
{
    if (*len < cap)
        out[(*len)++] = (char)b;
    else
        *cut = true;
}

static void put_utf8(char *out, size_t cap, size_t *len, bool *cut, unsigned cp)
{
    if (cp < 0x80) {
        put(out, cap, len, cut, (uint8_t)cp);
    } else if (cp < 0x800) {
        put(out, cap, len, cut, (uint8_t)(0xC0 | cp >> 6));
        put(out, cap, len, cut, (uint8_t)(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        put(out, cap, len, cut, (uint8_t)(0xE0 | cp >> 12));
        put(out, cap, len, cut, (uint8_t)(0x80 | (cp >> 6 & 0x3F)));
        put(out, cap, len, cut, (uint8_t)(0x80 | (cp & 0x3F)));
    } else {
        put(out, cap, len, cut, (uint8_t)(0xF0 | cp >> 18));
        put(out, cap, len, cut, (uint8_t)(0x80 | (cp >> 12 & 0x3F)));
        put(out, cap, len, cut, (uint8_t)(0x80 | (cp >> 6 & 0x3F)));
        put(out, cap, len, cut, (uint8_t)(0x80 | (cp & 0x3F)));
    }
}

/* string decodes a string whose opening quote was read into |out| (|cap|
 * bytes and a NUL). */
static bool string(struct walker *w, char *out, size_t cap, size_t *len, bool *cut)
{
    *len = 0;
    *cut = false;
    for (;;) {
        uint8_t b;

        if (!cbs_get_u8(&w->c, &b))
            return fail(w, "unterminated string");
        if (b == '"')
            break;
        if (b < 0x20)
            return fail(w, "control character in a string");
        if (b != '\\') {
            put(out, cap, len, cut, b);
            continue;
        }
        if (!cbs_get_u8(&w->c, &b))
            return fail(w, "cut escape");
        switch (b) {
        case '"': case '\\': case '/': put(out, cap, len, cut, b); break;
        case 'b': put(out, cap, len, cut, '\b'); break;
        case 'f': put(out, cap, len, cut, '\f'); break;
        case 'n': put(out, cap, len, cut, '\n'); break;
        case 'r': put(out, cap, len, cut, '\r'); break;
        case 't': put(out, cap, len, cut, '\t'); break;
        case 'u': {
            unsigned cp, lo;

            if (!hex4(w, &cp))
                return false;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                /* a high surrogate must be followed by a low one */
                uint8_t q, u;

                if (!cbs_get_u8(&w->c, &q) || !cbs_get_u8(&w->c, &u) || q != '\\' || u != 'u' ||
                    !hex4(w, &lo) || lo < 0xDC00 || lo > 0xDFFF)
                    return fail(w, "lone surrogate");
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                return fail(w, "lone surrogate");
            }
            put_utf8(out, cap, len, cut, cp);
            break;
        }
        default:
            return fail(w, "bad escape");
        }
    }
    out[*len] = '\0';
    return true;
}

static bool digits(struct walker *w, size_t *n, uint64_t *v, bool *over)
{
    uint8_t b;

    *n = 0;
    while (cbs_peek_u8(&w->c, &b) && b >= '0' && b <= '9') {
        cbs_skip(&w->c, 1);
        if (*v > (UINT64_MAX - (b - '0')) / 10)
            *over = true;
        else
            *v = *v * 10 + (b - '0');
        (*n)++;
    }
    return *n > 0;
}

static bool number(struct walker *w, struct jsonr_value *v)
{
    uint8_t b;
    uint64_t u = 0, ignored = 0;
    size_t n;
    bool neg = false, over = false, whole = true, o2 = false;

    if (cbs_peek_u8(&w->c, &b) && b == '-') {
        cbs_skip(&w->c, 1);
        neg = true;
    }
    if (cbs_peek_u8(&w->c, &b) && b == '0') {
        cbs_skip(&w->c, 1);
    } else if (!digits(w, &n, &u, &over)) {
        return fail(w, "bad number");
    }
    if (cbs_peek_u8(&w->c, &b) && b == '.') {
        cbs_skip(&w->c, 1);
        whole = false;
        if (!digits(w, &n, &ignored, &o2))
            return fail(w, "bad fraction");
    }
    if (cbs_peek_u8(&w->c, &b) && (b == 'e' || b == 'E')) {
        cbs_skip(&w->c, 1);
        whole = false;
        if (cbs_peek_u8(&w->c, &b) && (b == '+' || b == '-'))
            cbs_skip(&w->c, 1);
        if (!digits(w, &n, &ignored, &o2))
            return fail(w, "bad exponent");
    }
    v->type = JSONR_NUMBER;
    v->is_u64 = whole && !neg && !over;
    v->u64 = v->is_u64 ? u : 0;
    return true;
}

static bool literal(struct walker *w, const char *lit, size_t n)
{
    struct cbs word;

    if (!cbs_get_bytes(&w->c, &word, n) || !cbs_mem_eq(&word, lit, n))
        return fail(w, "bad literal");
    return true;
}

static bool scalar(struct walker *w, long index, struct jsonr_value *v)
{
    w->path[w->plen] = '\0';
    if (!w->fn(w->ctx, w->path, index, v)) {
        w->stopped = true;
        return false;
    }
    return true;
}

static bool value(struct walker *w, long index);

/* member appends ".key" (or "key" at the top) to the path for one value. */
static bool member(struct walker *w, long index)
{
    char key[JSONR_PATH_MAX];
    size_t klen, saved = w->plen;
    bool cut;

    if (!expect(w, '"', "expected a key") || !string(w, key, sizeof(key) - 1, &klen, &cut) ||
        !expect(w, ':', "expected ':'"))
        return false;
    if (saved > 0 && w->plen + 1 < sizeof(w->path))
        w->path[w->plen++] = '.';
    if (cut || w->plen + klen >= sizeof(w->path)) {
        /* a path that does not fit can match no field: mark it so */
        w->plen = sizeof(w->path) - 1;
        memset(w->path, '\x01', w->plen);
    } else {
        memcpy(w->path + w->plen, key, klen);
        w->plen += klen;
    }
    if (!value(w, index))
        return false;
    w->plen = saved;
    return true;
}

static bool value(struct walker *w, long index)
{
    struct jsonr_value v;
    uint8_t b;

    memset(&v, 0, sizeof(v));
    skip_ws(w);
    if (!cbs_peek_u8(&w->c, &b))
        return fail(w, "expected a value");
    switch (b) {
    case '{':
    case '[': {
        bool obj = b == '{';
        uint8_t close = obj ? '}' : ']';

        if (++w->depth > JSONR_MAX_DEPTH)
            return fail(w, "nested too deep");
        cbs_skip(&w->c, 1);
        skip_ws(w);
        if (cbs_peek_u8(&w->c, &b) && b == close) {
            cbs_skip(&w->c, 1);
            w->depth--;
            return true;
        }
        for (long i = 0;; i++) {
            if (!(obj ? member(w, index) : value(w, i)))
                return false;
            skip_ws(w);
            if (!cbs_get_u8(&w->c, &b))
                return fail(w, obj ? "unterminated object" : "unterminated array");
            if (b == close)
                break;
            if (b != ',')
                return fail(w, obj ? "expected ',' or '}'" : "expected ',' or ']'");
        }
        w->depth--;
        return true;
    }
    case '"':
        cbs_skip(&w->c, 1);
        if (!string(w, w->str, JSONR_STR_MAX, &v.len, &v.cut))
            return false;
        v.type = JSONR_STRING;
        v.str = w->str;
        return scalar(w, index, &v);
    case 't':
        v.type = JSONR_BOOL;
        v.b = true;
        return literal(w, "true", 4) && scalar(w, index, &v);
    case 'f':
        v.type = JSONR_BOOL;
        return literal(w, "false", 5) && scalar(w, index, &v);
    case 'n':
        v.type = JSONR_NULL;
        return literal(w, "null", 4) && scalar(w, index, &v);
    default:
        if (b != '-' && (b < '0' || b > '9'))
            return fail(w, "expected a value");
        return number(w, &v) && scalar(w, index, &v);
    }
}

int jsonr_walk(const char *p, size_t len, jsonr_fn *fn, void *ctx, char *err, size_t errlen)
{
    struct walker w;

    memset(&w, 0, offsetof(struct walker, str));
    cbs_init(&w.c, (const uint8_t *)p, len);
    w.total = len;
    w.fn = fn;
    w.ctx = ctx;
    w.err = err;
    w.errlen = errlen;
    if (err != NULL && errlen > 0)
        err[0] = '\0';
    if (!value(&w, -1))
        return w.stopped ? 0 : -1;
    skip_ws(&w);
    if (cbs_len(&w.c) != 0) {
        fail(&w, "text after the value");
        return -1;
    }
    return 0;
}
