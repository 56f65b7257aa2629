/*
 * word8.h - tests on 8 bytes at once, for the scanners that skip runs of
 * ordinary bytes a word at a time (a text line's end, a JSON string's
 * plain stretch) and look at single bytes only in a word that needs it.
 *
 * (w - 0x0101..01 * k) & ~w & 0x8080..80 is non-zero exactly when some byte
 * of w is below k (k at most 0x80): a byte borrows from the next only when
 * it is itself below k, so no byte is reported that is not.
 */
#ifndef MXW_WORD8_H
#define MXW_WORD8_H

#include <stdint.h>
#include <string.h>

#define W8_ONES  0x0101010101010101ull
#define W8_HIGHS 0x8080808080808080ull

/* w8_load reads 8 bytes at |p| (any alignment) in this machine's order. */
static inline uint64_t w8_load(const uint8_t *p)
{
    uint64_t w;

    memcpy(&w, p, 8);
    return w;
}

/* w8_below is non-zero when some byte of |w| is below |k| (k <= 0x80). */
static inline uint64_t w8_below(uint64_t w, uint8_t k)
{
    return (w - W8_ONES * k) & ~w & W8_HIGHS;
}

/* w8_has is non-zero when some byte of |w| equals |b|. */
static inline uint64_t w8_has(uint64_t w, uint8_t b)
{
    return w8_below(w ^ (W8_ONES * b), 1);
}

#endif
