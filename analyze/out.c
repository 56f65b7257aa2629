/*
 * out.c - escaping and formatting shared by every report.
 */
#include "out.h"

#include <string.h>
#include <time.h>

char *out_time_rfc3339(uint64_t us, char *buf, size_t size)
{
    time_t secs = (time_t)(us / 1000000u);
    struct tm tm;

    if (!gmtime_r(&secs, &tm)) {
        snprintf(buf, size, "@%llu.%06u", (unsigned long long)(us / 1000000u),
                 (unsigned)(us % 1000000u));
        return buf;
    }
    snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%06uZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
             (unsigned)(us % 1000000u));
    return buf;
}

char *out_endpoint(const struct cap_addr *a, uint16_t port, char *buf, size_t size)
{
    char ab[64];

    cap_addr_format(a, ab, sizeof(ab));
    if (a->family == 6)
        snprintf(buf, size, "[%s]:%u", ab, port);
    else
        snprintf(buf, size, "%s:%u", ab, port);
    return buf;
}

void out_text_escaped(FILE *f, const uint8_t *p, size_t n)
{
    size_t run = 0;

    for (size_t i = 0; i < n; i++) {
        uint8_t c = p[i];

        if (c >= 0x20 && c < 0x7f && c != '\\')
            continue;
        if (i > run)
            fwrite(p + run, 1, i - run, f);
        if (c == '\\')
            fputs("\\\\", f);
        else
            fprintf(f, "\\x%02X", c);
        run = i + 1;
    }
    if (n > run)
        fwrite(p + run, 1, n - run, f);
}

/* Length of the valid UTF-8 sequence at p[0..n), or 0 (RFC 3629 §4). */
static size_t utf8_len(const uint8_t *p, size_t n)
{
    size_t len;
    uint32_t cp;

    if (p[0] < 0x80)
        return 1;
    if (p[0] >= 0xC2 && p[0] <= 0xDF)
        len = 2, cp = p[0] & 0x1Fu;
    else if (p[0] >= 0xE0 && p[0] <= 0xEF)
        len = 3, cp = p[0] & 0x0Fu;
    else if (p[0] >= 0xF0 && p[0] <= 0xF4)
        len = 4, cp = p[0] & 0x07u;
    else
        return 0;
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3Fu);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
        return 0;
    return len;
}

void out_json_string(FILE *f, const uint8_t *p, size_t n)
{
    size_t run = 0; /* start of the bytes that need no escape, written in one go */

    putc('"', f);
    for (size_t i = 0; i < n;) {
        uint8_t c = p[i];
        size_t l;

        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
            i++;
            continue;
        }
        if (c >= 0x80 && (l = utf8_len(p + i, n - i)) > 0) {
            i += l;
            continue;
        }
        if (i > run)
            fwrite(p + run, 1, i - run, f);
        switch (c) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        default: fprintf(f, "\\u%04x", c); break; /* controls, DEL, bytes not UTF-8 */
        }
        run = ++i;
    }
    if (n > run)
        fwrite(p + run, 1, n - run, f);
    putc('"', f);
}

void out_json_cstr(FILE *f, const char *s)
{
    if (!s)
        fputs("null", f);
    else
        out_json_string(f, (const uint8_t *)s, strlen(s));
}
