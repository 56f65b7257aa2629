/*
 * smtp_lines.h - for the cmocka tests (include after cmocka.h): a session's
 * SMTP dialogue from a list of lines, "S:..." from the server and "C:..."
 * from the client, each fed whole with its CRLF.
 */
#ifndef MXW_TEST_SMTP_LINES_H
#define MXW_TEST_SMTP_LINES_H

#include <stdint.h>
#include <stdio.h>

#include "dissect/session.h"

/* smtp_lines gives |s| a parser fed with |lines| (NULL-terminated), one
 * microsecond apart from |s|->first_us. */
static inline void smtp_lines(struct session *s, const char *const *lines)
{
    s->smtp = smtp_new(NULL, NULL);
    assert_non_null(s->smtp);
    for (size_t i = 0; lines[i] != NULL; i++) {
        char buf[600];
        enum tcp_dir d = lines[i][0] == 'C' ? TCP_TO_SERVER : TCP_TO_CLIENT;
        size_t n = (size_t)snprintf(buf, sizeof(buf), "%s\r\n", lines[i] + 2);

        smtp_feed(s->smtp, d, (const uint8_t *)buf, n, s->first_us + i);
    }
}

#endif
