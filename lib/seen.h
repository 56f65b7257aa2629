/*
 * seen.h - a bounded set of 32-byte digests: "was this written already?"
 *
 * The JSON writer says each distinct certificate (and client fingerprint)
 * once, and asks this set whether it has.  The set holds |slots| digests
 * (open addressing); when it is three quarters full it is emptied and its
 * generation counted, so memory stays bounded over months and a digest may
 * be said again after that many others.
 *
 * A shared set (--workers) lives in memory mapped before the workers are
 * forked, so that every worker asks the same set and a certificate is said
 * once per run, not once per worker; a robust process-shared mutex guards
 * it (a worker killed inside it does not stop the others).  A private set
 * takes its memory at the first digest.
 */
#ifndef MXW_LIB_SEEN_H
#define MXW_LIB_SEEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct seen_set;

/* seen_new makes a set of |slots| (a power of two) digests; |shared|: in
 * memory the processes forked after this call share.  NULL when out of
 * memory. */
struct seen_set *seen_new(size_t slots, bool shared);

/* seen_add says whether |key| is in |s| already, and puts it there; true
 * also when the set has no memory (nothing said rather than no bound). */
bool seen_add(struct seen_set *s, const uint8_t key[32]);

/* seen_gen: how many times |s| was emptied (a memo of what is in the set
 * is good while the generation it was made in lasts). */
uint64_t seen_gen(struct seen_set *s);

void seen_free(struct seen_set *s);

#endif
