/*
 * hex.h - hexadecimal digits read back (key logs, --expect fingerprints,
 * the hex fields of JSON lines read with --from-json).  Writing hex is
 * x509_hex's.
 */
#ifndef MXW_HEX_H
#define MXW_HEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* hex_digit returns the value of the hex digit |c| (either case), -1 when
 * it is none. */
static inline int hex_digit(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* hex_decode reads the 2 * |n| digits at |s| into the |n| bytes at |out|;
 * false at the first that is no hex digit (|out| then partly written). */
static inline bool hex_decode(const char *s, uint8_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int hi = hex_digit((unsigned char)s[2 * i]), lo;

        if (hi < 0 || (lo = hex_digit((unsigned char)s[2 * i + 1])) < 0)
            return false;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

#endif
