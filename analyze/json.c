/*
 * json.c - streaming JSON writer (see json.h).
 */
#include "json.h"

#include <string.h>

#include "out.h"

void json_init(struct json *j, FILE *f)
{
    memset(j, 0, sizeof(*j));
    j->f = f;
}

/* Keys are string literals of this program (json.h), never wire bytes, so
 * they are written as they are: escaping them on every line was measurable. */
static void prefix(struct json *j, const char *key)
{
    if (j->need_comma[j->depth])
        putc(',', j->f);
    j->need_comma[j->depth] = true;
    if (key) {
        putc('"', j->f);
        fputs(key, j->f);
        fputs("\":", j->f);
    }
}

static void open_(struct json *j, const char *key, char c)
{
    prefix(j, key);
    putc(c, j->f);
    if (j->depth + 1 < JSON_MAX_DEPTH)
        j->depth++;
    j->need_comma[j->depth] = false;
}

static void close_(struct json *j, char c)
{
    putc(c, j->f);
    if (j->depth > 0)
        j->depth--;
}

void json_obj(struct json *j, const char *key) { open_(j, key, '{'); }
void json_obj_end(struct json *j) { close_(j, '}'); }
void json_arr(struct json *j, const char *key) { open_(j, key, '['); }
void json_arr_end(struct json *j) { close_(j, ']'); }

void json_str(struct json *j, const char *key, const char *s)
{
    prefix(j, key);
    out_json_cstr(j->f, s);
}

void json_strn(struct json *j, const char *key, const uint8_t *p, size_t n)
{
    prefix(j, key);
    out_json_string(j->f, p, n);
}

void json_raw(struct json *j, const char *key, const char *text, size_t n)
{
    prefix(j, key);
    fwrite(text, 1, n, j->f);
}

/* put_u64 writes |v| in decimal (fprintf was a visible share of a run). */
static void put_u64(FILE *f, uint64_t v)
{
    char b[20];
    size_t i = sizeof(b);

    do {
        b[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    fwrite(b + i, 1, sizeof(b) - i, f);
}

void json_u64(struct json *j, const char *key, uint64_t v)
{
    prefix(j, key);
    put_u64(j->f, v);
}

void json_i64(struct json *j, const char *key, int64_t v)
{
    prefix(j, key);
    if (v < 0) {
        putc('-', j->f);
        put_u64(j->f, (uint64_t)0 - (uint64_t)v);
    } else {
        put_u64(j->f, (uint64_t)v);
    }
}

void json_bool(struct json *j, const char *key, bool v)
{
    prefix(j, key);
    fputs(v ? "true" : "false", j->f);
}

void json_null(struct json *j, const char *key)
{
    prefix(j, key);
    fputs("null", j->f);
}

void json_end(struct json *j)
{
    putc('\n', j->f);
    j->depth = 0;
    j->need_comma[0] = false;
}
