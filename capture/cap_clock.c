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
    bool pending;              /* the last packet was far from ref_us: pending_us */
    uint64_t ref_us;           /* the point's recent time, not moved by far packets */
    uint64_t pending_us;
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

static uint64_t distance(uint64_t a, uint64_t b)
{
    return a > b ? a - b : b - a;
}

/* say fills |ev| for a point found implausible and marks it said. */
static bool say(struct clock_point *p, unsigned point, enum cap_clock_problem problem,
                uint64_t ts_us, struct cap_clock_event *ev)
{
    char t[40], r[40];

    ev->point = point;
    ev->problem = problem;
    ev->ts_us = ts_us;
    ev->ref_us = problem == CAP_CLOCK_FAR ? p->ref_us : 0;
    if (problem == CAP_CLOCK_BEFORE_2000)
        snprintf(ev->what, sizeof(ev->what), "the capture clock says %s, before 2000-01-01",
                 out_time_rfc3339(ts_us, t, sizeof(t)));
    else
        snprintf(ev->what, sizeof(ev->what), "a packet at %s is %llu day(s) %s the capture's "
                 "other timestamps (%s)", out_time_rfc3339(ts_us, t, sizeof(t)),
                 (unsigned long long)(distance(ts_us, p->ref_us) / CAP_CLOCK_FAR_US),
                 ts_us > p->ref_us ? "ahead of" : "behind",
                 out_time_rfc3339(p->ref_us, r, sizeof(r)));
    p->said = true;
    p->pending = false;
    return true;
}

bool cap_clock_packet(struct cap_clock *c, unsigned point, bool live, uint64_t ts_us,
                      struct cap_clock_event *ev)
{
    struct clock_point *p = point_of(c, point);

    if (p == NULL || p->said)
        return false;
    if (ts_us < CAP_CLOCK_EPOCH_MIN_US)
        return say(p, point, CAP_CLOCK_BEFORE_2000, ts_us, ev);
    if (live)
        return false;
    if (!p->started) {
        p->started = true;
        p->ref_us = ts_us;
        return false;
    }
    if (distance(ts_us, p->ref_us) <= CAP_CLOCK_FAR_US) {
        if (p->pending)          /* back near the clock: the far one was alone */
            return say(p, point, CAP_CLOCK_FAR, p->pending_us, ev);
        if (ts_us > p->ref_us)
            p->ref_us = ts_us;
        return false;
    }
    if (p->pending && distance(ts_us, p->pending_us) <= CAP_CLOCK_FAR_US) {
        p->pending = false;      /* two agree: a gap in the capture */
        p->ref_us = ts_us;
        return false;
    }
    if (p->pending)              /* two far ones that disagree: the first was alone */
        return say(p, point, CAP_CLOCK_FAR, p->pending_us, ev);
    p->pending = true;
    p->pending_us = ts_us;
    return false;
}

bool cap_clock_finish(struct cap_clock *c, unsigned point, struct cap_clock_event *ev)
{
    struct clock_point *p;

    if (point >= c->n)
        return false;
    p = &c->pt[point];
    ev->problem = CAP_CLOCK_OK;
    if (p->pending && !p->said)
        say(p, point, CAP_CLOCK_FAR, p->pending_us, ev);
    return true;
}

bool cap_clock_implausible(const struct cap_clock *c, unsigned point)
{
    return point < c->n && c->pt[point].said;
}
