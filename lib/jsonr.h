/*
 * jsonr.h - a small JSON reader (RFC 8259) for the lines mxwitness reads
 * back (--from-json): it walks one JSON text and hands every scalar to a
 * callback with its path, so that a reader picks the fields it knows and
 * passes over the rest without building a tree.
 *
 * Bounded: nesting deeper than JSONR_MAX_DEPTH is an error, a path longer
 * than JSONR_PATH_MAX is cut (and cannot match a field), a string is
 * decoded into at most JSONR_STR_MAX bytes (longer ones are cut and say
 * so).  Every byte is read through the cursor (lib/cbs).
 */
#ifndef MXW_JSONR_H
#define MXW_JSONR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JSONR_MAX_DEPTH 32
#define JSONR_PATH_MAX 256
#define JSONR_STR_MAX 8192

enum jsonr_type { JSONR_NULL, JSONR_BOOL, JSONR_NUMBER, JSONR_STRING };

struct jsonr_value {
    enum jsonr_type type;
    bool b;                          /* JSONR_BOOL */
    bool is_u64;                     /* JSONR_NUMBER: a whole number in 0..2^64-1 */
    uint64_t u64;
    const char *str;                 /* JSONR_STRING: decoded UTF-8, NUL-terminated */
    size_t len;
    bool cut;                        /* the string was longer than JSONR_STR_MAX */
};

/* The callback sees each scalar with its |path|: the keys from the top
 * joined by '.' (an array adds nothing; "tls.alerts.from" is the "from" of
 * an element of tls.alerts) and |index|, the scalar's position in the
 * innermost array around it (-1 outside arrays).  Returning false stops
 * the walk (jsonr_walk then returns 0). */
typedef bool jsonr_fn(void *ctx, const char *path, long index, const struct jsonr_value *v);

/* jsonr_walk reads the JSON text in |len| bytes at |p| (white space around
 * it allowed, nothing else after it).  Returns 0, or -1 for text that is
 * not JSON, with the reason and the offset in |err|. */
int jsonr_walk(const char *p, size_t len, jsonr_fn *fn, void *ctx, char *err, size_t errlen);

#endif
