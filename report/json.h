/*
 * json.h - a small streaming JSON writer that keeps the commas right.
 * Every string is escaped as out_json_string does, so the output is always
 * valid JSON whatever bytes came from the wire.
 *
 * A value is built in the struct's own buffer and handed to the FILE in
 * large pieces (at the latest by json_end): a JSON line is a hundred small
 * writes, and one stdio call each was a visible share of a run.  So nothing
 * else may write to the FILE between json_init and json_end (or json_flush).
 */
#ifndef MXW_JSON_H
#define MXW_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define JSON_MAX_DEPTH 16
#define JSON_BUF_SIZE 16384

struct json {
    FILE *f;
    int depth;
    bool need_comma[JSON_MAX_DEPTH];
    size_t len;                  /* bytes in buf not yet written to f */
    char buf[JSON_BUF_SIZE];
};

void json_init(struct json *j, FILE *f);
/* json_end finishes a top-level value with a newline (one JSON line) and
 * writes what is buffered to the FILE. */
void json_end(struct json *j);
/* json_flush writes what is buffered to the FILE (json_end does it too). */
void json_flush(struct json *j);

/* Keys are string literals of the program (written unescaped); values from
 * anywhere.  Objects and arrays; |key| is NULL inside arrays and at the top level. */
/* Each takes the key with its length (json_*_k); the short names below pass
 * strlen(key), which the compiler works out for a literal, so no key is
 * measured at run time.
 *
 * The comma, the key and the punctuation are written inline: a session's
 * line has some three hundred of them, and with the key's length known
 * where it is written, each is a few stores.  Values go through the
 * functions in json.c. */

/* json_prefix_slow_ is json_prefix_ when the buffer is nearly full. */
void json_prefix_slow_(struct json *j, const char *key, size_t klen);
void json_putc_slow_(struct json *j, char c);
void json_put_string_(struct json *j, const uint8_t *p, size_t n);
void json_put_u64_(struct json *j, uint64_t v);
void json_put_(struct json *j, const void *p, size_t n);
void json_put_ascii_(struct json *j, const char *s);

/* The comma if one is due, then "key": unless |key| is NULL. */
static inline void json_prefix_(struct json *j, const char *key, size_t klen)
{
    if (klen + 4 <= sizeof(j->buf) - j->len) {
        char *o = j->buf + j->len;
        size_t comma = j->need_comma[j->depth];

        o[0] = ',';               /* kept only if due */
        o += comma;
        j->len += comma;
        j->need_comma[j->depth] = true;
        if (key) {
            o[0] = '"';
            memcpy(o + 1, key, klen);
            o[klen + 1] = '"';
            o[klen + 2] = ':';
            j->len += klen + 3;
        }
        return;
    }
    json_prefix_slow_(j, key, klen);
}

static inline void json_putc_(struct json *j, char c)
{
    if (j->len < sizeof(j->buf))
        j->buf[j->len++] = c;
    else
        json_putc_slow_(j, c);
}

static inline void json_open_(struct json *j, const char *key, size_t klen, char c)
{
    json_prefix_(j, key, klen);
    json_putc_(j, c);
    if (j->depth + 1 < JSON_MAX_DEPTH)
        j->depth++;
    j->need_comma[j->depth] = false;
}

static inline void json_close_(struct json *j, char c)
{
    json_putc_(j, c);
    if (j->depth > 0)
        j->depth--;
}

static inline void json_obj_k(struct json *j, const char *key, size_t klen)
{
    json_open_(j, key, klen, '{');
}

static inline void json_obj_end(struct json *j) { json_close_(j, '}'); }

static inline void json_arr_k(struct json *j, const char *key, size_t klen)
{
    json_open_(j, key, klen, '[');
}

static inline void json_arr_end(struct json *j) { json_close_(j, ']'); }

static inline void json_str_k(struct json *j, const char *key, size_t klen, const char *s)
{
    json_prefix_(j, key, klen);
    if (s)
        json_put_string_(j, (const uint8_t *)s, strlen(s));
    else
        json_put_(j, "null", 4);
}

static inline void json_strn_k(struct json *j, const char *key, size_t klen, const uint8_t *p,
                               size_t n)
{
    json_prefix_(j, key, klen);
    json_put_string_(j, p, n);
}

static inline void json_u64_k(struct json *j, const char *key, size_t klen, uint64_t v)
{
    json_prefix_(j, key, klen);
    json_put_u64_(j, v);
}

static inline void json_i64_k(struct json *j, const char *key, size_t klen, int64_t v)
{
    json_prefix_(j, key, klen);
    if (v < 0) {
        json_putc_(j, '-');
        json_put_u64_(j, (uint64_t)0 - (uint64_t)v);
    } else {
        json_put_u64_(j, (uint64_t)v);
    }
}

static inline void json_bool_k(struct json *j, const char *key, size_t klen, bool v)
{
    json_prefix_(j, key, klen);
    if (v)
        json_put_(j, "true", 4);
    else
        json_put_(j, "false", 5);
}

static inline void json_null_k(struct json *j, const char *key, size_t klen)
{
    json_prefix_(j, key, klen);
    json_put_(j, "null", 4);
}

static inline void json_raw_k(struct json *j, const char *key, size_t klen, const char *text,
                              size_t n)
{
    json_prefix_(j, key, klen);
    json_put_(j, text, n);
}

static inline void json_ascii_k(struct json *j, const char *key, size_t klen, const char *s)
{
    json_prefix_(j, key, klen);
    json_put_ascii_(j, s);
}

#define JSON_KLEN_(key) ((key) ? strlen(key) : 0)

/* The short names are always inlined where they are called, so that the
 * length of a literal key is worked out there: left to itself the compiler
 * made them functions of their own in json_lines.c, and measured every key
 * at run time (some two million strlen calls for 44,000 sessions). */
#define JSON_SHORT_ static inline __attribute__((always_inline))

JSON_SHORT_ void json_obj(struct json *j, const char *key)
{
    json_obj_k(j, key, JSON_KLEN_(key));
}

JSON_SHORT_ void json_arr(struct json *j, const char *key)
{
    json_arr_k(j, key, JSON_KLEN_(key));
}

/* Values; |key| NULL inside arrays. */
JSON_SHORT_ void json_str(struct json *j, const char *key, const char *s) /* NULL -> null */
{
    json_str_k(j, key, JSON_KLEN_(key), s);
}

JSON_SHORT_ void json_strn(struct json *j, const char *key, const uint8_t *p, size_t n)
{
    json_strn_k(j, key, JSON_KLEN_(key), p, n);
}

JSON_SHORT_ void json_u64(struct json *j, const char *key, uint64_t v)
{
    json_u64_k(j, key, JSON_KLEN_(key), v);
}

JSON_SHORT_ void json_i64(struct json *j, const char *key, int64_t v)
{
    json_i64_k(j, key, JSON_KLEN_(key), v);
}

JSON_SHORT_ void json_bool(struct json *j, const char *key, bool v)
{
    json_bool_k(j, key, JSON_KLEN_(key), v);
}

JSON_SHORT_ void json_null(struct json *j, const char *key)
{
    json_null_k(j, key, JSON_KLEN_(key));
}

/* json_ascii writes a string this program made (hex digests, times,
 * addresses, names from its own tables, JA3 strings): printable ASCII with
 * no '"' or '\\', so it is written without the escape scan.  Never for
 * bytes from the wire.  NULL -> null.  (Sanitizer builds check the promise.) */
JSON_SHORT_ void json_ascii(struct json *j, const char *key, const char *s)
{
    json_ascii_k(j, key, JSON_KLEN_(key), s);
}

/* json_raw writes |n| bytes that already are one JSON value (for text
 * encoded once and written many times, such as x509_info.pem_json). */
JSON_SHORT_ void json_raw(struct json *j, const char *key, const char *text, size_t n)
{
    json_raw_k(j, key, JSON_KLEN_(key), text, n);
}

#endif
