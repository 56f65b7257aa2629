/*
 * digest.h - what the comparison of capture points needs of a session, in
 * a plain struct that two sources fill alike: the live pipeline, from the
 * session record (digest_fill), and a JSON-lines reader, from a line that
 * `mxwitness --json` wrote on another sensor, site or day (digest_from_json).
 *
 * The contract: every field here is written in the session's JSON line
 * (report/json_lines.c), so that a digest read back equals the digest the
 * run that wrote the line had (tests/test_digest.c checks the round trip).
 * Text is kept as UTF-8; a byte from the wire that was not UTF-8 was
 * written as the code point of its value (\u00HH) and reads back as that
 * code point.
 */
#ifndef MXW_DIGEST_H
#define MXW_DIGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analyze/findings.h"
#include "capture/cap_ip.h"
#include "dissect/session.h"

#define DIGEST_NAME_MAX 256          /* a host name (253) and its NUL, or a label */
#define DIGEST_MAX_CHAIN 16          /* certificates' SHA-256 kept, leaf first */
#define DIGEST_MAX_FINDINGS 32
#define DIGEST_FP_MAX 512            /* a TLS fingerprint string */

struct digest_finding {
    enum finding_code code;
    enum severity sev;
};

struct session_digest {
    char point[DIGEST_NAME_MAX];     /* observer.name: the capture point */
    uint64_t id;                     /* mxwitness.session_id (within its run) */
    uint64_t first_us, last_us;      /* @timestamp, event.end */
    struct cap_addr client, server;  /* source.ip, destination.ip */
    uint16_t cport, sport;
    uint64_t cbytes, sbytes;         /* source.bytes, destination.bytes: each way */

    /* SMTP */
    char banner_host[DIGEST_NAME_MAX];   /* smtp.banner_host: the name in the greeting */
    char ehlo[DIGEST_NAME_MAX];          /* smtp.ehlo: the client's EHLO/HELO argument */
    char ehlo_host[DIGEST_NAME_MAX];     /* smtp.ehlo_host: the name in the EHLO reply */
    bool starttls_offered;               /* smtp.starttls.offered */
    bool starttls_requested;             /* smtp.starttls.requested */
    bool implicit_tls;                   /* smtp.implicit_tls */

    /* TLS */
    enum session_tls_state tls_state;    /* tls.state: how far the handshake got */
    bool server_hello;                   /* tls.version is not null */
    uint16_t version;                    /* tls.version */
    uint16_t cipher;                     /* tls.cipher (by its IANA name or 0xNNNN) */
    bool cert_hidden;                    /* tls.certificate_hidden */
    char sni[DIGEST_NAME_MAX];           /* tls.client.server_name */
    char ja3s[DIGEST_FP_MAX];            /* tls.server.ja3s_string */
    char hello_fp[DIGEST_FP_MAX];        /* tls.server.hello_fingerprint (digest_hello_fp) */
    bool random_seen;                    /* tls.client.random: the ClientHello's random */
    uint8_t random[32];
    uint8_t session_id_len;              /* tls.client.session_id (absent when empty) */
    uint8_t session_id[32];
    struct tls_server_flight flight;     /* tls.server.flight.* (clear_messages, clear_bytes,
                                            clear_complete, encrypted_records,
                                            encrypted_bytes, encrypted_complete) */
    uint8_t chain[DIGEST_MAX_CHAIN][32]; /* tls.server.certificate_chain_sha256 */
    size_t nchain;
    char leaf_subject[DIGEST_NAME_MAX];  /* tls.server.x509.subject.distinguished_name (cut) */
    bool leaf_self_signed;               /* tls.server.x509.self_signed */

    bool expected;                       /* mxwitness.expected: an expectation applied */
    struct digest_finding findings[DIGEST_MAX_FINDINGS];   /* findings[].code, .severity */
    size_t nfindings;
};

struct analysed;

/* digest_hello_fp writes our own ServerHello fingerprint of |s| into |buf|
 * ("" without a ServerHello): the negotiated version, the cipher, the
 * extension types in the order sent and the key exchange group, in decimal,
 * as "772,4865,43-51,29".  Not JA4S (whose licence we cannot take): unlike
 * JA3S it keeps the extensions' order and the group, which differ between
 * TLS stacks that choose the same version and cipher. */
void digest_hello_fp(const struct session *s, char *buf, size_t size);

/* digest_fill fills |d| from the analysed session |a|. */
void digest_fill(struct session_digest *d, const struct analysed *a);

/* digest_from_json fills |d| from one JSON line of |len| bytes.  Returns 1
 * for a session line, 0 for a valid line of another kind (a summary), -1
 * when the line cannot be used, with the reason in |err|. */
int digest_from_json(struct session_digest *d, const char *line, size_t len, char *err,
                     size_t errlen);

/* digest_equal says whether two digests hold the same facts. */
bool digest_equal(const struct session_digest *a, const struct session_digest *b);

#endif
