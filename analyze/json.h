/*
 * json.h - a small streaming JSON writer that keeps the commas right.
 * Every string goes through out_json_string, so the output is always valid
 * JSON whatever bytes came from the wire.
 */
#ifndef MXW_JSON_H
#define MXW_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 16

struct json {
    FILE *f;
    int depth;
    bool need_comma[JSON_MAX_DEPTH];
};

void json_init(struct json *j, FILE *f);
/* Keys are string literals of the program (written unescaped); values from
 * anywhere.  Objects and arrays; |key| is NULL inside arrays and at the top level. */
void json_obj(struct json *j, const char *key);
void json_obj_end(struct json *j);
void json_arr(struct json *j, const char *key);
void json_arr_end(struct json *j);
/* Values; |key| NULL inside arrays. */
void json_str(struct json *j, const char *key, const char *s);          /* NULL -> null */
void json_strn(struct json *j, const char *key, const uint8_t *p, size_t n);
void json_u64(struct json *j, const char *key, uint64_t v);
void json_i64(struct json *j, const char *key, int64_t v);
void json_bool(struct json *j, const char *key, bool v);
void json_null(struct json *j, const char *key);
/* json_raw writes |n| bytes that already are one JSON value (for text
 * encoded once and written many times, such as x509_info.pem_json). */
void json_raw(struct json *j, const char *key, const char *text, size_t n);
/* json_end finishes a top-level value with a newline (one JSON line). */
void json_end(struct json *j);

#endif
