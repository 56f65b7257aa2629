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
/* Keys are string literals of the program (written unescaped); values from
 * anywhere.  Objects and arrays; |key| is NULL inside arrays and at the top level. */
/* Each takes the key with its length (json_*_k); the short names below pass
 * strlen(key), which the compiler works out for a literal, so no key is
 * measured at run time. */
void json_obj_k(struct json *j, const char *key, size_t klen);
void json_obj_end(struct json *j);
void json_arr_k(struct json *j, const char *key, size_t klen);
void json_arr_end(struct json *j);
void json_str_k(struct json *j, const char *key, size_t klen, const char *s);
void json_strn_k(struct json *j, const char *key, size_t klen, const uint8_t *p, size_t n);
void json_u64_k(struct json *j, const char *key, size_t klen, uint64_t v);
void json_i64_k(struct json *j, const char *key, size_t klen, int64_t v);
void json_bool_k(struct json *j, const char *key, size_t klen, bool v);
void json_null_k(struct json *j, const char *key, size_t klen);
void json_raw_k(struct json *j, const char *key, size_t klen, const char *text, size_t n);
void json_ascii_k(struct json *j, const char *key, size_t klen, const char *s);

#define JSON_KLEN_(key) ((key) ? strlen(key) : 0)

static inline void json_obj(struct json *j, const char *key)
{
    json_obj_k(j, key, JSON_KLEN_(key));
}

static inline void json_arr(struct json *j, const char *key)
{
    json_arr_k(j, key, JSON_KLEN_(key));
}

/* Values; |key| NULL inside arrays. */
static inline void json_str(struct json *j, const char *key, const char *s) /* NULL -> null */
{
    json_str_k(j, key, JSON_KLEN_(key), s);
}

static inline void json_strn(struct json *j, const char *key, const uint8_t *p, size_t n)
{
    json_strn_k(j, key, JSON_KLEN_(key), p, n);
}

static inline void json_u64(struct json *j, const char *key, uint64_t v)
{
    json_u64_k(j, key, JSON_KLEN_(key), v);
}

static inline void json_i64(struct json *j, const char *key, int64_t v)
{
    json_i64_k(j, key, JSON_KLEN_(key), v);
}

static inline void json_bool(struct json *j, const char *key, bool v)
{
    json_bool_k(j, key, JSON_KLEN_(key), v);
}

static inline void json_null(struct json *j, const char *key)
{
    json_null_k(j, key, JSON_KLEN_(key));
}

/* json_ascii writes a string this program made (hex digests, times,
 * addresses, names from its own tables, JA3 strings): printable ASCII with
 * no '"' or '\\', so it is written without the escape scan.  Never for
 * bytes from the wire.  NULL -> null.  (Sanitizer builds check the promise.) */
static inline void json_ascii(struct json *j, const char *key, const char *s)
{
    json_ascii_k(j, key, JSON_KLEN_(key), s);
}

/* json_raw writes |n| bytes that already are one JSON value (for text
 * encoded once and written many times, such as x509_info.pem_json). */
static inline void json_raw(struct json *j, const char *key, const char *text, size_t n)
{
    json_raw_k(j, key, JSON_KLEN_(key), text, n);
}

/* json_end finishes a top-level value with a newline (one JSON line) and
 * writes what is buffered to the FILE. */
void json_end(struct json *j);
/* json_flush writes what is buffered to the FILE (json_end does it too). */
void json_flush(struct json *j);

#endif
