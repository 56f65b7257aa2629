/*
 * progress.c - the progress line (see progress.h).
 */
#include "report/progress.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

struct progress {
    FILE *err;
    const char *what;
    uint64_t start_us, next_us;
    unsigned count;
    size_t drawn;                  /* the length of the line on screen, 0 none */
};

static uint64_t mono_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

struct progress *progress_new(FILE *err, const char *what)
{
    struct progress *p = calloc(1, sizeof(*p));

    if (p == NULL)
        return NULL;
    p->err = err;
    p->what = what;
    p->start_us = mono_us();
    p->next_us = p->start_us + 1000000u;
    return p;
}

bool progress_due(struct progress *p)
{
    uint64_t now;

    if (++p->count < 4096)
        return false;
    p->count = 0;
    now = mono_us();
    if (now < p->next_us)
        return false;
    p->next_us = now + 1000000u;
    return true;
}

/* 1.2 GB, 340 MB, 12 kB, 512 B (powers of 1000, as file managers show) */
static void size_text(char *buf, size_t size, uint64_t n)
{
    static const char *const unit[] = {"kB", "MB", "GB", "TB", "PB"};
    double v = (double)n;
    size_t u = 0;

    if (n < 1000) {
        snprintf(buf, size, "%llu B", (unsigned long long)n);
        return;
    }
    v /= 1000.0;
    while (v >= 1000.0 && u + 1 < sizeof(unit) / sizeof(unit[0])) {
        v /= 1000.0;
        u++;
    }
    snprintf(buf, size, v < 10.0 ? "%.1f %s" : "%.0f %s", v, unit[u]);
}

/* 12,345,678 */
static void count_text(char *buf, size_t size, uint64_t n)
{
    char digits[32];
    size_t len = (size_t)snprintf(digits, sizeof(digits), "%llu", (unsigned long long)n), o = 0;

    for (size_t i = 0; i < len && o + 2 < size; i++) {
        if (i > 0 && (len - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = digits[i];
    }
    buf[o] = '\0';
}

void progress_format(char *buf, size_t size, const char *what, uint64_t done, uint64_t total,
                     uint64_t sessions, uint64_t elapsed_us)
{
    char a[32], b[32], c[40];

    count_text(c, sizeof(c), sessions);
    size_text(a, sizeof(a), done);
    if (total > 0) {
        size_text(b, sizeof(b), total);
        snprintf(buf, size, "mxwitness: %u%% of %s (%s), %s session%s, %.1f s",
                 (unsigned)(done >= total ? 100 : done * 100 / total), what, b, c,
                 sessions == 1 ? "" : "s", (double)elapsed_us / 1e6);
    } else {
        snprintf(buf, size, "mxwitness: %s read of %s, %s session%s, %.1f s", a, what, c,
                 sessions == 1 ? "" : "s", (double)elapsed_us / 1e6);
    }
}

void progress_draw(struct progress *p, const struct cap_source *src, uint64_t sessions)
{
    char line[512];
    uint64_t done, total;
    size_t n;

    cap_source_progress(src, &done, &total);
    progress_format(line, sizeof(line), p->what, done, total, sessions,
                    mono_us() - p->start_us);
    n = strlen(line);
    /* over the previous line: spaces where it was longer */
    fprintf(p->err, "\r%s%*s", line, p->drawn > n ? (int)(p->drawn - n) : 0, "");
    fflush(p->err);
    p->drawn = n;
}

void progress_free(struct progress *p)
{
    if (p == NULL)
        return;
    if (p->drawn > 0) {
        fprintf(p->err, "\r%*s\r", (int)p->drawn, "");
        fflush(p->err);
    }
    free(p);
}
