/*
 * out.c - escaping and formatting shared by every report.
 */
#include "lib/out.h"

#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "lib/word8.h"

/* Days since 1970-01-01 to a proleptic Gregorian date (civil calendar
 * arithmetic in 400-year eras of 146097 days, each era starting on March 1
 * so that the leap day is the era's last day). */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    int64_t era, yr;
    unsigned doe, yoe, doy, mp;

    z += 719468;                                   /* shift the epoch to 0000-03-01 */
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = (unsigned)(z - era * 146097);            /* [0, 146096] */
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;   /* [0, 399] */
    yr = (int64_t)yoe + era * 400;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100); /* [0, 365] */
    mp = (5 * doy + 2) / 153;                      /* [0, 11], March first */
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yr + (*m <= 2);
}

static char *put2(char *o, unsigned v)
{
    o[0] = (char)('0' + v / 10);
    o[1] = (char)('0' + v % 10);
    return o + 2;
}

/* "00" to "99": two digits a division (a JSON line has some sixty numbers,
 * timestamps in microseconds of sixteen digits among them). */
static const char digits2[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

char *out_u64(char d[OUT_U64_MAX], uint64_t v)
{
    char *o = d + OUT_U64_MAX;

    while (v >= 100) {
        unsigned r = (unsigned)(v % 100);

        v /= 100;
        o -= 2;
        o[0] = digits2[2 * r];
        o[1] = digits2[2 * r + 1];
    }
    if (v >= 10) {
        o -= 2;
        o[0] = digits2[2 * v];
        o[1] = digits2[2 * v + 1];
    } else {
        *--o = (char)('0' + v);
    }
    return o;
}

/* days_from_civil is civil_from_days backwards: a proleptic Gregorian
 * date to days since 1970-01-01. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    int64_t era;
    unsigned yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = (unsigned)(y - era * 400);
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

/* num reads exactly |n| digits at |s|. */
static bool num(const char *s, int n, unsigned *out)
{
    unsigned v = 0;

    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    *out = v;
    return true;
}

bool out_time_parse_rfc3339(const char *s, uint64_t *us)
{
    unsigned y, mo, d, h, mi, sec, frac = 0;
    size_t n = strlen(s), i = 19;

    if (n < 20 || !num(s, 4, &y) || s[4] != '-' || !num(s + 5, 2, &mo) || s[7] != '-' ||
        !num(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't') || !num(s + 11, 2, &h) ||
        s[13] != ':' || !num(s + 14, 2, &mi) || s[16] != ':' || !num(s + 17, 2, &sec) ||
        y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
        return false;
    if (s[i] == '.') {
        unsigned scale = 100000;

        for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
            frac += (unsigned)(s[i] - '0') * scale;
            scale /= 10;
        }
    }
    if (i + 1 != n || (s[i] != 'Z' && s[i] != 'z'))
        return false;
    *us = ((uint64_t)days_from_civil(y, mo, d) * 86400u + h * 3600u + mi * 60u + sec) * 1000000u +
          frac;
    return true;
}

char *out_time_rfc3339(uint64_t us, char *buf, size_t size)
{
    time_t secs = (time_t)(us / 1000000u);
    struct tm tm;

    /* The common case by hand: snprintf was a visible share of every JSON
     * line (three timestamps each).  Years 1970..9999 print exactly as the
     * format below would; anything else takes the general path. */
    if (size >= 28 && us / 1000000u < 253402300800ull) {   /* < 10000-01-01 */
        uint64_t s = us / 1000000u, frac = us % 1000000u;
        unsigned sod = (unsigned)(s % 86400), m, d;
        int64_t y;
        char *o = buf;

        civil_from_days((int64_t)(s / 86400), &y, &m, &d);
        o = put2(o, (unsigned)(y / 100));
        o = put2(o, (unsigned)(y % 100));
        *o++ = '-';
        o = put2(o, m);
        *o++ = '-';
        o = put2(o, d);
        *o++ = 'T';
        o = put2(o, sod / 3600);
        *o++ = ':';
        o = put2(o, sod / 60 % 60);
        *o++ = ':';
        o = put2(o, sod % 60);
        *o++ = '.';
        for (int i = 5; i >= 0; i--) {
            o[i] = (char)('0' + frac % 10);
            frac /= 10;
        }
        o += 6;
        *o++ = 'Z';
        *o = '\0';
        return buf;
    }
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

static bool text_plain(uint8_t c)
{
    return c >= 0x20 && c < 0x7f;
}

void out_text_escaped(FILE *f, const uint8_t *p, size_t n)
{
    size_t run = 0;

    for (size_t i = 0; i < n; i++) {
        uint8_t c = p[i];

        if (text_plain(c)) {
            /* a backslash is doubled only where it would otherwise start an
             * escape: before 'x', before another backslash, and before a
             * byte that is written as "\xHH" */
            if (c != '\\' || (i + 1 < n && p[i + 1] != 'x' && p[i + 1] != '\\' &&
                              text_plain(p[i + 1])) || i + 1 == n)
                continue;
        }
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

/* html_hidden_len returns how many bytes of the character at p[0..n)
 * out_html_escaped writes as "\xHH" (0: the character is shown, as itself
 * or as an entity): controls, DEL, bytes that are not valid UTF-8, and the
 * code points that are invisible or reorder the text around them. */
static size_t html_hidden_len(const uint8_t *p, size_t n)
{
    size_t l;
    uint32_t cp;

    if (p[0] < 0x80)
        return p[0] < 0x20 || p[0] == 0x7f ? 1 : 0;
    if ((l = utf8_len(p, n)) == 0)
        return 1;
    cp = l == 2 ? (uint32_t)(p[0] & 0x1F) << 6 | (p[1] & 0x3F) :
         l == 3 ? (uint32_t)(p[0] & 0x0F) << 12 | (uint32_t)(p[1] & 0x3F) << 6 | (p[2] & 0x3F) :
         0x10000;   /* four bytes: nothing of the kind */
    if ((cp >= 0x80 && cp <= 0x9F) ||        /* C1 controls */
        cp == 0xAD ||                        /* soft hyphen */
        (cp >= 0x200B && cp <= 0x200F) ||    /* zero-width, LRM, RLM */
        (cp >= 0x2028 && cp <= 0x202E) ||    /* separators, embeddings, overrides */
        (cp >= 0x2060 && cp <= 0x2069) ||    /* word joiner .. isolates */
        cp == 0xFEFF)
        return l;
    return 0;
}

void out_html_escaped(FILE *f, const uint8_t *p, size_t n)
{
    size_t i = 0, run = 0;

    while (i < n) {
        uint8_t c = p[i];
        size_t hidden = html_hidden_len(p + i, n - i);
        const char *ent = NULL;

        if (hidden == 0) {
            switch (c) {
            case '&': ent = "&amp;"; break;
            case '<': ent = "&lt;"; break;
            case '>': ent = "&gt;"; break;
            case '"': ent = "&quot;"; break;
            case '\'': ent = "&#39;"; break;
            case '\\':
                /* doubled where out_text_escaped doubles it: before 'x',
                 * another backslash or a byte written as "\xHH" */
                if (i + 1 < n && (p[i + 1] == 'x' || p[i + 1] == '\\' ||
                                  html_hidden_len(p + i + 1, n - i - 1) > 0))
                    ent = "\\\\";
                break;
            default: break;
            }
            if (ent == NULL) {
                i += c < 0x80 ? 1 : utf8_len(p + i, n - i);
                continue;
            }
        }
        if (i > run)
            fwrite(p + run, 1, i - run, f);
        if (ent != NULL) {
            fputs(ent, f);
            i++;
        } else {
            for (size_t k = 0; k < hidden; k++)
                fprintf(f, "\\x%02X", p[i + k]);
            i += hidden;
        }
        run = i;
    }
    if (n > run)
        fwrite(p + run, 1, n - run, f);
}

void out_html_cstr(FILE *f, const char *s)
{
    if (s)
        out_html_escaped(f, (const uint8_t *)s, strlen(s));
    else
        fputc('-', f);
}

/* Bytes that go into a JSON string as they are: printable ASCII except the
 * quote and the backslash. */
static bool json_plain_ascii(uint8_t c)
{
    return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

/* True when one of the 8 bytes in |x| is not plain ASCII (a control, the
 * quote, the backslash, DEL, or any byte >= 0x80). */
static bool word_needs_look(uint64_t x)
{
    return ((x & W8_HIGHS) | w8_below(x, 0x20) | w8_has(x, '"') | w8_has(x, '\\') |
            w8_has(x, 0x7f)) != 0;
}

#if defined(__GNUC__)
/* Sixteen bytes at once where the compiler has vectors (SSE2 on x86-64,
 * NEON on arm64: both are the base of their architecture): a session's
 * JSON line is a couple of kilobytes of strings from the wire, and the
 * word-at-a-time scan below was a tenth of the analysis thread. */
typedef uint8_t v16u8 __attribute__((vector_size(16)));

static bool block_needs_look(const uint8_t *p)
{
    v16u8 v, bad;
    uint64_t h[2];

    memcpy(&v, p, 16);
    bad = (v < 0x20) | (v >= 0x7f) | (v == '"') | (v == '\\');
    memcpy(h, &bad, 16);
    return (h[0] | h[1]) != 0;
}
#endif

size_t out_json_plain(const uint8_t *p, size_t n)
{
    size_t i = 0;

    for (;;) {
        uint64_t w;
        size_t l;

#if defined(__GNUC__)
        while (n - i >= 16 && !block_needs_look(p + i))
            i += 16;
#endif
        while (n - i >= 8) {
            w = w8_load(p + i);
            if (word_needs_look(w))
                break;
            i += 8;
        }
        if (i >= n)
            return n;
        if (json_plain_ascii(p[i]))
            i++;
        else if (p[i] >= 0x80 && (l = utf8_len(p + i, n - i)) > 0)
            i += l;
        else
            return i;
    }
}

size_t out_json_escape_byte(uint8_t c, char out[8])
{
    static const char hex[] = "0123456789abcdef";

    switch (c) {
    case '"': memcpy(out, "\\\"", 2); return 2;
    case '\\': memcpy(out, "\\\\", 2); return 2;
    case '\n': memcpy(out, "\\n", 2); return 2;
    case '\r': memcpy(out, "\\r", 2); return 2;
    case '\t': memcpy(out, "\\t", 2); return 2;
    default: /* controls, DEL, bytes not UTF-8 */
        memcpy(out, "\\u00", 4);
        out[4] = hex[c >> 4];
        out[5] = hex[c & 15];
        return 6;
    }
}

void out_json_string(FILE *f, const uint8_t *p, size_t n)
{
    size_t i = 0;

    putc('"', f);
    while (i < n) {
        size_t run = out_json_plain(p + i, n - i);
        char esc[8];

        if (run)
            fwrite(p + i, 1, run, f);
        i += run;
        if (i < n) {
            fwrite(esc, 1, out_json_escape_byte(p[i], esc), f);
            i++;
        }
    }
    putc('"', f);
}

void out_json_cstr(FILE *f, const char *s)
{
    if (!s)
        fputs("null", f);
    else
        out_json_string(f, (const uint8_t *)s, strlen(s));
}
