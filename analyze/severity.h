/*
 * severity.h - how bad a finding is.  Shared by every check (verify, weak,
 * expect) and by the findings table, which is the only place that turns a
 * severity into text.
 */
#ifndef MXW_SEVERITY_H
#define MXW_SEVERITY_H

/* Ordered: a larger value is worse.  SEV_NONE means "no finding". */
enum severity {
    SEV_NONE = 0,
    SEV_INFO,
    SEV_LOW,
    SEV_MEDIUM,
    SEV_HIGH,
    SEV_CRITICAL,
};

#endif
