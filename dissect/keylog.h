/*
 * keylog.h - TLS secrets by client random, from NSS key log files
 * (SSLKEYLOGFILE, openssl s_client -keylogfile, curl, browsers, Wireshark)
 * and from the key logs pcapng Decryption Secrets Blocks carry.
 *
 * A line is "LABEL CLIENT_RANDOM SECRET", both in hex, '#' starts a
 * comment.  The labels kept:
 *   CLIENT_RANDOM                      TLS <= 1.2: the 48-byte master secret
 *   CLIENT_HANDSHAKE_TRAFFIC_SECRET    TLS 1.3 (RFC 8446 §7.1)
 *   SERVER_HANDSHAKE_TRAFFIC_SECRET
 *   CLIENT_TRAFFIC_SECRET_0
 *   SERVER_TRAFFIC_SECRET_0
 * Others that are known (EXPORTER_SECRET, EARLY_EXPORTER_SECRET,
 * CLIENT_EARLY_TRAFFIC_SECRET, RSA) are read and not kept; an unknown label
 * or a line that does not parse is a warning naming FILE:LINE.  Secrets are
 * matched to sessions by the client random, whatever order the file and
 * the packets come in; a secret given twice keeps the first.
 */
#ifndef MXW_KEYLOG_H
#define MXW_KEYLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KEYLOG_SECRET_MAX 64         /* SHA-384's 48 bytes fit, with room */
#define KEYLOG_MAX_ENTRIES (1u << 20)

enum keylog_kind {
    KEYLOG_MASTER = 0,               /* CLIENT_RANDOM */
    KEYLOG_CLIENT_HS,                /* CLIENT_HANDSHAKE_TRAFFIC_SECRET */
    KEYLOG_SERVER_HS,                /* SERVER_HANDSHAKE_TRAFFIC_SECRET */
    KEYLOG_CLIENT_AP,                /* CLIENT_TRAFFIC_SECRET_0 */
    KEYLOG_SERVER_AP,                /* SERVER_TRAFFIC_SECRET_0 */
    KEYLOG_KIND_COUNT
};

/* keylog_kind_name: the label of |k| as in the file. */
const char *keylog_kind_name(enum keylog_kind k);

/* keylog_secrets: what is known for one client random. */
struct keylog_secrets {
    uint8_t len[KEYLOG_KIND_COUNT];  /* 0: not given */
    uint8_t v[KEYLOG_KIND_COUNT][KEYLOG_SECRET_MAX];
};

struct keylog_stats {
    uint64_t lines, kept, duplicates, ignored, bad, full;
    uint64_t randoms;                /* distinct client randoms */
    uint64_t looked_up, matched;     /* sessions asked about, found */
};

struct keylog;

/* keylog_new returns an empty key log (NULL on allocation failure). */
struct keylog *keylog_new(void);

/* keylog_free frees |k|.  NULL is a no-op. */
void keylog_free(struct keylog *k);

/* keylog_add_text reads the |len| bytes of key log text at |p|; |name|
 * names it in warnings, which go to |warn| (one line each, without the
 * newline; at most |max_warnings| of them per call, then a count).  Returns
 * the number of secrets kept. */
size_t keylog_add_text(struct keylog *k, const char *name, const uint8_t *p, size_t len,
                       void (*warn)(void *ctx, const char *msg), void *ctx,
                       unsigned max_warnings);

/* keylog_empty is true while |k| holds no secret at all. */
bool keylog_empty(const struct keylog *k);

/* keylog_add_file is keylog_add_text for a file; -1 when it cannot be
 * read, with the reason in |err|. */
long keylog_add_file(struct keylog *k, const char *path,
                     void (*warn)(void *ctx, const char *msg), void *ctx, char *err,
                     size_t errlen);

/* keylog_find returns the secrets known for |client_random|, or NULL. */
const struct keylog_secrets *keylog_find(struct keylog *k, const uint8_t client_random[32]);

/* keylog_stats fills |st|. */
void keylog_stats(const struct keylog *k, struct keylog_stats *st);

#endif
