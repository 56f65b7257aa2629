/*
 * classify.h - which connections on other ports are mail: nDPI's verdict.
 *
 * The only interface to nDPI (its API changes between releases; this file
 * and classify.c are all that would change).  nDPI decides only whether a
 * connection is SMTP/SMTPS; it is never the source of a verdict about TLS or
 * certificates (it stops at STARTTLS, keeps only a leaf, and drops
 * out-of-order segments).
 */
#ifndef MXW_CLASSIFY_H
#define MXW_CLASSIFY_H

#include <stddef.h>
#include <stdint.h>

enum classify_result {
    CLASSIFY_PENDING = 0,   /* needs more packets */
    CLASSIFY_SMTP,          /* SMTP (possibly with STARTTLS) */
    CLASSIFY_SMTPS,         /* SMTP over implicit TLS */
    CLASSIFY_OTHER,         /* something else, or nDPI gave up */
};

struct classify;
struct classify_flow;

/* classify_new sets up nDPI for SMTP/SMTPS detection; NULL on failure. */
struct classify *classify_new(void);
void classify_free(struct classify *c);

/* classify_flow_new returns per-connection detection state (NULL on failure). */
struct classify_flow *classify_flow_new(struct classify *c);
void classify_flow_free(struct classify_flow *f);

/* classify_packet gives nDPI one packet of the connection, from its IP
 * header (|len| captured bytes), seen at |ts_us|.  After CLASSIFY_MAX_PACKETS
 * packets without an answer it gives up and says what nDPI guesses. */
#define CLASSIFY_MAX_PACKETS 32
enum classify_result classify_packet(struct classify *c, struct classify_flow *f,
                                     const uint8_t *ip, size_t len, uint64_t ts_us);

#endif
