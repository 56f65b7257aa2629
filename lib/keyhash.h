/*
 * keyhash.h - a keyed 64-bit hash for the tables that hold bytes from the
 * wire (certificates, server names).  It is not a cryptographic hash: the
 * tables compare the keys themselves, so a collision costs a longer chain,
 * never a wrong answer; the secret |key| (from the system's randomness) keeps
 * a sender from choosing inputs that land in one bucket.  Eight bytes at a
 * time, with a final mix so that every input bit reaches the high bits the
 * tables index by.
 */
#ifndef MXW_KEYHASH_H
#define MXW_KEYHASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint64_t keyhash(uint64_t key, const uint8_t *p, size_t n)
{
    uint64_t h = key ^ ((uint64_t)n * 0x9E3779B97F4A7C15u), w;

    for (; n >= 8; p += 8, n -= 8) {
        memcpy(&w, p, 8);
        h = (h ^ w) * 0xFF51AFD7ED558CCDu;
        h ^= h >> 33;
    }
    w = 0;
    if (n > 0)
        memcpy(&w, p, n);
    h ^= w ^ key;
    h ^= h >> 31;
    h *= 0xBF58476D1CE4E5B9u;
    h ^= h >> 29;
    h *= 0x94D049BB133111EBu;
    return h ^ (h >> 32);
}

#endif
