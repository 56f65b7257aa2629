/*
 * session.h - one mail session: a TCP connection on a mail port followed
 * through SMTP and STARTTLS into the TLS handshake.
 *
 * struct session is the record that outlives the packets: it owns copies of
 * everything later stages need (names, certificate DER, alerts, the
 * transcript).  The session layer is the connection table's consumer: it
 * decides per direction whether the bytes are SMTP or TLS (implicit TLS on
 * 465 is recognised by the bytes, not the port), routes them to the SMTP and
 * TLS parsers, stops reassembly once nothing more can be learnt, and hands
 * the finished record to its sink when the connection closes.
 */
#ifndef MXW_SESSION_H
#define MXW_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capture/tcp_flow.h"
#include "dissect/keylog.h"
#include "dissect/smtp.h"
#include "dissect/tls.h"

#define SESSION_MAX_ALERTS 8
#define SESSION_MAX_TRANSCRIPT 4096   /* lines kept per session with --transcript */
#define SESSION_MAX_SH_EXTS 32        /* ServerHello extension types kept */

/* session_der is one certificate as sent (owned DER). */
struct session_der {
    uint8_t *der;
    size_t len;
};

/* session_chain is a Certificate message's chain, leaf first, as sent.  The
 * certificates' DER lie back to back in one allocation that certs[0].der
 * points to (the session frees it).  When that allocation failed, |seen|
 * stays false (and n, total, ts_us 0) and the session's alloc_failed says
 * so: a chain that could not be kept never passes for an empty one. */
struct session_chain {
    struct session_der certs[TLS_MAX_CERTS];
    size_t n;            /* kept */
    size_t total;        /* in the message */
    bool seen;           /* a Certificate message was parsed and its chain kept */
    uint64_t ts_us;      /* when */
};

struct session_alert {
    uint64_t ts_us;
    enum tcp_dir from;
    uint8_t level, desc;
    bool encrypted;
    uint8_t after_type;      /* last handshake message seen before it (from either side) */
    enum tcp_dir after_from; /* who sent that message */
    bool after_certificate;  /* the peer's Certificate had been seen and this side
                                had not finished: the alert answers the certificate */
};

/* session_line is one transcript line (owned text, already redacted). */
struct session_line {
    uint64_t ts_us;
    enum tcp_dir dir;
    char kind;           /* 'S' SMTP in clear, 'D' SMTP read from decrypted TLS (--keylog),
                            'T' TLS as it crossed the wire (clear handshake, or
                            "[encrypted ...]" for what stayed unread), 'E' TLS read
                            from a decrypted record, 'N' note */
    char *text;
};

/* session_net is what the network layer showed of the two ends: the
 * one-point evidence of a box in front of the server (analyze/evidence)
 * reads it.  Times are capture times (0: not seen); a TTL of 0 is "not
 * seen" too (a packet with TTL 0 is not forwarded to be captured). */
#define SESSION_TCP_OPTS_MAX 16
struct session_net {
    uint64_t syn_us, synack_us, ack_us;  /* the three-way handshake */
    uint64_t data_us[2];                 /* first payload each way, by enum tcp_dir */
    uint8_t syn_ttl, synack_ttl;         /* IP TTL / hop limit of the SYN and the SYN-ACK */
    uint8_t data_ttl[2];                 /* ... of the first payload packet each way */
    uint8_t ttl_min[2], ttl_max[2];      /* ... over the connection (at its end) */
    uint16_t synack_win;                 /* the SYN-ACK's window, MSS and window scale */
    uint16_t synack_mss;                 /* 0: no MSS option */
    int16_t synack_wscale;               /* -1: no window-scale option */
    uint16_t synack_ipid, data_ipid;     /* IPv4 ID of the SYN-ACK and of the server's
                                            first payload packet */
    uint8_t synack_opts[SESSION_TCP_OPTS_MAX]; /* option kinds in order (NOP = 1, EOL = 0) */
    uint8_t nsynack_opts;
};

/* session_net_hops estimates how many routers a packet with |ttl| crossed:
 * the distance to the next common initial value (32, 64, 128, 255).  -1 for
 * a TTL of 0 (not seen). */
int session_net_hops(uint8_t ttl);

/* session_net_opts writes the SYN-ACK's TCP option layout as p0f-like text
 * ("mss,sok,ts,nop,ws"; "" when there were none); returns |buf|. */
char *session_net_opts(const struct session_net *n, char *buf, size_t size);

/* The state of the handshake when the session ended. */
enum session_tls_state {
    SESSION_TLS_NONE = 0,      /* no TLS at all */
    SESSION_TLS_CLIENT_HELLO,  /* stopped after the ClientHello */
    SESSION_TLS_SERVER_HELLO,  /* ServerHello seen, no Certificate (yet) */
    SESSION_TLS_CERTIFICATE,   /* server Certificate seen */
    SESSION_TLS_ESTABLISHED,   /* both sides finished (CCS + Finished, or application data) */
};

const char *session_tls_state_name(enum session_tls_state s);

/* session_decrypt: what became of decryption with a key log. */
enum session_decrypt {
    SESSION_DECRYPT_NONE = 0,        /* no key log given, or no TLS */
    SESSION_DECRYPT_OK,              /* every protected record read decrypted */
    SESSION_DECRYPT_MISSING_SECRET,  /* the key log has no (or not every) secret for the
                                        session's client random */
    SESSION_DECRYPT_BAD_TAG,         /* a record did not verify: a wrong secret */
    SESSION_DECRYPT_UNSUPPORTED,     /* a cipher suite we cannot decrypt */
    SESSION_DECRYPT_ERROR,           /* anything else (a cut record, memory) */
    SESSION_DECRYPT_COUNT
};

/* session_decrypt_name returns a stable snake_case name ("missing_secret"). */
const char *session_decrypt_name(enum session_decrypt d);

/* session_alloc names what the session layer allocates for a session.  A
 * failed allocation is never silent: its bit, SESSION_ALLOC_BIT(what), is set
 * in struct session's alloc_failed, and what it would have held is missing
 * for that reason, not because the wire lacked it. */
enum session_alloc {
    SESSION_ALLOC_SESSION = 0,  /* the connection's own state (or its nDPI flow): there
                                   is no record at all; counted by session_layer_lost */
    SESSION_ALLOC_SMTP,         /* the SMTP parser: smtp is NULL, the SMTP bytes unread
                                   (this is not implicit TLS: implicit_tls says that) */
    SESSION_ALLOC_TLS,          /* the TLS parser: tls is true (TLS bytes were seen),
                                   nothing of the handshake was read */
    SESSION_ALLOC_NAMES,        /* a string: sni, ja3, ja4_r, alpn_offered or ja3s is
                                   NULL although the hello carried it (ja3 and ja4_r
                                   also when the copy of the ClientHello they are
                                   built from could not be kept) */
    SESSION_ALLOC_SERVER_CHAIN, /* the server's Certificate: server_chain not kept (out
                                   of memory, or the --memcap budget refused the copy) */
    SESSION_ALLOC_CLIENT_CHAIN, /* the client's Certificate: client_chain not kept (idem) */
    SESSION_ALLOC_CA_NAMES,     /* CertificateRequest CA names: fewer in cr_ca_der than sent */
    SESSION_ALLOC_TRANSCRIPT,   /* transcript lines (also counted in lines_dropped) */
    SESSION_ALLOC_COUNT
};

#define SESSION_ALLOC_BIT(a) (1u << (a))

/* session_alloc_name returns a stable snake_case name ("server_chain"). */
const char *session_alloc_name(enum session_alloc a);

struct session {
    uint64_t id;
    unsigned input;                   /* capture point */
    struct cap_addr client, server;
    uint16_t cport, sport;
    uint64_t first_us, last_us;
    enum tcp_close_reason end;
    uint64_t gaps[2], gap_bytes[2];   /* by enum tcp_dir */
    uint64_t bytes[2];                /* stream bytes each way, by enum tcp_dir: those
                                         handed to the parsers (no duplicates, holes not
                                         counted) and the payload after they stopped
                                         reading (retransmissions included there) */
    bool midstream;                   /* the connection's start was not captured */
    struct session_net net;           /* the network layer of both ends */
    bool classified;                  /* on another port, found to be SMTP by nDPI */

    struct smtp *smtp;                /* NULL for implicit TLS (or see alloc_failed) */
    bool implicit_tls;                /* TLS from the client's first byte (or from the
                                         end of a clear-text prelude) */
    uint32_t tls_prelude[2];          /* clear-text bytes, not SMTP, before TLS began
                                         (a PROXY protocol header, a greeting), by
                                         sender; 0: none */
    bool protocol_mismatch;           /* one side spoke TLS, the other plain SMTP */

    /* TLS */
    bool tls;                         /* TLS bytes were seen (or STARTTLS was accepted) */
    bool client_hello;
    uint16_t ch_version;              /* highest version offered (supported_versions or legacy) */
    char *sni;
    char *ja3;                        /* JA3 string (hash it in analyze) */
    char *ja4_r;                      /* JA4_r, raw JA4 (hashed in analyze); NULL if
                                         the lists were too long to write whole */
    char *alpn_offered;               /* comma-separated */
    bool ech;
    bool server_hello;
    uint16_t version;                 /* negotiated */
    uint16_t cipher;
    char *ja3s;
    bool hello_retry;
    struct tls_key_exchange kx;
    bool kx_seen;
    uint16_t kx_group;                /* TLS 1.3 key_share group */
    struct session_chain server_chain, client_chain;
    bool cert_request;
    struct session_der cr_ca_der[TLS_MAX_CERTS];
    size_t ncr_ca;
    struct session_alert alerts[SESSION_MAX_ALERTS];
    size_t nalerts, total_alerts;
    bool ccs[2];
    bool appdata[2];
    bool encrypted_hs[2];             /* encrypted handshake records seen (Finished) */
    uint8_t last_hs_type;             /* last readable handshake message, either side */
    enum tcp_dir last_hs_from;
    enum tls_error tls_error[2];
    enum session_tls_state tls_state;
    bool cert_hidden;                 /* TLS 1.3: the certificate is encrypted */
    bool incomplete;                  /* gap or end of capture before the handshake finished */

    /* The session digest: what hop correlation compares between capture
     * points, beside version, cipher and kx_group above (kx_group is the
     * TLS 1.3 key_share group the ServerHello selected; kx.group the <= 1.2
     * ServerKeyExchange curve).  Our own server fingerprint is version,
     * cipher, sh_ext_types in order and that group (not JA4S, whose licence
     * we cannot take). */
    bool client_random_seen;          /* the first ClientHello's random is below */
    uint8_t client_random[32];
    uint8_t session_id_len;           /* the first ClientHello's legacy_session_id (0..32) */
    uint8_t session_id[32];
    uint16_t sh_ext_types[SESSION_MAX_SH_EXTS]; /* the ServerHello's extension types in
                                         wire order, GREASE included (the real ServerHello,
                                         not a HelloRetryRequest) */
    size_t nsh_ext_types;             /* kept (at most SESSION_MAX_SH_EXTS) */
    size_t sh_ext_total;              /* in the ServerHello */
    struct tls_server_flight server_flight; /* the server's handshake flight size (tls.h:
                                         clear messages from ServerHello to ServerHelloDone,
                                         TLS 1.3 encrypted records until the client answers) */

    /* Decryption with a key log (--keylog) */
    bool server_random_seen;
    uint8_t server_random[32];        /* the real ServerHello's random */
    bool encrypt_then_mac;            /* the ServerHello echoed extension 22 */
    enum session_decrypt decrypt;     /* what became of it */
    enum tcp_dir decrypt_failed_dir;  /* whose record failed, for BAD_TAG and ERROR */
    uint64_t decrypted[2];            /* records decrypted, by sender */
    struct smtp *smtp_tls;            /* the SMTP dialogue inside TLS, decrypted, or NULL */

    unsigned alloc_failed;            /* SESSION_ALLOC_BIT(enum session_alloc): what could
                                         not be kept, 0 when nothing was lost */

    struct session_line *lines;
    size_t nlines, lines_cap, lines_dropped;
};

/* session_opts: what to keep. */
struct cap_ports;
struct classify;

struct session_opts {
    bool transcript;     /* keep the dialogue line by line */
    bool redact;         /* hide MAIL FROM / RCPT TO arguments in the transcript */
    /* The mail ports.  A connection to another port (followed because of
     * --any-port) is a session only if |classify| says it is SMTP; until
     * then its bytes wait in reassembly, unconsumed. */
    const struct cap_ports *ports;
    struct classify *classify;
    /* keylog: the secrets of --keylog, NULL without; sessions are matched
     * to it by client random (the lookups are counted in its stats, so it
     * is not const) */
    struct keylog *keylog;
    /* fail_alloc, when set, is asked before every allocation the layer makes
     * for a session (|what| names it, |fail_ctx| is passed back); true makes
     * that allocation fail as if malloc had returned NULL, through the same
     * path.  For tests of the failure paths; NULL in production. */
    bool (*fail_alloc)(void *fail_ctx, enum session_alloc what);
    void *fail_ctx;
};

/* session_sink receives each finished session; it may keep nothing from it
 * after returning (the session is freed right after).  A mail connection
 * that carried no payload byte either way (TCP_FLOW_DATA unset: a SYN flood,
 * a scan, a half-open or RST-only connection) is not a session: it goes to
 * on_no_dialogue instead (may be NULL), with only the addresses, ports,
 * capture point, times and end of |s| filled in. */
struct session_sink {
    void (*on_session)(void *ctx, const struct session *s);
    void *ctx;
    void (*on_no_dialogue)(void *ctx, const struct session *s);
    /* keep, when set, takes every finished record instead of the two above
     * (|no_dialogue| says which it would have gone to) and keeps it: the
     * layer no longer touches it, and the sink gives it back with
     * session_release_kept, on the layer's own thread, before the
     * connection table is freed (its --memcap budget still counts what the
     * record holds until then).  For handing sessions to another thread
     * (lib/handoff). */
    void (*keep)(void *ctx, struct session *s, bool no_dialogue);
};

/* session_release_kept frees a record the sink kept (see keep above). */
void session_release_kept(struct session *s);

/* session_finish builds what the layer leaves to be built off the packet
 * thread: the JA3 and JA4_r of the ClientHello (ja3, ja4_r), from the copy
 * of it the record holds.  A kept record is finished by its sink before it
 * is read, on whatever thread reads it (the record is the sink's then);
 * on_session gets one finished.  Once is enough; again is a no-op. */
void session_finish(struct session *s);

struct session_layer;

/* session_layer_new returns the connection-table consumer (NULL on failure). */
struct session_layer *session_layer_new(const struct session_opts *opts,
                                        const struct session_sink *sink);

/* session_layer_free frees the layer (sessions still open must have been
 * closed through the table first).  NULL is a no-op. */
void session_layer_free(struct session_layer *sl);

/* session_layer_cbs returns the struct tcp_flow_cbs to give
 * tcp_flow_table_new together with |sl| as its ctx. */
const struct tcp_flow_cbs *session_layer_cbs(void);

/* session_layer_count returns the sessions handed to the sink so far. */
uint64_t session_layer_count(const struct session_layer *sl);

/* session_layer_lost returns the connections that have no session record
 * because their state could not be allocated (SESSION_ALLOC_SESSION). */
uint64_t session_layer_lost(const struct session_layer *sl);

/* session_layer_no_dialogue returns the mail connections closed without a
 * payload byte either way (not sessions; see struct session_sink). */
uint64_t session_layer_no_dialogue(const struct session_layer *sl);

#endif
