/*
 * out.h - safe output: escaping bytes from the wire for terminals and JSON,
 * and the time and address formats every report uses.
 */
#ifndef MXW_OUT_H
#define MXW_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>


/* out_time_rfc3339 writes |us| (microseconds since the epoch) as
 * "2026-11-29T05:12:13.123456Z" into |buf| (at least 32 bytes); returns buf. */
char *out_time_rfc3339(uint64_t us, char *buf, size_t size);

/* out_time_parse_rfc3339 reads what out_time_rfc3339 writes (UTC, "Z",
 * up to six digits of fraction, years from 1970) into |us|; false if |s|
 * is not such a time. */
bool out_time_parse_rfc3339(const char *s, uint64_t *us);

/* out_u64 writes |v| in decimal at the end of |d| (no NUL) and returns
 * where the digits start: numbers by hand, where printf was measurable. */
#define OUT_U64_MAX 20
char *out_u64(char d[OUT_U64_MAX], uint64_t v);

/* out_text_escaped writes |n| bytes from the wire so that a terminal shows
 * them and nothing else: printable ASCII as is, every other byte (control
 * characters, escape sequences, non-ASCII) as "\xHH".  A backslash stays
 * single (so an RFC 2253 name reads "CN=a\<b", as OpenSSL writes it) except
 * where it would start an escape: before 'x', before a backslash and before
 * an escaped byte it is written "\\".  Read back, "\xHH" is a byte, "\\" a
 * backslash and any other backslash itself: the text is unambiguous. */
void out_text_escaped(FILE *f, const uint8_t *p, size_t n);

/* out_html_escaped writes |n| bytes from the wire as HTML text that is
 * also safe inside a quoted attribute value: & < > " ' become entities;
 * valid UTF-8 goes through, except what would be invisible or reorder the
 * text around it (C0 and C1 control characters, DEL, the bidirectional
 * overrides and isolates, zero-width characters, U+2028/9, U+FEFF), which is
 * written "\xHH" per byte as out_text_escaped writes it, and so is every
 * byte that is not part of valid UTF-8.  A backslash is doubled where
 * out_text_escaped doubles it, so the text reads back unambiguously. */
void out_html_escaped(FILE *f, const uint8_t *p, size_t n);

/* out_html_cstr is out_html_escaped for a NUL-terminated string (NULL: "-"). */
void out_html_cstr(FILE *f, const char *s);

/* out_json_string writes |n| bytes as a quoted JSON string.  Valid UTF-8 goes
 * through; control characters, quotes and backslashes are escaped; a byte
 * that is not part of valid UTF-8 is written as the code point of the same
 * value (\u00HH), so the output is always valid JSON and UTF-8. */
void out_json_string(FILE *f, const uint8_t *p, size_t n);

/* out_json_plain returns how many of the |n| bytes at |p| out_json_string
 * copies unchanged before the first one it escapes (|n| when none). */
size_t out_json_plain(const uint8_t *p, size_t n);

/* out_json_escape_byte writes the escape out_json_string uses for byte |c|
 * (one out_json_plain stopped at) into |out| and returns its length (2 or 6;
 * not NUL-terminated). */
size_t out_json_escape_byte(uint8_t c, char out[8]);

/* out_json_cstr is out_json_string for a NUL-terminated string (NULL: null). */
void out_json_cstr(FILE *f, const char *s);

#endif
