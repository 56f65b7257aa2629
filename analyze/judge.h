/*
 * judge.h - from what a session showed to what is wrong with it.
 *
 * judge_session runs every check on one finished session: the expectations
 * (analyze/expect), the chain verified at the capture time (analyze/verify),
 * the names (analyze/hostname), strength (analyze/weak), the SMTP side
 * (STARTTLS offered, refused, 4.7.x/5.7.x replies, mail in clear) and the
 * TLS alerts.  It also remembers, per server, the certificates and TLS
 * fingerprints seen so far, so that a session presenting a different one
 * than the server's earlier sessions says so (CERT_CHANGED) as it happens:
 * a sensor's JSON lines carry the finding without waiting for the end.
 *
 * judge_steps condenses a session into the steps of a delivery (connect,
 * banner, EHLO, STARTTLS, TLS handshake, certificate, strength), each
 * passed, failed or not seen: the per-server matrix of the report.
 */
#ifndef MXW_JUDGE_H
#define MXW_JUDGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analyze/findings.h"
#include "analyze/x509.h"
#include "dissect/session.h"

struct expect_set;
struct verify_store;
struct servers;
struct server;

struct judge_opts {
    const struct expect_set *expect;   /* NULL: no expectations */
    struct servers *servers;           /* the per-server table (analyze/servers); NULL:
                                          the judge keeps one of its own */
    struct verify_store *store;        /* trust anchors; NULL: no chain verification */
    bool at_set;                       /* judge validity at |at| instead of the capture time */
    int64_t at;                        /* seconds since the epoch */
};

struct judge;

/* judge_new returns a judge (NULL on allocation failure); |o| is copied,
 * the set and store it points to must outlive the judge. */
struct judge *judge_new(const struct judge_opts *o);

/* judge_free frees |j| (and its own server table).  NULL is a no-op. */
void judge_free(struct judge *j);

/* judge_clock_note: the clock of capture point |point| is in doubt
 * (|what|, copied: "the capture clock says 1970-..., before 2000-01-01").
 * The EXPIRED and NOT_YET_VALID findings of its sessions then say the time
 * they were judged at (the capture time, or --at) and why it is in doubt.
 * -1 on allocation failure. */
int judge_clock_note(struct judge *j, unsigned point, const char *what);

/* judge_server returns the entry of the last judged session's server (by
 * address and port) in the server table, NULL if it could not be had. */
struct server *judge_server(const struct judge *j);

/* judge_forget drops what the judge remembers of the entry |sv| (the server
 * table is about to evict it). */
void judge_forget(struct judge *j, const struct server *sv);

/* judge_session fills |out| (emptied first) with the findings of session
 * |s|, whose server chain as presented is |chain| (|n| parsed entries, leaf
 * first, the entries of x509_cache_get), sorted worst first.  |expected|,
 * when not NULL, receives a description of the expectation that applied
 * ("" if none) for the verdict lines. */
void judge_session(struct judge *j, const struct session *s,
                   const struct x509_info *const *chain, size_t n,
                   struct findings *out, char *expected, size_t expected_len);

enum judge_step {
    STEP_CONNECT = 0,
    STEP_BANNER,
    STEP_EHLO,
    STEP_STARTTLS,
    STEP_TLS,
    STEP_CERTIFICATE,
    STEP_STRENGTH,
    STEP_COUNT
};

enum step_state {
    STEP_NOT_SEEN = 0,
    STEP_PASS,
    STEP_FAIL,
    STEP_NA,           /* does not apply (STARTTLS on implicit TLS) */
};

/* judge_step_name: "connect", "banner", "ehlo", "starttls", "tls",
 * "certificate", "strength". */
const char *judge_step_name(enum judge_step st);

/* step_state_name: "not seen", "pass", "fail", "n/a". */
const char *step_state_name(enum step_state s);

/* judge_steps fills |out| for session |s| judged as |f|. */
void judge_steps(const struct session *s, const struct findings *f,
                 enum step_state out[STEP_COUNT]);

/* judge_stats: verification cache figures (for --stats). */
void judge_stats(const struct judge *j, uint64_t *verifications, uint64_t *verify_hits);

#endif
