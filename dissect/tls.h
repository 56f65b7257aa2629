/*
 * tls.h - the TLS handshake of one connection, from the record layer up.
 *
 * Fed the two directions' bytes (after STARTTLS, or from the first byte for
 * implicit TLS); reassembles records, defragments handshake messages that
 * span records (and records that carry several messages), and reports each
 * message it understands through callbacks with parsed structs.  Structs hold
 * struct cbs slices into the message: valid only during the callback; the
 * consumer copies what it keeps.
 *
 * After a ChangeCipherSpec in a direction (TLS <= 1.2), or once the
 * ServerHello chose TLS 1.3, that direction's handshake is encrypted: the
 * parser still frames records (alerts are seen as "encrypted alert"), but
 * reads no handshake content.  tls_done() says when nothing more can be
 * learnt, so the caller can stop reassembly and the encrypted bulk costs
 * nothing.
 *
 * SSLv2-compatible ClientHellos (RFC 6101 appendix E) are recognised and
 * reported as such, not parsed.
 */
#ifndef MXW_TLS_H
#define MXW_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capture/tcp_reasm.h"   /* enum tcp_dir */
#include "lib/cbs.h"

/* The largest handshake message: whatever the 24-bit length can say
 * (RFC 8446 §4), so a Certificate of several hundred KB (a certificate
 * with 10,000 names) is read.  The bound on memory is not this number but a
 * budget: a message that spans records is collected in a buffer that grows
 * only as its bytes arrive (an announced length allocates nothing), and that
 * buffer is drawn from the struct tcp_memcap given by tls_set_memcap - the
 * same --memcap as TCP reassembly, since the bytes are moved from a
 * reassembly buffer into it record by record.  A flood of sessions each
 * announcing 16 MB is therefore bounded by --memcap as a flood of
 * out-of-order segments is; the one whose growth is refused stops with
 * TLS_ERR_HS_MEMCAP. */
#define TLS_MAX_HS_MSG 0xffffffu
#define TLS_MAX_CERTS  16      /* certificates reported per Certificate message */
#define TLS_MAX_LIST   128     /* entries kept in a parsed list (ciphers, groups, ...) */
#define TLS_JA4_MAX_ITEMS 256  /* ciphers, extensions or signature algorithms in a JA4 */
#define TLS_MAX_FLIGHT_RECORDS 32  /* TLS 1.3 encrypted server flight: records counted */

/* Wire values. */
#define TLS_CT_CCS        20
#define TLS_CT_ALERT      21
#define TLS_CT_HANDSHAKE  22
#define TLS_CT_APPDATA    23
#define TLS_CT_HEARTBEAT  24

#define TLS_HS_HELLO_REQUEST        0
#define TLS_HS_CLIENT_HELLO         1
#define TLS_HS_SERVER_HELLO         2
#define TLS_HS_NEW_SESSION_TICKET   4
#define TLS_HS_END_OF_EARLY_DATA    5
#define TLS_HS_ENCRYPTED_EXTENSIONS 8
#define TLS_HS_CERTIFICATE          11
#define TLS_HS_SERVER_KEY_EXCHANGE  12
#define TLS_HS_CERTIFICATE_REQUEST  13
#define TLS_HS_SERVER_HELLO_DONE    14
#define TLS_HS_CERTIFICATE_VERIFY   15
#define TLS_HS_CLIENT_KEY_EXCHANGE  16
#define TLS_HS_FINISHED             20
#define TLS_HS_CERTIFICATE_STATUS   22
#define TLS_HS_KEY_UPDATE           24

/* tls_error says why a direction's parse stopped or what was odd. */
enum tls_error {
    TLS_ERR_NONE = 0,
    TLS_ERR_NOT_TLS,          /* the bytes are not TLS records */
    TLS_ERR_RECORD_TOO_LONG,  /* record length over 2^14 + 2048 */
    TLS_ERR_MALFORMED,        /* a handshake message that does not parse */
    TLS_ERR_HS_MEMCAP,        /* a handshake message spanning records could not be
                                 held: the memory budget (--memcap) or malloc refused
                                 its buffer */
    TLS_ERR_SSLV2,            /* an SSLv2-format ClientHello */
    TLS_ERR_GAP,              /* bytes missing from the capture */
    TLS_ERR_COUNT
};

/* tls_error_name returns a stable snake_case name ("malformed"). */
const char *tls_error_name(enum tls_error e);

/* tls_version_name returns "SSLv3", "1.0", "1.1", "1.2", "1.3" or "0xHHHH"
 * (the latter in a static buffer valid until the next call). */
const char *tls_version_name(uint16_t v);

/* tls_alert_name returns the RFC 8446 §6 name of an alert description
 * ("unknown_ca"), or NULL if unknown. */
const char *tls_alert_name(uint8_t desc);

/* tls_alert_level_name returns the name of an alert level (RFC 5246 §7.2):
 * "warning" (1), "fatal" (2), or "level-N" with the number for any other
 * (RFC 8446 §6 defines no more), so an odd level is shown as sent and never
 * mistaken for a known one.  Static strings: no buffer, no state. */
const char *tls_alert_level_name(uint8_t level);

/* tls_is_grease is true when |v| is a GREASE value (RFC 8701 §2: 0x0A0A,
 * 0x1A1A, ..., 0xFAFA), which a client sends in any of its 16-bit lists
 * (cipher suites, extensions, groups, signature algorithms, versions) to
 * keep servers tolerant of unknown values, and which fingerprints and
 * version choices leave out. */
bool tls_is_grease(uint16_t v);

/* tls_hs_name returns the name of a handshake type ("certificate"), or NULL. */
const char *tls_hs_name(uint8_t type);

/* tls_u16_list is a parsed list of 16-bit values. */
struct tls_u16_list {
    uint16_t v[TLS_MAX_LIST];
    size_t n;          /* entries kept (at most TLS_MAX_LIST) */
    size_t total;      /* entries on the wire */
};

/* tls_client_hello (RFC 8446 §4.1.2, RFC 5246 §7.4.1.2). */
struct tls_client_hello {
    uint16_t record_version;      /* version in the record header */
    uint16_t legacy_version;
    struct cbs random, session_id;
    struct tls_u16_list ciphers;        /* (empty with prints_later) */
    struct cbs compressions;
    bool has_extensions;
    struct tls_u16_list ext_types;      /* in wire order (empty with prints_later) */
    struct cbs sni;                     /* first host_name, empty if none */
    struct tls_u16_list versions;       /* supported_versions */
    struct tls_u16_list groups;         /* supported_groups (empty with prints_later) */
    struct tls_u16_list sig_algs;       /* signature_algorithms (empty with prints_later) */
    struct cbs ec_point_formats;        /* the u8 list, raw */
    struct cbs alpn;                    /* ProtocolNameList, raw (u8-prefixed names) */
    bool ech;                           /* encrypted_client_hello present */
    struct cbs body;                    /* the whole message body, as parsed */
    /* The lists below, the JA3 and the JA4_r are empty when the parser was
     * told prints_later (tls_cbs): tls_client_hello_parse of |body| gives them. */
    char ja3[2048];                     /* the JA3 string (not hashed: analyze does MD5) */
    /* JA4_r, FoxIO's raw JA4 (BSD-3): "t13d1516h2_<ciphers>_<extensions>[_<sigalgs>]",
     * hashed into JA4 in analyze; empty when the lists are too long to
     * write whole (a JA4 of part of a list would be a wrong one). */
    char ja4_r[TLS_JA4_MAX_ITEMS * 15 + 32];
};

/* tls_server_hello (RFC 8446 §4.1.3). */
struct tls_server_hello {
    uint16_t record_version;
    uint16_t legacy_version;
    uint16_t version;              /* negotiated: supported_versions if present, else legacy */
    struct cbs random, session_id;
    uint16_t cipher;
    uint8_t compression;
    struct tls_u16_list ext_types;
    uint16_t key_share_group;      /* TLS 1.3 key_share, 0 if none */
    bool hello_retry_request;      /* the special random of RFC 8446 §4.1.3 */
    struct cbs alpn;               /* selected protocol (name bytes) */
    bool encrypt_then_mac;         /* extension 22 (RFC 7366) echoed */
    char ja3s[512];                /* the JA3S string */
};

/* tls_certificate: one Certificate message's chain, as sent. */
struct tls_certificate {
    struct cbs certs[TLS_MAX_CERTS];   /* DER, leaf first as sent */
    size_t n;                          /* kept */
    size_t total;                      /* in the message */
    struct cbs context;                /* TLS 1.3 certificate_request_context */
};

/* tls_cert_request (RFC 5246 §7.4.4, RFC 8446 §4.3.2). */
struct tls_cert_request {
    struct cbs cert_types;             /* raw u8 list (TLS <= 1.2) */
    struct tls_u16_list sig_algs;
    struct cbs ca_names[TLS_MAX_CERTS];  /* DER-encoded DistinguishedNames */
    size_t nca, total_ca;
};

/* tls_key_exchange: what ServerKeyExchange says about the key exchange
 * (RFC 4492 §5.4 ECDHE, RFC 5246 §7.4.3 DHE). */
struct tls_key_exchange {
    enum { TLS_KX_UNKNOWN, TLS_KX_ECDHE, TLS_KX_DHE } kind;
    uint16_t group;                /* named curve for ECDHE */
    unsigned bits;                 /* DH prime size in bits, or EC key size from the group */
};

/*
 * tls_server_flight: the size of the server's first handshake flight as it
 * crossed the wire, readable without keys.  A different certificate chain (a
 * TLS-terminating box in the path) changes these numbers even when TLS 1.3
 * encrypts the chain itself.
 *
 * clear_*: the handshake messages the server sent in clear, from its
 * ServerHello (the real one: a HelloRetryRequest is not counted) to its
 * ServerHelloDone: ServerHello, Certificate, CertificateStatus,
 * ServerKeyExchange, CertificateRequest, ServerHelloDone in TLS <= 1.2, the
 * ServerHello alone in an abbreviated handshake (its ChangeCipherSpec ends
 * the clear part) and in TLS 1.3 (everything after it is encrypted).  Each
 * message counts its 4-byte handshake header and its body; record headers do
 * not count, so the numbers do not depend on how the server cut its records.
 * Only messages the parser accepted count (a malformed one stops the
 * direction); messages given decrypted to tls_feed_plaintext never count.
 *
 * enc_*: TLS 1.3 only (zero otherwise): the records of type application_data
 * (23) the server sent after its ServerHello and before the client's first
 * record after that ServerHello other than a ChangeCipherSpec - the client's
 * Finished (or its Certificate, EndOfEarlyData or an alert: whatever it
 * answers the flight with).  That is EncryptedExtensions, CertificateRequest,
 * Certificate, CertificateVerify and Finished, plus a NewSessionTicket a
 * server sends before the client's Finished (RFC 8446 §4.6.1 allows it).
 * enc_bytes sums the records' length fields (the ciphertext after each 5-byte
 * header; records * 5 more were on the wire).  "Before" is the order the
 * bytes were fed in: capture order.  A client that sends 0-RTT data after the
 * ServerHello ends the flight early.  Counting stops at
 * TLS_MAX_FLIGHT_RECORDS records, at a gap, a parse error or a fatal alert
 * in either direction.
 */
struct tls_server_flight {
    uint32_t clear_msgs;      /* handshake messages in clear, from the ServerHello on */
    uint32_t clear_bytes;     /* their bytes, 4-byte headers included (saturates) */
    bool clear_complete;      /* the clear part ended: ServerHelloDone, the server's
                                 ChangeCipherSpec, or a ServerHello choosing 1.3 */
    uint32_t enc_records;     /* TLS 1.3: encrypted records of the flight */
    uint32_t enc_bytes;       /* TLS 1.3: their length fields summed */
    bool enc_complete;        /* TLS 1.3: the client's answer ended it (else the
                                 counts stopped at a bound, a gap or an error, or the
                                 capture ended: they are a lower bound) */
};

/* tls_epoch: which keys a direction needs next (see on_keys_needed). */
enum tls_epoch {
    TLS_EPOCH_HANDSHAKE = 1,   /* TLS 1.3 handshake traffic keys, at the ServerHello */
    TLS_EPOCH_APPLICATION,     /* TLS 1.3 after that side's Finished; TLS <= 1.2 at its
                                  ChangeCipherSpec */
};

/* tls_cbs: what the parser reports.  Any may be NULL.  |from| is the
 * direction of the sender. */
struct tls_cbs {
    void (*on_client_hello)(void *user, const struct tls_client_hello *ch);
    void (*on_server_hello)(void *user, const struct tls_server_hello *sh);
    void (*on_certificate)(void *user, enum tcp_dir from, const struct tls_certificate *c);
    void (*on_cert_request)(void *user, const struct tls_cert_request *cr);
    void (*on_key_exchange)(void *user, const struct tls_key_exchange *kx);
    /* every handshake message, readable or encrypted (type 0xff, len 0 when
     * encrypted), for the transcript and "where the handshake stopped" */
    void (*on_handshake)(void *user, enum tcp_dir from, uint8_t type, uint32_t len, bool encrypted);
    void (*on_alert)(void *user, enum tcp_dir from, uint8_t level, uint8_t desc, bool encrypted);
    void (*on_ccs)(void *user, enum tcp_dir from);
    void (*on_appdata)(void *user, enum tcp_dir from);   /* first application data record */
    void (*on_error)(void *user, enum tcp_dir from, enum tls_error e);
    /* Decryption (all optional).  on_keys_needed asks for the decrypter of
     * |from|'s records from now on (answer with tls_set_decryptor, or not:
     * the records then stay encrypted).  on_plaintext hands over decrypted
     * application data (borrowed, |n| <= 2^14 + 2048).  on_decrypt_failed
     * says a record of |from| did not decrypt (|why| an enum decrypt_result):
     * the decrypter is dropped and that direction is encrypted again. */
    void (*on_keys_needed)(void *user, enum tcp_dir from, enum tls_epoch epoch);
    void (*on_plaintext)(void *user, enum tcp_dir from, const uint8_t *p, size_t n);
    void (*on_decrypt_failed)(void *user, enum tcp_dir from, int why);
    /* prints_later: the ClientHello is checked and its SNI, ALPN, versions,
     * random and session id read as always, but its JA3 and JA4_r are not
     * built (nor the cipher, extension, group and signature lists kept):
     * the consumer keeps ch->body and builds them with
     * tls_client_hello_parse where it has the time (mxwitness: on the
     * analysis thread, not the packet one). */
    bool prints_later;
};

/* tls_client_hello_parse parses the ClientHello body |p| (|n| bytes, as in
 * tls_client_hello.body) into |ch|, JA3 and JA4_r included, and the lists
 * when |lists|; false if it does not parse (a body the parser took always
 * does).  |ch| borrows from |p|.  Thread-safe (its memos are per thread). */
bool tls_client_hello_parse(const uint8_t *p, size_t n, uint16_t record_version, bool lists,
                            struct tls_client_hello *ch);

struct tls;

/* tls_new returns a parser for one connection (NULL on allocation failure). */
struct tls *tls_new(const struct tls_cbs *cbs, void *user);

/* tls_free frees |t|.  NULL is a no-op. */
void tls_free(struct tls *t);

/* The same in memory the caller owns (as smtp_init and smtp_fini):
 * tls_init makes the |tls_size()| bytes at |t| a new parser, tls_fini frees
 * what it holds but not |t| (NULL is a no-op). */
size_t tls_size(void);
void tls_init(struct tls *t, const struct tls_cbs *cbs, void *user);
void tls_fini(struct tls *t);

/* tls_feed parses bytes of direction |dir| and returns how many it consumed
 * (whole records; a partial record at the end is left for the next call). */
size_t tls_feed(struct tls *t, enum tcp_dir dir, const uint8_t *p, size_t n);

/* tls_feed_plaintext hands |t| the content of one record of direction |dir|
 * that someone else decrypted (a TLS 1.3 TLSInnerPlaintext with its padding
 * removed, |type| its real content type; RFC 8446 §5.2).  Handshake messages
 * in it are defragmented and parsed as if in clear, whatever the encryption
 * state; alerts are reported unencrypted.  Returns |n| (at most 2^14 + 2048,
 * else TLS_ERR_RECORD_TOO_LONG).  For a future key-log decrypter; tls_feed
 * never needs it. */
size_t tls_feed_plaintext(struct tls *t, enum tcp_dir dir, uint8_t type, const uint8_t *p,
                          size_t n);

struct tcp_memcap;

/* tls_set_memcap makes |t| draw the buffers of the handshake messages it
 * collects across records from |mc| (see TLS_MAX_HS_MSG); NULL (the default)
 * draws on nothing but malloc.  Set it before the first tls_feed. */
void tls_set_memcap(struct tls *t, struct tcp_memcap *mc);

struct decrypt;

/* tls_set_decryptor gives |t| the decrypter of |dir|'s records (it owns it
 * from now on and frees the one it had; NULL drops it).  TLS 1.3 records of
 * type application_data and, in TLS <= 1.2, the records after that side's
 * ChangeCipherSpec are then decrypted and read as if in clear: handshake
 * messages parsed (KeyUpdate applied), alerts read, application data
 * reported through on_plaintext.  False for a NULL |t| or a bad |dir| (|d|
 * freed). */
bool tls_set_decryptor(struct tls *t, enum tcp_dir dir, struct decrypt *d);

/* tls_reading_decrypted is true while |t| reports what it read from a
 * decrypted record of |dir| (by tls_set_decryptor's decrypter, or handed to
 * tls_feed_plaintext): a callback tells with it what was encrypted on the
 * wire from what crossed it in clear. */
bool tls_reading_decrypted(const struct tls *t, enum tcp_dir dir);

/* tls_decrypted returns how many records of |dir| were decrypted. */
uint64_t tls_decrypted(const struct tls *t, enum tcp_dir dir);

/* tls_gap tells |t| that bytes of |dir| are missing: that direction stops
 * (TLS_ERR_GAP) — record framing cannot be recovered reliably. */
void tls_gap(struct tls *t, enum tcp_dir dir);

/* tls_done is true when nothing more can be learnt from direction |dir|:
 * stopped by an error or a gap, after its fatal alert, for TLS <= 1.2 after
 * its ChangeCipherSpec and the encrypted Finished, for TLS 1.3 once the
 * server's encrypted flight is over (see struct tls_server_flight: until
 * then its size is still being learnt, in both directions). */
bool tls_done(const struct tls *t, enum tcp_dir dir);

/* tls_server_flight_get copies the server's flight so far into |*out|
 * (zeros when |t| is NULL). */
void tls_server_flight_get(const struct tls *t, struct tls_server_flight *out);

/* tls_looks_like_record is true when |p| (n >= 3 bytes available, else
 * false) starts like a TLS record: content type 20..24 and major version 3,
 * or an SSLv2 ClientHello header. */
bool tls_looks_like_record(const uint8_t *p, size_t n);

/* tls_hello_at says whether |p| (|n| bytes available) starts with the first
 * record of a hello: a handshake record (type 22, version 3.0 to 3.4, a
 * length a record may have) whose first message is a ClientHello
 * (|from_client|) or a ServerHello, with legacy_version 3.x: ten bytes that
 * ordinary text does not hold.  For finding TLS behind a clear-text
 * prelude.  TLS_HELLO_NEED: more bytes are needed to tell. */
enum tls_hello_at { TLS_HELLO_NO = 0, TLS_HELLO_YES, TLS_HELLO_NEED };
enum tls_hello_at tls_hello_at(const uint8_t *p, size_t n, bool from_client);

#endif
