/*
 * events.c - the run's own events (see events.h).
 */
#include "report/events.h"

#include "lib/out.h"
#include "report/json.h"

static const char *problem_name(enum cap_clock_problem p)
{
    switch (p) {
    case CAP_CLOCK_BEFORE_2000: return "before_2000";
    case CAP_CLOCK_FAR: return "far_from_other_packets";
    default: return "ok";
    }
}

void report_clock_event(FILE *out, bool json, const struct cap_clock_event *ev,
                        const char *label, bool at_set, int64_t at)
{
    char t[40], judged[96];
    struct json j;

    if (at_set)
        snprintf(judged, sizeof(judged), "%s (--at)",
                 out_time_rfc3339(at > 0 ? (uint64_t)at * 1000000u : 0, t, sizeof(t)));
    else
        snprintf(judged, sizeof(judged), "each session's capture time");
    fprintf(stderr, "mxwitness: warning: %s: %s; certificate validity is judged as of %s%s\n",
            label, ev->what, judged, at_set ? "" : " (--at TIME judges at another time)");
    if (!json)
        return;
    json_init(&j, out);
    json_obj(&j, NULL);
    json_ascii(&j, "@timestamp", out_time_rfc3339(ev->ts_us, t, sizeof(t)));
    json_obj(&j, "event");
    json_ascii(&j, "dataset", "mxwitness.clock");
    json_obj_end(&j);
    json_obj(&j, "observer");
    json_str(&j, "name", label);
    json_obj_end(&j);
    json_obj(&j, "mxwitness");
    json_obj(&j, "clock");
    json_ascii(&j, "problem", problem_name(ev->problem));
    json_str(&j, "message", ev->what);
    json_ascii(&j, "packet_time", out_time_rfc3339(ev->ts_us, t, sizeof(t)));
    if (ev->problem == CAP_CLOCK_FAR)
        json_ascii(&j, "other_packets_time", out_time_rfc3339(ev->ref_us, t, sizeof(t)));
    if (at_set)
        json_ascii(&j, "validity_judged_at",
                   out_time_rfc3339(at > 0 ? (uint64_t)at * 1000000u : 0, t, sizeof(t)));
    else
        json_ascii(&j, "validity_judged_at", "capture_time");
    json_obj_end(&j);
    json_obj_end(&j);
    json_obj_end(&j);
    json_end(&j);
}

void report_clock_jumps(FILE *out, bool json, uint64_t n, uint64_t idle_s)
{
    struct json j;

    fprintf(stderr, "mxwitness: warning: %llu packet(s) stamped more than %llu s (the idle "
                    "timeout) from the packets around them did not move the connection clock\n",
            (unsigned long long)n, (unsigned long long)idle_s);
    if (!json)
        return;
    json_init(&j, out);
    json_obj(&j, NULL);
    json_obj(&j, "event");
    json_ascii(&j, "dataset", "mxwitness.clock");
    json_obj_end(&j);
    json_obj(&j, "mxwitness");
    json_obj(&j, "clock");
    json_u64(&j, "clock_jumps", n);
    json_u64(&j, "idle_timeout", idle_s);
    json_obj_end(&j);
    json_obj_end(&j);
    json_obj_end(&j);
    json_end(&j);
}
