/*
 * json.c - streaming JSON writer (see json.h): the value writers and the
 * slow paths of the inline ones.
 */
#include "report/json.h"

#include <stdlib.h>
#include <string.h>

#include "lib/out.h"

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

void json_put_(struct json *j, const void *p, size_t n)
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

void json_putc_slow_(struct json *j, char c)
{
    json_flush(j);
    j->buf[j->len++] = c;
}

/* Keys are string literals of this program (json.h), never wire bytes, so
 * they are written as they are: escaping them on every line was measurable. */
void json_prefix_slow_(struct json *j, const char *key, size_t klen)
{
    if (j->need_comma[j->depth])
        json_putc_(j, ',');
    j->need_comma[j->depth] = true;
    if (key) {
        json_putc_(j, '"');
        json_put_(j, key, klen);
        json_put_(j, "\":", 2);
    }
}

/* The string escape of out_json_string, into the buffer. */
void json_put_string_(struct json *j, const uint8_t *p, size_t n)
{
    size_t i = 0;

    json_putc_(j, '"');
    while (i < n) {
        size_t run = out_json_plain(p + i, n - i);

        json_put_(j, p + i, run);
        i += run;
        if (i < n) {
            char esc[8];

            json_put_(j, esc, out_json_escape_byte(p[i], esc));
            i++;
        }
    }
    json_putc_(j, '"');
}

void json_put_ascii_(struct json *j, const char *s)
{
    size_t n;

    if (s == NULL) {
        json_put_(j, "null", 4);
        return;
    }
    n = strlen(s);
#if defined(__SANITIZE_ADDRESS__)
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f || s[i] == '"' ||
            s[i] == '\\')
            abort();
#endif
    if (n + 2 <= sizeof(j->buf) - j->len) {
        char *o = j->buf + j->len;

        o[0] = '"';
        memcpy(o + 1, s, n);
        o[n + 1] = '"';
        j->len += n + 2;
        return;
    }
    json_putc_(j, '"');
    json_put_(j, s, n);
    json_putc_(j, '"');
}

/* json_put_u64_ writes |v| in decimal (fprintf was a visible share of a run). */
void json_put_u64_(struct json *j, uint64_t v)
{
    char b[OUT_U64_MAX], *d = out_u64(b, v);

    json_put_(j, d, (size_t)(b + sizeof(b) - d));
}

void json_end(struct json *j)
{
    json_putc_(j, '\n');
    json_flush(j);
    j->depth = 0;
    j->need_comma[0] = false;
}
