/*
 * hops.h - the sessions of one delivery seen at several capture points,
 * paired, and the first hop where what the sender saw changes.
 *
 * The capture points are given in path order, the sender's side first (the
 * order of -r and --from-json on the command line).  Each point's session
 * digests (analyze/digest) are kept; at the end, the sessions of each pair
 * of neighbouring points are paired, then chained into deliveries across
 * all the points.  A pairing carries its confidence and its reasons:
 *
 *   same ClientHello random      a box that forwards TLS unchanged (NAT, a
 *                                TCP balancer): the same handshake, for sure
 *   same TCP endpoints           no address translation between the points
 *   same TLS session id          weaker: a client may offer one id again
 *   timing and order             a relay (an MTA, a mail-security appliance)
 *                                opens its own connection inward after the
 *                                sender's: the inner session that begins
 *                                first after the outer one ends, in the
 *                                order the outer ones ended, within the
 *                                relay window; with the sizes sent (a relay
 *                                forwards the message with a few headers
 *                                added), the SNI and the server names
 *
 * Then, along each delivery, the first hop where a fact changes:
 *   certificate   both leaves visible and different
 *   terminator    a certificate hidden (TLS 1.3 without keys) at one point
 *                 or both, and the server's TLS fingerprint (JA3S, our
 *                 hello fingerprint) or the size of its encrypted flight
 *                 differs: evidence that another box terminates TLS there,
 *                 not proof
 *   STARTTLS      offered on the server's side, not (or masked) on the
 *                 sender's
 *   banner, EHLO  the host name in the greeting or the EHLO reply
 * A box that only forwards (NAT, a TCP balancer) changes none of these, so
 * it is never blamed.
 *
 * Memory: a session is kept in a few hundred bytes (its texts interned
 * once in a pool of at most 256 MiB); at most HOPS_MAX_DIGESTS sessions in
 * all; beyond, sessions are counted (hops_stats), not kept.  The digests a
 * delivery hands out carry the leaf's hash only, not the whole chain.
 */
#ifndef MXW_HOPS_H
#define MXW_HOPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analyze/digest.h"
#include "analyze/findings.h"

#define HOPS_MAX_POINTS 16
#define HOPS_MAX_DIGESTS (1u << 20)
#define HOPS_REASON_MAX 512
#define HOPS_DEFAULT_WINDOW_US (60u * 1000000u)   /* a relay forwards within a minute */

/* hop_change: the first hop where something changed, as point indices
 * (from, to), or -1, -1 when nothing did. */
struct hop_change {
    int from, to;
};

/* hop_delivery: one delivery along the points.  |at[i]| is the session at
 * point i (NULL when that point did not see it).  Valid only during the
 * callback. */
struct hop_delivery {
    size_t npoints;
    const char *const *points;                   /* the point labels, path order */
    const struct session_digest *at[HOPS_MAX_POINTS];
    unsigned seen;                                /* points with a session */
    unsigned confidence;                          /* 0..100: the weakest pairing; 0 unpaired */
    char reason[HOPS_REASON_MAX];                 /* why paired, or why not */
    struct hop_change certificate, terminator, starttls, banner, ehlo;
    bool inner_expected;  /* the certificate after the change is the expected one (an
                             expectation applied there and did not fail) */
};

struct hops_stats {
    uint64_t kept, dropped;                       /* digests kept; over the bound */
    uint64_t texts_dropped;                       /* names not kept: the text pool was full */
    uint64_t deliveries, paired, unpaired;
    uint64_t certificate_changed, terminator_changed, starttls_stripped;
};

struct hops;

/* hops_new returns an empty comparison of capture points; |window_us| is
 * the relay window (0: HOPS_DEFAULT_WINDOW_US).  NULL on allocation
 * failure. */
struct hops *hops_new(uint64_t window_us);

/* hops_point adds the capture point |label| after those already added (or
 * finds it) and returns its index, -1 when HOPS_MAX_POINTS are there. */
int hops_point(struct hops *h, const char *label);

/* hops_npoints returns the number of points. */
size_t hops_npoints(const struct hops *h);

/* hops_add keeps a copy of the session digest |d| seen at point |point|. */
void hops_add(struct hops *h, int point, const struct session_digest *d);

/* hops_run pairs the sessions and calls |fn| for each delivery, in the
 * order of their first session (unpaired sessions too, confidence 0). */
void hops_run(struct hops *h, void (*fn)(void *ctx, const struct hop_delivery *d), void *ctx);

/* hops_findings fills |out| with what the hops of |d| show, worst first:
 * CERT_REPLACED (critical when the certificate after the change is the
 * expected one, else high), TLS_TERMINATOR_CHANGED (medium: evidence),
 * STARTTLS_STRIPPED (high), each naming the hop and what each side saw. */
void hops_findings(const struct hop_delivery *d, struct findings *out);

/* hops_stats fills |st|. */
void hops_stats(const struct hops *h, struct hops_stats *st);

/* hops_free frees |h|.  NULL is a no-op. */
void hops_free(struct hops *h);

#endif
