/*
 * common.h - what the report writers (text, JSON lines, certificate files)
 * share: the pieces of text they all print the same way.  Internal to
 * report/.
 */
#ifndef MXW_REPORT_COMMON_H
#define MXW_REPORT_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "analyze/servers.h"
#include "capture/tcp_flow.h"
#include "dissect/session.h"

/* report_tx writes a string from the wire escaped (out_text_escaped), or
 * "-" for NULL. */
void report_tx(FILE *f, const char *s);

/* report_cert_time writes a certificate's date (whole seconds, RFC 3339),
 * or "@SECONDS" before 1970; returns buf. */
char *report_cert_time(int64_t secs, char *buf, size_t size);

/* report_cipher returns the IANA name of |id|, or "0xNNNN" in |buf|. */
const char *report_cipher(uint16_t id, char *buf, size_t size);

/* report_side: "client" for TCP_TO_SERVER, else "server". */
const char *report_side(enum tcp_dir d);

/* report_verdict writes the server's verdict line: what it presented, what
 * was wrong with it, and whether that is what was expected. */
void report_verdict(const struct server *s, char *buf, size_t size);

#endif
