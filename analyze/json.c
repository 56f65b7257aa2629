/*
 * json.c - streaming JSON writer (see json.h).
 */
#include "json.h"

#include <stdlib.h>
#include <string.h>

#include "out.h"

void json_init(struct json *j, FILE *f)
{
    j->f = f;
    j->depth = 0;
    memset(j->need_comma, 0, sizeof(j->need_comma));
    j->len = 0;
}

void json_flush(struct json *j)
{
    if (j->len) {
        fwrite(j->buf, 1, j->len, j->f);
        j->len = 0;
    }
}

static void put(struct json *j, const void *p, size_t n)
{
    if (n > sizeof(j->buf) - j->len) {
        json_flush(j);
        if (n > sizeof(j->buf) / 2) {
            fwrite(p, 1, n, j->f);
            return;
        }
    }
    memcpy(j->buf + j->len, p, n);
    j->len += n;
}

static void putch(struct json *j, char c)
{
    if (j->len == sizeof(j->buf))
        json_flush(j);
    j->buf[j->len++] = c;
}

/* Keys are string literals of this program (json.h), never wire bytes, so
 * they are written as they are: escaping them on every line was measurable. */
static void prefix(struct json *j, const char *key, size_t n)
{
    if (j->need_comma[j->depth])
        putch(j, ',');
    j->need_comma[j->depth] = true;
    if (key) {
        if (n + 3 <= sizeof(j->buf) - j->len) {
            char *o = j->buf + j->len;

            o[0] = '"';
            memcpy(o + 1, key, n);
            o[n + 1] = '"';
            o[n + 2] = ':';
            j->len += n + 3;
        } else {
            putch(j, '"');
            put(j, key, n);
            put(j, "\":", 2);
        }
    }
}

/* The string escape of out_json_string, into the buffer. */
static void put_string(struct json *j, const uint8_t *p, size_t n)
{
    size_t i = 0;

    putch(j, '"');
    while (i < n) {
        size_t run = out_json_plain(p + i, n - i);

        put(j, p + i, run);
        i += run;
        if (i < n) {
            char esc[8];

            put(j, esc, out_json_escape_byte(p[i], esc));
            i++;
        }
    }
    putch(j, '"');
}

static void open_(struct json *j, const char *key, size_t klen, char c)
{
    prefix(j, key, klen);
    putch(j, c);
    if (j->depth + 1 < JSON_MAX_DEPTH)
        j->depth++;
    j->need_comma[j->depth] = false;
}

static void close_(struct json *j, char c)
{
    putch(j, c);
    if (j->depth > 0)
        j->depth--;
}

void json_obj_k(struct json *j, const char *key, size_t klen) { open_(j, key, klen, '{'); }
void json_obj_end(struct json *j) { close_(j, '}'); }
void json_arr_k(struct json *j, const char *key, size_t klen) { open_(j, key, klen, '['); }
void json_arr_end(struct json *j) { close_(j, ']'); }

void json_ascii_k(struct json *j, const char *key, size_t klen, const char *s)
{
    size_t n;

    prefix(j, key, klen);
    if (s == NULL) {
        put(j, "null", 4);
        return;
    }
    n = strlen(s);
#if defined(__SANITIZE_ADDRESS__)
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f || s[i] == '"' ||
            s[i] == '\\')
            abort();
#endif
    putch(j, '"');
    put(j, s, n);
    putch(j, '"');
}

void json_str_k(struct json *j, const char *key, size_t klen, const char *s)
{
    prefix(j, key, klen);
    if (s)
        put_string(j, (const uint8_t *)s, strlen(s));
    else
        put(j, "null", 4);
}

void json_strn_k(struct json *j, const char *key, size_t klen, const uint8_t *p, size_t n)
{
    prefix(j, key, klen);
    put_string(j, p, n);
}

void json_raw_k(struct json *j, const char *key, size_t klen, const char *text, size_t n)
{
    prefix(j, key, klen);
    put(j, text, n);
}

/* put_u64 writes |v| in decimal (fprintf was a visible share of a run). */
static void put_u64(struct json *j, uint64_t v)
{
    char b[20];
    size_t i = sizeof(b);

    do {
        b[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    put(j, b + i, sizeof(b) - i);
}

void json_u64_k(struct json *j, const char *key, size_t klen, uint64_t v)
{
    prefix(j, key, klen);
    put_u64(j, v);
}

void json_i64_k(struct json *j, const char *key, size_t klen, int64_t v)
{
    prefix(j, key, klen);
    if (v < 0) {
        putch(j, '-');
        put_u64(j, (uint64_t)0 - (uint64_t)v);
    } else {
        put_u64(j, (uint64_t)v);
    }
}

void json_bool_k(struct json *j, const char *key, size_t klen, bool v)
{
    prefix(j, key, klen);
    if (v)
        put(j, "true", 4);
    else
        put(j, "false", 5);
}

void json_null_k(struct json *j, const char *key, size_t klen)
{
    prefix(j, key, klen);
    put(j, "null", 4);
}

void json_end(struct json *j)
{
    putch(j, '\n');
    json_flush(j);
    j->depth = 0;
    j->need_comma[0] = false;
}
