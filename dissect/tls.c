/*
 * tls.c - the TLS handshake of one connection, from the record layer up.
 *
 * Three layers, each fed by the one below:
 *
 *   record layer     per direction: 5-byte headers, whole records only
 *                    (RFC 8446 §5.1, RFC 5246 §6.2.1); a partial record is
 *                    left unconsumed for the caller to offer again.
 *   defragmenter     per direction: handshake messages that span records are
 *                    copied into one owned buffer that grows as the bytes
 *                    arrive, drawn from the memory budget (TLS_MAX_HS_MSG);
 *                    messages that lie whole inside a record are parsed in
 *                    place, without a copy.
 *   message parsers  ClientHello, ServerHello, Certificate,
 *                    CertificateRequest, ServerKeyExchange: each turns a
 *                    message body into a struct of slices and a callback.
 *
 * Encryption.  After a ChangeCipherSpec (TLS <= 1.2) a direction's handshake
 * records are encrypted: they are framed and reported as "encrypted handshake
 * message" (one per record), never parsed.  Once a ServerHello chooses
 * TLS 1.3, everything after it in both directions except CCS records is
 * encrypted.  In 1.3 the encrypted handshake travels in records of type
 * application_data (RFC 8446 §5.2), so there it shows as application data:
 * the record layer cannot tell the two apart.
 *
 * The 1.3 middlebox-compatibility CCS (§D.4) that follows a
 * HelloRetryRequest changes nothing: the second ClientHello and the real
 * ServerHello after it are still in clear.  Any other CCS counts, even a
 * client's compatibility CCS before any ServerHello (ahead of 0-RTT data):
 * the only clear handshake message that may follow it is a second
 * ClientHello, which needs a HelloRetryRequest first, and counting it keeps a
 * one-sided capture of a client that offered 1.3 but got 1.2 from reading its
 * encrypted Finished as a message.
 *
 * Done (tls_done).  A direction is done once it is stopped by an error or a
 * gap, after it sent a fatal alert, for <= 1.2 after its CCS and one record
 * more (the encrypted Finished) - which for the server is after its
 * Certificate and ServerHelloDone, and for the client after its own
 * Certificate (mutual TLS) - and for 1.3 (both directions) once the server's
 * encrypted flight is over: the client answered it, or counting stopped (see
 * struct tls_server_flight).  Being done is advice to the caller: records
 * fed after it are still framed and reported.
 *
 * Flight size (struct tls_server_flight).  The clear part is counted per
 * handshake message (flight_clear_msg), the encrypted 1.3 part per record
 * (flight_record); both count what the wire carried, never decrypted input.
 *
 * Errors stop the direction for good (on_error once); later bytes of that
 * direction are consumed unread so a reassembler can drop them.  A
 * handshake message that does not parse is TLS_ERR_MALFORMED, judged as
 * strictly as a TLS peer would (vectors must fill their blocks exactly):
 * what a real peer would reject with decode_error is not reported as seen.
 *
 * Nothing here indexes raw bytes: every read of input goes through struct cbs.
 */
#include "dissect/tls.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dissect/decrypt.h"
#include "dissect/tls_suite.h"
#include "lib/keyhash.h"
#include "lib/strbuf.h"

/* RFC 5246 §6.2.3: a TLSCiphertext fragment is at most 2^14 + 2048 bytes
 * (the largest any version allows; 1.3 allows 2^14 + 256). */
#define TLS_MAX_RECORD (16384u + 2048u)

#define TLS_HS_HDR     4u        /* msg_type(1) length(3) */

/* Extension types (IANA "TLS ExtensionType Values"). */
#define EXT_SERVER_NAME           0
#define EXT_SUPPORTED_GROUPS      10
#define EXT_EC_POINT_FORMATS      11
#define EXT_SIGNATURE_ALGORITHMS  13
#define EXT_ALPN                  16
#define EXT_SUPPORTED_VERSIONS    43
#define EXT_CERTIFICATE_AUTHORITIES 47
#define EXT_KEY_SHARE             51
#define EXT_ECH                   0xfe0d

#define TLS13 0x0304

/* is_tls13 includes the drafts of TLS 1.3 (0x7fXX), which encrypt the same
 * way and were deployed for a while. */
static bool is_tls13(uint16_t v)
{
    return v == TLS13 || (v & 0xff00) == 0x7f00;
}

/* One direction: who sent the bytes names it (enum tcp_dir). */
struct tls_half {
    /* defragmentation: the 4-byte header of the message being collected,
     * then its body in an owned buffer that grows with what arrives (never
     * beyond the announced length, at most 2^24 - 1): a header that
     * announces 16 MiB costs nothing until the bytes come; body_cap bytes
     * are drawn from t->mc */
    uint8_t hdr[TLS_HS_HDR];
    size_t hdr_len;
    uint8_t *body;
    uint32_t body_len, body_have, body_cap;
    uint16_t msg_record_version;   /* record version where the message began */

    bool started;      /* a record header was accepted (SSLv2 check done) */
    bool stopped;      /* an error or a gap: nothing more is read */
    bool fatal;        /* sent a fatal alert */
    bool ccs;          /* sent a ChangeCipherSpec */
    bool appdata;      /* on_appdata was reported */
    uint32_t enc_records;   /* records read while encrypted (saturates) */
    struct decrypt *dec;    /* this direction's decrypter (key log), or NULL */
    bool app_keys;          /* TLS 1.3: the application keys were asked for */
    uint64_t decrypted;     /* records it decrypted */
    bool in_plain;          /* reading a decrypted record now (tls_reading_decrypted) */
};

struct tls {
    struct tls_cbs cbs;
    void *user;
    struct tls_half h[2];

    bool hrr;               /* a HelloRetryRequest was seen */
    bool sh;                /* a real ServerHello was seen */
    bool tls13;             /* ... and it chose TLS 1.3 */
    uint16_t version;       /* negotiated, once sh */
    uint16_t cipher;        /* chosen, once sh */

    struct tls_server_flight flight;   /* see tls.h */
    bool clear_over;        /* the flight's clear part ended (complete or not) */
    bool enc_over;          /* 1.3: the encrypted flight's counting ended */
    struct tcp_memcap *mc;  /* the budget message buffers are drawn from, or NULL */
};

/* Scratch for the parsed structs, live only while one message is parsed and
 * its callback runs: a few KB, kept off the stack, and one per thread rather
 * than one per connection (every connection had its own copy, which made
 * struct tls a large allocation for the whole life of the session). */
union tls_scratch {
    struct tls_client_hello ch;
    struct tls_server_hello sh;
    struct tls_certificate cert;
    struct tls_cert_request cr;
};

static _Thread_local union tls_scratch scratch;

/* One record's plaintext, likewise one per thread rather than one per
 * decrypted connection (18 KB each, a thousand sessions open at once made it
 * 18 MB): a record is decrypted and read to the end, its callbacks
 * included, before the next one of any connection, and nothing that reads
 * it feeds TLS bytes again (the callbacks copy what they keep). */
static _Thread_local uint8_t plain_buf[DECRYPT_MAX_RECORD];

/* ---- names ---------------------------------------------------------- */

static const char *const error_names[TLS_ERR_COUNT] = {
    [TLS_ERR_NONE] = "none",
    [TLS_ERR_NOT_TLS] = "not_tls",
    [TLS_ERR_RECORD_TOO_LONG] = "record_too_long",
    [TLS_ERR_MALFORMED] = "malformed",
    [TLS_ERR_HS_MEMCAP] = "hs_memcap",
    [TLS_ERR_SSLV2] = "sslv2",
    [TLS_ERR_GAP] = "gap",
};

const char *tls_error_name(enum tls_error e)
{
    return (unsigned)e < TLS_ERR_COUNT ? error_names[e] : "unknown";
}

const char *tls_version_name(uint16_t v)
{
    static char buf[8];

    switch (v) {
    case 0x0300: return "SSLv3";
    case 0x0301: return "1.0";
    case 0x0302: return "1.1";
    case 0x0303: return "1.2";
    case 0x0304: return "1.3";
    default:
        snprintf(buf, sizeof(buf), "0x%04X", (unsigned)v);
        return buf;
    }
}

/* RFC 8446 §6 and RFC 5246 §7.2, plus the descriptions later RFCs added
 * (RFC 6066, 7301, 7507, 8446, and ECH's ech_required) and the SSLv3 and
 * TLS 1.0 ones that are reserved now but still seen from old peers. */
const char *tls_alert_name(uint8_t desc)
{
    switch (desc) {
    case 0:   return "close_notify";
    case 10:  return "unexpected_message";
    case 20:  return "bad_record_mac";
    case 21:  return "decryption_failed";
    case 22:  return "record_overflow";
    case 30:  return "decompression_failure";
    case 40:  return "handshake_failure";
    case 41:  return "no_certificate";
    case 42:  return "bad_certificate";
    case 43:  return "unsupported_certificate";
    case 44:  return "certificate_revoked";
    case 45:  return "certificate_expired";
    case 46:  return "certificate_unknown";
    case 47:  return "illegal_parameter";
    case 48:  return "unknown_ca";
    case 49:  return "access_denied";
    case 50:  return "decode_error";
    case 51:  return "decrypt_error";
    case 60:  return "export_restriction";
    case 70:  return "protocol_version";
    case 71:  return "insufficient_security";
    case 80:  return "internal_error";
    case 86:  return "inappropriate_fallback";
    case 90:  return "user_canceled";
    case 100: return "no_renegotiation";
    case 109: return "missing_extension";
    case 110: return "unsupported_extension";
    case 111: return "certificate_unobtainable";
    case 112: return "unrecognized_name";
    case 113: return "bad_certificate_status_response";
    case 114: return "bad_certificate_hash_value";
    case 115: return "unknown_psk_identity";
    case 116: return "certificate_required";
    case 120: return "no_application_protocol";
    case 121: return "ech_required";
    default:  return NULL;
    }
}

/* "level-0" .. "level-255" as constants: an alert level's name needs no
 * buffer.  LEVELS10_(p) gives the ten levels p0 .. p9 (the digits pasted
 * onto p, which is empty for 0 .. 9). */
#define LEVEL_(n) "level-" #n
#define LEVELS10_(p)                                                                    \
    LEVEL_(p##0), LEVEL_(p##1), LEVEL_(p##2), LEVEL_(p##3), LEVEL_(p##4), LEVEL_(p##5), \
        LEVEL_(p##6), LEVEL_(p##7), LEVEL_(p##8), LEVEL_(p##9)

static const char *const level_names[] = {
    LEVELS10_(),   LEVELS10_(1),  LEVELS10_(2),  LEVELS10_(3),  LEVELS10_(4),
    LEVELS10_(5),  LEVELS10_(6),  LEVELS10_(7),  LEVELS10_(8),  LEVELS10_(9),
    LEVELS10_(10), LEVELS10_(11), LEVELS10_(12), LEVELS10_(13), LEVELS10_(14),
    LEVELS10_(15), LEVELS10_(16), LEVELS10_(17), LEVELS10_(18), LEVELS10_(19),
    LEVELS10_(20), LEVELS10_(21), LEVELS10_(22), LEVELS10_(23), LEVELS10_(24),
    LEVEL_(250),   LEVEL_(251),   LEVEL_(252),   LEVEL_(253),   LEVEL_(254),
    LEVEL_(255),
};

_Static_assert(sizeof(level_names) / sizeof(level_names[0]) == 256, "one name per level");

#undef LEVELS10_
#undef LEVEL_

/* RFC 5246 §7.2: enum { warning(1), fatal(2), (255) } AlertLevel. */
const char *tls_alert_level_name(uint8_t level)
{
    switch (level) {
    case 1:  return "warning";
    case 2:  return "fatal";
    default: return level_names[level];
    }
}

/* RFC 8446 §4, RFC 5246 §7.4, RFC 6347 (hello_verify_request), RFC 6066
 * (certificate_url, certificate_status), RFC 4680 (supplemental_data),
 * RFC 8879 (compressed_certificate). */
const char *tls_hs_name(uint8_t type)
{
    switch (type) {
    case 0:   return "hello_request";
    case 1:   return "client_hello";
    case 2:   return "server_hello";
    case 3:   return "hello_verify_request";
    case 4:   return "new_session_ticket";
    case 5:   return "end_of_early_data";
    case 8:   return "encrypted_extensions";
    case 11:  return "certificate";
    case 12:  return "server_key_exchange";
    case 13:  return "certificate_request";
    case 14:  return "server_hello_done";
    case 15:  return "certificate_verify";
    case 16:  return "client_key_exchange";
    case 20:  return "finished";
    case 21:  return "certificate_url";
    case 22:  return "certificate_status";
    case 23:  return "supplemental_data";
    case 24:  return "key_update";
    case 25:  return "compressed_certificate";
    case 254: return "message_hash";
    default:  return NULL;
    }
}

/* ---- small helpers -------------------------------------------------- */

/* RFC 8701 §2: both bytes equal, each 0x?A. */
bool tls_is_grease(uint16_t v)
{
    return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

/* u16_list_parse reads a vector of 16-bit values that must fill |c|
 * exactly; keeps the first TLS_MAX_LIST, counts them all. */
static bool u16_list_parse(struct cbs c, struct tls_u16_list *out)
{
    uint16_t v;

    out->n = 0;
    out->total = 0;
    if (cbs_len(&c) % 2 != 0)
        return false;
    while (cbs_get_u16(&c, &v)) {
        if (out->n < TLS_MAX_LIST)
            out->v[out->n++] = v;
        out->total++;
    }
    return true;
}

/* The JA3 strings are built with lib/strbuf (bounded and cut like
 * snprintf); once it is full, the list walkers below stop. */

/* Decimal by hand, straight into the buffer: a JA3 string has a hundred
 * numbers, and snprintf (later strlen per piece) showed up in the profile of
 * every session.  Two digits a step from a table of pairs. */
static const char dec_pairs[] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

static char *dec2(char *o, unsigned v)  /* v < 100, always two digits */
{
    o[0] = dec_pairs[v * 2];
    o[1] = dec_pairs[v * 2 + 1];
    return o + 2;
}

/* dec_u16 writes |v| (below 65536) at |o|, at most 5 bytes; returns the end. */
static char *dec_u16(char *o, unsigned v)
{
    if (v >= 10000) {
        *o++ = (char)('0' + v / 10000);
        v %= 10000;
        return dec2(dec2(o, v / 100), v % 100);
    }
    if (v >= 1000)
        return dec2(dec2(o, v / 100), v % 100);
    if (v >= 100) {
        *o++ = (char)('0' + v / 100);
        return dec2(o, v % 100);
    }
    if (v >= 10)
        return dec2(o, v);
    *o++ = (char)('0' + v);
    return o;
}

static void sb_putu(struct strbuf *b, unsigned v)
{
    char tmp[12], *e;
    size_t i = sizeof(tmp), n;

    if (v < 65536) {
        e = dec_u16(tmp, v);
        i = 0;
        n = (size_t)(e - tmp);
    } else {
        do {
            tmp[--i] = (char)('0' + v % 10);
            v /= 10;
        } while (v && i > 0);
        n = sizeof(tmp) - i;
    }
    if (b->len + n >= b->cap)
        n = b->cap - 1 - b->len;
    memcpy(b->p + b->len, tmp + i, n);
    b->len += n;
    b->p[b->len] = '\0';
}

/* sb_item appends '-' (unless first) and |v|.  With room for the longest
 * item it writes in place; near the end it goes through the truncating
 * sb_putc/sb_putu, so a full buffer ends the same way either path. */
static void sb_item(struct strbuf *b, uint16_t v, bool first)
{
    if (b->cap - b->len >= 8) {   /* '-', five digits, NUL */
        char *o = b->p + b->len;

        if (!first)
            *o++ = '-';
        o = dec_u16(o, v);
        *o = '\0';
        b->len = (size_t)(o - b->p);
        return;
    }
    if (!first)
        strbuf_putc(b, '-');
    sb_putu(b, v);
}

/* sb_u16_field appends the non-GREASE 16-bit values of |c| joined by '-'. */
static void sb_u16_field(struct strbuf *b, struct cbs c)
{
    uint16_t v;
    bool first = true;

    while (!strbuf_full(b) && cbs_get_u16(&c, &v)) {
        if (tls_is_grease(v))
            continue;
        sb_item(b, v, first);
        first = false;
    }
}

/* sb_ext_field appends the non-GREASE extension types of an extensions
 * block (already checked to parse) joined by '-'. */
static void sb_ext_field(struct strbuf *b, struct cbs exts)
{
    uint16_t type;
    struct cbs data;
    bool first = true;

    while (!strbuf_full(b) && cbs_get_u16(&exts, &type) && cbs_get_u16_prefixed(&exts, &data)) {
        if (tls_is_grease(type))
            continue;
        sb_item(b, type, first);
        first = false;
    }
}

/* ---- JA3 ----------------------------------------------------------- */

/* The JA3 strings of the ClientHellos met lately.  A server meets the same
 * few client stacks again and again, and writing out a few hundred decimal
 * numbers per hello was 4% of the packet side's instructions on the bench's
 * mail capture (callgrind, one thread per side).  A slot is keyed
 * by the exact wire bytes the string is made of (the version, the cipher
 * list, the extension types in order, the supported_groups and
 * ec_point_formats data), compared whole, each part with its length; a
 * hello whose key or string is longer than the slot is written out each
 * time. */
#define JA3_MEMO_SLOTS 8
#define JA3_KEY_MAX 512
#define JA3_STR_MAX 1024

struct ja3_memo {
    size_t klen, slen;               /* klen 0: empty */
    uint8_t key[JA3_KEY_MAX];
    char s[JA3_STR_MAX];
};

/* memo_put appends |n| bytes of |p| with a 16-bit length before them to a
 * memo key of at most |cap| bytes; false when the key would not fit. */
static bool memo_put(uint8_t *k, size_t cap, size_t *len, const uint8_t *p, size_t n)
{
    if (n > 0xFFFF || cap - *len < n + 2)
        return false;
    k[(*len)++] = (uint8_t)(n >> 8);
    k[(*len)++] = (uint8_t)n;
    if (n > 0)
        memcpy(k + *len, p, n);
    *len += n;
    return true;
}

static bool ja3_put(uint8_t *k, size_t *len, const uint8_t *p, size_t n)
{
    return memo_put(k, JA3_KEY_MAX, len, p, n);
}

/* ja3_key writes the memo key of a hello into |k|: its length, or 0 when
 * it does not fit.  |exts| has been checked to parse. */
static size_t ja3_key(uint8_t *k, uint16_t version, struct cbs ciphers, struct cbs exts,
                      struct cbs groups, struct cbs formats)
{
    uint8_t v[2] = {(uint8_t)(version >> 8), (uint8_t)version};
    size_t len = 0, types_at;
    uint16_t type;
    struct cbs data;

    if (!ja3_put(k, &len, v, sizeof(v)) || !ja3_put(k, &len, cbs_data(&ciphers), cbs_len(&ciphers)))
        return 0;
    types_at = len;
    if (!ja3_put(k, &len, NULL, 0))  /* the types' length, filled in below */
        return 0;
    while (cbs_get_u16(&exts, &type) && cbs_get_u16_prefixed(&exts, &data)) {
        if (JA3_KEY_MAX - len < 2)
            return 0;
        k[len++] = (uint8_t)(type >> 8);
        k[len++] = (uint8_t)type;
    }
    k[types_at] = (uint8_t)((len - types_at - 2) >> 8);
    k[types_at + 1] = (uint8_t)(len - types_at - 2);
    if (!ja3_put(k, &len, cbs_data(&groups), cbs_len(&groups)) ||
        !ja3_put(k, &len, cbs_data(&formats), cbs_len(&formats)))
        return 0;
    return len;
}

/* build_ja3 writes the JA3 string of the hello into ch->ja3: the version,
 * then the ciphers, the extension types, the groups and the point formats,
 * each list '-'-joined without GREASE, the five ','-separated. */
static void build_ja3(struct tls_client_hello *ch, struct cbs ciphers, struct cbs exts,
                      struct cbs groups)
{
    static _Thread_local struct ja3_memo memo[JA3_MEMO_SLOTS];   /* ~12 KB: not on the stack */
    static _Thread_local uint8_t key[JA3_KEY_MAX];
    size_t kl = ja3_key(key, ch->legacy_version, ciphers, exts, groups, ch->ec_point_formats);
    struct ja3_memo *m = kl ? &memo[keyhash(0x6A61337573u, key, kl) % JA3_MEMO_SLOTS] : NULL;
    struct cbs walk, data;
    struct strbuf sb;
    uint8_t pf;

    if (m != NULL && m->klen == kl && memcmp(m->key, key, kl) == 0) {
        memcpy(ch->ja3, m->s, m->slen + 1);
        return;
    }
    strbuf_init(&sb, ch->ja3, sizeof(ch->ja3));
    sb_putu(&sb, ch->legacy_version);
    strbuf_putc(&sb, ',');
    sb_u16_field(&sb, ciphers);
    strbuf_putc(&sb, ',');
    sb_ext_field(&sb, exts);
    strbuf_putc(&sb, ',');
    if (cbs_get_u16_prefixed(&groups, &data))   /* checked by ch_extension */
        sb_u16_field(&sb, data);
    strbuf_putc(&sb, ',');
    walk = ch->ec_point_formats;
    for (bool first = true; cbs_get_u8(&walk, &pf); first = false) {
        if (!first)
            strbuf_putc(&sb, '-');
        sb_putu(&sb, pf);
    }
    if (m != NULL && sb.len < JA3_STR_MAX) {
        m->klen = kl;
        memcpy(m->key, key, kl);
        m->slen = sb.len;
        memcpy(m->s, ch->ja3, sb.len + 1);
    }
}

/* ---- error and state ------------------------------------------------ */

static void half_drop_message(struct tls *t, struct tls_half *h)
{
    if (h->body != NULL)
        tcp_memcap_release(t->mc, h->body_cap);
    free(h->body);
    h->body = NULL;
    h->body_len = 0;
    h->body_have = 0;
    h->body_cap = 0;
    h->hdr_len = 0;
}

static void stop(struct tls *t, enum tcp_dir d, enum tls_error e)
{
    struct tls_half *h = &t->h[d];

    if (h->stopped)
        return;
    h->stopped = true;
    half_drop_message(t, h);
    if (t->cbs.on_error)
        t->cbs.on_error(t->user, d, e);
}

/* hs_encrypted says whether handshake records from |d| are encrypted now.
 * A CCS counts unless it is TLS 1.3's compatibility CCS after a
 * HelloRetryRequest (the second ClientHello and the real ServerHello come in
 * clear after it, RFC 8446 §D.4). */
static bool hs_encrypted(const struct tls *t, enum tcp_dir d)
{
    const struct tls_half *h = &t->h[d];

    if (t->tls13)
        return true;
    if (!h->ccs)
        return false;
    if (!t->sh && t->hrr)
        return false;
    return true;
}

/* ---- JA4 ----------------------------------------------------------- */

/*
 * JA4 (FoxIO, BSD-3; technical_details/JA4.md), its raw form JA4_r:
 *
 *   t <version> <d|i> <ciphers, 2 digits> <extensions, 2 digits> <ALPN, 2 chars>
 *   _ <ciphers, 4 lower-case hex digits each, sorted, comma-separated>
 *   _ <extensions likewise, sorted, without SNI (0000) and ALPN (0010)>
 *   [ _ <signature algorithms, in the order sent> ]
 *
 * GREASE values are left out everywhere, counts included.  The version is
 * the highest of supported_versions if the extension is there, else the
 * ClientHello's own.  Counts stop at 99.  The ALPN part is the first and last
 * character of the first protocol name when both are alphanumeric, else the
 * first and last hex digit of the name's bytes; "00" without ALPN.  The
 * hashes (JA4 proper) are analyze's business: OpenSSL stays there.
 */
struct ja4_list {
    uint16_t v[TLS_JA4_MAX_ITEMS];
    size_t n;
};

/* ja4_add appends |v| unless it is GREASE; false when the list is full. */
static bool ja4_add(struct ja4_list *l, uint16_t v)
{
    if (tls_is_grease(v))
        return true;
    if (l->n == TLS_JA4_MAX_ITEMS)
        return false;
    l->v[l->n++] = v;
    return true;
}

static void ja4_sort(struct ja4_list *l)
{
    for (size_t i = 1; i < l->n; i++) {
        uint16_t v = l->v[i];
        size_t k = i;

        for (; k > 0 && l->v[k - 1] > v; k--)
            l->v[k] = l->v[k - 1];
        l->v[k] = v;
    }
}

static const char ja4_hex[] = "0123456789abcdef";

static char *ja4_hex_list(char *o, const struct ja4_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        if (i)
            *o++ = ',';
        o[0] = ja4_hex[l->v[i] >> 12];
        o[1] = ja4_hex[(l->v[i] >> 8) & 0xf];
        o[2] = ja4_hex[(l->v[i] >> 4) & 0xf];
        o[3] = ja4_hex[l->v[i] & 0xf];
        o += 4;
    }
    return o;
}

static const char *ja4_version(uint16_t v)
{
    switch (v) {
    case 0x0304: return "13";
    case 0x0303: return "12";
    case 0x0302: return "11";
    case 0x0301: return "10";
    case 0x0300: return "s3";
    case 0x0002: return "s2";
    case 0xfeff: return "d1";
    case 0xfefd: return "d2";
    case 0xfefc: return "d3";
    default:     return "00";
    }
}

static bool is_alnum(uint8_t c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* A ClientHello's JA4 inputs (GREASE gone, lists as sent) and the JA4_r they
 * give.  Senders repeat their ClientHello from session to session, so the
 * last few are remembered: a hit skips the sorting and the hex. */
struct ja4_memo {
    bool used;
    char a[10];                      /* the first part, worked out each time */
    struct ja4_list lc, le, ls;
    size_t len;
    char raw[sizeof(((struct tls_client_hello *)0)->ja4_r)];
};

#define JA4_MEMO_SLOTS 4

static bool ja4_list_eq(const struct ja4_list *x, const struct ja4_list *y)
{
    return x->n == y->n && memcmp(x->v, y->v, x->n * sizeof(x->v[0])) == 0;
}

/* build_ja4_raw writes ch->ja4_r from the wire lists (checked to parse by
 * parse_client_hello); leaves it empty if a list has more than
 * TLS_JA4_MAX_ITEMS entries. */
static void build_ja4_raw(struct tls_client_hello *ch, struct cbs ciphers, struct cbs exts,
                          struct cbs sigalgs)
{
    static _Thread_local struct ja4_memo memo[JA4_MEMO_SLOTS];  /* ~22 KB: not on the stack */
    static _Thread_local struct ja4_list lc, le, ls;
    struct ja4_memo *m;
    size_t nexts = 0;
    bool sni = false;
    uint16_t v, version = ch->legacy_version, type;
    struct cbs data, name, list;
    char a[10], *o;
    unsigned h;

    ch->ja4_r[0] = '\0';
    lc.n = le.n = ls.n = 0;
    while (cbs_get_u16(&ciphers, &v))
        if (!ja4_add(&lc, v))
            return;
    while (cbs_get_u16(&exts, &type) && cbs_get_u16_prefixed(&exts, &data)) {
        if (tls_is_grease(type))
            continue;
        nexts++;
        if (type == EXT_SERVER_NAME)
            sni = true;
        else if (type != EXT_ALPN && !ja4_add(&le, type))
            return;
    }
    if (cbs_get_u16_prefixed(&sigalgs, &list))
        while (cbs_get_u16(&list, &v))
            if (!ja4_add(&ls, v))
                return;
    if (ch->versions.total > 0) {
        uint16_t best = 0;

        for (size_t i = 0; i < ch->versions.n; i++)
            if (!tls_is_grease(ch->versions.v[i]) && ch->versions.v[i] > best)
                best = ch->versions.v[i];
        if (best != 0)
            version = best;
    }

    a[0] = 't';
    memcpy(a + 1, ja4_version(version), 2);
    a[3] = sni ? 'd' : 'i';
    dec2(a + 4, lc.n > 99 ? 99 : (unsigned)lc.n);
    dec2(a + 6, nexts > 99 ? 99 : (unsigned)nexts);
    list = ch->alpn;
    if (cbs_get_u8_prefixed(&list, &name) && cbs_len(&name) > 0) {
        const uint8_t *p = cbs_data(&name);
        uint8_t first = p[0], last = p[cbs_len(&name) - 1];

        if (is_alnum(first) && is_alnum(last)) {
            a[8] = (char)first;
            a[9] = (char)last;
        } else {
            a[8] = ja4_hex[first >> 4];
            a[9] = ja4_hex[last & 0xf];
        }
    } else {
        a[8] = a[9] = '0';
    }

    h = (unsigned)(lc.n * 31 + le.n * 7 + ls.n) ^ (lc.n ? lc.v[0] : 0) ^ (le.n ? le.v[0] : 0);
    m = &memo[h % JA4_MEMO_SLOTS];
    if (m->used && memcmp(m->a, a, sizeof(a)) == 0 && ja4_list_eq(&m->lc, &lc) &&
        ja4_list_eq(&m->le, &le) && ja4_list_eq(&m->ls, &ls)) {
        memcpy(ch->ja4_r, m->raw, m->len + 1);
        return;
    }
    m->used = true;
    memcpy(m->a, a, sizeof(a));
    m->lc.n = lc.n;
    memcpy(m->lc.v, lc.v, lc.n * sizeof(lc.v[0]));
    m->le.n = le.n;
    memcpy(m->le.v, le.v, le.n * sizeof(le.v[0]));
    m->ls.n = ls.n;
    memcpy(m->ls.v, ls.v, ls.n * sizeof(ls.v[0]));

    ja4_sort(&lc);
    ja4_sort(&le);
    o = ch->ja4_r;
    memcpy(o, a, sizeof(a));
    o += sizeof(a);
    *o++ = '_';
    o = ja4_hex_list(o, &lc);
    *o++ = '_';
    o = ja4_hex_list(o, &le);
    if (ls.n > 0) {
        *o++ = '_';
        o = ja4_hex_list(o, &ls);
    }
    *o = '\0';
    m->len = (size_t)(o - ch->ja4_r);
    memcpy(m->raw, ch->ja4_r, m->len + 1);
}

/* ---- ClientHello ---------------------------------------------------- */

/*
 * RFC 6066 §3 server_name:
 *
 *   struct {
 *       NameType name_type;                 u8, host_name(0)
 *       select (name_type) {
 *           case host_name: HostName;       opaque HostName<1..2^16-1>
 *       } name;
 *   } ServerName;
 *   struct { ServerName server_name_list<1..2^16-1> } ServerNameList;
 *
 * Every name type defined so far is u16-prefixed, so unknown types are
 * skipped the same way.  The first host_name is kept.
 */
static bool parse_sni(struct cbs data, struct cbs *sni)
{
    struct cbs list, name;
    uint8_t type;
    bool found = false;

    if (!cbs_get_u16_prefixed(&data, &list) || cbs_len(&data) != 0 || cbs_len(&list) == 0)
        return false;
    while (cbs_len(&list) > 0) {
        if (!cbs_get_u8(&list, &type) || !cbs_get_u16_prefixed(&list, &name) ||
            cbs_len(&name) == 0)
            return false;
        if (type == 0 && !found) {
            *sni = name;
            found = true;
        }
    }
    return true;
}

/*
 * RFC 7301 §3.1 application_layer_protocol_negotiation:
 *
 *   opaque ProtocolName<1..2^8-1>;
 *   struct { ProtocolName protocol_name_list<2..2^16-1> } ProtocolNameList;
 *
 * |*list| is set to the inner list (u8-prefixed names, back to back).
 */
static bool parse_alpn_list(struct cbs data, struct cbs *list)
{
    struct cbs names, walk, name;

    if (!cbs_get_u16_prefixed(&data, &names) || cbs_len(&data) != 0 || cbs_len(&names) == 0)
        return false;
    walk = names;
    while (cbs_len(&walk) > 0)
        if (!cbs_get_u8_prefixed(&walk, &name) || cbs_len(&name) == 0)
            return false;
    *list = names;
    return true;
}

/* u16_list_check is u16_list_parse without keeping the values: the same
 * test of the same bytes (a hello read for its prints later must be taken
 * or refused now exactly as the whole reading would). */
static bool u16_list_check(struct cbs c)
{
    return cbs_len(&c) % 2 == 0;
}

/* The extensions of a ClientHello that we keep (RFC 8446 §4.2); the group
 * and signature lists only when |lists|. */
static bool ch_extension(struct tls_client_hello *ch, uint16_t type, struct cbs data, bool lists)
{
    struct cbs inner;

    switch (type) {
    case EXT_SERVER_NAME:
        return parse_sni(data, &ch->sni);
    case EXT_SUPPORTED_GROUPS:          /* RFC 8446 §4.2.7: NamedGroup<2..2^16-1> */
    case EXT_SIGNATURE_ALGORITHMS:      /* §4.2.3: SignatureScheme<2..2^16-2> */
        if (!cbs_get_u16_prefixed(&data, &inner) || cbs_len(&data) != 0)
            return false;
        if (!lists)
            return u16_list_check(inner);
        return u16_list_parse(inner, type == EXT_SUPPORTED_GROUPS ? &ch->groups : &ch->sig_algs);
    case EXT_EC_POINT_FORMATS:          /* RFC 8422 §5.1.2: ECPointFormat<1..2^8-1> */
        if (!cbs_get_u8_prefixed(&data, &inner) || cbs_len(&data) != 0)
            return false;
        ch->ec_point_formats = inner;
        return true;
    case EXT_ALPN:
        return parse_alpn_list(data, &ch->alpn);
    case EXT_SUPPORTED_VERSIONS:        /* §4.2.1: ProtocolVersion versions<2..254> */
        return cbs_get_u8_prefixed(&data, &inner) && cbs_len(&data) == 0 &&
               u16_list_parse(inner, &ch->versions);
    case EXT_ECH:                       /* draft-ietf-tls-esni: opaque to us */
        ch->ech = true;
        return true;
    default:
        return true;
    }
}

/*
 * RFC 8446 §4.1.2 (RFC 5246 §7.4.1.2 is the same up to the extensions,
 * which are optional before TLS 1.3):
 *
 *   struct {
 *       ProtocolVersion legacy_version;                  u16
 *       Random random;                                   32 bytes
 *       opaque legacy_session_id<0..32>;
 *       CipherSuite cipher_suites<2..2^16-2>;            u16 each
 *       opaque legacy_compression_methods<1..2^8-1>;
 *       Extension extensions<8..2^16-1>;                 optional <= 1.2
 *   } ClientHello;
 *
 *   struct { ExtensionType extension_type; opaque extension_data<0..2^16-1>; } Extension;
 *
 * JA3 (Salesforce): SSLVersion,Ciphers,Extensions,EllipticCurves,
 * EllipticCurvePointFormats — decimal values joined by '-', GREASE dropped
 * from every list, computed from the whole wire lists (not the kept ones).
 */
/* ch_parse reads a ClientHello body into |ch|; with |lists| the cipher,
 * extension, group and signature lists too, with |prints| the JA3 and the
 * JA4_r (built from the wire bytes, not from the lists). */
static bool ch_parse(struct tls_client_hello *ch, struct cbs body, uint16_t record_version,
                     bool lists, bool prints)
{
    struct cbs ciphers, exts = {NULL, 0}, walk, data, groups = {NULL, 0}, sigalgs = {NULL, 0};
    uint16_t type;

    /* everything but the JA3 and JA4_r buffers, which are written before
     * they are read */
    memset(ch, 0, offsetof(struct tls_client_hello, ja3));
    ch->ja3[0] = '\0';
    ch->ja4_r[0] = '\0';
    ch->record_version = record_version;
    ch->body = body;
    if (!cbs_get_u16(&body, &ch->legacy_version) ||
        !cbs_get_bytes(&body, &ch->random, 32) ||
        !cbs_get_u8_prefixed(&body, &ch->session_id) ||
        cbs_len(&ch->session_id) > 32 ||
        !cbs_get_u16_prefixed(&body, &ciphers) ||
        cbs_len(&ciphers) == 0 ||
        !(lists ? u16_list_parse(ciphers, &ch->ciphers) : u16_list_check(ciphers)) ||
        !cbs_get_u8_prefixed(&body, &ch->compressions) ||
        cbs_len(&ch->compressions) == 0)
        return false;
    if (cbs_len(&body) > 0) {
        if (!cbs_get_u16_prefixed(&body, &exts) || cbs_len(&body) != 0)
            return false;
        ch->has_extensions = true;
        walk = exts;
        while (cbs_len(&walk) > 0) {
            if (!cbs_get_u16(&walk, &type) || !cbs_get_u16_prefixed(&walk, &data))
                return false;
            if (lists) {
                if (ch->ext_types.n < TLS_MAX_LIST)
                    ch->ext_types.v[ch->ext_types.n++] = type;
                ch->ext_types.total++;
            }
            if (type == EXT_SUPPORTED_GROUPS)
                groups = data;
            else if (type == EXT_SIGNATURE_ALGORITHMS)
                sigalgs = data;
            if (!ch_extension(ch, type, data, lists))
                return false;
        }
    }
    if (prints) {
        build_ja3(ch, ciphers, exts, groups);
        build_ja4_raw(ch, ciphers, exts, sigalgs);
    }
    return true;
}

static bool parse_client_hello(struct tls *t, struct cbs body, uint16_t record_version)
{
    struct tls_client_hello *ch = &scratch.ch;

    if (!ch_parse(ch, body, record_version, !t->cbs.prints_later, !t->cbs.prints_later))
        return false;
    if (t->cbs.on_client_hello)
        t->cbs.on_client_hello(t->user, ch);
    return true;
}

/*
 * The prints of hellos seen before.  A mail server's senders are a handful
 * of TLS stacks, whose hellos differ from one connection to the next only
 * in what the prints leave out (random, session id, key shares, SNI name,
 * padding).  A hello's JA3 and JA4_r depend on nothing but its legacy
 * version, its cipher list, the types of its extensions in order, and the
 * contents of five of them: supported_groups and ec_point_formats (JA3),
 * signature_algorithms, ALPN and supported_versions (JA4_r).  hello_key
 * writes exactly those bytes, each with its length, and a hello whose key
 * is a remembered one's byte for byte has that one's prints: no hash is
 * trusted, the key is compared whole.
 */
#define HELLO_MEMO_SLOTS 8
#define HELLO_KEY_MAX 1024

struct hello_memo {
    size_t klen;                    /* 0: empty */
    uint8_t key[HELLO_KEY_MAX];
    char ja3[512], ja4_r[1024];     /* hellos with longer prints are not kept */
};

/* hello_key: the key of the ClientHello body |body| in |k|, its length;
 * 0 when it does not fit or the body does not read that far (the caller
 * then parses it whole, which says why). */
static size_t hello_key(struct cbs body, uint8_t *k)
{
    struct cbs version, sid, ciphers, comp, exts, data;
    uint16_t type;
    size_t len = 0;

    if (!cbs_get_bytes(&body, &version, 2) || !cbs_skip(&body, 32) ||
        !memo_put(k, HELLO_KEY_MAX, &len, cbs_data(&version), cbs_len(&version)) ||
        !cbs_get_u8_prefixed(&body, &sid) || !cbs_get_u16_prefixed(&body, &ciphers) ||
        !cbs_get_u8_prefixed(&body, &comp) ||
        !memo_put(k, HELLO_KEY_MAX, &len, cbs_data(&ciphers), cbs_len(&ciphers)))
        return 0;
    if (cbs_len(&body) == 0)
        return len;
    if (!cbs_get_u16_prefixed(&body, &exts))
        return 0;
    while (cbs_len(&exts) > 0) {
        uint8_t t[2];

        if (!cbs_get_u16(&exts, &type) || !cbs_get_u16_prefixed(&exts, &data))
            return 0;
        t[0] = (uint8_t)(type >> 8);
        t[1] = (uint8_t)type;
        if (!memo_put(k, HELLO_KEY_MAX, &len, t, 2))
            return 0;
        if ((type == EXT_SUPPORTED_GROUPS || type == EXT_EC_POINT_FORMATS ||
             type == EXT_SIGNATURE_ALGORITHMS || type == EXT_ALPN ||
             type == EXT_SUPPORTED_VERSIONS) &&
            !memo_put(k, HELLO_KEY_MAX, &len, cbs_data(&data), cbs_len(&data)))
            return 0;
    }
    return len;
}

bool tls_client_hello_parse(const uint8_t *p, size_t n, uint16_t record_version, bool lists,
                            struct tls_client_hello *ch)
{
    static _Thread_local struct hello_memo memo[HELLO_MEMO_SLOTS];   /* ~20 KB */
    static _Thread_local uint8_t key[HELLO_KEY_MAX];
    struct hello_memo *m = NULL;
    struct cbs body;
    size_t kl, l3, l4;

    if (p == NULL || ch == NULL)
        return false;
    cbs_init(&body, p, n);
    if (lists || (kl = hello_key(body, key)) == 0)
        return ch_parse(ch, body, record_version, lists, true);
    m = &memo[keyhash(0x68656c6c6fu, key, kl) % HELLO_MEMO_SLOTS];   /* "hello" */
    if (m->klen == kl && memcmp(m->key, key, kl) == 0) {
        /* the fields without the prints, the prints from the memo */
        if (!ch_parse(ch, body, record_version, false, false))
            return false;
        memcpy(ch->ja3, m->ja3, strlen(m->ja3) + 1);
        memcpy(ch->ja4_r, m->ja4_r, strlen(m->ja4_r) + 1);
        return true;
    }
    if (!ch_parse(ch, body, record_version, false, true))
        return false;
    l3 = strlen(ch->ja3);
    l4 = strlen(ch->ja4_r);
    if (l3 < sizeof(m->ja3) && l4 < sizeof(m->ja4_r)) {
        m->klen = kl;
        memcpy(m->key, key, kl);
        memcpy(m->ja3, ch->ja3, l3 + 1);
        memcpy(m->ja4_r, ch->ja4_r, l4 + 1);
    }
    return true;
}

/* ---- ServerHello ---------------------------------------------------- */

/* RFC 8446 §4.1.3: a HelloRetryRequest is a ServerHello whose random is
 * SHA-256("HelloRetryRequest"). */
static const uint8_t hrr_random[32] = {
    0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
    0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
};

/* The extensions of a ServerHello that we keep. */
static bool sh_extension(struct tls_server_hello *sh, uint16_t type, struct cbs data)
{
    struct cbs list, name, ke;

    switch (type) {
    case EXT_SUPPORTED_VERSIONS:
        /* RFC 8446 §4.2.1: ProtocolVersion selected_version; */
        if (!cbs_get_u16(&data, &sh->version) || cbs_len(&data) != 0)
            return false;
        return true;
    case EXT_KEY_SHARE:
        /* §4.2.8: a HelloRetryRequest carries NamedGroup selected_group;
         * a ServerHello a KeyShareEntry { NamedGroup group;
         * opaque key_exchange<1..2^16-1>; }. */
        if (!cbs_get_u16(&data, &sh->key_share_group))
            return false;
        if (!sh->hello_retry_request &&
            (!cbs_get_u16_prefixed(&data, &ke) || cbs_len(&ke) == 0))
            return false;
        return cbs_len(&data) == 0;
    case EXT_ALPN:
        /* RFC 7301 §3.1: the list holds exactly one name. */
        if (!cbs_get_u16_prefixed(&data, &list) || cbs_len(&data) != 0 ||
            !cbs_get_u8_prefixed(&list, &name) || cbs_len(&name) == 0 || cbs_len(&list) != 0)
            return false;
        sh->alpn = name;
        return true;
    case 22:
        /* RFC 7366 §2: encrypt_then_mac, empty */
        sh->encrypt_then_mac = true;
        return cbs_len(&data) == 0;
    default:
        return true;
    }
}

/*
 * RFC 8446 §4.1.3 (RFC 5246 §7.4.1.3 up to the optional extensions):
 *
 *   struct {
 *       ProtocolVersion legacy_version = 0x0303;    u16
 *       Random random;                              32 bytes
 *       opaque legacy_session_id_echo<0..32>;
 *       CipherSuite cipher_suite;                   u16
 *       uint8 legacy_compression_method = 0;
 *       Extension extensions<6..2^16-1>;            optional <= 1.2
 *   } ServerHello;
 *
 * The negotiated version is supported_versions' selected_version when
 * present (RFC 8446 §4.2.1), else legacy_version.  JA3S: SSLVersion,Cipher,
 * Extensions (GREASE dropped, as in JA3).
 */
static bool parse_server_hello(struct tls *t, struct cbs body, uint16_t record_version)
{
    struct tls_server_hello *sh = &scratch.sh;
    struct cbs exts = {NULL, 0}, walk, data;
    uint16_t type;
    struct strbuf sb;

    memset(sh, 0, offsetof(struct tls_server_hello, ja3s));   /* sb_init starts ja3s */
    sh->record_version = record_version;
    if (!cbs_get_u16(&body, &sh->legacy_version) ||
        !cbs_get_bytes(&body, &sh->random, 32) ||
        !cbs_get_u8_prefixed(&body, &sh->session_id) ||
        cbs_len(&sh->session_id) > 32 ||
        !cbs_get_u16(&body, &sh->cipher) ||
        !cbs_get_u8(&body, &sh->compression))
        return false;
    sh->hello_retry_request = cbs_mem_eq(&sh->random, hrr_random, sizeof(hrr_random));
    sh->version = sh->legacy_version;
    if (cbs_len(&body) > 0) {
        if (!cbs_get_u16_prefixed(&body, &exts) || cbs_len(&body) != 0)
            return false;
        walk = exts;
        while (cbs_len(&walk) > 0) {
            if (!cbs_get_u16(&walk, &type) || !cbs_get_u16_prefixed(&walk, &data))
                return false;
            if (sh->ext_types.n < TLS_MAX_LIST)
                sh->ext_types.v[sh->ext_types.n++] = type;
            sh->ext_types.total++;
            if (!sh_extension(sh, type, data))
                return false;
        }
    }

    strbuf_init(&sb, sh->ja3s, sizeof(sh->ja3s));
    sb_putu(&sb, sh->legacy_version);
    strbuf_putc(&sb, ',');
    sb_putu(&sb, sh->cipher);
    strbuf_putc(&sb, ',');
    sb_ext_field(&sb, exts);

    if (sh->hello_retry_request) {
        t->hrr = true;
    } else {
        t->sh = true;
        t->version = sh->version;
        t->cipher = sh->cipher;
        if (is_tls13(sh->version))
            t->tls13 = true;
    }
    if (t->cbs.on_server_hello)
        t->cbs.on_server_hello(t->user, sh);
    return true;
}

/* ---- Certificate ---------------------------------------------------- */

static void cert_add(struct tls_certificate *c, struct cbs der)
{
    if (c->n < TLS_MAX_CERTS)
        c->certs[c->n++] = der;
    c->total++;
}

/*
 * TLS <= 1.2, RFC 5246 §7.4.2:
 *
 *   opaque ASN.1Cert<1..2^24-1>;
 *   struct { ASN.1Cert certificate_list<0..2^24-1>; } Certificate;
 *
 * TLS 1.3, RFC 8446 §4.4.2:
 *
 *   struct {
 *       select (certificate_type) {
 *           case RawPublicKey: opaque ASN1_subjectPublicKeyInfo<1..2^24-1>;
 *           case X509:         opaque cert_data<1..2^24-1>;
 *       };
 *       Extension extensions<0..2^16-1>;
 *   } CertificateEntry;
 *   struct {
 *       opaque certificate_request_context<0..2^8-1>;
 *       CertificateEntry certificate_list<0..2^24-1>;
 *   } Certificate;
 *
 * The format is chosen by the negotiated version: the two cannot be told
 * apart reliably from the bytes.  Without a ServerHello (a one-sided
 * capture) the <= 1.2 format is assumed, since a 1.3 Certificate is never
 * seen in clear anyway.
 */
static bool parse_certificate(struct tls *t, enum tcp_dir from, struct cbs body)
{
    struct tls_certificate *c = &scratch.cert;
    struct cbs list, der, exts;
    bool v13 = t->sh && is_tls13(t->version);

    memset(c, 0, sizeof(*c));
    if (v13 && !cbs_get_u8_prefixed(&body, &c->context))
        return false;
    if (!cbs_get_u24_prefixed(&body, &list) || cbs_len(&body) != 0)
        return false;
    while (cbs_len(&list) > 0) {
        if (!cbs_get_u24_prefixed(&list, &der) || cbs_len(&der) == 0)
            return false;
        if (v13 && !cbs_get_u16_prefixed(&list, &exts))
            return false;
        cert_add(c, der);
    }
    if (t->cbs.on_certificate)
        t->cbs.on_certificate(t->user, from, c);
    return true;
}

/* ---- CertificateRequest --------------------------------------------- */

/*   opaque DistinguishedName<1..2^16-1>;
 *   DistinguishedName authorities<3..2^16-1>;   (the list, |list| here) */
static bool parse_ca_list(struct cbs list, struct tls_cert_request *cr)
{
    struct cbs dn;

    while (cbs_len(&list) > 0) {
        if (!cbs_get_u16_prefixed(&list, &dn) || cbs_len(&dn) == 0)
            return false;
        if (cr->nca < TLS_MAX_CERTS)
            cr->ca_names[cr->nca++] = dn;
        cr->total_ca++;
    }
    return true;
}

/*
 * TLS <= 1.2, RFC 5246 §7.4.4 (RFC 4346 §7.4.4 lacks the algorithms):
 *
 *   struct {
 *       ClientCertificateType certificate_types<1..2^8-1>;
 *       SignatureAndHashAlgorithm supported_signature_algorithms<2^16-1>;  1.2 only
 *       DistinguishedName certificate_authorities<0..2^16-1>;
 *   } CertificateRequest;
 *
 * TLS 1.3, RFC 8446 §4.3.2:
 *
 *   struct {
 *       opaque certificate_request_context<0..2^8-1>;
 *       Extension extensions<2..2^16-1>;
 *   } CertificateRequest;
 *
 * with signature_algorithms (13) and certificate_authorities (47, §4.2.4:
 * struct { DistinguishedName authorities<3..2^16-1>; }) read.  The version
 * decides the format; without a ServerHello 1.2 is assumed.
 */
static bool parse_cert_request(struct tls *t, struct cbs body)
{
    struct tls_cert_request *cr = &scratch.cr;
    struct cbs list, context, exts, data;
    uint16_t version = t->sh ? t->version : 0x0303;
    uint16_t type;

    memset(cr, 0, sizeof(*cr));
    if (is_tls13(version)) {
        if (!cbs_get_u8_prefixed(&body, &context) ||
            !cbs_get_u16_prefixed(&body, &exts) || cbs_len(&body) != 0)
            return false;
        while (cbs_len(&exts) > 0) {
            if (!cbs_get_u16(&exts, &type) || !cbs_get_u16_prefixed(&exts, &data))
                return false;
            if (type == EXT_SIGNATURE_ALGORITHMS) {
                if (!cbs_get_u16_prefixed(&data, &list) || cbs_len(&data) != 0 ||
                    !u16_list_parse(list, &cr->sig_algs))
                    return false;
            } else if (type == EXT_CERTIFICATE_AUTHORITIES) {
                if (!cbs_get_u16_prefixed(&data, &list) || cbs_len(&data) != 0 ||
                    !parse_ca_list(list, cr))
                    return false;
            }
        }
    } else {
        if (!cbs_get_u8_prefixed(&body, &cr->cert_types) || cbs_len(&cr->cert_types) == 0)
            return false;
        if (version >= 0x0303 &&
            (!cbs_get_u16_prefixed(&body, &list) || !u16_list_parse(list, &cr->sig_algs)))
            return false;
        if (!cbs_get_u16_prefixed(&body, &list) || cbs_len(&body) != 0 ||
            !parse_ca_list(list, cr))
            return false;
    }
    if (t->cbs.on_cert_request)
        t->cbs.on_cert_request(t->user, cr);
    return true;
}

/* ---- ServerKeyExchange ---------------------------------------------- */

/* What a cipher suite's ServerKeyExchange carries. */
enum kx_kind { KX_NONE = 0, KX_ECDHE, KX_DHE, KX_ECDHE_PSK, KX_DHE_PSK, KX_OTHER };

/*
 * suite_kx reads what a suite's ServerKeyExchange carries from its key
 * exchange in the cipher suite table: (EC)DH parameters for the ephemeral
 * kinds (DH_anon and ECDH_anon included), a PSK identity hint before them
 * for DHE_PSK and ECDHE_PSK (RFC 4279 §3, RFC 5489 §2), and something else
 * for RSA_EXPORT (ServerRSAParams), PSK and RSA_PSK (a hint alone), SRP
 * (RFC 5054) and ECCPWD (RFC 8492).  A suite with no ServerKeyExchange of
 * its own (RSA, static DH or ECDH, Kerberos, GOST, TLS 1.3) or unknown to
 * the table is classified by trying the two formats (see parse_ske).  The
 * suite is needed because the formats are ambiguous: an ffdhe6144 prime is
 * 0x0300 bytes long, whose first byte is ECDHE's named_curve tag.
 */
static enum kx_kind suite_kx(uint16_t suite)
{
    const struct tls_suite *cs = tls_suite_find(suite);

    if (cs == NULL)
        return KX_NONE;
    switch (cs->kx) {
    case TLS_SUITE_KX_DHE: return KX_DHE;
    case TLS_SUITE_KX_ECDHE: return KX_ECDHE;
    case TLS_SUITE_KX_DHE_PSK: return KX_DHE_PSK;
    case TLS_SUITE_KX_ECDHE_PSK: return KX_ECDHE_PSK;
    case TLS_SUITE_KX_RSA: return cs->export_grade ? KX_OTHER : KX_NONE;
    case TLS_SUITE_KX_PSK:
    case TLS_SUITE_KX_RSA_PSK:
    case TLS_SUITE_KX_SRP:
    case TLS_SUITE_KX_ECCPWD: return KX_OTHER;
    default: return KX_NONE;
    }
}

/* Key sizes of the named curves (RFC 8422 §5.1.1, RFC 7027, RFC 7748).
 * The Montgomery curves are reported by their security-equivalent field
 * size as usually printed: x25519 as 256 (its field is 2^255 - 19, its
 * keys 32 bytes; "255" and "253" are both seen elsewhere) and x448 as 448. */
static unsigned group_bits(uint16_t group)
{
    switch (group) {
    case 1: case 2: case 3: return 163;     /* sect163k1/r1/r2 */
    case 4: case 5: return 193;             /* sect193r1/r2 */
    case 6: case 7: return 233;             /* sect233k1/r1 */
    case 8: return 239;                     /* sect239k1 */
    case 9: case 10: return 283;            /* sect283k1/r1 */
    case 11: case 12: return 409;           /* sect409k1/r1 */
    case 13: case 14: return 571;           /* sect571k1/r1 */
    case 15: case 16: case 17: return 160;  /* secp160k1/r1/r2 */
    case 18: case 19: return 192;           /* secp192k1/r1 */
    case 20: case 21: return 224;           /* secp224k1/r1 */
    case 22: case 23: return 256;           /* secp256k1, secp256r1 */
    case 24: return 384;                    /* secp384r1 */
    case 25: return 521;                    /* secp521r1 */
    case 26: return 256;                    /* brainpoolP256r1 */
    case 27: return 384;                    /* brainpoolP384r1 */
    case 28: return 512;                    /* brainpoolP512r1 */
    case 29: return 256;                    /* x25519 */
    case 30: return 448;                    /* x448 */
    case 31: return 256;                    /* brainpoolP256r1tls13 */
    case 32: return 384;                    /* brainpoolP384r1tls13 */
    case 33: return 512;                    /* brainpoolP512r1tls13 */
    case 34: return 256;                    /* GC256A..D, GOST */
    case 35: case 36: case 37: return 256;
    case 38: case 39: case 40: case 41: return 512;
    default: return 0;
    }
}

/* bit_length returns the number of significant bits of the big-endian
 * unsigned integer in |c| (leading zero bits ignored). */
static unsigned bit_length(struct cbs c)
{
    uint8_t b = 0;

    while (cbs_get_u8(&c, &b) && b == 0)
        ;
    if (b == 0)
        return 0;
    unsigned bits = 8 * (unsigned)cbs_len(&c);
    while (b) {
        bits++;
        b >>= 1;
    }
    return bits;
}

/*
 * RFC 8422 §5.4 (RFC 4492 §5.4) ServerECDHParams:
 *
 *   struct {
 *       ECCurveType curve_type;            u8: explicit_prime(1), explicit_char2(2), named_curve(3)
 *       select (curve_type) {
 *           case explicit_prime:
 *               opaque prime_p<1..2^8-1>; ECCurve curve; ECPoint base;
 *               opaque order<1..2^8-1>; opaque cofactor<1..2^8-1>;
 *           case explicit_char2:
 *               uint16 m; ECBasisType basis;           u8: trinomial(1), pentanomial(2)
 *               select (basis) {
 *                   case ec_trinomial:  opaque k<1..2^8-1>;
 *                   case ec_pentanomial: opaque k1<1..2^8-1>; opaque k2<..>; opaque k3<..>;
 *               };
 *               ECCurve curve; ECPoint base; opaque order<..>; opaque cofactor<..>;
 *           case named_curve:
 *               NamedCurve namedcurve;                 u16
 *       };
 *   } ECParameters;
 *   struct { opaque a<1..2^8-1>; opaque b<1..2^8-1>; } ECCurve;
 *   struct { opaque point<1..2^8-1>; } ECPoint;
 *   struct { ECParameters curve_params; ECPoint public; } ServerECDHParams;
 *
 * The explicit forms were deprecated by RFC 8422, but old peers sent them;
 * their size is the prime's bit length or the field degree m.
 */
static bool parse_ecdh_params(struct cbs *c, struct tls_key_exchange *kx)
{
    uint8_t curve_type, basis;
    uint16_t m;
    struct cbs prime, a, b, base, order, cofactor, k1, k2, k3, point;

    kx->kind = TLS_KX_ECDHE;
    if (!cbs_get_u8(c, &curve_type))
        return false;
    switch (curve_type) {
    case 3:
        if (!cbs_get_u16(c, &kx->group))
            return false;
        kx->bits = group_bits(kx->group);
        break;
    case 1:
        if (!cbs_get_u8_prefixed(c, &prime) ||
            !cbs_get_u8_prefixed(c, &a) || !cbs_get_u8_prefixed(c, &b) ||
            !cbs_get_u8_prefixed(c, &base) ||
            !cbs_get_u8_prefixed(c, &order) || !cbs_get_u8_prefixed(c, &cofactor))
            return false;
        kx->bits = bit_length(prime);
        break;
    case 2:
        if (!cbs_get_u16(c, &m) || !cbs_get_u8(c, &basis))
            return false;
        if (basis == 1) {
            if (!cbs_get_u8_prefixed(c, &k1))
                return false;
        } else if (basis == 2) {
            if (!cbs_get_u8_prefixed(c, &k1) || !cbs_get_u8_prefixed(c, &k2) ||
                !cbs_get_u8_prefixed(c, &k3))
                return false;
        } else {
            return false;
        }
        if (!cbs_get_u8_prefixed(c, &a) || !cbs_get_u8_prefixed(c, &b) ||
            !cbs_get_u8_prefixed(c, &base) ||
            !cbs_get_u8_prefixed(c, &order) || !cbs_get_u8_prefixed(c, &cofactor))
            return false;
        kx->bits = m;
        break;
    default:
        return false;
    }
    return cbs_get_u8_prefixed(c, &point) && cbs_len(&point) > 0;
}

/*
 * RFC 5246 §7.4.3 ServerDHParams:
 *
 *   struct {
 *       opaque dh_p<1..2^16-1>;
 *       opaque dh_g<1..2^16-1>;
 *       opaque dh_Ys<1..2^16-1>;
 *   } ServerDHParams;
 */
static bool parse_dh_params(struct cbs *c, struct tls_key_exchange *kx)
{
    struct cbs p, g, ys;

    kx->kind = TLS_KX_DHE;
    if (!cbs_get_u16_prefixed(c, &p) || !cbs_get_u16_prefixed(c, &g) ||
        !cbs_get_u16_prefixed(c, &ys) ||
        cbs_len(&p) == 0 || cbs_len(&g) == 0 || cbs_len(&ys) == 0)
        return false;
    kx->bits = bit_length(p);
    return kx->bits > 0;
}

/*
 * RFC 5246 §7.4.3 / RFC 8422 §5.4 ServerKeyExchange:
 *
 *   struct {
 *       select (KeyExchangeAlgorithm) {
 *           case dhe_*, dh_anon:  ServerDHParams params;
 *           case ecdhe_*, ecdh_anon: ServerECDHParams params;
 *           case dhe_psk / ecdhe_psk (RFC 4279 §3, RFC 5489 §2):
 *               opaque psk_identity_hint<0..2^16-1>; then the params
 *       };
 *       digitally-signed struct { ... } signed_params;   (not anon, not psk)
 *   } ServerKeyExchange;
 *
 * Only the parameters are read: the signature after them is left alone, so
 * the message is not required to end after the parameters.  Which format
 * applies follows from the cipher suite the ServerHello chose (suite_kx);
 * for a suite that says nothing about it, the named-curve form is tried first
 * (curve_type 3 with a curve we know the size of), then the DH form, and the
 * message is reported as TLS_KX_UNKNOWN when neither fits.  A known suite
 * whose parameters do not parse is malformed.
 */
static bool parse_ske(struct tls *t, struct cbs body)
{
    struct tls_key_exchange kx = {TLS_KX_UNKNOWN, 0, 0};
    struct cbs hint, c = body;
    enum kx_kind kind = t->sh ? suite_kx(t->cipher) : KX_NONE;
    bool ok = true;

    switch (kind) {
    case KX_ECDHE_PSK:
    case KX_DHE_PSK:
        if (!cbs_get_u16_prefixed(&c, &hint))
            return false;
        ok = kind == KX_ECDHE_PSK ? parse_ecdh_params(&c, &kx) : parse_dh_params(&c, &kx);
        break;
    case KX_ECDHE:
        ok = parse_ecdh_params(&c, &kx);
        break;
    case KX_DHE:
        ok = parse_dh_params(&c, &kx);
        break;
    case KX_OTHER:
        kx.kind = TLS_KX_UNKNOWN;
        break;
    case KX_NONE: {
        struct tls_key_exchange try = {TLS_KX_UNKNOWN, 0, 0};
        uint8_t tag = 0;
        uint16_t group = 0;

        c = body;
        if (cbs_get_u8(&c, &tag) && tag == 3 && cbs_get_u16(&c, &group) && group_bits(group)) {
            c = body;
            if (parse_ecdh_params(&c, &try)) {
                kx = try;
                break;
            }
        }
        c = body;
        if (parse_dh_params(&c, &try))
            kx = try;
        else
            kx = (struct tls_key_exchange){TLS_KX_UNKNOWN, 0, 0};
        break;
    }
    }
    if (!ok)
        return false;
    if (t->cbs.on_key_exchange)
        t->cbs.on_key_exchange(t->user, &kx);
    return true;
}

/* ---- flight size ---------------------------------------------------- */

static uint32_t add_sat(uint32_t a, size_t b)
{
    return b >= UINT32_MAX - a ? UINT32_MAX : a + (uint32_t)b;
}

/* flight_clear_msg counts a handshake message of |len| body bytes that |d|
 * sent in clear and the parser accepted: the server's, from its real
 * ServerHello (which has set t->sh by now) to its ServerHelloDone. */
static void flight_clear_msg(struct tls *t, enum tcp_dir d, uint8_t type, size_t len)
{
    struct tls_server_flight *fl = &t->flight;

    if (d != TCP_TO_CLIENT || !t->sh || t->clear_over || t->h[d].stopped)
        return;
    if (fl->clear_msgs < UINT32_MAX)
        fl->clear_msgs++;
    fl->clear_bytes = add_sat(fl->clear_bytes, TLS_HS_HDR + len);
    if (type == TLS_HS_SERVER_HELLO_DONE || t->tls13)
        t->clear_over = fl->clear_complete = true;
}

/* enc_flight_over: nothing more will be counted in the 1.3 flight. */
static bool enc_flight_over(const struct tls *t)
{
    return t->enc_over || t->h[0].stopped || t->h[1].stopped || t->h[0].fatal || t->h[1].fatal;
}

/* flight_record sees every wire record of |d| (type, fragment length)
 * before it is read: for 1.3 it counts the server's application_data
 * records until the client answers with anything but a CCS. */
static void flight_record(struct tls *t, enum tcp_dir d, uint8_t type, size_t len)
{
    struct tls_server_flight *fl = &t->flight;

    if (d == TCP_TO_CLIENT && type == TLS_CT_CCS && t->sh && !t->clear_over)
        t->clear_over = fl->clear_complete = true;   /* abbreviated handshake */
    if (!t->tls13 || enc_flight_over(t))
        return;
    if (d == TCP_TO_SERVER) {
        if (type != TLS_CT_CCS)
            t->enc_over = fl->enc_complete = true;
        return;
    }
    if (type != TLS_CT_APPDATA)
        return;
    fl->enc_records++;
    fl->enc_bytes = add_sat(fl->enc_bytes, len);
    if (fl->enc_records >= TLS_MAX_FLIGHT_RECORDS)
        t->enc_over = true;
}

void tls_server_flight_get(const struct tls *t, struct tls_server_flight *out)
{
    if (!t) {
        memset(out, 0, sizeof(*out));
        return;
    }
    *out = t->flight;
}

/* ---- handshake messages --------------------------------------------- */

/*
 * RFC 8446 §4 / RFC 5246 §7.4:
 *
 *   struct {
 *       HandshakeType msg_type;    u8
 *       uint24 length;             bytes in the body
 *       <body>
 *   } Handshake;
 *
 * Messages are parsed only from the side that may send them: a
 * "ServerHello" from the client is reported by type and length only.
 */
static void keys_needed(struct tls *t, enum tcp_dir d, enum tls_epoch e)
{
    if (t->cbs.on_keys_needed)
        t->cbs.on_keys_needed(t->user, d, e);
}

/* after_decrypted_message moves |d|'s keys on after a message read through
 * decryption: TLS 1.3's Finished ends the handshake keys (RFC 8446 §7.1),
 * a KeyUpdate (§4.6.3) moves to the next traffic secret. */
static void after_decrypted_message(struct tls *t, enum tcp_dir d, uint8_t type)
{
    struct tls_half *h = &t->h[d];

    if (!t->tls13 || h->dec == NULL)
        return;
    if (type == TLS_HS_FINISHED && !h->app_keys) {
        /* only the first Finished: the application keys come once */
        h->app_keys = true;
        keys_needed(t, d, TLS_EPOCH_APPLICATION);
    } else if (type == TLS_HS_KEY_UPDATE) {
        if (decrypt_key_update(h->dec) != DECRYPT_OK) {
            decrypt_free(h->dec);
            h->dec = NULL;
        }
    }
}

static void hs_message(struct tls *t, enum tcp_dir d, uint8_t type, struct cbs body,
                       uint16_t record_version, bool plain)
{
    bool ok = true;
    bool from_server = d == TCP_TO_CLIENT;

    if (t->cbs.on_handshake)
        t->cbs.on_handshake(t->user, d, type, (uint32_t)cbs_len(&body), false);
    switch (type) {
    case TLS_HS_CLIENT_HELLO:
        if (!from_server)
            ok = parse_client_hello(t, body, record_version);
        break;
    case TLS_HS_SERVER_HELLO:
        if (from_server) {
            bool was13 = t->tls13;

            ok = parse_server_hello(t, body, record_version);
            if (ok && t->tls13 && !was13) {
                keys_needed(t, TCP_TO_CLIENT, TLS_EPOCH_HANDSHAKE);
                keys_needed(t, TCP_TO_SERVER, TLS_EPOCH_HANDSHAKE);
            }
        }
        break;
    case TLS_HS_CERTIFICATE:
        ok = parse_certificate(t, d, body);
        break;
    case TLS_HS_CERTIFICATE_REQUEST:
        if (from_server)
            ok = parse_cert_request(t, body);
        break;
    case TLS_HS_SERVER_KEY_EXCHANGE:
        if (from_server)
            ok = parse_ske(t, body);
        break;
    default:
        break;
    }
    if (!ok)
        stop(t, d, TLS_ERR_MALFORMED);
    else if (plain)
        after_decrypted_message(t, d, type);
}

/* body_reserve makes room for |need| bytes of the message body being
 * collected, doubling (at least 4 KiB, at most the announced length), the
 * growth drawn from |t|'s budget first; false when the budget or malloc
 * refuses (nothing changed then). */
static bool body_reserve(struct tls *t, struct tls_half *h, uint32_t need)
{
    uint32_t cap = h->body_cap ? h->body_cap : 4096;
    uint8_t *b;

    if (need <= h->body_cap)
        return true;
    while (cap < need)
        cap *= 2;
    if (cap > h->body_len)
        cap = h->body_len;
    if (!tcp_memcap_reserve(t->mc, cap - h->body_cap))
        return false;
    b = realloc(h->body, cap);
    if (!b) {
        tcp_memcap_release(t->mc, cap - h->body_cap);
        return false;
    }
    h->body = b;
    h->body_cap = cap;
    return true;
}

/* hs_fragment takes the handshake bytes of one plaintext record and emits
 * every message they complete.  |plain| is set for decrypted input, which is
 * never treated as encrypted.  When a message switches the direction to
 * encrypted (a ServerHello choosing 1.3), the rest of the record is not read:
 * it cannot be handshake in clear. */
static void hs_fragment(struct tls *t, enum tcp_dir d, uint16_t record_version,
                        struct cbs frag, bool plain)
{
    struct tls_half *h = &t->h[d];

    while (cbs_len(&frag) > 0 && !h->stopped && (plain || !hs_encrypted(t, d))) {
        uint8_t type;
        uint32_t len;
        struct cbs hdr, body, whole = frag;

        if (h->hdr_len == 0 && h->body_len == 0) {
            /* A message whole inside the record is parsed in place. */
            if (cbs_get_u8(&whole, &type) && cbs_get_u24(&whole, &len) &&
                cbs_get_bytes(&whole, &body, len)) {
                frag = whole;
                hs_message(t, d, type, body, record_version, plain);
                if (!plain)
                    flight_clear_msg(t, d, type, len);
                continue;
            }
            h->msg_record_version = record_version;
        }
        if (h->hdr_len < TLS_HS_HDR) {
            size_t k = TLS_HS_HDR - h->hdr_len;

            if (k > cbs_len(&frag))
                k = cbs_len(&frag);
            if (!cbs_copy_bytes(&frag, h->hdr + h->hdr_len, k))
                return;
            h->hdr_len += k;
            if (h->hdr_len < TLS_HS_HDR)
                return;
            cbs_init(&hdr, h->hdr, sizeof(h->hdr));
            if (!cbs_get_u8(&hdr, &type) || !cbs_get_u24(&hdr, &len))
                return;
            h->body_len = len;
            h->body_have = 0;
        }
        if (h->body_have < h->body_len && cbs_len(&frag) > 0) {
            size_t k = h->body_len - h->body_have;

            if (k > cbs_len(&frag))
                k = cbs_len(&frag);
            if (!body_reserve(t, h, (uint32_t)(h->body_have + k))) {
                /* cannot hold it: said, never a silent drop */
                stop(t, d, TLS_ERR_HS_MEMCAP);
                return;
            }
            if (!cbs_copy_bytes(&frag, h->body + h->body_have, k))
                return;
            h->body_have += (uint32_t)k;
        }
        if (h->body_have == h->body_len) {
            uint8_t *buf = h->body;
            size_t held = buf != NULL ? h->body_cap : 0;

            cbs_init(&hdr, h->hdr, sizeof(h->hdr));
            if (!cbs_get_u8(&hdr, &type))
                return;
            cbs_init(&body, buf ? buf : h->hdr, h->body_len);
            /* detach first: the callbacks may stop the direction */
            h->body = NULL;
            h->body_len = 0;
            h->body_have = 0;
            h->body_cap = 0;
            h->hdr_len = 0;
            hs_message(t, d, type, body, h->msg_record_version, plain);
            if (!plain)
                flight_clear_msg(t, d, type, cbs_len(&body));
            free(buf);
            tcp_memcap_release(t->mc, held);
        }
    }
}

/* A message half collected when a direction switches to encrypted is lost:
 * its rest will arrive encrypted.  hs_pending says if there is one. */
static bool hs_pending(const struct tls_half *h)
{
    return h->hdr_len > 0 || h->body_len > 0;
}

/* ---- alerts --------------------------------------------------------- */

/*
 * RFC 8446 §6 / RFC 5246 §7.2:
 *
 *   struct { AlertLevel level; AlertDescription description; } Alert;   u8, u8
 *
 * In an encrypted state the content is unreadable and reported as
 * (0, 0, encrypted).  Exception: a 2-byte record with a valid level is in
 * clear even then, since every cipher adds a MAC or tag of at least 8
 * bytes; that is what a TLS 1.3 client sends when it cannot process the
 * ServerHello (it has no keys yet).
 */
static void alert_record(struct tls *t, enum tcp_dir d, struct cbs frag, bool enc)
{
    uint8_t level, desc;

    if (enc) {
        struct cbs c = frag;

        if (!(cbs_len(&c) == 2 && cbs_get_u8(&c, &level) && (level == 1 || level == 2))) {
            if (t->cbs.on_alert)
                t->cbs.on_alert(t->user, d, 0, 0, true);
            return;
        }
    }
    while (cbs_get_u8(&frag, &level)) {
        if (!cbs_get_u8(&frag, &desc)) {
            stop(t, d, TLS_ERR_MALFORMED);
            return;
        }
        if (t->cbs.on_alert)
            t->cbs.on_alert(t->user, d, level, desc, false);
        if (level == 2)
            t->h[d].fatal = true;
    }
}

/* ---- records -------------------------------------------------------- */

/* appdata_seen: the first application data record of |d| is said once. */
static void appdata_seen(struct tls *t, enum tcp_dir d)
{
    if (!t->h[d].appdata) {
        t->h[d].appdata = true;
        if (t->cbs.on_appdata)
            t->cbs.on_appdata(t->user, d);
    }
}

/* plain_record reads the content of one record of |d| that is in clear or
 * was decrypted (|decrypted|): the seam tls_feed_plaintext opens to tests. */
static void plain_record(struct tls *t, enum tcp_dir d, uint8_t type, struct cbs frag,
                         bool decrypted)
{
    switch (type) {
    case TLS_CT_HANDSHAKE:
        hs_fragment(t, d, 0x0303, frag, true);   /* §5.1 legacy_record_version */
        break;
    case TLS_CT_ALERT:
        alert_record(t, d, frag, false);
        break;
    case TLS_CT_APPDATA:
        appdata_seen(t, d);
        if (decrypted && cbs_len(&frag) > 0 && t->cbs.on_plaintext)
            t->cbs.on_plaintext(t->user, d, cbs_data(&frag), cbs_len(&frag));
        break;
    default:
        break;
    }
}

/* decrypt_and_read decrypts one protected record of |d| and reads it; false
 * when it did not decrypt (the decrypter is dropped: what follows stays
 * encrypted, as without a key log). */
static bool decrypt_and_read(struct tls *t, enum tcp_dir d, const uint8_t hdr5[5],
                             struct cbs frag)
{
    struct tls_half *h = &t->h[d];
    size_t n = 0;
    uint8_t inner = 0;
    enum decrypt_result r = decrypt_record(h->dec, hdr5, cbs_data(&frag), cbs_len(&frag),
                                           plain_buf, &n, &inner);
    struct cbs pt;

    if (r != DECRYPT_OK) {
        decrypt_free(h->dec);
        h->dec = NULL;
        if (t->cbs.on_decrypt_failed)
            t->cbs.on_decrypt_failed(t->user, d, (int)r);
        return false;
    }
    h->decrypted++;
    cbs_init(&pt, plain_buf, n);
    h->in_plain = true;
    plain_record(t, d, inner, pt, true);
    h->in_plain = false;
    return true;
}

/* One whole record of direction |d|, |hdr5| its header. */
static void record(struct tls *t, enum tcp_dir d, const uint8_t hdr5[5], uint8_t type,
                   uint16_t version, struct cbs frag)
{
    struct tls_half *h = &t->h[d];
    bool enc = hs_encrypted(t, d);
    uint8_t v;

    flight_record(t, d, type, cbs_len(&frag));
    /* With a decrypter: TLS 1.3 protects every application_data record,
     * TLS <= 1.2 every record after the sender's ChangeCipherSpec. */
    if (h->dec != NULL && enc &&
        (t->tls13 ? type == TLS_CT_APPDATA : type != TLS_CT_CCS) &&
        decrypt_and_read(t, d, hdr5, frag)) {
        if (h->enc_records < UINT32_MAX)
            h->enc_records++;
        return;
    }
    switch (type) {
    case TLS_CT_CCS:
        /*
         * RFC 5246 §7.1: struct { enum { change_cipher_spec(1), (255) } type; }
         * It ends the handshake messages in clear, so one in the middle of
         * a message is a protocol violation (RFC 8446 §5.1 forbids
         * interleaving outright).  Under encryption (a renegotiation) its
         * content is unreadable.
         */
        if (!enc) {
            if (hs_pending(h) || !cbs_get_u8(&frag, &v) || v != 1 || cbs_len(&frag) != 0) {
                stop(t, d, TLS_ERR_MALFORMED);
                return;
            }
        }
        if (!h->ccs && !t->tls13 && !(t->hrr && !t->sh))
            keys_needed(t, d, TLS_EPOCH_APPLICATION);
        h->ccs = true;
        if (t->cbs.on_ccs)
            t->cbs.on_ccs(t->user, d);
        break;
    case TLS_CT_ALERT:
        alert_record(t, d, frag, enc);
        break;
    case TLS_CT_HANDSHAKE:
        if (enc) {
            if (t->cbs.on_handshake)
                t->cbs.on_handshake(t->user, d, 0xff, 0, true);
        } else {
            hs_fragment(t, d, version, frag, false);
        }
        break;
    case TLS_CT_APPDATA:
        appdata_seen(t, d);
        break;
    default:   /* heartbeat (RFC 6520): nothing to learn */
        break;
    }
    if (enc && h->enc_records < UINT32_MAX)
        h->enc_records++;
    /* A ServerHello choosing 1.3 (or a CCS) left half a message: it will
     * not continue in clear. */
    if (hs_encrypted(t, d) && hs_pending(h))
        half_drop_message(t, h);
}

/*
 * RFC 6101 appendix E.1 / RFC 5246 appendix E.2: an SSLv2-compatible
 * ClientHello starts with a 2-byte header whose high bit is set (the
 * record length in the other 15 bits), then msg_type 1 (CLIENT-HELLO).
 */
static bool sslv2_hello(struct cbs c)
{
    uint16_t len;
    uint8_t msg_type;

    return cbs_get_u16(&c, &len) && (len & 0x8000) && cbs_get_u8(&c, &msg_type) && msg_type == 1;
}

/*
 * RFC 8446 §5.1 / RFC 5246 §6.2.1:
 *
 *   struct {
 *       ContentType type;                   u8: 20..24
 *       ProtocolVersion legacy_record_version;   u16, major 3
 *       uint16 length;                      at most 2^14 + 2048
 *       opaque fragment[length];
 *   } TLSPlaintext;
 *
 * Checks run in a fixed order on the first bytes, and only once all five
 * header bytes are there (three for the SSLv2 check), so the outcome never
 * depends on how the stream was cut into calls.
 */
size_t tls_feed(struct tls *t, enum tcp_dir dir, const uint8_t *p, size_t n)
{
    struct tls_half *h;
    struct cbs in;

    if (!t || (dir != TCP_TO_SERVER && dir != TCP_TO_CLIENT) || (!p && n))
        return 0;
    h = &t->h[dir];
    if (h->stopped)
        return n;
    cbs_init(&in, p, n);
    while (!h->stopped) {
        struct cbs rec = in, frag;
        uint8_t type, first;
        uint16_t version, len;

        if (!h->started && cbs_peek_u8(&rec, &first) && (first & 0x80)) {
            if (cbs_len(&rec) < 3)
                break;
            stop(t, dir, sslv2_hello(rec) ? TLS_ERR_SSLV2 : TLS_ERR_NOT_TLS);
            break;
        }
        if (!cbs_get_u8(&rec, &type) || !cbs_get_u16(&rec, &version) || !cbs_get_u16(&rec, &len))
            break;
        if (type < TLS_CT_CCS || type > TLS_CT_HEARTBEAT || (version >> 8) != 3) {
            stop(t, dir, TLS_ERR_NOT_TLS);
            break;
        }
        if (len > TLS_MAX_RECORD) {
            stop(t, dir, TLS_ERR_RECORD_TOO_LONG);
            break;
        }
        if (!cbs_get_bytes(&rec, &frag, len))
            break;
        h->started = true;
        record(t, dir, cbs_data(&in), type, version, frag);
        in = rec;
    }
    return h->stopped ? n : n - cbs_len(&in);
}

size_t tls_feed_plaintext(struct tls *t, enum tcp_dir dir, uint8_t type, const uint8_t *p,
                          size_t n)
{
    struct tls_half *h;
    struct cbs frag;

    if (!t || (dir != TCP_TO_SERVER && dir != TCP_TO_CLIENT) || (!p && n))
        return 0;
    h = &t->h[dir];
    if (h->stopped)
        return n;
    if (n > TLS_MAX_RECORD) {
        stop(t, dir, TLS_ERR_RECORD_TOO_LONG);
        return n;
    }
    cbs_init(&frag, p, n);
    h->in_plain = true;
    plain_record(t, dir, type, frag, false);
    h->in_plain = false;
    return n;
}

bool tls_reading_decrypted(const struct tls *t, enum tcp_dir dir)
{
    return t != NULL && (dir == TCP_TO_SERVER || dir == TCP_TO_CLIENT) && t->h[dir].in_plain;
}

bool tls_set_decryptor(struct tls *t, enum tcp_dir dir, struct decrypt *d)
{
    if (!t || (dir != TCP_TO_SERVER && dir != TCP_TO_CLIENT)) {
        decrypt_free(d);
        return false;
    }
    decrypt_free(t->h[dir].dec);
    t->h[dir].dec = d;
    return true;
}

uint64_t tls_decrypted(const struct tls *t, enum tcp_dir dir)
{
    if (!t || (dir != TCP_TO_SERVER && dir != TCP_TO_CLIENT))
        return 0;
    return t->h[dir].decrypted;
}

void tls_gap(struct tls *t, enum tcp_dir dir)
{
    if (!t || (dir != TCP_TO_SERVER && dir != TCP_TO_CLIENT))
        return;
    stop(t, dir, TLS_ERR_GAP);
}

bool tls_done(const struct tls *t, enum tcp_dir dir)
{
    const struct tls_half *h;

    if (!t || (dir != TCP_TO_SERVER && dir != TCP_TO_CLIENT))
        return true;
    h = &t->h[dir];
    if (h->stopped || h->fatal)
        return true;
    if (h->dec != NULL)
        return false;           /* decrypting: the dialogue inside is still to read */
    if (t->tls13)
        return enc_flight_over(t);
    /* <= 1.2: the CCS and the record after it (the encrypted Finished). */
    return hs_encrypted(t, dir) && h->enc_records >= 1;
}

enum tls_hello_at tls_hello_at(const uint8_t *p, size_t n, bool from_client)
{
    struct cbs c;
    uint8_t type, major, minor, hs, vmajor;
    uint16_t len;
    uint32_t hs_len;

    if (!p)
        return TLS_HELLO_NO;
    cbs_init(&c, p, n);
    /* each test as soon as its bytes are there, so text is ruled out early */
    if (!cbs_get_u8(&c, &type))
        return TLS_HELLO_NEED;
    if (type != TLS_CT_HANDSHAKE)
        return TLS_HELLO_NO;
    if (!cbs_get_u8(&c, &major))
        return TLS_HELLO_NEED;
    if (major != 3)
        return TLS_HELLO_NO;
    if (!cbs_get_u8(&c, &minor))
        return TLS_HELLO_NEED;
    if (minor > 4)
        return TLS_HELLO_NO;
    if (!cbs_get_u16(&c, &len))
        return TLS_HELLO_NEED;
    if (len < 4 || len > TLS_MAX_RECORD)
        return TLS_HELLO_NO;
    if (!cbs_get_u8(&c, &hs))
        return TLS_HELLO_NEED;
    if (hs != (from_client ? TLS_HS_CLIENT_HELLO : TLS_HS_SERVER_HELLO))
        return TLS_HELLO_NO;
    if (!cbs_get_u24(&c, &hs_len) || !cbs_get_u8(&c, &vmajor))
        return TLS_HELLO_NEED;
    return hs_len >= 38 && vmajor == 3 ? TLS_HELLO_YES : TLS_HELLO_NO;
}

bool tls_looks_like_record(const uint8_t *p, size_t n)
{
    struct cbs c;
    uint8_t type, major;

    if (!p || n < 3)
        return false;
    cbs_init(&c, p, n);
    if (sslv2_hello(c))
        return true;
    return cbs_get_u8(&c, &type) && cbs_get_u8(&c, &major) &&
           type >= TLS_CT_CCS && type <= TLS_CT_HEARTBEAT && major == 3;
}

size_t tls_size(void)
{
    return sizeof(struct tls);
}

struct tls *tls_new(const struct tls_cbs *cbs, void *user)
{
    struct tls *t = malloc(sizeof(*t));

    if (t)
        tls_init(t, cbs, user);
    return t;
}

void tls_init(struct tls *t, const struct tls_cbs *cbs, void *user)
{
    memset(t, 0, sizeof(*t));
    if (cbs)
        t->cbs = *cbs;
    t->user = user;
}

void tls_set_memcap(struct tls *t, struct tcp_memcap *mc)
{
    /* a buffer drawn from one budget is given back to the same one */
    if (t != NULL && t->h[0].body == NULL && t->h[1].body == NULL)
        t->mc = mc;
}

void tls_free(struct tls *t)
{
    tls_fini(t);
    free(t);
}

void tls_fini(struct tls *t)
{
    if (!t)
        return;
    half_drop_message(t, &t->h[0]);
    half_drop_message(t, &t->h[1]);
    decrypt_free(t->h[0].dec);
    decrypt_free(t->h[1].dec);
}
