/*
 * verify.h - certificate chain verification with OpenSSL, at the time of the
 * capture (not today), against --ca-file / --ca-path or the system store.
 *
 * One call judges a chain as the server presented it and separates what is
 * wrong into problems of distinct kinds: trust (no path to an anchor, a
 * self-signed leaf or root), signatures, validity times, the purpose, and
 * presentation (order, extra and duplicate certificates), so that an expired
 * leaf is reported as EXPIRED and not also as an untrusted chain.
 *
 * Chains repeat across sessions, so the store keeps a bounded cache of
 * verdicts keyed by the chain's certificate SHA-256s and valid for the time
 * interval in which no certificate involved crosses its notBefore/notAfter.
 *
 * Not thread safe: one store per thread.
 */
#ifndef MXW_VERIFY_H
#define MXW_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct x509_info;

#define VERIFY_MAX_PROBLEMS 16     /* problems kept per result (the rest are counted) */
#define VERIFY_MSG_MAX 384         /* bytes of one message, NUL included */
#define VERIFY_NAME_MAX 512        /* bytes of the anchor's subject, NUL included */
#define VERIFY_CACHE_MAX 4096      /* default number of cached verdicts */

/* verify_kind: what one problem is about.  verify_kind_finding gives the
 * DESIGN.md finding code each maps to. */
enum verify_kind {
    VERIFY_UNPARSED,          /* no certificate, or one did not parse: nothing verified */
    VERIFY_UNTRUSTED,         /* no path to a trust anchor (issuer not found, ...) */
    VERIFY_SELF_SIGNED_LEAF,  /* the leaf is self-signed and not an anchor */
    VERIFY_SELF_SIGNED_ROOT,  /* the chain ends in a self-signed root that is not an anchor */
    VERIFY_BAD_SIGNATURE,     /* a signature does not verify with its issuer's key */
    VERIFY_EXPIRED,           /* a certificate's notAfter is before the capture time */
    VERIFY_NOT_YET_VALID,     /* a certificate's notBefore is after the capture time */
    VERIFY_PURPOSE,           /* not valid for TLS server authentication (EKU) */
    VERIFY_INVALID,           /* any other OpenSSL verification error (constraints, ...) */
    VERIFY_OUT_OF_ORDER,      /* presentation: the chain is not sent leaf-to-root */
    VERIFY_UNRELATED,         /* presentation: a certificate not on the path was sent */
    VERIFY_DUPLICATE,         /* presentation: the same certificate was sent twice */
    VERIFY_KIND_COUNT
};

/* verify_kind_name returns "UNPARSED", "UNTRUSTED", ... ("?" if out of range). */
const char *verify_kind_name(enum verify_kind k);

/* verify_kind_finding returns the DESIGN.md finding code of |k|:
 * "UNTRUSTED_CHAIN" (UNPARSED, UNTRUSTED, BAD_SIGNATURE, PURPOSE, INVALID),
 * "SELF_SIGNED" (both self-signed kinds), "EXPIRED", "NOT_YET_VALID"; NULL
 * for the presentation kinds, which DESIGN.md has no code for yet. */
const char *verify_kind_finding(enum verify_kind k);

/* verify_problem: one thing wrong with a chain. */
struct verify_problem {
    enum verify_kind kind;
    int depth;                 /* in the path OpenSSL built (0 = leaf), -1 if none */
    int index;                 /* position in the chain as sent, -1 if not sent (an anchor) */
    int ossl_error;            /* X509_V_ERR_*, 0 for presentation and parse problems */
    int64_t when;              /* EXPIRED: notAfter; NOT_YET_VALID: notBefore; else 0 */
    char message[VERIFY_MSG_MAX];  /* UTF-8; names are RFC 2253 from the certificates
                                    * (attacker controlled: escape before printing) */
};

/* verify_result: the verdict on one chain at one time. */
struct verify_result {
    bool verified;             /* OpenSSL built and verified a path to an anchor with no
                                * error; presentation problems may still be listed */
    bool unverifiable;         /* not run: no certificate, or one did not parse */
    bool from_cache;           /* the verdict was served from the cache */
    int depth;                 /* verified: the anchor's depth (0: the leaf is the anchor) */
    char anchor[VERIFY_NAME_MAX];   /* verified: the anchor's subject, else "" */
    unsigned kinds;            /* bit (1u << kind) for every problem found */
    size_t nproblems;          /* entries in problems[] (those past it are undefined) */
    size_t nomitted;           /* problems found beyond VERIFY_MAX_PROBLEMS */
    struct verify_problem problems[VERIFY_MAX_PROBLEMS];
};

/* verify_result_has is true when |r| has a problem of kind |k|. */
bool verify_result_has(const struct verify_result *r, enum verify_kind k);

struct verify_store;

/* verify_store_new returns a store of trust anchors: the PEM (or DER)
 * certificates of |ca_file| and the hashed directory |ca_path| (either may
 * be NULL), or the system store when both are NULL.  With ca_file/ca_path,
 * X509_V_FLAG_PARTIAL_CHAIN is set, so an intermediate given as an anchor
 * is one.  On failure (unreadable file, a file with no certificate, a
 * directory with no hashed names, out of memory) returns NULL and writes
 * the reason into |err| (|errlen| bytes, may be 0). */
/* verify_store_preload reads every certificate of the store's hashed
 * directories (--ca-path, or the system's) into memory, which OpenSSL
 * otherwise reads when a chain first needs one: after -Z dropped root, a
 * directory only root can read would give no anchor and false
 * SELF_SIGNED or UNTRUSTED findings.  Returns the number of files read,
 * or -1 with the reason in |err| (a file that cannot be read). */
int verify_store_preload(struct verify_store *s, char *err, size_t errlen);

struct verify_store *verify_store_new(const char *ca_file, const char *ca_path, char *err,
                                      size_t errlen);

/* verify_store_free frees |s| and its cache.  NULL is a no-op. */
void verify_store_free(struct verify_store *s);

/* verify_anchor_named is true when |s| holds a trust anchor whose subject
 * is the DER-encoded name |name| (|len| bytes): a server need not send that
 * certificate.  False for a NULL store or a name that does not parse. */
bool verify_anchor_named(struct verify_store *s, const uint8_t *name, size_t len);

/* verify_store_set_cache_max bounds the cache to |max| verdicts (0: no
 * cache), evicting the least recently used beyond it. */
void verify_store_set_cache_max(struct verify_store *s, size_t max);

/* verify_chain judges the chain |chain|[0..n) as presented (chain[0] the
 * leaf, the rest untrusted intermediates in the order sent) at |at_time|
 * (seconds since the epoch, UTC), for TLS server authentication.  The
 * x509_info pointers are only read during the call.  Returns 0 with the
 * verdict in |out|, whatever it is; -1 on an internal failure (out of
 * memory), with |out| unverifiable and the reason as its one problem. */
int verify_chain(struct verify_store *s, const struct x509_info *const *chain, size_t n,
                 int64_t at_time, struct verify_result *out);

/* verify_stats: what the store did. */
struct verify_stats {
    uint64_t lookups;          /* verify_chain calls on parsed chains */
    uint64_t hits;             /* of those, served from the cache */
    uint64_t verifications;    /* X509_verify_cert runs */
    uint64_t evictions;        /* verdicts dropped to stay within the bound */
    size_t entries;            /* verdicts cached now */
};

/* verify_store_stats fills |out| with |s|'s counters. */
void verify_store_stats(const struct verify_store *s, struct verify_stats *out);

#endif
