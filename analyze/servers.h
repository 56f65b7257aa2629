/*
 * servers.h - the one per-server table: what each server presented before
 * (for CERT_CHANGED and TLS_TERMINATOR_CHANGED) and its summary (sessions,
 * certificates with counts and times, steps, findings) in the same entry.
 *
 * Entries are of three kinds, each with its own budget and its own
 * least-recently-seen order:
 *   by address   a server at one capture point, by address and port: the
 *                summaries and the first comparison of CERT_CHANGED
 *   by name      a server name (SNI or banner name, normalized) at one
 *                capture point: the same certificate history, so that one
 *                name behind several addresses (a balancer's backends) is
 *                compared too
 *   pair         a client and a server: the last failed handshake, so that
 *                a retry in clear can say why
 *
 * The hash table grows with its entries (a lookup stays O(1) at a million
 * servers) and the budget bounds them: when a kind is full, its least
 * recently seen entry is evicted.  The eviction callback sees the entry
 * before it is freed (a summary is written when its server leaves, never
 * silently lost), and every eviction and every entry that could not be
 * allocated is counted (servers_stats).
 *
 * Certificates age out of the comparison: a certificate the server has not
 * presented in its last SERVER_CERT_RETIRE sessions is retired (still
 * listed in the summary, no longer compared), so that after a renewal
 * CERT_CHANGED is raised for the change and the later sessions are compared
 * with the new certificate, not flagged for ever.
 */
#ifndef MXW_SERVERS_H
#define MXW_SERVERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analyze/findings.h"
#include "analyze/judge.h"
#include "capture/cap_ip.h"

#define SERVERS_DEFAULT_MAX 65536   /* entries of each kind (pairs: a quarter) */
#define SERVER_MAX_CERTS 16         /* distinct certificates remembered per server */
#define SERVER_CERT_RETIRE 4        /* sessions without it before a certificate retires */

enum server_kind {
    SERVER_BY_ADDR = 0,
    SERVER_BY_NAME,
    SERVER_PAIR,
    SERVER_KIND_COUNT
};

/* server_kind_name: "server", "name", "pair". */
const char *server_kind_name(enum server_kind k);

/* server_cert: one certificate a server presented as its leaf. */
struct server_cert {
    uint8_t sha256[32];
    char sha256_hex[65];
    char *subject, *issuer;          /* owned; NULL if none (or out of memory) */
    bool parsed;                     /* OpenSSL could read it */
    bool self_signed;
    bool retired;                    /* aged out: listed, no longer compared */
    uint64_t count, first_us, last_us;
    uint64_t last_seq;               /* the server's session number when last presented */
};

/* server_summary: what the report says of a server (by-address entries). */
struct server_summary {
    uint64_t sessions, tls_sessions, hidden, no_cert, starttls_offered, plain;
    uint64_t first_us, last_us;
    char *name;                      /* first banner host or SNI seen (owned) */
    uint64_t steps[STEP_COUNT][4];   /* sessions by step and enum step_state */
    uint64_t code_sessions[F_CODE_COUNT];   /* sessions with each finding */
    enum severity code_sev[F_CODE_COUNT];   /* its worst severity */
    enum severity worst;
    char *expected;                  /* the expectation that applied (first seen; owned) */
    char *conclusion;                /* several points: the first hop finding of a
                                        delivery it received (owned), or NULL */
    uint64_t no_dialogue;            /* connections to it without a payload byte (not
                                        sessions), counted while it has an entry */
    bool dirty;                      /* changed since its last periodic summary */
};

struct server {
    /* the table's links: read none of these */
    struct server *hnext, *older, *newer;
    uint64_t hash;
    size_t klen;

    enum server_kind kind;
    unsigned input;                  /* capture point */
    struct cap_addr addr;            /* by address: the server; pair: the client */
    struct cap_addr peer;            /* pair: the server */
    uint16_t port;
    const char *name;                /* by name: the normalized name (in the key) */
    uint64_t seq;                    /* sessions counted against it so far */

    /* certificate history (by address and by name) */
    struct server_cert *certs;
    size_t ncerts, certs_cap;
    uint64_t certs_dropped;          /* sessions whose certificate did not fit */
    char *ja3s;                      /* the first TLS fingerprint seen (by address) */
    uint32_t flight_bytes;           /* TLS 1.3, certificate hidden: the encrypted flight of
                                        its first whole one (by address), 0 before */
    uint64_t flight_sessions;        /* sessions whose flight was within FLIGHT_USUAL of it */
    char *who;                       /* the address as messages name it, once formatted */

    /* pair */
    uint64_t fail_id, fail_us;       /* last session whose TLS failed */

    struct server_summary *sum;      /* by address; NULL for the other kinds */
    uint8_t key[];                   /* the table's key, then a NUL (in the same
                                        allocation: one cache line less per lookup) */
};

struct servers_stats {
    uint64_t created[SERVER_KIND_COUNT];
    uint64_t evicted[SERVER_KIND_COUNT];
    uint64_t refused[SERVER_KIND_COUNT];    /* could not be allocated */
    size_t active[SERVER_KIND_COUNT], peak[SERVER_KIND_COUNT];
    size_t buckets;
};

struct servers;

/* servers_new returns an empty table holding at most |max| entries by
 * address and |max| by name (pairs: max / 4, at least 1024); 0 means
 * SERVERS_DEFAULT_MAX.  NULL on allocation failure. */
struct servers *servers_new(size_t max);

/* servers_on_evict sets the callback of evictions (none by default): |fn|
 * sees the entry about to be evicted, whose memory is freed when it
 * returns. */
void servers_on_evict(struct servers *t, void (*fn)(void *ctx, struct server *sv), void *ctx);

/* servers_free frees the table and its entries, without callbacks.  NULL is
 * a no-op. */
void servers_free(struct servers *t);

/* servers_addr finds the entry of |addr|:|port| at capture point |input|;
 * with |create|, adds it when missing (evicting the least recently seen one
 * at the budget).  A found entry becomes the most recently seen.  NULL when
 * missing, or when it could not be allocated (counted). */
struct server *servers_addr(struct servers *t, unsigned input, const struct cap_addr *addr,
                            uint16_t port, bool create);

/* servers_name is servers_addr for a normalized server name. */
struct server *servers_name(struct servers *t, unsigned input, const char *name, bool create);

/* servers_pair is servers_addr for the pair of |client| and |server|:|port|. */
struct server *servers_pair(struct servers *t, unsigned input, const struct cap_addr *client,
                            const struct cap_addr *server, uint16_t port, bool create);

/* servers_touch makes |sv| the most recently seen of its kind (what a
 * lookup does, for a caller that kept the entry). */
void servers_touch(struct servers *t, struct server *sv);

/* servers_list returns the entries of kind |k| in a new array (the caller
 * frees it; the entries stay the table's), their number in |*n|; NULL with
 * *n = 0 when there are none or memory ran out. */
struct server **servers_list(const struct servers *t, enum server_kind k, size_t *n);

/* servers_stats fills |st|. */
void servers_stats(const struct servers *t, struct servers_stats *st);

/* server_cert_find returns the certificate of |sv| with this SHA-256, or NULL. */
struct server_cert *server_cert_find(struct server *sv, const uint8_t sha256[32]);

/* server_cert_add records a new leaf (|subject|, |issuer| copied) presented
 * at |us| as the server's session |sv->seq|; NULL when SERVER_MAX_CERTS are
 * kept already (counted in certs_dropped) or memory ran out. */
struct server_cert *server_cert_add(struct server *sv, const uint8_t sha256[32],
                                    const char *subject, const char *issuer, bool parsed,
                                    bool self_signed, uint64_t us);

/* server_cert_seen counts another presentation of |c| at |us| (session
 * |sv->seq|). */
void server_cert_seen(struct server *sv, struct server_cert *c, uint64_t us);

/* server_certs_age retires the certificates of |sv| not presented in its
 * last SERVER_CERT_RETIRE sessions, except |keep| (may be NULL). */
void server_certs_age(struct server *sv, const struct server_cert *keep);

#endif
