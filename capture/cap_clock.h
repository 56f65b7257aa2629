/*
 * cap_clock.h - is a capture point's clock believable?  Certificate
 * validity is judged at the capture time, so a capture whose clock says
 * 1970 would find every certificate NOT_YET_VALID, and one packet stamped
 * ten years ahead would find its session's certificate EXPIRED, with
 * nothing said about the clock.  cap_clock watches each point's packet
 * times and tells, once per point, when they cannot be right.
 */
#ifndef MXW_CAP_CLOCK_H
#define MXW_CAP_CLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Before this (2000-01-01T00:00:00Z) a capture clock was never set. */
#define CAP_CLOCK_EPOCH_MIN_US (946684800ull * 1000000u)
/* A packet further than this from its point's recent packets: one day. */
#define CAP_CLOCK_FAR_US (86400ull * 1000000u)

enum cap_clock_problem {
    CAP_CLOCK_OK = 0,
    CAP_CLOCK_BEFORE_2000,     /* the time is before 2000-01-01 */
    CAP_CLOCK_FAR,             /* a packet more than a day from the point's others */
};

struct cap_clock_event {
    unsigned point;
    enum cap_clock_problem problem;
    uint64_t ts_us;            /* the packet's time */
    uint64_t ref_us;           /* CAP_CLOCK_FAR: the point's clock before it */
    char what[160];            /* "the capture clock says 1970-01-01T00:00:00.000000Z, before
                                  2000-01-01" */
};

struct cap_clock;

/* cap_clock_new returns an empty watch (NULL on allocation failure);
 * cap_clock_free frees it (NULL is a no-op). */
struct cap_clock *cap_clock_new(void);
void cap_clock_free(struct cap_clock *c);

/* cap_clock_packet looks at a packet of capture point |point| captured at
 * |ts_us|; true the first time the point's clock is found implausible,
 * with |ev| filled (later packets of that point: false).  Before 2000 is
 * found at once.  A packet more than a day from the point's clock is
 * found at the next packet, when that one is back near the clock (a
 * second packet that agrees with it is a gap in the capture, and the
 * point's clock follows).  A |live| point's clock is the system's, so
 * only the first test applies: a sensor may see no mail for a day. */
bool cap_clock_packet(struct cap_clock *c, unsigned point, bool live, uint64_t ts_us,
                      struct cap_clock_event *ev);

/* cap_clock_finish, at the end of the input: true while |point| is a
 * point that was watched, with |ev| filled when its last packet was a far
 * one (problem CAP_CLOCK_OK otherwise); false past the last point. */
bool cap_clock_finish(struct cap_clock *c, unsigned point, struct cap_clock_event *ev);

/* cap_clock_implausible: the clock of |point| was found implausible. */
bool cap_clock_implausible(const struct cap_clock *c, unsigned point);

#endif
