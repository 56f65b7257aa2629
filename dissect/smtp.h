/*
 * smtp.h - the SMTP dialogue of one connection, up to the hand-off to TLS.
 *
 * Fed the two reassembled directions as they arrive; keeps what a mail admin
 * needs (banner, EHLO and the server's keywords, STARTTLS offered, asked and
 * answered, AUTH mechanism names, replies with RFC 3463 enhanced codes such
 * as "450 4.7.320", whether MAIL FROM went out before TLS) and reports every
 * line to an optional callback for the transcript.  Message content after
 * DATA/BDAT is skipped: it is never stored, never passed on, only counted.
 * Credentials after AUTH are never stored either.
 */
#ifndef MXW_SMTP_H
#define MXW_SMTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capture/tcp_reasm.h"   /* enum tcp_dir */
#include "lib/cbs.h"

/* RFC 5321 §4.5.3.1.4-5: 512 octets for a command line, 512 for a reply
 * line, both with CRLF.  Real servers send longer EHLO keyword lines, so we
 * allow 2048 before calling it a protocol violation. */
#define SMTP_MAX_LINE 2048
#define SMTP_MAX_CAPS 32
#define SMTP_MAX_TLS_ERRORS 8

/* smtp_stop says why the SMTP parse of a connection ended early. */
enum smtp_stop {
    SMTP_STOP_NONE = 0,
    SMTP_STOP_LINE_TOO_LONG,   /* a line longer than SMTP_MAX_LINE */
    SMTP_STOP_NOT_SMTP,        /* binary or a reply that is not "DDD[ -]" */
    SMTP_STOP_GAP,             /* bytes missing from the capture */
    SMTP_STOP_COUNT
};

/* smtp_stop_name returns "line_too_long", "not_smtp", "gap" or "none". */
const char *smtp_stop_name(enum smtp_stop s);

/* smtp_mode is what a direction of the stream carries now. */
enum smtp_mode {
    SMTP_MODE_TEXT = 0,  /* SMTP commands or replies */
    SMTP_MODE_DATA,      /* message content (client to server), skipped */
    SMTP_MODE_TLS,       /* STARTTLS was accepted: the rest is TLS */
    SMTP_MODE_STOPPED,   /* nothing more to parse (see smtp_stop) */
};

/* smtp_reply_info is a reply with an enhanced status code (RFC 3463) of
 * class 4.7.x or 5.7.x: a security or policy refusal, owned copies. */
struct smtp_tls_error {
    uint64_t ts_us;
    unsigned code;        /* 450 */
    char *enhanced;       /* "4.7.320" */
    char *text;           /* the whole first line, "450 4.7.320 Certificate validation failed" */
};

/* smtp_facts is what one connection's dialogue established.  Strings are
 * owned by the struct smtp and NUL-terminated (bytes from the wire as they
 * were: escape them before printing); NULL when not seen. */
struct smtp_facts {
    char *banner;                 /* first line of the greeting, "220 mx.example.com ESMTP" */
    char *banner_host;            /* its first word after the code */
    unsigned greeting_code;       /* 220, or 554 for a refusal, 0 if none */
    char *helo;                   /* argument of the last EHLO/HELO before TLS */
    bool ehlo;                    /* it was EHLO (not HELO) */
    char *ehlo_host;              /* first word of the EHLO reply */
    char *caps[SMTP_MAX_CAPS];    /* EHLO keywords (upper-cased first word of each line) */
    size_t ncaps;
    char *auth_mechs;             /* the AUTH keyword's arguments, "PLAIN LOGIN" */
    bool starttls_offered;        /* STARTTLS among the keywords of a reply before TLS */
    bool x_anonymoustls_offered;  /* Exchange's X-ANONYMOUSTLS */
    bool starttls_requested;      /* the client sent STARTTLS (or X-ANONYMOUSTLS) */
    unsigned starttls_code;       /* the reply's code (220 accepts), 0 if none seen */
    char *starttls_reply;         /* the reply's first line */
    bool tls_started;             /* both sides handed over to TLS */
    uint64_t tls_start_us;
    bool mail_in_clear;           /* MAIL FROM sent before any TLS */
    bool rcpt_in_clear;
    bool data_in_clear;           /* DATA/BDAT content went without TLS */
    uint64_t data_bytes;          /* message content bytes skipped */
    unsigned commands, replies;
    struct smtp_tls_error tls_errors[SMTP_MAX_TLS_ERRORS];
    size_t ntls_errors;
    unsigned last_code;           /* code of the last reply */
    char *last_reply;             /* first line of the last reply */
    enum smtp_stop stop;
    enum tcp_dir stop_dir;
};

/* smtp_line_kind classifies a line for the transcript. */
enum smtp_line_kind {
    SMTP_LINE_COMMAND,     /* client line */
    SMTP_LINE_REPLY,       /* server line */
    SMTP_LINE_CONTENT,     /* stands for skipped message content: |line| is a summary */
    SMTP_LINE_AUTH,        /* AUTH exchange data: |line| is "[credentials omitted]" */
};

/* smtp_cbs reports lines as they are parsed, for the transcript.  |line| is
 * valid only during the call.  |arg_off| is where the argument of MAIL FROM /
 * RCPT TO starts in |line| (for --redact), or 0. */
struct smtp_cbs {
    void (*on_line)(void *user, enum tcp_dir dir, uint64_t ts_us, enum smtp_line_kind kind,
                    const struct cbs *line, size_t arg_off);
};

struct smtp;

/* smtp_new returns a parser for one connection (NULL on allocation failure).
 * |cbs| may be NULL. */
struct smtp *smtp_new(const struct smtp_cbs *cbs, void *user);

/* smtp_free frees |s| and everything in its facts.  NULL is a no-op. */
void smtp_free(struct smtp *s);

/* The same in memory the caller owns (dissect/session.c keeps freed parser
 * states for the next connection): smtp_init makes the |smtp_size()| bytes
 * at |s| a new parser, smtp_fini frees everything it holds but not |s|
 * itself (NULL is a no-op). */
size_t smtp_size(void);
void smtp_init(struct smtp *s, const struct smtp_cbs *cbs, void *user);
void smtp_fini(struct smtp *s);

/* smtp_feed parses bytes of direction |dir| seen at |ts_us| and returns how
 * many it consumed.  It stops consuming at the hand-off: after the client's
 * STARTTLS line and the server's accepting 220 line, smtp_mode(dir) is
 * SMTP_MODE_TLS and the remaining bytes belong to TLS.  Client bytes that
 * follow STARTTLS before the server answered are not consumed (returns
 * early); call smtp_feed again for them once the reply is known. */
size_t smtp_feed(struct smtp *s, enum tcp_dir dir, const uint8_t *p, size_t n, uint64_t ts_us);

/* smtp_gap tells |s| that bytes of |dir| are missing.  Inside message
 * content the skip goes on (the end of the content is then only accepted
 * after a reply proves it); anywhere else that direction stops with
 * SMTP_STOP_GAP: guessing where a line starts again would risk reading
 * content or credentials as commands. */
void smtp_gap(struct smtp *s, enum tcp_dir dir);

/* smtp_mode returns what direction |dir| carries now. */
enum smtp_mode smtp_mode(const struct smtp *s, enum tcp_dir dir);

/* smtp_facts returns the facts so far (owned by |s|). */
const struct smtp_facts *smtp_facts(const struct smtp *s);

/* smtp_starttls_masked returns the EHLO keyword of |sf| that is STARTTLS
 * overwritten by a middlebox, or NULL: Cisco PIX/ASA ESMTP inspection turns
 * it into "XXXXXXXA" (same length, so the reply's length is kept). */
const char *smtp_starttls_masked(const struct smtp_facts *sf);

/* smtp_enhanced_code parses an RFC 3463 enhanced status code at the start
 * of |text| ("4.7.320 ..."): true and |*cls|, |*subject|, |*detail| when it
 * is one. */
bool smtp_enhanced_code(const struct cbs *text, unsigned *cls, unsigned *subject,
                        unsigned *detail);

#endif
