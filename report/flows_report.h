/*
 * flows_report.h - the --flows diagnostic: one line (or JSON object) per TCP
 * connection on the followed ports, written when the connection closes.
 */
#ifndef MXW_FLOWS_REPORT_H
#define MXW_FLOWS_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "capture/cap_source.h"
#include "capture/tcp_flow.h"

struct flows_report {
    FILE *out;
    bool json;
    const struct cap_source *src;   /* for capture-point labels */
    uint64_t connections;
};

/* flows_report_cbs returns callbacks for tcp_flow_table_new; pass a
 * struct flows_report as its ctx. */
const struct tcp_flow_cbs *flows_report_cbs(void);

#endif
