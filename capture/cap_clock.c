/*
 * cap_clock.c - the plausibility of capture clocks (see cap_clock.h).
 */
#include "capture/cap_clock.h"

#include <stdio.h>
#include <stdlib.h>

#include "lib/out.h"

struct clock_point {
    bool started;
    bool said;
    uint64_t ref_us;           /* the point's recent time, not moved by far packets */
};

struct cap_clock {
    struct clock_point *pt;
    size_t n;
};

struct cap_clock *cap_clock_new(void)
{
    return calloc(1, sizeof(struct cap_clock));
}

void cap_clock_free(struct cap_clock *c)
{
    if (c == NULL)
        return;
    free(c->pt);
    free(c);
}

static struct clock_point *point_of(struct cap_clock *c, unsigned point)
{
    if (point >= c->n) {
        size_t n = (size_t)point + 8;
        struct clock_point *v = realloc(c->pt, n * sizeof(*v));

        if (v == NULL)
            return NULL;
        for (size_t i = c->n; i < n; i++)
            v[i] = (struct clock_point){0};
        c->pt = v;
        c->n = n;
    }
    return &c->pt[point];
}

bool cap_clock_packet(struct cap_clock *c, unsigned point, uint64_t ts_us,
                      struct cap_clock_event *ev)
{
    struct clock_point *p = point_of(c, point);
    char t[40], r[40];
    uint64_t d;

    if (p == NULL || p->said)
        return false;
    if (ts_us < CAP_CLOCK_EPOCH_MIN_US) {
        ev->problem = CAP_CLOCK_BEFORE_2000;
        ev->ref_us = 0;
        snprintf(ev->what, sizeof(ev->what), "the capture clock says %s, before 2000-01-01",
                 out_time_rfc3339(ts_us, t, sizeof(t)));
    } else if (!p->started) {
        p->started = true;
        p->ref_us = ts_us;
        return false;
    } else if ((d = ts_us > p->ref_us ? ts_us - p->ref_us : p->ref_us - ts_us) >
               CAP_CLOCK_FAR_US) {
        ev->problem = CAP_CLOCK_FAR;
        ev->ref_us = p->ref_us;
        snprintf(ev->what, sizeof(ev->what), "a packet at %s is %llu day(s) %s the capture's "
                 "other timestamps (%s)", out_time_rfc3339(ts_us, t, sizeof(t)),
                 (unsigned long long)(d / CAP_CLOCK_FAR_US),
                 ts_us > p->ref_us ? "ahead of" : "behind",
                 out_time_rfc3339(p->ref_us, r, sizeof(r)));
    } else {
        if (ts_us > p->ref_us)
            p->ref_us = ts_us;
        return false;
    }
    p->said = true;
    ev->point = point;
    ev->ts_us = ts_us;
    return true;
}

bool cap_clock_implausible(const struct cap_clock *c, unsigned point)
{
    return point < c->n && c->pt[point].said;
}
